"""The engine end to end on real files in temporary folders."""

from __future__ import annotations

import datetime
import os
import re
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from offload.api import copy_with_multiple_destinations, copy_with_multiple_destinations_parallel
from offload.engine.cancel import CancelToken
from offload.engine.job import CopyJob
from offload.engine.messages import FileTask
from offload.engine.partial import PARTIAL_PREFIX
from offload.errors import ExitCode, UsageError
from offload.events import Event, FileFailed, FileStarted, SourceBytesRead
from offload.hashing import new_hasher
from offload.model import SourceFile
from offload.options import CopyOptions, ExistingFilePolicy, VerifyMode
from offload.results import CacheBypass, DestinationFileResult, DestinationStatus
from support.cards import write_source_files
from support.requirements import require_tool


def make_file(path: Path, size: int, seed: int = 1) -> Path:
    path.write_bytes(
        os.urandom(size) if seed < 0 else bytes((i * 31 + seed) % 256 for i in range(size))
    )
    return path


def dest_dirs(tmp_path: Path, count: int) -> list[Path]:
    dirs = [tmp_path / f"dest{i}" for i in range(count)]
    for d in dirs:
        d.mkdir()
    return dirs


def assert_no_partials(*folders: Path) -> None:
    for folder in folders:
        for _root, _dirs, files in os.walk(folder):
            assert not [f for f in files if f.startswith(PARTIAL_PREFIX)], files


def digest_of(path: Path, name: str = "xxh64") -> str:
    hasher = new_hasher(name)
    hasher.update(path.read_bytes())
    return hasher.hexdigest()


@pytest.mark.parametrize("mode", list(VerifyMode))
def test_three_destinations_all_modes(tmp_path: Path, mode: VerifyMode) -> None:
    source = make_file(tmp_path / "A001C001.mov", 5 * 1024 * 1024 + 123, seed=-1)
    os.utime(source, ns=(1_600_000_000_123_456_789, 1_600_000_000_123_456_789))
    dests = dest_dirs(tmp_path, 3)
    report = copy_with_multiple_destinations(
        source,
        dests,
        options=CopyOptions(verify=mode, algorithms=("xxh64", "md5"), chunk_size=1024 * 1024),
    )
    assert report.exit_code is ExitCode.OK
    file = report.files[0]
    expected = digest_of(source)
    assert file.inflight_digests == {"xxh64": expected, "md5": digest_of(source, "md5")}
    want = (
        DestinationStatus.TRANSFER_CHECKED
        if mode is VerifyMode.TRANSFER
        else DestinationStatus.VERIFIED
    )
    for index, dest in enumerate(dests):
        copy = dest / source.name
        assert copy.read_bytes() == source.read_bytes()
        assert copy.stat().st_mtime_ns == source.stat().st_mtime_ns
        result = file.destination(index)
        assert result is not None and result.status is want
        # Transfer mode reads nothing back: no read-back digest is claimed.
        assert result.digests == ({} if mode is VerifyMode.TRANSFER else {"xxh64": expected})
        if mode is not VerifyMode.TRANSFER:
            assert result.cache_bypass in (CacheBypass.O_DIRECT, CacheBypass.FADVISE)
    if mode is VerifyMode.FULL:
        assert file.source_reread_digests == {"xxh64": expected}
    else:
        assert file.source_reread_digests == {}
    assert_no_partials(*dests)
    assert report.speed_mb_sec > 0


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    size=st.sampled_from([0, 1, 4095, 4096, 4097, 65535, 65536, 65537, 3 * 65536 + 5])
    | st.integers(0, 300_000)
)
def test_sizes_around_chunk_boundaries(tmp_path_factory: pytest.TempPathFactory, size: int) -> None:
    root = tmp_path_factory.mktemp("sizes")
    source = make_file(root / "clip.bin", size, seed=size % 200)
    dests = dest_dirs(root, 2)
    report = copy_with_multiple_destinations(
        source, dests, options=CopyOptions(chunk_size=65536, algorithms=("xxh64", "sha1"))
    )
    assert report.exit_code is ExitCode.OK
    file = report.files[0]
    assert file.inflight_digests["xxh64"] == digest_of(source)
    for dest in dests:
        assert (dest / "clip.bin").read_bytes() == source.read_bytes()
        assert [d.digests["xxh64"] for d in file.destinations] == [digest_of(source)] * 2


