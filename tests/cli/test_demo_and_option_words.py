"""Two command lines QA found misread (qa70s3 L1, L2): an option written among the
destinations of ``offload copy`` leaves the destinations after it over, and the error now says
where options go; ``python -m offload.demo --help`` prints its usage instead of taking
``--help`` for the folder to fill."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import offload
from offload.cli.common import Environment
from offload.cli.offload import main

# The code under test, as this process imports it (the tree's src first).
_SRC = str(Path(offload.__file__).resolve().parents[1])


def _demo(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m offload.demo ARGS`` in *cwd*, the code this process imports first."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([_SRC, os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, "-m", "offload.demo", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_demo_prints_its_usage_for_help_and_refuses_an_unknown_option(tmp_path: Path) -> None:
    """Failed before: ``--help`` was the output folder: ./--help/card, RAID1-3 and reports
    made, and an offload run into them."""
    done = _demo(tmp_path, "--help")
    assert done.returncode == 0, done.stderr
    assert "usage: python -m offload.demo" in done.stdout and "OUT" in done.stdout, done.stdout
    refused = _demo(tmp_path, "--bogus")
    assert refused.returncode == 64, refused.stderr
    assert refused.stderr.startswith("ERROR: unrecognized arguments: --bogus"), refused.stderr
    assert len(refused.stderr.splitlines()) == 1, refused.stderr
    assert not list(tmp_path.iterdir())


def test_the_demo_refuses_an_empty_folder_name(tmp_path: Path) -> None:
    """``python -m offload.demo ""`` (an unset variable in a script): one ERROR line, 64,
    nothing made nor emptied. Failed before: the demo ran in the current folder, emptying
    its RAID1-RAID3."""
    kept = tmp_path / "RAID1" / "take.mov"
    kept.parent.mkdir()
    kept.write_bytes(b"rushes")
    refused = _demo(tmp_path, "")
    assert refused.returncode == 64, refused.stderr
    assert refused.stderr.startswith("ERROR: argument OUT: is empty ('')"), refused.stderr
    assert len(refused.stderr.splitlines()) == 1, refused.stderr
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        "RAID1",
        "RAID1/take.mov",
    ]


def test_a_destination_after_an_option_among_them_is_said_so(tmp_path: Path) -> None:
    """``offload copy CARD D1 --s3-endpoint URL s3://b/x``: argparse ends the destinations at
    the option. Failed before: "ERROR: unrecognized arguments: s3://rushes/x" alone, rc 64,
    nothing saying the options go before SOURCE. An unknown option keeps argparse's words."""
    err = io.StringIO()
    env = Environment(stdout=io.StringIO(), stderr=err, install_signal_handlers=False)
    card, drive = str(tmp_path / "card"), str(tmp_path / "drv5")
    words = ["copy", card, drive, "--s3-endpoint", "http://127.0.0.1:1", "s3://rushes/x"]
    assert main(words, env) == 64
    said = err.getvalue()
    assert said.startswith("ERROR: unrecognized arguments: s3://rushes/x; it comes after an "), said
    assert "put every option before SOURCE or after the last destination" in said, said
    assert len(said.splitlines()) == 1, said
    err.truncate(0)
    err.seek(0)
    assert main(["copy", card, drive, "--bogus"], env) == 64
    assert err.getvalue() == "ERROR: unrecognized arguments: --bogus (see offload copy --help)\n"
    assert not list(tmp_path.iterdir())
