"""One file to ``s3://bucket/key`` (``pfndispatchcopy``, the library) held to S3's 1,024-byte
keys before any byte, as a card's copy is: the keys offload-ai itself may store under the
object's folder (an upload record, a staging object, the probe's objects:
``s3own_keys.prefix_own_keys``) and the object's own whole key. A real S3 server process
that refuses a longer key as AWS does (``support.s3server``'s ``key-limit`` mode), the real
``pfndispatchcopy``.

Failed before: a 20 MiB file into a 990-byte folder was copied to the local destination,
then its multipart upload's record (1,053 bytes) refused by the server, exit 1; into a
1,000-byte folder the probe's PutObject was refused (KeyTooLongError, the service's words,
no ``path-too-long``); a file of a 100-byte name into a 960-byte folder reached the server
with a 1,061-byte key (refused after the local copy)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from offload.api import copy_with_multiple_destinations
from offload.destinations.s3config import S3Settings
from offload.errors import PreflightRefused
from s3.conftest import FAST
from s3.test_s3_file import keys, pfn
from s3.test_s3_own_key_length import _prefix

MiB = 1024 * 1024


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    path = tmp_path / "clip.mov"
    path.write_bytes(os.urandom(20 * MiB))  # a multipart upload: it keeps a record
    return path


def test_a_folder_too_long_for_the_upload_record_is_refused_before_any_byte(  # type: ignore[no-untyped-def]
    limited, limited_bucket, clip, tmp_path: Path
) -> None:
    local = tmp_path / "local.mov"
    folder = _prefix(990)
    code, out, err = pfn(
        "--s3-endpoint",
        limited.url,
        str(clip),
        str(local),
        f"s3://{limited_bucket}/{folder}/clip.mov",
    )
    assert code == 64, err
    line = err.strip()
    assert "\n" not in line and out == "", err
    assert "too long for offload-ai's own objects there" in line, line
    assert "/.offload/uploads/" in line and "would be 1053 bytes long" in line, line
    assert "at least 29 bytes shorter; nothing was written" in line, line
    assert not local.exists()  # nothing written anywhere
    assert keys(limited.url, limited_bucket) == []


def test_a_folder_too_long_for_the_probe_is_refused_in_our_words(  # type: ignore[no-untyped-def]
    limited, limited_bucket, clip, tmp_path: Path
) -> None:
    code, _, err = pfn(
        "--s3-endpoint", limited.url, str(clip), f"s3://{limited_bucket}/{_prefix(1000)}/"
    )
    assert code == 64, err
    assert "too long for offload-ai's own objects there" in err, err
    assert "KeyTooLong" not in err and "PutObject" not in err, err
    assert keys(limited.url, limited_bucket) == []


def test_an_object_key_too_long_is_refused_by_the_library_as_path_too_long(  # type: ignore[no-untyped-def]
    limited, limited_bucket, tmp_path: Path
) -> None:
    # Into a 960-byte folder (a trailing "/": the file under its own name) offload-ai's
    # own keys fit (an upload record: 1,023 bytes); the object's, a 100-byte name, would be
    # 1,061 (a URL naming such a key is refused as it is parsed: ``parse_s3_url``).
    clip = tmp_path / f"{'n' * 96}.mov"
    clip.write_bytes(os.urandom(MiB))
    local = tmp_path / "local.mov"
    url = f"s3://{limited_bucket}/{_prefix(960)}/"
    with pytest.raises(PreflightRefused) as refused:
        copy_with_multiple_destinations(
            clip,
            [local, url],
            s3=S3Settings(endpoint_url=limited.url, region="us-east-1", **FAST),  # type: ignore[arg-type]
        )
    assert [e["code"] for e in refused.value.errors] == ["path-too-long"]
    assert refused.value.errors[0]["destination_index"] == 1
    message = str(refused.value)
    assert "\n" not in message and "its key would be 1061 bytes long" in message, message
    assert "at least 37 bytes shorter; nothing was written" in message, message
    assert not local.exists()
    assert keys(limited.url, limited_bucket) == []
