"""``offload verify``'s progress on a terminal counts only what the check reads, so its last
frame says 100 % and every file: not the bytes behind a symlink that leads outside the copy
(never read), nor those of a file the check does not read (new to the history, or whose size
already says it changed).

Failed before: the total was a quick count of everything under the folder, the bytes a link
out of the copy leads to included, so the bar ended short ("2/3 files", below 100 %) on a
check that had read everything it was going to read. The real CLI on a real pty
(tests/support/terminal.py), real copies, real links; and the count ``verify_path`` gives
before reading, against what it then reads, in every mode.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from offload.verification import verify_path
from support.offload_cli import offload
from tests.support.terminal import run_on_terminal

FRAME = re.compile(rb"(\d+)%\s+(\d+)/(\d+) files")
STYLE = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")  # colours and cursor moves between the columns


def copied(tmp_path: Path, *options: str) -> tuple[Path, Path]:
    """A card of two clips and its copy root, made by ``offload copy``."""
    card = tmp_path / "card"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "A001.MOV").write_bytes(os.urandom(300_000))
    (card / "CLIPS" / "A002.MOV").write_bytes(os.urandom(100_000))
    dest = tmp_path / "dest"
    dest.mkdir()
    code, said = offload("copy", "--quiet", *options, str(card), str(dest))
    assert code == 0, said
    return card, dest / card.name


def test_the_bar_ends_at_100_percent_beside_a_link_out_of_the_copy(tmp_path: Path) -> None:
    _, root = copied(tmp_path)
    big = tmp_path / "elsewhere.bin"
    big.write_bytes(os.urandom(2_000_000))  # five times the copy: a total with it ends far short
    (root / "CLIPS" / "host.bin").symlink_to(big)

    run = run_on_terminal("verify", "--report-dir", tmp_path / "reports", root)

    assert run.returncode == 0, run.text
    assert "SYMLINK LEADS OUTSIDE THE COPY" in run.text, run.text
    frames = FRAME.findall(STYLE.sub(b"", run.raw))
    assert frames, run.raw
    percent, done, total = frames[-1]
    assert (percent, done, total) == (b"100", b"2", b"2"), frames


@pytest.mark.parametrize(
    ("mode", "mhl"), [("ascmhl", "ascmhl"), ("ledger", "none"), ("legacy", "legacy")]
)
def test_what_the_check_says_it_will_read_is_what_it_reads(
    tmp_path: Path, mode: str, mhl: str
) -> None:
    card, root = copied(tmp_path, "--mhl", mhl)
    (root / "CLIPS" / "A001.MOV").unlink()
    (root / "CLIPS" / "A001.MOV").symlink_to(card / "CLIPS" / "A001.MOV")  # outside: not read
    with open(root / "CLIPS" / "A002.MOV", "ab") as grown:
        grown.write(b"more")  # its size says it changed: not read
    (root / "CLIPS" / "new.MOV").write_bytes(b"n" * 5000)  # not recorded: not read
    (root / "CLIPS" / "kept.MOV").symlink_to(tmp_path / "elsewhere.bin")
    (tmp_path / "elsewhere.bin").write_bytes(b"e" * 7000)
    legacy = next(root.glob("*.mhl"), None) if mode == "legacy" else None
    planned: list[tuple[int, int]] = []
    read: list[int] = []

    report, _, _ = verify_path(
        root,
        legacy_mhl=legacy,
        on_plan=lambda files, size: planned.append((files, size)),
        on_file=lambda path, size: read.append(size),
    )

    assert report.reference == mode
    assert report.missing == ("CLIPS/A001.MOV",) and report.verified == ()
    assert [c.path for c in report.changed] == ["CLIPS/A002.MOV"]
    assert planned == [(0, 0)] and read == []
    # Without the link and with the clip as recorded, both clips are announced, then read.
    (root / "CLIPS" / "A001.MOV").unlink()
    (root / "CLIPS" / "A001.MOV").write_bytes((card / "CLIPS" / "A001.MOV").read_bytes())
    (root / "CLIPS" / "A002.MOV").write_bytes((card / "CLIPS" / "A002.MOV").read_bytes())
    planned.clear()

    report, _, _ = verify_path(
        root,
        legacy_mhl=legacy,
        on_plan=lambda files, size: planned.append((files, size)),
        on_file=lambda path, size: read.append(size),
    )

    assert report.verified == ("CLIPS/A001.MOV", "CLIPS/A002.MOV"), report
    assert planned == [(2, 400_000)] and sorted(read) == [100_000, 300_000]
