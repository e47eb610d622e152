"""May the card be formatted? One conservative sentence, decided from the job report's data.

The reports' verdict says what each copy is; a producer reading page 1 wants to know whether
the card can go back to the camera. This module owns that answer (docs/reports.md, "May the
card be formatted?"), for the HTML/PDF reports, the terminal and the JSON (``card_release``).

The rule: the card **may be formatted** only when nothing went wrong (not cancelled, no
destination lost, no copy failed, the card read every file, nothing its own history lists is
missing, every link made, no folder error but a report a destination refused or a folder time
it refused to set, which say nothing of the copies and are said after the answer, or take
that destination out of the count where the errno may mean a failing disk) and **every
file of the card has a verified copy** (read back now,
or verified earlier by a run that read it back) **on at least one destination on another
physical disk than the card's** (the job report's ``devices``: a group with
``source_on_device`` false). A copy that was only transfer-checked proves nothing about the
media, and neither does a read-back through the page cache (``cache_bypass`` ``none``: it
may have come from RAM; a copy verified earlier too, when its ledger entry records that) or
from a network share (``server``: the server may answer from its cache); a network share
never counts (no read of it proves its disk; one served from this host may be on the card's
disk); a destination on the card's own disk (or filesystem) dies with the
card; a destination held in memory (tmpfs, ramfs, zram, a loop device over tmpfs) is gone at
the next reboot, and pmem (kind ``memory``) is not known to outlive one (emulated pmem does
not), so neither counts. A filesystem on no disk of its own counts by the disk under its
mount source (the volume's ``disk``), anything else on no known disk as possibly the
card's (it does not count); a card on no disk
this machine names (not in memory) may be on any local destination's disk, so only S3
destinations count then; S3 destinations count by bucket, but one whose endpoint is this
host (the destination's ``endpoint``: a loopback address, ``localhost``, this host's name or
one of its addresses, ``fs.below.this_host``) never counts: a MinIO or moto here stores on
one of this machine's disks, maybe the card's, as a share it serves. A user ignore pattern that left
card files out, a card file named like offload-ai's partial files (left out by default), or a
card history that is not trusted (its missing-file check skipped), or a source below its
volume's root beside other entries with data (``source-part-of-volume``: only part of the
card was offloaded), keeps the card. Anything
else, and a report that does not say which disk a destination is on (older reports), keeps
the card, with every reason (a destination that may be on the card's disk makes it "cannot
tell whether any destination is on a disk other than the card's", never "no destination
is").

A cascade re-run whose card is absent has a fast copy of it as its source (the
``card-absent`` warning; read only for what the run copies): that copy, verified there by
the card's run and read back from its media, counts as one copy on its disk, and
a destination on that disk is on the copy's disk, not the card's (``absent_card``).

The answer says what this run proved: a file whose every copy that counts was verified by
an earlier run only (trusted from the ledger, not read back now; the fast copy standing in
for an absent card too) counts, but the sentence then says it rests on the ledger ("The card
may be formatted on the ledger's word (N of M files verified only by an earlier run ...)",
``CardRelease.earlier_only``), never the plain "may be formatted"; of a cascade re-run whose
card is absent it keeps the card (README: a cascade's card is released on no copy an earlier
run verified until this run has read it; "Do not format the card: it (CARD) was absent, ...
N of M files are verified only by an earlier run ..."; a re-run that read the fast copy
standing in for it again as its source, that copy the only one that counts, says that read
is not counted, never "not read back now"); a fast copy a cascade's
read proved whole (``cascade.fast_copies_reread``) was read back by this run. A cascade that
did not release the card because this run proved none of the fast copies holding files an
earlier run verified (``cascade.files_verified_earlier_unproven``, its CARD line and
sentence: ``cascade_words``) keeps it: one answer on the terminal and in every report.

A re-offload of a card that recorded more is refused for the card's index files the camera
or sound recorder rewrote (Canon ``INDEX.MIF``, P2 ``LASTCLIP.TXT``, Sony
``MEDIAPRO.XML``/``CUEUP.XML``, XDCAM ``DISCMETA.XML``, ``index_file``): they already exist
on the destination with the old content, and offload-ai never replaces a file unasked. When
those refusals are the only failures, the sentence says so in words and names the re-run
that updates them (``--overwrite``).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from offload.destinations.s3url import display_path
from offload.errors import printable_name, shell_word
from offload.fs.below import (
    MEMORY_FILESYSTEMS,
    NETWORK_FILESYSTEMS,
    on_no_known_disk,
    share_host,
    this_host,
)
from offload.part_of_volume import PartOfVolume
from offload.report.loss import Losses
from offload.report.source_words import names_of, of_the_source, rewords
from offload.report.words import (
    fast_copies_failed,
    fast_copies_unreadable,
    fast_copy_failed,
    plural,
    what_was_read,
)
from offload.sound_takes import RECORDING_ENDINGS
from offload.state_names import (
    FOREIGN_STATE_REASON,
    PROBE_PREFIX,
    STATE_FOLDER,
    THROUGH_A_CACHE,
    TOOL_IGNORE_PATTERNS,
    UNREAD_STATE_REASON,
)

# Files a camera rewrites whenever it records: they list the card's clips, so a card that
# shot more since the last offload has a newer one (compared case-insensitively by name).
# Insta360's ``DCIM/fileinfo_list.list`` lists its recordings as Sony's MEDIAPRO.XML does.
INDEX_FILES = frozenset(
    {"INDEX.MIF", "LASTCLIP.TXT", "MEDIAPRO.XML", "CUEUP.XML", "DISCMETA.XML", "FILEINFO_LIST.LIST"}
)
# And an AVCHD card's playlists (``BDMV/PLAYLIST/00000.MPL`` and its ``BACKUP/PLAYLIST``
# copy): a play item a clip, appended as the camera records. (Its ``INDEX.BDM`` and
# ``MOVIEOBJ.BDM``, and Sony's ``M4ROOT/STATUS.BIN``, are not: no source found says a
# camera rewrites them as it records, and the line must be true.)
_INDEX_FOLDER_FILES = {("PLAYLIST", ".MPL")}
# Every extension whose name's folder decides (a playlist, a sound report): a name ending
# in none of them is answered by ``INDEX_FILES`` alone.
_FOLDER_DECIDED_EXTENSIONS = tuple({ext for _, ext in _INDEX_FOLDER_FILES} | {".CSV"})


def _sound_report(folder: str, name: str) -> bool:
    """Whether *name* in *folder* (both upper case) is a Sound Devices recorder's sound
    report: ``<folder>/<folder>.CSV``, rewritten after each take it records there."""
    stem, ext = posixpath.splitext(name)
    return ext == ".CSV" and bool(stem) and stem == posixpath.basename(folder)


# What a sound recorder records beside its sound report: Broadcast WAV takes (the sign of a
# sound card at a FAT or exFAT volume's root, too: ``plan.cardlike``).
_RECORDING_ENDINGS = RECORDING_ENDINGS


def _recorder_folders(entries: Iterable[Mapping[str, Any]]) -> frozenset[str]:
    """The folders (upper case) of the job report's ``files`` *entries* holding a sound
    recorder's take (a ``.WAV`` or ``.BWF``): where a ``<folder>/<folder>.CSV`` is a
    recorder's sound report, not a user's table so named (``NOTES/NOTES.csv``,
    ``A001R1AB/A001R1AB.csv``). Read only once such a CSV was refused (~1 µs a file)."""
    found: set[str] = set()
    for entry in entries:
        upper = str(entry.get("path", "")).upper()
        if upper.endswith(_RECORDING_ENDINGS):
            found.add(upper.rpartition("/")[0])
    return frozenset(found)


def _sound_reports_only(path: str) -> bool:
    """Whether *path*, an ``index_file``, is one only as a sound report (its folder's name
    and ``.CSV``): the release then asks whether a recorder's takes are beside it."""
    upper = path.upper()
    folder, name = posixpath.split(upper)
    return name not in INDEX_FILES and _sound_report(folder, name)


def index_file(path: str) -> bool:
    """Whether *path* (``/``-separated, below the card) is a camera's or a sound recorder's
    index file: one it rewrites whenever it records more (``INDEX_FILES`` by name, an AVCHD
    playlist by its folder and extension, a recorder's sound report named after its folder;
    compared case-insensitively)."""
    upper = path.upper()
    name = upper.rpartition("/")[2]  # ``posixpath.split``'s name
    if name in INDEX_FILES:
        return True
    # Every other name is answered without the folder's pieces unless its extension is one
    # a folder decides (the release asks of each file with no copy that counts: every file
    # of a transfer-mode run, ~2 µs a file at 50,000 files).
    if not name.endswith(_FOLDER_DECIDED_EXTENSIONS):
        return False
    folder = posixpath.split(upper)[0]
    if _sound_report(folder, name):
        return True
    return (posixpath.basename(folder), posixpath.splitext(name)[1]) in _INDEX_FOLDER_FILES


