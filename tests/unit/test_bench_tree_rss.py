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


#: The tree's readings are of /proc (Linux).
_READS_PROC = pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="reads /proc (Linux)")
#: Measured by the spawner itself, and under GNU time where there is one.
_BY_ITSELF_AND_UNDER_GNU_TIME = pytest.mark.parametrize(
    "gnu_time",
    [
        False,
        pytest.param(
            True,
            marks=pytest.mark.skipif(not os.access(GNU_TIME, os.X_OK), reason="no GNU time"),
        ),
    ],
)


@_READS_PROC
@_BY_ITSELF_AND_UNDER_GNU_TIME
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


# The command starts a child in a session of its own that outlives it (as offload copy's
# report worker does once it has answered), then exits at once; the child burns CPU, writes
# the CPU it used (its own clock, a lower bound of its rusage) to a file, and exits.
_ORPHAN = textwrap.dedent(
    """
    import subprocess, sys
    subprocess.Popen([sys.executable, "-c", '''
    import os, sys, time
    end = time.process_time() + 0.4
    while time.process_time() < end:
        pass
    with open(sys.argv[1] + ".tmp", "w") as out:
        out.write(repr(time.process_time()))
    os.replace(sys.argv[1] + ".tmp", sys.argv[1])
    ''', sys.argv[1]], start_new_session=True)
    """
)


@_READS_PROC
@_BY_ITSELF_AND_UNDER_GNU_TIME
def test_cpu_counts_a_descendant_that_outlives_its_command(tmp_path: Path, gnu_time: bool) -> None:
    said = tmp_path / "child-cpu"
    # The command must still be running when the tree is first read: it waits for the child
    # to be listed, as offload copy lives on while its worker draws.
    command = _ORPHAN + "import time; time.sleep(0.3)\n"
    spawner = Spawner(tmp_path / "scratch", use_gnu_time=gnu_time)
    spawner.run([sys.executable, "-c", command, str(said)])
    spawner.reap_descendants()
    assert said.exists(), "the child was waited for until it ended"
    child_cpu = float(said.read_text())
    assert spawner.descendants_reaped == 1
    assert spawner.cpu_s >= child_cpu
    assert spawner.descendants_cpu_s >= child_cpu


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="reads /proc (Linux)")
def test_orphans_the_tree_never_saw_are_reaped_not_left_as_zombies(tmp_path: Path) -> None:
    """A command whose subshell backgrounds a process and exits at once, the command right
    after: the process is reparented to the runner before any reading of the tree could see
    it below the command. Failed before: ``descendants_reaped`` 0 of 5, the five left as
    zombie children of the runner, their CPU uncounted."""
    from offload.bench.system import _children

    had = set(_children(os.getpid()))
    spawner = Spawner(tmp_path / "scratch", use_gnu_time=False)
    loop = "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done"
    for _ in range(5):
        spawner.run(["sh", "-c", f"(sh -c '{loop}' &); exit 0"])
    spawner.reap_descendants()
    assert spawner.descendants_reaped == 5, spawner.descendants_reaped
    assert spawner.descendants_cpu_s > 0
    assert spawner.unreaped == []
    assert set(_children(os.getpid())) - had == set(), "no zombie left below the runner"
