"""``check_existing``: a card file whose size is not the one its record (a legacy MHL's
size-only entry) gives it fails before its bytes, or its copy's, are read."""

from __future__ import annotations

import os
from pathlib import Path

from offload.engine.cancel import CancelToken
from offload.events import BytesVerified
from offload.existing import SOURCE_INDEX, CheckKind, CheckOutcome, ExistingCopy, check_existing
from offload.model import SourceFile
from support.event_log import EventLog


def _checked(tmp_path: Path, recorded: int) -> tuple[Path, CheckOutcome, EventLog]:
    """A card file of 300,000 random bytes and an equal copy, checked for adoption (xxh64,
    full verification) against a legacy MHL on the card that records *recorded* bytes:
    the card file's path, the check's outcome and every event it emitted."""
    data = os.urandom(300_000)
    card = tmp_path / "card" / "A.mov"
    card.parent.mkdir()
    card.write_bytes(data)
    copy = tmp_path / "dest" / "A.mov"
    copy.parent.mkdir()
    copy.write_bytes(data)
    st = card.stat()
    source = SourceFile(card, "A.mov", st.st_size, st.st_mtime_ns)
    check = ExistingCopy(task_index=0, destination_index=0, final_path=copy, kind=CheckKind.ADOPT)
    sink = EventLog()
    (outcome,) = check_existing(
        [check],
        [source],
        algorithms=["xxh64"],
        verify="full",
        cancel=CancelToken(),
        reference_records=lambda _: "the legacy MHL 'A.mhl' on the card",
        reference_sizes=lambda _: recorded,
        sink=sink,
    )
    return card, outcome, sink


def test_a_card_file_of_another_size_than_its_record_fails_unread(tmp_path: Path) -> None:
    """The size the record gives the file differs from the scan's: the copy fails naming
    both sizes, and no byte of the card file is read (no source BytesVerified event).
    Before, the card file was read in full, then failed."""
    card, outcome, sink = _checked(tmp_path, 299_999)
    assert not outcome.matched
    assert outcome.source_error == (
        f"source {card} differs from the legacy MHL 'A.mhl' on the card "
        "(size 300000 bytes, recorded 299999 bytes)"
    ), outcome.source_error
    read = [
        e
        for e in sink.events
        if isinstance(e, BytesVerified) and e.destination_index == SOURCE_INDEX
    ]
    assert read == [], sum(e.nbytes for e in read)
    # Nor is its copy read: the card file failed already, and the copy is refused whatever
    # it holds. Before, the copy was read in full (300,000 bytes) all the same.
    read_back = [
        e for e in sink.events if isinstance(e, BytesVerified) and e.destination_index == 0
    ]
    assert read_back == [] and outcome.digests == {}, sum(e.nbytes for e in read_back)


def test_a_card_file_of_its_recorded_size_is_read(tmp_path: Path) -> None:
    """The same file, its record of its own size: read in full and adopted."""
    _, outcome, sink = _checked(tmp_path, 300_000)
    assert outcome.matched and outcome.source_error is None, outcome.source_error
    read = [
        e
        for e in sink.events
        if isinstance(e, BytesVerified) and e.destination_index == SOURCE_INDEX
    ]
    assert sum(e.nbytes for e in read) == 300_000
