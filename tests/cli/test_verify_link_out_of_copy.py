"""``offload verify`` never calls a recorded file verified when what stands at its name in the
copy is a symlink reaching a file outside the copy (the card's own clip, say): those bytes
are not the copy's, so the file is missing there.

Failed before: the walk followed the link as ascmhl does, hashed the card's clip through it
and reported "1 OK", exit 0, for a copy that held no bytes of the clip. The real CLI in a
subprocess, on real files."""

from __future__ import annotations

import json
import os
from pathlib import Path

from support.offload_cli import run_offload


def test_a_recorded_clip_replaced_by_a_link_out_of_the_copy_is_missing(tmp_path: Path) -> None:
    card = tmp_path / "card"
    (card / "CLIPS").mkdir(parents=True)
    clip = card / "CLIPS" / "A001.MOV"
    clip.write_bytes(os.urandom(200_000))
    (card / "CLIPS" / "A002.MOV").write_bytes(os.urandom(1000))
    dest = tmp_path / "dest"
    dest.mkdir()
    copied = run_offload("copy", card, dest, "--report-dir", tmp_path / "r0")
    assert copied.returncode == 0, copied.stderr
    copy = dest / "card" / "CLIPS" / "A001.MOV"
    copy.unlink()
    copy.symlink_to(clip)

    verified = run_offload("verify", "--json", "--report-dir", tmp_path / "r1", dest / "card")

    assert verified.returncode == 10, verified.stdout + verified.stderr
    report = json.loads(verified.stdout)
    assert "CLIPS/A001.MOV" in report["missing"]
    assert "CLIPS/A001.MOV" not in report.get("verified", [])
    assert "CLIPS/A001.MOV" in report["dangling"]


def test_a_link_to_a_file_inside_the_copy_is_still_read_through(tmp_path: Path) -> None:
    card = tmp_path / "card"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "A001.MOV").write_bytes(os.urandom(5000))
    (card / "CLIPS" / "link.MOV").symlink_to("A001.MOV")
    dest = tmp_path / "dest"
    dest.mkdir()
    copied = run_offload("copy", card, dest, "--report-dir", tmp_path / "r0")
    assert copied.returncode == 0, copied.stderr

    verified = run_offload("verify", "--json", "--report-dir", tmp_path / "r1", dest / "card")

    assert verified.returncode == 0, verified.stdout + verified.stderr
