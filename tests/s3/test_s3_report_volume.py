"""An S3 destination is on no local volume: its report fields say so (null in the JSON, as
docs/json.md says of what is unknown; the bucket's name and "—" for the free space in the
HTML and PDF), never the volume and free space of the folder the command ran in. Run from a
folder on another filesystem (tmpfs) than the card and the local copy (the project's disk),
so a volume borrowed from the working folder shows. Failed before: the bucket's JSON entry
held the working folder's device, filesystem, mount point and free space, and the HTML/PDF
showed "Volume ... (tmpfs), Free after ..." for it."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest

import report.conftest as report_tools
from report.helpers import pdf_text
from s3.test_s3_cli import make_card
from s3.test_s3_cli import offload as offload_cli

SHM = Path("/dev/shm")
# The report tests' fixtures: headless Chromium, poppler (each skips when its tool is missing).
browser = report_tools.browser
poppler = report_tools.poppler


def _section(text: str, start: str, end: str | None) -> str:
    """The part of *text* from *start* to *end* (or its end)."""
    begin = text.index(start)
    stop = text.find(end, begin + len(start)) if end else -1
    return text[begin:] if stop < 0 else text[begin:stop]


@pytest.mark.skipif(not SHM.is_dir() or not os.access(SHM, os.W_OK), reason="no /dev/shm")
def test_an_s3_destination_has_no_local_volume_in_any_report(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, monkeypatch, browser, poppler
) -> None:
    card = make_card(tmp_path)
    local = tmp_path / "local"
    local.mkdir()
    url = f"s3://{bucket}/vol"
    with tempfile.TemporaryDirectory(dir=SHM) as elsewhere:
        monkeypatch.chdir(elsewhere)  # a tmpfs: not the filesystem of tmp_path
        code, _out, err = offload_cli(
            tmp_path, "--s3-endpoint", s3_server.url, str(card), str(local), url
        )
    assert code == 0, err
    reports = local / "A001" / ".offload" / "reports"
    (json_path,) = reports.glob("*.json")
    data = json.loads(json_path.read_text())
    on_disk, in_bucket = data["destinations"]
    assert in_bucket["path"] == url
    for field in ("volume_label", "device", "filesystem", "mount_point"):
        assert in_bucket[field] is None, (field, in_bucket[field])
    assert in_bucket["free_bytes_after"] is None and in_bucket["total_bytes"] is None
    assert on_disk["filesystem"] != "tmpfs" and on_disk["free_bytes_after"]  # the real one

    html = browser.open(json_path.with_suffix(".html"))
    assert not html.errors, html.errors
    pdf = pdf_text(poppler, json_path.with_suffix(".pdf"))
    for text, free_unknown in ((html.text, "\t—\t"), (pdf, "Free after: —")):
        assert "tmpfs" not in text  # the working folder's filesystem is named nowhere
        bucket_part = _section(text, f"2: {Path(url).name}", "3: ")
        assert f"S3 bucket {bucket}" in bucket_part, bucket_part
        assert free_unknown in bucket_part, bucket_part  # the PDF's font draws "—" as "-"
