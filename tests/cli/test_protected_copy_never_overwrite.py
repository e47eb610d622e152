"""A run in which a copy never to be overwritten (an earlier take's copy, ``earlier_copy``)
stands in the way of one file offers ``--overwrite`` for no other file in the way either:
the flag is for the whole run, so a re-run with it for the plain file would replace that
earlier take's copy too, maybe its only copy left. Every remedy of every file in the way
offers ``--keep-both`` (or ``--into``) first; ``--overwrite`` is named only as what it would
also replace. Said so in the planner's WARNING, each copy's ERROR (the engine's refusal),
``--json``'s events, ``--dry-run``, the cascade's sentence and "cannot be cascaded" line
(where the earlier take's copy is on the SLOW drive), the HTML report, and ``offload
verify`` of the copy roots (their ``.offload/last-run.json``). Real cards, real drives
(folders), the real CLI.

Failed before: the plain file's WARNING/ERROR "--overwrite replaces it once the new copy is
verified, --keep-both keeps both", and in the cascade, the sentence and the "cannot be
cascaded" line "--overwrite (it replaces the copy there ...) or --keep-both", the slow
root's earlier take's copy not counted."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from support.cards import clips_card
from support.offload_cli import newest_html_words, newest_report, offload, offload_streams

C000, C001, C003 = "CLIPS/C000.mov", "CLIPS/C001.mov", "CLIPS/C003.mov"

# The words that name --overwrite without offering it.
_NOT_OFFERED = (
    "never --overwrite",
    "--overwrite is for the whole run",
    "--overwrite, for the whole run,",
    "--overwrite would replace",
)


def _offers_overwrite(text: str) -> bool:
    """Whether *text* offers --overwrite: names it other than as never to be used, or as
    what it would also replace."""
    for words in _NOT_OFFERED:
        text = text.replace(words, "")
    return "--overwrite" in text


def _never_offered(text: str) -> None:
    """Every line of *text* (its words joined) that names a remedy offers --keep-both,
    none --overwrite, and none names --overwrite before --keep-both."""
    for line in text.splitlines():
        line = " ".join(line.split())
        if "--overwrite" not in line:
            continue
        assert not _offers_overwrite(line), line
        assert "--keep-both" in line, line
        assert line.index("--keep-both") < line.index("--overwrite"), line


def _incomplete(out: str) -> str:
    """``offload verify``'s INCOMPLETE line, what the run record advises (its other lines
    may tell how a file came to be there: "a file replaced since ...: offload copy
    --overwrite" is history, no advice)."""
    (line,) = [line for line in out.splitlines() if "INCOMPLETE" in line]
    return line


def _new_take(clip: Path, size: int) -> None:
    """*clip* written again with *size* other bytes, dated a minute later than it was."""
    before = clip.stat().st_mtime_ns
    clip.write_bytes(os.urandom(size))
    os.utime(clip, ns=(before + 60 * 10**9, before + 60 * 10**9))


def _json_words(out: str) -> str:
    """The words of ``--json``'s events that advise: warnings, failed files, the job
    report's failures, one a line."""
    lines = []
    for line in out.splitlines():
        event = json.loads(line)
        if event["event"] in ("warning_issued", "file_failed"):
            lines.append(event["message"])
        if event["event"] == "job_report":
            lines.extend(str(f.get("error") or "") for f in event.get("failures") or ())
    return "\n".join(lines)


