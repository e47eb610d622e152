"""Typed messages on a destination's queue, and the per-file ticket shared by all threads."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from offload.engine.buffers import Chunk
from offload.engine.cancel import CANCEL_POLL_S, CancelToken
from offload.errors import CancelledError, OffloadError
from offload.model import SourceFile
from offload.results import NO_DIGESTS, CacheBypass, DestinationFileResult

if TYPE_CHECKING:
    from concurrent.futures import Future

    from offload.trusted_copies import TrustedCopies


@dataclass(frozen=True, slots=True, init=False)
class FileTask:
    """One source file and where it goes: ``targets[i]`` is its final path on destination i
    (as text), or None when destination i does not need it (already verified there).

    Paths are held as text and a task has slots: one task a file lives for the whole job (a
    ``Path`` a target cost ~350 B more than its text). A ``Path`` given as a target is turned
    into its text here.

    Its own ``__init__`` (the dataclass's, frozen, set each field through
    ``object.__setattr__``, which looks the slot up by name, and checked the targets with a
    generator): a plan makes one a file before the first byte (docs/performance.md, "The start of a
    50,000-file card, counted: twenty-fourth pass").
    """

    source: SourceFile
    targets: tuple[str | None, ...]
    # Results known before copying (a destination where the file is already verified).
    preset: tuple[DestinationFileResult, ...]
    # Digests the source must have (from the card's own ASC MHL history); a mismatch fails
    # the file on every destination.
    reference_digests: Mapping[str, str]
    # Where reference_digests come from, for the mismatch message ("": the card's own ASC
    # MHL history; a cascade names the card read it was copied from).
    reference_origin: str
    # Which record reference_digests are from, in words, for the mismatch line ("": the
    # card's own ASC MHL history; "the legacy MHL 'X.mhl' on the card": offload.card_legacy_mhl;
    # a cascade re-run without the card: the fast copy's own history, its ledger's digests).
    reference_record: str
    # The size the record naming it (``reference_record``: a legacy MHL on the card) gives
    # the file, None when it gives none: a read of another size fails the file as a digest
    # unlike it does (``offload.card_legacy_mhl``: a ``<null>`` record is checked by it).
    reference_size: int | None
    # A failure of the card's file known before the copy (``existing.settle``: it read
    # unlike its ledger's record while a copy there still matched that record): the file's
    # ``FileResult.source_error`` from the start, announced with the presets, its targets
    # none (nothing of it is written). None: the usual task.
    source_error: str | None
    # The copies of the card file trusted from their ledgers on destinations this task does
    # not write (``offload.trusted_copies``): the card file's read must read as each before
    # its copies are committed. Never handed to a destination (unlike reference_digests,
    # which a partial copy keeps for its resume). None: no such copy, or nothing to write.
    trusted: TrustedCopies | None

    def __init__(
        self,
        source: SourceFile,
        targets: tuple[str | os.PathLike[str] | None, ...],
        preset: tuple[DestinationFileResult, ...] = (),
        reference_digests: Mapping[str, str] = NO_DIGESTS,
        reference_origin: str = "",
        reference_record: str = "",
        reference_size: int | None = None,
        source_error: str | None = None,
        trusted: TrustedCopies | None = None,
    ) -> None:
        for target in targets:
            if target is not None and type(target) is not str:
                targets = tuple(None if t is None else os.fspath(t) for t in targets)
                break
        _set_source(self, source)
        _set_targets(self, targets)
        _set_preset(self, preset)
        _set_reference_digests(self, reference_digests)
        _set_reference_origin(self, reference_origin)
        _set_reference_record(self, reference_record)
        _set_reference_size(self, reference_size)
        _set_source_error(self, source_error)
        _set_trusted(self, trusted)


# The slots' own setters, bound once (as ``model.SourceFile``'s: past the frozen class's
# ``__setattr__``, without ``object.__setattr__``'s look-up of the slot by its name).
(
    _set_source,
    _set_targets,
    _set_preset,
    _set_reference_digests,
    _set_reference_origin,
    _set_reference_record,
    _set_reference_size,
    _set_source_error,
    _set_trusted,
) = (
    FileTask.__dict__[name].__set__
    for name in (
        "source",
        "targets",
        "preset",
        "reference_digests",
        "reference_origin",
        "reference_record",
        "reference_size",
        "source_error",
        "trusted",
    )
)


class MhlRecord(str):
    """Words naming a legacy MHL (v1) as the record a card file is checked against
    (``FileTask.reference_record``, ``offload.card_legacy_mhl``): the kind of record, for
    the mismatch's line ("that MHL"), where any other record is an ASC MHL history ("that
    history"), whatever its words hold (an MHL's path may hold "ASC MHL")."""

    __slots__ = ()


class VerdictBoard:
    """Where the reader publishes its verdicts on a job's files: one condition for the job.

    A ``concurrent.futures.Future`` per file (a Condition, a lock and a deque each) cost
    about 1.3 KB a file and a second of set-up on 50,000 files; one shared condition costs
    nothing per file. Publishing wakes every waiter (at most one committer a destination),
    each of which looks at its own ticket again. Thread-safe.
    """

    __slots__ = ("_condition", "lock")

    def __init__(self) -> None:
        # Also guards each ticket's ``hashed`` (FileTicket.hashed); never held while waiting.
        self.lock = threading.Lock()
        self._condition = threading.Condition(threading.Lock())

    def publish(self, ticket: FileTicket) -> None:
        with self._condition:
            if not ticket.published:
                ticket.published = True
                self._condition.notify_all()

    def publish_all(self, tickets: Sequence[FileTicket]) -> None:
        """Publish the verdicts of *tickets* at once (a pack of small files, ``engine.pack``):
        one lock and one wake-up for them all. Their ``hashed`` must be resolved already (the
        reader resolves it as each file passed its checks)."""
        with self._condition:
            for ticket in tickets:
                ticket.published = True
            self._condition.notify_all()

    def wait(self, ticket: FileTicket, cancel: CancelToken) -> OffloadError | None:
        """The ticket's source error (None: read, and re-read, fine) once it is published.

        Raises CancelledError once *cancel* is set while waiting (looked at every
        ``CANCEL_POLL_S``).
        """
        if not ticket.published:
            with self._condition:
                while not ticket.published:
                    if cancel.cancelled:
                        raise CancelledError("cancelled")
                    self._condition.wait(CANCEL_POLL_S)
        return ticket.source_error


class FileTicket:
    """What the reader knows about one file, published once for the destination workers.

    The reader (or, in full mode, its source verifier) fills the digests or the error and
    then calls ``publish()``; committers wait for it (``wait_for_verdict``, cancellable)
    before they rename a verified copy to its final name, so no destination commits a file
    whose source read (or source re-read) failed. The fields are written before
    ``publish()`` and only read after it. One ticket a file lives for the whole job: slots,
    no lock of its own, and shared empty digests keep it small.

    ``hashed`` resolves earlier, as soon as the whole file was read and hashed once (before
    any re-read of the source), with its in-flight digests; with None if the file failed
    before (``publish`` resolves it then). A destination that stores the digests with the
    copy (S3 object metadata, ``Features.stores_digests``) waits for it, not for the
    verdict. Its Future is made only when a writer asks for it (most files never need one):
    until then the digests wait in the ticket, under the board's lock.
    """

    __slots__ = (
        "_hashed",
        "board",
        "fingerprint",
        "inflight_digests",
        "published",
        "sequence",
        "source_cache_bypass",
        "source_error",
        "source_reread_digests",
        "task",
    )

    def __init__(self, task: FileTask, sequence: int, board: VerdictBoard) -> None:
        self.task = task
        self.sequence = sequence
        self.board = board
        self.inflight_digests: Mapping[str, str] = NO_DIGESTS
        self.fingerprint = ""  # offload.fingerprint of the bytes read, with the digests
        self.source_reread_digests: Mapping[str, str] = NO_DIGESTS
        self.source_cache_bypass = CacheBypass.NOT_READ
        self.source_error: OffloadError | None = None
        self.published = False
        # None: not resolved and not asked for; a 1-tuple: resolved with its item before
        # anyone asked; a Future: asked for (resolved or not).
        self._hashed: Future[dict[str, str] | None] | tuple[dict[str, str] | None] | None = None

    @property
    def relative_path(self) -> str:
        return self.task.source.relative_path

    @property
    def hashed(self) -> Future[dict[str, str] | None]:
        """The Future of the file's in-flight digests (made on first use). Thread-safe."""
        # Here, not at the top: only a destination that stores digests (S3) asks, and
        # concurrent.futures loads logging (~7 ms) before an offload's first byte otherwise.
        from concurrent.futures import Future

        with self.board.lock:
            state = self._hashed
            if state is not None and not isinstance(state, tuple):
                return state
            future: Future[dict[str, str] | None] = Future()
            if state is not None:
                future.set_result(state[0])
            self._hashed = future
            return future

    def resolve_hashed(self, digests: dict[str, str] | None) -> None:
        """Resolve ``hashed`` (once; later calls change nothing). Reader side only."""
        with self.board.lock:
            state = self._hashed
            if state is None:
                self._hashed = (digests,)
            elif not isinstance(state, tuple) and not state.done():
                state.set_result(digests)

    def publish(self) -> None:
        """Publish the verdict (once; a second call changes nothing). Reader side only."""
        self.resolve_hashed(None)
        self.board.publish(self)

    def wait_for_verdict(self, cancel: CancelToken) -> OffloadError | None:
        """The source error (None: fine), once published; CancelledError if cancelled."""
        return self.board.wait(self, cancel)


class _Message:
    """Base of the messages on a destination's queue: plain classes with slots, set once by
    ``__init__`` and read-only after it, like the frozen dataclasses they were. Not
    dataclasses: nothing compares, hashes or copies a message, and a frozen dataclass costs
    ~0.6 ms to create at import (six methods compiled), seven of them 4 ms of every
    command's start-up (docs/performance.md, "Fixed cost: third pass")."""

    __slots__ = ()

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r} of a {type(self).__name__}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r} of a {type(self).__name__}")

    def __repr__(self) -> str:
        names: tuple[str, ...] = self.__slots__
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{type(self).__name__}({fields})"


