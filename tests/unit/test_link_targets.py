"""Which file of the card a link of the card leads to (``offload.link_targets``), from the
card's scan: the same answer as the manifests' walk over the disk gives (one rule), and
ignored entries are no files of the card."""

from __future__ import annotations

import os
from pathlib import Path

from offload.link_targets import card_targets
from offload.manifest.links import LinkKind, resolve_link
from offload.plan import IgnoreRules, scan_source

LINKS = {
    "CLIPS/beside": "clip.mov",
    "CLIPS/dotted": "./sub/../clip.mov",
    "CLIPS/chain": "beside",
    "dir_link": "CLIPS",
    "CLIPS/via_folder_link": "../dir_link/chain",
    "CLIPS/deep": "sub/deep.mov",
    "CLIPS/folder": "sub",
    "CLIPS/root": "..",
    "CLIPS/out": "../../beside.txt",
    "CLIPS/out_and_back": "../../A001/CLIPS/clip.mov",
    "CLIPS/absolute": "/etc/hostname",
    "CLIPS/gone": "gone.mov",
    "CLIPS/not_a_folder": "clip.mov/x",
    "CLIPS/a": "b",
    "CLIPS/b": "a",
    "CLIPS/scratch": "take.tmp",  # a file the scan ignores (--ignore '*.tmp')
}


def test_card_targets_agree_with_the_manifests_walk_and_skip_ignored_files(
    tmp_path: Path,
) -> None:
    card = tmp_path / "A001"
    (card / "CLIPS" / "sub").mkdir(parents=True)
    (card / "CLIPS" / "clip.mov").write_bytes(b"clip")
    (card / "CLIPS" / "sub" / "deep.mov").write_bytes(b"deep")
    (card / "CLIPS" / "take.tmp").write_bytes(b"scratch")
    (tmp_path / "beside.txt").write_bytes(b"outside the card")
    for link, target in LINKS.items():
        os.symlink(target, card / link)
    tree = scan_source(card, ignore=IgnoreRules.default().adding(["*.tmp"]))

    found = card_targets(tree)

    assert found == {
        "CLIPS/beside": "CLIPS/clip.mov",
        "CLIPS/dotted": "CLIPS/clip.mov",
        "CLIPS/chain": "CLIPS/clip.mov",
        "CLIPS/via_folder_link": "CLIPS/clip.mov",
        "CLIPS/deep": "CLIPS/sub/deep.mov",
    }
    on_disk = {
        link: path
        for link in LINKS
        for kind, path in [resolve_link(card, link)]
        if kind is LinkKind.FILE
    }
    # The disk walk agrees, but for the file the scan left out (not the card's to copy).
    assert on_disk == {**found, "CLIPS/scratch": "CLIPS/take.tmp"}


def test_a_link_whose_file_changed_since_it_was_verified_is_left_out_not_listed(
    tmp_path: Path,
) -> None:
    """The manifests writer lists a link with the content read through it only when that
    content still has the digests recorded for the file it leads to (verified there): a
    file changed since (here: recorded with other digests) leaves the link out, named."""
    from datetime import UTC, datetime

    from offload.manifest import ManifestFile, read_history
    from offload.manifests_writer import LinkState, LinkToRecord
    from support.manifest_records import write_one_destination

    root = tmp_path / "RAID" / "A001"
    root.mkdir(parents=True)
    (root / "clip.mov").write_bytes(b"what is there now")
    os.symlink("clip.mov", root / "link.mov")
    recorded = ManifestFile(
        relative_path="clip.mov",
        size_bytes=17,
        mtime_ns=(root / "clip.mov").stat().st_mtime_ns,
        digests={"xxh64": "0123456789abcdef"},  # what was verified: not what is there now
        hash_date=datetime.now(UTC),
    )
    result = write_one_destination(
        tmp_path, root, root.parent, [recorded], links=(LinkToRecord("link.mov", "clip.mov"),)
    )

    assert result.error is None, result.error
    state, note = result.links["link.mov"]
    assert state is LinkState.LEFT_OUT
    assert "no longer matches" in note and "xxh64 differs" in note
    assert read_history(root).recorded_file_paths() == {"clip.mov"}