def test_a_plain_file_in_the_way_beside_an_earlier_take_is_never_offered_overwrite(
    tmp_path: Path,
) -> None:
    """F holds C001's earlier take (the card's C001 another take now) and random bytes at
    C000's name (a copy of ours whose size changed); F2 holds a file no ledger records at
    the name of a new card file, C003 (the engine's own refusal, no planner word): a re-run
    with --overwrite would replace C001's earlier take, so no WARNING, ERROR, JSON event,
    dry-run line or run record offers it for C000 or C003."""
    card = clips_card(tmp_path / "cards", 3, 200_000)
    fast, fast2 = tmp_path / "F", tmp_path / "F2"
    fast.mkdir()
    fast2.mkdir()
    reports = tmp_path / "reports"
    code, out = offload("copy", "--report-dir", reports, card, fast, fast2)
    assert code == 0, out
    _new_take(card / C001, 300_000)
    (fast2 / "A001" / C001).unlink()  # F2 copies the new take: only F refuses C001
    (fast / "A001" / C000).write_bytes(os.urandom(123_456))
    (card / C003).write_bytes(os.urandom(100_000))
    (fast2 / "A001" / C003).write_bytes(os.urandom(7_777))  # no ledger records it
    earlier_take = (fast / "A001" / C001).read_bytes()

    code, out = offload("copy", "--dry-run", card, fast, fast2)
    assert code == 1, out
    assert f"{C000}: " in out and f"{C003}: " in out, out
    _never_offered(out)

    code, out = offload("copy", "--report-dir", reports, card, fast, fast2)
    assert code == 1, out
    said = " ".join(out.split())
    # Each refusal is there to be judged: C000's and C003's ERROR lines, and C001's.
    errors = [line for line in out.splitlines() if line.startswith("ERROR:")]
    assert any(C000 in line for line in errors), out
    assert any(C003 in line for line in errors), out
    assert any(C001 in line and "earlier offload" in line for line in errors), out
    assert "--keep-both keeps both, --into another folder keeps them apart" in said, said
    _never_offered(out)
    data = newest_report(reports)
    kinds = {
        f["path"]: [d["refusal"] for d in f["destinations"]]
        for f in data["files"]
        if f["path"] in (C000, C001, C003)
    }
    assert kinds == {
        C000: ["in_the_way", None],
        C001: ["earlier_copy", None],
        C003: [None, "in_the_way"],
    }, kinds

    code, out, _err = offload_streams("copy", "--json", "--report-dir", reports, card, fast, fast2)
    assert code == 1, out
    words = _json_words(out)
    assert C003 in words and C000 in words, words
    _never_offered(words)

    for root in (fast / "A001", fast2 / "A001"):
        (entry,) = json.loads((root / ".offload" / "last-run.json").read_text())["cards"]
        assert entry["in_the_way"], entry
        _code, out = offload("verify", root)
        _never_offered(_incomplete(out))

    # What the words advise keeps the earlier take: --keep-both copies the new one beside.
    # (Exit 1: the copy of ours whose size changed at C000 is named damaged, kept beside.)
    code, out = offload("copy", "--report-dir", reports, "--keep-both", card, fast, fast2)
    assert "KEPT BOTH" in out and "NOT ALL VERIFIED" not in out, out
    assert (fast / "A001" / C001).read_bytes() == earlier_take


