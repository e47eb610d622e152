"""Small files packed: consecutive files that fit a small buffer go to each writer in one
message (``engine.pack``), on real files and real destinations.

A pack is a performance measure (one hand-off between threads for up to 64 files instead of
one a file: docs/performance.md, "Many small files: fourteenth pass"); what must not change
is what the engine promises of each file: its own error stays its own, a cancel writes
nothing more, every destination gets exactly the files meant for it, in order, and a slow
hash never sees its bytes overwritten.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import xxhash

from offload.destinations.local import LocalDestination
from offload.engine.buffers import Chunk, ChunkPool
from offload.engine.cancel import CancelToken
from offload.engine.job import SMALL_CHUNK_SIZE, SMALL_CHUNKS, CopyJob
from offload.engine.messages import FileTask, FileTicket, Finish, VerdictBoard, WholeFiles
from offload.engine.pack import PACK_AGE_S, PACK_FILES
from offload.engine.partial import PARTIAL_PREFIX
from offload.engine.reader import SourceReader
from offload.engine.state import DestinationState
from offload.engine.writer import DestinationWriter
from offload.errors import CancelledError, ExitCode
from offload.events import Event, NullSink, SourceBytesRead
from offload.model import SourceFile
from offload.options import CopyOptions, VerifyMode
from offload.results import DestinationFileResult, DestinationStatus
from support.cards import write_source_files

FILES = 200


def _partials(*roots: Path) -> list[str]:
    return [
        name
        for root in roots
        for _folder, _dirs, names in os.walk(root)
        for name in names
        if name.startswith(PARTIAL_PREFIX)
    ]


class _AtTheNthRead(NullSink):
    """Does *action* once the reader announces the *nth* file's bytes read."""

    accepts: frozenset[type[Event]] = frozenset({SourceBytesRead})

    def __init__(self, nth: int, action: Callable[[], object]) -> None:
        self.reads = 0
        self._nth = nth
        self._action = action

    def emit(self, event: Event) -> None:
        if isinstance(event, SourceBytesRead):
            self.reads += 1
            if self.reads == self._nth:
                self._action()


def _read_alone(
    tmp_path: Path,
    files: list[SourceFile],
    sink: NullSink | None = None,
    hash_names: tuple[str, ...] = ("xxh64",),
) -> tuple[list[object], DestinationWriter, list[DestinationFileResult], ChunkPool]:
    """Run the real reader over *files* for one real destination whose writer is not
    running yet: what the reader sent stays on the writer's queue. Returns the messages
    (taken off the queue), the writer, where its results go and the small-buffer pool."""
    dest = tmp_path / "dest"
    dest.mkdir()
    options = CopyOptions(verify=VerifyMode.TRANSFER)
    cancel = CancelToken()
    board = VerdictBoard()
    results: list[DestinationFileResult] = []
    tickets = [
        FileTicket(FileTask(f, (str(dest / f.relative_path),)), n, board)
        for n, f in enumerate(files)
    ]
    writer = DestinationWriter(
        DestinationState(
            index=0,
            destination=LocalDestination(dest),
            device=str(dest),
            options=options,
            verify_algorithm="xxh64",
            sink=NullSink(),
            cancel=cancel,
            record=lambda _ticket, result: results.append(result),
        )
    )
    small = ChunkPool(count=SMALL_CHUNKS, chunk_size=SMALL_CHUNK_SIZE)
    reader = SourceReader(
        pool=ChunkPool(count=2, chunk_size=options.chunk_size),
        small_pool=small,
        workers=[writer],
        options=options,
        hash_names=hash_names,
        verify_algorithm="xxh64",
        sink=sink or NullSink(),
        cancel=cancel,
        fail_everywhere=lambda *_: pytest.fail("no source error expected"),
        lost_elsewhere=lambda *_: pytest.fail("no destination lost"),
    )
    reader.run(tickets)
    assert reader.error is None
    messages: list[object] = []
    while not writer.queue.empty():
        messages.append(writer.queue.get())
    return messages, writer, results, small


def _pack_files(messages: list[object]) -> list[list[str]]:
    return [[t.relative_path for t, _, _ in m.files] for m in messages if isinstance(m, WholeFiles)]


