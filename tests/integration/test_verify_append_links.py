"""``offload verify --append`` records what the check did with the symlinks it did not read,
so the reference tool (``ascmhl`` 1.2) judges the copy as the check did.

A symlink the history does not record that leads outside the copy, nowhere (dangling or
looping) or to a folder is not read and counts against nothing; the appended generation
ignores each by a pattern naming that path alone (as ``offload copy`` does for such a link of
a card). Failed before: the generation neither listed nor ignored them, so ``ascmhl-debug verify``
called them new files (exit 21) right after our check said OK (exit 0).

A recorded file whose name is now such a link is missing (exit 10): the generation does not
list it (as ``ascmhl create`` leaves a missing file out) and never ignores it, since ascmhl
leaves ignored paths out of its missing ones: the loss stays in the chain, for every later
check. Real copies by ``offload copy``, real links, the real CLI, ascmhl in its own venv.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from offload.cli.common import Environment
from offload.cli.offload import main
from offload.manifest import read_history
from offload.manifest.ignore import IgnoreSpec
from support.ascmhl_judge import AscmhlJudge, JudgeResult
from support.copied_links import card_with_clips, clips_replaced_by_links


def offload(*argv: str | Path) -> tuple[int, str, str]:
    """``offload *argv --quiet`` in this process: its exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    args = [str(argv[0]), "--quiet", *map(str, argv[1:])]
    code = main(args, Environment(stdout=out, stderr=err, install_signal_handlers=False))
    return code, out.getvalue(), err.getvalue()


def verify(*argv: str | Path) -> tuple[int, dict[str, Any]]:
    """``offload verify --json *argv`` in this process: its exit code and its report."""
    code, out, _ = offload("verify", "--json", *argv)
    return code, json.loads(out)


def copied(tmp_path: Path) -> tuple[Path, Path]:
    """A card and its copy root (with its ASC MHL history), made by ``offload copy``."""
    card = card_with_clips(tmp_path)
    dest = tmp_path / "dest"
    dest.mkdir()
    code, out, err = offload("copy", "--report-dir", tmp_path / "reports", card, dest)
    assert code == 0, out + err
    return card, dest / card.name


def assert_clean(result: JudgeResult) -> None:
    assert result.clean, result.describe()


def test_the_appended_generation_ignores_the_unrecorded_links_the_check_did_not_read(
    tmp_path: Path, judge: AscmhlJudge
) -> None:
    _, root = copied(tmp_path)
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_bytes(b"a file of this machine, not of the copy\n")
    (root / "CLIPS" / "host.txt").symlink_to(elsewhere)  # outside the copy
    (root / "CLIPS" / "state.txt").symlink_to("../.offload/ledger.jsonl")  # into our state
    (root / "CLIPS" / "gone.MOV").symlink_to("nothing-here.MOV")  # dangling
    (root / "CLIPS" / "loop").symlink_to("loop")  # looping
    (root / "ALL").symlink_to("CLIPS")  # to a folder
    reports = tmp_path / "verify-reports"

    code, report = verify("--append", "--report-dir", reports, root)

    assert code == 0, report
    assert report["outside"] == ["CLIPS/host.txt", "CLIPS/state.txt"]
    assert report["dangling"] == ["CLIPS/gone.MOV", "CLIPS/loop"]
    assert report["verified"] == ["CLIPS/A001.MOV", "CLIPS/A002.MOV"]
    assert report["generation"] is not None
    # The reference tool agrees: nothing new, nothing missing, the folder hashes hold.
    assert_clean(judge.verify(root))
    assert_clean(judge.verify(root, directory_hashes=True))
    assert_clean(judge.diff(root))
    judge.assert_checks(root, "CLIPS/A001.MOV")  # and it still reads the copy's clips
    patterns = read_history(root).latest_ignore_patterns() or ()
    for path in ("CLIPS/host.txt", "CLIPS/state.txt", "CLIPS/gone.MOV", "CLIPS/loop", "ALL"):
        assert f"**/{path}" in patterns, patterns
    # Our own next check skips them as the history says, and still reads the clips.
    code, again = verify("--report-dir", reports, root)
    assert code == 0, again
    assert again["verified"] == ["CLIPS/A001.MOV", "CLIPS/A002.MOV"]
    assert again["outside"] == [] and again["dangling"] == [] and again["extra"] == []


