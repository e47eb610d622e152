"""What a run leaves in the bucket when the service goes for good mid-card is named: the
objects it completed but never verified (their delete failed too), the copy root's lock
(its release failed) and the unfinished multipart upload (its abort failed; its record
kept), each in the report's ``left_behind`` and its notes, with the command that removes
it; the re-run then adopts those objects, takes the lock over and resumes the upload. A real
``offload copy`` (in process), the real test server, the fault proxy gone for good."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from s3.conftest import admin
from s3.test_s3_cli import card_local_url, keys, offload
from s3.test_s3_faults import BIG, CARD, report_of, statuses
from support.service_gone import down_once_parts_stored, service_back


def test_service_gone_mid_card_names_what_it_left(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")  # the service is gone for good: fail fast
    card, local, url = card_local_url(tmp_path, bucket, CARD)
    client = admin(s3_server.url)
    # The big file's third part is held, and so is A001.xml's read-back (its GET: a single
    # PutObject, first in the card's order), so it is never verified, however late the
    # watcher looks; the service goes once two other parts are stored and A001.xml is
    # complete, and its delete fails as everything else does. (Before, the read-back was
    # not held: under load A001.xml could be verified before the service went.)
    proxy.hold("PUT", "partNumber=3")
    proxy.hold("GET", "/A001/A001.xml HTTP", also=True)

    watcher = down_once_parts_stored(
        proxy, client, bucket, ready=lambda: "day1/A001/A001.xml" in keys(s3_server.url, bucket)
    )
    code, out, _err = offload(
        tmp_path, "--s3-endpoint", proxy.url, "--json", str(card), str(local), url
    )
    watcher.join()
    assert code == 1
    report = report_of(out)
    assert report["destinations"][1]["lost"]
    assert "verified" not in statuses(report, 1).values()
    left = keys(s3_server.url, bucket)
    # What stands in the bucket: the object never verified, the lock, and the record of the
    # unfinished upload (kept: the re-run resumes that upload from it).
    records = [k for k in left if k.startswith("day1/.offload/uploads/")]
    assert len(records) == 1
    # And the copy root's record of this run, still "running" (``run_record``): never named
    # as left behind, since removing it would let a check pass this unfinished copy.
    run_record_key = "day1/A001/.offload/last-run.json"
    assert run_record_key in left, left
    records.append(run_record_key)
    uploads = client.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert [u["Key"] for u in uploads] == [f"day1/A001/{BIG}"]
    objects = sorted(set(left) - set(records))
    # A001.xml for sure; A001C002.mov too when it was complete before the service went.
    assert {"day1/A001/.offload/lock", "day1/A001/A001.xml"} <= set(objects), objects
    entries = report["left_behind"]["objects"]
    named = {entry["key"]: entry for entry in entries if entry["upload_id"] is None}
    # Was none: {"count": 0, "objects": [], ...}. Every object there is named, and every
    # object named is there but one whose PutObject was sent and whose answer never came
    # (the proxy went down between): A001C002.mov when the service went mid-request, named
    # as one that may be in the bucket (before, left unnamed when the server had stored it).
    assert set(objects) <= set(named), (named, objects)
    maybe = {key for key, entry in named.items() if entry["may_be_stored"]}
    assert maybe <= {"day1/A001/CLIPS/A001C002.mov"}, named
    assert set(named) - maybe <= set(objects), (named, objects)
    # The unfinished upload, named too (its abort failed): its parts stay until aborted.
    upload = [entry for entry in entries if entry["upload_id"] is not None]
    assert [(e["key"], e["upload_id"]) for e in upload] == [
        (f"day1/A001/{BIG}", uploads[0]["UploadId"])
    ]
    assert upload[0]["remove"] == (
        f"aws s3api abort-multipart-upload --endpoint-url {proxy.url} --bucket {bucket} "
        f"--key day1/A001/{BIG} "
        f"--upload-id {uploads[0]['UploadId']}"
    )
    assert upload[0]["reason"].startswith(
        "an unfinished multipart upload: its abort failed (the service cannot be reached"
    )
    assert "its record stays" in upload[0]["reason"]
    assert report["left_behind"]["count"] == len(named) + 1
    for key in maybe:
        entry = named[key]
        assert entry["reason"].startswith("may be in the bucket: its PutObject was sent but")
        assert (
            entry["check"]
            == f"aws s3api head-object --endpoint-url {proxy.url} --bucket {bucket} --key {key}"
        )
        assert entry["remove"].startswith(
            f"aws s3api delete-object --endpoint-url {proxy.url} --bucket {bucket} "
            f"--key {key} --if-match "
        )
    for key in set(objects) - {"day1/A001/.offload/lock"} - maybe:
        entry = named[key]
        assert entry["url"] == f"s3://{bucket}/{key}" and entry["version_id"] is None
        assert (
            entry["remove"]
            == f"aws s3api delete-object --endpoint-url {proxy.url} --bucket {bucket} --key {key}"
        )
        assert entry["may_be_stored"] is False and entry["check"] is None
        # Why, in the words of the failure (not the URL again, which the entry names).
        assert entry["reason"].startswith("its delete failed (the service cannot be reached")
        assert "never verified" in entry["reason"] and "reads it back" in entry["reason"]
    lock = named["day1/A001/.offload/lock"]
    assert lock["reason"].startswith(
        f"the lock of {url}/A001: its delete failed (the service cannot be reached"
    )
    assert "takes it over" in lock["reason"]
    # Its command deletes it only while it is still this run's lock: once a later run took
    # it over, a plain delete-object would delete that run's live lock (before: no --if-match).
    lock_etag = client.head_object(Bucket=bucket, Key="day1/A001/.offload/lock")["ETag"]
    assert lock["remove"] == (
        f"aws s3api delete-object --endpoint-url {proxy.url} --bucket {bucket} "
        f"--key day1/A001/.offload/lock "
        f"--if-match {shlex.quote(lock_etag)}"
    ), lock["remove"]
    note = [n for n in report["notes"] if "may be left in the bucket" in n]
    assert len(note) == 1 and "A001.xml" in note[0] and ".offload/lock" in note[0]
    assert f"the upload of {url}/A001/{BIG} (upload id {uploads[0]['UploadId']})" in note[0]
    assert "objects, versions or unfinished uploads" in note[0]

    # The re-run (the service back): the lock taken over, the object read back and adopted.
    with service_back(s3_server.port) as again:
        code, out, err = offload(
            tmp_path, "--s3-endpoint", again.url, "--json", str(card), str(local), url
        )
    assert code == 0, err
    second = report_of(out)
    assert set(statuses(second, 1).values()) == {"verified"}
    assert not client.list_multipart_uploads(Bucket=bucket).get("Uploads")  # resumed, done
    assert not [k for k in keys(s3_server.url, bucket) if "/.offload/uploads/" in k]
    adopted = [
        d.get("action")
        for f in second["files"]
        if f["path"] == "A001.xml"
        for d in f["destinations"]
        if d["index"] == 1
    ]
    assert adopted == ["adopted"]  # read back, equal to the card's: not uploaded again
    assert second["left_behind"]["count"] == 0
    assert "day1/A001/.offload/lock" not in keys(s3_server.url, bucket)


def test_a_bucket_deleted_mid_card_is_no_takeover_and_leaves_nothing(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    """The bucket deleted while a part is on its way (its objects and uploads first, as S3
    requires): the destination is lost (the service says the bucket does not exist), the
    run does not say its lock was taken over by another offload (the refresh found no
    bucket, not another lock: it said so, "did not refresh it for 180 s", in a 6 s run),
    and names nothing as left in a bucket that is gone."""
    card, local, url = card_local_url(tmp_path, bucket, CARD)
    client = admin(s3_server.url)
    proxy.hold("PUT", "partNumber=3")

    def delete_the_bucket() -> None:
        if not proxy.held.wait(60):
            return
        # The run still stores objects meanwhile (a PutObject not held, a lock refresh): one
        # stored between the listing and the DeleteBucket makes it BucketNotEmpty; emptied
        # again, until the bucket is gone.
        for _ in range(50):
            for upload in client.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
                client.abort_multipart_upload(
                    Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                )
            for item in client.list_objects_v2(Bucket=bucket).get("Contents", []):
                client.delete_object(Bucket=bucket, Key=item["Key"])
            try:
                client.delete_bucket(Bucket=bucket)
                break
            except client.exceptions.ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "BucketNotEmpty":
                    raise
        proxy.release()

    watcher = threading.Thread(target=delete_the_bucket, daemon=True)
    watcher.start()
    code, out, err = offload(
        tmp_path, "--s3-endpoint", proxy.url, "--json", str(card), str(local), url
    )
    watcher.join()
    assert code == 1, err
    report = report_of(out)
    lost = report["destinations"][1]["lost_reason"] or ""
    assert "NoSuchBucket: the service says the bucket does not exist" in lost, lost
    said = out + err + json.dumps(report["warnings"]) + json.dumps(report["notes"])
    assert "taken over" not in said and "was deleted while this run held" not in said
    assert report["left_behind"] == {"count": 0, "objects": [], "all_listed": True}


def _aws(endpoint: str, command: str) -> subprocess.CompletedProcess[str]:
    """Run a command a report gives (``aws s3api ...``) against the test server, as a user
    would paste it, with the credentials the tests set; the command names the endpoint of
    the run (the fault proxy, gone by now): *endpoint* takes its place, the same service
    reached again."""
    tool = Path(sys.executable).parent / "aws"
    argv = shlex.split(command)
    assert argv[:2] == ["aws", "s3api"] and argv[3] == "--endpoint-url", argv
    argv = [
        str(tool) if tool.exists() else "aws",
        *argv[1:3],
        "--endpoint-url",
        endpoint,
        *argv[5:],
    ]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)


def _check_then_remove_as_given(
    endpoint: str, bucket: str, key: str, entry: dict[str, Any]
) -> None:
    """The report's commands for the object *key* left behind (*entry*) do what it says, run
    as given (at *endpoint*): the check finds this run's object, the removal deletes it."""
    looked = _aws(endpoint, entry["check"])
    assert looked.returncode == 0, looked.stderr
    assert json.loads(looked.stdout)["Metadata"].get("offload-upload")
    removed = _aws(endpoint, entry["remove"])
    assert removed.returncode == 0, removed.stderr
    assert key not in keys(endpoint, bucket)


