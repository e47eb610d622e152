"""A bucket's report is stored as a JSON, then a CSV (seconds for a large card over a WAN):
a run stopped, or refused, between the two never leaves a JSON there that gives another
exit code than the run's, and the terminal's words about that bucket are true
(``report.job_report._put_pair``). Real server, real fault proxy, real SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

from s3.conftest import admin
from s3.test_s3_cli import keys, make_card
from s3.test_s3_faults import stop_while_held

CARD = {"CLIPS/A001C001.mov": 300_000, "A001.xml": 900}
REPORTS = "day1/A001/.offload/reports/"


def _run(tmp_path: Path, endpoint: str, bucket: str) -> subprocess.Popen[str]:
    card = make_card(tmp_path, CARD)
    argv = ["copy", "-q", "--report-dir", str(tmp_path / "r"), "--s3-endpoint", endpoint]
    return subprocess.Popen(
        [sys.executable, "-m", "offload.cli.offload", *argv, str(card), f"s3://{bucket}/day1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _json_reports(endpoint: str, bucket: str) -> dict[str, int]:
    """Each JSON report in the bucket's reports folder -> the exit code it gives."""
    client = admin(endpoint)
    return {
        key: json.loads(client.get_object(Bucket=bucket, Key=key)["Body"].read())["exit_code"]
        for key in keys(endpoint, bucket)
        if key.startswith(REPORTS) and key.endswith(".json")
    }


def test_a_run_stopped_during_the_csvs_put_leaves_no_json_giving_exit_0(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    """A real SIGTERM while the CSV's PUT is held (the JSON stored): the bucket's JSON is
    restated with exit 130 and never called missing, and nothing is deleted (a delete would
    wait on the stalled bucket: review of revfix10_61, the process ran on until the proxy
    let the DELETE go). Failed before: exit 130 and "no report of this run in
    s3://B/day1/A001/.offload/reports", the bucket holding a JSON with exit_code 0, never
    restated."""
    proxy.hold("PUT", ".csv")
    process = _run(tmp_path, proxy.url, bucket)
    _out, err = stop_while_held(proxy, process, signal.SIGTERM, "the CSV's PUT")
    assert process.returncode == 130, err
    err = " ".join(err.split())
    stored = _json_reports(s3_server.url, bucket)
    folder = f"s3://{bucket}/{REPORTS.rstrip('/')}"
    assert list(stored.values()) == [130], (stored, err)
    assert f"no report of this run in {folder}" not in err, err


def test_a_refused_csv_takes_its_json_with_it(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    """The CSV's PUT refused (403): exit 1, the bucket's reports folder refused, and no
    JSON left there (as a local folder's); the verdict says that bucket, never that drive,
    holds no report of this run. Failed before: the JSON stayed, giving exit 0; then "that
    drive holds no report of this run" of the bucket."""
    proxy.intercept("PUT", ".csv", status=403, count=10)
    process = _run(tmp_path, proxy.url, bucket)
    _out, err = process.communicate(timeout=120)
    assert process.returncode == 1, err
    assert _json_reports(s3_server.url, bucket) == {}, err
    err = " ".join(err.split())
    assert "but that bucket holds no report of this run" in err, err
    assert "that drive" not in err, err
