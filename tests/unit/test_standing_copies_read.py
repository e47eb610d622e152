"""``card._standing_copies`` (which failed card files still have a copy standing in the copy
root, by its ledger) takes only an OSError from the ledger's read: a line that is no entry
(torn, not JSON, JSON of another shape, a newer version's key, bytes that are not UTF-8, a
key of another type than an entry's, brackets nested too deep to parse) is skipped by the
read itself (``ledger.entry_of``), never raised (the ``except ValueError`` beside it, which
nothing could raise, was removed: fortieth pass). Real files, a ledger as ``Ledger`` writes
lines. The lines of another type and nested too deep raised before the review of that pass
(TypeError, RecursionError)."""

from __future__ import annotations

from pathlib import Path

from offload.card import _standing_copies
from offload.ledger import entry_line, ledger_path, verified_entry


def _line(name: str, size: int) -> bytes:
    entry = verified_entry(
        name,
        size_bytes=size,
        mtime_ns=1,
        digests={"xxh64": "ab"},
        partial_name=".offload-partial.d9a0340." + name.rsplit("/", 1)[-1],
        final_name=name.rsplit("/", 1)[-1],
        verify="full",
    )
    return (entry_line(entry) + "\n").encode()


def test_lines_that_are_no_entry_are_skipped_never_raised(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "CLIPS").mkdir(parents=True)
    (root / "CLIPS" / "A.mov").write_bytes(b"a" * 10)
    (root / "CLIPS" / "B.mov").write_bytes(b"b" * 5)  # not the size its entry records
    ledger = ledger_path(root)
    ledger.parent.mkdir()
    ledger.write_bytes(
        b"not json\n"
        + _line("CLIPS/A.mov", 10)
        + b"[1, 2]\n"
        + b'"text"\n'
        + b'{"relative_path": "CLIPS/A.mov", "a_newer_key": 1}\n'
        + b'{"relative_path": ["CLIPS/A.mov"], "state": "verified"}\n'
        + b'{"relative_path": "CLIPS/A.mov", "state": "verified", "size_bytes": "10"}\n'
        + b'{"relative_path": "CLIPS/A.mov", "state": "verified", "digests": {"xxh64": 1}}\n'
        + b"[" * 100_000
        + b"\n"
        + b'{"relative_path": "CLIPS/\xff\xfe.mov", "state": \n'
        + _line("CLIPS/B.mov", 10)
        + b'{"relative_path": "CLIPS/C.mov", "sta'  # torn: a run stopped writing it
    )
    # Each card file with its digests as this run read it: none here (not read), so the
    # entries are judged by their own record alone.
    paths: dict[str, dict[str, str]] = {
        p: {} for p in ("CLIPS/A.mov", "CLIPS/B.mov", "CLIPS/C.mov")
    }
    assert _standing_copies(root, paths) == {"CLIPS/A.mov"}
    # A ledger that cannot be read vouches for none.
    ledger.unlink()
    ledger.mkdir()
    assert _standing_copies(root, paths) == set()
