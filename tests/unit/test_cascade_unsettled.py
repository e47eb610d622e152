"""``cascade_unsettled``: the mark a cascade leaves on a fast copy root until its end."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest

from offload import cascade_unsettled
from offload.ledger import Ledger, LedgerEntry, verified_entry


def _entry(name: str, at: float) -> LedgerEntry:
    return verified_entry(
        name, size_bytes=1, mtime_ns=2, digests={"xxh64": "00"}, partial_name="",
        final_name="", verify="full", recorded_at=at,
    )  # fmt: skip


def test_an_entry_within_a_marked_span_is_unsettled_and_settling_takes_the_span_back(
    tmp_path: Path,
) -> None:
    cascade_unsettled.mark(tmp_path, (10.0, 20.0))
    marked = cascade_unsettled.spans(tmp_path)
    assert marked == ((10.0, 20.0),)
    assert cascade_unsettled.unsettled(_entry("a", 15.0), marked)
    assert not cascade_unsettled.unsettled(_entry("a", 25.0), marked)
    assert not cascade_unsettled.unsettled(None, marked)
    cascade_unsettled.settle(tmp_path, (10.0, 20.0))
    assert cascade_unsettled.spans(tmp_path) == ()
    assert not (tmp_path / ".offload" / cascade_unsettled.UNSETTLED).exists()


def test_an_earlier_span_stays_while_an_entry_recorded_within_it_still_vouches(
    tmp_path: Path,
) -> None:
    Ledger(tmp_path).append([_entry("a", 15.0), _entry("b", 16.0)])
    cascade_unsettled.mark(tmp_path, (10.0, 20.0))  # a run whose drive went
    cascade_unsettled.mark(tmp_path, (30.0, 40.0))  # this run
    Ledger(tmp_path).append([_entry("a", 35.0)])  # read back again: b was not
    cascade_unsettled.settle(tmp_path, (30.0, 40.0))
    assert cascade_unsettled.spans(tmp_path) == ((10.0, 20.0),)
    cascade_unsettled.mark(tmp_path, (50.0, 60.0))
    Ledger(tmp_path).append([_entry("b", 55.0)])
    cascade_unsettled.settle(tmp_path, (50.0, 60.0))
    assert cascade_unsettled.spans(tmp_path) == ()


def test_a_mark_is_never_made_where_the_copy_root_is_gone(tmp_path: Path) -> None:
    gone = tmp_path / "C9"
    with pytest.raises(FileNotFoundError):
        cascade_unsettled.mark(gone, (1.0, 2.0))
    assert not gone.exists()


def test_a_corrupt_mark_is_never_read_as_nothing_marked(tmp_path: Path) -> None:
    """A mark torn or damaged stands for every entry recorded before it was written: read
    back, kept by ``mark`` and ``settle`` until each of those entries was read back. Failed
    before: read as no spans, so the run trusted every copy, ``mark`` wrote over it and
    ``settle`` removed it."""
    Ledger(tmp_path).append([_entry("a", 15.0), _entry("b", 16.0)])
    mark = tmp_path / ".offload" / cascade_unsettled.UNSETTLED
    mark.write_text('{"spans": [[10.0, ')  # torn
    os.utime(mark, (100.0, 100.0))
    marked = cascade_unsettled.spans(tmp_path)
    assert cascade_unsettled.unsettled(_entry("a", 15.0), marked)
    assert not cascade_unsettled.unsettled(_entry("a", 200.0), marked)
    cascade_unsettled.mark(tmp_path, (300.0, 310.0))
    assert cascade_unsettled.unsettled(_entry("a", 15.0), cascade_unsettled.spans(tmp_path))
    Ledger(tmp_path).append([_entry("a", 305.0)])  # read back again: b was not
    cascade_unsettled.settle(tmp_path, (300.0, 310.0))
    assert cascade_unsettled.unsettled(_entry("b", 16.0), cascade_unsettled.spans(tmp_path))
    cascade_unsettled.mark(tmp_path, (400.0, 410.0))
    Ledger(tmp_path).append([_entry("b", 405.0)])
    cascade_unsettled.settle(tmp_path, (400.0, 410.0))
    assert not mark.exists()


def test_an_unreadable_mark_trusts_nothing_and_is_left_as_it_is(tmp_path: Path) -> None:
    mark = tmp_path / ".offload" / cascade_unsettled.UNSETTLED
    mark.mkdir(parents=True)  # read: EISDIR
    assert cascade_unsettled.unsettled(_entry("a", 1e12), cascade_unsettled.spans(tmp_path))
    with pytest.raises(OSError):
        cascade_unsettled.mark(tmp_path, (1.0, 2.0))
    with pytest.raises(OSError):
        cascade_unsettled.settle(tmp_path, (1.0, 2.0))
    assert mark.is_dir()


def _strict(text: str) -> object:
    """*text* parsed as RFC 8259 JSON: ``NaN``, ``Infinity`` and ``-Infinity`` refused."""

    def refuse(constant: str) -> object:
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def test_a_corrupt_mark_written_again_is_standard_json_with_an_open_start_as_null(
    tmp_path: Path,
) -> None:
    """A corrupt mark stands for a span from the beginning of time; written again (``mark``,
    ``settle``) that open end is ``null``. Failed before: ``json.dump`` wrote ``-Infinity``,
    which is not JSON (RFC 8259) and other tools refuse."""
    Ledger(tmp_path).append([_entry("a", 15.0), _entry("b", 16.0)])
    mark = tmp_path / ".offload" / cascade_unsettled.UNSETTLED
    mark.write_text("{torn")
    os.utime(mark, (100.0, 100.0))
    cascade_unsettled.mark(tmp_path, (300.0, 310.0))
    assert _strict(mark.read_text()) == {"spans": [[None, 101.0], [300.0, 310.0]]}
    assert cascade_unsettled.spans(tmp_path) == ((-math.inf, 101.0), (300.0, 310.0))
    Ledger(tmp_path).append([_entry("a", 305.0)])  # read back again: b was not
    cascade_unsettled.settle(tmp_path, (300.0, 310.0))
    assert _strict(mark.read_text()) == {"spans": [[None, 101.0]]}
    assert cascade_unsettled.unsettled(_entry("b", 16.0), cascade_unsettled.spans(tmp_path))


def test_a_mark_an_earlier_version_wrote_with_minus_infinity_is_still_read(
    tmp_path: Path,
) -> None:
    mark = tmp_path / ".offload" / cascade_unsettled.UNSETTLED
    mark.parent.mkdir()
    mark.write_text('{"spans": [[-Infinity, 101.0]]}')
    assert cascade_unsettled.spans(tmp_path) == ((-math.inf, 101.0),)
    assert cascade_unsettled.unsettled(_entry("a", -1e12), cascade_unsettled.spans(tmp_path))
    cascade_unsettled.mark(tmp_path, (300.0, 310.0))
    assert _strict(mark.read_text()) == {"spans": [[None, 101.0], [300.0, 310.0]]}


def test_a_mark_with_nan_is_never_read_as_a_span_that_holds_nothing(tmp_path: Path) -> None:
    mark = tmp_path / ".offload" / cascade_unsettled.UNSETTLED
    mark.parent.mkdir()
    mark.write_text('{"spans": [[NaN, 101.0]]}')
    os.utime(mark, (100.0, 100.0))
    assert cascade_unsettled.unsettled(_entry("a", 50.0), cascade_unsettled.spans(tmp_path))