def _update_advice(device: str) -> str:
    """The re-run that updates the index files a *device* (``_rewriter``) rewrote: plainly
    for a camera's; for a sound report, once the one there is checked to be this card's."""
    if device == "camera":
        return "To update the copies, run the same offload again with --overwrite"
    return (
        f"{_SOUND_REPORT_CHECK[0].upper()}{_SOUND_REPORT_CHECK[1:]}; if it is, run the same "
        "offload again with --overwrite to update the copies"
    )


def _rewriter(index_files: Sequence[str]) -> str:
    """What rewrites *index_files* as it records: "camera", "sound recorder" (its sound
    reports alone) or "camera or sound recorder"."""
    sound = [_sound_report(*posixpath.split(path.upper())) for path in index_files]
    if all(sound):
        return "sound recorder"
    return "camera or sound recorder" if any(sound) else "camera"


def _index_noun(index_files: Sequence[str]) -> str:
    """What *index_files* are called: a recorder's sound report(s) (its reports alone: its
    words, not a camera's "index file"), else the card's index file(s)."""
    one = len(index_files) == 1
    if _rewriter(index_files) == "sound recorder":
        return "sound report" if one else "sound reports"
    return "index file" if one else "index files"


def _safe_noun(index_files: Sequence[str]) -> str:
    """What the card's other files are called in "all ... are safe": the recordings of
    whatever rewrote *index_files* (``_rewriter``): a sound card's takes, not clips (it has
    none), a camera's clips, both's recordings."""
    return {"sound recorder": "takes", "camera": "clips"}.get(_rewriter(index_files), "recordings")


# A copy on these is no backup: the filesystem lives in memory.
_MEMORY_FILESYSTEMS = MEMORY_FILESYSTEMS
_GOOD = frozenset({"verified", "verified_earlier", "transfer_checked"})
# NETWORK_FILESYSTEMS (fs/below.py, imported above for this module's readers): shares a
# client reads from a server, never from a disk; they do not count.
__all__ = [
    "NETWORK_FILESYSTEMS",
    "CardRelease",
    "card_release",
    "facts_of",
    "index_file",
    "user_ignored",
]
# How a read-back avoided the page cache (results.CacheBypass) that proves it read the media:
# ``none`` (pages were still cached: the read may have come from RAM), ``server`` (a network
# share's server answered, maybe from its cache) and a missing value prove nothing about
# the disk. ``device``: a FUSE filesystem's block device cache dropped as well.
_READ_THE_MEDIA = frozenset({"o_direct", "fadvise", "device", "remote"})
# Why an ignored entry was left out, when a user's pattern did it (plan/ignore.py,
# IgnoreRules.why): not a default OS-junk pattern, not the card's ASC MHL history, not
# offload-ai's own state folder or partial files (ledger.TOOL_IGNORE_PATTERNS).
_USER_IGNORE = "matches ignore pattern "
# (the words of a report written before the tool's patterns had reasons of their own)
_TOOL_IGNORE = frozenset(_USER_IGNORE + pattern for pattern in TOOL_IGNORE_PATTERNS)


def user_ignored(entry: object) -> bool:
    """Whether an entry of the job report's ``ignored`` list was left out by a user's
    pattern (``--ignore``): not a default OS-junk pattern, the card's ASC MHL history, nor
    offload-ai's own state or partial files."""
    if not isinstance(entry, Mapping):
        return False
    reason = str(entry.get("reason") or "")
    return reason.startswith(_USER_IGNORE) and reason not in _TOOL_IGNORE


# The reasons (plan/ignore.py, IgnoreRules.why) of a card file left out by default as an
# offload-ai partial (or fusefat's piece of one's name): taken for a leftover of an
# interrupted copy by its name alone, it is a file of the card all the same, and a format
# would lose it; the answer names it (never in silence), as an entry a user's pattern left out.
_PARTIAL_REASONS = tuple(f"{pattern}: " for pattern in TOOL_IGNORE_PATTERNS if pattern[0] != "/")


_PROBE_REASON = f"{PROBE_PREFIX}*: "


def _named_like(reasons: Iterable[str]) -> str:
    """What of offload-ai's the entries left out for *reasons* (``partial_ignored``'s) are
    named like: its partial files, its write probes (``preflight.paths._probe_write``), or
    both."""
    probes = partials = False
    for reason in reasons:
        probe = reason.startswith(_PROBE_REASON)
        probes, partials = probes or probe, partials or not probe
    if probes and partials:
        return "offload-ai's partial files or write probes"
    return "offload-ai's write probes" if probes else "offload-ai's partial files"


def partial_ignored(entry: object) -> bool:
    """Whether an entry of the job report's ``ignored`` list is a card file left out by
    default because its name is an offload-ai partial file's (``.offload-partial.*``), the
    piece of one fusefat leaves (``.offload-part``) or a write probe's (``.offload-probe-*``)."""
    return isinstance(entry, Mapping) and str(entry.get("reason") or "").startswith(
        _PARTIAL_REASONS
    )


def foreign_state(entry: object) -> bool:
    """Whether an entry of the job report's ``ignored`` list is the source's root folder
    named like offload-ai's state folder that holds no ledger (``FOREIGN_STATE_REASON``):
    not known to be ours, left out all the same, so it keeps the card; or one whose ledger
    could not be looked at when the source was read (``UNREAD_STATE_REASON``)."""
    return isinstance(entry, Mapping) and entry.get("reason") in (
        FOREIGN_STATE_REASON,
        UNREAD_STATE_REASON,
    )


def keeps_card(entry: object) -> bool:
    """Whether an entry of the job report's ``ignored`` list is a card entry left out that
    keeps the card (``user_ignored``, ``partial_ignored``, ``foreign_state``): the entries
    a cascade's card pass records (``cascade.CARD_PASS_RECORD``) for a re-run without the
    card to name."""
    return user_ignored(entry) or partial_ignored(entry) or foreign_state(entry)


def _our_copy(ignored: Iterable[object]) -> bool:
    """The source holds offload-ai's own state with its ledger at its root (its ``.offload``
    left out by the tool's rule, not ``foreign_state``): a copy root of ours offloaded
    again, whose partial-named files are leftovers of an interrupted run of ours."""
    ours = f"/{STATE_FOLDER}/: "
    return any(
        isinstance(e, Mapping)
        and e.get("path") == STATE_FOLDER
        and str(e.get("reason") or "").startswith(ours)
        and not foreign_state(e)
        for e in ignored
    )


def card_left_out(data: Mapping[str, Any]) -> list[Mapping[str, Any]] | None:
    """The card entries the card's own run left out (``keeps_card``: path, size, reason) that
    a cascade re-run without its card read from the fast copy's record of the card's pass
    (the ``card-absent`` warning's ``card_left_out``): its fast copy never held them. Empty
    where the source is the card; None where the record (or the report, older than that
    key) does not say: whether the card's run left any out is unknown."""
    for warning in data.get("warnings") or ():
        if isinstance(warning, Mapping) and warning.get("code") == "card-absent":
            entries = warning.get("card_left_out")
            if not isinstance(entries, list):
                return None
            return [e for e in entries if isinstance(e, Mapping)]
    return []


class CardRelease(NamedTuple):
    """``may_format``: the card may be formatted (see the module's rule); ``text``: the one
    sentence saying so, or "Do not format the card: <the reasons>"; ``index_files``: the card's
    index files refused because another one is on a destination, and failed for no other reason
    (named whatever else keeps the card); ``earlier_only``: of the files the answer counts safe,
    those whose every copy that counts was verified by an earlier run only (trusted from the
    ledger, not read back by this run): the sentence says so, never a plain "may be
    formatted"."""

    may_format: bool
    text: str
    index_files: tuple[str, ...] = ()
    earlier_only: int = 0
    # The source is no card but a copy root of ours (``source_is_copy``): nothing to format
    # or eject, ``may_format`` false; the sentence says where its files are verified.
    source_is_copy: bool = False
    # Of such a source: the rule that would release a card holds (every file verified on
    # enough disks): a success, shown as one (the reports' colour), though nothing to format.
    source_verified: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "may_format": self.may_format,
            "text": self.text,
            "index_files_changed": list(self.index_files),
            "files_verified_earlier_only": self.earlier_only,
            "source_is_copy": self.source_is_copy,
            "source_verified": self.source_verified,
        }


def source_is_copy(data: Mapping[str, Any]) -> bool:
    """Whether the job report *data*'s source is a copy root of ours, not a card: its root
    holds offload-ai's state with its ledger (``_our_copy``, as the scan found it), and it
    stands in for no absent card (a cascade re-run's fast copy has words of its own,
    ``absent_card``). The release then never tells anyone to format or eject it."""
    return absent_card(data) is None and _our_copy(data.get("ignored") or ())


def _of_the_source(data: Mapping[str, Any], text: str, named: Iterable[str] = ()) -> str:
    """The release's reasons (worded for a card) said of a source that is a copy root of
    ours (``source_words``: "the card's disk" is the source's, "keep the card" keeps the
    source), every name they print as it is: the source's and the destinations', the card
    files of *data* and *named* (those of the files read apart from it, ``card_release``'s
    *files*) whose names hold a card word (``The card.mov``)."""
    return of_the_source(text, keep=(*names_of(data), *named))


