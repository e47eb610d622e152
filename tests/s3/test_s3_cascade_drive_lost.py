"""``offload copy --cascade CARD /ok /fuse s3://...``: the FUSE destination's daemon is
SIGKILLed after "CARD RELEASED" (its copies were verified), while the bucket is still fed.
Every look at that drive then fails ENOTCONN.

Before the fix the end of the run died on ``plan.root.is_dir()`` in ``write_reports``
(traceback, exit 1, no summary, and no report anywhere, though the bucket had every object).
Now that destination is reported failed with the reason, every other report is written
(the healthy drive, the bucket, the local folder) and the exit code is 1 on purpose.

Real parts: a FaultyFS FUSE mount killed with SIGKILL, a moto server behind a throttling
proxy, the real CLI as a subprocess."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from s3.conftest import admin
from tests.support.faultyfs import FaultyFS
from tests.support.offload_cli import copy_acting_at_release


def test_a_drive_lost_after_the_release_is_reported_and_every_other_report_written(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path, cards: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    card = cards / "C7"  # apart from the fast copies: one beside it releases nothing
    (card / "X").mkdir(parents=True)
    for index in range(4):
        (card / "X" / f"a{index}.mov").write_bytes(os.urandom(1_000_000 + index))
    healthy = tmp_path / "OK"
    healthy.mkdir()
    drive = faulty_fs()
    url = f"s3://{bucket}/lost"
    reports = tmp_path / "reports"
    proxy.throttle(1_500_000)  # an uplink: the upload outlasts the kill
    released, rest, code = copy_acting_at_release(
        "--report-dir", str(reports), "--s3-endpoint", proxy.url, "--cascade", str(card),
        str(healthy), str(drive.mountpoint), url,
        at_release=lambda _process: drive.kill(),  # the cable pulled: ENOTCONN from now on
    )  # fmt: skip
    assert "can be ejected" in released, released + rest
    assert "Traceback" not in rest, rest
    assert code == 1, rest
    lost_root = drive.mountpoint / "C7"
    # The summary and the error line name the drive and why.
    assert f"cannot write the report into {lost_root}" in rest, rest
    assert "Transport endpoint is not connected" in rest, rest
    # Every report that can be written is: locally, on the healthy drive, in the bucket.
    local = sorted(reports.glob("C7_*.json"))
    assert len(local) == 1, rest
    data = json.loads(local[0].read_text())
    assert data["exit_code"] == 1
    results = {d["copy_root"]: d["result"] for d in data["destinations"]}
    assert results[str(lost_root)] == "failed", results
    assert results[str(healthy / "C7")] == "ok", results
    # The card release never names the pulled drive by the empty mount point it left on "/"
    # (failed before: "destination 2 is on the card's own filesystem (/)"). The card apart
    # from the drives (a copy beside it releases nothing), the healthy drive's copies count:
    # the card may be formatted, and the line says where the report could not be written.
    # (With the card on "/" too, the line listed "destination 2 no longer answers (...)"
    # among the reasons none counted; tests/report/test_release.py words that reason.)
    flat = " ".join(rest.split())
    assert "destination 2 is on the card's own" not in flat, flat
    assert data["card_release"]["may_format"], data["card_release"]
    assert f"The report could not be written into {lost_root}/.offload/reports" in flat, flat
    lost = [d for d in data["destinations"] if d["copy_root"] == str(lost_root)]
    assert lost[0]["unreachable"] == "Transport endpoint is not connected", lost
    assert lost[0]["mount_point"] is None, lost
    on_healthy = sorted((healthy / "C7" / ".offload" / "reports").glob("C7_*.json"))
    assert [p.name for p in on_healthy] == [local[0].name]
    assert json.loads(on_healthy[0].read_text())["exit_code"] == 1
    listing = admin(s3_server.url).list_objects_v2(Bucket=bucket, Prefix="lost/C7/.offload/")
    names = [o["Key"].rsplit("/", 1)[-1] for o in listing.get("Contents", [])]
    assert local[0].name in names, names


def _small_card(tmp_path, sizes: tuple[int, ...]):  # type: ignore[no-untyped-def]
    card = tmp_path / "cards" / "C7"
    (card / "X").mkdir(parents=True)
    for index, size in enumerate(sizes):
        (card / "X" / f"a{index}.mov").write_bytes(os.urandom(size))
    return card


def test_a_close_error_as_the_cascade_drops_a_copys_cache_is_not_a_crash(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The drive answers the close that ends the cascade's cache drop of a copy with
    ECONNABORTED (what a FUSE drive pulled at that moment answers): the cache drop is a
    hint, the cascade's read of the copy then checks it against the card's digests, and
    the run ends as usual (exit 0, every copy verified). Failed before: the error escaped
    ``cascade._drop_cache`` (its ``close`` unguarded), a traceback ended the run, and no
    report was written anywhere."""
    import errno

    card = _small_card(tmp_path, (300_000, 300_001, 300_002))
    drive = faulty_fs()
    # The copy's closes at its final name: the writer's (after the rename), then the
    # cascade's cache drop (the second), then its read.
    rule = drive.fail("flush", errno.ECONNABORTED, path="C7/X/a0.mov", nth=2)
    reports = tmp_path / "reports"
    line, rest, code = copy_acting_at_release(
        "--report-dir", str(reports), "--s3-endpoint", s3_server.url, "--cascade", str(card),
        str(drive.mountpoint), f"s3://{bucket}/lost", line_starts="CARD ",
    )  # fmt: skip
    err = line + rest
    assert drive.fired(rule) == 1  # the fault fired
    assert "Traceback" not in err, err
    assert code == 0, err
    (report,) = reports.glob("C7_*.json")
    statuses = {
        d["status"] for f in json.loads(report.read_text())["files"] for d in f["destinations"]
    }
    assert statuses == {"verified"}, statuses