@pytest.mark.parametrize(
    ("sizes", "method", "target", "request_name"),
    [
        ({"CLIPS/A001C002.mov": 300_000}, "PUT", "/A001/CLIPS/A001C002.mov", "PutObject"),
        (
            {"CLIPS/A001C002.mov": 9 * 1024 * 1024},
            "POST",
            "uploadId=",
            "CompleteMultipartUpload",
        ),
    ],
    ids=["put-object", "complete-multipart-upload"],
)
def test_an_object_whose_answer_was_lost_is_named_as_maybe_in_the_bucket(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path, monkeypatch, sizes, method, target, request_name
) -> None:
    """The request that stores a clip (its PutObject, or the CompleteMultipartUpload of its
    parts) reaches the server, which stores it, and the service goes for good before its
    answer comes back: the run cannot know whether the clip is stored. It is named in
    ``left_behind`` as an object that may be in the bucket (never as stored or verified),
    with the command that shows whether it is and the one that removes it, pinned to its
    ETag. Before: not named at all (the failed request was taken to have stored nothing)."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")  # the service is gone for good: fail fast
    card, local, url = card_local_url(tmp_path, bucket, sizes)
    proxy.lose_answer(method, target)
    code, out, _err = offload(
        tmp_path, "--s3-endpoint", proxy.url, "--json", str(card), str(local), url
    )
    assert code == 1
    assert proxy.stats.answers_lost, "the request never came"
    report = report_of(out)
    assert report["destinations"][1]["lost"]
    assert statuses(report, 1)["CLIPS/A001C002.mov"] != "verified"
    key = "day1/A001/CLIPS/A001C002.mov"
    client = admin(s3_server.url)
    stored = client.head_object(Bucket=bucket, Key=key)  # the server did store it
    entries = [
        e for e in report["left_behind"]["objects"] if e["key"] == key and e["upload_id"] is None
    ]
    assert len(entries) == 1, report["left_behind"]
    entry = entries[0]
    assert entry["may_be_stored"] is True
    assert entry["reason"].startswith(
        f"may be in the bucket: its {request_name} was sent but its answer never came"
    ), entry["reason"]
    assert "cannot know whether it was stored" in entry["reason"]
    assert "never verified" in entry["reason"] and "reads it back" in entry["reason"]
    assert (
        entry["check"]
        == f"aws s3api head-object --endpoint-url {proxy.url} --bucket {bucket} --key {key}"
    )
    # Pinned to the ETag the object has if stored (moto's, as AWS's: an MD5 ETag).
    assert entry["remove"] == (
        f"aws s3api delete-object --endpoint-url {proxy.url} --bucket {bucket} --key {key} "
        f"--if-match {shlex.quote(stored['ETag'])}"
    ), (entry["remove"], stored["ETag"])
    note = [n for n in report["notes"] if "may be left in the bucket" in n]
    assert len(note) == 1 and f"see whether it is there: {entry['check']}" in note[0]
    # Every other entry names what it always did: the lock, and, for an upload in parts,
    # the upload whose abort failed: said to be maybe completed (the object's entry), never
    # "unfinished, its parts stay" beside an object that may be stored (before: both said).
    others = [e for e in report["left_behind"]["objects"] if e is not entry]
    assert {e["key"] for e in others} <= {"day1/A001/.offload/lock", key}, others
    uploads = [e for e in others if e["upload_id"] is not None]
    assert len(uploads) == (request_name == "CompleteMultipartUpload"), others
    for upload in uploads:
        assert upload["key"] == key
        assert upload["reason"].startswith(
            "a multipart upload whose completion was sent but got no answer: its abort failed"
        ), upload["reason"]
        assert "it may have been completed (see the entry of its object" in upload["reason"]
        assert "unfinished" not in upload["reason"], upload["reason"]
    assert all(
        e["may_be_stored"] is False for e in report["left_behind"]["objects"] if e is not entry
    )
    # The commands do what the report says, run as given: the check finds this run's object,
    # the removal deletes it.
    _check_then_remove_as_given(s3_server.url, bucket, key, entry)


@pytest.mark.parametrize(
    ("size", "method", "target"),
    [(300_000, "PUT", "/A001/CLIPS/A001C002.mov"), (9 * 1024 * 1024, "POST", "uploadId=")],
    ids=["put-object", "complete-multipart-upload"],
)
def test_a_store_whose_answer_was_lost_then_found_stored_is_kept_and_read_back(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path, monkeypatch, size, method, target
) -> None:
    """The request that stores a clip (its PutObject, or the CompleteMultipartUpload of its
    parts) reaches the server, which stores it; its answer is lost (that connection closed;
    no retry: one attempt a request), and the service answers again at once. A HEAD then
    shows under the key the object this request stores: this run's metadata, its size and
    the ETag the request's bytes make (an MD5 ETag, or the MD5 of its parts' MD5s). The
    object is kept as stored and read back as any other: verified, exit 0, nothing named.
    Before: the clip failed (the destination said lost, exit 1) and the clean-up's look
    deleted that object, the file's correct copy."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # a retry would complete it again (moto)
    card, local, url = card_local_url(tmp_path, bucket, {"CLIPS/A001C002.mov": size})
    proxy.lose_answer(method, target, go_down=False)
    code, out, err = offload(
        tmp_path, "--s3-endpoint", proxy.url, "--json", str(card), str(local), url
    )
    assert proxy.stats.answers_lost
    report = report_of(out)
    assert code == 0, err
    assert statuses(report, 1)["CLIPS/A001C002.mov"] == "verified"
    assert not report["destinations"][1]["lost"]
    key = "day1/A001/CLIPS/A001C002.mov"
    stored = admin(s3_server.url).get_object(Bucket=bucket, Key=key)
    assert stored["Body"].read() == (card / "CLIPS/A001C002.mov").read_bytes()
    assert report["left_behind"]["count"] == 0, report["left_behind"]


