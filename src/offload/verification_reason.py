"""Why ``offload verify`` put a path in its list, where the list's name does not say it all:
one :class:`~offload.manifest.verify.Reason` per path, which the terminal, the CSV and the
JSON report (``reasons``) all print, so a script gets the facts a person reads.

* **missing**, when something stands at the recorded name (or above it) that the check does
  not read: a symlink to a folder (never entered, by ascmhl either, which counts the name as
  found and reads nothing there), a folder, a FIFO or other special file, a folder above it
  now a symlink or a file; against the ledger, which never reads through a link, any symlink
  (:data:`LINK_IS_NO_COPY`). A missing path where nothing stands has no reason (the list
  says it); one also in ``dangling`` or ``outside`` has that list, and its own warning line.
* **extra** (new), against a manifest: a name no XML manifest can hold (``offload copy``
  leaves such a file out of the manifests and names it in its reports); against any
  reference, a copy the copy root's ledger revoked last (``offload copy`` found it wrong
  after its read-back, was cancelled before it read it again after fusefat's renames, or
  never finished it, and left it at its name: :data:`REVOKED_COPY`).
* **missing** and **extra** alike, a recorded name and a new one that are the same name
  spelled otherwise (composed, NFC, and decomposed, NFD: macOS decomposes names, so a copy
  moved through a Mac holds them respelled): each says the other stands there
  (``other-spelling``); nothing is read against the record at the other spelling. Against
  an ASC MHL history, a legacy MHL or the ledger (``offload.respelling``, the one rule)
  such a pair is no longer made: the file is read against the record of its other spelling
  (``VerifyReport.respelled``),
  verified or changed, and its reason (``other-spelling`` too) names the record and says a
  tool comparing names byte for byte (ascmhl-debug verify) calls it missing and the file
  new.
* **missing**, a recorded file whose name spelled otherwise is a file the check judged by
  a record of its own (a twin: both spellings kept apart by Linux, one gone): it says so
  (``twin-recorded``); that file is never read against this record.
* **changed** or **unreadable**, against a manifest: a symlink now at the recorded name,
  read through as ascmhl does (the file it leads to in this copy was compared with the
  record of the link's name).
* **changed**, against the ASC MHL history: a copy the copy root's ledger records as a newer version
  verified (or transfer-checked) there (its size the ledger entry's, not the history's record's, and
  any digest read the entry's): a file replaced since, by ``offload copy --overwrite``, whose new
  version ASC MHL cannot record (a path's first record stays its reference), so ascmhl-debug verify
  reports it changed as well (``replaced-since-recorded``, :data:`REPLACED_SINCE`; the entry's own
  proof named: verified, or transfer-checked, never read back); the check does not revoke that entry
  (``verify_revoke``).
* **changed**, against the ASC MHL history: a file whose digest read is the history's record
  but for the case of its hex (``recorded-in-upper-case``, :data:`UPPER_CASE_ONLY`): the
  verdict stands, as ascmhl's, which compares the text; never called replaced since.

Reasons are looked for on the local disk right after the check (what stands there then);
``offload verify s3://`` gets them from its mirror, and words its own (``s3verify``).
"""

from __future__ import annotations

import dataclasses
import os
import stat
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path

from offload.errors import printable_name
from offload.manifest.verify import (
    ChangedFile,
    Reason,
    ReferenceKind,
    VerifyReport,
    naming_reason,
)
from offload.manifest.xmlchars import unlisted_name_reason
from offload.manifest.xmltext import xml_can_hold

#: Why a file new to a manifest is in none, after ``unlisted_name_reason``'s words (which
#: say which: bytes not UTF-8, or which control character). ``offload copy`` copies such a
#: file, leaves it out of the manifests and names it in its reports (``not-in-manifest``).
NAME_NO_MANIFEST_HOLDS = (
    "offload copy leaves such a file out of the manifest and names it in its reports; its "
    "content is not checked here"
)

