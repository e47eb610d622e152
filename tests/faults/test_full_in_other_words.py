"""A destination that fills up and says so in other words (fusefat answers EPERM when full,
as its create, mkdir and write do): the failure is worded as a full drive, the error kept as
the filesystem gave it; and the copies the ledger could not record are said to be whole at
their names, read back by the next run, never "not completed" (they were).

Failed before: "cannot record .../ledger.jsonl: Operation not permitted (EPERM)" with no
remedy, each copy "not completed: the destination failed (...)"."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from faults.test_destination_faults import make_sources
from integration.test_field_filesystems import run as run_cli
from offload.card import EARLIER_KEPT, OffloadOptions, OffloadReport, offload
from offload.errors import destination_io_error
from offload.events import DestinationFull, DestinationLost
from offload.options import CopyOptions, ExistingFilePolicy
from offload.plan import PreflightCode
from offload.results import CopyAction, DestinationStatus
from support.event_log import EventLog
from support.faultyfs import FaultyFS
from support.mounts import Mount


def fill(folder: Path) -> Path:
    """Fill *folder*'s filesystem to its last byte; the filler's path."""
    filler = folder / "filler"
    with filler.open("wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError as exc:
            assert exc.errno in (errno.ENOSPC, errno.EPERM), exc
    return filler


def test_a_full_fusefat_drive_s_eperm_is_worded_as_full(
    fusefat_mount: Callable[..., Mount],
) -> None:
    drive = fusefat_mount(8 << 20).path
    fill(drive)
    try:
        (drive / "clip.mov").write_bytes(b"x" * 10_000)
    except OSError as exc:
        assert exc.errno == errno.EPERM  # fusefat's word for "full"
        error = destination_io_error(exc, "write", drive / "clip.mov", str(drive))
    else:
        raise AssertionError("fusefat took a write on a full drive")
    assert "Operation not permitted (EPERM)" in error.message
    assert "no free space is left there" in error.message
    assert "the destination is full: free space there" in error.message


def test_an_eperm_with_room_left_keeps_its_own_words(tmp_path: Path) -> None:
    error = destination_io_error(
        PermissionError(errno.EPERM, "Operation not permitted"),
        "write",
        tmp_path / "c",
        str(tmp_path),
    )
    assert "full" not in error.message


def test_a_fat32_drive_that_fills_says_it_may_be_full(
    tmp_path: Path, fusefat_mount: Callable[..., Mount]
) -> None:
    """fusefat on FAT32 reports a size of 0 blocks (the preflight warns its free space is
    unknown) and answers a full drive with EPERM: a copy onto one left ~2.5 MB free fails
    its last clips, each ERROR line saying the drive may be full, its free space unread;
    the other destination has every copy (exit 1). Failed before: "cannot write
    .../A001C00N.MOV: Operation not permitted (EPERM)", no remedy (QA, forty-fifth pass)."""
    drive = fusefat_mount(64 << 20, fat_bits=32).path
    assert os.statvfs(drive).f_blocks == 0  # what the words are for
    filler = fill(drive)
    os.truncate(filler, filler.stat().st_size - 2_500_000)
    card = tmp_path / "cards" / "A001"
    make_sources(card, 6, size=700_000)
    other = tmp_path / "other"
    other.mkdir()
    copied = run_cli("copy", "-q", "--report-dir", tmp_path / "r", card, drive, other)
    said = copied.stdout + copied.stderr
    assert copied.returncode == 1, said
    assert f"the free space of {drive} is unknown" in said, said
    failed = [x for x in said.splitlines() if x.startswith(f"ERROR: cannot write {drive}/")]
    assert failed, said
    for line in failed:
        assert line.count("Operation not permitted (EPERM); the drive may be full") == 1, line
        assert "its free space could not be read" in line, line
        assert "free space there (or choose a larger drive)" in line, line


