"""Legacy MHL v1 (``<hashlist version="1.1">``): the flat file many post houses still ask for.

Writer: one ``<FOLDER>_<YYYY-MM-DD>_<HHMMSS>.mhl`` in the folder it covers, no namespace,
``<creatorinfo>`` (name?, username, hostname, tool, startdate, finishdate) then one ``<hash>``
per file with ``file, size, lastmodificationdate, <hash elements>, hashdate`` in mhl-tool's
order. xxh64 is written as ``<xxhash64be>`` (canonical big-endian hex, what ``xxhsum -H1``
prints), md5 as ``<md5>``, sha1 as ``<sha1>``; v1 has no element for xxh3, xxh128 or c4.
Never ``<xxhash64>``: in v1 that element is the little-endian rendering.

Reader: accepts what the tools of that era wrote (with or without a namespace, ``\\`` in
paths as a Windows tool's separator where the MHL's paths hold no ``/``, ``_spell_again``:
not in an MHL offload-ai wrote, ``_written_by_us``, nor in a Mac tool's, whose paths hold
``/``, where a ``\\`` is a character of the name; a path from a drive's root, ``D:\\``,
always a Windows one's; a leading ``./``, ``<xxhash64>`` little-endian, ``<xxhash>`` = XXH32
in decimal, ``<null>``, hex in either case: mhl-tool compares it case-insensitively;
attributes on the hash elements and dates in any form are passed over). A hex element
holding anything but its digest's number of hex digits (``n/a``, empty, a decimal number,
cut short) records no digest: its file is checked by size only, never compared with that
text. A file in an encoding the XML parser cannot read itself (UTF-32, multi-byte ones:
Shift_JIS, EUC-JP, EUC-KR, which mhl-tool wrote under such a locale) is decoded first,
whole; UTF-8, UTF-16 and single-byte ones are streamed.
"""

from __future__ import annotations

import codecs
import functools
import io
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple

from offload.errors import describe_os_error
from offload.manifest import xmlparse
from offload.manifest.as_written import LittleEndianXxh64
from offload.manifest.ascmhl import canonical_digests, check_relative_path, utc_now
from offload.manifest.atomic import AtomicFile
from offload.manifest.errors import LegacyMhlUnreadableError, ManifestError
from offload.manifest.ignore import DEFAULT_IGNORE_PATTERNS, IgnoreSpec, merge_patterns
from offload.manifest.legacy_names import LEGACY_TIME_FORMAT, legacy_name_at, legacy_name_pattern
from offload.manifest.model import CreatorInfo, ManifestFile
from offload.manifest.xmltext import check_xml_string, escape_text, iso_utc_z, utc_from_ns

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

# ASC MHL name → legacy element, in the order they are written inside <hash>
LEGACY_ELEMENTS: dict[str, str] = {"md5": "md5", "sha1": "sha1", "xxh64": "xxhash64be"}


class LegacyEntry(NamedTuple):
    """One ``<hash>`` of a legacy MHL.

    ``digests``: format → canonical text for what we can recompute (md5, sha1, xxh64, the
    latter also from a little-endian ``<xxhash64>``; ``xxh32`` from ``<xxhash>``, XXH32 in
    decimal there, canonical hex here). ``other_digests``: element → text for the rest
    (``null``, a value that is no digest of its element).
    """

    path: str
    size_bytes: int | None
    last_modification_date: str | None
    digests: Mapping[str, str]
    other_digests: Mapping[str, str] = MappingProxyType({})
    hash_date: str | None = None


class LegacyHashList(NamedTuple):
    """A legacy MHL file as read. Entry paths are relative to the MHL file's folder."""

    path: Path
    version: str | None
    tool: str | None
    hostname: str | None
    user_name: str | None
    start_date: str | None
    finish_date: str | None
    entries: tuple[LegacyEntry, ...]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def is_legacy_mhl_name(root_name: str, file_name: str) -> bool:
    """Whether *file_name* is a name :func:`write_legacy_mhl` gives the legacy MHL of a
    folder named *root_name*: ``<root name>_<YYYY-MM-DD>_<HHMMSS>[_N].mhl``, the root name
    as it is or in its ASCII form (:func:`_root_names`)."""
    return _legacy_name(root_name).fullmatch(file_name) is not None