#: Why a file new to its records is in none: the copy root's ledger's last entry for it is
#: ``revoked``. The revoked line names the path alone, so nothing proves the file there now
#: is the copy revoked: ``offload copy`` never replaces it unasked (``existing.settle``).
REVOKED_COPY = (
    "an earlier offload revoked its copy at this name in the ledger (found wrong after it was "
    "verified or by offload verify, cancelled before its re-read after fusefat's renames, or "
    "never finished): nothing vouches for the file there; offload copy reads it back, and "
    "--overwrite replaces it once the new copy is verified"
)
#: The same, where the revocation kept the entry it ended (``ledger.revoked_record``): a
#: copy of ours, which ``offload copy --reverify`` takes up only when
#: ``Ledger.found_wrong_copy`` holds (the card it was copied from, that card file as the
#: entry records it, the file at the name the entry records); else only --overwrite
#: replaces it.
REVOKED_COPY_KEPT = (
    "an earlier offload revoked its copy at this name in the ledger (found wrong or "
    "unreadable, by offload verify or by its own read-back, or not read again after "
    "fusefat's renames) and kept which copy it was: nothing vouches for the file there; "
    "offload copy reads it back, and once the new copy is verified --reverify replaces it "
    "when offloading the same card, its file as recorded, else --overwrite does"
)

#: The code of a copy changed against the ASC MHL history that is the version the ledger
#: records as proved there later (``_replaced_since``), the one spelling every caller imports.
REPLACED_SINCE_RECORDED = "replaced-since-recorded"

#: Why a copy changed against the ASC MHL history is the version the ledger records as
#: proved there later (``_replaced_since``): {which} what was compared (the digests read,
#: or the size alone), {proved} how the ledger's entry proved it (``ledger.proven_when``:
#: "verified", or "transfer-checked" for a copy never read back) and {when} when
#: (" on <local time>", or "" where the entry records none).
REPLACED_SINCE = (
    "the copy root's ledger records {which}, {proved} there{when} (a file replaced "
    "since the history first recorded it: offload copy --overwrite); ASC MHL keeps a path's "
    "first record as its reference and cannot record a new version, so ascmhl-debug verify reports "
    "it as a hash mismatch too (exit 11); this check does not revoke the ledger's record"
)

#: The code of a copy changed against the ASC MHL history only because the history writes
#: a digest in upper-case hex (``_upper_case_only``): the digest read is the same but for
#: its case.
RECORDED_IN_UPPER_CASE = "recorded-in-upper-case"

#: Its words: nothing was replaced or damaged; ASC MHL tools compare the text, as this
#: check does, so the verdict stands.
UPPER_CASE_ONLY = (
    "the history records its {formats} in upper-case hex, the digest read is the same but "
    "for its case: nothing of the file differs from that record, but ASC MHL tools compare "
    "digests as text (ascmhl 1.2 writes lower case and compares as written), so "
    "ascmhl-debug verify reports it as a hash mismatch too (exit 11); nothing was replaced "
    "or damaged: the history was written so by another tool, or edited"
)

#: Why a symlink at a recorded name is no copy, in a check against the ledger, which never
#: reads through one (the file recorded there is MISSING).
LINK_IS_NO_COPY = "the ledger never records a link (offload copy makes a card's link as a link)"

#: What a check against a manifest says of a symlink at a recorded name that it read
#: through (a changed or unreadable file): no copy either, but read, as ascmhl reads it.
LINK_READ_THROUGH = (
    "a symlink stands at its name and is no copy: what this check reads through it, as "
    "ascmhl does, for what {records} records at the link's name is the file it leads to in "
    "this copy; offload copy never writes over a link (it makes a card's link as a link, "
    "and refuses one where it puts a file, --overwrite too: move it away)"
)

_RECORDS = {
    ReferenceKind.ASCMHL: "the ASC MHL history",
    ReferenceKind.LEGACY: "the legacy MHL",
    ReferenceKind.LEDGER: "the ledger",
}

