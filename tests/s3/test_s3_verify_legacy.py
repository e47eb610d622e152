"""``offload verify s3://bucket/prefix/CARD --mhl-file FILE`` against the real server: the
objects under the prefix checked against a legacy MHL v1, exactly as a folder is (the same
words, the same exit codes: OK 0, changed 11, missing 10), FILE an ``s3://`` URL under the
copy root or a local file. Each object is read back by a GET (counted at the fault proxy) and
hashed: an object whose bytes changed while its metadata still holds the copy's digest is
CHANGED. Before, ``--mhl-file`` was refused on S3 (exit 64)."""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path

from offload.cli.common import Environment
from offload.cli.offload import main
from s3.conftest import admin
from s3.test_s3_cli import CARD, keys, offload
from s3.test_s3_verify import copied, download_prefix, verify

CLIP = "CLIPS/A001C002.mov"


def legacy_key(endpoint: str, bucket: str) -> str:
    """The legacy MHL ``offload copy --mhl legacy`` stored at the copy root."""
    found = [k for k in keys(endpoint, bucket) if re.fullmatch(r"day1/A001/A001_[^/]*\.mhl", k)]
    assert len(found) == 1, keys(endpoint, bucket)
    return found[0]


def verify_local(tmp: Path, root: Path, *args: str) -> tuple[int, str, str]:
    """The local verify of *root*, for the S3 one's output to be compared with."""
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["verify", "--report-dir", str(tmp / "lreports"), *args, str(root)],
        Environment(stdout=out, stderr=err, install_signal_handlers=False),
    )
    return code, out.getvalue(), err.getvalue()


def same_as_local(
    tmp: Path, endpoint: str, bucket: str, url: str, mhl: str, name: str
) -> tuple[int, str, str]:
    """Verify *url* against the legacy MHL at the URL *mhl*, and the prefix downloaded into a
    folder against its copy of it; asserts both end with the same exit code and say the same
    (one naming URLs, the other paths; the local one reads files from the media, the S3 one
    objects by GET: docs/json.md) and returns the S3 verify's exit code, stdout and stderr."""
    code, out, err = verify(tmp, endpoint, "--mhl-file", mhl, url)
    folder = download_prefix(endpoint, bucket, "day1/A001", tmp / name / "A001")
    local_mhl = folder / mhl.rpartition("/")[2]
    local = verify_local(tmp, folder, "--mhl-file", str(local_mhl))
    assert local[0] == code, (local, code, out, err)
    assert _comparable(local[1]).replace(str(folder), url) == _comparable(out)
    assert _comparable(local[2]).replace(str(folder), url) == _comparable(err)
    return code, out, err


def _comparable(text: str) -> str:
    """*text* without its report line and the count of files read from a local medium."""
    kept = "".join(line for line in text.splitlines(True) if not line.startswith("Report: "))
    return re.sub(r"\d+ (files? read from the media|objects? read back by a GET)", "N read", kept)


