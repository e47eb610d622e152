"""The ledger's lines are made directly (``ledger.entry_line``), not by the JSON encoder:
they must be the encoder's text byte for byte, whatever the names hold."""

from __future__ import annotations

import json
from dataclasses import fields, replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from offload.json_text import STRICT as _ENCODER
from offload.ledger import (
    _LINE_FIELDS,
    Ledger,
    LedgerEntry,
    VerifiedCopy,
    entry_fields,
    entry_line,
    entry_of,
    same_card,
    verified_entry,
    verified_line,
    verified_lines,
)

# Names as a card may hold them: quotes, backslashes, control characters, non-ASCII, and
# the lone surrogates that stand for bytes that are not UTF-8 (surrogateescape).
_NAMES = st.text(
    alphabet=st.characters(blacklist_categories=()),
    max_size=40,
)


# A copy's inode number and change time (``Ledger.identified``), or none recorded.
_IDENTITIES = st.none() | st.tuples(
    st.integers(min_value=1, max_value=2**64), st.integers(min_value=1, max_value=2**63)
)


def _encoded(entry: LedgerEntry) -> str:
    return _ENCODER.encode(entry_fields(entry))


@given(
    relative=_NAMES,
    partial=_NAMES,
    final=_NAMES,
    digest=_NAMES,
    size=st.integers(min_value=0, max_value=2**70),
    mtime=st.integers(min_value=-(2**63), max_value=2**63),
    verify=st.sampled_from(["transfer", "destination", "full"]),
    bypass=st.sampled_from(["", "none", "server", "o_direct"]),
    etag=_NAMES,
    card=_NAMES,
    fingerprint=st.just("") | _NAMES,
    identity=_IDENTITIES,
)
def test_a_line_is_the_encoders_text(
    relative: str,
    partial: str,
    final: str,
    digest: str,
    size: int,
    mtime: int,
    verify: str,
    bypass: str,
    etag: str,
    card: str,
    fingerprint: str,
    identity: tuple[int, int] | None,
) -> None:
    entry = verified_entry(
        relative,
        size_bytes=size,
        mtime_ns=mtime,
        digests={"xxh64": digest, "md5": 'ab"\\\n', digest: "x"},
        partial_name=partial,
        final_name=final,
        verify=verify,
        cache_bypass=bypass,
        card=card,
        fingerprint=fingerprint,
        identity=identity,
    )
    for candidate in (
        entry,
        LedgerEntry(relative, "revoked"),
        _with_etag(entry, etag),
        replace(entry, card=""),
        replace(entry, fingerprint=""),
    ):
        assert entry_line(candidate) == _encoded(candidate)


def _with_etag(entry: LedgerEntry, etag: str) -> LedgerEntry:
    values = dict(vars(entry))
    values["etag"] = etag
    values["cache_bypass"] = "none"
    return LedgerEntry(**values)


def test_values_the_direct_path_does_not_know_go_through_the_encoder() -> None:
    odd = LedgerEntry("a", "verified", recorded_at=2.5, digests={"x": 1})  # type: ignore[dict-item]
    assert entry_line(odd) == _encoded(odd)
    # Standard JSON only: a time that is not finite is refused, never written as NaN.
    for bad in (float("nan"), float("inf")):
        with pytest.raises(ValueError):
            entry_line(LedgerEntry("a", "verified", recorded_at=bad))
    assert (
        json.loads(entry_line(LedgerEntry("b", "verified", recorded_at=1.5)))["recorded_at"] == 1.5
    )


