"""The dates ``offload verify --append s3://...`` records in its generation are the card's, as
the copy's own generation recorded them: a file's from its object's ``mtime`` metadata, an
empty object's too where the service answers its GET with 416 (``support.s3server`` mode
``empty-416``), and a folder's from what the history recorded for it, never the time the
check's local view was made."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from s3.conftest import S3Server, admin, serving
from s3.test_s3_cli import keys, offload
from s3.test_s3_verify import verify

OLD = 1_500_000_000  # 2017-07-14T02:40:00Z
OLDER = 1_400_000_000  # 2014-05-13T16:53:20Z


@pytest.fixture(scope="module")
def empty_416() -> Iterator[S3Server]:
    yield from serving("empty-416")


def _card(tmp: Path) -> Path:
    """A card with an empty file and two folders, files dated OLD, folders OLDER."""
    card = tmp / "A001"
    (card / "CLIPS" / "SUB").mkdir(parents=True)
    (card / "CLIPS" / "A001C001.mov").write_bytes(os.urandom(70_000))
    (card / "CLIPS" / "SUB" / "A001C002.mov").write_bytes(os.urandom(1_000))
    (card / "CLIPS" / "EMPTY.txt").write_bytes(b"")
    (card / "A001.xml").write_bytes(b"<clip/>\n")
    for path in card.rglob("*"):
        if path.is_file():
            os.utime(path, (OLD, OLD))
    for folder in (card / "CLIPS" / "SUB", card / "CLIPS"):
        os.utime(folder, (OLDER, OLDER))
    return card


def _dates(endpoint: str, bucket: str, generation: str) -> dict[str, str]:
    (key,) = [
        k for k in keys(endpoint, bucket) if k.startswith("day1/A001/ascmhl/") and generation in k
    ]
    text = admin(endpoint).get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    return {p: d for d, p in re.findall(r'lastmodificationdate="([^"]+)">([^<]+)<', text)}


def _copied_and_appended(server: S3Server, tmp: Path) -> tuple[dict[str, str], dict[str, str]]:
    bucket = f"t-{os.urandom(6).hex()}"
    admin(server.url).create_bucket(Bucket=bucket)
    card = _card(tmp)
    url = f"s3://{bucket}/day1"
    code, _, err = offload(tmp, "--s3-endpoint", server.url, str(card), url)
    assert code == 0, err
    code, out, err = verify(tmp, server.url, "--append", f"{url}/A001")
    assert code == 0, out + err
    return _dates(server.url, bucket, "/0001_"), _dates(server.url, bucket, "/0002_")


def test_an_empty_object_answered_416_is_dated_by_its_metadata(empty_416, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The service answers the GET of the empty object 416: its read is empty, and its
    ``mtime`` metadata (asked by a HEAD, the GET carrying none) dates it. Failed before: the
    416 read as empty with no metadata, so the file was dated by its object's upload time."""
    first, appended = _copied_and_appended(empty_416, tmp_path)
    assert first["CLIPS/EMPTY.txt"].startswith("2017-07-14T02:40:00"), first
    for path in ("CLIPS/EMPTY.txt", "CLIPS/A001C001.mov", "A001.xml"):
        assert appended[path].startswith("2017-07-14T02:40:00"), (path, appended)


def test_an_empty_object_answered_416_reads_empty(empty_416) -> None:  # type: ignore[no-untyped-def]
    """Read by key (``read_back``: the verify's read, the existing-copies check's) and whole
    (``get_small``: records, ledger pieces): an empty object the service answers 416 is read
    as empty, with the ETag and metadata of its HEAD; an object with bytes is read as ever.
    Failed before: ``get_small`` raised "cannot read", ``read_back`` noted no metadata."""
    from s3.conftest import destination

    bucket = f"t-{os.urandom(6).hex()}"
    client = admin(empty_416.url)
    client.create_bucket(Bucket=bucket)
    client.put_object(Bucket=bucket, Key="cards/empty", Body=b"", Metadata={"mtime": "1500000000"})
    client.put_object(Bucket=bucket, Key="cards/full", Body=b"abc")
    store = destination(empty_416.url, bucket)
    try:
        assert store.get_small("cards/empty") == b""
        assert store.get_small("cards/full") == b"abc"
        metadata: dict[str, dict[str, str]] = {}
        etags: dict[str, str] = {}
        digests, size = store.read_back("cards/empty", ["md5"], etags=etags, metadata=metadata)
        assert (digests["md5"], size) == ("d41d8cd98f00b204e9800998ecf8427e", 0)
        assert metadata["cards/empty"] == {"mtime": "1500000000"}
        assert etags["cards/empty"] == client.head_object(Bucket=bucket, Key="cards/empty")["ETag"]
    finally:
        store.close()


def test_appended_folders_keep_the_dates_the_history_recorded(s3_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A folder of the appended generation is dated as the copy's generation dated it (the
    card folder's time), not by when the check made its local view of the bucket. Failed
    before: CLIPS and CLIPS/SUB were dated now."""
    first, appended = _copied_and_appended(s3_server, tmp_path)
    for folder in ("CLIPS", "CLIPS/SUB"):
        assert first[folder].startswith("2014-05-13T16:53:20"), first
        assert appended[folder] == first[folder], (folder, appended)


def test_folder_dates_read_from_a_history(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``History.folder_dates``: each folder's newest record that has a date, at the folder's
    current name; a record without a date, with no time zone or no valid time, dates
    nothing (an appended generation then records the folder undated, never dated now)."""
    from offload.manifest.history import _date_ns

    assert _date_ns("2014-05-13T16:53:20Z") == OLDER * 1_000_000_000
    assert _date_ns("2014-05-13T16:53:20+00:00") == OLDER * 1_000_000_000
    assert _date_ns("2014-05-13T18:53:20.5+02:00") == OLDER * 1_000_000_000 + 500_000_000
    assert _date_ns("1969-12-31T23:59:59.5Z") == -500_000_000
    for bad in (None, "", "2014-05-13T16:53:20", "yesterday", "2014-13-40T00:00:00Z"):
        assert _date_ns(bad) is None, bad


def test_a_cascaded_buckets_folders_keep_the_card_times_taken_before_its_release(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """``--cascade``: the bucket's manifest is written after the card's release, from the
    folder times taken before it (as a cascaded drive's folders get them): a card folder
    touched once the card is released does not change what the bucket's generation
    records."""
    from offload.card import OffloadOptions, plan_offload, run_offload
    from offload.destinations.s3config import S3Settings
    from offload.events import CardReleased, Event

    card = _card(tmp_path)
    raid = tmp_path / "RAID"
    raid.mkdir()

    class TouchTheCardAtRelease:
        def emit(self, event: Event) -> None:
            if isinstance(event, CardReleased):
                os.utime(card / "CLIPS", (OLD, OLD))

    settings = S3Settings(endpoint_url=s3_server.url, region="us-east-1", max_attempts=3)
    options = OffloadOptions(cascade=frozenset({1}), s3=settings)
    plan = plan_offload(card, [raid, f"s3://{bucket}/day1"], options)
    assert run_offload(plan, sink=TouchTheCardAtRelease()).exit_code == 0
    dates = _dates(s3_server.url, bucket, "/0001_")
    for folder in ("CLIPS", "CLIPS/SUB"):
        assert dates[folder].startswith("2014-05-13T16:53:20"), (folder, dates)
