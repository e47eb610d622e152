"""An object whose GET is refused (403 AccessDenied, 403 InvalidObjectState: archived) or
keeps failing (500 after the retries) when ``offload copy`` reads it back as a copy
already there: unreadable, never "found wrong". The object is kept as it is (nothing
uploaded or copied over it: S3 has no rename, and a new copy would replace an object
nothing proved wrong), the file fails (exit 1) with words saying why and what to do, and
its ledger entry is revoked, as ``offload verify`` revokes an object whose GET failed
(``s3revoke``): the next plain run reads it back against the card (adopting it) instead of
trusting it by its ETag (before, the entry stood: the next run called it "verified
earlier" although the last attempt to read it had failed). Failed before that: ``--reverify``
called it a copy found wrong, revoked its ledger entry, uploaded a replacement and copied
it over the object ("cannot rename ... the copy found wrong is left as it is ...
--overwrite replaces it"); the re-run then refused it as a file in the way."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from s3.conftest import admin
from s3.test_s3_cli import make_card, offload
from support.cards import mtime_metadata
from support.tcpproxy import FaultProxy

CARD = {"CLIPS/A001C001.mov": 3000, "A001.xml": 900}
CLIP = "day1/A001/CLIPS/A001C001.mov"
# What a run writes besides copies (a staging object of a replacement is a copy).
BOOKKEEPING = (
    "/.offload/ledger/",
    "/.offload/reports/",
    "/.offload/lock",
    "/.offload/probe/",
    # The record of a generation being stored, before its manifest (deleted once its chain
    # is): part of the manifests' writing, as ``ascmhl/`` is.
    "/.offload/ascmhl-generation.json",
    # The record of the offloads that wrote there (``run_record``): started, then settled.
    "/.offload/last-run.json",
    # The stamp of the history stored (``s3card._store_stamp``), with its generation.
    "/.offload/manifests-complete.json",
    "/ascmhl/",
)

# (status, S3 error code, what the words must say to do)
REFUSALS = {
    "access-denied": (
        403,
        "AccessDenied",
        "its GET was refused (access denied): these credentials may list it but not read it "
        "(s3:GetObject, or the KMS key it is encrypted with); run the same command again with "
        "credentials that may",
    ),
    "archived": (
        403,
        "InvalidObjectState",
        "its GET was refused (InvalidObjectState): the object is in an archive storage class "
        "(Glacier, Deep Archive); restore it (aws s3api restore-object {where} "
        "--restore-request Days=7), "
        "then run the "
        "same command again",
    ),
    "failing": (500, "InternalError", "run the same command again once the service answers"),
}


def _last_report(tmp: Path) -> dict:  # type: ignore[type-arg]
    return json.loads(sorted((tmp / "reports").glob("*.json"))[-1].read_text())


def _clip_result(report: dict) -> dict:  # type: ignore[type-arg]
    (file,) = [f for f in report["files"] if f["path"] == "CLIPS/A001C001.mov"]
    (result,) = file["destinations"]
    return result


@pytest.mark.parametrize("refusal", sorted(REFUSALS))
def test_reverify_of_an_object_whose_get_is_refused_says_unreadable(
    s3_server, bucket, tmp_path, refusal, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    status, code, what_to_do = REFUSALS[refusal]
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")  # a 500 kept: given up on after 2 attempts
    card = make_card(tmp_path, CARD)
    url = f"s3://{bucket}/day1"
    first, _, err = offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), url)
    assert first == 0, err
    client = admin(s3_server.url)
    before = client.head_object(Bucket=bucket, Key=CLIP)
    proxy = FaultProxy(s3_server.port)
    try:
        proxy.intercept("GET", f"/{bucket}/{CLIP}", status=status, code=code, count=1000)
        got, _, err = offload(tmp_path, "--s3-endpoint", proxy.url, "--reverify", str(card), url)
        # The restore command names the object on the run's own service, as the left_behind
        # commands do (before: a bare "aws s3api restore-object", AWS's endpoint).
        what_to_do = what_to_do.replace(
            "{where}", f"--endpoint-url {proxy.url} --bucket {bucket} --key {CLIP}"
        )
        fired = proxy.stats.intercepted
        writes = [
            target
            for method, target in zip(proxy.stats.methods, proxy.targets, strict=True)
            if method in ("PUT", "POST") and not any(part in target for part in BOOKKEEPING)
        ]
    finally:
        proxy.close()
    assert fired >= 1  # the fault fired
    assert got == 1, err  # a file failed, the other verified
    flat = " ".join(err.split())
    words = f"{url}/A001/CLIPS/A001C001.mov is unreadable, not found wrong: "
    assert f"ERROR: {words}" in flat, flat
    assert what_to_do in flat, flat
    assert (
        "it is kept as it is (nothing was written over it); its ledger entry is revoked, as "
        "offload verify revokes an object it could not read: the next offload of this card "
        "reads it back against the card (adopted if equal) instead of trusting it"
    ) in flat, flat
    for wrong in ("no longer matches", "found wrong is left", "rename", "--overwrite", "damaged"):
        assert wrong not in flat, (wrong, flat)
    # Nothing was uploaded or copied over it: the object is the one the first run stored.
    assert writes == [], writes
    after = client.head_object(Bucket=bucket, Key=CLIP)
    assert after["ETag"] == before["ETag"] and after["LastModified"] == before["LastModified"]
    # The JSON report: failed, what the run set out to do (re-check it), the same words; no
    # copy-no-longer-matches warning.
    report = _last_report(tmp_path)
    result = _clip_result(report)
    assert result["status"] == "failed" and result["action"] == "rechecked", result
    assert words in result["error"] and what_to_do in result["error"], result
    assert not [w for w in report["warnings"] if w["code"] == "copy-no-longer-matches"]
    # The ledger entry is revoked: a plain re-run (the GET answered again) does not trust
    # it by its ETag, it reads it back against the card and adopts it, nothing written.
    again_proxy = FaultProxy(s3_server.port)
    try:
        again, _, err = offload(tmp_path, "--s3-endpoint", again_proxy.url, str(card), url)
        read_back = [
            target
            for method, target in zip(again_proxy.stats.methods, again_proxy.targets, strict=True)
            if method == "GET" and target.split("?")[0] == f"/{bucket}/{CLIP}"
        ]
    finally:
        again_proxy.close()
    assert again == 0, err
    result = _clip_result(_last_report(tmp_path))
    assert (result["status"], result["action"]) == ("verified", "adopted"), result
    assert read_back, "the re-run trusted the object without reading it"
    after = client.head_object(Bucket=bucket, Key=CLIP)
    assert after["ETag"] == before["ETag"] and after["LastModified"] == before["LastModified"]


def test_an_object_already_there_whose_get_is_refused_is_unreadable_not_adopted(
    s3_server, bucket, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """An object no ledger records (put there by another tool) at a card file's key, of
    its size, whose GET is refused: neither adopted nor refused as other content, nor
    written over; the words say so and what to do. Failed before: ``cannot read s3://...:
    cannot read back s3://... (...) (EACCES)``, nothing to do named."""
    card = make_card(tmp_path, CARD)
    client = admin(s3_server.url)
    clip = card / "CLIPS/A001C001.mov"
    client.put_object(
        Bucket=bucket, Key=CLIP, Body=clip.read_bytes(), Metadata=mtime_metadata(clip)
    )
    before = client.head_object(Bucket=bucket, Key=CLIP)["ETag"]
    url = f"s3://{bucket}/day1"
    proxy = FaultProxy(s3_server.port)
    try:
        proxy.intercept("GET", f"/{bucket}/{CLIP}", status=403, code="AccessDenied", count=1000)
        got, _, err = offload(tmp_path, "--s3-endpoint", proxy.url, str(card), url)
    finally:
        proxy.close()
    assert got == 1, err
    flat = " ".join(err.split())
    assert (
        f"ERROR: {url}/A001/CLIPS/A001C001.mov is already there but unreadable: its GET was "
        "refused (access denied)"
    ) in flat, flat
    assert "run the same command again with credentials that may" in flat, flat
    assert "it was neither compared with the source nor written over" in flat, flat
    assert "cannot read back" not in flat, flat
    assert client.head_object(Bucket=bucket, Key=CLIP)["ETag"] == before
    result = _clip_result(_last_report(tmp_path))
    assert result["status"] == "failed", result


