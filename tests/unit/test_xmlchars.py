"""``manifest/xmlchars.py``: which paths an XML manifest cannot hold. Its fast path (a card
of ASCII names: one search of the joined paths per character XML refuses) must answer as
asking each path in turn does."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from offload.manifest.xmlchars import paths_xml_cannot_hold, unlisted_name_reason, xml_can_hold


def test_the_characters_xml_refuses_and_those_it_takes() -> None:
    paths = [
        "CLIPS/A001.mov",
        "CLIPS/tab\tnew\nline\rcr.mov",  # XML holds tab, newline, carriage return
        "CLIPS/C002\x01take.mov",
        "CLIPS/caf\u00e9.mov",
        "CLIPS/bad\udcff.mov",  # a byte that is not UTF-8 (surrogateescape)
        "CLIPS/\ufffe.mov",
        "CLIPS/esc\x1b.mov",
    ]
    assert paths_xml_cannot_hold(paths) == [
        "CLIPS/C002\x01take.mov",
        "CLIPS/bad\udcff.mov",
        "CLIPS/\ufffe.mov",
        "CLIPS/esc\x1b.mov",
    ]
    assert paths_xml_cannot_hold(["CLIPS/A001.mov", "CLIPS/tab\t.mov"]) == []
    assert paths_xml_cannot_hold(["ascii\x1f"]) == ["ascii\x1f"]
    assert unlisted_name_reason("CLIPS/C002\x01take.mov") == (
        "its name holds the control character \\x01, which an XML manifest cannot hold"
    )
    assert unlisted_name_reason("CLIPS/bad\udcff.mov") == (
        "its name is not valid UTF-8, which an XML manifest cannot hold"
    )


@given(st.lists(st.text(alphabet=st.characters(max_codepoint=0x7F)), max_size=20))
def test_the_ascii_fast_path_answers_as_each_path_asked_in_turn(paths: list[str]) -> None:
    assert paths_xml_cannot_hold(paths) == [p for p in paths if not xml_can_hold(p)]
