"""A card holding entries named like the copy root's own state folder (``.offload``: an earlier
copy root copied onto it, a folder or file a user named so), offloaded for real and judged by
the field's tool (``ascmhl`` 1.2: ``verify``, ``verify -dh``, ``diff``) and by what the
manifest lists; and a re-run with links and nothing new, whose JSON report says how the
history holds each link.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from integration.test_offload_mhl import judge_destination
from offload.manifest import read_history
from support.ascmhl_judge import AscmhlJudge
from support.offload_cli import offload

NESTED = {
    "OLD/.offload/ledger.jsonl": b'{"relative_path": "x"}\n',
    "OLD/.offload/reports/OLD.json": b"{}",
    "OLD/.offload/deeper/.offload/note.txt": b"a state folder inside one",
    "CLIPS/.offload": b"a file so named",
}


@pytest.fixture(autouse=True)
def report_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OFFLOAD_REPORT_DIR", str(tmp_path / "reports"))
    return tmp_path / "reports"


def judge_clean(judge: AscmhlJudge, root: Path) -> None:
    for result in (judge.verify(root), judge.verify(root, directory_hashes=True), judge.diff(root)):
        assert result.clean, result.describe()


def make_card(card: Path, files: dict[str, bytes]) -> Path:
    for relative, data in files.items():
        (card / relative).parent.mkdir(parents=True, exist_ok=True)
        (card / relative).write_bytes(data)
    return card


def test_a_nested_state_folder_is_listed_and_checked_the_copy_roots_own_is_not(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """Before: the unanchored ``.offload`` pattern that hides the copy root's state hid the
    card's own ``.offload`` entries too: copied and verified, but in no manifest, and never
    checked by ascmhl."""
    card = make_card(tmp_path / "cards" / "A001", {"CLIPS/A001C001.mov": os.urandom(50_000)})
    make_card(card, NESTED)
    (card / "OLD" / ".offload" / "empty").mkdir()
    dest = tmp_path / "RAID0"
    dest.mkdir()
    code, output = offload("copy", str(card), str(dest), "--verify", "full")
    assert code == 0, output
    root = dest / card.name
    assert "ASC MHL manifest" not in output  # nothing left out, nothing to warn about
    history = read_history(root)
    assert history.recorded_file_paths() == {"CLIPS/A001C001.mov", *NESTED}
    assert "OLD/.offload/empty" in history.recorded_directory_paths()
    assert (root / ".offload" / "ledger.jsonl").is_file()  # the root's own: not listed
    judge_clean(judge, root)
    for relative in NESTED:
        judge.assert_checks(root, relative)
    code, out = offload("verify", "--json", str(root))
    assert code == 0, out
    verdict = json.loads(out[: out.rindex("}") + 1])
    assert sorted(verdict["verified"]) == sorted({"CLIPS/A001C001.mov", *NESTED})

    # Post's machine: mounted elsewhere, the patterns still hide the root's state alone.
    elsewhere = tmp_path / "post" / "deeper" / card.name
    shutil.copytree(root, elsewhere)
    judge_clean(judge, elsewhere)
    created = judge.create(elsewhere, "xxh64")  # ascmhl's own generation carries the list
    assert created.clean, created.describe()
    judge_clean(judge, elsewhere)
    assert read_history(elsewhere).recorded_file_paths() == {"CLIPS/A001C001.mov", *NESTED}


def test_a_nested_state_folder_no_pattern_can_list_is_named(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """``A001/.offload`` in a copy root ``.../A001``: a pattern that lists it would list the
    root's own state too; ``!x/B/.offload`` beside ``B/.offload``: ascmhl's other commands turn
    the pattern that lists B's into one that hides it. Both stay hidden for every judge and
    are named; every other entry is listed."""
    card = make_card(
        tmp_path / "cards" / "A001",
        {
            "clip.mov": b"clip",
            "A001/.offload/ledger.jsonl": b"an earlier copy root named like this one",
            "B/.offload/ledger.jsonl": b"b",
            "!x/B/.offload/ledger.jsonl": b"x",
        },
    )
    dest = tmp_path / "RAID0"
    dest.mkdir()
    code, output = offload("copy", str(card), str(dest))
    assert code == 0, output
    root = dest / card.name
    assert "A001/.offload on " in output
    assert "!x/B/.offload on " in output
    assert read_history(root).recorded_file_paths() == {"clip.mov", "B/.offload/ledger.jsonl"}
    judge_clean(judge, root)


def copy_report(report_dir: Path) -> dict[str, Any]:
    """The JSON report of the newest offload copy (offload verify writes reports of its own)."""
    reports = [
        json.loads(path.read_text())
        for path in sorted(report_dir.glob("*.json"), key=lambda p: p.stat().st_mtime_ns)
    ]
    return [report for report in reports if "symlinks" in report][-1]


def test_a_re_run_with_links_and_nothing_new_reports_how_the_history_holds_them(
    judge: AscmhlJudge, tmp_path: Path, report_dir: Path
) -> None:
    """Before: the re-run wrote no generation (the history held every link already), and the
    JSON said ``manifest: null`` ("no manifest written there") for each link."""
    card = make_card(tmp_path / "cards" / "A002", {"CLIPS/A002C001.mov": os.urandom(20_000)})
    os.symlink("A002C001.mov", card / "CLIPS" / "latest.mov")
    os.symlink("GONE.mov", card / "CLIPS" / "dangling.mov")
    dest = tmp_path / "RAID0"
    dest.mkdir()
    for _ in range(2):
        code, output = offload("copy", str(card), str(dest))
        assert code == 0, output
    root = dest / card.name
    history = read_history(root)
    assert len(history.generations) == 1  # the re-run wrote none
    first = history.generations[0].file_name
    states = {s["relative_path"]: s for s in copy_report(report_dir)["symlinks"]}
    assert states["CLIPS/latest.mov"]["manifest"] == "listed"
    assert first in states["CLIPS/latest.mov"]["manifest_note"]
    assert states["CLIPS/dangling.mov"]["manifest"] == "ignored"
    assert first in states["CLIPS/dangling.mov"]["manifest_note"]
    # what the report says is what the history holds, as the judge reads it
    assert "CLIPS/latest.mov" in history.recorded_file_paths()
    assert "**/CLIPS/dangling.mov" in (history.latest_ignore_patterns() or ())
    judge_clean(judge, root)


def test_a_re_run_lists_a_nested_state_folder_an_earlier_generation_hid(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """A history whose newest list hides the card's own ``.offload`` folder (written by an
    older offload-ai, or here by ``ascmhl create --ignore .offload``): a re-run with nothing
    new writes a generation that lists it (as a re-run does for a link the history lacks);
    a run after that writes none."""
    card = make_card(tmp_path / "cards" / "A003", {"clip.mov": os.urandom(10_000), **NESTED})
    dest = tmp_path / "RAID0"
    dest.mkdir()
    code, output = offload("copy", str(card), str(dest), "--mhl", "none")
    assert code == 0, output
    root = dest / card.name
    created = judge.run("ascmhl", "create", "-h", "xxh64", "-i", ".offload", str(root))
    assert created.clean, created.describe()
    assert read_history(root).recorded_file_paths() == {"clip.mov"}
    for _ in range(2):
        code, output = offload("copy", str(card), str(dest))
        assert code == 0, output
    history = read_history(root)
    assert len(history.generations) == 2
    # clip.mov, trusted from the ledger (not read now), stays ascmhl create's record
    assert {r.path for r in history.generations[-1].files} == set(NESTED)
    judge_destination(judge, root, grown=True)
    judge.assert_checks(root, "OLD/.offload/ledger.jsonl")


def test_a_nested_ascmhl_folder_that_is_no_history_is_named_as_the_judge_refuses_it(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """A folder named ``ascmhl`` below the card's root, without a chain file: ascmhl reads
    every such folder as a nested history, and refuses the whole tree (``create`` exits
    non-zero on it). No pattern can list it (ascmhl's own default list hides the name at any
    depth): the files are copied and verified, and the manifest is refused, naming it."""
    card = make_card(
        tmp_path / "cards" / "A004",
        {"clip.mov": b"clip", "META/ascmhl/notes.txt": b"not a history"},
    )
    dest = tmp_path / "RAID0"
    dest.mkdir()
    code, output = offload("copy", str(card), str(dest))
    assert code == 1, output
    assert "nested ASC MHL histories are not supported: META" in output
    assert "which ascmhl reads as a history" in output
    root = dest / card.name
    assert (root / "META" / "ascmhl" / "notes.txt").read_bytes() == b"not a history"
    assert not (root / "ascmhl").exists()
    created = judge.create(root, "xxh64")
    assert created.returncode != 0
    assert "Missing ASC MHL chain file" in created.stdout + created.stderr, created.describe()


def test_offload_verify_checks_nested_state_entries_a_foreign_history_records(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """A history that ascmhl itself wrote over a copy root (``ascmhl create``, no ignore
    pattern for our state): ``offload verify`` skipped every ``.offload`` entry it records,
    the card's too (the name was added to the walk's patterns, last), and said all OK over
    fewer files; now only the copy root's own state is skipped."""
    card = make_card(tmp_path / "cards" / "A005", {"clip.mov": os.urandom(10_000), **NESTED})
    dest = tmp_path / "RAID0"
    dest.mkdir()
    code, output = offload("copy", str(card), str(dest), "--mhl", "none")
    assert code == 0, output
    root = dest / card.name
    created = judge.create(root, "xxh64")
    assert created.clean, created.describe()
    code, out = offload("verify", "--json", str(root))
    assert code == 0, out
    verdict = json.loads(out[: out.rindex("}") + 1])
    assert sorted(verdict["verified"]) == sorted({"clip.mov", *NESTED})
    (root / "OLD" / ".offload" / "ledger.jsonl").write_bytes(b"changed")
    code, out = offload("verify", str(root))
    assert code == 11, out


