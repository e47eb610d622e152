"""A destination whose ASC MHL manifest or job report cannot be written at the end of an
offload (ENOSPC, made for real by FaultyFS once every file was verified there): the run
exits 1, and everything that speaks of that destination says it failed and why. Its
``result`` is ``failed`` in the terminal's summary, ``--json`` and the saved JSON reports;
the saved reports name the file that could not be written and the destination it is on;
page 1 of the HTML and the PDF says FAILED with that reason, never "ALL COPIES VERIFIED".

Failed before: the destination stayed ``ok`` everywhere while the run exited 1; a refused
report was named on the terminal only (the saved JSON said ``exit_code: 1`` with nothing
to say why, and page 1 said "ALL COPIES VERIFIED")."""

from __future__ import annotations

import errno
import io
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from offload.cli.common import Environment
from offload.cli.offload import main
from report.helpers import Browser
from support.faultyfs import FaultyFS

pytestmark = pytest.mark.fault

WHERE = {"manifest": "*/ascmhl/*", "report": "*/.offload/reports/*"}
SAYS = {"manifest": "cannot write ASC MHL manifest", "report": "cannot write the report"}


def make_card(root: Path) -> Path:
    card = root / "A001"
    (card / "CLIPS").mkdir(parents=True)
    for name, size in (("C1.mov", 300_000), ("C2.mov", 20_000), ("x.xml", 900)):
        (card / "CLIPS" / name).write_bytes(os.urandom(size))
    return card


def offload(*argv: str | Path) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [str(a) for a in argv], Environment(stdout=out, stderr=err, install_signal_handlers=False)
    )
    return code, out.getvalue() + err.getvalue()


def saved_jsons_say_first_ok_second_failed(reports: Path, good_root: Path) -> list[dict[str, Any]]:
    """Read the job's JSON report from ``reports`` (the local report folder) and from the good
    destination's card folder ``good_root``; assert both say exit 1 with the first destination
    ok and the second failed; return them (local first) for further checks."""
    [local] = reports.glob("*.json")
    [on_good] = (good_root / ".offload" / "reports").glob("*.json")
    found = []
    for saved in (local, on_good):
        data = json.loads(saved.read_text())
        assert data["exit_code"] == 1, saved
        assert [d["result"] for d in data["destinations"]] == ["ok", "failed"], saved
        found.append(data)
    return found


