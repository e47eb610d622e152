"""The system calls a destination's writer and committer threads make a file, seen from
outside: a real ``offload copy`` under ``strace -ff`` (one trace a thread).

The writer paces a card of small files (docs/performance.md, "Many small files: thirteenth
pass"): each of its calls is a trip through the interpreter lock. Its per-file calls are the
partial's create and its write; the destination's presence is asked before a folder can be
made and once a batch, and the source's modification time is set by the committer, before
the batch is made durable. Every copy still gets its time (checked on the copies); a drive
gone in the middle of a batch is still a lost destination
(``test_card_offload.test_destination_folder_vanishing_is_a_lost_destination``).

The committer's per-file calls (docs/performance.md, "The committer: fifteenth pass"): where
close(2) cannot report an error (a local filesystem without a flush on close: here a
tmpfs), the descriptor the writer created and claimed the partial on keeps the claim until
the rename and is closed after it: no ``dup`` and no ``close`` at the seal.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from support.mounts import Mount
from support.requirements import require_tool

FILES = 12
SIZE = 10_000
MTIME_NS = 1_600_000_000_123_456_789
# The stat calls by every name the C library may use, the creates and the times set.
_CALLS = "newfstatat,statx,stat,lstat,openat,utimensat"


def _traces(
    tmp_path: Path, dest: Path, calls: str = _CALLS, *, size: int = SIZE
) -> dict[Path, str]:
    """``offload copy --verify transfer`` of a 12-file card (files of *size* bytes) into
    *dest* under ``strace -ff`` of *calls*: each thread's trace by file."""
    strace = require_tool("strace")
    card = tmp_path / "CARD" / "CLIPS"
    card.mkdir(parents=True)
    for index in range(FILES):
        path = card / f"C{index:04d}.MP4"
        path.write_bytes(os.urandom(size))
        os.utime(path, ns=(MTIME_NS, MTIME_NS + index))
    dest.mkdir(exist_ok=True)
    trace = tmp_path / "trace"
    command = [sys.executable, "-m", "offload", "copy", "--quiet", "--verify", "transfer"]
    command += ["--report-dir", str(tmp_path / "reports"), str(tmp_path / "CARD"), str(dest)]
    subprocess.run(
        [strace, "-ff", "-qq", "-e", f"trace={calls}", "-o", str(trace), *command],
        check=True,
        capture_output=True,
    )
    return {path: path.read_text() for path in tmp_path.glob("trace.*")}


# A partial's create (O_EXCL) in a trace: its name and the descriptor it got.
_CREATED = re.compile(
    r'openat\([^"]*"[^"]*/CLIPS/(\.offload-partial\.[^"/]*)"[^)]*O_EXCL[^=]*= (\d+)'
)
_RENAMED = re.compile(r'renameat2\([^"]*"[^"]*/CLIPS/(\.offload-partial\.[^"/]*)"[^)]*\) *= 0')


def _created_partials(
    tmp_path: Path, dest: Path, calls: str
) -> tuple[dict[Path, str], str, dict[str, str]]:
    """``_traces`` of the card copied into *dest*, the writer's trace (the thread that
    created the partials) and each partial's name -> the descriptor it was created on
    (one a file of the card)."""
    traces = _traces(tmp_path, dest, calls)
    writer = next(text for text in traces.values() if _CREATED.search(text))
    descriptors = {name: fd for name, fd in _CREATED.findall(writer)}
    assert len(descriptors) == FILES
    return traces, writer, descriptors


def _assert_closed_after_rename(traces: dict[Path, str], holder: dict[str, str]) -> list[str]:
    """One thread (the committer) renames each of the card's partials to its final name,
    and the first descriptor it closes after each rename is the one that held that
    partial's claim (*holder*: partial name -> descriptor). Returns that thread's lines."""
    committers = [text for text in traces.values() if _RENAMED.search(text)]
    assert len(committers) == 1, "one thread publishes the copies"
    lines = committers[0].splitlines()
    published = 0
    for position, line in enumerate(lines):
        match = _RENAMED.search(line)
        if match is None:
            continue
        published += 1
        after = next(later for later in lines[position + 1 :] if later.startswith("close("))
        assert after.startswith(f"close({holder[match.group(1)]})"), (line, after)
    assert published == FILES
    return lines


def test_the_writer_makes_two_calls_a_small_file_and_every_copy_keeps_its_time(
    tmp_path: Path,
) -> None:
    """The writer thread (the one that creates the partials) asks for the destination root
    once for the batch (it was once a file) and sets no time (it did, once a file); the
    committer sets each copy's time, and each copy has its source's."""
    dest = tmp_path / "dest"
    traces = _traces(tmp_path, dest)
    creates = re.compile(r'openat\([^"]*"[^"]*/CLIPS/[^"/]*"[^)]*O_EXCL')
    writers = [text for text in traces.values() if creates.search(text)]
    assert len(writers) == 1, "one thread creates the partials"
    writer = writers[0]
    assert len(creates.findall(writer)) == FILES
    root_stats = re.findall(rf'stat[a-z0-9]*\([^"]*"{re.escape(str(dest))}"', writer)
    assert len(root_stats) == 1, root_stats
    assert "utimensat" not in writer
    # A time set on a descriptor (futimens): the copies' (other files' times go by path).
    times = sum(len(re.findall(r"utimensat\(\d+, NULL", text)) for text in traces.values())
    assert times == FILES
    for index in range(FILES):
        copy = dest / "CARD" / "CLIPS" / f"C{index:04d}.MP4"
        assert copy.stat().st_mtime_ns == MTIME_NS + index


