"""A copy root of ours as the source takes the card its ledger records only where that
claim holds (``source_copy_root``): every file of the source vouched for by a standing entry
of its ledger (same path, size, date), and no unfinished offload of the card recorded in the
source's own ``.offload/last-run.json``. Else it is judged as any card is (its own volume and
folder), as before copy roots carried their card's identity.

Real exFAT volumes (loop devices, each with a serial of its own), the real CLI in a
subprocess, and in the first test a real SIGKILL of an offload mid-copy."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from integration.test_card_identity import MTIME_NS, NAMES, shoot
from integration.test_field_filesystems import newest_report, run
from support.faultyfs import FaultyFS
from support.offload_cli import CLI


def _volume(exfat_loop: Any, path: Path, serial: int, size: int = 16 << 20) -> Path:
    return Path(exfat_loop(size, path=path, serial=serial).path)


def _copy(reports: Path, *args: str | Path) -> tuple[int, str]:
    done = run("copy", "--report-dir", reports, *args)
    return done.returncode, done.stdout + done.stderr


def _verify(root: Path) -> tuple[int, str]:
    done = run("verify", root)
    return done.returncode, done.stdout + done.stderr


def test_a_killed_copy_given_as_the_source_never_settles_the_card_finished(
    tmp_path: Path, exfat_loop: Any, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Card X offloaded to DRIVE_A and SHUTTLE at once, killed (a real SIGKILL) once its
    first clip's ledger line is durable on both while each drive holds the second clip's
    first write (a FaultyFS over each drive stalls it): the second clip copied nowhere, the
    record ``running``, both copy roots INCOMPLETE. DRIVE_A/A001 given as the source of
    SHUTTLE then is no copy of the card to be trusted (its record says the card's offload
    never finished there): it is not taken for card X, so SHUTTLE's INCOMPLETE stays
    (shuttle66 had exit 0 and then ``offload verify`` passing, A001C002.MOV on no drive).
    The kill is reached by the stall, never by timing: before, a kill timed after the first
    line raced the committer's batches (both lines written at once on a fast machine, none
    on a slow one), and the state was made by hand."""
    x = _volume(exfat_loop, tmp_path / "r1" / "A001", 0x11112222)
    drive_a = _volume(exfat_loop, tmp_path / "DRIVE_A", 0x0A0A0A0A)
    shuttle, reports = tmp_path / "SHUTTLE", tmp_path / "reports"
    shuttle.mkdir()
    (x / "CLIPS").mkdir()
    (x / "CLIPS/A001C001.MOV").write_bytes(b"a" * 100_000)
    (x / "CLIPS/A001C002.MOV").write_bytes(os.urandom(2 << 20))
    _killed_at_the_second_clip(x, [drive_a, shuttle], faulty_fs, tmp_path, reports)
    for root in (drive_a, shuttle):
        assert not (root / "A001/CLIPS/A001C002.MOV").exists()
        assert b"A001C002" not in (root / "A001/.offload/ledger.jsonl").read_bytes()
        record = json.loads((root / "A001/.offload/last-run.json").read_text())
        assert [e["state"] for e in record["cards"]] == ["running"], record
        code, out = _verify(root / "A001")
        assert code == 10 and "INCOMPLETE" in out, out

    code, out = _copy(reports, drive_a / "A001", shuttle)

    assert code == 64, out
    assert "holds another card's offload" in out
    code, out = _verify(shuttle / "A001")
    assert code == 10 and "INCOMPLETE" in out, out
    assert not (shuttle / "A001/CLIPS/A001C002.MOV").exists()


