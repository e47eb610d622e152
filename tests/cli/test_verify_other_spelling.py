"""``offload verify`` of a copy whose names were respelled since its records were written
(a Mac decomposes names, NFD: a copy moved through one, or restored from one, holds
``Café.txt`` spelled with a combining accent): the recorded name is missing and the same
name, spelled otherwise, is new. The two lines said just that, with the same name on the
screen twice, "MISSING .../Café.txt" then "NEW ... .../Café.txt", and nothing to tell them
apart. Now each says the other spelling stands there (reason ``other-spelling``), in the
terminal, the JSON and the CSV; the outcome is unchanged (exit 10, as ascmhl says missing).
Real copies made by ``offload copy``, the real CLI in process."""

from __future__ import annotations

import io
import json
import os
import unicodedata
from pathlib import Path

from offload.cli.common import Environment
from offload.cli.offload import main

COMPOSED = unicodedata.normalize("NFC", "Café_plan.txt")
DECOMPOSED = unicodedata.normalize("NFD", COMPOSED)


def run(*argv: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [str(a) for a in argv], Environment(stdout=out, stderr=err, install_signal_handlers=False)
    )
    return code, out.getvalue(), err.getvalue()


def test_a_name_respelled_since_it_was_recorded_is_said_so_on_both_lines(
    tmp_path: Path,
) -> None:
    card = tmp_path / "A001"
    (card / "NOTES").mkdir(parents=True)
    (card / "NOTES" / COMPOSED).write_bytes(b"the plan\n")
    (card / "NOTES" / "ok.txt").write_bytes(b"ok\n")
    dest = tmp_path / "dest"
    dest.mkdir()
    code, _, err = run("copy", "--quiet", "--report-dir", tmp_path / "r", card, dest)
    assert code == 0, err
    notes = dest / "A001" / "NOTES"
    os.rename(notes / COMPOSED, notes / DECOMPOSED)

    code, _, err = run("verify", "--quiet", "--report-dir", tmp_path / "r", dest / "A001")

    assert code == 10, err
    missing = next(line for line in err.splitlines() if line.startswith("ERROR: MISSING"))
    new = next(line for line in err.splitlines() if line.startswith("WARNING: NEW"))
    assert "stands there spelled decomposed (NFD)" in missing, missing
    assert "recorded spelled composed (NFC)" in new, new
    assert "macOS" in missing and "macOS" in new
    code, out, _ = run("verify", "--json", "--quiet", "--report-dir", tmp_path / "r", dest / "A001")
    assert code == 10
    reasons = json.loads(out)["reasons"]
    assert {path: why["code"] for path, why in reasons.items()} == {
        f"NOTES/{COMPOSED}": "other-spelling",
        f"NOTES/{DECOMPOSED}": "other-spelling",
    }
