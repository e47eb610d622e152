"""``Spawner.run`` counts the memory of a command's processes alive together (the report
worker beside ``offload copy``), not only the largest one's (``bench/system.py``)."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import pytest

from offload.bench.system import GNU_TIME, Spawner

MIB = 64  # each of the two processes holds this much at once

# The parent starts a child; each fills MIB MiB (touched: resident), then the parent waits
# until the child holds its share and both hold theirs for ~0.6 s.
_TWO_PROCESSES = textwrap.dedent(
    f"""
    import subprocess, sys, time
    held = b"x" * ({MIB} << 20)
    child = subprocess.Popen([sys.executable, "-c",
        "import sys, time; held = b'y' * ({MIB} << 20); print('ok', flush=True); time.sleep(0.6)"],
        stdout=subprocess.PIPE)
    child.stdout.readline()
    time.sleep(0.3)
    child.wait()
    """
)


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="reads /proc (Linux)")
@pytest.mark.parametrize(
    "gnu_time",
    [
        False,
        pytest.param(
            True,
            marks=pytest.mark.skipif(not os.access(GNU_TIME, os.X_OK), reason="no GNU time"),
        ),
    ],
)
def test_peak_counts_processes_alive_together(tmp_path: Path, gnu_time: bool) -> None:
    spawner = Spawner(tmp_path, use_gnu_time=gnu_time)
    spawner.run([sys.executable, "-c", _TWO_PROCESSES])
    # Either process alone holds MIB MiB and its interpreter (~10 MiB): the largest one's
    # high-water mark is below 2 * MIB; the two together are above it.
    assert spawner.peak_rss_kib >= 2 * MIB * 1024


def test_a_single_process_keeps_its_own_high_water_mark(tmp_path: Path) -> None:
    # A spike between two readings of the tree is kept by ru_maxrss / %M all the same.
    spawner = Spawner(tmp_path)
    spawner.run([sys.executable, "-c", f"held = b'x' * ({MIB} << 20); del held"])
    assert spawner.peak_rss_kib >= MIB * 1024
