"""``claim.remove_unclaimed`` on a FUSE mount whose daemon dies while the unlink is held
(review of stop65, L6): it never raises, as its contract says. Before, the close of its
probe's descriptor raised ENOTCONN out of it (a traceback from ``pfndispatchcopy``'s sweep).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from offload.destinations.claim import remove_unclaimed
from tests.support.faultyfs import FaultyFS


@pytest.mark.fault
def test_remove_unclaimed_never_raises_when_the_mount_dies(
    faulty_fs: Callable[..., FaultyFS],
) -> None:
    drive = faulty_fs()
    partial = drive.mountpoint / ".offload-partial.abcdef1.clip.mov"
    partial.write_bytes(b"left by a killed copy")
    held = drive.stall("unlink", path="*.offload-partial.*")
    outcome: list[object] = []
    failed: list[tuple[str, OSError]] = []

    def remove() -> None:
        try:
            outcome.append(remove_unclaimed(str(partial), failed))
        except BaseException as exc:  # what the test looks for
            outcome.append(exc)

    worker = threading.Thread(target=remove)
    worker.start()
    try:
        drive.wait_stalled(held, timeout_s=30)
    finally:
        drive.kill()  # the drive gone while the unlink is held
    worker.join(timeout=30)
    assert outcome == [False], outcome
    assert [path for path, _ in failed] == [str(partial)]
