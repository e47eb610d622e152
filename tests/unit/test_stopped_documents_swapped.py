"""A run stopped during its reports has its JSON restated and its HTML and PDF removed
(``job_report._restated_at``); a copy root's ``.offload`` swapped for a symlink to another
copy root's after the run's lock was let go (``mv .offload .offload-moved``, ``ln -s``)
must not have the other copy root's documents of the same name removed through it. Real
folders, a real ``flock`` of the copy root taken and released as a run's; pre-existing
finding of review rev4_69 (the documents were removed by name, unchecked, right after the
checked rewrite of the JSON raised ``StateFolderReplaced``)."""

from __future__ import annotations

import os
from pathlib import Path

from offload.lock import lock_copy_roots
from offload.report.job_report import _json_file, _restated_at
from offload.state_names import STATE_FOLDER

_NAME = "A001_2026-12-07_0700"


def _reports(root: Path) -> Path:
    folder = root / STATE_FOLDER / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    for suffix in (".json", ".html", ".pdf"):
        (folder / f"{_NAME}{suffix}").write_text(f"{root.name}'s own {suffix}\n")
    return folder


def _tree(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.iterdir())}


def test_a_stopped_run_s_documents_are_not_removed_through_a_swapped_state_folder(
    tmp_path: Path,
) -> None:
    root, other = tmp_path / "RAID" / "A001", tmp_path / "RAID2" / "A001"
    with lock_copy_roots([root], source=str(tmp_path / "A001")):
        pass  # the run's lock, let go before its reports are written
    _reports(root)
    other_reports = _reports(other)
    before = _tree(other_reports)
    state = root / STATE_FOLDER
    os.rename(state, state.with_name(".offload-moved"))
    os.symlink(other / STATE_FOLDER, state)

    problems: list[str] = []
    path = root / STATE_FOLDER / "reports" / f"{_NAME}.json"
    _restated_at(_json_file({"notes": []}), path, 130, True, problems)

    assert _tree(other_reports) == before  # nothing of the other copy root's removed
    assert f"cannot restate the report {path}" in problems[0], problems
    assert len(problems) == 2, problems
    assert problems[1].startswith(
        f"cannot remove the HTML or PDF reports beside {path}, which state the run before "
        f"it was stopped: {state} was replaced while this offload ran"
    ), problems
    # The run's own documents are where it wrote them, in the folder moved away.
    assert (root / ".offload-moved" / "reports" / f"{_NAME}.html").exists()


def test_a_stopped_run_s_documents_are_removed_from_its_own_state_folder(
    tmp_path: Path,
) -> None:
    root = tmp_path / "RAID" / "A001"
    with lock_copy_roots([root], source=str(tmp_path / "A001")):
        pass
    reports = _reports(root)
    problems: list[str] = []
    _restated_at(_json_file({"notes": []}), reports / f"{_NAME}.json", 130, True, problems)
    assert problems == []
    assert sorted(_tree(reports)) == [f"{_NAME}.json"]
