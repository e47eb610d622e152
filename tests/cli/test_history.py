"""`offload history`: past offloads from the local report store, newest first."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from support import mounts
from support.ascmhl_judge import AscmhlJudge
from support.terminal import holds

CLI = [sys.executable, "-m", "offload.cli.offload"]


def _run(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *map(str, args)], capture_output=True, text=True, timeout=120, check=False, env=env
    )


def test_history_lists_offloads_newest_first_with_result_and_exit_code(tmp_path: Path) -> None:
    card = tmp_path / "A001"
    card.mkdir()
    (card / "clip.mov").write_bytes(os.urandom(10_000))
    good, reports = tmp_path / "good", tmp_path / "reports"
    good.mkdir()
    assert _run("copy", card, good, "--report-dir", reports).returncode == 0
    # A second offload that fails on one destination (its copy root is a file).
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "A001").write_text("in the way")
    second = _run("copy", card, good, bad, "--report-dir", reports)
    assert second.returncode in (1, 64)
    (reports / "notes.json").write_text("{not json")  # listed as unreadable, not fatal

    listed = _run("history", "--json", "--report-dir", reports)
    assert listed.returncode == 0, listed.stderr
    entries = [e for e in json.loads(listed.stdout) if e["error"] is None]
    assert entries, listed.stdout
    reported = [json.loads(Path(e["report"]).read_text())["exit_code"] for e in entries]
    assert [e["exit_code"] for e in entries] == reported
    assert entries[-1]["result"] == "verified" and entries[-1]["card"] == "A001"
    assert entries[-1]["destinations"] == [str(good / "A001")]
    starts = [e["started"] for e in entries]
    assert starts == sorted(starts, reverse=True)

    text = _run("history", "--report-dir", reports)
    assert text.returncode == 0 and "A001" in text.stdout and "verified" in text.stdout


def test_history_of_an_empty_store(tmp_path: Path) -> None:
    (tmp_path / "none").mkdir()
    result = _run("history", "--report-dir", tmp_path / "none")
    assert result.returncode == 0
    assert "No offload reports" in result.stdout
    assert json.loads(_run("history", "--json", "--report-dir", tmp_path / "none").stdout) == []
    # The default folder not made yet (no run so far): nothing listed, no error.
    home = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}
    home.pop("OFFLOAD_REPORT_DIR", None)
    result = _run("history", env=home)
    assert result.returncode == 0 and "No offload reports" in result.stdout, result.stderr


def test_history_refuses_a_named_report_folder_that_does_not_exist(tmp_path: Path) -> None:
    """Failed before: "No offload reports in /nonexistent yet.", exit 0, for a mistyped
    --report-dir (``offload copy`` refuses a report folder it cannot use, exit 64)."""
    missing = tmp_path / "reprots"
    for args in ((), ("--json",)):
        result = _run("history", *args, "--report-dir", missing)
        assert result.returncode == 64 and result.stdout == "", result.stdout
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and f"the report folder {missing} does not exist" in lines[0], lines
        assert "--report-dir" in lines[0], lines
    named = {**os.environ, "OFFLOAD_REPORT_DIR": str(missing)}
    result = _run("history", env=named)
    assert result.returncode == 64 and "$OFFLOAD_REPORT_DIR" in result.stderr, result.stderr


def test_history_lists_verify_runs_as_checks_and_n_counts_what_is_shown(tmp_path: Path) -> None:
    """`offload verify` writes its reports into the same folder: each is listed as the
    check it was (the folder, what it found), never as a junk "not a report" row."""
    card = tmp_path / "A001"
    card.mkdir()
    (card / "clip.mov").write_bytes(os.urandom(10_000))
    dest, reports = tmp_path / "dest", tmp_path / "reports"
    dest.mkdir()
    assert _run("copy", card, dest, "--report-dir", reports).returncode == 0
    assert _run("verify", dest / "A001", "--report-dir", reports).returncode == 0
    (dest / "A001" / "clip.mov").write_bytes(os.urandom(10_000))
    assert _run("verify", dest / "A001", "--report-dir", reports).returncode == 11

    listed = _run("history", "--json", "--report-dir", reports)
    assert listed.returncode == 0, listed.stderr
    entries = json.loads(listed.stdout)
    assert [e["kind"] for e in entries] == ["verify", "verify", "offload"], entries
    assert all(e["error"] is None for e in entries)
    changed, good = entries[0], entries[1]
    assert (changed["result"], changed["exit_code"]) == ("changed or unreadable", 11)
    assert (good["result"], good["exit_code"], good["reference"]) == ("verified", 0, "ascmhl")
    assert good["destinations"] == [str(dest / "A001")] and good["files"] == 1
    assert good["verify"] is None and entries[2]["result"] == "verified"

    newest = json.loads(_run("history", "--json", "-n", "2", "--report-dir", reports).stdout)
    assert newest == entries[:2]
    text = _run("history", "-n", "1", "--report-dir", reports)
    assert text.returncode == 0 and "not a report" not in text.stdout
    flat = " ".join(text.stdout.split())  # the title wraps at 80 columns for a long path
    assert "newest 1 of 3" in flat and "changed or unreadable" in flat, text.stdout


def test_history_limit_below_one_and_a_report_dir_that_is_a_file_are_usage_errors(
    tmp_path: Path,
) -> None:
    card = tmp_path / "A001"
    card.mkdir()
    (card / "clip.mov").write_bytes(os.urandom(1000))
    (tmp_path / "dest").mkdir()
    reports = tmp_path / "reports"
    assert _run("copy", card, tmp_path / "dest", "--report-dir", reports).returncode == 0
    for limit in ("0", "-1"):
        result = _run("history", "-n", limit, "--report-dir", reports)
        assert result.returncode == 64, result.stdout
        assert result.stderr.startswith(f"ERROR: -n {limit}: ") and result.stdout == ""
    a_file = next(reports.glob("*.json"))
    for args in ((), ("--json",)):
        result = _run("history", *args, "--report-dir", a_file)
        assert result.returncode == 64 and result.stdout == ""
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and str(a_file) in lines[0] and "not a folder" in lines[0]


def test_history_says_which_runs_read_through_a_cache(
    tmp_path: Path, tmpfs_mount: Callable[..., mounts.Mount]
) -> None:
    """A copy on tmpfs is read back from RAM (its storage), not from a medium; so is a check
    of it. Failed before: both history lines said plain "verified", which for a check means
    "every recorded file read from the media and equal" (docs/json.md)."""
    card = tmp_path / "A001"
    card.mkdir()
    (card / "clip.mov").write_bytes(os.urandom(10_000))
    (card / "clap.mov").write_bytes(os.urandom(10_000))
    disk, reports = tmpfs_mount(8 << 20), tmp_path / "reports"
    assert _run("copy", card, disk.path, "--report-dir", reports).returncode == 0
    assert _run("verify", disk.path / "A001", "--report-dir", reports).returncode == 0
    listed = _run("history", "--json", "--report-dir", reports)
    assert listed.returncode == 0, listed.stderr
    results = {e["kind"]: e["result"] for e in json.loads(listed.stdout)}
    assert results == {
        "offload": "verified, 2 through a cache",
        "verify": "verified, 2 through a cache",
    }
    # Again with --verify transfer and a second destination: the copies on tmpfs trusted
    # from its ledger (read back through a cache by the first run), the new ones
    # transfer-checked: the weakest proof names the run, and the cache is still said, in
    # the table as in --json. Failed before: plain "transfer-checked".
    (tmp_path / "other").mkdir()
    again = _run(
        "copy", "--verify", "transfer", card, disk.path, tmp_path / "other", "--report-dir", reports
    )
    assert again.returncode == 0, again.stderr
    listed = _run("history", "--json", "--report-dir", reports)
    [transfer] = [e for e in json.loads(listed.stdout) if e["verify"] == "transfer"]
    assert transfer["result"] == "transfer-checked, 2 through a cache", transfer
    table = _run("history", "--report-dir", reports)
    assert "transfer-checked, 2 through a cache" in table.stdout, table.stdout


def test_history_is_readable_on_80_columns_and_a_table_where_there_is_room(tmp_path: Path) -> None:
    """On an 80-column terminal each run is a block: its line (when, what, card, result,
    exit code), then each destination on a line of its own, whole where it fits and its
    middle left out (``…``) where not, the card's folder kept at its end, and the report's
    name (the title names the folder). Failed before: a seven-column table that folded
    each path over five lines 10 cells wide and its header into "destinatio" / "ns". On
    200 columns: the table, each path whole on its row."""
    from tests.support.terminal import run_on_terminal

    card = tmp_path / "A001R2AB"
    card.mkdir()
    (card / "A001C001_240501_R2AB.mov").write_bytes(os.urandom(10_000))
    deep = tmp_path / ("Volumes/SHUTTLE_DRIVE_01/PRODUCTION_NAME_2026/SHOOT_DAY_12/CAMERA_A")
    short, reports = tmp_path / "RAID", tmp_path / "reports"
    deep.mkdir(parents=True)
    short.mkdir()
    assert _run("copy", card, deep, short, "--report-dir", reports).returncode == 0
    [job] = reports.glob("A001R2AB_*.json")

    narrow = run_on_terminal("history", "--report-dir", reports, columns=80)
    assert narrow.returncode == 0, narrow.text
    lines = narrow.lines
    # The title: the folder's path whole (on a line of its own when it does not fit).
    title = "".join(lines[: lines.index("")]).replace(" ", "")
    assert title == f"Offloads and checks in {reports}".replace(" ", ""), narrow.text
    [head] = [line for line in lines if " offload " in line]
    assert head.endswith("  offload  A001R2AB  verified  exit 0"), narrow.text
    at = lines.index(head)
    first, second, report = lines[at + 1 : at + 4]
    assert first.startswith("  to      /") and "…" in first, first
    assert first.endswith("/SHOOT_DAY_12/CAMERA_A/A001R2AB"), first
    assert len(first) <= 80 and first[10:].startswith(str(tmp_path)[:20]), first
    # Whole where it fits (under a long temporary folder, its middle left out too).
    assert second.startswith("          /") and second.endswith("/RAID/A001R2AB"), second
    assert second[10:] == f"{short}/A001R2AB" or len(second) == 79, second
    assert report == f"  report  {job.name} (+ HTML, PDF)", narrow.text
    assert "destinatio" not in narrow.text, narrow.text

    # Room for the deep path whole under a long test folder: under an 83-character one it
    # is 192 characters, more than 300 columns left it (its middle was left out).
    wide = run_on_terminal("history", "--report-dir", reports, columns=400)
    assert wide.returncode == 0, wide.text
    assert "destinations" in wide.text and "result" in wide.text, wide.text
    [row] = [line for line in wide.lines if " offload " in line]
    assert f"{deep}/A001R2AB" in row and f"{job.name} (+ HTML, PDF)" in row, wide.text
    assert any(line.strip() == f"{short}/A001R2AB" for line in wide.lines), wide.text


def test_a_stopped_check_of_an_earlier_version_is_told_by_its_note() -> None:
    """A verify report of a version before ``stopped_after_check`` says a check stopped
    once it was over by the note it was restated with: the words that version wrote, which
    ``offload history`` still reads where the key is missing (and only there)."""
    from offload.cli.history_cmd import _stopped_after_check

    note = (
        "stopped by a further signal while the report was written, the check over (exit 130): "
        "the files' states stand as this report gives them, every list was looked for; its "
        "CSV, and the summary, may be missing"
    )
    assert _stopped_after_check({"notes": [note]})
    assert not _stopped_after_check({"notes": ["SIGTERM came while the report was written"]})
    assert _stopped_after_check({"notes": [], "stopped_after_check": True})
    assert not _stopped_after_check({"notes": [note], "stopped_after_check": False})


def test_a_columns_of_no_width_lays_the_listing_out_as_if_unset(tmp_path: Path) -> None:
    """``$COLUMNS`` negative, 0 or not a number is no width (``common.columns_asked``): the
    listing is laid out for 160 columns, as with none. Failed before: ``COLUMNS=-5`` printed
    nothing at all, exit 0 (a table laid out in -5 columns)."""
    reports = tmp_path / "r"
    reports.mkdir()
    (reports / "notes.json").write_text("{not json")  # listed, with why

    def listing(columns: str | None) -> str:
        env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
        if columns is not None:
            env["COLUMNS"] = columns
        done = subprocess.run(
            [*CLI, "history", "--report-dir", str(reports)],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        assert done.returncode == 0 and done.stderr == "", done.stderr
        return done.stdout

    unset = listing(None)
    assert "notes.json" in unset and "unreadable" in unset, unset
    for columns in ("-5", "0", "junk"):
        assert listing(columns) == unset, columns
    assert listing("60") != unset  # a width it gives is the one laid out for


def test_a_report_that_cannot_be_read_is_named_once(tmp_path: Path) -> None:
    """A folder named like a report (``….json``): its read fails (EISDIR), listed as
    unreadable with the path named once. Failed before: "cannot read <path>: [Errno 21] Is
    a directory: '<path>'", the path twice."""
    reports = tmp_path / "reports"
    folder = reports / "A001_2026-12-04_000000Z.json"
    folder.mkdir(parents=True)
    listed = _run("history", "--json", "--report-dir", reports)
    assert listed.returncode == 0, listed.stderr
    (entry,) = json.loads(listed.stdout)
    assert entry["result"] == "unreadable", entry
    assert entry["error"] == f"cannot read {folder}: Is a directory (EISDIR)", entry


