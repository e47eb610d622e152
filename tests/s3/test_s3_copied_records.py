"""The records' sweep meeting a copy of an upload record (``s3copied``) whose upload is still
in progress, on the real test server: a prefix moved server-side (the record copied, its
source deleted) leaves the copy the last word of an upload that did not move, so the sweep
looks for the real record (``record_key``) before deleting the copy; a copy at the URL's own
record key is never deleted blindly where the service deletes on no condition.

Failed before (the twenty-ninth pass's copies): the copy was deleted before its upload was
looked at, so a moved prefix's upload was never aborted and nothing said so; on a service
that ignores ``If-Match`` on a DELETE, a copy at the URL's own record key was deleted by a
plain delete after a HEAD, taking a real record another run stored between the two."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest

from offload.destinations.s3 import UPLOADS_FOLDER
from offload.lock import process_space, process_start
from s3.conftest import S3Server, admin, destination, serving
from s3.test_s3_dead_run_sweep import _dead_runs_upload, _records
from s3.test_s3_nested_roots import _uploads
from support.s3_records import probed, stored

MiB = 1024 * 1024
KEY = "shoot/day2/clip.mov"


def _moved(endpoint: str, bucket: str, record: str, **fields: object) -> str:
    """The prefix ``shoot`` moved to ``moved`` server-side as far as the record goes: copied
    (with *fields* changed), then its source deleted. Returns the copy's key."""
    client = admin(endpoint)
    body = json.loads(client.get_object(Bucket=bucket, Key=record)["Body"].read())
    body.update(fields)
    copy = f"moved/{UPLOADS_FOLDER}/{record.rpartition('/')[2]}"
    client.put_object(Bucket=bucket, Key=copy, Body=json.dumps(body).encode())
    client.delete_object(Bucket=bucket, Key=record)
    return copy


def _sweep_moved(
    endpoint: str, bucket: str, keep: tuple[str, ...] = ()
) -> tuple[list[str], list[Any]]:
    """The sweep of ``s3://bucket/moved`` (this run writing *keep*): what it aborted, and
    what it named left behind."""
    sweeper = destination(endpoint, bucket, prefix="moved")
    try:
        return sweeper.abort_abandoned(keep), list(sweeper.left_behind)
    finally:
        sweeper.close()


def test_a_moved_prefixs_upload_of_a_dead_maker_is_aborted(s3_server, bucket) -> None:  # type: ignore[no-untyped-def]
    """The record's maker is provably gone (this host, its pid not running) and its real
    record is gone with the move: aborted at once, the copy deleted, nothing named."""
    upload_id, record = _dead_runs_upload(s3_server.url, bucket, b"\0" * 12 * MiB)
    copy = _moved(s3_server.url, bucket, record)
    aborted, left = _sweep_moved(s3_server.url, bucket)
    assert aborted == [KEY]
    assert upload_id not in _uploads(s3_server.url, bucket)
    assert stored(admin(s3_server.url), bucket, copy) is None
    assert left == []


def test_a_moved_prefixs_old_upload_is_aborted_by_the_age_rule(s3_server, bucket) -> None:  # type: ignore[no-untyped-def]
    upload_id, record = _dead_runs_upload(s3_server.url, bucket, b"\0" * 12 * MiB)
    copy = _moved(
        s3_server.url, bucket, record, host="another-cart", created_at=time.time() - 2 * 86400
    )
    aborted, left = _sweep_moved(s3_server.url, bucket)
    assert aborted == [KEY] and left == []
    assert upload_id not in _uploads(s3_server.url, bucket)
    assert stored(admin(s3_server.url), bucket, copy) is None


def test_a_moved_prefixs_young_upload_of_a_maybe_live_maker_is_named(s3_server, bucket) -> None:  # type: ignore[no-untyped-def]
    """Another host's record, young: its maker may still run, so the upload is kept, but
    nothing will ever abort it once the copy goes: named, with its upload id (the abort
    command), then the copy deleted."""
    upload_id, record = _dead_runs_upload(s3_server.url, bucket, b"\0" * 12 * MiB)
    copy = _moved(s3_server.url, bucket, record, host="another-cart", created_at=time.time())
    aborted, left = _sweep_moved(s3_server.url, bucket)
    assert aborted == []
    assert upload_id in _uploads(s3_server.url, bucket)
    assert stored(admin(s3_server.url), bucket, copy) is None
    (named,) = left
    assert (named.key, named.upload_id) == (KEY, upload_id)  # type: ignore[attr-defined]
    reason = named.reason  # type: ignore[attr-defined]
    assert f"its real record, s3://{bucket}/{record}, is gone" in reason, reason
    assert "nothing will abort it" in reason, reason