_TO_FOLDER = "a symlink to a folder"

_SPECIAL = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def with_reasons(report: VerifyReport) -> VerifyReport:
    """*report* with its ``reasons`` filled from what stands under ``report.root`` now
    (module doc). Never raises: an entry that cannot be looked at gives no reason."""
    said = {*report.dangling, *report.outside}
    reasons: dict[str, Reason] = {}
    for path in report.missing:
        if path not in said and (why := missing_reason(report.root, path, report.reference)):
            reasons[path] = why
    for path in report.extra:
        if why := new_reason(path, report.reference):
            reasons[path] = why
    records = _RECORDS.get(report.reference, "the records")
    for path, other in _respelled(report.missing, report.extra).items():
        if path not in reasons and path not in said:
            reasons[path] = _other_spelling(path, other, path in report.extra, records)
    for path, twin in _twins_standing(report).items():
        if path not in reasons and path not in said:
            reasons[path] = _twin_stands(twin, records)
    for path, recorded in report.respelled.items():
        reasons.setdefault(
            path,
            _read_as_respelled(
                recorded, records, report.reference, both=path in report.recorded_as_is
            ),
        )
    for path, kept in _revoked(report.root, [p for p in report.extra if p not in reasons]):
        reasons[path] = Reason("revoked-copy", REVOKED_COPY_KEPT if kept else REVOKED_COPY)
    if report.reference is ReferenceKind.ASCMHL and report.changed:
        reasons.update(_replaced_since(report.root, report.changed))
        reasons.update(_upper_case_only(report.changed))  # never a version replaced since
    if report.reference is not ReferenceKind.LEDGER:
        for path in (*(c.path for c in report.changed), *report.unreadable):
            if os.path.islink(report.root / path):
                text = LINK_READ_THROUGH.format(records=_RECORDS[report.reference])
                reasons[path] = Reason("symlink-read-through", text)
    return dataclasses.replace(report, reasons=reasons)


def _respelled(missing: Sequence[str], extra: Sequence[str]) -> dict[str, str]:
    """Each path of *missing* whose name stands among *extra* spelled otherwise (the same
    once both are composed, NFC), and that new path, each mapped to the other."""
    news = _by_composed(extra)
    pairs: dict[str, str] = {}
    for path in missing:
        other = None if path.isascii() else news.get(unicodedata.normalize("NFC", path))
        if other is not None and other != path:
            pairs[path] = other
            pairs[other] = path
    return pairs


def _by_composed(paths: Iterable[str]) -> dict[str, str]:
    """Each non-ASCII path of *paths* by its composed form (NFC), the first one of each
    form kept; ASCII paths are left out, never composed."""
    found: dict[str, str] = {}
    for path in paths:
        if not path.isascii():
            found.setdefault(unicodedata.normalize("NFC", path), path)
    return found


def _twins_standing(report: VerifyReport) -> dict[str, str]:
    """Each missing path of *report* whose name spelled otherwise (the same once both are
    composed, NFC) is a file the check found and judged by a record of its own (verified,
    changed or unreadable: not read against this one, ``offload.respelling``), mapped to
    it. Nothing composed unless a missing name is not ASCII."""
    missing = [path for path in report.missing if not path.isascii()]
    if not missing:
        return {}
    standing = _by_composed(
        (*report.verified, *(c.path for c in report.changed), *report.unreadable)
    )
    twins: dict[str, str] = {}
    for path in missing:
        twin = standing.get(unicodedata.normalize("NFC", path))
        if twin is not None and twin != path:
            twins[path] = twin
    return twins


