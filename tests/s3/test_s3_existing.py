"""Copies already on S3 (``existing.py`` through the S3 backend's read-back), against the real
server: an object no ledger records is read back and adopted when equal to the source, refused
when different (unless --overwrite / --keep-both); --reverify re-reads the objects the S3
ledger trusts and uploads a corrupted one again, named; a stricter --verify upgrades
transfer-checked objects. Each failed before (adopt: refused as existing; reverify and
upgrade: trusted or refused without a read)."""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from offload.card import OffloadOptions, offload, plan_offload, run_offload
from offload.destinations.s3 import mtime_metadata
from offload.destinations.s3config import S3Settings
from offload.events import ExistingCopiesChecking, WarningIssued
from offload.options import CopyOptions, ExistingFilePolicy, VerifyMode
from offload.results import CacheBypass, CopyAction, DestinationStatus
from s3.conftest import S3Server, admin, corrupt_in_place, serving
from s3.test_s3_cli import CARD, keys, make_card
from s3.test_s3_cli import offload as cli_offload
from support.cards import corrupt_keeping_size_and_mtime
from support.tcpproxy import FaultProxy
from support.untouched import tree_state

MARKER = "offload-upload"


def options(endpoint: str, **copy: object) -> OffloadOptions:
    return OffloadOptions(
        copy=CopyOptions(**copy),  # type: ignore[arg-type]
        s3=S3Settings(endpoint_url=endpoint, region="us-east-1", max_attempts=3),
    )


class Events:
    def __init__(self) -> None:
        self.events: list[object] = []

    def emit(self, event: object) -> None:
        self.events.append(event)


def put_card(endpoint: str, bucket: str, card: Path, prefix: str = "day1/A001") -> None:
    """The card's files under *prefix* as rclone copies them: each with the card file's
    time in its ``mtime`` metadata, which tells the copy root without a ledger as this
    card's (``card_folder``), whatever the time between the card's making and the upload."""
    client = admin(endpoint)
    for relative in CARD:
        path = card / relative
        client.put_object(
            Bucket=bucket,
            Key=f"{prefix}/{relative}",
            Body=path.read_bytes(),
            Metadata=mtime_metadata(path.stat().st_mtime_ns),
        )


def head(endpoint: str, bucket: str, key: str) -> dict[str, str]:
    return dict(admin(endpoint).head_object(Bucket=bucket, Key=key)["Metadata"])


