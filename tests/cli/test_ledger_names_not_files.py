"""A copy root's ledger whose line records names no file under the copy root can have (a NUL,
JSON's ``\\u0000``; a ``final_name`` holding ``/`` or ``..``; a ``relative_path`` that is
absolute or climbs out by ``..``) is read with that line skipped, as a torn or garbage line
is (``ledger.names_files``): the path's earlier entry stands, nothing outside the copy root
is looked at, and no command crashes.

Failed before: ``offload copy`` (and ``--reverify``) of the card died with a traceback, exit
1 (``ValueError: embedded null byte`` from ``os.lstat`` in ``Ledger._at_its_name``, or
``Invalid name`` from ``Path.with_name`` in the planner for a final name holding ``/``:
after ``lstat``-ing a path outside the copy root); ``offload verify`` called a file
"MISSING" at a path holding the NUL, exit 10. Real cards copied by ``offload copy``, their
real ledger edited as a hand or a damaged disk would, the real CLI in this process."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from support.cards import clips_card
from support.offload_cli import offload

CLIP = "CLIPS/C002.mov"


def _copied(tmp_path: Path, *options: str) -> tuple[Path, Path]:
    """A card of three clips copied into ``dest``: (the card, its copy root)."""
    card = clips_card(tmp_path, 3, 40_000)
    dest = tmp_path / "dest"
    dest.mkdir()
    code, said = _copy(tmp_path, card, dest, *options)
    assert code == 0, said
    return card, dest / card.name


def _copy(tmp_path: Path, card: Path, dest: Path, *options: str) -> tuple[int, str]:
    reports = tmp_path / "reports"
    return offload("copy", "--quiet", "--report-dir", reports, *options, card, dest)


def _ledger(root: Path) -> Path:
    return root / ".offload" / "ledger.jsonl"


def _clip_entry(root: Path) -> dict[str, object]:
    """The ledger's last line of ``CLIP``, as its JSON object."""
    lines = _ledger(root).read_text(encoding="utf-8").splitlines()
    return json.loads(next(line for line in reversed(lines) if f'"{CLIP}"' in line))


def _append(root: Path, *objects: dict[str, object]) -> None:
    with _ledger(root).open("a", encoding="utf-8") as handle:
        for obj in objects:
            handle.write(json.dumps(obj) + "\n")


def _unidentified(entry: dict[str, object], **changed: object) -> dict[str, object]:
    """*entry* changed, without the copy's inode and change time (as a line written on a
    filesystem that keeps none: exFAT), so that nothing but its names tells it apart."""
    edited = {k: v for k, v in entry.items() if k not in ("inode", "ctime_ns")}
    edited.update(changed)
    return edited


# Each way a line's names cannot be a file's under the copy root.
_DAMAGED = {
    "nul-in-final-name": {"final_name": "C002\x00.mov"},
    "nul-in-partial-name": {"partial_name": ".offload-partial.\x00.C002.mov"},
    # From the copy's folder (dest/A001/CLIPS) to the card's own clip: a file of the size
    # and date the entry records, outside the copy root.
    "final-name-climbs-out": {"final_name": "../../../A001/CLIPS/C002.mov"},
    "final-name-a-path": {"final_name": "CLIPS/C002.mov"},
    "final-name-dot-dot": {"final_name": ".."},
    # A lone surrogate (JSON's \ud800) no ``os`` call encodes: UnicodeEncodeError before.
    "surrogate-in-final-name": {"final_name": "C002\ud800.mov"},
}


@pytest.mark.parametrize("damage", list(_DAMAGED), ids=list(_DAMAGED))
@pytest.mark.parametrize("reverify", [False, True], ids=["plain", "reverify"])
@pytest.mark.parametrize("copy_gone", [False, True], ids=["copy-there", "copy-gone"])
def test_a_copy_skips_a_line_naming_no_file(
    tmp_path: Path, damage: str, reverify: bool, copy_gone: bool
) -> None:
    card, root = _copied(tmp_path)
    _append(root, _unidentified(_clip_entry(root), **_DAMAGED[damage]))
    if copy_gone:  # the earlier entry stands, its copy missing: copied again
        (root / CLIP).unlink()
    options = ("--reverify",) if reverify else ()
    code, said = _copy(tmp_path, card, root.parent, *options)
    assert code == 0, said
    assert "Traceback" not in said
    # At its own name (kept, or copied again), nothing made beside it.
    assert sorted(p.name for p in (root / "CLIPS").iterdir()) == [
        "C000.mov",
        "C001.mov",
        "C002.mov",
    ]
    assert (root / CLIP).read_bytes() == (card / CLIP).read_bytes()


