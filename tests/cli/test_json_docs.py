"""docs/json.md names every event and every JSON key offload-ai writes, and no event it never
sends: each engine event (``offload.events``) has its row in the ``--json`` table with each of
its fields, each row is an event or a line of the command's own; every key of what a real
run prints or writes (``copy --json``'s lines, the job report, ``verify --json``, ``history
--json``, ``copy --dry-run --json``, a refused run's line) is named in its section (a nested
key there or in the job report's, where the shapes they share are described); the job
report's and the verify report's top-level keys are those the documents list, no more, no
fewer; and its table of the preflight's codes lists each ``PreflightCode`` once. A key or
code added without its documentation, or documentation left of one removed, fails here,
not in a reader's script."""

from __future__ import annotations

import dataclasses
import inspect
import io
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import offload.events
from offload.cli.common import Environment
from offload.cli.offload import main as offload_main
from offload.plan.codes import PreflightCode
from offload.report.events_json import event_class_name

DOC = (Path(__file__).parents[2] / "docs" / "json.md").read_text(encoding="utf-8")

# The lines the command writes itself, not from an engine event (``plan_reading``: the
# plan's whole reads of copies already there, before any event, ``cli.offload._plan_reads``).
COMMAND_LINES = {"progress", "job_report", "offload_refused", "report_refused", "plan_reading"}
# The per-chunk byte counts: folded into ``progress`` lines, named in the trace's section.
BYTE_EVENTS = {
    "source_bytes_read",
    "destination_bytes_written",
    "destination_writing",
    "source_waiting",
    "bytes_verified",
}
# Objects whose keys are data (an algorithm, a status, a path), not names of the format.
DATA_KEYED = {
    "digests",
    "readback_digests",
    "recorded_digests",
    "source_reread_digests",
    "expected",
    "actual",
    "results",
}
BY_PATH = {"reasons"}  # keyed by path; its values' keys are the format's


def section(title: str) -> str:
    """The text of docs/json.md's section whose heading starts with *title*."""
    start = DOC.index(f"\n## {title}")
    end = DOC.find("\n## ", start + 1)
    return DOC[start : end if end >= 0 else len(DOC)]


JOB_REPORT = section("The job report")


