"""Clip metadata and a thumbnail per clip, read with PyAV (FFmpeg bundled in the wheel).

PyAV is the optional extra ``offload-ai[media]``; without it ``media_available()`` is false
and the reports list clips without thumbnails and say so. Probing runs after the copies are
verified (never on the copy's critical path), reads each clip at most once (open, seek to the
middle, decode one frame), and is bounded in time twice (``ProbeBudget``):

* ``per_clip_s`` (default 2 s): decoding stops at the first frame at or past the middle, or
  when the clip's budget is spent (the last decoded frame is used, if any);
* ``max_clips`` (default 1,000): at most this many files are handed to FFmpeg, in the
  report's order; the clips after these are not looked at. A file the first-bytes check
  (``sniff``) refuses uses none of it: 1,100 files named ``.MP4`` that are no video left a
  sequence after them unprobed;
* ``total_s`` (default 20 s): probing runs on a daemon thread; when the total budget is spent
  the report is written with what was probed, and the rest is listed without thumbnails
  ("not probed: time budget spent"). A read that hangs (a dying card) cannot hold the report
  back longer than that.

A file whose first bytes are no picture or video format FFmpeg reads (``sniff``: R3D,
random bytes) is not opened with FFmpeg at all; it, and a file FFmpeg cannot open or decode
(BRAW, a truncated clip), gets ``error`` and no thumbnail; nothing here raises.

An audio take recorded one file a track is described whole: its files, their sample rates
and their channels summed ("3 files, 48 kHz, 4 ch"), not its first file's alone; a clip's
several audio tracks likewise ("4 tracks, 48 kHz, 4 ch (1 ch each)"). Sample rates are
written by one formatter (``khz``: 44.1 kHz, never "44 kHz").

A clip's header is not taken on trust where it can be checked cheaply (``_check_end``): a
QuickTime/MP4 whose sample index points past the end of the file, or an MXF whose last
second cannot be read, was cut off (a card pulled while recording): ``damage`` says so and
how much data there is, and the thumbnail comes from the middle of the data that is there.
A spanned clip (GoPro chapters, Canon XF, XDCAM EX, RED) is described whole: every span's
header is read and the durations and frame counts are summed (``_add_spans``). A picture
the file asks to be turned (a display matrix: a phone held upright) is turned in the
thumbnail, and ``rotation`` says by how much.
"""

from __future__ import annotations

import importlib.util
import io
import os
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from offload.report.clips import Clip, FileEntry, p2_audio
from offload.report.sniff import (
    cut_off,
    index_broken,
    not_media,
    open_ahead,
    recorded_bytes,
    video_sample_entry,
)

CODEC_NAMES = {
    "h264": "H.264",
    "hevc": "HEVC/H.265",
    "prores": "Apple ProRes",
    "mpeg2video": "MPEG-2",
    "dnxhd": "Avid DNx",
    "dpx": "DPX",
    "exr": "OpenEXR",
    "tiff": "TIFF",
    "mjpeg": "Motion JPEG",
    "jpeg2000": "JPEG 2000",
    "av1": "AV1",
    "vp9": "VP9",
    "cfhd": "CineForm",
    "dvvideo": "DV",
    "png": "PNG",
    "cinepak": "Cinepak",
}


@dataclass(frozen=True)
class ProbeBudget:
    total_s: float = 20.0
    per_clip_s: float = 2.0
    # Clips, sequences and takes handed to FFmpeg, in the report's order (those the header
    # sniff refuses do not count): within 20 s a card yields a few hundred thumbnails, and
    # past 1,000 clips the report folds those without one (content.MAX_CLIP_ROWS).
    max_clips: int = 1000
    # Clips, sequences and takes looked at in all, those the sniff refuses too (located
    # and sniffed: ~14 µs of CPU each from the cache, where a copy just written or read
    # back is; ~0.2-0.4 ms each cold, on a re-run whose copies left the cache): on a card
    # of 50,000 files named .MP4 that are no video, looking at all of them took ~1 s, at
    # the first 1,000 ~0.03 s.
    max_looked_at: int = 5000
    thumbnail_width: int = 160
    jpeg_quality: int = 70


# Clips located and opened ahead of the one probed, their headers asked of the disk
# (``sniff.open_ahead``): cold, 5,000 sniffs one at a time held the end of a 50,000-file
# run 0.3-2 s (docs/performance.md, "The end of a many-file run: fifteenth pass").
SNIFFS_AHEAD = 16


@dataclass
class MediaInfo:
    codec: str | None = None
    width: int | None = None
    height: int | None = None
    frame_rate: str | None = None
    duration_s: float | None = None
    frames: int | None = None
    timecode: str | None = None
    audio: str | None = None
    thumbnail: bytes | None = None  # JPEG
    read_from: str | None = None  # the path that was read
    error: str | None = None
    # Degrees the picture is turned for display, counter-clockwise as FFmpeg's display
    # matrix says, 0-359 (270: a quarter turn clockwise, ffprobe's "rotation=-90"); width
    # and height stay the stored ones.
    rotation: int = 0
    # The file holds less than its header says (cut off while recording, damaged): a
    # sentence for the clip's row and the report's warnings. The header's duration and
    # frames are then only what it claims; ``data_s`` is how much data there is (about).
    damage: str | None = None
    data_s: float | None = None
    data_frames: int | None = None
    # A spanned clip: how many spans were summed into duration_s and frames.
    spans: int = 1
    # FFmpeg opened the file and found invalid data in it (``InvalidDataError``), and its
    # structure itself is broken (``sniff.index_broken``: an ISO BMFF/QuickTime file whose
    # boxes cannot be walked or hold no index) where no cut-off recording explains it
    # (``damage`` says those): nothing of it could be looked at as media, as a file the
    # sniff refuses (``sniff.NOT_MEDIA``); ``content.unreadable_as_media`` flags both.
    # Another "invalid data" (a variant FFmpeg does not read, a read that failed) is only
    # ``error``'s note (``NOT_READ_BY_FFMPEG``).
    invalid_data: bool = False
    # A file with sound and no picture where a clip was expected: what it really is
    # ("WAV data in a .MOV file"), or "" when its container matches its name.
    audio_only: str | None = None
    # A start time in a sound file's BWF header (bext time_reference), "HH:MM:SS(.fff)".
    start_time: str | None = None
    # No header states the duration (MPEG-TS, MPEG-PS): FFmpeg's estimate from the data, and
    # no frame count is given.
    estimated: bool = False


