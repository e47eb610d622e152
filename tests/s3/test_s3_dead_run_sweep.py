"""The records' sweep and a killed run's upload: aborted at once when its maker is provably
dead on this host, kept to the 24-hour age rule otherwise.

Run A copies a card ``day2`` (one 40 MiB file) to ``s3://bucket/shoot`` through the fault
proxy, which holds its part 2; A is killed (SIGKILL): its multipart upload, its record under
``shoot/.offload/uploads/`` and its lock stay. Run B, another card (``day3``: it does not
write A's key), default settings (``abandon_after_s`` 24 h), then sweeps.

Failed before: A's upload and record were kept by B (younger than 24 hours) though A's
record names this host's process space and a pid that no longer runs; its parts stayed
stored for a day. Kept still: a record of another host, of another pid namespace or boot of
this host (a container), of a pid that runs the process that started then, or one below a
live lock of another run (which may have resumed it); and an upload a live run resumed
from a dead run's record (it stores the record again naming itself: ``adopt_record``)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from offload.card import OffloadOptions, OffloadReport, offload
from offload.destinations.s3 import UPLOADS_FOLDER
from offload.destinations.s3config import S3Settings
from offload.lock import process_space, process_start
from offload.manifest_options import ManifestOptions
from offload.removed_unfinished import RemovedUnfinished
from offload.report.summary import verdict_lines
from s3.conftest import admin, destination, serving
from s3.test_s3_cli import make_card
from s3.test_s3_lock_scope import _killed_run_a
from s3.test_s3_nested_roots import _uploads
from support.pids import a_pid_not_running

MiB = 1024 * 1024


def _records(endpoint: str, bucket: str) -> list[str]:
    listed = admin(endpoint).list_objects_v2(Bucket=bucket, Prefix=f"shoot/{UPLOADS_FOLDER}/")
    return [o["Key"] for o in listed.get("Contents", [])]


def _rewrite_record(endpoint: str, bucket: str, **fields: object) -> None:
    """A's one record with *fields* changed (as another maker would have written it)."""
    (key,) = _records(endpoint, bucket)
    client = admin(endpoint)
    record = _stored(client, bucket, key)
    record.update(fields)
    client.put_object(Bucket=bucket, Key=key, Body=json.dumps(record).encode())


def _run_b(proxy: Any, bucket: str, tmp_path: Path, name: str = "day3") -> int:
    """Run B: a card *name* into ``s3://bucket/shoot`` (never A's key), default settings."""
    return _offload_b(proxy, bucket, tmp_path, name).exit_code


def _offload_b(proxy: Any, bucket: str, tmp_path: Path, name: str) -> OffloadReport:
    """``_run_b``'s report."""
    card = make_card(tmp_path / name, {"C001.mov": 300_000}).rename(tmp_path / name / name)
    options = OffloadOptions(
        manifests=ManifestOptions(kinds=frozenset()),
        s3=S3Settings(endpoint_url=proxy.url, region="us-east-1"),
    )
    return offload(card, [f"s3://{bucket}/shoot"], options=options)


