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