def test_a_ledger_reads_back_what_it_appended(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    name = 'DCIM/"quoted"\\back\x01\u00e9\udcff.MP4'
    entry = verified_entry(
        name,
        size_bytes=5,
        mtime_ns=7,
        digests={"xxh64": "00ff"},
        partial_name=".offload-partial.x." + name.rpartition("/")[2],
        final_name=name.rpartition("/")[2],
        verify="full",
        cache_bypass="none",
    )
    ledger.append([entry])
    assert ledger.load() == {name: entry}


def test_the_template_writes_every_field_of_an_entry() -> None:
    # A field added to LedgerEntry must be added to the template (until then its entries go
    # through the encoder, slower but whole).
    assert tuple(field.name for field in fields(LedgerEntry)) == _LINE_FIELDS


@given(
    relative=_NAMES,
    partial=_NAMES,
    final=_NAMES,
    digest=_NAMES,
    size=st.integers(min_value=0, max_value=2**70),
    mtime=st.integers(min_value=-(2**63), max_value=2**63),
    verify=st.sampled_from(["transfer", "destination", "full"]) | _NAMES,
    bypass=st.sampled_from(["", "none", "server", "o_direct", "fadvise", "not-read"]),
    recorded_at=st.floats(allow_nan=False, allow_infinity=False),
    card=st.just("") | _NAMES,
    fingerprint=st.just("") | _NAMES,
    identity=_IDENTITIES,
)
def test_a_verified_line_is_its_entrys_line(
    relative: str,
    partial: str,
    final: str,
    digest: str,
    size: int,
    mtime: int,
    verify: str,
    bypass: str,
    recorded_at: float,
    card: str,
    fingerprint: str,
    identity: tuple[int, int] | None,
) -> None:
    """The committer's line made without an entry (``verified_line``) is the line of the
    entry ``verified_entry`` makes of the same values, recorded at the same time, byte for
    byte (and so the encoder's text)."""
    values = {
        "size_bytes": size,
        "mtime_ns": mtime,
        "digests": {"xxh64": digest, "md5": 'ab"\\\n', digest: "x"},
        "partial_name": partial,
        "final_name": final,
        "verify": verify,
        "cache_bypass": bypass,
        "fingerprint": fingerprint,
    }
    entry = replace(
        verified_entry(relative, **values, identity=identity),  # type: ignore[arg-type]
        recorded_at=recorded_at,
        card=card,
    )
    (line,) = verified_lines([VerifiedCopy(relative, **values)], recorded_at, card, [identity])  # type: ignore[arg-type]
    assert line == entry_line(entry) == _encoded(entry)


def test_a_verified_line_of_values_the_direct_path_does_not_know_is_its_entrys() -> None:
    odd: dict[str, object] = {
        "size_bytes": 5,
        "mtime_ns": 7,
        "digests": {"x": 1},
        "partial_name": "p",
        "final_name": "f",
        "verify": "full",
        "cache_bypass": "",
    }
    for recorded_at in (3, 2.5):
        entry = replace(verified_entry("a", **odd), recorded_at=recorded_at)  # type: ignore[arg-type]
        line = verified_line(VerifiedCopy("a", **odd), recorded_at)  # type: ignore[arg-type]
        assert line == entry_line(entry) == _encoded(entry)
    with pytest.raises(ValueError):  # standard JSON only: never NaN
        verified_line(VerifiedCopy("a", **odd), float("nan"))  # type: ignore[arg-type]


def test_append_verified_writes_what_append_of_the_entries_writes(tmp_path: Path) -> None:
    """The committer's way (``append_verified``: lines made at once, one time a batch) and
    ``append`` of the same entries leave the same bytes in the ledger."""
    records = [
        VerifiedCopy(
            f'DCIM/"{index}"\u00e9\udcff.MP4',
            index,
            7 + index,
            {"xxh64": f"{index:016x}"},
            f".offload-partial.x.{index}.MP4",
            f"{index}.MP4",
            verify,
            bypass,
            f"{index:032x}" if index else "",  # an entry may record none
        )
        for index, (verify, bypass) in enumerate(
            [("transfer", "not-read"), ("full", "none"), ("destination", "o_direct")]
        )
    ]
    for card in ("", '1234-ABCD "A001"/CLIPS'):
        fast = Ledger(tmp_path / f"fast{card!r}", card=card)
        slow = Ledger(tmp_path / f"slow{card!r}", card=card)
        fast.append_verified(records, recorded_at=12.5)
        slow.append([record.entry(12.5) for record in records])
        assert fast.path.read_bytes() == slow.path.read_bytes()
        assert fast.load() == {r.relative_path: r.entry(12.5, card) for r in records}


def test_a_ledger_records_its_card_in_every_copy_but_never_in_a_revocation(
    tmp_path: Path,
) -> None:
    """The card is written only when known, and never on a ``revoked`` line: an older
    version, which skips a line with a key it does not know, still reads revocations."""
    ledger = Ledger(tmp_path, card='1234-ABCD "A001"')
    copy = verified_entry(
        "C001.MOV", size_bytes=1, mtime_ns=2, digests={}, partial_name="", final_name="",
        verify="full",
    )  # fmt: skip
    ledger.append([copy, LedgerEntry("C002.MOV", "revoked")])
    lines = [json.loads(line) for line in ledger.path.read_text().splitlines()]
    assert [line.get("card") for line in lines] == ['1234-ABCD "A001"', None]
    unknown = Ledger(tmp_path / "unknown")
    unknown.append([copy])
    assert "card" not in json.loads(unknown.path.read_text())


def test_an_entry_vouches_for_its_own_card_or_where_either_is_unknown() -> None:
    entry = LedgerEntry("C001.MOV", "verified", card='1234-ABCD "A001"')
    assert same_card(entry, '1234-ABCD "A001"')
    assert same_card(entry, "")  # this run cannot tell its card
    assert same_card(LedgerEntry("C001.MOV", "verified"), '5678-EF01 "A001"')  # legacy entry
    assert not same_card(entry, '5678-EF01 "A001"')  # formatted again: a new serial
    assert not same_card(entry, '1234-ABCD "A001"/CLIPS')  # a folder of that volume


def test_a_fingerprint_is_written_only_when_recorded_and_an_older_line_still_loads(
    tmp_path: Path,
) -> None:
    """A copy's line records the card file's fingerprint (``fingerprint``) when it has one,
    and no key otherwise (a revocation, a re-checked copy whose entry had none): every
    reader of this version folds both, and a ledger written by a version before the key (no
    ``fingerprint``, no ``card``) loads as it did."""
    ledger = Ledger(tmp_path)
    copy = verified_entry(
        "C001.MOV", size_bytes=1, mtime_ns=2, digests={"xxh64": "00"}, partial_name="",
        final_name="", verify="full", fingerprint="ab" * 16,
    )  # fmt: skip
    ledger.append([copy, replace(copy, relative_path="C002.MOV", fingerprint="")])
    ledger.append([LedgerEntry("C003.MOV", "revoked")])
    lines = [json.loads(line) for line in ledger.path.read_text().splitlines()]
    assert [line.get("fingerprint") for line in lines] == ["ab" * 16, None, None]
    assert ledger.load()["C001.MOV"].fingerprint == "ab" * 16
    old = tmp_path / "old"
    (old / ".offload").mkdir(parents=True)
    (old / ".offload" / "ledger.jsonl").write_text(
        '{"relative_path": "C001.MOV", "state": "verified", "size_bytes": 1, "mtime_ns": 2, '
        '"digests": {"xxh64": "00"}, "partial_name": "", "final_name": "", "verify": "full", '
        '"recorded_at": 1.5, "etag": ""}\n'
    )
    assert Ledger(old).load() == {"C001.MOV": replace(copy, recorded_at=1.5, fingerprint="")}


@pytest.mark.parametrize(
    "name", [".DS_Store", "CLIPS/.hidden", "..x/...", "A/.b./c..", "DCIM/\\..\\x", " . "]
)
def test_a_name_of_dots_that_is_a_files_reads_back(tmp_path: Path, name: str) -> None:
    # A ledger skips a line whose names are no file's under the copy root (a component
    # "." or "..": ``names_files``); a name that only starts or ends with dots is one.
    ledger = Ledger(tmp_path)
    entry = verified_entry(
        name,
        size_bytes=5,
        mtime_ns=7,
        digests={"xxh64": "00ff"},
        partial_name=".offload-partial.x." + name.rpartition("/")[2],
        final_name=name.rpartition("/")[2],
        verify="full",
    )
    ledger.append([entry])
    assert ledger.load() == {name: entry}


@pytest.mark.parametrize(
    ("relative_path", "final_name", "partial_name"),
    [
        ("", "", ""),
        ("a\x00", "", ""),
        ("/abs", "", ""),
        ("a//b", "", ""),
        ("a/", "", ""),
        ("..", "", ""),
        ("a/../b", "", ""),
        ("./a", "", ""),
        ("a/b", "c\x00", ""),
        ("a/b", "../c", ""),
        ("a/b", "..", ""),
        ("a/b", ".", ""),
        ("a/b", "", "x/y"),
        ("a/b", "", "\x00"),
    ],
)
def test_a_line_naming_no_file_is_skipped(
    tmp_path: Path, relative_path: str, final_name: str, partial_name: str
) -> None:
    # The path's earlier entry stands (read as a line that is no entry: ``fold_lines``).
    ledger = Ledger(tmp_path)
    good = LedgerEntry("a/b", "verified", size_bytes=1, digests={"xxh64": "00"}, verify="full")
    bad = replace(
        good,
        relative_path=relative_path,
        final_name=final_name,
        partial_name=partial_name,
        size_bytes=2,
    )
    ledger.append([good, bad])
    assert ledger.load() == {"a/b": good}


def test_a_line_whose_names_are_not_text_is_skipped(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    good = LedgerEntry("a/b", "verified", size_bytes=1, digests={"xxh64": "00"}, verify="full")
    ledger.append([good])
    with ledger.path.open("a", encoding="utf-8") as handle:
        for bad in ({"relative_path": 5}, {"final_name": ["x"]}, {"partial_name": {"a": 1}}):
            handle.write(json.dumps(entry_fields(good) | {"size_bytes": 2} | bad) + "\n")
    assert ledger.load() == {"a/b": good}


@pytest.mark.parametrize(
    "damage",
    [{"etag": 5}, {"recorded_at": 1e300}, {"final_name": "a/b"}, {"digests": {"xxh64": 5}}],
    ids=["etag", "recorded-at", "final-name", "digest"],
)
def test_a_damaged_revocation_still_ends_the_paths_entries(
    tmp_path: Path, damage: dict[str, object]
) -> None:
    # Skipped whole, the revocation would let the verified entry before it vouch again.
    ledger = Ledger(tmp_path)
    good = LedgerEntry("a/b", "verified", size_bytes=1, digests={"xxh64": "00"}, verify="full")
    ledger.append([good])
    revoked = entry_fields(LedgerEntry("a/b", "revoked", recorded_at=1.0)) | damage
    with ledger.path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(revoked) + "\n")
    assert ledger.load() == {"a/b": LedgerEntry("a/b", "revoked")}


def test_a_name_no_os_call_encodes_is_no_files(tmp_path: Path) -> None:
    # JSON's lone surrogate \ud800 loads as text that every ``os`` call refused with a
    # UnicodeEncodeError; a name's undecodable byte (U+DC80-U+DCFF) is a file's.
    ledger = Ledger(tmp_path)
    good = LedgerEntry("a/b", "verified", size_bytes=1, digests={"xxh64": "00"}, verify="full")
    undecodable = replace(good, relative_path="a/\udcff", final_name="\udcff")
    ledger.append([good, undecodable])
    with ledger.path.open("a", encoding="utf-8") as handle:  # JSON's escape, as on disk
        handle.write(json.dumps(entry_fields(good) | {"final_name": "b\ud800"}) + "\n")
    assert ledger.load() == {"a/b": good, "a/\udcff": undecodable}


def test_a_damaged_line_that_cannot_vouch_ends_its_paths_entries(tmp_path: Path) -> None:
    # A state no entry holds (a list): the line vouches for nothing, as it did when it was
    # read whole; the path's earlier verified entry must not stand again.
    ledger = Ledger(tmp_path)
    good = LedgerEntry("a/b", "verified", size_bytes=1, digests={"xxh64": "00"}, verify="full")
    ledger.append([good])
    with ledger.path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"relative_path": "a/b", "state": ["revoked"]}) + "\n")
    assert not ledger.load()["a/b"].vouches