def test_slow_only_hash_is_verified_with_fast_internal_hash(tmp_path: Path) -> None:
    source = make_file(tmp_path / "clip.bin", 100_000)
    (dest,) = dest_dirs(tmp_path, 1)
    report = copy_with_multiple_destinations(
        source, [dest], options=CopyOptions(algorithms=("md5",))
    )
    file = report.files[0]
    assert set(file.inflight_digests) == {"md5"}
    assert file.destinations[0].digests == {"xxh128": digest_of(source, "xxh128")}


def test_existing_destination_file_is_never_overwritten(tmp_path: Path) -> None:
    source = make_file(tmp_path / "clip.bin", 10_000)
    dests = dest_dirs(tmp_path, 2)
    (dests[1] / "clip.bin").write_bytes(b"precious")
    with pytest.raises(UsageError, match="already exists"):
        copy_with_multiple_destinations(source, dests)
    assert (dests[1] / "clip.bin").read_bytes() == b"precious"
    assert not (dests[0] / "clip.bin").exists()  # nothing written anywhere
    report = copy_with_multiple_destinations(
        source, dests, options=CopyOptions(existing=ExistingFilePolicy.OVERWRITE)
    )
    assert report.exit_code is ExitCode.OK
    assert (dests[1] / "clip.bin").read_bytes() == source.read_bytes()


def test_keep_both(tmp_path: Path) -> None:
    source = make_file(tmp_path / "clip.mov", 1000)
    (dest,) = dest_dirs(tmp_path, 1)
    (dest / "clip.mov").write_bytes(b"old")
    report = copy_with_multiple_destinations(
        source, [dest], options=CopyOptions(existing=ExistingFilePolicy.KEEP_BOTH)
    )
    assert report.exit_code is ExitCode.OK
    assert (dest / "clip.mov").read_bytes() == b"old"
    assert (dest / "clip (1).mov").read_bytes() == source.read_bytes()
    assert report.files[0].destinations[0].final_path == str(dest / "clip (1).mov")


def test_source_changed_while_read_fails_everywhere(tmp_path: Path) -> None:
    source = make_file(tmp_path / "growing.mov", 4 * 65536)
    dests = dest_dirs(tmp_path, 3)
    fired = threading.Event()

    class Appender:
        def emit(self, event: Event) -> None:
            if isinstance(event, SourceBytesRead) and not fired.is_set():
                fired.set()
                with open(source, "ab") as handle:  # a camera still writing the clip
                    handle.write(b"more footage")

    report = copy_with_multiple_destinations(
        source, dests, options=CopyOptions(chunk_size=65536), sink=Appender()
    )
    assert fired.is_set()
    assert report.exit_code is ExitCode.FAILED
    assert "changed while it was read" in (report.files[0].source_error or "")
    assert [d.status for d in report.files[0].destinations] == [DestinationStatus.FAILED] * 3
    for dest in dests:
        assert os.listdir(dest) == []


