"""Memory stays bounded whatever the file size: the chunk pool is the bound."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# chunk pool 6 × 8 MiB + small buffers 48 MiB + 4 read-back buffers (8 MiB) + the
# interpreter and its libraries (~40 MiB) is ~170 MiB; measured 105–108 MiB, once 269 MiB on a
# loaded machine (the C library's per-thread heaps may keep freed buffers for a while). The
# bound is for leaks: one chunk kept per chunk read would pass 768 MiB here.
RSS_BUDGET_BYTES = 400 * 1024 * 1024


def peak_rss_of(command: list[str], stderr_path: Path) -> tuple[int, int]:
    with open(stderr_path, "wb") as stderr:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
        _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return process.returncode, usage.ru_maxrss * 1024


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_peak_rss_of_a_large_copy_to_four_destinations(tmp_path: Path) -> None:
    size = 768 * 1024 * 1024  # ~100 times the chunk pool: a leak per chunk would show
    source = tmp_path / "big.mov"
    with open(source, "wb") as handle:  # sparse: reading it costs no disk time
        handle.truncate(size)
    dests = [tmp_path / f"d{i}" for i in range(4)]
    for dest in dests:
        dest.mkdir()
    exe = str(Path(sys.executable).with_name("pfndispatchcopy"))
    log = tmp_path / "stderr.txt"
    code, rss = peak_rss_of([exe, "--verify", "destination", str(source), *map(str, dests)], log)
    assert code == 0, log.read_text()
    print(f"peak RSS {rss / 2**20:.0f} MiB")
    assert rss < RSS_BUDGET_BYTES, f"peak RSS {rss / 2**20:.0f} MiB"
    for dest in dests:
        assert (dest / "big.mov").stat().st_size == size
        (dest / "big.mov").unlink()  # 3 GiB: do not leave it for pytest's retention


_PER_FILE_PROBE = """
import gc, sys, tracemalloc
from pathlib import Path
from offload.engine.job import CopyJob
from offload.engine.messages import FileTask
from offload.options import CopyOptions, VerifyMode
from support.cards import write_source_files

def peak(root: Path, count: int) -> int:
    files = write_source_files(root, {f"DCIM/{n:05d}.JPG": 100 for n in range(count)})
    dest = root / "dest"
    dest.mkdir()
    job = CopyJob(
        [FileTask(f, (dest / f.relative_path,)) for f in files],
        [dest],
        CopyOptions(verify=VerifyMode.TRANSFER),
    )
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    assert job.run().exit_code == 0
    grown = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()
    return grown

small, large = peak(Path(sys.argv[1]), 500), peak(Path(sys.argv[2]), 1500)
print((large - small) / 1000)
"""


def test_per_file_state_of_a_job_stays_small(tmp_path: Path) -> None:
    """What the engine keeps per file (tickets, results, verdicts) while a job runs.

    A card of 50,000 small files must not cost hundreds of MB: a ``Future`` per file (a
    Condition, its lock and deque) and an instance ``__dict__`` per result once made this
    ~2.9 KB a file at the peak; it is ~1.2 KB now (the result of each file and destination,
    kept for the reports, is most of it). Traced Python allocations at the job's peak, in a
    fresh interpreter (threads of other tests allocate too) and as the slope between 500 and
    1,500 files (what a job costs once, such as first imports, cancels out); the chunk pool
    (mmap) is not counted, so the number does not depend on the machine's load.
    """
    per_file = _probe_per_file(_PER_FILE_PROBE, tmp_path)
    print(f"{per_file:.0f} B a file at the peak")
    assert per_file < 2_200, f"{per_file:.0f} B a file"


_PLAN_PROBE = """
import gc, sys, tracemalloc
from pathlib import Path
from offload.card import OffloadOptions, plan_offload
from offload.options import CopyOptions, VerifyMode
from support.cards import write_source_files

def held(root: Path, count: int) -> int:
    write_source_files(root, {f"DCIM/{n // 500:03d}MEDIA/C{n:05d}.MP4": 10 for n in range(count)})
    dest = root / "dest"
    dest.mkdir()
    options = OffloadOptions(copy=CopyOptions(verify=VerifyMode.TRANSFER))
    plan_offload(root / "card", [dest], options)  # first imports and caches, not counted
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    plan = plan_offload(root / "card", [dest], options)
    gc.collect()
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert len(plan.tasks) == count
    return grown