#: What a clip none of whose files can be read says: the card gone and no good copy there
#: (``offload report`` of a formatted card; ``media_record.recall`` then gives it the run's
#: own findings, kept in its job report).
NOT_THERE = "not probed: neither the card nor a verified copy is there"
#: What a file without a video stream (a sound file) says instead of a thumbnail.
NO_PICTURE = "no picture in this file"
#: What a clip whose codec FFmpeg has no decoder for says (BRAW, Canon Cinema RAW Light):
#: its index read, its picture not; ``tag``: " ('brxq')", the track's codec tag, or "".
NO_DECODER = "not decodable by FFmpeg: it has no decoder for this clip's codec{tag}"
#: What a file with no stream at all says (a recording stopped before its first frame).
NOTHING_RECORDED = "no picture and no sound in this file (nothing recorded)"
#: What a file whose index reads but whose tracks are data or subtitles only says: not
#: damaged, just nothing to show (a camera's sidecar metadata track, a timed-text file).
ONLY_OTHER_TRACKS = "no picture and no sound in this file: it holds only {what}"
#: What an MP4/MOV whose index FFmpeg cannot read, though it holds recorded data (an
#: ``mdat``), says instead of a thumbnail: never "nothing recorded".
INDEX_UNREADABLE = "its index cannot be read: not readable as it is"
#: What an MP4/MOV cut off before its index was written says instead of a thumbnail.
CUT_BEFORE_INDEX = "cut off before its index was written: not readable as it is"
#: ... cut while its index (a ``moov`` at the end) was written.
CUT_WHILE_INDEX = "cut off while its index was written: not readable as it is"
#: ... whose last top-level box of another kind runs past the end of the file.
CUT_SHORT = "cut off (its last box runs past the end of the file): not readable as it is"


def media_available() -> bool:
    """PyAV (the ``media`` extra) is installed. Found, not imported: importing it takes
    ~0.2 s, which a card without a single clip FFmpeg can read should not pay
    (``probe_file`` imports it, and says so on a clip if that fails)."""
    try:
        return importlib.util.find_spec("av") is not None
    except (ImportError, ValueError):
        return False


def khz(rate: float) -> str:
    """A sample rate in kHz as people write it: 48000 → "48", 44100 → "44.1", 22050 →
    "22.05" (every report line that names a sample rate uses this)."""
    return f"{rate / 1000:g}"


def format_rate(rate: Fraction | None) -> str | None:
    if not rate:
        return None
    value = float(rate)
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text


def _codec_label(name: str, profile: str | None) -> str:
    label = CODEC_NAMES.get(name, name.upper())
    if profile and profile.lower() not in ("unknown", "none"):
        label = f"{label} {profile}"
    return label


def probe_file(path: Path, budget: ProbeBudget | None = None) -> MediaInfo:
    """Open *path* once: metadata and one frame from the middle as a small JPEG."""
    budget = budget or ProbeBudget()
    # A file whose first bytes are no format FFmpeg reads is not opened with it (sniff).
    refused = not_media(path)
    if refused is not None:
        return MediaInfo(read_from=str(path), error=refused)
    return _probe_media(path, budget)


def _probe_media(path: Path, budget: ProbeBudget, *, picture: bool = True) -> MediaInfo:
    """``probe_file`` of a file the sniff let through; without the thumbnail if not
    *picture* (a spanned clip's is taken from the span that holds its middle:
    ``_thumbnail_at``)."""
    info = MediaInfo(read_from=str(path))
    try:
        import av
    except ImportError:
        info.error = "PyAV not installed"
        return info
    deadline = time.monotonic() + budget.per_clip_s
    try:
        with av.open(str(path), timeout=budget.per_clip_s) as container:
            _read_metadata(container, info)
            if not container.streams.video:
                if container.streams.audio:
                    info.error = info.error or NO_PICTURE
                    info.audio_only = _misnamed(container, path)
                elif container.streams:  # its index reads: data/subtitle tracks only
                    info.error = info.error or ONLY_OTHER_TRACKS.format(
                        what=_other_tracks(container.streams)
                    )
                elif recorded_bytes(path):  # data there, its index unreadable: damaged
                    info.error = INDEX_UNREADABLE
                    info.damage = (
                        "its index (the 'moov' box) cannot be read, though the file holds "
                        "recorded data, so no player can read it as it is; " + _REPAIR
                    )
                else:  # a recording stopped before its first frame: not "audio only"
                    info.error = info.error or NOTHING_RECORDED
                return info
            stream = container.streams.video[0]
            _check_end(container, stream, path, info)
            if picture and stream.codec_context is not None:
                _thumbnail(container, stream, info, budget, deadline)
    except Exception as exc:  # PyAV raises many types (FFmpegError, ValueError, ...)
        cut = cut_off(path)
        if cut is None:
            info.error = _short_error(exc)
            # FFmpeg says "invalid data" of a variant its demuxer does not read (a 12-bit
            # packed Phantom Cine, a WAV chunk without its pad byte, a short 'loci' box)
            # and after a read that failed (its MOV demuxer ends its walk silently on EIO):
            # no media only where the structure itself is broken (``sniff.index_broken``).
            if isinstance(exc, av.error.InvalidDataError):
                info.invalid_data = index_broken(path)
                if not info.invalid_data:
                    info.error = _short_error(exc, NOT_READ_BY_FFMPEG)
        elif cut.box is None:
            info.error = CUT_BEFORE_INDEX
            info.damage = (
                "cut off while recording: the file holds recorded data but no index (no "
                "'moov' box; a camera writes it last), so no player can read it as it is; "
                + _REPAIR
            )
        else:
            what = (
                "its index (the 'moov' box, written last)"
                if cut.box == "moov"
                else (f"its last box ('{cut.box}')")
            )
            info.error = CUT_WHILE_INDEX if cut.box == "moov" else CUT_SHORT
            info.damage = (
                f"cut off while recording: {what} lacks its last {cut.missing:,} bytes, so "
                f"no player can read it as it is; {_REPAIR}"
            )
    return info


