"""``verify_against_ledger``: a file read against the ledger's entry of its name spelled
otherwise (``VerifyReport.respelled``) that vanishes while it is checked is missing, and
no longer said to be read against that entry."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from offload.engine.verifier import MediaHasher
from offload.verification import verify_against_ledger
from support.spellings import COMPOSED, DECOMPOSED, copy_card


def test_a_respelled_file_that_vanishes_while_checked_is_missing_not_respelled(
    tmp_path: Path,
) -> None:
    """The copy's NOTES/<name> is renamed to the other spelling, then deleted (another
    program) just before the check reads it: it is missing under the name it had, and
    ``respelled`` leaves it out (the report's filter of the files still there), so no
    RESPELLED line or other-spelling reason says it was read against its record."""
    files = {f"NOTES/{COMPOSED}": b"the plan\n", "NOTES/ok.txt": b"ok\n"}
    code, err, root = copy_card(tmp_path, files, "--mhl", "none")
    assert code == 0, err
    dest = root.parent
    notes = dest / "A001" / "NOTES"
    os.rename(notes / COMPOSED, notes / DECOMPOSED)
    gone = notes / DECOMPOSED
    hasher = MediaHasher()

    def deleting_first(path: Path, formats: Sequence[str]) -> dict[str, str]:
        if path == gone:
            path.unlink()  # another program deletes it as the check comes to it
        return hasher(path, formats)

    report = verify_against_ledger(dest / "A001", deleting_first)
    assert report.verified == ("NOTES/ok.txt",), report
    assert report.missing == (f"NOTES/{DECOMPOSED}",), report
    assert dict(report.respelled) == {}, report.respelled
    why = report.reasons.get(f"NOTES/{DECOMPOSED}")
    assert why is None or why.code != "other-spelling", why