def test_a_copy_without_record_key_is_named_not_aborted(s3_server, bucket) -> None:  # type: ignore[no-untyped-def]
    """A copy of a record written before records said where they lie: its real record
    cannot be looked for, so its upload (maker dead or not) is not aborted through it, but
    named; the copy goes."""
    upload_id, record = _dead_runs_upload(s3_server.url, bucket, b"\0" * 12 * MiB)
    copy = _moved(s3_server.url, bucket, record, record_key=None)
    aborted, left = _sweep_moved(s3_server.url, bucket)
    assert aborted == []
    assert upload_id in _uploads(s3_server.url, bucket)
    assert stored(admin(s3_server.url), bucket, copy) is None
    (named,) = left
    assert named.upload_id == upload_id  # type: ignore[attr-defined]
    assert "stored before records said where they lie" in named.reason  # type: ignore[attr-defined]


def test_a_copy_whose_real_record_is_there_leaves_the_upload_to_it(s3_server, bucket) -> None:  # type: ignore[no-untyped-def]
    """The prefix copied, not moved: the real record still names the upload, which is its
    own prefix's to abort (its maker is dead: that sweep would). Only the copy goes.
    Passed before (pinned: the real record's look must not abort it)."""
    upload_id, record = _dead_runs_upload(s3_server.url, bucket, b"\0" * 12 * MiB)
    client = admin(s3_server.url)
    copy = f"moved/{UPLOADS_FOLDER}/{record.rpartition('/')[2]}"
    client.copy_object(Bucket=bucket, Key=copy, CopySource={"Bucket": bucket, "Key": record})
    aborted, left = _sweep_moved(s3_server.url, bucket)
    assert aborted == [] and left == []
    assert upload_id in _uploads(s3_server.url, bucket)
    assert stored(client, bucket, copy) is None
    assert _records(s3_server.url, bucket) == [record]


@pytest.fixture(scope="module")
def unconditional() -> Iterator[S3Server]:
    """``If-None-Match`` and ``If-Match`` ignored (s3rver, a proxy stripping them)."""
    yield from serving("ignore-conditions")


def test_without_conditional_deletes_a_copy_at_the_urls_own_record_key_is_left(  # type: ignore[no-untyped-def]
    unconditional, monkeypatch
) -> None:
    """A record of a run into ``s3://b/shoot`` copied into the bucket's own uploads folder,
    where a run into ``s3://b`` keeps its record of the same key; the upload in progress, its
    real record there. On a service that deletes whatever the If-Match, another run storing
    its real record at that key between the sweep's HEAD and its delete would lose it: the
    copy is left and named. Failed before: deleted (here the other run's record with it,
    stored at the race's point by a hook on the delete). Once the upload is gone, the copy
    is deleted after a HEAD shows it unchanged."""
    bucket = "t-unconditional-copies"
    client = admin(unconditional.url)
    client.create_bucket(Bucket=bucket)
    upload_id = client.create_multipart_upload(Bucket=bucket, Key=KEY)["UploadId"]
    real = destination(unconditional.url, bucket, prefix="shoot")._record_key(KEY)
    body = {"key": KEY, "upload_id": upload_id, "created_at": time.time(), "record_key": real}
    client.put_object(Bucket=bucket, Key=real, Body=json.dumps(body).encode())
    store = destination(unconditional.url, bucket, prefix="", head_check=True)
    try:
        probed(store, conditional_delete=False)
        copy = store._record_key(KEY)
        client.put_object(Bucket=bucket, Key=copy, Body=json.dumps(body).encode())
        live = json.dumps({"key": KEY, "upload_id": "u-live", "record_key": copy}).encode()
        delete_key = store.delete_key

        def another_run_meanwhile(key: str, **how: object) -> bool:
            if key == copy:
                client.put_object(Bucket=bucket, Key=copy, Body=live)
            return delete_key(key, **how)  # type: ignore[arg-type]

        monkeypatch.setattr(store, "delete_key", another_run_meanwhile)
        assert store.abort_abandoned([]) == []
        assert stored(client, bucket, copy) == json.dumps(body).encode()
        (named,) = store.left_behind
        assert named.key == copy and named.upload_id is None
        assert "cannot delete on a condition" in named.reason, named.reason
        # The upload gone: the copy is deleted (a HEAD just before shows it unchanged).
        monkeypatch.setattr(store, "delete_key", delete_key)
        client.abort_multipart_upload(Bucket=bucket, Key=KEY, UploadId=upload_id)
        store.left_behind.clear()
        assert store.abort_abandoned([]) == []
        assert stored(client, bucket, copy) is None
        assert store.left_behind == []
    finally:
        store.close()


