"""An object that may be in the bucket (its storing request's answer lost, and the look for
it proving nothing): its entry's ``remove`` is pinned to the ETag the request's bytes give it
where the service makes ETags of MD5s. On a bucket that encrypts with KMS keys (SSE-KMS) the
object's ETag is not that one: pasted, the command is refused (PreconditionFailed) and
deletes nothing. The reason says so, and what to do (the check, then ``--if-match`` the ETag
it shows), and both steps work pasted into a shell with the real AWS CLI.

Failed before: the reason said nothing of it; the note's "remove it: <command>" was not
true on such a bucket. The SSE-KMS ETag is stood in for by the object's own (other bytes
of the same size than the request's, this run's metadata): moto makes MD5 ETags whatever
the encryption. The run's look is answered 503 by the fault proxy (the service failing)."""

from __future__ import annotations

import hashlib
import json
import os
import shlex
from typing import Any

from offload.destinations.s3 import _RUN_TOKEN, MARKER_KEY, S3Destination
from offload.destinations.s3card import left_behind_entries
from s3.conftest import admin, destination
from s3.test_s3_cli import keys
from s3.test_s3_left_behind_commands import pasted
from support.tcpproxy import FaultProxy

KEY = "day1/A001/CLIPS/A001C002.mov"


def _entry_of_an_unanswered_store(
    dest: S3Destination, proxy: FaultProxy, size: int, etag: str | None, request: str
) -> dict[str, Any]:
    """``KEY``'s one left-behind entry once *request* (storing *size* bytes, *etag* what they
    give) went unanswered and the look for the object was answered 503 (it proves nothing)."""
    proxy.intercept("HEAD", "A001C002", status=503, code="ServiceUnavailable", count=100)
    dest.settle_unanswered(
        KEY,
        size=size,
        etag=etag,
        request=request,
        why="the service cannot be reached",
        then="an object of this run that was never verified",
        token=_RUN_TOKEN,
    )
    proxy._intercepts.clear()
    (entry,) = left_behind_entries(dest)
    return entry


def test_a_pinned_removal_refused_by_another_etag_is_said_and_its_way_out_works(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy
) -> None:
    sent = os.urandom(300_000)
    stored = os.urandom(len(sent))  # the object as stored: another ETag than the request's
    admin(s3_server.url).put_object(
        Bucket=bucket, Key=KEY, Body=stored, Metadata={MARKER_KEY: _RUN_TOKEN}
    )
    expected = f'"{hashlib.md5(sent).hexdigest()}"'
    dest = destination(proxy.url, bucket, prefix="day1")
    entry = _entry_of_an_unanswered_store(dest, proxy, len(sent), expected, "PutObject")
    assert entry["may_be_stored"] is True
    assert entry["remove"].endswith(f"--if-match {shlex.quote(expected)}"), entry["remove"]
    reason = entry["reason"]
    assert "SSE-KMS" in reason and "PreconditionFailed" in reason, reason
    assert "give --if-match the ETag the check shows" in reason, reason
    # Pasted as given: refused, nothing deleted (what the reason says).
    refused = pasted(entry["remove"])
    assert refused.returncode != 0 and "PreconditionFailed" in refused.stderr, refused.stderr
    assert KEY in keys(s3_server.url, bucket)
    # The way out it gives: the check shows this run's metadata and the ETag to pin to.
    looked = pasted(entry["check"])
    assert looked.returncode == 0, looked.stderr
    head = json.loads(looked.stdout)
    assert head["Metadata"][MARKER_KEY] == _RUN_TOKEN
    unpinned = entry["remove"].rpartition(" --if-match ")[0]
    removed = pasted(f"{unpinned} --if-match {shlex.quote(head['ETag'])}")
    assert removed.returncode == 0, removed.stderr
    assert KEY not in keys(s3_server.url, bucket)
    dest.close()


def test_an_unpinned_removal_says_to_check_first(s3_server, bucket, proxy) -> None:  # type: ignore[no-untyped-def]
    """A completion whose parts' ETags are not MD5s gives no ETag to pin to: the command
    deletes whatever is there, and the reason says to run it only once the check shows this
    run's metadata."""
    dest = destination(proxy.url, bucket, prefix="day1")
    entry = _entry_of_an_unanswered_store(dest, proxy, 9, None, "CompleteMultipartUpload")
    assert "--if-match" not in entry["remove"]
    assert "is not pinned to an ETag" in entry["reason"], entry["reason"]
    assert (
        f"run it only once the check shows the metadata {MARKER_KEY}: {_RUN_TOKEN}"
        in (entry["reason"])
    )
    dest.close()
