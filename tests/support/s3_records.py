"""An S3 destination's upload records as the tests of dropping them set them up
(``test_s3_record_drop``): a record's bytes, what a key holds now, the destination
checked and probed, and another run's record stored at the race's point. Real objects on
the real test server; the other run's PUT made by a hook on the run's own check."""

from __future__ import annotations

import json
from typing import Any

import pytest

from offload.destinations.s3 import S3Destination


def record(key: str, upload_id: str, run: str, created_at: float = 0.0) -> bytes:
    """The bytes of a run's (*run*) record of its multipart upload *upload_id* of *key*,
    begun at *created_at* (0.0: abandoned long ago)."""
    return json.dumps(
        {"key": key, "upload_id": upload_id, "created_at": created_at, "run": run}
    ).encode()


def stored(client: Any, bucket: str, key: str) -> bytes | None:
    """What *key* of *bucket* holds now, read by *client* (None: no such object)."""
    try:
        return bytes(client.get_object(Bucket=bucket, Key=key)["Body"].read())
    except Exception as exc:
        if "NoSuchKey" in str(exc):
            return None
        raise


def probed(store: S3Destination, *, conditional_delete: bool) -> None:
    """*store* checked and probed, the probe having found (*conditional_delete*) whether
    the service deletes only on a matching ``If-Match``."""
    store.check()
    store.probe()
    assert store.conditional_delete is conditional_delete


def replaced_meanwhile(
    monkeypatch: pytest.MonkeyPatch, store: S3Destination, client: Any, bucket: str, key: str
) -> bytes:
    """An earlier run's record of *key* (its upload ``u-done``, gone) stored by *client*,
    and another live run's record (``u-live``) stored over it just as *store*'s sweep asks
    whether that earlier upload is still in progress: after the sweep read the earlier
    record, before it drops it. Returns the live record's bytes."""
    record_key = store._record_key(key)
    client.put_object(Bucket=bucket, Key=record_key, Body=record(key, "u-done", "earlier"))
    live = record(key, "u-live", "live")
    checked = store._upload_in_progress

    def another_writer_meanwhile(of: str, upload_id: str, **how: bool) -> bool:
        if upload_id == "u-done":
            client.put_object(Bucket=bucket, Key=record_key, Body=live)
        return checked(of, upload_id, **how)

    monkeypatch.setattr(store, "_upload_in_progress", another_writer_meanwhile)
    return live
