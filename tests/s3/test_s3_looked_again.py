"""A bucket's copies looked at again before its manifest is stored there
(``s3looked_again.fail_gone``): one listing of the copy root, as the cascade's end check of
its fast copies does. An object deleted (or written over) after it was read back is failed,
revoked from the bucket's ledger and left out of the manifest, whether the bucket is a
cascade's slow destination, a fast one or a plain run's (a real moto server process, real
boto3, the library's offload).

Failed before: a cascade's slow bucket (QA: ``--cascade-to s3://rushes/day4``, an object
removed with ``aws s3 rm`` once read back) and a plain run's bucket kept the deleted copy
"verified", exit 0, its ASC MHL listing it; ``offload verify`` then said MISSING."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from offload.card import OffloadOptions, plan_offload, run_offload
from offload.destinations.s3config import S3Settings
from offload.events import Event, FileVerified
from offload.options import CopyOptions, ExistingFilePolicy
from offload.results import DestinationStatus
from s3.conftest import admin
from s3.test_s3_cli import make_card
from s3.test_s3_verify import verify
from support.cards import new_take

CARD = {f"CLIPS/A001C00{n}.mov": 3_000 + n for n in range(4)}
GONE = "CLIPS/A001C001.mov"
CHANGED = "CLIPS/A001C002.mov"


class _ChangeOnceVerified:
    """Deletes the object of GONE and writes other bytes over CHANGED on destination
    *index* as soon as each is read back there (a user's ``aws s3 rm`` mid-run)."""

    def __init__(self, client, bucket: str, index: int) -> None:  # type: ignore[no-untyped-def]
        self.client, self.bucket, self.index = client, bucket, index

    def emit(self, event: Event) -> None:
        if not isinstance(event, FileVerified) or event.destination_index != self.index:
            return
        key = f"day4/A001/{event.relative_path}"
        if event.relative_path == GONE:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        elif event.relative_path == CHANGED:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=os.urandom(3_002))


def _manifest_paths(client, bucket: str) -> str:  # type: ignore[no-untyped-def]
    """The text of every ASC MHL generation stored under the copy root."""
    listed = client.list_objects_v2(Bucket=bucket, Prefix="day4/A001/ascmhl/")
    texts = [
        client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read().decode()
        for item in listed.get("Contents", ())
        if item["Key"].endswith(".mhl")
    ]
    assert texts, listed
    return "".join(texts)


def _check(report, plan, client, bucket: str, index: int) -> None:  # type: ignore[no-untyped-def]
    assert report.exit_code == 1
    results = {f.relative_path: f.destination(index) for f in report.job.files}
    gone, changed = results[GONE], results[CHANGED]
    assert gone is not None and gone.status is DestinationStatus.FAILED, gone
    error = gone.error or ""
    assert f"the copy s3://{bucket}/day4/A001/{GONE} was verified, then found gone" in error
    assert "before its manifest was stored" in error and "copy it anew" in error, error
    assert "--overwrite" not in error, error
    assert changed is not None and changed.status is DestinationStatus.FAILED, changed
    assert "found another object (ETag " in (changed.error or ""), changed
    # No copy never to be overwritten in the run: --overwrite first, which the next run's
    # own refusal names too (a revoked copy whose object is another now).
    assert "--overwrite replaces it" in (changed.error or ""), changed
    for relative, result in results.items():
        if relative not in (GONE, CHANGED):
            assert result is not None and result.status is DestinationStatus.VERIFIED, result
    entries = plan.ledgers[index].load()
    assert entries[GONE].state == entries[CHANGED].state == "revoked"
    mhl = _manifest_paths(client, bucket)
    assert GONE not in mhl and CHANGED not in mhl, mhl
    assert "CLIPS/A001C000.mov" in mhl and "CLIPS/A001C003.mov" in mhl, mhl


