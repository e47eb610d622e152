"""Every printed name stands for exactly one file (QA qanames67, findings 1 and 2).

A newline in a name prints as ``\\x0a``; a file literally named ``a\\x0ab.mov`` printed the
same, so a failure line named the wrong file. A literal backslash is now doubled where it
could read as an escape (``errors.printable_name``: ``a\\\\x0ab.mov``; ``back\\slash.mov``
as ``ls`` shows it, qa70faults L1), in the terminal's lines, the HTML and the
PDF; the JSON's path fields keep the exact names. ``offload verify``'s INCOMPLETE line
printed a newline of a name raw (two ``ERROR:`` lines). Real faults: the card on a
FaultyFS, its reads of the named files failing with EIO.
"""

from __future__ import annotations

import errno
import itertools
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from offload.errors import printable_name
from support.faultyfs import FaultyFS
from support.offload_cli import offload

pytestmark = pytest.mark.fault

NEWLINE = "a\nb.mov"  # prints a\x0ab.mov
BACKSLASH = "a\\x0ab.mov"  # a literal backslash: prints a\\x0ab.mov


def test_printable_name_is_reversible_a_literal_backslash_doubled() -> None:
    """The twins QA found print apart, each as the one rule says; a name without a
    backslash prints as before."""
    assert printable_name(NEWLINE) == "a\\x0ab.mov"
    assert printable_name(BACKSLASH) == "a\\\\x0ab.mov"
    assert printable_name("De\u0301cor.mov") == "De\\u0301cor.mov"
    assert printable_name("De\\u0301cor.mov") == "De\\\\u0301cor.mov"
    assert printable_name(os.fsdecode(b"caf\xe9\\.mov")) == "caf\\xe9\\.mov"
    names = [NEWLINE, BACKSLASH, "a\\\nb", "a\\\\nb", "\\", "\\\\", "a\\"]
    assert len({printable_name(n) for n in names}) == len(names)


@pytest.mark.timeout(240)
def test_a_failure_line_names_the_file_that_failed_never_its_printed_twin(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The card holds ``a<LF>b.mov`` and ``a\\x0ab.mov``; the read of the second fails
    (EIO). Failed before: the ERROR line, the release line and the HTML named
    ``a\\x0ab.mov``, the newline file's spelling, though that file was copied and verified.
    Then ``offload verify`` of the copy: its INCOMPLETE line names the failed files, the
    newline of ``new<LF>line.mov`` as ``\\x0a`` (failed before: a raw newline, the line cut
    into two ``ERROR:`` lines)."""
    fs = faulty_fs()
    card = fs.mountpoint / "S021"
    card.mkdir()
    for name in (NEWLINE, BACKSLASH, "new\nline.mov", "tab\there.mov"):
        (card / name).write_bytes(os.urandom(100))
    rules = [fs.fail("read", errno.EIO, path=f"*{p}*") for p in ("x0ab", "line", "tab")]
    dest = tmp_path / "RAID"
    dest.mkdir()
    reports = tmp_path / "reports"
    code, output = offload("copy", "--report-dir", reports, card, dest)
    assert all(fs.fired(rule) for rule in rules), fs.log_text()
    assert code != 0, output
    lines = output.splitlines()
    errors = [line for line in lines if line.startswith("ERROR: cannot read")]
    assert any(line.endswith("/S021/a\\\\x0ab.mov: Input/output error (EIO)") for line in errors)
    assert not any("/S021/a\\x0ab.mov:" in line for line in errors), errors
    (release,) = [line for line in lines if line.startswith("Do not format the card")]
    # Three card files failed (the newline and tab files too), the first named.
    assert "3 files of the card failed as they were read (a\\\\x0ab.mov first);" in release
    html = next(reports.glob("*.html")).read_text(encoding="utf-8")
    assert html.count("<b>a\\\\x0ab.mov</b>") == 1, html  # its row: the one that failed
    assert html.count("<b>a\\x0ab.mov</b>") == 1, html  # the newline file's row
    assert "<li>a\\x0ab.mov: card read FAILED" not in html
    data = json.loads(next(reports.glob("*.json")).read_text(encoding="utf-8"))
    failed = {f["path"] for f in data["files"] if f.get("source_error")}
    assert failed == {BACKSLASH, "new\nline.mov", "tab\there.mov"}  # the exact names

    fs.clear()
    code, output = offload("verify", "--report-dir", tmp_path / "v", dest / "S021")
    assert code == 10, output
    (incomplete,) = [line for line in output.splitlines() if "INCOMPLETE" in line]
    assert "(a\\\\x0ab.mov, new\\x0aline.mov, tab\\x09here.mov)" in incomplete, incomplete
    assert not any(line.startswith("ERROR: line.mov") for line in output.splitlines()), output


def test_the_dry_run_lists_the_twins_apart(tmp_path: Path) -> None:
    """``--dry-run``'s list of what it would copy, real files on this filesystem. Failed
    before: ``a\\x0ab.mov`` twice."""
    card = tmp_path / "S021"
    card.mkdir()
    for name in (NEWLINE, BACKSLASH):
        (card / name).write_bytes(os.urandom(100))
    dest = tmp_path / "RAID"
    dest.mkdir()
    code, output = offload("copy", "--dry-run", "--report-dir", tmp_path / "r", card, dest)
    assert code == 0, output
    listed = [line.strip() for line in output.splitlines() if line.startswith("    a")]
    assert sorted(listed) == ["a\\\\x0ab.mov", "a\\x0ab.mov"], output


def _read_back(shown: str) -> str:
    """The name a spelling of ``printable_name`` stands for (the rule its docstring gives):
    ``\\\\`` one backslash, ``\\xNN`` a byte or a control, ``\\uNNNN``/``\\UNNNNNNNN`` a
    character, any other backslash itself."""
    out: list[str] = []
    index = 0
    while index < len(shown):
        char = shown[index]
        nxt = shown[index + 1 : index + 2]
        if char != "\\" or nxt not in ("\\", "x", "u", "U"):
            out.append(char)
            index += 1
        elif nxt == "\\":
            out.append("\\")
            index += 2
        else:
            width = {"x": 2, "u": 4, "U": 8}[nxt]
            code = int(shown[index + 2 : index + 2 + width], 16)
            out.append(chr(0xDC00 + code) if nxt == "x" and code >= 0x80 else chr(code))
            index += 2 + width
    return "".join(out)


def test_a_literal_backslash_shows_as_ls_shows_it_unless_it_would_read_as_an_escape() -> None:
    """QA qa70faults L1: ``back\\slash.mov`` showed ``back\\\\slash.mov`` in the ERROR line
    and the card release (``ls``: ``back\\slash.mov``). Now a backslash is doubled only
    where what follows could read as an escape or a doubled one; every spelling still reads
    back as its one name (a decoder of the rule, over names built from the troublesome
    pieces). Failed before: the first two asserts."""
    assert printable_name("DCIM/100APPLE/back\\slash.mov") == "DCIM/100APPLE/back\\slash.mov"
    assert printable_name("a\\") == "a\\"
    assert printable_name("a\\\\b") == "a\\\\\\b"
    assert printable_name("a\\\x1b") == "a\\\\\\x1b"
    pieces = ["\\", "x0a", "u0301", "U0001d15e", "\n", "\x1b", "\u0301", "a", "\u202e"]
    pieces.append(os.fsdecode(b"\xe9"))
    names = {"".join(combo) for combo in itertools.product(pieces, repeat=3)}
    shown = {printable_name(name): name for name in names}
    assert len(shown) == len(names)
    for spelled, name in shown.items():
        assert _read_back(spelled) == name, (spelled, name)
