"""A card file whose copy's path fits PATH_MAX but whose partial path does not (the file is
written under ``.offload-partial.<token>.<name>`` in its folder first) is refused by the
preflight (exit 64, named), not failed as its copy starts; ``--keep-both``'s `` (1)`` adds
less than the partial name does, so a copy kept beside another whose partial fitted fits
too. A real copy on this machine's filesystem, the real CLI.

Failed before: the target of 4,094 bytes passed the preflight (4,095 with its NUL), then
the copy failed creating its partial (ENAMETOOLONG, exit 2)."""

from __future__ import annotations

import io
import os
from pathlib import Path

from offload.cli.common import Environment
from offload.cli.offload import main
from offload.destinations.naming import PARTIAL_NAME_OVERHEAD


def _copy(tmp: Path, *args: str) -> tuple[int, str]:
    err = io.StringIO()
    code = main(
        ["copy", "--report-dir", str(tmp / "reports"), *args],
        Environment(stdout=io.StringIO(), stderr=err, install_signal_handlers=False),
    )
    return code, err.getvalue()


def _deep(base: Path, length: int) -> Path:
    """A folder below *base* whose path is *length* bytes, of names of 200 bytes at most."""
    left = length - len(os.fsencode(str(base)))
    parts = []
    while left > 0:
        take = min(200, left - 1 if left <= 201 else 200)
        if left - take - 1 == 1:  # never leave a remainder of a lone "/"
            take -= 1
        parts.append("e" * take)
        left -= take + 1
    folder = base.joinpath(*parts)
    assert len(os.fsencode(str(folder))) == length
    return folder


def _card_and_destination(tmp: Path, target_bytes: int) -> tuple[Path, Path, Path]:
    card = tmp / "A001"
    relative = "/".join(["d" * 250] * 3) + "/clip.bin"
    (card / relative).parent.mkdir(parents=True)
    (card / relative).write_bytes(os.urandom(3000))
    dest = _deep(tmp / "dest", target_bytes - len(relative) - 1)
    dest.mkdir(parents=True)
    target = dest / relative
    assert len(os.fsencode(str(target))) == target_bytes
    return card, dest, target


def test_a_file_whose_partial_path_is_too_long_is_refused_up_front(tmp_path: Path) -> None:
    card, dest, target = _card_and_destination(tmp_path, 4094)  # 4,095 with its NUL
    code, err = _copy(tmp_path, "--into", str(card), str(dest))
    assert code == 64, err
    assert "4,094 bytes long, and up to" in err and "under the partial name" in err, err
    assert not target.parent.exists()  # nothing written


def test_keep_both_beside_a_file_whose_partial_fits(tmp_path: Path) -> None:
    # The longest target let through: its partial path is 4,096 bytes with its NUL.
    card, dest, target = _card_and_destination(tmp_path, 4095 - PARTIAL_NAME_OVERHEAD)
    target.parent.mkdir(parents=True)
    target.write_bytes(b"theirs")
    code, err = _copy(tmp_path, "--into", "--keep-both", str(card), str(dest))
    assert code == 0, err
    kept = target.with_name("clip (1).bin")
    assert kept.read_bytes() == (card / target.relative_to(dest)).read_bytes()
    assert target.read_bytes() == b"theirs"
