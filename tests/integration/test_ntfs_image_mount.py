"""NTFS through ntfs-3g mounted straight from an image file: type ``fuse`` with no subtype
(through a loop device it is ``fuseblk``, which the preflight already reads). Recognised as
NTFS by the image's boot sector: its names rules apply before the copy, and a name it
refuses at a create or rename anyway (EILSEQ) says what to do. Real ntfs-3g, real files."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from offload.errors import destination_io_error
from offload.plan.filesystem import detect_filesystem
from support.faultyfs import FaultyFS
from support.mounts import Mount
from support.offload_cli import copy_with_reports_in


def test_ntfs_3g_on_an_image_file_is_known_as_ntfs(tmp_path: Path, ntfs_image: Mount) -> None:
    """Failed before: "fuse at M takes it as it is" for a name not UTF-8, which then failed
    at its rename (EILSEQ) with no remedy; no warning for a Windows-illegal name."""
    found = detect_filesystem(ntfs_image.path)
    assert (found.fstype, found.on_device, found.name) == ("fuse", "ntfs", "NTFS (fuse)")
    card = tmp_path / "CARD"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "ok.mov").write_bytes(b"ok")
    with open(os.fsencode(card / "CLIPS") + b"/bad\xffname.mov", "wb") as handle:
        handle.write(b"x")
    code, said = copy_with_reports_in(tmp_path, str(card), str(ntfs_image.path))
    assert code == 64, said
    assert (
        f"'CLIPS/bad\\xffname.mov': the name 'bad\\xffname.mov' is not valid UTF-8, which "
        f"NTFS (fuse) at {ntfs_image.path} will not take as it is: leave it out with --ignore "
        "'/CLIPS/bad?name.mov'" in said
    ), said
    assert "takes it as it is" not in said
    assert os.listdir(ntfs_image.path) == []


def test_a_name_ntfs_3g_refuses_at_its_create_says_what_to_do(ntfs_image: Mount) -> None:
    """Failed before: "cannot rename ...: Invalid or incomplete multibyte or wide character
    (EILSEQ)" alone."""
    target = os.fsencode(ntfs_image.path) + b"/bad\xffname.mov"
    with pytest.raises(OSError) as raised:
        os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    assert raised.value.errno == errno.EILSEQ
    error = destination_io_error(raised.value, "create", os.fsdecode(target), str(ntfs_image.path))
    assert "(EILSEQ); the destination's filesystem does not take this name as it is" in str(error)
    assert "leave the file out with --ignore and its path on the card, choose another" in str(error)


def test_eilseq_through_the_engine_names_the_file_or_folder_and_its_pattern(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Failed before: "leave the file out with --ignore" with no pattern, and "the file" for
    a folder's mkdir. A real copy to a FUSE destination answering EILSEQ at a rename and at
    a mkdir (as ntfs-3g does for a name it cannot store)."""
    fs = faulty_fs()
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "ok.mov").write_bytes(b"ok")
    (card / "CLIPS" / "C[1].mov").write_bytes(b"one")
    (card / "NEW").mkdir()
    (card / "NEW" / "n.mov").write_bytes(b"n")
    fs.fail("rename", errno.EILSEQ, path="*C[[]1].mov")
    fs.fail("mkdir", errno.EILSEQ, path="*/NEW")
    code, said = copy_with_reports_in(tmp_path, str(card), str(fs.mountpoint))
    assert code != 0, said
    assert "leave the file out with --ignore '/CLIPS/C\\[1].mov', choose another" in said, said
    assert "leave the folder out with --ignore /NEW, choose another" in said, said
    assert "--ignore, choose" not in said, said
    assert (
        f"cannot create folder {fs.mountpoint / 'A001' / 'NEW'}: Invalid or incomplete "
        "multibyte or wide character; the destination's filesystem does not take this name "
        "as it is (a byte that is not UTF-8, say): leave the folder out with --ignore /NEW,"
    ) in said, said
