"""A card's identity in the ledger, on real exFAT cards (loop devices, exfat-fuse, made by
mkfs.exfat: each format a new volume serial). The reshoot: reel A001 formatted again in
camera and shot again, the same clip names, sizes and dates, offloaded into the same copy
root. Each test runs the real CLI in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from integration.test_cascade import stopped_at_release
from integration.test_field_filesystems import newest_report, run
from offload.card_identity import card_identity
from support.cards import corrupt_keeping_size_and_mtime
from support.mounts import exfat_replugged, unmount

MTIME_NS = 1_700_000_000_000_000_000
NAMES = ("CLIPS/A001C001.MOV", "CLIPS/A001C002.MOV")


def copy_into_dest(
    tmp_path: Path, card: Path, *, shared: bool = False
) -> subprocess.CompletedProcess[str]:
    """``offload copy CARD <tmp_path>/dest``, its reports in ``<tmp_path>/reports``;
    *shared*: ``--into <tmp_path>/dest/A001``, the same copy root named on purpose, as a
    second card of that name must (without ``--into`` it is refused before the copy, as
    the folder holds another card's offload: test_card_same_name.py)."""
    (tmp_path / "dest").mkdir(exist_ok=True)
    where = ("--into", card, tmp_path / "dest" / "A001") if shared else (card, tmp_path / "dest")
    return run("copy", *where, "--report-dir", tmp_path / "reports")


def assert_all_trusted(done: subprocess.CompletedProcess[str], reports: Path) -> None:
    """The run ended well and trusted every clip from the ledger (nothing read)."""
    assert done.returncode == 0, done.stdout + done.stderr
    assert statuses(newest_report(reports)) == dict.fromkeys(NAMES, "verified_earlier")


def shoot(card: Path, take: bytes) -> None:
    """The card's clips: the same names, sizes and dates on every card, *take*'s bytes."""
    for name in NAMES:
        path = card / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes((take + name.encode()) * 4096)
        os.utime(path, ns=(MTIME_NS, MTIME_NS))


def ledger_lines(copy_root: Path) -> list[dict[str, Any]]:
    text = (copy_root / ".offload" / "ledger.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines()]


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {f["path"]: f["destinations"][0]["status"] for f in report["files"]}


def two_cards(tmp_path: Path, exfat_loop: Any, second: bytes) -> tuple[Path, Path]:
    """Two exFAT cards mounted at folders both named A001 (one copy root DEST/A001): the
    first shot with take 1, the second with *second*."""
    # Serials of their own: mkfs.exfat makes one from the clock, which two formats within
    # the same instant share (CI saw 7BF7-FAA2 twice).
    first = exfat_loop(16 << 20, path=tmp_path / "reader1" / "A001", serial=0x1A2B3C4D).path
    other = exfat_loop(16 << 20, path=tmp_path / "reader2" / "A001", serial=0x5E6F7081).path
    shoot(first, b"take 1 ")
    shoot(other, second)
    a, b = card_identity(first), card_identity(other)
    assert a is not None and b is not None and a.volume_id != b.volume_id, (a, b)
    return first, other


def test_a_reshot_card_of_the_same_names_sizes_and_dates_is_read_back_and_refused(
    tmp_path: Path, exfat_loop: Any
) -> None:
    """Failed before: the second card's clips were "verified earlier" from the first card's
    ledger entries, not read, and never copied (the drive kept take 1, the run exited 0)."""
    first, second = two_cards(tmp_path, exfat_loop, b"take 2 ")
    dest, reports = tmp_path / "dest", tmp_path / "reports"
    done = copy_into_dest(tmp_path, first)
    assert done.returncode == 0, done.stdout + done.stderr
    identity = card_identity(first)
    assert identity is not None

    again = copy_into_dest(tmp_path, second, shared=True)
    out = again.stdout + again.stderr
    assert again.returncode == 2, out  # every copy failed
    assert statuses(newest_report(reports)) == dict.fromkeys(NAMES, "failed")
    for name in NAMES:  # nothing lost: take 1 is still there
        assert (dest / "A001" / name).read_bytes() == (first / name).read_bytes()
    assert "already exists with other content" in out
    assert "ledger records it from another card" in out
    assert f"volume {identity.volume_id}" in out
    assert "--into another folder" in out and "--keep-both" in out
    # Not offered: it would replace take 1, maybe its only copy left (the card reformatted).
    assert "--overwrite" not in out
    # Each entry records the card it was copied from; the refusals recorded nothing.
    assert {line["card"] for line in ledger_lines(dest / "A001")} == {identity.key}


def test_a_copy_of_the_card_on_another_card_is_adopted_and_recorded_as_this_card(
    tmp_path: Path, exfat_loop: Any
) -> None:
    first, second = two_cards(tmp_path, exfat_loop, b"take 1 ")
    dest, reports = tmp_path / "dest", tmp_path / "reports"
    assert copy_into_dest(tmp_path, first).returncode == 0
    again = copy_into_dest(tmp_path, second, shared=True)
    assert again.returncode == 0, again.stdout + again.stderr
    report = newest_report(reports)
    assert statuses(report) == dict.fromkeys(NAMES, "verified")
    assert {f["destinations"][0]["action"] for f in report["files"]} == {"adopted"}
    assert "from another card" in again.stderr, again.stderr
    second_id = card_identity(second)
    assert second_id is not None
    last = {line["relative_path"]: line for line in ledger_lines(dest / "A001")}
    assert {last[name]["card"] for name in NAMES} == {second_id.key}
    assert report["card"]["volume_id"] == second_id.volume_id


def test_the_same_card_again_is_trusted_and_a_ledger_without_cards_still_is(
    tmp_path: Path, exfat_loop: Any
) -> None:
    """The same card: its identity equal, trusted from the ledger (no read). A ledger
    written before cards were recorded (no ``card`` key): the quick check alone, as before,
    also for another card (the weaker case the README names)."""
    first, second = two_cards(tmp_path, exfat_loop, b"take 2 ")
    dest, reports = tmp_path / "dest", tmp_path / "reports"
    assert copy_into_dest(tmp_path, first).returncode == 0
    assert_all_trusted(copy_into_dest(tmp_path, first), reports)

    ledger = dest / "A001" / ".offload" / "ledger.jsonl"
    lines = ledger_lines(dest / "A001")
    legacy = [{k: v for k, v in line.items() if k not in ("card", "fingerprint")} for line in lines]
    ledger.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in legacy))
    assert_all_trusted(copy_into_dest(tmp_path, second), reports)
    # Trusted on the quick check alone, and the report says why (failed before: no word).
    notes = newest_report(reports)["notes"]
    assert [n for n in notes if "their ledger entries name no card" in n], notes


