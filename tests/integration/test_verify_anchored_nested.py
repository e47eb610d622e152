"""``offload verify`` of a root whose list names, by an anchored pattern alone, a folder
holding a nested history (``ROLL/NEST/A001``, ROLL's history made by ``ascmhl create -i
/NEST/``).

Plain ``ascmhl-debug verify`` (1.2) matches an anchored pattern against absolute paths, so never:
it walks ``NEST`` and checks ``A001``'s files against ``A001``'s history. The check's own
walk applies the pattern at the root and skipped ``NEST``, so it never found that history:
a damaged clip there passed ``offload verify ROLL`` (exit 0) while ``ascmhl-debug verify ROLL``
failed, and ``--append`` wrote a generation on a tree holding a nested history, which it
refuses wherever it sees one. Now such a folder is searched for nested histories (as
ascmhl walks it; nothing else in it is read), each checked against its own history."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.ascmhl_judge import AscmhlJudge
from support.nobody import NOBODY, folder_nobody_may_write
from support.offload_cli import offload


@pytest.fixture(autouse=True)
def report_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OFFLOAD_REPORT_DIR", str(tmp_path / "reports"))
    return tmp_path / "reports"


def _roll(tmp_path: Path, judge: AscmhlJudge) -> Path:
    """``RAID/ROLL``: A001 (``CLIPS/take.mov``) copied into ``ROLL/NEST``, then ``ascmhl
    create -i /NEST/ ROLL``, then DAY2 (``SOUND/s.wav``) copied ``--into ROLL``."""
    roll = tmp_path / "RAID" / "ROLL"
    (roll / "NEST").mkdir(parents=True)
    a001 = tmp_path / "cards" / "A001"
    (a001 / "CLIPS").mkdir(parents=True)
    (a001 / "CLIPS" / "take.mov").write_bytes(os.urandom(30_000))
    code, output = offload("copy", str(a001), str(roll / "NEST"))
    assert code == 0, output
    made = judge.run("ascmhl", "create", "-i", "/NEST/", roll)
    assert made.returncode == 0, made.describe()
    day2 = tmp_path / "cards" / "DAY2"
    (day2 / "SOUND").mkdir(parents=True)
    (day2 / "SOUND" / "s.wav").write_bytes(os.urandom(20_000))
    code, output = offload("copy", "--allow-card-destination", "--into", str(day2), str(roll))
    assert code == 0, output
    return roll


def test_a_nested_copy_in_a_folder_only_an_anchored_pattern_names_is_checked(
    tmp_path: Path, judge: AscmhlJudge
) -> None:
    roll = _roll(tmp_path, judge)
    clean = judge.verify(roll)
    assert clean.returncode == 0, clean.describe()
    code, output = offload("verify", str(roll))
    assert code == 0, output
    assert "1 nested history" in output, output
    assert "2 OK" in output, output
    clip = roll / "NEST" / "A001" / "CLIPS" / "take.mov"
    damaged = bytearray(clip.read_bytes())
    damaged[100] ^= 0xFF
    clip.write_bytes(bytes(damaged))
    verdict = judge.verify(roll)
    assert verdict.returncode != 0, verdict.describe()
    assert "hash mismatch        for NEST/A001/CLIPS/take.mov" in verdict.stderr
    code, output = offload("verify", str(roll))
    assert code == 11, output  # before: 0, the nested copy never looked at
    assert f"CHANGED {clip}" in output, output


def test_append_is_refused_beside_a_nested_copy_an_anchored_pattern_names(
    tmp_path: Path, judge: AscmhlJudge
) -> None:
    roll = _roll(tmp_path, judge)
    before = sorted(p.name for p in (roll / "ascmhl").iterdir())
    code, output = offload("verify", "--append", str(roll))
    assert code == 64, output  # before: 0 and a generation 0003 written
    errors = [line for line in output.splitlines() if line.startswith("ERROR")]
    assert errors == [
        f"ERROR: cannot verify {roll}: {roll} holds nested ASC MHL histories (NEST/A001): "
        "appending a generation to them is not supported; verify without --append, or "
        "verify each nested folder on its own"
    ], output
    assert sorted(p.name for p in (roll / "ascmhl").iterdir()) == before
    info = judge.info(roll)
    assert info.returncode == 0 and "Generation 3" not in info.stdout, info.describe()
    verdict = judge.verify(roll)
    assert verdict.returncode == 0, verdict.describe()
    # what the message says to do instead passes
    code, output = offload("verify", "--append", str(roll / "NEST" / "A001"))
    assert code == 0, output
    assert judge.verify(roll / "NEST" / "A001").returncode == 0


def test_an_unrecorded_file_in_such_a_folder_is_named_in_a_note(
    tmp_path: Path, judge: AscmhlJudge
) -> None:
    """A file no history records in ``NEST``: this check applies ``/NEST/`` at the root (as
    ``ascmhl create`` did) and passes it over, plain ``ascmhl-debug verify`` lists it as new
    (exit 21); the report's note says so. Failed before: nothing said (exit 0, no note)."""
    roll = _roll(tmp_path, judge)
    (roll / "NEST" / "stray.txt").write_bytes(b"not in any history\n")
    verdict = judge.verify(roll)
    assert verdict.returncode == 21, verdict.describe()
    assert "found new file NEST/stray.txt" in verdict.stderr
    code, output = offload("verify", str(roll))
    assert code == 0, output
    assert (
        f"WARNING: NEST/stray.txt on {roll}: in a folder only an anchored pattern of the "
        "history's ignore list names, so not checked here (as ascmhl create and "
        "ascmhl-debug verify -dh apply it); plain ascmhl-debug verify never applies an anchored "
        "pattern and lists it as new (exit 21)"
    ) in " ".join(output.split()), output
    (roll / "NEST" / "stray.txt").unlink()
    code, output = offload("verify", str(roll))
    assert code == 0 and "anchored pattern" not in output, output


