"""Two cards of one name (``EOS_DIGITAL``, ``NO NAME``: cameras name every card alike)
offloaded one after the other to one DEST: the second card's default copy root,
``DEST/<name>``, holds the first card's offload, which its ledger says. Refused before
anything is written (exit 64, one line naming the folder, whose offload it holds, and the
command with ``--into`` and a free name); the same card again, ``--into`` that folder, and
the free name all go on. Real cards: exFAT images on loop devices (each its own volume
serial, given here: mkfs.exfat's own comes from the clock), and folders whose identity no
run can tell (the content then tells). Each test runs the real CLI in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from offload.card_identity import card_identity
from support.cards import corrupt_keeping_size_and_mtime
from support.offload_cli import run_offload

run = partial(run_offload, columns=200, timeout_s=300)


def shoot(card: Path, clips: dict[str, int], seed: bytes) -> None:
    """The card's clips: each name's size in bytes, its bytes from *seed*."""
    for name, size in clips.items():
        path = card / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(((seed + name.encode()) * (size // len(seed) + 1))[:size])


def tree(folder: Path) -> dict[str, bytes]:
    """Every file below *folder* (its ledger and reports included) and its bytes."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _without_refusals(files: dict[str, bytes]) -> dict[str, bytes]:
    """*files* (a report folder's ``tree``) less the refused offloads' records, which a
    refusal writes (``refused/``) so that ``offload history`` lists the attempt."""
    return {path: data for path, data in files.items() if not path.startswith("refused/")}


def error_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("ERROR")]


def statuses(reports: Path) -> dict[str, str]:
    """Each file's status on the first destination, in the newest JSON report."""
    newest = max(reports.glob("*.json"), key=lambda p: p.stat().st_mtime_ns)
    report = json.loads(newest.read_text())
    return {f["path"]: f["destinations"][0]["status"] for f in report["files"]}


FIRST = {"DCIM/100CANON/MVI_0001.MOV": 300_000, "DCIM/100CANON/MVI_0002.MOV": 70_000}
SECOND = {"DCIM/100CANON/MVI_0001.MOV": 250_000, "DCIM/100CANON/MVI_0003.MOV": 90_000}
FIRST_CLIP, OTHER_CLIP = "DCIM/100CANON/MVI_0001.MOV", "DCIM/100CANON/MVI_0003.MOV"


