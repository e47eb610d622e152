"""offload copy's human output: the summary and the verdict line say what was proven."""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from offload.cli import common
from offload.cli.common import Environment
from offload.cli.offload import build_parser, main
from support.offload_cli import one_file_card, run_offload, run_script


@pytest.mark.parametrize(
    ("mode", "files", "verdict"),
    [
        ("transfer", 1, "1 file (5.0 kB) is on every destination, TRANSFER-CHECKED ONLY"),
        ("destination", 1, "The 1 file (5.0 kB) is verified on every destination (destination "),
        ("full", 1, "The 1 file (5.0 kB) is verified on every destination (full verification)"),
        ("transfer", 2, "2 files (10.0 kB) are on every destination, TRANSFER-CHECKED ONLY"),
        ("full", 2, "All 2 files (10.0 kB) are verified on every destination (full verification)"),
    ],
)
def test_verdict_line(tmp_path: Path, mode: str, files: int, verdict: str) -> None:
    card = tmp_path / "CARD"
    card.mkdir()
    for n in range(files):
        (card / f"{n}.mov").write_bytes(b"x" * 5000)
    dest = tmp_path / "dest"
    dest.mkdir()
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["copy", "--verify", mode, "--report-dir", str(tmp_path / "r"), str(card), str(dest)],
        Environment(stdout=out, stderr=err, install_signal_handlers=False),
    )
    assert code == 0
    assert verdict in err.getvalue()
    assert f"Offloading {files} file{'s' if files > 1 else ''} (" in err.getvalue()
    assert f" ({files} cop{'ies' if files > 1 else 'y'})" in err.getvalue() or mode != "transfer"
    assert out.getvalue() == ""  # stdout stays free for --json


@pytest.mark.parametrize("columns", ["-5", "0", "junk"])
def test_a_columns_of_no_width_prints_the_summary_as_if_unset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, columns: str
) -> None:
    """``$COLUMNS`` negative, 0 or not a number is no width (``common.columns_asked``): the
    summary's table, on a stderr that is no terminal, is laid out for 120 columns as with
    none. Failed before: ``COLUMNS=-5`` and ``COLUMNS=0`` printed no table at all."""
    card = tmp_path / "CARD"
    card.mkdir()
    (card / "A.mov").write_bytes(b"x" * 5000)
    dest = tmp_path / "dest"
    dest.mkdir()
    monkeypatch.setenv("COLUMNS", columns)
    err = io.StringIO()
    code = main(
        ["copy", "--report-dir", str(tmp_path / "r"), str(card), str(dest)],
        Environment(stdout=io.StringIO(), stderr=err, install_signal_handlers=False),
    )
    assert code == 0, err.getvalue()
    [header] = [line for line in err.getvalue().splitlines() if line.startswith(" destination ")]
    assert header.split() == ["destination", "now", "failed", "written", "speed", "result"]
    assert len(header) <= 120, header


def test_what_is_needed_after_the_copy_loads_when_its_first_batch_is_made_durable() -> None:
    """The manifests' writer (~15 ms of start-up), rich (~25 ms) and the reports' modules
    (~10 ms) are not imported with the command's modules, nor OpenSSL (hashlib) or socket:
    the writer and the reports load on a thread once a destination makes its first batch
    durable (on a small card: the job's last stretch, spent waiting for syncfs), else at
    ``JobFinished``; nothing loads with the job's start (it competed with the copy for the
    interpreter lock); rich at once only for a live view."""
    script = (
        "import sys\n"
        "import offload.cli.entry\n"
        "from offload.cli.offload import _ReportModulesLoader\n"
        "from offload.events import FileStarted, JobFinished, JobStarted, PhaseChanged\n"
        "late = {'rich.console', 'rich.table', 'offload.report.job_report',\n"
        "        'offload.report.summary', 'offload.report.content', 'offload.report.html',\n"
        "        'offload.manifests_writer', 'offload.manifest.ascmhl',\n"
        "        'offload.manifest.history', 'xml.etree.ElementTree', 'hashlib', 'socket'}\n"
        "print(sorted(late & set(sys.modules)))\n"
        "for flush in (True, False):\n"
        "    loader = _ReportModulesLoader(summary=True)\n"
        "    loader.emit(JobStarted(1, 1, ('/d',), 'transfer', ('xxh64',)))\n"
        "    loader.emit(FileStarted('a', 1))\n"
        "    loader.emit(PhaseChanged(0, 'a', 'copy'))\n"
        "    print(loader.imports.released)\n"
        "    loader.emit(PhaseChanged(0, 'a', 'flush') if flush else JobFinished(0, False))\n"
        "    loader.imports.thread.join(60)\n"
        "documents = {'offload.report.content', 'offload.report.html'}\n"
        "print(sorted(late - documents - {'hashlib', 'socket', 'xml.etree.ElementTree'}"
        " - set(sys.modules)))\n"
        "print(sorted((documents | {'reportlab.pdfgen.canvas'}) & set(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=60
    )
    # The documents' modules are not among them: the report worker makes the HTML and PDF
    # (report/worker.py), and the command loads them only to make them itself.
    assert done.stdout.split() == ["[]", "False", "False", "[]", "[]"], done.stderr


def test_a_quiet_offload_loads_none_of_what_its_copy_does_not_need_before_its_job(
    tmp_path: Path,
) -> None:
    """Before the first byte, a default ``offload copy --quiet`` (no terminal, no --json, no
    progress trace, nothing already on the destination) has not imported pathspec (~17 ms:
    the default ignore patterns' translations are kept), concurrent.futures and logging
    (~7 ms: only copies to check, an S3 destination or a failing subscriber use them),
    datetime (for the manifests) or the progress model and its ETA (nothing reads them),
    shutil (argparse loaded it for the terminal's width alone), the S3 settings' module
    (nothing of S3 is used by a local copy) or OpenSSL (hashlib, ~2 ms: the manifests' C4
    IDs and the stamp's fingerprint; the plan loaded it with the stamp's name until the
    fifteenth pass). It has made at most 48 dataclasses (each
    ~0.5 ms of start-up, six functions compiled for a frozen one; 48 now, the events'
    ``DestinationNotAnswering`` the latest (forty-fourth pass: an S3 bucket answering
    nothing is said while the run waits; an event as every other the live view shows);
    ``CancelWaiting`` before it: 0.37 ms, thirty-fourth pass; ``DestinationWriting`` and
    ``SourceWaiting`` before it: 0.2 to 0.65 ms each, thirty-third pass; 62 before the
    internal records became named tuples and plain classes: docs/performance.md, "Fixed
    cost: fourth pass"), and the whole run never
    imports socket (the reports name the host as ``os.uname`` does)."""
    one_file_card(tmp_path)
    (tmp_path / "dest").mkdir()
    script = (
        "import dataclasses, sys\n"
        "made = []\n"
        "process = dataclasses._process_class\n"
        "dataclasses._process_class = lambda cls, *a: (made.append(cls), process(cls, *a))[1]\n"
        "from offload.cli.offload import main\n"
        "from offload.engine import job\n"
        "run = job.CopyJob.run\n"
        "unneeded = {'pathspec', 'concurrent.futures', 'logging', 'datetime',\n"
        "            'offload.progress', 'offload.eta', 'offload.report.events_json',\n"
        "            'shutil', 'bz2', 'lzma', 'offload.destinations.s3config', 'hashlib'}\n"
        "def first(self):\n"
        "    print(sorted(unneeded & set(sys.modules)))\n"
        "    print(len(made) <= 48 or [c.__qualname__ for c in made])\n"
        "    return run(self)\n"
        "job.CopyJob.run = first\n"
        "args = ['copy', '--quiet', '--report-dir', sys.argv[1] + '/r']\n"
        "print(main([*args, sys.argv[1] + '/CARD', sys.argv[1] + '/dest']))\n"
        "print('socket' in sys.modules)\n"
    )
    done = run_script(script, tmp_path)
    assert done.stdout.split() == ["[]", "True", "0", "False"], (done.stdout, done.stderr)
    assert (tmp_path / "dest" / "CARD" / "a.bin").read_bytes() == b"x" * 1000


