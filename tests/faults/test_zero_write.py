"""A write that stores nothing and says no error (write(2) returns 0) fails the write of
offload-ai's own files on a copy root, never loops (review of statefold68, item 3).

Before: the run record's, the ledger's and the atomic files' (manifests, the stamp, the
reports) write loops asked again for ever on a 0, a run hung on a drive that answered so.

Real fault: a FaultyFS mount with FUSE ``direct_io``, whose write answers 0 bytes taken and
no error (``short_write(max_bytes=0)``): the kernel passes the 0 on as write(2)'s return
(without ``direct_io`` it makes it EIO, which every loop raised already). The FaultyFS
watchdog ends a loop that spins (every later call then fails ENOTCONN), so the unfixed code
fails these tests on the error's words and the rule's count, never hangs the run."""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from offload import run_record
from offload.fs.whole import NOTHING_WRITTEN
from offload.ledger import Ledger
from offload.manifest.atomic import AtomicFile
from support.cards import clips_card
from support.faultyfs import FaultyFS

pytestmark = pytest.mark.fault


def _copy_root(faulty_fs: Callable[..., FaultyFS]) -> tuple[FaultyFS, Path]:
    fs = faulty_fs(direct_io=True)
    root = fs.mountpoint / "copy"
    (root / ".offload").mkdir(parents=True)
    return fs, root


def _nothing_written(exc: BaseException | None) -> None:
    assert isinstance(exc, OSError), exc
    assert exc.errno == errno.ENOSPC, exc
    assert NOTHING_WRITTEN in str(exc), exc


def test_run_record_write_of_nothing_refuses_that_root(
    faulty_fs: Callable[..., FaultyFS],
) -> None:
    fs, root = _copy_root(faulty_fs)
    rule = fs.short_write(path="copy/.offload/.last-run.json.*", max_bytes=0)

    started = run_record.mark_started([root], "tok-1", time.time(), "/cards/A001")

    _nothing_written(started.refused.get(root))
    assert fs.fired(rule) == 1  # asked once, never again
    # Nothing left behind: no record, no temporary.
    assert sorted(os.listdir(root / ".offload")) == []


def test_ledger_append_of_nothing_raises(faulty_fs: Callable[..., FaultyFS]) -> None:
    fs, root = _copy_root(faulty_fs)
    rule = fs.short_write(path="copy/.offload/ledger.jsonl", max_bytes=0)
    ledger = Ledger(root)

    with pytest.raises(OSError) as caught:
        ledger._append_lines(['{"path": "A.mov"}'])

    _nothing_written(caught.value)
    assert fs.fired(rule) == 1
    assert (root / ".offload" / "ledger.jsonl").read_bytes() == b""


def test_atomic_file_write_of_nothing_raises(faulty_fs: Callable[..., FaultyFS]) -> None:
    fs, root = _copy_root(faulty_fs)
    rule = fs.short_write(path="copy/.offload/.stamp.json.*", max_bytes=0)

    with pytest.raises(OSError) as caught, AtomicFile(root / ".offload" / "stamp.json") as f:
        f.write_bytes(b"{}\n" * 100)
        f.commit(replace=True)

    _nothing_written(caught.value)
    assert fs.fired(rule) == 1
    assert not (root / ".offload" / "stamp.json").exists()


def test_start_record_write_of_nothing_is_its_warning_words(
    faulty_fs: Callable[..., FaultyFS],
) -> None:
    """The start record (``report/started.py``) in a report folder on such a drive: not
    written, why in words (the run's ``WARNING:`` line), nothing left in ``started/``.
    Before: its loop asked again for ever."""
    from offload.report.started import STARTED_FOLDER, start_record, write_start_record

    fs = faulty_fs(direct_io=True)
    reports = fs.mountpoint / "reports"
    reports.mkdir()
    rule = fs.short_write(path="reports/started/.*.partial", max_bytes=0)
    record = start_record(
        source="/cards/A001",
        destinations=["/RAID"],
        copy_roots=["/RAID/A001"],
        started=time.time(),
        run="tok-1",
        report="A001_2026-12-07_010203Z",
    )

    path, problem = write_start_record(reports, record)

    assert path is None
    assert problem.startswith(f"cannot write into {reports / STARTED_FOLDER}: "), problem
    assert NOTHING_WRITTEN in problem, problem
    assert fs.fired(rule) == 1
    assert os.listdir(reports / STARTED_FOLDER) == []


@pytest.mark.parametrize("size", [4_000, 3_000_000])  # one buffered call; the write loop
def test_a_clip_write_of_nothing_is_said_in_the_same_words(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], size: int
) -> None:
    """A clip's copy whose write stores nothing fails with the words of offload-ai's own
    files (ENOSPC, "the drive took none of the bytes written (it may be full)"). Failed
    before (review of statefold68, L3): EIO "write() wrote nothing", another wording for
    the same fault (``destinations/local.py``'s two write paths)."""
    from offload.card import offload

    card = clips_card(tmp_path / "cards", 1, size)
    fs = faulty_fs(direct_io=True)
    rule = fs.short_write(path="A001/CLIPS/*", max_bytes=0)

    report = offload(card, [fs.mountpoint])

    assert report.exit_code != 0
    assert fs.fired(rule) >= 1
    [file] = report.job.files
    error = file.destinations[0].error or ""
    assert NOTHING_WRITTEN in error, error
    assert "write() wrote nothing" not in error, error