def test_an_earlier_take_on_the_slow_drive_keeps_overwrite_from_the_fast_drives_words(
    tmp_path: Path,
) -> None:
    """A cascade: S (slow) holds C001's earlier take, F (fast) copies the new one; F holds
    random bytes at C000's name, which S lacks. C000 is refused on F for a plain file and
    cannot be cascaded to S; a re-run with --overwrite would replace C001's earlier take on
    S too: the cascade's sentence (terminal, HTML), the "cannot be cascaded" ERROR line, F's
    WARNING/ERROR, --json, --dry-run and ``offload verify`` of S never offer it."""
    card = clips_card(tmp_path / "cards", 3, 200_000)
    fast, slow = tmp_path / "F", tmp_path / "S"
    fast.mkdir()
    slow.mkdir()
    reports = tmp_path / "reports"
    code, out = offload("copy", "--report-dir", reports, card, fast, "--cascade-to", slow)
    assert code == 0, out
    _new_take(card / C001, 300_000)
    (fast / "A001" / C001).unlink()  # F copies the new take; S keeps the earlier one
    (fast / "A001" / C000).write_bytes(os.urandom(123_456))
    (slow / "A001" / C000).unlink()  # to be fed from F, which refuses it
    earlier_take = (slow / "A001" / C001).read_bytes()

    code, out = offload("copy", "--report-dir", reports, card, fast, "--cascade-to", slow)
    assert code == 1, out
    said = " ".join(out.split())
    assert "The card's pass ended at" in said and "a plain re-run refuses it again" in said
    # The cascade's sentence first: what failed before in it fails here, not elsewhere.
    sentence = said[said.index("The card's pass ended at") :]
    sentence = sentence[: sentence.index("refuses it again")]
    assert not _offers_overwrite(sentence), sentence
    assert "--keep-both" in sentence, sentence
    (unfed,) = [
        line
        for line in out.splitlines()
        if line.startswith("ERROR:") and "cannot be cascaded" in line
    ]
    assert C000 in unfed, unfed
    _never_offered(out)
    data = newest_report(reports)
    kinds = {
        f["path"]: [d["refusal"] for d in f["destinations"]]
        for f in data["files"]
        if f["path"] in (C000, C001)
    }
    assert kinds == {C000: ["in_the_way", "fast_refused"], C001: [None, "earlier_copy"]}, kinds
    html = max(reports.glob("*.json")).with_suffix(".html").read_text()
    html = " ".join(html.replace("&#x27;", "'").split())
    assert "a plain re-run refuses it again" in html, html
    sentence = html[html.index("The card's pass ended at") :]
    sentence = sentence[: sentence.index("refuses it again")]
    assert not _offers_overwrite(sentence), sentence
    assert "--keep-both" in sentence, sentence

    code, out = offload("copy", "--dry-run", card, fast, "--cascade-to", slow)
    assert code == 1, out
    assert "no fast destination will hold a verified copy of it" in out, out
    _never_offered(out)

    code, out, _err = offload_streams(
        "copy", "--json", "--report-dir", reports, card, fast, "--cascade-to", slow
    )
    assert code == 1, out
    words = _json_words(out)
    assert "cannot be cascaded" in words, words
    _never_offered(words)

    (entry,) = json.loads((slow / "A001" / ".offload" / "last-run.json").read_text())["cards"]
    assert entry["fast_refused"] == [C000] and entry["in_the_way"] == [C001], entry
    _code, out = offload("verify", slow / "A001")
    _never_offered(_incomplete(out))
    assert (slow / "A001" / C001).read_bytes() == earlier_take


def _earlier_take_beside_a_plain_file(
    tmp_path: Path, plain_size: int
) -> tuple[Path, Path, Path, Path, bytes, str, dict[str, Any]]:
    """A 3-clip card offloaded to F and F2; then C001 shot again at its own size (read back
    before the copy, refused as F's earlier take), F2's C001 removed, a new card file C003
    and, at its name on F2, a file no ledger records of *plain_size* bytes; the same offload
    again (exit 1, C001 refused as ``earlier_copy`` on F, C003 as ``in_the_way`` on F2).
    Returns the card, F, F2, the report folder, F's earlier take's bytes, the run's output
    and its job report."""
    card = clips_card(tmp_path / "cards", 3, 200_000)
    fast, fast2 = tmp_path / "F", tmp_path / "F2"
    fast.mkdir()
    fast2.mkdir()
    reports = tmp_path / "reports"
    code, out = offload("copy", "--report-dir", reports, card, fast, fast2)
    assert code == 0, out
    _new_take(card / C001, 200_000)  # the same size: the plan reads it back, not refuses it
    (fast2 / "A001" / C001).unlink()
    (card / C003).write_bytes(os.urandom(100_000))
    (fast2 / "A001" / C003).write_bytes(os.urandom(plain_size))
    earlier_take = (fast / "A001" / C001).read_bytes()
    code, out = offload("copy", "--report-dir", reports, card, fast, fast2)
    assert code == 1, out
    data = newest_report(reports)
    kinds = {
        f["path"]: [d["refusal"] for d in f["destinations"]]
        for f in data["files"]
        if f["path"] in (C001, C003)
    }
    assert kinds == {C001: ["earlier_copy", None], C003: [None, "in_the_way"]}, kinds
    return card, fast, fast2, reports, earlier_take, out, data


