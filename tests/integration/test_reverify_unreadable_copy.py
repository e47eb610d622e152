"""``offload copy --reverify`` of a copy of ours it cannot read (mode 000, read by a root
without ``CAP_DAC_OVERRIDE``): the copy is intact, so it is named unreadable, never damaged.
Before: "copy no longer matches" and "COPY FOUND DAMAGED: ... replaced by a new copy" (the
README: an unreadable copy is never called found wrong). The documented repair stays: a new
copy from the card written in its place, verified, and said so."""

from __future__ import annotations

import json
from pathlib import Path

from support.nobody import WITHOUT_DAC
from support.offload_cli import offloaded_card, run_offload
from support.requirements import require_root, require_tool


def test_a_copy_reverify_cannot_read_is_unreadable_not_damaged(tmp_path: Path) -> None:
    require_root("a mode that stops root once its capabilities are dropped")
    require_tool("setpriv")
    disk = offloaded_card(tmp_path, clip="A001C{:03d}.mov")
    copy = disk / "A001" / "CLIPS" / "A001C001.mov"
    copy.chmod(0)
    done = run_offload(
        "copy",
        "--reverify",
        "--report-dir",
        tmp_path / "jobs",
        tmp_path / "A001",
        disk,
        prefix=WITHOUT_DAC,
        timeout_s=60,
    )
    flat = " ".join(done.stderr.split())
    assert done.returncode == 0, done.stderr
    assert "no longer matches" not in flat and "FOUND DAMAGED" not in flat, flat
    assert (
        "copy could not be read back (not found damaged; --reverify writes a new copy in "
        f"place of a copy of ours it cannot read), copying it again: cannot read {copy}"
    ) in flat, flat
    assert "Permission denied" in flat, flat
    assert (
        f"COPY UNREADABLE (not found damaged): cannot read {copy}" in flat
        and "replaced by a new copy from the card, verified now" in flat
    ), flat
    assert copy.read_bytes() == (tmp_path / "A001" / "CLIPS" / "A001C001.mov").read_bytes()
    # ``offload history`` tells it apart by the warning's code, never its words: an intact
    # copy it could not read and replaced is no damaged copy.
    listed = run_offload("history", "--json", "--report-dir", tmp_path / "jobs")
    assert listed.returncode == 0, listed.stderr
    results = [entry["result"] for entry in json.loads(listed.stdout)]
    assert "verified, 1 unreadable copy replaced" in results, results
    assert not any("damaged" in result for result in results), results