@pytest.mark.parametrize("rule", ["dead-maker", "age"])
def test_a_live_lock_above_a_moved_prefixs_key_keeps_its_upload(  # type: ignore[no-untyped-def]
    s3_server, bucket, sleeper, rule
) -> None:
    """The moved copy names ``shoot/day2/clip.mov``, outside the sweep's prefix ``moved``; a
    live run (a process of this host, running) holds the copy root ``shoot/day2`` and its
    lock names the record's run. Neither rule may abort: the maker's run is live there.
    Failed before: only the locks between the URL's prefix and the key were read, none for a
    key outside it, so the upload was aborted (``[KEY]``) though the docs said "no live lock
    naming its run"."""
    upload_id, record = _dead_runs_upload(s3_server.url, bucket, b"\0" * 12 * MiB)
    fields: dict[str, object] = {}
    if rule == "age":
        fields = {"host": "another-cart", "created_at": time.time() - 2 * 86400}
    copy = _moved(s3_server.url, bucket, record, **fields)
    holder = {
        "pid": sleeper.pid,
        "host": os.uname().nodename,
        "pid_space": process_space(),
        "pid_start": process_start(sleeper.pid),
        "token": "dead-run",  # the record's run (``_dead_runs_upload``)
    }
    client = admin(s3_server.url)
    client.put_object(
        Bucket=bucket, Key="shoot/day2/.offload/lock", Body=json.dumps(holder).encode()
    )
    aborted, left = _sweep_moved(s3_server.url, bucket)
    assert aborted == []
    assert upload_id in _uploads(s3_server.url, bucket)
    assert stored(client, bucket, copy) is None
    (named,) = left
    assert named.upload_id == upload_id
    assert "a live lock above it" in named.reason, named.reason


def test_a_copy_of_a_key_this_run_writes_says_so(s3_server, bucket) -> None:  # type: ignore[no-untyped-def]
    """The sweep aborts no upload of a key this run writes: named with that reason. Failed
    before: the reason said "young, its maker not known to be over, or a live lock above
    it", none of which held (the maker dead, no lock)."""
    upload_id, record = _dead_runs_upload(s3_server.url, bucket, b"\0" * 12 * MiB)
    _moved(s3_server.url, bucket, record)
    aborted, left = _sweep_moved(s3_server.url, bucket, keep=(KEY,))
    assert aborted == []
    assert upload_id in _uploads(s3_server.url, bucket)
    (named,) = left
    assert "this run writes that key" in named.reason, named.reason
    assert "young" not in named.reason, named.reason


def test_a_copy_that_says_it_lies_where_it_is_has_its_own_reason(s3_server, bucket) -> None:  # type: ignore[no-untyped-def]
    """A copy whose ``record_key`` is the key it lies at (yet a run into ``moved`` would not
    record that key there): its real record is not known. Failed before: named as "stored
    before records said where they lie", false of a record that says where it lies."""
    upload_id, record = _dead_runs_upload(s3_server.url, bucket, b"\0" * 12 * MiB)
    copy = f"moved/{UPLOADS_FOLDER}/{record.rpartition('/')[2]}"
    _moved(s3_server.url, bucket, record, record_key=copy)
    aborted, left = _sweep_moved(s3_server.url, bucket)
    assert aborted == []
    assert upload_id in _uploads(s3_server.url, bucket)
    assert stored(admin(s3_server.url), bucket, copy) is None
    (named,) = left
    assert "says it was stored where it lies" in named.reason, named.reason
    assert "before records said" not in named.reason, named.reason


