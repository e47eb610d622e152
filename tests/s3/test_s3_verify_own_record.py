"""``offload verify s3://`` a week later: the bucket's ledger is never out-voted by a
history rebuilt over a damaged object (``own_record``), and a deleted ``ascmhl/`` is warned
of as on a drive. Real server (moto), real ascmhl 1.2 (the judge) for the rebuilt history,
the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

from s3.conftest import admin
from s3.test_s3_cli import make_card, offload
from s3.test_s3_verify import verify
from support.ascmhl_judge import AscmhlJudge

CLIP = "CLIPS/A001C002.mov"
SIZES = {"CLIPS/A001C001.mov": 30_000, CLIP: 20_000, "A001.xml": 900}


def _copy(endpoint: str, bucket: str, tmp: Path) -> str:
    card = make_card(tmp, SIZES)
    code, _, err = offload(tmp, "--s3-endpoint", endpoint, str(card), f"s3://{bucket}/day1")
    assert code == 0, err
    return f"s3://{bucket}/day1/A001"


def _objects(endpoint: str, bucket: str, prefix: str) -> list[str]:
    listing = admin(endpoint).list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(o["Key"] for o in listing.get("Contents", []))


def test_a_history_rebuilt_over_a_damaged_object_does_not_outvote_the_ledger(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path: Path, judge: AscmhlJudge
) -> None:
    url = _copy(s3_server.url, bucket, tmp_path)
    client = admin(s3_server.url)
    prefix = "day1/A001/"
    # The copy's objects, the clip damaged in place (same size), a history made anew over
    # them by ascmhl create, which replaces the bucket's.
    mirror = tmp_path / "mirror"
    for key in _objects(s3_server.url, bucket, prefix):
        relative = key[len(prefix) :]
        if relative.startswith((".offload/", "ascmhl/")):
            continue
        body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
        if relative == CLIP:
            body = body[:100] + bytes(b ^ 0xFF for b in body[100:102]) + body[102:]
            client.put_object(Bucket=bucket, Key=key, Body=body)
        (mirror / relative).parent.mkdir(parents=True, exist_ok=True)
        (mirror / relative).write_bytes(body)
    assert judge.create(mirror, "xxh64").returncode == 0
    for key in _objects(s3_server.url, bucket, prefix + "ascmhl/"):
        client.delete_object(Bucket=bucket, Key=key)
    for made in sorted((mirror / "ascmhl").iterdir()):
        client.put_object(Bucket=bucket, Key=f"{prefix}ascmhl/{made.name}", Body=made.read_bytes())

    code, out, err = verify(tmp_path, s3_server.url, "--json", url)
    assert code == 11, out + err
    data = json.loads(out)
    assert [c["path"] for c in data["changed"]] == [CLIP], data
    (changed,) = data["changed"]
    assert changed["expected"] != changed["actual"], changed  # both digests named
    assert data["reasons"][CLIP]["code"] == "own-record-mismatch", data["reasons"]
    # Changed on the bucket, the object's ETag is new: no run trusts it, nothing to revoke.
    assert data["revoked"] == [], data
    assert any("is not the one offload-ai wrote" in n for n in data["notes"]), data["notes"]


def test_a_deleted_history_on_a_bucket_is_warned_of(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path: Path
) -> None:
    """QA: ``aws s3 rm --recursive .../ascmhl`` then ``offload verify s3://...`` said
    "against ledger", exit 0, no note; a drive's copy warns the history is missing from
    its stamp of complete manifests, which the bucket lacked: it is stored there now."""
    url = _copy(s3_server.url, bucket, tmp_path)
    client = admin(s3_server.url)
    assert "day1/A001/.offload/manifests-complete.json" in _objects(
        s3_server.url, bucket, "day1/A001/.offload/"
    )
    for key in _objects(s3_server.url, bucket, "day1/A001/ascmhl/"):
        client.delete_object(Bucket=bucket, Key=key)
    code, out, err = verify(tmp_path, s3_server.url, "--json", url)
    assert code == 0, out + err  # the files pass against the ledger
    data = json.loads(out)
    assert data["reference"] == "ledger", data
    (note,) = [n for n in data["notes"] if "is missing" in n]
    assert note.startswith("the ASC MHL history this copy had (generation 1, as "), note
    assert "restore ascmhl/ from another copy of this card" in note, note


def test_a_bucket_copied_without_manifests_has_no_history_to_miss(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path: Path
) -> None:
    card = make_card(tmp_path, SIZES)
    code, _, err = offload(
        tmp_path, "--s3-endpoint", s3_server.url, "--mhl", "none", str(card), f"s3://{bucket}/d"
    )
    assert code == 0, err
    code, out, err = verify(tmp_path, s3_server.url, "--json", f"s3://{bucket}/d/A001")
    assert code == 0, out + err
    assert json.loads(out)["notes"] == [], out


def test_the_printed_restore_command_restores_an_archived_object(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path: Path
) -> None:
    """An object moved to GLACIER (moto refuses its GET: InvalidObjectState): verify's
    UNREADABLE reason prints the restore command; run by bash with the real AWS CLI, it is
    accepted. Failed before: it lacked ``--restore-request``, which RestoreObject needs for
    an archived object (the AWS CLI sends none; the service refused the command)."""
    import os
    import re
    import subprocess
    import sys

    url = _copy(s3_server.url, bucket, tmp_path)
    client = admin(s3_server.url)
    key = f"day1/A001/{CLIP}"
    client.copy_object(
        Bucket=bucket,
        Key=key,
        CopySource={"Bucket": bucket, "Key": key},
        StorageClass="GLACIER",
        MetadataDirective="COPY",
    )
    code, out, err = verify(tmp_path, s3_server.url, "--json", url)
    assert code == 11, out + err
    data = json.loads(out)
    assert data["unreadable"] == [CLIP], data
    words = data["reasons"][CLIP]["text"]
    (command,) = re.findall(r"\((aws s3api restore-object [^()]*)\)", words)
    assert command.endswith("--restore-request Days=7"), command
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    done = subprocess.run(
        ["bash", "-c", command], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    head = client.head_object(Bucket=bucket, Key=key)
    assert "Restore" in head, head
