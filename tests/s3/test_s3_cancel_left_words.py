"""A cancelled run whose clean-up could not reach the service (the endpoint gone as the
cancel came) says what it left: its CANCELLED line never claims "partial files removed" of
copies whose objects, uploads or records are still in the bucket (the report's
``left_behind``, which its notes name); it says how many may be left and where they are
named.

A real card, the real test server behind the fault proxy, taken down for good once the
big clip's multipart upload holds two parts (``service_gone.down_once_parts_stored``), and
the run cancelled (the library's ``CancelToken``) right then.

Failed before: "N copies were cancelled (partial files removed; run the same command again
to resume)" while ``left_behind.count`` listed what was still there."""

from __future__ import annotations

import threading
from pathlib import Path

from offload.card import offload
from offload.engine.cancel import CancelToken
from offload.report.summary import verdict_lines
from s3.conftest import admin
from s3.test_s3_cli import card_local_url
from s3.test_s3_faults import CARD
from s3.test_s3_replace import options
from support.service_gone import down_once_parts_stored


def test_a_cancel_whose_clean_up_failed_says_what_it_left(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path: Path
) -> None:
    card, local, url = card_local_url(tmp_path, bucket, CARD)
    token = CancelToken()
    watcher = down_once_parts_stored(proxy, admin(s3_server.url), bucket)

    def cancel_once_down() -> None:
        watcher.join()
        token.cancel()

    canceller = threading.Thread(target=cancel_once_down, daemon=True)
    canceller.start()
    report = offload(card, [local, url], options=options(proxy.url), cancel=token)
    canceller.join()
    assert report.job.cancelled
    assert report.left_behind, report.notes  # the upload's abort failed, at least
    [line] = [line for line in verdict_lines(report) if line.startswith("CANCELLED")]
    left = len(report.left_behind)
    assert "partial files removed;" not in line and "partial files removed)" not in line, line
    named = f"{left} object or upload" if left == 1 else f"{left} objects or uploads"
    assert f"removed where the clean-up could, but {named} may be left in the bucket" in line
    assert "report's notes and left_behind" in line, line