def test_a_stopped_run_that_lost_a_clip_its_legacy_mhl_lists_says_it_is_missing(
    tmp_path: Path,
) -> None:
    """A real copy of a card whose legacy MHL lists a clip the card lost (exit 1,
    ``missing_from_legacy_mhl``), its report then given exit 130 as a run stopped once its
    copies had their outcome writes it: ``offload history`` says the clip is missing from the
    card, as for a file missing from the card's own history. Failed before: "verified, then
    stopped" (nothing of the lost clip), then "partly failed, then stopped" (no copy failed)."""
    card = tmp_path / "A001"
    card.mkdir()
    (card / "C001.mov").write_bytes(os.urandom(3000))
    (card / "A001.mhl").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<hashlist version="1.1">\n'
        "  <hash>\n    <file>C002.mov</file>\n    <size>7</size>\n"
        "    <md5>00112233445566778899aabbccddeeff</md5>\n"
        "    <hashdate>2024-05-01T10:01:00Z</hashdate>\n  </hash>\n</hashlist>\n",
        encoding="utf-8",
    )
    reports, dest = tmp_path / "reports", tmp_path / "dest"
    dest.mkdir()
    done = _run("copy", "-q", "--report-dir", reports, card, dest)
    assert done.returncode == 1, done.stderr
    (report,) = reports.glob("*.json")
    data = json.loads(report.read_text())
    assert [m["path"] for m in data["missing_from_legacy_mhl"]] == ["C002.mov"], data
    report.write_text(json.dumps({**data, "exit_code": 130}))
    done = _run("history", "--json", "--report-dir", reports)
    assert done.returncode == 0, done.stderr
    (entry,) = json.loads(done.stdout)
    assert entry["result"] == "verified, 1 file missing from the card, then stopped", entry


