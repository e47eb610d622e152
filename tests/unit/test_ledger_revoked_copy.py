"""The record a revocation by ``offload verify`` keeps of the copy it ended
(``Ledger.revoke``'s *records*: a second ``revoked`` line carrying it, ``revoked_copy``),
read by ``revoked_record`` and ``Ledger.found_wrong_copy``: real ledger files written and
read back. An older version's reader (its entry without the key) skips the second line and
reads the plain revocation; a line cut short by a crash leaves the plain one."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from offload.ledger import (
    REVOKED_BY_CHECK,
    REVOKED_BY_OFFLOAD,
    Ledger,
    LedgerEntries,
    LedgerEntry,
    ended_entry,
    fold_lines,
    revoked_record,
    verified_entry,
)
from support.ledger_copies import CLIP, recorded_copy


def _found(ledger: Ledger, size: int = 10) -> tuple[LedgerEntry, int] | None:
    return ledger.found_wrong_copy(
        CLIP,
        size_bytes=size,
        mtime_ns=20_000_000_000,
        algorithms=["xxh64"],
        entries=ledger.load(),
    )


def test_the_revocation_keeps_the_entry_it_ended_on_a_second_line(tmp_path: Path) -> None:
    ledger, entry = recorded_copy(tmp_path)
    ledger.revoke({CLIP: ""}, {CLIP: entry})
    verified, plain, carrying = ledger.path.read_text().splitlines()
    assert json.loads(plain) == {**json.loads(plain), "relative_path": CLIP, "state": "revoked"}
    assert "revoked_copy" not in json.loads(plain)
    assert json.loads(carrying)["revoked_copy"] == json.loads(verified)
    last = ledger.load()[CLIP]
    assert last.state == "revoked" and revoked_record(last) == entry
    assert _found(ledger) == (entry, 10)


def _older(skipped: tuple[str, ...]) -> type:
    """An entry as a version without the keys *skipped* reads a line (one with such a key
    raises TypeError: skipped, the path's previous line stands)."""
    return dataclasses.make_dataclass(
        "OlderEntry",
        [(f.name, object, dataclasses.field(default=None)) for f in dataclasses.fields(LedgerEntry)
         if f.name not in skipped],
    )  # fmt: skip


def _last_as_read_by(ledger: Ledger, older: type) -> dict[str, object]:
    last: dict[str, object] = {}
    for line in ledger.path.read_text().splitlines():
        try:
            read = older(**json.loads(line))
        except TypeError:
            continue
        last[read.relative_path] = read
    return last


def test_an_older_reader_skips_the_second_line_and_reads_the_revocation(
    tmp_path: Path,
) -> None:
    """An older version's entry (no ``revoked_copy`` field) raises on the key, so it skips
    the line, and the path's previous line, the plain revocation, stands: it trusts less,
    never the copy found wrong."""
    ledger, entry = recorded_copy(tmp_path)
    ledger.revoke({CLIP: ""}, {CLIP: entry})
    last = _last_as_read_by(ledger, _older(("revoked_copy",)))
    assert last[CLIP].state == "revoked"  # type: ignore[attr-defined]


def test_a_second_line_cut_short_leaves_the_plain_revocation(tmp_path: Path) -> None:
    ledger, entry = recorded_copy(tmp_path)
    ledger.revoke({CLIP: ""}, {CLIP: entry})
    text = ledger.path.read_bytes()
    ledger.path.write_bytes(text[: len(text) - 25])  # killed mid-write
    last = ledger.load()[CLIP]
    assert last.state == "revoked" and revoked_record(last) is None
    assert _found(ledger) is None  # which copy it ended is not known: --overwrite


def test_only_this_card_files_copy_still_there_is_taken_up(tmp_path: Path) -> None:
    # A plain revocation (an older version's) records no copy.
    ledger, entry = recorded_copy(tmp_path / "plain")
    ledger.append([LedgerEntry(relative_path=CLIP, state="revoked")])
    assert _found(ledger) is None
    # The card's file changed since (another size): not the file the copy was made from.
    ledger, entry = recorded_copy(tmp_path / "size")
    ledger.revoke({CLIP: ""}, {CLIP: entry})
    assert _found(ledger, size=11) is None
    # Recorded from another card than this run's.
    ledger, entry = recorded_copy(tmp_path / "card", card='1234-AAAA "EOS_DIGITAL"')
    ledger.revoke({CLIP: entry.card}, {CLIP: entry})
    other = Ledger(ledger.copy_root, card='5678-BBBB "EOS_DIGITAL"')
    assert _found(other) is None and _found(ledger) == (entry, 10)
    # Nothing at its name any more: copied again, nothing to replace.
    ledger, entry = recorded_copy(tmp_path / "gone")
    ledger.revoke({CLIP: ""}, {CLIP: entry})
    (ledger.copy_root / CLIP).unlink()
    assert _found(ledger) is None


def test_a_damaged_record_is_none(tmp_path: Path) -> None:
    for damaged in (
        {"relative_path": CLIP, "state": "verified", "size_bytes": "10"},
        {"relative_path": CLIP, "state": "revoked"},
        {"relative_path": "OTHER.MOV", "state": "verified"},
        {"relative_path": CLIP, "state": "verified", "unknown": 1},
    ):
        line = json.dumps({"relative_path": CLIP, "state": "revoked", "revoked_copy": damaged})
        assert revoked_record(fold_lines([line]).latest[CLIP]) is None, damaged


def test_a_record_whose_card_name_or_fingerprint_is_no_string_is_none(tmp_path: Path) -> None:
    """A whole entry but for one key of another type (a damaged line): none, not an entry
    whose card, name or fingerprint a later comparison would trip over. Failed before: each
    was read as the copy revoked."""
    _, entry = recorded_copy(tmp_path, card="vol|A001")
    whole = json.loads(json.dumps({**dataclasses.asdict(entry)}))
    good = json.dumps({"relative_path": CLIP, "state": "revoked", "revoked_copy": whole})
    assert revoked_record(fold_lines([good]).latest[CLIP]) == entry
    # A digest that is no text, a float date: the line's own shape check (``entry_of``),
    # review of the fortieth pass (before: read as the copy revoked).
    for key, value in (
        ("card", 5),
        ("final_name", None),
        ("fingerprint", ["f1"]),
        ("digests", {"xxh64": 1}),
        ("mtime_ns", 1.5),
        ("verify", 3),
    ):
        damaged = {**whole, key: value}
        line = json.dumps({"relative_path": CLIP, "state": "revoked", "revoked_copy": damaged})
        assert revoked_record(fold_lines([line]).latest[CLIP]) is None, key


def test_a_revocation_after_a_torn_last_line_is_a_line_of_its_own(tmp_path: Path) -> None:
    """A ledger whose last line a power loss tore: the revocation appended after it starts a
    line of its own (ended before it, in the same write), so every version reads the copy as
    revoked; glued onto the torn text, the plain ``revoked`` line was skipped and an older
    version (the last line it reads) still trusted the copy found wrong."""
    ledger, entry = recorded_copy(tmp_path)
    with open(ledger.path, "ab") as handle:
        handle.write(b'{"relative_path": "CLIPS/C001.MOV", "sta')  # torn by a power loss
    ledger.revoke({CLIP: ""}, {CLIP: entry})
    lines = ledger.path.read_text().split("\n")
    assert lines[1] == '{"relative_path": "CLIPS/C001.MOV", "sta'
    assert (json.loads(lines[2])["state"], "revoked_copy" in lines[2]) == ("revoked", False)
    assert ledger.load()[CLIP].state == "revoked"
    # As an older version reads it: the last line of the path it can parse is the revocation.
    plain = [json.loads(line) for line in lines[2:] if line and "revoked_copy" not in line]
    assert plain[-1]["state"] == "revoked"
    # The ledger still ends with a newline, and a second append adds no empty line.
    ledger.append([entry])
    assert ledger.path.read_bytes().endswith(b"\n") and "\n\n" not in ledger.path.read_text()


def test_an_offloads_own_revocation_keeps_the_ledgers_entry_of_the_copy(tmp_path: Path) -> None:
    """``Ledger.revoke`` without *records* (an offload's own revocation: its read-back, the
    cascade's, the re-read after fusefat's renames) keeps the entry of the copy it ends, read
    from the ledger, and says an offload revoked it: ``--reverify`` takes it up as ours.
    Failed before: the plain line alone (``found_wrong_copy`` None: only --overwrite)."""
    ledger, entry = recorded_copy(tmp_path, card="vol|A001")
    ledger.revoke({CLIP: "vol|A001"})
    verified, plain, carrying = map(json.loads, ledger.path.read_text().splitlines())
    assert plain == {**plain, "relative_path": CLIP, "state": "revoked"}
    assert "revoked_copy" not in plain and "revoked_by" not in plain, plain
    assert carrying["revoked_copy"] == verified and carrying["revoked_by"] == "offload"
    last = ledger.load()[CLIP]
    assert revoked_record(last) == entry and last.revoked_by == REVOKED_BY_OFFLOAD
    assert _found(ledger) == (entry, 10)
    # Revoked again (a --reverify whose rewrite failed once more): the record carried on.
    ledger.revoke({CLIP: "vol|A001"})
    assert revoked_record(ledger.load()[CLIP]) == entry and _found(ledger) == (entry, 10)
    # offload verify's says so by the key's absence, as the version before the key wrote it.
    ledger, entry = recorded_copy(tmp_path / "check")
    ledger.revoke({CLIP: ""}, {CLIP: entry}, by=REVOKED_BY_CHECK)
    assert "revoked_by" not in ledger.path.read_text().splitlines()[-1]
    assert ledger.load()[CLIP].revoked_by == REVOKED_BY_CHECK


def test_every_older_version_reads_an_offloads_revocation_as_the_plain_line(
    tmp_path: Path,
) -> None:
    """A version without ``revoked_copy``, and the one before ``revoked_by`` (which knew
    ``revoked_copy``), both skip the second line and read the plain revocation: they trust
    less, never the copy found wrong, and the one before reads no record an offload kept as
    offload verify's."""
    ledger, _entry = recorded_copy(tmp_path)
    ledger.revoke({CLIP: ""})
    for skipped in (("revoked_copy", "revoked_by"), ("revoked_by",)):
        last = _last_as_read_by(ledger, _older(skipped))
        assert last[CLIP].state == "revoked", skipped  # type: ignore[attr-defined]
        assert not getattr(last[CLIP], "revoked_copy", None), skipped


def test_an_unproven_rename_or_two_cards_copies_keep_no_record(tmp_path: Path) -> None:
    """No record where it would prove more than is known: an entry whose rename never
    happened (``unproven``: the file at the name is not the copy it records), and, the
    card unknown, a path whose copies of two cards stand (which one is not one entry)."""
    ledger, _entry = recorded_copy(tmp_path)
    ledger.revoke({CLIP: ""}, unproven=True)
    assert "revoked_copy" not in ledger.path.read_text() and _found(ledger) is None
    a, b = (
        verified_entry(
            CLIP, size_bytes=10, mtime_ns=20_000_000_000, digests={"xxh64": "ab"},
            partial_name="", final_name=name, verify="full", recorded_at=1.0, card=card,
        )
        for name, card in (("", "vol|A001"), ("C001 (1).MOV", "vol|B002"))
    )  # fmt: skip
    standing = fold_lines([json.dumps(dataclasses.asdict(e)) for e in (a, b)])
    assert standing.beside == {CLIP: (a,)}
    assert ended_entry(standing, CLIP, "") is None
    assert ended_entry(standing, CLIP, "vol|A001") == a
    assert ended_entry(standing, CLIP, "vol|B002") == b
    assert ended_entry(LedgerEntries({}, {}), CLIP, "") is None
