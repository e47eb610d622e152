"""What a destination's writer and committer threads share, and who may touch what.

One ``DestinationState`` per destination, created by the job, shared by exactly two threads:
the writer (``engine.writer``) and the committer (``engine.committer``). The rules:

* ``lost`` is written once, under ``_lost_lock``, by ``declare_lost`` (either thread); anyone
  may read it without the lock (the reader, to stop sending chunks there): a read that misses
  the loss only sends a chunk that is then released.
* ``batches`` carries finished files from the writer to the committer (at most two batches
  wait): a ``Pending`` belongs to the writer until it is put there, then to the committer.
  Whoever owns a Pending is the only one that may touch it (write, sync, discard, fail it).
* ``copy_s``, ``verify_s``, ``first_write`` and ``last_done`` are written by the committer
  only and read by the job after both threads stopped.
* ``read_back_gate`` is shared with the other destinations on the same disk (thread-safe;
  held by the committer only while it reads back, ``engine.devices``).
* ``destination`` (the backend) is safe for both threads by its contract
  (``offload.destinations.base``); a Pending's partial is touched only by its owner.
* Everything else is set at construction and read-only.
"""

from __future__ import annotations

import os
import queue
import stat
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from offload.destinations.base import Destination, Partial
from offload.engine.cancel import CancelToken
from offload.engine.devices import ReadBackGate
from offload.engine.messages import FileTicket
from offload.errors import DestinationError, DestinationFileError, OffloadError, printable_name
from offload.events import DestinationLost, Event, EventSink
from offload.ledger import Ledger
from offload.options import CopyOptions, ExistingFilePolicy
from offload.remedies import Remedies, Remedy
from offload.results import CacheBypass, DestinationFileResult, DestinationStatus

RecordResult = Callable[[FileTicket, DestinationFileResult], None]
#: ``_ResultBook.announce``: emit a destination's event of a file unless that file already
#: has its result there (index, ticket, event).
Announce = Callable[[int, FileTicket, Event], None]

# Batches waiting for the committer: the writer blocks (and with it, through the bounded
# queues, the reader) while two are pending.
_PENDING_BATCHES = 2
#: A destination's batches whose partials can be open at once: the one its committer makes
#: durable and reads back, two waiting, and the one the writer fills (or, full, is blocked
#: handing off). The job keeps this many within the open-file limit.
BATCHES_HELD = _PENDING_BATCHES + 2


class Pending:
    """One file on its way: owned by the writer until handed over in a batch, then by the
    committer. A plain class with slots (nothing compares or prints one; a dataclass cost
    ~0.4 ms to create at start-up)."""

    __slots__ = ("copy_s", "evicted", "final", "partial", "started", "target", "ticket")

    def __init__(self, ticket: FileTicket, partial: Partial, started: float, final: str) -> None:
        self.ticket = ticket
        self.partial = partial
        self.started = started
        # Its planned final path: the task's own string, which the writer gave
        # ``open_partial`` (the result keeps it for the whole job: a string of its own was
        # ~110 B more a file, and ``str(partial.final_path)`` made a ``Path`` a file).
        self.final = final
        self.copy_s = 0.0
        # The name keep-both chose for it, fixed before the ledger records it; None: the
        # planned name (the task's target).
        self.target: Path | None = None
        # Set when the batch evicted this file from the cache and asked for it to be read
        # back in the background: how its read avoided the caches (None: not prefetched).
        self.evicted: CacheBypass | None = None


