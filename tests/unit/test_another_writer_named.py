"""How ``ascmhl.another_writer`` names the writer of a generation it found
(``_written_by``): from the manifest as parsed (``history.parse_manifest``), never from a
regular expression over its text."""

from __future__ import annotations

import errno
from datetime import UTC, datetime
from pathlib import Path

import pytest

from offload.manifest import (
    CreatorInfo,
    ManifestError,
    ManifestFile,
    read_history,
    write_generation,
)
from offload.manifest.ascmhl import _written_by

MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<hashlist version="2.0" xmlns="urn:ASC:MHL:v2.0">
  <!-- <hostname>not this</hostname> <tool version="0">nor this</tool> -->
  <creatorinfo>
    <creationdate>2026-12-05T10:00:00+00:00</creationdate>
    <hostname>cart &amp; co</hostname>
    <tool version="1.2">ascmhl</tool>
  </creatorinfo>
  <processinfo>
    <process>in-place</process>
  </processinfo>
  <hashes>
  </hashes>
</hashlist>
"""


def test_the_writer_is_named_from_its_creator_info_unescaped(tmp_path: Path) -> None:
    """Failed before: the regular expressions took the comment's words ("by nor this 0 on
    not this") and left the hostname escaped ("cart &amp; co")."""
    manifest = tmp_path / "0002_A001_2026-12-05_100000Z.mhl"
    manifest.write_text(MANIFEST, encoding="utf-8")
    assert _written_by(manifest) == (
        ", by ascmhl 1.2 on cart & co, created 2026-12-05T10:00:00+00:00"
    )


def test_a_manifest_that_cannot_be_parsed_names_no_writer(tmp_path: Path) -> None:
    cut = tmp_path / "0002_A001_2026-12-05_100000Z.mhl"
    cut.write_text(MANIFEST[:200], encoding="utf-8")  # a writer still writing it
    assert _written_by(cut) == ""
    assert _written_by(tmp_path / "0003_gone.mhl") == ""


def test_a_generation_raced_by_another_writer_says_what_to_do_itself(tmp_path: Path) -> None:
    """The refusal of a generation another writer's came before (``another_writer``) names
    its remedy (run this again once that writer is done), and says so by its flag
    (``ManifestError.says_what_to_do``): ``offload verify --append`` adds no second one."""
    root = tmp_path / "A001"
    root.mkdir()
    (root / "one.mov").write_bytes(b"1")
    when = datetime(2026, 1, 1, tzinfo=UTC)
    creator = CreatorInfo(tool_version="0.1.0", hostname="host")
    one = [ManifestFile("one.mov", 1, 0, {"xxh64": "0" * 16}, when)]
    write_generation(root, one, creator=creator, now=lambda: when)
    read = read_history(root)
    write_generation(root, one, creator=creator, now=lambda: when)  # the other writer's
    with pytest.raises(ManifestError) as raised:
        write_generation(root, one, creator=creator, now=lambda: when, history=read)
    assert raised.value.errno == errno.EEXIST
    assert "run this again once that writer is done" in raised.value.message
    assert raised.value.says_what_to_do
