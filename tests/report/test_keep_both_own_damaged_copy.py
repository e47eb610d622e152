"""``--keep-both`` over a copy of ours found damaged (QA, thirty-ninth pass): the file in
the way is the copy an earlier offload made at the card file's name, whose ledger entry
makes it ours, changed since (a byte flipped, its date changed). The refusal offers
``--keep-both``; with it, the good copy goes beside the damaged one, and the damaged one
stays at the card's name, which the copy root's ASC MHL history records as the card's file.

Before: exit 0, "All ... verified" on the terminal, "ALL COPIES VERIFIED" on page 1 of the
HTML/PDF, a plain ``KEPT BOTH`` line that never said the file kept is our own damaged copy;
``offload verify`` of the copy root then found it CHANGED (exit 11). ``--reverify
--keep-both`` said ``COPY FOUND DAMAGED`` but exited 0 and said "ALL COPIES VERIFIED" too.
Now both say ``COPY FOUND DAMAGED`` (code ``copy-no-longer-matches``), qualify the verdict
(the good copy verified under another name, the damaged one at the card's name, the copy
root's check failing for it) and exit 1. Real files, the real CLI in-process, the PDF
through pdftotext.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from report.helpers import copied_once, offload_cli, pdf_words, two_clip_card

VERDICT = "1 DAMAGED COPY OF OURS IS KEPT AT THE CARD'S NAME"


def _html_words(path: Path) -> str:
    """The text of an HTML report, its tags dropped and white space folded."""
    text = re.sub(r"<style.*?</style>|<[^>]+>", " ", path.read_text(), flags=re.S)
    return " ".join(html.unescape(text).split())


def grown_copy(dest: Path, card: Path) -> Path:
    """The copy of ``CLIPS/C001.mov`` in *dest*'s copy root of *card*, 1000 random bytes
    appended to it (a copy of ours whose size changed): its path."""
    damaged = dest / card.name / "CLIPS" / "C001.mov"
    with damaged.open("ab") as grown:
        grown.write(os.urandom(1000))
    return damaged


def newest_json(reports: Path) -> Path:
    """The JSON report written last in *reports*."""
    (local,) = sorted(reports.glob("*.json"), key=lambda p: p.stat().st_mtime_ns)[-1:]
    return local


def kept_damaged_report(reports: Path, damaged: Path) -> tuple[Path, dict[str, Any], Any]:
    """The JSON report written last in *reports*, checked to exit 1 with its one
    ``copy-no-longer-matches`` warning naming *damaged*: its path, its data, that warning."""
    local = newest_json(reports)
    report: dict[str, Any] = json.loads(local.read_text())
    assert report["exit_code"] == 1
    (found,) = [w for w in report["warnings"] if w["code"] == "copy-no-longer-matches"]
    assert found["path"] == str(damaged), found
    return local, report, found


def kept_both_over_a_grown_copy(tmp_path: Path) -> tuple[Path, Path, Path, list[str]]:
    """A two-clip card offloaded into *tmp_path*/dest, the copy of its ``C001.mov`` grown
    (``grown_copy``), then copied again with ``--keep-both`` (checked to exit 1): the card,
    the destination, the report folder and that run's arguments."""
    card = two_clip_card(tmp_path, 50_000)
    dest, reports = copied_once(card, tmp_path)
    grown_copy(dest, card)
    argv = ["copy", str(card), str(dest), "--keep-both", "--report-dir", str(reports)]
    code, out, err = offload_cli(argv)
    assert code == 1, out + err
    return card, dest, reports, argv