def test_a_ds_store_made_in_a_nested_state_folder_is_hidden_from_the_judge_too(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """Finder makes a ``.DS_Store`` in the copy's nested ``.offload`` folder (and a user's
    ``--ignore '*.tmp'`` names a file there): the list hides them below it as everywhere else, for
    ascmhl as for offload-ai. Failed before: ``!**/OLD/.offload`` brought them back for
    ascmhl (pathspec, last match wins): ``verify`` reported a new file, ``-dh`` a mismatch."""
    card = make_card(
        tmp_path / "cards" / "A005",
        {"clip.mov": os.urandom(10_000), "OLD/.offload/ledger.jsonl": b"{}\n"},
    )
    dest = tmp_path / "RAID0"
    dest.mkdir()
    code, output = offload("copy", "--ignore", "*.tmp", str(card), str(dest))
    assert code == 0, output
    root = dest / card.name
    for made in ("OLD/.offload/.DS_Store", "OLD/.offload/x.tmp"):
        (root / made).parent.mkdir(parents=True, exist_ok=True)
        (root / made).write_bytes(b"made on the destination")
    judge_clean(judge, root)
    judge.assert_checks(root, "OLD/.offload/ledger.jsonl")
    code, out = offload("verify", str(root))
    assert code == 0, out
