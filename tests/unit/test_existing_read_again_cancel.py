"""``existing._read_again`` (a card file read again in its ledger entry's format, for a copy
found different) under the job's cancel: the media hasher it is given checks the job's token
before each read and raises ``CancelledError``; the re-read answers ``CHECK_CANCELLED`` (the
check then settles as cancelled, the copy kept), never lets it through ``check_existing``
(review of the thirty-eighth pass: a Ctrl-C landing before the re-read's first chunk ended
the run with no report)."""

from __future__ import annotations

from pathlib import Path

from offload.engine.cancel import CancelToken
from offload.engine.verifier import MediaHasher
from offload.existing import CHECK_CANCELLED, _read_again
from offload.model import SourceFile


def test_a_cancel_before_the_first_read_again_is_the_checks_cancel(tmp_path: Path) -> None:
    card = tmp_path / "A.mov"
    card.write_bytes(b"x" * 300_000)
    st = card.stat()
    source = SourceFile(card, "A.mov", st.st_size, st.st_mtime_ns)
    token = CancelToken()
    token.cancel()
    read: list[int] = []

    outcome = _read_again(source, ("md5",), MediaHasher(cancel=token), read.append, token)

    assert outcome.error is CHECK_CANCELLED and outcome.digests == {}, outcome
    assert read == []


def test_the_read_again_unasked_to_stop_gives_the_digests(tmp_path: Path) -> None:
    card = tmp_path / "A.mov"
    card.write_bytes(b"x" * 300_000)
    st = card.stat()
    source = SourceFile(card, "A.mov", st.st_size, st.st_mtime_ns)
    token = CancelToken()

    outcome = _read_again(source, ("md5",), MediaHasher(cancel=token), lambda n: None, token)

    assert outcome.error is None and set(outcome.digests) == {"md5"}, outcome


def test_a_cancel_during_the_last_read_again_is_the_checks_cancel(tmp_path: Path) -> None:
    """The job's cancel landing while the clip's last (here its only) chunk is read: the
    media hasher, asking before each read, would return the digests; the re-read still
    answers ``CHECK_CANCELLED`` (a Ctrl-C never followed by a comparison), by the same
    ``CancelledError`` as a cancel before a read."""
    card = tmp_path / "A.mov"
    card.write_bytes(b"x" * 300_000)
    st = card.stat()
    source = SourceFile(card, "A.mov", st.st_size, st.st_mtime_ns)
    token = CancelToken()
    read: list[int] = []

    def on_read(nbytes: int) -> None:
        read.append(nbytes)
        token.cancel()  # (as the SIGINT handler does, from another thread)

    outcome = _read_again(source, ("md5",), MediaHasher(cancel=token), on_read, token)

    assert outcome.error is CHECK_CANCELLED and outcome.digests == {}, outcome
    assert sum(read) == 300_000, read