def test_a_source_rewritten_at_its_size_while_read_is_named_a_time_change(
    tmp_path: Path,
) -> None:
    """A clip rewritten in place while it is read (same size, new modification time) fails
    as changed, and the words say what changed: its modification time, not its size."""
    source = make_file(tmp_path / "rewritten.mov", 4 * 65536)
    os.utime(source, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    (dest,) = dest_dirs(tmp_path, 1)
    fired = threading.Event()

    class Rewriter:
        def emit(self, event: Event) -> None:
            if isinstance(event, SourceBytesRead) and not fired.is_set():
                fired.set()
                with open(source, "r+b") as handle:  # the same size, written again
                    handle.write(b"new footage")

    report = copy_with_multiple_destinations(
        source, [dest], options=CopyOptions(chunk_size=65536), sink=Rewriter()
    )
    assert fired.is_set() and report.exit_code is ExitCode.FAILED
    error = report.files[0].source_error or ""
    now = _utc(source.stat().st_mtime_ns)
    expected = f"(modification time 2020-09-13T12:26:40.000000000Z → {now}); it was not copied"
    assert error.endswith(f"changed while it was read {expected}"), error


def test_a_source_rewritten_at_its_size_after_the_scan_is_named_a_time_change(
    tmp_path: Path,
) -> None:
    """A clip written again at the same size between the scan and its read: the words name
    the modification time that changed, never a size change of 1000 → 1000."""
    (scanned,) = write_source_files(tmp_path, {"A001.mov": 1000})
    os.utime(scanned.path, ns=(1_600_000_000_000_000_000, 1_600_000_000_500_000_000))
    (dest,) = dest_dirs(tmp_path, 1)
    task = FileTask(scanned, (str(dest / "A001.mov"),))
    report = CopyJob([task], [dest], CopyOptions()).run()
    assert report.exit_code is ExitCode.FAILED
    error = report.files[0].source_error or ""
    expected = f"{_utc(scanned.mtime_ns)} → 2020-09-13T12:26:40.500000000Z); re-run the offload"
    assert error.endswith(f"changed since it was scanned (modification time {expected}"), error


def _utc(mtime_ns: int) -> str:
    seconds, nanos = divmod(mtime_ns, 1_000_000_000)
    moment = datetime.datetime.fromtimestamp(seconds, datetime.UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{nanos:09d}Z"


def test_cancel_removes_partials(tmp_path: Path) -> None:
    source = make_file(tmp_path / "big.bin", 8 * 1024 * 1024)
    dests = dest_dirs(tmp_path, 2)
    cancel = CancelToken()
    # Threads other tests left in this process (servers, proxies) are not this job's.
    before = set(threading.enumerate())

    class CancelAfterFirstChunk:
        def emit(self, event: Event) -> None:
            if isinstance(event, SourceBytesRead):
                cancel.cancel()

    report = copy_with_multiple_destinations(
        source,
        dests,
        options=CopyOptions(chunk_size=65536),
        sink=CancelAfterFirstChunk(),
        cancel=cancel,
    )
    assert report.cancelled and report.exit_code is ExitCode.CANCELLED
    statuses = [d.status for d in report.files[0].destinations]
    assert statuses == [DestinationStatus.CANCELLED] * 2  # the report is complete
    for dest in dests:
        assert os.listdir(dest) == []
    assert set(threading.enumerate()) <= before  # every thread of the job was joined


@pytest.mark.parametrize(
    ("preset_at", "unneeded"), [(0, None), (1, None), (2, None), (0, 2), (2, 0)]
)
def test_a_cancelled_job_gives_a_file_with_a_preset_a_result_where_it_was_meant_to_go(
    tmp_path: Path, preset_at: int, unneeded: int | None
) -> None:
    """One file verified earlier on one destination (its preset), to copy to the others but
    *unneeded* (no target, no preset: not this job's), the job cancelled before it starts:
    a result on each destination it was meant for, in their order, the preset kept and the
    others cancelled (exit 130), none where it was not meant to go. The job's end adds the
    missing results only where a file has fewer results than it was meant for (one at most
    a destination); a count of its targets alone would leave the copy to make with no word.
    """
    source = make_file(tmp_path / "clip.bin", 300_000)
    st = source.stat()
    file = SourceFile(source, source.name, st.st_size, st.st_mtime_ns)
    dests = dest_dirs(tmp_path, 3)
    targets = tuple(
        None if i in (preset_at, unneeded) else d / source.name for i, d in enumerate(dests)
    )
    preset = DestinationFileResult(
        preset_at, str(dests[preset_at] / source.name), DestinationStatus.VERIFIED_EARLIER
    )
    cancel = CancelToken()
    cancel.cancel()
    task = FileTask(file, targets, (preset,))
    report = CopyJob([task], dests, CopyOptions(), cancel=cancel).run()
    assert report.exit_code is ExitCode.CANCELLED
    assert [(d.destination_index, d.status) for d in report.files[0].destinations] == [
        (i, DestinationStatus.VERIFIED_EARLIER if i == preset_at else DestinationStatus.CANCELLED)
        for i in range(3)
        if i != unneeded
    ]
    for i, dest in enumerate(dests):
        assert os.listdir(dest) == [], i


def test_sequential_path_matches_parallel(tmp_path: Path) -> None:
    source = make_file(tmp_path / "clip.bin", 300_000)
    dests = dest_dirs(tmp_path, 3)
    report = copy_with_multiple_destinations(source, dests, parallel=False)
    assert report.exit_code is ExitCode.OK
    assert [d.destination_index for d in report.files[0].destinations] == [0, 1, 2]
    second = dest_dirs(tmp_path / "p", 3) if (tmp_path / "p").mkdir() is None else []
    parallel = copy_with_multiple_destinations_parallel(source, second, 1 << 20)
    assert parallel.exit_code is ExitCode.OK and parallel.speed_mb_sec > 0


def test_copies_match_xxhsum(tmp_path: Path) -> None:
    xxhsum = require_tool("xxhsum")
    source = make_file(tmp_path / "clip.bin", 2_000_000, seed=-1)
    dests = dest_dirs(tmp_path, 3)
    report = copy_with_multiple_destinations(source, dests)
    out = subprocess.run(
        [xxhsum, "-H1", str(source), *(str(d / "clip.bin") for d in dests)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert {out[i] for i in range(0, len(out), 2)} == {report.files[0].inflight_digests["xxh64"]}


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing_source", "does not exist"),
        ("source_dir", "is a folder"),
        ("dest_is_source", "is the source file itself"),
        ("dest_symlink_to_source", "is the source file itself"),
        ("dest_hardlink_to_source", "is the source file itself"),
        ("duplicate_dest", "is the same file as"),
        ("duplicate_via_symlink_dir", "is the same file as"),
        ("missing_folder", "does not exist; create it"),
        ("no_dest", "no destination"),
    ],
)
def test_bad_input_writes_nothing(tmp_path: Path, setup: str, message: str) -> None:
    source = make_file(tmp_path / "clip.bin", 1000)
    dests = dest_dirs(tmp_path, 2)
    args: list[Path] = [dests[0] / "clip.bin", dests[1] / "clip.bin"]
    src: Path = source
    if setup == "missing_source":
        src = tmp_path / "nope.bin"
    elif setup == "source_dir":
        src = dests[0]
    elif setup == "dest_is_source":
        args = [source]
    elif setup == "dest_symlink_to_source":
        (dests[1] / "link.bin").symlink_to(source)
        args = [dests[1] / "link.bin"]
    elif setup == "dest_hardlink_to_source":
        os.link(source, dests[1] / "hard.bin")
        args = [dests[1] / "hard.bin"]
    elif setup == "duplicate_dest":
        args = [dests[0], dests[0] / "clip.bin"]
    elif setup == "duplicate_via_symlink_dir":
        (tmp_path / "alias").symlink_to(dests[0])
        args = [dests[0], tmp_path / "alias"]
    elif setup == "missing_folder":
        args = [tmp_path / "nowhere" / "clip.bin"]
    elif setup == "no_dest":
        args = []
    before = {p: sorted(os.listdir(p)) for p in dests}
    with pytest.raises(UsageError, match=message):
        copy_with_multiple_destinations(src, args)
    assert {p: sorted(os.listdir(p)) for p in dests} == before
    assert source.read_bytes() == bytes((i * 31 + 1) % 256 for i in range(1000))


def test_expected_size_mismatch_is_refused(tmp_path: Path) -> None:
    source = make_file(tmp_path / "clip.bin", 1000)
    (dest,) = dest_dirs(tmp_path, 1)
    with pytest.raises(UsageError, match="-f_size"):
        copy_with_multiple_destinations(source, [dest], expected_size=999)
    assert os.listdir(dest) == []


def test_create_folders_when_asked(tmp_path: Path) -> None:
    source = make_file(tmp_path / "clip.bin", 1000)
    target = tmp_path / "new" / "deeper" / "clip.bin"
    report = copy_with_multiple_destinations(source, [target], create_folders=True)
    assert report.exit_code is ExitCode.OK and target.read_bytes() == source.read_bytes()


def test_batches_fit_a_low_open_file_limit(tmp_path: Path) -> None:
    """With the soft and hard limits at 256 descriptors, 600 small files to 3 destinations
    would need 3 × 3 × 256 open partials at default batch sizes: batches must shrink."""
    dests = [str(tmp_path / f"d{i}") for i in range(3)]
    script = f"""
import resource, sys
resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
from offload.card import offload
sys.exit(offload({str(tmp_path / "card")!r}, {dests!r}).exit_code)
"""
    card = tmp_path / "card"
    card.mkdir()
    for index in range(600):
        (card / f"f{index:04d}.bin").write_bytes(bytes([index % 256]) * 2000)
    for index in range(3):
        (tmp_path / f"d{index}").mkdir()
    import sys

    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    for index in range(3):
        assert len(list((tmp_path / f"d{index}" / "card").glob("*.bin"))) == 600


def test_duplicate_destinations_in_folders_still_to_create(tmp_path: Path) -> None:
    """Review finding: with --create-folders, the same new path named twice was copied
    "twice" into one file and reported verified twice."""
    source = make_file(tmp_path / "a.mov", 1000)
    new = tmp_path / "new"
    with pytest.raises(UsageError, match="is the same file as"):
        copy_with_multiple_destinations(
            source, [new / "a.mov", tmp_path / "new" / "." / "a.mov"], create_folders=True
        )
    assert not new.exists()


def test_one_file_is_planned_like_a_card(tmp_path: Path, exfat_loop: Any) -> None:
    """Issue 11: the single-file path goes through the card's planner and preflight, so it
    gets the card's checks too: a name the destination filesystem refuses is refused
    before anything is written (it was found only when the write failed), under the
    explicit target name, not the source's. That destination fails alone, as a name a
    destination refuses does (thirty-eighth pass: no longer the whole copy's UsageError)."""
    source = make_file(tmp_path / "clip.bin", 1000)
    exfat = exfat_loop(8 << 20).path
    refused = copy_with_multiple_destinations(source, [exfat / "take:2.bin"])
    (result,) = refused.files[0].destinations
    assert result.status is DestinationStatus.FAILED, result
    assert re.search(r"'take:2\.bin'.*exfat", result.error or ""), result.error
    assert refused.exit_code is not ExitCode.OK
    before = sorted(os.listdir(exfat))
    assert not [n for n in before if n.endswith(".bin")]
    report = copy_with_multiple_destinations(source, [exfat / "take_2.bin"])
    assert report.exit_code is ExitCode.OK
    assert (exfat / "take_2.bin").read_bytes() == source.read_bytes()


def test_one_file_plan_maps_folders_and_file_names(tmp_path: Path) -> None:
    from offload.api import plan_file

    source = make_file(tmp_path / "clip.bin", 1000)
    folder, other = dest_dirs(tmp_path, 2)
    assert plan_file(source, [folder, other / "renamed.bin"]) == [
        folder / "clip.bin",
        other / "renamed.bin",
    ]
    assert os.listdir(folder) == [] and os.listdir(other) == []  # planning writes nothing


def small_card(folder: Path, count: int, size: int = 3000) -> Path:
    folder.mkdir()
    for index in range(count):
        (folder / f"f{index:04d}.bin").write_bytes(os.urandom(size))
    return folder


@pytest.mark.parametrize(("limit", "destinations"), [(80, 3), (160, 8)])
def test_a_low_open_file_limit_counts_the_readers_prefetch_window(
    tmp_path: Path, limit: int, destinations: int
) -> None:
    """The hard limit at *limit* descriptors (the soft one cannot be raised): the reader's
    prefetch window (a descriptor per small file read ahead, 65) is counted with the
    batches' partials, and shrinks to what is left. Failed before (80, 3): EMFILE on sources,
    ledgers and partials, hundreds of good files failed."""
    card = small_card(tmp_path / "card", 300)
    dests = [str(tmp_path / f"d{i}") for i in range(destinations)]
    for dest in dests:
        os.mkdir(dest)
    script = f"""
import resource, sys
resource.setrlimit(resource.RLIMIT_NOFILE, ({limit}, {limit}))
from offload.card import offload
report = offload({str(card)!r}, {dests!r})
states = {{d.status.value for f in report.job.files for d in f.destinations}}
errors = [d.error for f in report.job.files for d in f.destinations if d.error][:3]
print(len(report.job.files), sorted(states), errors)
sys.exit(report.exit_code)
"""
    import sys

    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert result.stdout.split()[:2] == ["300", "['verified']"], result.stdout
    for dest in dests:
        assert len(list((Path(dest) / "card").glob("*.bin"))) == 300


def open_descriptors() -> set[str]:
    """What this process's descriptors name (the listing's own, closed meanwhile, skipped)."""
    named = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            named.add(os.readlink(f"/proc/self/fd/{fd}"))
        except FileNotFoundError:
            continue
    return named


class _ReaderBug(BaseException):
    """Raised in the reader thread as a bug there would be (a BaseException: the job's event
    fan-out keeps a subscriber's ``Exception`` from the thread that emitted)."""


class _StopAt:
    """Cancels the job (or raises, as a bug in the reader thread would) when the reader starts
    the *at*-th file: the prefetch window is full of descriptors then."""

    def __init__(self, at: int, cancel: CancelToken | None) -> None:
        self.at, self.cancel, self.started = at, cancel, 0

    def emit(self, event: Event) -> None:
        if isinstance(event, FileStarted):
            self.started += 1
            if self.started == self.at:
                if self.cancel is None:
                    raise _ReaderBug("a bug in the reader thread")
                self.cancel.cancel()


@pytest.mark.parametrize("how", ["cancelled", "reader raises"])
def test_a_stopped_job_leaves_no_descriptor_open(tmp_path: Path, how: str) -> None:
    from offload.card import offload

    card = small_card(tmp_path / "card", 200)
    dests = dest_dirs(tmp_path, 2)
    cancel = CancelToken()
    sink = _StopAt(100, cancel if how == "cancelled" else None)
    before = open_descriptors()
    if how == "cancelled":
        report = offload(card, dests, sink=sink, cancel=cancel)
        assert report.exit_code == ExitCode.CANCELLED
    else:
        with pytest.raises(_ReaderBug, match="a bug in the reader thread"):
            offload(card, dests, sink=sink, cancel=cancel)
    assert sink.started == 100
    # sources read ahead, partials, ledgers, folders: none still open (other tests' servers
    # in this process may open descriptors of their own meanwhile: only the job's are looked at)
    leaked = {path for path in open_descriptors() - before if str(tmp_path) in path}
    assert not leaked, sorted(leaked)[:5]


def test_a_source_failed_hook_that_raises_is_the_jobs_warning(tmp_path: Path) -> None:
    """A source read unlike its reference digests, the job's ``on_source_failed`` raising
    (a bug, not an OSError): the file's failure is announced all the same (FileFailed,
    every destination failed) and the error is the job's warning. Failed before: the
    reader's thread died with the error, the failure never announced."""
    source = make_file(tmp_path / "clip.bin", 300_000)
    st = source.stat()
    file = SourceFile(source, source.name, st.st_size, st.st_mtime_ns)
    dests = dest_dirs(tmp_path, 2)
    task = FileTask(file, tuple(d / source.name for d in dests), (), {"xxh64": "0" * 16})
    events: list[Event] = []

    class Recorder:
        def emit(self, event: Event) -> None:
            events.append(event)

    def hook(task: FileTask, digests: Any, errno: int | None) -> None:
        raise RuntimeError("boom")

    report = CopyJob([task], dests, CopyOptions(), sink=Recorder(), on_source_failed=hook).run()
    assert report.exit_code is ExitCode.FAILED
    assert [d.status for d in report.files[0].destinations] == [DestinationStatus.FAILED] * 2
    assert any(isinstance(e, FileFailed) and e.destination_index == -1 for e in events), events
    (warning,) = [w for w in report.warnings if "RuntimeError: boom" in w]
    assert "re-run with the card and --reverify" in warning
    for dest in dests:
        assert os.listdir(dest) == []


@pytest.mark.parametrize("size", [3_000, 300_000])  # a pack's small file, a streamed one
def test_a_reference_sharing_no_format_with_the_read_fails_the_file_never_passes_it(
    tmp_path: Path, size: int
) -> None:
    """A file to check against a record (``FileTask.reference_origin``: a rewrite's, a
    cascade's) that records only formats the job does not hash (md5, in an xxh64 job):
    failed everywhere, nothing written, its line naming what could not be compared, never
    copied as if it had matched. Before, the reader compared the formats both held (none)
    and copied it: what 16065771 (reverted) let through from a card file changed since."""
    (file,) = write_source_files(tmp_path, {"clip.bin": size})
    dests = dest_dirs(tmp_path, 2)
    task = FileTask(
        file,
        tuple(d / "clip.bin" for d in dests),
        reference_digests={"md5": "0" * 32},
        reference_origin="the ledger's record of it",
    )
    report = CopyJob([task], dests, CopyOptions(algorithms=("xxh64",))).run()
    assert report.exit_code is ExitCode.FAILED
    assert report.files[0].source_error == (
        f"{file.path} cannot be checked against the ledger's record of it: it records md5 "
        "only, none of which this run computed"
    )
    assert [d.status for d in report.files[0].destinations] == [DestinationStatus.FAILED] * 2
    for dest in dests:
        assert os.listdir(dest) == []