def test_a_recorded_file_now_a_link_out_or_nowhere_stays_missing_in_the_chain(
    tmp_path: Path, judge: AscmhlJudge
) -> None:
    card, root = copied(tmp_path)
    clips_replaced_by_links(card, root)  # A001 to the card's clip, A002 to nowhere
    reports = tmp_path / "verify-reports"

    code, report = verify("--append", "--report-dir", reports, root)

    assert code == 10, report
    assert report["missing"] == ["CLIPS/A001.MOV", "CLIPS/A002.MOV"]
    assert report["outside"] == ["CLIPS/A001.MOV"] and report["dangling"] == ["CLIPS/A002.MOV"]
    history = read_history(root)
    newest = history.generations[-1]
    assert report["generation"].endswith(newest.file_name)
    assert not {record.path for record in newest.files} & {"CLIPS/A001.MOV", "CLIPS/A002.MOV"}
    spec = IgnoreSpec(history.latest_ignore_patterns() or ())
    assert not spec.excludes("CLIPS/A001.MOV", is_dir=False)
    assert not spec.excludes("CLIPS/A002.MOV", is_dir=False)
    # The loss stays recorded: the next check (ours) says missing again...
    code, again = verify("--report-dir", reports, root)
    assert code == 10, again
    assert again["missing"] == ["CLIPS/A001.MOV", "CLIPS/A002.MOV"]
    # ...and the reference tool, whose ignore list would have hidden it, still fails the copy
    # (it reads the card's clip through the first link; the dangling one it cannot open).
    verdict = judge.verify(root)
    assert verdict.returncode != 0, verdict.describe()
    assert "found new file" not in verdict.stderr, verdict.describe()


def root_with_an_anchored_pattern(tmp_path: Path, judge: AscmhlJudge) -> Path:
    """``tmp_path/R``: a folder whose history ``ascmhl create -i NEST/DAY/`` made (its list
    carries the anchored ``/NEST/DAY/``, which plain ``ascmhl-debug verify`` matches against
    absolute paths, so never: it walks ``NEST/DAY``; our check's walk skips it), a clip
    of its own in ``CLIPS``, the folder ``NEST/DAY`` to put more in."""
    root = tmp_path / "R"
    (root / "CLIPS").mkdir(parents=True)
    (root / "CLIPS" / "own.MOV").write_bytes(b"the root's own clip\n")
    (root / "NEST" / "DAY").mkdir(parents=True)
    assert_clean(judge.run("ascmhl", "create", "-i", "NEST/DAY/", root))
    assert "/NEST/DAY/" in (read_history(root).latest_ignore_patterns() or ())
    return root


def test_a_links_pattern_hides_no_nested_copys_file_in_a_folder_an_anchored_pattern_names(
    tmp_path: Path, judge: AscmhlJudge
) -> None:
    """A nested copy in a folder only an anchored pattern names (``NEST/DAY``): plain
    ``ascmhl-debug verify`` walks that folder and checks the nested history, so this check finds
    it too and ``--append`` is refused there (exit 64), as beside any nested history; no
    generation, so no ``**/CLIPS/A001.MOV`` for the dangling link at the root to hide the
    nested copy's clip. Failed before the check searched such folders: the generation was
    written (first with that pattern, which hid the damaged clip from ``ascmhl-debug
    verify`` of the root, exit 0; later without it, but never with the nested copy
    checked)."""
    root = root_with_an_anchored_pattern(tmp_path, judge)
    card = card_with_clips(tmp_path)
    code, out, err = offload(
        "copy", "--report-dir", tmp_path / "reports", card, root / "NEST" / "DAY"
    )
    assert code == 0, out + err
    nested = root / "NEST" / "DAY" / card.name
    (root / "CLIPS" / "A001.MOV").symlink_to("nothing-here.MOV")  # dangling, at the root
    generations = len(list((root / "ascmhl").glob("*.mhl")))

    code, report = verify("--append", "--report-dir", tmp_path / "verify-reports", root)

    assert code == 64, report
    assert f"NEST/DAY/{card.name}" in report["error"], report
    assert len(list((root / "ascmhl").glob("*.mhl"))) == generations
    assert "**/CLIPS/A001.MOV" not in (read_history(root).latest_ignore_patterns() or ())
    # The nested copy's clip damaged (same size): the reference tool names it, as it reads
    # the nested history's files in its verify of the root; so does this check.
    clip = nested / "CLIPS" / "A001.MOV"
    clip.write_bytes(bytes(len(clip.read_bytes())))
    verdict = judge.verify(root)
    assert verdict.returncode != 0, verdict.describe()
    assert f"NEST/DAY/{card.name}/CLIPS/A001.MOV" in verdict.stdout + verdict.stderr
    code, report = verify("--report-dir", tmp_path / "verify-reports", root)
    assert code == 11, report
    changed = [item["path"] for item in report["changed"]]
    assert changed == [f"NEST/DAY/{card.name}/CLIPS/A001.MOV"], report


