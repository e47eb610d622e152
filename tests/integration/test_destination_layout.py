"""How a batch of small files lands on a real ext4 filesystem (a loop device): the writer
lets each partial's descriptor go before the batch's syncfs, so ext4 lays the files out
end to end, and the disk gets long merged writes instead of one request a file.

Why it matters (docs/performance.md, "The small-file card: fifth pass"): ext4 allocates a
delayed-allocation file's blocks when it writes it back, and gives a file still open for
writing a preallocation rounded up (a 100,000-byte file took 32 blocks for its 25), so
consecutive small files were never adjacent and each was its own write request.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from offload.engine.job import CopyJob
from offload.engine.messages import FileTask
from offload.model import SourceFile
from offload.options import CopyOptions, VerifyMode
from offload.results import DestinationStatus
from support import mounts

MIB = 1024 * 1024
FILES = 48
SIZE = 100_000  # 24.4 blocks of 4 KiB: an open file's preallocation rounds it up to 32


def _card(root: Path) -> list[SourceFile]:
    card = root / "CARD"
    card.mkdir(parents=True)
    sources = []
    for index in range(FILES):
        path = card / f"C{index:04d}.MP4"
        path.write_bytes(os.urandom(SIZE))
        st = path.stat()
        sources.append(
            SourceFile(
                path=path,
                relative_path=path.name,
                size_bytes=st.st_size,
                mtime_ns=st.st_mtime_ns,
            )
        )
    return sources


def test_a_batch_of_small_files_is_laid_out_end_to_end(
    tmp_path: Path, ext4_loop: Callable[..., mounts.Ext4Loop]
) -> None:
    """Every file of the batch but its first (which keeps its descriptor for the batch's
    syncfs) starts on the block right after another one's last: written back closed, each
    got exactly its blocks. Before, every file sat 7 blocks past the previous one's end."""
    sources = _card(tmp_path)
    disk = ext4_loop(64 * MIB)
    dest = disk.path / "CARD"
    tasks = [FileTask(source=s, targets=(str(dest / s.relative_path),)) for s in sources]
    options = CopyOptions(verify=VerifyMode.TRANSFER)
    assert options.batch_files > FILES  # one batch
    report = CopyJob(tasks, [disk.path], options).run()
    assert [d.status for f in report.files for d in f.destinations] == [
        DestinationStatus.TRANSFER_CHECKED
    ] * FILES
    spans = []
    for source in sources:
        (extent,) = mounts.file_extents(dest / source.relative_path)
        spans.append((extent.physical, extent.physical + extent.length))
    spans.sort()
    ends = {end for _start, end in spans}
    block = os.statvfs(disk.path).f_frsize
    # Allocated in whole blocks: a file's last block is padded out to the block size.
    padded = {-(-end // block) * block for end in ends}
    adjacent = sum(1 for start, _end in spans if start in padded)
    # Allowed apart: the batch's first file, and a few where the free space ends (a block
    # group's metadata).
    assert adjacent >= FILES * 3 // 4, f"{adjacent} of {FILES} files follow another one: {spans}"
