"""A copy root holding one clip, ``CLIP``, recorded verified in its real ledger file: the
set-up of the tests of what a ledger revocation keeps and what is said of it."""

from __future__ import annotations

import os
from pathlib import Path

from offload.ledger import Ledger, LedgerEntry, verified_entry

CLIP = "CLIPS/C001.MOV"


def recorded_copy(tmp_path: Path, card: str = "") -> tuple[Ledger, LedgerEntry]:
    """The copy root ``tmp_path/A001`` holding CLIP (10 bytes, dated 20 s), recorded
    verified (xxh64 ``ab``, fingerprint ``f1``, offloaded from *card*) in its ledger: that
    ledger (its ``copy_root`` the root) and the entry."""
    root = tmp_path / "A001"
    (root / "CLIPS").mkdir(parents=True)
    (root / CLIP).write_bytes(b"0123456789")
    os.utime(root / CLIP, ns=(20_000_000_000, 20_000_000_000))
    entry = verified_entry(
        CLIP, size_bytes=10, mtime_ns=20_000_000_000, digests={"xxh64": "ab"}, partial_name="",
        final_name="", verify="full", recorded_at=1.0, card=card, fingerprint="f1",
    )  # fmt: skip
    ledger = Ledger(root, card=card)
    ledger.append([entry])
    return ledger, entry
