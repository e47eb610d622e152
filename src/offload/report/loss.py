"""Which failures a lost destination's loss explains: the one judgement the terminal's
``ERROR`` lines (``failure_lines``) and the documents (``content``: page 1's problems and
the clip list's rows) make of a file's error on a destination lost mid-run (a drive
pulled, its filesystem answering EIO, unmounted).

Likewise a card that went away during the offload (the report's ``card_gone``: pulled, its
reader gone): a file whose source error is what a gone card gives (``of_the_gone_card``:
an OS error of ``GONE_ERRNOS``, as ``errors.source_io_error`` words it) failed because the
card was gone, and the card's line stands for it.

A failure there is of the loss only when its error says so: it names the loss's reason
(the engine's "not copied: destination lost (REASON)", "PATH not copied: the destination
failed (REASON)", "PATH not completed: the destination failed (REASON)", or the reason
itself), or it is the same error as the loss's for another file of that destination (the
same words once each error's own path, the file's, is taken out: the files in flight when
the drive went, each failing with the same errno). Any other failure there (a mismatch
found before the loss, a file changed on the card) is its own, and named as such.

And a failure many files of one destination share (``Losses.alike``): past
``LISTED_ALONE`` failed copies there with the same error once each one's own path is taken
out (``error_words``: "Permission denied (EACCES)" for each file of a folder the drive
refuses), the documents count them in one line; a read-back that did not match names its
digests, a file changed on the card its sizes or dates, so each of those stays its own.

And the other failures of one destination (``OwnFailures``, the one count of both): past
``LISTED_ALONE`` of them there (a drive whose every read-back came back wrong: each its own
digests), the first ``LISTED_ALONE`` keep their lines and one line counts the rest with an
error recorded, saying how many did not match the source when read back (``is_mismatch``,
the engine's words: ``engine/mismatch.py``); a copy with no error recorded keeps its line.
The clip list's rows, the CSV and the JSON keep each.

A file the card failed to read is never of a destination's loss nor of a shared error: the
card gone away's line stands for it, or its own error names it (``Losses.cause``, the one
order both the terminal and the documents judge a copy's cause in).

Imports only ``errno``, ``offload.errors`` and ``offload.engine.mismatch``: the documents'
worker loads it."""

from __future__ import annotations

import errno
from collections.abc import Callable, Container, Iterable, Mapping
from typing import Any, NamedTuple

from offload.engine.mismatch import is_mismatch
from offload.errors import DRIVE_GONE_ERRNOS

#: Past this many files failed of one cause (a lost destination, the card gone away, one
#: error on one destination), the documents count them in one line instead of a line each.
LISTED_ALONE = 20

#: How the error of a card folder whose time could not be read begins (``card.py`` words it:
#: a card gone away gives one a folder, which its line stands for).
CARD_FOLDER_UNREAD = "cannot read the time of the card's folder"

#: What ``folder_error_causes`` counts a card folder whose time could not be read with while
#: the card went away: its line stands for each.
CARD_FOLDER: tuple[Any, ...] = ("card",)

#: What a card gone away gives its files' reads: a drive gone, a path gone, an I/O error.
GONE_ERRNOS = DRIVE_GONE_ERRNOS | frozenset({errno.ENOENT, errno.ENOTDIR, errno.EIO})
# How ``errors.describe_os_error`` ends for each (a source error's last words).
_GONE_ENDINGS = tuple(f"({errno.errorcode[code]})" for code in sorted(GONE_ERRNOS))


def of_the_gone_card(error: str | None) -> bool:
    """Whether a file's source *error* is what a card that went away gives (an OS error of
    ``GONE_ERRNOS``, as ``errors.source_io_error`` words it): such a file failed because the
    card was gone, and the card's line stands for it."""
    return error is not None and error.endswith(_GONE_ENDINGS)


def found_damaged(warnings: object, code: str = "copy-no-longer-matches") -> frozenset[str]:
    """The paths of the copies of ours the job report's *warnings* say this run found damaged
    (``copy-no-longer-matches``; *code* ``copy-unreadable``: could not read back) and did
    not keep (no ``kept``: ``results.kept_damaged``), each as its warning names it."""
    if not isinstance(warnings, list | tuple):
        return frozenset()
    return frozenset(
        str(w["path"])
        for w in warnings
        if isinstance(w, Mapping)
        and w.get("code") == code
        and w.get("path")
        and w.get("kept") is not True
    )


