"""The CSV reports (``offload copy``'s and ``offload verify``'s) keep every name exactly,
escaped as docs/json.md ("CSV cells") says, yet a name cannot break a row, drive a terminal
that ``cat``s the file, or start a spreadsheet formula. Real cards with such names on the
real filesystem, the real CLI in a subprocess; each CSV read back with Python's csv module
and the documented escapes undone, to the exact names."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

CLI = [sys.executable, "-m", "offload.cli.offload"]

# Names a card may hold (Linux takes any byte but "/" and NUL), each a different trap.
NAMES = [
    "CLIPS/plain.mov",
    "CLIPS/esc\x1b[2J\x1b[31mred.mov",  # clears the screen of whoever cats the CSV
    "CLIPS/tab\there.mov",
    "CLIPS/cr\rreturn.mov",  # Python's writer left a CR raw: a spreadsheet split the row
    "CLIPS/new\nline.mov",
    "CLIPS/bell\x07\x7fdel.mov",
    "CLIPS/c1\x9bcsi.mov",  # C1 CSI: an 8-bit terminal's escape
    "CLIPS/back\\slash.mov",
    "CLIPS/back\\x1bliteral.mov",  # the text "\x1b": must not read back as ESC
    os.fsdecode(b"CLIPS/odd\xff.mov"),  # not UTF-8
    "CLIPS/bidi\u202evom.exe",  # RIGHT-TO-LEFT OVERRIDE: shows as "bidiexe.mov"
    "CLIPS/line\u2028para\u2029zero\u200bbom\ufeff.mov",  # separators, zero-width
    "CLIPS/tag\U000e0041.mov",  # a format character beyond U+FFFF
    "=HYPERLINK(1).mov",  # a formula, at the start of a relative_path cell
    "+1.mov",
    "-2.mov",
    "@SUM.mov",
    "'quoted.mov",
]

_ESCAPE = re.compile(r"\\(\\|x[0-9a-f]{2}|u[0-9a-f]{4}|U[0-9a-f]{8})")


def decoded(text: str) -> str:
    """A CSV cell back to the exact name, by docs/json.md's rules alone."""
    if text.startswith("'"):
        text = text[1:]

    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code == "\\":
            return "\\"
        value = int(code[1:], 16)
        if code.startswith("x") and value >= 0x80:
            return chr(0xDC00 + value)  # a byte that is not UTF-8 (surrogateescape)
        return chr(value)

    return _ESCAPE.sub(one, text)


def run(*args: str | Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*CLI, *map(str, args)], capture_output=True, timeout=120, env=os.environ | {}
    )


def make_card(root: Path) -> Path:
    card = root / "A001"
    for n, name in enumerate(NAMES):
        path = Path(os.fsencode(card / name).decode("utf-8", "surrogateescape"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(bytes([n]) * (100 + n))
    return card


def rows_of(data: bytes) -> list[list[str]]:
    """The CSV's rows, after checking the file itself: valid UTF-8, one line a row, no
    control character but the line ends, no format character nor separator."""
    text = data.decode("utf-8")
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f]", text), repr(text)
    # nor a format character or a separator (a bidi override: a name shown as another)
    assert not [c for c in text if unicodedata.category(c) in ("Cf", "Zl", "Zp")], repr(text)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == text.count("\n"), "a row spans lines"
    return rows


def test_copy_csv_keeps_every_name_and_breaks_nothing(tmp_path: Path) -> None:
    """Failed before: ESC, tab, CR, BEL, DEL and C1 were written raw (cat drove the
    terminal; the CR split the row in a spreadsheet and in Python's reader), a newline
    made a row of two lines, a backslash was ambiguous with the \\xNN escape of a byte that
    is not UTF-8, and "=HYPERLINK(1).mov" started a formula."""
    card = make_card(tmp_path)
    dest = tmp_path / "dest"
    dest.mkdir()
    reports = tmp_path / "reports"
    done = run("copy", card, dest, "--report-dir", reports)
    assert done.returncode in (0, 1), done.stderr  # names XML cannot hold: left out, warned
    (table,) = reports.glob("*.csv")
    header, *rows = rows_of(table.read_bytes())
    paths = [decoded(row[header.index("relative_path")]) for row in rows]
    assert sorted(paths) == sorted(NAMES)
    for row in rows:
        name = decoded(row[header.index("relative_path")])
        assert decoded(row[header.index("final_path")]) == f"{dest / 'A001'}/{name}"
        assert row[header.index("status")] == "verified", row
    cells = {decoded(row[0]): row[0] for row in rows}
    assert cells["=HYPERLINK(1).mov"] == "'=HYPERLINK(1).mov"
    assert cells["'quoted.mov"] == "''quoted.mov"
    assert cells["CLIPS/plain.mov"] == "CLIPS/plain.mov"  # the usual name as it is
    assert cells["CLIPS/back\\slash.mov"] == "CLIPS/back\\\\slash.mov"
    assert cells[os.fsdecode(b"CLIPS/odd\xff.mov")] == "CLIPS/odd\\xff.mov"
    # A name of the text "\x1b" and a name with ESC: two different cells.
    assert cells["CLIPS/back\\x1bliteral.mov"] == "CLIPS/back\\\\x1bliteral.mov"
    assert cells["CLIPS/esc\x1b[2J\x1b[31mred.mov"] == "CLIPS/esc\\x1b[2J\\x1b[31mred.mov"
    assert cells["CLIPS/bidi\u202evom.exe"] == "CLIPS/bidi\\u202evom.exe"
    assert cells["CLIPS/tag\U000e0041.mov"] == "CLIPS/tag\\U000e0041.mov"


def test_verify_csv_keeps_every_name_and_breaks_nothing(tmp_path: Path) -> None:
    """offload verify's CSV, the same encoding. Failed before: a name with ESC and one of
    the text "\\x1b" gave the same cell (printable_name's terminal spelling)."""
    card = make_card(tmp_path)
    dest = tmp_path / "dest"
    dest.mkdir()
    assert run("copy", card, dest, "--report-dir", tmp_path / "r0").returncode in (0, 1)
    reports = tmp_path / "reports"
    # Names XML cannot hold are not in the manifest: those are "new", the others verified.
    checked = run("verify", dest / "A001", "--report-dir", reports)
    assert checked.returncode in (0, 21), checked.stderr
    tables = list(reports.glob("*.csv"))
    (table,) = tables
    header, *rows = rows_of(table.read_bytes())
    assert header == ["path", "status", "detail"]
    paths = [decoded(row[0]) for row in rows]
    assert set(NAMES) <= set(paths), paths
    cells = [row[0] for row in rows]
    assert len(set(cells)) == len(cells)