def test_a_source_of_unknown_identity_keeps_the_quick_check(
    tmp_path: Path, tmpfs_mount: Any
) -> None:
    """A folder on tmpfs (no device: no identity): the ledger records no card and a re-run
    of a ledger written before fingerprints (no ``fingerprint`` key) trusts by the quick
    check alone, as before, whatever card it is (with fingerprints, a re-shot card's clips
    are read back: test_fingerprint_reruns.py)."""
    card = tmpfs_mount(16 << 20, path=tmp_path / "ram" / "A001").path
    assert card_identity(card) is None
    shoot(card, b"take 1 ")
    dest, reports = tmp_path / "dest", tmp_path / "reports"
    assert copy_into_dest(tmp_path, card).returncode == 0
    assert all("card" not in line for line in ledger_lines(dest / "A001"))
    assert newest_report(reports)["card"] is None
    ledger = dest / "A001" / ".offload" / "ledger.jsonl"
    legacy = [
        {k: v for k, v in line.items() if k != "fingerprint"}
        for line in ledger_lines(dest / "A001")
    ]
    ledger.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in legacy))
    shoot(card, b"take 2 ")
    dry = run("copy", "--dry-run", "--json", card, tmp_path / "dest")
    assert dry.returncode == 0, dry.stderr
    (planned,) = json.loads(dry.stdout)["notes"]
    # --dry-run's Card: line says what these copies are matched by, as the note does.
    words = run("copy", "--dry-run", card, tmp_path / "dest")
    (card_line,) = [line for line in words.stderr.splitlines() if line.startswith("Card: ")]
    assert card_line.endswith(
        "read now); 2 copies whose ledger entry records no fingerprint by path, size and date alone"
    ), card_line
    again = copy_into_dest(tmp_path, card)
    assert_all_trusted(again, reports)
    # Every report says what that trust rests on (failed before: "verified earlier" alone,
    # although take 2 is another card's content for all the run could tell).
    root = tmp_path / "dest" / "A001"
    (note,) = [n for n in newest_report(reports)["notes"] if "modification time alone" in n]
    assert note == planned, (note, planned)
    assert note.startswith(
        f"{root}: 2 copies trusted from its ledger as verified (read back) by an earlier run "
        "were matched to this card's files by path, size and modification time alone: this "
        "card's identity is unknown"
    ), note
    assert "another card's file of the same name, size and time would be trusted" in note
    assert "--reverify" in note
    assert "modification time alone" in " ".join(again.stderr.split()), again.stderr


