"""The codes of preflight findings, and the finding type itself."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import NamedTuple

from offload.part_of_volume import PartOfVolume


class PreflightCode(StrEnum):
    """Stable identifiers of preflight findings (safe for JSON reports and scripts).

    Most codes are always errors or always warnings; the few that depend on the destination's
    filesystem say so.
    """

    # Errors: the copy must not start.
    DEST_MISSING = "dest-missing"
    DEST_NOT_DIRECTORY = "dest-not-directory"
    DEST_NOT_WRITABLE = "dest-not-writable"
    DEST_UNREADABLE = "dest-unreadable"  # existing content of the destination cannot be lstat-ed
    DEST_INSIDE_SOURCE = "dest-inside-source"
    TARGET_OVERLAPS_SOURCE = "target-overlaps-source"
    DEST_DUPLICATE = "dest-duplicate"
    DEST_OVERLAP = "dest-overlap"
    TARGET_TYPE_CONFLICT = "target-type-conflict"
    INSUFFICIENT_SPACE = "insufficient-space"
    # A warning: room for the copy, but not for writing again the copies ``--reverify``
    # reads back should they be found wrong (each is written beside its old copy first).
    REVERIFY_ROOM_SHORT = "reverify-room-short"
    # Fewer free inodes (files and folders the filesystem can still create) than the copy
    # creates: free space does not help. An error where the numbers are a kernel
    # filesystem's; a warning on a FUSE filesystem (sshfs, s3fs, rclone: made-up numbers).
    INSUFFICIENT_INODES = "insufficient-inodes"
    NAME_INVALID_CHARS = "name-invalid-chars"
    NAME_TRAILING_DOT_OR_SPACE = "name-trailing-dot-or-space"
    NAME_TOO_LONG = "name-too-long"
    # A file larger than the destination filesystem can hold in one file (FAT32: 4 GiB - 1
    # byte), found before the copy rather than as EFBIG after gigabytes were written.
    FILE_TOO_LARGE = "file-too-large"
    PATH_TOO_LONG = "path-too-long"
    NAME_CASE_COLLISION = "name-case-collision"
    SYMLINK_UNSUPPORTED = "symlink-unsupported"  # warning where the driver is not known
    # Error where the filesystem folds normalisation (APFS/HFS+), warning where it is only
    # case-insensitive (exFAT/FAT/NTFS keep both names, but Mac/Windows tools may not).
    NAME_NORMALISATION_COLLISION = "name-normalisation-collision"
    # Error on filesystems that store Unicode (exFAT, NTFS, APFS...), warning elsewhere (the
    # file is copied and verified under its bytes, but an XML manifest cannot hold the name
    # and leaves it out; the copy root's own name, in no manifest, is not reported there).
    NAME_NOT_UTF8 = "name-not-utf8"
    # A warning: the copy root's path (its name, or a folder above it) is not UTF-8 or holds
    # a line break: the ASC MHL history offload-ai writes there can be checked with offload
    # verify, but ascmhl (1.2) cannot verify a copy root at such a path (plan.preflight.names).
    ASCMHL_CANNOT_VERIFY_ROOT = "ascmhl-cannot-verify-root"
    # A file of the card this process may not open for reading (its permissions): refused
    # before the first byte, not failed once the rest is copied (docs/json.md).
    SOURCE_UNREADABLE = "source-unreadable"
    # A destination that looks like a camera card (a second card given by mistake), unless
    # the user says it is not one.
    DEST_LOOKS_LIKE_CARD = "dest-looks-like-card"
    # The copy root's ``.offload`` is a symlink: its ledger, run record and lock would be
    # another folder's (``state_folder``).
    STATE_FOLDER_LINKED = "state-folder-linked"

    # Warnings: the copy may start, the user should know.
    DEST_SAME_DEVICE = "dest-same-device"
    # ``--dry-run`` (no write probe): two destinations, one on a network share or a FUSE
    # filesystem, that only a file made in one and seen in the other would tell apart.
    DEST_MAYBE_DUPLICATE = "dest-maybe-duplicate"
    DEST_SAME_DISK = "dest-same-disk"
    DEST_ON_SOURCE_DEVICE = "dest-on-source-device"
    # A destination on the filesystem of ``/`` where drives are mounted (``/mnt/RAID2``, a
    # drive's empty mount folder): the copy is on the system disk (preflight.system_disk).
    DEST_ON_SYSTEM_DISK = "dest-on-system-disk"
    DEST_CONTAINS_SOURCE = "dest-contains-source"
    SYMLINK_OUTSIDE_SOURCE = "symlink-outside-source"
    # Volumes mounted inside the source's folder (two cards in one folder given as one card:
    # preflight.volumes): named, so each card is offloaded on its own.
    SOURCE_HOLDS_VOLUMES = "source-holds-volumes"
    # The source is a folder (or file) below its volume's root, and the volume holds other
    # entries (not the OS's own, preflight.volumes): only part of the card is offloaded, and
    # the card release keeps the card (report.release).
    SOURCE_PART_OF_VOLUME = "source-part-of-volume"
    # The source, a copy root of ours, records an offload of its card that did not finish
    # there (``source_copy_root``): card files may be missing from it.
    SOURCE_UNFINISHED_COPY = "source-unfinished-copy"
    SPECIAL_FILE_SKIPPED = "special-file-skipped"
    NAME_RESERVED_WINDOWS = "name-reserved-windows"
    FILESYSTEM_UNKNOWN = "filesystem-unknown"
    FREE_SPACE_UNKNOWN = "free-space-unknown"
    # The card's own ASC MHL history (offload.card_history.check_card_history).
    CARD_HISTORY_FILE_MISSING = "card-history-file-missing"  # recorded, not on the card
    CARD_HISTORY_UNTRUSTED = "card-history-untrusted"  # paths outside the card: forged
    # A folder of the card holds an ASC MHL history of its own: checked, but no ASC MHL
    # manifest can be written (exit 1, as the run's manifest step refuses it).
    CARD_NESTED_HISTORY = "card-nested-history"
    # A destination copy root's ASC MHL chain file cannot be read or parsed: copied and
    # verified there, but its manifest step fails (exit 1; offload.copy_root_history).
    DEST_HISTORY_UNREADABLE = "dest-history-unreadable"
    # Hex in upper case: checked (the same bytes), but ascmhl-debug verify rejects the history.
    CARD_HISTORY_UPPER_CASE = "card-history-upper-case-hex"
    # Names recorded NFC, listed NFD (or the reverse): checked, but ascmhl-debug verify misses them.
    CARD_HISTORY_RESPELLED = "card-history-respelled"
    # Files a default ignore pattern names (OS files) that the card's history records: copied.
    CARD_HISTORY_OS_FILES_KEPT = "card-history-os-files-kept"
    # Files the card's history records that the run's ignore patterns leave out, which the
    # copy's ASC MHL list does not hide (an anchored pattern): missing to verify of a copy.
    CARD_HISTORY_FILES_IGNORED = "card-history-files-ignored"
    # The card's generations not added to a destination's history of its own (manifests).
    CARD_HISTORY_NOT_CARRIED = "card-history-not-carried"
    # A verified copy a new generation records as failed: unlike its path's first record.
    HISTORY_RECORDS_FAILED = "history-records-failed"
    # A copy this run verified (an object store's) that could not be read again at the
    # manifest step in the formats its history records it in: listed in the run's formats
    # only, still verified (history_formats.Unread).
    HISTORY_FORMATS_UNREAD = "history-formats-unread"
    # Not a preflight finding: what stands in a copy root that is not the card's and that no
    # manifest records (put there by hand, another tool's), which the generation just
    # written does not list: ascmhl-debug verify of the copy root calls it new (manifest.foreign).
    FOREIGN_IN_COPY_ROOT = "foreign-in-copy-root"
    # A folder above the copy root whose ASC MHL history's ignore list hides files the copy's
    # new generation records from ascmhl-debug verify of that folder (manifest.enclosing).
    ENCLOSING_HISTORY_HIDES = "enclosing-history-hides"
    # Such a folder's history whose ignore list could not be read: what it hides is not known.
    ENCLOSING_HISTORY_UNREAD = "enclosing-history-unread"
    # Legacy MHL v1 files on the card (offload.card_legacy_mhl.check_legacy_mhls).
    LEGACY_MHL_FILE_MISSING = "legacy-mhl-file-missing"  # listed, not on the card
    LEGACY_MHL_UNREADABLE = "legacy-mhl-unreadable"  # not checked against, not a failure
    LEGACY_MHL_OUTSIDE = "legacy-mhl-outside"  # lists paths outside the card: not checked
    # Lists one file twice, unlike (size, or a digest of one format): not checked against it.
    LEGACY_MHL_CONTRADICTS = "legacy-mhl-contradicts"
    # Files a default ignore pattern names (OS files) that a legacy MHL on the card lists.
    LEGACY_MHL_OS_FILES_KEPT = "legacy-mhl-os-files-kept"  # copied, as the card held them
    # An empty folder of the card on an S3 destination, which holds objects, not folders.
    FOLDER_NOT_KEPT = "folder-not-kept"
    # Card files dated outside what the destination's filesystem holds (FAT, exFAT: 1980 to
    # 2107): copied and verified, but their copies do not keep the card's mtime (fs.mtimes).
    MTIME_NOT_KEPT = "mtime-not-kept"
    # This card read under another time zone than its copies were recorded under (FAT holds
    # local time): every date off by one zone offset, names, sizes and fingerprints equal;
    # its copies are read back, not trusted by date nor refused as another card's.
    CARD_ZONE_SHIFTED = "card-zone-shifted"
    # This card's offload in another folder of the destination (the card mounted under
    # another name, ``RED_A0011``): the run copies it again in full (offload.card_beside).
    CARD_OFFLOADED_BESIDE = "card-offloaded-beside"
    # What the preflight's probe found an S3 service to do (destinations.s3preflight): it
    # does not honour If-None-Match and --s3-head-check was given (a HEAD before each write,
    # racy); it stores data whose checksum is wrong (transfer mode: size-checked only).
    S3_HEAD_CHECK = "s3-head-check"
    S3_CHECKSUMS_UNCHECKED = "s3-checksums-unchecked"
    # A probe object of the preflight whose delete the service refused (a credential without
    # s3:DeleteObject): named, so nothing of ours is left in a bucket silently.
    S3_PROBE_LEFT = "s3-probe-left"
    # A file of another size already at a copy's final name, where
    # the run may not replace it (no --overwrite, --keep-both): that copy will fail, the file
    # kept; named before the copy starts (offload.card).
    EXISTING_NOT_OVERWRITTEN = "existing-not-overwritten"
    # Files a destination's ledger records (verified or transfer-checked) that the card no
    # longer has (deleted in camera, or another card's in a shared copy root): their copies
    # are kept; named before the copy, one warning a destination (offload.card).
    NOT_ON_CARD = "not-on-card"
    # Card files whose name, size and mtime a destination's ledger records with another
    # fingerprint (offload.fingerprint: another card, or the card shot again): their copies
    # there are not trusted but read back; named before the copy, one a destination.
    LEDGER_OTHER_CONTENT = "ledger-other-content"
    # A destination's ledger ends in a line a run stopped writing (killed, a power cut, a
    # drive pulled): named once before the copy, with the copy it recorded (offload.ledger).
    LEDGER_TORN_LINE = "ledger-torn-line"
    # An error: the copy root named after the card (no --into) holds another card's
    # offload, none of this card's (cards sharing a volume name: offload.card_folder).
    COPY_ROOT_OF_ANOTHER_CARD = "copy-root-of-another-card"
    # An error: that copy root has no ledger vouching for anything, and files at the card's
    # names none of which is this card's by size and date (offload.card_folder).
    COPY_ROOT_OF_OTHER_FILES = "copy-root-of-other-files"
    # A cascade re-run without its card: the source is a fast copy (offload.cascade).
    CARD_ABSENT = "card-absent"
    # An error beside others of a refused preflight: another offload holds a copy root's
    # lock now (a local one's flock, an S3 copy root's live lock object), its line as the
    # run would give it (offload.card; a refusal for want of room alone is that line only).
    COPY_ROOT_BUSY = "copy-root-busy"
    # A warning of ``--dry-run`` alone: an S3 copy root whose lock the credentials may not
    # read (403: a policy denying s3:GetObject there, a KMS key they may not use); the run,
    # which reads back the lock it stores, would lose that destination before its first
    # copy (offload.destinations.s3card.busy_copy_root).
    S3_COPY_ROOT_UNREADABLE = "s3-copy-root-unreadable"
    # Not a preflight finding: a copy of ours read back (--reverify, a stricter --verify)
    # found wrong, with what became of it (offload.existing.found_wrong_warnings).
    COPY_NO_LONGER_MATCHES = "copy-no-longer-matches"
    # Not a preflight finding: a copy of ours whose read-back failed (EACCES: an intact
    # copy, not found damaged), with what became of it (found_wrong_warnings, as above): a
    # code of its own, so that a reader (``offload history``) never counts it as damaged.
    COPY_UNREADABLE = "copy-unreadable"
    # Not a preflight finding: a cascade re-run without its card read a fast copy standing
    # in for it unlike the card's digests (offload.cascade_refeed.Revoker.found), said live
    # as it is found; the job report's ``folder_errors`` holds the same line (the terminal
    # says it there, once).
    FAST_COPY_UNLIKE_CARD = "fast-copy-unlike-card"
    # Not a preflight finding: a file of the card copied to a destination but left out of
    # its manifests (a name XML cannot hold: offload.manifests_writer), one per file and
    # destination, ``path`` the copy: verified or not as its entry says, in no manifest.
    NOT_IN_MANIFEST = "not-in-manifest"
    # A warning before the copy: a file of the card whose name holds a control character
    # (one XML cannot hold; a name that is not UTF-8 has ``name-not-utf8``), on a
    # destination whose manifests are written: it will be copied and checked there, and
    # left out of them (then ``not-in-manifest``), one per file and destination (offload.card).
    NAME_NOT_IN_MANIFEST = "name-not-in-manifest"
    # Not a preflight finding: files already at their names on a destination that this run
    # replaced by the card's copies (--overwrite), one per destination (offload.card).
    EXISTING_REPLACED = "existing-replaced"
    # Not a preflight finding: card files copied beside a file already at their names, under
    # a name of their own (--keep-both), one per destination (offload.card).
    EXISTING_KEPT_BESIDE = "existing-kept-beside"


class LeftOutEntry(NamedTuple):
    """One card entry a card's run left out that keeps the card, as the fast copy's record
    of the card's pass lists it (``cascade.CARD_PASS_RECORD``): its path, size (None for a
    folder, or an entry gone since), the ignore rules' reason, and whether it is a folder
    (its record's ``kind`` "folder"; an older record says none)."""

    path: str
    size: int | None
    reason: str
    folder: bool = False

    @property
    def shown(self) -> str:
        """The path as the reports name it: a folder's ending in "/"."""
        return f"{self.path}/" if self.folder else self.path

    def as_dict(self) -> dict[str, object]:
        """The entry as a report's ``card_left_out`` gives it, ``kind`` "folder" for one."""
        found: dict[str, object] = {"path": self.path, "size": self.size, "reason": self.reason}
        if self.folder:
            found["kind"] = "folder"
        return found


LeftOut = tuple[LeftOutEntry, ...]


class PreflightItem(NamedTuple):
    """One finding: what is wrong, where, and what to do about it, in one line.

    ``destination_index`` is the index of the destination concerned (``None`` for findings
    about the source alone). ``through_a_cache`` (``card-absent`` only; None elsewhere): True
    when the fast copy standing in for the card was read back, when verified there, through
    a cache for some file (its ledger's ``cache_bypass`` in ``THROUGH_A_CACHE``), False when
    every file was read back from its media: only then does that copy count as a backup.
    ``indices``: every destination a finding about several names, in order (one line for
    all of them: ``dest-on-source-device``); ``destination_index`` is then the last of them.
    ``counted`` (its ``count`` in a report): how many files a finding about several counts
    (``existing-kept-beside``: the card files copied beside a file kept at their names), so
    a reader of the report need not read it back from the message's words; None where a
    finding counts nothing. ``errno``: the error a probe met, when one made the finding (a
    write probe refused ``ENOSPC``: the drive is full, not read-only); in no report.
    ``card_left_out`` (``card-absent`` only): the card's entries its own run left out (path,
    size, or None for a folder, and the ignore rules' reason: a user's pattern, a name like
    offload-ai's partial files; ``LeftOutEntry``), from the fast copy's record of the card's pass
    (``cascade.CARD_PASS_RECORD``): never copied, each keeps the card; None where that
    record, written by an older offload-ai, does not list them.
    """

    code: PreflightCode
    path: Path | None
    message: str
    destination_index: int | None = None
    through_a_cache: bool | None = None
    indices: tuple[int, ...] = ()
    counted: int | None = None
    errno: int | None = None
    card_left_out: LeftOut | None = None
    # ``copy-no-longer-matches`` and ``copy-unreadable`` only: the copy of ours found wrong,
    # or whose read-back failed, was kept at the card file's name (--keep-both), the new copy
    # beside it: what readers tell it by, never the words (``offload history``); only a
    # ``copy-no-longer-matches`` one is damaged (``results.kept_damaged``).
    kept: bool = False
    # ``source-part-of-volume`` only: the source's path below its volume's mount point and
    # the first entry of the volume left outside it (a folder's ending in ``/``).
    part_of_volume: PartOfVolume | None = None
    # ``card-absent`` only: the card's run offloaded only part of its volume (its record of
    # the card's pass says so): the fast copy never held the rest, which keeps the card.
    card_part_of_volume: PartOfVolume | None = None

    def as_report_dict(self) -> dict[str, object]:
        """The finding as a job report's (and a dry run's) ``warnings`` give it: ``code``,
        ``path`` (text or None), ``message``, and each of ``through_a_cache``, ``indices``
        and ``count`` (``counted``) when it is set (``indices``: when not empty); and
        ``card_left_out`` on ``card-absent`` (a list, or null where the record does not say)."""
        found: dict[str, object] = {
            "code": self.code.value,
            "path": None if self.path is None else str(self.path),
            "message": self.message,
        }
        if self.through_a_cache is not None:
            found["through_a_cache"] = self.through_a_cache
        if self.indices:
            found["indices"] = list(self.indices)
        if self.code is PreflightCode.CARD_ABSENT:
            found["card_left_out"] = (
                None
                if self.card_left_out is None
                else [entry.as_dict() for entry in self.card_left_out]
            )
        if self.counted is not None:
            found["count"] = self.counted
        if self.kept:
            found["kept"] = True
        if self.part_of_volume is not None:
            found["within"] = self.part_of_volume.within
            found["outside_first"] = self.part_of_volume.outside_first
            found["card"] = self.part_of_volume.card
        if self.card_part_of_volume is not None:
            found["card_part_of_volume"] = self.card_part_of_volume.as_dict()
        return found

    def as_dict(self) -> dict[str, object]:
        """The finding as ``offload copy --json`` writes it (``path`` as text or None;
        ``indices`` every destination it names when it names several, else empty)."""
        return {
            "code": self.code.value,
            "path": None if self.path is None else str(self.path),
            "message": self.message,
            "destination_index": self.destination_index,
            "indices": list(self.indices),
        }