def _root_names(root_name: str) -> list[str]:
    """The root names a legacy MHL's name may start with: the folder's by the one rule of
    own names (``own_names.name_part``), its ASCII form (``names.ascii_form``), the one
    written where only ASCII names are (fusefat), and the folder's name as it is (as
    offload-ai wrote it before 2026-12-05, a line break or a tab kept)."""
    from offload.own_names import name_part

    names = [name_part(root_name)]
    if not names[0].isascii():
        from offload.plan.names import ascii_form

        names.append(ascii_form(names[0]))
    if root_name not in names:
        names.append(root_name)
    return names


def legacy_root_name(root: Path) -> str:
    """The root name :func:`write_legacy_mhl` starts the name of *root*'s legacy MHL with:
    the folder's own by the one rule of own names (``own_names.name_part``: a line break,
    a control character or a byte that is not UTF-8 as ``_``), or its ASCII form where only
    ASCII names are written (fusefat refuses any other, EPERM). An ASC MHL ignore pattern
    naming the legacy MHLs must use it too."""
    from offload.own_names import name_part

    root_name = name_part(os.path.basename(os.path.normpath(os.path.abspath(root))))
    if not root_name.isascii():
        from offload.plan.filesystem import writes_ascii_only

        if writes_ascii_only(root):
            return _root_names(root_name)[1]
    return root_name


def _legacy_name(root_name: str) -> re.Pattern[str]:
    """The names of the legacy MHLs of a folder named *root_name*
    (``legacy_names.legacy_name_pattern``: group 1 the date and time, group 2 the counter,
    None for the first), its ASCII form's too (:func:`_root_names`)."""
    return legacy_name_pattern(_root_names(root_name))


def _legacy_file_name(folder: Path, root_name: str, moment: datetime) -> Path:
    finished = moment.strftime(LEGACY_TIME_FORMAT)
    candidate = folder / legacy_name_at(root_name, finished)
    counter = 2
    while os.path.lexists(candidate):
        candidate = folder / legacy_name_at(root_name, finished, counter)
        counter += 1
    return candidate


