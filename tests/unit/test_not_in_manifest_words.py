"""The report's ``not-in-manifest`` warning says what a check of the copy does with the file
(``card._not_in_manifest``), as the summary's line does (``summary._check_words``): a name
no XML manifest can hold is called new (exit 21); a file the manifests' ignore list hides (a
``.DS_Store`` copied with ``--no-default-ignore``, a file in a folder the card's history
ignores) is passed over."""

from __future__ import annotations

from pathlib import Path

from offload.card import _not_in_manifest


def test_a_hidden_file_is_passed_over_and_an_unholdable_name_called_new() -> None:
    """Failed before: both said "call it a new file (exit 21)"; ascmhl-debug verify and offload
    verify pass over a file the ignore list hides (found in QA: a .DS_Store)."""
    hidden = _not_in_manifest(Path("/d/A001/.DS_Store"), "why", 0, hidden=True, anchored_only=False)
    assert hidden.message.endswith(
        "no manifest vouches for it; ascmhl-debug verify and offload verify of the copy pass over "
        "it: the manifests' ignore list hides it"
    ), hidden.message
    odd = _not_in_manifest(Path("/d/A001/a\x01b.mov"), "why", 0, hidden=False, anchored_only=False)
    assert odd.message.endswith(
        "ascmhl-debug verify of the copy calls it a new file (exit 21), as offload verify of an "
        "s3:// copy does; offload verify of a local copy checks it against the copy root's ledger"
    ), odd.message


def test_the_summary_line_of_both_kinds_is_one_sentence() -> None:
    """A name XML cannot hold and a file the ignore list hides, on one destination: the
    summary's words (``summary._check_words``) for the second go on the first's sentence in
    lower case. Failed before: "...against its ledger; A check of the copy ..."."""
    from offload.report.summary import _check_words

    said = _check_words({"a\x01b.mov": "why", ".DS_Store": "why"}, set())
    assert "its ledger; a check of the copy against its manifest (ascmhl-debug" in said, said
    assert "; A " not in said, said
