"""Which fast copy a cascade re-run without its card is fed from, and what it says of it.

Real parts: the card on a tmpfs of its own (``cards``), two fast copies and a slow one on
the test's disk, the real CLI (the first run in this process, ``cascade_then_card_away``;
the re-runs as a child process). A first run cascades the card whole (exit 0); the card is
then moved away, a fast copy marked unsettled by hand (the mark a cascade
killed mid-way leaves, ``cascade_unsettled``) and damaged (size and mtime kept)."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable
from pathlib import Path

from offload import cascade_unsettled
from support import mounts
from support.cardless_cascade import away, cascade_then_card_away
from support.cards import corrupt_keeping_size_and_mtime, three_clip_card
from support.faultyfs import FaultyFS
from support.offload_cli import newest_report, run_offload


def _cascaded(tmp_path: Path, cards: Path) -> tuple[Path, Path, Path, Path, Path]:
    """The card cascaded to F1 and F2 (fast) and S (slow), then moved away
    (``cascade_then_card_away``): the card's path, F1, F2, S and the report folder."""
    card = three_clip_card(cards, size=150_000)
    f1, f2, slow, reports = (tmp_path / n for n in ("F1", "F2", "S", "reports"))
    cascade_then_card_away(tmp_path, card, [f1, f2], [slow])
    return card, f1, f2, slow, reports


def _mark(copy_root: Path) -> None:
    """Mark *copy_root* unsettled for all of time, as a killed cascade leaves it."""
    mark = copy_root / ".offload" / cascade_unsettled.UNSETTLED
    mark.write_text(json.dumps({"spans": [[0, 4e9]]}))


def _fed_from(reports: Path, slow: Path) -> object:
    data = newest_report(reports)
    root = str(slow / "A001")
    return next(d["fed_from"] for d in data["destinations"] if d["copy_root"] == root)


def _csv_fed_from(reports: Path) -> list[dict[tuple[str, str], str]]:
    """The CSV written by each run, in order: its ``fed_from`` cell by (file, destination)."""
    tables = sorted(reports.glob("*.csv"), key=lambda p: p.stat().st_mtime_ns)
    rows = (csv.DictReader(t.read_text(encoding="utf-8").splitlines()) for t in tables)
    return [{(r["relative_path"], r["destination"]): r["fed_from"] for r in t} for t in rows]


def test_a_marked_fast_copy_found_damaged_is_passed_over_for_the_next_one(
    tmp_path: Path, cards: Path
) -> None:
    """F1 marked and damaged since: its read-back fails, so F2 stands for the card (exit 0,
    the slow copy's missing clip fed from F2), and the words name F1 as passed over and the
    damaged file. Failed before: exit 64, the first qualifying copy's read-back refusing the
    run although F2 could stand for the card (with ``F2 F1``: exit 0)."""
    card, f1, f2, slow, reports = _cascaded(tmp_path, cards)
    _mark(f1 / "A001")
    damaged = f1 / "A001" / "CLIPS" / "A001C001.mov"
    corrupt_keeping_size_and_mtime(damaged)
    (slow / "A001" / "CLIPS" / "A001C003.mov").unlink()
    run = run_offload(
        "copy", "--report-dir", reports, "--cascade-to", slow, card, f1, f2
    )  # fmt: skip
    said = " ".join(run.stderr.split())
    assert run.returncode == 0, said
    assert f"the source is its fast copy {f2 / 'A001'}" in said, said
    assert f"reading back 2 files of the fast copy {f1 / 'A001'}" in said, said
    assert (
        f"passed over: {f1 / 'A001'}: {damaged} does not match the card's digests its ledger "
        "recorded"
    ) in said, said
    moved = away(card) / "CLIPS" / "A001C003.mov"
    assert (slow / "A001" / "CLIPS" / "A001C003.mov").read_bytes() == moved.read_bytes()
    assert _fed_from(reports, slow) == [{"copy_root": str(f2 / "A001"), "files": 1}]


