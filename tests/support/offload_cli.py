"""The ``offload`` command as the CLI tests drive it: in-process (``offload``), or as a child
process (``run_offload``: the real entry point, its own signal handlers and exit code), a
card copied by it for a test to check or stop (``offloaded_card``) or cascaded once
(``cascaded_once``), and the job report a run wrote (``newest_report``, ``newest_html_words``)."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from offload.cli.common import Environment
from offload.cli.offload import main
from support.cards import clips_card

CLI = [sys.executable, "-m", "offload.cli.offload"]


def offload(*argv: str | Path) -> tuple[int, str]:
    """Run ``offload *argv`` in this process: its exit code and its stdout then stderr."""
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [str(a) for a in argv], Environment(stdout=out, stderr=err, install_signal_handlers=False)
    )
    return code, out.getvalue() + err.getvalue()


def offload_streams(*argv: str | Path) -> tuple[int, str, str]:
    """Run ``offload *argv`` in this process: its exit code, its stdout and its stderr."""
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [str(a) for a in argv], Environment(stdout=out, stderr=err, install_signal_handlers=False)
    )
    return code, out.getvalue(), err.getvalue()


def copy_with_reports_in(tmp: Path, *args: str) -> tuple[int, str]:
    """Run ``offload copy --report-dir TMP/reports *args`` in this process: its exit code
    and its stderr (the lines a test of the copy's words reads)."""
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["copy", "--report-dir", str(tmp / "reports"), *args],
        Environment(stdout=out, stderr=err, install_signal_handlers=False),
    )
    return code, err.getvalue()


def copy_acting_at_release(
    *argv: str,
    at_release: Callable[[subprocess.Popen[str]], object] | None = None,
    timeout_s: float = 120.0,
    line_starts: str = "CARD RELEASED",
) -> tuple[str, str, int]:
    """Run ``offload copy *argv`` (a cascade) as a subprocess, 200 columns wide, and call
    *at_release* with that process as soon as its stderr prints the ``CARD RELEASED`` line
    (a drive pulled then, say, or the process killed; None: nothing is done then;
    *line_starts*: the start of the line awaited, ``"CARD "`` for that line or ``CARD PASS
    DONE``). Returns that line ("" if none came), what stderr printed before it and after
    it, and the exit code."""
    command = [sys.executable, "-m", "offload.cli.offload", "copy", *argv]
    env = {**os.environ, "COLUMNS": "200"}
    with subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
    ) as process:
        assert process.stderr is not None
        released, seen = "", []
        for line in process.stderr:
            if line.startswith(line_starts):
                released = line
                if at_release is not None:
                    at_release(process)
                break
            seen.append(line)
        rest = "".join(seen) + process.stderr.read()
        return released, rest, process.wait(timeout=timeout_s)


