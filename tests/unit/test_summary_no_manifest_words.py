"""The verdict's "BUT NO ... MANIFEST" words (``report/summary._without_manifest``) for
destinations whose manifests failed in different ways: each worded as it is. Pure function
of a real ``OffloadReport`` and its ``ManifestResult``s, as ``manifests_writer`` makes them."""

from __future__ import annotations

from offload.card import OffloadReport
from offload.manifests_writer import ManifestResult
from offload.report.summary import _without_manifest
from offload.results import DestinationSummary, JobReport

HEAD = "The 1 file (3.0 kB) is verified on every destination (full verification)."


def _report(*manifests: ManifestResult) -> OffloadReport:
    destinations = [DestinationSummary(i, root, "d") for i, root in enumerate(("/A", "/B"))]
    job = JobReport(verify="full", algorithms=("xxh64",), destinations=destinations)
    return OffloadReport(source="/card", plans=[], job=job, manifests=list(manifests))


def test_mixed_failures_say_no_manifest_only_where_none_stands() -> None:
    """``--mhl both``: on /A only the ASC MHL generation failed (its legacy MHL written), on
    /B no manifest at all. Failed before: "BUT NO MANIFEST on /A, /B", though /A has its
    legacy MHL."""
    line = _without_manifest(
        _report(
            ManifestResult(0, error="ASC MHL manifest not written", only_ascmhl=True),
            ManifestResult(1, error="manifests not written"),
        ),
        HEAD,
    )
    assert "BUT NO MANIFEST on /B: its manifest could not be written (the error below" in line
    assert (
        "BUT NO ASC MHL MANIFEST on /A: its ASC MHL manifest could not be written (the "
        "legacy MHL is written; the error below"
    ) in line, line
    assert "/A, /B" not in line and line.endswith(")."), line


def test_one_kind_of_failure_is_one_clause_for_all() -> None:
    both = _report(
        ManifestResult(0, error="x", only_ascmhl=True),
        ManifestResult(1, error="y", only_ascmhl=True),
    )
    line = _without_manifest(both, HEAD)
    assert line.count("BUT NO") == 1 and "BUT NO ASC MHL MANIFEST on /A, /B: their" in line
