"""A re-run trusts a ledger's copy only for the card file it records: its fingerprint
(``offload.fingerprint``, the first and last 64 KiB) read from the card again must be the one
the copy recorded. The card here is a folder on tmpfs, whose identity no run can tell (no
device: no volume serial), the case where name, size and date were all a re-run compared.
The re-shot card: the same clip names, sizes and dates (``os.utime``), other bytes. Each
test runs the real CLI in a subprocess. A ledger written before the fingerprint keeps the
quick check and its note: test_card_identity.py, ``test_a_source_of_unknown_identity_...``."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from integration.test_field_filesystems import newest_report, run
from offload import fingerprint
from offload.card_identity import card_identity

MTIME_NS = 1_700_000_000_000_000_000
# A packed small file, a streamed one (one chunk), and one whose last 64 KiB straddle the
# reader's two 8 MiB chunks.
SIZES = {
    "CLIPS/A001C001.MOV": 50_000,
    "CLIPS/A001C002.MOV": 3 << 20,
    "CLIPS/A001C003.MOV": (8 << 20) + 10_000,
}
NAMES = tuple(SIZES)


def shoot(card: Path, take: int) -> None:
    """The card's clips: the same names, sizes and dates every take. Take 2 differs from
    take 1 only in its last bytes for the first two clips (a camera's header is the same
    every take), and only in its first bytes for the third."""
    for index, (name, size) in enumerate(SIZES.items()):
        data = bytearray(b"header of the same camera settings " * (size // 35 + 1))[:size]
        mark = f"take {take}".encode()
        if index < 2:
            data[-len(mark) :] = mark
        else:
            data[: len(mark)] = mark
        path = card / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(bytes(data))
        os.utime(path, ns=(MTIME_NS, MTIME_NS))


def copy(tmp_path: Path, card: Path, *more: str) -> subprocess.CompletedProcess[str]:
    """``offload copy CARD <tmp_path>/dest``, its reports in ``<tmp_path>/reports``."""
    (tmp_path / "dest").mkdir(exist_ok=True)
    return run("copy", card, tmp_path / "dest", "--report-dir", tmp_path / "reports", *more)


def ledger_lines(copy_root: Path) -> list[dict[str, Any]]:
    text = (copy_root / ".offload" / "ledger.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines()]


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {f["path"]: f["destinations"][0]["status"] for f in report["files"]}


def a_card(tmp_path: Path, tmpfs_mount: Any) -> Path:
    card = tmpfs_mount(48 << 20, path=tmp_path / "ram" / "A001").path
    assert card_identity(card) is None
    shoot(card, 1)
    return card


def test_a_reshot_card_of_unknown_identity_is_not_trusted_and_nothing_is_lost(
    tmp_path: Path, tmpfs_mount: Any
) -> None:
    """Failed before: take 2's clips were "verified earlier" from take 1's ledger entries
    (the same names, sizes and dates), never copied, and the run exited 0."""
    card = a_card(tmp_path, tmpfs_mount)
    dest, reports = tmp_path / "dest" / "A001", tmp_path / "reports"
    first = copy(tmp_path, card)
    assert first.returncode == 0, first.stdout + first.stderr
    take1 = {name: (card / name).read_bytes() for name in NAMES}
    # Each copy recorded its card file's fingerprint, from the bytes the copy read.
    recorded = {line["relative_path"]: line.get("fingerprint") for line in ledger_lines(dest)}

    shoot(card, 2)
    again = copy(tmp_path, card)
    out = " ".join((again.stdout + again.stderr).split())
    assert again.returncode == 2, out  # every copy refused: none trusted, none overwritten
    assert statuses(newest_report(reports)) == dict.fromkeys(NAMES, "failed")
    for name in NAMES:
        assert (dest / name).read_bytes() == take1[name]
    # One line before the copy says why, and each refusal says what is there.
    assert f"3 card files are not the files {dest}'s ledger records at their names" in out
    assert "other content (the first or last 64 KiB read from the card now differ" in out
    assert "already exists with other content" in out
    assert "with other content: the first or last 64 KiB of this card's file" in out
    # --overwrite is not offered: it would replace take 1, maybe its only copy left.
    assert "--keep-both" in out and "--into another folder" in out and "--overwrite" not in out
    report = newest_report(reports)
    codes = [w["code"] for w in report["warnings"]]
    assert codes.count("ledger-other-content") == 1, codes

    # With --keep-both, take 2 is copied beside take 1 under names of its own.
    kept = copy(tmp_path, card, "--keep-both")
    assert kept.returncode == 0, kept.stdout + kept.stderr
    assert statuses(newest_report(reports)) == dict.fromkeys(NAMES, "verified")
    for name in NAMES:
        assert (dest / name).read_bytes() == take1[name]
        beside = (dest / name).with_name(Path(name).stem + " (1).MOV")
        assert beside.read_bytes() == (card / name).read_bytes()
    assert recorded == {name: fingerprint.of_bytes(data) for name, data in take1.items()}
    # And a re-run of take 2 trusts its own copies (their fingerprints match).
    last = copy(tmp_path, card)
    assert last.returncode == 0, last.stdout + last.stderr
    assert statuses(newest_report(reports)) == dict.fromkeys(NAMES, "verified_earlier")


def test_a_rerun_of_the_same_card_trusts_its_copies_and_says_what_was_compared(
    tmp_path: Path, tmpfs_mount: Any
) -> None:
    """Failed before: the note said the copies were matched by path, size and modification
    time alone (which they were); and, later, ``--dry-run``'s ``Card:`` line still said so
    while its own note below it said the fingerprints were read and matched."""
    card = a_card(tmp_path, tmpfs_mount)
    reports = tmp_path / "reports"
    assert copy(tmp_path, card).returncode == 0
    dry = run("copy", "--dry-run", "--json", card, tmp_path / "dest")
    assert dry.returncode == 0, dry.stderr
    (planned,) = json.loads(dry.stdout)["notes"]
    words = run("copy", "--dry-run", card, tmp_path / "dest")
    assert words.returncode == 0, words.stderr
    (card_line,) = [line for line in words.stderr.splitlines() if line.startswith("Card: ")]
    assert card_line == (
        "Card: identity unknown (no volume serial found): the ledgers' copies are trusted by "
        "path, size, date and the card file's content fingerprint (its first and last 64 KiB, "
        "read now)"
    ), card_line
    again = copy(tmp_path, card)
    assert again.returncode == 0, again.stdout + again.stderr
    report = newest_report(reports)
    assert statuses(report) == dict.fromkeys(NAMES, "verified_earlier")
    (note,) = report["notes"]
    assert note == planned
    root = tmp_path / "dest" / "A001"
    assert note.startswith(
        f"{root}: 3 copies trusted from its ledger as verified (read back) by an earlier run "
        "were matched to this card's files by path, size, modification time and content "
        "fingerprint (the first and last 64 KiB of each card file, the whole file up to 128 "
        "KiB, read now and equal to what was copied): this card's identity is unknown"
    ), note
    assert "alone" not in note
    assert "content fingerprint" in " ".join(again.stderr.split()), again.stderr


def test_an_adopted_copy_records_its_fingerprint_and_a_recheck_keeps_it(tmp_path: Path) -> None:
    """Copies already there without a ledger entry are read back, adopted and recorded with
    the card file's fingerprint (read from it once it was found equal), so that a re-shot
    card is caught there too; a re-check that does not read the card (``--reverify
    --verify destination``) keeps the fingerprint the planner matched. Failed before: those
    entries recorded none, and take 2 was trusted on name, size and date."""
    card = tmp_path / "A001"
    shoot(card, 1)
    dest, reports = tmp_path / "dest" / "A001", tmp_path / "reports"
    assert copy(tmp_path, card).returncode == 0
    (dest / ".offload" / "ledger.jsonl").unlink()  # copies there, no record of them
    adopted = copy(tmp_path, card)
    assert adopted.returncode == 0, adopted.stdout + adopted.stderr
    report = newest_report(reports)
    assert {f["destinations"][0]["action"] for f in report["files"]} == {"adopted"}
    take1 = {name: fingerprint.of_bytes((card / name).read_bytes()) for name in NAMES}
    assert {line["relative_path"]: line.get("fingerprint") for line in ledger_lines(dest)} == take1
    rechecked = copy(tmp_path, card, "--reverify", "--verify", "destination")
    assert rechecked.returncode == 0, rechecked.stdout + rechecked.stderr
    report = newest_report(reports)
    assert {f["destinations"][0]["action"] for f in report["files"]} == {"rechecked"}
    last = {line["relative_path"]: line.get("fingerprint") for line in ledger_lines(dest)}
    assert last == take1
    shoot(card, 2)
    again = copy(tmp_path, card)
    assert again.returncode == 2, again.stdout + again.stderr
    assert statuses(newest_report(reports)) == dict.fromkeys(NAMES, "failed")


def test_a_card_of_many_files_read_ahead_catches_each_reshot_file_and_only_those(
    tmp_path: Path,
) -> None:
    """A re-run reads its fingerprints several at a time, ahead of the plan
    (``fingerprint.ReadAhead``): each file's read must be matched to its own ledger entry.
    Re-shot (same name, size and date, other bytes) at the start, at batch and window
    edges, right after a file whose copy was deleted (named ahead, never asked for), and
    last; only those are refused, the rest trusted, the deleted copy made again."""
    card = tmp_path / "A002"
    count = 150
    names = [f"DCIM/{position // 50:03d}/C{position:04d}.ARW" for position in range(count)]
    for name in names:
        path = card / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(1000 + len(name)))
        os.utime(path, ns=(MTIME_NS, MTIME_NS))
    dest, reports = tmp_path / "dest" / "A002", tmp_path / "reports"
    first = copy(tmp_path, card, "--verify", "transfer")
    assert first.returncode == 0, first.stdout + first.stderr
    reshot = {0, 7, 8, 63, 64, 65, 100, count - 1}
    (dest / names[99]).unlink()
    for position in reshot:
        path = card / names[position]
        path.write_bytes(os.urandom(path.stat().st_size))
        os.utime(path, ns=(MTIME_NS, MTIME_NS))
    again = copy(tmp_path, card, "--verify", "transfer")
    assert again.returncode == 1, again.stdout + again.stderr  # some refused, the rest done
    report = newest_report(reports)
    found = statuses(report)
    assert {name for name, status in found.items() if status == "failed"} == {
        names[position] for position in reshot
    }
    assert list(found.values()).count("transfer_checked") == count - len(reshot)
    actions = {f["path"]: f["destinations"][0]["action"] for f in report["files"]}
    assert [name for name in names if actions[name] != "trusted"] == sorted(
        {names[position] for position in reshot} | {names[99]}
    )
    assert actions[names[99]] == "copied"
    assert (dest / names[99]).read_bytes() == (card / names[99]).read_bytes()


def test_copies_trusted_on_several_destinations_are_one_note_naming_each(
    tmp_path: Path, tmpfs_mount: Any
) -> None:
    """Failed before: a note a destination, the same 500 characters three times on the
    terminal and in ``notes`` but for the folder and the count. Now one note names each
    destination: ``on each of`` when their counts agree, each count beside its
    destination when they do not (a copy deleted from one: copied again, not trusted)."""
    card = a_card(tmp_path, tmpfs_mount)
    drives = [tmp_path / name for name in ("d1", "d2", "d3")]
    for drive in drives:
        drive.mkdir()
    reports = tmp_path / "reports"

    def three(*more: str) -> subprocess.CompletedProcess[str]:
        return run("copy", card, *drives, "--report-dir", reports, *more)

    assert three().returncode == 0
    roots = [drive / "A001" for drive in drives]
    again = three()
    assert again.returncode == 0, again.stdout + again.stderr
    (note,) = newest_report(reports)["notes"]
    assert note.startswith(
        f"3 copies on each of {roots[0]}, {roots[1]} and {roots[2]}, trusted from their "
        "ledgers as verified (read back) by an earlier run, were matched to this card's "
        "files by path, size, modification time and content fingerprint"
    ), note
    assert " ".join(again.stderr.split()).count("this card's identity is unknown") == 1

    (roots[2] / NAMES[0]).unlink()
    dry = run("copy", "--dry-run", "--json", card, *drives)
    assert dry.returncode == 0, dry.stderr
    (planned,) = json.loads(dry.stdout)["notes"]
    last = three()
    assert last.returncode == 0, last.stdout + last.stderr
    (note,) = newest_report(reports)["notes"]
    assert note == planned
    assert note.startswith(
        f"8 copies (3 on {roots[0]}, 3 on {roots[1]} and 2 on {roots[2]}), trusted from "
        "their ledgers as verified (read back) by an earlier run, were matched"
    ), note
    assert " ".join(last.stderr.split()).count("this card's identity is unknown") == 1


def test_copies_trusted_on_backslash_destinations_name_each_once_printed(
    tmp_path: Path, tmpfs_mount: Any
) -> None:
    """Two destinations named ``d\\x1`` and ``d\\x2``: the one note naming both spells each
    as every line does, the backslash doubled once (``d\\\\x1``). Failed before (review of
    namesfix67, M2): ``_trusted_where`` printed the roots, then ``join_paths`` printed them
    again (``d\\\\\\\\x1``)."""
    card = a_card(tmp_path, tmpfs_mount)
    drives = [tmp_path / "d\\x1", tmp_path / "d\\x2"]
    for drive in drives:
        drive.mkdir()
    assert run("copy", card, *drives, "--report-dir", tmp_path / "reports").returncode == 0
    again = run("copy", card, *drives, "--report-dir", tmp_path / "reports")
    assert again.returncode == 0, again.stdout + again.stderr
    said = " ".join(again.stderr.split())
    assert f"3 copies on each of {tmp_path}/d\\\\x1/A001 and {tmp_path}/d\\\\x2/A001," in said, said
    assert "\\\\\\\\" not in said, said
