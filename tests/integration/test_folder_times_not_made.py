"""A folder the destination refused to create is not asked for its time at the run's end
(QA, thirty-ninth pass: 3,006 files, one folder made immutable with ``chattr +i``: "Problems
(22)", 10 of them "cannot set the time of folder .../sub_N: No such file or directory" for
folders never made, the EPERM that kept them from being made listed already).

A real immutable folder (``chattr +i``, root on a filesystem with the flag; skipped
otherwise), the real offload in-process."""

from __future__ import annotations

import os
from pathlib import Path

from offload.card import offload
from support.immutable import immutable


def test_no_folder_time_is_asked_of_a_folder_that_could_not_be_created(tmp_path: Path) -> None:
    card = tmp_path / "A001"
    for n in range(4):
        clips = card / "CLIPS" / f"sub_{n}"
        clips.mkdir(parents=True)
        (clips / "C.mov").write_bytes(os.urandom(2_000))
    (card / "OTHER").mkdir()
    (card / "OTHER" / "X.bin").write_bytes(os.urandom(1_000))
    dest = tmp_path / "dest"
    held = dest / "A001" / "CLIPS"
    held.mkdir(parents=True)
    with immutable(held):  # skips where it cannot be made so
        report = offload(card, [dest])
    assert report.exit_code == 1
    not_made = [held / f"sub_{n}" for n in range(4)]
    errors = report.folder_errors
    # The cause, once a folder: each could not be created (EPERM), its files failed.
    for folder in not_made:
        assert f"cannot create folder {folder}: Operation not permitted" in errors, errors
    # No follow-on: no time asked of a folder never made (before: one ENOENT line each).
    assert not [e for e in errors if "No such file or directory" in e], errors
    unset = [entry["message"] for entry in report.folder_times_unset]
    assert not [m for m in unset if any(str(f) in m for f in not_made)], unset
    # The immutable folder's own time is refused (EPERM): its own error, still said.
    assert [m for m in unset if m.startswith(f"cannot set the time of folder {held}:")], unset
    # The folder that was made got its time.
    assert (dest / "A001" / "OTHER").stat().st_mtime_ns == (card / "OTHER").stat().st_mtime_ns
