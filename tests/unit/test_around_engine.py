"""bench/around_engine.py: one real run of ``offload copy`` under its wrapper gives every
span it names (start, engine, end and the end's steps), the engine threads' CPU, and
leaves nothing of its own behind; before each run it waits for a noted mass delete's freed
inodes and probes a create's cost, and it notes its own delete at the end (as ``offload
bench`` does: ``offload.bench.outputs``)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from offload.bench.outputs import FREED_WINDOW_S, freed_note, read_freed, walks_freed_inodes

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "around_engine.py"


def _card(tmp_path: Path, files: int = 12) -> Path:
    card = tmp_path / "CARD"
    (card / "DCIM").mkdir(parents=True)
    for n in range(files):
        (card / "DCIM" / f"C{n:04d}.MP4").write_bytes(os.urandom(20_000 + n))
    return card


def _run(tmp_path: Path, *extra: str) -> tuple[subprocess.CompletedProcess[str], float]:
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "CARD", "--destinations", "2", "--pause", "0",
         "--work", str(tmp_path / "work"), "--freed-notes", str(tmp_path / "notes"), *extra],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done, time.monotonic() - began


def test_a_noted_mass_delete_is_waited_for_and_each_run_probes_a_create(tmp_path: Path) -> None:
    _card(tmp_path)
    (tmp_path / "work").mkdir()
    (tmp_path / "notes").mkdir()
    # 50,000 inodes freed on this filesystem, out of ext4's window in 3 s.
    note = freed_note(tmp_path / "work", tmp_path / "notes")
    note.write_text(json.dumps({"freed": [[time.time() - FREED_WINDOW_S + 3, 50_000]]}))
    walks = walks_freed_inodes(tmp_path)  # ext4 without a journal: else nothing to wait for
    done, took = _run(tmp_path, "--rounds", "1")
    # What is left when the script looks, its interpreter started: 3 s less that start (over
    # 0.5 s on a loaded machine: "waiting 2 s").
    said = re.search(r"^waiting (\d+) s for inodes freed", done.stdout, re.MULTILINE)
    assert (said is not None and 1 <= int(said[1]) <= 3) is walks, done.stdout
    assert took >= 2.5 or not walks
    run_line = next(line for line in done.stdout.splitlines() if line.startswith("installed ("))
    probe = float(run_line.split("probe_us ", 1)[1].split(",", 1)[0])
    assert 0 < probe < 1_000_000  # a create's CPU in µs, measured
    assert "probe_us " in done.stdout.split("medians:")[1]

    # Told not to wait, it says so and goes on.
    note.write_text(json.dumps({"freed": [[time.time(), 50_000]]}))
    done, took = _run(tmp_path, "--rounds", "1", "--no-wait")
    assert ("not waiting 36" in done.stdout) is walks  # ~365 s
    assert took < 300


def test_its_own_delete_at_the_end_is_noted(tmp_path: Path) -> None:
    _card(tmp_path)
    (tmp_path / "work").mkdir()
    before = time.time()
    _run(tmp_path, "--rounds", "2")  # two runs' probes: 1,000 files and more
    assert list((tmp_path / "work").iterdir()) == []
    freed = read_freed(freed_note(tmp_path / "work", tmp_path / "notes"))
    if not walks_freed_inodes(tmp_path):
        assert freed == []  # a filesystem that walks no freed inodes: nothing noted
        return
    assert len(freed) == 1
    at, count = freed[0]
    assert at >= before
    assert count > 1_000  # the probes' files, the copies, the reports, the folders


def test_keep_deletes_nothing_and_says_where(tmp_path: Path) -> None:
    """With ``--keep`` the runs' folders stay (their copies emptied) and no delete is noted:
    a second tool's runs right after it create past no freed inodes of the first's."""
    _card(tmp_path)
    (tmp_path / "work").mkdir()
    done, _ = _run(tmp_path, "--rounds", "1", "--keep")
    kept = Path(done.stdout.split("kept (copies emptied, nothing deleted): ", 1)[1].split()[0])
    assert kept.parent == tmp_path / "work"
    copies = [p for p in (kept / "001").rglob("*.MP4") if "d1" in p.parts]
    assert len(copies) == 12 and all(p.stat().st_size == 0 for p in copies)
    assert read_freed(freed_note(tmp_path / "work", tmp_path / "notes")) == []


def test_a_run_reports_the_spans_around_the_engine_and_cleans_up(tmp_path: Path) -> None:
    card = tmp_path / "CARD"
    (card / "DCIM").mkdir(parents=True)
    for n in range(12):
        (card / "DCIM" / f"C{n:04d}.MP4").write_bytes(os.urandom(20_000 + n))
    work = tmp_path / "work"
    work.mkdir()
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "CARD", "--destinations", "2", "--rounds", "1",
         "--pause", "0", "--work", str(work), "--freed-notes", str(tmp_path / "notes")],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    medians = done.stdout.split("medians:")[1]
    for key in (
        "launch_s", "start_s", "engine_s", "end_s", "end_user", "end_sys", "end_faults", "plan_s",
        "manifests_user", "reports_user", "documents_s", "thread reader", "thread commit",
        "end_runq", "end_blocked", "end_fsync_s", "end_fsyncs",
    ):  # fmt: skip
        assert f"{key} " in medians, key
    # The end's wall is its CPU, its wait for a CPU and its time blocked, none negative; the
    # command's own fsyncs in it (its manifests and reports) are counted.
    figures = dict(part.rsplit(" ", 1) for part in medians.strip().split(": ", 1)[1].split(", "))
    assert float(figures["end_runq"]) >= 0 and float(figures["end_blocked"]) >= 0
    assert float(figures["end_fsyncs"]) >= 4
    assert list(work.iterdir()) == []  # the copies, reports and marks all deleted
    assert sorted(p.name for p in (card / "DCIM").iterdir())[0] == "C0000.MP4"
