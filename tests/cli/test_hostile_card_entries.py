"""Odd entries a hostile card may hold, each refused or left out in words that are true and
a remedy that works (the QA pass on hostile cards, thirty-third pass): run through the real
CLI on real files."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from support.offload_cli import copy_with_reports_in, one_file_card


def test_a_file_named_like_the_state_folder_at_the_card_root_is_refused_up_front(
    tmp_path: Path,
) -> None:
    """Failed before: a file CARD/.offload passed the preflight (the default ``/.offload/``
    leaves out folders only), the run ended exit 1 ("... already exists; --overwrite
    replaces it ...": what exists is the state folder) and every run after was refused
    ("exists and is a folder ... move it away", i.e. move the ledger)."""
    card = one_file_card(tmp_path)
    (card / ".offload").write_bytes(b"x")
    dest = tmp_path / "dest"
    dest.mkdir()
    code, said = copy_with_reports_in(tmp_path, str(card), str(dest))
    assert code == 64, said
    assert said == (
        f"ERROR: {card / '.offload'}: the card holds an entry named .offload at its root that "
        "is not a folder, and its copy would take the name of offload-ai's own state folder "
        "(.offload/: the ledger and the locks) in every copy root; nothing was copied (leave "
        "it out with --ignore /.offload)\n"
    )
    assert list(dest.iterdir()) == []
    # The remedy it names works, and the file left out is named before a format.
    code, said = copy_with_reports_in(tmp_path, str(card), str(dest), "--ignore", "/.offload")
    assert code == 0, said
    assert (dest / "CARD" / "a.bin").read_bytes() == (card / "a.bin").read_bytes()
    assert (dest / "CARD" / ".offload").is_dir()
    assert "Do not format the card" in said and "(.offload first)" in said, said


def test_a_copy_root_source_whose_state_folder_is_a_symlink_is_called_the_source(
    tmp_path: Path,
) -> None:
    """A copy root of ours given as the source, its ``.offload`` replaced by a symlink to
    that folder moved elsewhere: refused (64) as any entry so named that is not a folder,
    in words of the source. Failed before: "the card holds an entry named .offload"."""
    card = one_file_card(tmp_path)
    drive = tmp_path / "drive"
    drive.mkdir()
    code, said = copy_with_reports_in(tmp_path, str(card), str(drive))
    assert code == 0, said
    root = drive / "CARD"
    (root / ".offload").rename(tmp_path / "moved-state")
    (root / ".offload").symlink_to(tmp_path / "moved-state")
    raid = tmp_path / "raid"
    raid.mkdir()
    code, said = copy_with_reports_in(tmp_path, str(root), str(raid))
    assert code == 64, said
    assert said.startswith(
        f"ERROR: {root / '.offload'}: the source holds an entry named .offload at its root "
        "that is not a folder"
    ), said
    assert "the card" not in said, said
    assert list(raid.iterdir()) == []


def test_a_source_that_is_no_card_folder_says_what_it_is(tmp_path: Path) -> None:
    """Failed before: "cannot read the source completely: ... the source is a fifo ...
    (check the card and the reader)", a remedy for a dying card given for a mistyped path."""
    loop, fifo = tmp_path / "loop", tmp_path / "fifo"
    loop.symlink_to("loop")
    os.mkfifo(fifo)
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(tmp_path / "sock"))
        for source, what in (
            (loop, "a symbolic link that loops (it leads back to itself)"),
            (fifo, "a fifo"),
            (tmp_path / "sock", "a socket"),
            (Path("/dev/zero"), "a character device"),
        ):
            code, said = copy_with_reports_in(tmp_path, str(source), str(tmp_path))
            assert code == 64, said
            assert said == (
                f"ERROR: source {source} is {what}, not a card's folder or a file; nothing was "
                "copied (give the card's folder, or one file of it, as SOURCE)\n"
            )


def test_a_noncharacter_in_a_name_is_escaped_and_not_called_a_control_character(
    tmp_path: Path,
) -> None:
    """Failed before: U+FFFF printed raw, and "its name holds the control character" (it is
    a noncharacter, which XML cannot hold)."""
    card = one_file_card(tmp_path)
    (card / "odd\uffff.mov").write_bytes(b"z")
    dest = tmp_path / "dest"
    dest.mkdir()
    code, said = copy_with_reports_in(tmp_path, str(card), str(dest))
    assert "\uffff" not in said, said
    assert "odd\\uffff.mov" in said, said
    assert "its name holds the character \\uffff, which an XML manifest cannot hold" in said
    assert "control character" not in said, said
    assert (dest / "CARD" / "odd\uffff.mov").read_bytes() == b"z"  # copied all the same
    assert code == 0, said
