"""offload copy's human output: the summary and the verdict line say what was proven."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from offload.cli.common import Environment
from offload.cli.offload import main


@pytest.mark.parametrize(
    ("mode", "verdict"),
    [
        ("transfer", "1 files (5.0 kB) are on every destination, TRANSFER-CHECKED ONLY"),
        ("destination", "All 1 files (5.0 kB) are verified on every destination (destination "),
        ("full", "All 1 files (5.0 kB) are verified on every destination (full verification)"),
    ],
)
def test_verdict_line(tmp_path: Path, mode: str, verdict: str) -> None:
    card = tmp_path / "CARD"
    card.mkdir()
    (card / "a.mov").write_bytes(b"x" * 5000)
    dest = tmp_path / "dest"
    dest.mkdir()
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["copy", "--verify", mode, "--report-dir", str(tmp_path / "r"), str(card), str(dest)],
        Environment(stdout=out, stderr=err, install_signal_handlers=False),
    )
    assert code == 0
    assert verdict in err.getvalue()
    assert out.getvalue() == ""  # stdout stays free for --json