def test_an_earlier_take_found_by_the_read_back_keeps_overwrite_from_a_plain_file(
    tmp_path: Path,
) -> None:
    """F holds C001's earlier take of the new take's size (read back before the copy and
    found unlike the card: refused as an earlier take's copy, ``earlier_copy``); F2 holds a
    file no ledger records at the name of a new card file, C003, refused by the engine. The
    engine's refusal of C003 offers --keep-both first, never --overwrite (it would replace
    C001's earlier take on F). Failed before: C003's ERROR "--overwrite replaces it once
    the new copy is verified, --keep-both keeps both"."""
    _card, fast, _fast2, _reports, earlier_take, out, _data = _earlier_take_beside_a_plain_file(
        tmp_path, 7_777
    )
    (error,) = [x for x in out.splitlines() if x.startswith("ERROR:") and C003 in x]
    _never_offered(error)
    assert "--keep-both" in error, error
    assert (fast / "A001" / C001).read_bytes() == earlier_take


def test_a_same_size_earlier_take_keeps_overwrite_from_a_same_size_plain_file(
    tmp_path: Path,
) -> None:
    """F holds C001's earlier take of the new take's size, F2 a file no ledger records, of
    the card file's size, at the name of a new card file, C003: both are read back before
    the copy, found unlike the card, and refused in the same read-back, C001 as an earlier
    take's copy. C003's refusal offers --keep-both first, never --overwrite (a re-run with
    it replaced C001's earlier take on F), in the terminal, ``--json``'s events and the HTML
    report, as the run record does. Failed before: C003's ERROR "not overwritten
    (--overwrite replaces it once the new copy is verified, --keep-both keeps both)"."""
    card, fast, fast2, reports, earlier_take, out, data = _earlier_take_beside_a_plain_file(
        tmp_path,
        100_000,  # the same size as C003: read back too
    )
    (error,) = [x for x in out.splitlines() if x.startswith("ERROR:") and C003 in x]
    assert "--keep-both" in error, error
    _never_offered(out)
    (failed,) = [
        d["error"]
        for f in data["files"]
        if f["path"] == C003
        for d in f["destinations"]
        if d["error"]
    ]
    _never_offered(failed)
    html = newest_html_words(reports)
    assert "C003.mov already exists with other content" in html, html
    assert not _offers_overwrite(html), html

    code, out, _err = offload_streams("copy", "--json", "--report-dir", reports, card, fast, fast2)
    assert code == 1, out
    words = _json_words(out)
    assert C003 in words, words
    _never_offered(words)
    _code, out = offload("verify", fast2 / "A001")
    _never_offered(_incomplete(out))
    assert (fast / "A001" / C001).read_bytes() == earlier_take


def test_a_same_size_earlier_take_on_the_fast_drive_keeps_overwrite_from_the_slow_copy(
    tmp_path: Path,
) -> None:
    """A cascade: F (fast) holds C001's earlier take of the new take's size (read back and
    refused as an earlier take's copy), S (slow) a file no ledger records, of another size,
    at the name of a new card file, C003, which the cascade's slow copy refuses. Its ERROR
    offers --keep-both first, never --overwrite, as the cascade's sentence does. Failed
    before: the slow copy's ERROR "not overwritten (--overwrite replaces it once the new
    copy is verified, --keep-both keeps both)"."""
    card = clips_card(tmp_path / "cards", 3, 200_000)
    fast, slow = tmp_path / "F", tmp_path / "S"
    fast.mkdir()
    slow.mkdir()
    reports = tmp_path / "reports"
    code, out = offload("copy", "--report-dir", reports, card, fast, "--cascade-to", slow)
    assert code == 0, out
    _new_take(card / C001, 200_000)
    (slow / "A001" / C001).unlink()  # S copies the new take (fed from F? F refuses it)
    (card / C003).write_bytes(os.urandom(100_000))
    (slow / "A001" / C003).write_bytes(os.urandom(7_777))
    earlier_take = (fast / "A001" / C001).read_bytes()

    code, out = offload("copy", "--report-dir", reports, card, fast, "--cascade-to", slow)
    assert code == 1, out
    data = newest_report(reports)
    kinds = {
        f["path"]: [d["refusal"] for d in f["destinations"]]
        for f in data["files"]
        if f["path"] in (C001, C003)
    }
    assert kinds[C001][0] == "earlier_copy" and kinds[C003] == [None, "in_the_way"], kinds
    (error,) = [x for x in out.splitlines() if x.startswith("ERROR:") and C003 in x]
    assert str(slow) in error and "--keep-both" in error, error
    _never_offered(out)
    assert not _offers_overwrite(newest_html_words(reports))
    assert (fast / "A001" / C001).read_bytes() == earlier_take