def test_a_copy_whose_delete_fails_is_said_to_stay(s3_server, bucket, proxy) -> None:  # type: ignore[no-untyped-def]
    """The copy's delete refused (403): the copy stays, and the upload's note says so, not
    that the copy is gone and nothing will abort the upload. Failed before: "the sweep
    deletes it ... nothing will abort it", said before the delete, which failed."""
    upload_id, record = _dead_runs_upload(s3_server.url, bucket, b"\0" * 12 * MiB)
    copy = _moved(s3_server.url, bucket, record, host="another-cart", created_at=time.time())
    proxy.intercept("DELETE", f"/{copy}", status=403, code="AccessDenied")
    aborted, left = _sweep_moved(proxy.url, bucket)
    assert proxy.stats.intercepted == 1
    assert aborted == []
    assert stored(admin(s3_server.url), bucket, copy) is not None
    (named,) = left
    assert named.upload_id == upload_id
    assert "the copy stays" in named.reason, named.reason
    assert "nothing will abort it" not in named.reason, named.reason


def test_a_failed_look_is_worded_once(s3_server, bucket, proxy) -> None:  # type: ignore[no-untyped-def]
    """The real record's GET, then the upload's own listing, refused (403): each note says
    why in the service's words, without the errno and without naming the object and the
    endpoint a second time. Failed before: ``({exc})``, ``[Errno 13] cannot read s3://...
    (http://127.0.0.1:...): ...`` inside the note."""
    upload_id, record = _dead_runs_upload(s3_server.url, bucket, b"\0" * 12 * MiB)
    _moved(s3_server.url, bucket, record, host="another-cart", created_at=time.time())
    proxy.intercept("GET", f"/{record}", status=403, code="AccessDenied")
    _aborted, left = _sweep_moved(proxy.url, bucket)
    assert proxy.stats.intercepted == 1
    (named,) = left
    reason = named.reason
    assert f"its real record, s3://{bucket}/{record}, could not be read (" in reason, reason
    assert "[Errno" not in reason and "127.0.0.1" not in reason, reason
    assert reason.count(f"s3://{bucket}/{record}") == 1, reason
    # The upload's own listing (its key lies outside the sweep's listing of ``moved/``).
    proxy.intercept("GET", "prefix=shoot", status=403, code="AccessDenied")
    _aborted, left = _sweep_moved(proxy.url, bucket)
    assert proxy.stats.intercepted == 2
    (named,) = left
    assert named.upload_id == upload_id
    reason = named.reason
    assert "whether it is still in progress is not known (" in reason, reason
    assert "[Errno" not in reason and "127.0.0.1" not in reason, reason


def test_a_lock_another_copys_decision_failed_on_is_not_named_for_this_one(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy
) -> None:
    """Two copies of one moved record: ``a`` as made (its maker provably gone, so the dead-
    maker rule reads the locks above its key), ``b`` another host's and young (no rule reads
    a lock). The lock ``shoot/day2/.offload/lock`` keeps failing (500). ``a`` is kept for
    it, in words of a service failing (not of credentials); ``b`` for its youth, no lock
    named. Failed before: the sweep's shared answers named the lock for ``b`` too, and
    both said "credentials that may read it tell" of a 500 (review of s3w34)."""
    upload_id, record = _dead_runs_upload(s3_server.url, bucket, b"\0" * 12 * MiB)
    client = admin(s3_server.url)
    body = json.loads(client.get_object(Bucket=bucket, Key=record)["Body"].read())
    young = {**body, "host": "another-cart", "created_at": time.time()}
    for name, fields in (("a", body), ("b", young)):
        key = f"moved/{UPLOADS_FOLDER}/{name}.json"
        client.put_object(Bucket=bucket, Key=key, Body=json.dumps(fields).encode())
    client.delete_object(Bucket=bucket, Key=record)
    lock = "shoot/day2/.offload/lock"
    proxy.intercept("GET", f"/{bucket}/{lock}", status=500, code="InternalError", count=1000)
    sweeper = destination(proxy.url, bucket, prefix="moved", max_attempts=1)
    try:
        assert sweeper.abort_abandoned(()) == []
        left = list(sweeper.left_behind)
        unread = set(sweeper.unreadable_locks)
    finally:
        sweeper.close()
    assert upload_id in _uploads(s3_server.url, bucket)
    first, second = left
    assert "could not be read" not in second.reason, second.reason
    assert "young, its maker not known to be over" in second.reason, second.reason
    assert f"the lock s3://{bucket}/{lock} above it could not be read" in first.reason, first
    assert "the service failed or could not be reached" in first.reason, first.reason
    assert "credentials that may read it tell" not in first.reason, first.reason
    assert unread == {lock}, unread