def test_a_second_card_of_the_same_name_is_refused_not_merged_into_the_firsts_folder(
    tmp_path: Path, exfat_loop: Any
) -> None:
    """Failed before: the second EOS_DIGITAL card went into DEST/EOS_DIGITAL beside the
    first card's clips (its MVI_0003 merged in silently, its MVI_0001 refused naming
    --overwrite, which would have replaced the first card's clip)."""
    # Serials of their own: mkfs.exfat's comes from the clock, shared by two quick formats.
    first = exfat_loop(
        16 << 20, path=tmp_path / "reader1" / "EOS_DIGITAL", label="EOS_DIGITAL", serial=0x1A2B3C4D
    )
    second = exfat_loop(
        16 << 20, path=tmp_path / "reader2" / "EOS_DIGITAL", label="EOS_DIGITAL", serial=0x5E6F7081
    )
    shoot(first.path, FIRST, b"card one ")
    shoot(second.path, SECOND, b"card two ")
    a, b = card_identity(first.path), card_identity(second.path)
    assert a is not None and b is not None and a.volume_id != b.volume_id, (a, b)
    dest, reports, here = tmp_path / "dest", tmp_path / "reports", tmp_path / "here"
    for folder in (dest, here):
        folder.mkdir()
    report_dir = ("--report-dir", reports)
    assert run("copy", first.path, dest, *report_dir, cwd=here).returncode == 0
    before, reports_before = tree(dest), tree(reports)

    refused = run("copy", second.path, dest, *report_dir, cwd=here)
    assert refused.returncode == 64, refused.stdout + refused.stderr
    (line,) = error_lines(refused)
    assert f"{dest / 'EOS_DIGITAL'} holds another card's offload" in line, line
    assert f"volume {a.volume_id}" in line and f"volume {b.volume_id}" in line, line
    free = dest / "EOS_DIGITAL_2"
    assert f"mkdir {free} && offload copy --into {second.path} {free} (" in line, line
    assert "--overwrite" not in line and "--keep-both" not in line
    # Nothing written: not a byte on the first card's folder, no new folder, no job report
    # (the refusal's record alone, for offload history: report/refused.py).
    assert tree(dest) == before and sorted(os.listdir(dest)) == ["EOS_DIGITAL"]
    assert _without_refusals(tree(reports)) == reports_before and list(here.iterdir()) == []
    # --dry-run says the same, and so does --no-resume (which trusts no entry: it still
    # reads whose folder it is).
    for more in (["--dry-run"], ["--no-resume"]):
        again = run("copy", *more, second.path, dest, *report_dir, cwd=here)
        assert again.returncode == 64, again.stdout + again.stderr
        assert "holds another card's offload" in error_lines(again)[0]
    # --json: the refusal's code, for a script to act on.
    scripted = run("copy", "--json", second.path, dest, *report_dir, cwd=here)
    assert scripted.returncode == 64, scripted.stdout + scripted.stderr
    (refusal,) = [json.loads(line) for line in scripted.stdout.splitlines()]
    assert refusal["event"] == "offload_refused" and refusal["message"] == line[len("ERROR: ") :]
    (found,) = refusal["errors"]
    assert found["code"] == "copy-root-of-another-card" and found["destination_index"] == 0
    assert found["path"] == str(dest / "EOS_DIGITAL")
    assert tree(dest) == before

    # The way on the line names: the second card in a folder of its own.
    free.mkdir()
    apart = run("copy", "--into", second.path, free, *report_dir, cwd=here)
    assert apart.returncode == 0, apart.stdout + apart.stderr
    assert tree(dest / "EOS_DIGITAL_2").keys() >= SECOND.keys()
    for name in SECOND:
        assert (dest / "EOS_DIGITAL_2" / name).read_bytes() == (second.path / name).read_bytes()
    assert {k: v for k, v in tree(dest).items() if k.startswith("EOS_DIGITAL/")} == before
    # The first card's re-run is as before: everything trusted from its ledger.
    again = run("copy", first.path, dest, *report_dir, cwd=here)
    assert again.returncode == 0, again.stdout + again.stderr
    assert statuses(reports) == dict.fromkeys(FIRST, "verified_earlier")
    assert list(here.iterdir()) == []


