"""The terminal's summary names what the card itself holds that is not whole: a RED clip
whose span ``_003`` is missing between ``_002`` and ``_004``, a DPX sequence with frames
missing, an empty frame, and a file named as a clip that holds 0 bytes. Found by the QA
pass: these appeared in the HTML and PDF only (the clips are grouped for them in the report
worker), and the terminal said "All N files verified" alone. Real cards on disk, a real
offload (its report worker in a process of its own, or the documents made in the command
for a card past ``MAX_WORKER_FILES``)."""

from __future__ import annotations

import io
import json
import os
import shutil
import struct
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from offload.cli import offload as offload_cli
from offload.cli.common import Environment
from offload.cli.offload import main
from offload.demo import ClipSpec, encode_clip, write_sequence
from support.mounts import Mount
from support.offload_cli import run_offload


def run(*argv: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], Environment(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


def red_span(size: int) -> bytes:
    """An R3D span's first bytes as a RED camera writes them (a block's size, then
    ``RED2``), then random bytes: a camera raw FFmpeg cannot read, a clip all the same
    (``sniff.camera_raw``), never one "not readable as media" as random bytes are."""
    return struct.pack(">I", 512) + b"RED2" + os.urandom(size - 8)


def flawed_card(root: Path) -> Path:
    """A card whose own content is not whole: RED spans 001, 002, 004 (003 missing), a DPX
    sequence lacking frames 1005-1006 with frame 1010 empty, an empty MOV; and a whole
    clip."""
    card = root / "A001"
    red = card / "A001_C001_0101XX.RDC"
    red.mkdir(parents=True)
    for span in ("001", "002", "004"):
        (red / f"A001_C001_0101XX_{span}.R3D").write_bytes(red_span(5_000))
    whole = card / "A001_C002_0101XX.RDC"
    whole.mkdir()
    (whole / "A001_C002_0101XX_001.R3D").write_bytes(red_span(5_000))
    write_sequence(card / "DPX", "shot", range(1001, 1013), skip=frozenset({1005, 1006}))
    (card / "DPX" / "shot.0001010.dpx").write_bytes(b"")
    (card / "MOV").mkdir()
    (card / "MOV" / "C0003.MOV").write_bytes(b"")
    return card


def flawed_card_copied(tmp_path: Path) -> Path:
    """``flawed_card`` copied (exit 0) to ``D1`` with its reports in ``r``: its job report."""
    card = flawed_card(tmp_path / "cards")
    dest = tmp_path / "D1"
    dest.mkdir()
    code, _, err = run("copy", "--report-dir", tmp_path / "r", card, dest)
    assert code == 0, err
    [job] = sorted((tmp_path / "r").rglob("*.json"))
    return job


EXPECTED = [
    "CARD CONTENT: 1 clip on the card is missing a span (a gap in its numbers): "
    "A001_C001_0101XX.RDC/A001_C001_0101XX_001.R3D (+2 spans) has no "
    "A001_C001_0101XX_003.R3D (so on the card itself: the copies hold what the card holds, "
    "not a copy problem; check with the camera department).",
    "CARD CONTENT: 1 image sequence on the card is missing frames (a gap in its frame "
    "numbers): DPX/shot.[0001001-0001012].dpx lacks 2 frames (1005-1006) (so on the card itself: "
    "the copies hold what the card holds, not a copy problem; check with the camera "
    "department).",
    "CARD CONTENT: 1 image sequence on the card has frames that are not whole: "
    "DPX/shot.[0001001-0001012].dpx: 1 of 10 frames (1010 empty, 0 bytes) (so on the card itself: "
    "the copies hold what the card holds, not a copy problem; check with the camera "
    "department).",
    "CARD CONTENT: 1 file named as a clip on the card is empty (0 bytes: nothing was "
    "recorded in it): MOV/C0003.MOV (so on the card itself: the copies hold what the card "
    "holds, not a copy problem; check with the camera department).",
]


@pytest.mark.parametrize("worker", [True, False], ids=["report-worker", "in-command"])
def test_the_summary_names_the_cards_own_content_that_is_not_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, worker: bool
) -> None:
    if not worker:  # a card past the worker's limit: the command makes the documents
        monkeypatch.setattr(offload_cli, "MAX_WORKER_FILES", 1)
    card = flawed_card(tmp_path / "cards")
    dest = tmp_path / "D1"
    dest.mkdir()

    code, _, err = run("copy", "--report-dir", tmp_path / "r", card, dest)

    assert code == 0, err  # the copies are all verified: the exit code is theirs
    lines = err.splitlines()
    assert any(line.startswith("All 15 files") and "verified" in line for line in lines), err
    content = [line for line in lines if line.startswith("CARD CONTENT:")]
    assert content == EXPECTED, err
    # Below the verdict, each line once.
    verdict = next(i for i, line in enumerate(lines) if line.startswith("All 15 files"))
    assert lines.index(EXPECTED[0]) > verdict


