"""``offload copy --reverify`` of a copy of ours it cannot read (mode 000, read by a root
without ``CAP_DAC_OVERRIDE``): the copy is intact, so it is named unreadable, never damaged.
Before: "copy no longer matches" and "COPY FOUND DAMAGED: ... replaced by a new copy" (the
README: an unreadable copy is never called found wrong). The documented repair stays: a new
copy from the card written in its place, verified, and said so."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from offload.ledger import Ledger
from support.cards import clips_card, corrupt_keeping_size_and_mtime
from support.faultyfs import FaultyFS
from support.nobody import WITHOUT_DAC
from support.offload_cli import copy_with_reports_in, offloaded_card, run_offload
from support.requirements import require_root, require_tool


def test_a_copy_reverify_cannot_read_is_unreadable_not_damaged(tmp_path: Path) -> None:
    require_root("a mode that stops root once its capabilities are dropped")
    require_tool("setpriv")
    disk = offloaded_card(tmp_path, clip="A001C{:03d}.mov")
    copy = disk / "A001" / "CLIPS" / "A001C001.mov"
    copy.chmod(0)
    done = run_offload(
        "copy",
        "--reverify",
        "--report-dir",
        tmp_path / "jobs",
        tmp_path / "A001",
        disk,
        prefix=WITHOUT_DAC,
        timeout_s=60,
    )
    flat = " ".join(done.stderr.split())
    assert done.returncode == 0, done.stderr
    assert "no longer matches" not in flat and "FOUND DAMAGED" not in flat, flat
    assert (
        "copy could not be read back (not found damaged; --reverify writes a new copy in "
        f"place of a copy of ours it cannot read), copying it again: cannot read {copy}"
    ) in flat, flat
    assert "Permission denied" in flat, flat
    assert (
        f"COPY UNREADABLE (not found damaged): cannot read {copy}" in flat
        and "replaced by a new copy from the card, verified now" in flat
    ), flat
    assert copy.read_bytes() == (tmp_path / "A001" / "CLIPS" / "A001C001.mov").read_bytes()
    # ``offload history`` tells it apart by the warning's code, never its words: an intact
    # copy it could not read and replaced is no damaged copy.
    listed = run_offload("history", "--json", "--report-dir", tmp_path / "jobs")
    assert listed.returncode == 0, listed.stderr
    results = [entry["result"] for entry in json.loads(listed.stdout)]
    assert "verified, 1 unreadable copy replaced" in results, results
    assert not any("damaged" in result for result in results), results


def test_an_unreadable_copy_kept_by_keep_both_is_told_by_its_field(tmp_path: Path) -> None:
    """Tidy-up, fortieth pass: ``--reverify --keep-both`` keeps a copy of ours it cannot
    read and writes the new copy beside it; its ``copy-unreadable`` warning now carries
    ``kept``: true (before: no field, ``offload history`` told it kept by the warning's
    TEXT, and a report whose words are spelled otherwise read "1 unreadable copy
    replaced"). Failed before: no ``kept`` field."""
    require_root("a mode that stops root once its capabilities are dropped")
    require_tool("setpriv")
    disk = offloaded_card(tmp_path, clip="A001C{:03d}.mov")
    copy = disk / "A001" / "CLIPS" / "A001C001.mov"
    copy.chmod(0)
    jobs = tmp_path / "jobs"
    argv = ["copy", "--reverify", "--keep-both", "--report-dir", jobs, tmp_path / "A001", disk]
    done = run_offload(*argv, prefix=WITHOUT_DAC, timeout_s=60)
    assert done.returncode == 0, done.stderr
    assert (copy.parent / "A001C001 (1).mov").read_bytes() == (
        tmp_path / "A001" / "CLIPS" / "A001C001.mov"
    ).read_bytes()
    (local,) = sorted(jobs.glob("*.json"), key=lambda p: p.stat().st_mtime_ns)[-1:]
    report = json.loads(local.read_text())
    (found,) = [w for w in report["warnings"] if w["code"] == "copy-unreadable"]
    assert found.get("kept") is True and "kept as it is (--keep-both)" in found["message"], found
    # Its words spelled otherwise: the history line stays.
    found["message"] = found["message"].replace("kept as it is (--keep-both)", "left in place")
    local.write_text(json.dumps(report))
    listed = run_offload("history", "--json", "--report-dir", jobs)
    assert listed.returncode == 0, listed.stderr
    said = json.loads(listed.stdout)[0]["result"]
    assert said == "verified, 1 unreadable copy kept beside new ones", said


def test_an_unreadable_copy_kept_in_a_report_before_the_kept_field_is_told_kept(
    tmp_path: Path,
) -> None:
    """Review of the fortieth pass (M2): a report written before a ``copy-unreadable``
    warning carried ``kept`` (every version before it) says a copy kept by
    ``--reverify --keep-both`` in its words alone (``KEPT_BESIDE``). The real run's report
    with that field dropped, as such a version wrote it: ``offload history`` says "kept
    beside new ones". Failed before: "1 unreadable copy replaced" (told by the field
    alone)."""
    require_root("a mode that stops root once its capabilities are dropped")
    require_tool("setpriv")
    disk = offloaded_card(tmp_path, clip="A001C{:03d}.mov")
    (disk / "A001" / "CLIPS" / "A001C001.mov").chmod(0)
    jobs = tmp_path / "jobs"
    argv = ["copy", "--reverify", "--keep-both", "--report-dir", jobs, tmp_path / "A001", disk]
    done = run_offload(*argv, prefix=WITHOUT_DAC, timeout_s=60)
    assert done.returncode == 0, done.stderr
    (local,) = sorted(jobs.glob("*.json"), key=lambda p: p.stat().st_mtime_ns)[-1:]
    report = json.loads(local.read_text())
    (found,) = [w for w in report["warnings"] if w["code"] == "copy-unreadable"]
    assert found.pop("kept") is True, found
    local.write_text(json.dumps(report))
    listed = run_offload("history", "--json", "--report-dir", jobs)
    assert listed.returncode == 0, listed.stderr
    said = json.loads(listed.stdout)[0]["result"]
    assert said == "verified, 1 unreadable copy kept beside new ones", said


def test_a_transfer_checked_copy_a_full_run_cannot_read_is_replaced_in_its_words(
    tmp_path: Path,
) -> None:
    """A plain (full) run upgrading a transfer-checked copy of ours it cannot read: named
    unreadable, replaced, in the words of that run (not --reverify's), and without the read
    error's remedy (read access, then again) once replaced. Before: "--reverify writes a new
    copy ..." and "give this user read access to it, then run the same command again" beside
    "replaced by a new copy from the card"."""
    require_root("a mode that stops root once its capabilities are dropped")
    require_tool("setpriv")
    card = clips_card(tmp_path, 2, 40_000, clip="A001C{:03d}.mov")
    disk = tmp_path / "disk"
    disk.mkdir()
    jobs = tmp_path / "jobs"
    first = run_offload("copy", "-q", "--verify", "transfer", "--report-dir", jobs, card, disk)
    assert first.returncode == 0, first.stderr
    copy = disk / "A001" / "CLIPS" / "A001C001.mov"
    copy.chmod(0)
    done = run_offload("copy", "--report-dir", jobs, card, disk, prefix=WITHOUT_DAC)
    flat = " ".join(done.stderr.split())
    assert done.returncode == 0, done.stderr
    assert (
        "copy could not be read back (not found damaged; a run that asks a stricter --verify "
        "than its ledger records writes a new copy in place of a copy of ours it cannot "
        f"read), copying it again: cannot read {copy}: Permission denied"
    ) in flat, flat
    assert "--reverify writes" not in flat and "give this user read access" not in flat, flat
    assert "replaced by a new copy from the card, verified now" in flat, flat
    assert copy.read_bytes() == (card / "CLIPS" / "A001C001.mov").read_bytes()


def _offloaded_through(
    tmp_path: Path,
    cards: Path,
    faulty_fs: Callable[..., FaultyFS],
    *options: str,
    dest: Path | None = None,
) -> tuple[FaultyFS, Path, Path]:
    """A one-clip card seen through a FaultyFS mount, offloaded (``offload copy *options*``)
    to *dest* (None: ``tmp_path/dest``, made): the mount, the card, and the clip's copy
    (``CLIPS/C000.mov``)."""
    drive = faulty_fs(backing=clips_card(cards, 1, 1_000_000).parent)
    card = drive.mountpoint / "A001"
    if dest is None:
        dest = tmp_path / "dest"
        dest.mkdir()
    code, said = copy_with_reports_in(tmp_path, *options, str(card), str(dest))
    assert code == 0, said
    return drive, card, dest / "A001" / "CLIPS" / "C000.mov"


@pytest.mark.parametrize(
    ("whole", "options"),
    [
        (False, ["--reverify"]),
        (True, ["--reverify"]),
        (True, ["--verify", "destination"]),
        (True, ["--reverify", "--verify", "destination"]),
        (True, ["--reverify", "-t", "md5"]),
    ],
    ids=[
        "middle",
        "whole-file",
        "whole-file-destination",
        "whole-file-reverify-destination",
        "whole-file-other-format",
    ],
)
def test_a_damaged_copy_is_found_wrong_though_the_card_file_fails_its_read(
    tmp_path: Path,
    cards: Path,
    faulty_fs: Callable[..., FaultyFS],
    whole: bool,
    options: list[str],
) -> None:
    """``--reverify``, the card seen through a FaultyFS mount whose reads of one clip fail
    EIO in its middle (its fingerprint, both ends, still read) or *whole* (its fingerprint
    too), that clip's copy damaged (bit rot): the card's file proves nothing, but the copy,
    read, is compared with its own record all the same: found wrong, its ledger entry
    revoked, so no later run trusts it. Failed before: failed with the card's read error
    alone, its entry left verified (the whole file's: read as a file no ledger vouches
    for), and the next run, the card readable, counted it verified earlier, exit 0.
    Failed before too (thirty-eighth pass's review): ``--verify destination`` (the card's
    file never read, its EIO never said, exit 0), and ``-t md5`` (no format of the run's
    recorded: nothing compared, the entry left verified)."""
    drive, card, copy = _offloaded_through(tmp_path, cards, faulty_fs)
    corrupt_keeping_size_and_mtime(copy)
    if whole:
        drive.fail("read", path="*C000.mov")
    else:
        drive.fail("read", path="*C000.mov", offset=500_000, length=4096)
    code, said = copy_with_reports_in(tmp_path, *options, str(card), str(copy.parents[2]))
    assert code != 0, said
    flat = " ".join(said.split())
    assert "cannot read" in flat, flat
    assert "copying it again" not in flat, flat  # its source unreadable: never copied
    # (With ``-t md5``, compared in its record's own format: read again in it.)
    assert f"{copy} differs from the digests recorded" in flat, flat
    assert "nothing compared" not in flat, flat
    assert Ledger(copy.parents[1]).load()["CLIPS/C000.mov"].state == "revoked", said


def test_a_card_file_that_fails_its_read_whole_is_said_with_verify_destination(
    tmp_path: Path, cards: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """A plain ``--verify destination`` run, the card's clip failing its every read (EIO),
    its copy intact: the card's file is read all the same (its fingerprint unreadable, the
    copy is read back against its record) and its read error said, exit 2; the copy, as
    recorded, is kept. Failed before (thirty-eighth pass's review): exit 0, the card
    file's EIO never said (the card then formatted with a clip that cannot be read)."""
    drive, card, copy = _offloaded_through(tmp_path, cards, faulty_fs)
    drive.fail("read", path="*C000.mov")
    code, said = copy_with_reports_in(
        tmp_path, "--verify", "destination", str(card), str(copy.parents[2])
    )
    assert code == 2, said
    assert f"cannot read source {card / 'CLIPS' / 'C000.mov'}" in " ".join(said.split()), said
    assert Ledger(copy.parents[1]).load()["CLIPS/C000.mov"].state == "verified", said


def test_a_plain_run_keeps_an_edited_copy_whose_card_file_fingerprint_read_failed(
    tmp_path: Path, cards: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """A copy of ours edited since (bytes appended), its card file's fingerprint read
    failing once (EIO in its first 64 KiB, the whole read then good): a plain run refuses
    it as any file in the way (exit 2, not overwritten), the edit kept. Failed before
    (thirty-eighth pass's review): read as --reverify reads a copy of ours, found wrong by
    its size and replaced from the card, exit 0, the user's edit gone."""
    drive, card, edited = _offloaded_through(tmp_path, cards, faulty_fs)
    with edited.open("ab") as file:
        file.write(b"USER EDIT")
    mine = edited.read_bytes()
    drive.fail("read", path="*C000.mov", offset=0, length=65536, times=2)
    code, said = copy_with_reports_in(tmp_path, str(card), str(edited.parents[2]))
    assert code == 2, said
    assert "not overwritten" in said, said
    assert edited.read_bytes() == mine, said


@pytest.mark.parametrize(
    ("entries", "run"),
    [
        ([], ["--reverify", "-t", "md5"]),
        ([], ["--reverify"]),
        ([], ["-t", "md5"]),
        (["-t", "md5"], ["--reverify"]),
    ],
    ids=["reverify-md5", "same", "plain-md5", "md5-entry-reverify-default"],
)
def test_an_intact_copy_keeps_its_entry_in_other_formats_when_the_card_file_fails(
    tmp_path: Path,
    cards: Path,
    faulty_fs: Callable[..., FaultyFS],
    entries: list[str],
    run: list[str],
) -> None:
    """The card's clip failing its every read (EIO), its copy intact, its ledger entry in
    formats none of the run's (offloaded in the default format, re-run with ``-t md5``, or
    the reverse): the copy is read in its record's own format and compared with it, equal,
    so its entry is kept, and the line says what was proved (the card could not be read,
    the copy matches its record); the card's read error fails the run (exit 2). Failed
    before: the entry revoked ("nothing compared the copy with its record"), the next run
    reading back a copy this one had every means to prove."""
    drive, card, copy = _offloaded_through(tmp_path, cards, faulty_fs, *entries)
    dest = tmp_path / "dest"
    before = Ledger(copy.parents[1]).load()["CLIPS/C000.mov"]
    drive.fail("read", path="*C000.mov")
    code, said = copy_with_reports_in(tmp_path, *run, str(card), str(dest))
    flat = " ".join(said.split())
    assert code == 2, said
    assert f"cannot read source {card / 'CLIPS' / 'C000.mov'}" in flat, flat
    assert "revoked" not in flat and "nothing compared" not in flat, flat
    assert "matches the digests recorded when it was written" in flat, flat
    after = Ledger(copy.parents[1]).load()["CLIPS/C000.mov"]
    assert after.state == "verified", said
    assert after.digests == before.digests, (before, after)


@pytest.mark.parametrize(
    "options", [["--reverify"], ["--reverify", "-t", "md5"]], ids=["same", "md5"]
)
def test_reverify_with_card_and_copy_both_unreadable_leaves_the_copy_untrusted(
    tmp_path: Path, cards: Path, faulty_fs: Callable[..., FaultyFS], options: list[str]
) -> None:
    """``--reverify``, the card's clip and its copy both failing their every read (EIO, each
    through its own FaultyFS mount): nothing proves the copy, so this run says the copy's
    read error beside the card's (exit 2), keeps the copy as it is, and revokes its ledger
    entry (the revocation line keeps the entry it ended: its history), so the next run reads
    it back instead of trusting it; once both read again, that run adopts it, verified now.
    The copy's error in ``offload verify``'s words for a local EIO (evidence of damage: the
    drive and its cable), not the bare "Input/output error (EIO)" it said before (review of
    uncomp63). Failed before: the card's error alone, the copy's EIO unsaid and its entry left
    verified, the next plain run trusting a copy whose last read failed."""
    disk = faulty_fs()
    dest = disk.mountpoint
    drive, card, copy = _offloaded_through(tmp_path, cards, faulty_fs, dest=dest)
    drive.fail("read", path="*C000.mov")
    disk.fail("read", path="*C000.mov")
    code, said = copy_with_reports_in(tmp_path, *options, str(card), str(dest))
    flat = " ".join(said.split())
    assert code == 2, said
    assert f"cannot read source {card / 'CLIPS' / 'C000.mov'}" in flat, flat
    # In ``offload verify``'s words for a local EIO (the copy is kept: that is what to do).
    assert (
        f"cannot read {copy}: Input/output error (EIO): the drive could not read it: check "
        "the drive and its cable, then run the same command again (a file that stays "
        "unreadable is damaged there)"
    ) in flat, flat
    assert "copying it again" not in flat, flat
    assert Ledger(copy.parents[1]).load()["CLIPS/C000.mov"].state == "revoked", said
    drive.clear()
    disk.clear()
    code, said = copy_with_reports_in(tmp_path, str(card), str(dest))
    assert code == 0, said
    assert Ledger(copy.parents[1]).load()["CLIPS/C000.mov"].state == "verified", said


def test_a_copy_whose_read_again_in_its_records_format_fails_says_its_own_read_error(
    tmp_path: Path, cards: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The card offloaded with ``-t md5`` (its entry records md5 only), re-run in the
    default format; the card's clip failing its every read (EIO) and its copy's second
    open failing too (EIO, on its own FaultyFS mount): the copy is read whole in the run's
    format, then again in its record's (md5), which fails. The line says the copy's I/O
    error in ``offload verify``'s words (a local EIO: the drive and its cable, damage),
    beside the card's, the copy kept as it is, its entry revoked (exit 2). Failed before
    (review of uncomp63): that read's error was never said, only "nothing compared the
    copy with its record"."""
    disk = faulty_fs()
    dest = disk.mountpoint
    drive, card, copy = _offloaded_through(tmp_path, cards, faulty_fs, "-t", "md5", dest=dest)
    kept = copy.read_bytes()
    drive.fail("read", path="*C000.mov")
    disk.fail("read", path="*C000.mov", nth=2)  # (one read a pass of a 1 MB clip)
    code, said = copy_with_reports_in(tmp_path, str(card), str(dest))
    flat = " ".join(said.split())
    assert code == 2, said
    assert f"cannot read source {card / 'CLIPS' / 'C000.mov'}" in flat, flat
    assert (
        f"; cannot read {copy}: Input/output error (EIO): the drive could not read it: check "
        "the drive and its cable"
    ) in flat, flat
    assert "its ledger entry is revoked, as nothing compared the copy with its record" in flat
    assert Ledger(copy.parents[1]).load()["CLIPS/C000.mov"].state == "revoked", said
    disk.clear()
    assert copy.read_bytes() == kept