def _killed_at_the_second_clip(
    card: Path,
    drives: list[Path],
    faulty_fs: Callable[..., FaultyFS],
    tmp_path: Path,
    reports: Path,
) -> None:
    """``offload copy -b 64KiB CARD`` into *drives* and a third destination, a FaultyFS
    that stalls the first write of ``A001C002.MOV``'s partial; SIGKILLed once every one of
    *drives* has ``A001C001.MOV`` in its ledger: the state a kill between the two clips
    leaves, reached by the stall alone, whatever the machine's load. The stalled writer
    holds the read's chunks (six of 64 KiB, a third of that clip), so the reader waits and
    the other drives' writers, waiting for it, close the first clip's batch on time
    (``batch_seconds``) and record it, the second clip cut short there. (A stall on those
    drives' own write would hold their writer, and the first clip's batch with it.)"""
    stalled = faulty_fs(mountpoint=tmp_path / "STALLED")
    rule = stalled.stall("write", path="A001/CLIPS/.offload-partial.*A001C002.MOV")
    process = subprocess.Popen(
        [*CLI, "copy", "--quiet", "-b", "65536", "--report-dir", str(reports), str(card)]
        + [str(drive) for drive in drives]
        + [str(stalled.mountpoint)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        stalled.wait_stalled_while_working(rule, process)
        deadline = time.monotonic() + 120
        while not all(_first_recorded(drive / "A001") for drive in drives):
            assert process.poll() is None and time.monotonic() < deadline, "C001 never recorded"
            time.sleep(0.05)
    finally:
        process.kill()
        stalled.release()
        stalled.clear()
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL


def _first_recorded(root: Path) -> bool:
    """Whether the ledger of the copy root *root* names ``A001C001.MOV``."""
    try:
        return b"A001C001" in (root / ".offload" / "ledger.jsonl").read_bytes()
    except FileNotFoundError:
        return False


def _killed(root: Path) -> None:
    """*root*'s run record as a SIGKILL of its run leaves it: each entry ``running``."""
    record = root / ".offload" / "last-run.json"
    data = json.loads(record.read_text())
    data["state"] = "running"
    data.pop("settled", None)
    for entry in data["cards"]:
        entry["state"] = "running"
        entry.pop("settled", None)
    record.write_text(json.dumps(data))


def test_an_unfinished_copy_as_the_source_is_said_so(tmp_path: Path, exfat_loop: Any) -> None:
    """A fresh destination fed from a copy root whose record says its card's offload did not
    finish there: the run warns that card files may be missing from the source
    (``source-unfinished-copy``), and the copy is not recorded as card X's."""
    x = _volume(exfat_loop, tmp_path / "r1" / "A001", 0x11112222)
    drive_a = _volume(exfat_loop, tmp_path / "DRIVE_A", 0x0A0A0A0A)
    shuttle, reports = tmp_path / "SHUTTLE", tmp_path / "reports"
    shuttle.mkdir()
    shoot(x, b"take 1 ")
    held = (x / NAMES[1]).read_bytes()
    (x / NAMES[1]).unlink()  # the run killed before its second clip: built so
    assert _copy(reports, x, drive_a)[0] == 0
    (x / NAMES[1]).write_bytes(held)
    os.utime(x / NAMES[1], ns=(MTIME_NS, MTIME_NS))
    _killed(drive_a / "A001")

    _code, out = _copy(reports, drive_a / "A001", shuttle)

    assert "is an unfinished copy: card files may be missing from it" in out, out
    report = newest_report(reports)
    assert "source-unfinished-copy" in [w["code"] for w in report["warnings"]]
    assert report["card"]["volume_id"] != "1111-2222", report["card"]


def _stale(card_x: Path, card_z: Path, tmp_path: Path, reports: Path) -> None:
    """Card Z holds at its root the .offload/ of a copy root of card X (an rsync of X's copy
    onto Z, Z then cleared in camera and shot again)."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    assert _copy(reports, card_x, scratch)[0] == 0
    shutil.copytree(scratch / "A001" / ".offload", card_z / ".offload")


def test_a_card_holding_another_cards_ledger_is_not_that_card(
    tmp_path: Path, exfat_loop: Any
) -> None:
    """Card Z (clips of other names) with card X's copy root's .offload/ at its root, into
    SHUTTLE/A001, which holds X's offload: refused as another card's (exit 64), never merged
    into X's folder as X (shuttle66: exit 0, Z's clips recorded as card 1111-2222)."""
    x = _volume(exfat_loop, tmp_path / "r1" / "A001", 0x11112222)
    z = _volume(exfat_loop, tmp_path / "r2" / "A001", 0x33334444)
    shuttle, reports = tmp_path / "SHUTTLE", tmp_path / "reports"
    shuttle.mkdir()
    shoot(x, b"take 1 ")
    _stale(x, z, tmp_path, reports)
    for name in ("CLIPS/B001C001.MOV", "CLIPS/B001C002.MOV"):
        (z / name).parent.mkdir(parents=True, exist_ok=True)
        (z / name).write_bytes(b"card z " * 5000)
    assert _copy(reports, x, shuttle)[0] == 0

    code, out = _copy(reports, z, shuttle)

    assert code == 64, out
    assert "holds another card's offload" in out
    assert not list((shuttle / "A001").rglob("B001*"))


def test_a_card_holding_another_cards_ledger_never_replaces_its_copies(
    tmp_path: Path, exfat_loop: Any
) -> None:
    """Card Z, the same clip names as X but other sizes, X's .offload/ at its root: refused
    as another card's even with --overwrite (shuttle66: X's only shuttle copies REPLACED)."""
    x = _volume(exfat_loop, tmp_path / "r1" / "A001", 0x11112222)
    z = _volume(exfat_loop, tmp_path / "r2" / "A001", 0x33334444)
    shuttle, reports = tmp_path / "SHUTTLE", tmp_path / "reports"
    shuttle.mkdir()
    shoot(x, b"take 1 ")
    shoot(z, b"take 22 ")
    _stale(x, z, tmp_path, reports)
    assert _copy(reports, x, shuttle)[0] == 0
    kept = {name: (shuttle / "A001" / name).read_bytes() for name in NAMES}

    code, out = _copy(reports, z, shuttle, "--overwrite")

    assert code == 64, out
    assert "holds another card's offload" in out
    assert {name: (shuttle / "A001" / name).read_bytes() for name in NAMES} == kept


def test_a_copy_whose_ledger_names_no_card_says_why_its_identity_is_unknown(
    tmp_path: Path, exfat_loop: Any, cards: Path
) -> None:
    """A card of unknown identity (a folder on tmpfs) copied to DRIVE_A (exFAT, a serial of
    its own), DRIVE_A's copy then fed to SHUTTLE: the identity is unknown because the copy's
    ledger names no card, never "no volume serial found" (DRIVE_A has one: rev5_66)."""
    card = cards / "A001"
    shoot(card, b"take 1 ")
    drive_a = _volume(exfat_loop, tmp_path / "DRIVE_A", 0x0A0A0A0A)
    shuttle = _volume(exfat_loop, tmp_path / "SHUTTLE", 0x0C0C0C0C)
    reports = tmp_path / "reports"
    assert _copy(reports, card, drive_a)[0] == 0
    assert _copy(reports, drive_a / "A001", shuttle)[0] == 0

    for extra in (["--dry-run"], []):  # the dry run's card line, the run's note
        code, out = _copy(reports, drive_a / "A001", shuttle, *extra)
        assert code == 0, out
        said = " ".join(out.split())
        assert "ledger names no one card" in said, said
        assert "no volume serial found" not in said and "blkid found none" not in said, said
