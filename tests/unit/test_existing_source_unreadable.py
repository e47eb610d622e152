"""``check_existing``'s *on_source_unreadable*: the source (a fast copy standing for an
absent card) could not be read and another copy is read in its place; a failure of that
copy is named as that copy's, never the first one's."""

from __future__ import annotations

import os
from pathlib import Path

from offload.engine.cancel import CancelToken
from offload.existing import CheckKind, ExistingCopy, check_existing
from offload.model import SourceFile


def test_a_copy_read_in_the_sources_place_gone_since_is_named(tmp_path: Path) -> None:
    """The source's file gone (its read fails, ENOENT), the copy named in its place gone too
    by the time it is read (deleted after it was chosen): the failure names that copy, and
    the hook is next told of that copy, not the source again. Failed before (review of
    fixcasc61): its ``stat`` failed before the path read was set, so the error, and the
    hook's next call, named the source."""
    source_path = tmp_path / "fast1" / "A.mov"
    source_path.parent.mkdir()
    source_path.write_bytes(os.urandom(1000))
    st = source_path.stat()
    source = SourceFile(source_path, "A.mov", st.st_size, st.st_mtime_ns)
    copy = tmp_path / "dest" / "A.mov"
    copy.parent.mkdir()
    copy.write_bytes(source_path.read_bytes())
    source_path.unlink()
    gone = tmp_path / "fast2" / "A.mov"  # never made: chosen, then deleted
    told: list[str] = []

    def unreadable(_index: int, path: str, _error: str) -> str | None:
        told.append(path)
        return str(gone) if len(told) == 1 else None

    check = ExistingCopy(task_index=0, destination_index=0, final_path=copy, kind=CheckKind.ADOPT)
    (outcome,) = check_existing(
        [check],
        [source],
        algorithms=["xxh64"],
        verify="full",
        cancel=CancelToken(),
        on_source_unreadable=unreadable,
    )
    assert told == [str(source_path), str(gone)], told
    assert outcome.source_error is not None and str(gone) in outcome.source_error, outcome
    assert str(source_path) not in outcome.source_error, outcome.source_error