def test_a_writer_takes_consecutive_small_files_in_few_messages(tmp_path: Path) -> None:
    """The reader sends 200 small files (an empty one among them) to a writer in packs of
    at most ``PACK_FILES``, in order, each file's bytes where its entry says; the writer
    then writes each as a file of its own. (It was one message a file: 200.)"""
    sizes = {f"DCIM/{n:04d}.JPG": (0 if n == 7 else 1000 + n) for n in range(FILES)}
    files = write_source_files(tmp_path / "card", sizes)
    messages, writer, results, _ = _read_alone(tmp_path, files)
    assert isinstance(messages[-1], Finish)
    packs = _pack_files(messages)
    assert len(messages) == len(packs) + 1, "small files only in packs"
    assert [name for pack in packs for name in pack] == list(sizes), "every file once, in order"
    assert all(len(pack) <= PACK_FILES for pack in packs)
    # Fewer hand-offs: 4 packs of at most 64 when nothing is slow; a pack is also sent
    # when it is older than PACK_AGE_S, which a loaded machine may reach now and then.
    assert len(packs) <= FILES // 8, [len(pack) for pack in packs]
    for message in messages:
        if isinstance(message, WholeFiles):
            data = message.chunk.writable
            for ticket, start, end in message.files:
                assert bytes(data[start:end]) == Path(ticket.task.source.path_text).read_bytes()
    for message in messages:
        writer.queue.put(message)  # type: ignore[arg-type]
    writer.run()  # this thread: writes, commits (its committer thread), returns at Finish
    assert len(results) == FILES
    assert {r.status for r in results} == {DestinationStatus.TRANSFER_CHECKED}
    for source in files:
        copy = tmp_path / "dest" / source.relative_path
        assert copy.read_bytes() == Path(source.path_text).read_bytes()
    assert _partials(tmp_path / "dest") == []


def test_a_pack_is_sent_once_it_is_older_than_its_age_bound(tmp_path: Path) -> None:
    """Files read slowly (a slow card: here the reader held up after the 6th file) reach
    the writer without waiting for a full pack: the 7th file starts a new one."""
    sizes = {f"DCIM/{n:04d}.JPG": 500 for n in range(20)}
    files = write_source_files(tmp_path / "card", sizes)
    slow = _AtTheNthRead(6, lambda: time.sleep(PACK_AGE_S * 2))
    messages, _, _, _ = _read_alone(tmp_path, files, slow)
    packs = _pack_files(messages)
    assert any(pack[0] == "DCIM/0006.JPG" for pack in packs), packs
    for message in messages:
        if isinstance(message, WholeFiles):
            message.chunk.release()


@pytest.mark.parametrize("mode", [VerifyMode.TRANSFER, VerifyMode.FULL])
def test_a_file_that_changed_inside_a_pack_fails_alone(tmp_path: Path, mode: VerifyMode) -> None:
    """The 11th of 200 small files grows after the scan, while the 10th is read (the same
    pack): it fails everywhere as changed, and the 199 around it are copied."""
    files = write_source_files(tmp_path / "card", {f"{n:04d}.JPG": 2000 for n in range(FILES)})
    dests = [tmp_path / "a", tmp_path / "b"]
    for dest in dests:
        dest.mkdir()
    changed = files[10]

    def grow() -> None:
        with open(changed.path_text, "ab") as handle:  # a camera still writing
            handle.write(b"more")

    tasks = [FileTask(f, tuple(str(d / f.relative_path) for d in dests)) for f in files]
    report = CopyJob(tasks, dests, CopyOptions(verify=mode), sink=_AtTheNthRead(10, grow)).run()
    assert report.exit_code is ExitCode.PARTIAL
    for result in report.files:
        statuses = [d.status for d in result.destinations]
        if result.relative_path == changed.relative_path:
            assert "changed since it was scanned" in (result.source_error or "")
            assert statuses == [DestinationStatus.FAILED] * 2
        else:
            assert result.source_error is None
            good = DestinationStatus.VERIFIED if mode is VerifyMode.FULL else None
            assert statuses == [good or DestinationStatus.TRANSFER_CHECKED] * 2
    for dest in dests:
        assert not (dest / changed.relative_path).exists()
        assert len(os.listdir(dest)) == FILES - 1
    assert _partials(*dests) == []


def test_a_cancel_while_a_pack_fills_writes_nothing_of_it(tmp_path: Path) -> None:
    """Cancelled while the 10th small file is read (its pack not yet sent): no file of the
    card is written, every one is reported cancelled, no partial is left."""
    files = write_source_files(tmp_path / "card", {f"{n:04d}.JPG": 3000 for n in range(FILES)})
    dest = tmp_path / "dest"
    dest.mkdir()
    cancel = CancelToken()
    at_the_tenth = _AtTheNthRead(10, cancel.cancel)
    tasks = [FileTask(f, (str(dest / f.relative_path),)) for f in files]
    report = CopyJob(
        tasks,
        [dest],
        CopyOptions(verify=VerifyMode.TRANSFER),
        sink=at_the_tenth,
        cancel=cancel,
    ).run()
    assert report.cancelled and report.exit_code is ExitCode.CANCELLED
    assert at_the_tenth.reads == 10, "the reader stopped at the cancel"
    assert {d.status for r in report.files for d in r.destinations} == {DestinationStatus.CANCELLED}
    assert os.listdir(dest) == []