def test_json_gives_the_cards_content_in_its_job_report_line(tmp_path: Path) -> None:
    card = flawed_card(tmp_path / "cards")
    dest = tmp_path / "D1"
    dest.mkdir()

    code, out, err = run("copy", "--json", "--report-dir", tmp_path / "r", card, dest)

    assert code == 0, err
    [job] = [e for e in map(json.loads, out.splitlines()) if e["event"] == "job_report"]
    assert job["card_content"] == [
        {"kind": kind, "count": 1, "message": message}
        for kind, message in zip(
            ("spans-missing", "frames-missing", "frames-damaged", "empty-clip"),
            EXPECTED,
            strict=True,
        )
    ]
    assert "CARD CONTENT" not in err  # --json: the line is the key's


def test_a_whole_card_says_nothing_of_its_content(tmp_path: Path) -> None:
    card = tmp_path / "cards" / "A002"
    (card / "A002_C001_0101XX.RDC").mkdir(parents=True)
    for span in ("001", "002"):
        (card / "A002_C001_0101XX.RDC" / f"A002_C001_0101XX_{span}.R3D").write_bytes(red_span(99))
    dest = tmp_path / "D1"
    dest.mkdir()

    code, out, err = run("copy", "--json", "--report-dir", tmp_path / "r", card, dest)

    assert code == 0, err
    [job] = [e for e in map(json.loads, out.splitlines()) if e["event"] == "job_report"]
    assert job["card_content"] == []


def test_report_prints_the_cards_content_as_copy_does(tmp_path: Path) -> None:
    """``offload report JOB.json`` makes the documents again from the job report: it prints
    the same CARD CONTENT lines as the copy's summary, from the same grouping (before, it
    printed the documents' paths alone, and a DIT re-rendering a report saw nothing of the
    missing span)."""
    job = flawed_card_copied(tmp_path)

    code, out, err = run("report", "--no-media", job)

    assert code == 0, err
    assert [line for line in err.splitlines() if line.startswith("CARD CONTENT:")] == EXPECTED
    assert "HTML report:" in out and "PDF report:" in out
    # Only the HTML asked for: the lines all the same.
    code, out, err = run("report", "--no-media", "--html", tmp_path / "again.html", job)
    assert code == 0, err
    assert [line for line in err.splitlines() if line.startswith("CARD CONTENT:")] == EXPECTED
    assert (tmp_path / "again.html").is_file() and "PDF report:" not in out