class Losses(NamedTuple):
    """What a run lost whole, as its JSON report says: each lost destination's
    ``lost_reason`` by index (those that recorded one), and whether the card went away
    (``card_gone``). ``cause(...)`` says of which of them a copy's failure is, if any."""

    destinations: Mapping[int, str]
    card_gone: bool
    #: (destination index, ``error_words``) → how many copies failed so there, for each
    #: such error of more than ``LISTED_ALONE`` copies of a destination not lost.
    alike: Mapping[tuple[int, str], int] = {}
    #: The source read was a fast copy standing in for the absent card (a cascade re-run
    #: without it): a read failed, or gone away, is that copy's (``words.what_was_read``).
    stand_in: bool = False
    #: The source is no card but a copy root of ours (``release.source_is_copy``): each
    #: clip row's own ⚠ is said of the source copy (``content._said_of_the_source``).
    source_copy: bool = False
    #: Not a loss, but a fact of the destination a row's words need likewise: those whose
    #: service does not check the in-flight hashes (the JSON's ``size_checked_only``), where
    #: a copy of this run ``transfer_checked`` had its size checked only (``content``).
    size_checked_only: frozenset[int] = frozenset()
    #: Likewise: the copies of ours this run found damaged at their card file's name and not
    #: kept (the ``copy-no-longer-matches`` warnings without ``kept``), by the path each
    #: warning names: a good copy now at that path was written in its place this run,
    #: which its row says (``content.REPLACED_DAMAGED_ROW``).
    found_damaged: frozenset[str] = frozenset()
    #: Likewise of the copies of ours this run could not read back there (``copy-unreadable``,
    #: not found damaged) and did not keep: a good copy now at that path was written in
    #: its place (``content.REPLACED_UNREADABLE_ROW``).
    found_unreadable: frozenset[str] = frozenset()

    @classmethod
    def of_report(cls, data: Mapping[str, Any]) -> Losses:
        """The losses of the JSON report (or its data) *data*. Its files are read (once,
        each file's copies) only when a destination not lost counts more than
        ``LISTED_ALONE`` failed files (``files_failed``): a report of 50,000 files builds
        each file's copies when they are read (``FileEntryView``)."""
        destinations = data.get("destinations")
        if not isinstance(destinations, list | tuple):  # none (validate.py checks the shape)
            destinations = ()
        losses = cls(
            {
                int(d.get("index", i)): str(d["lost_reason"])
                for i, d in enumerate(destinations)
                if d.get("lost") and d.get("lost_reason")
            },
            bool(data.get("card_gone")),
            found_damaged=found_damaged(data.get("warnings")),
            found_unreadable=found_damaged(data.get("warnings"), "copy-unreadable"),
            size_checked_only=size_checked_destinations(destinations),
        )
        # ``files_failed`` counts the files the card failed to read too (a card gone away:
        # each), which the count below skips: such a run's files are read once more.
        if not any(
            not d.get("lost") and int(d.get("files_failed") or 0) > LISTED_ALONE
            for d in destinations
        ):
            return losses
        lost = {int(d.get("index", i)) for i, d in enumerate(destinations) if d.get("lost")}
        failed = (
            (int(copy.get("index", 0)), str(copy.get("error") or ""), str(entry.get("path")))
            for entry in data.get("files") or ()
            if not entry.get("source_error")  # each named: the card's line or its own
            for copy in entry.get("destinations") or ()
            if copy.get("status") == "failed"
        )
        alike = alike_counts(failed, lost)
        return losses._replace(alike=alike) if alike else losses

    def cause(self, source_error: object, index: int, error: str, path: str) -> str | None:
        """The cause many files share of a failed copy on destination *index* (its *error*,
        as recorded: "" where none was) of the file *path* (its *source_error*, None where
        the card read it), judged in this order: ``GONE`` of a file the card gone away
        failed (``of_card``); a file the card failed to read otherwise has its own (None);
        ``LOST`` of the destination's loss (``of_destination``); ``ALIKE`` of an error more
        than ``LISTED_ALONE`` copies of that destination share (``alike_count`` says how
        many); else None: its own."""
        if source_error:
            return GONE if self.of_card(source_error) else None
        if self.of_destination(index, error, path):
            return LOST
        return ALIKE if self.alike_count(index, error, path) else None

    def alike_count(self, index: int, error: str, path: str) -> int:
        """How many copies on destination *index* failed with the error of *path*'s
        *error* (``alike``), or 0 when they are not more than ``LISTED_ALONE``."""
        if not self.alike:
            return 0
        return self.alike.get((index, error_words(error, path)), 0)

    def of_card(self, source_error: object) -> bool:
        """Whether a file's *source_error* is of the card gone away."""
        return self.card_gone and isinstance(source_error, str) and of_the_gone_card(source_error)

    def of_destination(self, index: int, error: str, path: str) -> bool:
        """Whether a file's (*path*) *error* on destination *index* is of that destination's
        loss (``of_the_loss``)."""
        reason = self.destinations.get(index)
        return reason is not None and of_the_loss(error, path, reason)


