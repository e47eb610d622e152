"""The warnings of copies ``--overwrite`` replaced and ``--keep-both`` wrote beside a file
already at their names name up to three of a destination's and count the rest ("and 2
more"), the first three in the card's order: real files, the real CLI, the saved JSON."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from support.offload_cli import offload

NAMES = [f"C00{n}.mov" for n in range(1, 6)]


@pytest.mark.parametrize(
    ("option", "code", "shown"),
    [
        ("--overwrite", "existing-replaced", "{dest}/CLIPS/{name}"),
        ("--keep-both", "existing-kept-beside", "CLIPS/{name} as {dest}/CLIPS/{stem} (1).mov"),
    ],
)
def test_five_copies_are_three_named_and_two_more(
    tmp_path: Path, option: str, code: str, shown: str
) -> None:
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    dest = tmp_path / "dest" / "A001"
    (dest / "CLIPS").mkdir(parents=True)
    for name in NAMES:
        (card / "CLIPS" / name).write_bytes(os.urandom(2_000))
        (dest / "CLIPS" / name).write_bytes(b"another tool's file, of another size")
    reports = tmp_path / "reports"

    exit_code, text = offload(
        "copy", option, "--into", "--report-dir", str(reports), str(card), str(dest)
    )

    assert exit_code == 0, text
    (local,) = reports.glob("*.json")
    (warning,) = [w for w in json.loads(local.read_text())["warnings"] if w["code"] == code]
    named = [shown.format(dest=dest, name=name, stem=name[:-4]) for name in NAMES[:3]]
    assert warning["message"].startswith("5 ")
    assert ", ".join(named) + " and 2 more" in warning["message"]
    assert NAMES[3] not in warning["message"] and NAMES[4] not in warning["message"]