def test_a_folder_of_cards_on_one_volume_is_told_apart_by_its_folder(
    tmp_path: Path, ext4_loop: Any
) -> None:
    """A shuttle drive holding many cards: the volume's UUID names the drive, not a card;
    each folder's identity is the UUID and its path on the volume (a bind mount of one
    folder names that folder too, from the mount's root)."""
    drive = ext4_loop(32 << 20, mkfs_args=("-L", "SHUTTLE"))
    for name in ("CARDS/A001", "CARDS/A002"):
        (drive.path / name).mkdir(parents=True)
    whole = card_identity(drive.path)
    a001 = card_identity(drive.path / "CARDS" / "A001")
    a002 = card_identity(drive.path / "CARDS" / "A002")
    assert whole is not None and a001 is not None and a002 is not None
    assert (whole.label, whole.filesystem, whole.folder) == ("SHUTTLE", "ext4", "")
    assert a001.volume_id == a002.volume_id == whole.volume_id
    assert (a001.folder, a002.folder) == ("CARDS/A001", "CARDS/A002")
    assert len({whole.key, a001.key, a002.key}) == 3
    assert a001.words() == f'folder CARDS/A001 of "SHUTTLE", volume {whole.volume_id}'
    bound = tmp_path / "bound"
    bound.mkdir()
    subprocess.run(["mount", "--bind", str(drive.path / "CARDS" / "A001"), str(bound)], check=True)
    try:
        assert card_identity(bound) == a001
    finally:
        subprocess.run(["umount", str(bound)], check=True)


def test_files_recorded_from_another_card_are_not_named_as_gone_from_this_one(
    tmp_path: Path, exfat_loop: Any
) -> None:
    """Failed before: the second card's run named the first card's clips as "not on the
    card now ... deleted from the card since, or another card's file"."""
    first, second = two_cards(tmp_path, exfat_loop, b"take 1 ")
    (second / NAMES[1]).unlink()
    reports = tmp_path / "reports"
    assert copy_into_dest(tmp_path, first).returncode == 0
    again = copy_into_dest(tmp_path, second, shared=True)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "not on the card now" not in again.stdout + again.stderr
    # (the cards are loop images on the disk the destination is on: dest-on-source-device)
    assert "not-on-card" not in [w["code"] for w in newest_report(reports)["warnings"]]
    # The first card again: the second card's entry of the clip both hold is another
    # card's, the clip the second lacks is still the first card's own (nothing gone).
    third = copy_into_dest(tmp_path, first)
    assert third.returncode == 0, third.stdout + third.stderr
    assert "not on the card now" not in third.stdout + third.stderr


def test_a_file_of_another_size_recorded_from_another_card_is_refused_naming_it(
    tmp_path: Path, exfat_loop: Any
) -> None:
    """A clip of another size where the copy root's ledger records the other card's: named
    before the copy (``existing-not-overwritten``) and refused, both saying it is another
    card's and that ``--into`` another folder keeps the cards apart."""
    first, second = two_cards(tmp_path, exfat_loop, b"take 2 ")
    longer = second / NAMES[0]
    longer.write_bytes(longer.read_bytes() + b"more")
    os.utime(longer, ns=(MTIME_NS, MTIME_NS))
    dest, reports = tmp_path / "dest", tmp_path / "reports"
    assert copy_into_dest(tmp_path, first).returncode == 0
    again = copy_into_dest(tmp_path, second, shared=True)
    assert again.returncode == 2, again.stdout + again.stderr
    report = newest_report(reports)
    (warning,) = [w for w in report["warnings"] if w["code"] == "existing-not-overwritten"]
    assert "recorded in this copy root's ledger from another card" in warning["message"]
    assert "--into another folder" in warning["message"]
    (clip,) = [f for f in report["files"] if f["path"] == NAMES[0]]
    error = clip["destinations"][0]["error"]
    assert "from another card" in error and "--into another folder" in error, error
    assert clip["destinations"][0]["refusal"] == "another_card"
    assert (dest / "A001" / NAMES[0]).read_bytes() == (first / NAMES[0]).read_bytes()


