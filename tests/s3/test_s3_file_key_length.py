"""One file to ``s3://bucket/key`` (``pfndispatchcopy``, the library) held to S3's 1,024-byte
keys before any byte, as a card's copy is: the keys offload-ai itself may store under the
object's folder (an upload record, a staging object, the probe's objects:
``s3own_keys.prefix_own_keys``) and the object's own whole key. A key too long fails that
destination alone, nothing stored there, as a local path over PATH_MAX does: the others are
copied, exit 1, or 2 when none could take the file. A real S3 server process that refuses a
longer key as AWS does (``support.s3server``'s ``key-limit`` mode), the real
``pfndispatchcopy``.

Failed before: a 20 MiB file into a 990-byte folder was copied to the local destination,
then its multipart upload's record (1,053 bytes) refused by the server, exit 1; into a
1,000-byte folder the probe's PutObject was refused (KeyTooLongError, the service's words,
no ``path-too-long``); a file of a 100-byte name into a 960-byte folder reached the server
with a 1,061-byte key (refused after the local copy). Then (review of fixhost62) each of
these stopped every copy, exit 64, the local destinations left empty."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from offload.api import copy_with_multiple_destinations
from offload.destinations.s3config import S3Settings
from offload.results import DestinationStatus
from s3.conftest import FAST
from s3.test_s3_file import keys, pfn
from s3.test_s3_own_key_length import _prefix
from support.pfn import other_lines

MiB = 1024 * 1024


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    path = tmp_path / "clip.mov"
    path.write_bytes(os.urandom(20 * MiB))  # a multipart upload: it keeps a record
    return path


def test_a_folder_too_long_for_the_upload_record_fails_that_destination_alone(  # type: ignore[no-untyped-def]
    limited, limited_bucket, clip, tmp_path: Path
) -> None:
    local = tmp_path / "local.mov"
    folder = _prefix(990)
    url = f"s3://{limited_bucket}/{folder}/clip.mov"
    code, out, err = pfn("--s3-endpoint", limited.url, str(clip), str(local), url)
    assert code == 1, err
    [line] = other_lines(err)
    assert line.startswith("ERROR: ") and "too long for offload-ai's own objects there" in line
    assert "/.offload/uploads/" in line and "would be 1053 bytes long" in line, line
    assert "at least 29 bytes shorter; " in line and line.endswith(" was not copied"), line
    assert local.read_bytes() == clip.read_bytes() and out.startswith("hash "), out
    assert keys(limited.url, limited_bucket) == []  # nothing stored there, no probe


def test_a_folder_too_long_for_the_probe_is_refused_in_our_words(  # type: ignore[no-untyped-def]
    limited, limited_bucket, clip, tmp_path: Path
) -> None:
    code, _, err = pfn(
        "--s3-endpoint", limited.url, str(clip), f"s3://{limited_bucket}/{_prefix(1000)}/"
    )
    assert code == 2, err  # none could take the file
    assert "too long for offload-ai's own objects there" in err, err
    assert "KeyTooLong" not in err and "PutObject" not in err, err
    assert keys(limited.url, limited_bucket) == []


def test_a_key_over_the_limit_in_the_url_fails_alone_the_local_copy_verified(  # type: ignore[no-untyped-def]
    limited, limited_bucket, clip, tmp_path: Path
) -> None:
    """Review of fixhost62: ``SRC d1/ok.mov s3://b/<600-byte prefix>/<500-byte name>`` was
    exit 64, d1 left empty (the URL refused as it was parsed), where a local path over
    PATH_MAX fails alone. Failed before."""
    d1 = tmp_path / "d1"
    d1.mkdir()
    url = f"s3://{limited_bucket}/{_prefix(600)}/{'n' * 496}.mov"
    code, out, err = pfn("--s3-endpoint", limited.url, str(clip), str(d1 / "ok.mov"), url)
    assert code == 1, err
    [line] = other_lines(err)
    assert line.startswith("ERROR: destination s3://") and "bytes long (S3 keys are" in line
    assert line.endswith(f"; {url} was not copied"), line  # the URL, not a stand-in path
    assert (d1 / "ok.mov").read_bytes() == clip.read_bytes() and out.startswith("hash "), out
    assert keys(limited.url, limited_bucket) == []


def test_an_object_key_too_long_fails_that_destination_in_the_library(  # type: ignore[no-untyped-def]
    limited, limited_bucket, tmp_path: Path
) -> None:
    # Into a 960-byte folder (a trailing "/": the file under its own name) offload-ai's
    # own keys fit (an upload record: 1,023 bytes); the object's, a 100-byte name, would be
    # 1,061.
    clip = tmp_path / f"{'n' * 96}.mov"
    clip.write_bytes(os.urandom(MiB))
    local = tmp_path / "local.mov"
    url = f"s3://{limited_bucket}/{_prefix(960)}/"
    report = copy_with_multiple_destinations(
        clip,
        [local, url],
        s3=S3Settings(endpoint_url=limited.url, region="us-east-1", **FAST),  # type: ignore[arg-type]
    )
    assert report.exit_code == 1
    on_disk, on_s3 = report.files[0].destinations
    assert on_disk.status is DestinationStatus.VERIFIED
    assert on_s3.status is DestinationStatus.FAILED
    message = on_s3.error or ""
    assert "\n" not in message and "its key would be 1061 bytes long" in message, message
    assert "at least 37 bytes shorter; " in message, message
    assert local.read_bytes() == clip.read_bytes()
    assert keys(limited.url, limited_bucket) == []