def keys(value: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """(key, where it is: its parents' keys joined by ".") for every key of *value*."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key, where
            if key in DATA_KEYED:
                continue
            if key in BY_PATH and isinstance(inner, dict):
                for entry in inner.values():
                    yield from keys(entry, f"{where}.{key}")
                continue
            yield from keys(inner, f"{where}.{key}")
    elif isinstance(value, list):
        for item in value:
            yield from keys(item, where)


def undocumented(value: Any, text: str) -> list[tuple[str, str]]:
    """The keys of *value* that *text* does not name (a nested one: nor the job report's
    section, where the shapes the outputs share are described)."""
    return sorted(
        {
            (key, where)
            for key, where in keys(value)
            if f"`{key}`" not in text and (not where or f"`{key}`" not in JOB_REPORT)
        }
    )


def top_level(text: str) -> list[str]:
    """The names in backticks of *text* outside any bracket, up to its first sentence's end
    outside them or its paragraph's end: a list of keys, each followed by what it holds in
    brackets."""
    names: list[str] = []
    depth = 0
    at = 0
    while at < len(text):
        char = text[at]
        if char == "`":
            end = text.index("`", at + 1)
            if depth == 0:
                names.append(text[at + 1 : end])
            at = end + 1
            continue
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif (char == "." and depth == 0 and text[at + 1 : at + 2] in ("", " ", "\n")) or (
            text.startswith("\n\n", at)
        ):
            break
        at += 1
    return names


def events_table() -> dict[str, str]:
    """The ``--json`` section's table: event name -> its row's text."""
    rows = {}
    for line in section("`offload copy --json`").splitlines():
        if match := re.match(r"\| `([a-z_]+)` \|(.*)", line):
            rows[match[1]] = match[2]
    return rows


def test_every_event_and_field_is_documented_and_every_row_is_sent() -> None:
    """Failed before: ``offload_planned``'s ``cascaded`` and ``existing_copies_checking``'s
    four ``copy_*`` fields were sent on every run and named nowhere."""
    rows = events_table()
    events = {
        event_class_name(cls): [field.name for field in dataclasses.fields(cls)]
        for cls in vars(offload.events).values()
        if inspect.isclass(cls)
        and issubclass(cls, offload.events.Event)
        and cls is not offload.events.Event
        and dataclasses.is_dataclass(cls)
    }
    assert set(events) >= BYTE_EVENTS
    trace = section("`offload copy --progress-trace FILE`")
    missing = []
    for name, fields in sorted(events.items()):
        text = f"`{name}` {{{trace}}}" if name in BYTE_EVENTS else rows.get(name)
        if text is None:
            missing.append(name)
            continue
        missing.extend(f"{name}.{field}" for field in fields if f"`{field}`" not in text)
    assert missing == []
    assert set(rows) - set(events) == COMMAND_LINES


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What a small real run prints and writes: ``copy --json``'s lines and its job report,
    ``verify --json`` of the copy (one clip changed since, one file new), ``history
    --json``, ``copy --dry-run --json`` and the line of a copy refused (no destination)."""
    base = tmp_path_factory.mktemp("json-docs")
    card = base / "A001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "A001C001.mov").write_bytes(os.urandom(3000))
    (card / "CLIPS" / "A001C002.mov").write_bytes(os.urandom(2000))
    dest, other, reports = base / "dest", base / "other", base / "reports"
    dest.mkdir()
    other.mkdir()

    def run(*argv: str) -> tuple[int, str]:
        out, err = io.StringIO(), io.StringIO()
        env = Environment(stdout=out, stderr=err, install_signal_handlers=False)
        code = offload_main([argv[0], "--report-dir", str(reports), *argv[1:]], env)
        return code, out.getvalue()

    code, printed = run("copy", "--json", str(card), str(dest))
    assert code == 0, printed
    lines = [json.loads(line) for line in printed.splitlines()]
    (written,) = (dest / "A001" / ".offload" / "reports").glob("*.json")
    copy = dest / "A001"
    (copy / "CLIPS" / "A001C001.mov").write_bytes(os.urandom(3000))
    (copy / "CLIPS" / "new.mov").write_bytes(b"new")
    code, verified = run("verify", "--json", str(copy))
    assert code == 11, verified
    code, history = run("history", "--json")
    assert code == 0, history
    code, dry = run("copy", "--dry-run", "--json", str(card), str(other))
    assert code == 0, dry
    code, refused = run("copy", "--json", str(card), str(base / "no such folder"))
    assert code == 64, refused
    return {
        "lines": [*lines, *(json.loads(line) for line in refused.splitlines())],
        "job report": json.loads(written.read_text(encoding="utf-8")),
        "verify": json.loads(verified),
        "history": json.loads(history),
        "dry run": json.loads(dry),
    }


def test_every_key_a_run_writes_is_documented(outputs: dict[str, Any]) -> None:
    """Each key of each output is named in its own section of docs/json.md (the events'
    lines' in the ``--json`` table's section)."""
    lines = outputs["lines"]
    assert {"progress", "job_report", "offload_refused", "file_verified"} <= {
        line["event"] for line in lines
    }
    changed = outputs["verify"]["changed"]
    assert changed and changed[0]["path"] == "CLIPS/A001C001.mov"
    found = {
        "--json lines": undocumented(lines, section("`offload copy --json`")),
        "job report": undocumented(outputs["job report"], JOB_REPORT),
        "verify": undocumented(outputs["verify"], section("The verify report")),
        "history": undocumented(outputs["history"], section("`offload history --json`")),
        "dry run": undocumented(outputs["dry run"], section("`offload copy --dry-run --json`")),
    }
    assert found == {name: [] for name in found}


def test_the_reports_top_level_keys_are_the_ones_listed(outputs: dict[str, Any]) -> None:
    """The job report's "Top-level keys:" list and the verify report's ("Keys:", its table
    of paths, and the keys after it) name every top-level key a report has, and none it
    does not (``cascade``: a cascading copy's alone). Failed before: ``source_volume`` was
    described below the list, not in it."""
    start = JOB_REPORT.index("Top-level keys:")
    listed = top_level(JOB_REPORT[start:])
    assert set(listed) == {*outputs["job report"], "cascade"}
    verify = section("The verify report")
    start = verify.index("\nKeys:")
    after = verify.index("\nthen `")
    table = re.findall(r"^\| `([a-z_]+)` \|", verify[start:after], re.MULTILINE)
    listed = [*top_level(verify[start:]), *table, *top_level(verify[after + 1 :])]
    assert sorted(listed) == sorted(outputs["verify"])


def test_every_preflight_code_has_its_row() -> None:
    """docs/json.md's table of the preflight's codes lists each ``PreflightCode`` once and
    nothing else. Failed before: no such table, and 20 of the 50 codes (``dest-same-disk``,
    ``free-space-unknown``, ...) were named in no document."""
    text = section("The preflight's codes")
    rows = re.findall(r"^\| `([a-z0-9-]+)` \|", text, re.MULTILINE)
    assert len(rows) == len(set(rows))
    assert set(rows) == {code.value for code in PreflightCode}
