"""The JSON and CSV reports are streamed (a batch of files at a time) and copied from the
first file written; they must be byte for byte what the whole-report functions make, and
the HTML/PDF's per-file views must read as the JSON's entries."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from offload.card import offload
from offload.report import job_report
from offload.results import NO_DIGESTS, DestinationFileResult, DestinationStatus, FileResult
from support.faultyfs import FaultyFS

# A name that is not UTF-8 (a surrogate escape in Python), written as \udcXX / \xNN.
ODD_NAME = os.fsdecode(b"odd\xff.txt")


@pytest.fixture
def report(tmp_path: Path) -> job_report.OffloadReport:
    card = tmp_path / "CARD"
    (card / "A").mkdir(parents=True)
    for n in range(5):
        (card / "A" / f"C{n}.MP4").write_bytes(os.urandom(100 + n))
    (card / "A" / ODD_NAME).write_bytes(b"x")
    dests = [tmp_path / "d1", tmp_path / "d2"]
    for dest in dests:
        dest.mkdir()
    done = offload(card, dests)
    assert done.exit_code == 0
    # One failed copy, with a message that is not ASCII.
    failed = done.job.files[0].destinations[1]
    failed.status, failed.error = DestinationStatus.FAILED, "écrit à moitié"
    return done


@pytest.mark.parametrize("batch", [1, 2, 1000])
def test_streamed_json_and_csv_are_the_whole_reports_bytes(
    report: job_report.OffloadReport, batch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(job_report, "_BATCH", batch)
    data = job_report.report_data(report, hostname="host", exit_code=1)
    whole = {**data, "files": [job_report.file_entry(f) for f in report.job.files]}
    streamed = b"".join(job_report.json_chunks(data))
    assert streamed == job_report.json_bytes(whole)
    assert json.loads(streamed)["files"][0]["destinations"][1]["error"] == "écrit à moitié"
    assert b"odd\\udcff.txt" in streamed
    table = b"".join(job_report.csv_chunks(report))
    assert table.decode("utf-8") == job_report.csv_text(report).replace("\udcff", "\\xff")
    assert table.count(b"\n") == 1 + 2 * len(report.job.files)


def test_empty_and_fileless_reports_stream_as_json_does() -> None:
    assert b"".join(job_report.json_chunks({})) == b"{}"
    files = job_report.FileEntries([])
    assert b"".join(job_report.json_chunks({"a": 1, "files": files})) == b'{"a": 1, "files": []}'


def test_file_views_read_as_the_json_entries(report: job_report.OffloadReport) -> None:
    entries = job_report.report_data(report)["files"]
    assert len(entries) == len(report.job.files)
    for view, file in zip(entries, report.job.files, strict=True):
        assert dict(view) == job_report.file_entry(file)
        assert view.get("no such key") is None
    assert [dict(v) for v in entries[1:3]] == [dict(v) for v in list(entries)[1:3]]
    # job_report_dict still holds plain dicts (its callers and `offload report` read those).
    assert job_report.job_report_dict(report)["files"] == [dict(v) for v in entries]


def test_reports_written_into_several_folders_are_identical(
    report: job_report.OffloadReport, tmp_path: Path
) -> None:
    written = job_report.write_reports(report, tmp_path / "local")
    assert len(written.paths) == 3  # local + both destinations
    jsons = [Path(p).read_bytes() for p in written.paths]
    csvs = [Path(p).with_suffix(".csv").read_bytes() for p in written.paths]
    assert jsons[0] == jsons[1] == jsons[2] and csvs[0] == csvs[1] == csvs[2]
    assert json.loads(jsons[0])["exit_code"] == written.exit_code
    assert len(json.loads(jsons[0])["files"]) == len(report.job.files)


def test_results_share_one_read_only_empty_digests() -> None:
    file = FileResult("a", 1, 0)
    copy = DestinationFileResult(0, "/d/a", DestinationStatus.TRANSFER_CHECKED)
    assert file.inflight_digests is NO_DIGESTS and copy.recorded_digests is NO_DIGESTS
    assert json.dumps(copy.digests) == "{}" and copy.digests == {}
    with pytest.raises(TypeError):
        copy.digests["xxh64"] = "0" * 16
    with pytest.raises(TypeError):
        file.inflight_digests.update(xxh64="0" * 16)
    copy.digests = {"xxh64": "0" * 16}  # a result gets its own dict by assignment
    assert NO_DIGESTS == {}


@pytest.mark.parametrize("damage", ["truncated", "rewritten", "gone"])
def test_a_first_report_changed_since_is_not_copied(tmp_path: Path, damage: str) -> None:
    """The other folders' reports are copies of the first one written, which sits on a
    destination: if it changed (a sync tool, a user, a drive returning short data) or is
    gone, its bytes are made again rather than copied (before: a truncated first file gave a
    truncated report under the second final name)."""
    pieces = [b'{"exit_code": 0, ', b'"files": [' + b"1, " * 5000 + b"2]}"]
    streamed = job_report.StreamedFile(lambda code: iter(pieces))
    first, second = tmp_path / "a" / "r.json", tmp_path / "b" / "r.json"
    first.parent.mkdir()
    second.parent.mkdir()
    streamed.write(first, 0, replace=False)
    whole = b"".join(pieces)
    assert first.read_bytes() == whole
    if damage == "truncated":
        os.truncate(first, 10)
    elif damage == "rewritten":
        first.write_bytes(whole.replace(b"2]", b"3]"))
    else:
        first.unlink()
    streamed.write(second, 0, replace=False)
    assert second.read_bytes() == whole
    assert streamed.content(0) == whole
    assert sorted(p.name for p in second.parent.iterdir()) == ["r.json"]  # no temporary left


@pytest.mark.parametrize(
    "timestamp",
    [0.0, 0.999999, 1.0, 1796173831.461, 1796173831.0, -0.5, -1.0, -86400.25, 4102444799.9],
)
def test_report_dates_are_each_seconds_gmtime(timestamp: float) -> None:
    # iso_date formats a second once (cached): the same text as gmtime of the float, which
    # takes its floor (so -0.5 is 1969-12-31T23:59:59Z, as before the cache).
    expected = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))
    assert job_report.iso_date(timestamp) == expected
    assert job_report.iso_date(timestamp) == expected  # from the cache
    assert job_report.iso_date(None) is None


def test_a_pair_whose_name_another_report_holds_takes_the_next_and_leaves_no_temporary(
    tmp_path: Path,
) -> None:
    """A JSON of that name already there (another run's, the same second) sends both to
    ``_2``; a CSV of that name there (the JSON's name free) refuses the folder and takes the
    JSON published meanwhile back. Nothing is replaced, no temporary stays."""
    data = job_report.StreamedFile(lambda code: [b'{"exit_code": %d}\n' % code])
    table = job_report.StreamedFile(lambda _code: [b"path,size\n"])
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "R.json").write_bytes(b"another run's")
    written = job_report._write_pair(folder, "R", data, table, 3)
    assert written == folder / "R_2.json"
    assert written.read_bytes() == b'{"exit_code": 3}\n'
    assert (folder / "R_2.csv").read_bytes() == b"path,size\n"
    assert (folder / "R.json").read_bytes() == b"another run's"
    assert sorted(p.name for p in folder.iterdir()) == ["R.json", "R_2.csv", "R_2.json"]

    other = tmp_path / "other"
    other.mkdir()
    (other / "R.csv").write_bytes(b"another run's")
    with pytest.raises(FileExistsError):
        job_report._write_pair(other, "R", data, table, 3)
    assert sorted(p.name for p in other.iterdir()) == ["R.csv"]
    assert (other / "R.csv").read_bytes() == b"another run's"


def test_a_pairs_temporaries_are_both_written_before_either_is_fsynced(
    faulty_fs: Callable[..., FaultyFS],
) -> None:
    """The JSON and the CSV are written under their temporary names (and handed to the
    kernel's writeback) before the first fsync, so the JSON's bytes are written back while
    the CSV is made; then each is fsynced before its rename, both before the folder's
    fsync (before, the JSON was fsynced and renamed before the CSV was made). Seen on a
    real FUSE filesystem's log of what the kernel asked of it."""
    fs = faulty_fs()
    folder = fs.mountpoint / "reports"
    folder.mkdir()
    data = job_report.StreamedFile(lambda code: [b'{"exit_code": %d}\n' % code])
    table = job_report.StreamedFile(lambda _code: [b"path,size\n"])
    fs.oplog(clear=True)
    written = job_report._write_pair(folder, "R", data, table, 3)
    assert written == folder / "R.json"
    ops = [
        (r.op, "json" if ".json" in r.path else "csv" if ".csv" in r.path else r.path)
        for r in fs.oplog()
        if r.op in ("write", "fsync", "rename", "fsyncdir")
    ]
    first_fsync = ops.index(("fsync", "json"))
    assert ("write", "csv") in ops[:first_fsync], ops
    assert ops.index(("fsync", "csv")) < ops.index(("rename", "csv")), ops
    assert ops.index(("rename", "csv")) < max(
        i for i, (op, _) in enumerate(ops) if op == "fsyncdir"
    ), ops
    assert written.read_bytes() == b'{"exit_code": 3}\n'
    assert (folder / "R.csv").read_bytes() == b"path,size\n"
    assert sorted(p.name for p in folder.iterdir()) == ["R.csv", "R.json"]
