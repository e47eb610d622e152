"""What FAT through fusefat does that other FAT drivers do not. It sets a file's mtime to now
when it is renamed: a copy published under
its final name lost the card's date, no warning said so, and every later run read every
copy back again ("no longer as recorded ... adopted"). fusefat also wraps a date outside
1980-2107 by 128 years (1975 shown as 2103, 2120 as 1992) where the warning said "1980".
It refuses every name that is not ASCII (EPERM). Real fusefat over a FAT image, the real
CLI in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from offload.destinations.local import probe_features
from support.offload_cli import CLI, newest_report
from support.offload_cli import run_offload as run

S = 1_000_000_000
NORMAL = 1_682_944_496 * S  # 2023-05-01 12:34:56 UTC
OLD = 157_766_400 * S  # 1975-01-01 00:00:00 UTC: before FAT's 1980
FUTURE = 4_733_510_400 * S  # 2120-01-01 00:00:00 UTC: after FAT's 2107
WRAPPED = {"old.bin": 4_197_052_800 * S, "future.bin": 694_224_000 * S}  # 2103, 1992


def test_copies_on_fusefat_keep_the_card_date_and_a_rerun_trusts_them(
    tmp_path: Path, fusefat_mount: Any
) -> None:
    """Failed before: every copy showed the time of its rename, and the re-run read back and
    adopted all of them; the warning said 1975 "will show 1980-01-01" (it showed 2103)."""
    fat = fusefat_mount(64 << 20, fat_bits=32)
    card = tmp_path / "S1"
    dates = {"a.mov": NORMAL, "b.mov": NORMAL + 3600 * S, "old.bin": OLD, "future.bin": FUTURE}
    for name, mtime in dates.items():
        path = card / "CLIPS" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(100_000))
        os.utime(path, ns=(mtime, mtime))
    reports = tmp_path / "reports"
    first = run("copy", card, fat.path, "--report-dir", reports)
    assert first.returncode == 0, first.stderr
    copies = fat.path / "S1" / "CLIPS"
    for name in ("a.mov", "b.mov"):
        assert abs((copies / name).stat().st_mtime_ns - dates[name]) <= 2 * S, name
    for name, shown in WRAPPED.items():
        assert abs((copies / name).stat().st_mtime_ns - shown) <= 2 * S, name
    warned = [line for line in first.stderr.splitlines() if "do not keep the card's mtime" in line]
    assert len(warned) == 1, first.stderr
    assert "'CLIPS/old.bin' dated 1975-01-01 00:00:00 UTC will show 2103-01-01" in warned[0]
    assert "'CLIPS/future.bin' dated 2120-01-01 00:00:00 UTC will show 1992-01-01" in warned[0]
    assert "will show 1980" not in warned[0]

    again = run("copy", card, fat.path, "--report-dir", reports)
    assert again.returncode == 0, again.stderr
    assert "no longer as recorded" not in again.stdout + again.stderr
    report = newest_report(reports)
    states = {
        f["path"]: (f["destinations"][0]["status"], f["destinations"][0]["action"])
        for f in report["files"]
    }
    assert set(states.values()) == {("verified_earlier", "trusted")}, states


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
def test_only_fuse_destinations_set_the_date_again_after_a_rename(
    tmp_path: Path,
    tmpfs_mount: Any,
    ext4_loop: Any,
    exfat_loop: Any,
    fusefat_mount: Any,
) -> None:
    """tmpfs, ext4 and the kernel's exFAT keep a file's mtime through rename(): a real copy
    onto each, traced (strace), sets no date by a published file's name (no utimensat of
    it); onto fusefat (FUSE, which sets it to the rename's time) each published file's date
    is set again by its name. The kernel's vfat is not mounted here (no loop fixture for it):
    it is a kernel filesystem, which ``probe_features`` does not ask either."""
    card = tmp_path / "S1"
    (card / "CLIPS").mkdir(parents=True)
    names = ("a.mov", "b.mov", "c.mov")
    for name in names:
        path = card / "CLIPS" / name
        path.write_bytes(os.urandom(50_000))
        os.utime(path, ns=(NORMAL, NORMAL))

    def dates_set_by_name(destination: Path) -> int:
        """How many utimensat calls a traced copy onto *destination* made by a published
        file's name."""
        trace = tmp_path / f"trace-{destination.name}"
        done = subprocess.run(
            ["strace", "-f", "-qq", "-e", "trace=utimensat", "-o", str(trace),
             *CLI, "copy", str(card), str(destination), "--report-dir", str(tmp_path / "r")],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        published = [f'"{destination / "S1" / "CLIPS" / name}"' for name in names]
        calls = trace.read_text().splitlines()
        return sum(1 for call in calls if any(name in call for name in published))

    assert probe_features(tmp_path).rename_may_set_mtime is False
    for kind, destination in (
        ("tmpfs", tmpfs_mount(16 << 20).path),
        ("ext4", ext4_loop(32 << 20).path),
        ("exfat", exfat_loop(32 << 20).path),
    ):
        assert dates_set_by_name(destination) == 0, kind
    assert dates_set_by_name(fusefat_mount(32 << 20).path) == len(names)


def test_a_name_fusefat_refuses_is_refused_before_the_first_byte(
    tmp_path: Path, fusefat_mount: Any
) -> None:
    """Failed before: fusefat refuses a non-ASCII name (EPERM), the preflight let it through
    and the copy failed midway: "cannot create .../.offload-partial.....café.mov ...:
    Operation not permitted", exit 1. Now exit 64 naming each such file with its --ignore,
    nothing written."""
    fat = fusefat_mount(32 << 20)
    card = tmp_path / "CARD"
    for name in ("café.mov", "ok.mov", "Über/clip.mov"):
        path = card / "NAMES" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(1000))
    result = run("copy", card, fat.path, "--report-dir", tmp_path / "r")
    assert result.returncode == 64, result.stdout + result.stderr
    err = result.stderr
    assert "'NAMES/café.mov': the name 'café.mov' contains 'é' (not ASCII)" in err, err
    assert "'NAMES/Über': the name 'Über' contains 'Ü' (not ASCII)" in err, err
    assert "leave it out with --ignore '/NAMES/café.mov'" in err, err
    assert "ok.mov" not in err
    assert os.listdir(fat.path) == []


def card_and_unicode_folder(tmp_path: Path, fusefat_mount: Any, name: str) -> tuple[Path, Path]:
    """A card folder *name* of one clip, and ``Jour_é`` on a new fusefat volume: a folder
    another system made (fusefat cannot create that name), as the ``--into`` destination."""
    fat = fusefat_mount(32 << 20, folders=("Jour_é",))
    card = tmp_path / name
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "a.mov").write_bytes(b"clip\n")
    return card, fat.path / "Jour_é"


