"""The mount table kept a second at most in the plan, fresh everywhere else
(``fs/mount_table.py``).

A real table file of the test's own stands for ``/proc/self/mountinfo`` (the readers take
its path), changed between two readings; a real plan and run count their reads of the
real table in a process of their own (an audit hook and a profiler, which cannot be
removed, are never added to the test runner's). A drive mounted during a plan's long read:
tests/faults/test_plan_mount_table_age.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from offload.fs import mount_table
from offload.plan.filesystem import parse_mountinfo

_LINE = "36 35 98:0 / {point} rw,noatime master:1 - ext4 /dev/sda1 rw\n"


def _table(path: Path, *points: str) -> None:
    path.write_text("".join(_LINE.format(point=p) for p in points))


def _points(path: Path) -> list[str]:
    return [m.mount_point for m in mount_table.parsed(path, parse_mountinfo)]


def test_held_a_reading_is_kept_outside_each_is_fresh(tmp_path: Path) -> None:
    table = tmp_path / "mountinfo"
    _table(table, "/", "/media/CARD")
    with mount_table.held(max_age_s=3600.0):  # (no reading here is that old)
        assert _points(table) == ["/", "/media/CARD"]
        _table(table, "/")  # the card pulled during the hold, within the kept table's age
        assert _points(table) == ["/", "/media/CARD"]
        assert mount_table.read_lines(table)[-1].split()[4] == "/media/CARD"
        with mount_table.held():  # nested: the outer hold's reading
            assert _points(table) == ["/", "/media/CARD"]
        assert _points(table) == ["/", "/media/CARD"], "the inner hold's end ends nothing"
    # After the hold: every reading is of the table as it is now.
    assert _points(table) == ["/"]
    _table(table, "/", "/media/SHUTTLE")
    assert _points(table) == ["/", "/media/SHUTTLE"]
    assert mount_table.read_lines(table)[-1].split()[4] == "/media/SHUTTLE"


def test_a_kept_table_older_than_its_age_is_read_anew(tmp_path: Path) -> None:
    """Inside a hold, a reading after a long step (the plan's whole read of a copy) gets the
    table as it is then, parsed anew, and keeps that one in its turn."""
    table = tmp_path / "mountinfo"
    _table(table, "/")
    with mount_table.held(max_age_s=0.05):
        assert _points(table) == ["/"]
        _table(table, "/", "/media/SHUTTLE")  # a drive mounted during the long step
        read_at = time.monotonic()
        while time.monotonic() - read_at <= 0.1:
            time.sleep(0.02)
        assert _points(table) == ["/", "/media/SHUTTLE"]
        assert mount_table.read_lines(table)[-1].split()[4] == "/media/SHUTTLE"
    with mount_table.held():
        assert mount_table.MAX_AGE_S <= 1.0, "the plan's default: a second at most"


def test_a_hold_is_its_threads_alone_and_keeps_no_failed_read(tmp_path: Path) -> None:
    table = tmp_path / "mountinfo"
    seen: list[list[str]] = []
    with mount_table.held():
        with pytest.raises(OSError):
            mount_table.read_bytes(table)  # not there yet: nothing kept
        _table(table, "/", "/media/CARD")
        assert _points(table) == ["/", "/media/CARD"]
        _table(table, "/")
        other = threading.Thread(target=lambda: seen.append(_points(table)))
        other.start()
        other.join()
        # Each list is the caller's own: changing it changes no later reading.
        _points(table).clear()
        assert _points(table) == ["/", "/media/CARD"]
    assert seen == [["/"]], "another thread (the committer, the job) reads the table now"


_COUNT = textwrap.dedent(
    """
    import json, sys, threading, time
    from pathlib import Path
    from offload.fs import mount_table
    opens = threading.local()
    def hook(event, args):
        if event == "open" and args and str(args[0]) == "/proc/self/mountinfo":
            opens.n = getattr(opens, "n", 0) + 1
            reads.append(1)
    reads = []
    sys.addaudithook(hook)
    # Each call of the table's readers in the run, and whether it opened the table (on its
    # own thread): a reading answered from a kept table opens nothing.
    readers = {mount_table.read_bytes.__code__, mount_table.parsed.__code__}
    calls, kept = [], []
    def profile(frame, event, arg):
        if frame.f_code not in readers:
            return
        stack = opens.__dict__.setdefault("stack", [])
        if event == "call":
            stack.append(getattr(opens, "n", 0))
        elif event == "return" and stack:
            calls.append(1)
            if getattr(opens, "n", 0) == stack.pop():
                kept.append(frame.f_code.co_name)
    from offload.card import plan_offload, run_offload
    root = Path(sys.argv[1])
    started = time.monotonic()
    plan = plan_offload(root / "CARD", [root / "d1", root / "d2"])
    elapsed = time.monotonic() - started
    planned = len(reads)
    threading.setprofile(profile)
    sys.setprofile(profile)
    report = run_offload(plan)
    sys.setprofile(None)
    threading.setprofile(None)
    print(json.dumps({"plan": planned, "plan_s": elapsed, "max_age_s": mount_table.MAX_AGE_S,
                      "run": len(reads) - planned, "run_readings": len(calls), "kept": kept,
                      "ok": all(d.status.value == "verified" for f in report.job.files
                                for d in f.destinations)}))
    """
)


@pytest.mark.skipif(not os.path.exists("/proc/self/mountinfo"), reason="Linux mount table")
def test_a_plan_keeps_the_mount_table_a_second_and_the_run_after_it_reads_it_fresh(
    tmp_path: Path,
) -> None:
    card = tmp_path / "CARD" / "CLIP"
    card.mkdir(parents=True)
    for n in range(3):
        (card / f"A001C00{n}.mov").write_bytes(os.urandom(1000 + n))
    (tmp_path / "d1").mkdir()
    (tmp_path / "d2").mkdir()
    done = subprocess.run(
        [sys.executable, "-c", _COUNT, str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=240,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    counts = json.loads(done.stdout.splitlines()[-1])
    assert counts["ok"], counts
    # Before the hold the plan read it a dozen times (the preflight's eight, the card's
    # identity, the grouping by disk twice, the source's volume); now once, and once more
    # for each MAX_AGE_S the plan lasted at most (a loaded machine: never a dozen).
    assert 1 <= counts["plan"] <= 1 + int(counts["plan_s"] / counts["max_age_s"]), counts
    # The run after the plan reads it again (the job's, the renames' re-check...), and
    # every one of its readings opens the table: none is answered from a kept one.
    assert counts["run_readings"] >= 2, counts
    assert counts["kept"] == [], counts
    assert counts["run"] >= counts["run_readings"], counts
