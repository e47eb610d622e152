"""offload copy's human output: the summary and the verdict line say what was proven."""

from __future__ import annotations

import io
import subprocess
import sys
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


def test_the_command_imports_the_terminal_library_only_when_it_prints() -> None:
    """rich (~30 ms of start-up) is imported for the live view (a terminal, not --quiet or
    --json) and for the summary at the end, not with the command's modules."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys\nimport offload.cli.offload\n"
            "print(sorted({'rich.console', 'rich.table', 'rich.live'} & set(sys.modules)))",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.stdout.split() == ["[]"], done.stderr
