"""Is a file worth handing to FFmpeg? A look at its first bytes, before PyAV opens it.

    not_media(path) -> None | str

None when the file starts like a picture or video format FFmpeg reads (ISO BMFF/QuickTime,
MXF, MPEG-TS/PS, Matroska, AVI, DPX, Cineon, OpenEXR, TIFF/DNG, JPEG, PNG, JPEG 2000, Phantom
Cine, RED R3D of the RED ONE (``RED1``), ...), or when its extension names a format without
a signature to check (TGA, DV): then PyAV decides, as before. Otherwise the reason it is not
probed, for the report's row: a camera raw FFmpeg cannot read, named by its signature
(``camera_raw``: a clip all the same), else ``NOT_MEDIA`` (no clip, whatever its name).

    cut_off(path) -> None | CutOff

For a file FFmpeg could not open: an ISO BMFF/QuickTime file (MP4, MOV) whose top-level boxes
hold recorded data (``mdat``) and no index (``moov``, nor the fragments' ``moof``), or whose
last top-level box runs past the end of the file (a ``moov`` at the end cut while it was
written): a camera writes the index last, so this is a recording cut off (a card pulled or
the power lost while recording), not an unknown format.

    index_broken(path) -> bool

For a file FFmpeg found invalid data in: whether it is an ISO BMFF/QuickTime file whose
top-level boxes cannot be walked or hold no index, so not media as it is; anything else
(another format, an index there, a read that failed) may be a variant FFmpeg does not read.

Why: FFmpeg, given a file it does not recognise, tries every demuxer it has and reads up
to its probe size (5 MB) doing so; a card of small files named ``.MP4`` that are not clips
(proxies of another tool, test data, a broken card) cost ~10 ms a file that way, and a
camera raw FFmpeg cannot decode (R3D) costs a 5 MB read from the card for nothing. A header
is a few hundred bytes, and the engine has just read small files through the page cache.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Iterator

# Enough for six transport-stream packets (their sync bytes are the format's only sign).
HEADER_BYTES = 1024
# An MXF file may start with a run-in of up to 64 KiB before its header partition pack.
MXF_RUN_IN = 65_536
MXF_PARTITION_KEY = bytes.fromhex("060e2b34020501010d010201")
# Types of the first box of an ISO base media file (MP4, MOV, 3GP, CRM, BRAW, HEIC, JP2).
ISO_BOXES = frozenset(
    {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"uuid", b"styp", b"moof",
     b"sidx", b"jP  "}
)  # fmt: skip
# Signatures at offset 0 of formats FFmpeg demuxes or decodes.
MAGIC = (
    b"SDPX", b"XPDS",  # DPX (big- and little-endian)
    b"\x80\x2a\x5f\xd7", b"\xd7\x5f\x2a\x80",  # Cineon
    b"\x76\x2f\x31\x01",  # OpenEXR
    b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+",  # TIFF, BigTIFF, DNG
    b"\xff\xd8\xff",  # JPEG
    b"\x89PNG\r\n\x1a\n",  # PNG
    b"\xff\x4f\xff\x51",  # JPEG 2000 codestream (.j2c)
    b"RIFF",  # AVI, WebP, WAV
    b"\x1a\x45\xdf\xa3",  # Matroska, WebM
    b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3",  # MPEG program stream, MPEG video
    b"FLV", b"OggS", b"GIF8",
    # Sound: an audio take is sniffed too (a WAV is RIFF, above), and one FFmpeg reads is no
    # file "named as an audio take, not sound" (``content.not_sound``).
    b"fLaC",  # FLAC
    b"FORM",  # AIFF, AIFF-C (IFF)
    b"ID3",  # MP3 (or another stream) behind an ID3v2 tag
    b"RF64", b"BW64",  # WAV past 4 GiB (EBU RF64, ITU BW64)
)  # fmt: skip
# Camera raw formats FFmpeg cannot read, by their signature: (offset, bytes, name). Their
# files are clips (or frames) all the same, and the report counts them so (``camera_raw``).
# R3D: a block's size, then its type; ``RED1`` (the RED ONE's, which FFmpeg's r3d demuxer
# reads) is in ``_recognised``, ``RED2`` (every RED camera since) is not read by FFmpeg.
# ARRIRAW (.ari, one file a frame): ``ARRI``, then the byte-order mark 0x12345678.
CAMERA_RAW = (
    (4, b"RED2", "RED R3D (REDCODE RAW)"),
    (0, b"ARRI\x12\x34\x56\x78", "ARRIRAW"),
)
# Formats without a signature at a fixed place: FFmpeg decides.
UNCHECKED_EXTENSIONS = frozenset({"tga", "dv", "dif"})


def open_ahead(path: str | Path) -> int | None:
    """A descriptor of *path* for ``not_media(path, descriptor)`` soon after, the kernel
    asked to start reading its first bytes (``POSIX_FADV_WILLNEED``) without waiting for
    them; None when there is nothing to read (an extension not checked) or it cannot be
    opened (``not_media`` then says what it says). The caller hands it to ``not_media``,
    which closes it, or closes it itself.

    Why: a copy the engine has proven has left the page cache, and each sniff is then a
    random read of the disk; a clip's prober that asks for the next clips' headers this
    way has the disk serve them together (docs/performance.md, "The end of a many-file
    run: fifteenth pass")."""
    if os.path.splitext(path)[1][1:].lower() in UNCHECKED_EXTENSIONS:
        return None
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except (OSError, ValueError):
        return None
    try:
        os.posix_fadvise(descriptor, 0, HEADER_BYTES, os.POSIX_FADV_WILLNEED)
    except (OSError, AttributeError):  # AttributeError: no posix_fadvise (macOS)
        pass  # only a hint: the sniff reads it all the same
    return descriptor


def not_media(path: str | Path, descriptor: int | None = None) -> str | None:
    """None if *path* may be a picture or video FFmpeg reads (see the module); else why it
    is not handed to FFmpeg. A file that cannot be read is left to FFmpeg, which says why.
    *descriptor*: *path* opened by ``open_ahead`` (closed here), else it is opened here.

    One ``open``, one ``read`` (two for an MXF file not recognised at once), one ``close``,
    on the bare descriptor: a file object around it cost as much again as the three calls
    on a card of 5,000 small files read from the page cache."""
    extension = os.path.splitext(path)[1][1:].lower()
    if extension in UNCHECKED_EXTENSIONS:
        if descriptor is not None:
            os.close(descriptor)
        return None
    if descriptor is None:
        try:
            descriptor = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except (OSError, ValueError):
            return None
    try:
        header = os.read(descriptor, HEADER_BYTES)
        if not header:
            return "not probed: the file is empty"
        if _recognised(header) or (extension == "mp3" and _mpeg_audio_frame(header)):
            return None
        if extension == "mxf" and MXF_PARTITION_KEY in header + os.read(descriptor, MXF_RUN_IN):
            return None
        for offset, signature, name in CAMERA_RAW:
            if header.startswith(signature, offset):
                return camera_raw(name)
    except OSError:
        return None
    finally:
        os.close(descriptor)
    return NOT_MEDIA


#: Why a file whose first bytes are no format FFmpeg reads is not probed: the report counts
#: a file named as a clip that says so as no clip (``content.not_video``).
NOT_MEDIA = "not probed: its first bytes are no picture or video format FFmpeg reads"


def camera_raw(name: str) -> str:
    """Why a camera raw FFmpeg cannot read (*name*: ``CAMERA_RAW``'s) is not probed: a
    clip without a thumbnail, counted as a clip (it is not ``NOT_MEDIA``)."""
    return f"not probed: {name}, a camera raw FFmpeg cannot read"


# The sizes of a BMP's info header (offset 14), one per version Windows and OS/2 defined.
_BMP_INFO_SIZES = frozenset({12, 16, 40, 52, 56, 64, 108, 124})
_SGI_DIMENSIONS = (b"\x00\x01", b"\x00\x02", b"\x00\x03")  # an SGI image's (big-endian)
_CINE_HEADER_BYTES = 44  # a Phantom Cine file's header (CINEFILEHEADER)


def _mpeg_audio_frame(header: bytes) -> bool:
    """Whether *header* starts with an MPEG audio frame's header (an MP3 without an ID3v2
    tag): 11 bits of sync, a version and a layer that are not the reserved ones. Asked only
    of a file named ``.mp3``: a two-byte signature, 1 file in ~2,700 of any content."""
    return (
        len(header) >= 2
        and header[0] == 0xFF
        and header[1] & 0xE0 == 0xE0
        and header[1] & 0x18 != 0x08  # version: 01 reserved
        and header[1] & 0x06 != 0  # layer: 00 reserved
    )


def _phantom_cine(header: bytes) -> bool:
    """Whether *header*, starting ``CI``, is a Phantom Cine file's header as FFmpeg's cine
    demuxer takes one (little-endian): its header size at least the 44 bytes of the
    header, a compression of 0 to 2 and a version of 0 or 1, at least one image, and the
    offsets of the image header, the setup and the image offsets past the header."""
    if len(header) < 36:
        return False
    size = int.from_bytes(header[2:4], "little")
    offsets = [int.from_bytes(header[at : at + 4], "little") for at in (24, 28, 32)]
    return (
        size >= _CINE_HEADER_BYTES
        and int.from_bytes(header[4:6], "little") <= 2
        and int.from_bytes(header[6:8], "little") <= 1
        and int.from_bytes(header[20:24], "little") > 0
        and all(offset >= size for offset in offsets)
    )


def _recognised(header: bytes) -> bool:
    if header[4:8] in ISO_BOXES or header.startswith(MAGIC) or header[4:8] == b"RED1":
        return True
    if header.startswith(MXF_PARTITION_KEY):
        return True
    # Formats whose signature is two bytes (one file in 65,536 of any content starts so):
    # their next fields too, or a card of unknown files would load FFmpeg for a few of them.
    # SGI: magic 474, storage 0 or 1 (verbatim, RLE), 1 or 2 bytes a channel, 1 to 3
    # dimensions (big-endian).
    if (
        header[:2] == b"\x01\xda"
        and header[2:3] in (b"\x00", b"\x01")
        and header[3:4] in (b"\x01", b"\x02")
        and header[4:6] in _SGI_DIMENSIONS
    ):
        return True
    if header[:2] == b"BM" and int.from_bytes(header[14:18], "little") in _BMP_INFO_SIZES:
        return True
    if header[:2] == b"CI" and _phantom_cine(header):
        return True
    # MPEG transport stream: a sync byte every 188 bytes (M2TS/MTS: 192, after a 4-byte
    # time code), at every packet the header holds; a file shorter than two packets is
    # checked on its first.
    for start, size in ((0, 188), (4, 192)):
        syncs = header[start::size]
        if syncs and syncs.count(0x47) == len(syncs):
            return True
    return False


# A walk of a file's top-level boxes ends after this many (a real clip has a handful).
_MAX_TOP_BOXES = 10_000


class CutOff(NamedTuple):
    """How an ISO BMFF/QuickTime file was cut off (``cut_off``): ``box`` is the type of the
    top-level box that runs past the end of the file (``moov``: the index, cut while it was
    written), with ``missing`` bytes of it not there; or ``box`` is None: recorded data and
    no index at all."""

    box: str | None = None
    missing: int = 0


def cut_off(path: str | Path) -> CutOff | None:
    """How *path* was cut off, if it is an ISO BMFF/QuickTime file whose top-level boxes,
    walked by their size fields from the start (``os.pread`` of each 16-byte header,
    nothing else read), hold an ``mdat`` and neither a ``moov`` nor a ``moof``, or whose
    last box runs past the file's end (the ``moov`` a camera writes last, cut while it was
    written; any box so cut: the file is not whole). None for anything else, a file that
    cannot be read, or a walk that finds a box size that cannot be (smaller than its
    header). Never raises."""
    walked = _top_boxes(path)
    if walked is None:
        return None
    boxes, size = walked
    seen = [kind for kind, _ in boxes]
    if not seen or seen[0] not in ISO_BOXES:
        return None
    if b"mdat" in seen and b"moov" not in seen and b"moof" not in seen:
        return CutOff()
    end = sum(length for _, length in boxes)
    if end > size and len(seen) > 1:  # the last box runs past the end: cut while written
        return CutOff(seen[-1].decode("ascii", "replace"), end - size)
    return None


def recorded_bytes(path: str | Path) -> int:
    """How many bytes of recorded data (the payload of its top-level ``mdat`` boxes, as much
    of them as the file holds) *path* holds, if it is an ISO BMFF/QuickTime file walked as
    ``cut_off`` walks it; 0 for anything else, or a file that cannot be read. What tells a
    file whose index cannot be read from one in which nothing was recorded. Never raises."""
    walked = _top_boxes(path)
    if walked is None or not walked[0] or walked[0][0][0] not in ISO_BOXES:
        return 0
    boxes, size = walked
    total, offset = 0, 0
    for kind, length in boxes:
        if kind == b"mdat":
            total += max(0, min(offset + length, size) - offset - 8)
        offset += length
    return total


def _top_boxes(path: str | Path) -> tuple[list[tuple[bytes, int]], int] | None:
    """The top-level boxes of *path* (type, length as its size field says, a last box
    running to the end of the file measured so), walked from the start by their size
    fields (``os.pread`` of each 16-byte header, nothing else read), and the file's size;
    None for a file that cannot be read, a type that is not ASCII, a box size that cannot
    be (smaller than its header) or more than ``_MAX_TOP_BOXES`` boxes. Never raises."""
    boxes, size, ended = _walk_top(path)
    return (boxes, size) if ended == _WHOLE else None


def index_broken(path: str | Path) -> bool:
    """Whether *path*, a file FFmpeg found invalid data in, is an ISO BMFF/QuickTime file
    (its first box one of ``ISO_BOXES``) whose structure itself is broken: its top-level
    boxes cannot be walked (a type not ASCII, a size that cannot be) or hold no index
    (neither ``moov`` nor ``moof``). What lets the report say it is not readable as media
    (``content.unreadable_as_media``).

    False for anything else: a file of another format (a Phantom Cine, an MXF, a WAV: its
    header is one FFmpeg's probe accepts, and "invalid data" may be a variant its demuxer
    does not read, a 12-bit packed or compressed Cine, a WAV chunk without its pad byte);
    one whose boxes hold an index (what FFmpeg refused is inside it: a ``loci`` box too
    short for its demuxer, say); one walked past ``_MAX_TOP_BOXES``; and one a read of
    which failed (an I/O error is no finding about its bytes: FFmpeg's MOV demuxer ends
    its walk silently on one and then says "moov atom not found"). Never raises."""
    boxes, _, ended = _walk_top(path)
    if ended in (_UNREADABLE, _TOO_MANY) or not boxes or boxes[0][0] not in ISO_BOXES:
        return False
    if ended == _BROKEN:
        return True
    kinds = {kind for kind, _ in boxes}
    return b"moov" not in kinds and b"moof" not in kinds


# How a walk of the top-level boxes ended (``_walk_top``).
_WHOLE, _UNREADABLE, _BROKEN, _TOO_MANY = "whole", "unreadable", "broken", "too many"


def _walk_top(path: str | Path) -> tuple[list[tuple[bytes, int]], int, str]:
    """The top-level boxes of *path* walked as ``_top_boxes`` walks them (those found
    before the walk ended), the file's size (0 if it cannot be opened) and how the walk
    ended: ``_WHOLE``, ``_UNREADABLE`` (a read failed), ``_BROKEN`` (a header cut short,
    a type not ASCII, a size that cannot be) or ``_TOO_MANY`` boxes. Never raises."""
    boxes: list[tuple[bytes, int]] = []
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except (OSError, ValueError):
        return boxes, 0, _UNREADABLE
    size = 0
    try:
        size = os.fstat(descriptor).st_size
        offset = 0
        for _ in range(_MAX_TOP_BOXES):
            if offset >= size:
                break
            header = os.pread(descriptor, 16, offset)
            if len(header) < 8:
                return boxes, size, _BROKEN
            length, kind = int.from_bytes(header[:4], "big"), header[4:8]
            if not kind.isascii():
                return boxes, size, _BROKEN
            if length == 1:  # a 64-bit size follows the type
                if len(header) < 16:
                    return boxes, size, _BROKEN
                length = int.from_bytes(header[8:16], "big")
                if length < 16:
                    return boxes, size, _BROKEN
            elif length == 0:  # the box runs to the end of the file
                length = size - offset
            elif length < 8:
                return boxes, size, _BROKEN
            boxes.append((kind, length))
            offset += length
        else:
            return boxes, size, _TOO_MANY
    except OSError:
        return boxes, size, _UNREADABLE
    finally:
        os.close(descriptor)
    return boxes, size, _WHOLE


# The index (``moov``) of a clip of hours is a few MB; one larger is not read for a label.
_MAX_INDEX_BYTES = 64 << 20
# Box headers read in all to find a clip's sample description: a real index has a few
# dozen boxes on the way (tracks, their media, sample tables); a file of millions of empty
# boxes (a hostile or broken one) is given up on, not walked.
_MAX_INDEX_BOXES = 4096
# Boxes on the way from ``moov`` to a track's sample descriptions.
_TO_STSD = (b"trak", b"mdia", b"minf", b"stbl", b"stsd")


class SampleEntry(NamedTuple):
    """A QuickTime/ISO BMFF video track's first sample description (``video_sample_entry``):
    its codec tag (``brxq``, ``CRAW``) and the picture's size as the track states it."""

    tag: str
    width: int
    height: int


class _Index:
    """Box headers of one open file read with ``os.pread`` (8 bytes each, never a box's
    body), at most ``_MAX_INDEX_BOXES`` of them over the whole walk: then ``spent``."""

    def __init__(self, descriptor: int) -> None:
        self.descriptor = descriptor
        self.left = _MAX_INDEX_BOXES
        self.spent = False

    def read(self, offset: int, count: int) -> bytes:
        return os.pread(self.descriptor, count, offset)

    def children(self, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
        """The boxes in [*start*, *end*) of the file, each as (its type, the offset of its
        body, its end), one header read per box as it is asked for; a box whose size
        cannot be ends them, and so does the walk's budget running out."""
        while start + 8 <= end:
            if self.left <= 0:
                self.spent = True
                return
            self.left -= 1
            header = self.read(start, 8)
            if len(header) < 8:
                return
            length = int.from_bytes(header[:4], "big")
            if length < 8 or start + length > end:
                return
            yield header[4:8], start + 8, start + length
            start += length

    def descend(self, box: tuple[int, int], path: tuple[bytes, ...]) -> tuple[int, int] | None:
        """The (body offset, end) of the box at *path* below the body *box*; None if one
        on the way is missing."""
        for kind in path:
            for child, body, end in self.children(*box):
                if child == kind:
                    box = (body, end)
                    break
            else:
                return None
        return box


def video_sample_entry(path: str | Path) -> SampleEntry | None:
    """The first video track's sample description of an ISO BMFF/QuickTime *path*, read
    from its index (the top-level ``moov``, up to 64 MiB; only box headers are read, at most
    ``_MAX_INDEX_BOXES`` of them, and the sample description itself): what a clip whose
    codec FFmpeg has no decoder for (Blackmagic RAW, Canon Cinema RAW Light) states, which
    PyAV gives no access to without one. None for anything else, a file that cannot be
    read, or an index with more boxes than that before its video track's. Never raises."""
    walked = _top_boxes(path)
    if walked is None or not walked[0] or walked[0][0][0] not in ISO_BOXES:
        return None
    offset = 0
    for kind, length in walked[0]:
        if kind == b"moov":
            break
        offset += length
    else:
        return None
    if length > _MAX_INDEX_BYTES:
        return None
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except (OSError, ValueError):
        return None
    try:
        return _first_video_entry(_Index(descriptor), (offset + 8, offset + length))
    except OSError:
        return None
    finally:
        os.close(descriptor)


def _first_video_entry(index: _Index, moov: tuple[int, int]) -> SampleEntry | None:
    """``video_sample_entry`` of the ``moov`` body *moov* of *index*'s file."""
    for kind, body, end in index.children(*moov):
        if kind != b"trak" or _handler(index, (body, end)) != b"vide":
            continue
        found = index.descend((body, end), _TO_STSD[1:])
        if found is None:
            return None
        start = found[0] + 8  # after its version, flags and entry count
        entry = index.read(start, 36) if start + 36 <= found[1] else b""
        if len(entry) < 36:
            return None
        tag = entry[4:8].decode("latin-1")
        width = int.from_bytes(entry[32:34], "big")
        height = int.from_bytes(entry[34:36], "big")
        return SampleEntry(tag, width, height)
    return None


def _handler(index: _Index, trak: tuple[int, int]) -> bytes | None:
    """A track's handler type (``vide``, ``soun``), from its ``mdia/hdlr``."""
    hdlr = index.descend(trak, (b"mdia", b"hdlr"))
    if hdlr is None or hdlr[0] + 12 > hdlr[1]:
        return None
    return index.read(hdlr[0] + 8, 4)  # after version, flags and pre_defined