def test_a_cascade_fed_from_its_fast_copy_records_the_card_not_the_fast_drive(
    tmp_path: Path, cards: Path, exfat_loop: Any, ext4_loop: Any
) -> None:
    """The card gone, a cascade re-run feeds the slow destination from the fast copy (on a
    drive with an identity of its own): the slow destination's entries record the card the
    fast copy was made from, so the run with the card back trusts them. Failed before this
    test's fix: they recorded the fast drive's folder, and the card's run read every copy
    back (adopted) instead of trusting it."""
    # Its image on another disk than the fast drive's: a copy on the card's disk releases
    # nothing.
    card = exfat_loop(16 << 20, path=cards / "reader" / "A001")
    shoot(card.path, b"take 1 ")
    identity = card_identity(card.path)
    assert identity is not None
    fast = ext4_loop(32 << 20).path
    assert card_identity(fast) is not None
    slow = tmp_path / "SHUTTLE"
    slow.mkdir()
    stopped_at_release(card.path, fast, slow)
    unmount(card.path)
    card.path.rmdir()
    fed = copy_cascade(tmp_path, card.path, fast, slow)
    assert fed.returncode == 0, fed.stdout + fed.stderr
    assert "is absent: the source is its fast copy" in fed.stderr
    assert {line["card"] for line in ledger_lines(slow / "A001")} == {identity.key}

    card.path.mkdir()
    with exfat_replugged(card):
        assert card_identity(card.path) == identity
        back = copy_cascade(tmp_path, card.path, fast, slow)
        assert back.returncode == 0, back.stdout + back.stderr
        report = newest_report(tmp_path / "reports")
        assert {d["status"] for f in report["files"] for d in f["destinations"]} == {
            "verified_earlier"
        }


def copy_cascade(
    tmp_path: Path, card: Path, fast: Path, slow: Path
) -> subprocess.CompletedProcess[str]:
    return run("copy", "--report-dir", tmp_path / "reports", card, fast, "--cascade-to", slow)


def test_the_dry_run_names_the_card_and_reads_another_cards_copies_back(
    tmp_path: Path, exfat_loop: Any
) -> None:
    first, second = two_cards(tmp_path, exfat_loop, b"take 2 ")
    assert copy_into_dest(tmp_path, first).returncode == 0
    shared = ("--into", second, tmp_path / "dest" / "A001")  # test_card_same_name.py
    dry = run("copy", "--dry-run", "--json", *shared)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    plan = json.loads(dry.stdout)
    second_id = card_identity(second)
    assert second_id is not None and plan["card"] == second_id.as_json()
    (dest,) = plan["destinations"]
    assert dest["verified_earlier"] == [] and dest["copy"] == []
    assert [item["path"] for item in dest["read_back"]] == list(NAMES)
    assert all("from another card" in item["why"] for item in dest["read_back"])
    words = run("copy", "--dry-run", *shared)
    (card_line,) = [line for line in words.stderr.splitlines() if line.startswith("Card: ")]
    # Failed before (QA, 38th pass): ": the ledgers' copies of another card are read back"
    # on every known card's dry run, a fresh destination's too, read as "this is another
    # card". Now the count of such copies, said only when there are some.
    assert card_line == (
        f"Card: volume {second_id.volume_id}; 2 copies the ledgers record from another card "
        "would be read back and compared with this card's files, not trusted"
    ), card_line
    (tmp_path / "fresh").mkdir()
    fresh = run("copy", "--dry-run", first, tmp_path / "fresh")
    first_id = card_identity(first)
    assert first_id is not None and fresh.returncode == 0, fresh.stderr
    (card_line,) = [line for line in fresh.stderr.splitlines() if line.startswith("Card: ")]
    assert card_line == f"Card: {first_id.words()}", card_line


def a_then_b_kept_both(tmp_path: Path, exfat_loop: Any) -> tuple[Path, Path, Path, Path]:
    """Two real exFAT cards of one name and layout: A offloaded into ``dest``, then B with
    ``--into dest/A001 --keep-both`` (its clips kept beside A's; a later run of either finds
    its own entries there, ``--into`` or not). Returns A, B, ``dest`` and the report folder."""
    first, second = two_cards(tmp_path, exfat_loop, b"take 2 ")
    dest, reports = tmp_path / "dest", tmp_path / "reports"
    done = copy_into_dest(tmp_path, first)
    assert done.returncode == 0, done.stdout + done.stderr
    kept = run("copy", "--into", second, dest / "A001", "--keep-both", "--report-dir", reports)
    assert kept.returncode == 0, kept.stdout + kept.stderr
    return first, second, dest, reports


