"""A card link's ignore pattern, in a generation written into a copy root that holds other
copies, is checked against the whole tree (``manifests_writer._ignore_links``)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from offload.manifest import ManifestFile, read_history
from offload.manifests_writer import LinkState, LinkToRecord
from support.manifest_records import write_one_destination


def test_a_link_pattern_is_not_written_where_the_tree_cannot_be_read_whole(
    tmp_path: Path,
) -> None:
    """A card copied ``--into`` a folder holding a copy whose history cannot be read: no
    pattern can be shown to hide none of that copy's files, so the card's dangling link is
    left out (named, with the file that could not be read and why), never ignored on a
    guess; its file is listed as ever."""
    root = tmp_path / "ROLL"
    (root / "A001" / "ascmhl").mkdir(parents=True)
    (root / "A001" / "ascmhl" / "0001_A001_2026-01-01_000000Z.mhl").write_text("not xml")
    (root / "A001" / "ascmhl" / "ascmhl_chain.xml").write_text("not xml either")
    (root / "clip.mov").write_bytes(b"clip")
    os.symlink("gone.mov", root / "dangling.mov")
    clip = ManifestFile("clip.mov", 4, 0, {"xxh64": "0123456789abcdef"}, datetime.now(UTC))
    result = write_one_destination(
        tmp_path, root, root, [clip], links=(LinkToRecord("dangling.mov", "gone.mov"),)
    )

    assert result.error is None, result.error
    state, note = result.links["dangling.mov"]
    assert state is LinkState.LEFT_OUT
    assert "could not be read whole" in note
    # what failed, named (before: "a folder that cannot be listed, a history there ...")
    chain = root / "A001" / "ascmhl" / "ascmhl_chain.xml"
    assert f"({chain} is not well-formed XML" in note, note
    history = read_history(root)
    assert history.recorded_file_paths() == {"clip.mov"}
    assert "**/dangling.mov" not in (history.latest_ignore_patterns() or ())
