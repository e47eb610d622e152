"""The writer is linear: 20,000 files with two formats take well under a few seconds."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime
from pathlib import Path

import xxhash

from offload.manifest import CreatorInfo, ManifestFile, read_history, write_generation

FILES = 20_000
# A quadratic step over 20,000 files takes minutes; the writer measures ~0.3 s here. The bound
# is on this process's CPU time, not the wall clock: on a loaded 2-core machine the wall clock
# of a linear writer reached 13.7 s (other processes running), its CPU time does not grow so.
BUDGET_S = 8.0


def test_twenty_thousand_files_two_formats(tmp_path: Path) -> None:
    root = tmp_path / "BIGCARD"
    moment = datetime(2024, 1, 1, tzinfo=UTC)
    files = []
    folders = {"DCIM"}
    for index in range(FILES):
        folder = f"DCIM/{index // 200:03d}CANON"
        folders.add(folder)
        data = index.to_bytes(8, "big")
        digests = {"xxh64": xxhash.xxh64(data).hexdigest(), "md5": hashlib.md5(data).hexdigest()}
        files.append(ManifestFile(f"{folder}/IMG_{index:05d}.CR3", 8, 0, digests, moment))
    for folder in folders:
        (root / folder).mkdir(parents=True, exist_ok=True)
    creator = CreatorInfo(tool_version="0", hostname="h")

    started = time.process_time()
    write_generation(root, files, directories=sorted(folders), creator=creator, now=lambda: moment)
    first_s = time.process_time() - started
    started = time.process_time()
    second = write_generation(
        root,
        files,
        directories=sorted(folders),
        creator=creator,
        now=lambda: datetime(2024, 1, 2, tzinfo=UTC),
    )
    second_s = time.process_time() - started  # reads and checks the first generation too

    assert first_s < BUDGET_S and second_s < BUDGET_S, (first_s, second_s)
    history = read_history(root)
    assert len(history.generations[1].files) == FILES
    assert second.stat().st_size > FILES * 300