def test_a_killed_runs_upload_is_aborted_at_once(s3_server, bucket, proxy, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """... and counted as what it is, an upload, in the summary's words. Failed before (QA,
    thirty-eighth pass): "Removed 1 unfinished files in all ... (partial copies or uploads,
    and temporary manifest, report, ledger or staging files ...)"."""
    _killed_run_a(s3_server, bucket, proxy, tmp_path)
    (record,) = _records(s3_server.url, bucket)
    body = _stored(admin(s3_server.url), bucket, record)
    assert body["pid_space"] == process_space() and body["pid_start"]  # what tells it dead
    report = _offload_b(proxy, bucket, tmp_path, "day3")
    assert report.exit_code == 0
    assert report.removed_unfinished == RemovedUnfinished(uploads=1)
    (said,) = [line for line in verdict_lines(report) if line.startswith("Removed ")]
    assert said.endswith(": 1 unfinished S3 upload."), said
    assert _uploads(s3_server.url, bucket) == {}
    assert _records(s3_server.url, bucket) == []


@pytest.fixture
def upload_times_server() -> Iterator[Any]:
    """A server of its own that lists each upload with the time it began, as AWS does."""
    yield from serving("upload-times")


def test_a_killed_runs_upload_is_aborted_where_uploads_list_their_start(  # type: ignore[no-untyped-def]
    upload_times_server, tmp_path
) -> None:
    """As above, on a service that lists each upload's real start (AWS): the killed run's
    upload is young. Failed before: its record was never read (young, one upload in
    progress: ``_sweep_needs_no_read``), so its maker was never found dead; kept a day."""
    from support.tcpproxy import FaultProxy

    server, bucket = upload_times_server, "upload-times"
    admin(server.url).create_bucket(Bucket=bucket)
    proxy = FaultProxy(server.port)
    try:
        _killed_run_a(server, bucket, proxy, tmp_path)
        assert _run_b(proxy, bucket, tmp_path) == 0
    finally:
        proxy.close()
    assert _uploads(server.url, bucket) == {}
    assert _records(server.url, bucket) == []


@pytest.mark.parametrize(
    "fields",
    [
        {"host": "another-cart"},  # another machine sharing the bucket
        {"pid_space": "a-boot-id/4026531836"},  # a container (same host name) or boot
        {"pid_space": None, "pid_start": None},  # a record that does not say
    ],
    ids=["other-host", "other-pid-space", "unsaid"],
)
def test_a_record_not_provably_of_this_host_is_kept(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path, fields
) -> None:
    upload = _killed_run_a(s3_server, bucket, proxy, tmp_path)
    _rewrite_record(s3_server.url, bucket, **fields)
    assert _run_b(proxy, bucket, tmp_path) == 0
    assert upload in _uploads(s3_server.url, bucket)  # kept to the age rule
    assert len(_records(s3_server.url, bucket)) == 1


def test_a_pid_reused_since_is_dead_and_the_same_process_is_not(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path, sleeper
) -> None:
    upload = _killed_run_a(s3_server, bucket, proxy, tmp_path)
    start = process_start(sleeper.pid)
    assert start
    # The live process under that pid is the one that made the record: kept.
    _rewrite_record(s3_server.url, bucket, pid=sleeper.pid, pid_start=start)
    assert _run_b(proxy, bucket, tmp_path) == 0
    assert upload in _uploads(s3_server.url, bucket)
    # ... a record without its start (pid reuse cannot be told): kept.
    _rewrite_record(s3_server.url, bucket, pid_start=None)
    assert _run_b(proxy, bucket, tmp_path, "day4") == 0
    assert upload in _uploads(s3_server.url, bucket)
    # Another process started at another time has that pid now: the maker is dead.
    ticks = int(start.rpartition(":")[2])
    _rewrite_record(s3_server.url, bucket, pid_start=f"{start.rpartition(':')[0]}:{ticks - 7}")
    assert _run_b(proxy, bucket, tmp_path, "day5") == 0
    assert _uploads(s3_server.url, bucket) == {}
    assert _records(s3_server.url, bucket) == []


def test_a_live_lock_of_another_run_above_the_key_keeps_it(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path, sleeper
) -> None:
    upload = _killed_run_a(s3_server, bucket, proxy, tmp_path)
    # Another live run holds the copy root A wrote into (it may have resumed A's upload).
    holder = {
        "pid": sleeper.pid,
        "host": os.uname().nodename,
        "pid_space": process_space(),
        "pid_start": process_start(sleeper.pid),
        "token": "another-live-run",
    }
    admin(s3_server.url).put_object(
        Bucket=bucket, Key="shoot/day2/.offload/lock", Body=json.dumps(holder).encode()
    )
    assert _run_b(proxy, bucket, tmp_path) == 0
    assert upload in _uploads(s3_server.url, bucket)
    assert len(_records(s3_server.url, bucket)) == 1


def _stored(client: Any, bucket: str, key: str) -> dict[str, Any]:
    """The JSON object stored at *key* of *bucket* (a record, or a copy of one)."""
    body: dict[str, Any] = json.loads(client.get_object(Bucket=bucket, Key=key)["Body"].read())
    return body


def _complete_resumed(upload: Any, data: bytes, endpoint: str, bucket: str) -> None:
    """Writes *data* through *upload* (of ``shoot/day2/clip.mov``, the dead run's resumed)
    and completes it: the part the dead run stored is resumed, not sent again, and the
    object holds *data*."""
    upload.write(memoryview(data))
    upload.complete()
    assert upload.resumed_parts == 1
    assert admin(endpoint).get_object(Bucket=bucket, Key="shoot/day2/clip.mov")["Body"].read() == (
        data
    )


def _dead_runs_upload(endpoint: str, bucket: str, data: bytes) -> tuple[str, str]:
    """A run of this host that is over began an upload of ``shoot/day2/clip.mov`` (one part
    stored): its upload id and its record's key (naming another token, a pid not running)."""
    client = admin(endpoint)
    dead = destination(endpoint, bucket, prefix="shoot")
    first = dead.open_upload("shoot/day2/clip.mov", len(data))
    first.write(memoryview(data)[: 5 * MiB])
    first._wait()
    dead.close()
    (record,) = _records(endpoint, bucket)
    body = _stored(client, bucket, record)
    body.update(run="dead-run", pid=a_pid_not_running())
    client.put_object(Bucket=bucket, Key=record, Body=json.dumps(body).encode())
    assert first.upload_id
    return first.upload_id, record


@pytest.mark.parametrize("versioned", [False, True], ids=["plain", "versioned"])
def test_a_resumed_upload_names_its_new_maker(s3_server, bucket, versioned) -> None:  # type: ignore[no-untyped-def]
    """A run resuming a dead run's upload stores the record again naming itself: another
    run's sweep meanwhile keeps it (its maker is live), and the record, each of its
    versions too, is gone once the upload completes."""
    client = admin(s3_server.url)
    if versioned:
        client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    data = os.urandom(12 * MiB)
    # Made by a run of this host that is over (another token, a pid no longer running).
    upload_id, record = _dead_runs_upload(s3_server.url, bucket, data)

    resumer = destination(s3_server.url, bucket, prefix="shoot")
    upload = resumer.open_upload("shoot/day2/clip.mov", len(data))
    assert upload.upload_id == upload_id
    sweeper = destination(s3_server.url, bucket, prefix="shoot")
    assert sweeper.abort_abandoned([]) == []  # the resumer runs
    assert upload_id in _uploads(s3_server.url, bucket)
    sweeper.close()
    adopted = _stored(client, bucket, record)
    assert adopted["pid"] == os.getpid() and adopted["run"] != "dead-run"
    assert adopted["marker"] == "dead-run"  # the token its object carries

    _complete_resumed(upload, data, s3_server.url, bucket)
    assert _records(s3_server.url, bucket) == []
    if versioned:
        listed = client.list_object_versions(Bucket=bucket, Prefix=f"shoot/{UPLOADS_FOLDER}/")
        assert listed.get("Versions", []) == [] and listed.get("DeleteMarkers", []) == []
    resumer.close()


def test_a_record_taken_over_meanwhile_is_not_resumed(s3_server, bucket, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Another run stores the record again between this run's read of it and its takeover
    (If-Match on the ETag read, refused 412): the upload is not resumed by this run, which
    uploads its own, unrecorded; the other run's record stays as it stored it."""
    client = admin(s3_server.url)
    data = os.urandom(12 * MiB)
    upload_id, record = _dead_runs_upload(s3_server.url, bucket, data)
    body = _stored(client, bucket, record)
    theirs = json.dumps({**body, "run": "live-run", "pid": os.getpid() + 1}).encode()

    resumer = destination(s3_server.url, bucket, prefix="shoot")
    asked = resumer._upload_in_progress

    def taken_over_meanwhile(key: str, upload_id: str, **how: bool) -> bool:
        client.put_object(Bucket=bucket, Key=record, Body=theirs)
        return asked(key, upload_id, **how)

    monkeypatch.setattr(resumer, "_upload_in_progress", taken_over_meanwhile)
    upload = resumer.open_upload("shoot/day2/clip.mov", len(data))
    assert upload.upload_id != upload_id
    assert client.get_object(Bucket=bucket, Key=record)["Body"].read() == theirs
    upload.write(memoryview(data))
    upload.complete()
    assert upload.resumed_parts == 0
    assert client.get_object(Bucket=bucket, Key=record)["Body"].read() == theirs
    assert upload_id in _uploads(s3_server.url, bucket)  # left to its record's sweep
    resumer.close()


def test_a_takeover_whose_answer_was_lost_resumes_the_upload(s3_server, bucket, proxy) -> None:  # type: ignore[no-untyped-def]
    """The PutObject that stores the record again naming this run is stored, its answer
    lost; botocore sends it again, refused (412: the record is no longer the object judged,
    it is this run's own). Proved this request's by a HEAD (``_put``), the upload is
    resumed. Failed before: ``adopt_record`` took that 412 for another run's takeover and
    uploaded the whole file again, leaving the record naming this run over an upload it
    never resumed."""
    client = admin(s3_server.url)
    data = os.urandom(12 * MiB)
    upload_id, record = _dead_runs_upload(s3_server.url, bucket, data)

    resumer = destination(proxy.url, bucket, prefix="shoot")
    proxy.lose_answer("PUT", f"/{UPLOADS_FOLDER}/", go_down=False)
    upload = resumer.open_upload("shoot/day2/clip.mov", len(data))
    assert upload.upload_id == upload_id
    adopted = _stored(client, bucket, record)
    assert adopted["pid"] == os.getpid() and adopted["marker"] == "dead-run"
    _complete_resumed(upload, data, s3_server.url, bucket)
    assert _records(s3_server.url, bucket) == []
    resumer.close()


def test_a_resumed_upload_leaves_no_record_where_versions_cannot_be_listed(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy
) -> None:
    """A bucket that keeps versions, a policy without s3:ListBucketVersions (the proxy
    refuses every ListObjectVersions, 403): once the resumed upload completes, no record is
    current. Failed before: this run's version of the record was deleted by its id, which
    made the dead run's version current again (its ETag not this run's: the plain delete
    that follows was refused 412), so the record stayed, naming a completed upload."""
    client = admin(s3_server.url)
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    data = os.urandom(12 * MiB)
    upload_id, _ = _dead_runs_upload(s3_server.url, bucket, data)

    proxy.intercept("GET", "?versions", status=403, count=100)
    resumer = destination(proxy.url, bucket, prefix="shoot")
    upload = resumer.open_upload("shoot/day2/clip.mov", len(data))
    assert upload.upload_id == upload_id
    _complete_resumed(upload, data, s3_server.url, bucket)
    assert proxy.stats.intercepted >= 1  # the listing was refused
    assert _records(s3_server.url, bucket) == []
    resumer.close()


def test_a_record_copied_to_another_key_does_not_abort_a_resumed_upload(  # type: ignore[no-untyped-def]
    s3_server, bucket
) -> None:
    """The dead run's record also lies at another key of the uploads folder (a copied
    ``.offload`` folder); a live run resumed the upload, storing the real record (its key's
    record key) again naming itself. Another run's sweep reads the copy, whose maker is
    dead: kept. Failed before: the HEAD that guards the abort asked the copy's key, which
    nobody stores again, so it always matched and the live run's upload was aborted."""
    client = admin(s3_server.url)
    data = os.urandom(12 * MiB)
    upload_id, record = _dead_runs_upload(s3_server.url, bucket, data)
    copy = f"shoot/{UPLOADS_FOLDER}/copied.json"
    client.copy_object(Bucket=bucket, Key=copy, CopySource={"Bucket": bucket, "Key": record})

    resumer = destination(s3_server.url, bucket, prefix="shoot")
    upload = resumer.open_upload("shoot/day2/clip.mov", len(data))
    assert upload.upload_id == upload_id
    sweeper = destination(s3_server.url, bucket, prefix="shoot")
    assert sweeper.abort_abandoned([]) == []
    sweeper.close()
    assert upload_id in _uploads(s3_server.url, bucket)
    _complete_resumed(upload, data, s3_server.url, bucket)
    resumer.close()


def test_a_takeover_refused_501_falls_back_for_itself_alone(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy
) -> None:
    """The service answers 501 to the takeover's If-Match (a PutObject of the record);
    ``part_attempts`` 1. The takeover is stored after a HEAD instead and the upload resumed;
    If-None-Match stays in use (``conditional_create``). Failed before: the 501 used the one
    attempt (the takeover failed, the whole file was uploaded again) and turned conditional
    creation off for the whole destination."""
    client = admin(s3_server.url)
    data = os.urandom(12 * MiB)
    upload_id, record = _dead_runs_upload(s3_server.url, bucket, data)

    resumer = destination(proxy.url, bucket, prefix="shoot", part_attempts=1)
    assert resumer.conditional_create
    proxy.intercept(
        "PUT", f"/{UPLOADS_FOLDER}/", header="if-match", status=501, code="NotImplemented"
    )
    upload = resumer.open_upload("shoot/day2/clip.mov", len(data))
    assert proxy.stats.intercepted == 1
    assert upload.upload_id == upload_id
    assert resumer.conditional_create
    adopted = _stored(client, bucket, record)
    assert adopted["pid"] == os.getpid() and adopted["marker"] == "dead-run"
    _complete_resumed(upload, data, s3_server.url, bucket)
    assert _records(s3_server.url, bucket) == []
    resumer.close()


def _old_copy(endpoint: str, bucket: str, record: str, copy: str, **fields: object) -> None:
    """A copy of the record *record* under *copy*, as old as a day and more (the age rule's
    reach), with *fields* changed."""
    client = admin(endpoint)
    body = _stored(client, bucket, record)
    body.update(created_at=time.time() - 2 * 24 * 3600, **fields)
    client.put_object(Bucket=bucket, Key=copy, Body=json.dumps(body).encode())


@pytest.mark.parametrize(
    ("copy", "versioned"),
    [
        (f"shoot/{UPLOADS_FOLDER}/copied.json", False),  # another name in the same folder
        (f"shoot/{UPLOADS_FOLDER}/copied.json", True),
        (f"elsewhere/{UPLOADS_FOLDER}/", False),  # a prefix copied: same name, elsewhere
    ],
    ids=["renamed", "renamed-versioned", "prefix-copied"],
)
def test_an_old_copied_record_never_aborts_a_resumed_upload_and_is_dropped(  # type: ignore[no-untyped-def]
    s3_server, bucket, copy, versioned
) -> None:
    """A copy of a dead run's record older than ``abandon_after_s`` (the age rule's reach)
    while a live run resumed the upload it names (the real record stored again naming that
    run, fresh). The sweep of the copy's prefix keeps the upload and deletes the copy (no
    run reads a record there; on a bucket that keeps versions, by its version id: nothing
    of it left). Failed before: the age rule aborted the live run's upload through the
    copy, whose ``run`` no live lock names, and the copy was never deleted."""
    client = admin(s3_server.url)
    if versioned:
        client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    data = os.urandom(12 * MiB)
    upload_id, record = _dead_runs_upload(s3_server.url, bucket, data)
    if copy.endswith("/"):
        copy += record.rpartition("/")[2]
    _old_copy(s3_server.url, bucket, record, copy)
    prefix = copy.partition("/")[0]

    resumer = destination(s3_server.url, bucket, prefix="shoot")
    upload = resumer.open_upload("shoot/day2/clip.mov", len(data))
    assert upload.upload_id == upload_id
    sweeper = destination(s3_server.url, bucket, prefix=prefix)
    assert sweeper.abort_abandoned([]) == []
    assert sweeper.left_behind == []  # its real record governs it: nothing to name
    sweeper.close()
    assert upload_id in _uploads(s3_server.url, bucket)
    listed = client.list_objects_v2(Bucket=bucket, Prefix=copy).get("Contents", [])
    assert [o["Key"] for o in listed] == []  # the copy is gone
    if versioned:
        left = client.list_object_versions(Bucket=bucket, Prefix=copy)
        assert left.get("Versions", []) == [] and left.get("DeleteMarkers", []) == []
    assert record in _records(s3_server.url, bucket)  # the real one stays, the resumer's
    _complete_resumed(upload, data, s3_server.url, bucket)
    assert _records(s3_server.url, bucket) == []
    resumer.close()


def test_a_record_copied_into_a_prefix_above_is_a_copy(s3_server, bucket) -> None:  # type: ignore[no-untyped-def]
    """A record of a run into ``s3://bucket/shoot`` copied into the bucket's own
    ``.offload/uploads/`` (where a run into ``s3://bucket`` keeps the record of that same
    key): the copy says where it was stored (``record_key``), so the sweep of the bucket's
    root takes it for the copy it is, and leaves the live resumer's upload alone."""
    client = admin(s3_server.url)
    data = os.urandom(12 * MiB)
    upload_id, record = _dead_runs_upload(s3_server.url, bucket, data)
    resumer = destination(s3_server.url, bucket, prefix="shoot")
    upload = resumer.open_upload("shoot/day2/clip.mov", len(data))
    assert upload.upload_id == upload_id
    adopted = _stored(client, bucket, record)
    assert adopted["record_key"] == record
    copy = record.partition("/")[2]  # .offload/uploads/<hash>.json
    _old_copy(s3_server.url, bucket, record, copy, run="dead-run", pid=a_pid_not_running())
    sweeper = destination(s3_server.url, bucket, prefix="")
    assert sweeper.abort_abandoned([]) == []
    sweeper.close()
    assert upload_id in _uploads(s3_server.url, bucket)
    assert client.list_objects_v2(Bucket=bucket, Prefix=copy).get("Contents", []) == []
    _complete_resumed(upload, data, s3_server.url, bucket)
    resumer.close()


def test_a_record_that_names_no_start_but_a_pid_gone_is_swept_at_once(  # type: ignore[no-untyped-def]
    s3_server, bucket
) -> None:
    """A record of a version that kept no ``pid_start`` (2026-12-02 to 12-05: host, pid and
    process space only) whose pid runs no process now: its maker is provably gone (no pid
    to reuse), so its upload is aborted at once, not a day later; one whose pid runs is
    kept to the age rule (``test_a_pid_reused_since_is_dead_and_the_same_process_is_not``).
    Passed before: the rule already held (``lock.holder_gone``); pinned here."""
    client = admin(s3_server.url)
    data = os.urandom(12 * MiB)
    upload_id, record = _dead_runs_upload(s3_server.url, bucket, data)
    body = _stored(client, bucket, record)
    del body["pid_start"]
    assert body["pid_space"] == process_space()
    client.put_object(Bucket=bucket, Key=record, Body=json.dumps(body).encode())
    sweeper = destination(s3_server.url, bucket, prefix="shoot")
    assert sweeper.abort_abandoned([]) == ["shoot/day2/clip.mov"]
    sweeper.close()
    assert upload_id not in _uploads(s3_server.url, bucket)
    assert _records(s3_server.url, bucket) == []


def test_a_copy_at_a_runs_own_record_key_is_not_resumed(s3_server, bucket) -> None:  # type: ignore[no-untyped-def]
    """The copy above (a record of a run into ``s3://bucket/shoot``, in the bucket's own
    ``.offload/uploads/``) lies where a run into ``s3://bucket`` looks for the record of the
    same key. That run does not take the copy for its own record: it uploads its own (and
    stores its record over the copy), never joining the live resumer's upload. Failed
    before: its maker dead, the copy was taken over and the upload resumed by both runs."""
    client = admin(s3_server.url)
    data = os.urandom(12 * MiB)
    upload_id, record = _dead_runs_upload(s3_server.url, bucket, data)
    resumer = destination(s3_server.url, bucket, prefix="shoot")
    upload = resumer.open_upload("shoot/day2/clip.mov", len(data))
    assert upload.upload_id == upload_id
    copy = record.partition("/")[2]
    _old_copy(s3_server.url, bucket, record, copy, run="dead-run", pid=a_pid_not_running())
    other = destination(s3_server.url, bucket, prefix="")
    theirs = other.open_upload("shoot/day2/clip.mov", len(data))
    assert theirs.upload_id not in (None, upload_id)
    stored = _stored(client, bucket, copy)
    assert stored["upload_id"] == theirs.upload_id and stored["record_key"] == copy
    theirs.discard()
    other.close()
    _complete_resumed(upload, data, s3_server.url, bucket)
    resumer.close()
