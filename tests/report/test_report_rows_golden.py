"""The JSON report's file entries and the CSV's rows of a tricky offload, byte for byte as
they were written before their building was rewritten for speed (2026-12-02: ``file_entry``
written out, the CSV's rows made a batch at a time): every state, action and cache bypass,
dates with and without fractions or none, digests read back, recorded or none, errors and
names with commas, quotes, a newline, accents and a byte that is not UTF-8, production
fields. The golden files were made by the code before the rewrite
(``tests/golden/reports_tricky``); the run's temporary folder is written ``TMP`` there."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from offload.card import offload
from offload.report import job_report
from offload.results import CacheBypass, CopyAction, DestinationStatus

GOLDEN = Path(__file__).parent.parent / "golden" / "reports_tricky"
NAMES = [
    "A/C0001.MP4",
    'A/with, comma and "quotes".MOV',
    "A/line\nbreak.txt",
    "B/été.wav",
    os.fsdecode(b"B/odd\xff.bin"),
    "B/empty.txt",
    "C/D/deep.R3D",
]
# (status, action, verified_at, verified_mode, error, cache bypass, recorded digests) a copy
COPIES = [
    (
        DestinationStatus.VERIFIED,
        CopyAction.COPIED,
        1_764_633_600.25,
        "full",
        None,
        CacheBypass.O_DIRECT,
        {},
    ),
    (
        DestinationStatus.VERIFIED_EARLIER,
        CopyAction.TRUSTED,
        1_700_000_000.0,
        "full",
        None,
        CacheBypass.NONE,
        {"xxh64": "0123456789abcdef"},
    ),
    (
        DestinationStatus.TRANSFER_CHECKED,
        CopyAction.COPIED,
        None,
        None,
        None,
        CacheBypass.NOT_READ,
        {},
    ),
    (
        DestinationStatus.FAILED,
        CopyAction.COPIED,
        None,
        None,
        'short write, "disk full"\nat 50 %',
        CacheBypass.NOT_READ,
        {},
    ),
    (DestinationStatus.CANCELLED, CopyAction.COPIED, None, None, None, CacheBypass.NOT_READ, {}),
    (
        DestinationStatus.VERIFIED_EARLIER,
        CopyAction.TRUSTED,
        1_600_000_000.999,
        "transfer",
        None,
        CacheBypass.FADVISE,
        {"xxh64": "fedcba9876543210", "md5": "00112233445566778899aabbccddeeff"},
    ),
    (
        DestinationStatus.VERIFIED,
        CopyAction.ADOPTED,
        1_764_633_601.0,
        "full",
        None,
        CacheBypass.DEVICE,
        {},
    ),
]


def tricky_report(tmp_path: Path) -> job_report.OffloadReport:
    """A real offload of a card with tricky names to two destinations, its results then set
    to every state (the copies are not what the results say: only the reports are read)."""
    card = tmp_path / "CARD"
    for n, name in enumerate(NAMES):
        path = card / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"" if "empty" in name else bytes(range(n + 1)) * 7)
    dests = [tmp_path / "d1", tmp_path / "d2"]
    for dest in dests:
        dest.mkdir()
    report = offload(card, dests)
    report.production.update({"production": "Film, the", "camera": 'A "cam"', "reel": "A001"})
    for n, file in enumerate(report.job.files):
        file.mtime_ns = 1_700_000_000_123_456_789 + n * 1_000_000_007
        # How the run re-read the card depends on its page cache (a page still dirty cannot
        # be dropped: read with O_DIRECT, else read ahead, fadvise): set, not left to timing.
        file.source_cache_bypass = CacheBypass.O_DIRECT
        if n == 2:
            file.source_error = "read error, twice"
            file.source_reread_digests = {"xxh64": "aaaaaaaaaaaaaaaa"}
            file.source_cache_bypass = CacheBypass.O_DIRECT
        for k, copy in enumerate(file.destinations):
            status, action, at, mode, error, bypass, recorded = COPIES[(n + 3 * k) % len(COPIES)]
            copy.status, copy.action, copy.verified_at = status, action, at
            copy.verified_mode, copy.error, copy.cache_bypass = mode, error, bypass
            copy.recorded_digests = dict(recorded)
            copy.copy_s, copy.verify_s = 0.1234567 * n, 1 / 3 * k
            copy.reread = n % 2 == 1
            if n == 4 and k == 1:
                copy.final_path += ".offload-keep-both-1"
    return report


def _masked(data: bytes, tmp_path: Path) -> bytes:
    return data.replace(os.fsencode(tmp_path), b"TMP")


@pytest.mark.parametrize("batch", [1, 3, 1000])
def test_file_entries_and_csv_rows_are_the_bytes_written_before(
    tmp_path: Path, batch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(job_report, "_BATCH", batch)
    report = tricky_report(tmp_path)
    files = b"".join(job_report.json_chunks({"files": job_report.FileEntries(report.job.files)}))
    table = b"".join(job_report.csv_chunks(report))
    if os.environ.get("OFFLOAD_WRITE_GOLDEN"):  # how the golden files were made (old code)
        (GOLDEN / "files.json").write_bytes(_masked(files, tmp_path))
        (GOLDEN / "report.csv").write_bytes(_masked(table, tmp_path))
    assert _masked(files, tmp_path) == (GOLDEN / "files.json").read_bytes()
    assert _masked(table, tmp_path) == (GOLDEN / "report.csv").read_bytes()
    # The entries the documents read (computed key by key) are the JSON's.
    for view, file in zip(report_files(report), report.job.files, strict=True):
        assert dict(view) == job_report.file_entry(file)
        assert {k: view.get(k) for k in view} == job_report.file_entry(file)
        assert view.get("no such key", 7) == 7 and view["path"] == file.relative_path
        entry = job_report.file_entry(file)
        for copy, whole in zip(view["destinations"], entry["destinations"], strict=True):
            assert dict(copy) == whole and list(copy) == list(whole)
            assert {k: copy.get(k) for k in whole} == {k: copy[k] for k in whole} == whole
            assert copy.get("no such key", 7) == 7


def report_files(report: job_report.OffloadReport) -> job_report.FileEntries:
    return job_report.FileEntries(report.job.files)