small, large = held(Path(sys.argv[1]), 500), held(Path(sys.argv[2]), 1500)
print((large - small) / 1000)
"""


def _probe_per_file(script: str, tmp_path: Path) -> float:
    """Run *script* (a per-file probe above) on two fresh folders; its bytes a file."""
    roots = [tmp_path / "a", tmp_path / "b"]
    for root in roots:
        root.mkdir()
    tests = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, "-c", script, *map(str, roots)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(tests), *sys.path])},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return float(result.stdout.split()[-1])


def test_per_file_state_of_a_plan_stays_small(tmp_path: Path) -> None:
    """What an offload's plan keeps per file for the whole job (the scan's SourceFile, the
    task and its targets), as the slope of traced Python allocations between 500 and 1,500
    files held by the plan. A ``Path`` for each source and each target, and a task copied
    by the existing-copies step, made this ~1.1 KB a file on a one-destination card; it is
    ~0.6 KB now (the path strings, the sizes and times, the task and its tuple)."""
    per_file = _probe_per_file(_PLAN_PROBE, tmp_path)
    print(f"{per_file:.0f} B a file held by the plan")
    assert per_file < 800, f"{per_file:.0f} B a file"


_CLIPS_PROBE = """
import gc, sys, tracemalloc
from offload.report.clips import group_clips

def peak(count: int) -> int:
    files = [
        {"path": f"DCIM/{n // 1000:03d}MEDIA/C{n:05d}.MP4", "size_bytes": 1000}
        for n in range(count)
    ]
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    clips = group_clips(files)
    grown = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()
    assert len(clips) == count
    return grown

small, large = peak(2000), peak(6000)
print((large - small) / 4000)
"""


def test_grouping_a_card_of_clips_stays_small(tmp_path: Path) -> None:
    """The HTML/PDF reports group every file of a card into clips (``group_clips``): on a
    card of 50,000 clips its peak was the offload's (+41 MiB over the results, ~1.3 KB a
    clip: a list a clip in the grouping dict, a second copy of it, two empty lists a clip
    and two sidecar indexes alive at once). It is ~0.5 KB a clip now. Traced Python
    allocations at the grouping's peak, as the slope between 2,000 and 6,000 clips."""
    per_clip = _probe_per_file(_CLIPS_PROBE, tmp_path)
    print(f"{per_clip:.0f} B a clip at the peak")
    assert per_clip < 800, f"{per_clip:.0f} B a clip"


_MANIFEST_PROBE = """
import gc, sys, tracemalloc
from pathlib import Path
import offload.manifest.atomic
import offload.manifests_writer as writer
from offload.card import OffloadOptions, plan_offload, run_offload
from offload.options import CopyOptions, VerifyMode
from support.cards import write_source_files

written = writer.write_manifests
grown = []

def measured(*args, **kwargs):
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    try:
        return written(*args, **kwargs)
    finally:
        grown.append(tracemalloc.get_traced_memory()[1] - before)

writer.write_manifests = measured  # the card layer imports it when it writes them
# The manifest's text is written a MiB at a time: a bound of its own, which would pass for
# a cost a file on cards this small.
offload.manifest.atomic._FLUSH_CHARS = 4096

def peak(root: Path, count: int) -> int:
    write_source_files(root, {f"DCIM/{n // 500:03d}MEDIA/C{n:05d}.MP4": 10 for n in range(count)})
    dest = root / "dest"
    dest.mkdir()
    options = OffloadOptions(copy=CopyOptions(verify=VerifyMode.TRANSFER))
    plan = plan_offload(root / "card", [dest], options)
    tracemalloc.start()
    assert run_offload(plan).exit_code == 0
    tracemalloc.stop()
    return grown.pop()

small, large = peak(Path(sys.argv[1]), 500), peak(Path(sys.argv[2]), 1500)
print((large - small) / 1000)
"""


def test_manifests_of_an_offload_stay_small(tmp_path: Path) -> None:
    """Writing an offload's ASC MHL manifest holds something for every file (its entry,
    its share of the folder hashes, its path in the duplicate check) until the last folder
    hash is known. A ``ManifestFile`` and a ``datetime`` a file made by the card layer and
    held in a tuple, and an entry with an instance dict and a list of tuples a file in the
    writer, made that ~510 B a file here (~25 MB over the results on 50,000 files); the
    entries are now slotted, and the records are made once, at their first read, and kept
    while the manifests are written (the names check, the generation and the stamp read
    them; building them three times cost ~65 ms of CPU on 50,000 files): ~410 B, of which
    the kept records ~100 B. Traced Python allocations at the manifest step's peak, as the
    slope between 500 and 1,500 files."""
    per_file = _probe_per_file(_MANIFEST_PROBE, tmp_path)
    print(f"{per_file:.0f} B a file at the manifests' peak")
    assert per_file < 450, f"{per_file:.0f} B a file"