def test_unknown_cards_of_one_name_are_told_apart_by_what_the_ledger_records(
    tmp_path: Path,
) -> None:
    """Folders no run can identify (no device): the ledger's paths, sizes and dates tell.
    A second ``NO NAME`` card is refused (the way on quoted for the shell: the name holds a
    space), on either destination; the first card re-run with a new clip and after an
    interrupted run goes on; ``--into`` the first card's folder adds the second card to it
    on purpose, and its re-runs then go on without ``--into``."""
    first, second = tmp_path / "r1" / "NO NAME", tmp_path / "r2" / "NO NAME"
    shoot(first, FIRST, b"card one ")
    shoot(second, SECOND, b"card two ")
    assert card_identity(first) is None  # the run cannot tell: the content must
    d1, d2, reports, here = (tmp_path / n for n in ("d1", "d2", "reports", "here"))
    for folder in (d1, d2, here):
        folder.mkdir()
    report_dir = ("--report-dir", reports)
    # The first card, its run interrupted after one clip: one entry, one copy, on d1 alone.
    assert run("copy", first, d1, *report_dir, cwd=here).returncode == 0
    ledger = d1 / "NO NAME" / ".offload" / "ledger.jsonl"
    kept, *dropped = ledger.read_text().splitlines(keepends=True)
    assert dropped, kept
    ledger.write_text(kept)
    for line in dropped:  # never recorded: never made, as far as a re-run can tell
        (d1 / "NO NAME" / json.loads(line)["relative_path"]).unlink()
    before = tree(d1)

    refused = run("copy", second, d2, d1, *report_dir, cwd=here)
    assert refused.returncode == 64, refused.stdout + refused.stderr
    (line,) = error_lines(refused)
    assert f"{d1 / 'NO NAME'} holds another offload, of this card or another" in line, line
    assert "none on this card at its size and date" in line, line
    frees = f"'{d2 / 'NO NAME_2'}' '{d1 / 'NO NAME_2'}'"
    assert f"mkdir {frees} && offload copy --into '{second}' {frees} (" in line, line
    assert tree(d1) == before and list(d2.iterdir()) == [] and list(here.iterdir()) == []

    # The same card again (a resume): what the interrupted run left is copied.
    resumed = run("copy", first, d2, d1, *report_dir, cwd=here)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    # A new clip on it: copied, the others trusted.
    shoot(first, {"DCIM/100CANON/MVI_0004.MOV": 40_000}, b"card one, later ")
    grown = run("copy", first, d1, *report_dir, cwd=here)
    assert grown.returncode == 0, grown.stdout + grown.stderr
    assert statuses(reports) == {
        **dict.fromkeys(FIRST, "verified_earlier"),
        "DCIM/100CANON/MVI_0004.MOV": "verified",
    }

    # --into that folder: asked for, so the second card is added there (its MVI_0001, of
    # other content, refused: the first card's clip is kept).
    shared = run("copy", "--into", second, d1 / "NO NAME", *report_dir, cwd=here)
    assert shared.returncode == 1, shared.stdout + shared.stderr
    folder = d1 / "NO NAME" / "DCIM" / "100CANON"
    assert (folder / "MVI_0001.MOV").read_bytes() == (first / FIRST_CLIP).read_bytes()
    assert (folder / "MVI_0003.MOV").read_bytes() == (second / OTHER_CLIP).read_bytes()
    # Its entries there now: the second card's default run finds them (no refusal).
    again = run("copy", second, d1, *report_dir, cwd=here)
    assert again.returncode == 1, again.stdout + again.stderr
    assert "holds another" not in again.stderr
    assert list(here.iterdir()) == []


