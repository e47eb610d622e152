"""A transfer-mode copy to a service that does not check the in-flight hashes (plain moto:
a part whose checksum is wrong is stored, the preflight's ``s3-checksums-unchecked``) had
its size checked only: every document of the run says so of that destination, as the
terminal does, never "transfer-checked" (in-flight hash + size). The real S3 test server in
its ``no-checksums`` mode, a real local folder beside it."""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from offload.cli.common import Environment
from offload.cli.offload import main
from s3.conftest import S3Server, admin, start_server, stop_server
from s3.test_s3_cli import make_card, offload


@pytest.fixture(scope="module")
def unchecked() -> Iterator[S3Server]:
    """moto without the checksum gate: a wrong part checksum is stored."""
    server = start_server(modes=("no-checksums",))
    try:
        yield server
    finally:
        stop_server(server)


def test_size_checked_only_in_the_json_html_and_history(
    unchecked: S3Server, tmp_path: Path
) -> None:
    """Failed before: the JSON had no per-destination flag, the HTML's destination block,
    clip rows and Totals said "transfer-checked only" of the bucket's copies, and
    ``offload history`` "transfer-checked", where the terminal said "size-checked only"."""
    bucket = f"t-{os.urandom(6).hex()}"
    admin(unchecked.url).create_bucket(Bucket=bucket)
    card = make_card(tmp_path, {"CLIPS/a.mov": 4000, "CLIPS/b.mov": 5000})
    local = tmp_path / "d6"
    local.mkdir()
    code, out, err = offload(
        tmp_path,
        "--s3-endpoint",
        unchecked.url,
        "--verify",
        "transfer",
        str(card),
        str(local),
        f"s3://{bucket}/tc",
    )
    assert code == 0, err
    assert "size-checked only" in out + err
    report = next((tmp_path / "reports").glob("*.json"))
    document = json.loads(report.read_text())
    flags = [d.get("size_checked_only") for d in document["destinations"]]
    assert flags == [False, True], flags
    html = report.with_suffix(".html").read_text()
    # The bucket's block, its clip rows and the Totals count its copies size-checked; the
    # local folder's stay transfer-checked (its write checked the in-flight hashes).
    assert "2 size-checked only (not read back)" in html, html
    assert "Size-checked only (not read back)" in html
    assert "2 of them size-checked only (their service does not check the in-flight" in html
    assert "2 transfer-checked only (not read back)" in html
    text = " ".join(re.sub("<[^>]*>", " ", html).split())
    assert "Copies: Transfer-checked only (not read back) 2" in text, text
    assert "Copies: Size-checked only (not read back) 2" in text, text
    listed = io.StringIO()
    assert (
        main(
            ["history", "--report-dir", str(tmp_path / "reports")],
            Environment(stdout=listed, stderr=io.StringIO(), install_signal_handlers=False),
        )
        == 0
    )
    assert "size-checked only" in " ".join(listed.getvalue().split()), listed.getvalue()
