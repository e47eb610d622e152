"""An XML document the parser cannot decode: its declaration names an encoding Python does
not know (``x-unknown``) or that is no text encoding (``rot13``), one the parser cannot
stream (``Shift_JIS``, a multi-byte one, in an ASC MHL document), or a codec that fails
(``idna``, ``undefined``). The parser raises LookupError, ValueError or UnicodeError for
these rather than the error of a malformed document, and each ended the run in a
traceback, exit 1 (a re-run of ``offload copy`` on a copy root, ``offload verify``, a card
carrying such a legacy MHL, which ended the copy while it planned, nothing written). Each
is read as malformed XML now: the same one line and exit code as a malformed document, on
each surface. The real CLI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from offload.manifest.history import c4_of_file
from support.cards import LEGACY_MHL, legacy_mhl_card
from support.offload_cli import run_offload

# A declaration the parser cannot decode by, and what it raised for it before.
UNDECODABLE = ("x-unknown", "rot13", "idna", "Shift_JIS")
DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'


def _undecodable(path: Path, encoding: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.startswith(DECLARATION), text[:80]
    path.write_text(text.replace("UTF-8", encoding, 1), encoding="utf-8")


def _malformed(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: len(text) // 2], encoding="utf-8")  # cut off mid-document


def _copied(tmp: Path) -> tuple[Path, Path]:
    """A card of two clips and the copy root a real ``offload copy`` made of it."""
    card = tmp / "A001"
    (card / "CLIPS").mkdir(parents=True)
    for n in (1, 2):
        (card / "CLIPS" / f"C00{n}.mov").write_bytes(bytes([n]) * 3_000)
    disk = tmp / "disk"
    disk.mkdir()
    done = run_offload("copy", "-q", "--report-dir", tmp / "jobs", card, disk, timeout_s=60)
    assert done.returncode == 0, done.stderr
    return card, disk


def _outcome(run_args: tuple[str | Path, ...], path: Path) -> tuple[int, str]:
    """Exit code and the one ERROR line, *path*'s parser message taken out."""
    run = run_offload(*run_args, timeout_s=60)
    assert "Traceback" not in run.stderr, run.stderr
    errors = [x for x in run.stderr.splitlines() if x.startswith("ERROR:")]
    assert len(errors) == 1, run.stderr
    (line,) = errors
    assert f"{path} is not well-formed XML: " in line, line
    return run.returncode, re.sub(r"not well-formed XML: [^;]*", "not well-formed XML", line)


def _chain(disk: Path) -> Path:
    return disk / "A001" / "ascmhl" / "ascmhl_chain.xml"


def _generation(disk: Path) -> Path:
    (manifest,) = (disk / "A001" / "ascmhl").glob("0001_*.mhl")
    return manifest


def _rechain(disk: Path) -> None:
    """The chain file vouching for the first generation as it is now (a damaged manifest
    whose chain was written after it: its parse, not its C4 ID, is what fails)."""
    chain = _chain(disk)
    manifest = _generation(disk)
    text = chain.read_text(encoding="utf-8")
    text = re.sub(r"<c4>[^<]*</c4>", f"<c4>{c4_of_file(manifest)}</c4>", text, count=1)
    chain.write_text(text, encoding="utf-8")


SURFACES = ("copy again, chain", "verify, chain", "copy again, generation", "verify, generation")


def _run_surface(tmp: Path, surface: str, damage: str) -> tuple[int, str]:
    card, disk = _copied(tmp)
    target = _chain(disk) if surface.endswith("chain") else _generation(disk)
    if damage == "malformed":
        _malformed(target)
    else:
        _undecodable(target, damage)
    if surface.endswith("generation"):
        _rechain(disk)
    if surface.startswith("copy"):
        args: tuple[str | Path, ...] = ("copy", "-q", "--report-dir", tmp / "r", card, disk)
    else:
        args = ("verify", "--report-dir", tmp / "r", disk / "A001")
    code, line = _outcome(args, target)
    return code, line.replace(str(target), "DOCUMENT").replace(str(tmp), "TMP")


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize("encoding", UNDECODABLE)
def test_an_undecodable_history_document_is_malformed_xml(
    tmp_path: Path, surface: str, encoding: str
) -> None:
    """The chain file or a generation manifest declaring an encoding the parser cannot
    decode by gets a malformed one's exit code and line, on a re-run of ``offload copy``
    and on ``offload verify``."""
    malformed = _run_surface(tmp_path / "m", surface, "malformed")
    undecodable = _run_surface(tmp_path / "u", surface, encoding)
    assert undecodable == malformed
    if surface.startswith("verify"):
        assert undecodable[0] == 31, undecodable  # damaged history: nothing verified


@pytest.mark.parametrize("encoding", ("x-unknown", "rot13", "undefined"))
def test_a_card_carrying_an_undecodable_legacy_mhl(tmp_path: Path, encoding: str) -> None:
    """A card's legacy MHL declaring an encoding the parser cannot decode by: the copy
    says so as it says for a malformed one, with its exit code, never a traceback."""
    outcomes = []
    for damage in ("malformed", encoding):
        tmp = tmp_path / damage
        card = legacy_mhl_card(tmp / "A001", {"C001.mov": b"a" * 3_000}, {"C001.mov": b"a" * 3_000})
        mhl = card / LEGACY_MHL
        if damage == "malformed":
            _malformed(mhl)
        else:
            _undecodable(mhl, encoding)
        disk = tmp / "disk"
        disk.mkdir()
        run = run_offload("copy", "-q", "--report-dir", tmp / "r", card, disk, timeout_s=60)
        assert "Traceback" not in run.stderr, run.stderr
        assert (
            f"legacy MHL '{LEGACY_MHL}' on the card cannot be read (not well-formed XML: "
            in run.stderr
        ), run.stderr
        # the card copied whole, the legacy MHL too, as any other file
        copied = {p.name: p.read_bytes() for p in (disk / "A001" / "CLIPS").iterdir()}
        assert copied == {p.name: p.read_bytes() for p in (card / "CLIPS").iterdir()}
        outcomes.append((run.returncode, sorted(copied)))
    assert outcomes[0] == outcomes[1]
    assert outcomes[1][0] != 1


@pytest.mark.parametrize("encoding", ("x-unknown", "undefined"))
def test_verify_mhl_file_of_an_undecodable_legacy_mhl(tmp_path: Path, encoding: str) -> None:
    """``offload verify --mhl-file`` of a legacy MHL declaring an encoding the parser cannot
    decode by: a malformed one's line and exit code (64, nothing verified), no traceback."""
    outcomes = []
    for damage in ("malformed", encoding):
        tmp = tmp_path / damage
        card = legacy_mhl_card(tmp / "A001", {"C001.mov": b"a" * 3_000}, {"C001.mov": b"a" * 3_000})
        mhl = card / LEGACY_MHL
        if damage == "malformed":
            _malformed(mhl)
        else:
            _undecodable(mhl, encoding)
        args = ("verify", "--report-dir", tmp / "r", "--mhl-file", mhl, card)
        code, line = _outcome(args, mhl)
        outcomes.append((code, line.replace(str(tmp), "TMP")))
    assert outcomes[0] == outcomes[1]
    assert outcomes[1][0] == 64, outcomes