def _twin_stands(twin: str, records: str) -> Reason:
    """Why a recorded file is missing where *twin*, its name spelled otherwise, stands and
    was judged by its own record (:func:`_twins_standing`)."""
    return naming_reason(
        "twin-recorded",
        lambda spell: (
            f"the same name spelled {_spelling(twin)} ('{spell(twin)}') stands here, a file "
            f"recorded in {records} in its own right: two files whose names differ only in "
            "how their accents are written (both kept by a filesystem that keeps the "
            "spellings apart: Linux, exFAT; or that one recorded, with other bytes, after "
            "this one was lost), this one gone; that file is judged by its own record, never "
            "by this one"
        ),
    )


def _spelling(path: str) -> str:
    """How *path*'s letters with accents are written, in words."""
    if path == unicodedata.normalize("NFC", path):
        return "composed (NFC)"
    if path == unicodedata.normalize("NFD", path):
        return "decomposed (NFD)"
    return "partly composed"


def _respelled_by(now: str | None) -> str:
    """Who respells a name so that it stands spelled *now* (``_spelling``'s words; None:
    not known), in words naming the direction that happened: to decomposed (NFD) by macOS,
    to composed (NFC) by the systems and tools that write names so."""
    if now == "decomposed (NFD)":
        return "macOS decomposes them, NFD; a copy moved or restored through a Mac"
    if now == "composed (NFC)":
        return (
            "Linux and Windows tools write names composed, NFC; a copy moved or restored "
            "through one, or rsync --iconv"
        )
    return "macOS decomposes them, NFD; Linux and Windows tools compose them, NFC"


def _other_spelling(path: str, other: str, new: bool, records: str) -> Reason:
    """Why *path* is missing, or new (*new*), where *other* is the same name spelled
    otherwise."""
    # The name as it stands now: *path* where it is new, else the other spelling.
    now = _spelling(path if new else other)
    respelled = f"renamed since by a system that respells names ({_respelled_by(now)})"
    if new:
        text = (
            f"its name is recorded spelled {_spelling(other)}, missing: {respelled}; not "
            "read against that record"
        )
    else:
        text = (
            f"the same name stands there spelled {_spelling(other)}, new to {records}: "
            f"{respelled}; not read against this record"
        )
    return Reason("other-spelling", text)


def _read_as_respelled(
    recorded: str, records: str, reference: ReferenceKind, *, both: bool = False
) -> Reason:
    """What a check says of a file read against the record of its name spelled otherwise
    (*recorded*): that record is its own, and what a tool comparing names makes of it
    (ascmhl-debug, against an ASC MHL history: seen in the tests). *both*: its name as it
    stands is recorded too (read once against both records): that tool finds it, and calls
    only the other record missing."""
    tool = (
        "ascmhl-debug verify, which compares names byte for byte,"
        if reference is ReferenceKind.ASCMHL
        else "A tool that compares names byte for byte"
    )
    # The file's name stands spelled the other way than its record (composed or not).
    was = _spelling(recorded)
    by = _respelled_by(
        {"composed (NFC)": "decomposed (NFD)", "decomposed (NFD)": "composed (NFC)"}.get(was)
    )
    if both:
        return naming_reason(
            "other-spelling",
            lambda spell: (
                f"{records} records its name as it stands and spelled {_spelling(recorded)} "
                f"('{spell(recorded)}') too: the same name, respelled since by a system "
                f"that respells names ({by}); read once, against both "
                f"records. {tool} reports the other spelling's record missing (this file is "
                "not new to it) on a filesystem that keeps both spellings apart (Linux, exFAT)"
            ),
        )
    return naming_reason(
        "other-spelling",
        lambda spell: (
            f"{records} records its name spelled {_spelling(recorded)} "
            f"('{spell(recorded)}'): the same name, respelled since by a system that "
            f"respells names ({by}); read against that record. {tool} "
            "reports that record missing and this file new on a filesystem that keeps both "
            "spellings apart (Linux, exFAT)"
        ),
    )


