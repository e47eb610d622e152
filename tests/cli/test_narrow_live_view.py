"""The live views on a narrow terminal (60 and 40 columns): each frame keeps its lines whole,
leaving out or shortening what does not fit rather than wrapping (``live._fitted``,
``NARROW_COLUMNS``; ``verify_cmd.verify_columns``). The real CLI on a real pty
(tests/support/terminal.py: ``TIOCSWINSZ``), every frame it drew read back from its bytes."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.console import Console
from rich.progress import Progress

from offload.cli.verify_cmd import verify_columns
from tests.support.offload_cli import run_offload
from tests.support.terminal import run_on_terminal

# Colours, cursor moves and erasures between frames and columns: what is left is the text.
STYLE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
TIME_LEFT = re.compile(r"(-:--:--|\d+:\d\d:\d\d)$")


def _drawn_lines(raw: bytes) -> list[str]:
    """Every line of every frame the command drew, its styles and cursor moves removed."""
    text = STYLE.sub("", raw.decode("utf-8", "replace"))
    return [line.rstrip() for line in re.split(r"[\r\n]+", text) if line.strip()]


def _card(root: Path) -> Path:
    card = root / "card"
    (card / "CLIPS").mkdir(parents=True)
    # 100 files, 110 MB: the counts as wide as a day's card's ("12/100 files", "45.0/110.0
    # MB"), many frames with the card still read while the first copies are read back.
    for n in range(100):
        (card / "CLIPS" / f"A001C{n:03}_240501_R1AB.MXF").write_bytes(os.urandom(1_100_000))
    return card


@pytest.mark.parametrize("columns", [60, 40])
def test_the_copy_view_leaves_words_out_instead_of_wrapping(tmp_path: Path, columns: int) -> None:
    """Failed before: at 60 columns the status line "N/6 files · X of Y read · R MB/s · ETA
    0:00" put its ETA on a line of its own; at 40 the same, and the rows' seven columns were
    cut to two or three letters each ("st…", "writ…")."""
    card = _card(tmp_path)
    dests = [tmp_path / "mnt" / "RAID1", tmp_path / "mnt" / "RAID2"]
    for dest in dests:
        dest.mkdir(parents=True)
    run = run_on_terminal(
        "copy", "--report-dir", tmp_path / "reports", card, *dests, columns=columns
    )
    assert run.returncode == 0, run.text
    lines = _drawn_lines(run.raw)
    status = [n for n, line in enumerate(lines) if re.search(r"\d+/100 files", line)]
    assert status, lines
    for n in status:
        # Whole on its line: the next line is the rows' header (the frame goes on), never
        # the rest of this one ("ETA 00:01", "· 116.1 MB/s · ETA --:--").
        assert cell_len(lines[n]) <= columns, lines[n]
        assert lines[n + 1].lstrip("# ").startswith("destination"), lines[n : n + 2]
    header = next(line for line in lines if line.lstrip("# ").startswith("destination"))
    assert "…" not in header and header.split()[-2:] == ["done", "failed"], header


@pytest.mark.parametrize("columns", [60, 40])
def test_the_verify_bar_stays_on_one_line(tmp_path: Path, columns: int) -> None:
    """``offload verify``'s bar: the word, the bar, the percentage and the time left on one
    line, the files, bytes and speed where they fit. Failed before: at 60 columns "45.0/110.3"
    and its "MB" on two lines (rich wrapped the row), at 40 the time left cut to "-…"."""
    card = _card(tmp_path)
    dest = tmp_path / "dest"
    dest.mkdir()
    copied = run_offload("copy", "--quiet", "--report-dir", tmp_path / "reports", card, dest)
    assert copied.returncode == 0, copied.stdout + copied.stderr
    run = run_on_terminal(
        "verify", "--report-dir", tmp_path / "reports", dest / "card", columns=columns
    )
    assert run.returncode == 0, run.text
    # The bar's frames once it knows its total (before, a pulse: no percentage yet).
    bars = [line for line in _drawn_lines(run.raw) if line.startswith("verify ") and "%" in line]
    assert bars, run.raw
    for line in bars:
        assert cell_len(line) <= columns and TIME_LEFT.search(line), (line, bars)
        assert re.search(r"\d+%", line), line


@pytest.mark.parametrize("columns", [60, 66])
def test_a_long_state_is_whole_and_the_destination_cut_once(tmp_path: Path, columns: int) -> None:
    """Failed before: a resume whose destination holds copies verified earlier and copies
    verified now ended at 60 columns as "verified, partly earl…", its destination cut at
    both ends ("…CT_X/DAY…"): the state column was sized for "transfer-checked". (Below
    60 columns every column is cut as it must: not asked here.)"""
    card = tmp_path / "card"
    (card / "CLIPS").mkdir(parents=True)
    for n in range(3):
        (card / "CLIPS" / f"A001C{n:03}.MXF").write_bytes(os.urandom(100_000))
    dest = tmp_path / "mnt" / "PROJECT_X" / "DAY_01"
    dest.mkdir(parents=True)
    first = run_offload("copy", "--report-dir", tmp_path / "r1", card, dest)
    assert first.returncode == 0, first.stderr
    for n in range(3, 5):
        (card / "CLIPS" / f"A001C{n:03}.MXF").write_bytes(os.urandom(100_000))
    run = run_on_terminal("copy", "--report-dir", tmp_path / "r2", card, dest, columns=columns)
    assert run.returncode == 0, run.text
    lines = _drawn_lines(run.raw)
    # The live view's rows, the summary's "result:" line apart.
    rows = [line for line in lines if "partly" in line and "result:" not in line]
    assert rows, [line for line in lines if "partly" in line]
    last = rows[-1]
    assert re.match(r"\s*1\s", last), last  # the row's number, not squeezed out
    assert "verified, partly earlier" in last, last
    assert cell_len(last) <= columns, last
    shown = last.split()[1]  # the destination, cut at its start only
    assert shown.endswith("DAY_01") and shown.count("…") <= 1, last


def test_the_first_frame_that_knows_the_total_shows_the_time_left() -> None:
    """The verify bar's columns on rich's own Progress, its clock a counter the test moves:
    a frame drawn 0.1 s after the total came (the pulse's frame drawn just before) shows a
    time left. Failed before (``test_the_verify_bar_stays_on_one_line`` in 3 runs of 6 on a
    loaded machine): rich kept the pulse's blank time left for 0.5 s, the frame read "0%
    0/100 files" and nothing after."""
    now = [100.0]
    console = Console(width=60, file=io.StringIO(), force_terminal=True, color_system=None)
    progress = Progress(*verify_columns(60), console=console, get_time=lambda: now[0])
    task = progress.add_task("verify", total=None, files="")

    def frame() -> str:
        with console.capture() as captured:
            console.print(progress.make_tasks_table(progress.tasks))
        return captured.get().rstrip()

    assert not TIME_LEFT.search(frame())  # the pulse: no total, no time left yet
    now[0] += 0.1
    progress.update(task, total=110_000_000, files="0/100 files")
    assert TIME_LEFT.search(frame()), frame()
