"""What a script reads from ``offload``: exit codes, JSON lines and reports that state what
was checked, and one ``ERROR:`` line naming the path for a bad input (each test runs the
command as a subprocess on real files)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "offload.cli.offload"]


def run(
    *args: str | Path, reports: Path, timeout: float = 120, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``offload *args`` with its local reports in *reports*, run in *cwd* (None: this one)."""
    env = {**os.environ, "OFFLOAD_REPORT_DIR": str(reports)}
    return subprocess.run(
        [*CLI, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=env,
        cwd=cwd,
    )


def errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("ERROR: ")]


@pytest.fixture
def card(tmp_path: Path) -> Path:
    """A small card: clips, a side file, an empty folder and Finder junk."""
    root = tmp_path / "card1"
    (root / "A001" / "CLIP").mkdir(parents=True)
    (root / "EMPTY").mkdir()
    for number in (1, 2, 3):
        (root / "A001" / "CLIP" / f"c{number}.mov").write_bytes(os.urandom(number * 30_000))
    (root / "A001" / "note.txt").write_text("hi\n")
    (root / ".DS_Store").touch()
    return root


@pytest.fixture
def copied(card: Path, tmp_path: Path) -> Path:
    """The card offloaded once: its copy root."""
    (tmp_path / "o1").mkdir()
    result = run("copy", "-q", card, tmp_path / "o1", reports=tmp_path / "reports")
    assert result.returncode == 0, result.stderr
    return tmp_path / "o1" / card.name


@pytest.mark.parametrize(
    "content", [None, b"not xml at all", b"<?xml version='1.0'?><other/>"], ids=str
)
def test_verify_against_a_legacy_mhl_that_cannot_be_read_is_a_usage_error(
    copied: Path, tmp_path: Path, content: bytes | None
) -> None:
    """Nothing was checked: 64 (bad input, one line naming the file and what to do), never
    11 ("files changed or unreadable"), which a script reads as a damaged copy."""
    mhl = tmp_path / "given.mhl"
    if content is not None:
        mhl.write_bytes(content)
    reports = tmp_path / "reports"
    result = run("verify", "--mhl-file", mhl, copied, reports=reports)
    assert result.returncode == 64, result.stderr
    lines = errors(result.stderr)
    assert len(lines) == 1 and str(mhl) in lines[0] and "--mhl-file" in lines[0], result.stderr
    as_json = run("verify", "--json", "--mhl-file", mhl, copied, reports=reports)
    data = json.loads(as_json.stdout)
    assert as_json.returncode == data["exit_code"] == 64
    assert data["reference"] is None and data["passed"] is False


@pytest.mark.parametrize(
    ("option", "value", "mhl"),
    [
        ("--author-email", "notanemail", "ascmhl"),
        ("--author-email", "a@b", "ascmhl"),
        ("--comment", "bell\x07", "ascmhl"),
        # A legacy MHL alone: before, the copy ran and its manifest was refused (exit 1).
        ("--author-name", "Bad\x01Name", "legacy"),
    ],
)
def test_a_creator_field_the_asc_mhl_schema_refuses_is_refused_before_the_copy(
    card: Path, tmp_path: Path, option: str, value: str, mhl: str
) -> None:
    """Refused like any bad input (64, one line naming the field), with nothing written;
    before, every file was copied and verified, the summary said ok, and then the manifest
    was refused (exit 1, no ascmhl/)."""
    dest = tmp_path / "o3"
    dest.mkdir()
    result = run(
        "copy", "-q", "--mhl", mhl, option, value, card, dest, reports=tmp_path / "reports"
    )
    assert result.returncode == 64, result.stderr
    lines = errors(result.stderr)
    assert len(lines) == 1 and repr(value) in lines[0], result.stderr
    assert list(dest.iterdir()) == [] and not (tmp_path / "reports").exists()


def test_verify_append_refuses_the_same_creator_field_before_reading(
    copied: Path, tmp_path: Path
) -> None:
    """The one check, shared: ``verify --append`` refuses the same value with the same words,
    before anything is read, and appends nothing."""
    before = sorted(p.name for p in (copied / "ascmhl").iterdir())
    result = run(
        "verify", "--append", "--author-email", "notanemail", copied, reports=tmp_path / "r"
    )
    assert result.returncode == 64, result.stderr
    lines = errors(result.stderr)
    assert len(lines) == 1 and "'notanemail' is not an e-mail address" in lines[0]
    assert sorted(p.name for p in (copied / "ascmhl").iterdir()) == before
    assert not (tmp_path / "r").exists()  # nothing read: no report
    as_json = run(
        "verify", "--json", "--append", "--author-email", "x", copied, reports=tmp_path / "r"
    )
    assert as_json.returncode == json.loads(as_json.stdout)["exit_code"] == 64
    ok = run(
        "verify", "--append", "--author-email", "dit@example.com", copied, reports=tmp_path / "r"
    )
    assert ok.returncode == 0, ok.stderr