class OwnFailures:
    """The count the terminal's ``ERROR`` lines (``failure_lines``) and page 1's problems
    (``content``) make of the failed copies of each destination that are neither of a cause
    many share (``Losses.cause``: None) nor of a file the card failed to read: the first
    ``LISTED_ALONE`` of a destination are listed, each on its line; past them each with an
    error recorded is counted (``more``: how many, how many did not match the source), and
    one line says so (``words``), in the place the first counted came (held by ``take``,
    filled by ``fill`` once all are counted). A copy failed with no error recorded is always
    listed by name (nothing to count it by), and counts among the listed.

    Each such copy is taken once, in the report's order, repeated error lines too (the
    terminal prints a line once): both say the same count."""

    def __init__(self) -> None:
        self.listed: dict[int, int] = {}  # destination index → copies listed
        self.more: dict[int, list[int]] = {}  # → [copies counted, of them mismatched]
        self._at: dict[int, int] = {}  # → the place in the lines its counting line holds

    def take(self, index: int, recorded: str, lines: list[str]) -> bool:
        """Takes a failed copy on destination *index* (its error, *recorded*: "" where none
        was): True when it is listed (the caller adds its line to *lines*), else False,
        counted; the first counted there holds its counting line's place at the end of
        *lines* (an empty line, which :meth:`fill` replaces)."""
        listed = self.listed.get(index, 0)
        if listed < LISTED_ALONE or not recorded:
            self.listed[index] = listed + 1
            return True
        more = self.more.get(index)
        if more is None:
            more = self.more[index] = [0, 0]
            self._at[index] = len(lines)
            lines.append("")
        more[0] += 1
        more[1] += is_mismatch(recorded)
        return False

    def fill(self, lines: list[str], line_for: Callable[[int], str]) -> None:
        """Puts each destination's counting line, ``line_for(index)`` (which says
        :meth:`words`), in the place :meth:`take` held in *lines*: call it before any line
        is put in or taken out before that place."""
        for index, at in self._at.items():
            lines[at] = line_for(index)

    def words(self, index: int, where: str) -> str:
        """The words counting the copies counted on destination *index* (*where*: its name
        as the line gives it) past the ``LISTED_ALONE`` listed, *mismatched* of them read
        back not matching the source (``is_mismatch``): "40 more files on D did not match
        the source when read back, each with its own digests" when each did; else "40 more
        files on D failed (12 of them did not match the source when read back)", or "40
        more files on D failed" when none did (errors of their own, or one shared by up to
        ``LISTED_ALONE`` copies: never said to be each its own). Only once some are
        (``more``); the caller puts "… and" before and where each is listed after."""
        count, mismatched = self.more[index]
        files = "file" if count == 1 else "files"
        if mismatched == count:
            return (
                f"{count:,} more {files} on {where} did not match the source when read back, "
                "each with its own digests"
            )
        matched = (
            f" ({mismatched:,} of them did not match the source when read back)"
            if mismatched
            else ""
        )
        return f"{count:,} more {files} on {where} failed{matched}"


#: ``Losses.cause``'s causes: the card gone away, the destination lost, an error shared.
GONE, LOST, ALIKE = "gone", "lost", "alike"


