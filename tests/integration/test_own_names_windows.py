"""The names offload-ai gives its own files (the reports, named after the card's folder) on
drives with Windows' name rules: exfat-fuse answers ENOENT for a name holding ``:``, ntfs-3g
takes it (a name Windows cannot open), fusefat refuses it. Real exfat-fuse, ntfs-3g and
fusefat mounts, the real CLI in a subprocess."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from support.offload_cli import run_offload as run

CARD_NAME = "W:12 "  # a ':' Windows refuses, and a trailing space


def test_reports_of_a_card_named_as_windows_refuses_follow_the_drives_rules(
    tmp_path: Path, exfat_loop: Any, ntfs_loop: Any, fusefat_mount: Any
) -> None:
    """Failed before: the preflight's own way out (``mkdir .../W_12 && offload copy --into``)
    ended in exit 1: exfat-fuse refused ``W:12 _<date>Z.json`` (ENOENT, "cannot write the
    report into .../reports: No such file or directory", the destination FAILED though its
    copy was verified, and again at every re-run), fusefat refused it too, and on NTFS the
    reports were named with a ':' Windows cannot open. Now each report is named
    ``W_12 _<date>Z``, the same on every drive and in the local report folder: exit 0; and
    the refused run's record in a local report folder on exFAT is written (it was lost)."""
    card = tmp_path / CARD_NAME
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "W.MOV").write_bytes(os.urandom(5000))
    drives = [exfat_loop().path, ntfs_loop().path, fusefat_mount().path]
    local = exfat_loop().path  # the local report folder on exFAT too: the refusal's record
    refused = run("copy", card, *drives, "--report-dir", local)
    assert refused.returncode == 64, refused.stdout + refused.stderr
    [record] = (local / "refused").iterdir()
    assert record.name.startswith("W_12 _"), record
    into = [drive / "W_12" for drive in drives]
    assert " ".join(map(str, into)) in refused.stderr, refused.stderr
    for folder in into:
        folder.mkdir()
    reports = tmp_path / "reports"
    for attempt in ("first", "again"):
        result = run("copy", "--into", card, *into, "--report-dir", reports)
        assert result.returncode == 0, (attempt, result.stdout + result.stderr)
    [local, _] = sorted(reports.glob("*.json"))
    assert local.name.startswith("W_12 _"), local
    for folder in into:
        assert (folder / "CLIPS" / "W.MOV").read_bytes() == (card / "CLIPS" / "W.MOV").read_bytes()
        named = sorted(p.name for p in (folder / ".offload" / "reports").iterdir())
        assert len(named) == 8 and all(n.startswith("W_12 _") for n in named), named
        data = json.loads((folder / ".offload" / "reports" / local.name).read_text())
        assert data["exit_code"] == 0, data["exit_code"]
