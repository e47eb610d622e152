"""A destination's own record of what offload-ai verified there, for incremental offloads.

``<copy root>/.offload/ledger.jsonl`` is append-only JSON lines. Once a verified partial is
renamed to its final name and the name is durable (its folder fsynced), the committer
appends (and fsyncs) an entry with the file's size, mtime, in-flight digests and the
partial's unique name; so an entry never vouches for a copy whose publish failed (the run
reported it failed), and after a SIGKILL at any point a final-named file has its entry or
is read back by the next run (adopted), never trusted. A re-run trusts a file only when the
last entry for its path says verified (or transfer-checked, for a run that asks no more),
the file has the recorded size and mtime, and the partial named in the entry is gone (our
rename happened: an entry of a version that recorded a file before renaming it). Never on
name and size alone.

Entry states: ``verified`` (read back from the media and matched, by the ``verify`` mode
recorded), ``transfer_checked`` (written with the in-flight hash and size checked, never read
back: ``verify`` is "transfer"), ``revoked`` (no longer trusted).

How a ``verified`` copy was read back: an entry whose read-back went through a cache (the
page cache still held the file, or the device cache under a FUSE drive could not be dropped:
``cache_bypass`` ``none``; a network share's server: ``server``) records it in
``cache_bypass``, so a later run that trusts the entry says "verified earlier, through a
cache" and does not count it to release the card. An entry that read the media (O_DIRECT,
dropped-and-checked cache, the device cache dropped, an S3 GET) has no such key.

Which card: an entry a run wrote for a copy (verified or transfer-checked) records the card
it copied from (``card``: ``card_identity.CardIdentity.key``, the card's volume UUID or
serial, label and the source's folder on that volume), when the run knew it. A re-run
trusts an entry only for the same card (``same_card``): one recorded from another card
(both known, not equal: a card formatted again and reshot, a second card ``--into`` the
same folder, with the same names, sizes and dates) vouches for nothing here, and its copy
is read back against this card's file like any file no ledger vouches for. An entry without
the key (written by a version before it, or by a run that could not tell its card: a folder
on a disk udev and blkid name nothing for, a network share) is trusted on the quick check
alone, as before: same relative path, size and mtime; and so is any entry in a run that
cannot tell its card.

Which file: an entry a run wrote for a copy it made records the card file's fingerprint
(``fingerprint``: ``offload.fingerprint``, an XXH3-128 digest of its first and last 64 KiB,
from the bytes the copy read). A re-run reads the card file's fingerprint again before an
entry of this name, size and mtime vouches for it (``card._plan``), whatever the card's
identity (a card restored from an image keeps its serial; a camera may stamp one time on
every clip): another fingerprint means another file, whose copy is not this one's, read
back like a copy no ledger vouches for (the refusal, if it differs, says so). An entry
without it (written by a version before the key, or a copy re-checked without reading
the card file and whose entry had none) is
trusted on the quick check alone, and the run's note says so.

Which copy: on a filesystem that keeps a file's inode number and change time across
mounts (``IDENTITY_KEPT``), an entry of a copy records both as ``stat`` gave them once the
copy was at its name (``inode``, ``ctime_ns``: ``Ledger.append_verified``, after the
renames; ``Ledger.identified``, for a copy adopted or re-checked), and vouches only for that
very file (``same_file``): a clone of the copy root (``cp -a``, ``rsync -a``: its ledger
copied along, each file's name, size and date kept) or a file put in its place has
another inode, and is read back like a copy no ledger vouches for; our copy written over in
place (or its metadata changed) keeps its inode, another change time, and is re-read as
ours (``recorded_file``). The same drive mounted again, at any path, keeps both; seen
through a mount that makes inode numbers up (``rclone mount``, sshfs without ``use_ino``),
they are not compared (``Ledger.keeps_identity`` of the mount read through). An entry
without them (another filesystem, an older version's) is trusted on the quick check alone,
as before; an older version skips a line with them.

What an S3 copy's transfer check proved: a ``transfer_checked`` entry an S3 ledger records
carries ``transfer_check`` (``S3Ledger.append_verified``, from the preflight's probe of the
service): ``size`` where the service stores a part whatever its checksum (the size alone was
checked), ``size+in-flight`` where it refuses one whose checksum is wrong. A re-run trusting
the copy says what that run proved (``size_checked_only``): "size-checked only ... by an
earlier run", never "in-flight hashes checked" of a copy whose hashes no one checked. An S3
entry without the key (a version before it) cannot tell: its copy is said size-checked only,
the one fact known. A disk's entry has none (its transfer check checks both). An older
version skips a line with the key (the compatibility rule): it never trusts more, nor writes
over a copy; it reads the copy at a card file's name back (and adopts it if equal), but a
``--keep-both`` copy beside another card's, at a name no card file has, is nothing it reads
back: it copies that file again, one more copy beside it ("c (2).mov" beside "c (1).mov").

Which entry of a path: the last line, as every version reads it, but for the entries of
other cards still standing beside it (``fold_lines``): two cards ``--keep-both``ed into
one folder each keep their own copy's entry ("clip.mov" of one, "clip (1).mov" of the
other), so that a re-run of either trusts its own copy instead of writing one more.
Nothing new is written for it: an older version reads the same lines by the last line's
rule (trusting less: the other card's copy is read back). A revocation of one card's copy
(``Ledger.revoke``) writes the other cards' standing entries again after its ``revoked``
line, which ends every entry of the path as every version reads it.

Which copy a revocation ended: a ``revoked`` line names the path alone, so nothing in it
proves the file there now is the copy it revoked, and no run replaces that file unasked.
Every revocation (``Ledger.revoke``, the one writer: ``offload verify``'s, ``verify_revoke``
and ``destinations.s3revoke``; and an offload's own, of a copy its read-back found wrong or
could not read, ``existing.settle``, its cascade's, ``cascade._fail_damaged``, its re-read
after fusefat's renames or that re-read's cancel, ``renamed_recheck``) writes after that
plain line a second ``revoked`` line carrying the entry it ended (``revoked_copy``: the
entry's own JSON object; the one *records* name, else the ledger's standing entry of that
path and card, ``ended_entry``, or the record an earlier revocation of it kept) and who
revoked it (``revoked_by``: absent for ``offload verify``, ``"offload"`` for an offload's
own), in the same append, made durable together. A version that knows the keys reads the
path's last line as that revocation and its record (``revoked_record``): ``offload copy
--reverify`` takes such a copy up as ours (``Ledger.found_wrong_copy``: the record is of
this very card file, from this card, its rename happened, a regular file at its name),
reads it back and replaces it if it differs, without ``--overwrite``, and a plain run's
refusal of it names ``--reverify``. An older version skips the second line (a key it does
not know: the version before ``revoked_by`` skips an offload's, and reads none of them as
``offload verify``'s) and reads the plain revocation before it: it trusts less, never
more. A crash that leaves the second line cut short leaves the plain one too (the copy then
needs ``--overwrite``, as before). No record: the revocation of an entry whose rename never
happened (its partial still there, ``card._remove_stray_partials``: the file at the name is
not the copy it records), and, the card unknown, of a path whose copies of two cards stand
(which one is not one entry). Only the path's last line counts: a revocation whose other
cards' copies were written again after it (``revoke``) keeps no record a run reads.

Compatibility: a line with a key this version does not know is skipped (``LedgerEntry(**raw)``
raises), and the path's previous line stands (and so is a line whose names are no file's under
the copy root, ``names_files``: a NUL, an absolute path, a ``..``; only a damaged or
hand-edited ledger holds one, and no run looks at a path it makes). So a newer version marks an
entry that must be trusted *less* with a key of its own, written only then: an older version
skips it and reads the copy back (or copies it) instead of trusting more than was proven; an
entry that needs no new key stays readable by every version. ``cache_bypass`` is such a key,
and so are ``card`` and ``fingerprint``: an older version skips every line that records one and
reads those copies back (or the path's previous line stands, as for any key it does not know):
after a downgrade a re-run reads back what it would have trusted, it never trusts more. A
``revoked`` line records neither (it vouches for nothing), so every version reads it. An entry
without ``cache_bypass`` written by a version before it says nothing about the cache: it is
taken as read from the media, although such a version may have read a copy on a FUSE drive
(exfat-fuse, ntfs-3g) through the device's cache (README, "What 'read back from the media'
rests on").
"""

from __future__ import annotations

import codecs
import errno
import json
import math
import os
import stat
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from dataclasses import fields as dataclass_fields
from json.encoder import encode_basestring
from pathlib import Path
from typing import NamedTuple

from offload.fs.devices import nearest_folder_device
from offload.fs.listing import FolderListings
from offload.fs.mtimes import MtimeRange
from offload.fs.ops import fsync_dir
from offload.fs.whole import NothingWritten
from offload.json_text import STRICT
from offload.state_folder import check_held

# The state's names and the cache words, in a module of their own for the reports (exported
# here too: a copy root's state folder, what the manifests ignore, the read-backs recorded).
from offload.state_names import STATE_FOLDER as STATE_FOLDER
from offload.state_names import THROUGH_A_CACHE as THROUGH_A_CACHE
from offload.state_names import TOOL_IGNORE_PATTERNS as TOOL_IGNORE_PATTERNS

LEDGER_NAME = "ledger.jsonl"
_PROOF_RANK = {"transfer": 0, "destination": 1, "full": 2}
# What a filesystem answers a write that would make an existing file longer when it refuses
# that alone (fusefat: EPERM): the ledger is then written whole (Ledger.append).
_EXTEND_REFUSED = frozenset({errno.EPERM, errno.EOPNOTSUPP})
# How far a copy's modification time may be from the one recorded (the source's) and still be
# that copy's: exFAT keeps 10 ms and FAT 2 s (``Ledger.as_recorded``; a bucket's object dated
# by its metadata, ``s3other_objects``).
DATE_SLACK_NS = 2_000_000_000


#: The states of a line that vouches for a copy (``LedgerEntry.vouches``).
VOUCHING_STATES = ("verified", "transfer_checked")


