"""The headline of a run where a copy root is refused at the start (its record of the run,
``.offload/last-run.json``, cannot be read: ``run_record.UnreadableRecord``) says what the
counts say: its copies never reached are *cancelled*, never "failed".

Final review L1: with ``--reverify``, the refused root's copies (each a recheck that run
never made) were cancelled, the counts said "0 failed, 3 cancelled" (and with a new card
file, "1 failed, 3 cancelled"), the JSON's totals the same, while the terminal's headline
said "NOT ALL VERIFIED: 3 of 3 files failed" ("4 of 4") and the HTML/PDF verdict "1 of 4
files failed". Now both say the failed and the cancelled apart, as the counts do. The record
made unreadable for real: the bytes of a killed writer's record cut short.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from support.cards import sized_card
from support.offload_cli import offload

CARD = {"C/c1.mov": 40_000, "C/c2.mov": 50_000, "C/c3.mov": 60_000}


def _spoil_record(root: Path) -> None:
    """The record of *root* cut short, as a writer killed mid-write would leave it."""
    record = root / ".offload" / "last-run.json"
    record.write_bytes(record.read_bytes()[:40])


def _newest(reports: Path, suffix: str) -> Path:
    return sorted(reports.glob(f"*{suffix}"), key=lambda p: p.stat().st_mtime_ns)[-1]


def _run(tmp_path: Path, *args: str | Path) -> tuple[int, str, dict[str, object], str]:
    """``offload copy --report-dir REPORTS *args``: its exit code, its output (whitespace
    flattened), its JSON report and its HTML report's text."""
    reports = tmp_path / "reports"
    code, output = offload("copy", "--report-dir", reports, *args)
    data = json.loads(_newest(reports, ".json").read_text())
    html = " ".join(_newest(reports, ".html").read_text(encoding="utf-8").split())
    return code, " ".join(output.split()), data, html


@pytest.mark.parametrize(
    ("more", "grown", "two", "said"),
    [
        # --reverify, one destination: every recheck there cancelled, none failed.
        (["--reverify"], False, False, "3 of 3 files were cancelled on 1 destination"),
        # The same, the card grown by a file: the refusal fails it there (its copy asked
        # the refused destination), the three rechecks cancelled.
        (
            ["--reverify"],
            True,
            True,
            "1 of 4 files failed on 1 destination and 3 were cancelled on 1 destination",
        ),
        # No --reverify, two destinations: the new file failed on the refused one, the
        # copies there trusted from its ledger (verified earlier), the other copied.
        ([], True, True, "1 of 4 files failed on 1 destination"),
    ],
)
def test_a_refused_roots_headline_says_failed_and_cancelled_as_the_counts_do(
    tmp_path: Path, more: list[str], grown: bool, two: bool, said: str
) -> None:
    card = sized_card(tmp_path / "card", CARD)
    (tmp_path / "d1").mkdir()
    (tmp_path / "d2").mkdir()
    code, output = offload("copy", "--quiet", card, tmp_path / "d1")
    assert code == 0, output
    _spoil_record(tmp_path / "d1" / card.name)
    if grown:
        (card / "C" / "c4.mov").write_bytes(os.urandom(10_000))
    dests = [tmp_path / "d1", *([tmp_path / "d2"] if two else [])]
    code, output, data, html = _run(tmp_path, *more, card, *dests)
    assert code != 0, output
    results = data["totals"]["results"]  # type: ignore[index]
    failed, cancelled = results["failed"], results["cancelled"]
    # The counts: as each copy's state is, the record's refusal having made them so.
    assert cancelled == (3 if more else 0) and failed == (1 if grown else 0), results
    # The headline, and what follows it.
    head = output.split("NOT ALL VERIFIED: ", 1)[1]
    # Only cancelled (review of runrec65, L1): no ERROR line lists them below, the table's
    # LOST row says where. Failed before: "(listed below)" of nothing listed there.
    where = "listed below" if failed else "the table says where"
    assert head.startswith(f"{said} ({where})"), output
    assert f"✖ FAILED: {said}; " in html, html[:2000]
    if not cancelled:
        assert "cancelled on" not in head, head
    files = len(CARD) + grown
    assert f"{files} of {files} files failed" not in output + html