def test_a_damaged_revocation_of_no_files_path_is_skipped(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    good = LedgerEntry("a/b", "verified", size_bytes=1, digests={"xxh64": "00"}, verify="full")
    ledger.append([good, LedgerEntry("a/../b", "revoked"), LedgerEntry("a/b\x00", "revoked")])
    assert ledger.load() == {"a/b": good}


@given(_NAMES, st.integers(min_value=0, max_value=2**63), st.sampled_from(["", "k"]))
def test_every_line_a_ledger_writes_is_an_entry_of_its_shape(
    name: str, size: int, card: str
) -> None:
    """``entry_of``'s check of each key's type passes every line ``entry_line`` writes
    (a field added to ``LedgerEntry`` without its type in ``_SHAPE`` is no failure here,
    but one of another type would make every line no entry)."""
    entry = replace(
        verified_entry(
            name,
            size_bytes=size,
            mtime_ns=size,
            digests={"xxh64": "ab"},
            partial_name=".p",
            final_name=name,
            verify="full",
        ),
        card=card,
        inode=size,
        ctime_ns=size,
    )
    assert entry_of(entry_line(entry)) == entry
    assert entry_of(json.dumps({**entry_fields(entry), "recorded_at": 1})) is not None


@pytest.mark.parametrize(
    "line",
    [
        '{"relative_path": ["x"], "state": "verified"}',
        '{"relative_path": "x", "state": 1}',
        '{"relative_path": "x", "state": "verified", "size_bytes": true}',
        '{"relative_path": "x", "state": "verified", "size_bytes": 1.5}',
        '{"relative_path": "x", "state": "verified", "card": 5}',
        '{"relative_path": "x", "state": "verified", "digests": ["ab"]}',
        '{"relative_path": "x", "state": "verified", "digests": {"xxh64": 1}}',
        '{"relative_path": "x", "state": "verified", "recorded_at": "now"}',
        '{"relative_path": "x", "state": "revoked", "revoked_copy": "x"}',
        "[" * 100_000,
        '{"relative_path": ' + "[" * 100_000,
        "[1, 2]",
        '{"relative_path": "x"}',
    ],
)
def test_a_line_of_another_shape_is_no_entry(line: str) -> None:
    """Review of the fortieth pass (L2): JSON that is no entry's shape (a list for a name, a
    number for a card, a bool for a size, a digest that is no text), or nested too deep to
    parse, is no entry: ``entry_of`` says None, never raises (before: the read made an
    entry of each, or raised, and every reader of it crashed: TypeError, AttributeError,
    RecursionError)."""
    assert entry_of(line) is None