@pytest.mark.fault
def test_a_local_copy_whose_read_fails_with_eio_is_found_damaged_and_copied_again(
    tmp_path, faulty_fs
) -> None:  # type: ignore[no-untyped-def]
    """The local counterpart: ``--reverify`` of a copy on a drive whose read fails (EIO from
    a real FUSE filesystem, once) is a copy of ours found wrong (a local disk's I/O error is
    evidence of damage, the copy's own), named so and copied again, renamed over it once
    verified: said as a copy that could not be read back for an I/O error (the disk may be
    failing), never "not found damaged" (EACCES's words) nor as one that no longer matches.
    Before: "(not found damaged; --reverify writes a new copy ...)"."""
    import errno

    card = make_card(tmp_path, CARD)
    drive = faulty_fs()
    code, _, err = offload(tmp_path, str(card), str(drive.mountpoint))
    assert code == 0, err
    rule = drive.fail("read", errno.EIO, path="A001/CLIPS/A001C001.mov", times=1)
    code, _, err = offload(tmp_path, "--reverify", str(card), str(drive.mountpoint))
    assert drive.fired(rule) == 1  # the fault fired
    assert code == 0, err
    flat = " ".join(err.split())
    copy = drive.mountpoint / "A001/CLIPS/A001C001.mov"
    assert (
        "WARNING: copy could not be read back: I/O error (the disk may be failing), copying "
        f"it again: cannot read {copy}: Input/output error"
    ) in flat, flat
    assert "not found damaged" not in flat and "no longer matches" not in flat, flat
    assert "check the drive and its cable" not in flat, flat  # replaced: not what to do
    assert (
        "COPY UNREADABLE (an I/O error: the disk may be failing): "
        f"cannot read {copy}: Input/output error"
    ) in flat, flat
    assert "FOUND DAMAGED" not in flat, flat
    result = _clip_result(_last_report(tmp_path))
    assert result["status"] == "verified" and result["action"] == "copied", result
    assert copy.read_bytes() == (card / "CLIPS/A001C001.mov").read_bytes()