def _replaced_since(root: Path, changed: Sequence[ChangedFile]) -> dict[str, Reason]:
    """The reason ``replaced-since-recorded`` of each of *changed* (found against the ASC
    MHL history of the copy root *root*) that its ledger's last entry at that name records
    as a version proved there (verified, or transfer-checked) other than the history's
    record: a copy of the entry's size, not the record's (size changes: not read), or whose
    digests read are the entry's (hash changes). None when the ledger cannot be read."""
    from offload.ledger import Ledger, final_path_of, proven_when
    from offload.verify_reads import load_entries

    try:
        latest = load_entries(Ledger(root)).latest
    except OSError:
        return {}
    found: dict[str, Reason] = {}
    for change in changed:
        entry = latest.get(change.path)
        if entry is None or not entry.vouches:
            continue
        if final_path_of(Path(), entry).as_posix() != change.path:  # --keep-both's copy
            continue
        if change.actual_size != entry.size_bytes:
            continue
        if change.actual:  # read: its digests are the entry's
            shared = [k for k in change.actual if k in entry.digests]
            if not shared or any(change.actual[k] != entry.digests[k] for k in shared):
                continue
        elif change.expected_size == entry.size_bytes:  # its size alone: not the record's
            continue
        proved, when = proven_when(entry)  # a transfer-checked entry was never read back
        # Its size alone compared (not read): said so, never that its content is the entry's.
        which = (
            "this version"
            if change.actual
            else "a version of this size (its content not read against that record)"
        )
        text = REPLACED_SINCE.format(which=which, proved=proved, when=when)
        found[change.path] = Reason(REPLACED_SINCE_RECORDED, text)
    return found


def _upper_case_only(changed: Sequence[ChangedFile]) -> dict[str, Reason]:
    """The reason ``recorded-in-upper-case`` of each of *changed* whose digests read are
    the history's record but for the case of its hex: every hex digest compared equal once
    lowered, one at least written in upper case (a C4 ID is base58, its case its value)."""
    found: dict[str, Reason] = {}
    for change in changed:
        if not change.actual or not change.expected or "c4" in change.expected:
            continue
        upper = [k for k, v in change.expected.items() if v != v.lower()]
        if upper and all(change.actual.get(k) == v.lower() for k, v in change.expected.items()):
            text = UPPER_CASE_ONLY.format(formats=" and ".join(f"{k} digest" for k in upper))
            found[change.path] = Reason(RECORDED_IN_UPPER_CASE, text)
    return found


def _revoked(root: Path, paths: list[str]) -> list[tuple[str, bool]]:
    """Those of *paths* whose last entry in the ledger of the copy root *root* is
    ``revoked``, each with whether that revocation kept the entry it ended
    (``revoked_record``); none when it has no ledger or it cannot be read (read only when
    *paths* has some: most checks find nothing new)."""
    if not paths:
        return []
    from offload.ledger import Ledger, revoked_record
    from offload.verify_reads import load_entries

    try:
        latest = load_entries(Ledger(root)).latest
    except OSError:
        return []
    return [
        (p, revoked_record(e) is not None)
        for p in paths
        if (e := latest.get(p)) is not None and e.state == "revoked"
    ]


def new_reason(path: str, reference: ReferenceKind) -> Reason | None:
    """Why *path*, new to *reference*, is in no such record, when its name says so."""
    if reference is not ReferenceKind.LEDGER and not xml_can_hold(path):
        # exact: the character itself, for the CSV's cell to spell once (Reason.exact)
        text, exact = (
            f"{unlisted_name_reason(path, exact=spelled_as_is)}: {NAME_NO_MANIFEST_HOLDS}"
            for spelled_as_is in (False, True)
        )
        return Reason("name-not-in-manifest", text, None if exact == text else exact)
    return None


