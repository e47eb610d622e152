"""A name spelled two ways, composed (NFC) and decomposed (NFD, as a Mac spells it), and a
card's copy to respell it in: the set-up of the ``offload verify`` tests of a name its
records spell otherwise than the copy does (``test_verify_other_spelling``,
``test_verify_mhl_file_paths``, ``test_verify_respelled_vanished``). Real files, the real
``offload copy`` in process."""

from __future__ import annotations

import io
import os
import unicodedata
from pathlib import Path

from offload.cli.common import Environment
from offload.cli.offload import main

COMPOSED = unicodedata.normalize("NFC", "Café_plan.txt")
DECOMPOSED = unicodedata.normalize("NFD", COMPOSED)


def run(*argv: str | Path) -> tuple[int, str, str]:
    """``offload *argv`` in this process: its exit code, its stdout and its stderr."""
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [str(a) for a in argv], Environment(stdout=out, stderr=err, install_signal_handlers=False)
    )
    return code, out.getvalue(), err.getvalue()


def copy_card(tmp_path: Path, files: dict[str, bytes], *options: str) -> tuple[int, str, Path]:
    """A card ``tmp_path/A001`` holding *files* (relative path: bytes, each name kept as
    spelled), copied whole by ``offload copy --quiet`` (and *options*) into
    ``tmp_path/dest``, its reports into ``tmp_path/r``: the copy's exit code, its stderr
    and the copy's root, ``tmp_path/dest/A001`` (the caller asserts the copy succeeded)."""
    card = tmp_path / "A001"
    for relative, data in files.items():
        (card / relative).parent.mkdir(parents=True, exist_ok=True)
        (card / relative).write_bytes(data)
    dest = tmp_path / "dest"
    dest.mkdir()
    code, _, err = run("copy", "--quiet", *options, "--report-dir", tmp_path / "r", card, dest)
    return code, err, dest / "A001"


def copied_card(tmp_path: Path, files: dict[str, bytes], *options: str) -> Path:
    """``copy_card``'s copy root; a copy that fails fails the test."""
    code, err, root = copy_card(tmp_path, files, *options)
    assert code == 0, err
    return root


def respelled_ledger_copy(tmp_path: Path, recorded: str, now: str) -> tuple[int, str, Path]:
    """A card whose ``NOTES/`` holds *recorded* ("the plan") and ``ok.txt``, copied by
    ``copy_card`` with ``--mhl none`` (the ledger the copy's only record), then the copy of
    *recorded* renamed *now* (only if the copy succeeded): the copy's exit code, its stderr
    and the copy's root."""
    files = {f"NOTES/{recorded}": b"the plan\n", "NOTES/ok.txt": b"ok\n"}
    code, err, root = copy_card(tmp_path, files, "--mhl", "none")
    if code == 0:
        os.rename(root / "NOTES" / recorded, root / "NOTES" / now)
    return code, err, root