# The kinds of a refusal (``remedies.Refusal``, the JSON's copy ``refusal``) of an index file
# because a destination holds another one: there, or, on a cascade's slow destination, on
# every fast one (the slow copy is then fed once --overwrite replaces the fast one).
_INDEX_REFUSALS = frozenset(
    {"in_the_way", "another_card", "fast_refused", "fast_refused_another_card"}
)
#: A copy's refusal in a report written before the copy's ``refusal`` key (``facts_of``).
UNSAID = "unsaid"


def _index_refusal(
    path: str,
    error: str | None,
    refusal: str | None = UNSAID,
    is_index: Callable[[str], bool] = index_file,
) -> bool:
    """A failed copy of a camera's index file (*is_index*) refused because the destination
    holds another one: by its refusal's kind (*refusal*, never the words of its error, which
    a slow copy's "cannot be cascaded" reason carries too); in a report written before the
    kind (``UNSAID``), by the words every version before it wrote ("... already exists
    ...")."""
    if refusal == UNSAID:
        return "already exists" in (error or "") and is_index(path)
    return refusal in _INDEX_REFUSALS and is_index(path)


def _index_words(index_files: Sequence[str], conflict: str | None = None) -> str:
    """The card's index files refused (``_index_refusal``), named, with what that means and
    what to do: the words that follow "of" in the card release line. *conflict*: another
    file failed as already there with other content; ``--overwrite`` applies to the whole
    run and would replace it too (maybe another card's clip), so it is not advised then."""
    one = len(index_files) == 1
    advice = (
        f"--overwrite would replace {printable_name(conflict)} too, which is already there "
        "with other content: check it first"
        if conflict is not None
        else f"{_SOUND_REPORT_CHECK}; if it is, run the same offload again with --overwrite"
        if _rewriter(index_files) != "camera"
        else "run the same offload again with --overwrite to replace only the files that "
        "differ from the card, once the new copy is verified"
    )
    return (
        f"the card's {_index_noun(index_files)} "
        f"{', '.join(printable_name(f) for f in index_files)}, which "
        f"{'differs' if one else 'differ'} from the {'one' if one else 'ones'} already on a "
        f"destination (a {_rewriter(index_files)} rewrites {'it' if one else 'them'} whenever "
        "it records more) "
        f"and {'was' if one else 'were'} not replaced ({advice})"
    )


# A sound report's name is its folder's, a date (``250101/250101.CSV``): two recorders'
# reports merged into one folder (``--into``) have one name, and nothing in the report says
# whose the one there is (the run does not read it back, nor does its ledger say here).
_SOUND_REPORT_CHECK = (
    "a sound report is named after its folder, as another recorder's of the same day is: "
    "check that the one there is this card's older report"
)


def _not_safe_words(
    unsafe: int,
    count: int,
    first: str,
    transfer_only: bool,
    cached_only: bool,
    reasons: Sequence[str],
) -> str:
    """Why *unsafe* of the *count* files (*first* the first) keep the card: no copy that
    counts on a disk other than the card's, and how they fall short (never read back, read
    back only through the page cache, not verified); why a destination holding a copy did
    not count (*reasons*: in memory, maybe on the card's disk), the first."""
    what = (
        "only transfer-checked (never read back)"
        if transfer_only
        else "read back only through the page cache (cache_bypass none, by this run or "
        "by the earlier run the ledger records: the read-back may have come from memory, "
        "not the disk)"
        if cached_only
        else "not verified"
    )
    why = f"; {reasons[0]}" if reasons else ""
    return (
        f"{unsafe:,} of {count:,} files ({first} first) "
        f"{'is' if unsafe == 1 else 'are'} {what} on a disk other than the card's{why}"
    )


def _bucket(device: str) -> str | None:
    """``s3://bucket`` of a remote group named ``s3://bucket/prefix`` (None: not a URL).
    Prefixes of one bucket are one storage: a bucket deleted or unreachable loses them all."""
    scheme, sep, rest = device.partition("://")
    if not sep or not scheme.isalnum():
        return None
    return f"{scheme}://{rest.split('/', 1)[0]}"


def _endpoint_on_this_host(destination: Mapping[str, Any], hostname: str) -> str:
    """The S3 endpoint of *destination* (the job report's ``endpoint``) when its host is
    this machine or the report's *hostname* (``fs.below.this_host``: a loopback address,
    ``localhost``, this host's name or one of its addresses), else "". A report without
    the key (older, or a folder) says nothing: ""."""
    endpoint = destination.get("endpoint")
    if not endpoint:
        return ""
    from urllib.parse import urlsplit  # only for a bucket

    try:
        host = urlsplit(str(endpoint)).hostname or ""
    except ValueError:
        return ""
    return str(endpoint) if this_host(host, hostname) else ""


def _in_memory(disk: str) -> bool:
    """A whole disk held in RAM (zram, a ram disk): gone at the next reboot."""
    name = posixpath.basename(disk)
    return name.startswith("zram") or (name.startswith("ram") and name[3:].isdigit())


def absent_card(data: Mapping[str, Any]) -> str | None:
    """The card a cascade re-run's source stands in for, absent (the ``card-absent``
    warning's path: the source is then a fast copy of it, ``cascade.fast_copy_source``, each
    file verified there by the card's run); None: the source is the card."""
    for warning in data.get("warnings") or ():
        if isinstance(warning, Mapping) and warning.get("code") == "card-absent":
            return str(warning.get("path") or "") or None
    return None


def _stand_in_read_from_media(data: Mapping[str, Any]) -> bool:
    """The ``card-absent`` warning says every file of the fast copy was read back from its
    media when verified there (``through_a_cache`` false); a report that does not say (older
    than that key) is not trusted."""
    for warning in data.get("warnings") or ():
        if isinstance(warning, Mapping) and warning.get("code") == "card-absent":
            return warning.get("through_a_cache") is False
    return False


def _stand_in_disk(data: Mapping[str, Any]) -> str | None:
    """The disk of the fast copy standing in for an absent card (its ledger vouches each file
    verified, read back from its media, not through a cache; what this run copied from it
    was checked against the card's digests): a backup of the card, counted as one. None: the
    source is the card, that copy was read back through a cache for some file (or the report
    does not say), or its disk is unknown or held in memory."""
    if absent_card(data) is None or not _stand_in_read_from_media(data):
        return None
    volume = data.get("source_volume") or {}
    on_device = [g for g in data.get("devices") or () if g.get("source_on_device")]
    disk = str(volume.get("disk") or (on_device[0].get("device") if on_device else "") or "")
    if not disk or disk.startswith("filesystem ") or _in_memory(disk):
        return None
    if str(volume.get("filesystem") or "") in _MEMORY_FILESYSTEMS:
        return None
    return disk


class _Uncounted(list[str]):
    """Why each destination that does not count does not, in order; ``unknown``: some of
    them may be on the card's disk, which cannot be told (so "no destination is on a disk
    other than the card's" would claim what is not known); ``elsewhere``: some are on a
    disk other than the card's that no read proves (a network share of another host: "no
    destination is on a disk other than the card's" would be untrue)."""

    unknown = False
    elsewhere = False

    def maybe(self, reason: str) -> None:
        """A destination that cannot be told apart from the card's disk: *reason* says so."""
        self.unknown = True
        self.append(reason)

    def unproven(self, reason: str) -> None:
        """A destination on another disk than the card's whose copy no read proves."""
        self.elsewhere = True
        self.append(reason)


