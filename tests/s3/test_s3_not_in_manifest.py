"""A card file whose name no XML manifest can hold, offloaded to a bucket: copied, left out
of the manifest stored there, and named in the report by its object's s3:// URL (never the
stand-in path the copy root has on this machine). Real server (moto), real files."""

from __future__ import annotations

import json
import os
from pathlib import Path

from offload.card import OffloadOptions, offload
from offload.destinations.s3config import S3Settings
from s3.conftest import admin
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


def test_a_cascade_to_a_bucket_names_every_copy_the_manifests_leave_out(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path: Path
) -> None:
    """``--cascade CARD /local s3://...``: the file whose name no manifest can hold is
    copied to both, and the summary's NOT IN THE MANIFEST line names both, the fast copy
    and the bucket fed from it, each with its state (the bucket's read back now)."""
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "C001.mov").write_bytes(os.urandom(20_000))
    (card / ODD).write_bytes(os.urandom(10_000))
    local = tmp_path / "local"
    local.mkdir()
    url = f"s3://{bucket}/day1"
    args = ["--s3-endpoint", s3_server.url, "--cascade", str(card), str(local), url]
    code, out, err = offload_cli(tmp_path, *args)
    assert code == 0, err
    lines = [line for line in (out + err).splitlines() if line.startswith("NOT IN THE MANIFEST")]
    why = "its name holds the control character \\x01, which an XML manifest cannot hold"
    assert [line.partition(": ")[0] for line in lines] == [
        f"NOT IN THE MANIFEST on {local}",
        f"NOT IN THE MANIFEST on {url}",
    ], lines
    for line in lines:
        assert "1 file of the card copied there (1 verified now)" in line, line
        assert f"({why}): CLIPS/C002\\x01take.mov." in line, line


def test_a_name_that_is_not_utf8_is_refused_before_the_copy_to_a_bucket(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path: Path
) -> None:
    """A card file whose name is not UTF-8, which no S3 key can be: the offload to a bucket
    (alone, or fed in cascade from a fast copy) is refused before the first byte (exit 64),
    one line naming the file and the bucket, with an ``--ignore`` that works as printed
    (``?`` for the byte: the ``\\xff`` escape printed for it is no pattern of it). Failed
    before: a traceback (OSError EILSEQ from the upload clean-up's list of keys), exit 1."""
    card = tmp_path / "B002"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "C001.mov").write_bytes(os.urandom(20_000))
    with open(os.fsencode(card / "CLIPS") + b"/C003\xfftake.mov", "wb") as handle:
        handle.write(os.urandom(100))
    local = tmp_path / "local"
    local.mkdir()
    url = f"s3://{bucket}/day1"
    expected = (
        "ERROR: preflight refused the offload; nothing was copied: "  # one line (refusal_lines)
        "'CLIPS/C003\\xfftake.mov': its name is not valid UTF-8, which S3 keys must be: "
        f"{url}/B002 cannot hold it; leave it out with --ignore '/CLIPS/C003?take.mov', "
        "choose another destination, or rename it on the source (a write to the card)"
    )
    for cascade in ([], ["--cascade"]):
        fast = [str(local)] if cascade else []
        code, _, err = offload_cli(
            tmp_path, "--s3-endpoint", s3_server.url, *cascade, str(card), *fast, url
        )
        assert code == 64, err
        assert expected in err.splitlines(), err
        assert "Traceback" not in err
        assert os.listdir(local) == []
    assert not admin(s3_server.url).list_objects_v2(Bucket=bucket).get("Contents")
    # The remedy, as printed: the other file copied, that one left out and named.
    ignore = ["--ignore", "/CLIPS/C003?take.mov"]
    code, _, err = offload_cli(tmp_path, "--s3-endpoint", s3_server.url, *ignore, str(card), url)
    assert code == 0, err
    stored = [o["Key"] for o in admin(s3_server.url).list_objects_v2(Bucket=bucket)["Contents"]]
    assert "day1/B002/CLIPS/C001.mov" in stored
    assert not any("C003" in key for key in stored)
