"""A card file whose name an XML manifest cannot hold (a control character) is copied and
verified, but left out of the ASC MHL: every saved report says so, and which file, and why.

Before (QA, December 2026): the manifest writer named it in a warning on the terminal only;
the saved JSON, CSV, HTML and PDF said nothing of it and read "ALL COPIES VERIFIED", and
``offload verify`` of the copy later exited 21 ("NEW") with no word of why. Real files on a
real filesystem, the real CLI, the HTML in headless Chromium, the PDF through pdftotext.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

from report.helpers import Browser, offload_cli, pdf_words

ODD = "CLIPS/C002\x01take.mov"  # \x01: XML 1.0 cannot hold it, not even as a reference
SHOWN = "C002\\x01take.mov"  # as every printed line spells it (errors.printable_name)
CODE = "not-in-manifest"


def _card(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A card of a clip and of a clip named ODD; an empty destination; a report folder."""
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "C001.mov").write_bytes(os.urandom(40_000))
    (card / ODD).write_bytes(os.urandom(30_000))
    dest, reports = tmp_path / "dest", tmp_path / "reports"
    dest.mkdir()
    return card, dest, reports


def _offload(tmp_path: Path) -> tuple[Path, Path, Path, str]:
    card, dest, reports = _card(tmp_path)
    code, out, err = offload_cli(["copy", str(card), str(dest), "--report-dir", str(reports)])
    assert code == 0, out + err
    return card, dest / card.name, reports, out + err