@dataclass(frozen=True)
class LedgerEntry:
    """One line of the ledger: what a run verified (or revoked) for one path."""

    relative_path: str
    state: str  # "verified", "transfer_checked" or "revoked"
    size_bytes: int = 0
    mtime_ns: int = 0
    digests: dict[str, str] = field(default_factory=dict)
    partial_name: str = ""
    final_name: str = ""
    verify: str = ""
    recorded_at: float = 0.0
    # An object store's ETag of the copy as verified (empty for a disk): a later run trusts
    # the entry only if the object there still has it.
    etag: str = ""
    # How the read-back went through a cache ("none", "server"; see the module's docstring):
    # empty when it read the media (or the entry is older than the key).
    cache_bypass: str = ""
    # The card the copy was made from (``CardIdentity.key``): empty when unknown (the run
    # could not tell, or the entry is older than the key).
    card: str = ""
    # The card file's fingerprint (``offload.fingerprint``: its first and last 64 KiB), as the
    # copy read it, or as read when an existing copy was proven: empty when not recorded (a
    # copy re-checked without reading the card file, its entry without one; or the entry is
    # older than the key).
    fingerprint: str = ""
    # Of a ``revoked`` line written by ``offload verify`` after the plain one: the entry it
    # revoked (its line's JSON object, ``entry_fields``), the copy the check found wrong
    # (``revoked_record``; the module's "Which copy a revocation ended"). None otherwise: a
    # default that costs no object an entry (a 50,000-line ledger makes one entry a line).
    revoked_copy: dict[str, object] | None = None
    # Of such a line, who revoked the copy: "" ``offload verify``'s check (``REVOKED_BY_CHECK``;
    # the lines of the version before the key), ``"offload"`` an offload's own revocation
    # (``REVOKED_BY_OFFLOAD``: its read-back found the copy wrong or could not read it, the
    # cascade's re-read, the re-read after fusefat's renames or its cancel): the words of a
    # re-run that meets the copy say which.
    revoked_by: str = ""
    # Which file object the copy verified is (``Ledger.identified``): its inode number and
    # change time (ns) as ``stat`` gave them once the copy was at its name, on a filesystem
    # that keeps both across mounts (``IDENTITY_KEPT``); 0 when not recorded (another
    # filesystem, an S3 copy root, or the entry is older than the keys). A clone of the
    # copy (``cp -a``, ``rsync -a``) or a file put in its place has another.
    inode: int = 0
    ctime_ns: int = 0
    # Of a ``transfer_checked`` entry of a copy on S3: what its transfer check proved
    # (``TRANSFER_SIZE_ONLY``: the size alone, the service storing a part whatever its
    # checksum; ``TRANSFER_IN_FLIGHT``: the size and the in-flight hashes); empty on a disk
    # (every disk's transfer check checks both) and in an S3 entry older than the key, which
    # cannot tell (``size_checked_only``).
    transfer_check: str = ""

    @property
    def vouches(self) -> bool:
        """Whether the entry records a copy a run may trust (its state ``verified`` or
        ``transfer_checked``): a ``revoked`` line names a path alone, and a line whose state
        this version cannot read vouches for nothing. The one place that says which states
        vouch."""
        return self.state in VOUCHING_STATES


# The keys a line holds only when set (an older version skips a line with one: see the
# module's compatibility rule).
_WHEN_SET = (
    "cache_bypass",
    "card",
    "fingerprint",
    "revoked_copy",
    "revoked_by",
    "inode",
    "ctime_ns",
    "transfer_check",
)

# What an S3 copy's transfer check proved (``LedgerEntry.transfer_check``): written on
# every ``transfer_checked`` entry an S3 ledger records (``S3Ledger.append_verified``).
TRANSFER_SIZE_ONLY = "size"
TRANSFER_IN_FLIGHT = "size+in-flight"

# The filesystems (``detect_filesystem``: the type, or a FUSE drive's own) that keep a
# file's inode number and change time as they were across an unmount and a mount: a copy's
# entry records both there (``Ledger.identified``). Found with real mounts (ext4, xfs,
# btrfs, ntfs-3g: both kept; a cp -a or rsync -a clone has others). tmpfs keeps nothing
# across a remount, its files gone with it: both kept while it is mounted. A block-level
# copy (dd of the drive, a btrfs or LVM snapshot) keeps both: not told apart. Not exfat-fuse nor
# fusefat (an inode number is the order a mount looked files up in, the change time the
# modification time), nor a network share: nothing recorded there, the quick check alone.
IDENTITY_KEPT = frozenset({"ext2", "ext3", "ext4", "xfs", "btrfs", "ntfs", "ntfs3", "tmpfs"})

# Who revoked a copy, on the line carrying its record (``LedgerEntry.revoked_by``).
REVOKED_BY_CHECK = ""
REVOKED_BY_OFFLOAD = "offload"


def entry_fields(entry: LedgerEntry) -> dict[str, object]:
    """The entry as the JSON object of its line: ``cache_bypass``, ``card``,
    ``fingerprint``, ``revoked_copy`` and ``revoked_by`` only when set (an older version
    skips a line with one: see the module's compatibility rule)."""
    fields = vars(entry)
    if not all(fields[k] for k in _WHEN_SET):
        return {k: v for k, v in fields.items() if k not in _WHEN_SET or v}
    return fields


def revoked_record(entry: LedgerEntry | None) -> LedgerEntry | None:
    """The copy's entry that the ``revoked`` line *entry* ended, where it carries one
    (``revoked_copy``: a revocation's second line, ``Ledger.revoke``) and it reads as an
    entry of a copy (verified or transfer-checked, no record of its own, its keys of the
    types an entry has: a damaged line is none); else None."""
    if entry is None or entry.state != "revoked" or not entry.revoked_copy:
        return None
    ended = _entry_from(entry.revoked_copy)  # its keys of an entry's types, as a line's
    if (
        ended is None
        or not names_files(ended)
        or not _in_range(ended)
        or not ended.vouches
        or ended.revoked_copy
        or ended.revoked_by
        or ended.relative_path != entry.relative_path
    ):
        return None
    return ended


def kept_by_check(entry: LedgerEntry | None) -> LedgerEntry | None:
    """The copy's entry that *entry*, a ``revoked`` line of ``offload verify``'s check
    (``REVOKED_BY_CHECK``), ended and kept (``revoked_record``): the copy an earlier check
    found wrong, which a check against the ledger judges the file against again
    (``verification.checked_wrong``). None for any other line: one that vouches, a
    revocation by offload itself (``REVOKED_BY_OFFLOAD``: the file may be a copy it never
    finished), or one that kept no record."""
    if entry is None or entry.revoked_by != REVOKED_BY_CHECK:
        return None
    return revoked_record(entry)


def proven_when(entry: LedgerEntry) -> tuple[str, str]:
    """How and when *entry* proved its copy, in words: ("verified", or "transfer-checked"
    for a copy never read back, ``verify`` ``transfer``, "size-checked" where that check
    proved its size alone, ``size_checked_only``; " on <date and time in UTC, the
    zone named>", or "" when it records no time). The one wording of both, for every line
    that says what the ledger vouches for; UTC, as every date of the reports that keep
    these lines (``report.dates.utc_words``)."""
    from offload.report.dates import utc_words  # no imports of its own

    verb = "verified"
    if entry.verify == "transfer":
        verb = "size-checked" if size_checked_only(entry) else "transfer-checked"
    when = f" on {utc_words(entry.recorded_at)}" if entry.recorded_at else ""
    return verb, when


def size_checked_only(entry: LedgerEntry) -> bool:
    """Whether *entry*, a transfer check's (``transfer_checked``), vouches for its copy's size
    alone, never its in-flight hashes: recorded so (``TRANSFER_SIZE_ONLY``: its S3 service
    stored a part whatever its checksum, the preflight's ``s3-checksums-unchecked``), or an
    S3 entry (it records an ETag) older than the key, which cannot tell whether its service
    checked them: only the size is known to have been. False for a disk's (no ETag: every
    disk's transfer check checks both) and for one recording both (``TRANSFER_IN_FLIGHT``).
    The one rule, for ``card._plan``'s trusted copies and what every document says of
    them."""
    if entry.state != "transfer_checked":
        return False
    if entry.transfer_check:
        return entry.transfer_check != TRANSFER_IN_FLIGHT
    return bool(entry.etag)


def ended_entry(entries: LedgerEntries, path: str, card: str) -> LedgerEntry | None:
    """The entry a revocation of *path*'s copy of the card *card* (``CardIdentity.key``;
    "" unknown) ends, as *entries* stand: the standing entry of the path of that card
    (``same_card``: its last one, or one beside it; either unknown, the path's last entry
    when no other card's stands beside it), or, where the path's last line is a revocation
    that kept a record (``revoked_record``) of that card, that record (a copy revoked
    again keeps it). None where it is not one entry (the card unknown and two cards' copies
    there) or none vouches."""
    last = entries.latest.get(path)
    if last is None:
        return None
    if not last.vouches:
        ended = revoked_record(last)
        return ended if ended is not None and same_card(ended, card) else None
    beside = entries.beside.get(path, ()) if entries.beside else ()
    if not card:
        return None if beside else last
    return next((e for e in (last, *reversed(beside)) if same_card(e, card)), None)


def same_card(entry: LedgerEntry, card: str) -> bool:
    """Whether *entry* may vouch for a copy in a run reading the card *card*
    (``CardIdentity.key``; "" unknown): the same card (its volume and folder: the label is
    for people, ``same_volume_and_folder``), or either unknown (the quick check alone then,
    the weaker case: module docstring)."""
    if not entry.card or not card or entry.card == card:
        return True
    from offload.card_identity import same_volume_and_folder  # keys differ: rare

    return same_volume_and_folder(entry.card, card)


# The fields ``entry_line`` writes, in the dataclass's order (a test holds them equal to
# ``LedgerEntry``'s: an entry with others goes through the encoder).
_LINE_FIELDS = (
    "relative_path",
    "state",
    "size_bytes",
    "mtime_ns",
    "digests",
    "partial_name",
    "final_name",
    "verify",
    "recorded_at",
    "etag",
    "cache_bypass",
    "card",
    "fingerprint",
    "revoked_copy",
    "revoked_by",
    "inode",
    "ctime_ns",
    "transfer_check",
)


def entry_line(entry: LedgerEntry) -> str:
    """The entry's line (no newline): the text ``json`` makes of ``entry_fields(entry)``
    (``ensure_ascii=False``, default separators), byte for byte, made from a template.

    Each text is quoted by ``json``'s own function (``encode_basestring``: the same
    escapes), integers and floats written by their ``repr`` as ``json`` writes them. An
    entry holding anything else (another type, a float that is not finite, other fields)
    goes through the encoder. Why: the encoder took ~9 µs a line and the template ~2 µs,
    and a committer writes a line for every file it verifies (docs/performance.md, "The
    small-file card: sixth pass").
    """
    fields = vars(entry)
    digests = fields["digests"]
    recorded_at = fields["recorded_at"]
    if (
        tuple(fields) != _LINE_FIELDS
        or type(fields["size_bytes"]) is not int
        or type(fields["mtime_ns"]) is not int
        or type(recorded_at) is not float
        or not math.isfinite(recorded_at)
        or type(digests) is not dict
        or fields["revoked_copy"]  # a record in the line: rare (a revocation's)
        or fields["revoked_by"]
        or type(fields["inode"]) is not int
        or type(fields["ctime_ns"]) is not int
    ):
        return STRICT.encode(entry_fields(entry))
    quote = encode_basestring
    bypass = fields["cache_bypass"]
    card = fields["card"]
    fingerprint = fields["fingerprint"]
    try:  # quote raises TypeError for anything but text
        listed = ", ".join([f"{quote(k)}: {quote(v)}" for k, v in digests.items()])
        line = (
            f'{{"relative_path": {quote(fields["relative_path"])}, '
            f'"state": {quote(fields["state"])}, '
            f'"size_bytes": {fields["size_bytes"]!r}, "mtime_ns": {fields["mtime_ns"]!r}, '
            f'"digests": {{{listed}}}, "partial_name": {quote(fields["partial_name"])}, '
            f'"final_name": {quote(fields["final_name"])}, "verify": {quote(fields["verify"])}, '
            f'"recorded_at": {recorded_at!r}, "etag": {quote(fields["etag"])}'
        )
        if bypass:  # written only when set (entry_fields)
            line = f'{line}, "cache_bypass": {quote(bypass)}'
        if card:  # likewise
            line = f'{line}, "card": {quote(card)}'
        if fingerprint:  # likewise
            line = f'{line}, "fingerprint": {quote(fingerprint)}'
        if fields["inode"]:  # likewise (both recorded together: ``Ledger.identified``)
            line = f'{line}, "inode": {fields["inode"]!r}'
        if fields["ctime_ns"]:
            line = f'{line}, "ctime_ns": {fields["ctime_ns"]!r}'
        if fields["transfer_check"]:  # likewise (an S3 transfer check's)
            line = f'{line}, "transfer_check": {quote(fields["transfer_check"])}'
    except TypeError:
        return STRICT.encode(entry_fields(entry))
    return line + "}"


