"""A path named on the command line that cannot be looked at for a reason of its own (a
symlink loop, a name too long): one line and exit 64, from `offload verify` (its --json
document too) and `pfndispatchcopy`, as for a missing path. Real subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

OFFLOAD = [sys.executable, "-m", "offload.cli.offload"]
PFN = [sys.executable, "-m", "offload.cli.pfndispatchcopy"]


def run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, capture_output=True, text=True, timeout=120, cwd=cwd, env=dict(os.environ)
    )


@pytest.fixture(params=["loop", "long"])
def bad_path(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    """(the path, the errno's name its look raises)."""
    if request.param == "loop":
        os.symlink("loopy", tmp_path / "loopy")
        return "loopy", "ELOOP"
    return "a" * 300, "ENAMETOOLONG"


def test_verify_names_a_path_it_cannot_look_at_in_one_line(
    tmp_path: Path, bad_path: tuple[str, str]
) -> None:
    """Failed before: a traceback (OSError from the look at PATH), exit 1, and with --json
    no document at all."""
    path, errno_name = bad_path
    done = run([*OFFLOAD, "verify", path, "--report-dir", str(tmp_path / "r")], tmp_path)
    assert done.returncode == 64, done.stderr
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"ERROR: cannot read {tmp_path / path}: ") and errno_name in line
    as_json = run(
        [*OFFLOAD, "verify", "--json", path, "--report-dir", str(tmp_path / "r")], tmp_path
    )
    assert as_json.returncode == 64
    assert json.loads(as_json.stdout)["exit_code"] == 64


def test_pfndispatchcopy_names_a_source_it_cannot_look_at_in_one_line(
    tmp_path: Path, bad_path: tuple[str, str]
) -> None:
    """Failed before: a traceback and exit 1."""
    path, errno_name = bad_path
    (tmp_path / "out").mkdir()
    done = run([*PFN, path, "out/z.mov"], tmp_path)
    assert done.returncode == 64, done.stderr
    assert "Traceback" not in done.stderr
    assert f"cannot read source {tmp_path / path}: " in done.stderr and errno_name in done.stderr
    assert list((tmp_path / "out").iterdir()) == []


def _home_and_card(tmp_path: Path) -> tuple[Path, Path]:
    """A home folder holding a card ``A001`` and a destination ``D``, and a working folder
    beside it, where a quoted ``~`` is read as a folder named ``~``."""
    home, here = tmp_path / "home", tmp_path / "here"
    (home / "A001" / "CLIPS").mkdir(parents=True)
    (home / "A001" / "CLIPS" / "c.mov").write_bytes(b"clip")
    (home / "D").mkdir()
    here.mkdir()
    return home, here


@pytest.mark.parametrize(
    ("argv", "typed"),
    [
        (["copy", "~/A001", "{home}/D"], "source {here}/~/A001 does not exist;"),
        (["copy", "{home}/A001", "~/D"], "destination {here}/~/D does not exist:"),
        (["verify", "~/A001"], "{here}/~/A001 does not exist;"),
    ],
    ids=["copy-source", "copy-destination", "verify"],
)
def test_a_quoted_tilde_is_said_not_expanded_with_the_path_meant(
    tmp_path: Path, argv: list[str], typed: str
) -> None:
    """``offload copy '~/A001' D``: the shell leaves a quoted ``~`` as it is. Failed before:
    "/cwd/~/A001 does not exist" and no hint that ``~`` was not expanded; the destination's
    refusal took two lines. Now one line, naming the path meant ($HOME's)."""
    home, here = _home_and_card(tmp_path)
    words = {"home": home, "here": here}
    command = [part.format(**words) for part in argv]
    done = subprocess.run(
        [*OFFLOAD, *command, "--report-dir", str(tmp_path / "r")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=here,
        env={**os.environ, "HOME": str(home)},
    )
    assert done.returncode == 64, done.stderr
    (line,) = done.stderr.splitlines()
    meant = home / next(part for part in argv if part.startswith("~")).removeprefix("~/")
    assert typed.format(**words) in line, line
    assert line.endswith(
        f"; ~ was not expanded (the shell leaves a quoted ~ as it is): did you mean {meant}? "
        "write it without quotes around ~"
    ), line
    assert not (here / "~").exists() and os.listdir(home / "D") == []


@pytest.mark.parametrize("name", ["~root", "~backup", "~"])
def test_a_tilde_mid_path_gets_no_hint(tmp_path: Path, name: str) -> None:
    """Review of the fixcards59 merge: a shell expands a ``~`` only at the start of a word,
    yet ``offload copy CARD /mnt/RAID/~root`` was told "~root was not expanded ...: did you
    mean /root?" (``/x/~backup``: ``/var/backups``). Failed before; the missing destination
    is said missing, no hint."""
    home, here = _home_and_card(tmp_path)
    missing = tmp_path / "RAID" / name / "D"
    done = subprocess.run(
        [*OFFLOAD, "copy", str(home / "A001"), str(missing), "--report-dir", str(tmp_path / "r")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=here,
        env={**os.environ, "HOME": str(home)},
    )
    assert done.returncode == 64, done.stderr
    (line,) = done.stderr.splitlines()
    assert f"destination {missing} does not exist:" in line, line
    assert "expanded" not in line and "did you mean" not in line, line


def test_a_tilde_folder_that_is_there_gets_no_hint(tmp_path: Path) -> None:
    """A folder really named ``~`` in the working folder: its missing card is said missing,
    without the hint (the ``~`` was not the user's home)."""
    _, here = _home_and_card(tmp_path)
    (here / "~").mkdir()
    done = run([*PFN, "~/x.mov", "out.mov"], here)
    assert done.returncode == 64, done.stderr
    assert done.stderr.splitlines() == [
        f"ERROR: source {here}/~/x.mov does not exist; check the path"
    ], done.stderr
