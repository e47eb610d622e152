"""``copy_reread.reads_as_recorded`` under a job's cancel (the cascade's check of its fast
copies at its end, ``cascade._changed_since_verified``): the token asked before each read
and after the last; set, the read answers ``CancelledError``, never a verdict (a copy
compared with nothing is neither equal nor other). A real file, read for real."""

from __future__ import annotations

from pathlib import Path

import pytest

from offload.copy_reread import reads_as_recorded
from offload.engine.cancel import CancelToken
from offload.errors import CancelledError
from offload.hashing import new_hasher


def _copy(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    path = tmp_path / "A001.mov"
    data = b"x" * (9 << 20)  # three reads
    path.write_bytes(data)
    hasher = new_hasher("xxh64")
    hasher.update(data)
    return path, {"xxh64": hasher.hexdigest()}


def test_a_cancel_before_the_read_reads_nothing(tmp_path: Path) -> None:
    path, recorded = _copy(tmp_path)
    token = CancelToken()
    token.cancel()
    read: list[int] = []
    with pytest.raises(CancelledError):
        reads_as_recorded(path, recorded, read.append, cancel=token)
    assert read == []


def test_a_cancel_during_the_read_stops_it_at_the_next_read(tmp_path: Path) -> None:
    path, recorded = _copy(tmp_path)
    token = CancelToken()
    read: list[int] = []

    def on_read(nbytes: int) -> None:
        read.append(nbytes)
        token.cancel()  # (as the signal handler does, from another thread)

    with pytest.raises(CancelledError):
        reads_as_recorded(path, recorded, on_read, cancel=token)
    assert read == [4 << 20], read  # the first read only


def test_a_cancel_as_the_last_read_ends_is_no_verdict(tmp_path: Path) -> None:
    path, recorded = _copy(tmp_path)
    token = CancelToken()
    done: list[int] = []

    def on_read(nbytes: int) -> None:
        done.append(nbytes)
        if sum(done) == 9 << 20:
            token.cancel()

    with pytest.raises(CancelledError):
        reads_as_recorded(path, recorded, on_read, cancel=token)


def test_unasked_to_stop_it_gives_its_verdict(tmp_path: Path) -> None:
    path, recorded = _copy(tmp_path)
    assert reads_as_recorded(path, recorded, cancel=CancelToken()) is True