def test_an_eperm_where_free_space_is_known_never_says_may_be_full(
    fusefat_mount: Callable[..., Mount],
) -> None:
    """On FAT16 fusefat reports its size: an EPERM there with room left is no full drive's
    (``full_in_other_words`` is False) and never "may be full" either."""
    drive = fusefat_mount(8 << 20).path
    assert os.statvfs(drive).f_blocks > 0
    error = destination_io_error(
        PermissionError(errno.EPERM, "Operation not permitted"), "write", drive / "c", str(drive)
    )
    assert "full" not in error.message, error.message


def test_copies_the_full_drive_s_ledger_could_not_record_are_said_whole_and_adopted_next(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], tmpfs_mount: Callable[..., Mount]
) -> None:
    card = tmp_path / "cards" / "A001"
    make_sources(card, 4, size=200_000)
    backing = tmpfs_mount(8 << 20).path
    fs = faulty_fs(backing=backing / "b")
    # The ledger's append held until the drive is full, then refused as fusefat refuses.
    rule = fs.stall("write", path="A001/.offload/ledger.jsonl", then_errno=errno.EPERM, times=1)
    done: list[OffloadReport] = []
    run = threading.Thread(target=lambda: done.append(offload(card, [fs.mountpoint])))
    run.start()
    fs.wait_stalled(rule, timeout_s=60)
    filler = fill(backing)
    fs.release(rule)
    run.join(120)
    (report,) = done
    assert report.exit_code == 2
    results = [f.destination(0) for f in report.job.files]
    for result in results:
        assert result is not None and result.status is DestinationStatus.FAILED
        assert result.error is not None and "not completed" not in result.error, result.error
        assert "copied to its name but not recorded" in result.error, result.error
        assert "the next run reads it back against the card" in result.error
        assert "the destination is full: free space there" in result.error, result.error
    for source in card.iterdir():
        assert (fs.mountpoint / "A001" / source.name).read_bytes() == source.read_bytes()
    os.unlink(filler)
    again = offload(card, [fs.mountpoint])
    assert again.exit_code == 0
    assert {f.destination(0).action for f in again.job.files} == {CopyAction.ADOPTED}  # type: ignore[union-attr]