def test_a_folder_of_the_cards_name_without_a_ledger_is_told_by_its_files(
    tmp_path: Path,
) -> None:
    """A folder ``DEST/EOS_DIGITAL`` no offload-ai run wrote (another tool's copy of
    another card of the name: no ledger). Failed before: the second card went in, its
    MVI_0003 merged among the other card's clips and its MVI_0001 refused naming
    --overwrite. Now refused whole before anything is written (64, one line naming the
    folder, the file, how it differs and the ``mkdir && --into`` way), ``--dry-run`` and
    ``--json`` alike (code ``copy-root-of-other-files``). ``--into`` that folder adds the
    card on purpose (the file in the way refused, never overwritten). A folder the user made
    (empty), and this card's copy made by a tool that kept its dates, go on."""
    other, card = tmp_path / "r1" / "EOS_DIGITAL", tmp_path / "r2" / "EOS_DIGITAL"
    shoot(other, FIRST, b"card one ")
    shoot(card, SECOND, b"card two ")
    dest, reports, here = tmp_path / "dest", tmp_path / "reports", tmp_path / "here"
    for folder in (dest, here):
        folder.mkdir()
    shutil.copytree(other, dest / "EOS_DIGITAL")  # another tool's copy, dates kept
    before = tree(dest)
    report_dir = ("--report-dir", reports)

    refused = run("copy", card, dest, *report_dir, cwd=here)
    assert refused.returncode == 64, refused.stdout + refused.stderr
    (line,) = error_lines(refused)
    assert f"{dest / 'EOS_DIGITAL'} holds files at this card's names that are not" in line
    assert f"'{FIRST_CLIP}': 300000 bytes there, 250000 on the card)" in line, line
    free = dest / "EOS_DIGITAL_2"
    assert f"mkdir {free} && offload copy --into {card} {free} (" in line, line
    assert f"or --into {dest / 'EOS_DIGITAL'} to add it to that folder" in line, line
    # Failed before: the way on left out the flag that folder needs (its DCIM/ makes it look
    # like a camera card), so following it was refused in turn (64, "looks like a camera card")
    assert "(with --allow-card-destination: it looks like a camera card, DCIM/ " in line, line
    assert "--overwrite" not in line and "--keep-both" not in line
    assert tree(dest) == before and list(here.iterdir()) == []
    assert _without_refusals(tree(reports)) == {}  # no job report: the refusal's record alone
    dry = run("copy", "--dry-run", card, dest, *report_dir, cwd=here)
    assert dry.returncode == 64 and error_lines(dry) == [line], dry.stderr
    scripted = run("copy", "--json", card, dest, *report_dir, cwd=here)
    (refusal,) = [json.loads(text) for text in scripted.stdout.splitlines()]
    (found,) = refusal["errors"]
    assert found["code"] == "copy-root-of-other-files" and found["destination_index"] == 0
    assert tree(dest) == before

    # --into the folder: asked for; the file in the way refused, kept; the new one copied.
    into = ("--into", "--allow-card-destination")  # a DCIM/ at its root: a card's copy
    added = run("copy", *into, card, dest / "EOS_DIGITAL", *report_dir, cwd=here)
    assert added.returncode == 1, added.stdout + added.stderr
    assert (dest / "EOS_DIGITAL" / FIRST_CLIP).read_bytes() == (other / FIRST_CLIP).read_bytes()
    assert (dest / "EOS_DIGITAL" / OTHER_CLIP).read_bytes() == (card / OTHER_CLIP).read_bytes()

    # A folder the user made, empty; this card's copy by a tool that kept its dates.
    for name, prepare in (("made", os.makedirs), ("copied", lambda p: shutil.copytree(card, p))):
        target = tmp_path / name
        target.mkdir()
        prepare(target / "EOS_DIGITAL")
        done = run("copy", card, target, *report_dir, cwd=here)
        assert done.returncode == 0, done.stdout + done.stderr
        for clip in SECOND:
            assert (target / "EOS_DIGITAL" / clip).read_bytes() == (card / clip).read_bytes()


def test_a_folder_whose_ledger_lines_are_all_revoked_is_told_by_its_files(
    tmp_path: Path,
) -> None:
    """The first EOS_DIGITAL card's copies all found changed by ``offload verify``, which
    revoked each: its ledger's every path ends in a ``revoked`` line, which vouches for no
    card. Failed before: such a ledger "has lines", so the folder was not told by its files
    and a second card of the name went in (exit 2: its MVI_0003 merged among the first
    card's clips, its MVI_0001 refused naming --overwrite, which would replace the first
    card's clip, maybe the only copy of it left). Now told by its files as a folder with no
    ledger line: refused whole (64, ``copy-root-of-other-files``), nothing written; the
    first card's own re-run is not refused (its files there have its sizes and dates)."""
    first, second = tmp_path / "r1" / "EOS_DIGITAL", tmp_path / "r2" / "EOS_DIGITAL"
    shoot(first, FIRST, b"card one ")
    shoot(second, SECOND, b"card two ")
    dest, reports, here = tmp_path / "dest", tmp_path / "reports", tmp_path / "here"
    for folder in (dest, here):
        folder.mkdir()
    report_dir = ("--report-dir", reports)
    assert run("copy", first, dest, *report_dir, cwd=here).returncode == 0
    root = dest / "EOS_DIGITAL"
    for clip in FIRST:
        corrupt_keeping_size_and_mtime(root / clip)
    checked = run("verify", "--json", *report_dir, root, cwd=here)
    assert checked.returncode == 11, checked.stdout + checked.stderr
    assert json.loads(checked.stdout)["revoked"] == sorted(FIRST)
    lines = (root / ".offload" / "ledger.jsonl").read_text().splitlines()
    last = {e["relative_path"]: e["state"] for e in map(json.loads, lines)}
    assert last == dict.fromkeys(FIRST, "revoked"), last
    before = tree(dest)

    refused = run("copy", second, dest, *report_dir, cwd=here)
    assert refused.returncode == 64, refused.stdout + refused.stderr
    (line,) = error_lines(refused)
    assert f"{root} holds files at this card's names that are not this card's" in line, line
    assert "--overwrite" not in line, line
    assert tree(dest) == before and list(here.iterdir()) == []

    # The first card's own re-run goes on: each revoked copy read back (and refused, being
    # changed), none of the folder refused.
    again = run("copy", first, dest, *report_dir, cwd=here)
    assert again.returncode != 64, again.stdout + again.stderr
    assert "holds files at this card's names" not in again.stderr