def page_one(poppler: dict[str, str], pdf: Path) -> str:
    return subprocess.run(
        [poppler["pdftotext"], "-f", "1", "-l", "1", "-layout", str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@pytest.mark.parametrize("refused", [("report",), ("manifest",), ("manifest", "report")])
def test_a_manifest_or_report_not_written_fails_that_destination_and_says_why(
    tmp_path: Path,
    faulty_fs: Callable[..., FaultyFS],
    poppler: dict[str, str],
    browser: Browser,
    refused: tuple[str, ...],
) -> None:
    """Page 1 (the HTML as Chromium shows it, the PDF as pdftotext reads it) says FAILED
    with the reason, and what the copies are: every one verified now, as the terminal's
    verdict ("All 3 files ... verified on every destination ...; BUT ...") and the JSON's
    ``totals.results`` say. Failed before (the headline): "FAILED: 1 problem(s)" alone,
    as if copies were lost."""
    card = make_card(tmp_path / "card")
    good = tmp_path / "good"
    good.mkdir()
    fs = faulty_fs()
    rules = [fs.fail("create", errno.ENOSPC, path=WHERE[what]) for what in refused]
    reports = tmp_path / "reports"

    code, output = offload("copy", card, good, fs.mountpoint, "--report-dir", reports)

    assert all(fs.fired(rule) >= 1 for rule in rules)
    assert code == 1, output
    bad_root = fs.mountpoint / card.name
    # The terminal: the summary's row of that destination, and each error named.
    rows = [line.split()[-1] for line in output.splitlines() if line.rstrip().endswith(
        (" ok", " FAILED"))]  # fmt: skip
    assert rows == ["ok", "FAILED"], output
    for what in refused:
        assert SAYS[what] in output and str(bad_root) in output, output

    for data in saved_jsons_say_first_ok_second_failed(reports, good / card.name):
        for what in refused:
            [error] = [e for e in data["folder_errors"] if SAYS[what] in e]
            assert str(bad_root) in error and "ENOSPC" in error, error
        assert data["card_release"]["may_format"] is False
    # Page 1 of the HTML and of the PDF, beside the local JSON: FAILED, and why.
    [local] = reports.glob("*.json")
    assert json.loads(local.read_text())["totals"]["results"]["verified"] == 6
    assert "verified on every destination" in output and "; BUT " in output, output
    headline = "FAILED AFTER THE COPIES: "
    # The FUSE drive's 3 copies are read back through its cache (the daemon's storage).
    proved = "the copies: all 6 verified now (read back and matched, 3 of them through a cache"
    html = local.with_suffix(".html").read_text()
    assert "ALL COPIES VERIFIED" not in html and "FAILED" in html
    for what in refused:
        assert SAYS[what] in html
    shown = " ".join(browser.open(local.with_suffix(".html")).text.split())
    assert f"✖ {headline}" in shown and proved in shown, shown
    assert "ALL COPIES VERIFIED" not in shown, shown
    first = " ".join(page_one(poppler, local.with_suffix(".pdf")).split())
    assert "ALL COPIES VERIFIED" not in first and "FAILED" in first, first
    assert headline in first and proved in first, first
    # offload history words the run likewise: its copies, then the step that failed.
    out = io.StringIO()
    main(["history", "--json", "--report-dir", str(reports)], Environment(stdout=out))
    [entry] = json.loads(out.getvalue())
    assert entry["result"] == "verified, 3 through a cache, then a step FAILED", entry
    for what in refused:
        assert SAYS[what] in first, first


def test_json_lines_give_the_destination_that_refused_its_report_as_failed(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    card = make_card(tmp_path / "card")
    good = tmp_path / "good"
    good.mkdir()
    fs = faulty_fs()
    rule = fs.fail("create", errno.ENOSPC, path=WHERE["report"])
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["copy", "--json", str(card), str(good), str(fs.mountpoint), "--report-dir",
         str(tmp_path / "reports")],
        Environment(stdout=out, stderr=err, install_signal_handlers=False),
    )  # fmt: skip
    assert fs.fired(rule) >= 1
    assert code == 1
    [line] = [json.loads(x) for x in out.getvalue().splitlines() if '"job_report"' in x]
    assert line["exit_code"] == 1
    assert [d["result"] for d in line["destinations"]] == ["ok", "failed"]


def test_a_report_whose_csv_is_refused_leaves_no_json_saying_ok_there(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Only the CSV beside the job report is refused on a destination (ENOSPC when its
    temporary file is made): the JSON just published there is not left behind, unrewritten,
    saying ``exit_code: 0`` and ``result: ok`` while the run exits 1 and every other copy of
    the report says that destination failed. Failed before: that JSON stayed."""
    card = make_card(tmp_path / "card")
    good = tmp_path / "good"
    good.mkdir()
    fs = faulty_fs()
    rule = fs.fail("create", errno.ENOSPC, path="*/.offload/reports/.*.csv.*")
    reports = tmp_path / "reports"

    code, output = offload("copy", card, good, fs.mountpoint, "--report-dir", reports)

    assert fs.fired(rule) >= 1
    assert code == 1, output
    assert SAYS["report"] in output, output
    bad_root = fs.mountpoint / card.name
    saved_jsons_say_first_ok_second_failed(reports, good / card.name)
    for saved in (bad_root / ".offload" / "reports").glob("*.json"):
        data = json.loads(saved.read_text())  # any JSON left there says what the others do
        assert data["exit_code"] == 1, saved
        assert [d["result"] for d in data["destinations"]] == ["ok", "failed"], saved


def test_copies_an_earlier_run_transfer_checked_are_never_said_copied_now(
    tmp_path: Path, poppler: dict[str, str]
) -> None:
    """``--verify transfer`` twice, the second run trusting the first's ledger: page 1 says
    the copies were transfer-checked by an earlier run, on a clean re-run and on one whose
    report could not be written on the destination (FAILED AFTER THE COPIES), as the
    terminal says "checked by an earlier run". Failed before: "≈ COPIED, TRANSFER-CHECKED
    ONLY: 3 of 3 copies were never read back", nothing earlier, and "the copies: all 3
    copied, 3 of them transfer-checked only" of a run that copied nothing."""
    card = make_card(tmp_path / "card")
    dest = tmp_path / "dest"
    dest.mkdir()

    code, output = offload("copy", card, dest, "--verify", "transfer")
    assert code == 0, output
    code, output = offload(
        "copy", card, dest, "--verify", "transfer", "--report-dir", tmp_path / "clean"
    )
    assert code == 0 and "3 checked by an earlier run" in " ".join(output.split()), output
    said = "never read back (3 of them transfer-checked by an earlier run, not re-checked now)"
    for shown in _page_one_texts(tmp_path / "clean", poppler):
        assert f"COPIED, TRANSFER-CHECKED ONLY: 3 of 3 copies were {said}" in shown, shown
    # Its report folder on the destination a file: that report cannot be written.
    _unwritable_reports_folder(dest, card)
    code, output = offload(
        "copy", card, dest, "--verify", "transfer", "--report-dir", tmp_path / "failed"
    )
    assert code == 1, output
    clause = (
        "the copies: all 3 transfer-checked only, never read back (3 of them by an earlier "
        "run, not re-checked now)"
    )
    for shown in _page_one_texts(tmp_path / "failed", poppler):
        assert "FAILED AFTER THE COPIES" in shown and clause in shown, shown
        assert "copied" not in shown.partition("FAILED AFTER THE COPIES")[2][:200], shown


def _page_one_texts(reports: Path, poppler: dict[str, str]) -> tuple[str, str]:
    """Page 1 of the HTML and of the PDF of the one report in *reports*, whitespace folded."""
    [saved] = reports.glob("*.json")
    html = re.sub(r"<[^>]+>", " ", saved.with_suffix(".html").read_text())
    return " ".join(html.split()), " ".join(page_one(poppler, saved.with_suffix(".pdf")).split())


def _unwritable_reports_folder(dest: Path, card: Path) -> None:
    """Make *card*'s reports folder on *dest* a file: its report cannot be written there."""
    folder = dest / card.name / ".offload" / "reports"
    shutil.rmtree(folder)
    folder.write_bytes(b"")


def test_copies_verified_earlier_are_never_said_copied_by_a_transfer_checked_run(
    tmp_path: Path, poppler: dict[str, str]
) -> None:
    """A full run of 3 files to two destinations, 2 files added, then ``--verify transfer``
    to each: page 1 counts the 3 verified earlier apart from the 2 this run copied and
    transfer-checked, on the clean run and on the one whose destination report is refused
    (FAILED AFTER THE COPIES); two more destinations whose ledgers are gone count the 3
    already there, read back now, apart too. Failed before: "the copies: all 5 copied, 2
    of them transfer-checked only" of a run that copied 2, and the clean headline silent
    about the 3 earlier; then (the ledger gone) the same "all 5 copied" and a headline
    silent about the 3 read back now."""
    card = make_card(tmp_path / "card")
    clean, failed = tmp_path / "clean", tmp_path / "failed"
    adopted_clean, adopted_failed = tmp_path / "adopted_clean", tmp_path / "adopted_failed"
    for folder in (clean, failed, adopted_clean, adopted_failed):
        folder.mkdir()
    code, output = offload(
        "copy", card, clean, failed, adopted_clean, adopted_failed, "--report-dir", tmp_path / "r0"
    )
    assert code == 0, output
    for folder in (adopted_clean, adopted_failed):  # no ledger: the 3 are read back now
        shutil.rmtree(folder / card.name / ".offload")
    for name in ("C3.mov", "C4.mov"):
        (card / "CLIPS" / name).write_bytes(os.urandom(10_000))
    earlier = "3 of 5 verified earlier, not re-read"
    code, output = offload(
        "copy", card, clean, "--verify", "transfer", "--report-dir", tmp_path / "r1"
    )
    assert code == 0, output
    for shown in _page_one_texts(tmp_path / "r1", poppler):
        head = f"COPIED, TRANSFER-CHECKED ONLY: 2 of 5 copies were never read back ({earlier})"
        assert head in shown, shown
    _unwritable_reports_folder(failed, card)
    code, output = offload(
        "copy", card, failed, "--verify", "transfer", "--report-dir", tmp_path / "r2"
    )
    assert code == 1, output
    clause = (
        f"the copies: all 5 there, 2 of them transfer-checked only, never read back ({earlier})"
    )
    for shown in _page_one_texts(tmp_path / "r2", poppler):
        assert "FAILED AFTER THE COPIES" in shown and clause in shown, shown
        assert "all 5 copied" not in shown, shown
    now = "3 of 5 already there, read back now"
    code, output = offload(
        "copy", card, adopted_clean, "--verify", "transfer", "--report-dir", tmp_path / "r3"
    )
    assert code == 0, output
    for shown in _page_one_texts(tmp_path / "r3", poppler):
        head = f"COPIED, TRANSFER-CHECKED ONLY: 2 of 5 copies were never read back ({now})"
        assert head in shown, shown
    (adopted_failed / card.name / ".offload").mkdir()
    (adopted_failed / card.name / ".offload" / "reports").write_bytes(b"")
    code, output = offload(
        "copy", card, adopted_failed, "--verify", "transfer", "--report-dir", tmp_path / "r4"
    )
    assert code == 1, output
    clause = f"the copies: all 5 there, 2 of them transfer-checked only, never read back ({now})"
    for shown in _page_one_texts(tmp_path / "r4", poppler):
        assert "FAILED AFTER THE COPIES" in shown and clause in shown, shown
        assert "all 5 copied" not in shown, shown
