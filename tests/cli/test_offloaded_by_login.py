"""The reports' "Offloaded by" without ``--author-name``: the account the run ran as (the
legacy MHL's ``<username>``), marked "(login name)", recorded in the JSON as ``login_name``;
an author given is shown as given (QA: the row was empty while "Computer" was filled)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from offload.manifest_options import login_name
from support.offload_cli import newest_html_words, newest_report, run_offload


def _card(tmp_path: Path) -> Path:
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "C001.mov").write_bytes(os.urandom(2000))
    return card


def test_offloaded_by_falls_back_to_the_login_name(tmp_path: Path) -> None:
    """Failed before: "Offloaded by" empty, no ``login_name`` in the JSON."""
    name = login_name()
    if name is None:
        pytest.skip("no login name for this process")
    card, reports = _card(tmp_path), tmp_path / "reports"
    (tmp_path / "D1").mkdir()
    result = run_offload("copy", "-q", "--report-dir", reports, card, tmp_path / "D1")
    assert result.returncode == 0, result.stderr
    assert newest_report(reports)["login_name"] == name
    assert f"<th>Offloaded by</th><td>{name} (login name)</td>" in newest_html_words(reports)
    (tmp_path / "D2").mkdir()
    result = run_offload(
        "copy", "-q", "--author-name", "Dana DIT", "--report-dir", reports, card, tmp_path / "D2"
    )
    assert result.returncode == 0, result.stderr
    words = newest_html_words(reports)
    assert "<th>Offloaded by</th><td>Dana DIT</td>" in words and "(login name)" not in words
