"""``--keep-both`` beside a file whose name, with `` (1)``, would pass the filesystem's 255
bytes: refused by the preflight (exit 64, ``name-too-long``) naming the `` (1)`` name and
what to do, ``--dry-run`` too, nothing written; a name whose `` (1)`` fits is kept beside as
before, and a copy its ledger trusts is no reason to refuse (nothing is kept beside it). A
real copy on this machine's filesystem, the real CLI.

Failed before: the dry run exited 0; the copy wrote the file, then failed it ("cannot rename
…/AAAA….mov: File name too long (ENAMETOOLONG)", exit 2), naming the original path and no
remedy."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from offload.cli.common import Environment
from offload.cli.offload import main


def _copy(tmp: Path, *args: str | Path) -> tuple[int, str]:
    err = io.StringIO()
    code = main(
        ["copy", "--report-dir", str(tmp / "reports"), *map(str, args)],
        Environment(stdout=io.StringIO(), stderr=err, install_signal_handlers=False),
    )
    return code, err.getvalue()


def _card(tmp: Path, stem_bytes: int) -> tuple[Path, str]:
    card = tmp / "K"
    card.mkdir()
    name = "A" * stem_bytes + ".mov"
    (card / name).write_bytes(os.urandom(3000))
    (card / "B.mov").write_bytes(os.urandom(100))
    return card, name


def test_a_kept_name_past_255_bytes_is_refused_before_the_copy(tmp_path: Path) -> None:
    card, name = _card(tmp_path, 249)  # 253 bytes; " (1)" makes 257
    root = tmp_path / "dest" / "K"
    root.mkdir(parents=True)
    (root / name).write_bytes(b"theirs")
    for dry in (True, False):
        code, err = _copy(tmp_path, *(["--dry-run"] if dry else []), "--into", "--keep-both",
                          card, root)  # fmt: skip
        assert code == 64, err
        assert f"'{'A' * 249} (1).mov', which is 257 bytes long (limit 255)" in err, err
        assert f"--ignore /{name}" in err and "move the file at that name away" in err, err
    assert sorted(p.name for p in root.iterdir()) == [name]  # nothing written
    assert (root / name).read_bytes() == b"theirs"
    record = json.loads(next((tmp_path / "reports" / "refused").glob("*.json")).read_bytes())
    assert record["codes"] == ["name-too-long"], record


def test_a_kept_name_of_255_bytes_is_kept_beside(tmp_path: Path) -> None:
    card, name = _card(tmp_path, 247)  # 251 bytes; " (1)" makes 255
    root = tmp_path / "dest" / "K"
    root.mkdir(parents=True)
    (root / name).write_bytes(b"theirs")
    code, err = _copy(tmp_path, "--into", "--keep-both", card, root)
    assert code == 0, err
    kept = root / f"{'A' * 247} (1).mov"
    assert kept.read_bytes() == (card / name).read_bytes()
    assert (root / name).read_bytes() == b"theirs"


def test_the_kept_name_the_run_will_use_is_the_one_checked(tmp_path: Path) -> None:
    """A 251-byte name taken, and its `` (1)`` to `` (9)`` too (255 bytes each): the copy
    would be kept as `` (10)``, 256 bytes: refused before the copy naming that name (exit
    64, ``--dry-run`` too), nothing written. Failed before: the preflight checked `` (1)``
    alone (it fits), the dry run exited 0 and the copy failed the file at its commit."""
    card, name = _card(tmp_path, 247)  # 251 bytes; " (1)" makes 255, " (10)" 256
    root = tmp_path / "dest" / "K"
    root.mkdir(parents=True)
    taken = [name, *(f"{'A' * 247} ({n}).mov" for n in range(1, 10))]
    for other in taken:
        (root / other).write_bytes(b"theirs")
    for dry in (True, False):
        code, err = _copy(tmp_path, *(["--dry-run"] if dry else []), "--into", "--keep-both",
                          card, root)  # fmt: skip
        assert code == 64, err
        assert f"'{'A' * 247} (10).mov', which is 256 bytes long (limit 255)" in err, err
    assert sorted(p.name for p in root.iterdir()) == sorted(taken)  # nothing written
    (root / taken[-1]).unlink()  # " (9)" free again: kept there
    code, err = _copy(tmp_path, "--into", "--keep-both", card, root)
    assert code == 0, err
    assert (root / taken[-1]).read_bytes() == (card / name).read_bytes()


def test_a_copy_its_ledger_trusts_is_no_reason_to_refuse(tmp_path: Path) -> None:
    card, name = _card(tmp_path, 249)
    dest = tmp_path / "dest"
    dest.mkdir()
    code, err = _copy(tmp_path, card, dest)
    assert code == 0, err
    code, err = _copy(tmp_path, "--keep-both", card, dest)  # verified earlier: none kept
    assert code == 0, err
    assert sorted(p.name for p in (dest / "K").iterdir() if p.suffix == ".mov") == sorted(
        ["B.mov", name]
    )


def test_a_taken_name_whose_kept_name_fits_costs_no_look_at_the_destination(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 100-character name taken on the destination, its `` (1)`` to `` (3)`` too: its
    kept name fits (every `` (n)`` below 10 is as long), so the preflight looks at none of
    them (``--dry-run`` exits 0). Failed before: it searched the names the commit would
    pick, one ``lstat`` a taken `` (n)`` (up to 9,999 a file), a copy of the commit's own
    search."""
    card = tmp_path / "K"
    card.mkdir()
    name = "A" * 96 + ".mov"
    (card / name).write_bytes(os.urandom(300))
    root = tmp_path / "dest" / "K"
    root.mkdir(parents=True)
    for taken in (name, *(f"{'A' * 96} ({n}).mov" for n in (1, 2, 3))):
        (root / taken).write_bytes(b"theirs")
    looked: list[str] = []
    lexists = os.path.lexists

    def counted(path: str | os.PathLike[str]) -> bool:
        if " (" in os.fspath(path):
            looked.append(os.fspath(path))
        return lexists(path)

    monkeypatch.setattr(os.path, "lexists", counted)
    code, err = _copy(tmp_path, "--dry-run", "--into", "--keep-both", card, root)
    assert code == 0, err
    assert looked == [], looked