def _independent(
    data: Mapping[str, Any], leave_out: Container[int] = frozenset()
) -> tuple[dict[int, str], _Uncounted]:
    """Destination index -> its storage (a disk ``/dev/sdb``, ``bucket s3://name`` or
    ``network storage``), for the destinations on another disk than the card's and not in
    memory (nor possibly on the card's disk); and why each other destination does not count,
    in order (a destination that *might* be on the card's disk does not count: the one rule
    for what cannot be told; one that does not count for a reason of its own, in memory, a
    network share, the card's own mount, says that reason, on a card on no known disk too).
    The destinations of *leave_out* (the lost ones) are neither counted nor given a reason."""
    devices = data.get("devices")
    if not devices:
        reasons = _Uncounted()
        reasons.maybe("this report does not say which disk each destination is on")
        return {}, reasons
    destinations = {int(d.get("index", i)): d for i, d in enumerate(data.get("destinations") or [])}
    filesystems = {i: str(d.get("filesystem") or "") for i, d in destinations.items()}
    card = data.get("source_volume") or {}
    # The same mount as the card's is the card's filesystem, whatever the disk was found to
    # be (a second check: a source whose disk could not be found is on no group's disk).
    card_mount = card.get("mount_point")
    # The whole disk under the card's mount source (report/volumes.py), when sysfs says: a
    # card read through FUSE (exfat-fuse) has no disk of its own filesystem, but its source
    # /dev/sdb1 is on /dev/sdb, which a destination's group may name.
    card_disk = card.get("disk")
    # A card on no disk this machine can name (a pass-through FUSE mount, a network share,
    # an older report that does not say) may be on any local destination's disk; a card in
    # memory (tmpfs, or a loop device whose image is on tmpfs) is on none. The cascade's rule
    # (``fs.below.on_no_known_disk``).
    card_unknown = not any(group.get("source_on_device") for group in devices) and (
        on_no_known_disk(card_disk, card.get("filesystem"), card.get("backing_filesystem"))
    )
    hostname = str(data.get("hostname") or "")
    # The source a fast copy standing in for the absent card: a destination on its disk is
    # on the disk of that copy, not the card's (counted as that one disk, never two).
    stand_in = _stand_in_disk(data)
    # An absent card's source is its fast copy: the disk and filesystem the reasons compare
    # with are that copy's, not the card's (which this run did not see).
    src = "the fast copy's" if absent_card(data) is not None else "the card's"
    found: dict[int, str] = {}
    reasons = _Uncounted()
    if absent_card(data) is not None and not _stand_in_read_from_media(data):
        reasons.append(
            f"the fast copy standing in for the absent card ({data.get('source')}) was read "
            "back through a cache for some file when verified there (or this report does not "
            "say): it does not count as a backup"
        )
    for group in devices:
        members = [int(i) for i in group.get("destinations") or [] if int(i) not in leave_out]
        for index in members:
            gone = (destinations.get(index) or {}).get("unreachable")
            if gone:
                # Its copy root's stat failed at report time (``volumes._unreachable``):
                # ENOTCONN, ENODEV... of a drive gone, or EIO, which a failing drive still
                # plugged in answers too: never said to be pulled alone.
                reasons.append(
                    f"destination {index + 1} no longer answers ({gone}): its drive was "
                    "pulled or unmounted since the run began, or is failing"
                )
        members = [i for i in members if not (destinations.get(i) or {}).get("unreachable")]
        if not members:
            continue
        named, verb = destinations_named(members)
        device = str(group.get("device") or "")
        if stand_in and (group.get("source_on_device") or device == stand_in):
            found.update(dict.fromkeys(members, stand_in))
            continue
        if group.get("source_on_device") or (card_disk and device == card_disk):
            reasons.append(
                f"{named} {verb} on {src} own disk ({device}): no backup if that disk fails"
            )
            continue
        if group.get("kind") == "memory" or device.startswith("unreachable"):
            reasons.append(
                f"{named}: held in memory or unreachable ({device}), not on a "
                "disk known to outlive a reboot"
            )
            continue
        if group.get("kind") == "remote":
            for index in members:
                endpoint = _endpoint_on_this_host(destinations.get(index) or {}, hostname)
                if endpoint:
                    # A bucket served from this machine (a MinIO, moto or Garage here) stores
                    # on one of its disks, which may be the card's: as a share it serves.
                    reasons.maybe(
                        f"destination {index + 1} is a bucket served from this host "
                        f"({endpoint}): it may be on {src} own disk"
                    )
                    continue
                found[index] = f"bucket {_bucket(device) or device}"
            continue
        if group.get("backing_filesystem") in _MEMORY_FILESYSTEMS:
            reasons.append(
                f"{named}: a loop device ({device}) whose image file is held in "
                f"memory ({group['backing_filesystem']}): gone at the next reboot"
            )
            continue
        if group.get("backing_filesystem"):
            # A loop device whose image file is on no disk sysfs describes (a FUSE mount, a
            # network share): that file may be on the card's disk.
            reasons.maybe(
                f"cannot tell whether {named} {verb} on {src} disk (a loop "
                f"device, {device}, whose image file is on {group['backing_filesystem']})"
            )
            continue
        # Those of the group that would count but for a card on no disk this machine names:
        # each may be on the card's disk (one reason for them, after the group's others).
        untold: list[int] = []
        for index in members:
            volume = destinations.get(index) or {}
            disk = device
            if filesystems.get(index) in NETWORK_FILESYSTEMS:
                # A client reads what the server returns, maybe from its cache: no read of a
                # share proves its disk. One served from this host may be on the card's disk.
                source = str(volume.get("device") or "")
                local = this_host(share_host(source), hostname)
                (reasons.maybe if local else reasons.unproven)(
                    f"destination {index + 1} is a network share ({filesystems[index]} "
                    f"{source or 'on an unknown server'}"
                    + (f", served from this host: it may be on {src} own disk" if local else "")
                    + "): a read-back of it comes from the server, maybe from its cache, not "
                    "from its disk"
                )
                continue
            if device.startswith("filesystem "):
                # A filesystem on no disk of its own (btrfs, FUSE): the disk under its mount
                # source, else unknown.
                disk = str(volume.get("disk") or "")
            if card_mount and volume.get("mount_point") == card_mount:
                reasons.append(f"destination {index + 1} is on {src} own filesystem ({card_mount})")
            elif filesystems.get(index) in _MEMORY_FILESYSTEMS or _in_memory(disk):
                reasons.append(
                    f"destination {index + 1} is held in memory "
                    f"({filesystems.get(index) or disk}): gone at the next reboot"
                )
            elif not disk:
                reasons.maybe(
                    f"cannot tell whether destination {index + 1} is on {src} disk "
                    f"({filesystems.get(index) or 'a filesystem'} on "
                    f"{volume.get('device') or 'no known device'}, {device})"
                )
            elif stand_in and disk == stand_in:
                found[index] = disk
            elif card_disk and disk == card_disk:
                reasons.append(
                    f"destination {index + 1} is on {src} own disk ({disk}): no backup if "
                    "that disk fails"
                )
            elif card_unknown:
                untold.append(index)
            else:
                found[index] = disk
        if untold:
            named, verb = destinations_named(untold)
            reasons.maybe(
                f"cannot tell whether {named} {verb} on {src} disk ({src} "
                f"filesystem, {card.get('filesystem') or 'unknown'} on "
                f"{card.get('device') or 'an unknown device'}, is on no disk this machine names)"
            )
    return found, reasons


# What the rule reads of a file: its path, the card's read error, and each copy's
# (destination index, status, verified_mode, error, cache_bypass, refusal: ``UNSAID`` in a
# report written before it). Tuples, not the report's entries: the whole entries of 50,000
# files on three destinations cost ~0.5 s, on every offload.
Copy = tuple[int, str, str | None, str | None, str | None, str | None]
FileFacts = tuple[str, str | None, Sequence[Copy]]


def destinations_named(indexes: Sequence[int]) -> tuple[str, str]:
    """The destinations of *indexes* (0-based) in words, and the verb after them:
    ("destination 1", "is"), ("destinations 1 and 2", "are"), ("destinations 1, 2 and 3",
    "are"); it said "destination 1, 2 are" for two. The one way the reports number
    destinations in a sentence (``content``'s cascade sentence too)."""
    numbers = [str(i + 1) for i in indexes]
    if len(numbers) == 1:
        return f"destination {numbers[0]}", "is"
    return f"destinations {', '.join(numbers[:-1])} and {numbers[-1]}", "are"


def _held_without_card(
    data: Mapping[str, Any], lost: Sequence[Mapping[str, Any]], files: Iterable[FileFacts] | None
) -> list[str]:
    """What the terminal's ``CARD RELEASED`` line said of a cascade whose lost destinations
    are all cascaded ones (QA: the documents' last words said only "destination 3 was lost"):
    every file verified on the fast destinations, the card released at its pass (or once the
    cascade had read the copies an earlier run verified), so the same command finishes the
    lost ones from them without the card. Nothing (``[]``) when the card
    was not released, a fast destination was lost, or a file is not verified on each."""
    cascade: Mapping[str, Any] = data.get("cascade") or {}
    slow = {int(i) for i in cascade.get("destinations") or ()}
    gone = [int(d.get("index", 0)) for d in lost]
    if not cascade.get("card_released_at") or not slow.issuperset(gone):
        return []
    fast = {
        int(d.get("index", i))
        for i, d in enumerate(data.get("destinations") or ())
        if int(d.get("index", i)) not in slow
    }
    good = ("verified", "verified_earlier")
    wanted = len(fast)
    if files is None:  # the JSON's entries as they are (facts_of's tuples: 3 times the CPU)
        for entry in data.get("files") or ():
            held = sum(
                1
                for c in entry.get("destinations") or ()
                if c.get("status") in good and c.get("index") in fast
            )
            if entry.get("source_error") or held != wanted:
                return []
    else:
        for _path, error, copies in files:
            held = sum(1 for index, status, *_rest in copies if status in good and index in fast)
            if error or held != wanted:
                return []
    named, verb = destinations_named(sorted(fast))
    lost_named = destinations_named(sorted(gone))[0]
    # When, as the cascade's sentence says it: a release the card's pass withheld came once
    # the cascade had read the copies an earlier run verified (``card_released_after_reread``).
    released = (
        "once the cascade had read the fast copies an earlier run verified and found them "
        "equal to the card's digests"
        if cascade.get("card_released_after_reread")
        else "at its pass"
    )
    return [
        f"every file is verified on {named} (the card was released {released}), so the "
        f"same command finishes {lost_named} from {'it' if verb == 'is' else 'them'} "
        "without the card"
    ]


