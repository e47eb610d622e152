"""NTFS through ntfs-3g mounted straight from an image file: type ``fuse`` with no subtype
(through a loop device it is ``fuseblk``, which the preflight already reads). Recognised as
NTFS by the image's boot sector: its names rules apply before the copy, and a name it
refuses at a create or rename anyway (EILSEQ) says what to do. Real ntfs-3g, real files."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from offload.errors import destination_io_error
from offload.plan.filesystem import detect_filesystem
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
    assert "leave the file out with --ignore, choose another destination" in str(error)
