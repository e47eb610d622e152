"""The job reports (JSON, CSV, HTML, PDF) are stored on S3 too, under
``<copy root>/.offload/reports/``, as on a local destination: never over another run's
report, stating the process's exit code; a destination that refuses its report is that
destination's problem (exit 1, named). Real server, real boto3. Failed before: nothing was
stored under .offload/reports/ on S3."""

from __future__ import annotations

import errno
import json
from pathlib import Path

from offload.card import OffloadOptions, offload
from offload.destinations.s3config import S3Settings
from offload.report.job_report import write_reports
from s3.conftest import admin
from s3.test_s3_cli import keys, make_card
from s3.test_s3_cli import offload as offload_cli

REPORTS = "day1/A001/.offload/reports/"


def test_reports_are_stored_on_s3_and_state_the_exit_code(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    card = make_card(tmp_path)
    local = tmp_path / "local"
    local.mkdir()
    url = f"s3://{bucket}/day1"
    code, out, err = offload_cli(
        tmp_path, "--s3-endpoint", s3_server.url, "--json", str(card), str(local), url
    )
    assert code == 0, err
    stored = [k for k in keys(s3_server.url, bucket) if k.startswith(REPORTS)]
    suffixes = sorted(Path(k).suffix for k in stored)
    assert suffixes == [".csv", ".html", ".json", ".pdf"], stored
    client = admin(s3_server.url)
    (json_key,) = [k for k in stored if k.endswith(".json")]
    original = client.get_object(Bucket=bucket, Key=json_key)["Body"].read()
    data = json.loads(original)
    assert data["exit_code"] == 0
    # The same basename as the local destination's report; the job_report event names it.
    (local_json,) = (local / "A001" / ".offload" / "reports").glob("*.json")
    assert Path(json_key).name == local_json.name
    final = json.loads(out.strip().splitlines()[-1])
    assert f"s3://{bucket}/{json_key}" in final["reports"]
    assert "/s3:/" not in out

    # Reports whose name is taken (same card, same second: written twice) never replace
    # each other, nor the first run's.
    report = offload(
        card,
        [url],
        options=OffloadOptions(s3=S3Settings(endpoint_url=s3_server.url, region="us-east-1")),
    )
    first = write_reports(report, None)
    second = write_reports(report, None)
    assert first.exit_code == second.exit_code == 0
    assert not first.destination_errors and not second.destination_errors
    assert len(set(first.paths + second.paths)) == 2
    assert all(p.startswith(f"s3://{bucket}/{REPORTS}") for p in first.paths + second.paths)
    after = [k for k in keys(s3_server.url, bucket) if k.startswith(REPORTS)]
    assert set(stored) <= set(after)
    assert client.get_object(Bucket=bucket, Key=json_key)["Body"].read() == original


class Refusing:
    name = "s3://refusing/A001/.offload/reports"

    def exists(self, filename: str) -> bool:
        return False

    def put(self, filename: str, data: bytes, *, replace: bool) -> str:
        raise PermissionError(errno.EACCES, "access denied")


def test_a_destination_that_refuses_its_report_is_its_problem(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    card = make_card(tmp_path)
    url = f"s3://{bucket}/day1"
    report = offload(
        card,
        [url, f"s3://{bucket}/day2"],
        options=OffloadOptions(s3=S3Settings(endpoint_url=s3_server.url, region="us-east-1")),
    )
    assert report.exit_code == 0
    report.report_folders[1] = Refusing()
    written = write_reports(report, tmp_path / "local-reports")
    assert written.exit_code == 1
    assert len(written.destination_errors) == 1
    assert "s3://refusing/A001/.offload/reports" in written.destination_errors[0]
    # The reports that were written (S3 day1 and the local one) state the final code, 1.
    client = admin(s3_server.url)
    (json_key,) = [
        k for k in keys(s3_server.url, bucket) if k.startswith(REPORTS) and k.endswith(".json")
    ]
    assert (
        json.loads(client.get_object(Bucket=bucket, Key=json_key)["Body"].read())["exit_code"] == 1
    )
    (local_json,) = (tmp_path / "local-reports").glob("*.json")
    assert json.loads(local_json.read_text())["exit_code"] == 1
