"""``_ResultBook.announce`` emits a writer's phase event outside the results' lock: a slow
sink (``--json | less``) holds no other file's ``record``, and a result recorded for the
same file and destination meanwhile still comes after it. Real threads, a sink whose emit
of the phase event blocks until the test lets it go."""

from __future__ import annotations

import threading
from pathlib import Path

from offload.engine.job import _ResultBook
from offload.engine.messages import FileTask, FileTicket, VerdictBoard
from offload.events import Event, FileFailed, PhaseChanged
from offload.model import SourceFile
from offload.results import DestinationFileResult, DestinationStatus, JobReport


class HeldSink:
    """Keeps every event in order; its emit of a ``PhaseChanged`` blocks until ``go``."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.holding = threading.Event()
        self.go = threading.Event()

    def emit(self, event: Event) -> None:
        if isinstance(event, PhaseChanged):
            self.holding.set()
            assert self.go.wait(10)
        self.events.append(event)


def _ticket(sequence: int, name: str) -> FileTicket:
    source = SourceFile(Path(f"/card/{name}"), name, 3, 0)
    return FileTicket(FileTask(source, (None,)), sequence, VerdictBoard())


def _failed(index: int) -> DestinationFileResult:
    return DestinationFileResult(index, "/d/x", DestinationStatus.FAILED, error="read error")


def test_a_slow_emit_holds_no_other_file_and_its_own_file_s_result_comes_after() -> None:
    a, b = _ticket(0, "A.mov"), _ticket(1, "B.mov")
    sink = HeldSink()
    book = _ResultBook(JobReport("full", ("xxh64",)), [a, b], ("xxh64",), sink)
    announcing = threading.Thread(
        target=book.announce, args=(0, a, PhaseChanged(0, "A.mov", "copy"))
    )
    announcing.start()
    assert sink.holding.wait(10)
    # Another file's result: recorded and emitted at once. Failed before: it waited on the
    # lock the held emit was made under.
    other = threading.Thread(target=book.record, args=(b, _failed(0)))
    other.start()
    other.join(2)
    assert not other.is_alive()
    # The same file's result on that destination: it waits for the phase event.
    same = threading.Thread(target=book.record, args=(a, _failed(0)))
    same.start()
    same.join(0.3)
    assert same.is_alive()
    sink.go.set()
    announcing.join(10)
    same.join(10)
    kinds = [(type(e).__name__, getattr(e, "relative_path", "")) for e in sink.events]
    assert kinds == [
        ("FileFailed", "B.mov"),
        ("PhaseChanged", "A.mov"),
        ("FileFailed", "A.mov"),
    ], kinds
    # Once a result is kept, the phase event of that file there is not emitted at all.
    book.announce(0, b, PhaseChanged(0, "B.mov", "copy"))
    assert not any(isinstance(e, PhaseChanged) and e.relative_path == "B.mov" for e in sink.events)
    assert isinstance(sink.events[-1], FileFailed)
