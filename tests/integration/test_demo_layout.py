"""The README's sentence on what ``make demo`` leaves names every place it leaves something,
and every place it names is there: the demo run for real (``python -m offload.demo
demo-output``, what ``make demo`` runs), its output compared with the paths the README's
paragraph names. Failed before: the README put the card and its copies in
``demo-output/reports/``, where only the reports are."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def readme_paragraph() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("`make demo` leaves")
    return text[start : text.index("\n\n", start)]


def test_the_readme_says_where_make_demo_leaves_the_card_copies_and_reports(
    tmp_path: Path,
) -> None:
    pytest.importorskip("av", reason="PyAV (the media extra) makes the demo's clips")
    assert "demo-output" in (ROOT / "Makefile").read_text()  # make demo's argument
    done = subprocess.run(
        [sys.executable, "-m", "offload.demo", "demo-output"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    # Each report named once, by the command (failed before: the demo named the HTML and
    # PDF again, aligned otherwise).
    said = (done.stdout + done.stderr).splitlines()
    for kind in ("HTML report:", "PDF report:"):
        assert len([line for line in said if line.startswith(kind)]) == 1, said[-8:]
    out = tmp_path / "demo-output"
    paragraph = readme_paragraph()
    named = re.findall(r"`(demo-output/[^`]*)`", paragraph)
    for path in named:  # every place it names holds what it says
        assert (tmp_path / path).is_dir() and any((tmp_path / path).iterdir()), path
    for copy in named:
        if re.fullmatch(r"demo-output/RAID\d/A001R1AB/", copy):
            assert (tmp_path / copy / "ascmhl").is_dir() and "`ascmhl/`" in paragraph
            assert any((tmp_path / copy / ".offload" / "reports").glob("*.pdf"))
    # ... and it names every place the demo left something.
    left = sorted(
        f"demo-output/{top.name}/{inner.name}/" if top.name != "reports" else "demo-output/reports/"
        for top in out.iterdir()
        for inner in (top.iterdir() if top.name != "reports" else [top])
    )
    assert sorted(set(left)) == sorted(named), (left, named)
    assert sorted(p.suffix for p in (out / "reports").iterdir()) == [
        ".csv",
        ".html",
        ".json",
        ".pdf",
    ]
