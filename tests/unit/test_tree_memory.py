"""bench/tree_memory.py: a command whose forked child shares its parent's pages is counted
once by the summed proportional sets and twice by the summed resident sets (as ``offload
bench`` counts its peak); a failing command's exit code is passed on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "tree_memory.py"
MIB = 64
# The parent touches MIB MiB, forks, and its child holds those pages, shared, for a second.
SHARED = f"""
import os, time
held = bytearray({MIB} << 20)
for at in range(0, len(held), 4096):
    held[at] = 1
child = os.fork()
if child == 0:
    time.sleep(1.0)
    os._exit(0)
os.waitpid(child, 0)
"""


def _peaks(*command: str) -> tuple[int, dict[str, float]]:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--", *command], capture_output=True, text=True, timeout=60
    )
    return done.returncode, json.loads(done.stdout.splitlines()[0])


def test_a_forked_child_s_shared_pages_count_once_proportionally_twice_resident() -> None:
    code, peaks = _peaks(sys.executable, "-c", SHARED)
    assert code == 0 and peaks["exit_code"] == 0
    assert peaks["peak_rss_sum_mib"] >= 2 * MIB
    assert peaks["peak_pss_sum_mib"] >= MIB
    assert peaks["peak_pss_sum_mib"] <= peaks["peak_rss_sum_mib"] - MIB / 2


def test_a_failing_command_s_exit_code_is_reported() -> None:
    code, peaks = _peaks(sys.executable, "-c", "raise SystemExit(3)")
    assert code == 1 and peaks["exit_code"] == 3