def facts_of(entries: Iterable[Mapping[str, Any]]) -> Iterator[FileFacts]:
    """The facts of the job report's ``files`` entries (a report read back from JSON)."""
    for entry in entries:
        yield (
            str(entry.get("path", "")),
            entry.get("source_error"),
            [
                (int(c.get("index", -1)), str(c.get("status")), c.get("verified_mode"),
                 c.get("error"), c.get("cache_bypass"), c.get("refusal", UNSAID))
                for c in entry.get("destinations") or ()
            ],
        )  # fmt: skip


def left_out_words(data: Mapping[str, Any]) -> str:
    """The card release's words for the card's entries left out that keep the card
    (``_left_out_reasons``, "; "-joined; "" when none), of the job report *data* or of as much
    of it as a run knows before its end (its ``ignored`` and ``warnings``): the live ``CARD
    RELEASED`` line says them as the release at the end will."""
    return "; ".join(_left_out_reasons(data))


def _left_out_reasons(data: Mapping[str, Any]) -> list[str]:
    """The reasons the card's entries left out keep the card (a user's pattern, a name like
    offload-ai's partial files, a root ``.offload/`` not known to be ours), each naming the
    first: the card's own (the job report's ``ignored``), or, in a cascade re-run without its
    card, those its run left out (``card_left_out``) and the fast copy's user-ignored ones.
    Said whatever else keeps the card, a cancel too: never silent before a format."""
    kept: list[str] = []
    # A cascade re-run without its card: the card's run left these out (its fast copy's record
    # of the card's pass lists them), never copied anywhere; of the fast copy's own ignored
    # entries, a user's pattern's count too, not its partials (those of a run cut short are
    # its own, not the card's).
    absent = absent_card(data) is not None
    by_card = card_left_out(data)
    if by_card is None:
        kept.append(
            "the fast copy's record of the card's pass does not list the card's entries its run "
            "left out (written by an older offload-ai): whether any was is unknown"
        )
    own = data.get("ignored") or ()
    card_entries = [*(by_card or ()), *(() if absent else own)]
    # Each path, a folder's ending in "/" (its JSON entry's ``kind``: its content was not
    # looked at), so the words say a folder was left out, not "1 entry".
    left_out = list(
        dict.fromkeys(
            f"{entry.get('path')}{'/' if entry.get('kind') == 'folder' else ''}"
            for entry in [*card_entries, *(own if absent else ())]
            if user_ignored(entry)
        )
    )
    # Not copied by this run, nor by the card's run whose fast copy stands in for the card.
    by_whom = "the card's run (its fast copy does not hold it)" if absent else "this run"
    if left_out:
        one = len(left_out) == 1
        # "folders" when each is one; else "entries", the folders among them named "X/".
        noun = "folders" if all(path.endswith("/") for path in left_out) else "entries"
        kept.append(
            f"{len(left_out):,} of the card's {noun} {'was' if one else 'were'} left out by an "
            f"ignore pattern ({printable_name(left_out[0])} first) and "
            f"{'was' if one else 'were'} not copied from the card by {by_whom}"
        )
    ours = [e for e in card_entries if partial_ignored(e)]
    partials = [str(e.get("path")) for e in ours]
    like = _named_like(str(e.get("reason")) for e in ours)
    if partials and not absent and _our_copy(own):
        one = len(partials) == 1
        kept.append(
            f"{len(partials):,} of the source's entries {'is' if one else 'are'} named like "
            f"{like} ({printable_name(partials[0])} first): the source is a copy of ours "
            f"(it holds offload-ai's state and ledger, {STATE_FOLDER}/), so "
            f"{'it is a leftover' if one else 'they are leftovers'} of an interrupted run of "
            f"offload-ai, left out by default and not copied by this run: delete "
            f"{'it' if one else 'them'} on the source, or leave {'it' if one else 'them'} out "
            "knowingly"
        )
    elif partials:
        one = len(partials) == 1
        kept.append(
            f"{len(partials):,} of the card's entries {'is' if one else 'are'} named like "
            f"{like} ({printable_name(partials[0])} first), left out by default and not "
            f"copied from the card by {by_whom}"
        )
    if any(isinstance(e, Mapping) and e.get("reason") == UNREAD_STATE_REASON for e in own):
        kept.append(
            f"the source's folder {STATE_FOLDER}/ could not be looked at when it was read (is "
            "it a copy of ours, with offload-ai's ledger?): it was left out and not copied by "
            f"this run; once the source can be read again, look at what {STATE_FOLDER}/ holds"
        )
    part = _part_of_volume(data)
    if part is not None:
        kept.append(part)
    if any(foreign_state(e) and e.get("reason") == FOREIGN_STATE_REASON for e in card_entries):
        kept.append(
            f"the card's folder {STATE_FOLDER}/ holds no offload-ai ledger: not known to be "
            "offload-ai's state, it was left out (every copy root needs that name for its own) "
            f"and not copied by {by_whom}; look at what it holds and copy it by hand if it "
            "is the card's"
        )
    return kept


def _part_of_volume(data: Mapping[str, Any]) -> str | None:
    """The words for a source below its card's root beside other entries with data (the
    ``source-part-of-volume`` warning, ``plan.preflight.volumes``): only that part of the
    card was offloaded, the rest not copied by this run; in a cascade re-run without its
    card, by the card's run (the ``card-absent`` warning's ``card_part_of_volume``, from the
    fast copy's record of the card's pass). None: neither says so, or the volume is no card
    (``card`` false: a folder of a data drive, no card to format)."""
    for warning in data.get("warnings") or ():
        if not isinstance(warning, Mapping):
            continue
        part: PartOfVolume | None = None
        by_whom = "this run"
        if warning.get("code") == "source-part-of-volume":
            part = PartOfVolume.of(dict(warning))
        elif warning.get("code") == "card-absent":
            part = PartOfVolume.of(warning.get("card_part_of_volume"))
            by_whom = "the card's run"
        if part is None or not part.card:
            continue
        if by_whom != "this run":
            by_whom += f" (its fast copy does not hold {'it' if part.outside == 1 else 'them'})"
        return part.words(done=True, by_whom=by_whom)
    return None