def alike_counts(
    copies: Iterable[tuple[int, str, str]], lost: Container[int]
) -> dict[tuple[int, str], int]:
    """The errors more than ``LISTED_ALONE`` of failed *copies* (destination index, error,
    file path: of files the card read) share on one destination, by (index,
    ``error_words``), with their counts. Not on the destinations *lost*: a loss is counted
    apart, and any other failure there named. Nor an empty wording (a copy failed with no
    error recorded, or one naming only its path): no error for them to share, each is named."""
    counts: dict[tuple[int, str], int] = {}
    for index, error, path in copies:
        if index in lost:
            continue
        key = (index, error_words(error, path))
        if not key[1]:
            continue
        counts[key] = counts.get(key, 0) + 1
    return {key: count for key, count in counts.items() if count > LISTED_ALONE}


def folder_error_causes(
    errors: Iterable[str],
    times_unset: Iterable[Mapping[str, Any]],
    card_gone: bool,
    indexes: Container[Any],
) -> list[tuple[Any, ...] | None]:
    """What each folder error of *errors* (``folder_errors``) is counted with, in order:
    ``CARD_FOLDER`` for a card folder whose time could not be read (``CARD_FOLDER_UNREAD``)
    while the card went away (*card_gone*: its line stands for it), else the (destination
    index, errno) of a destination's refusal (*times_unset*: ``folder_times_unset``'s
    entries, of a destination of *indexes*), else None: its own line."""
    causes: dict[str, tuple[Any, ...]] = {
        str(entry.get("message")): (entry.get("index"), entry.get("errno"))
        for entry in times_unset
        if entry.get("errno") is not None and entry.get("index") in indexes
    }
    return [
        CARD_FOLDER if card_gone and error.startswith(CARD_FOLDER_UNREAD) else causes.get(error)
        for error in errors
    ]


def of_the_loss(error: str, path: str, reason: str) -> bool:
    """Whether a file's *error* on a lost destination is the loss (*reason*, the
    destination's ``lost_reason``) itself, says it, or is the same error for this file
    (*path*, its relative path, named in it). No *reason* (none recorded): never."""
    if not reason:
        return False
    if reason in error:
        return True
    # One rule for both sides: the file's words once its path is out, matched against
    # the end of the reason after one of its ": " (the reason names its own file, whose
    # path is not known here, so it is never cut inside the words themselves).
    words = _without_path(error, path)
    return bool(words) and (reason == words or reason.endswith(": " + words))


def error_words(error: str, path: str) -> str:
    """A copy's *error* without the path it names (its file's, *path*, or its temporary
    file's): the OS's words, which copies failing alike share."""
    return _without_path(error, path)


def _without_path(message: str, path: str | None) -> str:
    """*message* with the path it names taken out, by that path's own text where it is
    known: for a known *path* found in it, whatever precedes its first mention (a message
    may name it again in its remedy: ``... --ignore /PATH``) and the path itself, then the
    ``": "`` that joins the OS's words to it (``/D/A001/a.mov: Input/output error (EIO)``
    → ``Input/output error (EIO)``), or the words that follow it whole (``/D/A001/a.mov
    already exists with other content; not overwritten (...: --reverify replaces it)``:
    never cut at a ``": "`` of the words themselves). Where the path is not named as it
    is (a temporary file's, ``.a.mov.<pid>.<token>.partial``, which ends where a ``": "``
    begins) or not known (a destination's ``lost_reason``): everything up to the last
    ``": "`` (``PATH: Input/output error (EIO)`` → ``Input/output error (EIO)``)."""
    if path and path in message:
        rest = message[message.index(path) + len(path) :]
        if rest.startswith(": "):
            return rest[2:]
        if rest.startswith(" "):
            return rest[1:]
        return rest.partition(": ")[2]  # the rest of the path's own name, up to its ": "
    return message.rpartition(": ")[2]


def size_checked_destinations(destinations: object) -> frozenset[int]:
    """The indexes of the JSON report's *destinations* (its ``destinations`` list) whose
    service does not check the in-flight hashes (their ``size_checked_only``): a copy of the
    run ``transfer_checked`` there had its size checked only. The one reader of that field,
    for the documents (``Losses.size_checked_only``) and ``offload history``."""
    if not isinstance(destinations, list | tuple):
        return frozenset()
    return frozenset(
        int(d.get("index", i))
        for i, d in enumerate(destinations)
        if isinstance(d, dict) and d.get("size_checked_only")
    )
