"""An offload with an S3 destination keeps the collector's young thresholds in its job
(``cli.offload.young_collections_spaced``): its parts are buffers of their own, which a
cycle (a failed part's traceback) would keep until a collection; local destinations alone
get the longer interval (tests/cli/test_end_of_run.py)."""

from __future__ import annotations

import gc
import io
import json
from pathlib import Path

from cli.test_end_of_run import WatchedStdout
from offload.cli.common import Environment
from offload.cli.offload import main
from s3.conftest import S3Server
from s3.test_s3_cli import make_card


def test_a_job_with_a_bucket_keeps_the_young_threshold(
    s3_server: S3Server, bucket: str, tmp_path: Path
) -> None:
    card = make_card(tmp_path)
    local = tmp_path / "local"
    local.mkdir()
    out = WatchedStdout()
    before = gc.get_threshold()
    code = main(
        ["copy", "--json", "--report-dir", str(tmp_path / "reports"), "--s3-endpoint",
         s3_server.url, str(card), str(local), f"s3://{bucket}/day1"],
        Environment(stdout=out, stderr=io.StringIO(), install_signal_handlers=False),
    )  # fmt: skip
    assert code == 0, out.getvalue()
    assert json.loads(out.getvalue().splitlines()[-1])["event"] == "job_report"
    assert out.thresholds_at["job_started"][:2] == before[:2]
    assert gc.get_threshold() == before
