"""An S3 destination's finished report, read by each of its consumers: the report object a
library caller gets (its plans), the terminal's summary, the JSON and CSV reports, the HTML
and PDF (``offload report``), ``offload history`` and ``offload verify`` of the copy. Each
names the bucket by its ``s3://`` URL, never the stand-in path the engine plans with
(``/s3:/bucket/prefix``), and each tells the destination is a bucket alike. Real server, real
boto3, the real CLI."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess

from offload.card import OffloadOptions, offload
from offload.cli.common import Environment
from offload.cli.offload import main
from offload.destinations.s3config import S3Settings
from offload.destinations.s3url import display_path, is_s3_destination, is_s3_root
from offload.report.job_report import report_data
from s3.test_s3_cli import make_card


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), Environment(stdout=out, stderr=err, install_signal_handlers=False))
    return code, out.getvalue(), err.getvalue()


def test_a_finished_reports_bucket_is_one_to_every_consumer(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    card = make_card(tmp_path)
    local = tmp_path / "local"
    local.mkdir()
    url = f"s3://{bucket}/day1"
    copy_url = f"{url}/A001"

    # The library's finished report: its plans name the bucket by URL, and the one question
    # every reader asks of them, is it a bucket, answers as it does of the live plan's
    # stand-in path. Failed before: is_s3_root answered False of the finished plans.
    settings = S3Settings(endpoint_url=s3_server.url, region="us-east-1")
    report = offload(card, [local, url], options=OffloadOptions(s3=settings))
    assert report.exit_code == 0
    by_index = {plan.index: plan for plan in report.plans}
    assert [is_s3_root(by_index[i].destination) for i in (0, 1)] == [False, True]
    assert [is_s3_root(by_index[i].root) for i in (0, 1)] == [False, True]
    assert [is_s3_destination(by_index[i].root) for i in (0, 1)] == [False, True]
    assert display_path(by_index[1].destination) == url
    assert display_path(by_index[1].root) == copy_url
    data = report_data(report, exit_code=report.exit_code)
    (shown,) = [d for d in data["destinations"] if d["index"] == 1]
    assert shown["copy_root"] == copy_url and is_s3_destination(shown["copy_root"]), shown
    assert "/s3:/" not in json.dumps(data["destinations"]), data["destinations"]

    # The CLI's run of the same card (a second offload: everything already there), then each
    # reader of its reports.
    reports = tmp_path / "reports"
    code, _out, err = _cli(
        "copy", "--report-dir", str(reports), "--s3-endpoint", s3_server.url, str(card),
        str(local), url,
    )  # fmt: skip
    assert code == 0, err
    assert url in err and "/s3:/" not in err, err
    (job,) = sorted(reports.glob("*.json"))
    data = json.loads(job.read_text())
    assert "/s3:/" not in job.read_text()
    (shown,) = [d for d in data["destinations"] if d["index"] == 1]
    assert shown["copy_root"] == copy_url, shown
    table = list(csv.DictReader(io.StringIO(job.with_suffix(".csv").read_text())))
    assert table and all("/s3:/" not in value for row in table for value in row.values())
    assert any(copy_url in value for row in table for value in row.values()), table[0]

    html, pdf = tmp_path / "again.html", tmp_path / "again.pdf"
    code, _out, err = _cli("report", str(job), "--html", str(html), "--pdf", str(pdf))
    assert code == 0, err
    text = html.read_text()
    assert copy_url in text and "/s3:/" not in text
    assert f"S3 bucket {bucket}" in text  # the bucket told as such, no local volume
    pdftotext = shutil.which("pdftotext")
    if pdftotext is not None:
        words = subprocess.run(
            [pdftotext, str(pdf), "-"], check=True, capture_output=True, text=True
        ).stdout
        assert "/s3:/" not in words and bucket in words

    code, out, err = _cli("history", "--report-dir", str(reports))
    assert code == 0, err
    assert url in " ".join(out.split()) or bucket in out, out
    assert "/s3:/" not in out

    code, out, err = _cli(
        "verify", "--report-dir", str(reports), "--s3-endpoint", s3_server.url, copy_url
    )
    assert code == 0, err
    assert "/s3:/" not in out + err, out + err
    code, out, err = _cli("history", "--report-dir", str(reports))
    assert code == 0 and copy_url in " ".join(out.split()) and "/s3:/" not in out, out