def test_a_same_size_earlier_take_keeps_overwrite_from_the_warning_and_the_dry_run(
    tmp_path: Path,
) -> None:
    """F holds C001's earlier take of the new take's size (to be read back: refused unless
    found equal), F2 a file of another size, no ledger's, at the name of a new card file,
    C003: the planner's WARNING, ``--json``'s ``warning_issued`` and ``--dry-run``'s line
    for C003 offer --keep-both first, never --overwrite, as its ERROR does. Failed before:
    "--overwrite replaces it once the new copy is verified, --keep-both keeps both" in the
    WARNING and the dry run, next to C001's "else refused (--keep-both ...)"."""
    card = clips_card(tmp_path / "cards", 3, 200_000)
    fast, fast2 = tmp_path / "F", tmp_path / "F2"
    fast.mkdir()
    fast2.mkdir()
    code, out = offload("copy", card, fast, fast2)
    assert code == 0, out
    _new_take(card / C001, 200_000)
    (fast2 / "A001" / C001).unlink()
    (card / C003).write_bytes(os.urandom(100_000))
    (fast2 / "A001" / C003).write_bytes(os.urandom(7_777))

    code, out = offload("copy", "--dry-run", card, fast, fast2)
    assert code == 1, out
    assert f"{C003}: " in out and "else refused (this copy root" in out, out
    _never_offered(out)

    code, out, _err = offload_streams("copy", "--json", card, fast, fast2)
    assert code == 1, out
    warnings = [
        json.loads(line)["message"]
        for line in out.splitlines()
        if json.loads(line)["event"] == "warning_issued"
    ]
    (warning,) = [w for w in warnings if "C003.mov" in w]
    assert "--keep-both" in warning, warning
    _never_offered(_json_words(out))

    code, out = offload("copy", card, fast, fast2)
    assert code == 1, out
    (warning,) = [x for x in out.splitlines() if x.startswith("WARNING:") and C003 in x]
    assert "--keep-both" in warning, warning
    _never_offered(out)