@pytest.mark.parametrize("reverify", [False, True])
def test_keep_both_over_a_damaged_copy_of_ours_says_so_and_exits_1(
    tmp_path: Path, poppler: dict[str, str], reverify: bool
) -> None:
    card = two_clip_card(tmp_path, 50_000)
    dest, reports = copied_once(card, tmp_path)
    damaged = dest / card.name / "CLIPS" / "C001.mov"
    beside = damaged.with_name("C001 (1).mov")
    data = bytearray(damaged.read_bytes())
    data[1000] ^= 0xFF
    recorded_ns = damaged.stat().st_mtime_ns
    damaged.write_bytes(bytes(data))
    # Its date changed beyond the ledger's tolerance, whatever the machine's load.
    os.utime(damaged, ns=(recorded_ns + 10**10, recorded_ns + 10**10))

    refused, out, err = offload_cli(["copy", str(card), str(dest), "--report-dir", str(reports)])
    assert refused == 1, out + err
    assert "--keep-both keeps both; it is a copy of ours whose date changed" in " ".join(
        err.split()
    ), err

    argv = ["copy", str(card), str(dest), "--keep-both", "--report-dir", str(reports)]
    argv = [*argv, "--reverify"] if reverify else argv
    # Its dry run cannot tell (only the read-back finds it different): it says so.
    code, out, err = offload_cli([*argv, "--dry-run", "--json"])
    assert code == 0, out + err
    (planned,) = json.loads(out)["destinations"]
    (why,) = [r["why"] for r in planned["read_back"] if r["path"] == "CLIPS/C001.mov"]
    assert "kept at the card's name as our damaged copy" in why and "exits 1" in why, why
    code, out, err = offload_cli(argv)
    flat = " ".join((out + err).split())
    assert code == 1, flat
    assert damaged.read_bytes() == bytes(data)  # kept as it is
    assert beside.read_bytes() == (card / "CLIPS" / "C001.mov").read_bytes()
    # The terminal: the verdict says the good copy is verified beside it and the file at
    # the card's name is damaged; the COPY FOUND DAMAGED line names both; no plain KEPT BOTH.
    (verdict,) = [line for line in err.splitlines() if line.startswith("All 2 files")]
    verdict = " ".join(verdict.split())
    assert f"BUT {VERDICT} on {dest}" in verdict, verdict
    assert "the good copy is verified beside it under another name" in verdict, verdict
    assert "`ascmhl-debug verify` and `offload verify` of that copy root fail" in verdict
    said = f"COPY FOUND DAMAGED: {damaged} has another date than the copy verified there on "
    assert said in flat, flat
    assert "(verified)" not in flat and "its ledger's record" not in flat, flat
    assert (
        f"kept as it is (--keep-both): {damaged} was read back and found different from the "
        f"card; the new copy from the card was written beside it as {beside}, verified now "
        "(read back)"
    ) in flat, flat
    assert "KEPT BOTH:" not in flat, flat

    local, report, found = kept_damaged_report(reports, damaged)
    assert "kept as it is (--keep-both)" in found["message"], found
    assert not [w for w in report["warnings"] if w["code"] == "existing-kept-beside"]
    (state,) = [f["destinations"][0] for f in report["files"] if f["path"] == "CLIPS/C001.mov"]
    assert state["status"] == "verified" and state["final_path"] == str(beside), state

    page = _html_words(local.with_suffix(".html"))
    for text in (page, pdf_words(poppler, local.with_suffix(".pdf"))):
        assert VERDICT in text, text[:2000]
        assert "ALL COPIES VERIFIED" not in text, text[:2000]
        assert "the good copy is verified beside it under another name" in text, text[:2000]
        assert "copy found damaged:" in text, text[:4000]

    code, out, err = offload_cli(["history", "--json", "--report-dir", str(reports)])
    assert code == 0, err
    said = json.loads(out)[0]["result"]
    assert said.startswith("verified") and said.endswith(", 1 damaged copy kept beside new ones")
    # What the verdict says of the copy root is true: its check finds the kept file changed.
    code, out, err = offload_cli(["verify", str(dest / card.name), "--report-dir", str(reports)])
    assert code == 11, out + err
    assert f"CHANGED {damaged}" in " ".join(err.split()), err