def test_the_only_drive_pulled_as_the_cascade_starts_is_reported_not_a_crash(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """``--cascade CARD /fuse s3://...`` with the only drive pulled (its FUSE daemon
    SIGKILLed) as the card's pass ends: wherever the cascade meets the pulled drive (its
    look at a copy, the cache drop, the read), the run ends with its summary and a report
    (exit 2, or 1 where an object was verified: no file is verified everywhere), and what
    the bucket holds is the card's (a file read whole before the pull is uploaded and
    checked against the card's digests; the others are not cascaded, saying why).
    The first of these places gave a traceback and no report before (the cache drop's
    close answered ECONNABORTED); the test above makes that one for certain."""
    card = _small_card(tmp_path, (4_000_000, 4_000_001, 4_000_002))
    drive = faulty_fs()
    reports = tmp_path / "reports"
    line, rest, code = copy_acting_at_release(
        "--report-dir", str(reports), "--s3-endpoint", s3_server.url, "--cascade", str(card),
        str(drive.mountpoint), f"s3://{bucket}/lost",
        at_release=lambda _process: drive.kill(), line_starts="CARD ",
    )  # fmt: skip
    err = line + rest
    assert "Traceback" not in err, err
    (report,) = reports.glob("C7_*.json")
    data = json.loads(report.read_text())
    client = admin(s3_server.url)
    verified = 0
    for file in data["files"]:
        bucket_result = file["destinations"][1]
        if bucket_result["status"] == "verified":
            # Read whole from the drive before it was pulled, checked against the card's
            # digests: the object is the card's file.
            verified += 1
            key = f"lost/C7/{file['path']}"
            body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
            assert body == (card / file["path"]).read_bytes(), file
        else:
            assert bucket_result["status"] == "failed", file
            assert "not cascaded" in (bucket_result["error"] or ""), file
    # The pulled drive's ledger cannot be told: the copies' words never say it no longer
    # vouches for them (it does: a re-run with the drive back would trust them), they say
    # --reverify. Failed before: "its ledger no longer vouches for it" beside "WARNING:
    # cannot revoke the damaged copies ...".
    flat = " ".join(err.split())
    assert "cannot revoke the copies the cascade found changed or could not read" in flat, flat
    assert "no longer vouches" not in flat, flat
    # Where the cascade's mark reached the drive before the pull (``cascade_unsettled``), a
    # re-run reads the copies back, and the words say so; else --reverify.
    assert (
        "its ledger could not be told, so a re-run would trust it again" in flat
        or "its ledger could not be told; the cascade's mark on that drive has a re-run read "
        "it back"
        in flat
    ), flat
    # The drive is gone, its copies were not found bad: the advice is to reconnect it, never
    # --overwrite (which replaces a copy found wrong). Failed before: "check that drive
    # (offload verify) and re-run with the card and --overwrite to replace it".
    drive_errors = [f["destinations"][0]["error"] or "" for f in data["files"]]
    for error in drive_errors:
        if error:
            assert "reconnect that drive" in error and "--overwrite" not in error, error
    assert any(drive_errors), data["files"]
    assert "--overwrite" not in flat, flat
    # No file is verified on every destination (the drive's copies no longer stand): 2
    # when nothing was verified anywhere now, 1 when some object was.
    assert code == data["exit_code"] == (1 if verified else 2), err
    assert verified < len(data["files"]), data
