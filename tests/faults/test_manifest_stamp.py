"""The stamp of complete manifests (``.offload/manifests-complete.json``,
:mod:`offload.manifest_stamp`): a re-run with nothing to copy does not parse the ASC MHL
history when nothing the check read has changed since the manifests were found (or made)
complete; every change (the history deleted or emptied, a run that verified a file killed
before its manifests, other manifest options, a stamp that cannot be read) leads to the full
check, and the missing manifest is written. Real runs: ``offload copy`` in process and as a
subprocess (traced by strace for the files it opens, killed on a FaultyFS destination);
``ascmhl`` 1.2 judges the copy roots."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from support.ascmhl_judge import AscmhlJudge
from support.faultyfs import FaultyFS

from .test_manifest_crash import (
    OFFLOAD,
    kill_when_stalled,
    offload,
    offloaded_once,
)

STAMP = Path(".offload") / "manifests-complete.json"


def _history_files_opened(tmp_path: Path, card: Path, dest: Path) -> list[str]:
    """Run ``offload copy card dest`` as a subprocess under strace; the files in an
    ``ascmhl/`` folder of the destination it opened (the folder's own listing not counted)."""
    trace = tmp_path / "openat.trace"
    strace = ["strace", "-f", "-qq", "-e", "trace=open,openat,openat2", "-o", str(trace)]
    done = subprocess.run(
        [*strace, str(OFFLOAD), "copy", "--quiet", str(card), str(dest)],
        env={**os.environ, "OFFLOAD_REPORT_DIR": str(tmp_path / "reports")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    history = f"{dest / card.name / 'ascmhl'}/"
    return [line for line in trace.read_text().splitlines() if history in line]


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
def test_a_noop_rerun_with_a_stamp_does_not_read_the_history(
    tmp_path: Path, judge: AscmhlJudge, monkeypatch: pytest.MonkeyPatch
) -> None:
    card, dest, root = offloaded_once(tmp_path, monkeypatch)
    assert (root / STAMP).is_file()  # written with the generation
    before = sorted(os.listdir(root / "ascmhl"))

    # Without its stamp a re-run reads the history (the chain file and the generation)...
    (root / STAMP).unlink()
    opened = _history_files_opened(tmp_path, card, dest)
    assert any("ascmhl_chain.xml" in line for line in opened), opened
    assert (root / STAMP).is_file()  # ...finds it complete, and stamps it
    # ...with it, nothing in ascmhl/ is opened, and nothing is written.
    assert _history_files_opened(tmp_path, card, dest) == []
    assert sorted(os.listdir(root / "ascmhl")) == before
    assert judge.verify(root).clean


def _emptied(root: Path) -> None:
    for item in (root / "ascmhl").iterdir():
        item.unlink()


def _deleted(root: Path) -> None:
    shutil.rmtree(root / "ascmhl")


def _unreadable_stamp(root: Path) -> None:
    # the history lost too: a stamp that cannot be read must not stand for it
    shutil.rmtree(root / "ascmhl")
    (root / STAMP).write_bytes(b"\x00not json")


@pytest.mark.parametrize("change", [_emptied, _deleted, _unreadable_stamp])
def test_a_history_changed_after_its_stamp_is_checked_and_written(
    tmp_path: Path,
    judge: AscmhlJudge,
    monkeypatch: pytest.MonkeyPatch,
    change: Callable[[Path], None],
) -> None:
    card, dest, root = offloaded_once(tmp_path, monkeypatch)
    assert offload("copy", card, dest)[0] == 0  # stamped, nothing written
    assert (root / STAMP).is_file()
    change(root)
    code, output = offload("copy", card, dest)
    assert code == 0, output
    assert f"there is no ASC MHL history on {root}" in output, output
    assert len(list((root / "ascmhl").glob("*.mhl"))) == 1
    assert judge.verify(root).clean
    code, output = offload("verify", root)
    assert code == 0 and "against ascmhl" in output, output


def test_other_manifest_options_are_checked_in_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stamp made for the ASC MHL history alone does not stand for a legacy MHL asked
    for now: there is none, and one is written."""
    card, dest, root = offloaded_once(tmp_path, monkeypatch)
    assert offload("copy", card, dest)[0] == 0
    assert (root / STAMP).is_file()
    code, output = offload("copy", "--mhl", "both", card, dest)
    assert code == 0, output
    assert f"there is no legacy MHL on {root}" in output, output
    (legacy,) = root.glob("A001_*.mhl")
    code, output = offload("verify", "--mhl-file", legacy, root)
    assert code == 0, output
    code, output = offload("copy", "--mhl", "both", card, dest)  # stamped: complete
    assert code == 0 and "legacy MHL" not in output, output
    assert len(list(root.glob("A001_*.mhl"))) == 1


@pytest.mark.fault
@pytest.mark.timeout(120)
def test_a_run_killed_after_its_ledger_grew_leaves_a_stamp_that_does_not_match(
    tmp_path: Path,
    faulty_fs: Callable[..., FaultyFS],
    judge: AscmhlJudge,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Stamped complete; a re-run copies a clip the card gained and is SIGKILLed as it
    begins its generation (the ledger holds the clip, the history does not): the next run
    does not trust the older stamp, and writes the generation with the clip (alone)."""
    fs = faulty_fs()
    card, dest, root = offloaded_once(tmp_path, monkeypatch, dest=fs.mountpoint)
    assert offload("copy", card, dest)[0] == 0
    stamp = (root / STAMP).read_bytes()
    (card / "CLIPS" / "C9.mov").write_bytes(os.urandom(100_000))
    kill_when_stalled(fs, "create", "A001/ascmhl/.0002_*", [card, dest], tmp_path / "reports")
    assert "CLIPS/C9.mov" in (root / ".offload" / "ledger.jsonl").read_text()
    assert len(list((root / "ascmhl").glob("*.mhl"))) == 1
    # the older stamp is left (or removed) by the killed run: never one of the new state
    assert not (root / STAMP).exists() or (root / STAMP).read_bytes() == stamp

    code, output = offload("copy", card, dest)
    assert code == 0, output
    assert "does not record CLIPS/C9.mov as verified" in output, output
    newest = sorted((root / "ascmhl").glob("*.mhl"))[-1].read_text()
    # the clip alone: the others, trusted from the ledger (not read now), stay generation 1's
    lines = [line for line in newest.splitlines() if "action=" in line]
    assert len(lines) == 1 and 'action="original"' in lines[0], lines
    assert judge.verify(root).clean


def test_a_dead_writers_temporary_stamp_is_swept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    card, dest, root = offloaded_once(tmp_path, monkeypatch)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = root / ".offload" / f".manifests-complete.json.{dead.pid}.0123abcd.partial"
    stale.write_bytes(b"")
    assert offload("copy", card, dest)[0] == 0
    assert not stale.exists()
    assert (root / STAMP).is_file()


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
@pytest.mark.parametrize(("key", "value"), [("version", 1), ("offload_ai", "0.0.1")])
def test_a_stamp_made_under_another_rule_or_release_is_not_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str, value: object
) -> None:
    """A stamp stands for the check of the release and rule that wrote it: one that differs
    only in either (nothing else on the media changed) is not trusted; the history is read."""
    card, dest, root = offloaded_once(tmp_path, monkeypatch)
    stamp = json.loads((root / STAMP).read_text())
    assert key in stamp

    def rewrite() -> None:  # as the writer encodes it: the stamp is compared byte for byte
        (root / STAMP).write_text(json.dumps(stamp, ensure_ascii=False, sort_keys=True))

    rewrite()  # the control: the same stamp, rewritten, is still trusted
    assert _history_files_opened(tmp_path, card, dest) == []
    stamp[key] = value
    rewrite()
    opened = _history_files_opened(tmp_path, card, dest)
    assert any("ascmhl_chain.xml" in line for line in opened), opened