def test_a_keep_both_copy_the_ledger_could_not_record_is_named_by_its_own_name(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Under ``--keep-both`` the copy is published as ``f0 (1).bin``: the failure of its
    ledger line names that file, not the other file at the planned name (of another size),
    and says truly that the next run with --keep-both reads it back. Failed before:
    "<...>/f0.bin copied to its name but not recorded ... the next run reads it back", the
    result's path f0.bin."""
    card = tmp_path / "cards" / "A001"
    make_sources(card, 2)
    fs = faulty_fs(backing=tmp_path / "b")
    assert offload(card, [fs.mountpoint]).exit_code == 0
    (card / "f0.bin").write_bytes(os.urandom(20_000))  # another f0.bin: kept beside the first
    fs.fail("write", path="A001/.offload/ledger.jsonl", times=1)
    keep_both = OffloadOptions(copy=CopyOptions(existing=ExistingFilePolicy.KEEP_BOTH))
    report = offload(card, [fs.mountpoint], options=keep_both)
    result = next(f for f in report.job.files if f.relative_path == "f0.bin").destination(0)
    beside = fs.mountpoint / "A001" / "f0 (1).bin"
    assert beside.read_bytes() == (card / "f0.bin").read_bytes()
    assert result is not None and result.status is DestinationStatus.FAILED
    assert result.final_path == str(beside), result.final_path
    assert result.error is not None and result.error.startswith(str(beside)), result.error
    assert result.action is CopyAction.COPIED
    assert "copied beside" in result.error, result.error
    assert "the next run with --keep-both reads it back" in result.error, result.error
    # As said: the next run recognises its own kept copy (the card file's size, read back
    # and found equal: adopted, recorded by its name) and writes no third one. Failed
    # before: it wrote "f0 (2).bin".
    again = offload(card, [fs.mountpoint], options=keep_both)
    assert again.exit_code == 0
    names = sorted(p.name for p in (fs.mountpoint / "A001").glob("f0*"))
    assert names == ["f0 (1).bin", "f0.bin"], names
    adopted = next(f for f in again.job.files if f.relative_path == "f0.bin").destination(0)
    assert adopted is not None and adopted.final_path == str(beside), adopted
    assert (adopted.status, adopted.action) == (DestinationStatus.VERIFIED, CopyAction.ADOPTED)
    # Its read-back digests are the report's, as any verified copy's.
    assert (
        adopted.digests
        and adopted.digests
        == next(f for f in again.job.files if f.relative_path == "f0.bin").inflight_digests
    )
    # Named in the KEPT BOTH line, as kept by an earlier run. Failed before: left out.
    (kept_line,) = [
        w.message for w in again.warnings if w.code is PreflightCode.EXISTING_KEPT_BESIDE
    ]
    assert f"f0.bin as {beside}{EARLIER_KEPT}" in kept_line, kept_line
    # Recorded now by its own name: the run after trusts it.
    third = offload(card, [fs.mountpoint], options=keep_both)
    trusted = next(f for f in third.job.files if f.relative_path == "f0.bin").destination(0)
    assert trusted is not None and trusted.action is CopyAction.TRUSTED, trusted
    assert trusted.final_path == str(beside), trusted


def test_a_read_back_eio_on_a_full_drive_keeps_the_drive_s_advice(
    tmpfs_mount: Callable[..., Mount],
) -> None:
    """A read-back (or a reach, a rename) asks for no room: its EIO on a drive the run just
    filled is the drive's or its cable's. Failed before: worded "the destination is full"."""
    drive = tmpfs_mount(1 << 20).path
    fill(drive)
    eio = OSError(errno.EIO, "Input/output error")
    for operation in ("read back", "reach", "rename"):
        error = destination_io_error(eio, operation, drive / "clip.mov", str(drive))
        assert "no free space" not in error.message, error.message
        assert "check the drive and its cable" in error.message, error.message
    written = destination_io_error(eio, "write", drive / "clip.mov", str(drive))
    assert "the destination is full: free space there" in written.message


def test_a_rename_s_eperm_on_a_full_drive_is_worded_as_full(
    tmpfs_mount: Callable[..., Mount],
) -> None:
    """On FAT/exFAT a longer name takes more directory entries, maybe a new cluster: a rename
    can ask for room, and fusefat says "full" with EPERM. Its EIO at a rename stays the
    drive's (above). Failed before: the EPERM at a rename on a full drive had no full
    drive's words."""
    drive = tmpfs_mount(1 << 20).path
    fill(drive)
    eperm = PermissionError(errno.EPERM, "Operation not permitted")
    error = destination_io_error(eperm, "rename", drive / "clip.mov", str(drive))
    assert "no free space is left there" in error.message, error.message
    assert "the destination is full: free space there" in error.message, error.message


def test_a_rewrite_that_fills_a_drive_answering_eperm_does_not_lose_it(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], tmpfs_mount: Callable[..., Mount]
) -> None:
    """``--reverify`` writes again a copy of ours found wrong; the drive fills as it does and
    answers as fusefat does (EPERM, its free space gone): the rewrite fails as on ENOSPC
    (``existing.settle_rewrites``), the drive not lost, the copies the run verified there
    standing. Failed before: the destination was reported lost (its EPERM not taken for
    full), though only the rewrite failed."""
    card = tmp_path / "cards" / "A001"
    make_sources(card, 3, size=200_000)
    backing = tmpfs_mount(8 << 20).path
    fs = faulty_fs(backing=backing / "b")
    assert offload(card, [fs.mountpoint]).exit_code == 0
    with (fs.mountpoint / "A001" / "f0.bin").open("r+b") as f:
        f.truncate(1000)  # found wrong by its size: written again by the rewrite job
    rule = fs.stall("write", path="A001/.offload-partial.*f0.bin", then_errno=errno.EPERM)
    reverify = OffloadOptions(copy=CopyOptions(), reverify=True)
    done: list[OffloadReport] = []
    log = EventLog()
    run = threading.Thread(
        target=lambda: done.append(offload(card, [fs.mountpoint], options=reverify, sink=log))
    )
    run.start()
    fs.wait_stalled(rule, timeout_s=60)
    filler = fill(backing)
    fs.release(rule)
    run.join(120)
    os.unlink(filler)
    (report,) = done
    assert not report.job.destinations[0].lost, report.job.destinations[0]
    results = {f.relative_path: f.destination(0) for f in report.job.files}
    rewrite = results.pop("f0.bin")
    assert rewrite is not None and rewrite.status is DestinationStatus.FAILED
    assert rewrite.error is not None and "the destination is full" in rewrite.error, rewrite
    assert "--overwrite replaces it" in rewrite.error, rewrite.error
    assert {r.status for r in results.values() if r is not None} == {DestinationStatus.VERIFIED}
    # As it happened: the drive said full (fusefat's errno), never lost.
    (full,) = [e for e in log.events if isinstance(e, DestinationFull)]
    assert (full.destination_index, full.errno) == (0, errno.EPERM), full
    assert "--overwrite replaces it" in full.message, full
    assert not [e for e in log.events if isinstance(e, DestinationLost)], log.events


