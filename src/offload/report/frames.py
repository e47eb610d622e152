"""Are a sequence's frames whole? A DPX or Cineon frame's header states the size of its file.

    check_headers(clips, locate) -> None

Grouping (``clips._frame_sizes``) flags the empty frames (0 bytes) of every sequence and
notes the frames of a DPX or Cineon sequence whose size is not the sequence's usual one
(``Clip.odd_frames``): uncompressed frames of one sequence are all one size. Here each
such frame's header is read (its first 24 bytes, one ``pread``): a file shorter than the
size its header states was cut off (``Clip.bad_frames``: "truncated"); one of the size it
states is whole (more user data, another resolution) and says nothing. A sequence of
frames all one size reads nothing.

Why not the size alone: a frame may differ in size and be whole (a DPX's user data), and a
report must not cry wolf; why not every frame: a card of 50,000 frames of one size needs
no read at all, and a frame that differs is rare.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Literal

from offload.report.clips import Clip

# Where each format's header states its file's size (big-endian magic; the little-endian
# magic swaps the field too): DPX (SMPTE 268M) offset 16; Cineon offset 20.
_SIZE_FIELD: dict[bytes, tuple[int, Literal["big", "little"]]] = {
    b"SDPX": (16, "big"),
    b"XPDS": (16, "little"),
    b"\x80\x2a\x5f\xd7": (20, "big"),
    b"\xd7\x5f\x2a\x80": (20, "little"),
}
# No DPX or Cineon header is shorter (DPX: 2,048 bytes at least; Cineon: 1,024): a smaller
# field is no size, and a smaller frame was cut off inside its header.
_HEADER_MIN = 1024
# Headers read per report at most: a sequence of frames of many sizes (another writer's
# padding) is not read whole.
MAX_READS = 2000


def check_headers(clips: list[Clip], locate: Callable[[Clip], Path | None]) -> None:
    """Add to each sequence's ``bad_frames`` its odd-sized frames (``Clip.odd_frames``)
    whose file is shorter than its header states, read from where *locate* finds them (a
    verified copy, else the card). A frame that cannot be read, or whose header states no
    size, is not flagged: nothing is said that was not seen. Never raises."""
    reads = 0
    for clip in clips:
        if not clip.odd_frames:
            continue
        found: list[tuple[int, str]] = []
        for number, entry in clip.odd_frames:
            if reads >= MAX_READS:
                break
            size = int(entry.get("size_bytes") or 0)
            if size < _HEADER_MIN:  # shorter than any header of its format: nothing to read
                found.append((number, f"truncated: {size:,} bytes, less than its header"))
                continue
            reads += 1
            path = locate(replace(clip, primary=entry))
            stated = _stated_size(path) if path is not None else None
            if stated is not None and size < stated:
                found.append(
                    (number, f"truncated: {size:,} of the {stated:,} bytes its header states")
                )
        if found:
            clip.bad_frames = sorted([*clip.bad_frames, *found])


def _stated_size(path: Path) -> int | None:
    """The file size a DPX or Cineon header states, None if it states none."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except (OSError, ValueError):
        return None
    try:
        header = os.pread(descriptor, 24, 0)
    except OSError:
        return None
    finally:
        os.close(descriptor)
    field = _SIZE_FIELD.get(header[:4])
    if field is None or len(header) < field[0] + 4:
        return None
    offset, order = field
    stated = int.from_bytes(header[offset : offset + 4], order)
    return stated if stated >= _HEADER_MIN else None