def test_a_copy_of_the_cards_file_is_this_cards_within_2_s_of_its_date_only(
    tmp_path: Path,
) -> None:
    """The rule tests that place a file at a card's name in a ledgerless folder named after
    the card depend on: the card file's bytes there, dated 1.5 s from the card file (FAT
    keeps 2 s), make the folder this card's (the copy read back, adopted: exit 0); dated
    3 s from it, the folder is refused as maybe another card's (64, "of its size, another
    modification time"). Such a test's file dated by its writing passed only when written
    within 2 s of the card: under load (CI, 2 cores) it was refused."""
    card = tmp_path / "cards" / "EOS_DIGITAL"
    shoot(card, SECOND, b"card two ")
    base = (card / FIRST_CLIP).stat().st_mtime_ns
    outcomes: dict[int, tuple[int, list[str]]] = {}
    for offset_ns in (1_500_000_000, 3_000_000_000):
        dest = tmp_path / f"dest_{offset_ns}"
        copy = dest / "EOS_DIGITAL" / FIRST_CLIP
        copy.parent.mkdir(parents=True)
        copy.write_bytes((card / FIRST_CLIP).read_bytes())
        os.utime(copy, ns=(base + offset_ns, base + offset_ns))
        done = run("copy", card, dest, "--report-dir", tmp_path / "reports", cwd=tmp_path)
        outcomes[offset_ns] = (done.returncode, error_lines(done))
    assert outcomes[1_500_000_000] == (0, []), outcomes
    code, lines = outcomes[3_000_000_000]
    assert code == 64 and len(lines) == 1, outcomes
    assert f"('{FIRST_CLIP}': of its size, another modification time)" in lines[0], lines


def test_the_way_on_of_a_cascade_keeps_its_slow_drive_cascaded(tmp_path: Path) -> None:
    """A second card of the name refused in a cascade (``--cascade-to SLOW``): the way on
    names the slow drive with ``--cascade-to`` again, and following it feeds that drive from
    the fast copy. Failed before: the suggested command gave SLOW as a plain destination (read
    from the card like the fast one, the cascade dropped)."""
    other, card = tmp_path / "r1" / "EOS_DIGITAL", tmp_path / "r2" / "EOS_DIGITAL"
    shoot(other, FIRST, b"card one ")
    shoot(card, SECOND, b"card two ")
    fast, slow, reports = tmp_path / "fast", tmp_path / "slow", tmp_path / "reports"
    for folder in (fast, slow):
        folder.mkdir()
    shutil.copytree(other, fast / "EOS_DIGITAL")  # another tool's copy, dates kept
    cascade = ("--report-dir", reports, "--allow-card-destination", "--cascade-to")

    refused = run("copy", *cascade, slow, card, fast)
    assert refused.returncode == 64, refused.stdout + refused.stderr
    (line,) = error_lines(refused)
    free_fast, free_slow = fast / "EOS_DIGITAL_2", slow / "EOS_DIGITAL_2"
    way = f"offload copy --into {card} {free_fast} --cascade-to {free_slow} ("
    assert f"mkdir {free_fast} {free_slow} && {way}" in line, line

    for folder in (free_fast, free_slow):
        folder.mkdir()
    apart = run("copy", *cascade[:-1], "--into", "--cascade-to", free_slow, card, free_fast)
    assert apart.returncode == 0, apart.stdout + apart.stderr
    assert f"Now feeding {free_slow} from those copies" in apart.stderr, apart.stderr
    for name in SECOND:
        assert (free_slow / name).read_bytes() == (card / name).read_bytes()