@pytest.mark.parametrize("verify", ["destination", "transfer"])
def test_keep_both_over_a_copy_of_ours_whose_size_changed_says_so_and_exits_1(
    tmp_path: Path, verify: str
) -> None:
    """Review, thirty-ninth pass: a copy of ours whose SIZE changed (bytes appended) went
    straight to keep-beside under plain ``--keep-both``: exit 0, "all verified", a plain
    KEPT BOTH. Now it is taken up as ``--reverify`` takes it up (found wrong by its size
    alone), kept at the card's name and named COPY FOUND DAMAGED, exit 1. With ``--verify
    transfer`` the verdict never calls the good copy "verified" (it is transfer-checked)."""
    card = two_clip_card(tmp_path, 50_000)
    dest, reports = copied_once(card, tmp_path)
    damaged = grown_copy(dest, card)
    beside = damaged.with_name("C001 (1).mov")
    data = damaged.read_bytes()

    argv = ["copy", str(card), str(dest), "--keep-both", "--verify", verify]
    # Its dry run predicts the run's exit 1 (review M5: it said 0).
    code, out, err = offload_cli([*argv, "--dry-run", "--json"])
    planned = json.loads(out)
    assert (code, planned["exit_code"]) == (1, 1), out + err
    assert "1 damaged copy of ours would be kept at the card's name" in planned["exit_reason"]
    code, out, err = offload_cli([*argv, "--report-dir", str(reports)])
    flat = " ".join((out + err).split())
    assert code == 1, flat
    assert damaged.read_bytes() == data  # kept as it is
    assert beside.read_bytes() == (card / "CLIPS" / "C001.mov").read_bytes()
    assert f"BUT {VERDICT} on {dest}" in flat, flat
    assert f"COPY FOUND DAMAGED: {damaged}" in flat, flat
    assert "KEPT BOTH:" not in flat, flat
    good = "the good copy is verified beside it" if verify == "destination" else "beside it"
    assert good in flat, flat
    if verify == "transfer":
        assert "the good copy is verified beside it" not in flat, flat

    local, _report, _found = kept_damaged_report(reports, damaged)
    page = _html_words(local.with_suffix(".html"))
    assert VERDICT in page and "ALL COPIES VERIFIED" not in page, page[:2000]
    if verify == "transfer":
        assert "the good copy is verified beside it" not in page, page[:3000]


def test_the_kept_damaged_verdict_keeps_the_not_in_the_manifest_one(tmp_path: Path) -> None:
    """Review, thirty-ninth pass: the HTML/PDF verdict of a kept damaged copy replaced the
    ``≈ … NOT IN THE MANIFEST`` one (a card file whose name no XML manifest can hold),
    which the terminal keeps beside it: now the page says both."""
    card = two_clip_card(tmp_path, 50_000)
    (card / "CLIPS" / "C003\x01take.mov").write_bytes(os.urandom(30_000))
    dest, reports = copied_once(card, tmp_path)
    grown_copy(dest, card)

    argv = ["copy", str(card), str(dest), "--keep-both", "--report-dir", str(reports)]
    code, out, err = offload_cli(argv)
    flat = " ".join((out + err).split())
    assert code == 1, flat
    assert f"NOT IN THE MANIFEST on {dest}" in flat, flat
    local = newest_json(reports)
    page = _html_words(local.with_suffix(".html"))
    assert VERDICT in page, page[:3000]
    assert "1 OF THEM IS NOT IN THE MANIFEST" in page, page[:3000]


def test_kept_is_a_field_of_the_warning_not_its_words(tmp_path: Path) -> None:
    """Review, thirty-ninth pass (L1): the kept damaged copy was told by the warning's
    TEXT, so an older report (exit_code 0, its words already "kept as it is (--keep-both)")
    re-rendered by ``offload report`` read "✖ … DAMAGED COPY … KEPT" while its JSON said 0.
    Now the warning carries ``kept: true``, and only that counts."""
    _card, _dest, reports, _argv = kept_both_over_a_grown_copy(tmp_path)
    local = newest_json(reports)
    report: dict[str, Any] = json.loads(local.read_text())
    (found,) = [w for w in report["warnings"] if w["code"] == "copy-no-longer-matches"]
    assert found["kept"] is True, found

    # As an older offload-ai wrote it: the same words, no field, exit 0.
    del found["kept"]
    report["exit_code"] = 0
    older = tmp_path / "older.json"
    older.write_text(json.dumps(report))
    code, out, err = offload_cli(["report", str(older), "--html", str(tmp_path / "o.html")])
    assert code == 0, out + err
    page = _html_words(tmp_path / "o.html")
    assert "kept as it is (--keep-both)" in page, page[:3000]  # its words, as written
    assert VERDICT not in page, page[:3000]


