"""The report worker fed the JSON report's own text of the file entries (``job_report.
json_chunks`` → ``PendingDocuments.feed`` → ``DocumentWorker.feed``), a batch at a time as
the first JSON report is made, instead of the entries made whole and pickled by the command:
the JSON and CSV are the bytes written before (the tricky report's golden files, and the
bytes written without a worker), the worker's documents are the command's, a feed cut short
or a worker gone on the way costs nothing but the worker (the documents made in-process,
no note), and a card of more than 10,000 files gets a worker too."""

from __future__ import annotations

import json
import os
import re
import signal
import time
from pathlib import Path

import pytest

from offload.cli import offload as command
from offload.report import job_report
from offload.report import worker as worker_module
from offload.report.documents import PendingDocuments
from offload.report.worker import DocumentWorker, _kept
from report.test_report_rows_golden import GOLDEN, _masked, tricky_report

_FREE = re.compile(rb'"free_bytes(?:_after)?": \d+')
# When the documents were generated, how long probing took, a volume's free space.
_GENERATED = re.compile(
    rb"on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC|took \d+\.\d s|[\d.]+ [KMGT]?B of "
)


def _gone(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def _files_text(json_bytes: bytes) -> bytes:
    """The ``files`` list of a JSON report's bytes, as written (the golden file's form)."""
    start = json_bytes.index(b'"files": [') + len(b'"files": ')
    end = json_bytes.index(b'], "symlinks": ') + 1
    return b"{" + json_bytes[start - len(b'"files": ') : end] + b"}"


@pytest.mark.parametrize("batch", [1, 3, 1000])
def test_a_fed_worker_makes_the_documents_and_the_reports_are_the_bytes_without_one(
    tmp_path: Path, batch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tricky report (every state, verified-earlier and failed copies, a source error,
    names with commas, quotes, a newline, accents and a byte that is not UTF-8) written with
    a worker: its JSON and CSV are the bytes written without one and the golden ones; the
    worker made the documents (drawing here would fail: no note), the same HTML as made
    here; no file entry was made whole in the command. Failed before: ``file_entry`` made
    once a file for the worker, whose entries were pickled."""
    monkeypatch.setattr(job_report, "_BATCH", batch)
    report = tricky_report(tmp_path)
    made: list[object] = []
    entry = job_report.file_entry
    monkeypatch.setattr(job_report, "file_entry", lambda f: made.append(f) or entry(f))

    def not_here(*_args: object) -> None:
        raise AssertionError("documents drawn in the command")

    worker = DocumentWorker.start()
    assert worker is not None
    pid = worker.pid
    assert pid is not None
    with monkeypatch.context() as patched:
        patched.setattr("offload.report.documents.render", not_here)
        fed = job_report.write_reports(report, tmp_path / "fed", worker=worker)
        fed.finish_documents()
    assert fed.document_errors == [] and fed.local_error is None
    assert made == []
    assert _gone(pid)
    alone = job_report.write_reports(report, tmp_path / "alone")
    assert alone.document_errors == []
    ((fed_json, fed_csv, fed_html), (alone_json, alone_csv, alone_html)) = [
        [next(folder.glob(f"*.{kind}")).read_bytes() for kind in ("json", "csv", "html")]
        for folder in (tmp_path / "fed", tmp_path / "alone")
    ]
    # The free space of each volume is asked as each report is made: not the same twice.
    assert _FREE.sub(b"", fed_json) == _FREE.sub(b"", alone_json) and fed_csv == alone_csv
    golden_files = (GOLDEN / "files.json").read_bytes()
    assert _masked(_files_text(fed_json), tmp_path) == golden_files
    assert _masked(fed_csv, tmp_path) == (GOLDEN / "report.csv").read_bytes()
    assert _GENERATED.sub(b"", fed_html) == _GENERATED.sub(b"", alone_html)
    # The destinations' reports are the local one's (each written once and copied).
    for destination in (tmp_path / "d1", tmp_path / "d2"):
        written = sorted((destination / "CARD" / ".offload" / "reports").glob("*.json"))
        assert written[0].read_bytes() == fed_json


def test_the_worker_keeps_of_each_entry_what_the_documents_read() -> None:
    """The worker's parsed entries keep the keys the documents read alone (the card file's
    dates and re-read digests, a copy's read-back digests, times and re-read flag were
    kept before), those equal to the JSON's, their repeated values one object and their
    empty digests the read-only ``NO_DIGESTS``."""
    files = json.loads((GOLDEN / "files.json").read_bytes())["files"]
    kept = _kept(json.loads(json.dumps(files)), {})
    assert len(kept) == len(files)
    for slim, whole in zip(kept, files, strict=True):
        assert list(slim) == [k for k in whole if k in worker_module._FILE_READ]
        assert slim == {k: whole[k] for k in slim} | {"destinations": slim["destinations"]}
        for copy, full in zip(slim["destinations"], whole["destinations"], strict=True):
            assert copy == {k: full[k] for k in full if k in worker_module._COPY_READ}
            assert "readback_digests" not in copy and "copy_s" not in copy
        assert "mtime_ns" not in slim and "source_reread_digests" not in slim
    statuses = {
        id(c["status"]) for e in kept for c in e["destinations"] if c["status"] == "verified"
    }
    assert len(statuses) == 1


def test_the_documents_of_the_kept_entries_are_those_of_the_whole_ones(tmp_path: Path) -> None:
    """The HTML made from the entries as the worker keeps them is the one made from the
    whole entries (the tricky report: every state, verified earlier, trusted transfer
    checks, failed and cancelled copies, a source error, a copy kept beside another)."""
    from offload.report.documents import DocumentOptions, render_documents

    report = tricky_report(tmp_path)
    whole = job_report.job_report_dict(report, exit_code=1)
    slim = {**whole, "files": _kept(json.loads(json.dumps(whole["files"])), {})}
    options = DocumentOptions(paper="a4")
    html_whole, _ = render_documents(whole, options)
    html_slim, pdf_slim = render_documents(slim, options)
    assert _GENERATED.sub(b"", html_slim) == _GENERATED.sub(b"", html_whole)
    assert pdf_slim().startswith(b"%PDF")


def test_the_worker_keeps_a_card_re_read_through_a_cache(tmp_path: Path) -> None:
    """A card file whose full-mode re-read went through a cache (``source_cache_bypass``
    ``none`` or ``server``) keeps that key in the worker, so its documents name it as the
    command's do (the worker dropped the key: its HTML said nothing of it, failed before);
    a re-read from the media (``o_direct``) is not kept."""
    from offload.report.documents import DocumentOptions, render_documents

    report = tricky_report(tmp_path)
    whole = job_report.job_report_dict(report, exit_code=1)
    whole["files"][0]["source_cache_bypass"] = "none"
    whole["files"][1]["source_cache_bypass"] = "server"
    kept = _kept(json.loads(json.dumps(whole["files"])), {})
    assert [e.get("source_cache_bypass") for e in kept[:2]] == ["none", "server"]
    assert all("source_cache_bypass" not in e for e in kept[2:])
    slim = {**whole, "files": kept}
    options = DocumentOptions(paper="a4")
    html_whole, _ = render_documents(whole, options)
    html_slim, _ = render_documents(slim, options)
    assert _GENERATED.sub(b"", html_slim) == _GENERATED.sub(b"", html_whole)
    assert b"CARD RE-READ THROUGH A CACHE" in html_whole


def _fed_pending(
    report: job_report.OffloadReport, worker: DocumentWorker
) -> tuple[PendingDocuments, list[bytes]]:
    """A worker submitted the report with its entries to follow, and the batches' text."""
    data = job_report.report_data(report, exit_code=0)
    pending = PendingDocuments(data, worker=worker, entries_follow=True)
    pieces: list[bytes] = []

    class Keep:
        def feed(self, entries: bytes | memoryview) -> bool:
            pieces.append(bytes(entries))
            return True

        def fed(self) -> None:
            pass

    b"".join(job_report.json_chunks(data, Keep()))
    return pending, pieces


@pytest.mark.parametrize("how", ["cut short", "fewer than said", "worker killed"])
def test_a_feed_that_does_not_end_whole_costs_the_worker_alone(
    tmp_path: Path, how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first JSON report whose making stops part-way (its folder refused a write: the
    rest of the entries never sent), entries fewer than the worker was told, or a worker
    killed while it is fed: the documents are made here, without a note and without waiting
    for the worker's patience, and the worker is reaped."""
    monkeypatch.setattr(job_report, "_BATCH", 2)
    report = tricky_report(tmp_path)
    worker = DocumentWorker.start()
    assert worker is not None
    pid = worker.pid
    assert pid is not None
    pending, pieces = _fed_pending(report, worker)
    assert len(pieces) == 4  # 7 files, 2 a batch
    if how == "worker killed":
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.2)
        sent = [pending.feed(b", ".join([piece] * 200)) for piece in pieces] * 20
        assert sent[-1] is False
    else:
        assert pending.feed(pieces[0])
        if how == "fewer than said":
            pending.fed()
    monkeypatch.setattr(worker_module, "PATIENCE_S", 30.0)
    json_path = tmp_path / "CARD.json"
    started = time.monotonic()
    assert pending.finish([json_path]) == []
    assert time.monotonic() - started < 20
    assert b"</html>" in json_path.with_suffix(".html").read_bytes()
    assert json_path.with_suffix(".pdf").read_bytes().startswith(b"%PDF-")
    assert _gone(pid)


def test_a_card_up_to_the_limit_gets_a_worker_and_one_past_it_none() -> None:
    """A card of ``MAX_WORKER_FILES`` files has its documents made by the worker; one of
    more has them made in the command (the worker's memory, ~1.2 KB a file, would be on top
    of the command's), and the spare worker the entry point started is closed and reaped."""
    worker = command._report_worker(command.MAX_WORKER_FILES, None)
    try:
        assert worker is not None
    finally:
        if worker is not None:
            worker.close()
    spare = DocumentWorker.start()
    assert spare is not None
    assert command._report_worker(command.MAX_WORKER_FILES + 1, spare) is None
    assert spare.pid is None  # closed and reaped