def test_the_report_and_manifest_offload_names_on_fusefat_are_ascii(
    tmp_path: Path, fusefat_mount: Any, judge: Any
) -> None:
    """Failed before: the copies were written and read back, then fusefat refused the names
    offload-ai chose itself (EPERM): the report ``Café_<date>.json`` (named after the card's
    folder) and the manifest ``0001_Jour_é_<date>.mhl`` (after the copy root, here the
    ``--into`` folder, made by another system): exit 1, the destination FAILED. Now those
    two names are written in ASCII (``Cafe``, ``Jour_e``); the card's own names are kept,
    and the reference ascmhl reads the manifest."""
    card, dest = card_and_unicode_folder(tmp_path, fusefat_mount, "Café")
    reports = tmp_path / "reports"
    result = run("copy", "--into", card, dest, "--report-dir", reports)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (dest / "CLIPS" / "a.mov").read_bytes() == b"clip\n"
    [on_drive] = (dest / ".offload" / "reports").glob("*.json")
    [local] = reports.glob("*.json")
    assert on_drive.name == local.name and on_drive.name.startswith("Cafe_"), on_drive
    [manifest] = (dest / "ascmhl").glob("*.mhl")
    assert manifest.name.startswith("0001_Jour_e_"), manifest
    assert judge.verify(dest).returncode == 0


def test_the_legacy_mhl_on_fusefat_takes_an_ascii_name_and_is_still_ours(
    tmp_path: Path, fusefat_mount: Any
) -> None:
    """Failed before: ``--mhl legacy`` into a folder named ``Jour_é`` on fusefat could not
    write ``Jour_é_<date>.mhl`` (EPERM, exit 1). Now ``Jour_e_<date>.mhl``, which a re-run
    finds as this folder's legacy MHL (nothing written again) and ``offload verify`` does
    not count as a file the card lacks."""
    card, dest = card_and_unicode_folder(tmp_path, fusefat_mount, "CARD")
    reports = tmp_path / "reports"
    first = run("copy", "--into", "--mhl", "legacy", card, dest, "--report-dir", reports)
    assert first.returncode == 0, first.stdout + first.stderr
    [legacy] = dest.glob("*.mhl")
    assert legacy.name.startswith("Jour_e_"), legacy
    again = run("copy", "--into", "--mhl", "legacy", card, dest, "--report-dir", reports)
    assert again.returncode == 0, again.stdout + again.stderr
    assert list(dest.glob("*.mhl")) == [legacy]
    verify = run("verify", dest)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "Jour_e_" not in verify.stdout + verify.stderr


def test_the_ascmhl_history_on_fusefat_ignores_the_legacy_mhl_by_its_ascii_name(
    tmp_path: Path, fusefat_mount: Any, judge: Any
) -> None:
    """Failed before: with ``--mhl both`` into ``Jour_é`` on fusefat the generation ignored
    ``Jour_é_*.mhl`` while the legacy MHL is ``Jour_e_<date>.mhl``: ``ascmhl-debug verify``
    and ``offload verify`` called it a new file (exit 21) after an offload that exited 0."""
    card, dest = card_and_unicode_folder(tmp_path, fusefat_mount, "CARD")
    reports = tmp_path / "reports"
    result = run("copy", "--into", "--mhl", "both", card, dest, "--report-dir", reports)
    assert result.returncode == 0, result.stdout + result.stderr
    [legacy] = dest.glob("*.mhl")
    assert legacy.name.startswith("Jour_e_"), legacy
    verdict = judge.verify(dest)
    assert verdict.clean, verdict.describe()
    verify = run("verify", dest)
    assert verify.returncode == 0, verify.stdout + verify.stderr


