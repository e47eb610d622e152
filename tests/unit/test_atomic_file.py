"""``manifest.atomic.AtomicFile``: a cancel raised inside ``__enter__`` leaves nothing; a
temporary another host's clean-up removes before its claim is made anew."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from offload.manifest import atomic


def _open_descriptors() -> set[int]:
    return {int(name) for name in os.listdir("/proc/self/fd")}


def test_a_cancel_landing_in_the_claim_closes_the_descriptor_and_removes_the_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A signal's KeyboardInterrupt raised once the temporary is open, while its claim is
    taken: no ``__exit__`` runs for a failed ``__enter__``, so ``__enter__`` itself closes the
    descriptor and removes the file. Before, the file went but the descriptor stayed open."""

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic, "_claim", interrupted)
    before = _open_descriptors()
    with pytest.raises(KeyboardInterrupt), atomic.AtomicFile(tmp_path / "A001.mhl"):
        pass
    assert _open_descriptors() == before
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
@pytest.mark.timeout(60)
def test_a_temporary_removed_by_another_hosts_clean_up_before_its_claim_is_made_anew(
    tmp_path: Path,
) -> None:
    """A real writer process (``write_file_atomically``, its first ``flock`` held back 1 s at
    its entry by strace: the instant between its temporary's ``open`` and its claim, made
    wide) and a clean-up of that folder on "another host" (this process: the writer's pid
    means nothing to it), which takes the temporary's exclusive lock while it is unclaimed
    and unlinks it, as ``remove_unclaimed`` does, and holds the lock past the writer's
    ``flock`` (a slow share). The
    writer waits for the lock (``destinations.claim``'s contract), finds its temporary
    gone, makes a new one, and publishes its file whole. Failed before: its non-blocking
    ``flock`` failed unnoticed, it wrote on unclaimed into the unlinked file, and its rename
    failed (ENOENT): no file."""
    final = tmp_path / "A001_2026-01-01_000000Z.json"
    trace = tmp_path / "trace"
    writer = subprocess.Popen(
        [
            *("strace", "-f", "-qq", "-o", str(trace), "-e", "trace=flock"),
            *("-e", "inject=flock:delay_enter=1000000:when=1"),
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; "
            "from offload.manifest.atomic import write_file_atomically; "
            "write_file_atomically(Path(sys.argv[1]), b'the report', replace=False)",
            str(final),
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        temporaries: list[Path] = []
        while not temporaries and time.monotonic() < deadline and writer.poll() is None:
            temporaries = list(tmp_path.glob(".A001_*.partial"))
        assert len(temporaries) == 1, (temporaries, writer.poll())
        fd = os.open(temporaries[0], os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # unclaimed: granted at once
            os.unlink(temporaries[0])
            time.sleep(1.5)  # held on: the writer's flock is made meanwhile, and waits
        finally:
            os.close(fd)  # and with it the exclusive lock
        _, err = writer.communicate(timeout=30)
    finally:
        writer.kill()
        writer.wait()
    assert writer.returncode == 0, err
    assert final.read_bytes() == b"the report"
    assert not list(tmp_path.glob(".A001_*.partial"))
    assert trace.read_text().count("flock(") >= 2, trace.read_text()  # it claimed a new one


def test_own_temp_files_are_this_process_s_only_and_a_failed_look_is_said(
    tmp_path: Path,
) -> None:
    """``own_temp_files``: this process's temporaries by the pid in the name (another
    process's, or a name that only contains our pid, are not), and where the folder cannot
    be listed the error, never an empty look taken for "none left"."""
    ours = tmp_path / atomic.temp_name("0002_A001.mhl")
    ours.write_bytes(b"x")
    other_pid = os.getpid() + 1
    (tmp_path / f".0002_A001.mhl.{other_pid}.0123abcd.partial").write_bytes(b"x")
    (tmp_path / f".0002_A001.{os.getpid()}.mhl.{other_pid}.0123abcd.partial").write_bytes(b"x")
    (tmp_path / "0001_A001.mhl").write_bytes(b"x")

    assert atomic.own_temp_files(tmp_path) == atomic.StaleTemps([ours], None)
    assert atomic.own_temp_files(tmp_path / "gone") == atomic.StaleTemps([], None)
    found = atomic.own_temp_files(tmp_path / "0001_A001.mhl")  # not a folder: ENOTDIR
    assert found.paths == [] and isinstance(found.unlisted, NotADirectoryError)
