"""One file to ``s3://bucket/key``: ``pfndispatchcopy`` and the library
(``copy_with_multiple_destinations``) against the real server process, with the integrity of a
card's S3 copy: part checksums checked by the server (a part corrupted on the wire is sent
again), the object read back by a GET, never written over another object; a bad bucket or an
object already there stops before the first byte (exit 64), nothing written anywhere."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
import xxhash

from offload.api import copy_with_multiple_destinations
from offload.cli.common import Environment
from offload.cli.pfndispatchcopy import main
from offload.destinations.s3config import S3Settings
from offload.errors import UsageError
from offload.options import CopyOptions, ExistingFilePolicy, VerifyMode
from offload.results import CacheBypass, DestinationStatus
from s3.conftest import FAST, admin
from support.pfn import other_lines

MiB = 1024 * 1024


def pfn(*argv: str) -> tuple[int, str, str]:
    env = Environment(stdout=io.StringIO(), stderr=io.StringIO(), install_signal_handlers=False)
    code = main(list(argv), env)
    assert isinstance(env.stdout, io.StringIO) and isinstance(env.stderr, io.StringIO)
    return code, env.stdout.getvalue(), env.stderr.getvalue()


def settings(endpoint: str) -> S3Settings:
    return S3Settings(endpoint_url=endpoint, region="us-east-1", **FAST)  # type: ignore[arg-type]


def stored(endpoint: str, bucket: str, key: str) -> bytes:
    return admin(endpoint).get_object(Bucket=bucket, Key=key)["Body"].read()


def keys(endpoint: str, bucket: str) -> list[str]:
    listing = admin(endpoint).list_objects_v2(Bucket=bucket)
    return sorted(o["Key"] for o in listing.get("Contents", []))


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    path = tmp_path / "card" / "A001C001.mov"
    path.parent.mkdir()
    path.write_bytes(os.urandom(12 * MiB + 5))  # three parts of 5 MiB
    (tmp_path / "d1").mkdir()
    return path


def test_pfndispatchcopy_to_a_local_file_and_an_s3_key(s3_server, bucket, clip, proxy) -> None:  # type: ignore[no-untyped-def]
    local = clip.parent.parent / "d1" / "copy.mov"
    proxy.corrupt_next(1, min_body=MiB)  # one part's bytes changed on the wire
    code, out, err = pfn(
        "--s3-endpoint", proxy.url, str(clip), str(local), f"s3://{bucket}/day1/copy.mov"
    )
    assert code == 0, err
    data = clip.read_bytes()
    assert out.splitlines() == [f"hash XXH64BE:{xxhash.xxh64(data).hexdigest()}"]
    assert stored(s3_server.url, bucket, "day1/copy.mov") == data
    assert local.read_bytes() == data
    assert proxy.stats.corrupted == 1  # the server refused it (BadDigest), it was sent again
    assert keys(s3_server.url, bucket) == ["day1/copy.mov"]  # no ledger, no record left
    assert not admin(s3_server.url).list_multipart_uploads(Bucket=bucket).get("Uploads")
    assert "GET" in proxy.stats.methods  # read back


@pytest.mark.parametrize("parallel", [None, False])
def test_library_reports_the_object_by_url_read_back(s3_server, bucket, clip, parallel) -> None:  # type: ignore[no-untyped-def]
    local = clip.parent.parent / "d1"
    report = copy_with_multiple_destinations(
        clip,
        [local, f"s3://{bucket}/day1/"],  # a folder on both: the file under its own name
        options=CopyOptions(verify=VerifyMode.DESTINATION),
        parallel=parallel,
        s3=settings(s3_server.url),
    )
    assert report.exit_code == 0
    on_disk, on_s3 = report.files[0].destinations
    assert on_disk.final_path == str(local / clip.name)
    assert on_s3.final_path == f"s3://{bucket}/day1/{clip.name}"
    assert on_s3.status is DestinationStatus.VERIFIED
    assert on_s3.cache_bypass is CacheBypass.REMOTE
    assert on_s3.digests == on_disk.digests == report.files[0].inflight_digests
    assert report.destinations[1].root == f"s3://{bucket}/day1"
    assert stored(s3_server.url, bucket, f"day1/{clip.name}") == clip.read_bytes()


def test_a_key_with_objects_below_it_is_a_folder(s3_server, bucket, clip) -> None:  # type: ignore[no-untyped-def]
    admin(s3_server.url).put_object(Bucket=bucket, Key="day1/other.mov", Body=b"x")
    report = copy_with_multiple_destinations(
        clip, [f"s3://{bucket}/day1"], s3=settings(s3_server.url)
    )
    assert report.exit_code == 0
    assert report.files[0].destinations[0].final_path == f"s3://{bucket}/day1/{clip.name}"


def test_an_object_already_there_is_refused_before_the_first_byte(s3_server, bucket, clip) -> None:  # type: ignore[no-untyped-def]
    client = admin(s3_server.url)
    client.put_object(Bucket=bucket, Key="day1/copy.mov", Body=b"someone else's")
    local = clip.parent.parent / "d1" / "copy.mov"
    url = f"s3://{bucket}/day1/copy.mov"
    code, out, err = pfn("--s3-endpoint", s3_server.url, str(clip), str(local), url)
    assert code == 64 and out == ""
    assert err.strip() == (
        f"ERROR: destination {url} already exists; nothing was written "
        "(pass --overwrite to replace it)"
    )
    assert not local.exists()
    assert stored(s3_server.url, bucket, "day1/copy.mov") == b"someone else's"

    code, _, err = pfn("--s3-endpoint", s3_server.url, "--overwrite", str(clip), str(local), url)
    assert code == 0, err
    assert stored(s3_server.url, bucket, "day1/copy.mov") == clip.read_bytes()

    with pytest.raises(UsageError, match="named twice"):
        copy_with_multiple_destinations(
            clip,
            [f"s3://{bucket}/day2/a.mov", f"s3://{bucket}/day2/a.mov"],
            options=CopyOptions(existing=ExistingFilePolicy.OVERWRITE),
            s3=settings(s3_server.url),
        )
    assert not [k for k in keys(s3_server.url, bucket) if k.startswith("day2/")]


def test_a_source_name_no_key_can_be_is_refused_in_its_words(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A source named with a byte that is not UTF-8, to a bucket's folder (the key would be
    its name): that destination fails alone before its first byte, one line naming it as
    printed elsewhere (``\\xff``); the local destination beside it is copied and verified,
    exit 1 (README: a failed destination never stops the others); alone, exit 2 (none could
    take it). Failed before: "cannot be looked up (... C003\\udcfftake.mov is not valid
    UTF-8 ...)": the lookup came first and the name was spelt as Python holds it; then
    exit 64, the local copy never written."""
    source = Path(os.fsdecode(os.fsencode(tmp_path) + b"/C003\xfftake.mov"))
    source.write_bytes(b"clip")
    local = tmp_path / "d1"
    local.mkdir()
    url = f"s3://{bucket}/day1/"
    code, _out, err = pfn("--s3-endpoint", s3_server.url, str(source), str(local), url)
    assert code == 1, err
    words = (
        f"ERROR: destination {url}C003\\xfftake.mov: 'C003\\xfftake.mov' is not valid UTF-8, "
        f"which S3 keys must be; {url}C003\\xfftake.mov was not copied"
    )
    assert other_lines(err) == [words], err
    assert (local / source.name).read_bytes() == b"clip"
    assert [k for k in keys(s3_server.url, bucket) if not k.startswith(".offload/")] == []
    code, _out, err = pfn("--s3-endpoint", s3_server.url, str(source), url)
    assert code == 2, err
    assert other_lines(err) == [words], err


def test_missing_bucket_or_no_service_exit_64_nothing_written(s3_server, clip) -> None:  # type: ignore[no-untyped-def]
    local = clip.parent.parent / "d1" / "copy.mov"
    code, out, err = pfn(
        "--s3-endpoint", s3_server.url, str(clip), str(local), "s3://nope-bucket/copy.mov"
    )
    assert code == 64 and out == ""
    assert len(err.strip().splitlines()) == 1 and "does not exist" in err
    assert not local.exists()
    code, _, err = pfn(
        "--s3-endpoint", "http://127.0.0.1:9", str(clip), str(local), "s3://rushes/copy.mov"
    )
    assert code == 64 and "cannot be reached" in err and len(err.strip().splitlines()) == 1
    assert not local.exists()