def test_a_destination_lost_for_want_of_room_says_full_in_its_json_line(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], tmpfs_mount: Callable[..., Mount]
) -> None:
    """``--json``'s ``destination_lost`` of a drive that filled as fusefat does (EPERM, no
    free space left) carries ``full`` true and fusefat's errno (1)."""
    card = tmp_path / "cards" / "A001"
    make_sources(card, 3, size=200_000)
    backing = tmpfs_mount(8 << 20).path
    fs = faulty_fs(backing=backing / "b")
    rule = fs.stall("write", path="A001/.offload-partial.*f1.bin", then_errno=errno.EPERM)
    command = [str(Path(sys.executable).with_name("offload")), "copy", "--json"]
    command += [str(card), str(fs.mountpoint), "--report-dir", str(tmp_path / "reports")]
    run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    fs.wait_stalled(rule, timeout_s=60)
    filler = fill(backing)
    fs.release(rule)
    output, _ = run.communicate(timeout=120)
    os.unlink(filler)
    events = [json.loads(x) for x in output.splitlines() if x.startswith("{")]
    (lost,) = [e for e in events if e["event"] == "destination_lost"]
    assert lost["full"] is True and lost["errno"] == errno.EPERM, lost


def test_a_kept_name_of_the_card_file_s_size_found_different_is_kept_too(tmp_path: Path) -> None:
    """The control: ``f0 (1).bin`` of the card file's size but other content (another
    file, not our kept copy) is read back, found different and kept as it is; the new copy
    goes beside the file at the planned name, the first free name (``f0 (2).bin``), never
    beside the kept one (``f0 (1) (1).bin``)."""
    card = tmp_path / "cards" / "A001"
    (tmp_path / "D").mkdir()
    folder, other = _another_file_at_the_kept_name(card, tmp_path / "D")
    report = offload(card, [tmp_path / "D"], options=KEEP_BOTH)
    assert report.exit_code == 0
    assert (folder / "f0 (1).bin").read_bytes() == other
    assert (folder / "f0 (2).bin").read_bytes() == (card / "f0.bin").read_bytes()
    assert sorted(p.name for p in folder.glob("f0*")) == ["f0 (1).bin", "f0 (2).bin", "f0.bin"]


KEEP_BOTH = OffloadOptions(copy=CopyOptions(existing=ExistingFilePolicy.KEEP_BOTH))


def _another_file_at_the_kept_name(card: Path, destination: Path) -> tuple[Path, bytes]:
    """A card offloaded to *destination*, then another ``f0.bin`` on it (of 20,000 bytes:
    kept beside the first under --keep-both), and a file of that size but other content at
    ``f0 (1).bin`` there, dated as the card file (not our kept copy, though it looks like
    one by size and date): the copy's folder and that file's bytes."""
    make_sources(card, 2, size=10_000)  # f1.bin stays: the same card
    assert offload(card, [destination]).exit_code == 0
    folder = destination / card.name
    (card / "f0.bin").write_bytes(os.urandom(20_000))
    other = os.urandom(20_000)
    (folder / "f0 (1).bin").write_bytes(other)
    # Dated as the card file (as a kept copy of ours is): read back, not passed over.
    mtime_ns = (card / "f0.bin").stat().st_mtime_ns
    os.utime(folder / "f0 (1).bin", ns=(mtime_ns, mtime_ns))
    return folder, other


