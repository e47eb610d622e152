"""A destination's committer thread: make a batch durable, read it back, publish it.

Threading model: ``DestinationCommitter.run`` is the body of the committer thread, started
and joined by the destination's writer (``engine.writer``). It takes batches from
``DestinationState.batches``; every file of a batch is its own from then on (see
``engine.state``). It owns the read-back buffer. Every destination I/O goes through the
destination backend (``offload.destinations.base``).

Per batch: give every file its source's modification time, make every file durable
(``make_durable``: one call for the batch where the destination can promise it covers every
file, else a sync per file), read each back from the media (unless transfer mode), wait for
the reader's verdict, compare, publish each under its final name without replacing, make the
names durable, record the verified files in the ledger (durably); only then is a file
reported good. The ledger comes last so that it never vouches for a copy this run reports
failed (a publish or folder fsync that lost the drive). Every file of a batch gets exactly
one result here (or, for a source error or a cancel, from the reader or the job).
"""

from __future__ import annotations

import errno
import os
import time
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from offload.destinations.naming import keep_both_name
from offload.engine.mismatch import mismatch_error
from offload.engine.state import DestinationState, Pending
from offload.engine.verifier import hash_read_back
from offload.errors import (
    CancelledError,
    DestinationError,
    DestinationFileError,
    OffloadError,
    VerificationError,
    describe_os_error,
    destination_io_error,
    printable_name,
)
from offload.events import BytesVerified, PhaseChanged, wanted, wanted_phase
from offload.fs.direct import AlignedBuffer
from offload.hashing.registry import comparable_digest
from offload.ledger import VerifiedCopy
from offload.options import ExistingFilePolicy, VerifyMode
from offload.results import (
    NO_DIGESTS,
    CacheBypass,
    CopyAction,
    DestinationFileResult,
    DestinationStatus,
)

Verified = list[tuple[Pending, DestinationFileResult]]

# Enum members looked up once: in Python 3.11 ``DestinationStatus.FAILED`` goes through
# ``EnumType.__getattr__`` (~800 instructions a look-up), several a file here, and a member's
# ``.value`` through a Python descriptor (docs/performance.md, "The committer: fifteenth
# pass").
_FAILED = DestinationStatus.FAILED
_NOT_READ = CacheBypass.NOT_READ
# Makes a ledger record (a named tuple) without its Python ``__new__``.
_new_tuple = tuple.__new__