def test_each_destination_gets_exactly_its_own_small_files(tmp_path: Path) -> None:
    """Files that one destination already has (no target there) sit between files both
    need: a pack holds files for one set of writers, so each destination gets exactly the
    files meant for it (a file sent to a writer without a target there lost the
    destination)."""
    files = write_source_files(tmp_path / "card", {f"{n:04d}.JPG": 700 for n in range(FILES)})
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()

    def for_b(n: int) -> bool:
        return (n // 5) % 3 != 1  # runs of five files b does not need

    tasks = [
        FileTask(f, (str(a / f.relative_path), str(b / f.relative_path) if for_b(n) else None))
        for n, f in enumerate(files)
    ]
    report = CopyJob(tasks, [a, b], CopyOptions(verify=VerifyMode.FULL)).run()
    assert report.exit_code is ExitCode.OK
    assert not any(d.lost for d in report.destinations)
    assert sorted(os.listdir(a)) == [f.relative_path for f in files]
    assert sorted(os.listdir(b)) == [f.relative_path for n, f in enumerate(files) if for_b(n)]
    for n, f in enumerate(files):
        for root in (a, b) if for_b(n) else (a,):
            assert (root / f.relative_path).read_bytes() == Path(f.path_text).read_bytes()


def test_a_packs_buffer_stays_out_of_the_pool_while_its_writers_hold_it(tmp_path: Path) -> None:
    """md5 and sha1 hash on threads of their own, each releasing a pack's buffer once it
    hashed its part: those releases are their own (``Chunk.retain``), never the reader's or a
    writer's. The real reader sends 150 small files (an empty one, packs cut by room and by
    count) with md5, sha1 and xxh64 to a writer that is not running yet: every buffer a pack
    sent is still out of the pool, so what the pool gives now (filled here as the next pack
    would fill it) holds no queued file's bytes; each file's digests and queued bytes are its
    own, and the writer then writes every copy right. (Without the hashers' hold their
    releases gave a pack's buffer back after its first file, while the reader still filled
    it and the writer had it queued: the next packs were read over it. A job on a disk fails
    that way only when the writers lag the reader by the whole pool.)"""
    sizes: dict[str, int] = {}
    for n in range(150):
        sizes[f"{n // 50:02d}/{n:04d}.BIN"] = (
            0 if n == 3 else SMALL_CHUNK_SIZE - 1 if n % 37 == 5 else 1 + (n * 7919) % 90_000
        )
    files = write_source_files(tmp_path / "card", sizes)
    messages, writer, results, small = _read_alone(
        tmp_path, files, hash_names=("md5", "sha1", "xxh64")
    )
    packs = [m for m in messages if isinstance(m, WholeFiles)]
    assert len(packs) >= 8, "packs cut by room and by count"
    stopped = CancelToken()
    stopped.cancel()  # ``acquire`` gives what is free, then raises instead of waiting
    free: list[Chunk] = []
    while True:
        try:
            chunk = small.acquire(stopped)
        except CancelledError:
            break
        chunk.writable[:] = b"\xa5" * len(chunk.writable)  # the next pack's bytes
        free.append(chunk)
    for message in packs:
        for ticket, start, end in message.files:
            data = Path(ticket.task.source.path_text).read_bytes()
            assert bytes(message.chunk.writable[start:end]) == data, ticket.relative_path
            assert ticket.inflight_digests == {
                "md5": hashlib.md5(data).hexdigest(),
                "sha1": hashlib.sha1(data).hexdigest(),
                "xxh64": xxhash.xxh64(data).hexdigest(),
            }, ticket.relative_path
    assert len(free) == SMALL_CHUNKS - len(packs), "a buffer a writer holds was free"
    for chunk in free:
        chunk.hand_out(0)
    for message in messages:
        writer.queue.put(message)  # type: ignore[arg-type]
    writer.run()
    assert len(results) == len(files)
    assert {r.status for r in results} == {DestinationStatus.TRANSFER_CHECKED}
    for source in files:
        copy = tmp_path / "dest" / source.relative_path
        assert copy.read_bytes() == Path(source.path_text).read_bytes(), source.relative_path
