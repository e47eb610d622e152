"""A card file's fingerprint (``offload.fingerprint``): the same value from the whole file in
memory (a packed small file), from its pieces as the reader streams them, and from the two
reads a re-run makes of the file on disk; it covers the first and last 64 KiB and nothing
between them."""

from __future__ import annotations

import os
import threading
import time
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


def _card(tmp_path: Path, count: int) -> list[fingerprint.Wanted]:
    """*count* files of distinct content and sizes around the whole-file limit."""
    files = []
    for position in range(count):
        path = tmp_path / f"C{position:04d}.ARW"
        size = (position * 7919) % (3 * SAMPLE)
        path.write_bytes(_content(size))
        files.append(fingerprint.Wanted(position, str(path), size))
    return files


@pytest.mark.parametrize(("readers", "batch", "ahead"), [(3, 4, 10), (1, 1, 1), (8, 8, 64)])
def test_read_ahead_gives_each_file_asked_for_its_own_fingerprint_read_now(
    tmp_path: Path, readers: int, batch: int, ahead: int
) -> None:
    """Files named ahead and asked for, named and never asked for (a window moved past
    them, a whole batch skipped), asked for and never named, or named under another path:
    each answer is that path's fingerprint as the file is when asked."""
    files = _card(tmp_path, 150)
    skipped = {3, 4, 40, 41, 42, 43, 44, 45, 46, 47, 48, 149}  # named, never asked for
    unnamed = {0, 5, 90}  # asked for, never named
    wanted = [f for f in files if f.position not in unnamed]
    # Named with one path, asked for with another of the same size: the asked one is read.
    other = tmp_path / "other"
    other.write_bytes(_content(files[60].size_bytes))
    with fingerprint.ReadAhead(wanted, readers=readers, batch=batch, ahead=ahead) as ahead_:
        for file in files:
            if file.position in skipped:
                continue
            path = str(other) if file.position == 60 else file.path
            got = ahead_.sample(file.position, path, file.size_bytes)
            assert got == fingerprint.read(path, file.size_bytes), file.position
            assert got == fingerprint.of_bytes(Path(path).read_bytes()), file.position
    assert not [t for t in threading.enumerate() if t.name.startswith("offload-fingerprint")]


def test_read_ahead_of_a_file_gone_or_unreadable_gives_nothing(tmp_path: Path) -> None:
    """ "": matches no fingerprint (the file's own read then says what failed)."""
    files = _card(tmp_path, 20)
    os.unlink(files[7].path)
    with fingerprint.ReadAhead(files, readers=2, batch=3, ahead=6) as ahead:
        got = [ahead.sample(*file) for file in files]
    assert got[7] == ""
    assert all(got[:7]) and all(got[8:])


def test_read_ahead_closed_early_drops_its_reads_and_ends_its_threads(tmp_path: Path) -> None:
    files = _card(tmp_path, 100)
    ahead = fingerprint.ReadAhead(iter(files), readers=4, batch=2, ahead=16)
    assert ahead.sample(*files[0]) == fingerprint.read(files[0].path, files[0].size_bytes)
    ahead.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("offload-fingerprint")]
    # Asked again after close: read on the asking thread, never from a dropped read.
    assert ahead.sample(*files[50]) == fingerprint.read(files[50].path, files[50].size_bytes)


def test_read_ahead_closed_while_a_batch_is_read_stops_after_the_file_being_read(
    tmp_path: Path,
) -> None:
    """A read that blocks (a dying card; here a FIFO no one writes to) holds ``close``
    only for itself, never for the rest of its batch. Failed before: the reader went on to
    the next file of its batch (another blocked FIFO) and ``close`` never returned."""
    fifos = [tmp_path / "first", tmp_path / "second"]
    for fifo in fifos:
        os.mkfifo(fifo)
    files = [fingerprint.Wanted(i, str(fifo), 10) for i, fifo in enumerate(fifos)]
    ahead = fingerprint.ReadAhead(files, readers=1, batch=2, ahead=2)
    ahead._fill(0)  # the reader opens the first FIFO and waits there for a writer
    closer = threading.Thread(target=ahead.close)
    closer.start()
    while not ahead._closing:
        time.sleep(0.001)
    os.close(os.open(fifos[0], os.O_WRONLY))  # the first read ends (nothing written)
    closer.join(timeout=5)
    try:
        assert not closer.is_alive()
    finally:
        if closer.is_alive():  # let the reader out of the second FIFO, then end
            os.close(os.open(fifos[1], os.O_WRONLY))
            closer.join()