def test_a_cascades_slow_bucket_is_listed_before_its_manifest(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path: Path
) -> None:
    """FAST feeds the bucket (``--cascade-to s3://…``): a copy deleted, another written
    over, each once read back there, is failed before the bucket's manifest, which leaves
    them out; the exit is 1 and the fast copies stay verified."""
    card = make_card(tmp_path, CARD)
    fast = tmp_path / "FAST"
    fast.mkdir()
    client = admin(s3_server.url)
    settings = S3Settings(endpoint_url=s3_server.url, region="us-east-1", max_attempts=3)
    plan = plan_offload(
        card, [fast, f"s3://{bucket}/day4"], OffloadOptions(cascade=frozenset({1}), s3=settings)
    )
    report = run_offload(plan, sink=_ChangeOnceVerified(client, bucket, 1))
    _check(report, plan, client, bucket, 1)
    for file in report.job.files:
        result = file.destination(0)
        assert result is not None and result.status is DestinationStatus.VERIFIED, result


def test_a_plain_runs_bucket_is_listed_before_its_manifest(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path: Path
) -> None:
    """The same without a cascade: the bucket beside a local destination."""
    card = make_card(tmp_path, CARD)
    local = tmp_path / "RAID"
    local.mkdir()
    client = admin(s3_server.url)
    settings = S3Settings(endpoint_url=s3_server.url, region="us-east-1", max_attempts=3)
    plan = plan_offload(card, [local, f"s3://{bucket}/day4"], OffloadOptions(s3=settings))
    report = run_offload(plan, sink=_ChangeOnceVerified(client, bucket, 1))
    _check(report, plan, client, bucket, 1)
    overwrite = CopyOptions(existing=ExistingFilePolicy.OVERWRITE)  # the remedy the words name
    mended = OffloadOptions(s3=settings, copy=overwrite)
    again = run_offload(plan_offload(card, [local, f"s3://{bucket}/day4"], mended))
    assert again.exit_code == 0, [
        (f.relative_path, d.error) for f in again.job.files if (d := f.destination(1)) and d.error
    ]
    body = client.get_object(Bucket=bucket, Key=f"day4/A001/{CHANGED}")["Body"].read()
    assert body == (card / CHANGED).read_bytes()


class _EmptyTheBucketAt:
    """Deletes every object of the bucket once *relative* is read back on destination
    *index*: what a server restarted empty, the bucket made again, holds (QA: moto killed
    mid-cascade, restarted on its port, ``aws s3 mb``)."""

    def __init__(self, client, bucket: str, index: int, relative: str) -> None:  # type: ignore[no-untyped-def]
        self.client, self.bucket, self.index, self.relative = client, bucket, index, relative

    def emit(self, event: Event) -> None:
        if (
            isinstance(event, FileVerified)
            and event.destination_index == self.index
            and event.relative_path == self.relative
        ):
            listed = self.client.list_objects_v2(Bucket=self.bucket)
            for item in listed.get("Contents", ()):
                self.client.delete_object(Bucket=self.bucket, Key=item["Key"])