def run_offload(
    *args: str | Path,
    columns: int = 200,
    timeout_s: float = 300,
    env: Mapping[str, str] | None = None,
    prefix: Sequence[str] = (),
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``offload *args`` in a child process, *columns* wide (200: no line is wrapped),
    its environment this one's with *env* over it, its command line after *prefix* (a
    wrapper such as ``setsid``), in *cwd* (None: this process's); a run longer than
    *timeout_s* fails the test."""
    return subprocess.run(
        [*prefix, *CLI, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        cwd=cwd,
        env={**os.environ, "COLUMNS": str(columns), **(env or {})},
    )


def offloaded_card(tmp_path: Path, clips: int = 3, size: int = 40_000, *, clip: str) -> Path:
    """A card ``A001`` in *tmp_path* of *clips* clips in ``CLIPS/`` (``cards.clips_card``:
    *clip* formatted with their index, *size* random bytes each) copied by a real ``offload
    copy -q`` (its report in *tmp_path*/jobs) into *tmp_path*/disk, which then holds
    ``A001`` with its ASC MHL history and ledger: that folder. A copy that fails fails the
    test."""
    card = clips_card(tmp_path, clips, size, clip=clip)
    disk = tmp_path / "disk"
    disk.mkdir()
    done = run_offload("copy", "-q", "--report-dir", tmp_path / "jobs", card, disk, timeout_s=60)
    assert done.returncode == 0, done.stderr
    return disk


def copy_quietly(card: Path, dest: Path, reports: Path) -> subprocess.CompletedProcess[str]:
    """``offload copy --quiet --report-dir *reports* *card* *dest*`` in a child process, 250
    columns wide; a run longer than 120 s fails the test."""
    return run_offload(
        "copy", "--quiet", "--report-dir", reports, card, dest, columns=250, timeout_s=120
    )


def card_with_history(tmp_path: Path, clips: Mapping[str, int], *, ours: bool = True) -> Path:
    """A card folder ``A001`` whose ascmhl/ history an earlier ``offload copy`` wrote (its
    copy root, under *tmp_path*/first): *clips* (name under CLIPS/ to size) of random bytes,
    copied from *tmp_path*/shot/A001, the copy's report in *tmp_path*/r0. *ours* True: that
    copy root as it is, its ``.offload/`` ledger in it: a copy root of ours, said as "the
    source", never "the card" (``report.source_words``); False: its ``.offload/`` removed, a
    card a tool wrote an ASC MHL history on, said as the card."""
    shot = tmp_path / "shot" / "A001"
    (shot / "CLIPS").mkdir(parents=True)
    for name, size in clips.items():
        (shot / "CLIPS" / name).write_bytes(os.urandom(size))
    first = tmp_path / "first"
    first.mkdir()
    done = run_offload(
        "copy", "--quiet", "--report-dir", tmp_path / "r0", shot, first, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    card = first / "A001"
    assert (card / "ascmhl" / "ascmhl_chain.xml").is_file()
    if not ours:
        shutil.rmtree(card / ".offload")
    return card


def one_file_card(tmp_path: Path) -> Path:
    """A card folder *tmp_path*/CARD holding one file, ``a.bin`` (1000 bytes)."""
    card = tmp_path / "CARD"
    card.mkdir()
    (card / "a.bin").write_bytes(b"x" * 1000)
    return card


def run_script(
    script: str, *argv: str | Path, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run Python *script* (``python -c``) in a child process with *argv* as its arguments,
    its environment *env* (None: this one's); a run longer than 120 s fails the test."""
    return subprocess.run(
        [sys.executable, "-c", script, *map(str, argv)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=env,
    )


def newest_report(folder: Path) -> dict[str, Any]:
    """The JSON job report written last in *folder*."""
    reports = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns)
    return dict(json.loads(reports[-1].read_text()))


def newest_html_words(folder: Path) -> str:
    """The HTML report beside the JSON report named last in *folder* (its name: its date),
    its words joined by single spaces and ``&#x27;`` read as the apostrophe it stands for."""
    html = max(folder.glob("*.json")).with_suffix(".html").read_text()
    return " ".join(html.split()).replace("&#x27;", "'")


def cascaded_once(tmp_path: Path, clips: int, *fast: str) -> tuple[Path, list[Path], Path, Path]:
    """A card ``A001`` of *clips* clips of 200,000 bytes (in *tmp_path*/cards) offloaded once
    to the fast folders named *fast* in *tmp_path* with ``--cascade-to`` *tmp_path*/S, its
    reports in *tmp_path*/reports (exit 0 checked), and an empty slow folder S2 for the next
    run: the card, the fast folders, S2 and the reports folder."""
    card = clips_card(tmp_path / "cards", clips, 200_000)
    fast_folders = [tmp_path / name for name in fast]
    slow, slow2 = tmp_path / "S", tmp_path / "S2"
    for folder in (*fast_folders, slow, slow2):
        folder.mkdir()
    reports = tmp_path / "reports"
    code, out = offload("copy", "--report-dir", reports, card, *fast_folders, "--cascade-to", slow)
    assert code == 0, out
    return card, fast_folders, slow2, reports