def same_file(entry: LedgerEntry, st: os.stat_result) -> bool:
    """Whether the file *st* is the very one *entry* recorded, where it recorded which
    (``Ledger.identified``: the inode number and change time ``stat`` gave then): a clone
    (``cp -a``, ``rsync -a``: a new inode, a new change time), a file put in its place, one
    whose metadata changed since (``chmod``, a link added) is not. An entry recording none
    (another filesystem, a version before the keys): True, the quick check alone.

    ext4 gives a freed inode number to the next file made: a file put in place of a deleted
    copy may get the recorded number back, and is then told "touched" (our copy changed
    since: re-read from the card, replaced if it differs), not "clone": read back either
    way, never trusted."""
    if not entry.inode:
        return True
    return st.st_ino == entry.inode and st.st_ctime_ns == entry.ctime_ns


def _final_text(root: str, relative_path: str, final_name: str) -> str:
    """The path of the copy at *relative_path* under the copy root *root* (text), named
    *final_name* where it got another name (``final_path_of``, as text)."""
    if not final_name:
        return f"{root}/{relative_path}"
    folder = relative_path.rpartition("/")[0]
    return f"{root}/{folder}/{final_name}" if folder else f"{root}/{final_name}"


def _torn_tail(fd: int) -> str:
    """``_torn`` of the last line of the ledger open on *fd*: one ``pread`` of its last byte
    (a newline: none), else of its last line (up to 1 MiB)."""
    size = os.fstat(fd).st_size
    if not size or os.pread(fd, 1, size - 1) == b"\n":
        return ""
    start = max(0, size - (1 << 20))
    tail = os.pread(fd, size - start, start).rpartition(b"\n")[2]
    return _torn(tail.decode("utf-8", "surrogateescape"))


def _torn(last: str) -> str:
    """*last*, a ledger's last line, when a run stopped while writing it: no newline at its
    end and no entry this version reads (a complete line always ends in one); else ""."""
    if not last or last.endswith("\n"):
        return ""
    return last if entry_of(last) is None else ""


def _fragment_path(fragment: str) -> tuple[str, str]:
    """The relative path a torn line's fragment records, where its text holds all of it
    (``"relative_path"`` comes first in every line; else ""), and its state where the
    text holds that too (it comes second; else "")."""
    head = '{"relative_path": '
    if not fragment.startswith(head):
        return "", ""
    decoder = json.JSONDecoder()
    try:
        value, end = decoder.raw_decode(fragment, len(head))
    except (ValueError, RecursionError):  # nested too deep: no path
        return "", ""
    if not isinstance(value, str):
        return "", ""
    after = ', "state": '
    if not fragment.startswith(after, end):
        return value, ""
    try:
        state, _ = decoder.raw_decode(fragment, end + len(after))
    except (ValueError, RecursionError):
        return value, ""
    return value, state if isinstance(state, str) else ""


def _stat_of(path: str) -> os.stat_result | None:
    """The ``stat`` of the file at *path*, or None when it cannot be stat'ed."""
    try:
        return os.stat(path)
    except (OSError, ValueError):
        return None


