"""The records' sweep asks whether a record's maker is over (``S3Destination.maker_gone``:
``/proc`` read for its pid and start time) once a record, on the real test server: a real
record (``_sweep_records``) and a copy of one (``s3copied.sweep_copy``), each of a run of
this host that is over, each upload aborted.

Failed before: a copy's sweep asked twice (``sweep_copy`` asked, then
``_dead_and_unlocked`` asked again): 2 calls for the copy, 1 for the real record."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from offload.destinations.s3 import S3Destination
from s3.conftest import admin, destination
from s3.test_s3_copied_records import KEY, _moved, _sweep_moved
from s3.test_s3_dead_run_sweep import _dead_runs_upload
from s3.test_s3_nested_roots import _uploads
from support.s3_records import stored

MiB = 1024 * 1024


@pytest.fixture
def maker_asked(monkeypatch: pytest.MonkeyPatch) -> list[Mapping[str, Any]]:
    """The records ``maker_gone`` is asked of, each answered by the real rule."""
    real = S3Destination.maker_gone
    asked: list[Mapping[str, Any]] = []

    def counted(record: Mapping[str, Any]) -> bool:
        asked.append(record)
        return real(record)

    monkeypatch.setattr(S3Destination, "maker_gone", staticmethod(counted))
    return asked


def test_a_dead_makers_record_is_judged_once(s3_server, bucket, maker_asked) -> None:  # type: ignore[no-untyped-def]
    upload_id, _ = _dead_runs_upload(s3_server.url, bucket, b"\0" * 12 * MiB)
    sweeper = destination(s3_server.url, bucket, prefix="shoot")
    try:
        assert sweeper.abort_abandoned([]) == [KEY]
    finally:
        sweeper.close()
    assert upload_id not in _uploads(s3_server.url, bucket)
    assert len(maker_asked) == 1


def test_a_dead_makers_copied_record_is_judged_once(s3_server, bucket, maker_asked) -> None:  # type: ignore[no-untyped-def]
    upload_id, record = _dead_runs_upload(s3_server.url, bucket, b"\0" * 12 * MiB)
    copy = _moved(s3_server.url, bucket, record)
    aborted, left = _sweep_moved(s3_server.url, bucket)
    assert aborted == [KEY] and left == []
    assert upload_id not in _uploads(s3_server.url, bucket)
    assert stored(admin(s3_server.url), bucket, copy) is None
    assert len(maker_asked) == 1, len(maker_asked)
