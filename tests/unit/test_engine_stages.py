"""bench/engine_stages.py: one real run of ``offload copy`` under its wrapper gives each
engine stage's waits and each engine thread's costs, and leaves nothing of its own
behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "engine_stages.py"


def test_a_run_reports_every_stages_waits_and_threads_and_cleans_up(tmp_path: Path) -> None:
    card = tmp_path / "CARD"
    (card / "DCIM").mkdir(parents=True)
    for n in range(40):
        (card / "DCIM" / f"C{n:04d}.MP4").write_bytes(os.urandom(1_000 + n))
    work = tmp_path / "work"
    work.mkdir()
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "CARD", "--destinations", "2", "--rounds", "1",
         "--pause", "0", "--work", str(work), "--freed-notes", str(tmp_path / "notes")],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr  # the card named relative to the caller's folder
    medians = done.stdout.split("medians:")[1]
    for key in (
        "engine_s", "reader room s", "writer input s", "writer input n", "writer hand-off s",
        "committer input s", "committer input n", "reader user", "reader sys",
        "destination user", "destination vcsw", "commit sys", "commit ivcsw",
        "reader runq", "destination runq", "commit runq",
    ):  # fmt: skip
        assert f"{key} " in medians, key
    # Two writers took the reader's messages (each its own: at least one pack and the end),
    # and each committer at least one batch and the end.
    fields = dict(part.rsplit(" ", 1) for part in medians.split(": ", 1)[1].strip().split(", "))
    assert float(fields["writer input n"]) >= 4
    assert float(fields["committer input n"]) >= 4
    assert list(work.iterdir()) == []  # the copies, reports and records all deleted
    assert len(list((card / "DCIM").iterdir())) == 40