def _damaged(report: dict[str, object], key: str, value: object) -> dict[str, object]:
    damaged = json.loads(json.dumps(report))
    where = damaged
    *parents, last = key.split(".")
    for part in parents:
        where = where[int(part)] if isinstance(where, list) else where[part]  # type: ignore[index]
    if value is ...:
        del where[last]  # type: ignore[attr-defined]
    else:
        where[last] = value  # type: ignore[index]
    return damaged


DAMAGE = [
    ("started", 12, "started is 12, not a date"),
    ("destinations", None, "destinations is null, not a list"),
    ("totals", "big", 'totals is "big", not an object'),
    ("files.0.size_bytes", "big", 'files[0].size_bytes is "big"'),
    ("files.0.destinations.0.status", "fine", "not a state"),
    ("files.0.destinations.0.index", 7, "not one of the report's destinations"),
]


def test_a_damaged_job_report_is_an_error_row_in_history_and_refused_by_report(
    copied: Path, tmp_path: Path
) -> None:
    """Valid JSON, wrong shape: history lists the rest and names the file in its error row
    (before, one such file made it exit with a traceback); ``offload report`` says one line,
    exit 64 (before: a traceback). A file of only the schema is such a file too, never a
    "failed" offload."""
    reports = tmp_path / "reports"
    original = json.loads(next(reports.glob("card1_*.json")).read_text())
    store = tmp_path / "store"
    store.mkdir()
    (store / "good.json").write_text(json.dumps(original))
    damaged = {
        f"bad{number}.json": _damaged(original, key, value)
        for number, (key, value, _) in enumerate(DAMAGE)
    }
    damaged["schema-only.json"] = {"schema": "offload-ai/job-report/2"}
    for name, data in damaged.items():
        (store / name).write_text(json.dumps(data))

    listed = run("history", "--json", "--report-dir", store, reports=reports)
    assert listed.returncode == 0, listed.stderr
    entries = {Path(e["report"]).name: e for e in json.loads(listed.stdout)}
    assert entries["good.json"]["result"] == "verified" and entries["good.json"]["error"] is None
    for name in damaged:
        entry = entries[name]
        # The documented machine value; the reason in words is the error's.
        assert entry["result"] == "unreadable" and entry["kind"] is None, entry
        assert entry["error"].startswith("not a valid job report: "), entry
        assert entry["exit_code"] is None and entry["destinations"] == []
    assert "missing" in entries["schema-only.json"]["error"]
    text = run("history", "--report-dir", store, reports=reports)
    assert text.returncode == 0 and "Traceback" not in text.stderr + text.stdout

    for number, (_key, _value, words) in enumerate(DAMAGE):
        path = store / f"bad{number}.json"
        result = run("report", "--no-media", path, reports=reports)
        assert result.returncode == 64, result.stderr
        (line,) = result.stderr.splitlines()
        assert line.startswith(f"ERROR: not a valid job report: {path}: "), line
        assert words in line, line
        assert not path.with_suffix(".html").exists()
    assert run("report", "--no-media", store / "good.json", reports=reports).returncode == 0


def test_verify_into_a_report_dir_that_is_a_file_is_refused_before_reading(
    copied: Path, tmp_path: Path
) -> None:
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("x")
    result = run("verify", "--report-dir", a_file, copied, reports=tmp_path / "reports")
    assert result.returncode == 64, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"ERROR: the report folder {a_file} is not a folder; --report-dir")
    assert "Errno" not in line and result.stdout == ""
    as_json = run("verify", "--json", "--report-dir", a_file, copied, reports=tmp_path / "r")
    data = json.loads(as_json.stdout)  # --json still prints the document: why, and 64
    assert as_json.returncode == data["exit_code"] == 64 and data["report"] is None
    assert data["error"].startswith(f"the report folder {a_file} is not a folder")
    assert data["totals"]["verified"] == 0 and not (tmp_path / "r").exists()


