"""The mount table read once for the plan, fresh everywhere else (``fs/mount_table.py``).

A real table file of the test's own stands for ``/proc/self/mountinfo`` (the readers take
its path), changed between two readings; a real plan and run count their reads of the
real table in a process of their own (an audit hook, which cannot be removed, is never
added to the test runner's)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from offload.fs import mount_table
from offload.plan.filesystem import parse_mountinfo

_LINE = "36 35 98:0 / {point} rw,noatime master:1 - ext4 /dev/sda1 rw\n"


def _table(path: Path, *points: str) -> None:
    path.write_text("".join(_LINE.format(point=p) for p in points))


def _points(path: Path) -> list[str]:
    return [m.mount_point for m in mount_table.parsed(path, parse_mountinfo)]


def test_held_the_first_reading_is_kept_outside_each_is_fresh(tmp_path: Path) -> None:
    table = tmp_path / "mountinfo"
    _table(table, "/", "/media/CARD")
    with mount_table.held():
        assert _points(table) == ["/", "/media/CARD"]
        _table(table, "/")  # the card pulled during the hold: the plan's one instant
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
    import json, sys
    from pathlib import Path
    reads = []
    def hook(event, args):
        if event == "open" and args and str(args[0]) == "/proc/self/mountinfo":
            reads.append(1)
    sys.addaudithook(hook)
    from offload.card import plan_offload, run_offload
    root = Path(sys.argv[1])
    plan = plan_offload(root / "CARD", [root / "d1", root / "d2"])
    planned = len(reads)
    report = run_offload(plan)
    print(json.dumps({"plan": planned, "run": len(reads) - planned,
                      "ok": all(d.status.value == "verified" for f in report.job.files
                                for d in f.destinations)}))
    """
)


@pytest.mark.skipif(not os.path.exists("/proc/self/mountinfo"), reason="Linux mount table")
def test_a_plan_reads_the_mount_table_once_and_the_run_after_it_reads_it_fresh(
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
        timeout=120,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    counts = json.loads(done.stdout.splitlines()[-1])
    assert counts["ok"], counts
    # Before the hold the plan read it a dozen times (the preflight's eight, the card's
    # identity, the grouping by disk twice, the source's volume).
    assert counts["plan"] == 1, counts
    # The run after the plan reads it again (the job's, the renames' re-check...): fresh.
    assert counts["run"] >= 2, counts