def _history_of_the_kept_run(tmp_path: Path, written: Callable[[dict[str, Any]], None]) -> str:
    """``offload history``'s result of the ``--keep-both`` run that kept a grown copy of ours
    (``kept_both_over_a_grown_copy``), its JSON report as *written* rewrites it (given the
    report's data, its one ``copy-no-longer-matches`` warning checked ``kept`` and worded
    "kept as it is (--keep-both)")."""
    _card, _dest, reports, _argv = kept_both_over_a_grown_copy(tmp_path)
    local = newest_json(reports)
    report: dict[str, Any] = json.loads(local.read_text())
    (found,) = [w for w in report["warnings"] if w["code"] == "copy-no-longer-matches"]
    assert found["kept"] is True and "kept as it is (--keep-both)" in found["message"], found
    written(report)
    local.write_text(json.dumps(report))
    code, out, err = offload_cli(["history", "--json", "--report-dir", str(reports)])
    assert code == 0, err
    said: str = json.loads(out)[0]["result"]
    return said


def test_history_tells_a_kept_copy_by_its_field_whatever_its_words(tmp_path: Path) -> None:
    """Tidy-up, fortieth pass: ``offload history`` told a damaged copy kept beside the new
    one (``--keep-both``) from one replaced by the warning's TEXT ("kept as it is
    (--keep-both)"): a report whose words are spelled otherwise read "1 damaged copy
    replaced" of a copy kept at the card's name. Now by the warning's ``kept`` field, as
    every other reader (failed before: "replaced")."""

    def reworded(report: dict[str, Any]) -> None:
        # The same report, its words spelled otherwise (as a later version may word them).
        for warning in report["warnings"]:
            warning["message"] = warning["message"].replace(
                "kept as it is (--keep-both)", "left in place"
            )

    said = _history_of_the_kept_run(tmp_path, reworded)
    assert said.endswith(", 1 damaged copy kept beside new ones"), said
    assert "replaced" not in said, said


def test_history_tells_a_kept_copy_of_a_report_before_the_kept_field_by_its_words(
    tmp_path: Path,
) -> None:
    """Review of the fortieth pass (M2): a report written before ``copy-no-longer-matches``
    carried ``kept`` (2026-12-06 12:32) names a damaged copy kept by ``--keep-both`` in its
    words alone (``KEPT_BESIDE``), and its exit code did not count it (0). The real run's
    report as such a version wrote it (``kept`` dropped, exit 0): ``offload history`` says
    "kept beside new ones", never "replaced". Failed before: "1 damaged copy replaced"."""

    def before_the_field(report: dict[str, Any]) -> None:
        for warning in report["warnings"]:
            warning.pop("kept", None)
        report["exit_code"] = 0

    said = _history_of_the_kept_run(tmp_path, before_the_field)
    assert said.endswith(", 1 damaged copy kept beside new ones"), said
    assert "replaced" not in said, said


def test_a_kept_copy_read_again_by_reverify_is_not_called_copied(tmp_path: Path) -> None:
    """Review, thirty-ninth pass (M4): after the run that kept our damaged copy, a
    ``--keep-both --reverify`` run re-reads the good copy at its keep-both name (its ledger
    records it there) and writes nothing, yet its KEPT BOTH line said "1 card file copied
    to"; now "found on", the copy named as read back now."""
    card, dest, _reports, argv = kept_both_over_a_grown_copy(tmp_path)
    beside = dest / card.name / "CLIPS" / "C001 (1).mov"
    written_ns = beside.stat().st_mtime_ns, beside.stat().st_ino

    code, out, err = offload_cli([*argv, "--reverify"])
    # Only the run that discovers a damaged copy exits 1 (README); this one re-reads.
    assert code == 0, out + err
    flat = " ".join((out + err).split())
    assert (beside.stat().st_mtime_ns, beside.stat().st_ino) == written_ns  # not written
    assert "card file copied to" not in flat, flat
    assert (
        f"KEPT BOTH: 1 card file found on {dest / card.name} beside a file already at its name"
    ) in flat, flat
    assert f"as {beside} (kept so by an earlier run, read back now)" in flat, flat
