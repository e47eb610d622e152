"""The committers' cancellable wait for the reader's verdict on a file (VerdictBoard)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from offload.engine.cancel import CancelToken
from offload.engine.messages import FileTask, FileTicket, VerdictBoard
from offload.errors import CancelledError, SourceError
from offload.model import SourceFile


def _ticket(board: VerdictBoard, sequence: int = 0) -> FileTicket:
    source = SourceFile(Path(f"/card/{sequence}"), str(sequence), 1, 0)
    return FileTicket(FileTask(source, (Path("/dest/x"),)), sequence, board)


def test_the_verdict_published_by_another_thread_is_returned() -> None:
    board = VerdictBoard()
    ticket, other = _ticket(board), _ticket(board, 1)
    ticket.source_error = SourceError("source changed")
    # Another file's verdict first: the waiter wakes and waits on for its own.
    threading.Timer(0.05, other.publish).start()
    threading.Timer(0.15, ticket.publish).start()
    error = ticket.wait_for_verdict(CancelToken())
    assert isinstance(error, SourceError) and error.message == "source changed"
    assert other.wait_for_verdict(CancelToken()) is None


def test_the_wait_stops_once_cancelled() -> None:
    ticket = _ticket(VerdictBoard())
    cancel = CancelToken()
    threading.Timer(0.05, cancel.cancel).start()
    started = time.monotonic()
    with pytest.raises(CancelledError):
        ticket.wait_for_verdict(cancel)
    assert time.monotonic() - started < 2


def test_a_verdict_published_before_the_wait_is_returned_at_once() -> None:
    ticket = _ticket(VerdictBoard())
    ticket.publish()
    ticket.publish()  # a second publish changes nothing
    cancel = CancelToken()
    cancel.cancel()  # known already: the file's outcome does not depend on the cancel
    assert ticket.wait_for_verdict(cancel) is None
