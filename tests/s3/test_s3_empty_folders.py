"""A card's empty folders on an S3 destination: an object store holds objects, not folders.

The manifest stored under the prefix lists only the folders that hold an object it lists, so
the prefix downloaded (plain boto3, as a DIT would) passes the reference tool's ``verify``
and ``verify -dh``; each empty folder is named before the copy (a ``folder-not-kept``
warning in the JSON report, per S3 destination and folder); and ``offload verify s3://``
says what the reference tool says of the downloaded prefix, also for a history that
records a folder the bucket does not hold (exit 10, the folder missing)."""

from __future__ import annotations

import json
from pathlib import Path

from s3.conftest import admin
from s3.test_s3_cli import offload
from s3.test_s3_verify import download_prefix, verify


def make_card(tmp: Path) -> Path:
    card = tmp / "C001"
    (card / "CLIP").mkdir(parents=True)
    (card / "CLIP" / "a.mov").write_bytes(b"a" * 1000)
    (card / "CLIP" / "empty").mkdir()  # empty, in a folder that holds a file
    (card / "EMPTY" / "nested").mkdir(parents=True)  # empty all the way down
    return card


def test_empty_folders_are_named_not_listed_and_the_download_passes_ascmhl(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, judge
) -> None:
    card = make_card(tmp_path)
    local = tmp_path / "local"
    local.mkdir()
    code, _, copy_err = offload(
        tmp_path, "--s3-endpoint", s3_server.url, str(card), str(local), f"s3://{bucket}/r3"
    )
    assert code == 0, copy_err
    url = f"s3://{bucket}/r3/C001"
    # The manifest stored lists no folder the bucket cannot give back.
    code, out, err = verify(tmp_path, s3_server.url, url)
    assert code == 0, err
    assert f"{url}: 1 OK, 0 changed, 0 missing, 0 new" in out
    downloaded = download_prefix(s3_server.url, bucket, "r3/C001", tmp_path / "dl" / "C001")
    assert not (downloaded / "EMPTY").exists()
    for result in (judge.verify(downloaded), judge.verify(downloaded, directory_hashes=True)):
        assert result.clean, result.describe()

    # Each empty folder is named (terminal, JSON report), on the S3 destination only.
    for folder in ("CLIP/empty", "EMPTY", "EMPTY/nested"):
        warning = f"WARNING: {url}/{folder}: an empty folder of the card is not kept there"
        assert warning in copy_err
    assert "local/C001/CLIP/empty" not in copy_err  # a folder keeps its empty folders
    (report,) = (tmp_path / "reports").glob("C001_*.json")
    warned = json.loads(report.read_text())["warnings"]
    assert sorted(w["path"] for w in warned if w["code"] == "folder-not-kept") == [
        f"{url}/CLIP/empty",
        f"{url}/EMPTY",
        f"{url}/EMPTY/nested",
    ]
    assert (local / "C001" / "EMPTY" / "nested").is_dir()
    for result in (
        judge.verify(local / "C001"),
        judge.verify(local / "C001", directory_hashes=True),
    ):
        assert result.clean, result.describe()


def test_a_history_recording_a_folder_the_bucket_lacks_fails_as_the_download_does(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, judge
) -> None:
    # A copy root made on a disk (its history lists CLIP/empty), put in the bucket by a
    # plain client: the bucket holds no folder, so the history's CLIP/empty is missing.
    card = make_card(tmp_path)
    disk = tmp_path / "disk"
    disk.mkdir()
    code, _, err = offload(tmp_path, str(card), str(disk))
    assert code == 0, err
    client = admin(s3_server.url)
    for path in sorted((disk / "C001").rglob("*")):
        relative = path.relative_to(disk / "C001").as_posix()
        if path.is_file() and not relative.startswith(".offload/"):
            client.upload_file(str(path), bucket, f"up/C001/{relative}")
    code, out, err = verify(tmp_path, s3_server.url, "--json", f"s3://{bucket}/up/C001")
    assert code == 10, err
    data = json.loads(out)
    # Folders, not files: in missing_folders, never counted among the missing files.
    assert data["missing"] == [] and data["totals"]["missing"] == 0
    assert data["missing_folders"] == ["CLIP/empty", "EMPTY", "EMPTY/nested"]
    assert data["verified"] == ["CLIP/a.mov"]
    downloaded = download_prefix(s3_server.url, bucket, "up/C001", tmp_path / "dl" / "C001")
    judged = judge.verify(downloaded)
    assert judged.returncode == 10, judged.describe()
    for folder in ("CLIP/empty", "EMPTY", "EMPTY/nested"):
        assert f"  {folder}\n" in judged.stderr, judged.describe()