def test_the_summary_is_printed_without_rich_s_emoji_codes(tmp_path: Path) -> None:
    """The summary's table is printed by a console that looks for no emoji codes: its names
    are Text and its other cells and headers are the command's own words, which hold none,
    and the look in each cell loaded rich's table of codes (~2 ms of CPU on the end's
    critical path: docs/performance.md, "Fixed cost: twenty-seventh pass"). The table is
    the same; a destination named like a code keeps its name. Failed before: the table of
    codes was loaded."""
    one_file_card(tmp_path)
    dest = tmp_path / ":smile:"
    dest.mkdir()
    script = (
        "import io, sys\n"
        "from offload.cli.offload import main\n"
        "from offload.cli.common import Environment\n"
        "err = io.StringIO()\n"
        "env = Environment(stdout=io.StringIO(), stderr=err, install_signal_handlers=False)\n"
        "args = ['copy', '--quiet', '--report-dir', sys.argv[1] + '/r']\n"
        "code = main([*args, sys.argv[1] + '/CARD', sys.argv[1] + '/:smile:'], env)\n"
        "print(code, 'rich._emoji_codes' in sys.modules)\n"
        "print(err.getvalue())\n"
    )
    wide = {**os.environ, "COLUMNS": "300"}  # the destination's row on one line
    done = run_script(script, tmp_path, env=wide)
    first, *summary = done.stdout.splitlines()
    assert first.split() == ["0", "False"], (done.stdout, done.stderr)
    [header] = [line for line in summary if line.startswith(" destination ")]
    assert header.split()[:2] == ["destination", "now"]
    assert any(line.startswith(f" {dest} ") for line in summary), summary
    assert "\N{SMILING FACE WITH OPEN MOUTH AND SMILING EYES}" not in done.stdout


@pytest.mark.parametrize("as_json", [False, True])
def test_the_summary_s_modules_load_on_the_thread_with_a_report_worker_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, as_json: bool
) -> None:
    """With the report worker drawing the documents, the summary's modules (rich) are loaded
    by the thread during the copy's end as without one: loaded when the summary was
    printed, they lay on the command's leg of the end, the longer one (docs/performance.md,
    "Fixed cost: eighteenth pass"). Not for ``--json`` (no summary)."""
    from offload.cli import offload as command

    asked: list[tuple[str, ...]] = []
    loader = command._ReportModulesLoader

    class Recording(loader):  # type: ignore[misc, valid-type]
        def __init__(self, *, summary: bool, worker: bool = False) -> None:
            super().__init__(summary=summary, worker=worker)
            asked.append(self.imports._modules)

    monkeypatch.setattr(command, "_ReportModulesLoader", Recording)
    card = tmp_path / "CARD"
    card.mkdir()
    (card / "a.mov").write_bytes(b"x" * 5000)
    (tmp_path / "dest").mkdir()
    words = ["copy", "--quiet", "--report-dir", str(tmp_path / "r")]
    code = main(
        [*words, *(["--json"] if as_json else []), str(card), str(tmp_path / "dest")],
        Environment(stdout=io.StringIO(), stderr=io.StringIO(), install_signal_handlers=False),
    )
    assert code == 0
    assert len(list((tmp_path / "r").glob("*.pdf"))) == 1
    [modules] = asked
    assert "pickle" in modules  # a report worker was used
    assert ("rich.console" in modules) is not as_json


@pytest.mark.parametrize("columns", [None, "", "0", "-5", "wide", "40", "100", "250"])
def test_the_help_is_laid_out_as_argparse_lays_it_out(
    monkeypatch: pytest.MonkeyPatch, columns: str | None
) -> None:
    """The parsers' formatter (``common.HelpFormatter``) finds the terminal's width without
    importing shutil, as argparse's own finds it: every command's help is the same, byte for
    byte, whatever $COLUMNS says."""
    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    assert common.terminal_columns() == shutil.get_terminal_size().columns

    def helps() -> list[str]:
        parser = build_parser()
        commands = next(
            a for a in parser._actions if isinstance(a, argparse._SubParsersAction)
        ).choices
        return [parser.format_help(), *(sub.format_help() for sub in commands.values())]

    ours = helps()
    monkeypatch.setattr(common, "HelpFormatter", argparse.HelpFormatter)
    assert ours == helps()


def test_an_s3_option_is_checked_for_a_local_copy_too(tmp_path: Path) -> None:
    """A local copy does not load the S3 settings, but an ``--s3-*`` option given is still
    checked: a part size S3 refuses stops the command (exit 64, one line, nothing written),
    with or without an ``s3://`` destination."""
    card = one_file_card(tmp_path)
    dest = tmp_path / "dest"
    dest.mkdir()
    err = io.StringIO()
    code = main(
        [
            "copy",
            "--s3-part-size",
            "1MiB",
            "--report-dir",
            str(tmp_path / "r"),
            str(card),
            str(dest),
        ],
        Environment(stdout=io.StringIO(), stderr=err, install_signal_handlers=False),
    )
    assert code == 64
    assert "--s3-part-size 1MiB: S3 parts are 5MiB to 5GiB" in err.getvalue()
    assert list(dest.iterdir()) == []