def _other_tracks(streams: Iterable[Any]) -> str:
    """The kinds of tracks of a file without picture or sound, counted: "1 data track",
    "2 subtitle tracks", "1 data track and 1 subtitle track"."""
    kinds: dict[str, int] = {}
    for stream in streams:
        kind = str(getattr(stream, "type", None) or "other")
        kinds[kind] = kinds.get(kind, 0) + 1
    words = [f"{n} {kind} track{'s' if n != 1 else ''}" for kind, n in kinds.items()]
    return " and ".join(words)


_REPAIR = "a repair tool (untrunc and the like) may rebuild it from a whole clip of the same camera"


def _thumbnail(
    container: Any,
    stream: Any,
    info: MediaInfo,
    budget: ProbeBudget,
    deadline: float,
    offset: float | None = None,
) -> None:
    """*info*'s thumbnail: the frame at *offset* seconds into *container* (None: its
    middle, ``_middle_frame``)."""
    frame = _middle_frame(container, stream, info, deadline, offset)
    if frame is not None:
        info.rotation = _rotation(frame)
        info.thumbnail = _jpeg(frame, budget, info.rotation)
    elif info.error is None:
        info.error = "no frame could be decoded"


def _thumbnail_at(path: Path, offset: float | None, info: MediaInfo, budget: ProbeBudget) -> None:
    """*info*'s thumbnail from the frame *offset* seconds into *path* (None: its middle):
    a spanned clip's middle is in the span that holds it. Never raises: a failure is said
    in ``info.error``."""
    try:
        import av

        with av.open(str(path), timeout=budget.per_clip_s) as container:
            if not container.streams.video:
                info.error = info.error or "no frame could be decoded"
                return
            deadline = time.monotonic() + budget.per_clip_s
            _thumbnail(container, container.streams.video[0], info, budget, deadline, offset)
    except Exception as exc:  # PyAV raises many types; the row says why there is no picture
        info.error = info.error or _short_error(exc)


def _middle_of(lengths: Sequence[float]) -> tuple[int, float]:
    """(which span, seconds into it) holds the middle of spans of *lengths*."""
    left = sum(lengths) / 2
    for index, length in enumerate(lengths):
        if left < length or index == len(lengths) - 1:
            return index, min(left, length)
        left -= length
    return 0, 0.0


#: How ``_short_error`` begins FFmpeg's words.
_FFMPEG = "not readable by FFmpeg: "


#: How ``_short_error`` begins FFmpeg's "invalid data" of a file whose structure is not
#: known to be broken (``sniff.index_broken``): a note, never a ⚠ (nothing proves the file
#: is not media: its header is one FFmpeg's probe accepts).
NOT_READ_BY_FFMPEG = "not readable by FFmpeg (a variant it does not read, or damaged): "


def _short_error(exc: BaseException, prefix: str = _FFMPEG) -> str:
    text = str(exc).strip() or type(exc).__name__
    # FFmpeg errors carry the path and an errno; the report shows the clip already.
    text = re.sub(r"^\[Errno -?\d+\]\s*", "", text.split(": '")[0])
    return f"{prefix}{text[:140]}"


def _misnamed(container: Any, path: Path) -> str:
    """What a file without a picture holds when its name says otherwise ("WAV data in a
    .MOV file"); "" when the container is one its extension names (an audio-only MP4)."""
    names = str(container.format.name).split(",")
    ext = path.suffix.lstrip(".")
    if ext.lower() in names:
        return ""
    return f"{names[0].upper()} data in a .{ext} file" if ext else f"{names[0].upper()} data"


def _start_s(container: Any) -> float:
    return (container.start_time or 0) / 1_000_000  # in AV_TIME_BASE (µs) units


