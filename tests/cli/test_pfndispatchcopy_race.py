"""Two real ``pfndispatchcopy`` processes racing on one target (README: a dispatcher may run
several copies into one folder at once), made deterministic on FaultyFS: the first one's
fsync of its written partial is held until the second has run to its end, so the first
reads its copy back, finds it good and finds the name taken at its publish alone. (Not its
rename held: the kernel holds the folder's lock through a rename, so the second would wait
for it.)"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from offload.api import copy_with_multiple_destinations
from offload.engine.taken import spelled_otherwise
from offload.events import Event, JobStarted
from offload.results import CopyAction, DestinationStatus, JobReport
from support.faultyfs import FaultyFS
from support.mounts import ExfatLoop
from support.pfn import other_lines

EXE = Path(sys.executable).with_name("pfndispatchcopy")
SIZE = 3 * 1024 * 1024 + 5


def _race(
    fs: FaultyFS,
    source: Path,
    winner_source: Path,
    *,
    fsyncdir_fails: bool = False,
    after_winner: Callable[[], None] = lambda: None,
    loser_options: tuple[str, ...] = (),
    meanwhile: Callable[[], None] = lambda: None,
    released: Callable[[], None] = lambda: None,
    started: Callable[[int], None] = lambda pid: None,
) -> tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str], Path]:
    """The loser (*source*, with *loser_options*) held at the fsync of its partial of
    ``p/clip.mov`` (its source read whole by then) while *meanwhile* is done and the winner
    (*winner_source*) copies to that target whole; then the loser let go (with every folder
    fsync failing from then on when *fsyncdir_fails*; *after_winner* done before) and
    *released* done while it runs on; *started* given the loser's pid.
    Both processes' outcomes."""
    target = fs.mountpoint / "p" / "clip.mov"
    target.parent.mkdir()
    # The loser's partial's fsync, once: not the winner's.
    held = fs.stall("fsync", path="p/.offload-partial.*", times=1)
    argv = [str(EXE), "-v", "-t", "xxh64be"]
    loser = subprocess.Popen(
        [*argv, *loser_options, str(source), str(target)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    started(loser.pid)
    try:
        fs.wait_stalled_while_working(held, loser, quiet_s=30.0)
        meanwhile()
        winner = subprocess.run(
            [*argv, str(winner_source), str(target)], capture_output=True, text=True, timeout=120
        )
        after_winner()
        if fsyncdir_fails:
            fs.fail("fsyncdir", errno.EIO)
    except BaseException:
        loser.kill()
        raise
    finally:
        fs.release(held)
    try:
        released()
    except BaseException:
        loser.kill()
        raise
    out, err = loser.communicate(timeout=120)
    assert fs.fired(held) == 1
    return subprocess.CompletedProcess(loser.args, loser.returncode, out, err), winner, target


def _no_partials(folder: Path) -> None:
    assert [p.name for p in folder.iterdir()] == ["clip.mov"]


def _race_with_fault(
    tmp_path: Path, fs: FaultyFS, op: str, error: int, winner_source: Path | None = None
) -> tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str], Path, str]:
    """``_race`` of a fresh ``clip.mov`` (the winner copying *winner_source*, or the same
    file), *op* on the file at the name failing with *error* from the moment the winner is
    done; the two outcomes, the target and that rule's id."""
    source = tmp_path / "clip.mov"
    if not source.exists():
        source.write_bytes(os.urandom(SIZE))
    rules: list[str] = []
    loser, winner, target = _race(
        fs,
        source,
        winner_source or source,
        after_winner=lambda: rules.append(fs.fail(op, error, path="p/clip.mov")),
    )
    return loser, winner, target, rules[0]


def _no_hash_line(done: subprocess.CompletedProcess[str]) -> None:
    """*done* printed no hash line: nothing it copied or kept was verified."""
    assert not any(line.startswith("hash ") for line in done.stdout.splitlines()), done.stdout