def test_reverify_never_takes_up_a_file_outside_the_copy_root(tmp_path: Path) -> None:
    # A revocation whose kept record (``revoked_copy``) names a copy outside the copy root,
    # where a file of the clip's size and date, not its bytes, stands: that record is none,
    # and the file outside is neither judged nor replaced.
    card, root = _copied(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    stranger = outside / "C002.mov"
    shutil.copy2(card / CLIP, stranger)
    with stranger.open("r+b") as handle:
        handle.seek(20_000)
        handle.write(b"XXXX")
    source = os.stat(card / CLIP)
    os.utime(stranger, ns=(source.st_atime_ns, source.st_mtime_ns))
    before = stranger.read_bytes()
    revoked = {"relative_path": CLIP, "state": "revoked", "recorded_at": 1.0}
    # From the copy's folder (dest/A001/CLIPS) up to tmp_path, then down into outside.
    record = _unidentified(_clip_entry(root), final_name="../../../outside/C002.mov")
    _append(root, revoked, {**revoked, "revoked_copy": record})

    code, said = _copy(tmp_path, card, root.parent, "--reverify")

    assert "Traceback" not in said
    assert stranger.read_bytes() == before
    assert code == 0, said
    assert (root / CLIP).read_bytes() == (card / CLIP).read_bytes()


@pytest.mark.parametrize("append", [False, True], ids=["verify", "verify-append"])
def test_verify_skips_a_line_naming_no_file(tmp_path: Path, append: bool) -> None:
    _card, root = _copied(tmp_path)
    _append(root, _clip_entry(root) | {"final_name": "C002\x00.mov"})
    options = ("--append",) if append else ()
    code, said = offload("verify", "--report-dir", tmp_path / "reports", *options, root)
    assert "\\x00" not in said
    assert code == 0, said


@pytest.mark.parametrize(
    "relative_path",
    ["CLIPS/C00\x009.mov", "../outside/C009.mov", "/etc/hostname", "CLIPS/./C009.mov"],
    ids=["nul", "climbs-out", "absolute", "dot"],
)
def test_verify_against_the_ledger_skips_a_path_naming_no_file(
    tmp_path: Path, relative_path: str
) -> None:
    # No ASC MHL: the check is against the ledger's every standing entry.
    _card, root = _copied(tmp_path, "--mhl", "none")
    _append(root, _clip_entry(root) | {"relative_path": relative_path, "final_name": ""})
    code, said = offload("verify", "--report-dir", tmp_path / "reports", root)
    assert "MISSING" not in said
    assert code == 0, said


# Each way a line's fields are not what an entry's are (``ledger.entry_of``, ``_in_range``).
_MISTYPED = {
    "digest-not-text": {"digests": {"xxh64": 5}},
    "digests-not-an-object": {"digests": "x"},
    "recorded-at-text": {"recorded_at": "x"},
    "recorded-at-past-year-9999": {"recorded_at": 1e300},
    "recorded-at-negative": {"recorded_at": -1e18},
    "recorded-at-nan": {"recorded_at": float("nan")},
    "card-a-number": {"card": 5},
    "size-a-bool": {"size_bytes": True},
}


@pytest.mark.parametrize("damage", list(_MISTYPED), ids=list(_MISTYPED))
@pytest.mark.parametrize("reverify", [False, True], ids=["plain", "reverify"])
def test_a_copy_skips_a_line_of_other_types(tmp_path: Path, damage: str, reverify: bool) -> None:
    # Failed before for the digest and the times: TypeError, OverflowError or OSError
    # (EOVERFLOW) from the check or the summary's words, a traceback, exit 1.
    card, root = _copied(tmp_path)
    _append(root, _clip_entry(root) | _MISTYPED[damage])
    options = ("--reverify",) if reverify else ()
    code, said = _copy(tmp_path, card, root.parent, *options)
    assert code == 0, said
    assert "Traceback" not in said
    assert (root / CLIP).read_bytes() == (card / CLIP).read_bytes()