def card_release(data: Mapping[str, Any], files: Iterable[FileFacts] | None = None) -> CardRelease:
    """The answer for the job report *data*, its files read once, in order: *files*, else
    ``facts_of(data["files"])`` (``report_data`` makes them from the results). Never raises
    on a report missing keys: a missing fact keeps the card. The card kept, the sentence
    gives every reason that holds (a cancel with the entries left out alone,
    ``_left_out_reasons``; the lost destinations first, every one, their copies counting for
    nothing and their failures of the loss said by it alone, ``Losses``), the destinations'
    disks after the files' reasons."""

    copy_source = source_is_copy(data)
    card_words_named: list[str] = []  # of a copy source: its files a card word would reword

    def keep(reason: str, index_files: tuple[str, ...] = ()) -> CardRelease:
        if copy_source:
            # A copy of ours is no card: nothing to format, the source kept all the same.
            said = _of_the_source(data, reason, card_words_named)
            return CardRelease(
                False,
                f"Keep the source (a copy of ours, not a card): {said}.",
                index_files,
                source_is_copy=True,
            )
        return CardRelease(False, f"Do not format the card: {reason}.", index_files)

    if data.get("cancelled"):
        cascade_facts: Mapping[str, Any] = data.get("cascade") or {}
        if cascade_facts.get("card_released_at"):
            # Released at its pass (CARD RELEASED ... can be ejected), then cancelled: the
            # two lines agree once this says why the card is still kept (QA).
            return keep(
                "; ".join(
                    [
                        "the offload was cancelled before the cascade finished: the card was "
                        "released (its fast copies verified, it could be ejected), but the "
                        "cascaded destinations' copies are unfinished: run the same command to "
                        "finish them",
                        *_left_out_reasons(data),
                    ]
                )
            )
        return keep(
            "; ".join(["the offload was cancelled before it finished", *_left_out_reasons(data)])
        )
    # A destination without its "index" (a hand-made report) is its place in the list, as
    # ``_independent`` and ``Losses.of_report`` read it.
    lost = [
        {"index": i, **d} for i, d in enumerate(data.get("destinations") or []) if d.get("lost")
    ]
    lost_indexes = sorted({int(d.get("index", 0)) for d in lost})
    losses = Losses.of_report(data) if lost else None
    if lost and files is not None:
        files = list(files)  # read twice: the cascade's finish below, then the rule
    # A lost destination's copies count for nothing (its drive is gone or failing): its loss
    # is the reason said, first, not where its disk is.
    independent, reasons = _independent(data, leave_out=frozenset(lost_indexes))
    # A destination whose report was refused for a reason that may mean its disk failed since
    # its copies were read back (report/refusal.py: EROFS, EIO, a drive gone) does not count.
    refusals = [r for r in data.get("reports_refused") or () if isinstance(r, Mapping)]
    doubted = _doubted(refusals)
    # Folder times a destination refused, after its copies were verified: likewise.
    unset = [r for r in data.get("folder_times_unset") or () if isinstance(r, Mapping)]
    for index, why in _doubted(unset, "could not set its folders' times").items():
        doubted.setdefault(index, why)
    uncounted = [doubted[i] for i in sorted(doubted) if independent.pop(i, None) is not None]
    reasons[:0] = uncounted
    stand_in = _stand_in_disk(data)  # the fast copy standing in for the card: one copy more
    # A cascade's: the fast copies its read proved whole, their files an earlier run
    # verified matched to the card's digests (``fast_copies_reread``): read by this run.
    cascade: Mapping[str, Any] = data.get("cascade") or {}
    reread = frozenset(int(i) for i in cascade.get("fast_copies_reread") or ())
    none_counts = not (independent or stand_in)
    failed_other: str | None = None  # the first copy failed (not an index file refused)
    failed_others = 0  # how many copies failed so
    failed_files: set[str] = set()  # and of how many files
    index_refused = 0  # copies of an index file refused (``index_files``: their paths)
    # The first other file failed as already there with other content: --overwrite would
    # replace it too, so never advised beside it.
    conflict: str | None = None
    source_error: str | None = None  # the first card file that failed as it was read
    source_errors = 0  # and how many did (a read, a stat, a second read: each its file)
    index_files: list[str] = []
    not_safe: str | None = None  # a file with no verified copy on another disk
    other_not_safe: str | None = None  # of them, the first that is no index file
    not_safe_count = 0
    transfer_only = False
    cached_only = False  # a file read back only through the page cache (cache_bypass none)
    count = 0
    others_unsafe = 0  # files with no verified copy off the card, the index files left out
    # Files whose every copy that counts was verified by an earlier run only (trusted from
    # the ledger, not read back by this run; the fast copy standing in for an absent card is
    # one): the answer rests on the ledger for them, and says so.
    earlier_only = 0
    # Destination index -> its good copies never read back (transfer-checked, now or by an
    # earlier run), which the answer does not count: a release names them (QA: a third
    # destination's 12 such copies went unsaid beside "at least 2 destinations").
    unread_on: dict[int, int] = {}
    # The least a file has off the card: copies, storages (disks and buckets), and of them
    # disks, and buckets.
    fewest_copies = fewest_disks = len(independent) + bool(stand_in)
    fewest_on_disks = fewest_buckets = len(independent) + bool(stand_in)
    recorder_folders: frozenset[str] | None = None

    def is_index(path: str) -> bool:
        # A sound report only beside a recorder's takes (the folders read once, when asked).
        nonlocal recorder_folders
        if not index_file(path):
            return False
        if not _sound_reports_only(path):
            return True
        if recorder_folders is None:
            recorder_folders = _recorder_folders(data.get("files") or ())
        return path.upper().rpartition("/")[0] in recorder_folders

    for path, error, copies in facts_of(data.get("files") or ()) if files is None else files:
        count += 1
        if copy_source and rewords(path):
            card_words_named.append(path)
        if error:
            source_errors += 1
            if source_error is None:
                source_error = printable_name(path)  # shown: a literal \ as \\, README
        # The disks off the card holding a verified copy (the fast copy standing in for it).
        disks: list[str] = [stand_in] if stand_in else []
        now = False  # a copy that counts was read back by this run
        cached = False  # read back on a disk off the card, but maybe from RAM
        # A copy in a good state never read back (transfer-checked) where a read-back would
        # make it count: on a destination that counts ("on a disk other than the card's").
        unread = False
        refused = failed = 0  # this file's copies refused as an index file, failed otherwise
        for index, status, mode, message, bypass, kind in copies:
            # Verified now, reading the media (not the page cache), or earlier by a run that
            # read it back (not a transfer check), not through a cache (its ledger entry says
            # so, carried into the result's cache_bypass; an entry older than that record
            # says nothing: counted as read from the media, README).
            if (status == "verified" and bypass not in _READ_THE_MEDIA) or (
                status == "verified_earlier" and bypass in THROUGH_A_CACHE
            ):
                if index in independent:
                    cached = True
            elif status == "verified" or (status == "verified_earlier" and mode != "transfer"):
                disk = independent.get(index)
                if disk is not None:
                    disks.append(disk)
                    now = now or status == "verified" or index in reread
            elif status == "failed":
                if (
                    losses is not None
                    and index in lost_indexes
                    and (
                        index not in losses.destinations
                        or losses.of_destination(index, message or "", path)
                    )
                ):
                    # Of its destination's loss, said once above (one lost with no reason
                    # recorded: every failure there; the documents name each).
                    pass
                elif _index_refusal(path, message, kind, is_index):
                    refused += 1
                else:
                    failed += 1
                    if conflict is None and "already exists" in (message or ""):
                        conflict = path
            elif status in _GOOD and index in independent:
                # Never a destination that counts for nothing, read back or not (the card's
                # own disk, memory, a share): no --verify would make it count.
                unread = True
                unread_on[index] = unread_on.get(index, 0) + 1
        # A file is named once: an index file also failed otherwise is another failed file
        # (all its failed copies counted there), not one refused only for being older.
        if failed:
            failed_others += failed + refused
            failed_files.add(path)
            if failed_other is None:
                failed_other = printable_name(path)
        elif refused:
            index_refused += refused
            if path not in index_files:
                index_files.append(path)
        if disks:
            held = set(disks)
            in_buckets = sum(1 for disk in held if disk.startswith("bucket "))
            fewest_copies = min(fewest_copies, len(disks))
            fewest_disks = min(fewest_disks, len(held))
            fewest_buckets = min(fewest_buckets, in_buckets)
            fewest_on_disks = min(fewest_on_disks, len(held) - in_buckets)
            earlier_only += not now
            continue
        fewest_copies = fewest_disks = fewest_on_disks = fewest_buckets = 0
        not_safe_count += 1
        if not (index_file(path) and is_index(path)):  # the closure only for the few
            others_unsafe += 1
            if other_not_safe is None:
                other_not_safe = printable_name(path)
        if not_safe is None:
            not_safe = printable_name(path)
        transfer_only = transfer_only or unread
        cached_only = cached_only or (cached and not unread)
    # Every reason the card is kept, in order (the answer lists them all, never the first
    # alone: an ignore pattern's beside the destinations' disks, say). The destinations
    # lost first, every one of them (QA: "destination 2 was lost." alone hid a third lost
    # and a copy failed on the first, which a producer read as complete).
    kept: list[str] = []
    if lost_indexes:
        named, verb = destinations_named(lost_indexes)
        kept.append(f"{named} {'was' if verb == 'is' else 'were'} lost")
        # A cascade whose cascaded destinations alone were lost, the card released: the
        # same command finishes them without the card (the terminal's CARD RELEASED line).
        kept.extend(_held_without_card(data, lost, files))
    if source_error is not None:
        # A source error is any failure the card's file met as it was read: unreadable,
        # changed while read, a second read that differs, or refuted by the card's own
        # ASC MHL history (the card was read then): not "could not be read". Without the
        # card, its fast copy was read: that copy's drive failed (``what_was_read``).
        # Every such file counted (a stat that failed too: QA, a card pulled mid-read named
        # one of three), the first named.
        read = what_was_read(absent_card(data) is not None)
        kept.append(
            f"a file of {read} failed as it was read: {source_error}"
            if source_errors == 1
            else f"{source_errors} files of {read} failed as they were read ({source_error} first)"
        )
    if data.get("missing_from_card"):
        kept.append(
            "files its own ASC MHL history lists are missing from it: "
            f"{printable_name(str(data['missing_from_card'][0]))}"
        )
    if data.get("missing_from_legacy_mhl"):
        first = data["missing_from_legacy_mhl"][0]
        first = first if isinstance(first, Mapping) else {}
        which = " ".join(
            words
            for words in (
                printable_name(str(first.get("path") or "")),
                f"(in {printable_name(str(first['mhl']))})" if first.get("mhl") else "",
            )
            if words
        )
        kept.append(
            "files a legacy MHL on it lists are missing from it" + (f": {which}" if which else "")
        )
    if data.get("card_history_untrusted"):
        kept.append(
            "the card's own ASC MHL history is not trusted, so whether files it lists are "
            "missing from the card was not checked"
        )
    kept.extend(_left_out_reasons(data))
    if failed_other is not None and index_files:
        # Both: every failed copy counted (the report's totals count them all), the index
        # files named apart, their reason another (QA: "3 copies failed" of 6, the index
        # file unnamed).
        other_files = len(failed_files)
        first = f"{failed_other}{' first' if other_files > 1 else ''}"
        kept.append(
            f"{failed_others + index_refused:,} copies failed: {failed_others:,} of "
            f"{_count(other_files, 'other file')} ({first}) "
            f"and {index_refused:,} of {_index_words(index_files, conflict)}"
        )
    elif failed_other is not None:
        if failed_others == 1:
            kept.append(f"a copy failed: {failed_other}")
        else:
            kept.append(f"{failed_others:,} copies failed ({failed_other} first)")
    elif index_files and kept:
        # Another reason keeps the card: the index files are said beside it, never unsaid.
        some = "a copy" if index_refused == 1 else f"{index_refused:,} copies"
        kept.append(f"{some} failed, of {_index_words(index_files)}")
    if any(s.get("status") == "failed" for s in data.get("symlinks") or []):
        kept.append("a symlink of the card could not be made on a destination")
    # A report a destination refused keeps no card by itself, it is said: in the way (a file
    # in the way of its folder, a full disk), it says nothing of the copies; in doubt, that
    # destination was taken out of the count above. One of no known destination in doubt (or
    # an older report, without ``reports_refused``: its refusals are plain folder errors)
    # keeps the card.
    unwritten = [
        r for r in refusals if r.get("index") is not None or not r.get("copies_in_doubt", True)
    ]
    said = {str(r.get("message")) for r in unwritten}
    # A folder's time is no copy: the copies there are as verified, the date alone differs.
    said.update(str(r.get("message")) for r in unset if r.get("index") is not None)
    folder_errors = [e for e in data.get("folder_errors") or () if str(e) not in said]
    # A fast copy standing for the absent card found unlike it: its own line says it whole
    # (the terminal's ERROR, the documents' problem), counted here, not said again.
    unreadable = fast_copies_unreadable(folder_errors)
    unlike = fast_copies_failed(folder_errors) - unreadable
    if unlike:
        kept.append(
            f"{plural(unlike, 'fast copy', 'fast copies')} standing in for it "
            f"{'was' if unlike == 1 else 'were'} found unlike the card's digests "
            "(named below)"
        )
    if unreadable:  # an EIO proves nothing of its bytes: never called unlike the card
        kept.append(
            f"{plural(unreadable, 'fast copy', 'fast copies')} standing in for it could not "
            "be read, not found damaged (named below)"
        )
    folder_errors = [e for e in folder_errors if not fast_copy_failed(e)]
    if folder_errors:
        kept.append(f"{folder_errors[0]}")
    # The cascade's verdict (its CARD line and sentence, ``cascade_words``): it did not
    # release the card, as this run proved none of the fast copies holding files an earlier
    # run verified (``files_verified_earlier_unproven``, of the copy nearest to it). One
    # answer: kept.
    released = cascade.get("card_released_at")
    unproven = 0 if released else int(cascade.get("files_verified_earlier_unproven") or 0)
    if unproven:
        one = unproven == 1
        kept.append(
            f"the cascade did not release it: {unproven:,} {'file' if one else 'files'} on the "
            f"fast destinations {'was' if one else 'were'} verified by an earlier run (trusted "
            "from the ledger) and not read again by this run, so nothing it did proves "
            f"{'it' if one else 'them'} (--reverify reads them back)"
        )
    # Why no destination counts: every destination's reason (a bucket served from this host
    # beside a drive on the card's disk, say). "No destination is on a disk other than the
    # card's" only where each is known not to be: one that may be on the card's disk makes
    # it "cannot tell".
    disks_reason = None
    # Every destination lost: their loss is the reason, no other destination to speak of.
    if none_counts and count and (reasons or not lost_indexes):
        if uncounted:
            said_none = "no destination holds a copy that counts"
        elif reasons.unknown:
            said_none = "cannot tell whether any destination is on a disk other than the card's"
        elif reasons.elsewhere:
            said_none = "no destination counts as a copy on a disk other than the card's"
        else:
            said_none = "no destination is on a disk other than the card's"
        disks_reason = f"{said_none} ({'; '.join(reasons)})"
    if (
        lost_indexes
        and disks_reason is None
        and not_safe is not None
        and failed_other is None
        and source_error is None
    ):
        # The destinations left may hold copies that do not count (never read back, say):
        # said after the loss, never "destination 2 was lost" alone over a first
        # destination whose copies were never read back.
        disks_reason = _not_safe_words(
            not_safe_count, count, not_safe, transfer_only, cached_only, reasons
        )
    if kept:
        # Each reason of its own; the destinations' disks after them (a file failed, or the
        # card's files left out, says nothing of where the other copies are).
        return keep(
            "; ".join([*kept, *([disks_reason] if disks_reason else [])]), tuple(index_files)
        )
    if index_files:
        one = len(index_files) == 1
        device = _rewriter(index_files)
        safe_others = not others_unsafe and not none_counts
        others = (
            f"all {_safe_noun(index_files)} are safe (every other file is verified on a disk "
            "other than the card's"
            f"{_earlier_words(earlier_only, count, ', ')})"
            if safe_others
            else "the other files are listed below with their state"
        )
        # Why the other files are not safe, before the index files: never "only the index
        # files" while a clip has no copy that counts.
        why_not = (
            [disks_reason]
            if disks_reason is not None
            else [_not_safe_words(others_unsafe, count, other_not_safe, transfer_only,
                                  cached_only, reasons)]
            if other_not_safe is not None
            else []
        )  # fmt: skip
        return keep(
            "; ".join([*why_not, others])
            + f"; {'only ' if safe_others else ''}the card's {_index_noun(index_files)} "
            f"{', '.join(index_files)} {'differs' if one else 'differ'} from the "
            f"{'one' if one else 'ones'} already on a destination (a {device} rewrites "
            f"{'it' if one else 'them'} whenever it records more) and {'was' if one else 'were'} "
            f"not replaced. {_update_advice(device)}: "
            "it replaces only the files that differ from the card, once the new copy is "
            f"verified (--keep-both would keep the old "
            f"{'sound report' if device == 'sound recorder' else 'index'} under its name and "
            f"the new one beside it, which the {device} does not read)",
            tuple(index_files),
        )
    if not count:
        return keep("nothing was copied")
    if disks_reason is not None:
        return keep(disks_reason)
    if not_safe is not None:
        return keep(
            _not_safe_words(not_safe_count, count, not_safe, transfer_only, cached_only, reasons)
        )
    where = _where(
        copies=fewest_copies,
        storages=fewest_disks,
        disks=fewest_on_disks,
        buckets=fewest_buckets,
        every_destination=fewest_copies == len(independent) + bool(stand_in),
        # An absent card's disk is not known: no "other than the card's" then.
        **({"noun": "copy", "other": ""} if stand_in else {}),
    )
    # A release resting, for some file, on the ledger alone says so (its first words too).
    resting = _earlier_words(earlier_only, count, " on the ledger's word (")
    resting += ")" if resting else ""
    text = f"The card may be formatted{resting}: every file is verified (read back) {where}."
    if stand_in:
        # "read again" only when this run read the copy (it wrote a copy from it): a re-run
        # with nothing to copy read none of it.
        read_source = _read_source(data)
        source = (
            f"this run read its fast copy {data.get('source')} again now (checked against "
            "the card's digests)"
            if read_source
            else f"this run's source was its fast copy {data.get('source')}"
        )
        if earlier_only:
            # A cascade's card is not released on a copy an earlier run verified, trusted
            # from its ledger, until this run has read it (README): nor is an absent one.
            # The fast copy standing in for it counts as verified earlier, never read back
            # now (its read as this run's source is no read-back): a file this run read back
            # on no destination that counts rests on the ledger alone (QA qa70c H1: "It may
            # be formatted on the ledger's word" where the run with the card said "Do not
            # format the card", the fast copy changed in place since).
            how = (
                "--reverify reads them back"
                if independent
                else "the fast copy standing in for it, the only copy that counts, was read "
                "back from its media when the card was offloaded"
                + ("; this run read it again only as its source, not a read-back counted here"
                   if read_source else "")
                + f": `offload verify {shell_word(str(data.get('source')))}` reads it back"
            )  # fmt: skip
            return CardRelease(
                False,
                f"Do not format the card: it ({absent_card(data)}) was absent, {source}; "
                f"{earlier_only:,} of {_count(count, 'file')} "
                f"{'is' if earlier_only == 1 else 'are'} verified only by an earlier run "
                "(trusted from the ledger) and not read back by this run, so nothing it did "
                f"proves {'it' if earlier_only == 1 else 'them'} ({how}).",
                earlier_only=earlier_only,
            )
        text = (
            f"The card ({absent_card(data)}) was absent: {source}, verified there when the "
            f"card was offloaded. It may be formatted{resting}: every file is verified (read "
            f"back) {where}, that copy among them."
        )
    if copy_source:
        # The DIT's drive (or a shuttle) as the source: no card to format or eject (QA: "The
        # card may be formatted" of the DIT's master copy). Where its files are verified,
        # and that the source is kept until the production's backups are made.
        where = _where(
            copies=fewest_copies,
            storages=fewest_disks,
            disks=fewest_on_disks,
            buckets=fewest_buckets,
            every_destination=fewest_copies == len(independent),
            other=" other than the source's",
        )
        text = (
            f"The source is a copy (offload-ai's copy root, it holds {STATE_FOLDER}/), not a "
            f"card: every file is verified (read back) {where}"
            f"{_of_the_source(data, resting, card_words_named)}; keep the source until your "
            "production's backups are made."
        )
    elif fewest_disks == 1:
        text += " That is one backup: keep the card if your production wants two."
    text += _system_disk_words(data, independent)
    if unread_on:
        text += " " + _unread_words(data, unread_on)
    if unset:
        text += " " + _times_not_set(data, unset)
    if unwritten:
        text += " " + _report_not_written(data, unwritten)
    if uncounted and (unwritten or unset):
        why = "; ".join(uncounted)
        text += f" {why[0].upper()}{why[1:]}."
    if copy_source:
        return CardRelease(
            False, text, earlier_only=earlier_only, source_is_copy=True, source_verified=True
        )
    return CardRelease(True, text, earlier_only=earlier_only)


