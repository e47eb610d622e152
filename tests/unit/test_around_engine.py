"""bench/around_engine.py: one real run of ``offload copy`` under its wrapper gives every
span it names (start, engine, end and the end's steps), the engine threads' CPU, and
leaves nothing of its own behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "around_engine.py"


def test_a_run_reports_the_spans_around_the_engine_and_cleans_up(tmp_path: Path) -> None:
    card = tmp_path / "CARD"
    (card / "DCIM").mkdir(parents=True)
    for n in range(12):
        (card / "DCIM" / f"C{n:04d}.MP4").write_bytes(os.urandom(20_000 + n))
    work = tmp_path / "work"
    work.mkdir()
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "CARD", "--destinations", "2", "--rounds", "1",
         "--pause", "0", "--work", str(work)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    medians = done.stdout.split("medians:")[1]
    for key in (
        "launch_s", "start_s", "engine_s", "end_s", "end_user", "end_sys", "end_faults", "plan_s",
        "manifests_user", "reports_user", "documents_s", "thread reader", "thread commit",
    ):  # fmt: skip
        assert f"{key} " in medians, key
    assert list(work.iterdir()) == []  # the copies, reports and marks all deleted
    assert sorted(p.name for p in (card / "DCIM").iterdir())[0] == "C0000.MP4"
