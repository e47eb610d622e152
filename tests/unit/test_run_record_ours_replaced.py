"""``offload verify``'s ``INCOMPLETE`` advice for files refused for a file in the way, where
some were refused for an object of ours another writer replaced (``ours_replaced``): it
names ``--overwrite`` for them (which replaces it once the new copy is verified), never
``--keep-both`` alone; the others keep ``--keep-both`` first. A record without the key (an
older version's) reads as before. Real files in a real folder; the run against a real S3
server is tests/s3/test_s3_ours_replaced.py."""

from __future__ import annotations

import json
from pathlib import Path

from offload import run_record

CARD = "/cards/A001"
OURS = "CLIPS/C001.mov"
OTHER = "CLIPS/C002.mov"


def _settled(tmp_path: Path, refused: list[str], replaced: list[str]) -> Path:
    root = tmp_path / "RAID"
    (root / ".offload").mkdir(parents=True)
    run_record.mark_started([root], "run1", 1.0, source=CARD)
    assert (
        run_record.settle(
            root,
            "run1",
            1.0,
            run_record.FAILED,
            source=CARD,
            failed=refused,
            in_the_way=refused,
            ours_replaced=replaced,
        )
        is None
    )
    return root


def test_every_file_refused_an_object_of_ours_replaced(tmp_path: Path) -> None:
    said = run_record.unfinished(_settled(tmp_path, [OURS], [OURS])) or ""
    assert "again with --overwrite, which replaces the file in the way (at a name" in said, said
    assert said.index("--overwrite") < said.index("--keep-both"), said
    assert "the card's name still holds the other bytes" in said, said


def test_some_refused_an_object_of_ours_replaced(tmp_path: Path) -> None:
    said = run_record.unfinished(_settled(tmp_path, [OURS, OTHER], [OURS])) or ""
    assert "again with --keep-both, which keeps the file in the way beside" in said, said
    assert (
        "; for 1 card file at a name this copy root's ledger recorded as the card's copy, "
        f"written over since by another writer ({OURS}), --overwrite replaces it" in said
    ), said


def test_none_replaced_and_an_older_record_read_as_before(tmp_path: Path) -> None:
    root = _settled(tmp_path, [OURS], [])
    record = json.loads(run_record.record_path(root).read_text())
    assert "ours_replaced" not in record["cards"][0]  # written only where there is one
    said = run_record.unfinished(root) or ""
    assert "again with --keep-both, which keeps the file in the way" in said, said
    assert "--overwrite" not in said, said
