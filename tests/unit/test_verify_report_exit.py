"""``VerifyReport.exit_code`` and ``passed``: one rule, each field that makes a check no pass
giving its documented exit code, and ``passed`` true exactly at 0."""

from __future__ import annotations

from pathlib import Path

import pytest

from offload.manifest import ChangedFile, ReferenceKind, VerifyReport
from offload.verification import GenerationUnwrittenError, VerifyExit, exit_code_of

ONE = ("CLIPS/A.mov",)

#: Each field that alone makes a check no pass, and the exit code it gives (README).
NO_PASS = {
    "changed": ((ChangedFile(ONE[0], "hash", 1, 1),), VerifyExit.CHANGED),
    "unreadable": (ONE, VerifyExit.CHANGED),
    "generation_unwritten": ("cannot write ASC MHL manifest", VerifyExit.CHANGED),
    "missing": (ONE, VerifyExit.MISSING),
    "unverifiable": (ONE, VerifyExit.SIZE_ONLY),
    "from_a_root": (ONE, VerifyExit.SIZE_ONLY),
    "extra": (ONE, VerifyExit.EXTRA),
    "cancelled": (ONE, VerifyExit.CANCELLED),
    "stopped": (True, VerifyExit.CANCELLED),
}


def _report(**fields: object) -> VerifyReport:
    """A check of one verified file, with *fields* over it."""
    base: dict[str, object] = {
        "root": Path("/copy"),
        "reference": ReferenceKind.ASCMHL,
        "verified": ONE,
        "changed": (),
        "missing": (),
        "extra": (),
    }
    return VerifyReport(**{**base, **fields})  # type: ignore[arg-type]


def test_a_check_that_proved_every_file_passes_at_exit_0() -> None:
    report = _report()
    assert (report.passed, exit_code_of(report)) == (True, VerifyExit.OK)


@pytest.mark.parametrize("name", sorted(NO_PASS))
def test_each_field_that_makes_no_pass_gives_its_exit_code(name: str) -> None:
    """Failed before for ``stopped`` and ``cancelled``: ``passed`` false but exit code 0
    (``offload verify`` itself exits 130 for them)."""
    value, code = NO_PASS[name]
    report = _report(**{name: value})
    assert (report.passed, exit_code_of(report)) == (False, code), name


def test_a_stopped_check_that_found_a_changed_file_is_cancelled() -> None:
    """The command's own code for any cancelled check, whatever it found before (130)."""
    report = _report(changed=NO_PASS["changed"][0], stopped=True)
    assert (report.passed, exit_code_of(report)) == (False, VerifyExit.CANCELLED)


def test_an_unwritten_generation_is_no_pass_and_exit_11() -> None:
    """``GenerationUnwrittenError``'s report: every file OK, the generation not written."""
    refused = GenerationUnwrittenError("no generation", _report(), path=Path("/copy"))
    assert refused.report.passed is False
    assert refused.exit_code == exit_code_of(refused.report) == VerifyExit.CHANGED == 11