def write_legacy_mhl(
    root: Path,
    files: Iterable[ManifestFile],
    *,
    creator: CreatorInfo,
    now: Callable[[], datetime] = utc_now,
    start_date: datetime | None = None,
    ignore_patterns: Sequence[str] = (),
    on_empty: Callable[[str], None] | None = None,
) -> Path:
    """Write a legacy MHL v1.1 file for *files* into *root*; return its path.

    An empty file is listed with ``<size>0</size>``, as mhl-tool (the v1 reference tool)
    writes and reads it: left out, it would be in no record at all, and a check against
    this MHL would call it new. The v1.1 XSD's ``size`` is ``xs:positiveInteger``, so a
    strict schema check refuses that entry: *on_empty(path)* is called for each, so the
    caller can say so.

    The name is ``<root name>_<YYYY-MM-DD>_<HHMMSS>.mhl`` (UTC, from *now*; the root name in
    ASCII where only ASCII names are written, fusefat); ``_2``, ``_3``...
    is appended if that name is taken. Entries are sorted by path; files matching ascmhl's
    default ignore patterns or *ignore_patterns* are left out. ``startdate`` is *start_date*
    (default: the same as ``finishdate``, which is *now*). Written atomically.

    Raises ValueError for bad paths, duplicates or a file without an md5, sha1 or xxh64
    digest (v1 could record nothing verifiable for it), UnsupportedTreeError for text XML
    cannot hold, ManifestError wrapping an OSError.
    """
    spec = IgnoreSpec(merge_patterns(DEFAULT_IGNORE_PATTERNS, ignore_patterns))
    rows: list[tuple[tuple[str, ...], str]] = []
    seen: set[str] = set()
    for item in files:
        check_relative_path(item.relative_path)
        if item.relative_path in seen:
            raise ValueError(f"{item.relative_path!r} is listed twice")
        seen.add(item.relative_path)
        if spec.excludes(item.relative_path, is_dir=False):
            continue
        digests = canonical_digests(item.digests)
        elements = [
            f"    <{tag}>{digests[name]}</{tag}>\n"
            for name, tag in LEGACY_ELEMENTS.items()
            if name in digests
        ]
        if not elements:
            raise ValueError(
                f"{item.relative_path!r} has no md5, sha1 or xxh64 digest for a legacy MHL"
            )
        text = (
            "  <hash>\n"
            f"    <file>{escape_text(item.relative_path)}</file>\n"
            f"    <size>{item.size_bytes}</size>\n"
            f"    <lastmodificationdate>{iso_utc_z(utc_from_ns(item.mtime_ns))}"
            "</lastmodificationdate>\n"
            f"{''.join(elements)}"
            f"    <hashdate>{iso_utc_z(item.hash_date)}</hashdate>\n"
            "  </hash>\n"
        )
        rows.append((tuple(item.relative_path.split("/")), text))
        if item.size_bytes == 0 and on_empty is not None:
            on_empty(item.relative_path)
    rows.sort(key=lambda row: row[0])

    finished = now()
    finish_text = iso_utc_z(finished)
    start_text = iso_utc_z(start_date) if start_date is not None else finish_text
    user_name = creator.user_name  # the login name (MHL v1), never the author's again
    for label, value in (
        ("user name", user_name),
        ("hostname", creator.hostname),
        ("tool", creator.tool_name),
        ("tool version", creator.tool_version),
    ):
        if value is not None:
            check_xml_string(value, label)
    header = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<hashlist version="1.1">\n',
        "  <creatorinfo>\n",
    ]
    if creator.author_name is not None:
        check_xml_string(creator.author_name, "author name")
        header.append(f"    <name>{escape_text(creator.author_name)}</name>\n")
    header += [
        f"    <username>{escape_text(user_name or '')}</username>\n",
        f"    <hostname>{escape_text(creator.hostname)}</hostname>\n",
        f"    <tool>{escape_text(creator.tool_name)} {escape_text(creator.tool_version)}</tool>\n",
        f"    <startdate>{start_text}</startdate>\n",
        f"    <finishdate>{finish_text}</finishdate>\n",
        "  </creatorinfo>\n",
    ]
    target = _legacy_file_name(root, legacy_root_name(root), finished)
    try:
        with AtomicFile(target) as out:
            out.write_text("".join(header))
            for _, text in rows:
                out.write_text(text)
            out.write_text("</hashlist>\n")
            out.commit(replace=False)
    except OSError as exc:
        raise ManifestError(
            f"cannot write legacy MHL {target}: {describe_os_error(exc)}",
            path=target,
            errno_=exc.errno,
        ) from exc
    return target


def newest_legacy_mhl(root: Path) -> Path | None:
    """The newest legacy MHL :func:`write_legacy_mhl` wrote in *root* (by the date, time and
    counter in its name), None when there is none. Raises OSError if *root* cannot be listed."""
    stamp = _legacy_name(os.path.basename(os.path.normpath(os.path.abspath(root))))
    newest: tuple[str, int, str] | None = None
    with os.scandir(root) as entries:
        for entry in entries:
            match = stamp.fullmatch(entry.name)
            if match is None or not entry.is_file(follow_symlinks=False):
                continue
            key = (match.group(1), int(match.group(2) or 1), entry.name)
            if newest is None or key > newest:
                newest = key
    return None if newest is None else root / newest[2]


