"""An S3 destination's finished report, read by each of its consumers: the report object a
library caller gets (its plans), the terminal's summary, the JSON and CSV reports, the HTML
and PDF (``offload report``), ``offload history`` and ``offload verify`` of the copy. Each
names the bucket by its ``s3://`` URL, never the stand-in path the engine plans with
(``/s3:/bucket/prefix``), and each tells the destination is a bucket alike: the cascade's
sentence too, in the summary and the HTML and PDF, from runs of real cascades (``--cascade``
into the bucket, ``--cascade-to`` with the bucket among the fast copies). Real server, real
boto3, the real CLI."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

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


def _words(html_text: str) -> str:
    """The HTML report's words as read (tags out, entities as characters, spaces as one)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", html_text)).split())


def _documents(job: Path, tmp_path: Path) -> tuple[str, str | None]:
    """The words of the HTML and PDF ``offload report`` makes again from *job* (the PDF's
    None where pdftotext is not installed)."""
    # Named by the run's report folder too: two runs in one second share the job's stem.
    name = f"{job.parent.name}-{job.stem}"
    page, pdf = tmp_path / f"{name}.html", tmp_path / f"{name}.pdf"
    code, _out, err = _cli("report", str(job), "--html", str(page), "--pdf", str(pdf))
    assert code == 0, err
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        return _words(page.read_text()), None
    flat = subprocess.run([pdftotext, str(pdf), "-"], check=True, capture_output=True, text=True)
    return _words(page.read_text()), " ".join(flat.stdout.split())


def _copy(reports: Path, server: str, *args: str | Path) -> tuple[str, Path]:
    """``offload copy`` into *reports*: its stderr (spaces as one) and its job report."""
    code, _out, err = _cli("copy", "--report-dir", str(reports), "--s3-endpoint", server,
                           *map(str, args))  # fmt: skip
    assert code == 0, err
    (job,) = reports.glob("*.json")
    return " ".join(err.split()), job


def test_the_cascades_sentence_tells_a_bucket_alike_in_the_summary_and_the_documents(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, tmpfs_mount
) -> None:
    """The cascade's sentence, in the terminal's summary (from the run's plans: the live
    stand-in paths or the finished URLs) and in the HTML and PDF ``offload report`` makes
    from the saved JSON (``s3://`` text), tells a bucket as one the same way, wherever it
    is: fed in cascade (``--cascade``), among the fast copies beside a copy read in RAM
    (``bucket``: "outside a bucket"), and beside a fast copy on the card's disk in a report
    of an earlier version, without ``card_kept_by_its_disk`` (the run's rule read again:
    a bucket is no local copy). A bucket taken for a local copy would say "no copy there is
    recorded read back whole" of one read back whole, or "and no other copy there ..."."""
    card = make_card(tmp_path)
    end = "so a re-run needs the card;"

    # --cascade: the bucket fed from a fast copy on the card's disk (the card kept).
    local = tmp_path / "local"
    local.mkdir()
    url = f"s3://{bucket}/fed"
    said, job = _copy(tmp_path / "r1", s3_server.url, "--cascade", card, local, url)
    kept = f"but {local} is on the card's own filesystem or disk, no backup of it, {end}"
    assert f"{kept} {url} was then fed from the fast copies." in said, said
    assert "/s3:/" not in said, said
    page, pdf = _documents(job, tmp_path)
    kept = f"but destination 1 is on the card's own filesystem or disk, no backup of it, {end}"
    assert f"{kept} destination 2 was then fed from the fast copies." in page, page[:3000]
    assert pdf is None or "destination 2 was then fed from the fast copies" in pdf, pdf

    # A bucket among the fast copies, beside a copy read back in RAM (a cache).
    ram, slow = tmpfs_mount(16 << 20).path, tmp_path / "slow"
    slow.mkdir()
    said, job = _copy(tmp_path / "r2", s3_server.url, "--cascade-to", slow, card, ram,
                      f"s3://{bucket}/ram", slow)  # fmt: skip
    outside = (
        "but no copy there outside a bucket is recorded read back whole from its media "
        "(transfer-checked only, or read back through a cache), and a copy in a bucket never "
        f"stands for the card, {end}"
    )
    assert f"{outside} {slow} was then fed from the fast copies." in said, said
    page, pdf = _documents(job, tmp_path)
    assert f"{outside} destination 3 was then fed from the fast copies." in page, page[:3000]
    assert pdf is None or "no copy there outside a bucket" in pdf, pdf

    # A bucket beside a fast copy on the card's disk, its report as an earlier version wrote
    # it (no card_kept_by_its_disk): the documents apply the run's rule to the JSON's paths.
    fast, slow = tmp_path / "fast", tmp_path / "slow3"
    fast.mkdir()
    slow.mkdir()
    said, job = _copy(tmp_path / "r3", s3_server.url, "--cascade-to", slow, card, fast,
                      f"s3://{bucket}/disk", slow)  # fmt: skip
    assert f"but {fast} is on the card's own filesystem or disk, no backup of it, {end}" in said
    data = json.loads(job.read_text())
    assert data["cascade"].pop("card_kept_by_its_disk") is True, data["cascade"]
    job.write_text(json.dumps(data))
    page, pdf = _documents(job, tmp_path)
    assert f"{kept} destination 3 was then fed from the fast copies." in page, page[:3000]
    assert "no other copy there" not in page, page[:3000]
    assert pdf is None or "no backup of it, so a re-run needs the card" in pdf, pdf
