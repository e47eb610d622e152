"""A destination's small files' partials, created ahead of its writer on a thread of their own.

On a card of many small files the writer thread paces the job, and most of its time is the
kernel creating each partial (``open`` with ``O_CREAT | O_EXCL``: an inode and a directory
entry; docs/performance.md, "The 50,000-file card: eighteenth pass"), while the second core
waits. A ``PartialOpener`` walks the job's tickets in the order the reader reads them and
opens (``Destination.open_partial``: created, claimed) the partial of each small file bound
for its destination, up to ``OPEN_AHEAD_FILES`` ahead of the writer, which takes each one
(``take``) when the file's bytes arrive instead of creating it then. The writer's per-file
work is then its write; the create runs on the other core at the same time.

Only an optimisation: whatever the opener does not open, the writer opens itself, exactly
as without it, with its own checks and its own error. So the opener never reports anything:
a check that fails (the destination gone: ``check_present``; a name in the way under
``--fail``-on-existing, ``ExistingFilePolicy.FAIL``), or an ``open_partial`` that raises,
stops it, and the writer meets the same condition at that file and names it as it always
did. It asks the same questions the writer asks before a create: the destination's
presence before the first create in a folder it has not seen (a drive's empty mount point
must not get the card's folders) and every ``CHECK_PRESENT_EVERY`` files, and the name's
under ``FAIL`` in a folder it did not create.

Promises kept: a partial opened ahead is a partial like any other (hidden name, ``O_EXCL``,
claimed from its creation: a clean-up by another run leaves it, and a killed run's is a
stray, removed by the next run), never a final name; one whose file never reaches the
writer (its source failed, the destination was lost, the job was cancelled or stopped) is
removed (``take`` drops those before the file it is asked for; ``stop`` drops the rest).

Used only where ``Features.opens_ahead`` (a kernel filesystem on a local disk: a create
there does not wait on a server or a FUSE daemon, so ``stop`` never waits long for it).

Threading: the opener's thread is its own; ``take`` and ``stop`` are the writer thread's.
They share the partials opened ahead (a deque) and how far the opener got, under one
condition. A partial is the opener's until ``take`` hands it over, then the writer's.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Sequence

from offload.destinations.base import Partial
from offload.engine.messages import FileTicket
from offload.engine.state import DestinationState
from offload.options import ExistingFilePolicy

# Partials opened ahead and not yet taken, at most (a descriptor each: counted by the job's
# fit of its descriptors, ``engine.job``).
OPEN_AHEAD_FILES = 64
# The destination's presence asked again after this many creates without a new folder (the
# writer asks once a batch of up to 256 files).
CHECK_PRESENT_EVERY = 256


class PartialOpener:
    """Opens the partials of *tickets*' small files (size below *small_below*) bound for
    *state*'s destination ahead of its writer (see the module docstring). ``start`` once,
    then ``take`` for each small file the writer gets, ``stop`` once when it is done."""

    def __init__(
        self,
        state: DestinationState,
        tickets: Sequence[FileTicket],
        small_below: int,
        window: int = OPEN_AHEAD_FILES,
    ) -> None:
        self._state = state
        self._tickets = tickets
        self._small_below = small_below
        self._window = max(1, window)
        self._changed = threading.Condition(threading.Lock())
        # Under ``_changed``: (ticket sequence, partial) opened ahead, in ticket order; the
        # sequence of the last ticket the opener is done with (opened or passed over); and
        # whether it has stopped (done with every ticket, stopped by a check, or told to).
        self._ahead: deque[tuple[int, Partial]] = deque()
        self._reached = -1
        self._finished = False
        self._stopping = False
        # Folders the opener knows to exist, those it made (writer thread reads neither).
        self._known: set[str] = set()
        self._made: set[str] = set()
        self._thread = threading.Thread(
            target=self._run, name=f"open-ahead-{state.index}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    # -- the writer thread -------------------------------------------------------------------

    def take(self, ticket: FileTicket) -> Partial | None:
        """The partial opened ahead for *ticket* (now the caller's), or None: the caller
        opens it itself. Waits while the opener has not yet got to *ticket*. Partials of
        earlier tickets (files that never reached the writer) are removed."""
        sequence = ticket.sequence
        stale: list[Partial] = []
        taken: Partial | None = None
        with self._changed:
            while True:
                ahead = self._ahead
                while ahead and ahead[0][0] < sequence:
                    stale.append(ahead.popleft()[1])
                if ahead and ahead[0][0] == sequence:
                    taken = ahead.popleft()[1]
                    break
                if self._finished or self._reached >= sequence:
                    break  # passed over, or stopped before it: the writer opens it
                self._changed.wait()
            self._changed.notify_all()  # room ahead
        self._remove(stale)
        return taken

    def stop(self) -> None:
        """Stop the opener, wait for its thread, and remove every partial it opened that
        was not taken. Never raises."""
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        self._thread.join()
        with self._changed:
            left = [partial for _, partial in self._ahead]
            self._ahead.clear()
        self._remove(left)

    def _remove(self, partials: list[Partial]) -> None:
        remove = self._state.destination.remove_partial
        for partial in partials:
            try:
                remove(partial)
            except Exception:  # never raises by contract; nothing more to do about it
                continue

    # -- the opener's thread -----------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._open_all()
        except Exception:
            # Whatever stopped it (a check, a create, a bug): the writer opens the files
            # from here on itself and meets, and names, the same condition.
            pass
        finally:
            with self._changed:
                self._finished = True
                self._changed.notify_all()

    def _stopped_now(self) -> bool:
        """Whether ``stop`` was called (the writer thread sets it at any time)."""
        return self._stopping

    def _open_all(self) -> None:
        state = self._state
        destination = state.destination
        index = state.index
        small_below = self._small_below
        fail_on_existing = state.options.existing is ExistingFilePolicy.FAIL
        unchecked = 0
        for ticket in self._tickets:
            target = ticket.task.targets[index]
            size = ticket.task.source.size_bytes
            if target is not None and size < small_below:
                if len(self._ahead) >= self._window:  # (read unlocked: only this thread grows it)
                    with self._changed:
                        while len(self._ahead) >= self._window and not self._stopping:
                            self._changed.wait()
                if self._stopping:
                    return
                if state.cancel.cancelled or state.lost is not None:
                    return
                folder = target.rpartition(os.sep)[0]
                known = folder in self._known
                if not known or unchecked >= CHECK_PRESENT_EVERY:
                    destination.check_present()  # raises when gone: the writer names it
                    unchecked = 0
                if fail_on_existing and folder not in self._made and destination.exists(target):
                    return  # in the way: the writer refuses it, and goes on alone
                partial = destination.open_partial(
                    target,
                    size_bytes=size,
                    folder_known=known,
                    digests=ticket.task.reference_digests or None,
                    hashed=None,
                )
                unchecked += 1
                self._known.add(folder)
                if partial.created_dirs:
                    self._made.update(map(str, partial.created_dirs))
                with self._changed:
                    stopped = self._stopped_now()
                    if not stopped:
                        self._ahead.append((ticket.sequence, partial))
                        self._reached = ticket.sequence
                        self._changed.notify_all()
                if stopped:
                    self._remove([partial])
                    return
            else:
                # Not this destination's, or not a small file: the writer opens it.
                with self._changed:
                    self._reached = ticket.sequence
                    self._changed.notify_all()