def _json_lines(stdout: str) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in stdout.splitlines()]
    assert all("event" in line and isinstance(line.get("time"), float) for line in lines), [
        line["event"] for line in lines if not isinstance(line.get("time"), float)
    ]
    return lines


def _saved(reports: Path) -> dict[str, object]:
    (path,) = reports.glob("*.json")
    data: dict[str, object] = json.loads(path.read_text())
    return data


def test_job_report_line_of_a_cancelled_run_says_cancelled_and_lists_no_failures(
    tmp_path: Path,
) -> None:
    """Before: each destination ``"result": "ok"`` with ``files_cancelled`` 3, and every
    cancelled copy a "failure" with no destination index; the line had no ``time`` and its
    destinations held ``root`` and ``device`` (the destination's path, where the saved
    report's ``device`` is the disk)."""
    card = tmp_path / "big"
    card.mkdir()
    for number in range(3):
        (card / f"b{number}.mov").write_bytes(os.urandom(48_000_000))
    for name in ("d1", "d2"):
        (tmp_path / name).mkdir()
    reports = tmp_path / "reports"
    process = subprocess.Popen(
        [*CLI, "copy", "--json", card, tmp_path / "d1", tmp_path / "d2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "OFFLOAD_REPORT_DIR": str(reports)},
    )
    assert process.stdout is not None
    seen = []
    for line in process.stdout:
        seen.append(line)
        if json.loads(line)["event"] == "file_started":
            break
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    lines = _json_lines("".join(seen) + stdout)
    last = lines[-1]
    assert last["event"] == "job_report" and last["exit_code"] == 130
    saved = _saved(reports)
    assert last["destinations"] == saved["destinations"]  # one meaning for each key
    for destination in saved["destinations"]:  # type: ignore[attr-defined]
        assert destination["files_cancelled"] > 0 and destination["files_failed"] == 0
        assert destination["result"] == "cancelled", destination
        assert "root" not in destination
    assert last["failures"] == []


def test_job_report_line_names_the_destination_of_each_failure(card: Path, tmp_path: Path) -> None:
    """A file that fails on one of two destinations is one failure, with its destination;
    that destination ``failed``, the other ``ok``, as in the saved report."""
    for name in ("d1", "d2"):
        (tmp_path / name).mkdir()
    other = tmp_path / "d2" / card.name / "A001" / "note.txt"
    other.parent.mkdir(parents=True)
    other.write_text("another take\n")
    # Beside a copy of another card file keeping its dates (a run stopped before its
    # ledger's first line): the folder is this card's (else refused whole: card_folder).
    seeded = Path("A001") / "CLIP" / "c1.mov"
    (other.parent / "CLIP").mkdir()
    shutil.copy2(card / seeded, other.parent.parent / seeded)
    reports = tmp_path / "reports"
    result = run("copy", "--json", card, tmp_path / "d1", tmp_path / "d2", reports=reports)
    assert result.returncode == 1, result.stderr
    last = _json_lines(result.stdout)[-1]
    assert last["event"] == "job_report"
    (failure,) = last["failures"]  # type: ignore[misc]
    assert failure["kind"] == "file" and failure["path"] == "A001/note.txt"
    assert failure["destination_index"] == 1 and "already exists" in failure["error"]
    assert [d["result"] for d in last["destinations"]] == ["ok", "failed"]  # type: ignore[attr-defined]
    assert last["destinations"] == _saved(reports)["destinations"]


def test_job_report_line_counts_the_ignored_entries_the_terminal_counts(
    card: Path, tmp_path: Path
) -> None:
    """The terminal says "Ignored (not copied): 1 entry"; the ``--json`` stream says the
    same: the saved report's ``totals`` (``ignored`` among them) and ``ignored`` entries on
    the ``job_report`` line. Failed before: no count of ignored entries in any event."""
    (tmp_path / "d1").mkdir()
    (tmp_path / "d2").mkdir()
    said = run("copy", card, tmp_path / "d1", reports=tmp_path / "r1")
    assert said.returncode == 0, said.stderr
    assert "Ignored (not copied): 1 entry" in said.stderr
    reports = tmp_path / "r2"
    result = run("copy", "--json", card, tmp_path / "d2", reports=reports)
    assert result.returncode == 0, result.stderr
    last = _json_lines(result.stdout)[-1]
    assert last["event"] == "job_report"
    saved = _saved(reports)
    assert last["totals"] == saved["totals"]
    assert last["totals"]["ignored"] == 1  # type: ignore[index]
    assert last["ignored"] == saved["ignored"]
    assert [entry["path"] for entry in last["ignored"]] == [".DS_Store"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("dry_run", [False, True], ids=["copy", "dry-run"])
def test_a_json_run_refused_by_the_preflight_says_why_on_stdout(
    card: Path, tmp_path: Path, dry_run: bool
) -> None:
    """Failed before: ``--json`` wrote nothing on stdout when the preflight refused the run
    (stderr had the ERROR lines, exit 64): a script reading stdout saw an empty stream. Now
    one ``offload_refused`` line with the findings' codes and paths."""
    good = tmp_path / "good"
    good.mkdir()
    missing = tmp_path / "not-mounted"
    extra = ["--dry-run"] if dry_run else []
    result = run("copy", "--json", *extra, card, good, missing, reports=tmp_path / "reports")
    assert result.returncode == 64, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 1, result.stdout
    (refused,) = lines
    assert refused["event"] == "offload_refused" and refused["exit_code"] == 64
    assert [(e["code"], e["path"], e["destination_index"]) for e in refused["errors"]] == [
        ("dest-missing", str(missing), 1)
    ]
    assert str(missing) in refused["message"]
    assert list(good.iterdir()) == []


def test_a_json_run_with_bad_arguments_says_why_on_stdout(card: Path, tmp_path: Path) -> None:
    """Failed before: nothing on stdout for arguments that could not be parsed."""
    result = run("copy", "--json", "--no-such-flag", card, tmp_path, reports=tmp_path / "r")
    assert result.returncode == 64
    (refused,) = (json.loads(line) for line in result.stdout.splitlines())
    assert refused["event"] == "offload_refused" and refused["errors"] == []
    assert "--no-such-flag" in refused["message"]
    # Without --json, stdout stays empty.
    plain = run("copy", "--no-such-flag", card, tmp_path, reports=tmp_path / "r")
    assert plain.returncode == 64 and plain.stdout == ""


def test_a_report_dir_whose_folder_does_not_exist_is_refused_before_copying(
    card: Path, tmp_path: Path
) -> None:
    """Failed before: ``--report-dir /typo/x`` made the whole tree after the copy and
    exited 0. Refused before anything is copied (one line naming the folder and what to
    do, exit 64), by `offload copy` and `offload verify`; the folder itself is made when the
    folder it goes in exists, as mkdir makes it; $OFFLOAD_REPORT_DIR alike."""
    dest = tmp_path / "dest"
    dest.mkdir()
    typo = tmp_path / "no" / "such" / "reports"
    result = run("copy", card, dest, "--report-dir", typo, reports=tmp_path / "r")
    assert result.returncode == 64, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"ERROR: the report folder {typo} cannot be made: "), line
    assert f"{typo.parent} does not exist" in line and "create it first" in line
    assert list(dest.iterdir()) == [] and not (tmp_path / "no").exists()
    as_json = run("copy", "--json", card, dest, "--report-dir", typo, reports=tmp_path / "r")
    (refusal,) = [json.loads(text) for text in as_json.stdout.splitlines()]
    assert as_json.returncode == refusal["exit_code"] == 64
    assert refusal["event"] == "offload_refused" and str(typo) in refusal["message"]
    by_env = run("copy", card, dest, reports=typo)  # $OFFLOAD_REPORT_DIR
    assert by_env.returncode == 64 and "fix $OFFLOAD_REPORT_DIR" in by_env.stderr
    assert list(dest.iterdir()) == [] and not (tmp_path / "no").exists()

    made = tmp_path / "day3"
    result = run("copy", "-q", card, dest, "--report-dir", made, reports=tmp_path / "r")
    assert result.returncode == 0, result.stderr
    assert [p.suffix for p in sorted(made.iterdir())] == [".csv", ".html", ".json", ".pdf"]

    verified = run("verify", dest / card.name, "--report-dir", typo, reports=tmp_path / "r")
    assert verified.returncode == 64, verified.stderr
    (line,) = verified.stderr.splitlines()
    assert f"the report folder {typo} cannot be made" in line
    assert not (tmp_path / "no").exists()


# Every path argument of every command, empty: the command line, "{card}", "{dest}" and
# "{file}" replaced by a card, an empty destination folder and one of the card's files.
EMPTY_PATHS = {
    "source": ["copy", "-q", "", "{dest}"],
    "destination": ["copy", "-q", "{card}", "{dest}", ""],
    "cascade": ["copy", "-q", "--cascade-to", "", "{card}", "{dest}"],
    "into": ["copy", "-q", "--into", "", "{dest}"],
    "copy-report-dir": ["copy", "-q", "--report-dir", "", "{card}", "{dest}"],
    "progress-trace": ["copy", "-q", "--progress-trace", "", "{card}", "{dest}"],
    "verify": ["verify", "-q", ""],
    "verify-mhl-file": ["verify", "-q", "--mhl-file", "", "{dest}"],
    "verify-report-dir": ["verify", "-q", "--report-dir", "", "{dest}"],
    "history-report-dir": ["history", "--report-dir", ""],
    "report": ["report", ""],
    "report-html": ["report", "{dest}/job.json", "--html", ""],
    "report-pdf": ["report", "{dest}/job.json", "--pdf", ""],
    # --list: the plan alone (before, it ran on; with '' its results went into the cwd)
    "bench-out": ["bench", "--list", "--out", ""],
    "bench-data-dir": ["bench", "--list", "--data-dir", ""],
    "bench-report-only": ["bench", "--report-only", ""],
    "bench-aws": ["bench", "--list", "--aws", ""],
    "bench-ocopy": ["bench", "--list", "--ocopy", ""],
    # bench takes no positional argument: argparse said "unrecognized arguments: " (naming
    # nothing)
    "bench-extra": ["bench", "--list", ""],
    # python -m offload.bench: argparse's usage block and exit 2 before
    "bench-module-out": ["bench-module", "--list", "--out", ""],
    "bench-module-report-only": ["bench-module", "--report-only", ""],
    "bench-module-extra": ["bench-module", "--list", ""],
    "pfn-destination": ["pfndispatchcopy", "{file}", ""],
    "pfn-source": ["pfndispatchcopy", "", "{dest}/x.mov"],
    "pfn-noflush": ["pfndispatchcopy", "-noflush_dest", "", "{file}", "{dest}/x.mov"],
}


@pytest.mark.parametrize("where", sorted(EMPTY_PATHS))
def test_an_empty_path_is_refused_not_taken_as_the_current_folder(
    card: Path, tmp_path: Path, where: str
) -> None:
    """A script's unset variable gives ``''``: refused by every command, whichever path
    argument it is (64, one line saying which argument is empty and what to do), nothing
    written, nothing read from the current folder. Before, an empty DEST was the current
    folder (the card copied into wherever the script ran), an empty SOURCE copied that
    folder, ``pfndispatchcopy FILE ''`` wrote the file into it, ``offload verify ''``
    checked it, ``--report-dir ''`` put the reports there."""
    dest = tmp_path / "o4"
    dest.mkdir()
    here = tmp_path / "where-the-script-runs"  # what '' meant before: never the repository
    here.mkdir()
    command, *args = [
        a.format(card=card, dest=dest, file=card / "A001" / "note.txt") for a in EMPTY_PATHS[where]
    ]
    modules = {"pfndispatchcopy": "offload.cli.pfndispatchcopy", "bench-module": "offload.bench"}
    if command in modules:
        result = subprocess.run(
            [sys.executable, "-m", modules[command], *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=here,
            env={**os.environ, "OFFLOAD_REPORT_DIR": str(tmp_path / "reports")},
        )
    else:
        result = run(command, *args, reports=tmp_path / "reports", cwd=here)
    assert result.returncode == 64, result.stdout + result.stderr
    lines = errors(result.stderr)
    assert len(lines) == 1 and "is empty" in lines[0] and "''" in lines[0], result.stderr
    assert list(dest.iterdir()) == [] and not (tmp_path / "reports").exists()
    assert list(here.iterdir()) == []


@pytest.mark.parametrize(
    ("words", "dashed"),
    [
        (["copy", "-q", "-A001", "DEST"], "offload copy -q -- -A001 DEST"),
        (["copy", "DEST", "-A001"], "offload copy DEST -- -A001"),
        (["verify", "-A001"], "offload verify -- -A001"),
    ],
)
def test_a_path_that_starts_with_a_dash_is_named_with_the_ways_to_write_it(
    card: Path, tmp_path: Path, words: list[str], dashed: str
) -> None:
    """A card folder named ``-A001`` given as it is: argparse took it for an option and
    said "the following arguments are required: DEST" (or PATH). Refused in one line (64)
    naming the path and both ways that work (``./-A001``, ``--`` before the paths), nothing
    written; written the first way, the copy runs."""
    here = tmp_path / "here"
    here.mkdir()
    card.rename(here / "-A001")
    (here / "DEST").mkdir()
    result = run(*words, reports=tmp_path / "reports", cwd=here)
    assert result.returncode == 64, result.stdout + result.stderr
    (line,) = errors(result.stderr)
    dotted = "offload " + " ".join("./-A001" if w == "-A001" else w for w in words)
    assert line.startswith("ERROR: -A001 names a path here"), line
    assert f"write ./-A001 ({dotted})" in line and f"({dashed})" in line, line
    assert list((here / "DEST").iterdir()) == [] and not (tmp_path / "reports").exists()
    if words[-1] == "DEST":  # the card first, as a user meant it
        done = run(*dashed.split()[1:], reports=tmp_path / "reports", cwd=here)
        assert done.returncode == 0, done.stderr
        assert (here / "DEST" / "-A001" / "A001" / "note.txt").read_text() == "hi\n"


def test_an_option_value_that_starts_with_a_dash_is_named_with_option_equals_value(
    card: Path, tmp_path: Path
) -> None:
    """``--ignore -x.tmp``: argparse will not take a word starting with '-' as an option's
    value. Refused in one line (64) saying to write ``--ignore=-x.tmp``, which works.
    Failed before: "-x.tmp is no option of offload ... write ./-x.tmp ... or --ignore --
    -x.tmp", both wrong (a pattern ``./-x.tmp``; ``--`` is no value either)."""
    (tmp_path / "DEST").mkdir()
    words = ["copy", "--ignore", "-x.tmp", str(card), "DEST"]
    result = run(*words, reports=tmp_path / "reports", cwd=tmp_path)
    assert result.returncode == 64, result.stdout + result.stderr
    (line,) = errors(result.stderr)
    assert line == (
        "ERROR: -x.tmp is read as an option, not as the value of --ignore: write "
        f"--ignore=-x.tmp (offload copy --ignore=-x.tmp {card} DEST); nothing was done"
    ), line
    assert list((tmp_path / "DEST").iterdir()) == []
    done = run(
        "copy", "--ignore=-x.tmp", str(card), "DEST", reports=tmp_path / "reports", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr


def test_outcomes_known_before_the_copy_come_file_by_file_before_any_file_started(
    tmp_path: Path,
) -> None:
    """docs/json.md's order: after ``work_planned``, each outcome known before the copy, one
    line a file and destination in the job's file order, whatever its kind:
    ``file_verified_earlier`` (trusted from a ledger) and ``file_failed`` (a copy already
    there with other content, not replaced) among them; then ``file_started`` for each file
    the job copies, one failed on a destination here included (copied to the others). The
    QA found ``file_failed`` there, which the doc did not list; the doc now states it."""
    card = tmp_path / "CARD"
    card.mkdir()
    for index in range(3):
        (card / f"c{index}.mov").write_bytes(os.urandom(20_000))
    one, two, reports = tmp_path / "D1", tmp_path / "D2", tmp_path / "reports"
    one.mkdir()
    two.mkdir()
    assert run("copy", "-q", card, one, two, reports=reports).returncode == 0
    (card / "NEW.txt").write_text("hello1\n")
    (two / "CARD" / "NEW.txt").write_text("hello2\n")  # same size, other content
    done = run("copy", "--json", card, one, two, reports=reports)
    assert done.returncode == 1, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    names = [event["event"] for event in events if event["event"] != "progress"]
    first = names.index("work_planned") + 1
    started = names.index("file_started")
    known = [event for event in events if event["event"] != "progress"][first:started]
    assert {event["event"] for event in known} == {"file_verified_earlier", "file_failed"}
    outcomes = [(event["relative_path"], event["destination_index"]) for event in known]
    assert len(outcomes) == len(set(outcomes)) == 7  # 3 clips x 2 + NEW.txt on D2
    (failed,) = [event for event in known if event["event"] == "file_failed"]
    assert (failed["relative_path"], failed["destination_index"]) == ("NEW.txt", 1)
    assert "other content" in failed["message"]
    # In the job's file order: NEW.txt's line before the clips' (file by file, not by kind).
    assert [path for path, _ in outcomes] == sorted(path for path, _ in outcomes)
    # Copied to D1 all the same: its own file_started and file_verified there.
    later = [event for event in events if event.get("relative_path") == "NEW.txt"][1:]
    assert later[0]["event"] == "file_started"
    assert [event["destination_index"] for event in later if event["event"] == "file_verified"] == [
        0
    ]
