"""``offload verify`` of a copy root holding a folder it cannot list (``CLIPS/LOCKED``,
mode 000, the check run as ``nobody``): the check fails (exit 11) naming that folder, not
the root alone. Before: "cannot verify ROOT: Permission denied (EACCES)", which sent the
user looking at the root, readable, for what only the folder below refused."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.nobody import NOBODY, folder_nobody_may_write
from support.offload_cli import offload


@pytest.fixture
def place() -> Iterator[Path]:
    """A folder ``nobody`` may write in (``support.nobody``)."""
    with folder_nobody_may_write() as folder:
        yield folder


@pytest.mark.parametrize("mhl", ["ascmhl", "none"])  # "none": checked against the ledger
def test_a_folder_the_check_cannot_list_is_named_in_its_error(
    place: Path, monkeypatch: pytest.MonkeyPatch, mhl: str
) -> None:
    monkeypatch.setenv("OFFLOAD_REPORT_DIR", str(place / "reports"))
    card = place / "cards" / "A001"
    (card / "CLIPS" / "LOCKED").mkdir(parents=True)
    (card / "CLIPS" / "a.mov").write_bytes(os.urandom(20_000))
    (card / "CLIPS" / "LOCKED" / "b.mov").write_bytes(os.urandom(10_000))
    (place / "dest").mkdir()
    code, output = offload("copy", "--mhl", mhl, str(card), str(place / "dest"))
    assert code == 0, output
    root = place / "dest" / "A001"
    for folder, _dirs, files in os.walk(place):
        os.chmod(folder, 0o777)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o666)
    locked = root / "CLIPS" / "LOCKED"
    locked.chmod(0o000)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "HOME": str(place)}
    try:
        run = subprocess.run(
            [*NOBODY, sys.executable, "-m", "offload.cli.offload", "verify", root],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
    finally:
        locked.chmod(0o755)
    output = run.stdout + run.stderr
    if "No module named" in output:
        pytest.skip(f"nobody cannot run this venv's python: {output[-200:]}")
    assert run.returncode == 11, output
    # before: "cannot verify ROOT: Permission denied (EACCES)"
    said = f"ERROR: cannot verify {root}: {locked} cannot be read (Permission denied (EACCES))"
    assert said in output, output
    assert "give this user read access to it" in output, output  # and what to do