def test_a_put_stored_after_the_look_found_nothing_is_named_as_maybe_in_the_bucket(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path, monkeypatch
) -> None:
    """A clip's PutObject is sent and its connection closes with no answer (one attempt),
    but the service stores it only after the run looked for it (a request it was still
    handling): each look (the HEAD right after the failure, the clean-up's) finds no
    object. The clip fails; the object is named in ``left_behind`` as one that may be in
    the bucket (never as stored), with the command that shows whether it is and the one
    that removes it, pinned to its ETag; once the request lands, those commands find and
    remove it. Before: a look that found nothing named nothing, and the object stored
    after it was left in the bucket unnamed."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    card, local, url = card_local_url(tmp_path, bucket, {"CLIPS/A001C002.mov": 300_000})
    proxy.lose_answer("PUT", "/A001/CLIPS/A001C002.mov", late=True)
    code, out, _err = offload(
        tmp_path, "--s3-endpoint", proxy.url, "--json", str(card), str(local), url
    )
    assert proxy.stats.answers_lost
    report = report_of(out)
    assert code == 1
    assert statuses(report, 1)["CLIPS/A001C002.mov"] != "verified"
    key = "day1/A001/CLIPS/A001C002.mov"
    assert key not in keys(s3_server.url, bucket)  # not yet: the request is still on its way
    entries = [e for e in report["left_behind"]["objects"] if e["key"] == key]
    assert len(entries) == 1, report["left_behind"]
    entry = entries[0]
    assert entry["may_be_stored"] is True and entry["upload_id"] is None
    assert entry["reason"].startswith(
        "may be in the bucket: its PutObject was sent but its answer never came"
    ), entry["reason"]
    assert "a look for it just after found no object there" in entry["reason"]
    assert "cannot know whether it was stored" in entry["reason"]
    assert [line.split(b" ")[1] for line in proxy.deliver_late()] == [b"200"]
    stored = admin(s3_server.url).head_object(Bucket=bucket, Key=key)
    assert entry["remove"] == (
        f"aws s3api delete-object --endpoint-url {proxy.url} --bucket {bucket} --key {key} "
        f"--if-match {shlex.quote(stored['ETag'])}"
    )
    _check_then_remove_as_given(s3_server.url, bucket, key, entry)


def test_a_put_that_could_not_connect_is_not_named(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, monkeypatch
) -> None:
    """The service gone before a PutObject is sent (every attempt refused at connect): the
    request never left, so nothing of it can be in the bucket and nothing is named (an
    attempt whose connection could not be made sent nothing: only one that may have
    reached the service makes an object that may be there)."""
    from s3.conftest import destination

    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    store = destination(proxy.url, bucket, max_attempts=2)
    proxy.go_down()
    data = b"x" * 1000
    upload = store.open_upload(store.url.key("clip.mov"), len(data))
    try:
        upload.write(data)
        with pytest.raises(OSError, match="cannot be reached"):
            upload.complete()
        assert upload.unanswered is None
        upload.discard()
    finally:
        store.close()
    assert store.left_behind == []
    assert keys(s3_server.url, bucket) == []
