"""Source files written for engine tests: random content, returned as the engine's tasks see
them (``SourceFile``); a small card of three clips (``three_clip_card``) or of any number
of clips of one size (``clips_card``), one of whose files is then another take
(``new_take``); a card whose clips a legacy MHL (v1) records
(``legacy_mhl_card``)."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path

from offload.engine.partial import PARTIAL_PREFIX
from offload.model import SourceFile


def three_clip_card(folder: Path, size: int = 200_000) -> Path:
    """The card ``A001`` in *folder*: ``CLIPS/A001C001.mov`` to ``A001C003.mov``, random
    bytes, about *size* each (each one byte longer than the one before)."""
    card = folder / "A001"
    (card / "CLIPS").mkdir(parents=True)
    for index in range(3):
        (card / "CLIPS" / f"A001C{index + 1:03d}.mov").write_bytes(os.urandom(size + index))
    return card


def clips_card(
    root: Path, files: int, size: int, *, card: str = "A001", clip: str = "C{:03d}.mov"
) -> Path:
    """The card *card* in *root*: *files* clips in ``CLIPS/``, named *clip* formatted with
    their index from 0, each *size* random bytes. Returns the card's folder."""
    folder = root / card
    (folder / "CLIPS").mkdir(parents=True)
    for index in range(files):
        (folder / "CLIPS" / clip.format(index)).write_bytes(os.urandom(size))
    return folder


def new_take(clip: Path, size: int) -> None:
    """*clip* written again with *size* other bytes, dated a minute later than it was: a
    card file changed since it was copied, or another take of its name."""
    before = clip.stat().st_mtime_ns
    clip.write_bytes(os.urandom(size))
    os.utime(clip, ns=(before + 60 * 10**9, before + 60 * 10**9))


def sized_card(root: Path, sizes: Mapping[str, int], *, card: str = "A001") -> Path:
    """The card *card* in *root*: each path of *sizes* (relative to it, its folders made)
    holding that many random bytes, written in the order given. Returns the card's
    folder."""
    folder = root / card
    for relative, size in sizes.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(size))
    return folder


LEGACY_MHL = "CLIPS/CLIPS_2024-05-01_100200.mhl"


def legacy_mhl_card(
    card: Path, clips: Mapping[str, bytes], listed: Mapping[str, bytes | None]
) -> Path:
    """The card folder *card* (made if need be) whose ``CLIPS/`` holds *clips* and the legacy
    MHL ``LEGACY_MHL`` (md5 alone, as many tools write it) recording *listed*: name → the
    content whose md5 and size it records; None: ``<null/>`` and the size of the clip of
    that name. Returns *card*."""
    (card / "CLIPS").mkdir(parents=True, exist_ok=True)
    for name, data in clips.items():
        (card / "CLIPS" / name).write_bytes(data)
    hashes = "".join(
        f"  <hash>\n    <file>{name}</file>\n"
        f"    <size>{len(data if data is not None else clips[name])}</size>\n"
        + (
            f"    <md5>{hashlib.md5(data).hexdigest()}</md5>\n"
            if data is not None
            else "    <null/>\n"
        )
        + "    <hashdate>2024-05-01T10:01:00Z</hashdate>\n  </hash>\n"
        for name, data in listed.items()
    )
    (card / LEGACY_MHL).write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<hashlist version="1.1">\n'
        "  <creatorinfo>\n    <username>dit</username>\n    <hostname>cart</hostname>\n"
        "    <tool>ShotPut Pro 2023</tool>\n    <startdate>2024-05-01T10:00:00Z</startdate>\n"
        f"    <finishdate>2024-05-01T10:02:00Z</finishdate>\n  </creatorinfo>\n{hashes}"
        "</hashlist>\n",
        encoding="utf-8",
    )
    return card


def write_source_files(root: Path, sizes: Mapping[str, int]) -> list[SourceFile]:
    """Write ``root/card/<relative>`` with *sizes* random bytes each, in the given order."""
    files = []
    for relative, size in sizes.items():
        path = root / "card" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(size))
        st = path.stat()
        files.append(SourceFile(path, relative, st.st_size, st.st_mtime_ns))
    return files


def flip_bytes(path: Path, offset: int, count: int = 2) -> None:
    """Invert *count* bytes of *path* at *offset* in place (its size kept, its times those of
    a write): other bytes whatever they were. Writing fixed bytes instead is no change at all
    when random content already holds them (1 run in 65,536 for two)."""
    with open(path, "r+b") as handle:
        handle.seek(offset)
        old = handle.read(count)
        handle.seek(offset)
        handle.write(bytes(b ^ 0xFF for b in old))


def corrupt_keeping_size_and_mtime(path: Path, at: int | None = None) -> None:
    """Damage a file as bit rot does: one byte flipped in the middle (or at offset *at*), its
    size and mtime kept (what a ledger's size-and-mtime check cannot see; only a read-back
    can; nor can the card's fingerprint, its first and last 64 KiB, in a file over 128 KiB).
    Bit rot changes no metadata: the write's new change time is put in the ledger entries
    that record the file (``ledger_sees_no_write``), as the file's own were."""
    st = path.stat()
    data = bytearray(path.read_bytes())
    data[len(data) // 2 if at is None else at] ^= 0xFF
    path.write_bytes(bytes(data))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    ledger_sees_no_write(path, st.st_ctime_ns)


def ledger_sees_no_write(path: Path, ctime_ns: int) -> None:
    """The ledger of the copy root above *path* (the nearest folder holding
    ``.offload/ledger.jsonl``), its lines recording *path*'s inode with the change time
    *ctime_ns* given its change time now: a file changed without a write through the
    filesystem (bit rot, a flipped bit in the medium) keeps the one recorded."""
    st = path.stat()
    for root in path.parents:
        ledger = root / ".offload" / "ledger.jsonl"
        if ledger.is_file():
            break
    else:
        return
    lines = []
    for line in ledger.read_text(errors="surrogateescape").splitlines(keepends=True):
        try:
            entry = json.loads(line)
        except ValueError:
            lines.append(line)
            continue
        if entry.get("inode") == st.st_ino and entry.get("ctime_ns") == ctime_ns:
            entry["ctime_ns"] = st.st_ctime_ns
            line = json.dumps(entry, ensure_ascii=False) + "\n"
        lines.append(line)
    ledger.write_text("".join(lines), errors="surrogateescape")


def partials_under(root: Path) -> list[str]:
    """Every partial file (``.offload-partial.*``) below *root*, by path: what a run must
    never leave behind once it has ended, cancelled or failed."""
    return [
        os.path.join(folder, name)
        for folder, _dirs, files in os.walk(root)
        for name in files
        if name.startswith(PARTIAL_PREFIX)
    ]


def mtime_metadata(path: Path) -> dict[str, str]:
    """S3 object metadata dating an object by *path*'s modification time, as rclone (and
    offload) write it (``mtime``: seconds, then nine digits of fraction). Put with a card
    file's bytes, it makes the object this card's copy by size and date whatever the
    object's upload time: under load, seconds may pass between making the card and the
    put, and an object dated only by its upload would then be another card's."""
    seconds, nanos = divmod(path.stat().st_mtime_ns, 1_000_000_000)
    return {"mtime": f"{seconds}.{nanos:09d}"}
