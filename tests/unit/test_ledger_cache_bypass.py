"""The ledger records a read-back through a cache, in a key older versions skip (ledger.py)."""

from __future__ import annotations

import json
from pathlib import Path

from offload.ledger import Ledger, LedgerEntry, verified_entry


def _entry(path: str, bypass: str) -> LedgerEntry:
    return verified_entry(
        path, size_bytes=1, mtime_ns=2, digests={"xxh64": "00"}, partial_name="",
        final_name="", verify="destination", cache_bypass=bypass,
    )  # fmt: skip


def test_only_a_read_back_through_a_cache_is_recorded_and_it_loads_back(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    ledger.append([_entry("a", "o_direct"), _entry("b", "none"), _entry("c", "device")])
    lines = [json.loads(line) for line in ledger.path.read_text().splitlines()]
    # A read-back that read the media writes the line every version reads.
    assert ["cache_bypass" in line for line in lines] == [False, True, False]
    assert lines[1]["cache_bypass"] == "none"
    loaded = ledger.load()
    assert {path: entry.cache_bypass for path, entry in loaded.items()} == {
        "a": "", "b": "none", "c": "",
    }  # fmt: skip


def test_a_line_with_a_key_this_version_does_not_know_is_skipped(tmp_path: Path) -> None:
    """The compatibility rule older versions apply to ``cache_bypass``: the previous line of
    the path stands (here: none, so the copy is read back, never trusted)."""
    ledger = Ledger(tmp_path)
    ledger.append([_entry("a", "")])
    with open(ledger.path, "a") as handle:
        line = json.loads(ledger.path.read_text())
        handle.write(json.dumps({**line, "recorded_at": 9.0, "from_a_newer_version": 1}) + "\n")
    assert ledger.load()["a"].recorded_at != 9.0