def _refused_as_taken(
    winner: subprocess.CompletedProcess[str], loser: subprocess.CompletedProcess[str]
) -> None:
    """The winner verified; the loser refused the file at the name ("already exists", exit
    2), kept nothing and printed no hash line."""
    assert winner.returncode == 0, winner.stderr
    assert loser.returncode == 2, loser.stderr
    assert "already exists" in loser.stderr and "already holds" not in loser.stdout
    _no_hash_line(loser)


def test_two_copies_of_one_source_to_one_target_at_once_both_verify(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """QA pfn: the copy that found the name taken at its publish exited 2, "already exists
    ... (or a name differing only by case); not overwritten", though the file there was
    exactly the source. Now it reads that file back, compares it with its own digests of
    the source and keeps it: exit 0, its hash line, -v's "already holds this file" line.
    Failed before (exit 2)."""
    source = tmp_path / "clip.mov"
    source.write_bytes(os.urandom(SIZE))
    loser, winner, target = _race(faulty_fs(), source, source)
    assert winner.returncode == 0, winner.stderr
    assert loser.returncode == 0, loser.stderr
    # Said of its copy as the winner says of its own (FUSE: read back through a cache).
    assert other_lines(loser.stderr) == other_lines(winner.stderr), winner.stderr
    lines = loser.stdout.splitlines()
    kept = [line for line in lines if line.startswith(f"INFO: {target} already holds this")]
    assert len(kept) == 1 and kept[0].endswith(" (kept)"), loser.stdout
    hashes = [line for line in lines if line.startswith("hash ")]
    assert hashes == [line for line in winner.stdout.splitlines() if line.startswith("hash ")]
    assert len(hashes) == 1, loser.stdout
    assert target.read_bytes() == source.read_bytes()
    _no_partials(target.parent)


def test_a_file_unlike_the_source_that_took_the_name_meanwhile_is_refused_untouched(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Another file of the same size took the name while this copy was written: refused as
    before (exit 2: no destination has the copy), that file untouched, this run's partial
    removed; on a case-sensitive filesystem no word of a name differing by case (said
    before on every local filesystem)."""
    source = tmp_path / "clip.mov"
    source.write_bytes(os.urandom(SIZE))
    other = tmp_path / "other" / "clip.mov"
    other.parent.mkdir()
    other.write_bytes(os.urandom(SIZE))
    loser, winner, target = _race(faulty_fs(), source, other)
    assert winner.returncode == 0, winner.stderr
    assert loser.returncode == 2, loser.stderr
    errors = [line for line in other_lines(loser.stderr) if line.startswith("ERROR: ")]
    assert any("already exists" in line for line in errors), loser.stderr
    assert "differing only by case" not in loser.stderr, loser.stderr
    _no_hash_line(loser)
    assert target.read_bytes() == other.read_bytes()
    _no_partials(target.parent)


def test_a_source_changed_after_this_run_read_it_proves_nothing_of_the_file_there(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The source rewritten (same size) once this run had read it, and the other copy made
    of it as it is now: the file at the name is the source as it is now, not what this run
    read and wrote. Compared with this run's own digests it differs: refused (exit 2), that
    file untouched. (A second read of the source, as the reverted fix of this race made,
    would have found them equal and called this run's copy verified.)"""
    source = tmp_path / "clip.mov"
    first = os.urandom(SIZE)
    source.write_bytes(first)
    now = os.urandom(SIZE)
    loser, winner, target = _race(
        faulty_fs(),
        source,
        source,
        loser_options=("--verify", "destination"),  # no second read of its own either
        meanwhile=lambda: source.write_bytes(now),
    )
    _refused_as_taken(winner, loser)
    assert target.read_bytes() == now
    _no_partials(target.parent)


def test_a_failed_folder_fsync_after_the_race_fails_the_copy_never_verified(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The file the other copy published there is this very file, but the folder's fsync
    (the name made durable) fails with EIO: the copy fails, never called verified (a
    reverted fix of this race called it verified, exit 0)."""
    source = tmp_path / "clip.mov"
    source.write_bytes(os.urandom(SIZE))
    loser, winner, target = _race(faulty_fs(), source, source, fsyncdir_fails=True)
    assert winner.returncode == 0, winner.stderr
    assert loser.returncode == 2, loser.stderr
    assert "fsync" in loser.stderr and "already holds" not in loser.stdout, loser.stderr
    _no_hash_line(loser)
    _no_partials(target.parent)


def test_a_failed_folder_fsync_with_its_own_copy_at_the_name_is_a_failure(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """No race: this run's own copy published, same size and content at the name, then
    its folder's fsync fails (EIO): a failure (exit 2), never verified (the reverted fix
    read the file there back and called it verified)."""
    fs = faulty_fs()
    source = tmp_path / "clip.mov"
    source.write_bytes(os.urandom(SIZE))
    target = fs.mountpoint / "clip.mov"
    fs.fail("fsyncdir", errno.EIO)
    done = subprocess.run(
        [str(EXE), "-v", str(source), str(target)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2, done.stderr
    assert "fsync" in done.stderr and "already holds" not in done.stdout, done.stderr
    _no_hash_line(done)


def test_the_refusal_names_another_spelling_only_where_the_folder_lists_one(
    tmp_path: Path, exfat_loop: Callable[..., ExfatLoop]
) -> None:
    """The refusal's words for the name in the way (``engine/taken.spelled_otherwise``): on
    exFAT (names folded) a ``CLIP.MOV`` in the way of ``clip.mov`` is named; the name itself
    there, on exFAT or on this case-sensitive disk, is no other spelling."""
    folded = exfat_loop().path
    (folded / "CLIP.MOV").write_bytes(b"x")
    assert spelled_otherwise(folded / "clip.mov") == "CLIP.MOV"
    assert spelled_otherwise(folded / "CLIP.MOV") is None
    (tmp_path / "clip.mov").write_bytes(b"x")
    assert spelled_otherwise(tmp_path / "clip.mov") is None
    assert spelled_otherwise(tmp_path / "none" / "clip.mov") is None  # cannot list: no words


def _copy_raced_at_start(source: Path, target: Path, other: Path, other_target: Path) -> JobReport:
    """``copy_with_multiple_destinations(source, [target])`` whose sink, at ``JobStarted``
    (sent before the job's threads start, after the API's own look at the name), runs a
    real ``pfndispatchcopy other other_target`` to its end (asserted exit 0)."""
    others: list[subprocess.CompletedProcess[str]] = []

    class OtherCopyAtStart:
        def emit(self, event: Event) -> None:
            if isinstance(event, JobStarted):
                others.append(
                    subprocess.run(
                        [str(EXE), str(other), str(other_target)],
                        capture_output=True,
                        text=True,
                        timeout=120,
                    )
                )

    report = copy_with_multiple_destinations(source, [target], sink=OtherCopyAtStart())
    assert [done.returncode for done in others] == [0], others
    return report


def test_a_copy_published_before_the_writer_looked_at_the_name_is_kept_too(
    tmp_path: Path,
) -> None:
    """Review of the race's fix: the other copy published after the API's own look at the
    name (``lexists``: nothing there) and before the destination's writer looked (FAIL: a
    name taken refused before a byte is written): refused, exit 2, though the file there is
    exactly the source. Now that look is left to the publish, without replacing, and the
    file there is read back and kept. Failed before (refused: "already exists")."""
    source = tmp_path / "clip.mov"
    source.write_bytes(os.urandom(SIZE))
    target = tmp_path / "p" / "clip.mov"
    target.parent.mkdir()
    report = _copy_raced_at_start(source, target, source, target)
    result = report.files[0].destinations[0]
    assert report.exit_code == 0, result.error
    assert (result.status, result.action) == (DestinationStatus.VERIFIED, CopyAction.ADOPTED)
    assert target.read_bytes() == source.read_bytes()
    _no_partials(target.parent)


def test_a_file_replaced_at_the_name_while_it_is_read_back_is_refused(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The other copy published this very file, but while this run reads it back another
    file of the same size replaces it at the name: what was read is no longer the file
    there. Refused (exit 2), never "verified (kept)" (``taken.read_taken``'s check of the
    file before and after the read; no test failed without it before)."""
    fs = faulty_fs()
    source = tmp_path / "clip.mov"
    source.write_bytes(os.urandom(SIZE))
    stranger = fs.backing / "stranger"
    stranger.write_bytes(os.urandom(SIZE))
    reading = fs.stall("read", path="p/clip.mov", times=1)

    def replace_while_read() -> None:
        fs.wait_stalled(reading, timeout_s=60.0)
        os.replace(stranger, fs.backing / "p" / "clip.mov")
        fs.release(reading)

    loser, winner, target = _race(fs, source, source, released=replace_while_read)
    _refused_as_taken(winner, loser)
    assert target.read_bytes() != source.read_bytes()
    _no_partials(target.parent)


def test_an_io_error_reading_the_file_at_the_name_is_said_not_hidden(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The file the other copy published cannot be read back (EIO): the refusal said only
    "already exists ...; not overwritten: --overwrite replaces it", nothing of the I/O error
    (advice to overwrite a file on a failing drive). Now it says that the file there cannot
    be read back, and why, as for a copy already there. Failed before (no word of it)."""
    fs = faulty_fs()
    source = tmp_path / "clip.mov"
    source.write_bytes(os.urandom(SIZE))
    unreadable = fs.fail("read", errno.EIO, path="p/clip.mov")
    loser, winner, target = _race(fs, source, source)
    assert winner.returncode == 0, winner.stderr
    assert loser.returncode == 2, loser.stderr
    assert fs.fired(unreadable) >= 1
    errors = [line for line in other_lines(loser.stderr) if line.startswith("ERROR: ")]
    assert any(
        "already exists" in line and "cannot be read back (Input/output error (EIO))" in line
        for line in errors
    ), loser.stderr
    assert "--overwrite" not in loser.stderr and "already holds" not in loser.stdout
    _no_hash_line(loser)
    _no_partials(target.parent)


def test_a_file_gone_since_the_publish_found_it_is_not_said_to_exist(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The name taken at the publish, but the look at the file there finds it gone (ENOENT):
    the refusal said it "already exists ... and cannot be read back (ENOENT); not
    overwritten: check that drive", false of a free name. Now it says the file is gone since
    and that the same command run again copies it (failed before)."""
    fs = faulty_fs()
    loser, winner, target, rule = _race_with_fault(tmp_path, fs, "getattr", errno.ENOENT)
    assert winner.returncode == 0, winner.stderr
    assert loser.returncode == 2, loser.stderr
    assert fs.fired(rule) >= 1
    fs.remove(rule)
    errors = [line for line in other_lines(loser.stderr) if line.startswith("ERROR: ")]
    assert any(
        "was taken on destination" in line
        and "and is gone since (No such file or directory (ENOENT))" in line
        and "the same command run again copies it" in line
        for line in errors
    ), loser.stderr
    assert "already exists" not in loser.stderr and "check that drive" not in loser.stderr
    _no_hash_line(loser)
    _no_partials(target.parent)


def test_the_kept_file_is_fsynced_and_its_failure_fails_the_copy(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The file the other copy published is this very file, but its own fsync fails (EIO:
    the other writer need not have synced it, -noflush_dest or another tool): the copy
    fails, never verified. Before, only its folder was fsynced: exit 0, "(kept)"."""
    fs = faulty_fs()
    loser, winner, target, rule = _race_with_fault(tmp_path, fs, "fsync", errno.EIO)
    assert winner.returncode == 0, winner.stderr
    assert loser.returncode == 2, loser.stderr
    assert fs.fired(rule) == 1
    assert "fsync" in loser.stderr and "already holds" not in loser.stdout, loser.stderr
    _no_hash_line(loser)
    _no_partials(target.parent)


def test_the_kept_file_is_fsynced_before_it_is_read_back(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The file the other copy published is read back only once fsynced: read first (no
    O_DIRECT on FUSE), it could come from the cache of a writer that never synced it. It
    was fsynced after the read (failed before)."""
    fs = faulty_fs()
    source = tmp_path / "clip.mov"
    source.write_bytes(os.urandom(SIZE))
    loser, winner, _ = _race(fs, source, source, after_winner=lambda: fs.oplog(clear=True) and None)
    assert (winner.returncode, loser.returncode) == (0, 0), loser.stderr
    ops = [op.op for op in fs.oplog() if op.path.lstrip("/") == "p/clip.mov"]
    assert "fsync" in ops and "read" in ops, ops
    assert ops.index("fsync") < ops.index("read"), ops


def test_a_cancel_while_the_file_at_the_name_is_read_back_stops_that_read(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Ctrl-C (SIGINT) while the losing copy reads back the file the other copy published:
    that read stops at its next chunk (a 100 GB clip read to its end ignored Ctrl-C), the
    copy cancelled (exit 130), never "kept"."""
    fs = faulty_fs()
    source = tmp_path / "clip.mov"
    source.write_bytes(os.urandom(SIZE))
    reading = fs.stall("read", path="p/clip.mov", times=1)
    loser_pid: list[int] = []

    def interrupt_while_read() -> None:
        fs.wait_stalled(reading, timeout_s=60.0)
        os.kill(loser_pid[0], signal.SIGINT)
        time.sleep(1.0)  # the signal taken (main thread: milliseconds), the cancel set
        fs.release(reading)

    loser, winner, target = _race(
        fs,
        source,
        source,
        loser_options=("-b", str(1024 * 1024)),  # a read of several chunks
        started=loser_pid.append,
        released=interrupt_while_read,
    )
    assert winner.returncode == 0, winner.stderr
    assert loser.returncode == 130, loser.stderr
    assert "already holds" not in loser.stdout
    _no_hash_line(loser)
    assert target.read_bytes() == source.read_bytes()


def test_a_file_rewritten_in_place_while_it_is_read_back_is_refused(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The other copy published this very file; while this run reads it back, its first
    bytes, already read, are rewritten in place (same file, same size): what was read is
    no longer what the name holds. Refused (exit 2). The check compared the inode alone
    before and after the read: exit 0, "(kept)", failed before."""
    fs = faulty_fs()
    source = tmp_path / "clip.mov"
    source.write_bytes(os.urandom(SIZE))
    reading = fs.stall("read", path="p/clip.mov", offset=2 * 1024 * 1024, times=1)
    stored = fs.backing / "p" / "clip.mov"

    def rewrite_while_read() -> None:
        fs.wait_stalled(reading, timeout_s=60.0)
        with stored.open("r+b") as file:  # in place: the same inode
            file.write(os.urandom(4096))
        fs.release(reading)

    loser, winner, target = _race(
        fs,
        source,
        source,
        loser_options=("-b", str(1024 * 1024)),  # a read of several chunks
        released=rewrite_while_read,
    )
    _refused_as_taken(winner, loser)
    assert stored.read_bytes() != source.read_bytes()
    _no_partials(target.parent)


def test_the_kept_file_is_given_the_source_date(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The other copy published this very file with another date (its source had the same
    bytes, dated otherwise): kept, and given this run's source's date, as a copy already
    there is. Before, it kept the other's date (failed before)."""
    source = tmp_path / "clip.mov"
    source.write_bytes(os.urandom(SIZE))
    os.utime(source, ns=(1_600_000_000_000_000_000,) * 2)
    twin = tmp_path / "twin" / "clip.mov"
    twin.parent.mkdir()
    twin.write_bytes(source.read_bytes())
    loser, winner, target = _race(faulty_fs(), source, twin)
    assert (winner.returncode, loser.returncode) == (0, 0), loser.stderr
    assert "already holds this file" in loser.stdout
    assert target.stat().st_mtime_ns == source.stat().st_mtime_ns
    _no_partials(target.parent)


def test_a_kept_file_whose_date_cannot_be_set_fails_the_copy(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The other copy published this very file with another date, and its date cannot be
    set (EROFS): not kept, the copy failed (exit 2) with the words saying the drive is
    read-only and what to do, no hash line (this branch had no test)."""
    fs = faulty_fs()
    source = tmp_path / "clip.mov"
    source.write_bytes(os.urandom(SIZE))
    os.utime(source, ns=(1_600_000_000_000_000_000,) * 2)
    twin = tmp_path / "twin" / "clip.mov"
    twin.parent.mkdir()
    twin.write_bytes(source.read_bytes())
    loser, winner, target, rule = _race_with_fault(tmp_path, fs, "utimens", errno.EROFS, twin)
    assert winner.returncode == 0, winner.stderr
    assert loser.returncode == 2, loser.stderr
    assert fs.fired(rule) >= 1
    errors = [line for line in other_lines(loser.stderr) if line.startswith("ERROR: ")]
    assert any(
        "already holds this file (read back: equal to the source), but its date is not the "
        "source's and cannot be set: its drive is read-only (EROFS)" in line
        for line in errors
    ), loser.stderr
    assert "already holds" not in loser.stdout
    _no_hash_line(loser)
    assert target.stat().st_mtime_ns == twin.stat().st_mtime_ns
    _no_partials(target.parent)


def test_a_third_copy_keeping_the_file_does_not_refuse_one_reading_it_back(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Three copies of one source to one target: while the loser reads back the file the
    winner published, a third copy finds that file there, reads it back and keeps it. Its
    keeping gave the file the date it already had (a utime all the same: a new ctime), and
    the loser, seeing the ctime change during its read, refused a file exactly the source
    (exit 2, "already exists ...; not overwritten"). Now a file dated already is not
    touched: both keep it (failed before)."""
    fs = faulty_fs()
    source = tmp_path / "clip.mov"
    source.write_bytes(os.urandom(SIZE))
    reading = fs.stall("read", path="p/clip.mov", times=1)
    thirds: list[subprocess.CompletedProcess[str]] = []

    def third_copy_while_read() -> None:
        fs.wait_stalled(reading, timeout_s=60.0)
        argv = [str(EXE), "-v", "-t", "xxh64be", str(source), str(fs.mountpoint / "p/clip.mov")]
        try:
            thirds.append(subprocess.run(argv, capture_output=True, text=True, timeout=120))
        finally:
            fs.release(reading)

    loser, winner, target = _race(fs, source, source, released=third_copy_while_read)
    assert (winner.returncode, thirds[0].returncode) == (0, 0), thirds[0].stderr
    assert loser.returncode == 0, loser.stderr
    assert "already holds this file" in loser.stdout, loser.stdout
    assert target.read_bytes() == source.read_bytes()
    _no_partials(target.parent)


def test_a_name_spelled_otherwise_that_took_it_meanwhile_is_named(
    tmp_path: Path, exfat_loop: Callable[..., ExfatLoop]
) -> None:
    """exFAT (names folded): another file published as ``CLIP.MOV`` while this copy wrote
    ``clip.mov``: refused naming it (``as CLIP.MOV``), that file untouched, no partial left
    (the words were tested only on ``spelled_otherwise`` itself)."""
    folder = exfat_loop().path
    source = tmp_path / "clip.mov"
    source.write_bytes(os.urandom(SIZE))
    other = tmp_path / "other.mov"
    other.write_bytes(os.urandom(SIZE))
    report = _copy_raced_at_start(source, folder / "clip.mov", other, folder / "CLIP.MOV")
    result = report.files[0].destinations[0]
    assert (report.exit_code, result.status) == (2, DestinationStatus.FAILED), result
    assert f"clip.mov already exists on destination {folder} as CLIP.MOV;" in (
        result.error or ""
    ), result.error
    assert [p.name for p in folder.iterdir()] == ["CLIP.MOV"]
    assert (folder / "CLIP.MOV").read_bytes() == other.read_bytes()