class DestinationState:
    """A destination's shared state (see the module docstring for the ownership rules)."""

    def __init__(
        self,
        *,
        index: int,
        destination: Destination,
        device: str,
        options: CopyOptions,
        verify_algorithm: str,
        sink: EventSink,
        cancel: CancelToken,
        record: RecordResult,
        announce: Announce | None = None,
        ledger: Ledger | None = None,
        read_back_gate: ReadBackGate | None = None,
        remedies: Mapping[str, Remedy] | None = None,
        card_names: frozenset[str] = frozenset(),
        keep_taken: bool = False,
    ) -> None:
        self.index = index
        self.destination = destination
        self.root = destination.root
        self.device = device
        self.options = options
        self.verify_algorithm = verify_algorithm
        self.sink = sink
        self.cancel = cancel
        self.record = record
        self._announce = announce
        self.ledger = ledger
        # Shared with the other destinations on this disk when they read back in turn
        # (engine.devices); None: this destination reads back freely.
        self.read_back_gate = read_back_gate
        # By target: what a refusal of a file in the way says to do, where not the default.
        # (A plain mapping: no copy never to be overwritten known in the run's way.)
        self._remedies = remedies if isinstance(remedies, Remedies) else Remedies(remedies)
        # With --keep-both, every final name the card's files take here (str of each
        # target): a name keep-both chooses for a copy beside another is never one of them
        # (``clip (1).mov`` of the card would find it taken when its turn came). Empty under
        # any other policy, which chooses no name.
        self.card_names = card_names
        # The one-file copy's (``api``): a file another writer published at a final name
        # while this copy was written is read back and, this very file, kept
        # (``DestinationCommitter._keep_taken``). Off: refused, as any file in the way.
        self.keep_taken = keep_taken
        # A destination not flushed (--noflush) is neither synced nor read back from the media.
        self.flush = index not in options.noflush_destinations
        self.lost: OffloadError | None = None
        self.lost_at: float | None = None  # when it was lost (Unix seconds)
        self._lost_lock = threading.Lock()
        self.batches: queue.Queue[list[Pending] | None] = queue.Queue(maxsize=_PENDING_BATCHES)
        self.copy_s = 0.0
        self.verify_s = 0.0
        # The wall span of this destination's work (``time.monotonic()``): when the first
        # file the committer took was started by the writer, and when the committer last
        # finished a batch (synced, read back, published, recorded). Its speed is the bytes
        # written over this span (``DestinationSummary.span_s``): copy_s and verify_s are
        # summed over files, and the writer and the read-back run at once.
        self.first_write: float | None = None
        self.last_done = 0.0

    def announce(self, ticket: FileTicket, event: Event) -> None:
        """Emit *event* of *ticket*'s file here (its ``copy`` phase) unless the file already
        has its result here: the reader fails a file on every destination at once when the
        card's read fails, maybe before this writer took it up, and a ``phase_changed`` after
        its ``file_failed`` showed a failed file as copying (docs/json.md: each file's events
        on a destination come in order). Without a book (``announce`` None), emitted."""
        if self._announce is None:
            self.sink.emit(event)
        else:
            self._announce(self.index, ticket, event)

    def in_the_way(self, target: str) -> Remedy:
        """What to do about a file in the way of the copy to *target* (``remedies``), with
        the refusal's kind. With --keep-both given, only another writer can have taken the
        name it chose: the same command keeps the copy beside (no refusal kind)."""
        if self.options.existing is ExistingFilePolicy.KEEP_BOTH:
            return Remedy(
                "another writer took the name --keep-both chose for the new copy while it was "
                "written; run the offload again to keep it beside under the next free name",
                None,
            )
        return self._remedies.of(target)

    def declare_lost(self, error: OffloadError) -> None:
        """Detach this destination (once; either thread): nothing more is written here."""
        with self._lost_lock:
            if self.lost is not None:
                return
            self.lost = error
            self.lost_at = time.time()
        full = isinstance(error, DestinationError) and error.full
        self.sink.emit(DestinationLost(self.index, error.message, error.errno, full))

    def internal_error(self, exc: BaseException) -> None:
        """A bug in either thread: detach the destination rather than block the reader."""
        self.declare_lost(DestinationError(f"internal error on destination {self.device}: {exc!r}"))

    def fail(self, ticket: FileTicket, target: str | Path, error: OffloadError) -> None:
        """Record *ticket* failed here before anything was written for it (a destination
        failure that names no path of this file, such as another file's write that lost the
        destination, is said as such: "<target> not copied: the destination failed (...)")."""
        if isinstance(error, DestinationError):
            self.declare_lost(error)
        message = error.message
        if isinstance(error, DestinationError) and not _names(message, str(target)):
            message = f"{target} not copied: the destination failed ({message})"
        self.record(
            ticket,
            DestinationFileResult(
                destination_index=self.index,
                final_path=str(target),
                status=DestinationStatus.FAILED,
                error=message,
                refusal=error.refusal if isinstance(error, DestinationFileError) else None,
            ),
        )

    def fail_pending(self, pending: Pending, error: OffloadError) -> None:
        if isinstance(error, DestinationError):
            self.declare_lost(error)
        self.fail_all([pending], error)

    def fail_unrecorded(
        self,
        done: list[tuple[Pending, DestinationFileResult]],
        error: OffloadError,
        *,
        durable: bool = True,
    ) -> None:
        """Record each file of *done* (its result as published: its final name, a keep-both
        name included, and its action) failed because its ledger line could not be written
        (*error*): whole there but vouched for by no record, each said so by the name it
        was published under ("copied to its name but not recorded ..."), never "not
        completed". A copy at its planned name is read back by the next run instead of
        trusted (adopted if equal to the card); one written beside another file
        (``--keep-both``) is read back by the next run with --keep-both only where that
        run looks for it (``_found_beside``), which its words say.

        *durable* False: what failed is the fsync of the folders after the renames (*error*),
        so no line was written either, and the name may not survive a power cut: said so,
        the copy still named where it is (the renames happened: a drive plugged back in may
        well show it there)."""
        for pending, result in done:
            final = result.final_path
            if durable:
                unrecorded = f"not recorded in the copy root's ledger ({error.message})"
            else:
                unrecorded = (
                    f"that name may not survive a power cut ({error.message}), and it is not "
                    "recorded in the copy root's ledger"
                )
            if pending.target is None or str(pending.target) == pending.final:
                what = (
                    f"{final} copied to its name but {unrecorded}: the next run reads it back "
                    "against the card (adopted if equal) instead of trusting it"
                )
            elif self._found_beside(pending):
                what = (
                    f"{final} copied beside {pending.final} (--keep-both) but {unrecorded}: "
                    "the next run with --keep-both reads it back against the card (adopted "
                    "if equal) instead of writing another copy beside it; no run without "
                    "--keep-both looks at it"
                )
            else:
                what = (
                    f"{final} copied beside {pending.final} (--keep-both) but {unrecorded}: "
                    "no later run reads it back or vouches for it (one with --keep-both "
                    "writes another copy beside it); remove it once the card's file is "
                    "verified elsewhere"
                )
            self.record(
                pending.ticket,
                DestinationFileResult(
                    destination_index=self.index,
                    final_path=final,
                    status=DestinationStatus.FAILED,
                    error=what,
                    bytes_written=pending.partial.bytes_written,
                    action=result.action,
                ),
            )

    def _found_beside(self, pending: Pending) -> bool:
        """Whether the next run with --keep-both looks for *pending*'s copy, kept beside the
        file at its planned name (``card._kept_copy``): only where it has the card file's
        date (mtimes kept) and the file in the way is not a regular file of the card file's
        size (one that is, that run reads back at its own name instead, and found different,
        writes another copy beside it). An ``lstat`` only on this failure's path."""
        if not self.options.preserve_mtime:
            return False
        try:
            st = os.lstat(pending.final)
        except OSError:
            return False  # not known: not promised
        return not (
            stat.S_ISREG(st.st_mode) and st.st_size == pending.ticket.task.source.size_bytes
        )

    def fail_all(self, victims: list[Pending], error: OffloadError) -> None:
        """Discard these partials and record each file failed with *error* (the message names
        each file, also when the error that detached the destination named another one, and
        then says why this one was not completed: "... not completed: the destination
        failed (cannot write <another file> ...)", never as if this file's own write had
        failed). Only the thread that owns the victims may call this."""
        for pending in victims:
            self.destination.remove_partial(pending.partial)
            message = error.message
            if not _names(message, str(pending.partial.final_path)):
                why = (
                    "the destination failed"
                    if isinstance(error, DestinationError)
                    else "another step of its batch failed"
                )
                message = f"{pending.partial.final_path} not completed: {why} ({message})"
            self.record(
                pending.ticket,
                DestinationFileResult(
                    destination_index=self.index,
                    final_path=str(pending.partial.final_path),
                    status=DestinationStatus.FAILED,
                    error=message,
                    bytes_written=pending.partial.bytes_written,
                ),
            )


# What may follow a path a message names ("cannot write <path> on destination ...",
# "<path>: ...", "(<path>)"): anything else continues a longer path that starts with it.
_AFTER_A_PATH = frozenset(" ;:,)'\"")


def _names(message: str, path: str) -> bool:
    """Whether *message* names *path* itself, not only a longer path that starts with it
    (a clip ``A001.MOV`` and its sidecar ``A001.MOV.xmp``: the sidecar's error is not the
    clip's own), exactly or as the terminal shows it (``printable_name``: the errors name a
    path so, a control character or a byte that is not UTF-8 escaped; QA: a PUT of
    ``new\\nline.mov`` refused was said "not completed: another step of its batch failed",
    its own failure)."""
    shown = printable_name(path)
    return _names_exactly(message, path) or (shown != path and _names_exactly(message, shown))


def _names_exactly(message: str, path: str) -> bool:
    start = message.find(path)
    while start != -1:
        end = start + len(path)
        if end == len(message) or message[end] in _AFTER_A_PATH:
            return True
        start = message.find(path, start + 1)
    return False