def _unread_words(data: Mapping[str, Any], unread_on: Mapping[int, int]) -> str:
    """The destinations that would count, holding copies never read back (*unread_on*:
    index -> how many), not counted by a release: "Not counted: destination 3
    (/mnt/d3/A001) holds 12 copies transfer-checked only (never read back); --verify
    destination reads them back." """
    destinations = {
        int(d.get("index", -1)): d
        for d in data.get("destinations") or ()
        if isinstance(d, Mapping) and isinstance(d.get("index"), int)
    }
    parts = []
    for index in sorted(unread_on):
        root = str(destinations.get(index, {}).get("copy_root") or "")
        where = f"destination {index + 1}" + (f" ({display_path(root)})" if root else "")
        count = unread_on[index]
        copies = f"{count:,} cop{'y' if count == 1 else 'ies'}"
        parts.append(f"{where} holds {copies} transfer-checked only (never read back)")
    them = "it" if len(unread_on) == 1 and sum(unread_on.values()) == 1 else "them"
    return f"Not counted: {'; '.join(parts)}; --verify destination reads {them} back."


def _earlier_words(
    files: int,
    count: int,
    before: str,
    tail: str = ", not read back now: --reverify reads them back",
) -> str:
    """What the answer rests on for *files* of the *count* files, verified by an earlier run
    only, after *before* ("" when none): " (3 of 3 files verified only by an earlier run,
    trusted from the ledger, not read back now: --reverify reads them back" (the caller
    closes it); *tail*, how they may be read back, the words after "ledger"."""
    if not files:
        return ""
    return (
        f"{before}{files:,} of {_count(count, 'file')} verified only by an earlier run, trusted "
        f"from the ledger{tail}"
    )