def test_ok_changed_missing_against_a_legacy_mhl_in_the_bucket(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    url = copied(s3_server, bucket, tmp_path, "--mhl", "legacy")
    mhl = f"s3://{bucket}/{legacy_key(s3_server.url, bucket)}"
    client = admin(s3_server.url)

    proxy.reset()
    code, out, err = verify(tmp_path, proxy.url, "--mhl-file", mhl, "--json", url)
    assert code == 0, err
    data = json.loads(out)
    assert data["reference"] == "legacy" and data["path"] == url
    assert sorted(data["verified"]) == sorted(CARD)
    assert (data["objects_read_back"], data["files_read_from_media"]) == (len(CARD), 0)
    # Each object reported verified was read back in this run: a GET of its key.
    gets = {t.split("?")[0] for m, t in zip(proxy.stats.methods, proxy.targets, strict=True)}
    for relative in CARD:
        assert f"/{bucket}/day1/A001/{relative}" in gets

    code, out, err = same_as_local(tmp_path, s3_server.url, bucket, url, mhl, "ok")
    assert code == 0
    assert f"{url}: 3 OK, 0 changed, 0 missing, 0 new, 0 unreadable (against legacy; " in out
    assert "; 3 objects read back by a GET)" in out  # not "0 files read from the media"

    # Other bytes of the same size under a key, its metadata still holding the digest of the
    # copy: the read-back says CHANGED (a digest in the metadata is not a read-back).
    key = f"day1/A001/{CLIP}"
    metadata = client.head_object(Bucket=bucket, Key=key)["Metadata"]
    assert metadata.get("offload-xxh64")
    client.put_object(Bucket=bucket, Key=key, Body=b"\0" * CARD[CLIP], Metadata=metadata)
    code, out, err = same_as_local(tmp_path, s3_server.url, bucket, url, mhl, "changed")
    assert code == 11
    assert f"CHANGED s3://{bucket}/{key}: xxh64 " in err
    assert f"{url}: 2 OK, 1 changed, 0 missing" in out

    # Restored, then one object deleted: missing (10).
    client.put_object(Bucket=bucket, Key=key, Body=(tmp_path / "A001" / CLIP).read_bytes())
    client.delete_object(Bucket=bucket, Key="day1/A001/A001.xml")
    code, out, err = same_as_local(tmp_path, s3_server.url, bucket, url, mhl, "missing")
    assert code == 10
    assert f"MISSING s3://{bucket}/day1/A001/A001.xml" in err
    assert f"{url}: 2 OK, 0 changed, 1 missing, 0 new" in out


def test_a_local_legacy_mhl_describes_the_copy_root(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = copied(s3_server, bucket, tmp_path, "--mhl", "legacy")
    key = legacy_key(s3_server.url, bucket)
    local = tmp_path / "from-the-lab.mhl"
    local.write_bytes(admin(s3_server.url).get_object(Bucket=bucket, Key=key)["Body"].read())
    # The bucket's own copy of it is not "new": a legacy MHL at the top is not content.
    code, out, err = verify(tmp_path, s3_server.url, "--mhl-file", str(local), url)
    assert code == 0, err
    assert f"{url}: 3 OK, 0 changed, 0 missing, 0 new, 0 unreadable (against legacy;" in out
    admin(s3_server.url).put_object(
        Bucket=bucket, Key="day1/A001/A001.xml", Body=b"x" * CARD["A001.xml"]
    )
    code, out, err = verify(tmp_path, s3_server.url, "--mhl-file", str(local), url)
    assert code == 11 and f"CHANGED s3://{bucket}/day1/A001/A001.xml" in err
    assert ".offload-legacy" not in out + err and "offload-s3-verify" not in out + err

    # A local file that is not there: the local verify's words and exit code (64: bad
    # input, nothing was checked).
    gone = tmp_path / "gone.mhl"
    code, out, err = verify(tmp_path, s3_server.url, "--mhl-file", str(gone), url)
    assert code == 64
    assert f"ERROR: cannot read legacy MHL {gone}: No such file or directory (ENOENT)" in err
    assert ".offload-legacy" not in out + err and "offload-s3-verify" not in out + err
    folder = tmp_path / "elsewhere" / "A001"
    folder.mkdir(parents=True)
    local_code, _, local_err = verify_local(tmp_path, folder, "--mhl-file", str(gone))
    assert local_code == code
    assert _comparable(local_err) == _comparable(err)


def test_a_url_outside_the_copy_root_or_no_object(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = copied(s3_server, bucket, tmp_path, "--mhl", "legacy")
    mhl = legacy_key(s3_server.url, bucket)
    admin(s3_server.url).copy_object(
        Bucket=bucket, Key="elsewhere/A001.mhl", CopySource={"Bucket": bucket, "Key": mhl}
    )
    for outside in (f"s3://{bucket}/elsewhere/A001.mhl", f"s3://other-{bucket}/{mhl}", url):
        code, _, err = verify(tmp_path, s3_server.url, "--mhl-file", outside, url)
        assert code == 64, err
        lines = err.strip().splitlines()
        assert lines[0] == (
            f"ERROR: cannot verify {url}: {outside} is not inside {url}; name a legacy MHL "
            f"under it ({url}/NAME.mhl) or a local file"
        )
        assert len(lines) == 1 or lines[1].startswith("Report: ")
    # A URL under the copy root where no object is: as a file that is not there (64).
    code, _, err = verify(tmp_path, s3_server.url, "--mhl-file", f"{url}/none.mhl", url)
    assert code == 64
    assert f"cannot read legacy MHL {url}/none.mhl: No such file or directory" in err
    assert os.sep + "s3:" not in err and "offload-s3-verify" not in err


def test_a_local_legacy_mhl_is_linked_beside_an_object_of_the_name_it_would_take(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """The local legacy MHL is linked at the top of the mirror, where every top-level object
    of the copy root has its file: an object named as the link would be is left as it is
    (the link takes the next name; nothing is made over it, nothing is uploaded) and the
    local MHL is the reference, not that object."""
    url = copied(s3_server, bucket, tmp_path, "--mhl", "legacy")
    client = admin(s3_server.url)
    local = tmp_path / "from-the-lab.mhl"
    local.write_bytes(
        client.get_object(Bucket=bucket, Key=legacy_key(s3_server.url, bucket))["Body"].read()
    )
    theirs = b"not a legacy MHL: somebody's object\n"
    for name in (".offload-legacy.mhl", ".offload-legacy-1.mhl"):
        client.put_object(Bucket=bucket, Key=f"day1/A001/{name}", Body=theirs)
    before = sorted(keys(s3_server.url, bucket))
    code, out, err = verify(tmp_path, s3_server.url, "--mhl-file", str(local), url)
    assert code == 0, err
    assert f"{url}: 3 OK, 0 changed, 0 missing, 0 new, 0 unreadable (against legacy;" in out
    assert ".offload-legacy" not in out + err
    assert sorted(keys(s3_server.url, bucket)) == before
    for name in (".offload-legacy.mhl", ".offload-legacy-1.mhl"):
        body = client.get_object(Bucket=bucket, Key=f"day1/A001/{name}")["Body"].read()
        assert body == theirs


def test_a_legacy_only_copy_verifies_clean_against_its_ledger(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    # No ASC MHL history: the S3 ledger is the reference, and the legacy MHL the copy stored
    # at the copy root is ours, not a new object (before: NEW, exit 21).
    url = copied(s3_server, bucket, tmp_path, "--mhl", "legacy")
    legacy_key(s3_server.url, bucket)
    code, out, err = verify(tmp_path, s3_server.url, "--json", url)
    assert code == 0, out + err
    data = json.loads(out)
    assert data["reference"] == "ledger" and data["extra"] == []
    assert sorted(data["verified"]) == sorted(CARD)


def test_a_later_ascmhl_run_ignores_the_legacy_mhl_an_earlier_run_stored(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, judge
) -> None:
    """``--mhl legacy`` then ``--mhl ascmhl`` (nothing new): the generation the second run
    writes must ignore the legacy MHL object at the copy root, else the prefix downloaded
    fails ``ascmhl-debug verify`` (a new file, exit 21) and so does ``offload verify``."""
    url = copied(s3_server, bucket, tmp_path, "--mhl", "legacy")
    legacy_key(s3_server.url, bucket)
    card = tmp_path / "A001"
    code, _, err = offload(
        tmp_path, "--s3-endpoint", s3_server.url, str(card), f"s3://{bucket}/day1"
    )
    assert code == 0, err
    folder = download_prefix(s3_server.url, bucket, "day1/A001", tmp_path / "dl" / "A001")
    verdict = judge.verify(folder)
    assert verdict.clean, verdict.describe()
    code, out, err = verify(tmp_path, s3_server.url, url)
    assert code == 0 and " 0 new," in out, out + err


def test_a_legacy_entry_without_a_hash_at_a_folder_key_is_unverifiable_as_on_a_disk(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """A legacy MHL entry with no hash (``<null>``) for an object whose key is also a
    folder of recorded objects (``CLIPS`` beside ``CLIPS/A.mov``): checked for its size
    only, ``unverifiable`` (exit 22), as the same entry for a file on a disk; other bytes of
    another size there are CHANGED (size). Failed before: ``unreadable`` (exit 11), "its
    record holds no digest this check can recompute"."""
    import xxhash

    client = admin(s3_server.url)
    client.put_object(Bucket=bucket, Key="day1/A001/CLIPS", Body=b"0123456789")
    client.put_object(Bucket=bucket, Key="day1/A001/CLIPS/A.mov", Body=b"abc")
    mhl = tmp_path / "old.mhl"
    mhl.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<hashlist version="1.1"><creatorinfo><username>u</username><hostname>h</hostname>'
        "<tool>t</tool><startdate>2018-01-07T21:31:17Z</startdate>"
        "<finishdate>2018-01-07T21:31:52Z</finishdate></creatorinfo>"
        "<hash><file>CLIPS</file><size>10</size><null></null></hash>"
        f"<hash><file>CLIPS/A.mov</file><size>3</size>"
        f"<xxhash64be>{xxhash.xxh64(b'abc').hexdigest()}</xxhash64be></hash>"
        "</hashlist>"
    )
    url = f"s3://{bucket}/day1/A001"
    code, out, err = verify(tmp_path, s3_server.url, "--mhl-file", str(mhl), "--json", url)
    assert code == 22, out + err
    data = json.loads(out)
    assert data["unverifiable"] == ["CLIPS"] and data["unreadable"] == [], data
    assert data["verified"] == ["CLIPS/A.mov"] and data["reasons"] == {}, data

    client.put_object(Bucket=bucket, Key="day1/A001/CLIPS", Body=b"01234")
    code, out, err = verify(tmp_path, s3_server.url, "--mhl-file", str(mhl), "--json", url)
    assert code == 11, out + err
    data = json.loads(out)
    (changed,) = data["changed"]
    assert (changed["path"], changed["reason"], changed["actual_size"]) == ("CLIPS", "size", 5)
    assert data["unverifiable"] == [] and data["unreadable"] == [], data
