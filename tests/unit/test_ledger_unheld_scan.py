"""``ledger.may_record_unheld_names``: the byte scan that spares ``offload verify`` a parse of
the ledger where no path in it could be one no XML manifest can hold. It may say yes
wrongly (a path with a backslash), never no: a ledger recording such a path, whatever the
rest of the name, is always seen (else a deleted copy of it would pass unmissed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from offload.ledger import entry_line, may_record_unheld_names, verified_entry
from offload.manifest.xmlchars import xml_can_hold


def _ledger(folder: Path, *names: str) -> Path:
    """A ledger of a verified copy of each of *names*, written as ``Ledger`` writes lines
    (UTF-8, a name's bytes that are not UTF-8 as they are)."""
    text = "".join(
        entry_line(
            verified_entry(
                name,
                size_bytes=1,
                mtime_ns=1,
                digests={"xxh64": "ab"},
                partial_name=".offload-partial.d9a0340." + name.rsplit("/", 1)[-1],
                final_name=name.rsplit("/", 1)[-1],
                verify="full",
            )
        )
        + "\n"
        for name in names
    )
    path = folder / "ledger.jsonl"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    return path


@given(name=st.text(alphabet=st.characters(blacklist_categories=()), max_size=30))
def test_a_ledger_recording_a_name_no_manifest_holds_is_always_seen(
    tmp_path_factory: pytest.TempPathFactory, name: str
) -> None:
    try:
        name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        assume(False)  # no file name holds it (a surrogate no byte stands for)
    folder = tmp_path_factory.mktemp("ledger")
    path = _ledger(folder, "CLIPS/C001.mov", f"CLIPS/{name}.mov")
    if not xml_can_hold(name):
        assert may_record_unheld_names(path)


def test_the_common_ledgers_are_passed_unparsed(tmp_path: Path) -> None:
    plain = _ledger(tmp_path, "CLIPS/C001.mov", "CLIPS/Café.mov", "日本/クリップ.mov")
    assert not may_record_unheld_names(plain)
    for odd in ("CLIPS/C002\x01take.mov", "CLIPS/C003\udcffbad.mov", "a\x08b", "a\ufffe"):
        assert may_record_unheld_names(_ledger(tmp_path, "CLIPS/C001.mov", odd)), odd


def _whole_file_rule(data: bytes) -> bool:
    """The scan's rule over the whole file's bytes at once (as it was read before the
    fortieth pass): what a read in pieces must answer, wherever the pieces are cut."""
    if b"\\" in data:
        return True
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return "\ufffe" in text or "\uffff" in text


@given(
    name=st.text(alphabet=st.characters(blacklist_categories=()), max_size=12),
    chunk=st.integers(min_value=1, max_value=9),
)
def test_a_ledger_read_in_pieces_is_judged_as_whole_wherever_a_piece_ends(
    tmp_path_factory: pytest.TempPathFactory, name: str, chunk: int
) -> None:
    """Read a few bytes at a time (so every multi-byte character, U+FFFE's three bytes, a
    stray byte and the last character cut short fall across a read's end somewhere), the
    answer is the whole file's."""
    try:
        encoded = name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        assume(False)
    folder = tmp_path_factory.mktemp("ledger")
    path = _ledger(folder, "CLIPS/Café.mov", f"CLIPS/{name}.mov")
    assert may_record_unheld_names(path, chunk=chunk) == _whole_file_rule(path.read_bytes())
    # The name's bytes alone at the file's end (no newline after it): a character cut short
    # by the end of the file is no UTF-8.
    bare = folder / "bare"
    bare.write_bytes(b"CLIPS/C001.mov " + encoded)
    assert may_record_unheld_names(bare, chunk=chunk) == _whole_file_rule(encoded)
    cut = folder / "cut"
    cut.write_bytes(b"A" * chunk + "\ufffe".encode()[:2])
    assert may_record_unheld_names(cut, chunk=chunk)


def test_an_empty_ledger_records_no_name(tmp_path: Path) -> None:
    empty = tmp_path / "ledger.jsonl"
    empty.write_bytes(b"")
    assert not may_record_unheld_names(empty)