def test_a_refused_root_whose_copies_are_all_trusted_is_named_in_the_headline(
    tmp_path: Path,
) -> None:
    """No --reverify, two destinations, nothing new on the card: every copy on the refused
    root is trusted from its ledger (verified earlier), so the headline said "All 3 files
    ... are verified on every destination" and no more, while that destination was LOST,
    the run exited 1 and the HTML said "FAILED". Now the headline names it lost: its copies
    as counted, but this run did not finish it. Failed before: no "BUT ... WAS LOST"."""
    card = sized_card(tmp_path / "card", CARD)
    (tmp_path / "d1").mkdir()
    (tmp_path / "d2").mkdir()
    code, output = offload("copy", "--quiet", card, tmp_path / "d1", tmp_path / "d2")
    assert code == 0, output
    _spoil_record(tmp_path / "d1" / card.name)
    code, output, data, html = _run(tmp_path, card, tmp_path / "d1", tmp_path / "d2")
    assert code == 1, output
    assert data["totals"]["results"]["verified_earlier"] == 2 * len(CARD), data["totals"]
    assert "All 3 files" in output, output
    assert f"BUT {tmp_path / 'd1'} WAS LOST (the table says why): its copies are as counted" in (
        output
    ), output
    assert "✖ FAILED" in html
    # The HTML's verdict in the terminal's words (words70): never "FAILED: 1 problem",
    # which reads as a copy that failed. Failed before: "✖ FAILED: 1 problem, listed first
    # below".
    assert "1 problem" not in html
    assert (
        f"✖ FAILED: {tmp_path / 'd1'} WAS LOST (the Problems say why): its copies are as "
        "counted, trusted from its records, but this run did not finish that destination; "
        "the copies: all 6 verified (6 of them earlier"
    ) in html, html[:3000]


def test_a_card_read_failure_beside_cancelled_copies_is_said_alike_everywhere(
    tmp_path: Path,
) -> None:
    """Review of the runrec65 merge (M3): a card file changed since (same size and date),
    the other destination's root refused (its record cut short), ``--reverify``: the
    copies there cancelled, none failed. The terminal said "1 of 2 files failed as the card
    was read (no copy failed) and 1 was cancelled on 1 destination", the HTML "1 of 2 files
    failed on at least one destination and 1 was cancelled …": the documents counted a
    cancelled copy as one failed. Now both say the terminal's words (one rule,
    ``words.failed_at_the_card_only``). Failed before: the HTML's words."""
    card = sized_card(tmp_path / "card", {"C/x.mov": 400_000, "C/y.mov": 50_000})
    (tmp_path / "d1").mkdir()
    (tmp_path / "d2").mkdir()
    code, output = offload("copy", "--quiet", card, tmp_path / "d1", tmp_path / "d2")
    assert code == 0, output
    _spoil_record(tmp_path / "d1" / card.name)
    clip = card / "C" / "x.mov"
    stat = clip.stat()
    data = bytearray(clip.read_bytes())
    data[200_000] ^= 0xFF  # past the first and last 64 KiB, which are compared first
    clip.write_bytes(bytes(data))
    os.utime(clip, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    code, output, report, html = _run(
        tmp_path, "--reverify", card, tmp_path / "d1", tmp_path / "d2"
    )
    assert code != 0, output
    results = report["totals"]["results"]  # type: ignore[index]
    assert (results["failed"], results["cancelled"]) == (0, 2), results
    said = (
        "1 of 2 files failed as the card was read (no copy failed) and 1 was cancelled on 1 "
        "destination"
    )
    assert f"NOT ALL VERIFIED: {said} (listed below)" in output, output
    assert f"✖ FAILED: {said}; " in html, html[:3000]
