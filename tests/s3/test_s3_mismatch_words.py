"""A read-back on S3 that does not match the source says what to check for a service (the
network, what stands in between, the service), never a drive's "check the drive and its
cable".

A real server behind the fault proxy (``intercept``: every GET of the clip comes back with
a byte flipped, the read-back and its re-read), the real CLI in this process.

Failed before: "nothing was kept there, so check the drive and its cable"."""

from __future__ import annotations

from pathlib import Path

from offload.engine.mismatch import MISMATCH_NEXT_S3
from s3.test_s3_cli import card_local_url, offload


def test_a_read_back_mismatch_on_s3_names_the_network_and_the_service(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path: Path
) -> None:
    card, _, url = card_local_url(tmp_path, bucket, {"CLIPS/A001C001.mov": 3000})
    proxy.intercept("GET", "A001C001.mov", flip=True, count=50)
    code, out, err = offload(tmp_path, "--s3-endpoint", proxy.url, str(card), url)
    assert code == 2, out + err  # a copy that failed its verification
    assert proxy.stats.intercepted >= 2, out + err
    assert "does not match the source" in err and MISMATCH_NEXT_S3 in err, err
    assert "cable" not in out + err, out + err
