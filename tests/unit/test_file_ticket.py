"""FileTicket.hashed: the in-flight digests' signal, made lazily (merge of the per-file
memory work and the S3 metadata digests)."""

from __future__ import annotations

import threading
from pathlib import Path

from offload.engine.messages import FileTask, FileTicket, VerdictBoard
from offload.model import SourceFile


def _ticket(board: VerdictBoard | None = None) -> FileTicket:
    source = SourceFile(Path("/card/A.mov"), "A.mov", 3, 0)
    return FileTicket(FileTask(source, (None,)), 0, board or VerdictBoard())


def test_digests_resolved_before_anyone_asks_reach_a_later_asker() -> None:
    ticket = _ticket()
    ticket.resolve_hashed({"xxh64": "00"})
    assert ticket.hashed.result(timeout=1) == {"xxh64": "00"}


def test_an_asker_before_the_digests_is_woken_with_them() -> None:
    ticket = _ticket()
    future = ticket.hashed
    assert not future.done()
    threading.Timer(0.05, ticket.resolve_hashed, args=({"md5": "ab"},)).start()
    assert future.result(timeout=5) == {"md5": "ab"}
    assert ticket.hashed is future  # one Future a ticket, once made


def test_publish_without_digests_resolves_none_and_a_second_resolve_changes_nothing() -> None:
    ticket = _ticket()
    future = ticket.hashed
    ticket.publish()
    ticket.resolve_hashed({"xxh64": "ff"})
    assert future.result(timeout=1) is None
    other = _ticket()
    other.resolve_hashed({"xxh64": "01"})
    other.publish()  # resolves None only if not resolved yet
    assert other.hashed.result(timeout=1) == {"xxh64": "01"}
