"""Volumes mounted inside the source's folder (``offload copy media D``, two cards mounted
in ``media``): the preflight names them (``source-holds-volumes``) in ``--dry-run``, the
offload's terminal lines and its job report. Real mounts: tmpfs cards, a bind mount."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from support import mounts
from support.offload_cli import newest_report, offload_streams

WORDS = "mounted volume"


def _card(root: Path, folder: str, name: str) -> None:
    (root / folder).mkdir()
    (root / folder / name).write_bytes(os.urandom(20_000))


def test_two_cards_mounted_in_one_folder_are_named(
    tmp_path: Path, tmpfs_mount: Callable[..., mounts.Mount]
) -> None:
    """Failed before: no warning (QA: one copy root, "Card: identity unknown", reports
    saying "the card" of two cards)."""
    media, dest = tmp_path / "media", tmp_path / "D"
    media.mkdir()
    dest.mkdir()
    red = Path(tmpfs_mount(2 << 20, path=media / "RED_A001").path)
    canon = Path(tmpfs_mount(2 << 20, path=media / "CANON").path)
    _card(red, "A001_C001", "A001_C001.R3D")
    _card(canon, "DCIM", "MVI_0001.MP4")
    code, out, err = offload_streams("copy", "--dry-run", media, dest)
    assert code == 0, out + err
    warned = [line for line in (out + err).splitlines() if WORDS in line]
    assert warned == [
        f"WARNING: the source {media} holds 2 mounted volumes: CANON (tmpfs), RED_A001 "
        "(tmpfs); each is a card or drive of its own, offloaded here as a folder of one card "
        f"(one copy root, one report): offload each card on its own (offload copy {canon} DEST)"
    ]
    # Each card on its own: nothing inside it is mounted, no warning.
    code, out, err = offload_streams("copy", "--dry-run", red, dest)
    assert code == 0, out + err
    assert WORDS not in out + err
    # A card an ignore rule leaves out is not copied: not named.
    code, out, err = offload_streams("copy", "--dry-run", "--ignore", "/CANON/", media, dest)
    assert code == 0, out + err
    assert "holds a mounted volume: RED_A001 (tmpfs); it is a card" in out + err
    assert "CANON (" not in out + err
    # The offload says it too, and its job report keeps it.
    reports = tmp_path / "reports"
    code, out, err = offload_streams("copy", "--report-dir", reports, media, dest)
    assert code == 0, out + err
    assert f"WARNING: the source {media} holds 2 mounted volumes" in err
    codes = [w["code"] for w in newest_report(reports)["warnings"]]
    assert "source-holds-volumes" in codes


def test_a_bind_mount_is_named_and_plain_folders_are_not(
    tmp_path: Path, bind_mount: Callable[[Path, Path], mounts.Mount]
) -> None:
    """A card folder bind-mounted into the source (a mount of the same filesystem: no other
    ``st_dev``, the mount table tells) is named; folders that are no mount are not."""
    media, dest, card = tmp_path / "media", tmp_path / "D", tmp_path / "card"
    for folder in (media, dest, card):
        folder.mkdir()
    _card(card, "CLIPS", "C001.mov")
    _card(media, "PLAIN", "C002.mov")
    code, out, err = offload_streams("copy", "--dry-run", media, dest)
    assert code == 0, out + err
    assert WORDS not in out + err
    (media / "A001").mkdir()
    bind_mount(card, media / "A001")
    code, out, err = offload_streams("copy", "--dry-run", media, dest)
    assert code == 0, out + err
    assert f"the source {media} holds a mounted volume: A001 (" in out + err


def test_the_suggested_command_is_pasteable_for_a_card_named_with_a_space(
    tmp_path: Path, tmpfs_mount: Callable[..., mounts.Mount]
) -> None:
    """A card whose volume is ``NO NAME`` (FAT's default label): the command the warning
    suggests names it as one shell word. Failed before: ``offload copy .../media/NO NAME
    DEST``, two arguments when pasted."""
    media, dest = tmp_path / "media", tmp_path / "D"
    media.mkdir()
    dest.mkdir()
    card = Path(tmpfs_mount(2 << 20, path=media / "NO NAME").path)
    _card(card, "DCIM", "MVI_0001.MP4")
    code, out, err = offload_streams("copy", "--dry-run", media, dest)
    assert code == 0, out + err
    assert f"(offload copy '{card}' DEST)" in out + err
