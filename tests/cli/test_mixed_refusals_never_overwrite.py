"""A cascade whose fast destinations refuse a card file for an earlier take's copy on one
and a plain file in the way on another (or refuse one file for an earlier take's copy and
another file for a plain file) never offers ``--overwrite``: the flag is for the whole run,
so offered for the plain file it replaces the earlier take's copy too, which may be the
only copy left of that take. The slow copy's kind, its ERROR line, the cascade's sentence
(terminal and HTML), ``--dry-run``, the slow copy root's ``last-run.json`` and ``offload
verify`` of it all say --into another folder or --keep-both; the record's ``another_card``
key (what older versions read as "a copy never to be overwritten") is true. Real cards,
real drives (folders), the real CLI.

Failed before: the slow copy's kind ``fast_refused``, the record ``another_card: false,
earlier_copy: false``, ``offload verify`` and ``--dry-run`` saying "--overwrite or
--keep-both", the ERROR line "--overwrite ... where a file of no other card holds the
name"; running with --overwrite replaced the earlier take's copy."""

from __future__ import annotations

import json
import os
from pathlib import Path

from support.cards import new_take as _new_take
from support.offload_cli import cascaded_once, newest_html_words, newest_report, offload

C000, C001 = "CLIPS/C000.mov", "CLIPS/C001.mov"


def _said(out: str) -> str:
    return " ".join(out.split())


def _remedy(error: str) -> str:
    """The cascade's remedy in a slow copy's ERROR line (after the fast copies' own errors,
    which it quotes), without the words that forbid --overwrite: what is left offers it."""
    _, _, remedy = error.partition("so a re-run refuses it again:")
    assert remedy, error
    return remedy.replace("never --overwrite", "").replace("--overwrite is for the whole run", "")


def _slow_says_never_overwrite(slow_root: Path, holder: str) -> None:
    """The slow copy root's record and ``offload verify`` of it: never --overwrite."""
    (entry,) = json.loads((slow_root / ".offload" / "last-run.json").read_text())["cards"]
    # ``another_card``: a copy never to be overwritten, the key older versions read.
    assert entry["another_card"] is True, entry
    assert entry["earlier_copy"] is True and entry["other_card_copy"] is False, entry
    _code, out = offload("verify", slow_root)
    said = _said(out)
    assert "INCOMPLETE" in said, said
    assert "--overwrite" not in said, said
    assert f"with --into another folder or --keep-both ({holder} there)" in said, said
    # An older version reads ``another_card`` alone: without the keys it did not know, the
    # record still says never --overwrite.
    path = slow_root / ".offload" / "last-run.json"
    body = json.loads(path.read_text())
    for card in (body, *body["cards"]):
        card.pop("earlier_copy", None)
        card.pop("other_card_copy", None)
    path.write_text(json.dumps(body))
    _code, out = offload("verify", slow_root)
    said = _said(out)
    assert "--overwrite" not in said and "--into another folder or --keep-both (" in said, said


def test_an_earlier_take_on_one_fast_drive_and_a_plain_file_on_another(tmp_path: Path) -> None:
    """Reproduction 1: C001 refused on F for its earlier take's copy, on F2 for random
    bytes at its name."""
    card, (fast, fast2), slow2, reports = cascaded_once(tmp_path, 2, "F", "F2")
    _new_take(card / C001, 300_000)
    earlier_take = (fast / "A001" / C001).read_bytes()
    (fast2 / "A001" / C001).write_bytes(os.urandom(123_456))

    code, out = offload("copy", "--dry-run", card, fast, fast2, "--cascade-to", slow2)
    said = _said(out)
    assert (
        f"an earlier take's copy or a different file holds its name on {fast}, {fast2}: "
        "--into another folder or --keep-both copies it there"
    ) in said, said
    assert "--overwrite or --keep-both copies it" not in said, said

    code, out = offload("copy", "--report-dir", reports, card, fast, fast2, "--cascade-to", slow2)
    assert code == 1, out
    said = _said(out)
    # The cascade's sentence: both holders named, never --overwrite.
    assert (
        "an earlier take's copy or a different file holds its name there, so a plain re-run "
        "refuses it again"
    ) in said, said
    # The slow copy's ERROR line: never --overwrite.
    (slow_error,) = [
        line
        for line in out.splitlines()
        if line.startswith("ERROR:") and "cannot be cascaded" in line
    ]
    assert "--overwrite" not in _remedy(slow_error), slow_error
    assert "no other card" not in slow_error, slow_error
    data = newest_report(reports)
    (clip,) = [f for f in data["files"] if f["path"] == C001]
    assert [d["refusal"] for d in clip["destinations"]] == [
        "earlier_copy",
        "in_the_way",
        "fast_refused_earlier_copy",
    ], clip
    html = newest_html_words(reports)
    assert "an earlier take's copy or a different file holds its name there" in html
    _slow_says_never_overwrite(slow2 / "A001", "an earlier take's copy holds its name")

    # What the words advise keeps the earlier take: --keep-both copies the new one beside.
    code, out = offload(
        "copy", "--report-dir", reports, "--keep-both", card, fast, fast2, "--cascade-to", slow2
    )
    assert code == 0, out
    assert (fast / "A001" / C001).read_bytes() == earlier_take