@pytest.mark.parametrize("err", [errno.EIO, errno.EACCES], ids=["EIO", "EACCES"])
def test_an_unreadable_file_at_the_kept_name_keeps_the_card_file_beside_it(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], err: int
) -> None:
    """``f0 (1).bin`` of the card file's size that cannot be read (another tool's file, a
    bad sector) is neither adopted nor the card file's failure: the new copy is kept beside
    the file at the planned name as before, at ``f0 (2).bin``. Failed before: f0.bin failed
    there (exit 1, action ``copied``, an error naming the foreign file), nothing written."""
    card = tmp_path / "cards" / "A001"
    fs = faulty_fs(backing=tmp_path / "b")
    folder, other = _another_file_at_the_kept_name(card, fs.mountpoint)
    fs.fail("read", err, path="A001/f0 (1).bin")
    report = offload(card, [fs.mountpoint], options=KEEP_BOTH)
    result = next(f for f in report.job.files if f.relative_path == "f0.bin").destination(0)
    assert report.exit_code == 0, result
    assert result is not None and result.status is DestinationStatus.VERIFIED, result
    assert result.final_path == str(folder / "f0 (2).bin"), result
    assert (folder / "f0 (2).bin").read_bytes() == (card / "f0.bin").read_bytes()
    fs.clear()
    assert (folder / "f0 (1).bin").read_bytes() == other


def test_a_keep_both_copy_beside_a_file_of_its_size_is_not_promised_a_read_back(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The file in the way has the card file's size: the next run reads that file back at
    its own name (found different: another copy beside it), never looks for the kept copy;
    its unrecorded failure says so. Failed before: "the next run with --keep-both reads it
    back ... instead of writing another copy beside it", and the next run wrote f0 (2).bin."""
    card = tmp_path / "cards" / "A001"
    make_sources(card, 2)
    fs = faulty_fs(backing=tmp_path / "b")
    assert offload(card, [fs.mountpoint]).exit_code == 0
    (card / "f0.bin").write_bytes(os.urandom(10_000))  # another f0.bin of the same size
    fs.fail("write", path="A001/.offload/ledger.jsonl", times=1)
    report = offload(card, [fs.mountpoint], options=KEEP_BOTH)
    result = next(f for f in report.job.files if f.relative_path == "f0.bin").destination(0)
    assert result is not None and result.error is not None, result
    assert "copied beside" in result.error, result.error
    assert "the next run with --keep-both reads it back" not in result.error, result.error
    assert "no later run reads it back or vouches for it" in result.error, result.error
    again = offload(card, [fs.mountpoint], options=KEEP_BOTH)  # as said: a third copy
    assert again.exit_code == 0
    names = sorted(p.name for p in (fs.mountpoint / "A001").glob("f0*"))
    assert names == ["f0 (1).bin", "f0 (2).bin", "f0.bin"], names


def test_the_opening_line_says_a_kept_name_read_back_may_be_copied_beside(tmp_path: Path) -> None:
    """The "Offloading" line counts the kept name to read back, and says the card file is
    copied beside the file in the way if it differs (with its size). Failed before: "0 to
    copy (0 bytes), 1 copy already there to read back", then 20 kB written."""
    card = tmp_path / "cards" / "A001"
    (tmp_path / "D").mkdir()
    _another_file_at_the_kept_name(card, tmp_path / "D")
    done = run_cli("copy", "--keep-both", card, tmp_path / "D", "--report-dir", tmp_path / "r")
    assert done.returncode == 0, done.stdout + done.stderr
    opening = next(x for x in done.stderr.splitlines() if x.startswith("Offloading"))
    assert "1 copy already there to read back, beside a file in the way" in opening, opening
    assert "copied beside that file if different (20.0 kB)" in opening, opening
