"""The engine's buffers are private memory advised for huge pages, and a chunk pool is one
mapping: a fresh buffer's first touch then costs a fault per 2 MiB, not per 4 KiB page
(docs/performance.md, "Fixed cost: fifteenth pass"). Read from the kernel's own account of
this process's mappings (``/proc/self/smaps``): Linux only."""

from __future__ import annotations

import ctypes
import itertools
import sys
from pathlib import Path

import pytest

from offload.engine.buffers import ChunkPool
from offload.engine.cancel import CancelToken
from offload.fs.direct import PAGE_SIZE, AlignedBuffer

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/smaps")

MIB = 1024 * 1024
# The kernel was built with transparent huge pages (its ``madvise`` then marks the mapping).
THP = Path("/sys/kernel/mm/transparent_hugepage/enabled").exists()


def address_of(view: memoryview) -> int:
    holder = ctypes.c_char.from_buffer(view)
    try:
        return ctypes.addressof(holder)
    finally:
        del holder  # its export would keep the mapping from closing


def mapping_of(address: int) -> tuple[int, int, str, set[str]]:
    """(start, end, permissions, VmFlags) of the mapping holding *address*."""
    found: tuple[int, int, str] | None = None
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split()
        if "-" in head[0] and len(head) >= 5 and not head[0].endswith(":"):
            start, end = (int(x, 16) for x in head[0].split("-"))
            found = (start, end, head[1]) if start <= address < end else None
        elif found is not None and line.startswith("VmFlags:"):
            return (*found, set(head[1:]))
    raise AssertionError(f"no mapping holds {address:#x}")


def test_a_buffer_is_private_memory_advised_for_huge_pages() -> None:
    buffer = AlignedBuffer(4 * MIB)
    try:
        buffer.view[:] = b"\1" * len(buffer.view)  # touched: the kernel's account is made
        start, end, permissions, flags = mapping_of(address_of(buffer.view))
        assert permissions == "rw-p", "shared anonymous memory (shmem) gets no huge pages"
        assert end - start >= 4 * MIB
        if THP:
            assert "hg" in flags, flags  # MADV_HUGEPAGE
    finally:
        buffer.close()


def test_a_pools_chunks_are_consecutive_parts_of_one_mapping() -> None:
    size = MIB + 1  # not a whole number of pages: each chunk takes whole pages, as before
    pool = ChunkPool(count=4, chunk_size=size)
    cancel = CancelToken()
    chunks = [pool.acquire(cancel) for _ in range(4)]
    step = -(-size // PAGE_SIZE) * PAGE_SIZE
    addresses = sorted(address_of(chunk.writable) for chunk in chunks)
    assert [b - a for a, b in itertools.pairwise(addresses)] == [step] * 3
    assert all(len(chunk.writable) == step for chunk in chunks)
    start, end, permissions, flags = mapping_of(addresses[0])
    assert start <= addresses[-1] and addresses[-1] + step <= end
    assert permissions == "rw-p"
    if THP:
        assert "hg" in flags, flags
    for chunk in chunks:
        chunk.writable[:3] = b"abc"
        chunk.hand_out(0)
    pool.close()  # every view of the mapping released: it closes