class StartFile(_Message):
    """A file larger than one small buffer begins: its chunks follow (writer's queue)."""

    __slots__ = ("ticket",)
    ticket: FileTicket

    def __init__(self, ticket: FileTicket) -> None:
        object.__setattr__(self, "ticket", ticket)


class ChunkReady(_Message):
    """The next chunk of the file being streamed (the writer releases it once written)."""

    __slots__ = ("chunk",)
    chunk: Chunk

    def __init__(self, chunk: Chunk) -> None:
        object.__setattr__(self, "chunk", chunk)


class EndFile(_Message):
    """The streamed file was read whole and passed the source checks."""

    __slots__ = ("ticket",)
    ticket: FileTicket

    def __init__(self, ticket: FileTicket) -> None:
        object.__setattr__(self, "ticket", ticket)


class WholeFiles(_Message):
    """Consecutive small files, each read and checked, packed in one chunk: for each, its
    ticket and where its bytes lie in the chunk (``start`` to ``end``; equal for an empty
    file), in the order they were read. StartFile, ChunkReady and EndFile of every file in
    one message (``engine.pack``). The receiver releases the chunk once, after the last."""

    __slots__ = ("chunk", "files")
    chunk: Chunk
    files: tuple[tuple[FileTicket, int, int], ...]

    def __init__(self, chunk: Chunk, files: tuple[tuple[FileTicket, int, int], ...]) -> None:
        object.__setattr__(self, "chunk", chunk)
        object.__setattr__(self, "files", files)


class AbortFile(_Message):
    """The source failed: discard this file's partial."""

    __slots__ = ("ticket",)
    ticket: FileTicket

    def __init__(self, ticket: FileTicket) -> None:
        object.__setattr__(self, "ticket", ticket)


class Finish(_Message):
    """No more files: make everything pending durable, verify it, stop."""

    __slots__ = ()


class Cancel(_Message):
    """The job was cancelled: discard every partial, stop."""

    __slots__ = ()


Message = StartFile | ChunkReady | EndFile | WholeFiles | AbortFile | Finish | Cancel