@pytest.fixture
def place() -> Iterator[Path]:
    """A folder ``nobody`` may write in (``support.nobody``)."""
    with folder_nobody_may_write() as folder:
        yield folder


def test_append_is_refused_where_such_a_folder_holds_one_that_cannot_be_listed(
    place: Path, judge: AscmhlJudge
) -> None:
    """``ROLL``'s history made by ``ascmhl create -i /NEST/``, ``NEST/LOCKED`` (a nested
    copy could stand there) only root may enter, ``offload verify --append`` run by
    ``nobody``: the search of ``NEST`` cannot list it, so it cannot
    say no nested history is there, and the check fails naming it, no generation written,
    as the check's own walk fails on any folder it cannot list. Failed before: the folder
    was passed over in silence, exit 0 and a generation ``0002`` written."""
    roll = place / "ROLL"
    (roll / "CLIPS").mkdir(parents=True)
    (roll / "CLIPS" / "a.mov").write_bytes(os.urandom(20_000))
    (roll / "NEST" / "LOCKED").mkdir(parents=True)
    (roll / "NEST" / "LOCKED" / "x.mov").write_bytes(b"clip")
    made = judge.run("ascmhl", "create", "-h", "xxh64", "-i", "/NEST/", roll)
    assert made.returncode == 0, made.describe()
    for folder, _dirs, files in os.walk(place):
        os.chmod(folder, 0o777)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o666)
    (roll / "NEST" / "LOCKED").chmod(0o000)
    before = sorted(p.name for p in (roll / "ascmhl").iterdir())
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "HOME": str(place)}
    env["OFFLOAD_REPORT_DIR"] = str(place / "reports")
    try:
        run = subprocess.run(
            [*NOBODY, sys.executable, "-m", "offload.cli.offload", "verify", "--append", roll],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
    finally:
        (roll / "NEST" / "LOCKED").chmod(0o755)
    output = run.stdout + run.stderr
    if "No module named" in output:
        pytest.skip(f"nobody cannot run this venv's python: {output[-200:]}")
    assert run.returncode == 11, output  # before: 0 (11: a file or folder unread)
    # the folder named (before: the root alone, "cannot verify ROLL: Permission denied")
    locked = roll / "NEST" / "LOCKED"
    said = f"ERROR: cannot verify {roll}: {locked} cannot be read (Permission denied (EACCES))"
    assert said in output, output
    assert "give this user read access to it" in output, output  # and what to do
    assert sorted(p.name for p in (roll / "ascmhl").iterdir()) == before