def test_many_unreadable_objects_are_revoked_in_one_ledger_object(
    s3_server, bucket, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """A bucket whose objects cannot be read (here 20 of them, each GET refused as archived)
    on a ``--reverify``: their ledger entries are revoked in one batch, one ledger object
    stored, as ``offload verify`` revokes. Failed before: one revocation per object, each
    reading the whole ledger again (a LIST and a GET of every ledger object) and storing one
    more ledger object (20 PUTs, 20 ledger objects every later run reads)."""
    clips = {f"CLIPS/A001C{n:03d}.mov": 700 + n for n in range(1, 21)}
    card = make_card(tmp_path, {**clips, "A001.xml": 900})
    url = f"s3://{bucket}/day1"
    first, _, err = offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), url)
    assert first == 0, err
    client = admin(s3_server.url)
    ledger_prefix = "day1/A001/.offload/ledger/"  # the copy root's

    def ledger_objects() -> int:
        listing = client.list_objects_v2(Bucket=bucket, Prefix=ledger_prefix)
        return len(listing.get("Contents", []))

    objects_before = ledger_objects()
    proxy = FaultProxy(s3_server.port)
    try:
        proxy.intercept(
            "GET", f"/{bucket}/day1/A001/CLIPS/", status=403, code="InvalidObjectState", count=1000
        )
        got, _, err = offload(tmp_path, "--s3-endpoint", proxy.url, "--reverify", str(card), url)
        ledger_puts = [
            target
            for method, target in zip(proxy.stats.methods, proxy.targets, strict=True)
            if method == "PUT" and f"/{bucket}/{ledger_prefix}" in target
        ]
        ledger_gets = [
            target
            for method, target in zip(proxy.stats.methods, proxy.targets, strict=True)
            if method == "GET" and f"/{bucket}/{ledger_prefix}" in target
        ]
    finally:
        proxy.close()
    assert got == 1, err
    flat = " ".join(err.split())
    assert flat.count("is unreadable, not found wrong") == 20, flat
    assert flat.count("its ledger entry is revoked") == 20, flat
    # The one verified file (A001.xml) and the 20 revocations: two ledger objects
    # (its proof, the revocations), never one per object.
    assert len(ledger_puts) == 2, ledger_puts
    assert ledger_objects() - objects_before == len(ledger_puts)
    # The ledger read by the planner, then once more by the one revocation (not 20 times).
    assert len(ledger_gets) <= 2 * (objects_before + 1), ledger_gets
    assert "until it can be read (an archived object) each run fails it" in flat, flat
    report = _last_report(tmp_path)
    failed = [d for f in report["files"] for d in f["destinations"] if d["status"] == "failed"]
    assert len(failed) == 20
    assert all("; its ledger entry is revoked" in d["error"] for d in failed), failed