def test_the_way_to_add_the_card_to_its_folders_names_each_destination_and_works(
    tmp_path: Path,
) -> None:
    """Two destinations, the first holding another card's offload in ``RAID1/EOS_DIGITAL``,
    the second no folder of the name yet. Failed before: the other way on named the first
    destination's folder alone ("or --into RAID1/EOS_DIGITAL to add it to that folder"), a
    command that leaves RAID2 out. Now the whole command, each destination's folder named
    (the one not there made first), and run as printed it adds the card to both (its clip
    names not the other card's: none in the way)."""
    other, card = tmp_path / "r1" / "EOS_DIGITAL", tmp_path / "r2" / "EOS_DIGITAL"
    second = {OTHER_CLIP: SECOND[OTHER_CLIP]}
    shoot(other, FIRST, b"card one ")
    shoot(card, second, b"card two ")
    raid1, raid2, reports = tmp_path / "RAID1", tmp_path / "RAID2", tmp_path / "reports"
    for folder in (raid1, raid2):
        folder.mkdir()
    assert run("copy", "--report-dir", reports, other, raid1).returncode == 0

    refused = run("copy", "--report-dir", reports, card, raid1, raid2)
    assert refused.returncode == 64, refused.stdout + refused.stderr
    (line,) = error_lines(refused)
    ours = [raid1 / "EOS_DIGITAL", raid2 / "EOS_DIGITAL"]
    add = f"mkdir {ours[1]} && offload copy --into {card} {ours[0]} {ours[1]}"
    assert line.endswith(f"or {add} (with the command's other options) to add it to those folders")
    assert not ours[1].exists()

    bin_folder = os.path.dirname(sys.executable)  # where this venv's offload is
    added = subprocess.run(
        f"{add} --report-dir {reports}",
        shell=True,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PATH": f"{bin_folder}:{os.environ['PATH']}"},
    )
    assert added.returncode == 0, added.stdout + added.stderr
    for root in ours:
        for name in second:
            assert (root / name).read_bytes() == (card / name).read_bytes()
    for name in FIRST:
        assert (ours[0] / name).read_bytes() == (other / name).read_bytes()


