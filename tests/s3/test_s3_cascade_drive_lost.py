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

from s3.conftest import admin
from tests.support.faultyfs import FaultyFS
from tests.support.offload_cli import copy_acting_at_release


def test_a_drive_lost_after_the_release_is_reported_and_every_other_report_written(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    card = tmp_path / "cards" / "C7"
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
        at_release=drive.kill,  # the cable pulled: ENOTCONN from now on
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
    on_healthy = sorted((healthy / "C7" / ".offload" / "reports").glob("C7_*.json"))
    assert [p.name for p in on_healthy] == [local[0].name]
    assert json.loads(on_healthy[0].read_text())["exit_code"] == 1
    listing = admin(s3_server.url).list_objects_v2(Bucket=bucket, Prefix="lost/C7/.offload/")
    names = [o["Key"].rsplit("/", 1)[-1] for o in listing.get("Contents", [])]
    assert local[0].name in names, names
