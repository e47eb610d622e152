"""What `offload copy` prints and writes is exactly what it proved (re-runs, transfer mode,
copies already there, reports, cancel, empty cards). Real trees, the real CLI in a
subprocess where the words on the terminal matter."""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest

from offload.card import OffloadOptions, offload
from offload.ledger import Ledger
from offload.options import CopyOptions, VerifyMode
from offload.report.job_report import write_reports
from offload.results import CopyAction, DestinationStatus
from support import offload_cli
from support.cards import clips_card, corrupt_keeping_size_and_mtime
from support.faultyfs import FaultyFS
from support.immutable import immutable
from support.mounts import without_device

CLI = [sys.executable, "-m", "offload.cli.offload"]


def make_card(root: Path, files: int = 3, size: int = 200_000) -> Path:
    return clips_card(root, files, size)


def run(
    *args: str | Path, env: dict[str, str] | None = None, prefix: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    return offload_cli.run_offload(*args, columns=120, timeout_s=120, env=env, prefix=prefix or ())


def copied_once(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Card A001 (``make_card``) copied by ``offload copy`` into a new folder ``dest``, its
    reports in ``reports`` (exit 0 asserted): (card, dest, reports)."""
    card = make_card(tmp_path)
    dest = tmp_path / "dest"
    dest.mkdir()
    reports = tmp_path / "reports"
    assert run("copy", card, dest, "--report-dir", reports).returncode == 0
    return card, dest, reports


def newest_report(folder: Path) -> dict[str, Any]:
    reports = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns)
    return json.loads(reports[-1].read_text())


def test_rerun_reports_verified_earlier_not_verified_now(tmp_path: Path) -> None:
    """Failed before: the re-run said "N of N files verified (full verification)" and
    wrote `skipped` with the ledger's digests as if read back."""
    card = make_card(tmp_path)
    dest = tmp_path / "dest"
    dest.mkdir()
    reports = tmp_path / "reports"
    first = run("copy", card, dest, "--report-dir", reports)
    assert first.returncode == 0, first.stderr
    corrupt_keeping_size_and_mtime(dest / "A001" / "CLIPS" / "C001.mov")

    again = run("copy", card, dest, "--report-dir", reports)
    assert again.returncode == 0, again.stderr
    assert "verified earlier" in again.stderr
    assert "not re-read" in again.stderr
    # Every copy trusted from the ledger: the verdict counts those alone (before: "0 copies
    # now (full verification) and 3 earlier", a proof described of no copy).
    assert "verified on every destination, all 3 copies earlier (not re-read); " in again.stderr
    assert "copies now" not in again.stderr
    assert "nothing written" in again.stderr
    report = newest_report(reports)
    assert report["exit_code"] == 0
    for file in report["files"]:
        (result,) = file["destinations"]
        assert result["status"] == "verified_earlier"
        assert result["action"] == "trusted"
        assert result["verified_mode"] == "full"
        assert result["verified_at"] and result["verified_at"].endswith("Z")
        assert result["readback_digests"] == {}  # nothing was read back now
        assert result["recorded_digests"]["xxh64"]
    assert report["destinations"][0]["files_verified"] == 0
    assert report["destinations"][0]["files_verified_earlier"] == 3
    rows = list(csv.DictReader(io.StringIO((reports / _csv_of(reports)).read_text())))
    assert {row["status"] for row in rows} == {"verified_earlier"}
    assert all(row["verified_at"] for row in rows)

    events = run("copy", card, dest, "--json", "--report-dir", reports)
    names = [json.loads(line)["event"] for line in events.stdout.splitlines()]
    assert names.count("file_verified_earlier") == 3
    assert "file_verified" not in names


@pytest.mark.parametrize("verify", ["transfer", "full"])
def test_a_rerun_trusting_every_copy_describes_no_copy_it_did_not_make(
    tmp_path: Path, verify: str
) -> None:
    """The QA's case: a re-run under ``--verify transfer`` whose copies (read back by a
    first run, ``--verify full``) are all trusted from the ledgers. Failed before: "... 0
    copies now (each one already there, read back now; --verify transfer reads back no copy
    it makes) and 6 earlier (not re-read)": how copies were proven, said of none. Now only
    what is true of the counts: all 6 earlier."""
    card = make_card(tmp_path)
    one, two, reports = tmp_path / "D1", tmp_path / "D2", tmp_path / "reports"
    one.mkdir()
    two.mkdir()
    assert run("copy", "--report-dir", reports, card, one, two).returncode == 0
    again = run("copy", "--verify", verify, "--report-dir", reports, card, one, two)
    assert again.returncode == 0, again.stderr
    (verdict,) = [line for line in again.stderr.splitlines() if line.startswith("All 3 files")]
    assert "verified on every destination, all 6 copies earlier (not re-read); " in verdict
    assert "now" not in verdict and "transfer" not in verdict


def test_each_copy_says_what_proved_it_in_the_json_and_csv(tmp_path: Path) -> None:
    """Every copy's record says what was proved for it, not only the run's top-level
    ``verify``: ``verified_mode`` is this run's mode for one verified now, ``transfer`` for
    one transfer-checked, the earlier run's for one trusted from the ledger; the CSV's
    column the same. Failed before: null (an empty CSV cell) for every copy this run wrote
    and proved (verified now or transfer-checked)."""
    card = make_card(tmp_path, files=2, size=20_000)
    d1, d2, d3 = (tmp_path / name for name in ("d1", "d2", "d3"))
    for dest in (d1, d2, d3):
        dest.mkdir()
    reports = tmp_path / "reports"
    runs: list[tuple[list[str | Path], dict[str, tuple[str, str]]]] = [
        (["--verify", "destination", card, d1], {str(d1): ("verified", "destination")}),
        (
            ["--verify", "transfer", card, d1, d2],
            {
                str(d1): ("verified_earlier", "destination"),
                str(d2): ("transfer_checked", "transfer"),
            },
        ),
        ([card, d2, d3], {str(d2): ("verified", "full"), str(d3): ("verified", "full")}),
    ]
    for argv, expected in runs:
        done = run("copy", "--quiet", "--report-dir", reports, *argv)
        assert done.returncode == 0, done.stderr
        report = newest_report(reports)
        roots = {d["index"]: d["path"] for d in report["destinations"]}
        seen = {
            (roots[c["index"]], c["status"], c["verified_mode"])
            for f in report["files"]
            for c in f["destinations"]
        }
        assert seen == {(root, *state) for root, state in expected.items()}, seen
        rows = list(csv.DictReader(io.StringIO((reports / _csv_of(reports)).read_text())))
        assert {(r["destination"], r["status"], r["verified_mode"]) for r in rows} == seen


def _csv_of(folder: Path) -> str:
    return sorted(folder.glob("*.csv"), key=lambda p: p.stat().st_mtime_ns)[-1].name


def test_reverify_rereads_trusted_copies_and_recopies_a_bad_one(tmp_path: Path) -> None:
    card, dest, reports = copied_once(tmp_path)
    bad = dest / "A001" / "CLIPS" / "C001.mov"
    corrupt_keeping_size_and_mtime(bad)
    # No offload verify first: it would revoke the copy's record (verify_revoke.py), and
    # --reverify would then refuse it as a file in the way (only --overwrite replaces it:
    # test_verify_of_a_changed_copy_says_a_plain_rerun_would_still_trust_it).

    result = run("copy", "--reverify", card, dest, "--report-dir", reports)
    assert result.returncode == 0, result.stderr
    assert "no longer matches" in result.stderr and str(bad) in result.stderr
    # The summary says what became of it, as the saved reports do (failed before: only the
    # WARNING as it was found, "copying it again", then an "ok" row).
    summary = " ".join(result.stderr.split())
    assert f"COPY FOUND DAMAGED: {bad} differs from the digests recorded" in summary, summary
    assert "; replaced by a new copy from the card, verified now (read back)" in summary
    assert bad.read_bytes() == (card / "CLIPS" / "C001.mov").read_bytes()
    report = newest_report(reports)
    states = {f["path"]: f["destinations"][0] for f in report["files"]}
    assert states["CLIPS/C001.mov"]["status"] == "verified"
    assert states["CLIPS/C001.mov"]["action"] == "copied"
    for name in ("CLIPS/C000.mov", "CLIPS/C002.mov"):
        assert states[name]["status"] == "verified"
        assert states[name]["action"] == "rechecked"
        assert (
            states[name]["readback_digests"] == states[name]["recorded_digests"]
            or (states[name]["readback_digests"]["xxh64"])
        )
    assert run("verify", dest / "A001").returncode == 0


def test_a_full_rerun_of_transfer_checked_copies_records_its_read_of_the_card(
    tmp_path: Path,
) -> None:
    """Copies transfer-checked, then the same offload in full mode: each copy is read back
    and compared with the card read now, and the JSON says that read of the card was made
    (``source_reread_digests`` equal to ``digests``, ``source_cache_bypass`` how it was
    read), as for a copy the engine writes and re-reads. Failed before: "not-read" and {}
    beside ``verified_mode`` "full" (black-box QA, local and S3 alike)."""
    card = make_card(tmp_path)
    dest = tmp_path / "dest"
    dest.mkdir()
    reports = tmp_path / "reports"
    assert run("copy", "--verify", "transfer", card, dest, "--report-dir", reports).returncode == 0
    result = run("copy", card, dest, "--report-dir", reports)
    assert result.returncode == 0, result.stderr
    files = newest_report(reports)["files"]
    assert files
    for file in files:
        (copy,) = file["destinations"]
        assert (copy["action"], copy["verified_mode"]) == ("rechecked", "full"), copy
        # That read of the card matched the copy read back now (one read: also `digests`).
        assert file["source_reread_digests"]["xxh64"] == copy["readback_digests"]["xxh64"], file
        assert file["source_cache_bypass"] in {"o_direct", "fadvise"}, file
    # Read from the disk's media (O_DIRECT or a dropped cache): no "through a cache" line.
    assert "RE-READ THROUGH A CACHE" not in result.stdout + result.stderr


def test_a_rerun_says_what_the_earlier_run_proved_of_each_copy_it_trusts_or_reads(
    tmp_path: Path,
) -> None:
    """Copies transfer-checked, trusted by a second transfer run, read back by a full run,
    then re-read by --reverify: each run's words say what the earlier run proved. Failed
    before: the full run said the transfer-checked copies were "read back again now" (no
    run had read them back), and the trust note called them "proven by an earlier run"."""
    card = make_card(tmp_path)
    dest = tmp_path / "dest"
    dest.mkdir()
    reports = tmp_path / "reports"

    def said(*args: str) -> str:
        result = run("copy", *args, card, dest, "--report-dir", reports)
        assert result.returncode == 0, result.stderr
        return " ".join(result.stderr.split())  # the summary's lines, unwrapped

    said("--verify", "transfer")
    trusted = said("--verify", "transfer")
    assert "as transfer-checked only (never read back) by an earlier run were" in trusted
    assert "proven" not in trusted and "verified (read back) by an earlier" not in trusted
    upgraded = said()
    assert (
        "3 copies were transfer-checked only by an earlier run (never read back then): read "
        "back now for the first time and matched." in upgraded
    ), upgraded
    assert "read back again" not in upgraded, upgraded
    reverified = said("--reverify")
    assert (
        "3 copies were verified by an earlier run (read back then): read back again now and "
        "matched." in reverified
    ), reverified
    assert "transfer-checked" not in reverified, reverified


def test_transfer_mode_records_transfer_checked_never_readback(tmp_path: Path) -> None:
    """Failed before: readback_digests equal to the in-flight digest and a `verified`
    ledger entry although nothing was read back."""
    card = make_card(tmp_path)
    dest = tmp_path / "dest"
    dest.mkdir()
    reports = tmp_path / "reports"
    result = run("copy", "--verify", "transfer", card, dest, "--report-dir", reports)
    assert result.returncode == 0, result.stderr
    assert "TRANSFER-CHECKED ONLY" in result.stderr
    assert "verified on every destination" not in result.stderr
    report = newest_report(reports)
    for file in report["files"]:
        (dest_result,) = file["destinations"]
        assert dest_result["status"] == "transfer_checked"
        assert dest_result["readback_digests"] == {}
        assert dest_result["cache_bypass"] == "not-read"
    entries = Ledger(dest / "A001").load()
    assert {e.state for e in entries.values()} == {"transfer_checked"}


def test_stricter_run_upgrades_transfer_checked_copies(tmp_path: Path) -> None:
    """Failed before: "already exists", exit 2."""
    card = make_card(tmp_path)
    dest = tmp_path / "dest"
    dest.mkdir()
    transfer = OffloadOptions(copy=CopyOptions(verify=VerifyMode.TRANSFER))
    assert offload(card, [dest], options=transfer).exit_code == 0
    for mode in (VerifyMode.DESTINATION, VerifyMode.FULL):
        upgraded = offload(card, [dest], options=OffloadOptions(copy=CopyOptions(verify=mode)))
        assert upgraded.exit_code == 0
        for file in upgraded.job.files:
            (result,) = file.destinations
            assert result.status is DestinationStatus.VERIFIED
            assert result.action is CopyAction.RECHECKED
            assert result.verified_mode == mode.value
            assert result.digests == file.inflight_digests or result.digests
    # Now trusted at full strength: the next full run re-reads nothing.
    trusted = offload(card, [dest])
    assert {r.status for f in trusted.job.files for r in f.destinations} == {
        DestinationStatus.VERIFIED_EARLIER
    }


@pytest.mark.parametrize("resume", [True, False])
def test_identical_files_already_there_are_read_back_and_adopted(
    tmp_path: Path, resume: bool
) -> None:
    """Failed before: a copy made with cp (or an earlier run with --no-resume) was refused
    as "already exists"."""
    card = make_card(tmp_path)
    dest = tmp_path / "dest"
    dest.mkdir()
    subprocess.run(["cp", "-r", str(card), str(dest)], check=True)  # no -p: other mtimes
    # Into the folder named (--into): a folder named after the card holding copies of other
    # dates is refused as maybe another card's (copy-root-of-other-files) unless they come
    # within 2 s of the card's, which cp made them only when the machine was not loaded.
    options = OffloadOptions(incremental=resume, into=True)
    report = offload(card, [dest / "A001"], options=options)
    assert report.exit_code == 0
    for file in report.job.files:
        (result,) = file.destinations
        assert result.status is DestinationStatus.VERIFIED
        assert result.action is CopyAction.ADOPTED
        assert result.digests["xxh64"] == file.inflight_digests["xxh64"]
        copy = Path(result.final_path)
        assert copy.stat().st_mtime_ns == (card / file.relative_path).stat().st_mtime_ns
    # The adopted copies are now in the ledger: the next run trusts them.
    again = offload(card, [dest / "A001"], options=OffloadOptions(into=True))
    assert {r.status for f in again.job.files for r in f.destinations} == {
        DestinationStatus.VERIFIED_EARLIER
    }


def test_a_different_file_of_the_same_size_is_refused_and_kept(tmp_path: Path) -> None:
    card = make_card(tmp_path, files=1)
    dest = tmp_path / "dest"
    (dest / "A001" / "CLIPS").mkdir(parents=True)
    other = os.urandom(200_000)
    (dest / "A001" / "CLIPS" / "C000.mov").write_bytes(other)
    # Dated as the card file (else, its writing 2 s or more after the card's under load,
    # the folder is refused as another card's: copy-root-of-other-files, exit 64).
    shutil.copystat(card / "CLIPS" / "C000.mov", dest / "A001" / "CLIPS" / "C000.mov")
    report = offload(card, [dest])
    assert report.exit_code == 2
    (result,) = report.job.files[0].destinations
    assert result.status is DestinationStatus.FAILED
    assert "already exists with other content" in (result.error or "")
    assert (dest / "A001" / "CLIPS" / "C000.mov").read_bytes() == other


def test_a_run_that_wrote_no_copy_says_how_each_completed_one_was_proven(
    tmp_path: Path,
) -> None:
    """No byte written and one copy refused (a foreign file of the card file's size at its
    name): the verdict says how the others were proven. Failed before: "no copy completed",
    though every other copy was read back and verified now (adopted), or verified earlier."""
    card = make_card(tmp_path)
    dest = tmp_path / "dest"
    dest.mkdir()
    # Copies to adopt, dated as the card's files: of other dates (cp without -p), the folder
    # was this card's only within 2 s of the card's making (copy-root-of-other-files).
    subprocess.run(["cp", "-r", "--preserve=timestamps", str(card), str(dest)], check=True)
    foreign = dest / "A001" / "CLIPS" / "C002.mov"
    foreign.write_bytes(os.urandom(200_000))  # the card file's size, other content
    shutil.copystat(card / "CLIPS" / "C002.mov", foreign)
    reports = tmp_path / "reports"
    adopted = run("copy", card, dest, "--report-dir", reports)
    assert adopted.returncode == 1, adopted.stderr
    verdict = " ".join(adopted.stderr.split())  # rich wraps the line
    assert (
        "2 are verified on every destination; no new copy completed: 2 copies already "
        "there verified now (read back), 1 copy failed (" in verdict
    ), verdict
    assert "no copy completed" not in verdict

    # Again: the two adopted are trusted now (verified earlier), the foreign one refused.
    trusted = run("copy", card, dest, "--report-dir", reports)
    assert trusted.returncode == 1, trusted.stderr
    verdict = " ".join(trusted.stderr.split())
    assert "no new copy completed: 2 verified earlier (not re-read), 1 copy failed (" in verdict, (
        verdict
    )

    # In transfer mode over an empty file's copy: made (nothing to write), not "no new copy".
    (card / "CLIPS" / "EMPTY.txt").write_bytes(b"")
    made = run("copy", card, dest, "--report-dir", reports, "--verify", "transfer")
    assert made.returncode == 1, made.stderr
    verdict = " ".join(made.stderr.split())
    assert (
        "; 1 new copy with no byte to write (empty, or resumed whole), 2 verified earlier "
        "(not re-read), 1 copy failed (" in verdict
    ), verdict


def test_a_file_of_another_size_in_the_way_is_named_before_the_copy(tmp_path: Path) -> None:
    """Failed before: the plan line said "3 to copy" for a card whose copy of one file a
    foreign file of another size was in the way of (refused by the engine once the copy
    ran), and nothing said so before the copy. Now the line counts 2 to copy and 1 refused,
    and a warning names the file and the options, before the copy; --overwrite copies all.
    Into the folder named on purpose (``--into``: without it, a folder named after the card
    holding nothing but another file at a card file's name is refused whole,
    test_card_same_name)."""
    card = make_card(tmp_path)
    dest = tmp_path / "dest" / "A001"
    (dest / "CLIPS").mkdir(parents=True)
    foreign = dest / "CLIPS" / "C001.mov"
    foreign.write_bytes(b"not the card's")
    reports = tmp_path / "reports"
    refused = run("copy", "--into", card, dest, "--report-dir", reports)
    assert refused.returncode == 1, refused.stderr
    assert "3 files (600.0 kB)" in refused.stderr
    assert "2 to copy (400.0 kB)" in refused.stderr
    assert "1 copy refused: another file in the way" in refused.stderr
    warning = refused.stderr.index("WARNING: 1 file of another size already at the name")
    assert str(foreign) in refused.stderr[warning:].splitlines()[0]
    assert warning < refused.stderr.index("NOT ALL VERIFIED")  # before the copy's summary
    assert foreign.read_bytes() == b"not the card's"
    report = newest_report(reports)
    (item,) = [w for w in report["warnings"] if w["code"] == "existing-not-overwritten"]
    assert item["path"] == str(foreign)
    failed = [f for f in report["files"] if f["destinations"][0]["status"] == "failed"]
    assert [f["path"] for f in failed] == ["CLIPS/C001.mov"]

    replaced = run("copy", "--into", card, dest, "--report-dir", reports, "--overwrite")
    assert replaced.returncode == 0, replaced.stderr
    assert "1 to copy" in replaced.stderr and "in the way" not in replaced.stderr
    assert foreign.read_bytes() == (card / "CLIPS" / "C001.mov").read_bytes()


def test_reports_never_overwrite_each_other_and_state_the_exit_code(tmp_path: Path) -> None:
    """Failed before: two reports in the same second left one JSON."""
    card = make_card(tmp_path, files=1)
    dest = tmp_path / "dest"
    dest.mkdir()
    report = offload(card, [dest])
    first = write_reports(report, tmp_path / "r")
    second = write_reports(report, tmp_path / "r")  # same card, same second
    assert first.paths[0] != second.paths[0]
    assert len(list((tmp_path / "r").glob("*.json"))) == 2
    assert len(list((dest / "A001" / ".offload" / "reports").glob("*.json"))) == 2


def test_report_a_destination_refuses_is_its_problem_and_the_json_says_exit_1(
    tmp_path: Path,
) -> None:
    card = make_card(tmp_path, files=1)
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.mkdir()
    bad.mkdir()
    (bad / "A001" / ".offload").mkdir(parents=True)
    (bad / "A001" / ".offload" / "reports").write_text("in the way")
    reports = tmp_path / "reports"
    result = run("copy", card, good, bad, "--report-dir", reports)
    assert result.returncode == 1, result.stderr
    assert f"cannot write the report into {bad / 'A001' / '.offload' / 'reports'}" in (
        result.stderr
    )
    assert newest_report(reports)["exit_code"] == 1
    on_good = next((good / "A001" / ".offload" / "reports").glob("*.json"))
    assert json.loads(on_good.read_text())["exit_code"] == 1


def test_local_report_folder_that_cannot_be_written_is_a_warning(tmp_path: Path) -> None:
    """The default folder (made with its parents at the end: a --report-dir named so is
    refused before the copy, tests/cli/test_scripting.py)."""
    card = make_card(tmp_path, files=1)
    dest = tmp_path / "dest"
    dest.mkdir()
    blocker = tmp_path / "state" / "offload-ai"
    blocker.parent.mkdir()
    blocker.write_text("x")
    state = {"XDG_STATE_HOME": str(blocker.parent), "OFFLOAD_REPORT_DIR": ""}
    result = run("copy", card, dest, env=state)
    assert result.returncode == 0, result.stderr
    assert "WARNING: cannot write the local report" in result.stderr
    on_dest = next((dest / "A001" / ".offload" / "reports").glob("*.json"))
    saved = json.loads(on_dest.read_text())
    assert saved["exit_code"] == 0
    # Said once in the saved report too (failed before: ``notes: []``).
    assert sum("cannot write the local report" in n for n in saved["notes"]) == 1


def test_each_report_not_written_has_its_own_json_line_naming_the_file_and_why(
    tmp_path: Path,
) -> None:
    """``--json``: a destination whose reports folder is a file (EEXIST), and a local
    report folder that cannot be made: one ``report_refused`` line each, before
    ``job_report``, saying which folder, why, and whether the run fails for it (exit 1 for
    the destination's). Failed before: no line said so; the local one was only a note, the
    destination's only its ``result`` ``failed``, with ``failures`` empty."""
    card = make_card(tmp_path, files=1)
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.mkdir()
    (bad / "A001" / ".offload").mkdir(parents=True)
    (bad / "A001" / ".offload" / "reports").write_text("in the way")
    blocker = tmp_path / "state" / "offload-ai"
    blocker.parent.mkdir()
    blocker.write_text("x")
    state = {"XDG_STATE_HOME": str(blocker.parent), "OFFLOAD_REPORT_DIR": ""}
    result = run("copy", "--json", card, good, bad, env=state)
    assert result.returncode == 1, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    events = [line["event"] for line in lines]
    refused = [line for line in lines if line["event"] == "report_refused"]
    assert events.index("report_refused") > events.index("offload_finished")
    assert events[-1] == "job_report" and lines[-1]["exit_code"] == 1
    folder = bad / "A001" / ".offload" / "reports"
    assert [{k: v for k, v in r.items() if k not in ("time", "message")} for r in refused] == [
        {
            "event": "report_refused",
            "report": "json",
            "destination_index": 1,
            "local": False,
            "path": str(folder),
            "errno": "EEXIST",  # mkdir of the reports folder: a file has its name
            "fails_run": True,
        },
        {
            "event": "report_refused",
            "report": "json",
            "destination_index": None,
            "local": True,
            "path": str(blocker / "reports"),
            "errno": "ENOTDIR",
            "fails_run": False,
        },
    ]
    assert f"cannot write the report into {folder}" in refused[0]["message"]
    assert f"cannot write the local report into {blocker / 'reports'}" in refused[1]["message"]
    assert [d["result"] for d in lines[-1]["destinations"]] == ["ok", "failed"]


@pytest.mark.fault
def test_a_full_disk_refusing_a_report_or_its_pdf_has_its_json_line(
    tmp_path: Path, faulty_fs: Callable[..., Any]
) -> None:
    """A real drive (FUSE) that fills up (ENOSPC) as the destination's reports are written,
    and a local report folder whose PDF does not fit: a ``report_refused`` line each, the
    destination's failing the run (exit 1), the PDF's only a warning. Failed before: no
    line said either."""
    card = make_card(tmp_path, files=1)
    drive = faulty_fs()
    dest, local = drive.mountpoint / "dest", drive.mountpoint / "local"
    dest.mkdir()
    local.mkdir()
    full = drive.fail("write", errno.ENOSPC, path="dest/A001/.offload/reports/*")
    pdf = drive.fail("write", errno.ENOSPC, path="local/*.pdf*")
    result = run("copy", "--json", "--report-dir", local, card, dest)
    assert result.returncode == 1, result.stderr
    assert drive.fired(full) and drive.fired(pdf)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    refused = [line for line in lines if line["event"] == "report_refused"]
    assert [(r["report"], r["destination_index"], r["errno"], r["fails_run"]) for r in refused] == [
        ("json", 0, "ENOSPC", True),
        ("documents", None, None, False),
    ], refused
    assert refused[0]["path"] == str(dest / "A001" / ".offload" / "reports")
    assert "No space left on device" in refused[0]["message"]
    assert refused[1]["message"].startswith(f"cannot write the PDF report {local}/"), refused
    assert lines[-1]["event"] == "job_report" and lines[-1]["exit_code"] == 1


@pytest.mark.fault
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_cancel_writes_the_job_report(
    tmp_path: Path, signum: int, faulty_fs: Callable[..., Any]
) -> None:
    """Failed before: a cancelled offload wrote no report at all; then, that its
    ``totals.folders`` was 0.

    The destination (a FaultyFS drive) holds the last clip's writes until the signal is
    sent: unheld, the copy (160 MB) could end before a late signal (exit 0 whenever the
    signal came 1.5 s after the first ``file_verified``)."""
    card = make_card(tmp_path, files=40, size=4_000_000)
    drive = faulty_fs()
    dest = drive.mountpoint
    held = drive.stall("write", path="A001/CLIPS/*C039.mov*")
    reports = tmp_path / "reports"
    process = subprocess.Popen(
        [*CLI, "copy", "--json", str(card), str(dest), "--report-dir", str(reports)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if json.loads(line)["event"] == "file_verified":
            break
    process.send_signal(signum)
    drive.release(held)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    report = newest_report(reports)
    assert report["cancelled"] is True and report["exit_code"] == 130
    # The card's one folder, CLIPS, as the scan found it (failed before: 0, set only by
    # the folders' step that a cancel skips).
    assert report["totals"]["folders"] == 1, report["totals"]
    states = [d["status"] for f in report["files"] for d in f["destinations"]]
    assert "verified" in states and "cancelled" in states
    assert set(states) <= {"verified", "cancelled"}
    last = json.loads(stdout.splitlines()[-1])
    assert last["event"] == "job_report" and last["exit_code"] == 130


@pytest.mark.fault
def test_a_cancelled_reverify_keeps_the_copies_and_never_says_it_copied_or_removed_them(
    tmp_path: Path, faulty_fs: Callable[..., Any]
) -> None:
    """``--reverify`` of a card offloaded before, SIGINT while a copy's read-back is held
    (a real FUSE drive stalls it): the copies not re-read are kept as they were, and the
    words say so: their entries ``action`` ``rechecked`` (never ``copied``: this run wrote
    nothing), ``error`` "cancelled before it was checked", and the summary never says
    "partial files removed". Failed before: ``copied``, and "8 copies were cancelled
    (partial files removed; ...)" of copies this run never wrote and left whole."""
    card = make_card(tmp_path, files=3, size=100_000)
    drive = faulty_fs()
    dest = drive.mountpoint / "dest"
    dest.mkdir()
    reports = tmp_path / "reports"
    assert run("copy", card, dest, "--report-dir", reports).returncode == 0
    held = drive.stall("read", path="dest/A001/CLIPS/C001.mov")
    process = subprocess.Popen(
        [*CLI, "copy", "--reverify", str(card), str(dest), "--report-dir", str(reports)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        drive.wait_stalled(held, timeout_s=30)
        process.send_signal(signal.SIGINT)
        time.sleep(0.3)  # the cancel is seen before the read goes on
    finally:
        drive.release(held)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    cancelled = [
        d for f in newest_report(reports)["files"] for d in f["destinations"]
        if d["status"] == "cancelled"
    ]  # fmt: skip
    assert cancelled, stderr
    assert {d["action"] for d in cancelled} == {"rechecked"}, cancelled
    assert all(d["error"].startswith("cancelled before it was checked") for d in cancelled)
    assert "partial files removed" not in stderr, stderr
    assert "kept as they were" in stderr or "kept as it was" in stderr, stderr
    for i in range(3):  # every copy whole, as the first run wrote it
        name = f"CLIPS/C{i:03d}.mov"
        assert (dest / "A001" / name).read_bytes() == (card / name).read_bytes()


def test_empty_card_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    """Failed before: exit 1 and "cannot set the time of folder ...: No such file"."""
    card = tmp_path / "EMPTY"
    (card / "DCIM").mkdir(parents=True)
    (card / ".DS_Store").write_text("junk")
    dest = tmp_path / "dest"
    dest.mkdir()
    result = run("copy", card, dest, "--report-dir", tmp_path / "r")
    assert result.returncode == 64
    # One of each, in the singular (failed before: "(1 folders, 1 ignored entries)").
    assert f"source {card} holds no files to offload (1 folder, 1 ignored entry)" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert list(dest.iterdir()) == []
    # No job report: the refusal's record alone, for offload history (report/refused.py).
    assert os.listdir(tmp_path / "r") == ["refused"]


def test_dry_run_exits_as_the_run_would_when_every_copy_is_refused(tmp_path: Path) -> None:
    """Every file of the card has a foreign file of another size at its name: the run
    refuses them all and exits 2, and so does the dry run, which says why on its last line
    (failed before: it listed the refusals and exited 0). Then, the foreign files gone, 0.
    Into the folder named on purpose (``--into``)."""
    card = make_card(tmp_path, files=2)
    dest = tmp_path / "dest" / "A001"
    (dest / "CLIPS").mkdir(parents=True)
    for name in ("C000.mov", "C001.mov"):
        (dest / "CLIPS" / name).write_bytes(b"someone else's")
    reports = tmp_path / "reports"
    dry = run("copy", "--dry-run", "--into", card, dest, "--report-dir", reports)
    assert dry.returncode == 2, dry.stderr
    last = dry.stderr.rstrip().splitlines()[-1]
    assert last == (
        "The offload would exit 2: 2 copies would be refused or not cascaded, none copied or "
        "verified"
    ), last
    assert not reports.exists()
    assert run("copy", "--into", card, dest, "--report-dir", reports).returncode == 2
    for name in ("C000.mov", "C001.mov"):
        (dest / "CLIPS" / name).unlink()
    dry = run("copy", "--dry-run", "--json", "--into", card, dest, "--report-dir", reports)
    assert dry.returncode == 0, dry.stderr
    assert (json.loads(dry.stdout)["exit_code"], json.loads(dry.stdout)["exit_reason"]) == (0, "")


def test_dry_run_lists_and_writes_nothing(tmp_path: Path) -> None:
    card = make_card(tmp_path)
    dest = tmp_path / "dest"
    dest.mkdir()
    assert offload(card, [dest]).exit_code == 0
    (card / "CLIPS" / "NEW.mov").write_bytes(b"new")
    (dest / "A001" / "CLIPS" / "NEW.mov").write_bytes(b"other content, other size")
    (card / "CLIPS" / "NEXT.mov").write_bytes(b"next")
    before = sorted(str(p) for p in dest.rglob("*"))
    result = run("copy", "--dry-run", "--json", card, dest, "--report-dir", tmp_path / "r")
    # The run would refuse NEW.mov and exit 1: so does the dry run (failed before: exit 0).
    assert result.returncode == 1, result.stderr
    plan = json.loads(result.stdout)
    assert plan["exit_code"] == 1
    assert plan["exit_reason"] == "1 copy would be refused or not cascaded", plan
    (destination,) = plan["destinations"]
    assert destination["copy"] == ["CLIPS/NEXT.mov"]
    assert sorted(destination["verified_earlier"]) == [f"CLIPS/C00{i}.mov" for i in range(3)]
    assert [r["path"] for r in destination["refused"]] == ["CLIPS/NEW.mov"]
    assert destination["free_after_bytes"] == destination["free_bytes"] - 4
    text = run("copy", "--dry-run", card, dest, "--report-dir", tmp_path / "r")
    assert text.returncode == 1, text.stderr
    assert "would be REFUSED" in text.stderr and "CLIPS/NEW.mov" in text.stderr
    last = text.stderr.rstrip().splitlines()[-1]
    assert last == "The offload would exit 1: 1 copy would be refused or not cascaded", last
    assert sorted(str(p) for p in dest.rglob("*")) == before
    assert not (tmp_path / "r").exists()


def test_dry_run_that_would_exit_0_ends_with_its_own_line(tmp_path: Path) -> None:
    """README: the dry run's "last line names why". Failed before (QA, 38th pass): a dry
    run that would exit 0 ended with whatever came last (``ignored: DCIM/.DS_Store``), its
    exit code said nowhere; now its own "would exit 0" line, as a non-zero one has. --json's
    ``exit_reason`` stays "" for 0 (docs/json.md)."""
    card = make_card(tmp_path)
    (card / ".DS_Store").write_bytes(b"finder")
    dest = tmp_path / "dest"
    dest.mkdir()
    text = run("copy", "--dry-run", card, dest, "--report-dir", tmp_path / "r")
    assert text.returncode == 0, text.stderr
    assert "ignored: .DS_Store" in text.stderr
    last = text.stderr.rstrip().splitlines()[-1]
    assert last == (
        "The offload would exit 0: no copy would be refused or fail and no warning names a "
        "step that would fail (the copies and their read-backs may still fail)"
    ), last
    dry = run("copy", "--dry-run", "--json", card, dest, "--report-dir", tmp_path / "r")
    assert (json.loads(dry.stdout)["exit_code"], json.loads(dry.stdout)["exit_reason"]) == (0, "")
    assert list(dest.iterdir()) == [] and not (tmp_path / "r").exists()


def test_non_utf8_name_keeps_reports_valid_utf8(tmp_path: Path) -> None:
    """Failed before: the CSV was not valid UTF-8."""
    card = make_card(tmp_path, files=1)
    raw = os.path.join(os.fsencode(card / "CLIPS"), b"bad\xff.mov")
    with open(raw, "wb") as handle:
        handle.write(b"x" * 100)
    dest = tmp_path / "dest"
    dest.mkdir()
    report = offload(card, [dest])
    written = write_reports(report, tmp_path / "r")
    data = Path(written.paths[0]).read_bytes()
    parsed = json.loads(data.decode("utf-8"))
    names = [f["path"] for f in parsed["files"]]
    assert os.fsdecode(b"CLIPS/bad\xff.mov") in names  # \udcff round-trips to the bytes
    Path(written.paths[0]).with_suffix(".csv").read_bytes().decode("utf-8")


def test_summary_readable_at_80_and_120_columns(tmp_path: Path) -> None:
    card = make_card(tmp_path)
    dests = [tmp_path / "a-rather-long-destination-name-RAID-1", tmp_path / "SHUTTLE"]
    for dest in dests:
        dest.mkdir()
    for columns in (80, 120):
        result = run(
            "copy",
            card,
            *dests,
            "--report-dir",
            tmp_path / f"r{columns}",
            env={"COLUMNS": str(columns)},
        )
        assert result.returncode == 0
        lines = result.stderr.splitlines()
        # The title names the card: it wraps over rows where the test folder's path is long.
        title = next(i for i in range(len(lines)) if "".join(lines[i:]).startswith(f"{card}:"))
        rule = next(i for i in range(title, len(lines)) if "────" in lines[i]) - title
        end = next(i for i in range(title + rule, len(lines)) if not lines[i].strip())
        table = lines[title:end]
        assert all(len(line) <= columns for line in table), "\n".join(table)
        assert "…" not in "\n".join(table)
        header = "\n".join(table[:rule])
        for word in ("destination", "verified", "now", "failed", "written", "result"):
            assert word in header
        rows = "".join(line.strip().split(" ")[0] for line in table[rule + 1 :])
        for dest in dests:  # names fold, never cut
            assert str(dest) in rows
        shutil_remove(dests)


def shutil_remove(dests: list[Path]) -> None:
    import shutil

    for dest in dests:
        shutil.rmtree(dest / "A001")


def test_a_destinations_speed_is_its_bytes_over_its_wall_span(tmp_path: Path) -> None:
    """Two destinations, full verification: each one's ``throughput_mb_s`` is its bytes
    written over ``span_s``, the wall time from its first write to its last copy done,
    which is within the run's elapsed time; the speed is never below the job's own. Failed
    before: the bytes over ``copy_s + verify_s``, which overlap (a batch is read back while
    the next is written): 128 MB/s said of a destination the job wrote at 190 MB/s."""
    card = make_card(tmp_path, files=12, size=2_000_000)
    dests = [tmp_path / "d1", tmp_path / "d2"]
    for dest in dests:
        dest.mkdir()
    reports = tmp_path / "reports"
    assert run("copy", card, *dests, "--report-dir", reports).returncode == 0
    report = newest_report(reports)
    job_speed = report["totals"]["bytes"] / report["elapsed_s"] / 1e6
    for d in report["destinations"]:
        assert 0 < d["span_s"] <= report["elapsed_s"], d
        assert d["throughput_mb_s"] == pytest.approx(d["bytes_written"] / d["span_s"] / 1e6, 1e-3)
        assert d["throughput_mb_s"] >= job_speed, (d, job_speed)


def test_rerun_summary_shows_no_bogus_speed(tmp_path: Path) -> None:
    """Failed before: a re-run that copied nothing showed thousands of MB/s."""
    card = make_card(tmp_path)
    dest = tmp_path / "dest"
    dest.mkdir()
    assert run("copy", card, dest, "--report-dir", tmp_path / "r").returncode == 0
    started = time.monotonic()
    again = run("copy", card, dest, "--report-dir", tmp_path / "r")
    assert time.monotonic() - started < 60
    assert "MB/s" not in again.stderr
    assert " kB (" not in again.stderr.splitlines()[0]  # one readable size, not two


@pytest.mark.parametrize(
    "layout",
    ["DCIM/100MEDIA/CLIP.MP4", "PRIVATE/M4ROOT/CLIP/C0001.MP4", "ascmhl/0001.mhl"],
)
def test_a_second_card_given_as_destination_is_refused(tmp_path: Path, layout: str) -> None:
    """Failed before: `offload copy A001 A002 RAID` wrote into the second card silently."""
    card = make_card(tmp_path, files=1)
    other_card = tmp_path / "A002"
    (other_card / layout).parent.mkdir(parents=True)
    (other_card / layout).write_bytes(b"clip")
    raid = tmp_path / "RAID"
    raid.mkdir()
    before = sorted(str(p) for p in other_card.rglob("*"))
    result = run("copy", card, other_card, raid, "--report-dir", tmp_path / "r")
    assert result.returncode == 64
    assert f"destination {other_card} looks like a camera card" in result.stderr
    assert "--allow-card-destination" in result.stderr
    assert sorted(str(p) for p in other_card.rglob("*")) == before
    assert list(raid.iterdir()) == []
    allowed = run(
        "copy", "--allow-card-destination", card, other_card, raid, "--report-dir", tmp_path / "r"
    )
    assert allowed.returncode == 0, allowed.stderr


def test_our_own_copy_root_is_not_taken_for_a_card(tmp_path: Path) -> None:
    card = make_card(tmp_path, files=1)
    into = tmp_path / "RAID" / "A001"
    into.mkdir(parents=True)
    assert run("copy", "--into", card, into, "--report-dir", tmp_path / "r").returncode == 0
    assert (into / "ascmhl").is_dir()
    again = run("copy", "--into", card, into, "--report-dir", tmp_path / "r")
    assert again.returncode == 0, again.stderr


def test_ledger_verify_checks_transfer_checked_copies(tmp_path: Path) -> None:
    """Ledger entries of transfer-checked copies are references for `offload verify` too
    (they were left out once the ledger named their state honestly)."""
    card = make_card(tmp_path, files=2)
    dest = tmp_path / "dest"
    dest.mkdir()
    copied = run(
        "copy", "--verify", "transfer", "--mhl", "none", card, dest, "--report-dir", tmp_path
    )
    assert copied.returncode == 0, copied.stderr
    checked = run("verify", "--json", dest / "A001", "--report-dir", tmp_path / "v")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert json.loads(checked.stdout)["reference"] == "ledger"
    corrupt_keeping_size_and_mtime(dest / "A001" / "CLIPS" / "C000.mov")
    assert run("verify", dest / "A001", "--report-dir", tmp_path / "v").returncode == 11


def test_any_name_the_destination_accepts_is_copied(tmp_path: Path) -> None:
    """Failed before: a 254-byte name on ext4 refused the whole card ("rename it on the
    source"), because the partial file's prefix was counted against the name."""
    card = make_card(tmp_path, files=1)
    long_name = "A" * 250 + ".MOV"  # 254 bytes: ext4 takes up to 255
    (card / "CLIPS" / long_name).write_bytes(os.urandom(50_000))
    accented = "é" * 125 + ".MP4"  # 254 bytes of UTF-8
    (card / "CLIPS" / accented).write_bytes(os.urandom(50_000))
    dest = tmp_path / "dest"
    dest.mkdir()
    result = run("copy", card, dest, "--report-dir", tmp_path / "r")
    assert result.returncode == 0, result.stderr
    for name in (long_name, accented):
        copy = dest / "A001" / "CLIPS" / name
        assert copy.read_bytes() == (card / "CLIPS" / name).read_bytes()
    assert not [p for p in (dest / "A001" / "CLIPS").iterdir() if p.name.startswith(".offload")]


def test_progress_follows_the_read_back_of_copies_already_there(tmp_path: Path) -> None:
    """--reverify (and adopting, upgrading) reads copies back before the job: the progress
    shows it (it stayed at 0 % meanwhile), up to just below 1.0 when nothing is left to copy:
    1.0 is the offload's end, never the check's (an offload that copies then fell back)."""
    from offload.events import Event, ExistingCopiesChecking, OffloadPlanned
    from offload.progress import ProgressModel

    card = make_card(tmp_path, files=4)
    dest = tmp_path / "dest"
    dest.mkdir()
    assert offload(card, [dest]).exit_code == 0
    model = ProgressModel()
    seen: list[tuple[str, float]] = []

    class Recorder:
        def emit(self, event: Event) -> None:
            model.emit(event)
            seen.append((type(event).__name__, model.snapshot().fraction))

    report = offload(card, [dest], options=OffloadOptions(reverify=True), sink=Recorder())
    assert report.exit_code == 0
    names = [name for name, _ in seen]
    start = names.index(ExistingCopiesChecking.__name__)
    job = names.index(OffloadPlanned.__name__)  # the offload's own count starts
    assert start < job
    checking = [fraction for _name, fraction in seen[start + 1 : job]]
    assert checking == sorted(checking) and 0.99 < checking[-1] < 1.0 and checking[0] < 0.5
    assert seen[-1][1] == 1.0


def test_preflight_and_plan_agree_on_what_is_copied(tmp_path: Path) -> None:
    """Issue 11: the preflight ran before the ledger and the existing files were looked at,
    so it counted (and reserved space for) files the offload then adopted or trusted: with
    a `cp -r` copy already there (other mtimes), it said 3 to copy where the plan copied 0."""
    from offload.card import plan_offload

    card = make_card(tmp_path)
    (card / "CLIPS" / "NEW.mov").write_bytes(os.urandom(1000))
    dest = tmp_path / "dest"
    dest.mkdir()
    # Dated as the card's files (-p): of other dates, the folder named after the card was
    # this card's only within 2 s of its making (else refused: copy-root-of-other-files).
    subprocess.run(["cp", "-r", "--preserve=timestamps", str(card), str(dest)], check=True)
    (dest / "A001" / "CLIPS" / "NEW.mov").unlink()
    plan = plan_offload(card, [dest])
    to_copy = sum(1 for task in plan.tasks if task.targets[0] is not None)
    assert to_copy == 1 and len(plan.checks) == 3
    (check,) = plan.preflight.destinations
    assert check.files_to_copy == to_copy
    assert check.bytes_to_copy == 1000


def test_an_adopted_copy_records_how_it_was_read_back(tmp_path: Path) -> None:
    """The read-back of a copy already there says how it avoided the page cache, as the
    engine's do (it said o_direct for any bypass, fadvise included)."""
    from offload.engine.verifier import MediaHasher

    card = make_card(tmp_path, files=1)
    dest = tmp_path / "dest"
    dest.mkdir()
    # Dated as the card's (else refused under load as another card's folder, as above).
    subprocess.run(["cp", "-r", "--preserve=timestamps", str(card), str(dest)], check=True)
    (result,) = offload(card, [dest]).job.files[0].destinations
    hasher = MediaHasher()
    try:
        hasher(Path(result.final_path), ["xxh64"])
        assert result.cache_bypass is hasher.last_bypass
    finally:
        hasher.close()


def test_a_copy_found_equal_whose_proof_cannot_be_recorded_is_failed(tmp_path: Path) -> None:
    """Copies already there, read back and found equal, are verified only once the ledger
    records them (recorded together, one append a thousand): a ledger that cannot be written
    leaves each of them failed, named, never "verified" without a proof the next run sees."""
    card = make_card(tmp_path)
    dest = tmp_path / "dest"
    dest.mkdir()
    # Dated as the card's (else refused under load as another card's folder, as above).
    subprocess.run(["cp", "-r", "--preserve=timestamps", str(card), str(dest)], check=True)
    state = dest / "A001" / ".offload"
    state.mkdir()
    with immutable(state):  # skips where it cannot be made so
        report = offload(card, [dest])
    assert report.exit_code != 0
    # A copy root whose record of this run cannot be written either (``run_record``: the
    # same folder) is lost before any check there: each copy left as it was, never read,
    # never "verified" (before the record: each read, found equal, then failed unrecorded).
    (summary,) = report.job.destinations
    assert summary.lost and (summary.lost_reason or "").startswith("cannot record this offload")
    for file in report.job.files:
        (result,) = file.destinations
        assert result.status is DestinationStatus.CANCELLED, result
        assert not result.digests and result.verified_at is None
    assert not (state / "ledger.jsonl").exists()


@pytest.mark.timeout(120)
def test_a_copy_found_equal_whose_ledger_alone_refuses_its_proof_is_failed(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The case the test above made before the run record (its ``.offload`` immutable now
    refuses the record first, losing the copy root before any check): copies already there,
    read back and found equal, whose ledger alone cannot be written (EACCES on creating
    ``ledger.jsonl``, a real FUSE fault; the record beside it written, settled): each copy
    failed, named "cannot record ... as verified", never "verified" without a proof the
    next run sees; the record says ``failed`` with those files."""
    card = make_card(tmp_path)
    fs = faulty_fs()
    # Dated as the card's (else refused under load as another card's folder, as above).
    subprocess.run(["cp", "-r", "--preserve=timestamps", str(card), str(fs.mountpoint)], check=True)
    state = fs.mountpoint / card.name / ".offload"
    rule = fs.fail("create", errno.EACCES, path="A001/.offload/ledger.jsonl")
    report = offload(card, [fs.mountpoint])
    assert fs.fired(rule) >= 1
    fs.clear()
    assert report.exit_code != 0
    (summary,) = report.job.destinations
    assert not summary.lost, summary.lost_reason
    for file in report.job.files:
        (result,) = file.destinations
        assert result.status is DestinationStatus.FAILED, result
        assert result.error is not None and result.error.startswith(
            f"cannot record {result.final_path} as verified:"
        ), result.error
        assert not result.digests and result.verified_at is None
    assert not (state / "ledger.jsonl").exists()
    record = json.loads((state / "last-run.json").read_text())
    assert record["state"] == "failed", record
    assert sorted(record["failed"]) == sorted(f.relative_path for f in report.job.files), record


def _csv_rows(folder: Path) -> list[dict[str, str]]:
    newest = sorted(folder.glob("*.csv"), key=lambda p: p.stat().st_mtime_ns)[-1]
    return list(csv.DictReader(io.StringIO(newest.read_text())))


def test_a_rerun_over_transfer_checked_copies_stays_transfer_checked(tmp_path: Path) -> None:
    """Failed before: the re-run of `--verify transfer` trusted the ledger's transfer checks
    and called them "verified on every destination, 0 copies now and 1 earlier", status
    `verified_earlier` (counted so in the totals, CSV and table; a green mark in the HTML),
    though no run ever read them back."""
    card = make_card(tmp_path, files=1)
    dest, reports = tmp_path / "dest", tmp_path / "reports"
    dest.mkdir()
    args = ("copy", "--verify", "transfer", card, dest, "--report-dir", reports)
    assert run(*args).returncode == 0
    again = run(*args)
    assert again.returncode == 0, again.stderr
    assert "TRANSFER-CHECKED ONLY" in again.stderr
    assert "1 checked by an earlier run" in again.stderr
    assert "never read back: 1 (checked " in again.stderr
    assert "verified on every destination" not in again.stderr
    assert "verified earlier" not in again.stderr
    report = newest_report(reports)
    assert report["exit_code"] == 0
    assert report["totals"]["results"]["transfer_checked"] == 1
    assert report["totals"]["results"]["verified_earlier"] == 0
    (result,) = report["files"][0]["destinations"]
    assert (result["status"], result["action"], result["verified_mode"]) == (
        "transfer_checked",
        "trusted",
        "transfer",
    )
    assert result["recorded_digests"] and result["readback_digests"] == {}
    assert report["destinations"][0]["files_transfer_checked"] == 1
    assert report["destinations"][0]["files_verified_earlier"] == 0
    assert [row["status"] for row in _csv_rows(reports)] == ["transfer_checked"]
    html = sorted(reports.glob("*.html"), key=lambda p: p.stat().st_mtime_ns)[-1].read_text()
    assert "Transfer-checked earlier" in html and "✔" not in html
    assert '<td class="state transfer_checked"><span aria-hidden="true">≈</span> ' in html
    as_json = run(*args, "--json")
    events = [json.loads(line) for line in as_json.stdout.splitlines()]
    (trusted,) = [e for e in events if e["event"] == "file_verified_earlier"]
    assert trusted["status"] == "transfer_checked"
    # A stricter run still reads them back (UPGRADE), as before.
    upgraded = run("copy", card, dest, "--report-dir", reports)
    assert upgraded.returncode == 0, upgraded.stderr
    (result,) = newest_report(reports)["files"][0]["destinations"]
    assert (result["status"], result["action"]) == ("verified", "rechecked")


def test_a_transfer_rerun_over_verified_copies_counts_each_by_its_proof(tmp_path: Path) -> None:
    """20 copies read back by an earlier run, 1 new one transfer-checked now (QA): failed
    before: "21 files ... are on every destination, TRANSFER-CHECKED ONLY: ... never read
    back from the destinations (1 copy)", as if none of the 21 had been read back."""
    card = make_card(tmp_path, files=20, size=1000)
    dest, reports = tmp_path / "dest", tmp_path / "reports"
    dest.mkdir()
    assert run("copy", card, dest, "--report-dir", reports).returncode == 0
    (card / "CLIPS" / "C020.mov").write_bytes(os.urandom(1000))
    again = run("copy", "--verify", "transfer", card, dest, "--report-dir", reports)
    assert again.returncode == 0, again.stderr
    (line,) = [line for line in again.stderr.splitlines() if "TRANSFER-CHECKED ONLY" in line]
    assert line.startswith("21 files (21.0 kB) are on every destination: 1 of 21 copies ")
    assert "TRANSFER-CHECKED ONLY (sizes" in line
    assert "never read back from the destinations), 20 verified earlier (not re-read)" in line


def test_a_rerun_mixing_verified_and_transfer_checked_copies_says_which(tmp_path: Path) -> None:
    """Failed before: one copy verified earlier (read back) and one only transfer-checked
    earlier were both `verified_earlier`: "All 2 files ... are verified on every
    destination"."""
    card = make_card(tmp_path, files=1)
    dest, reports = tmp_path / "dest", tmp_path / "reports"
    dest.mkdir()
    assert run("copy", card, dest, "--report-dir", reports).returncode == 0
    (card / "CLIPS" / "C001.mov").write_bytes(os.urandom(1000))
    args = ("copy", "--verify", "transfer", card, dest, "--report-dir", reports)
    assert run(*args).returncode == 0
    again = run(*args)
    assert again.returncode == 0, again.stderr
    assert "verified on every destination" not in again.stderr
    assert "TRANSFER-CHECKED ONLY" in again.stderr
    assert "not re-read now: 1 (" in again.stderr  # the one read back by the first run
    assert "never read back: 1 (" in again.stderr
    report = newest_report(reports)
    states = {f["path"]: f["destinations"][0]["status"] for f in report["files"]}
    assert states == {"CLIPS/C000.mov": "verified_earlier", "CLIPS/C001.mov": "transfer_checked"}
    assert report["totals"]["results"]["verified_earlier"] == 1
    assert report["totals"]["results"]["transfer_checked"] == 1
    listed = run("history", "--json", "--report-dir", reports)
    assert json.loads(listed.stdout)[0]["result"] == "transfer-checked"


def test_history_says_what_each_run_proved(tmp_path: Path) -> None:
    """Failed before: `offload history` called a re-run that read nothing back (every copy
    trusted from the ledger) "verified", from its exit code and `--verify` alone."""
    card = make_card(tmp_path, files=1)
    dest, reports = tmp_path / "dest", tmp_path / "reports"
    dest.mkdir()
    for _ in range(2):
        assert run("copy", card, dest, "--report-dir", reports).returncode == 0
    (card / "CLIPS" / "C001.mov").write_bytes(os.urandom(1000))
    assert run("copy", card, dest, "--report-dir", reports).returncode == 0
    listed = run("history", "--json", "--report-dir", reports)
    assert listed.returncode == 0, listed.stderr
    results = [e["result"] for e in json.loads(listed.stdout)]
    assert results == ["verified, partly earlier", "verified earlier", "verified"]
    text = run("history", "--report-dir", reports)
    assert "verified earlier" in text.stdout


def test_totals_count_the_cards_symlinks_once_not_per_destination(tmp_path: Path) -> None:
    """Failed before: 3 links to 2 destinations gave `totals.symlinks` 6 while `files` and
    `folders` count the card."""
    card = make_card(tmp_path, files=1)
    for name in ("l1.mov", "l2.mov", "l3.mov"):
        (card / name).symlink_to("CLIPS/C000.mov")
    dests = [tmp_path / "d1", tmp_path / "d2"]
    for dest in dests:
        dest.mkdir()
    reports = tmp_path / "reports"
    result = run("copy", card, *dests, "--report-dir", reports)
    assert result.returncode == 0, result.stderr
    report = newest_report(reports)
    assert report["totals"]["symlinks"] == 3
    assert report["totals"]["files"] == 1 and report["totals"]["folders"] == 1
    assert len(report["symlinks"]) == 6  # one entry per link and destination
    assert [d["symlinks_failed"] for d in report["destinations"]] == [0, 0]


@pytest.mark.fault
def test_links_an_exfat_drive_cannot_hold_are_named_in_words(
    tmp_path: Path, exfat_loop: Any
) -> None:
    """Failed before: the summary said every file verified, result `ok`, the JSON result
    `ok`, while the process exited 1 over a raw "Function not implemented". Run where the
    device cannot be read (as by a user outside the disk group), so nothing tells exFAT from
    NTFS before the copy (read from its device, exFAT refuses the link up front:
    test_field_filesystems.py)."""
    disk = exfat_loop(16 << 20)
    card = make_card(tmp_path, files=1, size=1000)
    (card / "link.mov").symlink_to("CLIPS/C000.mov")
    reports = tmp_path / "reports"
    result = run(
        "copy", card, disk.path, "--report-dir", reports, prefix=without_device(disk.device)
    )
    assert result.returncode == 1, result.stderr
    assert "Function not implemented" not in result.stderr
    assert "holds no symlinks (exFAT, FAT)" in result.stderr
    assert f"LINKS NOT COPIED to {disk.path}: 1 symlink of the card" in result.stderr
    report = newest_report(reports)
    assert report["exit_code"] == 1
    (dest,) = report["destinations"]
    assert (dest["result"], dest["symlinks_failed"]) == ("failed", 1)
    (link,) = report["symlinks"]
    assert link["status"] == "failed" and "holds no symlinks" in link["error"]


# -- messages: one line naming the path and what to do -------------------------------------


def test_a_missing_source_or_folder_to_verify_is_said_not_to_exist(tmp_path: Path) -> None:
    """Failed before: `offload copy` printed a raw "[Errno 2] No such file or directory",
    `offload verify` "is not a folder"."""
    dest = tmp_path / "dest"
    dest.mkdir()
    copied = run("copy", tmp_path / "nosuch", dest, "--report-dir", tmp_path / "r")
    assert copied.returncode == 64
    assert f"source {tmp_path / 'nosuch'} does not exist" in copied.stderr
    assert "Errno" not in copied.stderr and "card is mounted" in copied.stderr
    verified = run("verify", tmp_path / "nosuch", "--report-dir", tmp_path / "r")
    assert verified.returncode == 64
    assert f"{tmp_path / 'nosuch'} does not exist" in verified.stderr
    assert "not a folder" not in verified.stderr
    (tmp_path / "file").write_text("x")
    assert "is not a folder" in run("verify", tmp_path / "file").stderr


def test_a_card_path_over_path_max_names_the_limit_and_the_ignore_that_leaves_it_out() -> None:
    """Failed before: a card folder whose path is over 4,096 bytes (Linux holds it) was
    refused "File name too long (ENAMETOOLONG) ... (check the card and the reader)", no
    ``--ignore`` named, and an exact ``--ignore`` of it failed the same way (the scan
    lstat-ed it before asking the ignore rules). Now the refusal says it is a path too long
    and gives the ``--ignore`` that leaves it out, which works; the rest is copied."""
    # A short base (not tmp_path, whose length varies): the 17th folder is the first over
    # the limit, on the card and at the destination alike.
    base = Path(tempfile.mkdtemp(prefix="pm", dir="/tmp"))
    try:
        card = base / "C14"
        (card / "LONG").mkdir(parents=True)
        (card / "ok.bin").write_bytes(b"ok\n")
        name = "p" * 250
        fd = os.open(card / "LONG", os.O_RDONLY | os.O_DIRECTORY)
        try:  # made relative to a descriptor: no path that long is ever named
            for _ in range(17):
                os.mkdir(name, dir_fd=fd)
                inner = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
                os.close(fd)
                fd = inner
        finally:
            os.close(fd)
        dest = base / "dest"
        dest.mkdir()
        refused = run("copy", card, dest, "--report-dir", base / "r")
        assert refused.returncode == 64, refused.stderr
        err = refused.stderr
        assert "check the card and the reader" not in err, err
        assert "path too long: " in err
        assert "Linux names a file or folder by a path of at most 4,095 bytes (PATH_MAX)" in err
        assert "the card and the reader are not at fault" in err
        suggested = err.split("leave it out with --ignore ", 1)[1].rstrip().removesuffix(")")
        assert suggested == "/LONG/" + "/".join([name] * 17), suggested
        copied = run("copy", card, dest, "--ignore", suggested, "--report-dir", base / "r")
        assert copied.returncode == 0, copied.stderr
        assert (dest / "C14" / "ok.bin").read_bytes() == b"ok\n"
        assert os.listdir(dest / "C14" / "LONG") == [name]  # the folders above it, kept
    finally:
        shutil.rmtree(base)


def test_a_card_gone_before_its_folder_times_are_read_names_the_card(tmp_path: Path) -> None:
    """Failed before: "cannot set the time of folder <DEST>/A001/CLIPS" named the copy,
    though the card (removed) was the problem."""
    from offload.card import plan_offload, run_offload

    card = make_card(tmp_path, files=1, size=1000)
    dest = tmp_path / "dest"
    dest.mkdir()
    plan = plan_offload(card, [dest])
    moved = tmp_path / "elsewhere"
    card.rename(moved)  # the card pulled out before the copy
    report = run_offload(plan)
    assert report.exit_code != 0
    about_folders = [e for e in report.folder_errors if "time" in e]
    assert about_folders
    for error in about_folders:
        assert error.startswith(f"cannot read the time of the card's folder {card}")
        assert "check the card and the reader" in error
        assert "cannot set the time of folder" not in error
    # And the card's one line says it is gone, its file failed for it (card_presence).
    assert report.card_gone is not None, report.folder_errors
    assert f"the card {card} went away during the offload (its folder no longer exists)" in (
        report.card_gone
    )
    assert "1 file of it failed as read" in report.card_gone, report.card_gone


def test_a_copy_whose_path_the_ledger_records_for_another_file_is_said_so(
    tmp_path: Path,
) -> None:
    """QA: a card name reused (or another card offloaded --into the same copy root): its
    file, equal to the one there but of another date, was read back and adopted "without a
    record in the destination's ledger (copied by another tool, or the ledger not read:
    --no-resume)", both causes false: the ledger's record there is of another file."""
    first = make_card(tmp_path / "day1", files=2)
    dest, reports = tmp_path / "dest", tmp_path / "reports"
    dest.mkdir()
    assert run("copy", first, dest, "--report-dir", reports).returncode == 0
    again = make_card(tmp_path / "day2", files=0)  # the same card name, reused
    shutil.copytree(first / "CLIPS", again / "CLIPS", dirs_exist_ok=True)
    for clip in (again / "CLIPS").iterdir():
        os.utime(clip, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    # --into: the copy root shared on purpose (without it, refused before the copy: no
    # entry of its ledger is this card's, test_card_same_name.py)
    second = run("copy", "--into", again, dest / again.name, "--report-dir", reports)
    assert second.returncode == 0, second.stderr
    said = " ".join(second.stderr.split())
    assert "without a record" not in said and "another tool" not in said, said
    assert (
        "2 copies were already there where the destination's ledger records another file "
        "(its size or date is not the card file's" in said
    ), said
    # Dates years apart: no cascade's rounding; that cause is not named (failed before).
    assert "cascade" not in said, said
    assert "read back, found equal to the source and adopted." in said
    report = newest_report(reports)
    assert {f["destinations"][0]["action"] for f in report["files"]} == {"adopted"}


def test_adopted_copies_are_worded_for_what_is_known_and_counted_in_words(
    tmp_path: Path,
) -> None:
    """Failed before: "1 copies already there (not made by offload-ai)" after a
    `--no-resume` run over offload-ai's own copy; "1 entries" ignored; the opening line's
    "1 copies already there to read back"."""
    card = make_card(tmp_path, files=1)
    (card / ".DS_Store").write_bytes(b"junk")
    dest, reports = tmp_path / "dest", tmp_path / "reports"
    dest.mkdir()
    assert run("copy", card, dest, "--report-dir", reports).returncode == 0
    again = run("copy", "--no-resume", card, dest, "--report-dir", reports)
    assert again.returncode == 0, again.stderr
    assert "not made by offload-ai" not in again.stderr
    assert "1 copy already there to read back" in again.stderr
    assert "1 copy was already there without a record in the destination's ledger" in (again.stderr)
    assert "--no-resume" in again.stderr
    assert "Ignored (not copied): 1 entry (listed in the report)." in again.stderr


def test_a_destination_the_cancel_left_unfinished_is_not_called_ok(tmp_path: Path) -> None:
    """Ctrl-C after every file had its outcome on the destination, before its empty folders,
    links and ASC MHL were written (a cancelled run writes none of them): its files are
    verified, but the destination is not finished. Failed before: its `result` was `ok`
    (the summary's "ok", the HTML's "✔ 3 verified now") on a copy root with no ASC MHL,
    no empty folder and no link, and nothing said so."""
    from offload.engine.cancel import CancelToken
    from offload.events import Event, FileVerified
    from offload.report.summary import summary_table

    card = make_card(tmp_path)
    (card / "EMPTY").mkdir()
    (card / "link.mov").symlink_to("CLIPS/C000.mov")
    dest = tmp_path / "dest"
    dest.mkdir()
    token = CancelToken()

    class CancelAtTheLastCopy:  # as a Ctrl-C just after the last read-back
        verified = 0

        def emit(self, event: Event) -> None:
            if isinstance(event, FileVerified):
                self.verified += 1
                if self.verified == 3:
                    token.cancel()

    report = offload(card, [dest], sink=CancelAtTheLastCopy(), cancel=token)
    assert report.job.cancelled and report.exit_code == 130
    (summary,) = report.job.destinations
    assert summary.files_verified == 3 and summary.files_cancelled == 0
    root = dest / "A001"
    assert not (root / "ascmhl").exists() and not (root / "EMPTY").exists()
    assert report.destination_result(summary) == "cancelled"
    assert any(
        "cancelled" in note and str(root) in note and "ASC MHL" in note for note in report.notes
    )
    written = write_reports(report, tmp_path / "reports")
    data = json.loads(Path(written.paths[0]).read_text())
    assert data["destinations"][0]["result"] == "cancelled"
    out = io.StringIO()
    from rich.console import Console

    Console(file=out, width=160).print(summary_table(report))
    assert " ok " not in out.getvalue() and "cancelled" in out.getvalue()
    html = " ".join(Path(written.paths[0]).with_suffix(".html").read_text().split())
    assert "✔ 3 verified now" not in html and "not finished" in html
    # No copy was cancelled: the line says what the stop did, never "0 copies were
    # cancelled (partial files removed ...)" (failed before).
    from offload.report.summary import verdict_lines

    (line,) = [line for line in verdict_lines(report) if line.startswith("CANCELLED")]
    assert "0 copies were cancelled" not in line and "partial files removed" not in line, line
    assert line.endswith(
        "; no copy was cancelled: the stop came once every copy had its outcome, before the "
        "steps that finish each destination (its empty folders, links, folder times and "
        "manifests); run the same command again to finish them"
    ), line


@pytest.mark.parametrize("verify", [VerifyMode.FULL, VerifyMode.TRANSFER])
def test_a_cancelled_rerun_says_which_copies_an_earlier_run_proved(
    tmp_path: Path, verify: VerifyMode
) -> None:
    """A re-run (3 copies trusted from the ledger, 2 new files) cancelled at its first new
    copy: the CANCELLED line says how the copies that stand were proved: "verified earlier:
    not re-read" for those an earlier run read back, "transfer-checked only (never read
    back)" for those it transfer-checked. Failed before: "CANCELLED: N of 5 files ... are
    verified on every destination" with the trusted copies among them and no word of it,
    and nothing of the transfer-checked copies."""
    from offload.engine.cancel import CancelToken
    from offload.events import Event, FileVerified
    from offload.report.summary import verdict_lines

    card = make_card(tmp_path)
    dest = tmp_path / "dest"
    dest.mkdir()
    options = OffloadOptions(copy=CopyOptions(verify=verify))
    assert offload(card, [dest], options=options).exit_code == 0
    for name in ("N1.mov", "N2.mov"):
        (card / "CLIPS" / name).write_bytes(os.urandom(150_000))
    token = CancelToken()

    class CancelAtTheFirstNewCopy:
        def emit(self, event: Event) -> None:
            if isinstance(event, FileVerified):
                token.cancel()

    report = offload(card, [dest], options=options, sink=CancelAtTheFirstNewCopy(), cancel=token)
    assert report.job.cancelled
    [line] = [line for line in verdict_lines(report) if line.startswith("CANCELLED")]
    if verify is VerifyMode.FULL:
        assert "3 verified earlier: not re-read" in line, line
    else:
        # The 3 trusted, and any new one transfer-checked before the cancel took.
        assert "copies transfer-checked only (never read back)" in line, line
        assert line.startswith("CANCELLED: 0 of 5 files"), line


def test_a_rerun_cancelled_before_any_new_copy_counts_the_earlier_copies_alone(
    tmp_path: Path,
) -> None:
    """A re-run (3 copies trusted from the ledger, 2 new files) cancelled as its first new
    file starts: no copy is verified now. Failed before: "(0 copies now, 3 verified earlier:
    not re-read)", a count of copies verified now where there is none. Now only what is true
    of the counts: "(3 copies verified earlier: not re-read)", without the "all" of the line
    that says all are verified (copies of other files were cancelled)."""
    from offload.engine.cancel import CancelToken
    from offload.events import Event, FileStarted
    from offload.report.summary import verdict_lines

    card = make_card(tmp_path)
    dest = tmp_path / "dest"
    dest.mkdir()
    assert offload(card, [dest]).exit_code == 0
    for name in ("N1.mov", "N2.mov"):
        (card / "CLIPS" / name).write_bytes(os.urandom(150_000))
    token = CancelToken()

    class CancelAtTheFirstNewFile:
        def emit(self, event: Event) -> None:
            if isinstance(event, FileStarted):
                token.cancel()

    report = offload(card, [dest], sink=CancelAtTheFirstNewFile(), cancel=token)
    assert report.job.cancelled
    statuses = [d.status for f in report.job.files for d in f.destinations]
    assert statuses.count(DestinationStatus.VERIFIED_EARLIER) == 3
    assert DestinationStatus.VERIFIED not in statuses
    [line] = [line for line in verdict_lines(report) if line.startswith("CANCELLED")]
    assert line.startswith(
        "CANCELLED: 3 of 5 files (600.0 kB) are verified on every destination "
        "(3 copies verified earlier: not re-read); "
    ), line
    assert "now" not in line, line


def test_failed_files_are_said_to_be_listed_where_they_are(tmp_path: Path) -> None:
    """The verdict points at the failures' list: the ERROR lines, printed after it. Failed
    before: "NOT ALL VERIFIED: 1 of 3 files failed ... (listed above)" with nothing above
    but the destinations' table, the failure named below."""
    card = make_card(tmp_path)
    dest = tmp_path / "dest"
    (dest / "A001" / "CLIPS").mkdir(parents=True)
    (dest / "A001" / "CLIPS" / "C001.mov").write_bytes(os.urandom(200_000))
    # Dated as the card file (else refused under load as another card's folder, exit 64).
    shutil.copystat(card / "CLIPS" / "C001.mov", dest / "A001" / "CLIPS" / "C001.mov")
    result = run("copy", card, dest, "--report-dir", tmp_path / "reports")
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    (verdict,) = [i for i, line in enumerate(lines) if line.startswith("NOT ALL VERIFIED")]
    (error,) = [i for i, line in enumerate(lines) if line.startswith("ERROR: ")]
    assert "C001.mov already exists with other content" in lines[error]
    assert error > verdict and "(listed below)" in lines[verdict]
    assert "listed above" not in result.stderr


def test_verify_of_a_changed_copy_says_a_plain_rerun_would_still_trust_it(
    tmp_path: Path,
) -> None:
    """`offload verify` finds a copy changed that kept its size and mtime: the check
    revokes the ledger's record of it (verify_revoke.py), says so, and the next plain
    `offload copy` reads it back and fails it (not the card's file) instead of trusting it
    as "verified earlier"; `--overwrite` replaces it. Failed before: the re-run trusted the
    copy, "3 earlier (not re-read)", exit 0 (the check only warned that it would)."""
    card, dest, reports = copied_once(tmp_path)
    corrupt_keeping_size_and_mtime(dest / "A001" / "CLIPS" / "C001.mov")
    checked = run("verify", dest / "A001", "--report-dir", reports)
    assert checked.returncode == 11, checked.stderr
    said = " ".join(checked.stderr.split())
    assert "CHANGED" in said and "this check revoked this copy root's ledger record" in said
    again = run("copy", card, dest, "--report-dir", reports)
    assert again.returncode == 1, again.stderr
    # The 2 good copies trusted, not the changed one.
    assert "2 verified earlier (not re-read), 1 copy failed" in again.stderr, again.stderr
    # Its refusal names the check that revoked it, and --reverify, which replaces it.
    said = " ".join(again.stderr.split())
    assert "offload verify found the copy at this name wrong and revoked its record" in said
    assert "--reverify replaces it once the new copy is verified" in said, said
    fixed = run("copy", "--overwrite", card, dest, "--report-dir", reports)
    assert fixed.returncode == 0, fixed.stderr
    assert run("verify", dest / "A001", "--report-dir", reports).returncode == 0
    # A check with nothing changed says nothing of it.
    assert "revoked" not in run("verify", dest / "A001", "--report-dir", reports).stderr


def test_verify_of_a_copy_whose_size_changed_names_reverify(tmp_path: Path) -> None:
    """A copy of ours whose size changed since it was verified: `offload verify` revokes
    its record, keeping which copy it was, and names `--reverify` for it (which replaces
    it), and `--reverify` does. Failed before: the WARNING named --overwrite, and
    --reverify refused it (another file in the way, exit 1)."""
    card, dest, reports = copied_once(tmp_path)
    copy = dest / "A001" / "CLIPS" / "C001.mov"
    with copy.open("ab") as f:
        f.write(b"junk")
    checked = run("verify", dest / "A001", "--report-dir", reports)
    assert checked.returncode == 11, checked.stderr
    assert "--overwrite" not in checked.stderr
    assert (
        "this check revoked this copy root's ledger record of the 1 copy it found changed or "
        "unreadable: no `offload copy` trusts it as verified earlier any more; `offload copy "
        "--reverify` of the card reads it back against the card and replaces it if it "
        "differs" in " ".join(checked.stderr.split())
    ), checked.stderr
    fixed = run("copy", "--reverify", card, dest, "--report-dir", reports)
    assert fixed.returncode == 0, fixed.stderr
    assert copy.read_bytes() == (card / "CLIPS" / "C001.mov").read_bytes()
    assert run("verify", dest / "A001", "--report-dir", reports).returncode == 0


def test_reverify_replaces_copies_of_ours_whose_size_changed(tmp_path: Path) -> None:
    """Copies offload-ai wrote and verified whose size changed since (bytes appended, cut
    short) are its own copies, damaged: the ledger records that it wrote those names from
    these card files (their path, size, date and digests). A plain re-run refuses them and
    names --reverify; --reverify replaces them from the card (each new copy verified first)
    and says what happened on the terminal, in the JSON and the HTML. Failed before: both
    refused by --reverify as another file in the way (exit 1), the copies left damaged."""
    card, dest, reports = copied_once(tmp_path)
    grown = dest / "A001" / "CLIPS" / "C001.mov"
    cut = dest / "A001" / "CLIPS" / "C002.mov"
    with grown.open("ab") as f:
        f.write(b"junk")
    os.truncate(cut, 1000)

    plain = run("copy", card, dest, "--report-dir", reports)
    assert plain.returncode == 1, plain.stderr
    flat = " ".join(plain.stderr.split())
    assert "2 copies refused: another file in the way" in flat
    assert (
        "both are copies of ours whose size changed since they were recorded in this copy "
        "root's ledger: --reverify replaces them" in flat
    ), flat
    assert grown.stat().st_size == 200_004 and cut.stat().st_size == 1000

    dry = run("copy", "--reverify", "--dry-run", "--json", card, dest)
    assert dry.returncode == 0, dry.stderr
    (planned,) = json.loads(dry.stdout)["destinations"]
    assert [r["path"] for r in planned["replace"]] == ["CLIPS/C001.mov", "CLIPS/C002.mov"]
    assert planned["replace"][0]["why"].startswith(f"{grown} is 200,004 bytes; ")
    assert [r["path"] for r in planned["read_back"]] == ["CLIPS/C000.mov"]
    assert planned["refused"] == []
    # Left after the copy: the two new copies less the two bad ones they replace.
    assert planned["copy_bytes"] == 0, planned
    growth = 2 * 200_000 - 200_004 - 1000
    assert planned["free_bytes"] - planned["free_after_bytes"] == growth, planned

    fixed = run("copy", "--reverify", card, dest, "--report-dir", reports)
    assert fixed.returncode == 0, fixed.stderr
    assert (
        "1 copy already there to read back, 2 copies of ours whose size changed to copy again"
        in " ".join(fixed.stderr.split())
    )
    for name in ("C001.mov", "C002.mov"):
        copied = (dest / "A001" / "CLIPS" / name).read_bytes()
        assert copied == (card / "CLIPS" / name).read_bytes()
    flat = " ".join(fixed.stderr.split())
    assert "in the way" not in flat
    assert f"copy no longer matches, copying it again: {grown} is 200,004 bytes" in flat, flat
    assert "the copy verified there on " in flat and "was 200,000 bytes" in flat
    report = newest_report(reports)
    states = {f["path"]: f["destinations"][0] for f in report["files"]}
    for name in ("CLIPS/C001.mov", "CLIPS/C002.mov"):
        assert states[name]["status"] == "verified" and states[name]["action"] == "copied"
    assert states["CLIPS/C000.mov"]["action"] == "rechecked"
    found = [w for w in report["warnings"] if w["code"] == "copy-no-longer-matches"]
    assert sorted(w["path"] for w in found) == [str(grown), str(cut)]
    for item in found:
        assert item["message"].startswith(f"copy found damaged: {item['path']} is ")
        assert "the copy verified there on " in item["message"]
        assert item["message"].endswith(
            "replaced by a new copy from the card, verified now (read back)"
        )
    html = " ".join(newest_json(reports).with_suffix(".html").read_text().split())
    assert f"{cut} is 1,000 bytes" in html and "replaced by a new copy from the card" in html
    assert run("verify", dest / "A001", "--report-dir", reports).returncode == 0


@pytest.mark.fault
def test_each_copy_is_dated_when_it_was_verified_alike_in_ledger_report_and_manifests(
    tmp_path: Path, faulty_fs: Any, judge: Any
) -> None:
    """ASC MHL's ``hashdate`` is when that hash was made or verified (the reference tool
    dates each hash entry as it hashes the file). Each copy verified by this run is dated
    when the engine proved it (its batch), alike in the ledger (``recorded_at``), the JSON
    report (``verified_at``) and the generation's and legacy MHL's ``hashdate``; the card's
    last file held 2.5 s by a stall on its read, the first copies are dated seconds before
    the job's end. Failed before: the report's ``verified_at`` was null for a copy this run
    wrote, and the manifests dated every such hash at the job's end."""
    from datetime import datetime

    from offload.manifest_options import ManifestOptions, MhlKind
    from offload.report.job_report import report_data

    fs = faulty_fs()
    card = make_card(fs.mountpoint)
    dest = tmp_path / "dest"
    dest.mkdir()
    fs.stall("read", path="*C002.mov", seconds=2.5)
    options = OffloadOptions(
        copy=CopyOptions(batch_files=1),
        manifests=ManifestOptions(kinds=frozenset({MhlKind.ASCMHL, MhlKind.LEGACY})),
    )
    report = offload(card, [dest], options=options)
    assert report.exit_code == 0
    root = dest / card.name
    ledger = {
        entry["relative_path"]: entry["recorded_at"]
        for entry in map(json.loads, (root / ".offload" / "ledger.jsonl").read_text().splitlines())
    }
    data = report_data(report)
    dated = {f["path"]: f["destinations"][0]["verified_at"] for f in data["files"]}
    (generation,) = (root / "ascmhl").glob("0001_*.mhl")
    text = generation.read_text()
    (legacy,) = root.glob("*.mhl")
    legacy_text = legacy.read_text()
    seconds = set()
    for relative, recorded_at in ledger.items():
        second = datetime.fromtimestamp(int(recorded_at), UTC).strftime("%Y-%m-%dT%H:%M:%S")
        seconds.add(second)
        assert dated[relative] == f"{second}Z", (relative, dated, ledger)
        element = text[text.index(f">{relative}</path>") :].split("</hash>")[0]
        assert f'hashdate="{second}Z"' in element or f'hashdate="{second}+00:00"' in element, (
            element,
            second,
        )
        item = legacy_text[legacy_text.index(f"<file>{relative}</file>") :].split("</hashdate>")[0]
        assert item.endswith(f"<hashdate>{second}Z"), (item, second)
    assert len(seconds) >= 2, seconds  # the stall parted them: not one date for the job
    assert judge.verify(root).returncode == 0
    assert judge.info(root).returncode == 0


def test_refusals_of_a_copy_of_ours_in_the_way_name_reverify_as_the_warning_does(
    tmp_path: Path,
) -> None:
    """The copy refused because a copy of ours that changed is at its name: the engine's
    refusal (the terminal's failure, --json's file_failed and job_report failures, the
    report's error) and --dry-run's name --reverify, as the warning before the copy does;
    a file that is not ours is refused naming --overwrite and --keep-both alone. Failed
    before: the engine's line said only "use --overwrite or --keep-both", and the
    read-back's refusal of a same-size copy of ours (its date changed, its bytes too) and
    --dry-run's named no --reverify."""
    card = make_card(tmp_path, files=4)
    dest = tmp_path / "dest"
    dest.mkdir()
    reports = tmp_path / "reports"
    assert run("copy", card, dest, "--report-dir", reports).returncode == 0
    clips = dest / "A001" / "CLIPS"
    grown, rewritten = clips / "C001.mov", clips / "C002.mov"
    with grown.open("ab") as f:
        f.write(b"junk")
    rewritten.write_bytes(os.urandom(200_000))
    os.utime(rewritten, (time.time(), time.time() + 3600))  # an hour off: past FAT's 2 s
    (card / "CLIPS" / "C009.mov").write_bytes(os.urandom(1000))  # new on the card
    foreign = clips / "C009.mov"
    foreign.write_bytes(b"someone else's")  # no entry records it: not ours

    reverify = "since it was recorded in this copy root's ledger: --reverify replaces it"
    dry = run("copy", "--dry-run", "--json", card, dest)
    assert dry.returncode == 1, dry.stderr  # as the run's, below
    (planned,) = json.loads(dry.stdout)["destinations"]
    refused = {r["path"]: r["why"] for r in planned["refused"]}
    assert f"a copy of ours whose size changed {reverify}" in refused["CLIPS/C001.mov"]
    assert "--reverify" not in refused["CLIPS/C009.mov"]

    done = run("copy", "--json", card, dest, "--report-dir", reports)
    assert done.returncode == 1, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    failed = {e["relative_path"]: e["message"] for e in events if e["event"] == "file_failed"}
    (final,) = [e for e in events if e["event"] == "job_report"]
    failures = {f["path"]: f["error"] for f in final["failures"]}
    report = {f["path"]: f["destinations"][0] for f in newest_report(reports)["files"]}
    for words in (failed, failures, {k: v["error"] for k, v in report.items() if v["error"]}):
        flat = {k: " ".join(v.split()) for k, v in words.items()}
        assert set(flat) <= {
            "CLIPS/C001.mov",
            "CLIPS/C002.mov",
            "CLIPS/C009.mov",
            str(grown),
            str(rewritten),
            str(foreign),
        }, flat
        one = {Path(k).name: v for k, v in flat.items()}
        assert f"a copy of ours whose size changed {reverify}" in one["C001.mov"], one
        assert "--overwrite replaces it once the new copy is verified" in one["C001.mov"]
        assert f"a copy of ours whose date changed {reverify}" in one["C002.mov"], one
        assert "--reverify" not in one["C009.mov"], one
        assert (
            "--overwrite replaces it once the new copy is verified, --keep-both keeps both"
            in (one["C009.mov"])
        )
    assert grown.stat().st_size == 200_004 and foreign.read_bytes() == b"someone else's"


def test_reverify_with_keep_both_keeps_a_changed_copy_of_ours_and_writes_beside_it(
    tmp_path: Path,
) -> None:
    """--keep-both asks that nothing in the way be lost; no record ties a copy of ours to one
    inode (a file written over ours since looks the same), so with --reverify --keep-both a
    copy of ours whose size changed is kept as it is and the new copy written beside it.
    Failed before: the changed file was replaced (exit 0, no second copy kept).

    It is named as the same-size copy found wrong is: which file was kept, why, and where
    the new copy is, on the terminal, in --json (code copy-no-longer-matches), in the saved
    report and in --dry-run. Failed before: counted among the files to copy, no warning."""
    card, dest, reports = copied_once(tmp_path)
    grown = dest / "A001" / "CLIPS" / "C001.mov"
    with grown.open("ab") as f:
        f.write(b"edit")
    edited = grown.read_bytes()
    beside_path = grown.with_name("C001 (1).mov")
    changed = f"{grown} is 200,004 bytes; the copy verified there on "

    # The dry run predicts the run's exit 1 (it said 0: review, thirty-ninth pass).
    dry = run("copy", "--reverify", "--keep-both", "--dry-run", card, dest)
    assert dry.returncode == 1, dry.stderr
    flat = " ".join(dry.stderr.split())
    assert (
        "1 would copy beside a copy of ours whose size changed, kept as it is "
        f"(--keep-both; the run exits 1) CLIPS/C001.mov: {changed}"
    ) in flat, flat
    assert "would exit 1: 1 damaged copy of ours would be kept at the card's name" in flat
    dry_json = run("copy", "--reverify", "--keep-both", "--dry-run", "--json", card, dest)
    assert dry_json.returncode == 1, dry_json.stderr
    (planned,) = json.loads(dry_json.stdout)["destinations"]
    assert [r["path"] for r in planned["keep_beside"]] == ["CLIPS/C001.mov"], planned
    assert planned["keep_beside"][0]["why"].startswith(changed), planned
    assert planned["replace"] == [] and planned["refused"] == [], planned
    assert planned["copy_bytes"] == 200_000, planned  # the new copy, nothing replaced
    assert grown.read_bytes() == edited and not beside_path.exists()  # a dry run

    done = run("copy", "--reverify", "--keep-both", card, dest, "--report-dir", reports)
    # Exit 1: a damaged copy of ours is kept at the card file's name (README, exit codes).
    assert done.returncode == 1, done.stderr
    assert grown.read_bytes() == edited  # kept as it was
    beside = sorted(p.name for p in grown.parent.iterdir() if p.name.startswith("C001"))
    assert beside == ["C001 (1).mov", "C001.mov"], beside
    assert beside_path.read_bytes() == (card / "CLIPS" / "C001.mov").read_bytes()
    report = newest_report(reports)
    states = {f["path"]: f["destinations"][0] for f in report["files"]}
    assert states["CLIPS/C001.mov"]["status"] == "verified"
    assert states["CLIPS/C001.mov"]["action"] == "copied"
    assert states["CLIPS/C001.mov"]["final_path"] == str(beside_path)
    flat = " ".join(done.stderr.split())
    doing = "copy no longer matches, kept as it is (--keep-both), copying it again beside it"
    assert f"{doing}: {changed}" in flat, flat
    (found,) = [w for w in report["warnings"] if w["code"] == "copy-no-longer-matches"]
    assert found["path"] == str(grown), found
    message = " ".join(found["message"].split())
    assert "replaced" not in message and "read back and found different" not in message
    assert (
        f"kept as it is (--keep-both): {grown} is not the copy its ledger recorded (its size "
        f"changed: not read back); the new copy from the card was written beside it as "
        f"{beside_path}, verified now (read back)"
    ) in message, message

    # --json: the warning_issued event carries the code. (The copy root holds the earlier
    # kept file still: cut it back so that this run finds a copy of ours changed again.)
    with beside_path.open("ab") as f:
        f.write(b"edit")
    streamed = run(
        "copy", "--json", "--reverify", "--keep-both", card, dest, "--report-dir", reports
    )
    assert streamed.returncode == 1, streamed.stderr
    events = [json.loads(line) for line in streamed.stdout.splitlines()]
    issued = [
        e
        for e in events
        if e["event"] == "warning_issued" and e["code"] == "copy-no-longer-matches"
    ]
    assert [e["path"] for e in issued] == [str(beside_path)], issued
    assert issued[0]["message"].startswith(f"{doing}: {beside_path} is 200,004 bytes"), issued


def test_reverify_with_keep_both_keeps_a_same_size_copy_of_ours_found_wrong(
    tmp_path: Path, judge: Any
) -> None:
    """A copy of ours of the recorded size that --reverify reads back and finds different
    from the card (bit rot: size and date kept; rewritten: its date changed too) is kept as
    it is with --keep-both, the new copy written beside it under the keep-both name; the
    terminal and the saved report say what the kept file is ("read back and found different
    from the card") and where the new copy is; the ledger and the manifest record the new
    copy at its real name (a re-run trusts it there, writes nothing). Failed before: both
    were replaced (renamed over) despite --keep-both."""
    card, dest, reports = copied_once(tmp_path)
    clips = dest / "A001" / "CLIPS"
    rotten, rewritten = clips / "C001.mov", clips / "C002.mov"
    corrupt_keeping_size_and_mtime(rotten)
    recorded_ns = rewritten.stat().st_mtime_ns
    rewritten.write_bytes(os.urandom(200_000))
    # Its date changed, whatever the machine's load: beyond the ledger's 2 s of tolerance
    # (a rewrite within 2 s of the card file's date read as unchanged and took the other
    # wording: the test failed only on a loaded machine).
    os.utime(rewritten, ns=(recorded_ns + 10**10, recorded_ns + 10**10))
    kept = {path: path.read_bytes() for path in (rotten, rewritten)}

    done = run("copy", "--reverify", "--keep-both", card, dest, "--report-dir", reports)
    # Exit 1: a damaged copy of ours is kept at the card file's name (README, exit codes).
    assert done.returncode == 1, done.stderr
    flat = " ".join(done.stderr.split())
    report = newest_report(reports)
    states = {f["path"]: f["destinations"][0] for f in report["files"]}
    warnings = {w["path"]: w["message"] for w in report["warnings"]}
    for path, data in kept.items():
        assert path.read_bytes() == data  # kept as it was
        beside = path.with_name(f"{path.stem} (1).mov")
        assert beside.read_bytes() == (card / "CLIPS" / path.name).read_bytes()
        doing = "copy no longer matches, kept as it is (--keep-both), copying it again beside it"
        how = "has another date than the copy verified there on" if path == rewritten else ""
        assert f"{doing}: {path} {how or 'differs from the '}" in flat, flat
        state = states[f"CLIPS/{path.name}"]
        assert state["status"] == "verified" and state["final_path"] == str(beside), state
        message = " ".join(warnings[str(path)].split())
        assert "replaced" not in message, message
        assert (
            f"kept as it is (--keep-both): {path} was read back and found different from the "
            f"card; the new copy from the card was written beside it as {beside}, verified now "
            "(read back)" in message
        ), message
    assert states["CLIPS/C000.mov"]["action"] == "rechecked"
    listed = json.loads(run("history", "--json", "--report-dir", reports).stdout)
    assert listed[0]["result"] == "verified, 2 damaged copies kept beside new ones", listed[0]
    # The ledger: each new copy at its real name (a re-run trusts it there: nothing written).
    again = run("copy", "--keep-both", card, dest, "--report-dir", reports)
    assert again.returncode == 0, again.stderr
    states = {f["path"]: f["destinations"][0] for f in newest_report(reports)["files"]}
    for path in kept:
        state = states[f"CLIPS/{path.name}"]
        assert state["status"] == "verified_earlier", state
        assert state["final_path"] == str(path.with_name(f"{path.stem} (1).mov")), state
    assert sorted(p.name for p in clips.iterdir()) == [
        "C000.mov",
        "C001 (1).mov",
        "C001.mov",
        "C002 (1).mov",
        "C002.mov",
    ]
    # The manifest: the newest generation lists the new copies at their names, the card's
    # hashes; the kept files are not listed as the card's.
    generations = sorted((dest / "A001" / "ascmhl").glob("0*.mhl"))
    newest = generations[-1].read_text()
    assert "<path" in newest
    assert "CLIPS/C001 (1).mov" in newest and "CLIPS/C002 (1).mov" in newest
    assert "CLIPS/C001.mov<" not in newest and "CLIPS/C002.mov<" not in newest
    info = judge.info(dest / "A001")
    assert info.returncode == 0, info.describe()
    # offload verify finds the kept files changed (true) and does not say the ledger still
    # vouches for them or that --reverify replaces them: no run trusts them. Failed before:
    # "this copy root's ledger still vouches ... --reverify ... replaces those".
    checked = run("verify", dest / "A001", "--report-dir", reports)
    assert checked.returncode == 11, checked.stderr
    said = " ".join(checked.stderr.split())
    assert f"CHANGED {rotten}" in said and f"CHANGED {rewritten}" in said, said
    assert "still vouches" not in said and "--reverify" not in said, said
    assert (
        "2 changed copies are not vouched for by this copy root's ledger (a copy found "
        "damaged and kept beside its new copy by --keep-both, or one it never recorded): "
        "no `offload copy` trusts them" in said
    ), said


@pytest.mark.parametrize("reverify", [False, True])
def test_keep_both_finds_its_own_copy_under_the_keep_both_name_after_its_date_changed(
    tmp_path: Path, reverify: bool
) -> None:
    """A copy of ours kept under a keep-both name ("C001 (1).mov": another file held the
    card's name) whose date changed is still found at that name by a --keep-both re-run and
    read back there (equal: verified now), not copied a third time beside the other file.
    Failed before the fix (a first fix of --reverify --keep-both dropped the ledger's name):
    "C001 (2).mov" written. Into the folder named on purpose (``--into``)."""
    card = make_card(tmp_path)
    dest = tmp_path / "dest" / "A001"
    (dest / "CLIPS").mkdir(parents=True)
    other = dest / "CLIPS" / "C001.mov"
    other.write_bytes(b"someone else's file")
    reports = tmp_path / "reports"
    done = run("copy", "--keep-both", "--into", card, dest, "--report-dir", reports)
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in other.parent.iterdir() if p.name.startswith("C001"))
    assert len(names) == 2, names
    (ours,) = [other.parent / n for n in names if n != "C001.mov"]
    os.utime(ours, (1_577_836_800, 1_577_836_800))  # 2020-01-01

    extra = ["--reverify"] if reverify else []
    again = run("copy", "--keep-both", "--into", *extra, card, dest, "--report-dir", reports)
    assert again.returncode == 0, again.stderr
    after = sorted(p.name for p in other.parent.iterdir() if p.name.startswith("C001"))
    assert after == names  # no third copy
    assert other.read_bytes() == b"someone else's file"
    entry = {f["path"]: f["destinations"][0] for f in newest_report(reports)["files"]}
    copy = entry["CLIPS/C001.mov"]
    assert copy["status"] == "verified" and copy["final_path"] == str(ours), copy
    assert copy["action"] == ("rechecked" if reverify else "adopted"), copy


def test_keep_both_over_a_same_size_file_adopts_its_kept_copy_not_a_third(tmp_path: Path) -> None:
    """Another file of the card file's size holds its name; --keep-both keeps it and writes
    the copy beside it ("C001 (1).mov"). A re-run with --no-resume (the ledger not read)
    reads the kept copy back and adopts it: nothing written, the file in the way untouched.
    Failed before: the same-size file was read back, found different, and a third copy
    "C001 (2).mov" written beside both (the kept copy looked for only beside a file of
    another size)."""
    card = make_card(tmp_path)
    dest = tmp_path / "dest" / "A001"
    (dest / "CLIPS").mkdir(parents=True)
    clip = card / "CLIPS" / "C001.mov"
    other = dest / "CLIPS" / "C001.mov"
    other.write_bytes(os.urandom(clip.stat().st_size))  # the card file's size, not its bytes
    reports = tmp_path / "reports"
    done = run("copy", "--keep-both", "--into", card, dest, "--report-dir", reports)
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in other.parent.iterdir() if p.name.startswith("C001"))
    assert names == ["C001 (1).mov", "C001.mov"], names
    before = other.read_bytes()
    again = run("copy", "--keep-both", "--no-resume", "--into", card, dest, "--report-dir", reports)
    assert again.returncode == 0, again.stderr
    after = sorted(p.name for p in other.parent.iterdir() if p.name.startswith("C001"))
    assert after == names  # no third copy
    assert other.read_bytes() == before
    entry = {f["path"]: f["destinations"][0] for f in newest_report(reports)["files"]}
    copy = entry["CLIPS/C001.mov"]
    assert copy["status"] == "verified", copy
    assert copy["final_path"] == str(other.parent / "C001 (1).mov"), copy
    assert copy["action"] == "adopted", copy


def test_keep_both_no_resume_adopts_an_equal_copy_at_its_name_beside_a_different_kept_copy(
    tmp_path: Path,
) -> None:
    """The card file's copy at its name (a ``cp -p``), and beside it a ``name (1).ext`` of
    its size and date but other bytes; --keep-both --no-resume (no ledger entry read): the
    kept-copy candidate is read back, found different, then the file at the name is read
    back and adopted: nothing written, both files as they were. Failed before: "C001
    (2).mov" written, the equal file at the name called a file in the way, never read."""
    card = make_card(tmp_path)
    dest = tmp_path / "dest" / "A001"
    (dest / "CLIPS").mkdir(parents=True)
    clip = card / "CLIPS" / "C001.mov"
    at_name = dest / "CLIPS" / "C001.mov"
    shutil.copy2(clip, at_name)
    beside = dest / "CLIPS" / "C001 (1).mov"
    beside.write_bytes(os.urandom(clip.stat().st_size))
    os.utime(beside, ns=(clip.stat().st_atime_ns, clip.stat().st_mtime_ns))
    before = beside.read_bytes()
    reports = tmp_path / "reports"
    done = run("copy", "--keep-both", "--no-resume", "--into", card, dest, "--report-dir", reports)
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in at_name.parent.iterdir() if p.name.startswith("C001"))
    assert names == ["C001 (1).mov", "C001.mov"], names  # no third copy
    assert beside.read_bytes() == before and at_name.read_bytes() == clip.read_bytes()
    entry = {f["path"]: f["destinations"][0] for f in newest_report(reports)["files"]}
    copy = entry["CLIPS/C001.mov"]
    assert (copy["status"], copy["action"]) == ("verified", "adopted"), copy
    assert copy["final_path"] == str(at_name), copy


def test_reverify_never_replaces_a_file_its_ledger_does_not_record_for_this_card_file(
    tmp_path: Path,
) -> None:
    """--reverify replaces a copy of another size only where the ledger records that it
    wrote that name from this very card file: not after the card's file changed (another
    size and date: the entry is of another file), not a file no entry records."""
    card, dest, reports = copied_once(tmp_path)
    (card / "CLIPS" / "C001.mov").write_bytes(os.urandom(300_000))  # the card's file changed
    ours = dest / "A001" / "CLIPS" / "C001.mov"
    with ours.open("ab") as f:
        f.write(b"junk")
    (card / "CLIPS" / "C003.mov").write_bytes(os.urandom(1000))  # new on the card
    foreign = dest / "A001" / "CLIPS" / "C003.mov"
    foreign.write_bytes(b"someone else's")
    kept = ours.read_bytes()
    result = run("copy", "--reverify", card, dest, "--report-dir", reports)
    assert result.returncode == 1, result.stderr
    assert "2 copies refused: another file in the way" in result.stderr
    assert "copies of ours" not in result.stderr and "--reverify replaces" not in result.stderr
    assert ours.read_bytes() == kept and foreign.read_bytes() == b"someone else's"


def test_reverify_reads_back_a_copy_of_ours_whose_date_changed(tmp_path: Path) -> None:
    """A copy of ours of the recorded size whose date changed since: --reverify reads it back
    against the card; one rewritten with other bytes is replaced (a plain run refuses it as
    another file), one only touched is verified now and gets the card's date back. Failed
    before: --reverify refused the rewritten one (already exists with other content)."""
    card, dest, reports = copied_once(tmp_path)
    rewritten = dest / "A001" / "CLIPS" / "C001.mov"
    rewritten.write_bytes(os.urandom(200_000))
    os.utime(rewritten, (time.time(), time.time() + 3600))  # an hour off: past FAT's 2 s
    touched = dest / "A001" / "CLIPS" / "C002.mov"
    os.utime(touched, (time.time(), time.time() + 3600))
    plain = run("copy", card, dest, "--report-dir", reports)
    assert plain.returncode == 1 and "already exists with other content" in plain.stderr
    fixed = run("copy", "--reverify", card, dest, "--report-dir", reports)
    assert fixed.returncode == 0, fixed.stderr
    assert rewritten.read_bytes() == (card / "CLIPS" / "C001.mov").read_bytes()
    assert touched.stat().st_mtime_ns == (card / "CLIPS" / "C002.mov").stat().st_mtime_ns
    flat = " ".join(fixed.stderr.split())
    assert f"{rewritten} has another date than the copy verified there on " in flat, flat
    report = newest_report(reports)
    states = {f["path"]: f["destinations"][0] for f in report["files"]}
    assert states["CLIPS/C001.mov"]["action"] == "copied"
    assert states["CLIPS/C002.mov"]["action"] == "rechecked"
    assert {s["status"] for s in states.values()} == {"verified"}
    assert run("verify", dest / "A001", "--report-dir", reports).returncode == 0


def newest_json(folder: Path) -> Path:
    return sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns)[-1]


def test_copies_already_there_read_back_are_dated_as_their_ledger_entries(tmp_path: Path) -> None:
    """A copy already there (made by cp) that the run reads back and records: its result's
    verified_at (the JSON and CSV) is the time its ledger entry records, which a later run's
    manifests date it by. Failed before: the entries were dated one by one as they were made,
    the results once after the append (another time)."""
    card = make_card(tmp_path, files=5)
    dest = tmp_path / "dest"
    dest.mkdir()
    shutil.copytree(card, dest / card.name)
    report = offload(card, [dest])
    assert report.exit_code == 0
    entries = Ledger(dest / card.name).load()
    for file in report.job.files:
        result = file.destination(0)
        assert result is not None and result.action is CopyAction.ADOPTED, result
        assert result.verified_at == entries[file.relative_path].recorded_at, file.relative_path