def missing_reason(root: Path, path: str, reference: ReferenceKind) -> Reason | None:
    """What stands at (or above) *path*, recorded under *root* and missing, that the check
    did not read (module doc); None when nothing stands there or it cannot be looked at."""
    parts = path.split("/")
    for depth in range(1, len(parts)):
        above = "/".join(parts[:depth])
        try:
            info = os.lstat(root / above)
        except OSError:
            return None  # gone (plainly missing), or not to be looked at
        if stat.S_ISLNK(info.st_mode):
            return naming_reason(
                "symlink-above",
                partial(_link_above, root, above, reference is ReferenceKind.ASCMHL),
            )
        if not stat.S_ISDIR(info.st_mode):
            return naming_reason("file-above", partial(_file_above, above, _kind(info.st_mode)))
    try:
        info = os.lstat(root / path)
    except OSError:
        return None
    if stat.S_ISLNK(info.st_mode):
        leads = _link_words(root, path)
        code = "symlink-to-folder" if leads == _TO_FOLDER else "symlink"
        if reference is ReferenceKind.LEDGER:
            return naming_reason(
                code,
                lambda spell: (
                    f"{_link_words(root, path, spell)} stands at its name and is no copy: "
                    f"{LINK_IS_NO_COPY}; the file recorded there is not read through it"
                ),
            )
        # Against a manifest a link to a file of the copy is read (changed or verified),
        # one leading nowhere or out of it is ``dangling`` or ``outside``: what is left is
        # a link to a folder, or one that changed since the walk.
        if code == "symlink-to-folder":
            return Reason(
                code,
                f"{leads} stands at its name: no check enters a link to a folder, so the "
                f"file recorded there is not read{_ascmhl_passes(reference)}",
            )
        return naming_reason(
            code,
            lambda spell: (
                f"{_link_words(root, path, spell)} stands at its name: the file recorded "
                "there is not read"
            ),
        )
    if stat.S_ISDIR(info.st_mode):
        return Reason(
            "folder",
            "a folder stands at its name: the file recorded there is not read"
            + _ascmhl_passes(reference),
        )
    if not stat.S_ISREG(info.st_mode):
        return Reason(
            "not-a-file",
            f"{_kind(info.st_mode)} stands at its name, no file: nothing is read there",
        )
    return None  # a file: back since the check, or left out by an ignore pattern


def _link_above(root: Path, above: str, ascmhl: bool, spell: Callable[[str], str]) -> str:
    """Why a file recorded below *above*, now a symlink, is missing (names by *spell*)."""
    return (
        f"{spell(above)}, the folder it was recorded in, is now "
        f"{_link_words(root, above, spell)}, which no check enters"
        f"{' (nor does ascmhl)' if ascmhl else ''}: nothing below it is read"
    )


def _file_above(above: str, kind: str, spell: Callable[[str], str]) -> str:
    """Why a file recorded below *above*, now *kind* (no folder), is missing."""
    return (
        f"{spell(above)}, the folder it was recorded in, is now {kind}: nothing of the "
        "folder is there"
    )


def _ascmhl_passes(reference: ReferenceKind) -> str:
    """What the reference tool makes of a recorded file's name where a folder (or a link to
    one) now stands, said against an ASC MHL history: it finds the name and reads nothing,
    so it calls nothing missing there (where this check proved nothing either)."""
    if reference is not ReferenceKind.ASCMHL:
        return ""
    return "; ascmhl-debug verify counts the name as found and reads nothing there"


def _kind(mode: int) -> str:
    """What an entry that is neither a folder nor a symlink is, in words."""
    return next((words for test, words in _SPECIAL if test(mode)), "a file")


def _link_words(root: Path, path: str, spell: Callable[[str], str] = printable_name) -> str:
    """A symlink at *path* under *root*, in words: to a folder, to a file of this copy
    (named, spelled by *spell*), or just a symlink (one that leads out of it, or that cannot
    be followed)."""
    link = root / path
    target = os.path.realpath(link)
    inside = os.path.relpath(target, os.path.realpath(root))
    if os.path.isdir(target):
        return _TO_FOLDER
    if inside == os.pardir or inside.startswith(os.pardir + os.sep) or not os.path.isfile(target):
        return "a symlink"
    return f"a symlink to {spell(inside)} in this copy"
