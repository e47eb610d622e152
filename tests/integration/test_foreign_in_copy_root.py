"""What stands in a copy root that is not the card's (a note, another camera's clip, a folder
put there by hand before the offload): the run does not copy, hash or record it, but says
so, since ``ascmhl-debug verify`` and ``offload verify`` of that copy root call it new (exit
21) right after a run that said every copy was verified.

Before: exit 0 and not a word; the first check of the copy failed (the QA repro)."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest

from offload.manifest import read_history
from offload.plan.preflight.paths import probe_stem
from support.ascmhl_judge import AscmhlJudge
from support.deep_folders import folders_deep
from support.offload_cli import offload_streams
from support.pids import a_pid_not_running

CODE = "foreign-in-copy-root"


def card_and_copy_root(tmp: Path) -> tuple[Path, Path]:
    """A card A001 and its copy root DEST/A001, which already holds what is not the card's:
    two files and a folder of files (foreign), and what no check calls new (an empty
    folder, a folder of Finder files alone, a .DS_Store, a dead run's partial, a killed
    run's write probe: failed before, named as foreign and called new by both checks)."""
    card = tmp / "CARD" / "A001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "A001C001.mov").write_bytes(b"a" * 20_000)
    (card / "CLIPS" / "A001C002.mov").write_bytes(b"b" * 3_000)
    (card / "notes.md").write_bytes(b"the card's")
    root = tmp / "DEST" / "A001"
    (root / "CLIPS").mkdir(parents=True)
    (root / "notes.txt").write_text("by hand\n")
    (root / "CLIPS" / "B002C001.mov").write_bytes(b"x" * 5_000)
    (root / "DAY2" / "SUB").mkdir(parents=True)
    (root / "DAY2" / "SUB" / "take.mov").write_bytes(b"y" * 100)
    (root / "EMPTY").mkdir()
    (root / "FINDER").mkdir()
    (root / "FINDER" / ".DS_Store").write_bytes(b"finder")
    (root / "CLIPS" / ".DS_Store").write_bytes(b"finder")
    (root / "CLIPS" / ".offload-partial.A001C009.mov.1234").write_bytes(b"p" * 10)
    # a run killed between its write probe's create and delete (young: the sweep keeps it)
    (root / f".offload-probe-{a_pid_not_running()}-00ff00ff00ff00ff").write_bytes(b"")
    return card, root


def foreign_warning(out: str) -> dict[str, str]:
    """The one foreign-in-copy-root warning of a --json run's output."""
    (warning,) = [
        event
        for line in out.splitlines()
        if (event := json.loads(line))["event"] == "warning_issued" and event["code"] == CODE
    ]
    return warning


def new_files(result_text: str) -> set[str]:
    return set(re.findall(r"found new file (\S+)", result_text))


def test_what_is_not_the_cards_is_warned_of_and_ascmhl_calls_it_new(
    tmp_path: Path, judge: AscmhlJudge, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OFFLOAD_REPORT_DIR", str(tmp_path / "reports"))
    card, root = card_and_copy_root(tmp_path)
    code, out, err = offload_streams("copy", "--json", card, tmp_path / "DEST")
    assert code == 0, err  # the card's copies are verified: the exit code stays
    warning = foreign_warning(out)
    message = warning["message"]
    assert warning["path"] == str(root)
    assert message.startswith(
        f"{root} holds 3 entries that are not the card's (CLIPS/B002C001.mov, DAY2/, notes.txt)"
    )
    assert "in no manifest of this run" in message
    assert "ascmhl-debug verify and offload verify" in message and "(exit 21)" in message
    (report,) = (tmp_path / "reports").glob("A001_*.json")
    saved = [w for w in json.loads(report.read_text())["warnings"] if w["code"] == CODE]
    assert [w["message"] for w in saved] == [message]
    (html,) = (tmp_path / "reports").glob("A001_*.html")
    assert "not the card&#x27;s" in html.read_text() or "not the card's" in html.read_text()

    # Not hashed nor recorded: the generation lists the card's files alone.
    (generation,) = read_history(root).generations
    assert sorted(f.path for f in generation.files) == [
        "CLIPS/A001C001.mov",
        "CLIPS/A001C002.mov",
        "notes.md",
    ]
    # The warning is true: the reference tool calls exactly those new (DAY2/ by its file).
    verdict = judge.verify(root)
    assert verdict.returncode == 21, verdict.describe()
    assert new_files(verdict.stdout + verdict.stderr) == {
        "CLIPS/B002C001.mov",
        "DAY2/SUB/take.mov",
        "notes.txt",
    }
    code, _, _ = offload_streams("verify", root)
    assert code == 21

    # Recorded as the warning says (offload verify --append), they are no longer foreign: a
    # run writing a generation (a new clip on the card) says nothing of them.
    assert f"recorded there (offload verify --append {root}," in message
    assert offload_streams("verify", "--append", root)[0] == 21  # new, and now recorded
    assert offload_streams("verify", root)[0] == 0
    (card / "CLIPS" / "A001C003.mov").write_bytes(b"c" * 2_000)
    code, out, err = offload_streams("copy", "--json", card, tmp_path / "DEST")
    assert code == 0, err
    assert CODE not in out
    assert judge.verify(root).returncode == 0


def test_a_card_file_left_out_of_the_manifest_is_not_foreign(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A copy the run failed stands at the card's name (a file of another size there, kept):
    that copy's own warnings name it, not this one."""
    monkeypatch.setenv("OFFLOAD_REPORT_DIR", str(tmp_path / "reports"))
    card, root = card_and_copy_root(tmp_path)
    for name in ("notes.txt", "CLIPS/B002C001.mov"):
        (root / name).unlink()
    (root / "DAY2" / "SUB" / "take.mov").unlink()
    (root / "notes.md").write_bytes(b"another size, kept")  # the card's copy there fails
    code, out, err = offload_streams("copy", "--into", card, root)
    assert code == 1, out + err
    assert "notes.md" in err
    assert "not the card's" not in out + err


def test_a_foreign_folder_deeper_than_the_recursion_limit_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder put there by hand 1,100 levels deep (one-letter names). Before: the look
    recursed once a level, RecursionError inside write_generation: a traceback, exit 1, no
    generation 0002 and no reports of that run."""
    monkeypatch.setenv("OFFLOAD_REPORT_DIR", str(tmp_path / "reports"))
    card = tmp_path / "CARD" / "A001"
    card.mkdir(parents=True)
    (card / "C001.mov").write_bytes(b"a" * 1_000)
    (tmp_path / "DEST").mkdir()
    assert offload_streams("copy", card, tmp_path / "DEST")[0] == 0
    root = tmp_path / "DEST" / "A001"
    with folders_deep(root, 1_100, "a") as deep:
        (deep / "f.txt").write_text("by hand\n")
        run_again_past_a_deep_folder(card, root, tmp_path)


def run_again_past_a_deep_folder(card: Path, root: Path, tmp_path: Path) -> None:
    (card / "C002.mov").write_bytes(b"b" * 1_000)
    code, out, err = offload_streams("copy", "--json", card, tmp_path / "DEST")
    assert code == 0, err[-2_000:]
    assert [g.sequence_number for g in read_history(root).generations] == [1, 2]
    warning = foreign_warning(out)
    assert warning["message"].startswith(f"{root} holds 1 folder that is not the card's (a/)")
    assert len(list((tmp_path / "reports").glob("A001_*.json"))) == 2


def test_the_file_keep_both_kept_at_the_cards_name_is_named(
    tmp_path: Path, judge: AscmhlJudge, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--keep-both: a file not the card's stood at CLIPS/a.mov, kept; the card's copy went to
    CLIPS/a (1).mov. Before: the card's paths counted CLIPS/a.mov as the card's own left out,
    so no word of it, while ascmhl-debug verify said "found new file CLIPS/a.mov", exit 21."""
    monkeypatch.setenv("OFFLOAD_REPORT_DIR", str(tmp_path / "reports"))
    card = tmp_path / "CARD" / "A001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "b.mov").write_bytes(b"b" * 1_000)
    (tmp_path / "DEST").mkdir()
    assert offload_streams("copy", card, tmp_path / "DEST")[0] == 0
    root = tmp_path / "DEST" / "A001"
    (card / "CLIPS" / "a.mov").write_bytes(b"a" * 1_000)
    (root / "CLIPS" / "a.mov").write_bytes(b"not the card's")
    code, out, err = offload_streams("copy", "--json", "--keep-both", card, tmp_path / "DEST")
    assert code == 0, err
    assert (root / "CLIPS" / "a (1).mov").read_bytes() == b"a" * 1_000
    warning = foreign_warning(out)
    assert warning["message"].startswith(
        f"{root} holds 1 file that is not the card's (CLIPS/a.mov)"
    )
    verdict = judge.verify(root)
    assert verdict.returncode == 21, verdict.describe()
    assert new_files(verdict.stdout + verdict.stderr) == {"CLIPS/a.mov"}


def test_what_only_an_anchored_pattern_hides_is_worded_apart(
    tmp_path: Path, judge: AscmhlJudge, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A copy root made by ascmhl create -i /PROXY/ holds PROXY/p.mov; a card copied --into
    it. Before: the warning said offload verify calls PROXY/ new (exit 21) and ascmhl create
    would record it; offload verify exits 0 (a note) and ascmhl create never records it."""
    monkeypatch.setenv("OFFLOAD_REPORT_DIR", str(tmp_path / "reports"))
    root = tmp_path / "R"
    (root / "PROXY").mkdir(parents=True)
    (root / "PROXY" / "p.mov").write_bytes(b"p" * 100)
    (root / "keep.mov").write_bytes(b"k" * 100)
    assert judge.run("ascmhl", "create", "-i", "/PROXY/", str(root)).returncode == 0
    card = tmp_path / "C2"
    card.mkdir()
    (card / "new.mov").write_bytes(b"n" * 1_000)
    code, out, err = offload_streams(
        "copy", "--json", "--allow-card-destination", "--into", card, root
    )
    assert code == 0, err
    message = foreign_warning(out)["message"]
    assert message.startswith(f"{root} holds 1 folder that is not the card's (PROXY/), hidden ")
    assert "offload verify passes over it, naming it in a note" in message
    assert "offload verify of" not in message and "recorded there" not in message
    assert offload_streams("verify", root)[0] == 0
    verdict = judge.verify(root)
    assert verdict.returncode == 21, verdict.describe()
    assert new_files(verdict.stdout + verdict.stderr) == {"PROXY/p.mov"}


def test_a_file_a_nested_history_does_not_record_is_named(
    tmp_path: Path, judge: AscmhlJudge, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DEST/A001/OTHER holds a history of its own (ascmhl create), then OTHER/late.mov is put
    there. Before: the nested folder was passed over whole: exit 0 and no word, while
    ascmhl-debug verify and offload verify of DEST/A001 said late.mov is new (exit 21)."""
    monkeypatch.setenv("OFFLOAD_REPORT_DIR", str(tmp_path / "reports"))
    card = tmp_path / "CARD" / "A001"
    card.mkdir(parents=True)
    (card / "C001.mov").write_bytes(b"a" * 1_000)
    (tmp_path / "DEST").mkdir()
    assert offload_streams("copy", card, tmp_path / "DEST")[0] == 0
    root = tmp_path / "DEST" / "A001"
    (root / "OTHER").mkdir()
    (root / "OTHER" / "x.mov").write_bytes(b"x" * 100)
    assert judge.create(root / "OTHER").returncode == 0
    (root / "OTHER" / "late.mov").write_bytes(b"l" * 100)
    (card / "C002.mov").write_bytes(b"b" * 1_000)
    code, out, err = offload_streams("copy", "--json", card, tmp_path / "DEST")
    assert code == 0, err
    message = foreign_warning(out)["message"]
    assert message.startswith(f"{root} holds 1 file that is not the card's (OTHER/late.mov)")
    assert "refuses a copy root holding nested histories" in message
    verdict = judge.verify(root)
    assert verdict.returncode == 21, verdict.describe()
    assert new_files(verdict.stdout + verdict.stderr) == {"OTHER/late.mov"}
    assert offload_streams("verify", root)[0] == 21


def test_another_card_copied_into_the_root_is_not_foreign(
    tmp_path: Path, judge: AscmhlJudge, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two cards copied --into one copy root: the first card's files, recorded by its
    generation, are not foreign to the second's run (the README's promise, held end to end)."""
    monkeypatch.setenv("OFFLOAD_REPORT_DIR", str(tmp_path / "reports"))
    root = tmp_path / "DEST" / "DAY1"
    root.mkdir(parents=True)
    for name in ("A001", "B001"):
        card = tmp_path / name
        (card / name).mkdir(parents=True)
        (card / name / f"{name}C001.mov").write_bytes(name.encode() * 300)
        code, out, err = offload_streams("copy", "--json", "--into", card, root)
        assert code == 0, err
        assert CODE not in out
    assert judge.verify(root).returncode == 0


def test_the_start_sweeps_a_killed_runs_write_probe(tmp_path: Path) -> None:
    """The probes a killed run's preflight left in the copy root: removed by the next run's
    start once its pid runs nothing here and it is a minute old; a young one (a run making
    it now, on a shared drive) and one of a pid that runs are kept. Failed before: each
    stayed."""
    card, root = card_and_copy_root(tmp_path)
    assert offload_streams("copy", "-q", "--report-dir", tmp_path / "r", card, root.parent)[0] == 0
    dead = a_pid_not_running()
    stale, young, running = (
        root / f"{probe_stem(dead)}{'1' * 16}",
        root / f"{probe_stem(dead)}{'2' * 16}",
        root / f"{probe_stem()}{'3' * 16}",
    )
    for probe in (stale, young, running):
        probe.write_bytes(b"")
    for probe in (stale, running):
        os.utime(probe, (time.time() - 3600,) * 2)
    assert offload_streams("copy", "-q", "--report-dir", tmp_path / "r", card, root.parent)[0] == 0
    assert (stale.exists(), young.exists(), running.exists()) == (False, True, True)


def test_the_probe_sweep_leaves_another_hosts_live_probe(tmp_path: Path) -> None:
    """Review of the fixs3v60 merge: a probe's name held a pid alone, judged against this
    machine's processes, so another host's live probe on a shared drive (its preflight
    holding it past a minute, or the server's clock behind) was deleted, and that host
    missed that two of its destinations are one share. Failed before (the foreign and the
    older version's probes, an hour old, their pid running nothing here, were deleted). Now
    a probe names its process space: this one's dead probe goes, any other only at a week."""
    from offload.plan.preflight.paths import remove_stale_probes

    dead = a_pid_not_running()
    own, foreign, older, ancient = (
        tmp_path / f"{probe_stem(dead)}{'1' * 16}",
        tmp_path / f".offload-probe-{dead}-0123456789ab-{'2' * 16}",  # another host's
        tmp_path / f".offload-probe-{dead}-{'3' * 16}",  # an older version's name
        tmp_path / f".offload-probe-{dead}-{'4' * 16}",
    )
    for probe in (own, foreign, older, ancient):
        probe.write_bytes(b"")
        os.utime(probe, (time.time() - 3600,) * 2)
    os.utime(ancient, (time.time() - 8 * 86400,) * 2)
    assert remove_stale_probes(tmp_path) == 2
    assert [p.exists() for p in (own, foreign, older, ancient)] == [False, True, True, False]


def test_the_append_command_pastes_back_to_the_copy_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A destination whose name has a space and is not NFC (``e`` and U+0301, as macOS writes
    names): the warning's ``offload verify --append`` names the copy root as bash takes it
    back (``bash -c 'printf %s WORD'`` gives its bytes). Failed before: the path was the
    display's, unquoted (``.../Cafe\\u0301 DAY/A001``: two words, neither a folder)."""
    import subprocess

    monkeypatch.setenv("OFFLOAD_REPORT_DIR", str(tmp_path / "reports"))
    card, _ = card_and_copy_root(tmp_path)
    dest = tmp_path / "Cafe\u0301 DAY"
    (tmp_path / "DEST").rename(dest)
    code, out, err = offload_streams("copy", "--json", card, dest)
    assert code == 0, err
    message = foreign_warning(out)["message"]
    (word,) = re.findall(r"offload verify --append (\$'(?:[^'\\]|\\.)*'|'[^']*'), which", message)
    pasted = subprocess.run(["bash", "-c", f"printf %s {word}"], capture_output=True, check=True)
    assert pasted.stdout == os.fsencode(dest / "A001"), message
