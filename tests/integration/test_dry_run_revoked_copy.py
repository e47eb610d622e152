"""A copy whose ledger record ``offload verify`` revoked (found wrong): the run reads it
back, adopts it if equal to the card and otherwise refuses it in words naming that
revocation. ``--dry-run`` lists it to read back with those same refusal words (the run's
own ``existing.in_the_way_word``), never as a plain "already there with the same size"
file (QA qawords67 MEDIUM 3)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from offload.cli.common import Environment
from offload.cli.offload import main

REVOKED = "offload verify found the copy at this name wrong and revoked its record"


@pytest.fixture(autouse=True)
def report_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OFFLOAD_REPORT_DIR", str(tmp_path / "reports"))


def offload(*argv: str | Path) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [str(a) for a in argv], Environment(stdout=out, stderr=err, install_signal_handlers=False)
    )
    return code, out.getvalue() + err.getvalue()


def _revoked_by_verify(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A card offloaded once, then C002's copy changed (size and date kept) and
    ``offload verify`` of the copy root, which revokes its record: card, drive, that copy."""
    card = tmp_path / "x1" / "A003"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "C001.mov").write_bytes(b"a" * 3000)
    (card / "CLIPS" / "C002.mov").write_bytes(b"b" * 2000)
    drive = tmp_path / "X1"
    drive.mkdir()
    code, out = offload("copy", card, drive)
    assert code == 0, out
    copy = drive / "A003" / "CLIPS" / "C002.mov"
    before = copy.stat()
    copy.write_bytes(b"B" * 2000)
    os.utime(copy, ns=(before.st_atime_ns, before.st_mtime_ns))
    code, out = offload("verify", drive / "A003")
    assert code != 0, out
    assert "revoked" in out, out
    return card, drive, copy


def test_dry_run_names_the_revocation_the_run_refuses_a_different_copy_by(
    tmp_path: Path,
) -> None:
    """Failed before: the dry run's line was "already there with the same size: read back
    and compared with the source, adopted if equal", no word of the revoked record the run's
    refusal names."""
    card, drive, _copy = _revoked_by_verify(tmp_path)
    code, out = offload("copy", "--dry-run", card, drive)
    line = next(x for x in out.splitlines() if "CLIPS/C002.mov:" in x)
    assert "its record revoked by offload verify" in line, out
    assert "adopted if equal, else refused" in line, out
    assert REVOKED in line, out
    # The run reads it back, finds it different and refuses it in those words (exit 1).
    code, out = offload("copy", card, drive)
    assert code == 1, out
    assert REVOKED in out, out


def test_a_revoked_copy_found_equal_is_adopted_as_the_dry_run_says(tmp_path: Path) -> None:
    """The run decides by the read-back, not by the ledger alone: the revoked copy put back
    equal to the card (its date kept) is adopted, exit 0 as the dry run forecasts."""
    card, drive, copy = _revoked_by_verify(tmp_path)
    before = copy.stat()
    copy.write_bytes(b"b" * 2000)
    os.utime(copy, ns=(before.st_atime_ns, before.st_mtime_ns))
    code, out = offload("copy", "--dry-run", card, drive)
    assert code == 0, out
    code, out = offload("copy", card, drive)
    assert code == 0, out
    assert "adopted" in out, out