def test_the_partial_keeps_its_claim_on_its_own_descriptor_until_its_rename(
    tmp_path: Path, tmpfs_mount: Callable[..., Mount]
) -> None:
    """On a tmpfs (close reports nothing there) the committer duplicates no descriptor: the
    one each partial was created (O_EXCL) and claimed (``flock``) on by the writer is closed
    by the committer right after that partial's rename, so the claim is held from the
    create to the publish, as ``destinations.claim`` promises; and the committer makes four
    calls a file (the time, the seal's ``lseek``, the rename, that close). Before: a
    ``dup`` and a ``close`` at each seal, the duplicate closed after the rename."""
    dest = tmpfs_mount(64 * 1024 * 1024).path
    calls = "openat,flock,dup,dup2,dup3,fcntl,close,renameat2,rename,fstat,newfstatat,utimensat"
    traces, writer, descriptors = _created_partials(tmp_path, dest, calls)
    for name, fd in descriptors.items():  # claimed on the descriptor it was created on
        assert re.search(rf"flock\({fd}, LOCK_SH\) *= 0", writer), name
    lines = _assert_closed_after_rename(traces, descriptors)
    assert not [line for line in lines if re.match(r"(dup[23]?|fcntl)\(", line)], "no duplicate"
    for index in range(FILES):
        copy = dest / "CARD" / "CLIPS" / f"C{index:04d}.MP4"
        assert copy.stat().st_mtime_ns == MTIME_NS + index


def test_a_file_closed_at_its_last_byte_is_claimed_once_on_its_read_only_descriptor(
    tmp_path: Path, tmpfs_mount: Callable[..., Mount]
) -> None:
    """A file over 64 KiB where close(2) reports nothing (a tmpfs here) is closed for writing
    at its last byte, and a read-only descriptor holds its claim from then to its rename.
    That descriptor is opened through ``/proc/self/fd`` right after the create (the same
    file, whatever happened to its name) and claimed there, once: the writer's calls a file
    are the create, that open, its ``flock`` and ``fstat`` (the link count), the write and
    the written descriptor's close; the committer closes the read-only one after the rename.
    Before: the written descriptor was claimed (``flock``, ``fstat``), and at the last byte
    the file was opened again by its name and claimed again (a ``flock`` more a file)."""
    dest = tmpfs_mount(64 * 1024 * 1024).path
    size = 100_000
    traces = _traces(
        tmp_path, dest, "openat,flock,fstat,newfstatat,write,close,renameat2", size=size
    )
    writer = next(text for text in traces.values() if _CREATED.search(text))
    lines = writer.splitlines()
    held: dict[str, str] = {}
    for position, line in enumerate(lines):
        match = _CREATED.search(line)
        if match is None:
            continue
        name, written = match.groups()
        calls = lines[position + 1 : position + 6]
        opened = re.match(
            rf'openat\([^"]*"/proc/self/fd/{written}", O_RDONLY\|O_CLOEXEC\) = (\d+)', calls[0]
        )
        assert opened, (name, calls)
        reader = opened.group(1)
        assert re.match(rf"flock\({reader}, LOCK_SH\) += 0", calls[1]), (name, calls)
        assert re.match(rf"(newfstatat|fstat)\({reader}, ", calls[2]), (name, calls)
        assert re.match(rf"write\({written}, .*= {size}$", calls[3]), (name, calls)
        assert re.match(rf"close\({written}\) += 0", calls[4]), (name, calls)
        held[name] = reader
    assert len(held) == FILES
    assert not re.search(r"flock\(\d+, LOCK_SH\|LOCK_NB\)", writer), "claimed again"
    _assert_closed_after_rename(traces, held)
    for index in range(FILES):
        copy = dest / "CARD" / "CLIPS" / f"C{index:04d}.MP4"
        assert copy.read_bytes() == (tmp_path / "CARD" / "CLIPS" / f"C{index:04d}.MP4").read_bytes()
        assert copy.stat().st_mtime_ns == MTIME_NS + index