def test_objects_already_there_are_read_back_and_adopted(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    card = make_card(tmp_path)
    put_card(s3_server.url, bucket, card)  # an rclone/aws s3 cp copy: no ledger of ours
    url = f"s3://{bucket}/day1"
    events = Events()
    report = offload(card, [url], options=options(s3_server.url), sink=events)
    assert report.exit_code == 0, [r.error for f in report.job.files for r in f.destinations]
    # Every event names the destination by its URL, the read-back's announcement too.
    checking = [e for e in events.events if isinstance(e, ExistingCopiesChecking)]
    assert len(checking) == 1 and checking[0].destinations == (url,)
    assert "/s3:/" not in repr(events.events)
    for file in report.job.files:
        (result,) = file.destinations
        assert result.status is DestinationStatus.VERIFIED
        assert result.action is CopyAction.ADOPTED
        assert result.cache_bypass is CacheBypass.REMOTE
        assert result.final_path == f"{url}/A001/{file.relative_path}"
        assert result.digests["xxh64"] == file.inflight_digests["xxh64"]
        # Not uploaded again: the object is still the one put there (no marker of ours).
        assert MARKER not in head(s3_server.url, bucket, f"day1/A001/{file.relative_path}")
    # Adopted copies are in the S3 ledger: the next run trusts them.
    again = offload(card, [url], options=options(s3_server.url))
    assert {r.status for f in again.job.files for r in f.destinations} == {
        DestinationStatus.VERIFIED_EARLIER
    }


def test_a_different_object_is_refused_unless_overwrite_or_keep_both(
    s3_server, bucket, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    card = make_card(tmp_path)
    key = "day1/A001/A001.xml"
    other = os.urandom(CARD["A001.xml"])
    client = admin(s3_server.url)
    # Dated as the card file (mtime metadata): the copy root is this card's and the run reads
    # the object back. Dated by its upload alone, it was this card's only when the put came
    # within 2 s of making the card; under load the run was refused before any copy
    # (copy-root-of-other-files, "another modification time").
    dated = mtime_metadata((card / "A001.xml").stat().st_mtime_ns)
    client.put_object(Bucket=bucket, Key=key, Body=other, Metadata=dated)
    url = f"s3://{bucket}/day1"
    report = offload(card, [url], options=options(s3_server.url))
    assert report.exit_code == 1  # one file of three failed
    failed = [r for f in report.job.files for r in f.destinations if r.error]
    assert len(failed) == 1 and "already exists with other content" in (failed[0].error or "")
    assert f"s3://{bucket}/{key}" in (failed[0].error or "")
    assert client.get_object(Bucket=bucket, Key=key)["Body"].read() == other

    kept = offload(
        card, [url], options=options(s3_server.url, existing=ExistingFilePolicy.KEEP_BOTH)
    )
    assert kept.exit_code == 0
    assert client.get_object(Bucket=bucket, Key=key)["Body"].read() == other
    assert (
        client.get_object(Bucket=bucket, Key="day1/A001/A001 (1).xml")["Body"].read()
        == (card / "A001.xml").read_bytes()
    )


def test_overwrite_replaces_a_different_object(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    card = make_card(tmp_path)
    key = "day1/A001/A001.xml"
    client = admin(s3_server.url)
    # Dated as the card file, as above: else refused under load as another card's.
    dated = mtime_metadata((card / "A001.xml").stat().st_mtime_ns)
    client.put_object(Bucket=bucket, Key=key, Body=os.urandom(CARD["A001.xml"]), Metadata=dated)
    url = f"s3://{bucket}/day1"
    report = offload(
        card, [url], options=options(s3_server.url, existing=ExistingFilePolicy.OVERWRITE)
    )
    assert report.exit_code == 0
    assert (
        client.get_object(Bucket=bucket, Key=key)["Body"].read() == (card / "A001.xml").read_bytes()
    )


def test_reverify_rereads_and_uploads_a_corrupted_object_again(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    card = make_card(tmp_path)
    url = f"s3://{bucket}/day1"
    assert offload(card, [url], options=options(s3_server.url)).exit_code == 0
    key = "day1/A001/CLIPS/A001C002.mov"
    client = admin(s3_server.url)
    corrupt_in_place(
        s3_server.url, bucket, "CLIPS/A001C002.mov", b"\1" * CARD["CLIPS/A001C002.mov"]
    )
    # Without --reverify the ledger is trusted: nothing is read.
    trusted = offload(card, [url], options=options(s3_server.url))
    assert {r.status for f in trusted.job.files for r in f.destinations} == {
        DestinationStatus.VERIFIED_EARLIER
    }
    events = Events()
    reverified = offload(
        card,
        [url],
        options=OffloadOptions(
            reverify=True, s3=S3Settings(endpoint_url=s3_server.url, region="us-east-1")
        ),
        sink=events,
    )
    assert reverified.exit_code == 0
    warnings = [e for e in events.events if isinstance(e, WarningIssued)]
    assert any(
        "no longer matches" in w.message and f"s3://{bucket}/{key}" in w.message for w in warnings
    ), warnings
    assert "/s3:/" not in repr(warnings)
    # The report keeps it, named by its URL, with what became of it.
    (kept,) = [w for w in reverified.warnings if w.code.value == "copy-no-longer-matches"]
    assert str(kept.path) == f"s3://{bucket}/{key}"
    assert f"s3://{bucket}/{key}" in kept.message and "/s3:/" not in kept.message
    assert kept.message.endswith("replaced by a new copy from the card, verified now (read back)")
    states = {f.relative_path: f.destinations[0] for f in reverified.job.files}
    assert states["CLIPS/A001C002.mov"].status is DestinationStatus.VERIFIED
    assert states["CLIPS/A001C002.mov"].action is CopyAction.COPIED
    for name in ("CLIPS/A001C001.mov", "A001.xml"):
        assert states[name].action is CopyAction.RECHECKED
        assert states[name].cache_bypass is CacheBypass.REMOTE
    good = (card / "CLIPS/A001C002.mov").read_bytes()
    assert client.get_object(Bucket=bucket, Key=key)["Body"].read() == good
    assert not any(k.endswith("(1).mov") for k in keys(s3_server.url, bucket))


def test_reverify_keeps_an_object_as_verified_when_the_card_file_changed(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """Failed before: the object, still as its ledger recorded it, was called wrong and
    uploaded again with the card's changed bytes (exit 0). The object is verified against
    its record (destination level: the card was not proven), the card's file failed."""
    card = make_card(tmp_path)
    url = f"s3://{bucket}/day1"
    assert offload(card, [url], options=options(s3_server.url)).exit_code == 0
    key = "day1/A001/CLIPS/A001C002.mov"
    client = admin(s3_server.url)
    verified = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    corrupt_keeping_size_and_mtime(card / "CLIPS/A001C002.mov")
    events = Events()
    rerun = offload(
        card, [url], options=dataclasses.replace(options(s3_server.url), reverify=True), sink=events
    )
    assert rerun.exit_code == 1  # the other files verified now
    assert not [w for w in rerun.warnings if w.code.value == "copy-no-longer-matches"]
    assert client.get_object(Bucket=bucket, Key=key)["Body"].read() == verified
    states = {f.relative_path: f.destinations[0] for f in rerun.job.files}
    changed = states["CLIPS/A001C002.mov"]
    assert (changed.status, changed.verified_mode) == (DestinationStatus.VERIFIED, "destination")
    (file,) = (f for f in rerun.job.files if f.relative_path == "CLIPS/A001C002.mov")
    assert file.source_error is not None and "differs from what was" in file.source_error
    assert states["CLIPS/A001C001.mov"].status is DestinationStatus.VERIFIED


def test_stricter_verify_upgrades_transfer_checked_objects(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    card = make_card(tmp_path)
    url = f"s3://{bucket}/day1"
    first = offload(card, [url], options=options(s3_server.url, verify=VerifyMode.TRANSFER))
    assert first.exit_code == 0
    stored = keys(s3_server.url, bucket)
    upgraded = offload(card, [url], options=options(s3_server.url, verify=VerifyMode.DESTINATION))
    assert upgraded.exit_code == 0
    for file in upgraded.job.files:
        (result,) = file.destinations
        assert result.status is DestinationStatus.VERIFIED
        assert result.action is CopyAction.RECHECKED
        assert result.verified_mode == "destination"
    content = [
        k for k in keys(s3_server.url, bucket) if "/.offload/" not in k and "/ascmhl/" not in k
    ]
    assert content == [k for k in stored if "/.offload/" not in k and "/ascmhl/" not in k]
    trusted = offload(card, [url], options=options(s3_server.url, verify=VerifyMode.DESTINATION))
    assert {r.status for f in trusted.job.files for r in f.destinations} == {
        DestinationStatus.VERIFIED_EARLIER
    }


def test_objects_already_there_are_read_back_several_at_once(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Each read of an object already there is a round trip, and so was recording each one's
    # proof (a ledger object each): 1,000 small objects took 27 s on a local server. Now
    # they are read as many at once as an upload's parts, and their proofs recorded together.
    sizes = {f"DCIM/100GOPRO/G{n:07d}.JPG": 20_000 + n for n in range(12)}
    card = make_card(tmp_path, sizes)
    client = admin(s3_server.url)
    for relative in sizes:
        # Dated as the card file (mtime metadata, rclone's way): by their upload alone the
        # objects made the copy root this card's only within 2 s of making the card (else
        # refused under load: copy-root-of-other-files, "another modification time").
        client.put_object(
            Bucket=bucket,
            Key=f"day1/A001/{relative}",
            Body=(card / relative).read_bytes(),
            Metadata=mtime_metadata((card / relative).stat().st_mtime_ns),
        )
    proxy = FaultProxy(s3_server.port)
    try:
        # Wider than allowed: each group goes after the timeout, having shown how many GETs
        # the client had in flight together.
        proxy.gate("GET", f"/{bucket}/day1/A001/DCIM/", width=4, timeout=1.0)
        settings = S3Settings(
            endpoint_url=proxy.url, region="us-east-1", max_attempts=3, parallel_parts=3
        )
        report = offload(
            card, [f"s3://{bucket}/day1"], options=OffloadOptions(copy=CopyOptions(), s3=settings)
        )
        most = proxy.stats.most_waiting
        ledger_puts = [
            target
            for method, target in zip(proxy.stats.methods, proxy.targets, strict=True)
            if method == "PUT" and "/.offload/ledger/" in target
        ]
    finally:
        proxy.close()
    assert report.exit_code == 0, [r.error for f in report.job.files for r in f.destinations]
    for file in report.job.files:
        (result,) = file.destinations
        assert result.status is DestinationStatus.VERIFIED and result.action is CopyAction.ADOPTED
    assert most == 3  # several at once, never more than parallel_parts
    # Their proofs are recorded by one ledger object, not one a copy (12 PutObjects before).
    assert len(ledger_puts) == 1, ledger_puts


def test_an_object_of_another_size_in_the_way_is_named_before_the_copy(
    s3_server, bucket, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """An object of another size already at a copy's key (not ours; no --overwrite or
    --keep-both): named before the copy (a warning, code existing-not-overwritten, with its
    s3:// URL; the plan line counts that copy refused, not to copy), its copy fails, the
    object is kept. Failed before: no warning and "3 to copy", the copy failing during it."""
    card = make_card(tmp_path)
    key = "day1/A001/A001.xml"
    other = b"another tool's index file"
    client = admin(s3_server.url)
    client.put_object(Bucket=bucket, Key=key, Body=other)
    # --into the copy root: without it, a copy root holding nothing of this card's but
    # another file at one of its names is refused whole (test_s3_other_objects).
    url = f"s3://{bucket}/day1/A001"
    code, _, err = cli_offload(tmp_path, "--s3-endpoint", s3_server.url, "--into", str(card), url)
    assert code == 1, err
    assert "2 to copy" in err and "1 copy refused: another file in the way" in err, err
    warning = err.index("WARNING: 1 file of another size already at the name of a copy on")
    line = err[warning:].splitlines()[0]
    assert f"s3://{bucket}/{key}" in line and "/s3:/" not in line, line
    assert warning < err.index("NOT ALL VERIFIED")  # before the copy's summary
    assert client.get_object(Bucket=bucket, Key=key)["Body"].read() == other
    report = json.loads(sorted((tmp_path / "reports").glob("*.json"))[-1].read_text())
    (item,) = [w for w in report["warnings"] if w["code"] == "existing-not-overwritten"]
    assert item["path"] == f"s3://{bucket}/{key}"
    failed = [f["path"] for f in report["files"] if f["destinations"][0]["status"] == "failed"]
    assert failed == ["A001.xml"]
    # --dry-run says so too (it listed the copy as to copy).
    code, out, err = cli_offload(
        tmp_path, "--s3-endpoint", s3_server.url, "--dry-run", "--json", "--into", str(card), url
    )
    assert code == 1, err  # as the run's above
    (dest,) = json.loads(out)["destinations"]
    assert [r["path"] for r in dest["refused"]] == ["A001.xml"], dest
    assert f"s3://{bucket}/{key} already exists" in dest["refused"][0]["why"]

    # --overwrite: nothing in the way, the object replaced once the new copy is verified.
    replacing = dataclasses.replace(
        options(s3_server.url, existing=ExistingFilePolicy.OVERWRITE), into=True
    )
    plan = plan_offload(card, [url], replacing)
    try:
        assert plan.copies_not_overwritten == 0
        assert not [w for w in plan.preflight.warnings if w.code == "existing-not-overwritten"]
    finally:
        for backend in plan.backends.values():
            backend.close()


def test_objects_in_the_way_are_found_by_the_listing_not_a_head_each(
    s3_server, bucket, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """The planner learns what is at each key from one listing a folder (which has the
    sizes): 40 objects of another size and 20 of the card's size at the card's keys cost no
    HEAD each. Failed before: a HEAD for every key the listing showed (60), and those of
    another size were not named."""
    sizes = {f"DCIM/IMG_{n:04d}.JPG": 700 + n for n in range(60)}
    card = make_card(tmp_path, sizes)
    client = admin(s3_server.url)
    for n, relative in enumerate(sizes):
        # The card's: an rclone copy (its time in the mtime metadata: one HEAD tells the
        # ledgerless copy root as this card's, card_folder); the others another tool's.
        path = card / relative
        body, meta = (
            (path.read_bytes(), mtime_metadata(path.stat().st_mtime_ns))
            if n < 20
            else (b"x" * 10, {})
        )
        client.put_object(Bucket=bucket, Key=f"day1/A001/{relative}", Body=body, Metadata=meta)
    url = f"s3://{bucket}/day1"
    proxy = FaultProxy(s3_server.port)
    try:
        plan = plan_offload(card, [url], options(proxy.url))
        heads = proxy.stats.methods.count("HEAD")
        for backend in plan.backends.values():
            backend.close()
    finally:
        proxy.close()
    assert heads < 10, heads
    assert plan.copies_not_overwritten == 40
    assert len(plan.checks) == 20  # the card's size: read back and compared (ADOPT)
    (item,) = [w for w in plan.preflight.warnings if w.code == "existing-not-overwritten"]
    assert "40 files of another size" in item.message and "and 37 more" in item.message
    assert str(item.path) == f"s3://{bucket}/day1/A001/DCIM/IMG_0020.JPG"


def _race_plan(s3_server, bucket, tmp_path, policy: ExistingFilePolicy):  # type: ignore[no-untyped-def]
    """A card of a multipart file (its object made by the publish, a single PUT's at its
    flush) planned to s3://bucket/day1, then another writer's object stored at that file's
    key: (plan, client, key, the other object's bytes)."""
    card = make_card(tmp_path, {"A001.xml": 2 * 1024 * 1024 + 7, "CLIPS/A001C001.mov": 3000})
    key = "day1/A001/A001.xml"
    settings = S3Settings(
        endpoint_url=s3_server.url, region="us-east-1", max_attempts=3, single_put_max=1 << 20
    )
    options = OffloadOptions(copy=CopyOptions(existing=policy), s3=settings)
    plan = plan_offload(card, [f"s3://{bucket}/day1"], options)
    other = b"another writer's object"
    client = admin(s3_server.url)
    client.put_object(Bucket=bucket, Key=key, Body=other)  # after the plan: a race
    return plan, client, key, other


def test_an_object_stored_at_a_key_after_the_plan_is_refused_naming_that_key_alone(
    s3_server, bucket, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """Another writer stores an object at a copy's key after the plan: the conditional
    write refuses it, the copy fails naming that key, the other object is kept; nothing
    says "(or a name differing only by case)": S3 keys are case-sensitive."""
    plan, client, key, other = _race_plan(s3_server, bucket, tmp_path, ExistingFilePolicy.FAIL)
    report = run_offload(plan)
    assert report.exit_code == 1
    failed = {
        f.relative_path: r for f in report.job.files for r in f.destinations if r.error is not None
    }
    assert list(failed) == ["A001.xml"], failed
    error = failed["A001.xml"].error or ""
    assert f"s3://{bucket}/{key}" in error and "the key exists already" in error, error
    assert "differing only by case" not in error, error
    assert client.get_object(Bucket=bucket, Key=key)["Body"].read() == other


def test_keep_both_beside_an_object_stored_at_its_key_after_the_plan(
    s3_server, bucket, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """--keep-both, and another writer stores an object at a copy's key after the plan:
    the upload takes the next free key ("A001 (1).xml", found by a HEAD as it starts) and
    the copy is kept there, verified, the other object untouched. Failed before: the
    committer chose the name from the plan's listing (the key looked free), the publish
    refused the mismatch, and the verified copy failed with "already exists on destination
    ... (or a name differing only by case)", a clause untrue of case-sensitive S3 keys."""
    plan, client, key, other = _race_plan(s3_server, bucket, tmp_path, ExistingFilePolicy.KEEP_BOTH)
    report = run_offload(plan)
    errors = [r.error for f in report.job.files for r in f.destinations if r.error]
    assert report.exit_code == 0, errors
    (result,) = next(f for f in report.job.files if f.relative_path == "A001.xml").destinations
    assert result.status is DestinationStatus.VERIFIED, result
    assert result.final_path == f"s3://{bucket}/day1/A001/A001 (1).xml", result
    assert client.get_object(Bucket=bucket, Key=key)["Body"].read() == other
    copied = client.get_object(Bucket=bucket, Key="day1/A001/A001 (1).xml")["Body"].read()
    assert len(copied) == 2 * 1024 * 1024 + 7


def test_a_card_file_where_the_bucket_has_a_folder_is_refused_before_the_copy(
    s3_server, bucket, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """A card file ``CLIPS`` where objects lie below ``CLIPS/`` (another tool's): refused in
    the preflight as a disk refuses it (exit 64, nothing uploaded), --overwrite too: an
    object there would make the copy root hold a file and a folder of one name, which no disk
    (nor ``offload verify``, nor ASC MHL) can. Failed before: refused as "already exists" with
    no object at the key, and with --overwrite "REPLACED" though nothing was."""
    card = make_card(tmp_path, {"CLIPS": 1000, "A001.xml": 900, "SUB/TAKE": 500, "SUB/ok": 9})
    client = admin(s3_server.url)
    client.put_object(Bucket=bucket, Key="day1/A001/CLIPS/x.mov", Body=b"another tool's")
    client.put_object(Bucket=bucket, Key="day1/A001/SUB/TAKE/y/z.mov", Body=b"and deeper")
    before = keys(s3_server.url, bucket)
    url = f"s3://{bucket}/day1"
    # --into the copy root (without it, this ledgerless copy root holding nothing of this
    # card's is refused whole first: copy-root-of-other-files, "a folder of objects there").
    for extra in (("--into",), ("--into", "--overwrite")):
        code, _, err = cli_offload(
            tmp_path, "--s3-endpoint", s3_server.url, *extra, str(card), f"{url}/A001"
        )
        assert code == 64, err
        for name in ("CLIPS", "SUB/TAKE"):
            assert (
                f"{url}/A001/{name} exists and is a folder of objects, where the copy puts a file"
            ) in err, err
        assert "REPLACED" not in err and "already exists" not in err, err
        assert keys(s3_server.url, bucket) == before  # nothing uploaded, nothing replaced


def test_a_card_folder_where_the_bucket_has_an_object_is_refused_before_the_copy(
    s3_server, bucket, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """The reverse: a card holding ``CLIPS/...`` copied --into a root where the object
    ``CLIPS`` is (an earlier card's file): refused in the preflight (exit 64), nothing written
    below it. Failed before: the card's files were uploaded below the object's key."""
    card = make_card(
        tmp_path,
        {"CLIPS/A001C001.mov": 5000, "A001.xml": 900, "AUDIO/s1/a.wav": 90, "AUDIO/b.wav": 80},
    )
    client = admin(s3_server.url)
    client.put_object(Bucket=bucket, Key="day1/CLIPS", Body=b"an earlier card's file")
    client.put_object(Bucket=bucket, Key="day1/AUDIO/s1", Body=b"another's")
    client.put_object(Bucket=bucket, Key="day1/AUDIO/b.wav/c.wav", Body=b"and another's")
    before = keys(s3_server.url, bucket)
    url = f"s3://{bucket}/day1"
    for extra in ((), ("--overwrite",)):
        code, _, err = cli_offload(
            tmp_path, "--s3-endpoint", s3_server.url, "--into", *extra, str(card), url
        )
        assert code == 64, err
        for name in ("CLIPS", "AUDIO/s1"):
            assert f"{url}/{name} exists and is a file, where the copy puts a folder" in err, err
        assert f"{url}/AUDIO/b.wav exists and is a folder of objects, where" in err, err
        assert keys(s3_server.url, bucket) == before


def test_overwrite_calls_a_copy_replaced_only_where_an_object_was(
    s3_server, bucket, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """--overwrite: the copy over another object is REPLACED; a copy uploaded where no object
    was is copied, not replaced, though objects were stored below its key after the plan (a
    race the preflight cannot see; they are kept). Failed before: every copy uploaded in one
    PUT was called REPLACED (the committer asked what was at the key after the upload had
    stored it, and took the copy itself for what it replaced)."""
    card = make_card(tmp_path, {"CLIPS": 1000, "A001.xml": 900})
    client = admin(s3_server.url)
    client.put_object(Bucket=bucket, Key="day1/A001/A001.xml", Body=b"another tool's index")
    # --into the copy root: without it, a copy root holding nothing of this card's but
    # another file at one of its names is refused whole (test_s3_other_objects).
    replacing = dataclasses.replace(
        options(s3_server.url, existing=ExistingFilePolicy.OVERWRITE), into=True
    )
    plan = plan_offload(card, [f"s3://{bucket}/day1/A001"], replacing)
    client.put_object(Bucket=bucket, Key="day1/A001/CLIPS/x.mov", Body=b"another writer's")
    report = run_offload(plan)
    actions = {f.relative_path: r.action for f in report.job.files for r in f.destinations}
    assert actions == {"CLIPS": CopyAction.COPIED, "A001.xml": CopyAction.REPLACED}, actions
    replaced = [w for w in report.warnings if w.code == "existing-replaced"]
    assert len(replaced) == 1 and "A001.xml" in replaced[0].message, replaced
    assert client.get_object(Bucket=bucket, Key="day1/A001/CLIPS/x.mov")["Body"].read()


def _put_as_a_killed_run(endpoint: str, bucket: str, card: Path, relative: str) -> str:
    """The card file *relative* under ``day1/A001/`` as a run killed between its multipart
    upload's completion and its digests' copy leaves it: parts of 5 MiB, the run's token
    and the card file's time in its metadata, no ``offload-<algorithm>``; its ETag."""
    client = admin(endpoint)
    path = card / relative
    data = path.read_bytes()
    key = f"day1/A001/{relative}"
    started = client.create_multipart_upload(
        Bucket=bucket,
        Key=key,
        Metadata={MARKER: "deadbeef", **mtime_metadata(path.stat().st_mtime_ns)},
    )
    part = 5 * 1024 * 1024
    parts = []
    for number, offset in enumerate(range(0, len(data), part), start=1):
        answer = client.upload_part(
            Bucket=bucket,
            Key=key,
            UploadId=started["UploadId"],
            PartNumber=number,
            Body=data[offset : offset + part],
        )
        parts.append({"PartNumber": number, "ETag": answer["ETag"]})
    done = client.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=started["UploadId"], MultipartUpload={"Parts": parts}
    )
    return str(done["ETag"])


def test_an_adopted_object_of_ours_without_its_digests_gets_them(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, proxy
) -> None:
    """An object of ours (``offload-upload``) that a killed run completed but never gave its
    digests (its metadata copy not made) is adopted once read back equal to the card, and
    copied onto itself with the digests, as the upload's digests step does, then read back
    again: it ends as every object we write, its run token and card time kept, the ledger
    recording the copy (a re-run trusts it). The copy refused (403 to the CopyObject): the
    file fails naming it, the object left as it was. Failed before: adopted with only
    ``offload-upload`` and ``mtime``, all verified, no note (black-box QA of S3)."""
    import xxhash

    big = "CLIPS/A001C001.mov"  # 7 MiB + 3: two parts
    card = make_card(tmp_path)
    put_card(s3_server.url, bucket, card)
    before = _put_as_a_killed_run(s3_server.url, bucket, card, big)
    assert before.endswith('-2"')
    # The copy onto itself refused: the file fails, the object stays as it was.
    proxy.intercept(
        "PUT", f"/{bucket}/day1/A001/{big}", header="x-amz-copy-source", status=403, count=100
    )
    url = f"s3://{bucket}/day1"
    report = offload(card, [url], options=options(proxy.url))
    results = {f.relative_path: f.destinations[0] for f in report.job.files}
    assert results[big].status is DestinationStatus.FAILED
    assert "cannot store the digests in the metadata of" in (results[big].error or "")
    assert f"s3://{bucket}/day1/A001/{big}" in (results[big].error or "")
    assert "AccessDenied" in (results[big].error or "")
    stored = admin(s3_server.url).head_object(Bucket=bucket, Key=f"day1/A001/{big}")
    assert stored["ETag"] == before and "offload-xxh64" not in stored["Metadata"]
    proxy.reset()
    # Allowed: adopted, with its digests.
    report = offload(card, [url], options=options(s3_server.url))
    assert report.exit_code == 0, [r.error for f in report.job.files for r in f.destinations]
    results = {f.relative_path: f.destinations[0] for f in report.job.files}
    assert results[big].status is DestinationStatus.VERIFIED
    assert results[big].action is CopyAction.ADOPTED
    data = (card / big).read_bytes()
    stored = admin(s3_server.url).head_object(Bucket=bucket, Key=f"day1/A001/{big}")
    assert stored["Metadata"] == {
        MARKER: "deadbeef",
        **mtime_metadata((card / big).stat().st_mtime_ns),
        "offload-xxh64": xxhash.xxh64(data).hexdigest(),
    }
    assert stored["ETag"] != before
    assert stored["ContentType"] == "video/quicktime"
    # Another tool's objects (no offload-upload) are proven as they are, never rewritten.
    for relative in CARD:
        if relative != big:
            assert MARKER not in head(s3_server.url, bucket, f"day1/A001/{relative}")
            assert "offload-xxh64" not in head(s3_server.url, bucket, f"day1/A001/{relative}")
    again = offload(card, [url], options=options(s3_server.url))
    assert {r.status for f in again.job.files for r in f.destinations} == {
        DestinationStatus.VERIFIED_EARLIER
    }


def test_an_adopted_object_copied_for_its_digests_on_a_versioned_bucket_is_noted(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """On a bucket that keeps versions, an earlier run's object without its digests is
    adopted and copied onto itself for them (S3 changes no metadata in place): the object it
    was stays as a noncurrent version of the same bytes. That version is an earlier run's,
    so it is never deleted (this run deletes only versions it made), and the report's notes
    say it stays, where, and what to do. Failed before: the version stayed and nothing
    said so."""
    big = "CLIPS/A001C001.mov"
    client = admin(s3_server.url)
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    card = make_card(tmp_path)
    put_card(s3_server.url, bucket, card)
    _put_as_a_killed_run(s3_server.url, bucket, card, big)
    key = f"day1/A001/{big}"
    before = client.list_object_versions(Bucket=bucket, Prefix=key)["Versions"]
    (earlier,) = [v for v in before if v["IsLatest"]]  # the killed run's, over put_card's
    report = offload(card, [f"s3://{bucket}/day1"], options=options(s3_server.url))
    assert report.exit_code == 0, [r.error for f in report.job.files for r in f.destinations]
    actions = {f.relative_path: f.destinations[0].action for f in report.job.files}
    assert actions[big] is CopyAction.ADOPTED
    versions = client.list_object_versions(Bucket=bucket, Prefix=key)["Versions"]
    # The earlier run's version kept (not this run's), and put_card's before it; one new.
    assert len(versions) == len(before) + 1, versions
    kept = next(v for v in versions if v["VersionId"] == earlier["VersionId"])
    assert not kept["IsLatest"]
    data = (card / big).read_bytes()
    body = client.get_object(Bucket=bucket, Key=key, VersionId=kept["VersionId"])["Body"].read()
    assert body == data  # the same bytes, stored twice
    (note,) = [n for n in report.notes if "copied onto themselves" in n]
    assert f"s3://{bucket}/day1: 1 object of an earlier run of offload-ai" in note, note
    assert f"(e.g. s3://{bucket}/day1/A001/{big})" in note, note
    assert "stays in the bucket as a noncurrent version" in note, note
    assert "aws s3api list-object-versions" in note, note
    assert "this run deletes no version it did not make" in note, note
    assert "--s3-no-digest-metadata" in note, note
    # On a bucket that keeps no versions the object copied is gone: nothing to note.
    other = f"{bucket}-plain"
    client.create_bucket(Bucket=other)
    put_card(s3_server.url, other, card)
    _put_as_a_killed_run(s3_server.url, other, card, big)
    plain = offload(card, [f"s3://{other}/day1"], options=options(s3_server.url))
    assert plain.exit_code == 0
    assert not [n for n in plain.notes if "copied onto themselves" in n], plain.notes


@pytest.fixture(scope="module")
def null_ids_server() -> Iterator[S3Server]:
    """A server answering each object write on a suspended bucket ``x-amz-version-id:
    null``, as AWS does (``support.s3server``'s ``null-version-ids``)."""
    yield from serving("null-version-ids")


def test_an_adopted_object_copied_on_a_suspended_bucket_is_not_said_stored_twice(  # type: ignore[no-untyped-def]
    null_ids_server, tmp_path
) -> None:
    """Versioning suspended: the copy onto itself for the digests gets VersionId "null" and
    replaces the key's null version, the object copied, stored while versions were not
    kept: it is gone, stored once. The note says the object may stay, never "stored twice"
    nor "delete those versions". Failed before: "null" counted as a kept version, the note
    said the object stays as a noncurrent version, stored twice (review of s3w34)."""
    big = "CLIPS/A001C001.mov"
    s3_server, bucket = null_ids_server, f"t-{secrets.token_hex(6)}"
    client = admin(s3_server.url)
    client.create_bucket(Bucket=bucket)
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    card = make_card(tmp_path)
    put_card(s3_server.url, bucket, card)
    _put_as_a_killed_run(s3_server.url, bucket, card, big)
    key = f"day1/A001/{big}"
    report = offload(card, [f"s3://{bucket}/day1"], options=options(s3_server.url))
    assert report.exit_code == 0, [r.error for f in report.job.files for r in f.destinations]
    actions = {f.relative_path: f.destinations[0].action for f in report.job.files}
    assert actions[big] is CopyAction.ADOPTED
    versions = client.list_object_versions(Bucket=bucket, Prefix=key)["Versions"]
    assert [v["VersionId"] for v in versions] == ["null"], versions  # stored once
    assert "offload-xxh64" in head(s3_server.url, bucket, key)
    (note,) = [n for n in report.notes if "copied onto themselves" in n]
    assert "stored twice" not in note and "delete those versions" not in note, note
    assert "stays in the bucket as a noncurrent version" not in note, note
    assert f"s3://{bucket}/day1: 1 object of an earlier run of offload-ai" in note, note
    assert "whose versioning is suspended" in note, note
    assert "is gone, unless it was stored while the bucket kept versions" in note, note


def test_a_type_clash_in_the_bucket_writes_no_probe_on_a_local_destination(
    s3_server, bucket, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """A card folder where the bucket has an object, beside a good local destination: the
    run is refused (exit 64) and the local one is not even probed (its folder's times
    unchanged), as for any other refusal (tests/integration/test_refusal_writes_nothing.py).
    Failed before: the clash was looked for after the preflight had made and removed its
    write probe there."""
    card = make_card(tmp_path, {"CLIPS/A001C001.mov": 5000})
    admin(s3_server.url).put_object(Bucket=bucket, Key="day1/CLIPS", Body=b"another's")
    good = tmp_path / "good"
    good.mkdir()
    before = tree_state(good)
    url = f"s3://{bucket}/day1"
    code, _, err = cli_offload(
        tmp_path, "--s3-endpoint", s3_server.url, "--into", str(card), str(good), url
    )
    assert code == 64 and "exists and is a file, where the copy puts a folder" in err, err
    assert tree_state(good) == before