def test_the_way_on_for_a_name_with_a_control_character_works_pasted_into_bash(
    tmp_path: Path,
) -> None:
    """Review of the fixcards59 merge: the ``mkdir && --into`` way on spelled its paths with
    ``printable_name``, so for a card named ``EOS\\x01D`` the pasted ``mkdir`` made a folder
    literally named ``EOS\\x01D`` (backslash, x, 0, 1) and ``offload copy`` then said
    "source does not exist". Failed before; the command, run by bash as printed (the report
    folder added), makes the free folder and offloads the card into it."""
    name = "EOS\x01D"
    other, card = tmp_path / "r1" / name, tmp_path / "r2" / name
    shoot(other, FIRST, b"card one ")
    shoot(card, SECOND, b"card two ")
    dest, reports, here = tmp_path / "dest", tmp_path / "reports", tmp_path / "here"
    for folder in (dest, here):
        folder.mkdir()
    shutil.copytree(other, dest / name)  # another tool's copy, dates kept
    refused = run("copy", card, dest, "--report-dir", reports, cwd=here)
    assert refused.returncode == 64, refused.stdout + refused.stderr
    (line,) = error_lines(refused)
    command = line.split("; ")[-1].partition("mkdir ")[2].partition(" (with")[0]
    assert command and "offload copy --into" in command, line
    bin_folder = os.path.dirname(sys.executable)
    done = subprocess.run(
        ["bash", "-c", f"mkdir {command} --report-dir {reports}"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=here,
        env={**os.environ, "PATH": f"{bin_folder}:{os.environ['PATH']}"},
    )
    assert done.returncode == 0, (command, done.stderr)
    assert tree(dest / f"{name}_2")[OTHER_CLIP] == (card / OTHER_CLIP).read_bytes()
    assert sorted(os.listdir(dest)) == [name, f"{name}_2"]


def test_a_copy_of_the_card_offloaded_into_its_own_parent_is_refused_as_over_the_source(
    tmp_path: Path, exfat_loop: Any, ext4_loop: Any
) -> None:
    """QA (the first hour, 38th pass): the card A001 offloaded to RAID1, then its copy
    RAID1/A001 given as the source into RAID1 (the copy root is the source itself). Failed
    before: refused (64) as "holds another card's offload" (the copy is the RAID1 volume's
    folder A001, the ledger records the card's volume), its way on ``--into RAID1/A001``
    refused again as inside the source. Now the preflight's own line: the copy would write
    over the source; the same with --dry-run, nothing written."""
    card = exfat_loop(16 << 20, path=tmp_path / "reader" / "A001", serial=0x1A2B3C4D).path
    raid = ext4_loop(32 << 20, path=tmp_path / "RAID1", mkfs_args=("-L", "RAID1")).path
    shoot(card, FIRST, b"card one ")
    reports, here = tmp_path / "reports", tmp_path / "here"
    here.mkdir()
    report_dir = ("--report-dir", reports)
    assert run("copy", card, raid, *report_dir, cwd=here).returncode == 0
    copy = raid / "A001"
    before = tree(raid)
    for more in ([], ["--dry-run"]):
        refused = run("copy", *more, copy, raid, *report_dir, cwd=here)
        assert refused.returncode == 64, refused.stdout + refused.stderr
        (line,) = set(error_lines(refused))
        assert f"the copy to {copy} would write over the source {copy}: choose another" in line
        assert "another card" not in line and "--into" not in line, line
        assert tree(raid) == before


@pytest.mark.parametrize("first_known", [True, False])
def test_another_cards_copy_at_a_refused_clips_path_is_no_copy_of_this_card(
    tmp_path: Path, exfat_loop: Any, first_known: bool
) -> None:
    """A second card ``--into`` the first card's folder, its clip MVI_0001 of the same size
    as the first card's there (another clip: a file in the way, refused without
    ``--overwrite``): the copy root's record counted the first card's ledger entry at that
    path and size as this card's copy standing there (``card._standing_copies``), settled
    ``finished``, and ``offload verify`` passed with the second card's clip never copied.
    Now only an entry of this card counts: INCOMPLETE, naming the clip refused for a file
    in the way and the remedy that clears it, ``--keep-both``, which then does. Failed
    before: exit 0. *first_known* False: the first card's ledger lines name no card (an
    older version's, a run that could not tell it), which ``ledger.same_card`` lets vouch
    for any card; a file refused for a file in the way is still no copy of this card's
    (review of the runrec64 merge, HIGH). Failed before: exit 0."""
    first = exfat_loop(
        16 << 20, path=tmp_path / "reader1" / "EOS_DIGITAL", label="EOS_DIGITAL", serial=0x1A2B3C4D
    )
    second = exfat_loop(
        16 << 20, path=tmp_path / "reader2" / "EOS_DIGITAL", label="EOS_DIGITAL", serial=0x5E6F7081
    )
    shoot(first.path, FIRST, b"card one ")
    shoot(second.path, {FIRST_CLIP: FIRST[FIRST_CLIP], **{OTHER_CLIP: 90_000}}, b"card two ")
    dest, reports = tmp_path / "dest", tmp_path / "reports"
    dest.mkdir()
    assert run("copy", "--report-dir", reports, first.path, dest).returncode == 0
    root = dest / "EOS_DIGITAL"
    if not first_known:
        ledger = root / ".offload" / "ledger.jsonl"
        lines = [json.loads(line) for line in ledger.read_text().splitlines()]
        assert all(line.pop("card") for line in lines), lines
        ledger.write_text("".join(json.dumps(line) + "\n" for line in lines))
    added = run("copy", "--report-dir", reports, "--into", second.path, root)
    assert added.returncode != 0, added.stdout + added.stderr
    assert (root / FIRST_CLIP).read_bytes() == (first.path / FIRST_CLIP).read_bytes()
    checked = run("verify", "--report-dir", tmp_path / "v1", root)
    output = checked.stdout + checked.stderr
    assert checked.returncode == 10, output
    (line,) = [line for line in output.splitlines() if "INCOMPLETE:" in line]
    assert "volume 5E6F-7081" in line, line
    # The words give the remedy that clears it (brief, final review LOW): the same command
    # alone refuses the file in the way again. Failed before: "not copied here (...): run
    # the same `offload copy` of that card again".
    assert f"1 card file refused here for a file in the way ({FIRST_CLIP})" in line, line
    assert "run the same `offload copy` of that card again with --keep-both" in line, line
    kept = run("copy", "--report-dir", reports, "--keep-both", "--into", second.path, root)
    assert kept.returncode == 0, kept.stdout + kept.stderr
    checked = run("verify", "--report-dir", tmp_path / "v2", root)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert (root / FIRST_CLIP).read_bytes() == (first.path / FIRST_CLIP).read_bytes()


def test_a_clip_refused_for_another_unknown_cards_file_leaves_the_copy_incomplete(
    tmp_path: Path,
) -> None:
    """Review of the runrec64 merge (HIGH): folders no run can identify, the second card's
    MVI_0001 of the first card's size and other content: ``--into`` the first card's folder
    refuses it (a file in the way). The first card's ledger entry at that path, of no known
    card, was counted as this card's copy standing there (``ledger.same_card`` says yes
    where either card is unknown): the record settled ``finished`` and ``offload verify``
    passed, "2 OK", the second card's clip never copied. A file refused for a file in the
    way was read unlike the card's file: never a copy of it. Failed before: exit 0."""
    first, second = tmp_path / "r1" / "EOS_DIGITAL", tmp_path / "r2" / "EOS_DIGITAL"
    clip, more = "DCIM/MVI_0001.MOV", "DCIM/MVI_0002.MOV"
    shoot(first, {clip: 200_000}, b"card one ")
    shoot(second, {clip: 200_000, more: 50_000}, b"card two ")
    assert card_identity(first) is None and card_identity(second) is None
    dest, reports = tmp_path / "dest", tmp_path / "reports"
    dest.mkdir()
    assert run("copy", "--report-dir", reports, first, dest).returncode == 0
    root = dest / "EOS_DIGITAL"
    added = run("copy", "--report-dir", reports, "--into", second, root)
    assert added.returncode == 1, added.stdout + added.stderr
    assert (root / clip).read_bytes() == (first / clip).read_bytes()
    record = json.loads((root / ".offload" / "last-run.json").read_text())
    states = {entry["source"]: entry["state"] for entry in record["cards"]}
    assert states == {str(first): "finished", str(second): "failed"}, record
    checked = run("verify", "--report-dir", tmp_path / "v1", root)
    output = checked.stdout + checked.stderr
    assert checked.returncode == 10, output
    (line,) = [line for line in output.splitlines() if "INCOMPLETE:" in line]
    assert f"1 card file refused here for a file in the way ({clip})" in line, line
    assert "with --keep-both" in line, line
    kept = run("copy", "--report-dir", reports, "--keep-both", "--into", second, root)
    assert kept.returncode == 0, kept.stdout + kept.stderr
    checked = run("verify", "--report-dir", tmp_path / "v2", root)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert (root / clip).read_bytes() == (first / clip).read_bytes()
