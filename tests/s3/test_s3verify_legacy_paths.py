"""``offload verify --mhl-file`` of an S3 copy reads the legacy MHL's paths by the one rule
(``card_legacy_mhl.listed_path``, through ``merge_entries``) when it places the objects the
check needs by their records (``s3verify._recorded``): ``C//f1.mov`` is the object
``C/f1.mov``, an entry above the copy by ``..`` or from a root names no object. A real MHL
file read from a real folder (the check's staged mirror); no server needed for the rule."""

from __future__ import annotations

from pathlib import Path

from offload.destinations.s3verify import _recorded


def test_listed_paths_are_joined_normalized_and_outside_ones_left_out(tmp_path: Path) -> None:
    """Failed before: keys ``C//f1.mov``, ``C/./f2.mov``, ``../x.mov`` and
    ``/Volumes/A001/y.mov`` (``above + entry.path``), never the copy's ``C/f1.mov``."""
    root = tmp_path / "A001"
    root.mkdir()
    rows = "".join(
        f"<hash><file>{path}</file><size>{size}</size><md5>{'0' * 31}{size}</md5></hash>\n"
        for path, size in (
            ("C//f1.mov", 1),
            ("C/./f2.mov", 2),
            ("../x.mov", 3),
            ("/Volumes/A001/y.mov", 4),
        )
    )
    mhl = root / "check.mhl"
    mhl.write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<hashlist version="1.1">\n{rows}</hashlist>\n',
        encoding="utf-8",
    )
    recorded = _recorded(root, mhl)
    assert sorted(recorded) == ["C/f1.mov", "C/f2.mov"], recorded
    assert recorded["C/f1.mov"].size_bytes == 1 and recorded["C/f2.mov"].size_bytes == 2
