"""A Ctrl-C while ``offload verify`` of a local copy checks the files no XML manifest can hold
against the copy root's ledger (``verification.unheld_by_ledger``, after the ASC MHL check):
a real ``offload`` process on a real FUSE mount (FaultyFS holding the unheld file's open or
read), a real SIGINT. What the history check proved stands, and so does the ``--append``
generation it wrote."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from support.faultyfs import FaultyFS, signal_at_stalls
from support.offload_cli import copy_quietly

OFFLOAD = str(Path(sys.executable).with_name("offload"))
ODD = "CLIPS/C002\x01take.mov"  # no XML manifest can hold it: checked against the ledger


def copied_onto(fs: FaultyFS, tmp_path: Path) -> tuple[Path, Path]:
    """A card ``A001`` (``CLIPS/C001.mov`` and :data:`ODD`) in *tmp_path*, copied by a real
    ``offload copy --quiet`` (a child process, ``copy_quietly``) onto *fs*'s mount: the copy
    root it made there and the report folder it used (*tmp_path*/reports). A copy that
    fails fails the test."""
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "C001.mov").write_bytes(os.urandom(40_000))
    (card / ODD).write_bytes(os.urandom(30_000))
    reports = tmp_path / "reports"
    copied = copy_quietly(card, fs.mountpoint, reports)
    assert copied.returncode == 0, copied.stderr
    return fs.mountpoint / "A001", reports


def verify(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """``offload verify *args*`` in a child process, its output captured (120 s at most)."""
    return subprocess.run(
        [OFFLOAD, "verify", *map(str, args)], capture_output=True, text=True, timeout=120
    )


def checked_under(fs: FaultyFS, rule: str, reports: Path, root: Path, exit_code: int) -> Any:
    """``offload verify --json`` of *root* while *fs*'s fault *rule* is armed: its JSON
    document, the fault checked to have fired and the run to have exited *exit_code*."""
    checked = verify("--json", "--report-dir", reports, root)
    assert fs.fired(rule) >= 1
    assert checked.returncode == exit_code, checked.stderr
    return json.loads(checked.stdout)


def appending_verify_stopped_at(fs: FaultyFS, held: str, reports: Path, root: Path) -> str:
    """``offload verify --json --append`` of *root* in a child process, sent SIGINT once
    *fs* holds it at the stall *held*: its stdout (the JSON), its exit code checked (130)."""
    process = subprocess.Popen(
        [OFFLOAD, "verify", "--json", "--append", "--report-dir", str(reports), str(root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        signal_at_stalls(fs, process, (held, [signal.SIGINT]))
        out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, err
    return out


@pytest.mark.fault
def test_a_cancel_in_the_ledger_phase_keeps_what_the_history_check_proved(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """SIGINT while the unheld file is opened for its read against the ledger, the history
    check over (its file read and matched, ``--append``'s generation written): exit 130,
    ``C001.mov`` still verified, the generation named, the unheld file not claimed verified.
    Failed before: ``verified: []`` and ``generation: null`` though the generation was on
    the media."""
    fs = faulty_fs()
    root, reports = copied_onto(fs, tmp_path)
    generations = len(list((root / "ascmhl").glob("*.mhl")))
    # Its first open: never read for the history's check or the generation (no XML
    # manifest can hold it). The ledger is not opened again there: the check's own parse
    # (own_record, before the reads) is reused while the file is unchanged (verify_reads).
    held = fs.stall("open", path="A001/CLIPS/C002*", nth=1)
    out = appending_verify_stopped_at(fs, held, reports, root)
    assert fs.fired(held) == 1
    document = json.loads(out)
    assert document["exit_code"] == 130 and not document["passed"], document
    assert document["verified"] == ["CLIPS/C001.mov"], document
    assert ODD not in document["verified"] and ODD not in document["ledger_checked"], document
    written = sorted((root / "ascmhl").glob("*.mhl"))
    assert len(written) == generations + 1, written
    assert document["generation"] == str(written[-1]), document


@pytest.mark.fault
def test_an_unheld_copy_the_disk_fails_to_read_is_named_with_its_error(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """EIO on every read of the copy whose name no manifest can hold: UNREADABLE (exit 11),
    its reason saying both the error (what to do) and that it was checked against the
    ledger. Failed before: the ledger's reason took the slot and the errno words were
    dropped (``_read_errors_named`` skipped a path with a reason)."""
    fs = faulty_fs(direct_io=True)
    root, reports = copied_onto(fs, tmp_path)
    rule = fs.fail("read", errno.EIO, path="A001/CLIPS/C002*")
    document = checked_under(fs, rule, reports, root, 11)
    assert document["unreadable"] == [ODD] and document["ledger_checked"] == [ODD], document
    reason = document["reasons"][ODD]
    assert "EIO" in reason["text"] or "Input/output error" in reason["text"], reason
    assert "checked against this copy root's ledger" in reason["text"], reason
    said = verify("--report-dir", reports, root)
    (line,) = [x for x in said.stderr.splitlines() if x.startswith("ERROR: UNREADABLE")]
    assert "checked against this copy root's ledger" in line and "C002\\x01take.mov" in line
    assert reason["text"] in line, line


@pytest.mark.fault
def test_a_ledger_that_cannot_be_read_is_said_not_taken_for_no_record(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """EIO on every open of the copy root's ledger: the unheld file stays new (exit 21, not
    read) and a note names the ledger and its error. Failed before: nothing said why it was
    not checked, as if the ledger recorded nothing."""
    fs = faulty_fs()
    root, reports = copied_onto(fs, tmp_path)
    rule = fs.fail("open", errno.EIO, path="A001/.offload/ledger.jsonl")
    document = checked_under(fs, rule, reports, root, 21)
    assert document["extra"] == [ODD] and document["ledger_checked"] == [], document
    (note,) = [n for n in document["notes"] if "ledger.jsonl could not be read" in n]
    assert str(root / ".offload" / "ledger.jsonl") in note and "EIO" in note, note
    assert "1 file whose name no XML manifest can hold stays new" in note, note


@pytest.mark.fault
def test_append_reads_an_unheld_copy_once(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """``offload verify --append``: the copy whose name no manifest can hold is opened for
    reading once (against the ledger), not also for a generation that never lists it; the
    generation is written and the copy verified. Failed before: opened twice."""
    fs = faulty_fs(direct_io=True)
    root, reports = copied_onto(fs, tmp_path)
    fs.oplog(clear=True)
    checked = verify("--json", "--append", "--report-dir", reports, root)
    assert checked.returncode == 0, checked.stderr
    document = json.loads(checked.stdout)
    assert ODD in document["verified"] and document["generation"], document
    opened = [r for r in fs.oplog() if r.op == "open" and r.path.endswith("take.mov")]
    assert len(opened) == 1, opened


@pytest.mark.fault
def test_a_cancel_while_an_unheld_copy_is_read_keeps_the_generation(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """SIGINT while the copy whose name no manifest can hold is read against the ledger,
    after ``--append`` wrote its generation: exit 130, that copy ``cancelled``, C001.mov
    verified, the generation named. Failed before: the read loop's cancel was built anew
    (``cancelled_check``), ``generation: null`` though it was on the media."""
    fs = faulty_fs(direct_io=True)
    root, reports = copied_onto(fs, tmp_path)
    held = fs.stall("read", path="A001/CLIPS/C002*", nth=1)
    out = appending_verify_stopped_at(fs, held, reports, root)
    assert fs.fired(held) == 1
    document = json.loads(out)
    assert document["verified"] == ["CLIPS/C001.mov"], document
    assert document["cancelled"] == [ODD], document
    written = sorted((root / "ascmhl").glob("*.mhl"))
    assert document["generation"] == str(written[-1]), document
