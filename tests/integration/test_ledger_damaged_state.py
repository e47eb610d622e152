"""A ledger line whose ``state`` no version writes (the ledger damaged: a flipped byte, a
hand edit) vouches for nothing: the copy at its path is read back, never trusted, and the
summary says the record is damaged, never that an earlier run revoked it. Real trees, the
real CLI in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from support.offload_cli import run_offload


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return run_offload(*args, timeout_s=120)


def test_an_unknown_state_is_called_damaged_not_revoked(tmp_path: Path) -> None:
    """Failed before: "1 copy was already there whose record in the destination's ledger
    was revoked (found wrong or not finished by an earlier run)" for a line whose state
    was ``verifiex``: no run revoked it."""
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "C000.mov").write_bytes(os.urandom(20_000))
    dest, reports = tmp_path / "dest", tmp_path / "reports"
    dest.mkdir()
    assert run("copy", card, dest, "--report-dir", reports).returncode == 0
    ledger = dest / "A001" / ".offload" / "ledger.jsonl"
    lines = ledger.read_text().splitlines()
    damaged = []
    for line in lines:
        entry = json.loads(line)
        if entry.get("relative_path") == "CLIPS/C000.mov":
            entry["state"] = "verifiex"
        damaged.append(json.dumps(entry))
    ledger.write_text("\n".join(damaged) + "\n")

    again = run("copy", card, dest, "--report-dir", reports)
    assert again.returncode == 0, again.stderr
    said = " ".join(again.stderr.split())
    assert "revoked" not in said, said
    assert (
        "1 copy was already there whose record in the destination's ledger is damaged "
        "(its state unreadable: it vouches for nothing)" in said
    ), said
    assert "read back, found equal to the source and adopted." in said