def test_the_objects_are_frozen_before_the_last_collection_at_exit(tmp_path: Path) -> None:
    """``offload copy`` has the interpreter move every object to the permanent generation at
    exit (``gc.freeze``), so its last collection walks nothing (~20 ms of a small card's
    exit). A hook registered before the command runs after the command's (last in, first
    out) and sees the objects frozen; once per process, however many commands ran."""
    card = one_file_card(tmp_path)
    script = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: print('frozen', gc.get_freeze_count() > 0))\n"
        "from offload.cli.offload import main\n"
        "calls = []\n"
        "register = atexit.register\n"
        "atexit.register = lambda f, *a: (calls.append(f), register(f, *a))[1]\n"
        "for n in (1, 2):\n"
        "    args = ['copy', '--quiet', '--report-dir', sys.argv[1] + f'/r{n}']\n"
        "    assert main([*args, sys.argv[2], sys.argv[1] + f'/d{n}']) == 0\n"
        "print('hooks', calls.count(gc.freeze))\n"
    )
    for n in (1, 2):
        (tmp_path / f"d{n}").mkdir()
    done = run_script(script, tmp_path, card)
    assert done.stdout.split() == ["hooks", "1", "frozen", "True"], done.stderr


@pytest.mark.parametrize("argv", [["--help"], ["copy", "--help"]])
def test_help_exit_0_says_transfer_checked_with_verify_transfer(argv: list[str]) -> None:
    """Failed before: "0 all verified", which a --verify transfer run never is (README's
    table is the reference: transfer-checked only)."""
    done = subprocess.run(
        [str(Path(sys.executable).with_name("offload")), *argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    text = " ".join(done.stdout.split())
    assert "0 all verified" not in text
    assert "(with --verify transfer: transfer-checked only, never read back)" in text


@pytest.mark.parametrize(
    ("command", "operands"), [("copy", ["a", "b"]), ("verify", ["x"]), ("history", [])]
)
def test_an_unknown_option_points_at_the_command_help(command: str, operands: list[str]) -> None:
    """Failed before: "(see offload --help)", whose help does not list the command's options."""
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [command, "--bogus", *operands],
        Environment(stdout=out, stderr=err, install_signal_handlers=False),
    )
    assert code == 64
    assert err.getvalue() == (
        f"ERROR: unrecognized arguments: --bogus (see offload {command} --help)\n"
    )


@pytest.mark.parametrize("cascade_to", [["--cascade-to", "S 1"], ["--cascade-to=S 1"]])
def test_two_slow_drives_after_one_cascade_to_are_told_to_repeat_it(
    tmp_path: Path, cascade_to: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--cascade-to S1 S2 S3``: argparse takes one value, S2 and S3 are left over, each
    named in the hint. Failed before: "unrecognized arguments: S2" alone; then the hint
    named S2 but not S3. An argument left over elsewhere gets no hint. Nothing is made (C,
    F and the S's are relative to the current folder, tmp_path here)."""
    monkeypatch.chdir(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdout=out, stderr=err, install_signal_handlers=False)
    assert main(["copy", "C", "F", *cascade_to, "S2"], env) == 64
    assert err.getvalue() == (
        "ERROR: unrecognized arguments: S2; to cascade to more than one slow drive, repeat "
        "--cascade-to for each: --cascade-to 'S 1' --cascade-to S2 (see offload copy --help)\n"
    )
    err.truncate(0)
    err.seek(0)
    assert main(["copy", "C", "F", *cascade_to, "S2", "S3"], env) == 64
    assert err.getvalue() == (
        "ERROR: unrecognized arguments: S2 S3; to cascade to more than one slow drive, repeat "
        "--cascade-to for each: --cascade-to 'S 1' --cascade-to S2 --cascade-to S3 (see "
        "offload copy --help)\n"
    )
    err.truncate(0)
    err.seek(0)
    assert main(["copy", "C", "F", "--cascade-to", "S1", "--bogus"], env) == 64
    assert "repeat --cascade-to" not in err.getvalue(), err.getvalue()
    assert not list(tmp_path.iterdir())


def test_a_second_slow_drive_read_as_the_card_is_refused_before_the_card_is_written_to(
    tmp_path: Path,
) -> None:
    """``offload copy --cascade-to S1 S2 C F`` (options first): argparse reads S2 as the card
    and the card C as a destination. Refused (exit 64, one line naming both readings), C
    untouched. Failed before: exit 0, C/S2 written onto the card. The common form with a
    card and two fresh drives (``--cascade-to S1 CARD D1 D2``) still runs."""
    card, s1, s2, fast = (tmp_path / n for n in ("C", "S1", "S2", "F"))
    for folder in (card, s1, s2, fast):
        folder.mkdir()
    (card / "A001.mov").write_bytes(b"clip" * 1000)
    (s2 / "notes.txt").write_bytes(b"an earlier shoot's notes")
    before = sorted(p.name for p in card.iterdir())
    reports = tmp_path / "reports"
    refused = run_offload("copy", "--report-dir", reports, "--cascade-to", s1, s2, card, fast)
    lines = refused.stderr.splitlines()
    assert refused.returncode == 64, refused.stderr
    assert len(lines) == 1 and lines[0].startswith("ERROR: --cascade-to "), lines
    opts = f"copy --report-dir {reports}"
    assert (
        f"repeat --cascade-to (offload {opts} --cascade-to {s1} --cascade-to {s2} {card} {fast})"
        in lines[0]
    )
    assert f"write it first (offload {opts} {s2} {card} {fast} --cascade-to {s1})" in lines[0]
    # The user's other options are kept in both ways on (a hash, an earlier slow drive):
    # before, each was rebuilt from the paths alone, one slow drive and the hash lost.
    s0 = tmp_path / "S0"
    argv = ["copy", "-t", "md5", "--report-dir", str(reports), "--cascade-to", str(s0)]
    argv += ["--cascade-to", str(s1), str(s2), str(card), str(fast)]
    refused = run_offload(*argv)
    assert refused.returncode == 64, refused.stderr
    both = f"offload copy -t md5 --report-dir {reports} --cascade-to {s0}"
    assert f"({both} --cascade-to {s1} --cascade-to {s2} {card} {fast})" in refused.stderr
    # The card first: every --cascade-to before it moves after the paths (one left before
    # it read it as a slow drive again), and S2 would be a third slow drive.
    first = f"offload copy -t md5 --report-dir {reports} {s2} {card} {fast}"
    assert f"({first} --cascade-to {s0} --cascade-to {s1})" in refused.stderr
    assert f"if {s2} is a third slow drive" in refused.stderr
    assert sorted(p.name for p in card.iterdir()) == before
    assert not list(fast.iterdir()) and not list(s1.iterdir())
    # The card first in the same place, the DESTs fresh drives: no other reading.
    d1, d2 = tmp_path / "D1", tmp_path / "D2"
    d1.mkdir()
    d2.mkdir()
    done = run_offload("copy", "--report-dir", reports, "--cascade-to", s1, card, d1, d2)
    assert done.returncode == 0, done.stderr
    assert (s1 / "C" / "A001.mov").read_bytes() == (card / "A001.mov").read_bytes()


def _tree(root: Path) -> list[tuple[str, bytes]]:
    """Every file under *root* with its bytes, and every folder (b"" for none)."""
    return sorted(
        (str(p.relative_to(root)), p.read_bytes() if p.is_file() else b"") for p in root.rglob("*")
    )


@pytest.mark.parametrize(
    "form",
    [
        "one-dest",  # --cascade-to S1 S2 CARD: the fast DEST forgotten, S2 a drive we wrote to
        "not-there",  # --cascade-to S1 S2 CARD FAST, S2 a slow drive not made yet
        "three-slow",  # --cascade-to S1 S2 S3 CARD FAST: S3 read as the first DEST
        "three-slow-new",  # the same, S2 a new drive (a vendor's files), S3 empty
        "three-slow-new-used",  # S2 a new drive, S3 a drive offload-ai wrote to
        "three-slow-new-one-dest",  # --cascade-to S1 S2 S3 CARD: the fast DEST forgotten
        "copy-root",  # --cascade-to S1 S2 COPY FAST: a card's copy given as the card
    ],
)
def test_every_form_reading_the_card_as_a_destination_is_refused_before_a_write(
    tmp_path: Path, form: str
) -> None:
    """Options first, a slow drive after the one value of ``--cascade-to`` is read as the
    card, and the card, given after it, as a destination. Failed before (each exit 0 or 1,
    something written onto the card and the other drives): with one DEST (no check was made
    for fewer than two), with a third slow drive (only the first DEST was looked at, S3, a
    drive offload-ai wrote to), and with a copy root given as the card (``.offload`` in it
    was taken for a drive offload-ai wrote to). Then (review of casc65, M2) with three slow
    drives, S2 a new drive holding a vendor's files: CARD, the second DEST, was only looked
    at where SOURCE may be a slow drive (exit 0, CARD/S2 written, the card never read). Now
    refused, exit 64, one line naming the
    card's reading and both ways on, the user's own words kept (``-t md5``); no file or
    folder made or changed anywhere, the report folder included. The same commands with the
    card written first, or with ``--cascade-to`` repeated, are not refused by this line."""
    card, s1, s2, s3, fast = (tmp_path / n for n in ("C", "S1", "S2", "S3", "F"))
    for folder in (card, s1, s2, s3, fast):
        folder.mkdir()
    (card / "A001.mov").write_bytes(b"clip" * 1000)
    (s2 / "OLD" / ".offload").mkdir(parents=True)  # a shuttle drive an earlier run wrote to
    (s2 / "OLD" / "A000.mov").write_bytes(b"an earlier card's clip")
    (s3 / "OLD" / ".offload").mkdir(parents=True)
    if form == "copy-root":  # the card is an earlier offload's copy root, .offload in it
        (card / ".offload").mkdir()
        (card / ".offload" / "ledger.jsonl").write_text("{}\n")
    if form == "not-there":
        shutil.rmtree(s2)
    if form.startswith("three-slow-new"):  # a new drive: its vendor's files, no offload's
        shutil.rmtree(s2 / "OLD")
        (s2 / "Start_Here_Mac.txt").write_text("register your drive")
    if form in ("three-slow-new", "three-slow-new-one-dest"):
        shutil.rmtree(s3 / "OLD")
    reports = tmp_path / "reports"
    paths = {
        "one-dest": [s2, card],
        "not-there": [s2, card, fast],
        "three-slow": [s2, s3, card, fast],
        "three-slow-new": [s2, s3, card, fast],
        "three-slow-new-used": [s2, s3, card, fast],
        "three-slow-new-one-dest": [s2, s3, card],
        "copy-root": [s2, card, fast],
    }[form]
    before = _tree(tmp_path)
    argv = ["copy", "-t", "md5", "--report-dir", str(reports), "--cascade-to", str(s1)]
    refused = run_offload(*argv, *paths)
    lines = refused.stderr.splitlines()
    assert refused.returncode == 64, refused.stderr
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"ERROR: --cascade-to {s1} {s2} "), lines
    assert f"{s2} is read as the card and {card} (" in lines[0], lines
    slow = [w for p in paths[: paths.index(card)] for w in ("--cascade-to", str(p))]
    repeated = " ".join([*argv, *slow, *map(str, paths[paths.index(card) :])])
    assert f"repeat --cascade-to (offload {repeated})" in lines[0], lines
    first = " ".join([*argv[:-2], *map(str, paths), "--cascade-to", str(s1)])
    assert f"write it first (offload {first})" in lines[0], lines
    assert _tree(tmp_path) == before
    assert not reports.exists()
    # Written the way the refusal says (the slow drives repeated), nothing is misread: any
    # refusal left is another one (a cascade with no fast DEST).
    if (form.startswith("three-slow") and not form.endswith("one-dest")) or form == "copy-root":
        done = run_offload(*repeated.split())
        assert "is read as the card" not in done.stderr, done.stderr
        assert done.returncode == 0, done.stderr
        assert (fast / "C" / "A001.mov").read_bytes() == (card / "A001.mov").read_bytes()


def test_a_card_after_one_cascade_to_with_one_dest_goes_on(tmp_path: Path) -> None:
    """``--cascade-to S1 CARD RAID`` (the common form, one DEST), RAID a drive holding other
    files no offload wrote: no other reading (CARD holds files, no slow drive's look), the
    offload runs. So does ``--into`` with two DESTs, the first a copy root a run wrote
    (``.offload`` in it: the copy root of that command, not a card given as a DEST)."""
    card, s1, raid = (tmp_path / n for n in ("C", "S1", "RAID"))
    for folder in (card, s1, raid):
        folder.mkdir()
    (card / "A001.mov").write_bytes(b"clip" * 1000)
    (raid / "notes.txt").write_bytes(b"the production's notes")
    reports = tmp_path / "reports"
    done = run_offload("copy", "--report-dir", reports, "--cascade-to", s1, card, raid)
    assert done.returncode == 0, done.stderr
    assert (s1 / "C" / "A001.mov").read_bytes() == (card / "A001.mov").read_bytes()
    # --into, the first of two DESTs the copy root an earlier run wrote (.offload in it).
    raid2 = tmp_path / "RAID2"
    raid2.mkdir()
    argv = ["copy", "--report-dir", reports, "--into", "--cascade-to", s1 / "C", card]
    again = run_offload(*argv, raid / "C", raid2)
    assert again.returncode == 0, again.stderr
    assert (raid2 / "A001.mov").read_bytes() == (card / "A001.mov").read_bytes()


def test_a_cards_copy_root_as_source_after_one_cascade_to_goes_on(tmp_path: Path) -> None:
    """Re-offloading from a shuttle drive's copy of a card (a copy root, ``.offload`` in
    it) given as SOURCE, without ``--into``: it is the card (as ``_may_be_a_card`` reads
    the same folder), not a slow drive. Failed before (review of casc65, M1: exit 64, the
    copy root taken for a slow drive and the lab's RAID, holding other files, for the
    card): with one DEST holding files, with --cascade-to repeated, and with an empty DEST
    before it. Each runs now and copies the card's files to every destination."""
    card, shuttle, lab, lto, lto2, new = (
        tmp_path / n for n in ("C", "SHUTTLE", "LAB_RAID", "LTO", "LTO2", "NEWRAID")
    )
    for folder in (card, shuttle, lab, lto, lto2, new):
        folder.mkdir()
    (card / "A001.mov").write_bytes(b"clip" * 1000)
    (lab / "Projects").mkdir()
    (lab / "Projects" / "readme.txt").write_text("the lab's projects")
    reports = tmp_path / "reports"
    first = run_offload("copy", "--report-dir", reports, card, shuttle)
    assert first.returncode == 0, first.stderr
    copy = shuttle / "C"
    assert (copy / ".offload").is_dir()
    clip = (card / "A001.mov").read_bytes()
    for cascade, dests, slow in (
        (["--cascade-to", lto], [lab], [lto]),
        (["--cascade-to", lto2, "--cascade-to", lto], [lab], [lto2, lto]),
        (["--cascade-to", lto], [new, lab], [lto]),
    ):
        done = run_offload("copy", "--report-dir", reports, *cascade, copy, *dests)
        assert done.returncode == 0, done.stderr
        for drive in (*dests, *slow):
            assert (drive / "C" / "A001.mov").read_bytes() == clip, drive


def test_a_card_at_an_exfat_volumes_root_after_one_cascade_to_goes_on(
    tmp_path: Path, exfat_loop: Any
) -> None:
    """``--cascade-to LTO EXCARD NEW LOOSE RAID2``: EXCARD the root of an exFAT volume (what
    a camera formats its card with) holding ``C9/a0.mov`` (no camera layout, no clip at its
    top), LOOSE a RAID holding loose clips at its top. SOURCE at an exFAT root shows a
    card's signs, so LOOSE is not read as the card. Failed before (review of revfix4_65,
    M-A: exit 64, LOOSE taken for the card). The clip is on every DEST and LTO."""
    card = exfat_loop(16 << 20, path=tmp_path / "EXCARD", label="EXCARD").path
    (card / "C9").mkdir()
    (card / "C9" / "a0.mov").write_bytes(b"card clip " * 2000)
    lto, new, loose, raid2 = (tmp_path / n for n in ("LTO", "NEW", "LOOSE", "RAID2"))
    for folder in (lto, new, loose, raid2):
        folder.mkdir()
    (loose / "B001C001.mov").write_bytes(b"another show's clip")
    reports = tmp_path / "reports"
    argv = ["copy", "-q", "--report-dir", reports, "--cascade-to", lto, card]
    done = run_offload(*argv, new, loose, raid2)
    assert "is read as the card" not in done.stderr, done.stderr
    assert done.returncode == 0, done.stderr
    for drive in (new, loose, raid2, lto):
        assert (drive / card.name / "C9" / "a0.mov").read_bytes() == b"card clip " * 2000
    assert (loose / "B001C001.mov").read_bytes() == b"another show's clip"


def test_the_misread_drive_line_counts_every_cascade_to_and_repeats_none(tmp_path: Path) -> None:
    """Review of revfix4_65, LOW 1 and 2. ``--cascade-to S1 S2 CARD F --cascade-to S0``:
    S2 would be a third slow drive (before: "a second", the --cascade-to after the paths not
    counted). ``--cascade-to S1 S2 S1 CARD F``: the slow drive also given as a DEST is not
    taken for the card, and the repeat way names it once (before: ``--cascade-to S1
    --cascade-to S2 --cascade-to S1 CARD F``). Nothing written."""
    card, s0, s1, s2, fast = (tmp_path / n for n in ("C", "S0", "S1", "S2", "F"))
    for folder in (card, s0, s1, s2, fast):
        folder.mkdir()
    (card / "A001C001.mov").write_bytes(b"clip" * 1000)
    (s2 / "Start_Here_Mac.txt").write_text("register your drive")
    before = _tree(tmp_path)
    refused = run_offload("copy", "--cascade-to", s1, s2, card, fast, "--cascade-to", s0)
    assert refused.returncode == 64, refused.stderr
    assert f"if {s2} is a third slow drive" in refused.stderr, refused.stderr
    refused = run_offload("copy", "--cascade-to", s1, s2, s1, card, fast)
    assert refused.returncode == 64, refused.stderr
    assert f"{s2} is read as the card and {card} (" in refused.stderr, refused.stderr
    repeated = f"(offload copy --cascade-to {s1} --cascade-to {s2} {card} {fast})"
    assert f"repeat --cascade-to {repeated}" in refused.stderr, refused.stderr
    assert _tree(tmp_path) == before


def test_a_source_not_there_before_other_shows_raids_gets_the_absent_card_line(
    tmp_path: Path,
) -> None:
    """``--cascade-to LTO GONE RAIDO RAIDO2``, GONE not there (the card not inserted), the
    RAIDs holding other shows: the absent card's line. Failed before (review of revfix4_65,
    LOW 3): the misread-drive line, RAIDO taken for the card. Nothing written."""
    lto, raido, raido2 = (tmp_path / n for n in ("LTO", "RAIDO", "RAIDO2"))
    lto.mkdir()
    for raid in (raido, raido2):
        (raid / "OtherShow" / "Day1").mkdir(parents=True)
        (raid / "OtherShow" / "Day1" / "x.mov").write_bytes(b"another show")
    before = _tree(tmp_path)
    refused = run_offload("copy", "--cascade-to", lto, tmp_path / "GONE", raido, raido2)
    assert refused.returncode == 64, refused.stderr
    assert "is read as the card" not in refused.stderr, refused.stderr
    assert f"the card {tmp_path / 'GONE'} is absent" in refused.stderr, refused.stderr
    assert _tree(tmp_path) == before


def test_a_source_not_there_gets_the_absent_card_line(tmp_path: Path) -> None:
    """``--cascade-to S1 NOCARD RAID``, NOCARD not there (the card not inserted), RAID a
    drive holding other files: the absent card's line, not the misread-drive refusal.
    Failed before (review of casc65, LOW 3): a SOURCE not there counted as a slow drive,
    so RAID was taken for the card. Nothing is written on RAID or S1."""
    s1, raid = tmp_path / "S1", tmp_path / "RAID"
    for folder in (s1, raid):
        folder.mkdir()
    (raid / "notes.txt").write_text("the production's notes")
    before = _tree(tmp_path)
    refused = run_offload("copy", "--cascade-to", s1, tmp_path / "NOCARD", raid)
    assert refused.returncode == 64, refused.stderr
    assert "is read as the card" not in refused.stderr, refused.stderr
    assert f"the card {tmp_path / 'NOCARD'} is absent" in refused.stderr, refused.stderr
    assert "insert the card" in refused.stderr
    assert _tree(tmp_path) == before


def test_a_card_after_repeated_cascade_to_written_first_pastes_back(tmp_path: Path) -> None:
    """``--cascade-to S1 --cascade-to S2 S3 CARD RAID``, S3 a new drive holding its vendor's
    files (no card's signs), CARD clips at its top: CARD may be the card (S3 a third slow
    drive), so it is refused; the "write it first" way moves both --cascade-to after the
    paths, and pasted back it runs (review of casc65, LOW 1: it moved only the last one).
    ``--cascade-to S1 --cascade-to S2 CARD RAID RAID2``, CARD clips at its top, RAID a drive
    holding other files, and a GoPro card (DCIM/) the same way, run: SOURCE shows a card's
    signs (failed before, review of revfix4_65 M-A: the first refused, exit 64)."""
    card, s1, s2, s3 = (tmp_path / n for n in ("C", "S1", "S2", "S3"))
    raid, raid2 = tmp_path / "RAID", tmp_path / "RAID2"
    for folder in (card, s1, s2, s3, raid, raid2):
        folder.mkdir()
    (card / "A001.mov").write_bytes(b"clip" * 1000)
    (s3 / "Start_Here_Mac.txt").write_text("register your drive")
    (raid / "notes.txt").write_text("the production's notes")
    reports = tmp_path / "reports"
    argv = ["copy", "--report-dir", str(reports), "--cascade-to", str(s1)]
    argv += ["--cascade-to", str(s2), str(s3), str(card), str(raid)]
    refused = run_offload(*argv)
    assert refused.returncode == 64, refused.stderr
    assert f"if {s3} is a third slow drive" in refused.stderr, refused.stderr
    first = f"offload copy --report-dir {reports} {s3} {card} {raid} "
    first += f"--cascade-to {s1} --cascade-to {s2}"
    assert f"write it first ({first})" in refused.stderr, refused.stderr
    assert not list(raid.glob("S3")) and not list(card.glob("S3"))
    argv = ["copy", "--report-dir", str(reports), "--cascade-to", str(s1)]
    done = run_offload(*argv, "--cascade-to", s2, card, raid, raid2)
    assert done.returncode == 0, done.stderr
    for drive in (raid, raid2, s1, s2):
        assert (drive / "C" / "A001.mov").read_bytes() == (card / "A001.mov").read_bytes()
    # A camera card's layout, --cascade-to repeated before it: nothing was swallowed.
    gopro = tmp_path / "GOPRO"
    (gopro / "DCIM" / "100GOPRO").mkdir(parents=True)
    (gopro / "DCIM" / "100GOPRO" / "GX010001.MP4").write_bytes(b"mp4" * 1000)
    done = run_offload(*argv, "--cascade-to", s2, gopro, raid, raid2)
    assert done.returncode == 0, done.stderr
    assert (raid / "GOPRO" / "DCIM" / "100GOPRO" / "GX010001.MP4").is_file()


def _ordinary_drives(tmp_path: Path) -> dict[str, Path]:
    """A DIT's drives (review of revfix4_65, M-A): RAIDW a RAID an earlier offload wrote to
    (OLDCARD's copy, its .offload), RAIDO and RAIDO2 RAIDs holding other shows, NEW and LTO
    empty, and three cards: CARD clips at its top, DCARD a Canon stills card (DCIM/),
    SCARD a Sony card (PRIVATE/M4ROOT/)."""
    names = ("OLDCARD", "RAIDW", "RAIDO", "RAIDO2", "RAID2", "NEW", "LTO", "LTO2", "CARD")
    drives = {n: tmp_path / n for n in (*names, "DCARD", "SCARD")}
    for name in names:
        drives[name].mkdir()
    (drives["OLDCARD"] / "B001C001.mov").write_bytes(b"old" * 1000)
    for raid in ("RAIDO", "RAIDO2"):
        (drives[raid] / "OtherShow" / "Day1").mkdir(parents=True)
        (drives[raid] / "OtherShow" / "Day1" / "x.mov").write_bytes(b"another show")
    (drives["CARD"] / "A001C001.mov").write_bytes(b"clip" * 1000)
    (drives["DCARD"] / "DCIM" / "100CANON").mkdir(parents=True)
    (drives["DCARD"] / "DCIM" / "100CANON" / "IMG_0001.JPG").write_bytes(b"jpg" * 1000)
    (drives["SCARD"] / "PRIVATE" / "M4ROOT" / "CLIP").mkdir(parents=True)
    (drives["SCARD"] / "PRIVATE" / "M4ROOT" / "CLIP" / "C0001.MP4").write_bytes(b"mp4" * 999)
    first = run_offload("copy", "-q", drives["OLDCARD"], drives["RAIDW"])
    assert first.returncode == 0, first.stderr
    return drives


@pytest.mark.parametrize(
    "command",
    [
        "DCARD RAIDW RAIDO RAID2",  # the reviewer's repro: a RAID we wrote to first
        "CARD RAIDW RAIDO RAID2",
        "CARD LTO RAIDO RAIDO2",  # the slow drive listed as a DEST too
        "CARD NEW RAIDO RAIDO2",
        "DCARD NEW RAIDO RAIDO2",
        "SCARD NEW RAIDO RAIDO2",
        "--cascade-to LTO2 CARD NEW RAIDO RAIDO2",
    ],
)
def test_a_card_after_one_cascade_to_before_other_shows_raids_goes_on(
    tmp_path: Path, command: str
) -> None:
    """``offload copy --cascade-to LTO CARD D1 RAIDO RAIDO2``, SOURCE showing a card's signs
    (clips at its top, DCIM/, PRIVATE/M4ROOT/), RAIDO a RAID holding other shows: the card
    is SOURCE, nothing else is read. Failed before (review of revfix4_65, M-A): exit 64,
    "CARD is read as the card and RAIDO ... as a destination". Now each runs, exit 0, and
    the card's files are on every DEST and the slow drive, RAIDO's own files untouched."""
    drives = _ordinary_drives(tmp_path)
    words = [str(drives.get(w, w)) for w in command.split()]
    reports = tmp_path / "reports"
    done = run_offload("copy", "-q", "--report-dir", reports, "--cascade-to", drives["LTO"], *words)
    assert "is read as the card" not in done.stderr, done.stderr
    source = next(Path(w) for w in words if Path(w).name in ("CARD", "DCARD", "SCARD"))
    assert done.returncode == 0, done.stderr
    files = sorted(p.relative_to(source) for p in source.rglob("*") if p.is_file())
    dests = [Path(w) for w in words[words.index(str(source)) + 1 :]]
    for drive in (*dests, drives["LTO"]):
        for relative in files:
            copy = drive / source.name / relative
            assert copy.read_bytes() == (source / relative).read_bytes(), copy
    assert (drives["RAIDO"] / "OtherShow" / "Day1" / "x.mov").read_bytes() == b"another show"


@pytest.mark.parametrize("card", ["CARD", "SCARD"])
def test_a_card_after_one_cascade_to_before_a_bucket_is_not_read_as_a_drive(
    tmp_path: Path, card: str
) -> None:
    """``--cascade-to LTO CARD s3://b/p RAIDO RAIDO2`` (an ``s3://`` URL may be a slow
    drive): SOURCE shows a card's signs, so no DEST is read as the card. Failed before
    (review of revfix4_65, M-A): the misread-drive line. Judged by the check itself on the
    real folders (the run would need a bucket)."""
    drives = _ordinary_drives(tmp_path)
    dests = ["s3://b/p", str(drives["RAIDO"]), str(drives["RAIDO2"])]
    words = ["copy", "--cascade-to", str(drives["LTO"]), str(drives[card]), *dests]
    assert common.swallowed_slow_drive(words, str(drives[card]), dests) == ""


def _misordered_drives(
    tmp_path: Path, card_file: str, reused: str = "OLD/B001C003.mov"
) -> tuple[Path, Path, Path, Path]:
    """``CARD``, ``S1``, ``S2`` and ``FAST`` in *tmp_path* for ``--cascade-to S1 S2 CARD
    FAST``: S1 and FAST empty, CARD holding *card_file* (a clip's bytes), S2 a drive reused
    as a slow drive, holding *reused* (an old take)."""
    card, s1, s2, fast = (tmp_path / n for n in ("CARD", "S1", "S2", "FAST"))
    for folder in (s1, fast):
        folder.mkdir()
    (card / card_file).parent.mkdir(parents=True)
    (card / card_file).write_bytes(b"clip" * 1000)
    (s2 / reused).parent.mkdir(parents=True)
    (s2 / reused).write_bytes(b"an old take")
    return card, s1, s2, fast


def _refused_misordered(
    tmp_path: Path, card: Path, s1: Path, s2: Path, fast: Path
) -> subprocess.CompletedProcess[str]:
    """``offload copy --cascade-to S1 S2 CARD FAST`` checked refused: exit 64, the line
    that S2 is read as the card and CARD as a destination, nothing under *tmp_path*
    changed. The run."""
    before = _tree(tmp_path)
    refused = run_offload("copy", "--cascade-to", s1, s2, card, fast)
    assert refused.returncode == 64, refused.stderr
    assert f"{s2} is read as the card and {card} (" in refused.stderr, refused.stderr
    assert _tree(tmp_path) == before
    return refused


_PLAIN_CARDS = [
    "A001R2AB/A001C001_230101_R2AB.mxf",
    "A001R2AB/A001C001_230101_R2AB/A001C001_230101_R2AB.mxf",
    "Clip/C0001.MXF",
    "A001R2AB/C001.mov",
]


@pytest.mark.parametrize("reused", ["OLD/B001C003.mov", "Music/track.mp3"])
@pytest.mark.parametrize("layout", [*_PLAIN_CARDS, "A001C001.mov"])
def test_a_card_read_as_a_destination_is_refused_whatever_folder_of_clips_s2_holds(
    tmp_path: Path, layout: str, reused: str
) -> None:
    """``--cascade-to S1 S2 CARD FAST``, S2 a drive reused as a slow drive (a folder of clips
    or music in it), CARD a card whose only layout is plain folders (an ARRI reel copied into
    a folder, its clip in the reel folder or in a clip folder there; a clip folder copied
    loose, ``Clip/*.MXF``; a folder of clips) or clips at its top. Refused, exit 64, nothing
    written anywhere. Failed before (revfix1_66, H1): exit 0, CARD/S2 written into the card,
    S2's folder of clips counted a card's sign that made S2 the card whatever followed."""
    card, s1, s2, fast = _misordered_drives(tmp_path, layout, reused)
    _refused_misordered(tmp_path, card, s1, s2, fast)


def test_a_camera_card_read_as_a_destination_gets_the_misordering_line(tmp_path: Path) -> None:
    """``--cascade-to S1 S2 CARD FAST``, S2 holding a folder of clips, CARD a camera's
    layout (``DCIM/``): refused by the misordering line naming both forms, never the
    preflight's "add --all" alone. Failed before (revfix1_66, H1): S2 taken for the card,
    the only line the preflight's, which invites --all."""
    card, s1, s2, fast = _misordered_drives(tmp_path, "DCIM/100GOPRO/GX010001.MP4")
    _refused_misordered(tmp_path, card, s1, s2, fast)


@pytest.mark.parametrize(
    "raid",
    [
        ["Exports/cut_v3.mp4"],
        ["ShowA/Day1/A001/.offload/", "Sound/T001.wav"],
        ["A001R2AB/A001C001_230101_R2AB/A001C001_230101_R2AB.mxf"],
        ["B001C001.mov", "ShowA/Day1/A001/.offload/"],
        ["B001C001.mov", "Other/ShowB/A002/ascmhl/"],
    ],
    ids=["exports", "deep-copy-roots-and-sound", "finder-copy", "loose-clip-deep", "ascmhl-deep"],
)
def test_cascade_to_lto_proj_raid_goes_on_whatever_media_raid_holds(
    tmp_path: Path, raid: list[str]
) -> None:
    """``--cascade-to LTO PROJ RAID``, PROJ a project's folder (a document, no clip), RAID a
    drive holding media in folders (exports, a sound folder, a Finder copy of a card), or
    loose clips beside copy roots three folders down. The offload runs: PROJ's files on
    RAID and LTO, RAID's own untouched. Failed before (revfix1_66, M1): exit 64, "PROJ is
    read as the card and RAID ..." (a folder of clips, or a camera's names in a folder,
    counted a card's sign; copy roots looked for one folder down only)."""
    lto, proj, drive = (tmp_path / n for n in ("LTO", "PROJ", "RAID"))
    for folder in (lto, proj):
        folder.mkdir()
    (proj / "budget.txt").write_text("the project's budget")
    for name in raid:
        (drive / name).parent.mkdir(parents=True, exist_ok=True)
        if name.endswith("/"):
            (drive / name).mkdir()
        else:
            (drive / name).write_bytes(b"media of the drive's own")
    before = _tree(drive)
    done = run_offload(
        "copy", "--report-dir", tmp_path / "reports", "--cascade-to", lto, proj, drive
    )
    assert "is read as the card" not in done.stderr, done.stderr
    assert done.returncode == 0, done.stderr
    for copy in (drive, lto):
        assert (copy / "PROJ" / "budget.txt").read_text() == "the project's budget"
    assert [e for e in _tree(drive) if not e[0].startswith("PROJ")] == before


@pytest.mark.parametrize("layout", _PLAIN_CARDS)
def test_a_card_of_plain_folders_read_as_a_destination_is_refused(
    tmp_path: Path, layout: str
) -> None:
    """``--cascade-to S1 S2 CARD FAST``, S2 a new drive holding a folder of clips, CARD a
    card whose only layout is plain folders: an ARRI reel copied into a folder (its clip in
    the reel folder), a clip folder copied loose (``Clip/*.MXF``), a folder of clips.
    Refused, exit 64, nothing written anywhere. Failed before (casc66, 3a): exit 0, CARD/S2
    written into the card (a clip counted only at the card's top). Where S2 shows no sign
    of its own (only a document), a camera's names or clips in a folder of a DEST tell a
    card from a drive holding a Finder copy of one no better (``--cascade-to LTO PROJ
    RAID`` above goes on)."""
    card, s1, s2, fast = _misordered_drives(tmp_path, layout)
    refused = _refused_misordered(tmp_path, card, s1, s2, fast)
    # Each slow drive its own --cascade-to, as the line says it: it runs, the card on both.
    assert f"offload copy --cascade-to {s1} --cascade-to {s2} {card} {fast})" in refused.stderr
    done = run_offload("copy", "--cascade-to", s1, "--cascade-to", s2, card, fast)
    assert "is read as the card" not in done.stderr, done.stderr
    assert done.returncode == 0, done.stderr
    for drive in (fast, s1, s2):
        assert (drive / "CARD" / layout).read_bytes() == (card / layout).read_bytes()


@pytest.mark.parametrize("signs", ["state", "ascmhl", "copy-roots"])
def test_a_raid_with_loose_clips_and_a_destinations_signs_is_no_card(
    tmp_path: Path, signs: str
) -> None:
    """``--cascade-to LTO PROJ RAID``: PROJ a project's folder (a document, no clip), RAID clips
    loose at its top beside a destination's signs: our state (an ``--into`` copy root), another
    tool's copy of a card (its ASC MHL history in it), or our copy roots. RAID is plainly a
    destination: the offload runs, PROJ's files on RAID and LTO, RAID's own untouched. Failed
    before (casc66, 3b): exit 64, "PROJ is read as the card and RAID ... as a destination" (its
    clips alone counted). Without those signs, RAID is still refused, as a card may be."""
    lto, proj, raid = (tmp_path / n for n in ("LTO", "PROJ", "RAID"))
    for folder in (lto, proj, raid):
        folder.mkdir()
    (proj / "budget.txt").write_text("the project's budget")
    (raid / "B001C001.mov").write_bytes(b"a clip kept loose")
    reports = tmp_path / "reports"
    refused = run_offload("copy", "--report-dir", reports, "--cascade-to", lto, proj, raid)
    assert refused.returncode == 64, refused.stderr
    assert f"{proj} is read as the card and {raid} (" in refused.stderr, refused.stderr
    if signs == "state":
        first = run_offload("copy", "--into", "--report-dir", reports, proj, raid)
        assert first.returncode == 0, first.stderr
        assert (raid / ".offload").is_dir()
    elif signs == "ascmhl":  # another tool's copy of a card, its ASC MHL history in it
        (raid / "OLDCARD" / "ascmhl").mkdir(parents=True)
        (raid / "OLDCARD" / "A000C001.mov").write_bytes(b"an earlier card's clip")
    else:
        (raid / "OLDCARD" / ".offload").mkdir(parents=True)
        (raid / "OLDCARD" / "A000C001.mov").write_bytes(b"an earlier card's clip")
    done = run_offload("copy", "--report-dir", reports, "--cascade-to", lto, proj, raid)
    assert "is read as the card" not in done.stderr, done.stderr
    assert done.returncode == 0, done.stderr
    for drive in (raid, lto):
        assert (drive / "PROJ" / "budget.txt").read_text() == "the project's budget"
    assert (raid / "B001C001.mov").read_bytes() == b"a clip kept loose"


def test_a_drive_with_deep_copy_roots_in_the_middle_never_lets_the_card_be_written_into(
    tmp_path: Path,
) -> None:
    """``offload copy --cascade-to S1 S2 S3 CARD FAST`` where S3 holds copy roots three
    folders down (``S3/ShowA/Day1/OTHER/.offload``): S3 is a slow drive like S2, so CARD,
    read as a destination, is found and the command refused (exit 64), CARD untouched; the
    same with S3 read as SOURCE (``--cascade-to S1 S3 CARD FAST``). Failed before (review):
    exit 1, S2's tree copied into CARD/S2 — the slow-drive test looked one folder down while
    the card test looked three, so S3 was neither and the walk stopped at it."""
    other, card = tmp_path / "OTHER", tmp_path / "CARD"
    (other / "CLIPS").mkdir(parents=True)
    (other / "CLIPS" / "X.mov").write_bytes(os.urandom(50_000))
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "C0001.mov").write_bytes(os.urandom(50_000))
    s1, s2, s3, fast = (tmp_path / n for n in ("S1", "S2", "S3", "FAST"))
    for folder in (s1, s2, s3 / "ShowA" / "Day1", fast):
        folder.mkdir(parents=True)
    reports = tmp_path / "reports"
    for target in (s2, s3 / "ShowA" / "Day1"):
        made = run_offload("copy", "--report-dir", reports, other, target)
        assert made.returncode == 0, made.stderr
    before = sorted(str(p.relative_to(card)) for p in card.rglob("*"))
    for slow in ((s2, s3), (s3,)):
        refused = run_offload(
            "copy", "--report-dir", reports, "--cascade-to", s1, *slow, card, fast
        )
        assert refused.returncode == 64, refused.stderr
        assert refused.stderr.startswith("ERROR: --cascade-to "), refused.stderr
        assert sorted(str(p.relative_to(card)) for p in card.rglob("*")) == before