def test_a_batch_whose_syncfs_made_its_new_folders_durable_fsyncs_only_the_folders_published_in(
    tmp_path: Path, ext4_loop: Callable[..., Mount]
) -> None:
    """On ext4 (a loop device) a batch's files go into two new clip folders. The batch's
    syncfs began after the writer made every folder and answered 0: the folders' names
    (``DCIM/100MEDIA`` in ``DCIM``, ``DCIM`` in ``CARD``, ``CARD`` in the root) are durable
    then, so after the renames the committer fsyncs only the two folders the files were
    published in, and the ledger's line for each file comes after its rename and its
    folder's fsync. Before: ``DCIM``, ``CARD`` and the root were fsynced too (a cache flush
    each on ext4; a new clip folder's parent every time one appeared)."""
    strace = require_tool("strace")
    dest = ext4_loop().path
    clips = ("100MEDIA", "101MEDIA")
    for clip in clips:
        folder = tmp_path / "CARD" / "DCIM" / clip
        folder.mkdir(parents=True)
        for index in range(FILES // 2):
            (folder / f"C{index:04d}.MP4").write_bytes(os.urandom(SIZE))
    trace = tmp_path / "trace"
    command = [sys.executable, "-m", "offload", "copy", "--quiet", "--verify", "transfer"]
    command += ["--report-dir", str(tmp_path / "reports"), str(tmp_path / "CARD"), str(dest)]
    calls = "mkdir,mkdirat,syncfs,fsync,renameat2,rename,write"
    subprocess.run(
        [strace, "-f", "-qq", "-y", "-e", f"trace={calls}", "-o", str(trace), *command],
        check=True,
        capture_output=True,
    )
    card = f"{dest}/CARD"
    folders = {f"{card}/DCIM/{clip}" for clip in clips}
    # Each call with its result, an interrupted one joined with its resumption.
    events: list[tuple[str, str]] = []
    pending: dict[str, int] = {}
    for line in trace.read_text().splitlines():
        pid, _, rest = line.partition(" ")
        rest = rest.strip()
        if rest.endswith("<unfinished ...>"):
            pending[pid] = len(events)
            events.append((rest, ""))
        elif rest.startswith("<... ") and pid in pending:
            position = pending.pop(pid)
            events[position] = (events[position][0], rest)
        else:
            events.append((rest, rest))

    def first(pattern: str) -> int:
        return next(i for i, (call, _) in enumerate(events) if re.search(pattern, call))

    ledger = first(rf"^write\(\d+<{re.escape(card)}/\.offload/ledger\.jsonl>")  # one batch
    made = [first(rf'^mkdir(at)?\(.*"{re.escape(folder)}"') for folder in folders]
    renames = [
        i
        for i, (call, _) in enumerate(events)
        if re.match(r"renameat2?\(.*\.offload-partial\..*C\d{4}\.MP4", call)
    ]
    assert len(renames) == FILES
    synced = [
        i
        for i, (call, done) in enumerate(events)
        if call.startswith("syncfs(") and done.rstrip().endswith("= 0") and i > max(made)
    ]
    assert synced and synced[0] < min(renames), "a syncfs after the folders were made"
    commit = [
        (i, re.match(r"fsync\(\d+<([^>]*)>", call).group(1))  # type: ignore[union-attr]
        for i, (call, done) in enumerate(events)
        if call.startswith("fsync(") and min(renames) < i < ledger
    ]
    fsynced = {path for _, path in commit}
    assert fsynced == folders, commit  # not DCIM, CARD, the root
    assert all(i > max(renames) for i, _ in commit)
    for clip in clips:
        for index in range(FILES // 2):
            copy = dest / "CARD" / "DCIM" / clip / f"C{index:04d}.MP4"
            assert copy.read_bytes() == (tmp_path / "CARD" / "DCIM" / clip / copy.name).read_bytes()


def test_the_seal_takes_the_size_from_the_end_and_the_device_from_the_claim(
    tmp_path: Path, tmpfs_mount: Callable[..., Mount]
) -> None:
    """The committer's seal makes no ``stat_result`` of a partial: the writer's claim
    ``fstat``s each partial once at its create (its link count), and the device it saw
    there (a file's device never changes) is what the seal compares with the root's; the
    size is the descriptor's end (``lseek``). The committer's calls a small file are the
    time, that ``lseek``, the rename and the close. Before: a second ``fstat`` a file, at
    the seal (its float and nanosecond times made for the size and the device)."""
    dest = tmpfs_mount(64 * 1024 * 1024).path
    calls = "openat,flock,fstat,newfstatat,statx,lseek,utimensat,renameat2,close"
    traces, writer, descriptors = _created_partials(tmp_path, dest, calls)
    for name, fd in descriptors.items():  # the claim: a flock and an fstat at the create
        assert re.search(rf"flock\({fd}, LOCK_SH\) *= 0\n(newfstatat|fstat)\({fd}, ", writer), name
    lines = _assert_closed_after_rename(traces, descriptors)
    # A stat of a descriptor of a file of the partials' size (the ledger's is another size).
    on_partial = re.compile(rf'(fstat|statx|newfstatat)\(\d+, ("",)?.*st_size={SIZE}\b')
    assert not [line for line in lines if on_partial.match(line)], "no stat of a partial"
    ends = [line for line in lines if re.match(r"lseek\(\d+, 0, SEEK_END\) *= " + str(SIZE), line)]
    assert len(ends) == FILES
    for index in range(FILES):
        copy = dest / "CARD" / "CLIPS" / f"C{index:04d}.MP4"
        assert copy.read_bytes() == (tmp_path / "CARD" / "CLIPS" / f"C{index:04d}.MP4").read_bytes()
        assert copy.stat().st_mtime_ns == MTIME_NS + index