def test_a_file_left_out_of_the_manifest_is_named_in_every_saved_report(
    tmp_path: Path, browser: Browser, poppler: dict[str, str]
) -> None:
    card, copy_root, reports, printed = _offload(tmp_path)
    assert (copy_root / ODD).read_bytes() == (card / ODD).read_bytes()
    assert f"NOT IN THE MANIFEST on {copy_root.parent}" in printed
    assert SHOWN in printed and "1 verified now" in printed

    (local,) = reports.glob("*.json")
    (on_destination,) = (copy_root / ".offload" / "reports").glob("*.json")
    for saved in (local, on_destination):
        data: dict[str, Any] = json.loads(saved.read_text())
        (warning,) = [w for w in data["warnings"] if w["code"] == CODE]
        assert warning["path"] == str(copy_root / ODD)
        assert SHOWN in warning["message"] and "is in no manifest there" in warning["message"]
        assert "exit 21" in warning["message"]
        (entry,) = [f for f in data["files"] if f["path"] == ODD]
        assert entry["destinations"][0]["status"] == "verified"  # the copy itself: read back

        rows = list(csv.DictReader(io.StringIO(saved.with_suffix(".csv").read_text())))
        notes = {row["relative_path"]: row["not_in_manifest"] for row in rows}
        assert notes["CLIPS/C001.mov"] == ""
        assert "control character" in notes["CLIPS/" + SHOWN], notes

    page = browser.open(local.with_suffix(".html"))
    assert page.errors == []
    text = " ".join(page.text.split())
    assert "BUT 1 OF THEM IS NOT IN THE MANIFEST" in text, text[:2000]
    assert SHOWN in text and "is in no manifest there" in text
    flat = pdf_words(poppler, local.with_suffix(".pdf"))
    assert "BUT 1 OF THEM IS NOT IN THE MANIFEST" in flat, flat[:2000]
    assert SHOWN in flat

    # A re-run with nothing new writes no manifest: its reports still name it (the
    # manifests there are not stamped complete while they leave it out).
    for _ in range(2):
        argv = ["copy", str(card), str(copy_root.parent), "--report-dir", str(reports)]
        code, out, err = offload_cli(argv)
        assert code == 0, out + err
        assert "NOT IN THE MANIFEST" in out + err
        again = sorted(reports.glob("A001_*.json"), key=lambda p: p.stat().st_mtime_ns)[-1]
        assert again != local
        data = json.loads(again.read_text())
        (warning,) = [w for w in data["warnings"] if w["code"] == CODE]
        assert warning["path"] == str(copy_root / ODD)
        local = again

    listed = offload_cli(["history", "--json", "--report-dir", str(reports)])
    assert ", 1 copy not in the manifest" in json.loads(listed[1])[0]["result"]

    # The manifest does not cover it: the check reads it against the copy root's ledger
    # instead, and says so (failed before: called new, exit 21, its content never read).
    code, out, err = offload_cli(["verify", str(copy_root), "--report-dir", str(reports)])
    assert code == 0, out + err
    assert "NEW" not in err, err
    assert "2 OK, 0 changed, 0 missing, 0 new" in out, out
    assert "1 file whose name no XML manifest can hold against this copy root's ledger" in out
    # Which reason (failed before: "a control character, or bytes that are not UTF-8").
    why = "its name holds the control character \\x01, which an XML manifest cannot hold"
    (verify_csv,) = reports.glob("verify_*.csv")
    # The cell spells the character once (report.csv_cells: \x01), as the copy's CSV
    # does; failed before: the reason's terminal spelling was escaped again, \\x01.
    saved_csv = verify_csv.read_text()
    assert "its name holds the control character \\x01, which an XML manifest cannot " in (
        saved_csv
    )
    assert "\\\\x01" not in saved_csv, saved_csv
    # The JSON says it too, the same words under the exact name (failed before: no reason).
    argv = ["verify", "--json", str(copy_root), "--report-dir", str(reports)]
    code, out, _ = offload_cli(argv)
    assert code == 0
    checked = json.loads(out)
    assert checked["ledger_checked"] == [ODD] and ODD in checked["verified"], checked
    reason = checked["reasons"][ODD]
    assert reason["code"] == "ledger-checked" and why in reason["text"], reason
    assert "checked against this copy root's ledger" in reason["text"], reason

    # Damaged in place (its size and date kept): found CHANGED against the ledger, exit 11,
    # its ledger entry revoked. Failed before: "NEW", exit 21, the damage never seen.
    copy = copy_root / ODD
    stat = copy.stat()
    copy.write_bytes(bytes(b ^ 0xFF for b in copy.read_bytes()))
    os.utime(copy, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    code, out, err = offload_cli(["verify", str(copy_root), "--report-dir", str(reports)])
    assert code == 11, out + err
    (line,) = [x for x in err.splitlines() if x.startswith("ERROR: CHANGED")]
    assert SHOWN in line and "checked against this copy root's ledger" in line, line
    assert "1 OK, 1 changed, 0 missing, 0 new" in out, out
    assert "this check revoked this copy root's ledger record" in err, err


PREFLIGHT_CODE = "name-not-in-manifest"


def test_the_dry_run_and_the_preflight_name_a_file_the_manifest_will_leave_out(
    tmp_path: Path,
) -> None:
    """Before the copy, ``--dry-run`` and the run's preflight say which files the manifests
    will leave out, on the terminal (escaped) and in their JSON, in the words the reports
    use after the copy; ``--mhl none`` writes no manifest: nothing to say. Failed before:
    neither said a word of it (the reports alone did, once the copy was made)."""
    card, dest, reports = _card(tmp_path)
    reports.mkdir()
    copy = dest / card.name / ODD
    printed = str(copy).replace("\x01", "\\x01")
    expected = (
        f"WARNING: {printed} will be copied like the card's other files, but it will be in no "
        "manifest there, ASC MHL or legacy (its name holds the control character \\x01, which "
        "an XML manifest cannot hold): the job report alone gives its state, and ascmhl-debug "
        "verify of the copy calls it a new file (exit 21), as offload verify of an s3:// copy "
        "does; offload verify of a local copy checks it against the copy root's ledger; rename "
        "it on the source if the manifest must list it"
    )

    code, _, err = offload_cli(["copy", "--dry-run", str(card), str(dest)])
    assert code == 0, err
    assert [line for line in err.splitlines() if SHOWN in line and "WARNING" in line] == [
        expected
    ], err

    code, out, err = offload_cli(["copy", "--dry-run", "--json", str(card), str(dest)])
    assert code == 0, err
    (warning,) = [w for w in json.loads(out)["warnings"] if w["code"] == PREFLIGHT_CODE]
    assert warning["path"] == str(copy)
    assert warning["message"] == expected.removeprefix("WARNING: ")  # escaped there too

    # The run itself: the warning before the copy (its --json line before job_started), then
    # the report's own not-in-manifest warning once the copy is made, each named once.
    argv = ["copy", "--json", "--report-dir", str(reports), str(card), str(dest)]
    code, out, err = offload_cli(argv)
    assert code == 0, err
    events = [json.loads(line) for line in out.splitlines()]
    kinds = [e["event"] for e in events]
    (before,) = [
        at
        for at, e in enumerate(events)
        if e["event"] == "warning_issued" and e["code"] == PREFLIGHT_CODE
    ]
    assert before < kinds.index("job_started")
    assert events[before]["path"] == str(copy)
    (saved,) = reports.glob("*.json")
    codes = [w["code"] for w in json.loads(saved.read_text())["warnings"]]
    assert codes.count(PREFLIGHT_CODE) == 1 and codes.count(CODE) == 1, codes

    code, _, err = offload_cli(["copy", "--dry-run", "--mhl", "none", str(card), str(dest)])
    assert code == 0, err
    assert "will be in no manifest" not in err, err


def test_the_csv_spells_the_reasons_character_once(tmp_path: Path) -> None:
    """The CSV's ``not_in_manifest`` cell holds the reason's exact text, the character
    itself, spelled by the cell's one escape (``\\x01``, read back as the character). Failed
    before: the reason's terminal spelling was escaped again, ``\\\\x01`` in the file."""
    _, copy_root, reports, printed = _offload(tmp_path)
    # Named once on the terminal, before the copy (failed before: the manifests' own
    # warning named it again).
    assert printed.count("will be copied like the card's other files") == 1, printed
    assert f"{SHOWN} on {copy_root}" not in printed, printed
    (saved,) = reports.glob("*.csv")
    text = saved.read_text()
    assert "its name holds the control character \\x01, which an XML manifest" in text, text
    assert "\\\\x01" not in text, text
    rows = list(csv.DictReader(io.StringIO(text)))
    notes = {row["relative_path"]: row["not_in_manifest"] for row in rows}
    assert notes["CLIPS/" + SHOWN].startswith("its name holds the control character \\x01,")


def test_a_finder_file_is_named_once_whatever_its_folders_are_named(tmp_path: Path) -> None:
    """A ``.DS_Store`` copied with --no-default-ignore, in card folders whose names spell
    `` on <copy root> `` (``a on /tmp/.../dest/A001 b/.DS_Store``): the preflight names it,
    and the manifests' own warning of the same file is not printed again; ``--json``'s
    events keep both, the manifests' one naming the file in ``relatives``. Failed before:
    the terminal's dedupe split the message at its first `` on <root> ``, inside the file's
    own name, found another name, and printed the warning twice."""
    dest = tmp_path / "dest"
    dest.mkdir()
    card = tmp_path / "A001"
    relative = f"a on {dest / 'A001'} b/.DS_Store"  # folders "a on ", "tmp", ..., "A001 b"
    (card / relative).parent.mkdir(parents=True)
    (card / relative).write_bytes(b"\0\0\0\1Bud1" + os.urandom(99))
    (card / "C001.mov").write_bytes(os.urandom(40_000))
    args = ["copy", "--no-default-ignore", str(card), str(dest)]
    code, out, err = offload_cli([*args, "--report-dir", str(tmp_path / "r1")])
    assert code == 0, out + err
    printed = out + err
    warnings = [x for x in printed.splitlines() if x.startswith("WARNING:") and ".DS_Store" in x]
    assert len(warnings) == 1, printed
    assert "will be copied like the card's other files" in warnings[0], warnings
    code, out, _ = offload_cli([*args, "--json", "--report-dir", str(tmp_path / "r2")])
    assert code == 0, out
    events = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    warned = {e["code"]: e for e in events if e["event"] == "warning_issued"}
    assert warned[CODE]["relatives"] == [relative], warned
    assert warned[CODE]["path"] == str(dest / "A001"), warned
    assert warned["name-not-in-manifest"]["path"] == str(dest / "A001" / relative), warned


def test_a_name_no_manifest_holds_that_the_ledger_never_recorded_stays_new(
    tmp_path: Path,
) -> None:
    """A file no XML manifest can hold that no offload wrote (put there by hand after it):
    nothing records it, so ``offload verify`` calls it NEW (exit 21), its content not
    checked, and never counts it as verified; the copy the ledger records beside it is
    checked against the ledger and counted OK. The words say which is which."""
    _, copy_root, reports, _ = _offload(tmp_path)
    stranger = "CLIPS/by\x02hand.mov"
    (copy_root / stranger).write_bytes(b"not from the card")
    argv = ["verify", "--json", str(copy_root), "--report-dir", str(reports)]
    code, out, _ = offload_cli(argv)
    assert code == 21, out
    checked = json.loads(out)
    assert checked["extra"] == [stranger] and stranger not in checked["verified"], checked
    assert checked["ledger_checked"] == [ODD] and ODD in checked["verified"], checked
    assert checked["reasons"][stranger]["code"] == "name-not-in-manifest", checked["reasons"]
    assert "its content is not checked here" in checked["reasons"][stranger]["text"]
    code, out, err = offload_cli(["verify", str(copy_root), "--report-dir", str(reports)])
    assert code == 21, out + err
    (new,) = [line for line in err.splitlines() if "NEW" in line]
    assert "by\\x02hand.mov" in new and "its content is not checked here" in new, new
    assert "2 OK, 0 changed, 0 missing, 1 new" in out, out


def test_a_deleted_copy_no_manifest_can_hold_is_missing_by_the_ledger(tmp_path: Path) -> None:
    """A copy whose name no XML manifest can hold, recorded in the copy root's ledger, then
    deleted: no manifest lists it, so only the ledger says it should be there; ``offload
    verify`` names it MISSING (exit 10), its reason saying it was checked against the
    ledger. Failed before: "2 OK, 0 changed, 0 missing", exit 0, while the summary said such
    files were checked against the ledger. Put back, the check passes again."""
    _, copy_root, reports, _ = _offload(tmp_path)
    kept = tmp_path / "kept.mov"
    (copy_root / ODD).rename(kept)
    code, out, err = offload_cli(["verify", str(copy_root), "--report-dir", str(reports)])
    assert code == 10, out + err
    assert "1 OK, 0 changed, 1 missing, 0 new" in out, out
    (line,) = [x for x in err.splitlines() if x.startswith("ERROR: MISSING")]
    assert SHOWN in line and "checked against this copy root's ledger" in line, line
    argv = ["verify", "--json", str(copy_root), "--report-dir", str(reports)]
    code, out, _ = offload_cli(argv)
    assert code == 10, out
    checked = json.loads(out)
    assert checked["missing"] == [ODD] and checked["ledger_checked"] == [ODD], checked
    assert checked["reasons"][ODD]["code"] == "ledger-checked", checked["reasons"]
    kept.rename(copy_root / ODD)
    code, out, err = offload_cli(["verify", str(copy_root), "--report-dir", str(reports)])
    assert code == 0, out + err
    assert "2 OK, 0 changed, 0 missing, 0 new" in out, out