@pytest.mark.parametrize("cascade", [False, True], ids=["direct", "cascade"])
def test_a_copy_fusefat_damages_after_its_read_back_is_failed_not_called_verified(
    tmp_path: Path, fusefat_mount: Any, cascade: bool, judge: Any
) -> None:
    """Failed before: a GoPro time-lapse (55 stills in one folder) copied onto fusefat
    exited 0, every copy "verified now", while fusefat, renaming later copies into the
    folder, had written folder entries over some earlier ones (3 of 55 here; ``mv`` does the
    same): ``offload verify`` then found them CHANGED. Now every copy is read once more after
    the last rename, and one that changed is failed, named, and revoked from the ledger.
    Likewise where fusefat is fed in cascade (``--cascade-to``), its copies written after
    the fast destination's: failed before, damaged copies "verified now" (the re-read ran
    before the cascade wrote them)."""
    from support import camera_cards

    fat = fusefat_mount(96 << 20)
    card = camera_cards.write_card(tmp_path / "GOPRO", camera_cards.GOPRO_TIMELAPSE)
    reports = tmp_path / "reports"
    if cascade:
        fast = tmp_path / "fast"
        fast.mkdir()
        result = run(
            "copy", card, fast, "--cascade-to", fat.path, "--report-dir", reports, "--json"
        )
    else:
        result = run("copy", card, fat.path, "--report-dir", reports, "--json")
    report = newest_report(reports)
    statuses = {}
    for file in report["files"]:
        [copy] = [d for d in file["destinations"] if d["index"] == int(cascade)]
        statuses[file["path"]] = copy["status"]
        equal = Path(copy["final_path"]).read_bytes() == (card / file["path"]).read_bytes()
        # Whatever fusefat did this time, no copy that differs from the card is verified.
        assert equal or copy["status"] == "failed", (file["path"], copy)
        if not equal:
            assert "after it was read back and verified: fusefat damages" in copy["error"]
    failed = [path for path, status in statuses.items() if status == "failed"]
    assert result.returncode == (1 if failed else 0), result.stderr
    # --json: each copy failed so has its file_failed line after its file_verified one (the
    # later line is its outcome). Failed before: file_verified alone, then a warning.
    events = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    last = {
        (e["destination_index"], e["relative_path"]): e["event"]
        for e in events
        if e.get("event") in ("file_verified", "file_failed")
    }
    for path in failed:
        assert last[(int(cascade), path)] == "file_failed", path
    ledger = (fat.path / "GOPRO" / ".offload" / "ledger.jsonl").read_text().splitlines()
    revoked = {e["relative_path"] for e in map(json.loads, ledger) if e["state"] == "revoked"}
    assert revoked == set(failed)
    # What fusefat left of the partials' names (".offload-part", a long name's first 13
    # characters) is never a new file of the card: the generation's ignore list hides it
    # (`offload verify` names one a leftover where no manifest hides it). Failed before:
    # "NEW (not in the ASC MHL history) .../.offload-part", exit 21.
    root = fat.path / "GOPRO"
    debris = sorted(
        os.path.relpath(os.path.join(folder, name), root)
        for folder, _dirs, files in os.walk(root)
        for name in files
        if name.startswith(".offload-part")
    )
    checked = subprocess.run(
        [*CLI, "verify", "--json", "--report-dir", str(reports), str(root)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    said = json.loads(checked.stdout)
    assert said["leftovers"] == [], checked.stderr
    assert not [p for p in said["extra"] if Path(p).name.startswith(".offload-part")]
    assert set(said["extra"]) == set(failed)  # the damaged copies, revoked: in no manifest
    # A run whose copies failed there did not finish the copy root (``run_record``): the
    # check says INCOMPLETE, exit 10, naming them, before their being new (21).
    assert checked.returncode == (10 if failed else 0), checked.stderr
    if failed:
        assert "with no verified copy here (" in said["unfinished_offload"], said
        assert all(path in said["unfinished_offload"] for path in failed[:5]), said
    # Each says why it is new: its copy was revoked, and what to do. Failed before: a bare
    # "NEW (not in the ASC MHL history)", as if another tool had put it there.
    for path in failed:
        assert said["reasons"][path]["code"] == "revoked-copy", said["reasons"]
        assert "--overwrite" in said["reasons"][path]["text"]
        assert (
            "--reverify replaces it when offloading the same card, its file as recorded, "
            "else --overwrite does" in said["reasons"][path]["text"]
        )
    # The reference tool hides the debris too: the manifest's ignore list names it. Failed
    # before: "found new file DCIM/100GOPRO/.offload-part", exit 21 on a copy with no damage.
    verdict = judge.verify(root)
    assert ".offload-part" not in verdict.stderr, verdict.describe()
    assert verdict.returncode == (21 if failed else 0), verdict.describe()
    # The same command again: a revoked copy at its final name is not the card's file:
    # refused, named so, with the remedy (the revocation kept the entry it ended, so
    # --reverify takes it up as ours). Failed before: "already exists with other content",
    # as for any file; then (no record kept) "--overwrite replaces it" alone. The debris
    # stays: removing it through fusefat frees clusters a copy still uses.
    again = run("copy", card, fat.path, "--report-dir", reports)
    assert again.returncode == (1 if failed else 0), again.stderr
    refused = [line for line in again.stderr.splitlines() if line.startswith("ERROR: ")]
    assert len(refused) == len(failed), again.stderr
    for line in refused:
        assert "an earlier offload revoked its record" in line, line
        assert "--reverify replaces it" in line, line
    assert (
        sorted(
            os.path.relpath(os.path.join(folder, name), root)
            for folder, _dirs, files in os.walk(root)
            for name in files
            if name.startswith(".offload-part")
        )
        == debris
    )
    # The remedy named works: --reverify replaces each (read again after the last rename).
    replaced = run("copy", "--reverify", card, fat.path, "--report-dir", reports)
    assert replaced.returncode == 0, replaced.stderr
    for path in failed:
        assert (root / path).read_bytes() == (card / path).read_bytes()


def test_a_transfer_checked_copy_fusefat_damages_is_failed_and_the_others_verified(
    tmp_path: Path, fusefat_mount: Any
) -> None:
    """``--verify transfer`` onto fusefat: the GoPro time-lapse's copies are read again
    after the last rename like those of a verified run, against this run's in-flight
    digests. Each that changed is failed, named, revoked; each equal is verified now
    (``destination``, read through fusefat: ``cache_bypass`` ``none``), and the report's
    notes say what was read that a transfer check does not read. Failed before: exit 0,
    all 55 "transfer_checked" (sizes and in-flight hashes checked, "never read back"),
    3 of them holding fusefat's folder entries."""
    from support import camera_cards

    fat = fusefat_mount(96 << 20)
    card = camera_cards.write_card(tmp_path / "GOPRO", camera_cards.GOPRO_TIMELAPSE)
    reports = tmp_path / "reports"
    argv = ("copy", card, fat.path, "--verify", "transfer", "--report-dir", reports)
    result = run(*argv, "--json")
    report = newest_report(reports)
    failed = set()
    for file in report["files"]:
        [copy] = file["destinations"]
        equal = Path(copy["final_path"]).read_bytes() == (card / file["path"]).read_bytes()
        if not equal:
            assert copy["status"] == "failed", (file["path"], copy)
            assert "after it was written and transfer-checked: fusefat damages" in copy["error"]
            failed.add(file["path"])
        else:
            assert copy["status"] == "verified", (file["path"], copy)
            assert (copy["verified_mode"], copy["cache_bypass"]) == ("destination", "none")
    # The time-lapse's folder outgrows its first cluster: fusefat damaged some copies (3).
    assert failed, "fusefat damaged no copy: the test proves nothing"
    assert result.returncode == 1, result.stderr
    [note] = [n for n in report["notes"] if "--verify transfer reads no copy back" in n]
    assert f"({55 - len(failed)} equal to this run's in-flight digests: verified now" in note
    assert f"; {len(failed)} changed: failed)" in note
    assert report["card_release"]["may_format"] is False
    # --json: each copy's last line is its outcome.
    events = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    last = {
        e["relative_path"]: (e["event"], e.get("status"))
        for e in events
        if e.get("event") in ("file_verified", "file_failed")
    }
    for path, outcome in last.items():
        assert outcome == (
            ("file_failed", None) if path in failed else ("file_verified", "verified")
        )
    ledger = (fat.path / "GOPRO" / ".offload" / "ledger.jsonl").read_text().splitlines()
    revoked = {e["relative_path"] for e in map(json.loads, ledger) if e["state"] == "revoked"}
    assert revoked == failed


def test_a_transfer_checked_copy_the_reread_found_equal_is_recorded_as_what_it_proved(
    tmp_path: Path, fusefat_mount: Any
) -> None:
    """``--verify transfer`` onto fusefat: each copy, read again after the last rename and
    equal to the in-flight digests, is verified now (``destination``, through fusefat's
    caches: ``cache_bypass`` ``none``), and its ledger says so after its transfer check. A
    re-run with ``--verify transfer`` trusts it as verified earlier through a cache, in
    its words and its report; one with ``--verify full`` reads it back. Failed before: the
    ledger kept "transfer_checked" alone, and the re-run said "Copies transfer-checked by
    an earlier run ... never read back" of copies the first run had read back."""
    fat = fusefat_mount(32 << 20)
    card = tmp_path / "S1"
    (card / "CLIPS").mkdir(parents=True)
    for name in ("a.mov", "b.mov", "c.mov"):
        (card / "CLIPS" / name).write_bytes(os.urandom(200_000))
    reports = tmp_path / "reports"
    first = run("copy", card, fat.path, "--verify", "transfer", "--report-dir", reports)
    assert first.returncode == 0, first.stderr
    for file in newest_report(reports)["files"]:
        [copy] = file["destinations"]
        assert (copy["status"], copy["verified_mode"], copy["cache_bypass"]) == (
            "verified",
            "destination",
            "none",
        ), copy
    ledger = fat.path / "S1" / ".offload" / "ledger.jsonl"
    entries = [json.loads(line) for line in ledger.read_text().splitlines()]
    last = {e["relative_path"]: e for e in entries}
    assert len(last) == 3 and len(entries) == 6, entries  # the transfer check, then this
    for path, entry in last.items():
        assert (entry["state"], entry["verify"], entry["cache_bypass"]) == (
            "verified",
            "destination",
            "none",
        ), entry
        checked = next(e for e in entries if e["relative_path"] == path)
        assert checked["state"] == "transfer_checked"
        assert entry["digests"] == checked["digests"] and entry.get("card") == checked.get("card")

    again = run("copy", card, fat.path, "--verify", "transfer", "--report-dir", reports)
    assert again.returncode == 0, again.stderr
    words = again.stdout + again.stderr
    assert "READ THROUGH A CACHE EARLIER: 3 copies were verified earlier" in words, words
    assert "never read back" not in words, words
    assert "transfer-checked" not in words.lower(), words
    for file in newest_report(reports)["files"]:
        [copy] = file["destinations"]
        assert (copy["status"], copy["action"], copy["cache_bypass"]) == (
            "verified_earlier",
            "trusted",
            "none",
        ), copy

    full = run("copy", card, fat.path, "--report-dir", reports)  # --verify full: read back
    assert full.returncode == 0, full.stderr
    for file in newest_report(reports)["files"]:
        [copy] = file["destinations"]
        assert copy["status"] == "verified" and copy["action"] != "trusted", copy


@pytest.mark.parametrize("verify", ["full", "transfer"])
def test_an_earlier_runs_copy_fusefat_damages_while_this_run_renames_is_failed(
    tmp_path: Path, fusefat_mount: Any, verify: str
) -> None:
    """A GoPro time-lapse offloaded in two runs onto fusefat (the first leaves out the second
    series, ``--ignore``; an incremental or resumed offload): the second run renames its
    copies into the folder that holds the first run's, which fusefat may damage. Those are
    trusted from the ledger, not read back, so the re-read after the last rename reads them
    too (against the ledger's digests): no copy that differs from the card is called
    verified, earlier or now; each that changed is failed and revoked. Failed before:
    G0010016.JPG "verified_earlier", exit 1 for another copy only."""
    from support import camera_cards

    fat = fusefat_mount(96 << 20)
    card = camera_cards.write_card(tmp_path / "GOPRO", camera_cards.GOPRO_TIMELAPSE)
    reports = tmp_path / "reports"
    run("copy", card, fat.path, "--verify", verify, "--report-dir", reports, "--ignore", "G002*")
    if verify == "transfer":
        # The first run's ledger as a version before the re-read recorded its proof left it:
        # its copies transfer-checked only (this version records each one its re-read found
        # equal as verified, which a re-run trusts as such: the test above).
        ledger = fat.path / "GOPRO" / ".offload" / "ledger.jsonl"
        kept = [
            line for line in ledger.read_text().splitlines() if '"state": "verified"' not in line
        ]
        fresh = ledger.with_name("ledger.new")  # fusefat refuses to extend a file it has
        fresh.write_text("".join(line + "\n" for line in kept))
        os.replace(fresh, ledger)
    result = run("copy", card, fat.path, "--verify", verify, "--report-dir", reports)
    report = newest_report(reports)
    failed = set()
    for file in report["files"]:
        [copy] = file["destinations"]
        equal = Path(copy["final_path"]).read_bytes() == (card / file["path"]).read_bytes()
        assert equal or copy["status"] == "failed", (file["path"], copy)
        if copy["status"] == "failed":
            failed.add(file["path"])
            if copy["action"] == "trusted":
                checked = "transfer-checked" if verify == "transfer" else "verified"
                assert f"since an earlier run {checked} it, this run renaming" in copy["error"]
        elif verify == "transfer" and file["path"].startswith("DCIM/100GOPRO/G001"):
            # The first run's, read against its ledger's digests: no read of the card by
            # this run, so no more than the transfer check it was. Failed before: unchanged.
            assert (copy["status"], copy["action"]) == ("transfer_checked", "trusted"), copy
        elif verify == "transfer":  # this run's, read again against its in-flight digests
            assert (copy["status"], copy["verified_mode"]) == ("verified", "destination"), copy
    if verify == "transfer":
        [note] = [n for n in report["notes"] if "--verify transfer reads no copy back" in n]
        earlier = [f for f in report["files"] if f["destinations"][0]["action"] == "trusted"]
        changed = len([f for f in earlier if f["destinations"][0]["status"] == "failed"])
        assert f"{len(earlier)} copies an earlier run transfer-checked, against" in note, note
        assert f"{len(earlier) - changed} equal: still transfer-checked only; {changed}" in note
    assert result.returncode == (1 if failed else 0), result.stderr
    assert "cannot set the time" not in result.stderr, result.stderr
    assert os.listdir(fat.path)  # the daemon is still there
    ledger = (fat.path / "GOPRO" / ".offload" / "ledger.jsonl").read_text().splitlines()
    entries = [json.loads(line) for line in ledger]
    last = {e["relative_path"]: e["state"] for e in entries}
    assert {path for path, state in last.items() if state == "revoked"} >= failed


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
@pytest.mark.parametrize("verify", ["full", "transfer"])
def test_a_ctrl_c_during_the_recheck_stops_it_and_no_copy_left_unread_is_verified_now(
    tmp_path: Path, fusefat_mount: Any, verify: str
) -> None:
    """A real SIGINT to the CLI while the re-read after the renames is under way (its open of
    b.mov held 3 s by strace, a drive that slow; sent at b.mov's ``phase_changed`` ``verify``
    line, after the job's ``job_finished``): the re-read stops, a.mov (re-read) stays
    verified, b.mov and c.mov are cancelled, "verified before the renames; not re-checked"
    in the report, the warning (terminal and --json), each its own ``file_cancelled`` line
    after its ``file_verified`` (--json), and revoked from the ledger; the run exits 130.
    Failed before: the SIGINT was ignored until the re-read ended, every copy "verified",
    exit 0; then (the per-copy line) --json's last word on b.mov and c.mov was their
    ``file_verified``. With ``--verify transfer`` the same, b.mov and c.mov
    "transfer-checked before the renames; not re-checked" and a.mov, read again and equal,
    verified now. Failed before: transfer-mode copies were never read again (no such
    line)."""
    fat = fusefat_mount(64 << 20)
    card = tmp_path / "S1"
    (card / "CLIPS").mkdir(parents=True)
    for name in ("a.mov", "b.mov", "c.mov"):
        (card / "CLIPS" / name).write_bytes(os.urandom(3 << 20))
    held = fat.path / "S1" / "CLIPS" / "b.mov"
    reports = tmp_path / "reports"
    # The run's first open of b.mov by its final name is the re-read's (the read-back reads
    # the partial; the report worker opens it later, a run not cancelled).
    command = ["strace", "-f", "-qq", "-o", os.devnull, "-P", str(held), "-e", "trace=openat"]
    command += ["-e", "inject=openat:delay_enter=3000000:when=1"]
    command += [*CLI, "copy", str(card), str(fat.path), "--report-dir", str(reports), "--json"]
    command += ["--verify", verify]
    checked = "transfer-checked" if verify == "transfer" else "verified"
    env = {**os.environ, "COLUMNS": "200"}
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
        lines, job_over = [], False
        for line in process.stdout:
            lines.append(line)
            event = json.loads(line)
            job_over = job_over or event.get("event") == "job_finished"
            # The re-read's progress line for b.mov comes just before its open, held 3 s.
            reading = event.get("phase") == "verify" and event.get("relative_path") == "CLIPS/b.mov"
            if job_over and reading:
                break
        assert job_over and reading, "no progress line of the re-read after the job"
        [offload_pid] = map(int, children.read_text().split())
        os.kill(offload_pid, signal.SIGINT)
        out, err = process.communicate(timeout=60)
    lines += out.splitlines()
    assert process.returncode == 130, err
    report = newest_report(reports)
    copies = {f["path"]: f["destinations"][0] for f in report["files"]}
    assert copies["CLIPS/a.mov"]["status"] == "verified"
    for name in ("CLIPS/b.mov", "CLIPS/c.mov"):
        assert copies[name]["status"] == "cancelled", copies[name]
        assert f"{checked} before the renames; not re-checked" in copies[name]["error"]
    warnings = [line for line in lines if '"warning_issued"' in line]
    assert any("not re-checked" in str(w) for w in warnings), "".join(lines[-12:])
    # --json: each copy left not re-checked has its own line after its file_verified, its
    # outcome (a script never takes it for verified); a.mov, re-read, has none.
    events = [json.loads(line) for line in lines]
    outcome = {}
    for event in events:
        if event["event"] in ("file_verified", "file_failed", "file_cancelled"):
            outcome[event["relative_path"]] = event
    assert outcome["CLIPS/a.mov"]["event"] == "file_verified", outcome
    for name in ("CLIPS/b.mov", "CLIPS/c.mov"):
        assert outcome[name]["event"] == "file_cancelled", outcome[name]
        assert outcome[name]["destination_index"] == 0
        assert outcome[name]["final_path"] == copies[name]["final_path"]
        assert f"{checked} before the renames; not re-checked" in outcome[name]["message"]
    # The last progress line counts a.mov alone done there, and that destination cancelled.
    [last] = [e for e in events if e["event"] == "progress"][-1:]
    assert last["destinations"][0]["files_done"] == 1, last
    assert last["destinations"][0]["phase"] == "cancelled" and last["files_finished"] == 1
    [csv] = reports.glob("*.csv")
    assert csv.read_text().count(f"{checked} before the renames; not re-checked") == 2
    ledger = (fat.path / "S1" / ".offload" / "ledger.jsonl").read_text().splitlines()
    last = {e["relative_path"]: e["state"] for e in map(json.loads, ledger)}
    assert last["CLIPS/b.mov"] == last["CLIPS/c.mov"] == "revoked"
    assert last["CLIPS/a.mov"] != "revoked"
    # offload verify (against the ledger: the cancelled run wrote no manifest) names them
    # new, revoked, for what happened: a re-read cancelled, not a copy found wrong. Failed
    # before: "found wrong after it was verified, or never finished". The copy root's last
    # offload was cancelled: no pass, exit 10 (``run_record``), whatever the files say.
    found = run("verify", "--json", "--report-dir", tmp_path / "checks", fat.path / "S1")
    assert found.returncode == 10, found.stderr
    data = json.loads(found.stdout)
    assert "was cancelled before it finished" in data["unfinished_offload"], data
    assert data["verified"] == ["CLIPS/a.mov"] and data["extra"] == ["CLIPS/b.mov", "CLIPS/c.mov"]
    for name in ("CLIPS/b.mov", "CLIPS/c.mov"):
        assert data["reasons"][name]["code"] == "revoked-copy"
        # The revocation kept the entry it ended: --reverify takes the copy up as ours.
        assert "not read again after fusefat's renames" in data["reasons"][name]["text"]
        assert (
            "--reverify replaces it when offloading the same card, its file as recorded, "
            "else --overwrite does" in data["reasons"][name]["text"]
        )


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
def test_the_live_view_of_a_recheck_a_ctrl_c_stopped_says_cancelled_not_done(
    tmp_path: Path, fusefat_mount: Any
) -> None:
    """The live view on a real terminal, a real Ctrl-C while the re-read after the renames
    is held (its open of a.mov, the first copy it reads, held 3 s by strace; the Ctrl-C 1 s
    after the view counts every file finished, the job over): its last frame says
    CANCELLED, the fusefat destination ``cancelled`` (not done), as the summary's
    CANCELLED line does, never "nothing cancelled". Failed before: the frame took the
    Ctrl-C for one after every copy finished ("Ctrl-C after every copy finished: nothing
    cancelled; writing the manifests and reports", no CANCELLED; its row "cancelled") above
    the summary's CANCELLED line, exit 130."""
    from support.terminal import run_on_terminal

    fat = fusefat_mount(32 << 20)
    card = tmp_path / "S1"
    (card / "CLIPS").mkdir(parents=True)
    for name in ("a.mov", "b.mov", "c.mov"):
        (card / "CLIPS" / name).write_bytes(os.urandom(1 << 20))
    held = fat.path / "S1" / "CLIPS" / "a.mov"
    strace = ["strace", "-f", "-qq", "-o", os.devnull, "-P", str(held), "-e", "trace=openat"]
    strace += ["-e", "inject=openat:delay_enter=3000000:when=1", "--"]
    run = run_on_terminal(
        "copy", card, fat.path, "--report-dir", tmp_path / "reports",
        interrupt_after="3/3 files", interrupt_delay_s=1.0, wrapper=strace, timeout_s=120,
    )  # fmt: skip
    assert run.returncode == 130, run.text
    assert "not re-checked" in run.text, run.text
    # The live view's last frame: its status line, then its row of the fusefat drive.
    status = next(line for line in run.lines if "files" in line and "·" in line)
    assert status.startswith("CANCELLED"), run.text
    assert "nothing cancelled" not in run.text, run.text
    [row] = [line for line in run.lines if line.startswith("1 ") and "fat-0" in line]
    assert " cancelled " in row and " done " not in row, run.text


@pytest.mark.parametrize("mounted_at", ["GOPRO", "GOPRO/DCIM"], ids=["copy-root", "below-it"])
def test_a_fusefat_drive_mounted_inside_the_destination_is_read_again(
    tmp_path: Path, fusefat_mount: Any, mounted_at: str
) -> None:
    """fusefat mounted at the copy root (``DEST/GOPRO``) or at a folder below it
    (``DEST/GOPRO/DCIM``), DEST itself on another filesystem: the copies that land on it are
    read again after the last rename like those of a destination on fusefat, so none that
    differs from the card is called verified. Failed before: only DEST's filesystem was
    asked, and the copies fusefat damaged (3 of the time-lapse's here) were "verified"; and
    the run set the time of the drive's root folder, which killed fusefat's daemon (every
    later access: ENOTCONN). A FAT volume's root holds no time: it is left as it is."""
    from support import camera_cards

    dest = tmp_path / "dest"
    fat = fusefat_mount(96 << 20, path=dest / mounted_at)
    card = camera_cards.write_card(tmp_path / "GOPRO", camera_cards.GOPRO_TIMELAPSE)
    reports = tmp_path / "reports"
    result = run("copy", card, dest, "--report-dir", reports)
    report = newest_report(reports)
    failed = set()
    for file in report["files"]:
        [copy] = file["destinations"]
        assert Path(copy["final_path"]).is_relative_to(fat.path)
        equal = Path(copy["final_path"]).read_bytes() == (card / file["path"]).read_bytes()
        assert equal or copy["status"] == "failed", (file["path"], copy, result.stderr)
        if copy["status"] == "failed":
            failed.add(file["path"])
    assert result.returncode == (1 if failed else 0), result.stderr
    assert "cannot set the time" not in result.stderr, result.stderr
    assert os.listdir(fat.path)  # the daemon is still there


def test_a_card_re_read_through_a_cache_is_said_so_on_the_terminal_and_in_the_documents(
    tmp_path: Path, fusefat_mount: Any, disk_folder: Path
) -> None:
    """An AVCHD camera's SD card (FAT32) read through fusefat, which reads its image through
    this machine's page cache: the full mode's second read of the card is no read of the
    card (``source_cache_bypass`` ``none`` for every file), yet the terminal and the
    documents said only "verified ... (full verification)" (found in QA; failed before).
    The copies' own read-backs are from the media and still count for the card release.
    The destination and the card read from the media are on a disk (``disk_folder``: on a
    tmpfs both would be read through the page cache, its storage, and rightly said so)."""
    import html

    from support.camera_cards import AVCHD, write_card

    fat = fusefat_mount(64 << 20, fat_bits=32)
    card = write_card(fat.path / "AVCHD", AVCHD)
    dest = disk_folder / "dest"
    dest.mkdir()
    reports = tmp_path / "reports"

    done = run("copy", card, dest, "--report-dir", reports)

    assert done.returncode == 0, done.stderr
    report = newest_report(reports)
    bypass = {f["source_cache_bypass"] for f in report["files"]}
    assert bypass == {"none"}, bypass
    assert {d["cache_bypass"] for f in report["files"] for d in f["destinations"]} != {"none"}
    said = " ".join(done.stderr.split())
    words = (
        f"CARD RE-READ THROUGH A CACHE: the full verification's second read of {len(AVCHD)} "
        "card files went through this machine's page cache, which could not be dropped"
    )
    assert words in said, said
    assert "which does not prove the card reads the same twice" in said
    page = html.unescape(next(reports.glob("*.html")).read_text())
    assert words in " ".join(page.split()), "the HTML report does not say so"
    # A card re-read from the media says nothing of it.
    local = write_card(disk_folder / "LOCAL", AVCHD)
    again = run("copy", local, dest, "--report-dir", tmp_path / "r2")
    assert again.returncode == 0, again.stderr
    assert "CARD RE-READ" not in again.stderr


def test_a_card_on_fusefat_is_not_released_on_a_copy_that_may_be_on_its_disk(
    tmp_path: Path, fusefat_mount: Any, tmpfs_mount: Any
) -> None:
    """A card read through fusefat is on no disk this machine names (its image file may be
    on any local disk): one rule for that in both answers, the safe one. Failed before:
    "CARD RELEASED: ... can be ejected" on the copy on the local disk, then "Do not format
    the card: no destination is on a disk other than the card's (cannot tell whether
    destination 1 ...; cannot tell whether destination 2 ...)", which claimed what it cannot
    know and dropped the tmpfs's own reason."""
    card = fusefat_mount(32 << 20).path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "C001.MOV").write_bytes(os.urandom(200_000))
    disk, memory = tmp_path / "disk", tmpfs_mount(16 << 20).path
    disk.mkdir()
    reports = tmp_path / "reports"
    done = run("copy", "--report-dir", reports, "--cascade-to", memory, card, disk, memory)
    assert done.returncode == 0, done.stderr
    assert "CARD RELEASED" not in done.stderr, done.stderr
    said = " ".join(done.stderr.split())
    assert (
        "but the copy there is on the card's own filesystem or disk, or may be (the card is on "
        "no disk this machine names), no backup of it known" in said
    ), said
    report = newest_report(reports)
    assert report["cascade"]["card_released_at"] is None, report["cascade"]
    assert report["cascade"]["card_disk_unknown"] is True, report["cascade"]
    assert report["cascade"]["fast_copies_on_card_disk"] == [0], report["cascade"]
    release = report["card_release"]
    assert not release["may_format"]
    assert release["text"] == (
        "Do not format the card: cannot tell whether any destination is on a disk other than "
        "the card's (cannot tell whether destination 1 is on the card's disk (the card's "
        "filesystem, fuse.fusefat on fusefat, is on no disk this machine names); destination "
        "2 is held in memory (tmpfs): gone at the next reboot)."
    ), release["text"]