def test_a_cardless_re_run_reports_the_fast_copy_that_fed_it(tmp_path: Path, cards: Path) -> None:
    """The job report's ``fed_from`` of a slow destination a cardless re-run fed names the
    fast copy that stood for the card and the files it fed; its --dry-run's, the paths it
    would feed. Failed before: ``"card"`` in both, the card the run never read."""
    card, f1, _f2, slow, reports = _cascaded(tmp_path, cards)
    (slow / "A001" / "CLIPS" / "A001C002.mov").unlink()
    args = ("--cascade-to", slow, card, f1, _f2)
    dry = run_offload("copy", "--dry-run", "--json", *args)
    assert dry.returncode == 0, dry.stderr
    (planned,) = (
        d for d in json.loads(dry.stdout)["destinations"] if d["copy_root"] == str(slow / "A001")
    )
    assert planned["fed_from"] == [
        {"copy_root": str(f1 / "A001"), "paths": ["CLIPS/A001C002.mov"]}
    ], planned
    run = run_offload("copy", "--report-dir", reports, *args)
    assert run.returncode == 0, run.stderr
    assert _fed_from(reports, slow) == [{"copy_root": str(f1 / "A001"), "files": 1}]
    # The CSV says it a copy (failed before: no such column). The card's run: each slow copy
    # from F1 (the first fast copy), the fast ones from the card (empty); the re-run: the
    # copy it fed, from F1 standing for the card, the others trusted from ledgers (empty).
    with_card, without = _csv_fed_from(reports)
    clips = [f"CLIPS/A001C00{n}.mov" for n in (1, 2, 3)]
    assert with_card == {
        **{(clip, str(dest)): "" for clip in clips for dest in (f1, _f2)},
        **{(clip, str(slow)): str(f1 / "A001") for clip in clips},
    }, with_card
    assert {key: fed for key, fed in without.items() if fed} == {
        ("CLIPS/A001C002.mov", str(slow)): str(f1 / "A001")
    }, without


def test_a_dry_run_says_it_would_read_a_marked_copy_back_and_reads_nothing(
    tmp_path: Path, cards: Path
) -> None:
    """--dry-run of a cardless re-run fed from a marked copy: the marked files it does not
    feed are not read (no "reading back" line), the plan says they would be. Failed before:
    read whole, silently, at plan time."""
    card, f1, f2, slow, _reports = _cascaded(tmp_path, cards)
    _mark(f1 / "A001")
    run = run_offload("copy", "--dry-run", "--cascade-to", slow, card, f1, f2)
    said = " ".join(run.stdout.split() + run.stderr.split())
    assert run.returncode == 0, said
    assert "reading back" not in said, said
    assert (
        f"3 files of {f1 / 'A001'} a cascade left marked unsettled would be read back first"
    ) in said, said