def test_a_run_whose_copies_all_verified_but_its_card_lost_a_recorded_clip_says_so(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """A card with its own ASC MHL history (``ascmhl create``) that lost a file the history
    lists, copied to two destinations: every copy verified, exit 1 for the lost clip
    (``missing_from_card``, no copy failed). ``offload history`` said "partly failed":
    nothing failed; now it says the copies' words and the clip missing from the card, as
    the HTML/PDF does."""
    card = tmp_path / "card"
    (card / "CLIPS").mkdir(parents=True)
    for name in ("A.mov", "B.mov", "C.mov"):
        (card / "CLIPS" / name).write_bytes(os.urandom(2_000))
    assert judge.create(card, "xxh64").returncode == 0
    (card / "CLIPS" / "B.mov").unlink()
    reports = tmp_path / "reports"
    (tmp_path / "R1").mkdir()
    (tmp_path / "R2").mkdir()
    done = _run("copy", "-q", "--report-dir", reports, card, tmp_path / "R1", tmp_path / "R2")
    assert done.returncode == 1, done.stderr
    (report,) = reports.glob("*.json")
    data = json.loads(report.read_text())
    assert data["missing_from_card"] == ["CLIPS/B.mov"], data["missing_from_card"]
    assert data["totals"]["results"]["failed"] == 0
    listed = _run("history", "--json", "--report-dir", reports)
    assert listed.returncode == 0, listed.stderr
    (entry,) = json.loads(listed.stdout)
    assert entry["result"] == "verified, 1 file missing from the card", entry
    shown = _run("history", "--report-dir", reports)
    assert "verified, 1 file missing from the card" in shown.stdout, shown.stdout
    assert "partly failed" not in shown.stdout, shown.stdout


def test_a_copy_root_offloaded_again_that_lost_a_recorded_clip_says_the_source(
    tmp_path: Path,
) -> None:
    """A copy root of ours given as the source (``offload copy R1/card R2``) that lost a
    file its own ASC MHL history lists: the reports say MISSING FROM THE SOURCE (it is no
    card); ``offload history`` says "missing from the source". Failed before: "missing from
    the card". A real card's words stay the card's (the test above)."""
    card = tmp_path / "card"
    (card / "CLIPS").mkdir(parents=True)
    for name in ("A.mov", "B.mov", "C.mov"):
        (card / "CLIPS" / name).write_bytes(os.urandom(2_000))
    reports = tmp_path / "reports"
    (tmp_path / "R1").mkdir()
    (tmp_path / "R2").mkdir()
    first = _run("copy", "-q", "--report-dir", reports, card, tmp_path / "R1")
    assert first.returncode == 0, first.stderr
    source = tmp_path / "R1" / "card"
    (source / "CLIPS" / "B.mov").unlink()
    done = _run("copy", "--report-dir", reports / "again", source, tmp_path / "R2")
    assert done.returncode == 1, done.stderr
    said = " ".join((done.stdout + done.stderr).split())
    assert "MISSING FROM THE SOURCE" in said, said
    (report,) = (reports / "again").glob("*.json")
    data = json.loads(report.read_text())
    assert data["missing_from_card"] == ["CLIPS/B.mov"], data["missing_from_card"]
    assert data["card_release"]["source_is_copy"] is True, data["card_release"]
    listed = _run("history", "--json", "--report-dir", reports / "again")
    assert listed.returncode == 0, listed.stderr
    (entry,) = json.loads(listed.stdout)
    assert entry["result"] == "verified, 1 file missing from the source", entry
    shown = _run("history", "--report-dir", reports / "again")
    assert "missing from the card" not in shown.stdout, shown.stdout


def test_a_run_whose_card_went_away_is_not_said_verified_for_its_lost_clip() -> None:
    """A run (exit 1) whose copies all verified, whose card lost a clip its history lists,
    and whose card was pulled after the copies (``card_gone``): said "verified, 1 file
    missing from the card", no word of the card gone (before the lost clip's words, such a
    run was "partly failed"); it is that still. Without ``card_gone``, the clip's words."""
    from offload.cli.history_cmd import _result

    data: dict[str, object] = {
        "exit_code": 1,
        "verify": "destination",
        "totals": {"results": {"verified": 2, "failed": 0, "cancelled": 0}},
        "missing_from_card": ["CLIPS/B.mov"],
        "files": [{"path": "CLIPS/A.mov"}, {"path": "CLIPS/C.mov"}],
    }
    assert _result(data) == "verified, 1 file missing from the card"
    gone = {**data, "card_gone": {"root": "/media/CARD", "message": "the card went away"}}
    assert _result(gone) == "partly failed"


def test_the_copies_kept_beside_are_counted_from_the_warnings_count() -> None:
    """``offload history`` adds up the ``count`` of each ``existing-kept-beside`` warning,
    never the first word of its message (failed before: a message worded otherwise made
    "copies", its count read from the text); a warning of an earlier version, without its
    ``count``, says "copies", no number it did not read."""
    from offload.cli.history_cmd import _beside_words, _kept_beside

    def warning(count: int | None) -> dict[str, object]:
        found: dict[str, object] = {"code": "existing-kept-beside", "message": "Two files"}
        return found if count is None else {**found, "count": count}

    assert _kept_beside({"warnings": [warning(2), warning(1)]}) == 3
    assert _kept_beside({"warnings": [{"code": "not-on-card", "count": 4}]}) == 0
    assert _kept_beside({"warnings": [warning(2), warning(None)]}) is None
    assert _beside_words(3) == ", 3 copies written beside files kept at their names (--keep-both)"
    assert _beside_words(1) == ", 1 copy written beside a file kept at its name (--keep-both)"
    assert _beside_words(None) == ", copies written beside files kept at their names (--keep-both)"


def test_a_refused_offload_is_listed_with_its_reason_and_no_copy(tmp_path: Path) -> None:
    """A DIT's history of a day shows the attempt the preflight refused (exit 64: no job
    report), as a small record naming the reason, between the offloads that ran; it claims
    no copy (no files, no verify). Neither a dry run's refusal nor a mistyped option is an
    attempt: neither is recorded. The newest ``*.json`` of the report folder is still the
    last job report (the records are in ``refused/``). Failed before: the refused run was
    not listed at all."""
    card = tmp_path / "A001"
    card.mkdir()
    (card / "clip.mov").write_bytes(os.urandom(10_000))
    dest, reports, missing = tmp_path / "dest", tmp_path / "reports", tmp_path / "SHUTTLE"
    dest.mkdir()
    assert _run("copy", card, dest, "--report-dir", reports).returncode == 0
    refused = _run("copy", card, dest, missing, "--report-dir", reports)
    assert refused.returncode == 64, refused.stderr
    assert "WARNING" not in refused.stderr, refused.stderr  # the record was written
    dry = _run("copy", "--dry-run", card, missing, "--report-dir", reports)
    assert dry.returncode == 64, dry.stderr
    assert _run("copy", "--no-such-option", card, dest, "--report-dir", reports).returncode == 64
    (job,) = sorted(reports.glob("*.json"))  # the job report alone beside the documents
    (record,) = sorted((reports / "refused").glob("*.json"))
    assert record.name.startswith("A001_") and record.name.endswith("Z.json"), record

    listed = _run("history", "--json", "--report-dir", reports)
    assert listed.returncode == 0, listed.stderr
    entries = json.loads(listed.stdout)
    assert [e["kind"] for e in entries] == ["refused", "offload"], entries
    first = entries[0]
    assert first["report"] == str(record) and first["error"] is None, first
    assert (first["result"], first["exit_code"]) == ("refused (dest-missing)", 64), first
    assert (first["card"], first["source"]) == ("A001", str(card)), first
    assert first["destinations"] == [str(dest), str(missing)], first
    assert (first["files"], first["verify"], first["html"], first["pdf"]) == (None,) * 4
    assert first["reason"].startswith("preflight refused the offload; nothing was copied:")
    assert f"destination {missing} does not exist" in first["reason"], first
    assert entries[1]["report"] == str(job) and entries[1]["reason"] is None

    table = _run("history", "--report-dir", reports, env={**os.environ, "COLUMNS": "220"})
    assert table.returncode == 0, table.stderr
    (row,) = [line for line in table.stdout.splitlines() if "refused (dest-missing)" in line]
    assert " refused " in row and " 64 " in row and "refused/A001_" in row, table.stdout
    # The table has no reason column: the reason is a line below it, promised by --help.
    # Failed before: at a wide width the refusal's words were nowhere.
    # The line read whole: wrapped at a space, or a path in it folded, where it is long.
    lines = table.stdout.splitlines()
    (start,) = [i for i, line in enumerate(lines) if line.startswith("why ")]
    why = "\n".join(itertools.takewhile(str.strip, lines[start:]))
    assert why.startswith(f"why refused/{record.name}: preflight refused the offload;"), why
    assert holds(why, f"destination {missing} does not exist"), table.stdout
    narrow = _run("history", "--report-dir", reports, env={**os.environ, "COLUMNS": "60"})
    # (Folded at the width: a long path may break anywhere, so compared without the spaces.)
    words = "".join(narrow.stdout.split())
    said = f"why preflight refused the offload; nothing was copied: destination {missing}"
    assert "".join(said.split()) in words, narrow.stdout


def test_a_refusal_of_two_reasons_is_said_with_each_apart(tmp_path: Path) -> None:
    """The why line of a refusal naming two problems keeps them apart ("; "). Failed
    before: "... or create the folder destination .../M2 does not exist ...", glued."""
    card = tmp_path / "A001"
    card.mkdir()
    (card / "clip.mov").write_bytes(os.urandom(1000))
    reports, one, two = tmp_path / "reports", tmp_path / "M1", tmp_path / "M2"
    refused = _run("copy", card, one, two, "--report-dir", reports)
    assert refused.returncode == 64, refused.stderr
    table = _run("history", "--report-dir", reports, env={**os.environ, "COLUMNS": "250"})
    assert table.returncode == 0, table.stderr
    said = (
        f"nothing was copied: destination {one} does not exist: check the drive is mounted, or "
        f"create the folder; destination {two} does not exist"
    )
    # (Folded at the width: a long path may break anywhere, so compared without the spaces.)
    assert "".join(said.split()) in "".join(table.stdout.split()), table.stdout
    assert "createthefolderdestination" not in "".join(table.stdout.split()), table.stdout


def test_a_refusal_and_an_offload_of_one_second_are_listed_in_the_order_they_started(
    tmp_path: Path,
) -> None:
    """An offload, then a refused run of the same card (a destination missing), their
    ``started`` made the same second (as a quick re-run's are): the refusal, which started
    later, is listed first, by the start each states to the microsecond (``started_unix``),
    not by its file's name. Records of earlier versions (no ``started_unix``) are still
    listed, by name within their second. Failed before: both said only the second, and the
    offload's name (``zcard_...``) sorted after ``refused/zcard_...``: the listing put the
    offload first, newest."""
    card = tmp_path / "zcard"
    card.mkdir()
    (card / "clip.mov").write_bytes(os.urandom(10_000))
    dest, reports, missing = tmp_path / "dest", tmp_path / "reports", tmp_path / "SHUTTLE"
    dest.mkdir()
    assert _run("copy", card, dest, "--report-dir", reports).returncode == 0
    assert _run("copy", card, missing, "--report-dir", reports).returncode == 64
    (job,) = reports.glob("*.json")
    (record,) = (reports / "refused").glob("*.json")
    documents = {path: json.loads(path.read_text()) for path in (job, record)}
    assert documents[job]["started_unix"] < documents[record]["started_unix"], documents
    for path, data in documents.items():  # the same second, as the offload's
        path.write_text(json.dumps({**data, "started": documents[job]["started"]}))

    def kinds() -> list[str]:
        listed = _run("history", "--json", "--report-dir", reports)
        assert listed.returncode == 0, listed.stderr
        entries = json.loads(listed.stdout)
        assert all("moment" not in e for e in entries), entries  # its sort key is not listed
        return [e["kind"] for e in entries]

    assert kinds() == ["refused", "offload"]
    for path, data in documents.items():  # as earlier versions wrote them
        data = {**data, "started": documents[job]["started"]}
        del data["started_unix"]
        path.write_text(json.dumps(data))
    assert sorted(kinds()) == ["offload", "refused"]


def test_a_refused_record_is_named_as_the_job_reports_on_a_fat_report_folder(
    tmp_path: Path, fusefat_mount: Callable[..., mounts.Mount]
) -> None:
    """A refused run's record is named as the job reports are: from the card folder's name
    (not its --reel: a job report's name does not take it either), in its ASCII form where
    the report folder takes only ASCII names (FAT through fusefat, which refuses any other).
    Failed before: the record of a card "Café" was not written there ("this refusal is not in
    offload history: ... Operation not permitted"), where the job report was "Cafe_..."."""
    card = tmp_path / "Café"
    card.mkdir()
    (card / "clip.mov").write_bytes(os.urandom(10_000))
    dest, missing = tmp_path / "dest", tmp_path / "SHUTTLE"
    dest.mkdir()
    reports = fusefat_mount().path / "reports"
    ran = _run("copy", "--reel", "R7", card, dest, "--report-dir", reports)
    assert ran.returncode == 0, ran.stderr
    refused = _run("copy", "--reel", "R7", card, missing, "--report-dir", reports)
    assert refused.returncode == 64, refused.stderr
    assert "WARNING" not in refused.stderr, refused.stderr  # the record was written
    (job,) = reports.glob("*.json")
    (record,) = (reports / "refused").glob("*.json")
    assert job.name.startswith("Cafe_") and record.name.startswith("Cafe_"), (job, record)
    entries = json.loads(_run("history", "--json", "--report-dir", reports).stdout)
    assert [(e["kind"], e["card"]) for e in entries] == [("refused", "R7"), ("offload", "R7")]


def test_a_narrow_history_says_its_times_are_utc_as_the_table_does(tmp_path: Path) -> None:
    """The table's column is "started (UTC)"; on an 80-column terminal each run is a block
    whose line starts with the same time, and it says UTC too: the copy's own summary gives
    local times, so a bare "21:46:08" read as the local clock is an hour or more off.
    Failed before: "2026-12-04 21:46:08  offload  C1  verified  exit 0"."""
    from tests.support.terminal import run_on_terminal

    card = tmp_path / "C1"
    card.mkdir()
    (card / "C1_0001.mov").write_bytes(os.urandom(5_000))
    (tmp_path / "RAID").mkdir()
    reports = tmp_path / "reports"
    assert _run("copy", card, tmp_path / "RAID", "--report-dir", reports).returncode == 0
    started = json.loads(next(reports.glob("C1_*.json")).read_text())["started"]
    narrow = run_on_terminal("history", "--report-dir", reports, columns=80)
    assert narrow.returncode == 0, narrow.text
    [head] = [line for line in narrow.lines if " offload " in line]
    assert head.startswith(f"{started[:10]} {started[11:19]} UTC  offload  C1  "), head


def _card_of_one_file(tmp_path: Path) -> Path:
    card = tmp_path / "A001"
    card.mkdir()
    (card / "clip.mov").write_bytes(os.urandom(10_000))
    return card


def test_an_option_refused_in_the_run_leaves_no_refused_record(tmp_path: Path) -> None:
    """--progress-trace naming a file that exists is an option's error (exit 64), which
    leaves no record (README, docs/json.md): only another run's lock, of the refusals after
    the planning, is an attempt refused. Failed before: every UsageError of the run past
    its planning was written as a refused offload, this one included."""
    card = _card_of_one_file(tmp_path)
    dest, reports, trace = tmp_path / "dest", tmp_path / "reports", tmp_path / "trace.jsonl"
    dest.mkdir()
    trace.write_text("kept\n")
    refused = _run("copy", "--progress-trace", trace, card, dest, "--report-dir", reports)
    assert refused.returncode == 64, refused.stderr
    assert "--progress-trace" in refused.stderr and "the file exists" in refused.stderr
    assert not (reports / "refused").exists(), list((reports / "refused").iterdir())
    reports.mkdir(exist_ok=True)  # history refuses a named folder that does not exist
    assert json.loads(_run("history", "--json", "--report-dir", reports).stdout) == []


def test_a_refused_offload_names_its_card_by_its_reel(tmp_path: Path) -> None:
    """A refused offload's card is named as a job report's: its --reel, else its source
    folder's name. Failed before: the refused entry said A001 where the run said REEL7."""
    card = _card_of_one_file(tmp_path)
    reports, missing = tmp_path / "reports", tmp_path / "SHUTTLE"
    refused = _run("copy", "--reel", "REEL7", card, missing, "--report-dir", reports)
    assert refused.returncode == 64 and "WARNING" not in refused.stderr, refused.stderr
    (entry,) = json.loads(_run("history", "--json", "--report-dir", reports).stdout)
    assert (entry["kind"], entry["card"], entry["source"]) == ("refused", "REEL7", str(card))
    (record,) = (reports / "refused").glob("*.json")
    assert json.loads(record.read_text())["reel"] == "REEL7"
    assert record.name.startswith("A001_"), record  # the file is named from the source


def test_a_refused_record_that_cannot_be_written_is_a_warning_and_exit_64_stays(
    tmp_path: Path,
) -> None:
    """A file where refused/ goes: the record cannot be written; the refusal is still the
    outcome (exit 64, its ERROR line) and one WARNING line says it is not in the history."""
    card = _card_of_one_file(tmp_path)
    reports, missing = tmp_path / "reports", tmp_path / "SHUTTLE"
    reports.mkdir()
    (reports / "refused").write_text("in the way")
    refused = _run("copy", card, missing, "--report-dir", reports)
    assert refused.returncode == 64, refused.stderr
    lines = refused.stderr.splitlines()
    assert any(line.startswith("ERROR: preflight refused the offload") for line in lines)
    (warning,) = [line for line in lines if line.startswith("WARNING:")]
    assert "this refusal is not in offload history: cannot write into" in warning, warning
    assert (reports / "refused").read_text() == "in the way"


def test_a_refused_record_never_makes_the_folders_above_a_named_report_folder(
    tmp_path: Path,
) -> None:
    """A named report folder whose drive went away between the run's check and its refusal
    (its parent gone) is not made again on the disk below: the record is not written, and
    the answer says why. Failed before: the whole path was made (makedirs)."""
    from offload.report.refused import refused_record, write_refused_record

    drive = tmp_path / "REPORTS_DRIVE"  # not there: unmounted
    record = refused_record(
        source=str(tmp_path / "A001"), destinations=[], started=0.0, message="x", exit_code=64
    )
    problem = write_refused_record(drive / "reports", record, 0.0)
    assert problem.startswith("cannot write into") and "No such file" in problem, problem
    assert not drive.exists()
    assert write_refused_record(tmp_path / "reports", record, 0.0) == ""
    (written,) = (tmp_path / "reports" / "refused").iterdir()
    assert written.name == "A001_1970-01-01_000000Z.json"
    assert json.loads(written.read_text())["started"] == "1970-01-01T00:00:00Z"


def test_a_check_that_verified_no_file_is_never_called_verified(tmp_path: Path) -> None:
    """A ``--mhl-file`` whose only entry has no hash (``<null/>``): the check sized that file
    and read none (exit 22, "0 OK ... 1 by size only"). Failed before: ``offload history``
    called it "verified, 1 by size only"; it now says what was done."""
    from support.cards import LEGACY_MHL, legacy_mhl_card

    card = legacy_mhl_card(tmp_path / "A001", {"A.mov": b"clip"}, {"A.mov": None})
    reports = tmp_path / "reports"
    done = _run("verify", "--mhl-file", card / LEGACY_MHL, card, "--report-dir", reports)
    assert done.returncode == 22, done.stdout + done.stderr
    assert "0 OK" in done.stdout and "1 by size only" in done.stdout
    (entry,) = json.loads(_run("history", "--json", "--report-dir", reports).stdout)
    assert entry["result"] == "1 checked by size only, none verified"
    listed = _run("history", "--report-dir", reports, env={**os.environ, "COLUMNS": "200"})
    assert "1 checked by size only, none verified" in listed.stdout
    assert "verified, 1" not in listed.stdout


def test_a_card_refused_for_its_long_folder_name_is_recorded_under_a_shorter_name(
    tmp_path: Path,
) -> None:
    """A card folder of 240 bytes: its reports' names would pass 255 bytes, so the preflight
    refuses it (exit 64); the refusal's record is named after it too, its card part cut and
    marked with a hash (``refused.record_base``), so ``offload history`` lists it. Failed
    before: "WARNING: this refusal is not in offload history: ... File name too long
    (ENAMETOOLONG)", and nothing listed."""
    card = tmp_path / ("B" * 230 + "\u00e9" * 5)  # 240 bytes, the last 10 two bytes each
    card.mkdir()
    (card / "clip.mov").write_bytes(os.urandom(1000))
    dest, reports = tmp_path / "dest", tmp_path / "reports"
    dest.mkdir()
    refused = _run("copy", card, dest, "--report-dir", reports)
    assert refused.returncode == 64, refused.stderr
    assert "295 bytes" in refused.stderr, refused.stderr
    assert "WARNING" not in refused.stderr, refused.stderr  # the record was written
    (record,) = (reports / "refused").glob("*.json")
    assert len(os.fsencode(record.name)) <= 255 - 26, record.name  # room for its temporary
    assert record.name.startswith("B" * 180) and "~" in record.name, record.name
    again = _run("copy", card, dest, "--report-dir", reports)
    assert again.returncode == 64 and "WARNING" not in again.stderr, again.stderr
    listed = _run("history", "--json", "--report-dir", reports)
    assert listed.returncode == 0, listed.stderr
    entries = json.loads(listed.stdout)
    assert [e["kind"] for e in entries] == ["refused", "refused"], entries
    assert {e["source"] for e in entries} == {str(card)}, entries
    assert all(e["card"] == card.name for e in entries), entries