def first_unlisted(
    root: Path, files: Iterable[ManifestFile], *, ignore_patterns: Sequence[str] = ()
) -> str | None:
    """The first of *files* that the newest legacy MHL in *root* does not list as
    :func:`write_legacy_mhl` would now (asked to ignore *ignore_patterns*: the same size and
    the same md5, sha1 and xxh64 digests), or ``""`` when there is no legacy MHL there or it
    cannot be read; None when it lists every one. Each legacy MHL offload-ai writes lists
    every file verified there by then, so the newest alone tells whether a run stopped
    before writing its own (files verified since are not in it)."""
    try:
        newest = newest_legacy_mhl(root)
        if newest is None:
            return ""
        listed = {entry.path: entry for entry in read_legacy_mhl(newest).entries}
    except (OSError, ManifestError):
        return ""
    spec: IgnoreSpec | None = None
    for item in files:
        entry = listed.get(item.relative_path)
        digests = canonical_digests(item.digests)
        wanted = {name: digests[name] for name in LEGACY_ELEMENTS if name in digests}
        if (
            entry is not None
            and entry.size_bytes == item.size_bytes
            and all(entry.digests.get(name) == value for name, value in wanted.items())
        ):
            continue
        if spec is None:  # made for the first file not listed: never, on an ordinary re-run
            spec = IgnoreSpec(merge_patterns(DEFAULT_IGNORE_PATTERNS, ignore_patterns))
        if not spec.excludes(item.relative_path, is_dir=False):
            return item.relative_path
    return None


# How many hex digits each element's digest has (mhl-tool writes them zero-padded and
# compares the length too): any other text is no digest of its element.
_HEX_DIGITS = {"md5": 32, "sha1": 40, "xxhash64be": 16, "xxhash64": 16}
_HEX = re.compile(r"[0-9a-fA-F]*")


def _hex_digest(tag: str, value: str) -> str:
    """*value*, the text of a ``<md5>``, ``<sha1>``, ``<xxhash64be>`` or ``<xxhash64>``,
    in lower case. Raises ValueError for anything but that many hex digits (an empty
    element, ``n/a``, a decimal number, a digest cut short): no digest to compare."""
    if len(value) != _HEX_DIGITS[tag] or _HEX.fullmatch(value) is None:
        raise ValueError(f"not a {tag} digest: {value!r}")
    return value.lower()


def _xxh64_from_little_endian(value: str) -> str:
    return bytes.fromhex(_hex_digest("xxhash64", value))[::-1].hex()


def _xxh32_from_decimal(value: str) -> str:
    """XXH32 as ``<xxhash>`` holds it (decimal: mhl-tool writes ``%010u``, zero-padded) in
    canonical hex (``xxhsum -H0``). Raises ValueError for anything but a 32-bit number."""
    if not value.isascii() or not value.isdigit() or int(value) > 0xFFFFFFFF:
        raise ValueError(f"not an XXH32 in decimal: {value!r}")
    return f"{int(value):08x}"


# The XML declaration's encoding, in the first bytes of a file in an ASCII-compatible one.
_DECLARED = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
# UTF-32 byte-order marks (LE first: its first two bytes are UTF-16 LE's mark), and the
# first character '<' without one.
_UTF32 = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
          (b"<\x00\x00\x00", "utf-32-le"), (b"\x00\x00\x00<", "utf-32-be"))  # fmt: skip


def _encoding_expat_cannot_read(head: bytes) -> str | None:
    """The encoding of a file starting with *head* when the XML parser cannot read it
    itself (UTF-32; a multi-byte one such as Shift_JIS, EUC-JP or EUC-KR, which mhl-tool
    wrote with a locale of that kind), else None (UTF-8, UTF-16, single-byte ones: the
    parser reads them, streaming)."""
    for mark, name in _UTF32:
        if head.startswith(mark):
            return name
    declared = _DECLARED.match(head)
    if declared is None:
        return None
    name = declared.group(1).decode("ascii")
    try:
        codecs.lookup(name)
    except LookupError:
        return None  # the parser says why it cannot read it (xmlparse: as malformed XML)
    return None if _expat_reads(name) else name


@functools.cache
def _expat_reads(encoding: str) -> bool:
    import xml.etree.ElementTree as ET  # here: a run that reads no legacy MHL never loads it

    try:
        ET.fromstring(f'<?xml version="1.0" encoding="{encoding}"?><a/>'.encode("ascii"))
    except (ET.ParseError, ValueError, LookupError):
        return False
    return True