def test_a_marked_copy_read_back_through_a_cache_is_said_so(
    tmp_path: Path, cards: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The read-back of a marked fast copy reads as ``offload verify`` does: on a FUSE
    filesystem with no block device below (its backing files' pages stay cached), the read
    cannot avoid a cache, and the ``card-absent`` warning says so (``through_a_cache``: not
    counted as a backup). Failed before: a page-cache drop and a plain read, called a
    read-back, the copy counted as read from its media."""
    card, f1, _f2, slow, reports = _cascaded(tmp_path, cards)
    over = faulty_fs(backing=f1)  # the same fast copy, through FUSE
    _mark(over.mountpoint / "A001")
    run = run_offload("copy", "--report-dir", reports, "--cascade-to", slow, card, over.mountpoint)
    said = " ".join(run.stderr.split())
    assert run.returncode == 0, said
    assert (
        "3 files a cascade left marked unsettled there read back now, 3 of them through a cache"
        in said
    ), said
    warning = next(w for w in newest_report(reports)["warnings"] if w["code"] == "card-absent")
    assert warning["through_a_cache"] is True, warning


def _changed_in_place(path: Path) -> None:
    """One byte of *path* flipped by a write in place, its date put back (``flip.sh``): its
    size and date are those its ledger entry recorded, its change time is not."""
    st = path.stat()
    with path.open("r+b") as handle:
        handle.seek(st.st_size // 2)
        byte = handle.read(1)
        handle.seek(st.st_size // 2)
        handle.write(bytes([byte[0] ^ 0xFF]))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_ctime_ns != st.st_ctime_ns


def test_a_fast_copy_changed_in_place_since_verified_never_stands_for_the_card_unread(
    tmp_path: Path, cards: Path
) -> None:
    """F1's copy of a clip the slow copy already holds changed in place since the card's run
    verified it, its size and date put back (its change time moved): the re-run without the
    card reads it back, as the run with the card does of a copy whose identity moved, finds
    it unlike the card's digests and passes F1 over for F2; with F2 changed so too, no copy
    stands for the card: refused, exit 64, nothing written. Failed before (QA qa70c H1):
    exit 0, F1 the source unread, "It may be formatted on the ledger's word ... 2 copies",
    ``may_format`` true, the only good copy of that clip the slow one."""
    card, f1, f2, slow, reports = _cascaded(tmp_path, cards)
    clip = Path("A001") / "CLIPS" / "A001C001.mov"
    _changed_in_place(f1 / clip)
    run = run_offload("copy", "--report-dir", reports, "--cascade-to", slow, card, f1, f2)
    said = " ".join(run.stderr.split())
    assert run.returncode == 0, said
    assert f"the source is its fast copy {f2 / 'A001'}" in said, said
    assert (
        f"reading back 1 file of the fast copy {f1 / 'A001'} that changed since it was "
        "verified (its inode or change time moved)"
    ) in said, said
    assert (
        f"passed over: {f1 / 'A001'}: {f1 / clip} does not match the card's digests its ledger "
        "recorded (read back now: its inode or change time had moved since it was verified "
        "there, and its bytes changed with it)"
    ) in said, said
    _changed_in_place(f2 / clip)
    run = run_offload("copy", "--report-dir", reports, "--cascade-to", slow, card, f1, f2)
    said = " ".join(run.stderr.split())
    assert run.returncode == 64, said
    assert "no fast copy holds it complete" in said and "insert the card" in said, said
    assert f"{f2 / clip} does not match the card's digests" in said, said
    assert "may be formatted" not in said, said


def test_a_fast_copy_whose_change_time_alone_moved_stands_once_read_back(
    tmp_path: Path, cards: Path
) -> None:
    """A ``chmod`` of F1's copy moves its change time, not its bytes: read back once, equal
    to the card's digests, F1 stands for the card (a change time alone is no proof of
    damage), and the warning says what was read."""
    card, f1, f2, slow, reports = _cascaded(tmp_path, cards)
    copy = f1 / "A001" / "CLIPS" / "A001C002.mov"
    copy.chmod(0o600)
    run = run_offload("copy", "--report-dir", reports, "--cascade-to", slow, card, f1, f2)
    said = " ".join(run.stderr.split())
    assert run.returncode == 0, said
    assert f"the source is its fast copy {f1 / 'A001'}" in said, said
    assert (
        "1 file that changed since it was verified (its inode or change time moved) "
        "there read back now, each equal to the card's digests"
    ) in said, said


def test_an_empty_folder_left_where_the_card_was_is_taken_for_an_absent_card(
    tmp_path: Path, cards: Path
) -> None:
    """The card unmounted, its mount point left behind empty (a manual or fstab mount): the
    same command is fed from the fast copy whose record of the card's pass names that
    folder, as when the folder is gone, and says the folder is empty. Failed before (QA
    qa70c M1): exit 64, "source ... holds no files to offload". An empty folder no record
    names is refused as before."""
    card, f1, f2, slow, reports = _cascaded(tmp_path, cards)
    card.mkdir()  # the mount point, empty
    (slow / "A001" / "CLIPS" / "A001C003.mov").unlink()
    run = run_offload("copy", "--report-dir", reports, "--cascade-to", slow, card, f1, f2)
    said = " ".join(run.stderr.split())
    assert run.returncode == 0, said
    assert (
        f"the card {card} is absent (an empty folder is left where it was: not mounted): the "
        f"source is its fast copy {f1 / 'A001'}"
    ) in said, said
    moved = away(card) / "CLIPS" / "A001C003.mov"
    assert (slow / "A001" / "CLIPS" / "A001C003.mov").read_bytes() == moved.read_bytes()
    assert not any(card.iterdir())  # nothing written there
    other = tmp_path / "B001"
    other.mkdir()
    refused = run_offload("copy", "--cascade-to", slow, other, f1)
    assert refused.returncode == 64, refused.stderr
    assert "holds no files to offload" in refused.stderr, refused.stderr


def test_an_empty_filesystem_mounted_where_the_card_was_is_refused_not_called_unmounted(
    tmp_path: Path, cards: Path, tmpfs_mount: Callable[..., mounts.Mount]
) -> None:
    """An empty volume mounted at the card's mount point (an empty card, or another card's
    volume that holds nothing, at a fixed fstab mount point) is no card left behind: "not
    mounted" would be untrue, and the record's card may not be this one. The plain run's
    refusal stands (exit 64, nothing written there). Failed before (review rev8_70 L1):
    exit 0, "an empty folder is left where it was: not mounted"."""
    card, f1, f2, slow, reports = _cascaded(tmp_path, cards)
    card.mkdir()
    tmpfs_mount(1 << 20, path=card)
    run = run_offload("copy", "--report-dir", reports, "--cascade-to", slow, card, f1, f2)
    said = " ".join(run.stderr.split())
    assert run.returncode == 64, said
    assert "holds no files to offload" in said and "not mounted" not in said, said
    assert not any(card.iterdir())  # nothing written there