def _check_end(container: Any, stream: Any, path: Path, info: MediaInfo) -> None:
    """Set ``info.damage`` when the file holds less than its header says (a recording cut
    off: a card pulled, the power lost), and ``data_s`` / ``data_frames`` to what is there.

    Cheap, never a decode of the clip: a QuickTime/MP4 lists every sample's offset and size
    (its index, read with the header): every track's last one (sound included) must end
    inside the file, and where the first one that does not is says how much is there (a
    binary search, microseconds; ``data_frames``: the picture's frames before it). An MXF
    states its duration in its header: a read of its last quarter second (a seek and one
    packet, a few ms) must find data, else it is cut off (where, it does not say). Formats
    whose duration is only estimated from the data (MPEG-TS, WAV, ...) are not checked: they
    cannot claim more than they hold."""
    names = str(container.format.name).split(",")
    if not info.duration_s or not ("mov" in names or "mxf" in names):
        return
    try:
        size = path.stat().st_size
    except OSError:
        return
    if "mov" in names:
        entries = stream.index_entries
        if not len(entries):
            return
        # Every track's index, not the picture's only: a camera's file interleaves its
        # tracks' chunks, and a fragmented MP4 may hold a fragment's sound after its
        # pictures, so the missing tail can be sound placed after the last picture.
        cut = [
            (track, index)
            for track in container.streams
            if len(index := track.index_entries)
            and index[-1].pos >= 0
            and index[-1].pos + index[-1].size > size
        ]
        if not cut:
            return
        # Where the data ends: the earliest point, over the tracks cut, where a sample
        # ends past the file's end; the picture's frames before it are what is there.
        found = min(_data_ends_at(track, index, size) for track, index in cut)
        start = entries[0].timestamp
        info.data_frames = _frames_before(entries, start + found / stream.time_base)
    else:
        end = _start_s(container) + info.duration_s - min(0.25, info.duration_s / 10)
        if _packet_at(container, stream, end) is not False:  # there, or cannot tell
            return
        # Where an MXF's data ends is not found by seeking (its demuxer answers a seek past
        # the data with the last packet there, stamped with the time asked for): no number.
        info.damage = (
            f"cut off: the header says {_claimed(info)}, the data ends before that "
            "(its last part is missing: a recording interrupted, or a damaged file)"
        )
        return
    info.data_s = max(0.0, min(found, info.duration_s))
    info.damage = (
        f"cut off: the header says {_claimed(info)}, the data ends at about "
        f"{clip_duration(info.data_s)} ({info.data_frames} frames): a recording interrupted, or a "
        "damaged file"
    )


def _data_ends_at(track: Any, entries: Any, size: int) -> float:
    """Seconds from *track*'s first sample to its first one that ends past *size* (its
    last one does): a binary search, the samples' offsets rising with their times."""
    low, high = 0, len(entries) - 1  # entries[high] ends past the file's end
    while low < high:
        middle = (low + high) // 2
        if entries[middle].pos + entries[middle].size > size:
            high = middle
        else:
            low = middle + 1
    return float((entries[low].timestamp - entries[0].timestamp) * track.time_base)


def _frames_before(entries: Any, timestamp: Any) -> int:
    """How many of the picture's samples start before *timestamp* (its time base)."""
    low, high = 0, len(entries)
    while low < high:
        middle = (low + high) // 2
        if entries[middle].timestamp < timestamp:
            low = middle + 1
        else:
            high = middle
    return low


def _claimed(info: MediaInfo) -> str:
    """What a header says: "00:00:06.00 (150 frames)"."""
    frames = f" ({info.frames} frames)" if info.frames else ""
    return f"{clip_duration(info.duration_s or 0.0)}{frames}"