def _as_utf8(path: Path, encoding: str) -> io.BytesIO:
    """The file at *path*, in *encoding*, as UTF-8 bytes the parser reads (its declaration
    saying so). Raises UnicodeDecodeError for bytes that are not in *encoding*, ET.ParseError
    for an *encoding* that decodes no text (``rot13``) or whose codec fails (``idna``), as
    the parser does (xmlparse)."""
    import xml.etree.ElementTree as ET

    data = path.read_bytes()
    try:
        text = data.decode(encoding).removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise
    except (LookupError, UnicodeError) as exc:
        raise ET.ParseError(xmlparse.reason(exc)) from exc
    text = re.sub(r"^<\?xml[^>]*\?>", '<?xml version="1.0" encoding="UTF-8"?>', text, count=1)
    return io.BytesIO(text.encode("utf-8"))


def read_legacy_mhl(path: Path) -> LegacyHashList:
    """Read a legacy MHL file (v1.0/1.1). Streams the entries.

    Raises LegacyMhlUnreadableError (a ManifestError) for malformed XML, a document that is
    not a hashlist, or an unreadable file (wrapping the OSError).
    """
    info: dict[str, str] = {}
    version: str | None = None
    entries: list[LegacyEntry] = []
    # Whether a ``\\`` is a Windows tool's separator (``_spell_again``): so until the
    # ``<tool>`` is ours or a path holds a ``/``; then the paths read so far (*written*, as
    # written) are spelled again, once: a Mac tool's first path has its ``/``, a Windows
    # tool's none, so nothing is spelled twice but what precedes that first ``/``.
    windows = True
    written: list[str] = []
    import xml.etree.ElementTree as ET  # here: writing a legacy MHL never loads it

    try:
        with open(path, "rb") as handle:
            head = handle.read(256)
        encoding = _encoding_expat_cannot_read(head)
        source: Path | io.BytesIO = path if encoding is None else _as_utf8(path, encoding)
        for event, element in xmlparse.iterparse(source, ("start", "end")):
            tag = _local(element.tag)
            if event == "start":
                if version is None:
                    if tag != "hashlist":
                        raise LegacyMhlUnreadableError(f"{path} is not an MHL hashlist", path=path)
                    version = element.get("version", "")
                continue
            if tag == "creatorinfo":
                for child in element:
                    info[_local(child.tag)] = (child.text or "").strip()
                element.clear()
                if windows and _written_by_us(info.get("tool")):
                    windows = _spell_again(entries, written)
            elif tag == "hash":
                entry, text = _legacy_entry(element, windows=windows)
                entries.append(entry)
                element.clear()
                if windows:
                    written.append(text)
                    if "/" in text:
                        windows = _spell_again(entries, written)
    except ET.ParseError as exc:
        raise LegacyMhlUnreadableError(f"{path} is not well-formed XML: {exc}", path=path) from exc
    except UnicodeDecodeError as exc:
        raise LegacyMhlUnreadableError(
            f"{path} is not in the encoding it declares ({exc.encoding}): {exc.reason}",
            path=path,
        ) from exc
    except OSError as exc:
        raise LegacyMhlUnreadableError(
            f"cannot read legacy MHL {path}: {describe_os_error(exc)}", path=path, errno_=exc.errno
        ) from exc
    return LegacyHashList(
        path=path,
        version=version or None,
        tool=info.get("tool"),
        hostname=info.get("hostname"),
        user_name=info.get("username"),
        start_date=info.get("startdate"),
        finish_date=info.get("finishdate"),
        entries=tuple(entries),
    )


def _spell_again(entries: list[LegacyEntry], written: list[str]) -> bool:
    """Spell the paths of *entries* again, each from its text as *written* (one each, in
    order), with ``\\`` a character of the name: the MHL's ``\\`` is no Windows tool's
    separator after all. A ``\\`` is one only in an MHL not of ours (``_written_by_us``)
    whose paths hold no ``/`` (a Windows tool writes ``\\`` throughout); a Mac tool's
    (Silverstack, YoYotta, mhl-tool on macOS) paths hold ``/`` between folders, and a
    ``\\`` there is a character of a name (review of fixhost62: ``CLIPS/c7\\x.mov`` read
    as ``CLIPS/c7/x.mov``, a false MISSING). Empties *written*; returns False, the new
    ``windows``."""
    for index, text in enumerate(written):
        path = _entry_path(text, windows=False)
        if path != entries[index].path:
            entries[index] = entries[index]._replace(path=path)
    written.clear()
    return False


