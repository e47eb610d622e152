"""``offload verify --append`` records what the check did with the symlinks it did not read,
so the reference tool (``ascmhl`` 1.2) judges the copy as the check did.

A symlink the history does not record that leads outside the copy, nowhere (dangling or
looping) or to a folder is not read and counts against nothing; the appended generation
ignores each by a pattern naming that path alone (as ``offload copy`` does for such a link of
a card). Failed before: the generation neither listed nor ignored them, so ``ascmhl verify``
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
