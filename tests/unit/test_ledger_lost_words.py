"""How a copy root the ledger saw is said lost (``ledger.lost_error_of``), on real folders."""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Callable
from pathlib import Path

from offload.ledger import lost_error_of
from support.faultyfs import FaultyFS


def test_a_root_on_another_filesystem_now_went_away_never_unmounted_or_pulled(
    tmp_path: Path,
) -> None:
    """A drive re-plugged at its path comes back with a new device number: the root is
    there, on another filesystem than the one seen. Failed before: "(its drive unmounted or
    pulled?)", false for a drive that is mounted there again."""
    root = tmp_path / "C9"
    root.mkdir()
    seen = os.stat("/proc").st_dev  # the filesystem the ledger saw: not tmp_path's
    assert seen != os.stat(root).st_dev
    error = lost_error_of(root, seen)
    assert error.errno == errno.ENODEV, error
    assert error.strerror == (
        f"the drive holding {root} is not reachable: the copy root is on another filesystem "
        "now (its drive went away during the run): reconnect it"
    ), error.strerror


def test_a_root_no_longer_there_keeps_unmounted_or_pulled(tmp_path: Path) -> None:
    root = tmp_path / "mnt" / "C9"  # its mount point gone with it
    error = lost_error_of(root, os.stat("/proc").st_dev, remedy=False)
    assert error.strerror == (
        f"the drive holding {root} is not reachable: the copy root is no longer there (its "
        "drive unmounted or pulled?)"
    ), error.strerror


def test_a_root_whose_drive_answers_an_io_error_is_never_said_no_longer_there(
    faulty_fs: Callable[..., FaultyFS],
) -> None:
    """A drive still mounted whose stat of the copy root fails EIO (a failing disk): said
    not to answer, with its error, never "no longer there (its drive unmounted or
    pulled?)". Failed before (QA qa70c L3, eio.out)."""
    drive = faulty_fs()
    root = drive.mountpoint / "C9"
    root.mkdir()
    seen = os.stat(drive.mountpoint).st_dev
    time.sleep(1.2)  # the kernel's cached attributes of C9 (1 s) expired: its stat is asked
    drive.fail("getattr", path="C9")
    error = lost_error_of(root, seen, remedy=False)
    assert error.strerror == (
        f"the drive holding {root} is not reachable: the copy root does not answer "
        "(Input/output error; its drive failing, or its connection lost?)"
    ), error.strerror
