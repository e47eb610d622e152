"""``report/validate.py``: the one check of a saved job report's shape. What it lets through,
the readers of a report (the HTML/PDF reports, ``offload history``) must read without an
error: every key of a real report, replaced by a value of each wrong kind or removed."""

from __future__ import annotations

import copy
import json
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from offload.cli.history_cmd import read_history
from offload.report.documents import DocumentOptions, build_documents
from offload.report.validate import job_report_problem
from support.offload_cli import offload

# ...: the key removed; NaN and Infinity: json.loads reads them; 1e20: no date, no duration.
WRONG = (12, "big", None, [], {}, math.nan, math.inf, -math.inf, 1e20, ...)


def _paths(node: Any, prefix: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """Every key path of *node* (the first two entries of a list stand for the rest)."""
    if prefix:
        yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node[:2]):
            yield from _paths(value, (*prefix, index))


def _mutants(report: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path in _paths(report):
        for wrong in WRONG:
            mutant = copy.deepcopy(report)
            parent: Any = mutant
            for part in path[:-1]:
                parent = parent[part]
            if wrong is ...:
                if isinstance(parent, list):
                    continue
                del parent[path[-1]]
            else:
                parent[path[-1]] = wrong
            yield f"{'.'.join(map(str, path))} = {wrong!r}", mutant


def test_what_the_check_lets_through_every_reader_reads(tmp_path: Path) -> None:
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "EMPTY").mkdir()
    (card / "CLIPS" / "A001C001.mov").write_bytes(os.urandom(5000))
    (card / "CLIPS" / "A001C001.xml").write_text("<clip/>")
    os.symlink("CLIPS/A001C001.xml", card / "link.xml")
    os.symlink("/nonexistent", card / "dangling")
    for name in ("d1", "d2"):
        (tmp_path / name).mkdir()
    reports = tmp_path / "reports"
    code, output = offload(
        "copy", "-q", str(card), str(tmp_path / "d1"), str(tmp_path / "d2"),
        "--report-dir", str(reports),
    )  # fmt: skip
    assert code == 0, output
    report = json.loads(next(reports.glob("*.json")).read_text())
    assert job_report_problem(report) is None

    store = tmp_path / "store"
    store.mkdir()
    accepted = refused = 0
    for number, (what, mutant) in enumerate(_mutants(report)):
        if job_report_problem(mutant) is not None:
            refused += 1
            continue
        accepted += 1
        try:
            build_documents(mutant, DocumentOptions(media=False))
        except Exception as exc:  # the test's point: name the mutant that broke a reader
            raise AssertionError(f"{what}: accepted, then {exc!r}") from exc
        (store / f"{number}.json").write_text(json.dumps(mutant))
    entries = read_history(store)  # every accepted mutant listed, none an error
    assert len(entries) == accepted and all(e.error is None for e in entries)
    assert refused > 100 and accepted > 100, (refused, accepted)

    # A copy trusted from its ledger is dated by its verified_at: one no date can be made
    # of (or not a number at all) is refused, never a crash of the documents.
    for wrong in (1e20, -1.0, math.nan, math.inf):
        mutant = copy.deepcopy(report)
        entry = mutant["files"][0]["destinations"][0]
        entry.update(status="verified_earlier", verified_at=wrong)
        assert job_report_problem(mutant) is not None, wrong
    mutant = copy.deepcopy(report)
    mutant["files"][0]["destinations"][0].update(status="verified_earlier", verified_at=1.7e9)
    assert job_report_problem(mutant) is None
    build_documents(mutant, DocumentOptions(media=False))