def _same_size_and_date(clip: Path) -> None:
    """*clip* written again with other bytes of its size, its date (to the nanosecond) as
    it was: the same name, size and date, another file."""
    before = clip.stat()
    clip.write_bytes(os.urandom(before.st_size))
    os.utime(clip, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_another_cards_copy_found_by_the_read_back_keeps_overwrite_from_a_plain_file(
    tmp_path: Path,
) -> None:
    """F holds a copy its ledger records in md5 alone of C001, the card's C001 now another
    file of that name, size and date: the plan cannot tell (the run's xxh64 is not
    recorded: read back, adopted if equal), the read-back finds it unlike the card and its
    entry's fingerprint unlike the card file's, and refuses it as another card's copy
    (``another_card``). F2's plain file of the card file's size at C003's name is refused in
    the same read-back: offered --keep-both first, never --overwrite (it would replace the
    other card's copy on F). Failed before: C003's ERROR "not overwritten (--overwrite
    replaces it once the new copy is verified, --keep-both keeps both)"."""
    card = clips_card(tmp_path / "cards", 3, 200_000)
    fast, fast2 = tmp_path / "F", tmp_path / "F2"
    fast.mkdir()
    fast2.mkdir()
    reports = tmp_path / "reports"
    code, out = offload("copy", "--report-dir", reports, "-t", "md5", card, fast, fast2)
    assert code == 0, out
    _same_size_and_date(card / C001)
    (fast2 / "A001" / C001).unlink()
    (card / C003).write_bytes(os.urandom(100_000))
    (fast2 / "A001" / C003).write_bytes(os.urandom(100_000))
    other = (fast / "A001" / C001).read_bytes()

    code, out = offload("copy", "--report-dir", reports, card, fast, fast2)
    assert code == 1, out
    kinds = {
        f["path"]: [d["refusal"] for d in f["destinations"]]
        for f in newest_report(reports)["files"]
        if f["path"] in (C001, C003)
    }
    assert kinds == {C001: ["another_card", None], C003: [None, "in_the_way"]}, kinds
    (error,) = [x for x in out.splitlines() if x.startswith("ERROR:") and C003 in x]
    assert "--keep-both" in error, error
    _never_offered(out)
    assert not _offers_overwrite(newest_html_words(reports))
    assert (fast / "A001" / C001).read_bytes() == other


def test_another_cards_copy_found_by_the_card_pass_keeps_overwrite_from_the_slow_copy(
    tmp_path: Path,
) -> None:
    """A cascade: the card pass's read-back refuses F's copy of C001 as another card's (as
    above: nothing in the plan said so), and S (slow) holds a file of another size, no
    ledger's, at the name of a new card file, C003, which the cascade's slow copy refuses.
    Its ERROR offers --keep-both first, never --overwrite. Failed before: "not overwritten
    (--overwrite replaces it once the new copy is verified, --keep-both keeps both)" (the
    slow copy's remedies knew nothing of the card pass's refusals). The planner's WARNING
    for C003, said before any read-back, cannot know of it, and may offer --overwrite."""
    card = clips_card(tmp_path / "cards", 3, 200_000)
    fast, slow = tmp_path / "F", tmp_path / "S"
    fast.mkdir()
    slow.mkdir()
    reports = tmp_path / "reports"
    code, out = offload(
        "copy", "--report-dir", reports, "-t", "md5", card, fast, "--cascade-to", slow
    )
    assert code == 0, out
    _same_size_and_date(card / C001)
    (card / C003).write_bytes(os.urandom(100_000))
    (slow / "A001" / C003).write_bytes(os.urandom(7_777))
    other = (fast / "A001" / C001).read_bytes()

    code, out = offload("copy", "--report-dir", reports, card, fast, "--cascade-to", slow)
    assert code == 1, out
    kinds = {
        f["path"]: [d["refusal"] for d in f["destinations"]]
        for f in newest_report(reports)["files"]
        if f["path"] in (C001, C003)
    }
    assert kinds[C001][0] == "another_card" and kinds[C003] == [None, "in_the_way"], kinds
    (error,) = [x for x in out.splitlines() if x.startswith("ERROR:") and C003 in x]
    assert str(slow) in error, error
    _never_offered(error)
    assert "--keep-both" in error, error
    assert (fast / "A001" / C001).read_bytes() == other


def test_a_same_size_earlier_take_to_read_back_keeps_overwrite_from_the_cascade_lines(
    tmp_path: Path,
) -> None:
    """A cascade: F (fast) holds C001's earlier take of the new take's size (to be read
    back: refused unless found equal) and random bytes of another size at C000's name,
    which S (slow) lacks: C000 cannot be cascaded. ``--dry-run``'s line for it and the
    real run's "cannot be cascaded" ERROR offer --keep-both, never --overwrite. Failed
    before: "(a different file holds its name on F: --overwrite or --keep-both copies it
    there, ...)" in the dry run, whose cascade lines counted the refusals alone, not the
    copies to read back (the run's ERROR, said once the read-back refused the earlier
    take's copy, was right)."""
    card = clips_card(tmp_path / "cards", 3, 200_000)
    fast, slow = tmp_path / "F", tmp_path / "S"
    fast.mkdir()
    slow.mkdir()
    code, out = offload("copy", card, fast, "--cascade-to", slow)
    assert code == 0, out
    _new_take(card / C001, 200_000)
    (fast / "A001" / C000).write_bytes(os.urandom(7_777))
    (slow / "A001" / C000).unlink()

    code, out = offload("copy", "--dry-run", card, fast, "--cascade-to", slow)
    assert code == 1, out
    said = " ".join(out.split())
    assert "no fast destination will hold a verified copy of it (" in said, out
    _never_offered(out)

    code, out = offload("copy", card, fast, "--cascade-to", slow)
    assert code == 1, out
    (unfed,) = [
        line
        for line in out.splitlines()
        if line.startswith("ERROR:") and "cannot be cascaded" in line
    ]
    assert C000 in unfed and "--keep-both" in unfed, unfed
    _never_offered(out)


def test_a_copy_the_read_back_may_find_another_cards_keeps_overwrite_from_the_plans_words(
    tmp_path: Path,
) -> None:
    """F holds C001's copy recorded in md5 alone, the card's C001 now another file of that
    name, size and date (the plan cannot tell: the read-back compares it, then the card
    file's fingerprint with the entry's, and refuses it as another card's), and F2 a file
    of another size, no ledger's, at the name of a new card file, C003. Before the
    read-back, the planner's WARNING and ``--dry-run``'s line for C003 offer --keep-both
    first, never --overwrite: a re-run with --overwrite would replace that other card's
    copy, maybe its only one. Failed before (review M1): "--overwrite replaces it once the
    new copy is verified, --keep-both keeps both" in both (``may_be_protected`` counted
    neither this ADOPT check's entry nor its refusal as another card's)."""
    card = clips_card(tmp_path / "cards", 3, 200_000)
    fast, fast2 = tmp_path / "F", tmp_path / "F2"
    fast.mkdir()
    fast2.mkdir()
    code, out = offload("copy", "-t", "md5", card, fast, fast2)
    assert code == 0, out
    _same_size_and_date(card / C001)
    (fast2 / "A001" / C001).unlink()
    (card / C003).write_bytes(os.urandom(100_000))
    (fast2 / "A001" / C003).write_bytes(os.urandom(7_777))
    other = (fast / "A001" / C001).read_bytes()

    code, out = offload("copy", "--dry-run", card, fast, fast2)
    assert code == 1, out
    assert f"{C003}: " in out, out
    _never_offered(out)

    code, out = offload("copy", card, fast, fast2)
    assert code == 1, out
    (warning,) = [x for x in out.splitlines() if x.startswith("WARNING:") and C003 in x]
    assert "--keep-both" in warning, warning
    _never_offered(out)
    assert "another card" in out, out
    assert (fast / "A001" / C001).read_bytes() == other


def test_a_copy_the_read_back_adopts_leaves_overwrite_offered_after_it(tmp_path: Path) -> None:
    """F holds C001's copy of the card file, whose date alone changed since (touched: an
    earlier take of the name to the plan, to be read back, refused unless found equal), and
    random bytes of the card file's size at the name of a new card file, C003. The
    read-back finds C001's copy equal and adopts it: nothing never to be overwritten is in
    the run's way, so C003's ERROR and the report JSON's error say what a re-run of the
    same state says, --overwrite first (it replaces only that file, once the new copy is
    verified). Failed before (review M2): "--keep-both keeps both, --into ... (--overwrite
    is for the whole run: it would also replace the copy never to be overwritten ...)",
    from the plan's guess, while the re-run said "--overwrite replaces it"."""
    card = clips_card(tmp_path / "cards", 3, 200_000)
    fast = tmp_path / "F"
    fast.mkdir()
    reports = tmp_path / "reports"
    code, out = offload("copy", "--report-dir", reports, card, fast)
    assert code == 0, out
    clip = card / C001
    later = clip.stat().st_mtime_ns + 60 * 10**9
    os.utime(clip, ns=(later, later))
    (card / C003).write_bytes(os.urandom(100_000))
    (fast / "A001" / C003).write_bytes(os.urandom(100_000))

    errors, json_errors = [], []
    for _run in range(2):
        code, out = offload("copy", "--report-dir", reports, card, fast)
        assert code == 1, out
        (error,) = [x for x in out.splitlines() if x.startswith("ERROR:") and C003 in x]
        errors.append(" ".join(error.split()))
        (entry,) = [f for f in newest_report(reports)["files"] if f["path"] == C003]
        json_errors.append(entry["destinations"][0]["error"])
        (adopted,) = [f for f in newest_report(reports)["files"] if f["path"] == C001]
        assert adopted["destinations"][0]["refusal"] is None, adopted
    assert errors[0] == errors[1], errors
    assert json_errors[0] == json_errors[1], json_errors
    assert "--overwrite replaces it once the new copy is verified" in errors[0], errors
    assert "never to be overwritten" not in json_errors[0], json_errors
