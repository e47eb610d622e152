"""The engine's buffers are private anonymous memory, not shared (shmem), whose first touch
of a page cost ~40 % more (docs/performance.md, "Fixed cost: fifteenth pass"). Read from
the kernel's own account of this process's mappings (``/proc/self/smaps``): Linux only."""

from __future__ import annotations

import ctypes
import sys
import threading
from pathlib import Path

import pytest

from offload.engine.buffers import ChunkPool
from offload.engine.cancel import CancelToken
from offload.fs.direct import AlignedBuffer

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/smaps")

MIB = 1024 * 1024


def address_of(view: memoryview) -> int:
    holder = ctypes.c_char.from_buffer(view)
    try:
        return ctypes.addressof(holder)
    finally:
        del holder  # its export would keep the mapping from closing


def permissions_of(address: int) -> str:
    """The permissions (``rw-p``: private, ``rw-s``: shared) of the mapping holding
    *address*."""
    for line in Path("/proc/self/maps").read_text().splitlines():
        span, permissions = line.split()[:2]
        start, end = (int(x, 16) for x in span.split("-"))
        if start <= address < end:
            return permissions
    raise AssertionError(f"no mapping holds {address:#x}")


def test_a_buffer_is_private_memory() -> None:
    buffer = AlignedBuffer(4 * MIB)
    try:
        buffer.view[:] = b"\1" * len(buffer.view)
        assert permissions_of(address_of(buffer.view)) == "rw-p"
        assert address_of(buffer.view) % 4096 == 0  # page-aligned, as O_DIRECT needs
    finally:
        buffer.close()


def test_a_pools_chunks_are_private_memory() -> None:
    pool = ChunkPool(count=3, chunk_size=MIB)
    chunks = [pool.acquire(CancelToken()) for _ in range(3)]
    assert {permissions_of(address_of(chunk.writable)) for chunk in chunks} == {"rw-p"}
    for chunk in chunks:
        chunk.hand_out(0)
    pool.close()


def test_a_pool_hands_out_the_buffer_given_back_last() -> None:
    """A buffer's pages are backed by memory at their first write: a pool that keeps
    handing out the buffer just given back touches one buffer's pages where a job needs
    one at a time, not every buffer of the pool once (first in, first out: a 200-file card
    faulted in 20 of the small files' 48 buffers; docs/performance.md, "Fixed cost:
    eighteenth pass"). Twenty fills, each given back before the next: one buffer used."""
    pool = ChunkPool(count=48, chunk_size=MIB)
    used = set()
    for _ in range(20):
        chunk = pool.acquire(CancelToken())
        chunk.writable[:] = b"\1" * MIB
        used.add(address_of(chunk.writable))
        chunk.hand_out(0)
    assert len(used) == 1
    held = [pool.acquire(CancelToken()) for _ in range(3)]  # then the others, one by one
    assert len({address_of(chunk.writable) for chunk in held} | used) == 3
    for chunk in held:
        chunk.hand_out(0)
    assert pool.close() is None


def test_the_pool_says_only_the_waits_it_makes() -> None:
    """``acquire``'s *on_wait* hears True before it blocks and False once a buffer came back
    (the live view's ``SourceWaiting``), and nothing where a buffer was free."""
    pool = ChunkPool(count=1, chunk_size=4096)
    said: list[bool] = []
    first = pool.acquire(CancelToken(), said.append)
    assert said == []
    threading.Timer(0.2, pool.give_back, (first,)).start()
    second = pool.acquire(CancelToken(), said.append)
    assert said == [True, False]
    pool.give_back(second)
