"""A card file whose name no XML manifest can hold, offloaded to a bucket: copied, left out
of the manifest stored there, and named in the report by its object's s3:// URL (never the
stand-in path the copy root has on this machine). Real server (moto), real files."""

from __future__ import annotations

import json
import os
from pathlib import Path

from offload.card import OffloadOptions, offload
from offload.destinations.s3config import S3Settings
from s3.test_s3_cli import offload as offload_cli

ODD = "CLIPS/C002\x01take.mov"


def test_a_file_left_out_of_a_buckets_manifest_is_named_by_its_url(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path: Path
) -> None:
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "C001.mov").write_bytes(os.urandom(20_000))
    (card / ODD).write_bytes(os.urandom(10_000))
    settings = S3Settings(endpoint_url=s3_server.url, region="us-east-1", max_attempts=3)
    report = offload(card, [f"s3://{bucket}/day1"], options=OffloadOptions(s3=settings))
    assert report.exit_code == 0
    (warning,) = [w for w in report.warnings if w.code.value == "not-in-manifest"]
    assert str(warning.path) == f"s3://{bucket}/day1/A001/{ODD}"
    assert warning.message.startswith(f"s3://{bucket}/day1/A001/CLIPS/C002\\x01take.mov is")
    assert report.not_in_manifest() == {
        0: {ODD: "its name holds the control character \\x01, which an XML manifest cannot hold"}
    }


def test_the_terminal_and_json_name_the_bucket_and_the_code(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path: Path
) -> None:
    """The command's own lines for the same card (the real CLI, in process): every warning
    names the copy by its s3:// URL, never the local folder its manifests were staged in
    (``offload-s3-mhl-``), the dry run's too; and ``--json``'s ``warning_issued`` line of
    the file the manifest left out has its code, ``not-in-manifest``, as a disk
    destination's has. Failed before: that code was null for a bucket."""
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "C001.mov").write_bytes(os.urandom(20_000))
    (card / ODD).write_bytes(os.urandom(10_000))
    url = f"s3://{bucket}/day1"
    shown = f"{url}/A001"
    code, _, dry = offload_cli(
        tmp_path, "--s3-endpoint", s3_server.url, "--dry-run", str(card), url
    )
    assert code == 0, dry
    code, out, err = offload_cli(tmp_path, "--s3-endpoint", s3_server.url, "--json", str(card), url)
    assert code == 0, err
    printed = dry + out + err
    assert "offload-s3-mhl-" not in printed and "/s3:/" not in printed, printed
    events = [json.loads(line) for line in out.splitlines()]
    warned = {e["code"]: e for e in events if e["event"] == "warning_issued"}
    assert warned["name-not-in-manifest"]["path"] == f"{shown}/CLIPS/C002\x01take.mov"
    left_out = warned["not-in-manifest"]
    assert left_out["message"].startswith(f"CLIPS/C002\\x01take.mov on {shown} is not in"), left_out
    assert left_out["path"] == shown
    # Which character, in the reports' words (was "not valid UTF-8 (or holds a control
    # character)", a guess between two causes).
    assert "its name holds the control character \\x01, which" in left_out["message"]
    code, _, again = offload_cli(tmp_path, "--s3-endpoint", s3_server.url, str(card), url)
    assert code == 0, again
    lines = [line for line in again.splitlines() if line.startswith("WARNING: ")]
    assert lines and all(shown in line for line in lines), again
    assert "offload-s3-mhl-" not in again
