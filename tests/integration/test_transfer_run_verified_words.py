"""A ``--verify transfer`` run reads back no copy it makes; the copies it finds already there
(equal to the card's files, no ledger of ours: adopted) it reads back all the same. When
every copy is one of those, the summary says all are verified, and must say how: before it
said "(transfer verification)", a check never made, beside "verified". Real CLI, real
files."""

from __future__ import annotations

import os
import shutil
from functools import partial
from pathlib import Path

from support.offload_cli import run_offload

run = partial(run_offload, columns=250, timeout_s=120)


def test_copies_adopted_under_verify_transfer_are_not_called_transfer_verified(
    tmp_path: Path,
) -> None:
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "C001.mov").write_bytes(os.urandom(30_000))
    (card / "CLIPS" / "C002.mov").write_bytes(os.urandom(20_000))
    dest = tmp_path / "dest"
    dest.mkdir()
    shutil.copytree(card, dest / "A001")  # copies already there, no ledger of ours
    done = run(
        "copy", "--verify", "transfer", "--report-dir", tmp_path / "r", card, dest, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    output = done.stdout + done.stderr
    [line] = [x for x in output.splitlines() if "verified on every destination" in x]
    assert "transfer verification" not in line, line
    assert "transfer check only" not in line, line
    assert line.startswith(
        "All 2 files (50.0 kB) are verified on every destination (each one already there, "
        "read back now; --verify transfer reads back no copy it makes)"
    ), line
    # Again, with one more file on the card already there too: the two are verified earlier
    # (the ledger), the new one read back now; before: "1 copy now (transfer verification)".
    (card / "CLIPS" / "C003.mov").write_bytes(os.urandom(10_000))
    shutil.copy2(card / "CLIPS" / "C003.mov", dest / "A001" / "CLIPS" / "C003.mov")
    again = run(
        "copy", "--verify", "transfer", "--report-dir", tmp_path / "r", card, dest, cwd=tmp_path
    )
    assert again.returncode == 0, again.stderr
    output = again.stdout + again.stderr
    [line] = [x for x in output.splitlines() if "verified on every destination" in x]
    assert "transfer verification" not in line and "transfer check only" not in line, line
    assert "1 copy now (each one already there, read back now; --verify transfer" in line, line