def test_two_cards_kept_both_in_one_folder_each_find_their_own_copies_again(
    tmp_path: Path, exfat_loop: Any
) -> None:
    """Card A, then card B (``--keep-both``: its clips kept beside A's as "name (1).ext"),
    then A, B, A, B again: each re-run trusts its own card's copies from the ledger and
    writes nothing. Failed before: the ledger kept the last line of a path whatever its
    card, so each re-run found the other card's entry, read the clip at the card's own
    name back, and B's runs wrote "(2)", "(3)" ... one more copy every time."""
    first, second, dest, reports = a_then_b_kept_both(tmp_path, exfat_loop)
    folder = dest / "A001"
    beside = {name: name.replace(".MOV", " (1).MOV") for name in NAMES}
    for name, other in beside.items():
        assert (folder / name).read_bytes() == (first / name).read_bytes()
        assert (folder / other).read_bytes() == (second / name).read_bytes()
    before = sorted(p.name for p in (folder / "CLIPS").iterdir())
    lines = len(ledger_lines(folder))
    for card in (first, second, first, second):
        again = run("copy", card, dest, "--keep-both", "--report-dir", reports)
        assert_all_trusted(again, reports)
        report = newest_report(reports)
        targets = {f["path"]: f["destinations"][0]["final_path"] for f in report["files"]}
        expected = dict.fromkeys(NAMES) if card == first else beside
        for name in NAMES:
            assert targets[name] == str(folder / (expected[name] or name)), targets
    assert sorted(p.name for p in (folder / "CLIPS").iterdir()) == before
    assert len(ledger_lines(folder)) == lines  # nothing read back, nothing recorded again
    # Against the ledger alone (no ASC MHL history there), A's copy changed, its size and
    # date kept: each card's copies are checked, A's changed one found changed. Failed
    # before: the ledger's last line of each path alone was the reference, so A's copies
    # were extra files and its change went unseen.
    corrupt_keeping_size_and_mtime(folder / NAMES[0])
    history = folder / "ascmhl"
    history.rename(tmp_path / "ascmhl-moved")
    checked = run("verify", folder, "--json", "--report-dir", reports)
    result = json.loads(checked.stdout)
    assert [c["path"] for c in result["changed"]] == [NAMES[0]], result
    assert sorted(result["verified"]) == sorted([NAMES[1], *beside.values()]), result
    assert result["extra"] == [] and result["missing"] == [], result
    assert result["revoked"] == [NAMES[0]], result
    # A check again (the history back): the copy is no longer vouched for by the ledger,
    # and the check says neither that the ledger still vouches for it nor that it revoked
    # it again. Failed before (for the first check): "this copy root's ledger still
    # vouches for the copies it recorded".
    (tmp_path / "ascmhl-moved").rename(history)
    checked = run("verify", folder, "--report-dir", reports)
    said = " ".join(checked.stderr.split())
    assert checked.returncode == 11, said
    assert f"CHANGED {folder / NAMES[0]}" in said, said
    assert "still vouches" not in said and "revoked this copy root" not in said, said
    assert "1 changed copy is not vouched for by this copy root's ledger" in said, said
    # The first check revoked A's record of that copy alone (verify_revoke): B's copy of
    # the same path still stands beside it, and B's plain run trusts every copy of its own.
    again = run("copy", second, dest, "--keep-both", "--report-dir", reports)
    assert_all_trusted(again, reports)


def test_a_known_card_s_copies_verified_earlier_say_what_their_trust_rests_on(
    tmp_path: Path, exfat_loop: Any
) -> None:
    """The card known (its volume serial read), a clip changed between its first and last
    64 KiB, its date put back: trusted "verified earlier", as the README says such a change
    is not told apart; the line saying so now says it for a known card too (failed before:
    only "--reverify re-reads them", the card's words no caveat), and --reverify catches
    it."""
    card = exfat_loop(16 << 20, path=tmp_path / "reader" / "A001", serial=0x2B3C4D5E).path
    clip = card / "CLIPS" / "A001C001.MOV"
    clip.parent.mkdir(parents=True)
    clip.write_bytes(os.urandom(1 << 20))
    assert card_identity(card) is not None
    assert copy_into_dest(tmp_path, card).returncode == 0
    corrupt_keeping_size_and_mtime(clip)
    again = copy_into_dest(tmp_path, card)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "verified earlier and trusted from the destination's ledger" in again.stderr
    assert (
        "trusted on each card file's name, size, date and, where recorded, its first and last "
        "64 KiB, not on every byte: --reverify re-reads them" in again.stderr
    ), again.stderr
    checked = run(
        "copy", "--reverify", card, tmp_path / "dest", "--report-dir", tmp_path / "reports"
    )
    assert checked.returncode == 1, checked.stdout + checked.stderr  # the copy as recorded
    assert "differs from what was verified on" in checked.stderr
