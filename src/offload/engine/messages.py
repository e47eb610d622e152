"""Typed messages on a destination's queue, and the per-file ticket shared by all threads."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from offload.engine.buffers import Chunk
from offload.engine.cancel import CancelToken
from offload.errors import OffloadError
from offload.model import SourceFile
from offload.results import CacheBypass, DestinationFileResult


@dataclass(frozen=True)
class FileTask:
    """One source file and where it goes: ``targets[i]`` is its final path on destination i,
    or None when destination i does not need it (already verified there)."""

    source: SourceFile
    targets: tuple[Path | None, ...]
    # Results known before copying (a destination where the file is already verified).
    preset: tuple[DestinationFileResult, ...] = ()
    # Digests the source must have (from the card's own ASC MHL history); a mismatch fails
    # the file on every destination.
    reference_digests: Mapping[str, str] = field(default_factory=dict)


@dataclass
class FileTicket:
    """What the reader knows about one file, published once for the destination workers.

    The reader fills the digests or the error and then calls ``publish()``; workers call
    ``wait()`` before they rename a verified copy to its final name, so no destination
    commits a file whose source read (or source re-read, in full mode) failed.
    """

    task: FileTask
    sequence: int
    inflight_digests: dict[str, str] = field(default_factory=dict)
    source_reread_digests: dict[str, str] = field(default_factory=dict)
    source_cache_bypass: CacheBypass = CacheBypass.NOT_READ
    source_error: OffloadError | None = None
    _published: threading.Event = field(default_factory=threading.Event)

    @property
    def relative_path(self) -> str:
        return self.task.source.relative_path

    def publish(self) -> None:
        self._published.set()

    def wait(self, cancel: CancelToken) -> bool:
        """Block until the reader's verdict is published; False if cancelled first."""
        while not self._published.wait(0.1):
            if cancel.cancelled:
                return False
        return True


@dataclass(frozen=True)
class StartFile:
    ticket: FileTicket


@dataclass(frozen=True)
class ChunkReady:
    chunk: Chunk


@dataclass(frozen=True)
class EndFile:
    ticket: FileTicket


@dataclass(frozen=True)
class AbortFile:
    """The source failed: discard this file's partial."""

    ticket: FileTicket


@dataclass(frozen=True)
class Finish:
    """No more files: make everything pending durable, verify it, stop."""


@dataclass(frozen=True)
class Cancel:
    """The job was cancelled: discard every partial, stop."""


Message = StartFile | ChunkReady | EndFile | AbortFile | Finish | Cancel