def _written_by_us(tool: str | None) -> bool:
    """Whether a legacy MHL's ``<tool>`` is offload-ai's (``write_legacy_mhl``: ``offload-ai
    <version>``, every version since the first). Ours writes each path as the card spells
    it, with ``/`` between folders: a ``\\`` in it is a character of the name (Linux and
    macOS allow it), never a separator (QA: ``CLIPS/c7\\x.mov`` read as ``CLIPS/c7/x.mov``,
    a false MISSING on an intact copy, and onward "MISSING FROM THE CARD")."""
    return tool is not None and (tool == _OUR_TOOL or tool.startswith(_OUR_TOOL + " "))


_OUR_TOOL = "offload-ai"  # CreatorInfo.tool_name's default, what the writer puts first


_DRIVE_ROOT = re.compile(r"[A-Za-z]:\\")


# The white space an XML pretty-printer puts around a ``<file>``'s text: a run of spaces,
# tabs, CRs and LFs holding a line break, at the text's start or end.
_PRETTY_START = re.compile(r"\A[ \t]*[\r\n][ \t\r\n]*")
_PRETTY_END = re.compile(r"[ \t\r\n]*[\r\n][ \t]*\Z")


def _entry_path(text: str, *, windows: bool) -> str:
    """A ``<file>``'s path as the card's: the white space a pretty-printer put around it
    dropped (at either end, a run of spaces, tabs, CRs and LFs that holds a line break:
    ``<file>\\n    C/f1.mov\\n  </file>`` is ``C/f1.mov``; a name's own leading or
    trailing space, with no line break beside it, is kept: ``<file> C/f1.mov</file>`` is
    `` C/f1.mov``); with *windows* (``_spell_again``), or from a drive's root
    (``D:\\A001\\...``: only Windows names a path so), ``\\`` (a Windows tool's
    separator) as ``/``; a leading ``./`` (``.\\CLIPS\\A.MOV``) dropped; nothing else
    changed (``card_legacy_mhl.listed_path`` joins it to the MHL's folder, normalizes it
    and judges ``..``)."""
    if "\n" in text or "\r" in text:
        text = _PRETTY_END.sub("", _PRETTY_START.sub("", text, count=1), count=1)
    drive = "\\" in text and _DRIVE_ROOT.match(text) is not None
    path = text.replace("\\", "/") if windows or drive else text
    while path.startswith("./"):
        path = path[2:].lstrip("/")
    return path


def _legacy_entry(element: ET.Element, *, windows: bool) -> tuple[LegacyEntry, str]:
    """The ``<hash>`` *element* as an entry, its path spelled with *windows*
    (``_entry_path``), and that path's text as written."""
    values: dict[str, str] = {}
    for child in element:
        values.setdefault(_local(child.tag), child.text or "")
    digests: dict[str, str] = {}
    others: dict[str, str] = {}
    for tag, text in values.items():
        text = text.strip()
        try:
            if tag == "md5":
                digests["md5"] = _hex_digest(tag, text)
            elif tag == "sha1":
                digests["sha1"] = _hex_digest(tag, text)
            elif tag == "xxhash64be":
                digests["xxh64"] = _hex_digest(tag, text)
            elif tag == "xxhash64":
                # Compared as the canonical text, quoted as the MHL writes it (as_written).
                canonical = _xxh64_from_little_endian(text)
                digests.setdefault("xxh64", LittleEndianXxh64(canonical, text))
            elif tag == "xxhash":
                digests["xxh32"] = _xxh32_from_decimal(text)
            elif tag == "null":
                others[tag] = text
        except ValueError:
            others[tag] = text
    size_text = values.get("size", "").strip()
    file_text = values.get("file", "")
    entry = LegacyEntry(
        path=_entry_path(file_text, windows=windows),
        size_bytes=int(size_text) if size_text.isascii() and size_text.isdigit() else None,
        last_modification_date=values.get("lastmodificationdate"),
        digests=digests,
        other_digests=others,
        hash_date=values.get("hashdate"),
    )
    return entry, file_text
