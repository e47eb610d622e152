"""A versioned bucket: a direct multipart copy is stored once, not twice. Storing the
file's digests in the metadata copies the completed multipart object onto itself; on a
bucket that keeps versions, the object the upload completed stays behind as a noncurrent
version (a 610 MB card took 1.22 GB). offload-ai deletes that version, its own, by the
VersionId the upload returned, and no other: a version another writer made under the key
is left alone. Real server (moto keeps versions), real CLI. Failed before: two versions of
every object above the single-PutObject size."""

from __future__ import annotations

import json
from collections import Counter

from s3.conftest import admin
from s3.test_s3_cli import card_local_url
from s3.test_s3_cli import offload as offload_cli
from s3.test_s3_left_behind_commands import pasted
from support.cards import mtime_metadata

MiB = 1024 * 1024
SIZES = {"CLIPS/A001C001.mov": 9 * MiB + 5, "CLIPS/A001C002.mov": 300_000}


def versions(endpoint: str, bucket: str, prefix: str) -> Counter[str]:
    listing = admin(endpoint).list_object_versions(Bucket=bucket, Prefix=prefix)
    return Counter(v["Key"] for v in listing.get("Versions", []))


def test_a_versioned_bucket_keeps_one_version_of_each_file(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    client = admin(s3_server.url)
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    other = "day1/A001/CLIPS/A001C001.mov"
    card, local, url = card_local_url(tmp_path, bucket, SIZES)
    code, out, err = offload_cli(
        tmp_path, "--s3-endpoint", s3_server.url, "--json", str(card), str(local), url
    )
    assert code == 0, err
    stored = versions(s3_server.url, bucket, "day1/A001/CLIPS/")
    assert stored == Counter({other: 1, "day1/A001/CLIPS/A001C002.mov": 1}), stored
    head = client.head_object(Bucket=bucket, Key=other)
    assert head["ContentLength"] == SIZES["CLIPS/A001C001.mov"]
    assert "offload-xxh64" in head["Metadata"]  # the digests were stored all the same
    assert json.loads(out.strip().splitlines()[-1])["notes"] == []
    # The multipart upload's record under .offload/uploads/: its versions deleted by their
    # ids, no delete marker left (failed before: one version and one marker stayed).
    listing = client.list_object_versions(Bucket=bucket, Prefix="day1/.offload/uploads/")
    assert listing.get("Versions", []) == [] and listing.get("DeleteMarkers", []) == [], listing


def test_a_suspended_bucket_keeps_the_object(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Versioning suspended: the upload's version is the key's "null" version, which the
    copy replaced already; deleting "null" would delete the copy itself."""
    client = admin(s3_server.url)
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    card, local, url = card_local_url(tmp_path, bucket, SIZES)
    code, _out, err = offload_cli(
        tmp_path, "--s3-endpoint", s3_server.url, str(card), str(local), url
    )
    assert code == 0, err
    key = "day1/A001/CLIPS/A001C001.mov"
    assert versions(s3_server.url, bucket, key) == Counter({key: 1})
    body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    assert body == (card / "CLIPS/A001C001.mov").read_bytes()


def test_a_refused_version_delete_is_noted_not_failed(s3_server, bucket, proxy, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A policy without s3:DeleteObjectVersion: the copy is verified all the same (nothing
    is wrong with it), and the report's notes say the object is stored twice and what to do."""
    admin(s3_server.url).put_bucket_versioning(
        Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}
    )
    proxy.intercept("DELETE", "versionId=", status=403, count=10)
    card, local, url = card_local_url(tmp_path, bucket, SIZES)
    code, out, err = offload_cli(
        tmp_path, "--s3-endpoint", proxy.url, "--json", str(card), str(local), url
    )
    assert code == 0, err
    key = "day1/A001/CLIPS/A001C001.mov"
    assert versions(s3_server.url, bucket, key) == Counter({key: 2})  # what was refused
    final = json.loads(out.strip().splitlines()[-1])
    note, left = final["notes"]
    assert url in note and "stored twice" in note and "--s3-no-digest-metadata" in note, note
    assert "AccessDenied" in note and "s3:DeleteObjectVersion" in note
    # What happened, in words (before: "could not be deleted: AccessDenied").
    assert "could not be deleted: its delete by version id was refused (" in note, note
    # The multipart upload's record: each version of it refused, named (_a_refusal_...).
    records = "day1/.offload/uploads/"
    listing = admin(s3_server.url).list_object_versions(Bucket=bucket, Prefix=records)
    assert listing.get("Versions", []), listing
    for version in listing.get("Versions", []):
        assert f"--key {version['Key']} --version-id {version['VersionId']})" in left, left
    (report,) = (local / "A001" / ".offload" / "reports").glob("*.json")
    assert json.loads(report.read_text())["notes"] == [note, left]
    assert json.loads(report.read_text())["destinations"][1]["files_verified"] == 2
    # The same versions, structured: every one, with its destination and its command.
    kept = json.loads(report.read_text())["left_behind"]
    assert kept == final["left_behind"], (kept, final["left_behind"])
    listed = {(v["Key"], v["VersionId"]) for v in listing.get("Versions", [])}
    assert kept["count"] == len(kept["objects"]) and kept["all_listed"] is True, kept
    assert {(o["key"], o["version_id"]) for o in kept["objects"]} >= listed, kept
    for entry in kept["objects"]:
        assert entry["destination_index"] == 1 and entry["bucket"] == bucket, entry
        assert entry["url"] == f"s3://{bucket}/{entry['key']}" and entry["refused"] is True
        assert "AccessDenied" in entry["reason"], entry
        assert entry["remove"] in left and entry["remove"].startswith(
            f"aws s3api delete-object --endpoint-url {proxy.url} --bucket {bucket} "
            f"--key {entry['key']}"
        ), entry
    # Each command, pasted into a shell once the refusals are over, deletes its version.
    proxy._intercepts.clear()
    for entry in kept["objects"]:
        done = pasted(entry["remove"])
        assert done.returncode == 0, (entry["remove"], done.stderr)
    still = admin(s3_server.url).list_object_versions(Bucket=bucket, Prefix="day1/")
    left_ids = {(v["Key"], v["VersionId"]) for v in still.get("Versions", [])}
    assert not left_ids & {(o["key"], o["version_id"]) for o in kept["objects"]}, left_ids


def test_the_note_claims_no_verification_in_transfer_mode(
    s3_server, bucket, proxy, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """``--verify transfer``: nothing was read back, so the note says nothing is wrong with
    the copies because of the kept versions, never that they are verified. Failed before:
    "the copies themselves are verified" whatever the verify mode."""
    admin(s3_server.url).put_bucket_versioning(
        Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}
    )
    proxy.intercept("DELETE", "versionId=", status=403, count=10)
    card, local, url = card_local_url(tmp_path, bucket, SIZES)
    code, out, err = offload_cli(
        tmp_path, "--s3-endpoint", proxy.url, "--verify", "transfer", "--json",
        str(card), str(local), url,
    )  # fmt: skip
    assert code == 0, err
    final = json.loads(out.strip().splitlines()[-1])
    note, left = final["notes"]
    assert "stored twice" in note and "nothing is wrong with the copies" in note, note
    assert "verified" not in note and "verified" not in left, (note, left)
    (report,) = (local / "A001" / ".offload" / "reports").glob("*.json")
    summary = json.loads(report.read_text())["destinations"][1]
    assert summary["files_verified"] == 0, summary


def _all_versions(endpoint: str, bucket: str, prefix: str) -> tuple[Counter[str], Counter[str]]:
    """The versions and the delete markers under *prefix*, by key."""
    listing = admin(endpoint).list_object_versions(Bucket=bucket, Prefix=prefix)
    return (
        Counter(v["Key"] for v in listing.get("Versions", [])),
        Counter(m["Key"] for m in listing.get("DeleteMarkers", [])),
    )


def test_a_replacement_leaves_no_staging_object_behind_as_a_version(
    s3_server, bucket, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """--overwrite over objects already there, on a bucket that keeps versions: each key
    keeps the object replaced (the bucket's own choice) and the new copy, and nothing of the
    staging objects the replacements were verified at (deleted by their own VersionId).
    Failed before: every staging object stayed as a noncurrent version under a delete
    marker, each replaced file stored once more for nothing (9.7 MB here)."""
    import os

    client = admin(s3_server.url)
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    card, local, url = card_local_url(tmp_path, bucket, SIZES)
    # Dated as the card file (rclone's mtime metadata): dated by its upload alone, the
    # object made the copy root this card's only within 2 s of making the card (else
    # refused under load: copy-root-of-other-files, "another modification time").
    for relative, size in SIZES.items():
        dated = mtime_metadata(card / relative)
        client.put_object(
            Bucket=bucket, Key=f"day1/A001/{relative}", Body=os.urandom(size), Metadata=dated
        )
    code, _out, err = offload_cli(
        tmp_path, "--s3-endpoint", s3_server.url, "--overwrite", str(card), str(local), url
    )
    assert code == 0, err
    assert "REPLACED: 2 files" in err, err
    stored, _ = _all_versions(s3_server.url, bucket, "day1/A001/CLIPS/")
    assert stored == Counter({f"day1/A001/{relative}": 2 for relative in SIZES}), stored
    for relative in SIZES:
        body = client.get_object(Bucket=bucket, Key=f"day1/A001/{relative}")["Body"].read()
        assert body == (card / relative).read_bytes()
    staged, markers = _all_versions(s3_server.url, bucket, "day1/.offload/staging/")
    assert not staged and not markers, (staged, markers)


def test_an_object_whose_read_back_failed_leaves_no_version(
    s3_server, bucket, proxy, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """A copy whose read-back does not match (its GET answers corrupted on the way, every
    time) is deleted, ours: on a bucket that keeps versions, by its own VersionId, so the
    key is as before the run (nothing there, no delete marker, no bad bytes kept). Failed
    before: the object stayed as a noncurrent version under a delete marker."""
    admin(s3_server.url).put_bucket_versioning(
        Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}
    )
    key = "day1/A001/CLIPS/A001C002.mov"
    proxy.intercept("GET", f"/{bucket}/{key}", flip=True, count=50)
    card, local, url = card_local_url(tmp_path, bucket, SIZES)
    code, _out, err = offload_cli(tmp_path, "--s3-endpoint", proxy.url, str(card), str(local), url)
    assert code == 1, err
    assert proxy.stats.intercepted >= 1  # the fault fired
    stored, markers = _all_versions(s3_server.url, bucket, key)
    assert not stored and not markers, (stored, markers)


def test_a_refused_delete_of_a_staging_version_is_named_with_its_command(
    s3_server, bucket, proxy, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """--overwrite on a bucket that keeps versions, the service refusing every delete by
    version id (a policy without s3:DeleteObjectVersion: the proxy answers 403): the staging
    objects fall back to a plain delete, which leaves each as a noncurrent version. The
    report's notes (JSON) and the terminal's WARNING name each such version and the
    command that removes it. Failed before: no note, the versions left unsaid."""
    import os

    client = admin(s3_server.url)
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    small = {"CLIPS/A001C002.mov": 300_000}  # one PutObject: no digest-metadata version
    card, local, url = card_local_url(tmp_path, bucket, small)
    client.put_object(Bucket=bucket, Key="day1/A001/CLIPS/A001C002.mov", Body=os.urandom(9))
    # An object an earlier offload revoked (its ledger's one line): a copy root without a
    # ledger line holding nothing of this card's would be refused whole (card_folder).
    client.put_object(
        Bucket=bucket,
        Key="day1/A001/.offload/ledger/00000000000000000001-test0000-000000.jsonl",
        Body=b'{"relative_path": "CLIPS/A001C002.mov", "state": "revoked"}\n',
    )
    proxy.intercept("DELETE", "versionId=", status=403, count=50)
    code, _out, err = offload_cli(
        tmp_path, "--s3-endpoint", proxy.url, "--overwrite", str(card), str(local), url
    )
    assert code == 0, err
    listing = client.list_object_versions(Bucket=bucket, Prefix="day1/.offload/staging/")
    (staged,) = listing.get("Versions", [])  # what the refusal left
    (report,) = (local / "A001" / ".offload" / "reports").glob("*.json")
    notes = json.loads(report.read_text())["notes"]
    (note,) = [n for n in notes if "may be left" in n]
    command = (
        f"aws s3api delete-object --endpoint-url {proxy.url} --bucket {bucket} "
        f"--key {staged['Key']} "
        f"--version-id {staged['VersionId']}"
    )
    assert command in note and "AccessDenied" in note, note
    assert "s3:DeleteObjectVersion" in note, note
    assert command in " ".join(err.split()), err  # the terminal's WARNING


def test_left_behind_lists_every_object_up_to_its_bound_and_says_how_many(  # type: ignore[no-untyped-def]
    s3_server, bucket
) -> None:
    """The reports' ``left_behind`` holds each object or version a store noted (once each,
    in order), up to ``LEFT_LISTED``, its ``count`` every one and ``all_listed`` false past
    the bound; the note names ten, and says where the rest are listed only where a report
    holds them (``in_report``): all of them, or the first ``LEFT_LISTED``. Failed before:
    no ``left_behind``; the note named ten and counted the rest, listed nowhere."""
    from offload.destinations.s3card import LEFT_NAMED, left_behind_entries, left_behind_notes
    from offload.report.left_behind import LEFT_LISTED, left_behind_json
    from s3.conftest import destination

    store = destination(s3_server.url, bucket, prefix="day1")
    try:
        for number in range(LEFT_NAMED + 5):
            store.note_left_behind(f"day1/.offload/uploads/{number}.json", f"v{number}", "why")
        store.note_left_behind("day1/.offload/uploads/0.json", "v0", "why")  # named twice
        shaped = left_behind_json(left_behind_entries(store))
        assert shaped["count"] == LEFT_NAMED + 5 and shaped["all_listed"] is True, shaped
        assert [o["version_id"] for o in shaped["objects"]] == [
            f"v{n}" for n in range(LEFT_NAMED + 5)
        ]
        (note,) = left_behind_notes(store)
        assert "and 5 more of the same kind (the JSON report's left_behind lists every one" in note
        (warning,) = left_behind_notes(store, in_report=False)
        assert "and 5 more of the same kind" in warning and "left_behind" not in warning

        for number in range(LEFT_NAMED + 5, LEFT_LISTED + 7):
            store.note_left_behind(f"day1/A001/CLIPS/{number}.mov", None, "why")
        shaped = left_behind_json(left_behind_entries(store))
        assert shaped["count"] == LEFT_LISTED + 7 and shaped["all_listed"] is False
        assert len(shaped["objects"]) == LEFT_LISTED
        last = shaped["objects"][-1]
        assert last["version_id"] is None and last["remove"] == (
            f"aws s3api delete-object --endpoint-url {s3_server.url} --bucket {bucket} "
            f"--key {last['key']}"
        )
        (note,) = left_behind_notes(store)
        assert f"{LEFT_LISTED + 7} objects or versions" in note, note[:200]
        assert f"(the JSON report's left_behind lists the first {LEFT_LISTED}," in note
    finally:
        store.close()


def test_an_abandoned_staging_object_is_deleted_with_no_version_left(  # type: ignore[no-untyped-def]
    s3_server, bucket
) -> None:
    """A run killed between a replacement's verified upload and its copy over the final key
    leaves its staging object; a later run deletes it once older than ``abandon_after_s``.
    On a bucket that keeps versions, it deletes that object's own version by its id (the
    object judged old, read by a HEAD pinned to its ETag): nothing of it stays, no delete
    marker; an older version of the key, not the one judged, stays. Failed before: a plain
    delete, the whole clip kept as a noncurrent version under a delete marker, unsaid."""
    import time

    from s3.conftest import destination

    client = admin(s3_server.url)
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    probe = destination(s3_server.url, bucket, prefix="day1")
    staging = probe.staging_key("day1/A001/CLIPS/A001C001.mov")
    probe.close()
    older = client.put_object(Bucket=bucket, Key=staging, Body=b"an earlier writer's")
    client.put_object(Bucket=bucket, Key=staging, Body=b"x" * 300_000)  # the killed run's
    time.sleep(1.1)  # older than the cutoff below, by whole seconds of LastModified
    store = destination(s3_server.url, bucket, prefix="day1", abandon_after_s=0.0)
    try:
        deleted: list[str] = []
        assert staging in store.abort_abandoned([], deleted)
        assert deleted == [staging]  # said a staging object, not an upload
    finally:
        store.close()
    listing = client.list_object_versions(Bucket=bucket, Prefix=staging)
    assert [v["VersionId"] for v in listing.get("Versions", [])] == [older["VersionId"]]
    assert listing.get("DeleteMarkers", []) == [], listing["DeleteMarkers"]


def test_a_replaced_object_is_said_to_stay_as_a_noncurrent_version(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """--overwrite on a bucket that keeps versions: the object replaced stays there as a
    noncurrent version, and the REPLACED line says so (it said "what was there before is
    gone", which only a bucket without versions makes true)."""
    client = admin(s3_server.url)
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    key = "day1/A001/CLIPS/A001C002.mov"
    card, local, url = card_local_url(tmp_path, bucket, SIZES)
    # Dated as the card file (rclone's mtime metadata): dated by its upload alone, the
    # object made the copy root this card's only within 2 s of making the card (else
    # refused under load: copy-root-of-other-files, "another modification time").
    dated = mtime_metadata(card / "CLIPS" / "A001C002.mov")
    other = client.put_object(
        Bucket=bucket, Key=key, Body=b"x" * SIZES["CLIPS/A001C002.mov"], Metadata=dated
    )
    code, out, err = offload_cli(
        tmp_path, "--s3-endpoint", s3_server.url, "--overwrite", str(card), str(local), url
    )
    assert code == 0, err
    listing = client.list_object_versions(Bucket=bucket, Prefix=key)["Versions"]
    kept = [v for v in listing if v["VersionId"] == other["VersionId"]]
    assert len(kept) == 1 and not kept[0]["IsLatest"]  # the user's object, noncurrent
    replaced = [line for line in out.splitlines() + err.splitlines() if "REPLACED" in line]
    assert len(replaced) == 1, out + err
    assert replaced[0].endswith(
        "what was there before stays in the bucket as a noncurrent version (the bucket "
        "keeps versions: aws s3api list-object-versions shows it)"
    ), replaced[0]
    assert "is gone" not in replaced[0]


def test_a_replaced_object_on_a_bucket_without_versions_is_gone(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    client = admin(s3_server.url)
    key = "day1/A001/CLIPS/A001C002.mov"
    card, local, url = card_local_url(tmp_path, bucket, SIZES)
    # Dated as the card file (rclone's mtime metadata): dated by its upload alone, the
    # object made the copy root this card's only within 2 s of making the card (else
    # refused under load: copy-root-of-other-files, "another modification time").
    dated = mtime_metadata(card / "CLIPS" / "A001C002.mov")
    client.put_object(
        Bucket=bucket, Key=key, Body=b"x" * SIZES["CLIPS/A001C002.mov"], Metadata=dated
    )
    code, out, err = offload_cli(
        tmp_path, "--s3-endpoint", s3_server.url, "--overwrite", str(card), str(local), url
    )
    assert code == 0, err
    # A bucket that never kept versions lists the key once, as its "null" version: the copy.
    listed = client.list_object_versions(Bucket=bucket, Prefix=key)
    assert [(v["Key"], v["VersionId"]) for v in listed["Versions"]] == [(key, "null")], listed
    replaced = [line for line in out.splitlines() + err.splitlines() if "REPLACED" in line]
    assert len(replaced) == 1 and replaced[0].endswith("what was there before is gone")


def test_the_record_sweep_lists_the_records_versions_once(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy
) -> None:
    """Upload records an earlier run left on a bucket that keeps versions, their uploads
    gone since (aborted): the next run's sweep deletes each record's versions by their ids,
    finding them in one ListObjectVersions of the records prefix, not one a record (3
    before, for 3 records); nothing of the records is left, no delete marker either."""
    from s3.conftest import destination

    client = admin(s3_server.url)
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    earlier = destination(s3_server.url, bucket)
    try:
        for name in ("a.mov", "b.mov", "c.mov"):
            upload = earlier.open_upload(earlier.url.key(name), 6 * MiB)  # recorded: in parts
            client.abort_multipart_upload(
                Bucket=bucket, Key=upload.key, UploadId=str(upload.upload_id)
            )
    finally:
        earlier.close()
    records = "cards/.offload/uploads/"
    assert sum(versions(s3_server.url, bucket, records).values()) == 3
    store = destination(proxy.url, bucket)
    try:
        store.abort_abandoned()
    finally:
        store.close()
    listings = [t for t in proxy.targets if "versions" in t.partition("?")[2].split("&")]
    assert len(listings) == 1, listings
    listing = client.list_object_versions(Bucket=bucket, Prefix=records)
    assert not listing.get("Versions") and not listing.get("DeleteMarkers"), listing
    assert not store.left_behind
