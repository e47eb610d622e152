"""The partial sweep of ``pfndispatchcopy`` (and ``offload copy``) where no claim can be
asked (a FaultyFS mount whose ``flock`` fails ENOLCK, as NFSv3 without lockd): a live
copy's partial is not removed by a second run, however old the date it carries.

Review of stop65 (M1): the age rule read ``st_mtime``, and ``preserve_mtime`` stamps the
source's date (2 days old here) on the partial before its read-back, so a second run took
the live partial for one an interrupted copy left 2 days ago and removed it; the first run
then failed its rename (ENOENT, exit 2). Now a partial is aged by the later of its mtime
and ctime (the stamp itself sets ctime to now)."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from subprocess import PIPE

import pytest

from tests.support.faultyfs import FaultyFS
from tests.support.mounts import Mount

PFN = str(Path(sys.executable).with_name("pfndispatchcopy"))
SIZE = 2_000_000
TWO_DAYS = 2 * 24 * 3600


@pytest.mark.fault
def test_a_live_partial_with_the_sources_old_date_is_kept(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    source = tmp_path / "clip.mov"
    source.write_bytes(os.urandom(SIZE))
    old = time.time() - TWO_DAYS
    os.utime(source, (old, old))
    drive = faulty_fs(no_flock=True)
    target = drive.mountpoint / "clip.mov"
    # Run A's first read on the mount: the read-back of its partial, its date stamped.
    held = drive.stall("read", path="*clip.mov", times=1)
    first = subprocess.Popen(
        [PFN, "-v", str(source), str(target)], stdout=PIPE, stderr=PIPE, text=True
    )
    try:
        drive.wait_stalled_while_working(held, first, quiet_s=30.0)  # type: ignore[arg-type]
        [partial] = [p for p in drive.mountpoint.iterdir() if p.name.startswith(".offload-")]
        assert partial.stat().st_mtime < time.time() - TWO_DAYS + 60  # the source's date
        second = subprocess.run(
            [PFN, "-v", str(source), str(target)], capture_output=True, text=True, timeout=120
        )
        assert partial.exists(), second.stderr  # the live copy's: kept
    finally:
        drive.release(held)
    _, err = first.communicate(timeout=120)
    said = " ".join(second.stderr.split())
    assert "removed 1 partial file" not in said, said
    assert f"WARNING: kept {partial}, a partial file of {target}: no lock can be asked" in said
    assert f"rm -- {partial}" in said, said
    assert first.returncode == 0 or "already exists" in err, err
    assert "cannot rename" not in err, err
    assert target.read_bytes() == source.read_bytes()


@pytest.mark.fault
def test_a_drive_a_killed_copy_filled_is_swept_not_refused(
    tmp_path: Path, tmpfs_mount: Callable[..., Mount]
) -> None:
    """Review of stop65 (M2): an 8 MiB tmpfs holding a killed copy's 5 MB partial of
    ``clip.mov`` (unclaimed) refused the copy of a 5 MB ``clip.mov`` for want of room
    ("has 3.4 MB free but the copy needs 5.0 MB", exit 2), the partial kept and not named,
    every re-run the same. Now the preflight counts the room the sweep gives back (as for
    ``offload copy``), the sweep removes the partial and says so, and the copy is made."""
    drive = tmpfs_mount(8 * 1024 * 1024)
    source = tmp_path / "clip.mov"
    source.write_bytes(os.urandom(5_000_000))
    left = Path(drive.path) / ".offload-partial.abcdef1.clip.mov"
    left.write_bytes(os.urandom(5_000_000))
    target = Path(drive.path) / "clip.mov"
    done = subprocess.run(
        [PFN, "-v", str(source), str(target)], capture_output=True, text=True, timeout=120
    )
    said = " ".join(done.stderr.split())
    assert done.returncode == 0, said
    assert not left.exists()
    assert f"WARNING: removed 1 partial file of {target} an interrupted copy left" in said
    assert target.read_bytes() == source.read_bytes()


def test_the_sweep_is_in_the_reports_warnings_and_said_once(tmp_path: Path) -> None:
    """Review of stop65 (L2): a library caller was told of the partials the sweep removed
    only by a WarningIssued event, never in ``report.warnings``. Now in both, and
    ``pfndispatchcopy`` says it once."""
    from offload.api import copy_with_multiple_destinations

    source = tmp_path / "clip.mov"
    source.write_bytes(os.urandom(100_000))
    dest = tmp_path / "dest"
    dest.mkdir()
    left = dest / ".offload-partial.abcdef1.clip.mov"
    left.write_bytes(b"left by a killed copy")
    report = copy_with_multiple_destinations(source, [dest / "clip.mov"])
    assert report.exit_code == 0
    assert not left.exists()
    [line] = [w for w in report.warnings if "partial file" in w]
    assert line.startswith(f"removed 1 partial file of {dest / 'clip.mov'} an interrupted"), line
    left.write_bytes(b"left by a killed copy")
    (dest / "clip.mov").unlink()
    done = subprocess.run(
        [PFN, str(source), str(dest / "clip.mov")], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("removed 1 partial file") == 1, done.stderr


@pytest.mark.fault
def test_a_partial_that_cannot_be_opened_is_kept_with_its_cause(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Review of stop65 (L3): a partial whose open is refused (EACCES) was kept with the
    words "no lock can be asked on its drive", on a drive that keeps locks. Now its line
    names the cause, and still the ``rm`` command."""
    drive = faulty_fs()
    source = tmp_path / "clip.mov"
    source.write_bytes(os.urandom(100_000))
    left = drive.mountpoint / ".offload-partial.abcdef1.clip.mov"
    left.write_bytes(b"another user's")
    drive.fail("open", errno.EACCES, path=left.name)
    target = drive.mountpoint / "clip.mov"
    done = subprocess.run(
        [PFN, str(source), str(target)], capture_output=True, text=True, timeout=120
    )
    said = " ".join(done.stderr.split())
    assert done.returncode == 0, said
    assert left.exists()
    assert (
        f"WARNING: kept {left}, a partial file of {target}: it cannot be opened to ask its "
        "lock (Permission denied (EACCES))" in said
    ), said
    assert "no lock can be asked" not in said, said
    assert f"rm -- {left}" in said, said