def test_a_bucket_that_lost_its_state_mid_cascade_says_so(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path: Path
) -> None:
    """The bucket emptied once its last copy is read back (its lock, ledger objects, run
    record and clips gone): every copy there is failed as gone before its manifest, the
    lock is found deleted at once (the manifest is not stored in its name), and the
    manifest step's words never say the ledger records what this run proved; the bucket's
    run record and ``offload verify`` agree that every card file failed there. Failed
    before: the copies stayed "verified" (the row ``3 2 PARTLY FAILED`` in QA's run), "its
    ledger records each one it proved", and last-run.json named only the copies whose
    upload failed."""
    card = make_card(tmp_path, CARD)
    fast = tmp_path / "FAST"
    fast.mkdir()
    client = admin(s3_server.url)
    settings = S3Settings(endpoint_url=s3_server.url, region="us-east-1", max_attempts=3)
    plan = plan_offload(
        card, [fast, f"s3://{bucket}/day4"], OffloadOptions(cascade=frozenset({1}), s3=settings)
    )
    last = sorted(CARD)[-1]
    report = run_offload(plan, sink=_EmptyTheBucketAt(client, bucket, 1, last))
    assert report.exit_code == 1
    for file in report.job.files:
        result = file.destination(1)
        assert result is not None and result.status is DestinationStatus.FAILED, result
        assert "then found gone " in (result.error or ""), result
        kept = file.destination(0)
        assert kept is not None and kept.status is DestinationStatus.VERIFIED, kept
    summary = {d.index: d for d in report.job.destinations}[1]
    assert summary.files_verified == 0 and summary.files_failed == len(CARD), summary
    assert any("was deleted while this run held it" in w for w in report.job.warnings)
    manifest = [m for m in report.manifests if m.destination_index == 1]
    assert manifest and manifest[0].error, manifest
    error = manifest[0].error or ""
    assert "its ledger records each one it proved" not in error, error
    assert "this run stored there is gone: the service lost it" in error, error
    assert "its ledger does not record the copies this run proved" in error, error
    record = client.get_object(Bucket=bucket, Key="day4/A001/.offload/last-run.json")
    failed = json.loads(record["Body"].read())["failed"]
    assert sorted(failed) == sorted(CARD), failed
    # The revocations of the copies found gone were stored after the listing: a ledger
    # that vouches for none of them, which verify reads as the record does.
    code, out, err = verify(tmp_path, s3_server.url, f"s3://{bucket}/day4/A001")
    assert code == 10, (out, err)
    said = out + err
    assert f"ended with {len(CARD)} card files with no verified copy here" in said, said


@pytest.mark.parametrize("earlier", ["date-only", "new-take"])
def test_what_the_read_back_found_decides_the_words_of_an_object_found_other(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path: Path, earlier: str
) -> None:
    """An earlier copy of a card file in the way of the run: the plan guesses it may be a
    copy never to be overwritten (an earlier take), and the read-back decides. Found equal
    (the card file's date alone changed: adopted), nothing protected stands in the run's
    way, and the words of an object found other when the bucket is looked at again lead
    with --overwrite; refused as an earlier take (other bytes), they never offer it first.
    Failed before for "date-only": the plan's guess (``protected_in_the_way``) decided."""
    first = ("CLIPS/A001C000.mov", "CLIPS/A001C003.mov")  # the card as first copied
    card = make_card(tmp_path, {relative: CARD[relative] for relative in first})
    settings = S3Settings(endpoint_url=s3_server.url, region="us-east-1", max_attempts=3)
    url = f"s3://{bucket}/day4"
    assert run_offload(plan_offload(card, [url], OffloadOptions(s3=settings))).exit_code == 0
    clip = card / "CLIPS" / "A001C003.mov"
    if earlier == "date-only":
        before = clip.stat().st_mtime_ns - 3600 * 10**9
        os.utime(clip, ns=(before, before))
    else:
        new_take(clip, 3_003)
    for relative, size in CARD.items():
        if relative not in first:  # shot since: copied and read back in this run
            (card / relative).write_bytes(os.urandom(size))
    plan = plan_offload(card, [url], OffloadOptions(s3=settings))
    assert plan.protected_in_the_way  # the plan's guess, before the read-back
    report = run_offload(plan, sink=_ChangeOnceVerified(admin(s3_server.url), bucket, 0))
    assert report.exit_code == 1
    results = {f.relative_path: f.destination(0) for f in report.job.files}
    taken = results["CLIPS/A001C003.mov"]
    changed = results[CHANGED]
    assert changed is not None and changed.status is DestinationStatus.FAILED, changed
    error = changed.error or ""
    assert "found another object (ETag " in error, error
    if earlier == "date-only":
        assert taken is not None and taken.status is not DestinationStatus.FAILED, taken
        assert "--overwrite replaces it" in error, error
    else:
        assert taken is not None and taken.refusal == "earlier_copy", taken
        assert "--keep-both keeps both, --into another folder" in error, error
        assert "--overwrite replaces it" not in error, error