#: How the messages of ``reports_refused`` (and ``folder_errors``) begin
#: (``report/job_report.write_reports``: "... into <folder>: <why>", "... <file>: <why>").
REPORT_REFUSED = "cannot write the report "


def _doubted(
    refusals: Iterable[Mapping[str, Any]], what: str = "refused its report"
) -> dict[int, str]:
    """Destination index -> why it does not count, for the ``reports_refused`` (or
    ``folder_times_unset``: *what* the destination did) entries whose refusal puts that
    destination's copies in doubt (``copies_in_doubt``; an entry that does not say is in
    doubt)."""
    doubted: dict[int, str] = {}
    for refusal in refusals:
        index = refusal.get("index")
        if index is None or not refusal.get("copies_in_doubt", True):
            continue
        code = refusal.get("errno") or "an error with no errno"
        # ENOENT: its copy root was removed (``Ledger.lost_error``), its drive still there.
        since = "its folder was removed" if code == "ENOENT" else "its disk may have failed"
        doubted.setdefault(
            int(index),
            f"destination {int(index) + 1} {what} ({code}): {since} since its copies were "
            "read back, so they do not count",
        )
    return doubted


def _report_not_written(data: Mapping[str, Any], refusals: Sequence[Mapping[str, Any]]) -> str:
    """The sentence for the reports some destinations refused (*refusals*, entries of
    ``reports_refused``): where and why, and the destinations whose reports folder holds it
    (those not lost and not refused, by index)."""
    errors = [str(r.get("message") or "") for r in refusals]
    refused = "; ".join(e.removeprefix(REPORT_REFUSED).removeprefix("into ") for e in errors)
    not_holding = {r.get("index") for r in refusals}
    held = [
        root
        for i, d in enumerate(data.get("destinations") or ())
        if isinstance(d, Mapping)
        and not d.get("lost")
        and d.get("index", i) not in not_holding
        and (root := str(d.get("copy_root") or ""))
    ]
    where = (
        f"it was written into the reports folder (.offload/reports) of {', '.join(held)}"
        if held
        else "no destination holds it: only the local report folder, if written (below)"
    )
    into = "into " if errors[0].startswith(REPORT_REFUSED + "into ") else ""
    return f"The report could not be written {into}{refused}; {where}."


def _times_not_set(data: Mapping[str, Any], unset: Sequence[Mapping[str, Any]]) -> str:
    """The sentence for the folder times some destinations refused (*unset*, entries of
    ``folder_times_unset``): where, the first error, and that nothing else differs."""
    destinations = data.get("destinations") or ()
    roots = []
    for entry in unset:
        index = entry.get("index")
        if isinstance(index, int) and 0 <= index < len(destinations):
            root = str(destinations[index].get("copy_root") or "")
            if root and root not in roots:
                roots.append(root)
    where = f" on {', '.join(roots)}" if roots else ""
    return (
        f"Some folders{where} did not get the card's folder times, so only their dates "
        f"differ from the card's: {_entry_message(unset[0])}."
    )


def _entry_message(entry: Mapping[str, Any]) -> str:
    """An entry's message without its closing period (it ends a sentence of ours)."""
    return str(entry.get("message") or "").rstrip(".")


def _read_source(data: Mapping[str, Any]) -> bool:
    """This run read its source: it wrote bytes of a copy (or completed an interrupted one)
    on some destination."""
    return any(
        (d.get("bytes_written") or 0) > 0 or (d.get("files_resumed") or 0) > 0
        for d in data.get("destinations") or ()
        if isinstance(d, Mapping)
    )


def _system_disk_words(data: Mapping[str, Any], counted: Mapping[int, str]) -> str:
    """The destinations counted above (*counted*: index -> storage) that the preflight's
    ``dest-on-system-disk`` warning names (a drive's mount folder on ``/``'s filesystem, its
    drive not mounted): " /mnt/RAID2 is a folder on the system disk (/dev/vda), ...", so
    the disk counted is never taken for that drive's; "" when there is none."""
    warned = {
        str(w.get("path"))
        for w in data.get("warnings") or ()
        if isinstance(w, Mapping) and w.get("code") == "dest-on-system-disk"
    }
    if not warned:
        return ""
    named = [
        d
        for i, d in enumerate(data.get("destinations") or ())
        if int(d.get("index", i)) in counted and str(d.get("path")) in warned
    ]
    if not named:
        return ""
    # Each destination's own disk, named for it; destinations on one disk said together.
    by_disk: dict[str, list[str]] = {}
    for d in named:
        by_disk.setdefault(_disk_of_folder(d), []).append(printable_name(str(d.get("path"))))
    clauses = []
    for where, paths in by_disk.items():
        one = len(paths) == 1
        its = "its" if one else "their"
        clauses.append(
            f"{', '.join(paths)} {'is a folder' if one else 'are folders'} on {where}, not on "
            f"a drive of {its} own (is {its} drive mounted?)"
        )
    that = "that disk is" if len(by_disk) == 1 else "those disks are"
    return f" {'; '.join(clauses)}: {that} counted, not the drive."


def _disk_of_folder(d: Mapping[str, Any]) -> str:
    """The disk a destination's folder is on, as its report entry says: ``the system disk
    (DISK)`` when mounted at ``/``, ``the disk of MOUNT (DISK)`` when mounted elsewhere, ``the
    disk DISK`` (else ``a disk of this machine (not named)``) when its mount point is not
    known: never "the system disk" unless it is ``/``'s."""
    disk = str(d.get("disk") or d.get("device") or "")
    mount = str(d.get("mount_point") or "")
    if mount == "/":
        return f"the system disk{f' ({disk})' if disk else ''}"
    if mount:
        return f"the disk of {printable_name(mount)}{f' ({disk})' if disk else ''}"
    return f"the disk {disk}" if disk else "a disk of this machine (not named)"


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _where(
    *,
    copies: int,
    storages: int,
    disks: int,
    buckets: int,
    every_destination: bool,
    noun: str = "destination",
    other: str = " other than the card's",
) -> str:
    """Where every file is verified, the fewest any file has (its *copies* on destinations
    that count, on *storages* disks and buckets, of them *disks* disks and *buckets*
    buckets): "on 2 disks other than the card's", "in 1 bucket", "on 1 disk other than the
    card's and in 1 bucket", and the destinations when there are more of them than storages
    ("(2 destinations)": two prefixes of one bucket, two folders of one drive). A bucket is
    on no disk of the card's to be "other than": it is named apart."""
    if disks and buckets:
        place = f"on {_count(disks, 'disk')}{other} and in {_count(buckets, 'bucket')}"
    elif disks:
        place = f"on {_count(disks, 'disk')}{other}"
    elif buckets:
        place = f"in {_count(buckets, 'bucket')}"
    else:  # some files on disks alone, others in buckets alone
        place = (
            f"on {storages:,} {'disk or bucket' if storages == 1 else 'disks or buckets'} "
            "apart from the card's disk"
        )
    if copies > storages:
        nouns = (
            _count(copies, noun)
            if noun != "copy"
            else f"{copies:,} cop{'y' if copies == 1 else 'ies'}"
        )
        place += f" ({'' if every_destination else 'at least '}{nouns})"
    return place
