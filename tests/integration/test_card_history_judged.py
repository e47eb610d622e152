"""A card's own ASC MHL history as the reference tool (``ascmhl`` 1.2) writes it, read by
``offload verify`` and carried by ``offload copy``: renames it records (``<previousPath>``),
a history that grew on the card after an offload, and a card history carried to a
destination where no generation of ours can follow it. Each history here is made by the
reference tool itself (its ``create``), and its ``verify`` judges what offload-ai leaves."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from offload.cli.common import Environment
from offload.cli.offload import main
from offload.manifest import read_history
from support.ascmhl_judge import AscmhlJudge


@pytest.fixture(autouse=True)
def report_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OFFLOAD_REPORT_DIR", str(tmp_path / "reports"))


def offload(*argv: str | Path) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [str(a) for a in argv], Environment(stdout=out, stderr=err, install_signal_handlers=False)
    )
    return code, out.getvalue() + err.getvalue()


def create(judge: AscmhlJudge, root: Path, *options: str) -> None:
    done = judge.run("ascmhl", "create", "-h", "xxh64", *options, root)
    assert done.returncode == 0, done.describe()


# --- renames recorded by the card's history (<previousPath>) -------------------------------


def test_a_rename_the_history_records_is_no_missing_file_to_verify_or_copy(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    card = tmp_path / "C3"
    card.mkdir()
    (card / "a.mov").write_bytes(b"clip\n")
    create(judge, card)
    (card / "a.mov").rename(card / "b.mov")
    create(judge, card, "--detect_renaming")
    assert (
        "<previousPath>a.mov</previousPath>"
        in next((card / "ascmhl").glob("0002_*.mhl")).read_text()
    )
    assert judge.verify(card).clean

    code, out = offload("verify", card)
    assert code == 0, out
    assert "1 OK, 0 changed, 0 missing, 0 new" in out

    (tmp_path / "R3").mkdir()
    code, out = offload("copy", "--quiet", card, tmp_path / "R3")
    assert code == 0, out
    assert "MISSING FROM THE CARD" not in out and "a.mov" not in out
    copy = tmp_path / "R3" / "C3"
    assert judge.verify(copy).clean, judge.verify(copy).describe()
    code, out = offload("verify", copy)
    assert code == 0 and "0 missing" in out, out

    # the renamed file is still checked, against the hash recorded under its old name
    (card / "b.mov").write_bytes(b"CLIP\n")
    code, out = offload("verify", card)
    assert code == 11 and "b.mov" in out, out


def test_renames_are_followed_through_files_and_folders(judge: AscmhlJudge, tmp_path: Path) -> None:
    """Two renames of one file (a, then b, then c): offload verify expects it at its newest
    name. ascmhl 1.2 follows one rename only and calls the middle name missing (exit 10):
    the one place the two differ, documented. A folder renamed (with its file) is expected
    at its new name, by both."""
    card = tmp_path / "card"
    (card / "d").mkdir(parents=True)
    (card / "d" / "a.mov").write_bytes(b"clip\n")
    (card / "z.mov").write_bytes(b"z\n")
    create(judge, card)
    (card / "d" / "a.mov").rename(card / "d" / "b.mov")
    create(judge, card, "--detect_renaming")
    (card / "d" / "b.mov").rename(card / "d" / "c.mov")
    create(judge, card, "--detect_renaming")
    history = read_history(card)
    assert history.current_path("d/a.mov") == "d/c.mov"
    assert history.expected_file_paths() == {"d/c.mov", "z.mov"}
    code, out = offload("verify", card)
    assert code == 0, out
    assert "2 OK, 0 changed, 0 missing, 0 new" in out
    judged = judge.verify(card)
    assert judged.returncode == 10 and "d/b.mov" in judged.stderr, judged.describe()

    other = tmp_path / "other"
    (other / "d").mkdir(parents=True)
    (other / "d" / "a.mov").write_bytes(b"clip\n")
    (other / "z.mov").write_bytes(b"z\n")
    create(judge, other)
    (other / "d").rename(other / "e")
    create(judge, other, "--detect_renaming")
    history = read_history(other)
    assert history.current_path("d") == "e"
    assert history.expected_directory_paths() == {"e"}
    assert history.expected_file_paths() == {"e/a.mov", "z.mov"}
    assert judge.verify(other).clean
    code, out = offload("verify", other)
    assert code == 0, out
    assert "2 OK, 0 changed, 0 missing, 0 new" in out
