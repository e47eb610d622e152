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
and their channels summed ("3 files, 48 kHz, 4 ch"), not its first file's alone.
"""

from __future__ import annotations

import importlib.util
import io
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from offload.report.clips import Clip
from offload.report.sniff import not_media

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


#: What a file without a video stream (a sound file) says instead of a thumbnail.
NO_PICTURE = "no picture in this file"


def media_available() -> bool:
    """PyAV (the ``media`` extra) is installed. Found, not imported: importing it takes
    ~0.2 s, which a card without a single clip FFmpeg can read should not pay
    (``probe_file`` imports it, and says so on a clip if that fails)."""
    try:
        return importlib.util.find_spec("av") is not None
    except (ImportError, ValueError):
        return False


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


def _probe_media(path: Path, budget: ProbeBudget) -> MediaInfo:
    """``probe_file`` of a file the sniff let through."""
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
                info.error = info.error or NO_PICTURE
                return info
            stream = container.streams.video[0]
            frame = _middle_frame(container, stream, info, deadline)
            if frame is not None:
                info.thumbnail = _jpeg(frame, budget)
            elif info.error is None:
                info.error = "no frame could be decoded"
    except Exception as exc:  # PyAV raises many types (FFmpegError, ValueError, ...)
        info.error = _short_error(exc)
    return info


def _short_error(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    # FFmpeg errors carry the path and an errno; the report shows the clip already.
    text = re.sub(r"^\[Errno -?\d+\]\s*", "", text.split(": '")[0])
    return f"not readable by FFmpeg: {text[:140]}"


def _read_metadata(container: Any, info: MediaInfo) -> None:
    timecode = container.metadata.get("timecode")
    for stream in container.streams:
        timecode = timecode or stream.metadata.get("timecode")
    info.timecode = timecode
    if container.duration:
        info.duration_s = container.duration / 1_000_000
    if container.streams.video:
        video = container.streams.video[0]
        context = video.codec_context
        info.codec = _codec_label(context.name, getattr(context, "profile", None))
        info.width = context.width or None
        info.height = context.height or None
        rate = video.average_rate or video.guessed_rate
        single_image = container.format.name.endswith("_pipe") or container.format.name in (
            "image2",
            "exr_pipe",
        )
        if not single_image:
            info.frame_rate = format_rate(rate)
            if video.frames:
                info.frames = int(video.frames)
            elif info.duration_s and rate:
                info.frames = round(info.duration_s * float(rate))
        if info.duration_s is None and video.duration and video.time_base:
            info.duration_s = float(video.duration * video.time_base)
    if container.streams.audio:
        audio = container.streams.audio[0].codec_context
        channels = getattr(getattr(audio, "layout", None), "nb_channels", None) or 0
        info.audio = (
            f"{len(container.streams.audio)} track(s), {audio.sample_rate // 1000} kHz"
            + (f", {channels} ch" if channels else "")
            if audio.sample_rate
            else f"{len(container.streams.audio)} track(s)"
        )


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
    khz = "/".join(f"{rate / 1000:g}" for rate in sorted(set(rates)))
    text = f"{files} files, {khz} kHz, {channels} ch"
    if unread:
        text += f" in the {len(rates)} read ({unread} not readable)"
    info.audio = text


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


def _middle_frame(container: Any, stream: Any, info: MediaInfo, deadline: float) -> Any:
    """The frame at the middle of the clip, else the last one decoded before it (or the
    first if the clip cannot be seeked); None if no frame decodes at all.

    Frame times are the container's own: they start at its ``start_time`` (MPEG-TS and MXF
    often start far from 0), so the middle is that start plus half the duration. A seek can
    land past a short clip's only keyframe, and then nothing decodes: decode from the start
    instead (bounded by the clip's time budget)."""
    start = (container.start_time or 0) / 1_000_000  # in AV_TIME_BASE (µs) units
    target = start + (info.duration_s or 0.0) / 2
    if target > start:
        try:
            container.seek(int(target * 1_000_000), backward=True, any_frame=False)
        except Exception:
            pass  # not seekable: decode from the start below
        else:
            frame = _decode_to(container, stream, target, info, deadline)
            if frame is not None:
                return frame
    container.seek(0)
    return _decode_to(container, stream, target, info, deadline)


def _decode_to(container: Any, stream: Any, target: float, info: MediaInfo, deadline: float) -> Any:
    """Decode from where the container stands to the first frame at or after *target*."""
    frame = None
    for decoded in container.decode(stream):
        frame = decoded
        if decoded.time is None or decoded.time >= target - 1e-6:
            break
        if time.monotonic() > deadline:
            info.error = "per-clip time budget spent: frame before the middle shown"
            break
    if frame is not None and info.width is None:
        info.width, info.height = frame.width, frame.height
    return frame


def _jpeg(frame: Any, budget: ProbeBudget) -> bytes:
    image = frame.to_image()  # RGB, via Pillow
    width = budget.thumbnail_width
    aspect = frame.width / frame.height if frame.height else 16 / 9
    sar = getattr(frame, "sample_aspect_ratio", None)
    if sar:
        aspect *= float(sar)
    height = max(1, round(width / aspect))
    image = image.resize((width, height))
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
        opened = 0
        # One MediaInfo a reason for the files refused by their first bytes (never changed
        # once made): a card of 10,000 files named .MP4 that are no video holds 10,000.
        refusals: dict[str, MediaInfo] = {}
        for looked, index in enumerate(wanted):
            if stop.is_set():
                return
            if opened >= budget.max_clips or looked >= budget.max_looked_at:
                with lock:
                    stopped_for.append("clips" if opened >= budget.max_clips else "files")
                return
            clip = clips[index]
            path = locate(clip)
            if path is None:
                info = MediaInfo(error="not probed: neither the card nor a verified copy is there")
            elif (refused := not_media(path)) is not None:
                # Refused by its first bytes (~20 µs from the cache): none of the quota.
                info = refusals.get(refused) or refusals.setdefault(
                    refused, MediaInfo(error=refused)
                )
            else:
                opened += 1
                info = _probe_media(path, budget)
                if clip.kind == "audio" and len(clip.files) > 1:
                    tracks = [locate(replace(clip, primary=entry)) for entry in clip.files]
                    _take_audio(info, tracks, budget)
            with lock:
                results[index] = info

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