class DestinationCommitter:
    """Syncs, verifies and commits the batches of one destination (see module docstring)."""

    def __init__(self, state: DestinationState) -> None:
        self.state = state
        self._buffer: AlignedBuffer | None = None
        # The per-file events the sink takes at all (``events.wanted``, a file's "verify"
        # phase ``events.wanted_phase``).
        self._phase_events = wanted_phase(state.sink, "verify")
        self._verified_events = wanted(state.sink, BytesVerified)
        options = state.options
        self._verifying = options.verify is not VerifyMode.TRANSFER
        # What a file that passed its checks is: read back, or transfer-checked only.
        self._good = (
            DestinationStatus.VERIFIED if self._verifying else DestinationStatus.TRANSFER_CHECKED
        )
        self._replace = options.existing is ExistingFilePolicy.OVERWRITE

    def run(self) -> None:
        """Take batches until the writer's None. Never stops before it: a bug in a batch
        loses the destination (its files fail), and the next batches are taken all the
        same (the writer blocks handing one over while two wait)."""
        state = self.state
        while True:
            batch = state.batches.get()
            if batch is None:
                return
            try:
                if state.cancel.cancelled:
                    for pending in batch:
                        state.destination.remove_partial(pending.partial)
                    continue
                if state.lost is not None:
                    state.fail_all(batch, state.lost)
                    continue
                if state.first_write is None:  # batches come in the writer's order
                    state.first_write = batch[0].started
                self._flush_batch(batch)
                state.last_done = time.monotonic()
            except BaseException as exc:  # a bug must not leave the writer blocked on us
                state.internal_error(exc)
                for pending in batch:
                    try:
                        state.destination.remove_partial(pending.partial)
                    except Exception:  # never raises by contract; the loss is recorded
                        continue

    def close(self) -> None:
        """Free the read-back buffer (after ``run`` returned)."""
        if self._buffer is not None:
            self._buffer.close()
            self._buffer = None

    def _flush_batch(self, batch: list[Pending]) -> None:
        state = self.state
        options = state.options
        read = self._read_batch_back(self._sync(batch))
        verified: Verified = []
        for position, (pending, result) in enumerate(read):
            if state.lost is not None:
                rest = [p for p, _ in verified] + [p for p, _ in read[position:]]
                state.fail_all(rest, state.lost)
                return
            judged = self._judge(pending, result)
            if judged is None:
                continue
            if judged.status is _FAILED:
                state.record(pending.ticket, judged)
                continue
            verified.append((pending, judged))
        if not verified or self._gone([p for p, _ in verified]):
            return
        verified = self._choose_targets(verified)
        if not verified:
            return
        # When the batch was proven (read back, or transfer-checked): its ledger entries,
        # its results' verified_at (the JSON report) and the manifests' hashdate all say
        # this one time (a float the batch shares).
        proven_at = time.time()
        done: Verified = []
        state.sink.emit(PhaseChanged(state.index, verified[0][0].ticket.relative_path, "commit"))
        for position, (pending, result) in enumerate(verified):
            if not self._commit(pending, result):
                if state.lost is not None:
                    # Lost while publishing: the files published so far are not called good,
                    # and those not yet published never will be (their partials go). None
                    # is in the ledger: it records a batch only once its names are durable.
                    rest = [p for p, _ in verified[position + 1 :]]
                    state.fail_all([p for p, _ in done] + rest, state.lost)
                    return
                continue
            done.append((pending, result))
        if not done:
            return
        if state.flush:
            try:
                state.destination.make_names_durable([p.target or p.final for p, _ in done])
            except OSError as exc:
                # The renames may not survive a power cut: nothing here is called good, and
                # the ledger never vouches for them (a drive unplugged here and plugged back
                # may show them at their final names: a later run reads them back).
                # Each said so at the name it was published under, never "not completed".
                folder = exc.filename or state.root
                error = destination_io_error(exc, "fsync folder", folder, state.device)
                state.declare_lost(error)
                state.fail_unrecorded(done, error, durable=False)
                return
        if state.ledger is not None and not self._gone([p for p, _ in done]):
            # Recorded only now, once the names it vouches for are durable: a line written
            # before the publish outlived a publish or folder fsync that failed (a drive
            # unplugged), and the next run trusted copies this run reported failed; a
            # revocation could not reach a drive that was gone. Killed between the renames
            # and this line, a copy is at its name without an entry: the next run reads it
            # back (ADOPT), never trusts it.
            # What the read-back proved: "transfer" when nothing was read back from the media
            # (transfer mode, or a destination that is not flushed). A later run in a
            # stricter mode does not trust such an entry.
            proven = options.verify.value if state.flush else VerifyMode.TRANSFER.value
            try:
                # Each line made at once (``Ledger.append_verified``), no entry object a file.
                state.ledger.append_verified(_ledger_records(done, proven), recorded_at=proven_at)
            except OSError as exc:
                error = destination_io_error(exc, "record", state.ledger.path, state.device)
                state.declare_lost(error)
                state.fail_unrecorded(done, error)  # at their names (keep-both's too), whole
                return
        record = state.record
        # Each result says how this run proved it (the JSON and CSV ``verified_mode``, as a
        # copy trusted from the ledger says the earlier run's): "transfer" for a transfer
        # check, else the read-back's mode (one through a cache says so in ``cache_bypass``;
        # the ledger above records such a copy "transfer", for later runs' trust).
        mode = options.verify.value
        for pending, result in done:
            result.verified_at = proven_at
            result.verified_mode = mode
            record(pending.ticket, result)

    def _gone(self, victims: list[Pending]) -> bool:
        """Ask whether the destination is still there (``check_present``) before a batch is
        published and before its ledger lines: the writer asks only once a batch, so a drive
        unmounted or swapped at the same path mid-batch would otherwise have its files
        published, and recorded, on whatever is mounted there now. If it is gone, the
        destination is lost and *victims* fail (never called good). One call a batch."""
        state = self.state
        try:
            state.destination.check_present()
        except DestinationError as error:
            lost: OffloadError = error
        except OSError as exc:
            lost = destination_io_error(exc, "reach", state.root, state.device)
        else:
            return False
        state.declare_lost(lost)
        state.fail_all(victims, state.lost or lost)
        return True

    def _choose_targets(self, verified: Verified) -> Verified:
        """Fix each file's final name before the ledger records it: keep-both picks one
        (``Pending.target``); with the other policies it is the planned one (``target``
        stays None: no ``Path`` is made for it)."""
        state = self.state
        if state.options.existing is not ExistingFilePolicy.KEEP_BOTH:
            return verified
        kept = []
        for pending, result in verified:
            try:
                pending.target = self._free_name(pending.partial.final_path)
            except OSError as exc:
                state.destination.remove_partial(pending.partial)
                result.status = DestinationStatus.FAILED
                result.error = destination_io_error(
                    exc, "name", pending.partial.final_path, state.device
                ).message
                state.record(pending.ticket, result)
                continue
            kept.append((pending, result))
        return kept

    def _free_name(self, final_path: Path) -> Path:
        """KEEP_BOTH: the final name if free, else the first free "name (n).ext". Raises
        FileExistsError when no name is free."""
        exists = self.state.destination.exists
        target = final_path
        attempt = 0
        while exists(target) or (attempt and str(target) in self.state.card_names):
            attempt += 1
            if attempt > 9999:
                raise FileExistsError(errno.EEXIST, "no free name", str(final_path))
            target = keep_both_name(final_path, attempt)
        return target

    def _sync(self, batch: list[Pending]) -> list[Pending]:
        """Make every file of the batch durable; returns the files that survived."""
        state = self.state
        survivors: list[Pending] = []
        started = time.monotonic()
        synced_all = False
        if state.options.preserve_mtime:
            batch = self._set_mtimes(batch)
            if not batch:
                return []
        # One phase event a batch, not a file: the batch is flushed at once, and events per
        # file per destination were a measurable share of a small file's cost. Sent once the
        # mtimes are set, just before the flush: what it starts elsewhere (the command's
        # imports for its end) then runs during the wait, not against the batch's system
        # calls (docs/performance.md, "Fixed cost: fourteenth pass").
        state.sink.emit(PhaseChanged(state.index, batch[0].ticket.relative_path, "flush"))
        if state.flush and len(batch) > 1:
            synced_all = state.destination.make_durable([p.partial for p in batch])
        for position, pending in enumerate(batch):
            try:
                size = pending.partial.seal(sync=state.flush and not synced_all)
            except DestinationError as gone:  # the file is not on the destination's device
                self._step_failed(gone, "flush", pending, survivors, batch[position + 1 :])
                return []
            except OSError as exc:
                # fsyncgate: a failed fsync is never retried into a "success".
                if self._step_failed(exc, "flush", pending, survivors, batch[position + 1 :]):
                    return []
                continue
            expected = pending.ticket.task.source.size_bytes
            if size != pending.partial.bytes_written or size != expected:
                state.fail_pending(
                    pending,
                    VerificationError(
                        f"{pending.partial.final_path} on {state.device} has {size} bytes, "
                        f"expected {expected}",
                        path=pending.partial.final_path,
                    ),
                )
                continue
            survivors.append(pending)
        elapsed = time.monotonic() - started
        state.copy_s += sum([p.copy_s for p in batch]) + elapsed
        return survivors

    def _set_mtimes(self, batch: list[Pending]) -> list[Pending]:
        """Give every file of the batch its source's modification time, before the batch is
        made durable (so the time is durable with the data); returns the files that took it.
        Here, not on the writer: the writer paces a card of small files, and this is one
        system call a file (docs/performance.md, "Many small files: thirteenth pass")."""
        kept: list[Pending] = []
        for position, pending in enumerate(batch):
            try:
                pending.partial.set_mtime(pending.ticket.task.source.mtime_ns)
            except OSError as exc:
                what = "set the modification time of"
                if self._step_failed(exc, what, pending, kept, batch[position + 1 :]):
                    return []
                continue
            kept.append(pending)
        return kept

    def _step_failed(
        self,
        exc: OSError | DestinationError,
        operation: str,
        pending: Pending,
        done: list[Pending],
        rest: list[Pending],
    ) -> bool:
        """A step of *pending* failed before the batch was made durable: a cancel removes its
        partial (the job records it cancelled); else it fails, never retried, and a failure
        that lost the destination fails *done* and *rest* with it. Returns whether the batch
        is over (the destination lost)."""
        state = self.state
        error = (
            exc
            if isinstance(exc, DestinationError)
            else self._io_error(
                exc, operation, pending.partial.final_path, pending.ticket.relative_path
            )
        )
        if isinstance(error, CancelledError):
            state.destination.remove_partial(pending.partial)
            return False
        state.fail_pending(pending, error)
        if state.lost is not None:
            state.fail_all(done + rest, state.lost)
            return True
        return False

    def _read_batch_back(self, batch: list[Pending]) -> Verified:
        """Read every file of the batch back from the media (unless transfer mode), holding
        the device's read-back gate if the destination has one (``engine.devices``).

        Returns the files still this committer's to judge, each with its result so far. A
        file whose read-back failed is recorded here; a cancel (also while waiting at the
        gate) removes the partials and returns nothing (the job records them cancelled); a
        lost destination fails the batch. Nothing here waits for the reader.
        """
        state = self.state
        read: Verified = []
        if not batch:
            return read
        if not self._verifying:
            new_result = self._new_result
            return [(pending, new_result(pending)) for pending in batch]
        try:
            with self._gate(batch[0]):
                if state.flush and len(batch) > 1:
                    self._prefetch_read_backs(batch)
                for position, pending in enumerate(batch):
                    if state.lost is not None:
                        state.fail_all([p for p, _ in read] + batch[position:], state.lost)
                        return []
                    result = self._new_result(pending)
                    path = pending.ticket.relative_path
                    if self._phase_events:
                        state.sink.emit(PhaseChanged(state.index, path, "verify"))
                    try:
                        self._read_back(pending, result)
                    except OffloadError as error:
                        if isinstance(error, CancelledError):
                            for p in [*(p for p, _ in read), *batch[position:]]:
                                state.destination.remove_partial(p.partial)
                            return []
                        self._failed(pending, result, error)
                        continue
                    read.append((pending, result))
        except CancelledError:  # while waiting at the gate: nothing of the batch was read
            for pending in batch:
                state.destination.remove_partial(pending.partial)
            return []
        return read

    def _gate(self, first: Pending) -> AbstractContextManager[None]:
        """The device's read-back gate (``engine.devices.ReadBackGate``), or nothing."""
        state = self.state
        gate = state.read_back_gate
        if gate is None:
            return nullcontext()
        return gate.held(
            state.cancel,
            on_wait=lambda: state.sink.emit(
                PhaseChanged(state.index, first.ticket.relative_path, "wait")
            ),
        )

    def _new_result(self, pending: Pending) -> DestinationFileResult:
        partial = pending.partial
        resumed = partial.bytes_resumed
        # What this run sent: the parts of a resumed upload already there are not. Where that
        # is the card file's size (a whole copy, the usual end), the file's own int object
        # (``FileResult.size_bytes`` holds it too), not an equal one made for each copy: 32 B a
        # copy held to the end (docs/performance.md, "The command's memory per file after the
        # copy": thirty-ninth pass).
        written = partial.bytes_written - resumed
        size = pending.ticket.task.source.size_bytes
        if written == size:
            written = size
        # By position (index, final path, status, error, bytes written, bytes resumed, the
        # digests read back and recorded): the keywords' dict was a share of a small file's
        # cost here, and each digests field left to its ``default_factory`` a Python call.
        result = DestinationFileResult(
            self.state.index,
            pending.final,
            _FAILED,
            None,
            written,
            resumed,
            NO_DIGESTS,
            NO_DIGESTS,
        )
        result.copy_s = pending.copy_s
        return result

    def _failed(self, pending: Pending, result: DestinationFileResult, error: OffloadError) -> None:
        """Record a file failed here (its partial removed; a destination error loses it)."""
        state = self.state
        state.destination.remove_partial(pending.partial)
        if isinstance(error, DestinationError):
            state.declare_lost(error)
        result.status = DestinationStatus.FAILED
        result.error = error.message
        state.record(pending.ticket, result)

    def _judge(
        self, pending: Pending, result: DestinationFileResult
    ) -> DestinationFileResult | None:
        """Wait for the reader's verdict and compare it with what was read back.

        Returns a VERIFIED/TRANSFER_CHECKED result (not yet committed), a FAILED one, or None
        when the file is no longer this committer's to report (source error, cancel).
        """
        state = self.state
        algorithm = state.verify_algorithm
        ticket = pending.ticket
        partial = pending.partial
        verifying = self._verifying
        try:
            # Published already, mostly (a pack's verdicts go out together): read as
            # ``VerdictBoard.wait`` reads it, without its two calls a file.
            source_error = (
                ticket.source_error if ticket.published else ticket.wait_for_verdict(state.cancel)
            )
            if state.cancel.cancelled:
                raise CancelledError("cancelled")
            if source_error is not None:
                state.destination.remove_partial(partial)
                return None  # the reader records the source error on every destination
            expected = ticket.inflight_digests[algorithm]
            # Transfer mode read nothing back: its result carries no digest (the in-flight
            # digests are the file's, in FileResult), only TRANSFER_CHECKED.
            if verifying and result.digests[algorithm] != expected:
                # A mismatch is re-read once before it is declared (a flaky read path).
                result.reread = True
                with self._gate(pending):
                    self._read_back(pending, result)
                if result.digests[algorithm] != expected:
                    raise VerificationError(
                        mismatch_error(
                            partial.final_path,
                            state.device,
                            algorithm,
                            result.digests[algorithm],
                            expected,
                        ),
                        path=partial.final_path,
                    )
        except OffloadError as error:
            state.destination.remove_partial(partial)
            if isinstance(error, CancelledError):
                return None
            if isinstance(error, DestinationError):
                state.declare_lost(error)
            result.error = error.message
            return result
        result.status = self._good
        return result

    def _taken(self, target: Path | str) -> bool:
        """Whether something has the name *target* there (one ``stat``; a name that cannot
        be asked about is not called taken: the reports never claim a replacement that
        was not seen)."""
        try:
            return self.state.destination.stat(Path(target)) is not None
        except OSError:
            return False

    def _commit(self, pending: Pending, result: DestinationFileResult) -> bool:
        """Rename a verified partial to its final name; on failure record it and say False
        (on a cancel, say False: the job records the file cancelled)."""
        state = self.state
        partial = pending.partial
        target = pending.target or pending.final
        # What the rename replaces (only where it may: --overwrite, a copy of ours found
        # wrong): the reports name every file a copy took the place of.
        replaced = self._replace and self._taken(target)
        try:
            try:
                state.destination.publish(
                    partial, target, replace=self._replace, digests=pending.ticket.inflight_digests
                )
            except FileExistsError as exc:
                # Here, not at the module's top: asked only at a refusal, never at the start.
                from offload.engine.taken import spelled_otherwise

                # Only this last step failed: the copy is written, durable and proven. Where
                # another writer took the name meanwhile with this very file (the one-file
                # copy: two pfndispatchcopy of one source at once), it is kept.
                unread: str | None = ""
                if state.keep_taken:
                    unread = self._keep_taken(pending, result, Path(target))
                    if unread is None:
                        return False  # recorded here, kept (or its folder's fsync failed)
                # Another spelling named only where the folder lists one (a case-sensitive
                # filesystem never hears of case); an object store's key is its name.
                other = (
                    None
                    if state.destination.features.exact_names
                    else spelled_otherwise(Path(target))
                )
                spelled = f" as {printable_name(other)}" if other is not None else ""
                # A file there that cannot be read back: its error said, and no advice to
                # overwrite a file on a drive that fails to read it.
                # (Unreadable: no refusal kind, the same command reads it back again.)
                way = None if unread else state.in_the_way(str(partial.final_path))
                remedy = (
                    f"{unread}; not overwritten: check that drive; the same command run again "
                    "reads the file there back and keeps it when it is this file"
                    if way is None
                    else f"; not overwritten: {way.words}"
                )
                raise DestinationFileError(
                    f"{partial.final_path} already exists on destination {state.device}"
                    f"{spelled}{remedy}",
                    path=partial.final_path,
                    refusal=None if way is None else way.refusal,
                ) from exc
            except OSError as exc:
                raise self._io_error(
                    exc, "rename", partial.final_path, pending.ticket.relative_path
                ) from exc
        except OffloadError as error:
            state.destination.remove_partial(partial)
            if isinstance(error, CancelledError):
                return False  # not published: the job records it cancelled
            if isinstance(error, DestinationError):
                state.declare_lost(error)
            result.status = DestinationStatus.FAILED
            result.error = error.message
            if isinstance(error, DestinationFileError):
                result.refusal = error.refusal
            state.record(pending.ticket, result)
            return False
        if replaced:
            result.action = CopyAction.REPLACED
        if pending.target is not None:  # keep-both's choice
            chosen = str(pending.target)
            if chosen != result.final_path:  # another name (else the planned text is kept)
                result.final_path = chosen
        return True

    def _keep_taken(
        self, pending: Pending, result: DestinationFileResult, target: Path
    ) -> str | None:
        """The file another writer published at *target* while this copy was written, read
        back from the media (fsynced first where the job flushes: the other writer need not
        have synced it) and compared with the digests this run made of the source bytes
        it read (the ticket's: never a second read of the source). Equal: this run's
        partial removed, the file given the source's date where dates are kept
        (``give_source_date``: one it cannot be given fails the file), the file and its
        name made durable (``make_taken_durable``, ``make_names_durable``: an fsync that
        fails fails the file, as for a copy of this run's own), and the file recorded kept,
        as a copy already there before the job (verified now, ``adopted``). None once
        recorded; else (the partial removed) the refusal stands, and this is what it adds
        of the file there: `` and cannot be read back (<error>)`` where a look or a read
        of it failed, else nothing (not this file, or changed while it was read).
        DestinationFileError where the file is gone since the publish found it (ENOENT: its
        own words, not the refusal's). CancelledError once the job is cancelled during the
        read. Only called for the
        publish's EEXIST, so every earlier failure (a write, a sync, a read-back) stays a
        failure."""
        from offload.engine.taken import (
            give_source_date,
            look_at_taken,
            make_taken_durable,
            read_taken,
        )

        state = self.state
        ticket = pending.ticket
        state.destination.remove_partial(pending.partial)
        wanted = ticket.inflight_digests

        def gone(exc: FileNotFoundError) -> DestinationFileError:
            # Removed since the publish found it: "already exists ... cannot be read back:
            # check that drive" would be false of a name that is free now.
            return DestinationFileError(
                f"{pending.partial.final_path} was taken on destination {state.device} while "
                f"this copy was written, and is gone since ({describe_os_error(exc)}): "
                "nothing published there; the same command run again copies it",
                path=pending.partial.final_path,
            )

        try:
            before = look_at_taken(target, ticket.task.source.size_bytes)
        except FileNotFoundError as exc:
            raise gone(exc) from exc
        except OSError as exc:
            return f" and cannot be read back ({describe_os_error(exc)})"
        if before is None:
            return ""

        def failed(exc: OSError, step: str) -> None:
            where = target if step == "fsync" else exc.filename or target.parent
            error = destination_io_error(exc, step, where, state.device)
            state.declare_lost(error)
            result.status = _FAILED
            result.error = error.message
            state.record(ticket, result)

        if state.flush:
            # Synced before it is read back: a read through a cache (no O_DIRECT on FUSE)
            # would otherwise be of pages the other writer may never have put on the medium.
            try:
                make_taken_durable(target)
            except FileNotFoundError as exc:
                raise gone(exc) from exc
            except OSError as exc:
                failed(exc, "fsync")
                return None
        try:
            read = read_taken(
                target,
                before,
                tuple(wanted),
                chunk_size=state.options.chunk_size,
                cancel=state.cancel,
            )
        except FileNotFoundError as exc:
            raise gone(exc) from exc
        except OSError as exc:
            return f" and cannot be read back ({describe_os_error(exc)})"
        if read is None:
            return ""
        digests, bypass = read
        if any(
            comparable_digest(name, digests[name]) != comparable_digest(name, value)
            for name, value in wanted.items()
        ):
            return ""
        if state.options.preserve_mtime:
            # Given before the fsync below, which makes the date durable with the file.
            undated = give_source_date(target, ticket.task.source.mtime_ns)
            if undated is not None:
                result.status = _FAILED
                result.error = undated
                state.record(ticket, result)
                return None
        if state.flush:
            # The file (its date), then its name: as for a copy of this run's own.
            step = "fsync"
            try:
                make_taken_durable(target)
                step = "fsync folder"
                state.destination.make_names_durable([target])
            except OSError as exc:
                failed(exc, step)
                return None
        result.status = DestinationStatus.VERIFIED
        result.action = CopyAction.ADOPTED
        result.digests = digests
        result.cache_bypass = bypass
        result.verified_at = time.time()
        # Read back from the media now, whatever --verify (as ``existing.settle`` words a
        # copy found there before the job).
        result.verified_mode = state.options.verify.value if self._verifying else "destination"
        state.record(ticket, result)
        return None

    def _io_error(
        self, exc: OSError, operation: str, path: Path, card_path: str | None = None
    ) -> OffloadError:
        """``destination_io_error``, except for a step the destination stopped because the job
        was cancelled (ECANCELED while the token is set; ``destinations.base``): that is the
        job's cancel, and the file is cancelled, not failed."""
        state = self.state
        if exc.errno == errno.ECANCELED and state.cancel.cancelled:
            return CancelledError(f"cancelled: {exc.strerror or exc}", path=path)
        return destination_io_error(exc, operation, path, state.device, card_path=card_path)

    def _prefetch_read_backs(self, batch: list[Pending]) -> None:
        """Evict the batch's small files from the cache and start reading them back from the
        media, all at once (one synchronous O_DIRECT read a file was the bottleneck of full
        verification on cards of small files). Large files keep their O_DIRECT read-back."""
        state = self.state
        for pending in batch:
            if pending.partial.bytes_written >= state.options.chunk_size:
                continue
            try:
                pending.evicted = state.destination.prefetch_read_back(pending.partial)
            except OSError:
                pending.evicted = None  # the read-back itself reports the error

    def _read_back(self, pending: Pending, result: DestinationFileResult) -> None:
        """Hash the partial as stored on the media into *result* (digest, bypass, time).

        A file the batch prefetched is read through the cache the media just filled; any
        other (and every re-read after a mismatch) with O_DIRECT or a checked cache drop.
        """
        state = self.state
        if self._buffer is None:
            self._buffer = AlignedBuffer(state.options.chunk_size)
        started = time.monotonic()
        prefetched, pending.evicted = pending.evicted, None

        def counted(n: int) -> None:
            state.sink.emit(BytesVerified(state.index, n))

        try:
            digest, size, how = hash_read_back(
                state.destination.open_read_back(
                    pending.partial, bypass_cache=state.flush and prefetched is None
                ),
                state.verify_algorithm,
                self._buffer,
                cancel=state.cancel,
                on_bytes=counted if self._verified_events else None,
                expected_size=pending.ticket.task.source.size_bytes,
            )
        except OSError as exc:
            error = self._io_error(exc, "read back", pending.partial.final_path)
            if not isinstance(error, CancelledError):
                # A drive unmounted (even lazily) after its files were written keeps no
                # partial at its path (ENOENT): the destination is gone, said as such (it
                # was "cannot read back ...: No such file or directory", a file at a time).
                try:
                    state.destination.check_present()
                except DestinationError as gone:
                    raise gone from exc
                except OSError:
                    pass  # the file's own error says it
            raise error from exc
        if size != pending.ticket.task.source.size_bytes:
            digest = f"(read back {size} bytes)"
        result.digests = {state.verify_algorithm: digest}
        if prefetched is not None:
            how = prefetched
        result.cache_bypass = how
        elapsed = time.monotonic() - started
        result.verify_s += elapsed
        state.verify_s += elapsed


def _ledger_records(done: Verified, proven: str) -> list[VerifiedCopy]:
    """The ledger's record of each file of *done*, proven by *proven* (the batch's mode)."""
    records = []
    how: CacheBypass = _NOT_READ
    bypass = how.value  # a member's value looked up once a run of the same member
    for pending, result in done:
        if result.cache_bypass is not how:
            how = result.cache_bypass
            bypass = how.value
        ticket = pending.ticket
        source = ticket.task.source  # (its relative path without the ticket's property)
        records.append(
            _new_tuple(
                VerifiedCopy,
                (
                    source.relative_path,
                    source.size_bytes,
                    source.mtime_ns,
                    ticket.inflight_digests,
                    pending.partial.partial_name,
                    # The name alone (posix basename, without its Python call a file).
                    (
                        pending.target.name
                        if pending.target
                        else pending.final.rpartition(os.sep)[2]
                    ),
                    proven,
                    bypass,
                    ticket.fingerprint,
                ),
            )
        )
    return records