@pytest.mark.parametrize("worker", [True, False], ids=["report-worker", "in-command"])
def test_clip_names_are_escaped_as_the_terminal_escapes_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, worker: bool
) -> None:
    """Clips named with an ESC sequence, a newline, a C1 control and a byte that is not
    UTF-8: the CARD CONTENT line names each as every terminal line does (``printable_name``:
    ``\\x1b``, ``\\x0a``, ``\\u0085``, ``\\xff``), on the terminal and in ``--json``'s
    ``card_content``, whose ``message`` is the terminal's line. Failed before: the JSON's
    message held the raw ESC and newline (a script printing it drove the terminal, or split
    the line), though its documentation calls it the summary's line."""
    if not worker:  # a card past the worker's limit: the command makes the documents
        monkeypatch.setattr(offload_cli, "MAX_WORKER_FILES", 1)
    card = tmp_path / "cards" / "A001"
    (card / "MOV").mkdir(parents=True)
    encode_clip(card, ClipSpec("MOV/whole.MOV", seconds=0.2, width=64, height=36))
    folder = os.fsencode(card / "MOV")
    for name in (b"esc\x1b[31mred.MOV", b"new\nline.MOV", b"c1\xc2\x85x.MOV", b"bad\xff.MOV"):
        with open(folder + b"/" + name, "wb"):
            pass
    expected = (
        "CARD CONTENT: 4 files named as clips on the card are empty (0 bytes: nothing was "
        "recorded in them): MOV/bad\\xff.MOV, MOV/c1\\u0085x.MOV, MOV/esc\\x1b[31mred.MOV and "
        "1 more (so on the card itself: the copies hold what the card holds, not a copy "
        "problem; check with the camera department)."
    )
    dest = tmp_path / "D1"
    dest.mkdir()

    code, out, err = run("copy", "--json", "--report-dir", tmp_path / "r", card, dest)

    assert code == 0, err
    [job] = [e for e in map(json.loads, out.split("\n")[:-1]) if e["event"] == "job_report"]
    assert job["card_content"] == [{"kind": "empty-clip", "count": 4, "message": expected}]
    shutil.rmtree(dest / "A001")
    code, _, err = run("copy", "--report-dir", tmp_path / "r", card, dest)
    assert code == 0, err
    assert [line for line in err.split("\n") if line.startswith("CARD CONTENT:")] == [expected]


def test_report_into_a_read_only_folder_ends_on_one_line_saying_what_to_do(
    tmp_path: Path, bind_mount: Callable[[Path, Path], Mount]
) -> None:
    """``offload report JOB.json --html RO/x.html``, RO a real read-only mount (a bind mount
    remounted read-only: EROFS). Failed before: "ERROR: cannot write RO/x.html: Read-only
    file system (EROFS)" with no remedy, then the CARD CONTENT lines after it, as if the
    run had gone on to its end. Now the card's lines come first and the error is the last
    line: the path, why, that nothing was written there and what to do; exit 1."""
    job = flawed_card_copied(tmp_path)
    shown = tmp_path / "shown"
    shown.mkdir()
    read_only = bind_mount(shown, tmp_path / "RO").path
    subprocess.run(["mount", "-o", "remount,ro,bind", str(read_only)], check=True)
    target = read_only / "x.html"

    done = run_offload("report", "--no-media", job, "--html", target)

    assert done.returncode == 1, done.stderr
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert [line for line in lines if line.startswith("CARD CONTENT:")] == EXPECTED
    assert lines[-1] == (
        f"ERROR: cannot write {target}: Read-only file system (EROFS); nothing was written "
        "there: name a file in a folder that can be written with --html FILE"
    )
    assert [line for line in lines if line.startswith("ERROR:")] == lines[-1:]
    assert not target.exists() and not list(shown.iterdir())


def test_report_to_a_file_made_after_the_check_says_to_name_a_new_one_or_overwrite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``offload report JOB.json --html x.html``, x.html made by someone else after the
    check that refuses an existing file (while the documents were built): the write keeps
    it (FileExistsError). Failed before: the line gave the read-only advice ("name a file
    in a folder that can be written with --html FILE"), where the folder could be written
    and the remedy is the existing file's, as the check's own line says: name a new file,
    or pass --overwrite. Exit 1; the file kept as it was."""
    from offload.report import cli as report_cli

    job = flawed_card_copied(tmp_path)
    target = tmp_path / "x.html"
    sweep = report_cli.remove_dead_temporaries

    def made_meanwhile(folder: Path) -> str | None:  # after the check, before the writes
        target.write_bytes(b"someone else's")
        return sweep(folder)

    monkeypatch.setattr(report_cli, "remove_dead_temporaries", made_meanwhile)

    code, out, err = run("report", "--no-media", job, "--html", target)

    assert code == 1, err
    assert out == ""
    assert err.splitlines()[-1] == (
        f"ERROR: cannot write {target}: File exists (EEXIST); nothing was written there: "
        "name a new file with --html FILE, or pass --overwrite to replace it"
    )
    assert target.read_bytes() == b"someone else's"
