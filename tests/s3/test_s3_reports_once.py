"""The job reports are built once per run, whatever mix of local folders and buckets they go
to, and every copy holds the same bytes: the JSON, CSV, HTML and PDF stored on S3 are byte
for byte those of the local destination and of the local report folder.

Before, the HTML and PDF (probing the clips, building the view, drawing the PDF) were built a
second time for the buckets, in a staging folder, after being built for the local folders:
their bytes could differ (the time they name), and with only buckets as destinations the
JSON and CSV were built once per bucket plus once for the local report folder.

The builds are counted by wrapping the functions that make each report's bytes
(``report.job_report.json_chunks`` and ``csv_chunks``; the HTML and PDF: in the command,
``report.documents.render``, or by its report worker, a real second process, the
worker's answers the command takes, ``report.worker.DocumentWorker.result``); the copy, the
server and the files are all real."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from offload.report import documents, job_report, worker
from s3.conftest import admin
from s3.test_s3_cli import keys, make_card
from s3.test_s3_cli import offload as offload_cli

SUFFIXES = (".json", ".csv", ".html", ".pdf")

#: Each report built once for every destination at once; the JSON a second time, once too,
#: because the card's random-bytes ``.mov`` clips are found not readable as media by the
#: documents' probing, which the JSON then keeps (``job_report.probed_found``: its
#: ``card_content``, written again into every folder and bucket from that one build).
ONE_BUILD = {"render": 1, "json_chunks": 2, "csv_chunks": 1}


def count_builds(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Count the calls of the functions that build each report's bytes."""
    builds: Counter[str] = Counter()

    def counted(module: Any, name: str) -> None:
        original: Callable[..., Any] = getattr(module, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            builds[name] += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)

    counted(documents, "render")
    counted(job_report, "json_chunks")
    counted(job_report, "csv_chunks")
    answer = worker.DocumentWorker.result

    def answered(self: worker.DocumentWorker) -> tuple[bytes, bytes, list[Any]] | None:
        made = answer(self)
        if made is not None:  # made by the worker
            builds["render"] += 1
        return made

    monkeypatch.setattr(worker.DocumentWorker, "result", answered)
    return builds


def stored_reports(endpoint: str, bucket: str, prefix: str) -> dict[str, bytes]:
    """The report objects under ``<prefix>/A001/.offload/reports/`` by suffix."""
    client = admin(endpoint)
    found = {
        Path(key).suffix: client.get_object(Bucket=bucket, Key=key)["Body"].read()
        for key in keys(endpoint, bucket)
        if key.startswith(f"{prefix}/A001/.offload/reports/")
    }
    assert sorted(found) == sorted(SUFFIXES), found
    return found


def local_reports(folder: Path) -> dict[str, bytes]:
    found = {path.suffix: path.read_bytes() for path in folder.iterdir()}
    assert sorted(found) == sorted(SUFFIXES), found
    return found


def test_a_local_destination_and_a_bucket_get_one_build(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, monkeypatch
) -> None:
    card = make_card(tmp_path)
    local = tmp_path / "local"
    local.mkdir()
    builds = count_builds(monkeypatch)
    code, _, err = offload_cli(
        tmp_path, "--s3-endpoint", s3_server.url, str(card), str(local), f"s3://{bucket}/day1"
    )
    assert code == 0, err
    assert builds == ONE_BUILD
    on_s3 = stored_reports(s3_server.url, bucket, "day1")
    assert on_s3 == local_reports(local / "A001" / ".offload" / "reports")
    assert on_s3 == local_reports(tmp_path / "reports")


def test_buckets_only_get_one_build(s3_server, bucket, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    card = make_card(tmp_path)
    builds = count_builds(monkeypatch)
    code, _, err = offload_cli(
        tmp_path,
        "--s3-endpoint",
        s3_server.url,
        str(card),
        f"s3://{bucket}/day1",
        f"s3://{bucket}/day2",
    )
    assert code == 0, err
    assert builds == ONE_BUILD
    first = stored_reports(s3_server.url, bucket, "day1")
    assert first == stored_reports(s3_server.url, bucket, "day2")
    assert first == local_reports(tmp_path / "reports")