def test_a_links_pattern_hides_no_file_standing_in_a_folder_an_anchored_pattern_names(
    tmp_path: Path, judge: AscmhlJudge
) -> None:
    """As above with a plain file in ``NEST/DAY``, which no history records and ascmhl calls
    new. Failed before: the dangling ``CLIPS/take.MOV`` got ``**/CLIPS/take.MOV``, which hid
    ``NEST/DAY/CLIPS/take.MOV`` from ``ascmhl-debug verify`` of the root: it passed (exit 0)
    where, before the check, it named that file new (exit 21). Another link, whose pattern
    hides nothing, still gets its own. The link left out is named in a note, as ``offload
    copy`` names one (failed before: no note, ascmhl then calling the link new unsaid)."""
    root = root_with_an_anchored_pattern(tmp_path, judge)
    (root / "NEST" / "DAY" / "CLIPS").mkdir()
    (root / "NEST" / "DAY" / "CLIPS" / "take.MOV").write_bytes(b"not in any history\n")
    before = judge.verify(root)
    assert before.returncode == 21, before.describe()
    (root / "CLIPS" / "take.MOV").symlink_to("nothing-here.MOV")
    (root / "CLIPS" / "other.MOV").symlink_to("nothing-here.MOV")

    code, report = verify("--append", "--report-dir", tmp_path / "verify-reports", root)

    assert code == 0, report
    assert report["dangling"] == ["CLIPS/other.MOV", "CLIPS/take.MOV"]
    patterns = read_history(root).latest_ignore_patterns() or ()
    assert "**/CLIPS/take.MOV" not in patterns and "**/CLIPS/other.MOV" in patterns, patterns
    after = judge.verify(root)
    assert after.returncode == 21, after.describe()
    assert "NEST/DAY/CLIPS/take.MOV" in after.stdout + after.stderr
    # The link left out is named, as offload copy names one (before: nothing said it).
    # ... and the file in NEST/DAY too, which ascmhl calls new whatever the generation
    assert report["notes"] == [
        f"symlink CLIPS/take.MOV on {root} is not ignored by the appended ASC MHL "
        "generation: an ignore pattern for it would also hide NEST/DAY/CLIPS/take.MOV; "
        "ascmhl will list it as a new file",
        f"NEST/DAY/CLIPS/take.MOV on {root}: in a folder only an anchored pattern of the "
        "history's ignore list names, so not checked here (as ascmhl create and "
        "ascmhl-debug verify -dh apply it); plain ascmhl-debug verify never applies an anchored "
        "pattern and lists it as new (exit 21)",
    ], report["notes"]


def test_append_is_refused_beside_an_unreadable_nested_copy_an_anchored_pattern_names(
    tmp_path: Path, judge: AscmhlJudge
) -> None:
    """A nested copy in ``NEST/DAY`` (a folder only an anchored pattern names, which plain
    ``ascmhl-debug verify`` walks) whose history cannot be read, and dangling links at the root
    (``own.MOV``, whose ``**/own.MOV`` would hide the recorded ``CLIPS/own.MOV``, and
    ``CLIPS/gone.MOV``): ``--append`` is refused (exit 64) naming the nested folder, as
    beside any nested history, and nothing is appended. Before, the check's walk skipped
    the folder, the generation was written and each link left out was named in a note
    (the tree not read whole): ascmhl-debug verify then checked a nested copy this check never
    looked at. Where the tree cannot be read whole otherwise (a folder that cannot be
    listed), the notes are ``offload copy``'s: ``test_link_patterns_whole_tree.py``."""
    root = root_with_an_anchored_pattern(tmp_path, judge)
    card = card_with_clips(tmp_path)
    code, out, err = offload(
        "copy", "--report-dir", tmp_path / "reports", card, root / "NEST" / "DAY"
    )
    assert code == 0, out + err
    manifests = sorted((root / "NEST" / "DAY" / card.name / "ascmhl").glob("*.mhl"))
    manifests[-1].write_bytes(b"<hashlist")  # not well-formed: the tree cannot be read
    (root / "own.MOV").symlink_to("nothing-here.MOV")
    (root / "CLIPS" / "gone.MOV").symlink_to("nothing-here.MOV")
    generations = sorted((root / "ascmhl").glob("*.mhl"))

    code, report = verify("--append", "--report-dir", tmp_path / "verify-reports", root)

    assert code == 64, report
    assert f"holds nested ASC MHL histories (NEST/DAY/{card.name})" in report["error"], report
    assert sorted((root / "ascmhl").glob("*.mhl")) == generations
    patterns = read_history(root).latest_ignore_patterns() or ()
    assert "**/own.MOV" not in patterns and "**/CLIPS/gone.MOV" not in patterns