def clip_duration(seconds: float) -> str:
    """``HH:MM:SS.ss``, rounded to the hundredth before it is split (59.996 s is
    ``00:01:00.00``; split first, it printed ``00:00:60.00``)."""
    hundredths = round(seconds * 100)
    whole, cs = divmod(hundredths, 100)
    minutes, secs = divmod(whole, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{cs:02d}"


def _packet_at(container: Any, stream: Any, seconds: float) -> bool | None:
    """Whether a packet of *stream* can be read at *seconds* (a seek to any frame at or
    before it, then one packet); None if the container cannot seek at all."""
    try:
        container.seek(
            int(seconds / stream.time_base), backward=True, any_frame=True, stream=stream
        )
    except Exception:  # not seekable: nothing said about its end
        return None
    try:
        for packet in container.demux(stream):
            if packet.dts is None:  # the demuxer's flush packet: the data ended
                return False
            return not packet.is_corrupt
    except Exception:  # PyAV raises many types; a read that fails finds no data there
        return False
    return False


# Containers whose duration FFmpeg estimates from the data's time stamps: no header states it.
_ESTIMATED = frozenset({"mpegts", "mpeg", "mpegvideo", "h264", "hevc"})


def _read_metadata(container: Any, info: MediaInfo) -> None:
    timecode = container.metadata.get("timecode")
    for stream in container.streams:
        timecode = timecode or stream.metadata.get("timecode")
    info.timecode = timecode
    if container.duration:
        info.duration_s = container.duration / 1_000_000
    names = str(container.format.name).split(",")
    if container.streams.video:
        video = container.streams.video[0]
        context = video.codec_context
        if context is None:
            # FFmpeg has no decoder for its codec (Blackmagic RAW, Canon Cinema RAW Light):
            # PyAV gives no codec context, so the track's sample description says what it
            # holds; the rate, length and sound are read as for any clip (QA: the row said
            # "'NoneType' object has no attribute 'name'", its facts lost).
            entry = video_sample_entry(info.read_from) if info.read_from else None
            if entry is not None:
                info.codec = f"{entry.tag.strip()!r} (codec tag)"
                info.width, info.height = entry.width or None, entry.height or None
            info.error = NO_DECODER.format(
                tag=f" ({entry.tag.strip()!r})" if entry is not None else ""
            )
        else:
            info.codec = _codec_label(context.name, getattr(context, "profile", None))
            info.width = context.width or None
            info.height = context.height or None
        rate = video.average_rate or video.guessed_rate
        single_image = _single_image(names)
        # The picture's own duration: the container's is its longest stream's (sound
        # recorded past the last frame counted frames that are not there).
        video_s = (
            float(video.duration * video.time_base) if video.duration and video.time_base else None
        )
        if not single_image:
            info.frame_rate = format_rate(rate)
            if video.frames:
                info.frames = int(video.frames)
            elif _ESTIMATED.intersection(names):
                # No header states its length: FFmpeg's duration is read from the data's
                # time stamps (a cut-off stream's last ones may not decode). Said as an
                # estimate, with no frame count (an AVCHD stream cut at half claimed 27
                # frames where 25 decode).
                info.estimated = True
                info.duration_s = video_s or info.duration_s
            elif (video_s or info.duration_s) and rate:
                info.frames = round((video_s or info.duration_s or 0.0) * float(rate))
        if info.duration_s is None and video_s:
            info.duration_s = video_s
    if container.streams.audio:
        info.audio = _audio_text(container.streams.audio)
        if not timecode:
            info.start_time = _bwf_start(container, container.streams.audio[0])


def _audio_text(streams: Sequence[Any]) -> str:
    """A clip's audio tracks: their count, sample rates and channels in all ("1 track,
    44.1 kHz, 2 ch"; "4 tracks, 48 kHz, 4 ch (1 ch each)"; "2 tracks, 48 kHz, 3 ch (2+1)"),
    as ffprobe lists them."""
    contexts = [s.codec_context for s in streams]
    channels = [getattr(getattr(c, "layout", None), "nb_channels", None) or 0 for c in contexts]
    rates = sorted({int(c.sample_rate) for c in contexts if c.sample_rate})
    text = plural_tracks(len(contexts))
    if rates:
        text += ", " + "/".join(khz(rate) for rate in rates) + " kHz"
    if all(channels):
        text += f", {sum(channels)} ch"
        if len(channels) > 1:
            each = set(channels)
            text += (
                f" ({channels[0]} ch each)"
                if len(each) == 1
                else (f" ({'+'.join(map(str, channels))})")
            )
    return text


def plural_tracks(count: int) -> str:
    return f"{count} track" if count == 1 else f"{count} tracks"


def _bwf_start(container: Any, stream: Any) -> str | None:
    """A BWF file's start (bext ``time_reference``: samples since midnight) as HH:MM:SS, with
    milliseconds when it is not on a whole second. A sound file states no frame rate (an
    iXML one is not read), so it is never written as frames."""
    reference = container.metadata.get("time_reference")
    rate = stream.codec_context.sample_rate
    if not reference or not rate:
        return None
    try:
        samples = int(reference)
    except ValueError:
        return None
    if samples < 0:
        return None
    millis = round(samples * 1000 / rate)
    whole, ms = divmod(millis, 1000)
    minutes, secs = divmod(whole, 60)
    hours, minutes = divmod(minutes, 60)
    text = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{text}.{ms:03d}" if ms else text


def _take_audio(info: MediaInfo, tracks: Sequence[Path | None], budget: ProbeBudget) -> None:
    """Describe a take recorded one file a track (*info*: its first file's) as the whole
    take: how many files, their sample rates and channels summed ("3 files, 48 kHz, 4 ch").
    A file that cannot be read is counted as such, never guessed at."""
    rates: list[int] = []
    channels = 0
    unread = 0
    for path in tracks:
        found = _audio_of(path, budget) if path is not None else None
        if found is None:
            unread += 1
            continue
        rates.append(found[0])
        channels += found[1]
    files = len(tracks)
    if not rates:
        info.audio = f"{files} files, none readable"
        return
    rates_text = "/".join(khz(rate) for rate in sorted(set(rates)))
    text = f"{files} files, {rates_text} kHz, {channels} ch"
    if unread:
        text += f" in the {len(rates)} read ({unread} not readable)"
    info.audio = text


def _channel_files_audio(
    info: MediaInfo, tracks: Sequence[Path | None], budget: ProbeBudget
) -> None:
    """A clip's sound recorded one file a track beside its video (P2: ``AUDIO/0001AB00.MXF``
    ...), said as a clip's tracks are ("2 tracks (a file each), 48 kHz, 2 ch (1 ch each)"),
    the files FFmpeg cannot read counted, never guessed at."""
    found = [_audio_of(path, budget) if path is not None else None for path in tracks]
    read = [pair for pair in found if pair is not None]
    if not read:
        info.audio = f"{plural_tracks(len(tracks))} (a file each), none readable"
        return
    rates = "/".join(khz(rate) for rate in sorted({rate for rate, _ in read}))
    channels = [count for _, count in read]
    text = f"{plural_tracks(len(tracks))} (a file each), {rates} kHz, {sum(channels)} ch"
    if len(channels) > 1:
        text += (
            f" ({channels[0]} ch each)"
            if len(set(channels)) == 1
            else f" ({'+'.join(map(str, channels))})"
        )
    if len(read) < len(tracks):
        text += f" in the {len(read)} read ({len(tracks) - len(read)} not readable)"
    info.audio = text


def _add_spans(
    info: MediaInfo, entries: Sequence[Any], paths: Sequence[Path | None], budget: ProbeBudget
) -> list[float] | None:
    """Describe a clip recorded in spans (*info*: its first span's; *paths*: the other
    spans') as the whole recording: the spans' header durations and frame counts summed
    (``spans``), each span's end checked as the first's was (``_check_end``: the last
    chapter of a card pulled mid-record is the one cut off). A span FFmpeg cannot read
    leaves the sum unknown and is said. Returns each span's length (the data there, for a
    span cut off), None when one is not known."""
    parts = [info]
    for path in paths:
        parts.append(_span_header(path, budget) if path is not None else MediaInfo())
    info.spans = len(parts)
    lengths = [
        part.data_s if part.data_s is not None else (part.duration_s or 0.0) for part in parts
    ]
    unread = [
        str(entries[n].get("path", "")).rsplit("/", 1)[-1]
        for n, part in enumerate(parts)
        if not part.duration_s
    ]
    if unread:
        info.duration_s = info.frames = None
        info.damage = (
            f"{len(unread)} of its {len(parts)} spans could not be read "
            f"({', '.join(unread[:3])}{' ...' if len(unread) > 3 else ''}): "
            "its duration is not known"
        )
        return None
    header = sum(part.duration_s or 0.0 for part in parts)
    info.frames = (
        sum(part.frames or 0 for part in parts) if all(part.frames for part in parts) else None
    )
    info.duration_s = header
    cut = [n for n, part in enumerate(parts) if part.damage]
    if not cut:
        return lengths
    names = ", ".join(
        f"span {n + 1} ({str(entries[n].get('path', '')).rsplit('/', 1)[-1]})" for n in cut
    )
    found = ""
    if all(parts[n].data_s is not None for n in cut):  # QuickTime/MP4: how much is there
        data = sum(
            part.data_s if part.data_s is not None else (part.duration_s or 0.0) for part in parts
        )
        found = f": about {clip_duration(data)} in all"
    info.damage = (
        f"cut off: the headers of its {len(parts)} spans say {_claimed(info)}, the data ends "
        f"early in {names}{found} (a recording interrupted, or a damaged file)"
    )
    return lengths


def _span_header(path: Path, budget: ProbeBudget) -> MediaInfo:
    """One span's header facts (duration, frames) and whether its data ends early; no
    frame is decoded."""
    info = MediaInfo(read_from=str(path))
    if not_media(path) is not None:
        return info
    try:
        import av

        with av.open(str(path), timeout=budget.per_clip_s) as container:
            _read_metadata(container, info)
            if container.streams.video:
                _check_end(container, container.streams.video[0], path, info)
    except Exception as exc:  # PyAV raises many types; the clip says the span was not read
        info.duration_s = None
        info.error = _short_error(exc)
    return info


def _audio_of(path: Path, budget: ProbeBudget) -> tuple[int, int] | None:
    """(sample rate, channels summed over its audio streams) of one file, or None."""
    if not_media(path) is not None:
        return None
    try:
        import av

        with av.open(str(path), timeout=budget.per_clip_s) as container:
            streams = [s.codec_context for s in container.streams.audio]
            if not streams or not streams[0].sample_rate:
                return None
            return int(streams[0].sample_rate), sum(
                getattr(getattr(s, "layout", None), "nb_channels", None) or 0 for s in streams
            )
    except Exception:  # PyAV raises many types; the take says the file was not readable
        return None


def _single_image(names: list[str]) -> bool:
    """Whether a container of FFmpeg format *names* is one picture (a frame file of an image
    sequence, a still): no index, no rate of its own."""
    return names[0].endswith("_pipe") or names[0] in ("image2", "exr_pipe")


def _middle_frame(
    container: Any, stream: Any, info: MediaInfo, deadline: float, offset: float | None = None
) -> Any:
    """The frame at the middle of the clip (or *offset* seconds into it), else the last one
    decoded before it (or the first if the clip cannot be seeked); None if no frame decodes
    at all.

    Frame times are the container's own: they start at its ``start_time`` (MPEG-TS and MXF
    often start far from 0), so the middle is that start plus half the duration; of a clip
    cut off (``data_s``), half the data that is there. A seek can land past a short clip's
    only keyframe, and then nothing decodes: decode from the start instead (bounded by the
    clip's time budget). A picture that fails to decode is skipped and counted, never the
    end of the probe (``_decode_to``); what did not decode is said in ``info.damage``."""
    start = _start_s(container)
    still = _single_image(str(container.format.name).split(","))
    length = info.data_s if info.data_s is not None else (info.duration_s or 0.0)
    target = start + (length / 2 if offset is None else offset)
    failure = None
    if target > start:
        try:
            container.seek(int(target * 1_000_000), backward=True, any_frame=False)
        except Exception:
            pass  # not seekable: decode from the start below
        else:
            decoded = _decode_to(container, stream, target, info, deadline)
            if decoded.frame is not None:
                _say_bad_pictures(decoded, info, "read around its middle", still)
                return decoded.frame
            failure = decoded.failure
    try:
        container.seek(0)
    except Exception:
        pass  # not seekable: decode from where it stands
    decoded = _decode_to(container, stream, target, info, deadline)
    _say_bad_pictures(decoded, info, "read from its start to its middle", still)
    failure = decoded.failure or failure
    if decoded.frame is None and failure:
        info.error = info.error or failure
    return decoded.frame


#: Pictures that fail to decode one after another before the probe stops looking for one
#: that does (each costs a read and a failed decode; the clip's time budget bounds it too).
MAX_BAD_PICTURES = 60


@dataclass
class _Decoded:
    """What ``_decode_to`` found: the frame (at or past the target, else the last one
    decoded, else None); how many pictures decoded and how many FFmpeg refused as invalid
    data (``bad``), the first of those at ``first_bad_s`` seconds; why decoding last
    failed, if it did; whether it stopped at ``MAX_BAD_PICTURES`` refused in a row."""

    frame: Any = None
    good: int = 0
    bad: int = 0
    first_bad_s: float | None = None
    failure: str | None = None
    gave_up: bool = False


def _say_bad_pictures(decoded: _Decoded, info: MediaInfo, where: str, still: bool) -> None:
    """*info*'s damage in true words when FFmpeg refused pictures as invalid data: none
    decoded ("no picture decodes"), else how many of those read (*where*) did not. A
    *still* (a frame file of an image sequence) has no index: its one picture is said."""
    if not decoded.bad or info.damage is not None:
        return
    why = (decoded.failure or "").removeprefix(_FFMPEG)
    if decoded.frame is None and still:
        info.damage = (
            "no picture decodes: the frame file read opens, but FFmpeg cannot decode its "
            f"picture ({why}), so no player shows it as it is"
        )
        return
    if decoded.frame is None:
        span = f"in its first {decoded.bad} pictures" if decoded.gave_up else where
        info.damage = (
            f"no picture decodes: its index reads, but FFmpeg decodes none of its pictures "
            f"{span} ({why}), so no player shows it as it is"
        )
        return
    first = "" if decoded.first_bad_s is None else f", the first at {decoded.first_bad_s:.2f} s"
    info.damage = (
        f"{decoded.bad} of the {decoded.bad + decoded.good} pictures {where} "
        f"{'does' if decoded.bad == 1 else 'do'} not decode "
        f"({why}{first}), so players show it with pictures missing or broken"
    )


def _decode_to(
    container: Any, stream: Any, target: float, info: MediaInfo, deadline: float
) -> _Decoded:
    """Decode from where the container stands to the first frame at or after *target*,
    packet by packet: a packet FFmpeg refuses as invalid data (AVERROR_INVALIDDATA: data it
    cannot read, not a decoder it lacks) is counted and skipped, so one damaged picture does
    not hide the rest; any other error, or reading the container failing, ends it."""
    found = _Decoded()
    began = time.monotonic()
    in_a_row = 0
    try:
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except Exception as exc:  # PyAV's error types, not imported here
                found.failure = _short_error(exc)
                if type(exc).__name__ != "InvalidDataError":
                    break
                found.bad += 1
                in_a_row += 1
                if found.first_bad_s is None and packet.pts is not None and packet.time_base:
                    found.first_bad_s = float(packet.pts * packet.time_base)
                if in_a_row >= MAX_BAD_PICTURES:
                    found.gave_up = True
                    break
                if time.monotonic() > deadline:
                    info.error = info.error or "per-clip time budget spent"
                    break
                continue
            in_a_row = 0
            done = False
            for decoded in frames:
                found.frame = decoded
                found.good += 1
                if decoded.time is None or decoded.time >= target - 1e-6:
                    done = True
                    break
            if done:
                break
            # One decode cannot be interrupted (a 12K frame takes ~0.3 s here): stop when
            # the next frame, as long as the ones so far took, would end past the budget.
            now = time.monotonic()
            if found.good and now + (now - began) / found.good > deadline:
                info.error = "per-clip time budget spent: frame before the middle shown"
                break
    except Exception as exc:  # reading the container failed: the frames before it stand
        found.failure = _short_error(exc)
    if found.frame is not None and found.failure and not found.bad:
        info.error = info.error or (
            "data damaged before the middle: the last frame that decodes is shown"
        )
    if found.frame is not None and info.width is None:
        info.width, info.height = found.frame.width, found.frame.height
    return found


def _rotation(frame: Any) -> int:
    """The display matrix's turn in degrees (counter-clockwise; -90 is clockwise), 0 if none."""
    try:
        return round(float(getattr(frame, "rotation", 0) or 0)) % 360
    except (TypeError, ValueError):
        return 0


def _jpeg(frame: Any, budget: ProbeBudget, rotation: int = 0) -> bytes:
    """The frame as a JPEG *thumbnail_width* pixels wide as displayed: scaled in FFmpeg
    first (``reformat``, straight to RGB at thumbnail size), so a 12K frame never becomes a
    full-size RGB picture in memory (~240 MB), then turned as its display matrix says."""
    width = budget.thumbnail_width
    aspect = frame.width / frame.height if frame.height else 16 / 9
    sar = getattr(frame, "sample_aspect_ratio", None)
    if sar:
        aspect *= float(sar)
    turned = rotation in (90, 270)
    if turned:  # displayed width is the stored height
        size = (max(1, round(width * aspect)), width)
    else:
        size = (width, max(1, round(width / aspect)))
    small = frame.reformat(width=size[0], height=size[1], format="rgb24", interpolation="AREA")
    image = small.to_image()
    if rotation:
        image = image.rotate(rotation, expand=True)  # Pillow turns counter-clockwise too
    out = io.BytesIO()
    image.save(out, "JPEG", quality=budget.jpeg_quality, optimize=True)
    return out.getvalue()


def probe_clips(
    clips: Sequence[Clip],
    locate: Callable[[Clip], Path | None],
    budget: ProbeBudget | None = None,
) -> tuple[dict[int, MediaInfo], list[str]]:
    """Probe every clip, sequence and audio take (index in *clips* → MediaInfo) within the
    budgets.

    *locate* names the file to read for a clip (the card, or a verified copy), or None.
    Returns the results and notes for the report (what was not probed and why).
    """
    budget = budget or ProbeBudget()
    wanted = [i for i, clip in enumerate(clips) if clip.kind in ("clip", "sequence", "audio")]
    if not wanted:
        return {}, []
    if not media_available():
        return {}, [
            "Thumbnails and clip metadata need PyAV (pip install 'offload-ai[media]'); "
            "this report lists the clips without them."
        ]
    results: dict[int, MediaInfo] = {}
    lock = threading.Lock()
    stop = threading.Event()
    # Why the worker stopped before the end, if it did for a count ("clips": max_clips
    # files were handed to FFmpeg; "files": max_looked_at files were looked at).
    stopped_for: list[str] = []

    def work() -> None:
        # The next clips' files, located and opened, their headers asked of the disk
        # (``sniff.open_ahead``): closed here whatever stops the probing.
        located: deque[tuple[Path | None, int | None]] = deque()
        try:
            probe(located)
        finally:
            for _, descriptor in located:
                if descriptor is not None:
                    os.close(descriptor)

    def probe(located: deque[tuple[Path | None, int | None]]) -> None:
        opened = 0
        # One MediaInfo a reason for the files refused by their first bytes (never changed
        # once made): a card of 10,000 files named .MP4 that are no video holds 10,000.
        refusals: dict[str, MediaInfo] = {}
        limit = min(len(wanted), budget.max_looked_at)
        for looked, index in enumerate(wanted):
            if stop.is_set():
                return
            if opened >= budget.max_clips or looked >= budget.max_looked_at:
                with lock:
                    stopped_for.append("clips" if opened >= budget.max_clips else "files")
                return
            clip = clips[index]
            # Located (and opened) ahead, once the clip before it was done; the first now.
            path, descriptor = located.popleft() if located else (locate(clip), None)
            if path is None:
                info = MediaInfo(error=NOT_THERE)
            elif (refused := not_media(path, descriptor)) is not None:
                # Refused by its first bytes (~20 µs from the cache): none of the quota.
                info = refusals.get(refused) or refusals.setdefault(
                    refused, MediaInfo(error=refused)
                )
            else:
                opened += 1
                spans: list[FileEntry] = []
                if clip.kind == "clip" and clip.part == "span" and len(clip.files) > 1:
                    sidecars = {id(entry) for entry in clip.sidecars}
                    spans = [e for e in clip.files[1:] if id(e) not in sidecars]
                # A spanned clip's thumbnail is the middle of the recording, not of its
                # first span: taken once the spans' lengths are known (below).
                info = _probe_media(path, budget, picture=not spans)
                if clip.kind == "audio" and len(clip.files) - len(clip.sidecars) > 1:
                    # Its sound is its tracks', not its sidecars' (a recorder's .PMF).
                    side = {id(entry) for entry in clip.sidecars}
                    tracks = [
                        locate(replace(clip, primary=entry))
                        for entry in clip.files
                        if id(entry) not in side
                    ]
                    _take_audio(info, tracks, budget)
                elif clip.kind == "clip" and info.audio is None and (channels := p2_audio(clip)):
                    # A P2 clip's sound is one MXF a channel beside its video's (those of
                    # 0 bytes left out: empty, said by the row's ⚠, not unreadable).
                    tracks = [locate(replace(clip, primary=entry)) for entry in channels]
                    _channel_files_audio(info, tracks, budget)
                if spans and info.error is None:
                    # The first span's own length, for its middle if the spans cannot be
                    # summed (one cannot be read).
                    own = info.data_s if info.data_s is not None else info.duration_s
                    paths = [locate(replace(clip, primary=entry)) for entry in spans]
                    lengths = (
                        _add_spans(info, [clip.primary, *spans], paths, budget)
                        if info.duration_s
                        else None
                    )
                    which, offset = (
                        _middle_of(lengths) if lengths else (0, own / 2 if own else None)
                    )
                    chosen = [path, *paths][which]
                    if chosen is not None:
                        _thumbnail_at(chosen, offset, info, budget)
            with lock:
                results[index] = info
            # This clip done, the next SNIFFS_AHEAD located and opened ahead: cold, a sniff
            # is a random read, and the disk serves those asked for together. Never one the
            # quotas would not reach (each may be a clip FFmpeg opens), nor before this clip
            # is done: a card reader that hangs on a later clip's file costs this one nothing
            # (only those opened ahead of the hang go unprobed, for the time budget).
            while (
                len(located) < SNIFFS_AHEAD
                and looked + 1 + len(located) < limit
                and opened + len(located) < budget.max_clips
            ):
                upcoming = locate(clips[wanted[looked + 1 + len(located)]])
                located.append((upcoming, None if upcoming is None else open_ahead(upcoming)))

    worker = threading.Thread(target=work, name="offload-report-probe", daemon=True)
    worker.start()
    worker.join(budget.total_s)
    stop.set()
    with lock:
        done = dict(results)
        counted = stopped_for[0] if stopped_for else None
    notes = []
    # Stopped by a count, the clips not looked at were left out for it, not for time.
    beyond = [i for i in wanted if i not in done] if counted else []
    skipped = [] if counted else [i for i in wanted if i not in done]
    # One MediaInfo for all the clips left out for the same reason (never changed once
    # made): a card of 50,000 clips held 49,000 alike, ~10 MB.
    spent = MediaInfo(error=f"not probed: the {budget.total_s:g} s time budget was spent")
    for index in skipped:
        done[index] = spent
    if skipped:
        notes.append(
            f"Probing stopped after its total time budget of {budget.total_s:g} s: "
            f"{len(skipped)} clip(s) are listed without thumbnails and metadata."
        )
    if counted == "clips":
        left_out = MediaInfo(
            error=f"not probed: only the first {budget.max_clips:,} clips of a card are"
        )
        note = (
            f"Only the first {budget.max_clips:,} clips and sequences were probed for "
            f"thumbnails and metadata; {len(beyond):,} more are listed without them."
        )
    else:
        left_out = MediaInfo(
            error=f"not probed: only the first {budget.max_looked_at:,} clips of a card "
            "are looked at"
        )
        note = (
            f"Only the first {budget.max_looked_at:,} clips and sequences were looked at "
            f"for thumbnails and metadata (those FFmpeg reads are probed); {len(beyond):,} "
            "more are listed without them."
        )
    for index in beyond:
        done[index] = left_out
    if beyond:
        notes.append(note)
    return done, notes
