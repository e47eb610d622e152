"""A cascade's fast drive that stops answering at ``CARD RELEASED`` (its FUSE daemon killed:
ENOTCONN, a cable pulled), or that fails one look and then answers again (a drive that
came back), in process: the events the cascade sends are read as they come.

Failed before: the drive lost was said with ENOTCONN's words and ENODEV's errno (the copy
root's classification's), and its ``lost_at`` was the end of the cascade's batch and its
retries, after every failure of its loss."""

from __future__ import annotations

import errno
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from offload.card import OffloadOptions, offload
from offload.events import CardReleased, DestinationLost, Event, FileFailed
from offload.results import DestinationStatus
from support.cascade_drives import cascade_drives, tmpfs_card
from support.faultyfs import FaultyFS
from support.mounts import Ext4Loop, Mount, detach

pytestmark = pytest.mark.fault


class _AtRelease:
    """Calls *act* at ``CardReleased``; keeps each ``DestinationLost`` and the time of each
    ``FileFailed`` on destination *watched*."""

    accepts = None

    def __init__(self, act: Callable[[], object], watched: int) -> None:
        self.act, self.watched = act, watched
        self.lost: list[DestinationLost] = []
        self.failed_at: list[float] = []
        self.failures: list[FileFailed] = []  # every destination's, the source's (-1) too

    def emit(self, event: Event) -> None:
        if isinstance(event, CardReleased):
            self.act()
        elif isinstance(event, DestinationLost):
            self.lost.append(event)
        elif isinstance(event, FileFailed):
            self.failures.append(event)
            if event.destination_index == self.watched:
                self.failed_at.append(time.time())


def test_a_fast_drive_gone_at_the_release_is_lost_with_its_errno_at_its_first_failure(
    tmpfs_mount: Callable[..., Mount], faulty_fs: Callable[..., FaultyFS]
) -> None:
    card = tmpfs_card(tmpfs_mount, 3, 50_000)
    fast, slow = faulty_fs(), faulty_fs()
    sink = _AtRelease(fast.kill, watched=1)  # the cable pulled: ENOTCONN from now on
    report = offload(
        card,
        [fast.mountpoint, slow.mountpoint],
        options=OffloadOptions(cascade=frozenset({1})),
        sink=sink,
    )
    (lost,) = sink.lost
    assert lost.destination_index == 0, lost
    assert "Transport endpoint is not connected" in lost.message, lost
    assert lost.errno == errno.ENOTCONN, lost  # was ENODEV, against its words
    summary = report.job.destinations[0]
    assert summary.lost and summary.lost_at is not None, summary
    # When the cascade first found it gone, before the slow copies it could not feed failed
    # (it was the end of the batch, after them all).
    assert len(sink.failed_at) == 3, sink.failed_at
    assert summary.lost_at <= min(sink.failed_at), (summary.lost_at, sink.failed_at)


def test_a_fast_drive_that_answers_again_is_not_lost_and_its_copy_says_reconnect(
    tmpfs_mount: Callable[..., Mount], faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The copy ``a0.mov`` and then the copy root fail one ``stat`` each with ENOTCONN, then
    answer: the cascade fails that copy (its drive did not answer: keep the card,
    reconnect), but at its end the drive is there, on its filesystem: not LOST. No test
    covered this ("still gone" in ``cascade._declare_gone``)."""
    card = tmpfs_card(tmpfs_mount, 3, 50_000)
    fast, slow = faulty_fs(), faulty_fs()

    def one_bad_look() -> None:
        time.sleep(1.2)  # the kernel's cached attributes (1 s) expired: each stat is asked
        fast.fail("getattr", errno.ENOTCONN, path="C9/a0.mov", times=1)
        fast.fail("getattr", errno.ENOTCONN, path="C9", times=1)

    sink = _AtRelease(one_bad_look, watched=1)
    report = offload(
        card,
        [fast.mountpoint, slow.mountpoint],
        options=OffloadOptions(cascade=frozenset({1})),
        sink=sink,
    )
    assert sink.lost == [], sink.lost
    assert not report.job.destinations[0].lost, report.job.destinations[0]
    bad = next(f for f in report.job.files if f.relative_path == "a0.mov")
    copy, fed = bad.destination(0), bad.destination(1)
    assert copy is not None and fed is not None
    assert copy.status is DestinationStatus.FAILED, copy
    assert "reconnect that drive" in (copy.error or ""), copy.error
    assert fed.status is DestinationStatus.FAILED and "reconnect" in (fed.error or ""), fed
    others = [f for f in report.job.files if f.relative_path != "a0.mov"]
    assert all(f.ok for f in others), [f.destinations for f in others]


def test_a_fast_drive_pulled_while_the_cascade_reads_it_is_never_said_the_card(
    tmp_path: Path,
    tmpfs_mount: Callable[..., Mount],
    ext4_loop: Callable[..., Ext4Loop],
    faulty_fs: Callable[..., FaultyFS],
) -> None:
    """The fast drive (ext4) detached (``umount -l``) once the cascade is reading it, the
    slow drive's first write held meanwhile: the copies the cascade had not opened yet
    cannot be read, and each is announced failed at once (``FileFailed``: the ``--json``
    ``file_failed`` lines, the live view) in the report's words, the fast copy's drive
    gone, never the card's. Failed before: "source .../ext4-0/C9/a14.mov was on the card
    when it was scanned and is gone now (deleted, or the card changed or was pulled):
    unless it was deleted on purpose, put it, or the right card, back" (the source is the
    fast copy; the card was released and may be formatted)."""
    drives = cascade_drives(tmp_path, tmpfs_mount, ext4_loop, faulty_fs, files=20, size=1 << 20)

    def pull_while_read() -> None:
        drives.slow.wait_stalled(drives.stalled, timeout_s=30)  # the cascade is under way
        detach(drives.fast.path)
        drives.slow.release(drives.stalled)

    sink = _AtRelease(lambda: threading.Thread(target=pull_while_read).start(), watched=1)
    offload(
        drives.card,
        [drives.fast.path, drives.slow.mountpoint],
        options=OffloadOptions(cascade=frozenset({1})),
        sink=sink,
    )
    unread = [f for f in sink.failures if f.destination_index == -1]
    assert unread, sink.failures  # the cascade's own reads failed (not only its planning)
    gone = f"the drive holding {drives.fast.path / 'C9'} is not reachable"
    for failed in sink.failures:
        assert "on the card" not in failed.message and "card back" not in failed.message, failed
    root = drives.fast.path / "C9"
    for failed in unread:
        assert failed.message.startswith(
            f"{failed.relative_path}: not cascaded: its fast copy in {root} could not be "
            f"read, {gone}"
        ), failed
