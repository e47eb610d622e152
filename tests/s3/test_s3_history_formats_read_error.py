"""A ``-t`` change on an ``s3://`` copy root whose objects are read again at the manifest
step in the history's formats (``offload.history_formats``): those written now with
``--overwrite`` (the engine's read-back hashes the run's formats alone; a copy kept is
hashed in the history's by its own read-back and not read again). An object found changed
there is failed on the bucket and its ledger entry revoked, as on a disk (never "verified",
exit 0); one whose GET fails there is an object this run just read back, unread now, not
wrong: listed in the run's formats with a warning, still verified. The suite's S3 server
behind a ``FaultProxy``, the real CLI entry point; the run held, for real, at its manifest
step."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from s3.conftest import admin
from s3.test_s3_cli import offload
from s3.test_s3_history_formats import _generation, card_of_two
from support.tcpproxy import FaultProxy

CLIP = "CLIPS/A001C001.mov"


def _at_manifest_step(
    tmp_path: Path, proxy: FaultProxy, args: list[str], then: Callable[[], None]
) -> tuple[int, str]:
    """Run ``offload copy *args*`` through *proxy*, held at its manifest step (its listing
    of the copy root's legacy MHLs, the first request of that step: every read-back is
    done) while *then* runs."""
    proxy.hold("GET", "prefix=day1%2FA001%2FA001_")
    got: list[tuple[int, str, str]] = []
    run = threading.Thread(
        target=lambda: got.append(offload(tmp_path, "--s3-endpoint", proxy.url, *args))
    )
    run.start()
    try:
        assert proxy.held.wait(60), "the run never reached its manifest step"
        then()
    finally:
        proxy.release()
        run.join(120)
    ((code, _, err),) = got
    return code, " ".join(err.split())


def _result(tmp_path: Path) -> dict[str, Any]:
    report = json.loads(sorted((tmp_path / "reports").glob("*.json"))[-1].read_text())
    (file,) = [f for f in report["files"] if f["path"] == CLIP]
    (result,) = file["destinations"]
    return result  # type: ignore[no-any-return]


def test_an_object_changed_before_the_manifest_step_is_failed_and_revoked(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """``-t md5``, then C001 changed on the card and ``-t xxh64 --overwrite``: C001 written
    and read back, then replaced on the bucket (same size) before the manifest step reads
    it again in md5. Failed before: the warning
    said "copy FAILED ... its ledger entry is revoked", but the run said "All 2 files are
    verified", JSON ``verified``, exit 0, and the next run trusted it (verified earlier)."""
    card = card_of_two(tmp_path)
    url = f"s3://{bucket}/day1"
    code, _, err = offload(tmp_path, "--s3-endpoint", s3_server.url, "-t", "md5", str(card), url)
    assert code == 0, err
    (card / CLIP).write_bytes(os.urandom(40_000))
    key = f"day1/A001/{CLIP}"

    def replace() -> None:
        admin(s3_server.url).put_object(Bucket=bucket, Key=key, Body=os.urandom(40_000))

    proxy = FaultProxy(s3_server.port)
    try:
        code, err = _at_manifest_step(
            tmp_path, proxy, ["-t", "xxh64", "--overwrite", str(card), url], replace
        )
    finally:
        proxy.close()
    assert code == 1, err
    assert f"copy FAILED: {url}/A001/{CLIP} is not in the new ASC MHL generation" in err, err
    assert "All 2 files are verified" not in err, err
    assert _result(tmp_path)["status"] == "failed"
    assert f'<path size="40000">{CLIP}</path>' not in _generation(s3_server.url, bucket, "0002")
    # Its ledger entry is revoked: the next run reads it back (not verified earlier) and
    # finds it other than the card's (kept: --overwrite replaces it).
    again = FaultProxy(s3_server.port)
    try:
        code, _, err = offload(tmp_path, "--s3-endpoint", again.url, "-t", "xxh64", str(card), url)
        gets = [
            t
            for m, t in zip(again.stats.methods, again.targets, strict=True)
            if m == "GET" and t.split("?")[0] == f"/{bucket}/{key}"
        ]
    finally:
        again.close()
    assert code == 1, err
    assert gets, "the next run trusted the object found changed"
    assert f"{url}/A001/{CLIP} already exists with other content" in err, err
    assert "verified earlier (not re-read), 1 copy failed" in " ".join(err.split()), err


def test_an_object_unreadable_at_the_manifest_step_after_its_read_back_stays_verified(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, monkeypatch
) -> None:
    """As above, but C001's GETs at the manifest step answered 500: a read error says
    nothing of an object this run read back equal: verified, listed in xxh64 only, and a
    warning says so (failed before: called FAILED), coded ``history-formats-unread`` (failed
    before: its ``code`` null)."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    card = card_of_two(tmp_path)
    url = f"s3://{bucket}/day1"
    code, _, err = offload(tmp_path, "--s3-endpoint", s3_server.url, "-t", "md5", str(card), url)
    assert code == 0, err
    (card / CLIP).write_bytes(os.urandom(40_000))
    proxy = FaultProxy(s3_server.port)
    try:
        code, err = _at_manifest_step(
            tmp_path,
            proxy,
            ["-t", "xxh64", "--overwrite", str(card), url],
            lambda: proxy.intercept(
                "GET", f"/{bucket}/day1/A001/{CLIP}", status=500, code="InternalError", count=20
            ),
        )
        fired = proxy.stats.intercepted
    finally:
        proxy.close()
    assert fired, "the fault never fired"
    assert code == 0, err
    assert "copy FAILED" not in err, err
    assert f"{url}/A001/{CLIP} could not be read again" in err, err
    assert _result(tmp_path)["status"] == "verified"
    # Its warning has a report code, as every warning after the copy (null before).
    report = json.loads(sorted((tmp_path / "reports").glob("*.json"))[-1].read_text())
    (warned,) = [w for w in report["warnings"] if "could not be read again" in w["message"]]
    assert (warned["code"], warned["path"]) == ("history-formats-unread", f"{url}/A001"), warned
    text = _generation(s3_server.url, bucket, "0002")
    assert text.count('<md5 action="verified"') == 1, text  # C002's
    assert text.count('<xxh64 action="original"') == 1, text  # C001's, in the run's format