def _identity_of(path: str) -> tuple[int, int] | None:
    """The (inode, change time in ns) of the file at *path* (``stat``), or None when it
    cannot be stat'ed (the entry then records none: the quick check alone)."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_ino, st.st_ctime_ns


#: How much of a ledger ``may_record_unheld_names`` reads at a time: one buffer, filled again
#: and again, never the whole file (20 MB at 50,000 entries) nor its whole text decoded.
_SCAN_CHUNK = 1 << 20


def may_record_unheld_names(path: Path, *, chunk: int = _SCAN_CHUNK) -> bool:
    """Whether the ledger at *path* may record a path no XML manifest can hold
    (``manifest.xmlchars.xml_can_hold``): False only where none of its bytes could spell one.
    Such a path holds a control character, which ``json`` writes escaped (``\\u0001``,
    ``\\b``: a backslash), U+FFFE or U+FFFF, or bytes that are not UTF-8 (a name's, as they
    are: ``surrogateescape``); a ledger all ASCII and without a backslash (nearly every
    one) holds none. Its lines are never parsed: read *chunk* bytes at a time into one
    buffer, each searched for a backslash, and decoded (one incremental decoder, so a
    character split between two reads is whole) only from the first that is not ASCII on:
    ~2 ms of CPU for a ledger of 50,000 entries, 20 MB, where ``Ledger.load_entries`` took
    1.1 s (docs/performance.md, "The ledger's byte scan"). A True may be wrong (a path
    holding a backslash), a False never is. Raises OSError (FileNotFoundError: no ledger)."""
    buffer = bytearray(chunk)
    view = memoryview(buffer)
    decoder = None
    with open(path, "rb", buffering=0) as handle:
        while read := handle.readinto(buffer):
            if buffer.find(b"\\", 0, read) >= 0:
                return True
            # Until a read that is not ASCII, none is decoded: no character spans two reads
            # then (an ASCII read ends on a whole character).
            if decoder is None:
                if (buffer if read == chunk else buffer[:read]).isascii():
                    continue
                decoder = codecs.getincrementaldecoder("utf-8")()
            try:
                text = decoder.decode(view[:read])
            except UnicodeDecodeError:
                return True
            if "\ufffe" in text or "\uffff" in text:
                return True
    if decoder is not None:
        try:
            decoder.decode(b"", final=True)  # a character cut short at the end
        except UnicodeDecodeError:
            return True
    return False


def ledger_path(copy_root: Path) -> Path:
    """Where the ledger of *copy_root* is (``Ledger.path``), nothing looked at: for a
    caller that only asks whether it is there, without a :class:`Ledger` (whose making
    stats the root, mounting an automounted one)."""
    return copy_root / STATE_FOLDER / LEDGER_NAME


class Ledger:
    """The ledger of one copy root. ``append`` is thread-safe and durable when it returns."""

    def __init__(self, copy_root: Path, *, card: str = "") -> None:
        """*card*: the identity (``CardIdentity.key``) of the card this run reads, recorded
        in each entry of a copy it appends ("" unknown: recorded nowhere)."""
        self.copy_root = copy_root
        self._root_text = str(copy_root)
        self.card = card
        self.folder = copy_root / STATE_FOLDER
        self.path = ledger_path(copy_root)
        self._lock = threading.Lock()
        self._mtimes: MtimeRange | bool | None = False  # not looked up yet
        self._rewrites = False  # appending was refused: each append writes it whole
        self._keeps_identity: bool | None = None  # not looked up yet (``keeps_identity``)
        # The ledger's last line when a run stopped while writing it (no newline, no entry):
        # set by a read of the whole ledger (``load_entries``); "" none.
        self.torn_line = ""
        # The copy root's filesystem (``st_dev``) when first seen (``_check_root``): a root
        # found on another one later is a drive unmounted since, never written below.
        self._root_device = _device_of(copy_root)
        # By (relative path, name of its copy): the last entry recording a copy at that
        # name (``recorded_at_name``), read once when first asked; None not read yet.
        self._at_names: dict[str, dict[str, LedgerEntry]] | None = None
        # What this run knows of its copies here (``run_known``): the last entry of each
        # path as the run's plan read it (``read_by_plan``), and each entry this object
        # appended since (a verified copy's record and the identity its line recorded).
        self.read_by_plan: Mapping[str, LedgerEntry] | None = None
        self._written: dict[str, LedgerEntry | tuple[VerifiedCopy, tuple[int, int] | None]] = {}
        # Whether this object keeps what it appends for ``run_known`` (a cascade's: only its
        # end checks ask; ~0.7 KB a copy kept until the end, which a plain run of 50,000
        # files, issue 14's peak-RSS target, does not pay). Set before the first append.
        self.remembers_written = False
        # By relative path, the date each copy this object recorded showed then, after its
        # read-back (``dated_as_verified``): only while ``remembers_written``.
        self._dates_seen: dict[str, int] = {}

    def _mtime_not_held(self, mtime_ns: int, copy_mtime_ns: int) -> bool:
        """Whether a copy whose mtime differs from its source's is still the copy its entry
        records: the source's mtime is one this copy root's filesystem cannot hold (FAT,
        exFAT: 1980 to 2107, ``fs.mtimes``), and the copy shows one of the dates such a
        filesystem gives it (``MtimeRange.stored_as``: the range's nearer end, or for a date
        after 2107 the one exfat-fuse wraps it to, 128 years earlier). Any other date (a
        file written over ours since, a file copied there with its own date kept) is not
        ours as recorded: read back, never trusted."""
        if self._mtimes is False:  # the filesystem looked up once, at the first mismatch
            from offload.fs.mtimes import mtime_range
            from offload.plan.filesystem import detect_filesystem

            fs = detect_filesystem(self.copy_root)
            self._mtimes = mtime_range(fs.on_device or fs.fstype, fs.fstype)
        held = self._mtimes
        if not isinstance(held, MtimeRange) or held.holds(mtime_ns):
            return False
        return held.stored_as(mtime_ns, copy_mtime_ns)

    def load(self) -> dict[str, LedgerEntry]:
        """The last entry per relative path (``LedgerEntries.latest``). A torn last line
        (killed mid-write) is ignored. Raises OSError if the ledger cannot be read."""
        return self.load_entries().latest

    def load_entries(self) -> LedgerEntries:
        """The last entry per relative path and the entries of other cards still standing
        beside it (``fold_lines``). Raises OSError if the ledger cannot be read."""
        return fold_lines(self._lines())

    def _lines(self) -> Iterator[str]:
        """The ledger's lines, oldest first (none when there is no ledger yet). Raises
        OSError."""
        self.torn_line = ""
        if not self.path.exists():
            return
        with open(self.path, encoding="utf-8", errors="surrogateescape") as handle:
            yield from handle  # (in C: a Python loop a line was ~2 ms more at 50,000)
            self.torn_line = _torn_tail(handle.fileno())

    def torn_words(self, latest: Mapping[str, LedgerEntry]) -> str:
        """What a run says once of a ledger whose last line is torn (``torn_line``): that a
        run stopped while writing it, which copy it was recording (or revoking) where its
        fragment names it, and what becomes of that copy as *latest* (``load``, this
        ledger's last entry per path, the torn line skipped) stands: the path's earlier
        entry still vouches for it where one stands (a torn revocation then lost: said so),
        else ``offload copy`` reads it back, never trusting it."""
        path, state = _fragment_path(self.torn_line)
        if not path:
            return (
                f"{self.path} ends in an incomplete line: a run stopped while writing it, and "
                "that line vouches for nothing; the copy it was recording is trusted by its "
                "path's earlier entry where one stands, else `offload copy` of the card reads "
                "it back (adopted if equal to the card's file, else refused)"
            )
        earlier = latest.get(path)
        if earlier is None or earlier.state == "revoked":
            return (
                f"{self.path} ends in an incomplete line (it was recording {path}): a run "
                "stopped while writing it, and that line vouches for nothing; `offload copy` "
                "of the card reads that copy back (adopted if equal to the card's file, else "
                "refused), never trusting it"
            )
        verb, when = proven_when(earlier)
        stands = f"{path}'s earlier entry ({verb}{when}) still stands"
        if state == "revoked":
            # Its revocation lost: the copy a check found wrong (or could not read) is
            # trusted again by the entry it meant to end. Said, with what finds it again
            # (the copy root a word bash turns back into that path: ``errors.shell_word``).
            from offload.errors import shell_word

            return (
                f"{self.path} ends in an incomplete line (it was revoking {path}): a run "
                f"stopped while writing it, so that copy is not revoked and {stands}: "
                "`offload copy` trusts it as that entry records it (read back only where it "
                "shows a change since), although the run revoking it found it wrong or "
                f"unreadable; `offload verify {shell_word(self.copy_root)}` checks it again, "
                "`offload copy --reverify` reads it back"
            )
        return (
            f"{self.path} ends in an incomplete line (it was recording {path}): a run "
            f"stopped while writing it, and that line vouches for nothing; {stands}: "
            "`offload copy` of the card trusts that copy as it did before (`--reverify` "
            "reads it back)"
        )

    def append(self, entries: Iterable[LedgerEntry]) -> None:
        """Append entries and fsync. Raises OSError (the destination is then not trustworthy).

        Where the filesystem refuses to make an existing file longer (fusefat: EPERM for a
        write past the end of a file it did not create on that descriptor) the ledger is
        written whole instead, the old bytes and the new lines, under a temporary name,
        fsynced, renamed over the old one and its folder fsynced (``_rewrite``): a crash
        leaves the old ledger or the new one, and losing it only makes a run trust less
        (its copies are read back, never trusted without an entry). Once refused, the rest
        of this ledger's appends are rewrites (no write that is known to fail).

        A torn last line (a run killed mid-write) is ended by a newline written before the
        new lines, in the same write and fsync: they are never glued onto it."""
        # Each line made directly (entry_line), not by the JSON encoder: a line for every
        # file verified was a hot spot on cards of small files.
        stamped = [self.stamped(entry) for entry in entries]
        self._append_lines(entry_line(entry) for entry in stamped)
        if self.remembers_written:
            self._written.update((entry.relative_path, entry) for entry in stamped)
            root = self._root_text
            for entry in stamped:
                if entry.vouches:
                    self._see_date(
                        entry.relative_path,
                        _stat_of(_final_text(root, entry.relative_path, entry.final_name)),
                        entry.mtime_ns,
                    )

    def revoke(
        self,
        cards: Mapping[str, str],
        records: Mapping[str, LedgerEntry] | None = None,
        *,
        by: str = REVOKED_BY_OFFLOAD,
        unproven: bool = False,
        known: LedgerEntries | None = None,
    ) -> None:
        """Append, durably, a ``revoked`` line for each relative path of *cards*, each
        followed by a second one carrying the entry of the copy it ends (``revoked_copy``,
        and who revoked it: *by*, ``REVOKED_BY_CHECK`` or ``REVOKED_BY_OFFLOAD``), then by
        the entries of other cards than the revoked copy's (*cards*' value,
        ``CardIdentity.key``; "" unknown: none) that stood beside it, as they were. The one
        writer of a revocation, on a disk and on a bucket (``S3Ledger.append``).

        The entry a revocation ends: *records*' of its path where given (``offload verify``
        knows which copy it found wrong), else the ledger's own (``ended_entry``: the
        standing entry of the path of that card, or the record a revocation of it kept). A
        second line is read only by a version that knows its keys (an older one skips it,
        and the plain line before it stands: the module's "Which copy a revocation ended");
        both in the one append, made durable together. *unproven*: no record at all, for
        entries whose rename never happened (their partial is still there,
        ``card._remove_stray_partials``): the file at the name is not the copy the entry
        records, and a record would let ``--reverify`` take it up as ours.

        A ``revoked`` line ends every entry of its path, as every version reads it; one
        card's copy found wrong must not end another card's kept beside it (``--keep-both``:
        its next run would write one more copy). The entries written again fold back as they
        stood (``LedgerEntries.standing``'s order); an older version skips them (they record
        a card) and reads the revocation: it trusts less, never more. A ledger that cannot
        be read is revoked alone, without records (trusting less). *known*: the ledger's
        entries as the caller read them while holding the lock this revocation is written
        under, and which it saw unchanged since (``S3Ledger.unchanged``): not read again.
        Raises OSError (not written)."""
        looks_up = records is None and not unproven
        if known is None:
            try:
                known = (
                    self.load_entries()
                    if looks_up or any(cards.values())
                    else LedgerEntries({}, {})
                )
            except OSError:
                known = LedgerEntries({}, {})
        entries: list[LedgerEntry] = []
        for path, card in cards.items():
            entries.append(LedgerEntry(relative_path=path, state="revoked"))
            if unproven:
                ended = None
            elif records is not None:
                ended = records.get(path)
            else:
                ended = ended_entry(known, path, card)
            if ended is not None and ended.relative_path == path and ended.vouches:
                entries.append(
                    LedgerEntry(
                        relative_path=path,
                        state="revoked",
                        revoked_copy=dict(entry_fields(ended)),
                        revoked_by=by,
                    )
                )
            last = known.latest.get(path)
            if not card or last is None:
                continue
            entries.extend(_other_cards_copies((*known.beside.get(path, ()), last), card))
        self.append(entries)  # an S3Ledger stores them its own way

    def stamped(self, entry: LedgerEntry) -> LedgerEntry:
        """*entry* recording this run's card, when it is a copy's (verified or
        transfer-checked) without one and the run knows its card; else *entry* itself."""
        if not self.card or entry.card or entry.state == "revoked":
            return entry
        return replace(entry, card=self.card)

    def append_verified(self, records: Iterable[VerifiedCopy], *, recorded_at: float) -> None:
        """``append`` of the ``verified_entry`` of each record, recorded at *recorded_at*
        (a batch's lines are written and made durable together): each line made at once
        (``verified_lines``), no entry object a file, each recording its copy's inode and
        change time where this filesystem keeps them (``identified``: one ``stat`` of its
        final name a file, after its rename). A subclass that stores its entries elsewhere
        (``S3Ledger``) makes them entries and appends those."""
        records = list(records)
        identities = None
        stats = None
        if self.keeps_identity() or self.remembers_written:
            root = self._root_text
            stats = [
                _stat_of(_final_text(root, record.relative_path, record.final_name))
                for record in records
            ]
        if stats is not None and self.keeps_identity():
            identities = [None if st is None else (st.st_ino, st.st_ctime_ns) for st in stats]
        self._append_lines(verified_lines(records, recorded_at, self.card, identities))
        if self.remembers_written and stats is not None:
            for record, st in zip(records, stats, strict=True):
                self._see_date(record.relative_path, st, record.mtime_ns)
        if self.remembers_written and identities is not None:  # else none compares them
            self._written.update(
                (record.relative_path, (record, identity))
                for record, identity in zip(records, identities, strict=True)
            )

    def run_known(self) -> RunKnown:
        """The entry of each path of this copy root as this run knows it, no ledger read:
        the last this object appended (its line's inode and change time), else the one the
        run's plan read (``read_by_plan``). For the cascade's end check of the fast copies
        (``cascade._changed_since_verified``): an entry another process appended behind the
        run (recording a file put in place of our copy, say) is not taken for this run's.
        Raises RuntimeError unless ``remembers_written`` was set before the run appended
        (else what it wrote would be missing, and a copy of this run read as moved)."""
        if not self.remembers_written:
            raise RuntimeError(f"{self.path}: run_known asked of a ledger not remembering")
        return RunKnown(self.read_by_plan or {}, self._written, self.card)

    def keeps_identity(self) -> bool:
        """Whether the copy root's filesystem keeps a file's inode number and change time
        across mounts (``IDENTITY_KEPT``), looked up once (``detect_filesystem``). Asked
        before recording them, and before an entry that recorded them is compared with
        the file there now (``recorded_file``, ``other_file``, only when they differ): a
        copy root on ext4 seen through a mount that makes inode numbers up (``rclone
        mount``, sshfs without ``-o use_ino``, a share) holds the very files its entries
        recorded, under other numbers; there the quick check alone, as on exFAT."""
        kept = self._keeps_identity
        if kept is None:
            from offload.plan.filesystem import detect_filesystem

            fs = detect_filesystem(self.copy_root)
            kept = self._keeps_identity = (fs.on_device or fs.fstype) in IDENTITY_KEPT
        return kept

    def identified(self, entry: LedgerEntry) -> LedgerEntry:
        """*entry* (a copy's, verified or transfer-checked, just proven) recording which file
        its copy is: its inode number and change time as ``stat`` gives them now, where
        this filesystem keeps them (``keeps_identity``); else, or when the copy cannot be
        stat'ed, *entry* itself. Once recorded, a run trusts the entry only for that very
        file (``same_file``)."""
        if not entry.vouches or not self.keeps_identity():
            return entry
        found = _identity_of(_final_text(self._root_text, entry.relative_path, entry.final_name))
        if found is None:
            return entry
        return replace(entry, inode=found[0], ctime_ns=found[1])

    def _append_lines(self, lines: Iterable[str]) -> None:
        """``append`` of lines already made (``entry_line``, ``verified_lines``: one JSON
        object each, without its newline), durably, into this file."""
        text = "".join([line + "\n" for line in lines])
        if not text:
            return
        self._at_names = None  # (read again if asked: these lines are in it)
        data = text.encode("utf-8", "surrogateescape")
        with self._lock:
            seen = self._check_root()
            # Never into another copy root's state folder swapped in for this run's
            # (``state_folder``): the ledger is opened in the folder the lock holds.
            held = check_held(self.copy_root)
            if self._rewrites:
                self._rewrite(data)
                return
            created = not self.folder.exists()
            # The folder may exist without the ledger (the copy root's lock lives there too):
            # a new ledger's name must be made durable like a new folder's.
            new_file = created or not self.path.exists()
            if created and seen:
                # Never the copy root itself: one seen before and gone since is a drive
                # unmounted (``_check_root``), its mount point the disk below.
                os.mkdir(self.folder)
            elif created:
                os.makedirs(self.folder, exist_ok=True)
            flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
            if held is None:
                fd = os.open(self.path, flags, 0o644)
            else:
                fd = os.open(LEDGER_NAME, flags | os.O_NOFOLLOW, 0o644, dir_fd=held)
            refused = False
            try:
                before = os.fstat(fd).st_size
                # A torn last line (a run killed mid-write) is ended first, in the same
                # write: the lines appended after it stay lines of their own (a revocation
                # glued onto torn text would be skipped, and an older version would trust
                # the copy it ended).
                torn = before > 0 and os.pread(fd, 1, before - 1) != b"\n"
                view = memoryview(b"\n" + data if torn else data)
                whole = len(view)
                try:
                    while view:
                        try:
                            written = os.write(fd, view)
                        except OSError as exc:
                            # Only a refusal before any byte of these lines was written: a
                            # ledger with part of them is no file to copy whole.
                            if exc.errno not in _EXTEND_REFUSED or new_file or len(view) != whole:
                                raise
                            refused = True
                            break
                        if written <= 0:  # never asked again for ever (``fs.whole``)
                            raise NothingWritten(self.path)
                        view = view[written:]
                    if not refused:
                        os.fsync(fd)
                except OSError:
                    _take_back(fd, before)
                    raise
            finally:
                os.close(fd)
            if refused:
                self._rewrites = True
                self._rewrite(data)
                return
            if new_file:
                fsync_dir(self.folder)
            if created:
                fsync_dir(self.copy_root)

    def _check_root(self) -> bool:
        """Whether the copy root was seen before (at the ledger's making or an earlier
        append). Raises OSError (ENODEV, the words naming the drive) when it was and is no
        longer there, or is on another filesystem now: a drive unmounted lazily (``umount
        -l``, udisks' way with a pulled drive) leaves its mount point the bare folder on
        the disk below, where a ledger (a revocation) written anew would vouch for nothing
        and tell the drive nothing. A root never seen has no identity to keep (a run's
        lock makes it before any copy; a ledger appended before: made with it, as always).
        One ``stat`` an append."""
        device = _device_of(self.copy_root)
        if self._root_device is None:
            self._root_device = device
            return False
        if device != self._root_device:
            raise lost_error_of(self.copy_root, self._root_device)
        return True

    def lost_error(self, *, remedy: bool = True) -> OSError:
        """The error of a copy root the ledger saw that is gone or on another filesystem
        now, in the one wording every report, terminal line and JSON entry uses
        (``lost_error_of``)."""
        with self._lock:
            seen = self._root_device
        return lost_error_of(self.copy_root, seen, remedy=remedy)

    def root_removed(self) -> bool:
        """The copy root the ledger saw is gone (ENOENT, ENOTDIR) and the nearest folder
        above it that is there is on the filesystem the root was on: the folder was removed
        (``rm -rf``), its drive still mounted. False for a root never seen, one there, one
        whose drive is gone (the folder above it on another filesystem: the bare mount
        point of ``umount -l``, or udisks' mount point removed with it) and one that cannot
        be looked at (ENOTCONN, EIO). A few ``stat`` calls; never raises."""
        with self._lock:
            seen = self._root_device
        return _removed(self.copy_root, seen)

    def root_unchanged(self) -> bool:
        """The copy root is there, on the filesystem it was on when the ledger first saw it
        (a root never seen: whether it is there, its device then kept, as ``_check_root``
        keeps it). Compares device numbers only, never building ``lost_error``'s words:
        one ``stat``; never raises."""
        with self._lock:
            device = _device_of(self.copy_root)
            if self._root_device is None:
                self._root_device = device
            return device is not None and device == self._root_device

    @property
    def root_device(self) -> int | None:
        """The copy root's device (``st_dev``) when the ledger first saw it there (at its
        making, at the plan: a drive mounted at the copy root is that drive's); None: not
        seen yet."""
        with self._lock:
            return self._root_device

    def root_lost(self) -> bool:
        """The copy root was seen (at the ledger's making or an append) and is no longer
        there, or is on another filesystem now: a drive gone since (``umount -l``), its
        mount point perhaps the copy root itself, the bare folder below now. False for a
        root never seen, and for one that cannot be looked at (ENOTCONN, EIO: the caller's
        own write says why). One ``stat``; never raises."""
        with self._lock:
            seen = self._root_device
        if seen is None:
            return False
        try:
            return _device_of_or_raise(self.copy_root) != seen
        except (FileNotFoundError, NotADirectoryError):
            return True
        except OSError:
            return False

    def _rewrite(self, data: bytes) -> None:
        """The ledger written whole: its bytes now and *data* after them, atomically and
        durably (``manifest.atomic``: a temporary name in ``.offload/``, fsync, rename over
        the old ledger, fsync of the folder; a leftover of a killed run is swept by the next
        run that holds the copy root's lock). A torn last line (a run killed mid-write) is
        ended, so that it stays a line of its own that ``load`` skips."""
        from offload.manifest.atomic import AtomicFile

        check_held(self.copy_root)  # never another copy root's (``state_folder``)
        try:
            with open(self.path, "rb") as handle:
                old = handle.read()
        except FileNotFoundError:
            old = b""
        if old and not old.endswith(b"\n"):
            old += b"\n"
        with AtomicFile(self.path) as handle:
            handle.write_bytes(old + data)
            handle.commit(replace=True)

    def recorded(
        self,
        relative_path: str,
        *,
        size_bytes: int,
        mtime_ns: int,
        algorithms: Sequence[str],
        entries: dict[str, LedgerEntry],
        listing: FolderListings | None = None,
    ) -> LedgerEntry | None:
        """The entry of a copy this ledger recorded (verified or transfer-checked, by any
        mode) that is still there as recorded (a regular file of the recorded size and
        mtime, the very file it recorded: ``same_file``), or None.
        Its digests are what the copy held when it was recorded: a
        stricter run can read the copy back against them. *listing*: the plan's listings
        of this copy root's folders, which answer the ``lstat``s (``_at_its_name``)."""
        found = self.recorded_file(
            relative_path,
            size_bytes=size_bytes,
            mtime_ns=mtime_ns,
            algorithms=algorithms,
            entries=entries,
            listing=listing,
        )
        if found is None:
            return None
        entry, other = found
        return None if other else entry

    def recorded_file(
        self,
        relative_path: str,
        *,
        size_bytes: int,
        mtime_ns: int,
        algorithms: Sequence[str],
        entries: dict[str, LedgerEntry],
        listing: FolderListings | None = None,
    ) -> tuple[LedgerEntry, str] | None:
        """``recorded``'s entry of a copy there as recorded (its size and mtime), whichever
        file it is, and how that file is not the one the entry recorded (``same_file``):
        "" it is (or the entry records none), ``"clone"`` another inode (a clone of it,
        ``cp -a``, ``rsync -a``, or a file put in its place: not ours), ``"touched"`` its
        inode, another change time (written or its metadata changed since: ours, changed).
        None: no such entry, or the copy is not there as recorded (``_copy_there``, the one
        look at the copy root: a subclass's own, ``S3Ledger``)."""
        entry = recorded_entry(
            entries, relative_path, size_bytes=size_bytes, mtime_ns=mtime_ns, algorithms=algorithms
        )
        if entry is None:
            return None
        other = self._copy_there(entry, entries, listing)
        return None if other is None else (entry, other)

    def _copy_there(
        self,
        entry: LedgerEntry,
        entries: Mapping[str, LedgerEntry],
        listing: FolderListings | None,
    ) -> str | None:
        """Whether the copy *entry* records (a copy's, as ``recorded_entry`` found it) is at
        its name as recorded, and how that file is not the one it recorded: None not there
        as recorded (nothing or no regular file at its name, its partial still there,
        another size or date); else ``recorded_file``'s "", ``"clone"`` or ``"touched"``.
        One ``lstat`` (or *listing*'s answer); *entries* (the ledger's, as loaded) is for a
        subclass that looks at all of them at once (``S3Ledger``)."""
        st = self._at_its_name(entry, listing)
        if st is None or not self.as_recorded(st, entry.size_bytes, entry.mtime_ns):
            return None
        if same_file(entry, st) or not self.keeps_identity():
            return ""
        return "touched" if st.st_ino == entry.inode else "clone"

    def changed_copy(
        self,
        relative_path: str,
        *,
        size_bytes: int,
        mtime_ns: int,
        algorithms: Sequence[str],
        entries: dict[str, LedgerEntry],
        listing: FolderListings | None = None,
    ) -> tuple[LedgerEntry, int] | None:
        """A copy of ours that changed since it was recorded: the last entry of
        *relative_path* records a copy (verified or transfer-checked) of this very source
        file (its size and mtime, with a digest to check the card file against:
        ``ours_entry``), its rename happened (the partial it names is gone), and a regular
        file is at the name it records, but not as recorded (another size, or another
        mtime than the filesystem's tolerance allows). Returns that entry and the file's
        size now; None otherwise (no such entry; nothing, a folder or a link at the name;
        the copy as recorded).

        What makes it ours is this record: offload-ai wrote that name from this card file
        and nothing it recorded since says otherwise. No record ties it to one inode (a
        file written over ours since looks the same): ``--reverify`` replaces such a copy,
        by the user's request to re-read and repair the copies of this card (docs/design.md,
        "A copy of ours that changed"), never a plain run."""
        entry = ours_entry(
            entries, relative_path, size_bytes=size_bytes, mtime_ns=mtime_ns, algorithms=algorithms
        )
        if entry is None:
            return None
        size = self._changed_size(entry, listing)
        return None if size is None else (entry, size)

    def _changed_size(self, entry: LedgerEntry, listing: FolderListings | None) -> int | None:
        """``changed_copy``'s look at the copy root: the size now of the regular file at the
        name *entry* records, its rename done, where it is not as recorded (another size or
        date); None where nothing, no regular file or the copy as recorded is there. One
        ``lstat`` (or *listing*'s answer)."""
        st = self._at_its_name(entry, listing)
        if st is None or self.as_recorded(st, entry.size_bytes, entry.mtime_ns):
            return None
        return st.st_size

    def found_wrong_copy(
        self,
        relative_path: str,
        *,
        size_bytes: int,
        mtime_ns: int,
        algorithms: Sequence[str],
        entries: dict[str, LedgerEntry],
        listing: FolderListings | None = None,
    ) -> tuple[LedgerEntry, int] | None:
        """A copy of ours whose revocation kept the entry it ended (``offload verify``
        found it wrong or could not read it; or an offload did: its read-back, its cascade's
        re-read, its re-read after fusefat's renames or the cancel of that re-read,
        ``LedgerEntry.revoked_by``): the last entry of *relative_path* is a ``revoked``
        line carrying the entry it ended (``revoked_record``), that entry records a copy of
        this very card file (``ours_entry``'s conditions: its size and mtime, with a digest
        to check the card file against) from this run's card (``same_card``), its rename
        happened and a regular file is at the name it records. Returns that entry and the
        file's size now; None otherwise (a plain ``revoked`` line: which copy it ended is
        not recorded).

        What makes it ours is ``changed_copy``'s proof (offload-ai wrote that name from this
        card file), and the revocation's: the copy there was found not the one recorded (or
        could not be read). No record ties it to one inode either: besides --overwrite, only
        ``--reverify`` replaces it, and only where this holds (docs/design.md, "A copy
        ``offload verify`` found wrong"; ``verification_reason.REVOKED_COPY_KEPT``)."""
        ended = revoked_record(entries.get(relative_path))
        if ended is None or not same_card(ended, self.card):
            return None
        if (
            ours_entry(
                {relative_path: ended},
                relative_path,
                size_bytes=size_bytes,
                mtime_ns=mtime_ns,
                algorithms=algorithms,
            )
            is None
        ):
            return None
        st = self._at_its_name(ended, listing)
        if st is None:
            return None
        return ended, st.st_size

    def other_file(self, entry: LedgerEntry) -> str:
        """How the copy at the name *entry* records, as recorded (its size and date), is not
        the file it recorded (``same_file``), for the words of a copy read back then:
        ``"clone"`` (another inode: a clone of it, ``cp -a``, ``rsync -a``, or a file put in
        its place), ``"touched"`` (its inode, another change time: written or its metadata
        changed since); "" when it is that file, nothing is there or it cannot be looked at.
        One ``lstat`` (``_copy_there``)."""
        return self._copy_there(entry, {}, None) or ""

    def recorded_at_name(self, relative_path: str, name: str) -> LedgerEntry | None:
        """The last entry of *relative_path* that records a copy named *name* and vouches
        for it, not ended since by a revocation of the path: the record of the copy an
        earlier offload left at that name, though later entries of the path record other
        names (``--keep-both`` took "clip (1).mov" for a newer take: the first take's copy,
        "clip.mov", is still the one its first entry proved; ``card._earlier_copy``). None
        otherwise. Reads the whole ledger once (asked only of a file in the way that the
        path's last entry does not name); an OSError is None (nothing vouched)."""
        if self._at_names is None:
            at_names: dict[str, dict[str, LedgerEntry]] = {}
            try:
                for line in self._lines():
                    entry = _checked_entry(line)
                    if entry is None:
                        continue
                    path = entry.relative_path
                    if not entry.vouches:  # a revocation ends every copy of the path
                        at_names.pop(path, None)
                        continue
                    named = entry.final_name or path.rpartition("/")[2]
                    at_names.setdefault(path, {})[named] = entry
            except OSError:
                return None
            self._at_names = at_names
        return self._at_names.get(relative_path, {}).get(name)

    def holds_as_recorded(self, entry: LedgerEntry, listing: FolderListings | None = None) -> bool:
        """Whether a regular file is at the name *entry* records, its rename done, with the
        size and date it records (``as_recorded``): the copy that entry vouches for, still as
        it was proved (``card._earlier_copy``). One ``lstat`` (or *listing*'s answer)."""
        st = self._at_its_name(entry, listing)
        return st is not None and self.as_recorded(st, entry.size_bytes, entry.mtime_ns)

    def _at_its_name(
        self, entry: LedgerEntry, listing: FolderListings | None = None
    ) -> os.stat_result | None:
        """The ``lstat`` of the regular file at the name *entry* records, or None: nothing
        there, or no regular file (a folder, a link, a FIFO: never a copy of ours), or the
        partial it names is still there (the rename never happened: that file is not ours).
        *listing*: the plan's listings of the copy root's folders, which answer both
        questions with one listing a folder (``fs.listing``: the same answers)."""
        # As text: two Paths a file and destination (final_path_of) were ~40 % of this check.
        folder, _, name = f"{self._root_text}/{entry.relative_path}".rpartition("/")
        final = f"{folder}/{entry.final_name or name}"
        partial = f"{folder}/{entry.partial_name}" if entry.partial_name else ""
        if listing is not None:
            st = listing.regular(final)
            if st is None or (partial and listing.lexists(partial)):
                return None  # the rename never happened: the final file is not ours
            return st
        try:
            st = os.lstat(final)
        except OSError:
            return None
        if not stat.S_ISREG(st.st_mode):
            return None
        if partial and os.path.lexists(partial):
            return None  # the rename never happened: the final file is not ours
        return st

    def as_recorded(self, st: os.stat_result, size_bytes: int, mtime_ns: int) -> bool:
        """Whether the file *st* has the recorded size and mtime (the source's, within what
        this copy root's filesystem can store); also the cascade's check of the fast copies
        at its end (``cascade._changed_since_verified``)."""
        if st.st_size != size_bytes:
            return False
        return self.holds_date(mtime_ns, st.st_mtime_ns)

    def _see_date(self, relative_path: str, st: os.stat_result | None, mtime_ns: int) -> None:
        """Keep the date the copy of *relative_path* shows now (*st*, just recorded after
        its read-back) for ``dated_as_verified``, where it is not the recorded *mtime_ns*
        (the card file's) itself: nothing kept on a drive that shows the dates set (~4 MB
        a ledger at 50,000 copies otherwise), none where the copy could not be stat'ed."""
        if st is None or st.st_mtime_ns == mtime_ns:
            self._dates_seen.pop(relative_path, None)
        else:
            self._dates_seen[relative_path] = st.st_mtime_ns

    def dated_as_verified(
        self, relative_path: str, st: os.stat_result, size_bytes: int, mtime_ns: int
    ) -> bool:
        """Whether the copy *st* of *relative_path* shows the date it should: its card
        file's *mtime_ns* as this filesystem stores it (``as_recorded``), or the very date
        it showed when this run recorded it, just after its read-back (kept only while
        ``remembers_written``). The one date rule of a cascade's checks of its copies
        before their manifests (``cascade._changed_since_verified``, the fast copies;
        ``local_looked_again``, the slow drives'): a drive that shows every date shifted
        from the one set (fusefat under a time zone other than UTC: ``dates_kept``) holds
        intact copies whose dates are not their card files', never failed for that."""
        if st.st_size != size_bytes:
            return False
        if self.holds_date(mtime_ns, st.st_mtime_ns):
            return True
        return self._dates_seen.get(relative_path) == st.st_mtime_ns

    def holds_date(self, mtime_ns: int, copy_mtime_ns: int) -> bool:
        """Whether a copy here dated *copy_mtime_ns* shows the recorded date *mtime_ns* (the
        source's) as this copy root's filesystem stores it (``as_recorded``'s date rule; a
        cascade's fast copy standing for its absent card, ``cascade.fast_copy_source``)."""
        # exFAT keeps 10 ms and FAT 2 s: tolerate what the filesystem could not store.
        return abs(copy_mtime_ns - mtime_ns) < DATE_SLACK_NS or self._mtime_not_held(
            mtime_ns, copy_mtime_ns
        )


class RunKnown:
    """``Ledger.run_known``'s entries: ``get`` only, each entry of a verified copy made when
    asked (none a file while the run appends)."""

    def __init__(
        self,
        read: Mapping[str, LedgerEntry],
        written: Mapping[str, LedgerEntry | tuple[VerifiedCopy, tuple[int, int] | None]],
        card: str,
    ) -> None:
        self._read = read
        self._written = written
        self._card = card

    def moved(self, relative_path: str, st: os.stat_result, size_bytes: int) -> LedgerEntry | None:
        """The entry of *relative_path* where the file *st* is no longer the very one it
        recorded (``same_file``: its inode or change time moved since); None where it is,
        or the entry records no identity, vouches for nothing or records another size than
        *size_bytes*. A copy this run verified is compared by the identity its line
        recorded, its entry made only when it moved (none a file on the usual run)."""
        written = self._written.get(relative_path)
        if written is not None and not isinstance(written, LedgerEntry):
            record, identity = written
            if identity is None or record.size_bytes != size_bytes:
                return None
            if (st.st_ino, st.st_ctime_ns) == identity:
                return None
        entry = self.get(relative_path)
        if (
            entry is None
            or not entry.vouches
            or not entry.inode
            or entry.size_bytes != size_bytes
            or same_file(entry, st)
        ):
            return None
        return entry

    def get(self, relative_path: str) -> LedgerEntry | None:
        written = self._written.get(relative_path)
        if written is None:
            return self._read.get(relative_path)
        if isinstance(written, LedgerEntry):
            return written
        record, identity = written
        return record.entry(0.0, self._card, identity)


class LedgerEntries(NamedTuple):
    """A ledger as a run reads it (``fold_lines``).

    ``latest``: the last entry of each path, the rule of every version. ``beside``: by
    path, the entries of other cards that the last one leaves standing (each the last of
    its card there), for a path whose copies of two cards or more were kept side by side
    (``--keep-both`` into one folder: "clip.mov" of one card, "clip (1).mov" of another).
    Empty for an ordinary ledger."""

    latest: dict[str, LedgerEntry]
    beside: dict[str, tuple[LedgerEntry, ...]]

    def standing(self) -> Iterator[LedgerEntry]:
        """Every entry that stands: for each path, those of other cards beside its last
        one (oldest first), then its last one; lines written in this order fold back to
        these entries (``fold_lines``)."""
        beside = self.beside
        for path, entry in self.latest.items():
            if beside and path in beside:
                yield from beside[path]
            yield entry


def fold_lines(lines: Iterable[str]) -> LedgerEntries:
    """The entries of a ledger's *lines* (oldest first): the last one of each path, and
    the earlier ones of other cards that stand beside it (``still_standing``). A line that
    is no entry this version reads (``entry_of``: torn, a newer version's key, a key of another
    type than an entry's; names that are no file's under the copy root: ``names_files``) is
    skipped, and the path's previous entries stand (the module's compatibility rule), but
    for a damaged revocation of a path that can be a file's (``_revocation_of``): its
    copy's entries end there, as any revocation ends them (trusting less, never more).

    A line of the shape every version writes is read in one pass of plain checks
    (inline below, from ``_SCAN`` and ``_BLANK_ENTRY``); any other goes through the rule
    above function by function (``_checked_entry``), so the fast pass decides no line
    differently: it takes only lines that rule takes, as the entry it makes
    (docs/performance.md, "The ledger's line check at full speed")."""
    latest: dict[str, LedgerEntry] = {}
    beside: dict[str, tuple[LedgerEntry, ...]] = {}
    scan = _SCAN
    blank = _BLANK_ENTRY
    new = object.__new__
    set_fields = object.__setattr__
    join = "".join
    dots = _DOTS
    for line in lines:
        # The fast pass: each test a plain comparison, no call a key; any doubt (a value
        # of another type raises TypeError in the join or fails its ``is``) falls to
        # ``_checked_entry``, which decides exactly as before.
        entry = None
        try:
            raw, end = scan(line, 0)  # json.loads without its layers (no leading blank)
            values = {**blank, **raw}  # the entry's fields in order; raw a dict or TypeError
            path = values["relative_path"]
            final = values["final_name"]
            partial = values["partial_name"]
            digests = values["digests"]
            at = values["recorded_at"]
            copy = values["revoked_copy"]
            if (
                (end == len(line) or (line[end] == "\n" and end == len(line) - 1))
                and len(values) == _FIELD_COUNT  # no key this version does not know
                and type(digests) is dict
                and type(values["size_bytes"]) is int
                and type(values["mtime_ns"]) is int
                and type(values["inode"]) is int
                and type(values["ctime_ns"]) is int
                and (type(at) is float or type(at) is int)
                and 0 <= at < _YEAR_10000  # (NaN fails both: no time)
                and (copy is None or type(copy) is dict)
            ):
                # Every text of the line: a value that is not (None: a required key
                # missing) raises TypeError. No NUL, and ASCII (nearly every line) or names
                # that encode: names ``os`` takes.
                text = join(
                    (
                        path,
                        final,
                        partial,
                        values["state"],
                        values["verify"],
                        values["etag"],
                        values["cache_bypass"],
                        values["card"],
                        values["fingerprint"],
                        values["revoked_by"],
                        values["transfer_check"],
                        *digests.values(),
                    )
                )
                if (
                    "\0" not in text
                    and (text.isascii() or _encodable(path + final + partial))
                    # A relative path of non-empty names, none starting with a dot (no "."
                    # nor ".."); final and partial names each "" or one name.
                    and path
                    and path[0] != "/"
                    and path[-1] != "/"
                    and path[0] != "."
                    and "//" not in path
                    and "/." not in path
                    and "/" not in final
                    and "/" not in partial
                    and final not in dots
                    and partial not in dots
                ):
                    entry = new(LedgerEntry)
                    set_fields(entry, "__dict__", values)
        except (StopIteration, TypeError, IndexError, ValueError, RecursionError):
            entry = None
        if entry is None:
            entry = _checked_entry(line)
            if entry is None:
                continue
        path = entry.relative_path
        before = latest.get(path)
        latest[path] = entry
        # Rare: a path whose last two lines are of two cards (or that has such entries).
        if before is not None and (before.card != entry.card or path in beside):
            standing = still_standing((*beside.pop(path, ()), before), entry)
            if standing:
                beside[path] = standing
    return LedgerEntries(latest, beside)


def _checked_entry(line: str) -> LedgerEntry | None:
    """The entry ``fold_lines`` reads from *line* by its rule, check by check: ``entry_of``,
    ``names_files`` and ``_in_range``, else a damaged revocation's plain line
    (``_revocation_of``), else None (skipped). Never raises."""
    entry = entry_of(line)
    if entry is None or not names_files(entry) or not _in_range(entry):
        # A damaged or hand-edited line: no file's entry, but a revocation of a path
        # still ends its entries (trusting less, never more). Rare: parsed again here.
        return _revocation_of(line)
    return entry


def names_files(entry: LedgerEntry) -> bool:
    """Whether the names *entry* records can be a file's under its copy root: its
    ``relative_path`` text, relative (not absolute), of names separated by one ``/`` none of
    which is empty, ``.`` or ``..``; its ``final_name`` and ``partial_name`` text, each ""
    (none) or one such name; none holding a NUL (no file's name can). A line that records
    others (a ledger damaged or edited by hand: ``\\u0000``, ``../``, ``/etc/...``, a lone
    surrogate no ``os`` call encodes: ``_encodable``) is no
    entry (``fold_lines``, ``revoked_record``): a run never ``lstat``s, opens, trusts or
    reports a path it makes (a NUL raised ValueError from every ``os`` call; ``..`` or a
    root reached outside the copy root). Every line this version writes passes: its names
    are a card's relative paths and the names the planner gave its copies."""
    path = entry.relative_path
    final = entry.final_name
    partial = entry.partial_name
    if type(path) is not str or type(final) is not str or type(partial) is not str:
        return False
    if not path or path[0] == "/" or path[-1] == "/" or "//" in path or "\0" in path:
        return False
    # A component "." or "..": only where a name starts with a dot (rare: a hidden file).
    if (path[0] == "." or "/." in path) and not all(
        part not in (".", "..") for part in path.split("/")
    ):
        return False
    return _one_name(final) and _one_name(partial) and _encodable(path + final + partial)


def _encodable(text: str) -> bool:
    """Whether *text* is names an ``os`` call takes: ASCII, or text that encodes as the
    file system's names do (UTF-8, a name's undecodable bytes as U+DC80–U+DCFF). A lone
    surrogate other than those (JSON's ``\\ud800``) raised UnicodeEncodeError from every
    ``os`` call, a traceback of ``offload copy`` and ``offload verify``."""
    if text.isascii():
        return True
    try:
        os.fsencode(text)
    except UnicodeEncodeError:
        return False
    return True


# Where ``recorded_at`` (Unix seconds; 0: none) ends: a time a report can say.
_YEAR_10000 = 253_402_300_800


def _in_range(entry: LedgerEntry) -> bool:
    """Whether *entry*'s ``recorded_at`` (Unix seconds; 0: none) is a time a report can
    say: a number (``entry_of`` judged its type) from 0 to before the year 10000. A line
    holding another (a damaged or hand-edited ledger: ``1e300``, ``-1e18``, NaN) is no
    entry (``fold_lines``): each made ``offload copy`` crash with a traceback before."""
    # (NaN fails both comparisons: no time.)
    return 0 <= entry.recorded_at < _YEAR_10000


def _revocation_of(line: str) -> LedgerEntry | None:
    """The plain ``revoked`` line of a path where *line*, a line ``fold_lines`` reads as no
    entry (``entry_of``, ``names_files``, ``_in_range``), is a JSON object with a ``state``
    key whose value does not vouch (any but ``VOUCHING_STATES``: ``"revoked"``, an unknown
    word, a number, a list, null) and a ``relative_path`` text that can be a file's: its
    copy's entries end there as any revocation ends them, its record and other fields
    dropped. None for any other line (no ``state`` key: a newer version's line, skipped by
    the compatibility rule; a vouching state; no such path). Never raises."""
    try:
        raw = json.loads(line)
    except (ValueError, RecursionError):
        return None
    # Any state but one that vouches (a "revoked" line, or one no entry holds: a list, a
    # number, an unknown word): the path's earlier entries end there, as before this
    # line was judged whole; never a line that would vouch itself.
    if type(raw) is not dict or "state" not in raw or raw["state"] in VOUCHING_STATES:
        return None
    path = raw.get("relative_path")
    if type(path) is not str:
        return None
    plain = LedgerEntry(path, "revoked")
    return plain if names_files(plain) else None


def _one_name(name: str) -> bool:
    """Whether *name* is "" (none) or one file name in a folder (``names_files``)."""
    return not name or ("/" not in name and "\0" not in name and name not in (".", ".."))


# The types each key of a line may hold, as ``LedgerEntry`` declares them (an int for a
# float: JSON writes ``0`` for ``0.0`` where another writer wrote it; never a bool).
_SHAPE: dict[str, tuple[type, ...]] = {
    **dict.fromkeys(("size_bytes", "mtime_ns", "inode", "ctime_ns"), (int,)),
    "recorded_at": (float, int),
    "digests": (dict,),
    "revoked_copy": (dict, type(None)),
    **dict.fromkeys(
        (
            "relative_path",
            "state",
            "partial_name",
            "final_name",
            "verify",
            "etag",
            "cache_bypass",
            "card",
            "fingerprint",
            "revoked_by",
            "transfer_check",
        ),
        (str,),
    ),
}


# ``fold_lines``' fast pass. ``_SCAN``: ``json``'s scanner (C), which ``json.loads`` calls
# after two layers of Python and a search for leading blanks; it parses one value at the
# index given (StopIteration: none there) and leaves what follows to its caller.
# (Set by the decoder's __init__; typeshed declares none.)
_SCAN = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
# An entry's fields in their order, each at its default, but the two a line must hold and
# ``digests`` (a dict of its own an entry) at None: a line without one is not taken there.
_BLANK_ENTRY: dict[str, object] = {
    **{f.name: f.default for f in dataclass_fields(LedgerEntry)},
    "relative_path": None,
    "state": None,
    "digests": None,
}
_FIELD_COUNT = len(_BLANK_ENTRY)
_DOTS = frozenset((".", ".."))


def entry_of(line: str) -> LedgerEntry | None:
    """The entry a ledger *line* records, or None where it is no entry this version reads:
    not JSON (torn; or nested too deep to parse, ``RecursionError``), not an object, a key
    this version does not know or a required one missing (the module's compatibility
    rule), or a key holding another type than an entry's (a damaged or hand-edited ledger:
    a list for a name, a number for a card, a digest that is no text), which no code
    reading an entry could take. Never raises: a damaged state file is read around, never
    a crash. A ``revoked_copy``'s own keys are judged where it is read (``revoked_record``)."""
    try:
        raw = json.loads(line)
    except (ValueError, RecursionError):
        return None
    return _entry_from(raw)


def _entry_from(raw: object) -> LedgerEntry | None:
    """``entry_of`` of a line's JSON value *raw* (a ``revoked_copy``'s too)."""
    if type(raw) is not dict:
        return None
    for key, value in raw.items():
        kinds = _SHAPE.get(key)
        if kinds is not None and type(value) not in kinds:
            return None
    digests = raw.get("digests")
    if digests and not all(type(value) is str for value in digests.values()):
        return None
    try:
        return LedgerEntry(**raw)
    except TypeError:
        return None


def still_standing(earlier: Iterable[LedgerEntry], entry: LedgerEntry) -> tuple[LedgerEntry, ...]:
    """Those of the *earlier* entries of a path that a later *entry* of it leaves standing:
    the copies (verified or transfer-checked) of another card than *entry*'s, both cards
    known, under another name than *entry*'s copy. A card's copy kept beside another's
    (``--keep-both``: each card's file under a name of its own in one folder) is still
    vouched for by its card's entry when the other card's run records its own; a re-run of
    either card then finds its own copy instead of writing one more.

    Ended, as by every version: by an entry of the same card (its last one stands), one
    of the same name (that file was written or proven since: the earlier entry is not its
    record), a ``revoked`` line (it names no card nor name: it ends them all), and an
    entry whose card is unknown (an older version's, or a run that could not tell: it may
    be any card's)."""
    if not entry.card or entry.state == "revoked":
        return ()
    name = _name_of(entry)
    return tuple(e for e in _other_cards_copies(earlier, entry.card) if _name_of(e) != name)


def _other_cards_copies(entries: Iterable[LedgerEntry], card: str) -> Iterator[LedgerEntry]:
    """Those of *entries* that record a copy (verified or transfer-checked) of a known card
    other than *card* (``CardIdentity.key``)."""
    return (e for e in entries if e.card and e.vouches and not same_card(e, card))


def _name_of(entry: LedgerEntry) -> str:
    """The name of the copy *entry* records, in its folder (``final_path_of``'s)."""
    return entry.final_name or entry.relative_path.rpartition("/")[2]


def recorded_entry(
    entries: dict[str, LedgerEntry],
    relative_path: str,
    *,
    size_bytes: int,
    mtime_ns: int,
    algorithms: Sequence[str],
) -> LedgerEntry | None:
    """The last entry of *relative_path* if it records a copy (verified or transfer-checked)
    of a source of this size and mtime with every digest asked for; else None. Whether the
    copy is still there is the caller's (its ledger's) to check."""
    entry = entries.get(relative_path)
    if entry is None or not entry.vouches:
        return None
    if entry.size_bytes != size_bytes or entry.mtime_ns != mtime_ns:
        return None
    if any(name not in entry.digests for name in algorithms):
        return None
    return entry


def ours_entry(
    entries: dict[str, LedgerEntry],
    relative_path: str,
    *,
    size_bytes: int,
    mtime_ns: int,
    algorithms: Sequence[str],
) -> LedgerEntry | None:
    """``recorded_entry``'s entry, or, where it records none of *algorithms* (a run with
    ``-t`` since: an entry records the formats its own run computed), the last entry of
    *relative_path* recording a copy of a source of this size and mtime with a digest in a
    format this version computes. What makes a copy ours (``Ledger.changed_copy``,
    ``Ledger.found_wrong_copy``), never what proves it (``recorded_entry``): a copy of ours
    written again is written only from a card file read as this entry recorded it, in the
    entry's own formats where it shares none with the run's (``existing.record_formats``)."""
    entry = recorded_entry(
        entries, relative_path, size_bytes=size_bytes, mtime_ns=mtime_ns, algorithms=()
    )
    if entry is None or all(name in entry.digests for name in algorithms):
        return entry
    return entry if computable_formats(entry.digests) else None


def computable_formats(names: Iterable[str]) -> list[str]:
    """The formats among *names* (a record's digests) this version computes: what a record
    of a card file can be compared in (``ours_entry``, ``existing.record_formats``); a
    ledger written by a later version may record others."""
    from offload.hashing.registry import ALGORITHMS  # (imported by then: the card's plan)

    return [name for name in names if name in ALGORITHMS]


def final_path_of(copy_root: Path, entry: LedgerEntry) -> Path:
    """Where the copy an entry records is: its relative path, under the name it got."""
    final = copy_root / entry.relative_path
    return final.with_name(entry.final_name) if entry.final_name else final


def proof_satisfies(recorded_mode: str, asked_mode: str) -> bool:
    """Whether a copy proven by *recorded_mode* is proven enough for a run in *asked_mode*
    ("transfer" < "destination" < "full")."""
    return _PROOF_RANK.get(recorded_mode, -1) >= _PROOF_RANK.get(asked_mode, 99)


class VerifiedCopy(NamedTuple):
    """What ``verified_entry`` is made of, for ``Ledger.append_verified``."""

    relative_path: str
    size_bytes: int
    mtime_ns: int
    digests: Mapping[str, str]
    partial_name: str
    final_name: str
    verify: str
    cache_bypass: str = ""
    # The card file's fingerprint, from the bytes the copy read (``offload.fingerprint``).
    fingerprint: str = ""

    def entry(
        self, recorded_at: float, card: str = "", identity: tuple[int, int] | None = None
    ) -> LedgerEntry:
        """Its ``verified_entry``, recorded at *recorded_at* from the card *card*, of the
        file *identity* (inode, change time: ``Ledger.identified``; None: not recorded)."""
        return verified_entry(
            self.relative_path,
            size_bytes=self.size_bytes,
            mtime_ns=self.mtime_ns,
            digests=self.digests,
            partial_name=self.partial_name,
            final_name=self.final_name,
            verify=self.verify,
            cache_bypass=self.cache_bypass,
            recorded_at=recorded_at,
            card=card,
            fingerprint=self.fingerprint,
            identity=identity,
        )


def removed_words(copy_root: Path | str) -> str:
    """What a copy root removed during the run is said to be (``Ledger.lost_error``, the
    cascade's failures): its cause, never its drive's."""
    return f"the folder {copy_root} was removed during the run (its drive is still there)"


def lost_error_of(copy_root: Path, seen: int | None, *, remedy: bool = True) -> OSError:
    """Why *copy_root*, first seen on device *seen* (None: not known), is lost, told apart
    (never "unmounted or pulled?" for a folder the user removed): the folder alone removed,
    its drive still there (``_removed``): ENOENT, ``removed_words``, which the same command
    with the card copies anew; else its drive gone (another filesystem at the path, the root
    gone with its mount, or a look that fails: ENOTCONN, ENODEV, EIO): ENODEV, "the drive
    holding PATH is not reachable ...: reconnect it". Without *remedy*, the cause alone (the
    caller says what to do). Takes no lock (``Ledger._check_root`` holds it); a few
    ``stat`` calls; never raises."""
    if _removed(copy_root, seen):
        todo = ": run the same command again, with the card, to copy it anew"
        return OSError(
            errno.ENOENT, removed_words(copy_root) + (todo if remedy else ""), str(copy_root)
        )
    # Another filesystem at the path may be the drive itself, re-plugged (a new device
    # number): "went away during the run" is true either way, "unmounted or pulled?" not.
    try:
        _device_of_or_raise(copy_root)
        where = "is on another filesystem now (its drive went away during the run)"
    except (FileNotFoundError, NotADirectoryError):
        where = "is no longer there (its drive unmounted or pulled?)"
    except OSError as exc:
        # Still mounted, answering an error (EIO: a failing disk; ENOTCONN: a FUSE daemon
        # gone): never "no longer there" of a drive that is (QA qa70c L3, eio.out).
        where = (
            f"does not answer ({exc.strerror or exc}; its drive failing, or its connection lost?)"
        )
    return OSError(
        errno.ENODEV,
        f"the drive holding {copy_root} is not reachable: the copy root {where}"
        + (": reconnect it" if remedy else ""),
        str(copy_root),
    )


def _removed(copy_root: Path, seen: int | None) -> bool:
    """``Ledger.root_removed`` of *copy_root* first seen on device *seen*."""
    if seen is None:
        return False
    try:
        _device_of_or_raise(copy_root)
        return False
    except (FileNotFoundError, NotADirectoryError):
        pass
    except OSError:
        return False
    # The nearest folder above that is there, asked as every device comparison asks.
    found = nearest_folder_device(Path(os.path.abspath(copy_root)).parent)
    return found is not None and found[1] == seen


def _device_of_or_raise(path: Path) -> int:
    """``_device_of`` that raises OSError (FileNotFoundError: not there)."""
    return os.stat(f"{path}/").st_dev


def _device_of(path: Path) -> int | None:
    """*path*'s ``st_dev``, *path* a folder; None when it cannot be looked at (not there,
    its drive gone). Asked of ``<path>/``: a stat of an autofs mount point's own name does
    not mount it (the automount's device, not the drive's), which would make the first
    append see another filesystem and lose the destination; the trailing slash mounts it."""
    try:
        return _device_of_or_raise(path)
    except OSError:
        return None


def _take_back(fd: int, size: int) -> None:
    """Cut the ledger open on *fd* back to *size* bytes (what it held before an append
    that failed part-way), best effort: the caller fails every copy of that append, and a
    line left there (written before a refused fsync, whose page the cache still holds, or
    whole before a short write) would vouch for a copy the run reported failed. A drive too
    far gone to truncate is gone for the next run's reads too, or shows what it kept."""
    try:
        os.ftruncate(fd, size)
        os.fsync(fd)
    except OSError:
        pass


def verified_line(record: VerifiedCopy, recorded_at: float, card: str = "") -> str:
    """``entry_line`` of *record*'s ``verified_entry`` (recorded at *recorded_at* from the
    card *card*), byte for byte, without making the entry (``verified_lines`` of one)."""
    return verified_lines((record,), recorded_at, card)[0]


def verified_lines(
    records: Iterable[VerifiedCopy],
    recorded_at: float,
    card: str = "",
    identities: Sequence[tuple[int, int] | None] | None = None,
) -> list[str]:
    """``entry_line`` of each record's ``verified_entry`` (recorded at *recorded_at* from the
    card *card*), byte for byte, without making the entries: the committer writes one a file
    it verified, and the frozen entry (its fields set one by one, its digests copied) and the
    line made from it were ~7 µs a file, the entry alone half of it (docs/performance.md,
    "The 50,000-file card: tenth pass"). What a batch's lines share is written once: the
    time (a float's ``repr``, ~7,000 instructions), the card, and the text after the names
    for each mode and cache bypass ("The committer: fifteenth pass"). Values of other types
    go through the entry.*identities*: each record's
    file's (inode, change time) where recorded (``Ledger.identified``; None: not)."""
    records = list(records)
    if identities is None:
        identities = [None] * len(records)
    if type(recorded_at) is not float or not math.isfinite(recorded_at) or type(card) is not str:
        return [
            entry_line(record.entry(recorded_at, card, identity))
            for record, identity in zip(records, identities, strict=True)
        ]
    quote = encode_basestring
    at = repr(recorded_at)
    ends = f', "card": {quote(card)}' if card else ""  # the card only when known
    # By (verify, cache_bypass): the text between "state" and "size_bytes", and after the
    # final name (None: a value the direct path does not know).
    shared: dict[tuple[object, object], tuple[str, str] | None] = {}
    lines: list[str] = []
    for record, identity in zip(records, identities, strict=True):
        (
            relative_path,
            size_bytes,
            mtime_ns,
            digests,
            partial_name,
            final_name,
            verify,
            cache_bypass,
            fingerprint,
        ) = record
        try:  # quote raises TypeError for anything but text (and a dict key must hash)
            parts = shared[verify, cache_bypass]
        except KeyError:
            parts = shared[verify, cache_bypass] = _shared_parts(verify, cache_bypass, at, ends)
        except TypeError:
            parts = None
        if parts is None or type(size_bytes) is not int or type(mtime_ns) is not int:
            lines.append(entry_line(record.entry(recorded_at, card, identity)))
            continue
        state, tail = parts
        try:
            listed = ", ".join([f"{quote(k)}: {quote(v)}" for k, v in digests.items()])
            lines.append(
                f'{{"relative_path": {quote(relative_path)}, "state": {state}, '
                f'"size_bytes": {size_bytes!r}, "mtime_ns": {mtime_ns!r}, '
                f'"digests": {{{listed}}}, "partial_name": {quote(partial_name)}, '
                f'"final_name": {quote(final_name)}{tail}'
                # Written only when set (entry_fields); always text when set (a tuple's).
                + (f', "fingerprint": {quote(fingerprint)}' if fingerprint else "")
                # (Two integers from ``stat``: ``Ledger.identified``.)
                + (
                    f', "inode": {identity[0]!r}, "ctime_ns": {identity[1]!r}}}'
                    if identity
                    else "}"
                )
            )
        except TypeError:
            lines.append(entry_line(record.entry(recorded_at, card, identity)))
    return lines


def _shared_parts(
    verify: object, cache_bypass: object, at: str, ends: str
) -> tuple[str, str] | None:
    """``verified_lines``' text of a line's state, and of its end from ``"verify"`` on, for
    a copy proven by *verify* and read back as *cache_bypass*, recorded at *at* (a float's
    ``repr``); *ends* ends it before its fingerprint (with the card when known). None for
    values that are not text."""
    if type(verify) is not str or type(cache_bypass) is not str:
        return None
    quote = encode_basestring
    state = '"transfer_checked"' if verify == "transfer" else '"verified"'
    tail = f', "verify": {quote(verify)}, "recorded_at": {at}, "etag": ""'
    if cache_bypass in THROUGH_A_CACHE:  # kept only then (verified_entry)
        tail = f'{tail}, "cache_bypass": {quote(cache_bypass)}'
    return state, tail + ends


def verified_entry(
    relative_path: str,
    *,
    size_bytes: int,
    mtime_ns: int,
    digests: Mapping[str, str],
    partial_name: str,
    final_name: str,
    verify: str,
    cache_bypass: str = "",
    recorded_at: float | None = None,
    card: str = "",
    fingerprint: str = "",
    identity: tuple[int, int] | None = None,
) -> LedgerEntry:
    """The entry for a copy proven by *verify*: ``transfer_checked`` for "transfer" (never
    read back), else ``verified``; *cache_bypass* is how it was read back (results.CacheBypass
    value), kept only when that went through a cache (``THROUGH_A_CACHE``); *recorded_at*
    when it was proven (default: now); *card* the card it was copied from
    (``CardIdentity.key``; "" unknown); *fingerprint* the card file's, as the copy read it
    (``offload.fingerprint``; "" not recorded); *identity* its copy's inode and change time
    (``Ledger.identified``; None not recorded)."""
    inode, ctime_ns = identity or (0, 0)
    return LedgerEntry(
        relative_path=relative_path,
        state="transfer_checked" if verify == "transfer" else "verified",
        size_bytes=size_bytes,
        mtime_ns=mtime_ns,
        digests=dict(digests),
        partial_name=partial_name,
        final_name=final_name,
        verify=verify,
        recorded_at=time.time() if recorded_at is None else recorded_at,
        cache_bypass=cache_bypass if cache_bypass in THROUGH_A_CACHE else "",
        card=card,
        fingerprint=fingerprint,
        inode=inode,
        ctime_ns=ctime_ns,
    )
