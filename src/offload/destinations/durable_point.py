"""One durability point for several small files written under temporary names.

The end of a run writes a handful of small files (the HTML and PDF reports beside each JSON)
into folders that usually share one filesystem. Each ``AtomicFile.commit`` fsyncs its own
file: on ext4 each is a journal commit and a device cache flush, one after the other on the
command's critical path (docs/performance.md, "The end's fsyncs: eighteenth pass"). A
``DurablePoint`` makes them durable together: one ``syncfs`` per filesystem where it reports
every file's writeback errors (``Features.durable_batch``, the rule of the job's batches,
``destinations.local.probe_features``), through the same ``SharedSyncfs`` rounds and error
contract (``destinations.shared_syncfs``), and the per-file ``fsync`` everywhere else.

Contract:

* ``watch(folder)`` before the first byte of any file written into *folder*: it opens the
  descriptor the filesystem's ``syncfs`` goes through and takes its mark, so that a writeback
  error of those files is reported to it. Never raises (a folder it cannot open or probe
  gets the per-file ``fsync``).
* ``sync(files)`` once every byte of *files* is written (``AtomicFile.flush``): the set of
  those now durable by a ``syncfs`` that reported no error since the mark. Every other file
  (an unwatched folder, an untrusted filesystem, a ``syncfs`` that reported an error or
  failed) is fsynced by its own ``commit``, whose descriptor reports its own error: an error
  fails the file it hit and no other. Never raises.
* Nothing here renames: a file's final name is given by its ``commit`` only after it is
  durable, and its folder is fsynced by the caller after the renames.

Not thread-safe (one caller's end of run). It owns the descriptors it opened: ``close`` (or
collection) closes them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from offload.destinations.shared_syncfs import SharedSyncfs

if TYPE_CHECKING:
    from offload.manifest.atomic import AtomicFile


class DurablePoint:
    """Files of several folders made durable with one ``syncfs`` per filesystem (see the
    module docstring)."""

    def __init__(self) -> None:
        # st_dev -> the filesystem's rounds and the mark taken before any file was written,
        # or None: its files are fsynced each.
        self._filesystems: dict[int, tuple[SharedSyncfs, int] | None] = {}

    def watch(self, folder: Path) -> None:
        """Before any file is written into *folder* (see the module docstring)."""
        try:
            st_dev = os.stat(folder).st_dev
        except OSError:
            return
        if st_dev in self._filesystems:
            return
        self._filesystems[st_dev] = None
        from offload.destinations.local import probe_features

        try:
            if not probe_features(folder).durable_batch:
                return
            shared = SharedSyncfs.open(folder)
        except OSError:
            return
        self._filesystems[st_dev] = (shared, shared.mark())

    def sync(self, files: Iterable[AtomicFile]) -> set[AtomicFile]:
        """The *files* (every byte written and flushed) made durable here: one ``syncfs`` per
        watched, trusted filesystem they lie on; the others are left to their own fsync."""
        by_device: dict[int, list[AtomicFile]] = {}
        for file in files:
            try:
                st_dev = file.stat().st_dev
            except OSError:
                continue
            by_device.setdefault(st_dev, []).append(file)
        durable: set[AtomicFile] = set()
        for st_dev, group in by_device.items():
            watched = self._filesystems.get(st_dev)
            if watched is not None and watched[0].sync(watched[1]):
                durable.update(group)
        return durable

    def close(self) -> None:
        """Close the descriptors opened by ``watch``."""
        for watched in self._filesystems.values():
            if watched is not None:
                watched[0].close()
        self._filesystems.clear()
