"""``verify_against_ledger``: a file read against the ledger's entry of its name spelled
otherwise (``VerifyReport.respelled``) that vanishes while it is checked is missing, and
no longer said to be read against that entry."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from offload.engine.verifier import MediaHasher
from offload.verification import verify_against_ledger
from support.spellings import COMPOSED, DECOMPOSED, respelled_ledger_copy


def test_a_respelled_file_that_vanishes_while_checked_is_missing_not_respelled(
    tmp_path: Path,
) -> None:
    """The copy's NOTES/<name> is renamed to the other spelling, then deleted (another
    program) just before the check reads it: it is missing under the name it had, and
    ``respelled`` leaves it out (the report's filter of the files still there), so no
    RESPELLED line or other-spelling reason says it was read against its record."""
    code, err, root = respelled_ledger_copy(tmp_path, COMPOSED, DECOMPOSED)
    assert code == 0, err
    gone = root / "NOTES" / DECOMPOSED
    hasher = MediaHasher()

    def deleting_first(path: Path, formats: Sequence[str]) -> dict[str, str]:
        if path == gone:
            path.unlink()  # another program deletes it as the check comes to it
        return hasher(path, formats)

    report = verify_against_ledger(root, deleting_first)
    assert report.verified == ("NOTES/ok.txt",), report
    assert report.missing == (f"NOTES/{DECOMPOSED}",), report
    assert dict(report.respelled) == {}, report.respelled
    why = report.reasons.get(f"NOTES/{DECOMPOSED}")
    assert why is None or why.code != "other-spelling", why
