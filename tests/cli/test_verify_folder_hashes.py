"""``offload verify`` does not recompute the folder hashes an ASC MHL history records
(``<directoryhash>``, ``<roothash>``), and says so: a pass covers the files alone.

Failed before: the summary said "N OK ... (against ascmhl; ...)" and nothing about the folder
hashes, which a reader used to ``ascmhl-debug verify -dh`` would take as checked too. The
real CLI in a subprocess; the folders counted are those the generation ``offload copy``
wrote records a hash for."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from offload.manifest.history import read_history

CLI = [sys.executable, "-m", "offload.cli.offload"]


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *map(str, args)], capture_output=True, text=True, timeout=120, env=dict(os.environ)
    )


def test_verify_says_the_folder_hashes_were_not_checked(tmp_path: Path) -> None:
    card = tmp_path / "card" / "A001"
    for relative in ("CLIPS/C001.mov", "CLIPS/C002.mov", "SOUND/S01.wav", "A001.xml"):
        (card / relative).parent.mkdir(parents=True, exist_ok=True)
        (card / relative).write_bytes(os.urandom(2000))
    dest = tmp_path / "dest"
    dest.mkdir()
    copied = run("copy", card, dest, "--report-dir", tmp_path / "r0")
    assert copied.returncode == 0, copied.stderr
    root = dest / "A001"
    (generation,) = read_history(root).generations
    folders = {d.path for d in generation.directories} | {"."}
    assert folders == {".", "CLIPS", "SOUND"}

    checked = run("verify", root, "--report-dir", tmp_path / "r1")
    assert checked.returncode == 0, checked.stderr
    assert "4 OK" in checked.stdout
    assert (
        "Folder hashes not checked: the history records them for 3 folders; each file was "
        "checked on its own" in checked.stdout
    ), checked.stdout
    as_json = run("verify", "--json", root, "--report-dir", tmp_path / "r2")
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout)["totals"]["folder_hashes_unchecked"] == 3

    # Against the ledger (no history): no folder hash to leave unchecked, nothing said.
    (root / "ascmhl").rename(tmp_path / "history")
    by_ledger = run("verify", root, "--report-dir", tmp_path / "r3")
    assert by_ledger.returncode == 0, by_ledger.stderr
    assert "Folder hashes" not in by_ledger.stdout
