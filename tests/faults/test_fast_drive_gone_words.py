"""A cascade's fast drive that stops answering at ``CARD RELEASED`` (its FUSE daemon killed:
ENOTCONN, a cable pulled), or that fails one look and then answers again (a drive that
came back), in process: the events the cascade sends are read as they come.

Failed before: the drive lost was said with ENOTCONN's words and ENODEV's errno (the copy
root's classification's), and its ``lost_at`` was the end of the cascade's batch and its
retries, after every failure of its loss."""

from __future__ import annotations

import errno
import time
from collections.abc import Callable

import pytest

from offload.card import OffloadOptions, offload
from offload.events import CardReleased, DestinationLost, Event, FileFailed
from offload.results import DestinationStatus
from support.cascade_drives import tmpfs_card
from support.faultyfs import FaultyFS
from support.mounts import Mount

pytestmark = pytest.mark.fault


class _AtRelease:
    """Calls *act* at ``CardReleased``; keeps each ``DestinationLost`` and the time of each
    ``FileFailed`` on destination *watched*."""

    accepts = None

    def __init__(self, act: Callable[[], object], watched: int) -> None:
        self.act, self.watched = act, watched
        self.lost: list[DestinationLost] = []
        self.failed_at: list[float] = []

    def emit(self, event: Event) -> None:
        if isinstance(event, CardReleased):
            self.act()
        elif isinstance(event, DestinationLost):
            self.lost.append(event)
        elif isinstance(event, FileFailed) and event.destination_index == self.watched:
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
