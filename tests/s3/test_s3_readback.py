"""The read-backs of a batch's small objects run several at once, bounded, each failure its
own file's, against the real server. The proxy's gate holds each content GET until several
wait together: it shows how many were in flight at once without timing anything. Before,
the read-backs were one GET after the other (never more than one waiting)."""

from __future__ import annotations

import os
from pathlib import Path

from offload.card import OffloadOptions, offload
from offload.destinations.s3config import S3Settings
from offload.options import CopyOptions
from offload.results import CacheBypass, DestinationStatus

FILES = 12


def small_card(tmp: Path) -> Path:
    card = tmp / "A001"
    (card / "CLIPS").mkdir(parents=True)
    for number in range(FILES):
        (card / "CLIPS" / f"A001C{number:03d}.wav").write_bytes(os.urandom(100_000))
    return card


def options(endpoint: str, parallel: int) -> OffloadOptions:
    return OffloadOptions(
        copy=CopyOptions(),
        s3=S3Settings(
            endpoint_url=endpoint, region="us-east-1", max_attempts=2, parallel_parts=parallel
        ),
    )


def test_small_objects_are_read_back_several_at_once_and_no_more(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    card = small_card(tmp_path)
    # Wider than allowed: the gate lets each group go after its timeout, having seen how
    # many GETs the client had in flight together.
    proxy.gate("GET", f"/{bucket}/day1/A001/CLIPS/", width=4, timeout=1.0)
    report = offload(card, [f"s3://{bucket}/day1"], options=options(proxy.url, parallel=3))
    assert report.exit_code == 0, [r.error for f in report.job.files for r in f.destinations]
    for file in report.job.files:
        (result,) = file.destinations
        assert result.status is DestinationStatus.VERIFIED
        assert result.cache_bypass is CacheBypass.REMOTE
    assert proxy.stats.most_waiting == 3  # several at once, never more than parallel_parts


def test_a_failed_read_back_fails_its_file_only(s3_server, bucket, proxy, tmp_path) -> None:  # type: ignore[no-untyped-def]
    card = small_card(tmp_path)
    proxy.intercept("GET", "/day1/A001/CLIPS/A001C005.wav", status=403, count=20)
    report = offload(card, [f"s3://{bucket}/day1"], options=options(proxy.url, parallel=4))
    assert report.exit_code == 1
    for file in report.job.files:
        (result,) = file.destinations
        if file.relative_path == "CLIPS/A001C005.wav":
            assert result.status is DestinationStatus.FAILED
            assert "read back" in (result.error or "") and "AccessDenied" in (result.error or "")
        else:
            assert result.status is DestinationStatus.VERIFIED, result.error
