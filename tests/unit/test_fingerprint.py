"""A card file's fingerprint (``offload.fingerprint``): the same value from the whole file in
memory (a packed small file), from its pieces as the reader streams them, and from the two
reads a re-run makes of the file on disk; it covers the first and last 64 KiB and nothing
between them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import xxhash

from offload import fingerprint
from offload.fingerprint import SAMPLE

_SIZES = (0, 1, SAMPLE - 1, SAMPLE, SAMPLE + 1, 2 * SAMPLE, 2 * SAMPLE + 1, 3 * SAMPLE + 7)


def _content(size: int) -> bytes:
    return os.urandom(size)


@pytest.mark.parametrize("size", _SIZES)
@pytest.mark.parametrize("piece", [1000, SAMPLE, 3 * SAMPLE])
def test_pieces_in_order_the_whole_file_and_a_read_of_it_agree(
    tmp_path: Path, size: int, piece: int
) -> None:
    data = _content(size)
    sampler = fingerprint.Sampler(size)
    for offset in range(0, size, piece):
        sampler.take(offset, memoryview(data)[offset : offset + piece])
    path = tmp_path / "clip"
    path.write_bytes(data)
    whole = fingerprint.of_bytes(data)
    assert sampler.hexdigest() == whole == fingerprint.read(str(path), size)
    head, tail = data[:SAMPLE], data[max(SAMPLE, size - SAMPLE) :]
    assert whole == xxhash.xxh3_128_hexdigest(head + tail)


def test_the_first_and_last_64_kib_count_and_the_middle_does_not() -> None:
    size = 4 * SAMPLE
    data = bytearray(_content(size))
    before = fingerprint.of_bytes(data)
    cases = [(0, True), (SAMPLE - 1, True), (SAMPLE, False), (size - SAMPLE - 1, False)]
    cases += [(size - SAMPLE, True), (size - 1, True)]
    for where, counts in cases:
        changed = bytearray(data)
        changed[where] ^= 0xFF
        assert (fingerprint.of_bytes(changed) != before) is counts, where


def test_a_file_shorter_than_scanned_reads_as_what_it_holds(tmp_path: Path) -> None:
    path = tmp_path / "clip"
    data = _content(3 * SAMPLE)
    path.write_bytes(data[:-10])
    assert fingerprint.read(str(path), len(data)) != fingerprint.of_bytes(data)
    with pytest.raises(OSError):
        fingerprint.read(str(tmp_path / "gone"), 5)
