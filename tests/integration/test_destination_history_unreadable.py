"""A destination copy root whose ASC MHL history cannot be read (its chain file not
well-formed XML: an unknown encoding, plain garbage): the manifest step cannot extend it,
so the run ends with exit 1 and no manifest there. ``--dry-run`` and the run's preflight
name it before the first byte is copied (``dest-history-unreadable``), the dry run's exit
forecast counts it, and the copies are still made (QA qawords67 MEDIUM 2)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from offload.cli.common import Environment
from offload.cli.offload import main


@pytest.fixture(autouse=True)
def report_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OFFLOAD_REPORT_DIR", str(tmp_path / "reports"))


def offload(*argv: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [str(a) for a in argv], Environment(stdout=out, stderr=err, install_signal_handlers=False)
    )
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(
            lambda text: text.replace('encoding="UTF-8"', 'encoding="x-unknown"', 1),
            id="unknown-encoding",
        ),
        pytest.param(lambda text: "garbage<", id="garbage"),
    ],
)
def test_dry_run_and_preflight_name_a_destination_history_no_manifest_can_extend(
    tmp_path: Path, damage
) -> None:
    """Failed before: the dry run said "The offload would exit 0" (``--json``: 0) and the
    run named the history only after copying ("BUT NO MANIFEST")."""
    card = tmp_path / "x1" / "A003"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "C001.mov").write_bytes(b"a" * 3000)
    drive = tmp_path / "X1"
    drive.mkdir()
    code, _out, err = offload("copy", card, drive)
    assert code == 0, err
    chain = drive / "A003" / "ascmhl" / "ascmhl_chain.xml"
    text = chain.read_text(encoding="utf-8")
    assert 'encoding="UTF-8"' in text.splitlines()[0]
    chain.write_text(damage(text), encoding="utf-8")
    (card / "CLIPS" / "C003.mov").write_bytes(b"c" * 2000)

    code, _out, err = offload("copy", "--dry-run", card, drive)
    assert code == 1, err
    assert "The offload would exit 1: 1 warning names a step that would fail" in err, err
    assert f"the ASC MHL history on destination {drive / 'A003'} cannot be read" in err, err
    code, out, err = offload("copy", "--dry-run", "--json", card, drive)
    shown = json.loads(out)
    assert (code, shown["exit_code"]) == (1, 1), out
    assert "dest-history-unreadable" in out, out
    assert not (drive / "A003" / "CLIPS" / "C003.mov").exists()

    # The run warns before it copies, copies all the same, and exits 1 as forecast.
    code, _out, err = offload("copy", card, drive)
    assert code == 1, err
    warned = err.index(f"the ASC MHL history on destination {drive / 'A003'} cannot be read")
    assert warned < err.index("BUT NO MANIFEST"), err
    copied = drive / "A003" / "CLIPS" / "C003.mov"
    assert copied.read_bytes() == b"c" * 2000


def test_a_readable_destination_history_adds_no_warning(tmp_path: Path) -> None:
    """The re-run of an intact copy root: no such warning, the dry run forecasts exit 0."""
    card = tmp_path / "x1" / "A003"
    card.mkdir(parents=True)
    (card / "C001.mov").write_bytes(b"a" * 3000)
    drive = tmp_path / "X1"
    drive.mkdir()
    assert offload("copy", card, drive)[0] == 0
    (card / "C003.mov").write_bytes(b"c" * 2000)
    code, _out, err = offload("copy", "--dry-run", card, drive)
    assert code == 0, err
    assert "cannot be read" not in err, err


def test_a_destination_history_folder_that_is_a_symlink_is_named_before_the_copy(
    tmp_path: Path,
) -> None:
    """A copy root whose ``ascmhl`` is a symlink to another copy root's history (review of
    statefold68, item 2). ASC MHL keeps a copy root's history in a folder of it, and ascmhl
    follows such a link (its generation would land in the other copy root's history); the
    manifest step never reads nor writes through it. Failed before: nothing looked at it
    before the copy (the chain read through the link parsed as the other root's), so the
    dry run forecast exit 0 and the run named it only after copying ("BUT NO MANIFEST");
    now ``dest-history-unreadable`` names the link and what to do, before the first byte.
    The other copy root's history is never changed."""
    other_card = tmp_path / "x2" / "B002"
    (other_card / "CLIPS").mkdir(parents=True)
    (other_card / "CLIPS" / "B.mov").write_bytes(b"b" * 3000)
    other = tmp_path / "OTHER"
    other.mkdir()
    code, _out, err = offload("copy", other_card, other)
    assert code == 0, err
    history = other / "B002" / "ascmhl"
    before = {p.name: p.read_bytes() for p in history.iterdir()}

    card = tmp_path / "x1" / "A003"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "C001.mov").write_bytes(b"a" * 3000)
    drive = tmp_path / "X1"
    (drive / "A003").mkdir(parents=True)
    link = drive / "A003" / "ascmhl"
    link.symlink_to(history)
    words = f"the ASC MHL history folder {link} on destination {drive / 'A003'} is a symlink"

    code, _out, err = offload("copy", "--dry-run", card, drive)
    assert code == 1, err
    assert "The offload would exit 1: 1 warning names a step that would fail" in err, err
    assert f"{words} (to {history}), not a folder" in err, err
    assert "remove the symlink (rm, not rm -r" in err, err

    # The run warns before it copies, copies all the same, exits 1, writes no manifest.
    code, _out, err = offload("copy", card, drive)
    assert code == 1, err
    assert err.index(words) < err.index("BUT NO MANIFEST"), err
    assert (drive / "A003" / "CLIPS" / "C001.mov").read_bytes() == b"a" * 3000
    assert {p.name: p.read_bytes() for p in history.iterdir()} == before
    assert link.is_symlink()

    # The remedy said works: the link removed, the same command writes the manifest.
    link.unlink()
    code, _out, err = offload("copy", card, drive)
    assert code == 0, err
    assert (drive / "A003" / "ascmhl" / "ascmhl_chain.xml").is_file()
    assert {p.name: p.read_bytes() for p in history.iterdir()} == before
