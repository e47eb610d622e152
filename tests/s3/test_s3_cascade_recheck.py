"""A cascade's fast S3 destination, checked at the cascade's end as its local fast copies are
(``cascade._s3_changed_since_verified``): the cascade never reads a bucket's copies, so one
deleted or written over between its read-back and the cascade's end must not be reported
verified (a real moto server process, real boto3, the library's offload)."""

from __future__ import annotations

import os

from offload.card import OffloadOptions, plan_offload, run_offload
from offload.destinations.s3config import S3Settings
from offload.events import CardReleased, Event
from offload.ledger import Ledger
from offload.results import DestinationStatus, FastCopyFailure
from s3.conftest import admin
from s3.test_s3_cli import make_card

CARD = {f"CLIPS/A001C00{n}.mov": 3_000 + n for n in range(4)}


def test_fast_s3_copies_changed_after_the_release_are_failed_at_the_cascades_end(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """RAID feeds the cascade to SHUTTLE; the bucket is a fast destination, verified in the
    card's pass. At the card's release one object is deleted, one written over by other
    bytes of its size and one by fewer bytes: each is failed at the cascade's end, saying
    what was found, and revoked from the bucket's ledger; the fourth stays verified, the
    local copies too, and the run fails (exit 1). Failed before: all four "verified", exit 0.
    """
    card = make_card(tmp_path, CARD)
    raid, shuttle = tmp_path / "RAID", tmp_path / "SHUTTLE"
    raid.mkdir()
    shuttle.mkdir()
    url = f"s3://{bucket}/day1"
    client = admin(s3_server.url)
    key = "day1/A001/CLIPS/A001C00{}.mov".format

    class ChangeTheBucketAtRelease:
        def emit(self, event: Event) -> None:
            if isinstance(event, CardReleased):
                client.delete_object(Bucket=bucket, Key=key(0))
                client.put_object(Bucket=bucket, Key=key(1), Body=os.urandom(3_001))
                client.put_object(Bucket=bucket, Key=key(2), Body=b"short")

    settings = S3Settings(endpoint_url=s3_server.url, region="us-east-1", max_attempts=3)
    options = OffloadOptions(cascade=frozenset({2}), s3=settings)
    plan = plan_offload(card, [raid, url, shuttle], options)
    report = run_offload(plan, sink=ChangeTheBucketAtRelease())
    assert report.exit_code == 1
    results = {f.relative_path: f for f in report.job.files}
    at_end = "when the cascade checked the fast copies at its end"
    found = {
        "CLIPS/A001C000.mov": "found gone",
        "CLIPS/A001C001.mov": "found another object (ETag ",
        "CLIPS/A001C002.mov": "found 5 bytes long, the card's file 3002",
    }
    for path, words in found.items():
        result = results[path].destination(1)
        assert result is not None and result.status is DestinationStatus.FAILED, result
        error = result.error or ""
        assert f"the copy s3://{bucket}/day1/A001/{path} was verified, then {words}" in error
        assert at_end in error, error
        # Gone: nothing to replace, a plain re-run copies it anew; else found other.
        gone = path == "CLIPS/A001C000.mov"
        assert result.fast_failure is (
            FastCopyFailure.REMOVED if gone else FastCopyFailure.CHANGED
        ), result
        assert ("--overwrite" in error) is not gone, error
    kept = results["CLIPS/A001C003.mov"].destination(1)
    assert kept is not None and kept.status is DestinationStatus.VERIFIED, kept
    for file in report.job.files:
        for index in (0, 2):
            result = file.destination(index)
            assert result is not None and result.status is DestinationStatus.VERIFIED, result
    ledger: Ledger = plan.ledgers[1]
    entries = ledger.load()
    assert {p: entries[p].state for p in found} == dict.fromkeys(found, "revoked")
    assert entries["CLIPS/A001C003.mov"].state == "verified"


def test_a_bucket_copy_verified_by_an_earlier_run_is_checked_against_its_ledger_etag(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """The bucket already holds the card, verified by an earlier run (this run trusts its
    ledger, uploads nothing there): at the cascade's end each copy is checked against the
    ETag its ledger entry recorded. One written over at the card's release by other bytes
    of its size is failed; the others stay as they were reported."""
    card = make_card(tmp_path, CARD)
    raid, shuttle = tmp_path / "RAID", tmp_path / "SHUTTLE"
    raid.mkdir()
    shuttle.mkdir()
    url = f"s3://{bucket}/day1"
    settings = S3Settings(endpoint_url=s3_server.url, region="us-east-1", max_attempts=3)
    assert run_offload(plan_offload(card, [url], OffloadOptions(s3=settings))).exit_code == 0
    client = admin(s3_server.url)
    changed = "day1/A001/CLIPS/A001C003.mov"

    class WriteOverAtRelease:
        def emit(self, event: Event) -> None:
            if isinstance(event, CardReleased):
                client.put_object(Bucket=bucket, Key=changed, Body=os.urandom(3_003))

    options = OffloadOptions(cascade=frozenset({2}), s3=settings)
    plan = plan_offload(card, [raid, url, shuttle], options)
    report = run_offload(plan, sink=WriteOverAtRelease())
    assert report.exit_code == 1
    for file in report.job.files:
        result = file.destination(1)
        assert result is not None
        if file.relative_path == "CLIPS/A001C003.mov":
            assert result.status is DestinationStatus.FAILED, result
            # trusted from the ledger, not read back by this run: said so, and its ETag is
            # the one recorded, not one this run verified
            error = result.error or ""
            assert "was verified by an earlier run, then found another object (ETag " in error
            assert ", recorded as " in error and "verified as" not in error
        else:
            assert result.status is not DestinationStatus.FAILED, result
