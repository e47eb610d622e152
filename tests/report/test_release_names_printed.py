"""Review of namesfix67 (LOW 1, revfix3_67): the card release's reasons and the failure
lines print each name as every line does (``printable_name``: a literal backslash as two),
never raw: a name with a backslash read as another's escape."""

from __future__ import annotations

from offload.report.failure_lines import _unexplained
from offload.report.release import _index_words, card_release


def test_a_name_missing_from_a_legacy_mhl_is_printed() -> None:
    """Failed before: ``A\\xB.mov (in x\\xy.mhl)`` (raw; its neighbour, missing_from_card,
    was printed)."""
    data = {
        "source": "/card",
        "missing_from_legacy_mhl": [{"path": "A\\xB.mov", "mhl": "x\\xy.mhl"}],
        "files": [],
        "destinations": [],
    }
    text = card_release(data).text
    assert "lists are missing from it: A\\\\xB.mov (in x\\\\xy.mhl)." in text, text


def test_index_files_and_the_conflict_are_printed() -> None:
    """Failed before: ``CLIPS\\xI.XML`` and ``C\\xD.mov`` raw."""
    said = _index_words(["CLIPS\\xI.XML"], "C\\xD.mov")
    assert "the card's index file CLIPS\\\\xI.XML, which" in said, said
    assert "--overwrite would replace C\\\\xD.mov too" in said, said


def test_a_failure_without_a_reason_prints_its_name() -> None:
    """Failed before: ``A\\xB.mov on ...`` raw."""
    said = _unexplained({"path": "A\\xB.mov", "kind": "file"}, "/dest\\x1")
    assert said == "A\\\\xB.mov on /dest\\\\x1: FAILED: no reason recorded", said


def test_a_message_naming_a_backslash_name_as_printed_names_it() -> None:
    """Review LOW 2: the documents' problem lines prefix a name only where the error does
    not name it (``names_path``), given the raw path while the error holds it printed
    (``A\\\\xB.mov``): the name was prefixed a second time. Failed before."""
    from offload.errors import names_path, printable_name

    raw = "CLIPS/A\\xB.mov"
    assert names_path(f"{printable_name(raw)}: read failed (EIO)", raw)
    assert names_path(f"{raw}: read failed (EIO)", raw)
    assert not names_path("CLIPS/A\\\\xB.mov.bak: read failed", raw)


def test_a_bad_size_in_a_history_manifest_is_printed_once() -> None:
    """Review LOW 4: ``printable_name(repr(size))`` doubled repr's own escapes (a size
    ``1\\x2`` shown with four backslashes). Failed before."""
    import xml.etree.ElementTree as ET

    import pytest

    from offload.manifest.history import _BadRecord, _parse_hash_children

    element = ET.fromstring('<hash><path size="1\\x2">A.mov</path></hash>')
    with pytest.raises(_BadRecord) as raised:
        _parse_hash_children(element)
    assert "the size of 'A.mov' is '1\\\\x2', not a number of bytes" in str(raised.value), raised
