"""A ledger line that is JSON but no entry (a damaged or hand-edited ledger: a list where a
name is, a number where a card is, brackets nested too deep to parse) is skipped as a line
that is no entry, as a torn or garbled one is (``ledger.entry_of``): ``offload copy``,
``--reverify`` and ``offload verify`` read around it, the entries beside it standing.
Before: a traceback and exit 1 (TypeError: unhashable type: 'list'; RecursionError;
AttributeError of a card key that is a number). Real ledgers of real copies, the real CLI
in a child process; a real exFAT card for a known card's key."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from support.offload_cli import newest_report, run_offload

#: Lines that are JSON (or its start) but no entry, each by the cause it crashed by.
DAMAGED = {
    "a list for a name": json.dumps({"relative_path": ["x"], "state": "verified"}),
    "nested too deep": "[" * 100_000,
    "a name nested too deep": '{"relative_path": ' + "[" * 100_000 + "]" * 100_000 + "}",
}


def _offloaded(tmp_path: Path, card: Path) -> tuple[Path, Path]:
    """*card* (two clips written here) offloaded once into ``tmp_path/dest``: the
    destination and the copy root's ledger."""
    (card / "CLIPS").mkdir()
    for index in (1, 2):
        (card / "CLIPS" / f"C00{index}.mov").write_bytes(os.urandom(20_000))
    dest = tmp_path / "dest"
    dest.mkdir()
    done = run_offload("copy", "--mhl", "none", "--report-dir", tmp_path / "r", card, dest)
    assert done.returncode == 0, done.stderr
    return dest, dest / card.name / ".offload" / "ledger.jsonl"


def _reruns_read_around_it(tmp_path: Path, card: Path, dest: Path) -> None:
    """A plain re-run trusts both copies (verified earlier: the good entries stand), a
    ``--reverify`` reads them back, ``offload verify`` passes: no traceback anywhere."""
    reports = tmp_path / "r"
    for argv in (
        ("copy", "--mhl", "none", "--report-dir", reports, card, dest),
        ("copy", "--reverify", "--mhl", "none", "--report-dir", reports, card, dest),
        ("verify", "--report-dir", reports, dest / card.name),
    ):
        done = run_offload(*argv, timeout_s=120)
        assert "Traceback" not in done.stderr, done.stderr
        assert done.returncode == 0, done.stderr
        if argv[1] == "--mhl":  # the plain re-run
            states = [f["destinations"][0]["status"] for f in newest_report(reports)["files"]]
            assert states == ["verified_earlier"] * 2, states


@pytest.mark.parametrize("torn", [False, True], ids=["whole", "last-unended"])
@pytest.mark.parametrize("cause", sorted(DAMAGED))
def test_a_line_of_json_that_is_no_entry_is_skipped(tmp_path: Path, cause: str, torn: bool) -> None:
    """The damaged line between two entries, or as the ledger's last line without its
    newline (a torn line's place: read for the path it was recording, which it names none
    of). Failed before: a traceback, exit 1, each."""
    card = tmp_path / "A001"
    card.mkdir()
    dest, ledger = _offloaded(tmp_path, card)
    first, *rest = ledger.read_text().splitlines(keepends=True)
    line = DAMAGED[cause]
    if torn:
        ledger.write_text(first + "".join(rest) + line)
    else:
        ledger.write_text(first + line + "\n" + "".join(rest))
    _reruns_read_around_it(tmp_path, card, dest)


def test_a_card_key_that_is_a_number_is_no_entry(tmp_path: Path, exfat_loop: Any) -> None:
    """A line of a known card's copy (a real exFAT card: its serial the key) written again
    with ``"card": 5``: no entry (it would be another card's copy beside this card's, its
    key read as one). Failed before: AttributeError, exit 1."""
    card = Path(exfat_loop(label="A001", serial=0x5A5A1234, path=tmp_path / "A001").path)
    dest, ledger = _offloaded(tmp_path, card)
    lines = ledger.read_text().splitlines(keepends=True)
    entry = json.loads(lines[0])
    assert entry["card"], entry  # a known card's key
    ledger.write_text("".join(lines) + json.dumps({**entry, "card": 5}) + "\n")
    _reruns_read_around_it(tmp_path, card, dest)


def test_a_folder_beside_whose_ledger_opens_nested_too_deep_is_passed_over(
    tmp_path: Path, exfat_loop: Any
) -> None:
    """A known card's run looks at the lines of each ledger beside its copy root, for
    its own offload under another name (``card_beside.records_card``): one nested too deep to
    parse names no card. Failed before: RecursionError, exit 1."""
    card = Path(exfat_loop(label="A001", serial=0x5A5A4321, path=tmp_path / "A001").path)
    (card / "C001.mov").write_bytes(os.urandom(20_000))
    beside = tmp_path / "dest" / "B002" / ".offload" / "ledger.jsonl"
    beside.parent.mkdir(parents=True)
    # The card's volume id in it: a line the look parses (it skips the lines without).
    beside.write_text("[" * 100_000 + '"5A5A-4321"' + "\n")
    for more in (("--dry-run",), ("--report-dir", tmp_path / "r")):
        done = run_offload("copy", *more, card, tmp_path / "dest", timeout_s=120)
        assert "Traceback" not in done.stderr, done.stderr
        assert done.returncode == 0, done.stderr
    assert (tmp_path / "dest" / "A001" / "C001.mov").read_bytes() == (
        card / "C001.mov"
    ).read_bytes()