def test_an_earlier_take_of_one_file_and_a_plain_file_in_the_way_of_another(
    tmp_path: Path,
) -> None:
    """Reproduction 2: one fast drive; C001 refused for its earlier take's copy, C000 for a
    copy of ours whose size changed there (a plain file in the way: --overwrite would
    replace it, and C001's earlier take with it)."""
    card, (fast,), slow2, reports = cascaded_once(tmp_path, 3, "F")  # C002 fed: S2 holds a ledger
    _new_take(card / C001, 300_000)
    (fast / "A001" / C000).write_bytes(os.urandom(123_456))

    code, out = offload("copy", "--dry-run", card, fast, "--cascade-to", slow2)
    said = _said(out)
    assert f"an earlier take's copy holds its name on {fast}" in said, said
    # C000's own line: a plain file, yet no --overwrite (it would replace C001's take too).
    assert f"a different file holds its name on {fast}: --into another folder" in said, said
    assert "--overwrite or --keep-both copies it" not in said, said

    code, out = offload("copy", "--report-dir", reports, card, fast, "--cascade-to", slow2)
    assert code == 1, out
    said = _said(out)
    assert (
        "earlier takes' copies or different files hold their names there, so a plain re-run "
        "refuses them again"
    ) in said, said
    slow_errors = [
        line
        for line in out.splitlines()
        if line.startswith("ERROR:") and "cannot be cascaded" in line
    ]
    assert len(slow_errors) == 2, out
    for line in slow_errors:
        assert "--overwrite" not in _remedy(line), line
    data = newest_report(reports)
    kinds = {
        f["path"]: [d["refusal"] for d in f["destinations"]]
        for f in data["files"]
        if f["path"] in (C000, C001)
    }
    assert kinds == {
        C000: ["in_the_way", "fast_refused"],
        C001: ["earlier_copy", "fast_refused_earlier_copy"],
    }, kinds
    _slow_says_never_overwrite(slow2 / "A001", "an earlier take's copy holds its name")


def test_a_plain_file_refused_while_an_earlier_take_stands_in_the_way_of_another_file(
    tmp_path: Path,
) -> None:
    """C001's earlier take stands on F (F2 copies the new take: S2 is fed from it); C000 is
    refused on F and F2 for plain files in the way. Only C000 fails on S2, yet the slow
    copy root's record offers no --overwrite: the flag is for the whole run and would
    replace C001's earlier take on F (``FastRefused.elsewhere``)."""
    card, (fast, fast2), slow2, reports = cascaded_once(tmp_path, 3, "F", "F2")
    _new_take(card / C001, 300_000)
    (fast2 / "A001" / C001).unlink()  # F2 copies the new take
    for root in (fast, fast2):
        (root / "A001" / C000).write_bytes(os.urandom(123_456))

    code, out = offload("copy", "--dry-run", card, fast, fast2, "--cascade-to", slow2)
    said = _said(out)
    assert f"a different file holds its name on {fast}, {fast2}: --into another folder" in said
    assert "--overwrite or --keep-both copies it" not in said, said

    code, out = offload("copy", "--report-dir", reports, card, fast, fast2, "--cascade-to", slow2)
    assert code == 1, out
    (slow_error,) = [
        line
        for line in out.splitlines()
        if line.startswith("ERROR:") and "cannot be cascaded" in line
    ]
    assert C000 in slow_error and "--overwrite" not in _remedy(slow_error), slow_error
    (entry,) = json.loads((slow2 / "A001" / ".offload" / "last-run.json").read_text())["cards"]
    assert entry["fast_refused"] == [C000], entry
    assert entry["another_card"] is True, entry
    assert entry["earlier_copy"] is False and entry["other_card_copy"] is False, entry
    _code, out = offload("verify", slow2 / "A001")
    said = _said(out)
    assert "INCOMPLETE" in said and "--overwrite or" not in said, said
    assert (
        "with --into another folder or --keep-both (--overwrite, for the whole run, would "
        "replace a copy never to be overwritten that holds another file's name there)"
    ) in said, said
