"""Names reach the terminal escaped: a control character in a file's name (ESC, a newline)
can neither drive the terminal nor forge a line of its own (``errors.printable_name``,
``printable_text``); the saved JSON keeps the exact name (each test runs the command as a
subprocess on real files)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from offload.errors import printable_name, printable_text

CLI = [sys.executable, "-m", "offload.cli.offload"]
ESC_NAME = "esc\x1b[2Kred.mov"
NEWLINE_NAME = "two\nWARNING: forged line.mov"


def run(*args: str | Path, reports: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OFFLOAD_REPORT_DIR": str(reports)}
    return subprocess.run(
        [*CLI, *map(str, args)], capture_output=True, text=True, timeout=120, check=False, env=env
    )


def test_printable_name_and_text_escape_control_characters() -> None:
    assert printable_name(ESC_NAME) == "esc\\x1b[2Kred.mov"
    assert printable_name(NEWLINE_NAME) == "two\\x0aWARNING: forged line.mov"
    assert printable_name(os.fsdecode(b"bad\xff\xc2\x9b.mov")) == "bad\\xff\\u009b.mov"
    assert (
        printable_name("caf\u00e9 \u30af\u30ea\u30c3\u30d7.mov")
        == "caf\u00e9 \u30af\u30ea\u30c3\u30d7.mov"
    )
    # A message keeps the lines it means; any other control character is escaped.
    assert printable_text("one\x1b[31m\ntwo\r\t") == "one\\x1b[31m\ntwo\\x0d\\x09"


def test_names_with_control_characters_are_escaped_on_the_terminal(tmp_path: Path) -> None:
    """Failed before: the "not in the ASC MHL manifest" warning printed ESC and the newline
    raw (a forged ``WARNING:`` line); the dry run's list likewise."""
    card = tmp_path / "card"
    (card / "N").mkdir(parents=True)
    (card / "N" / ESC_NAME).write_bytes(b"x")
    (card / "N" / NEWLINE_NAME).write_bytes(b"y")
    (card / "N" / "plain.mov").write_bytes(b"z")
    dest = tmp_path / "dest"
    dest.mkdir()
    reports = tmp_path / "reports"
    dry = run("copy", "--dry-run", card, dest, reports=reports)
    copied = run("copy", card, dest, reports=reports)
    assert copied.returncode == 0, copied.stderr
    for result in (dry, copied):
        assert "\x1b" not in result.stderr and "\x1b" not in result.stdout
        lines = result.stderr.splitlines()
        assert not [line for line in lines if line.startswith("WARNING: forged")], result.stderr
        assert "N/esc\\x1b[2Kred.mov" in result.stderr  # the dry run's list, the warning
    # XML holds a newline: that name is in the manifest, named by the dry run's list alone.
    assert "N/two\\x0aWARNING: forged line.mov" in dry.stderr
    # The saved report keeps the exact names.
    (report,) = reports.glob("card_*.json")
    names = {f["path"] for f in json.loads(report.read_bytes())["files"]}
    assert {f"N/{ESC_NAME}", f"N/{NEWLINE_NAME}", "N/plain.mov"} == names
