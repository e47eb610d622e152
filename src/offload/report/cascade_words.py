"""What a cascading copy's reports say of the card and of the slow destinations: one
sentence, the same on the terminal's summary (``report/summary.py``, from the
``OffloadReport``) and in the HTML/PDF (``report/content.py``, from the job report's JSON),
so the two never tell a different story of one run.

The card's pass ends in one of three states, as the live ``CARD …`` line says them
(``cli/offload.py``): a file failed on the fast destinations (``CARD PASS DONE``, keep the
card to retry it); every file is there but no fast copy is recorded read back whole, a
transfer check only or a read-back through a cache, such as a copy in RAM on tmpfs
(``CARD PASS DONE``, keep the card: a re-run needs it); or released
(``CARD RELEASED``: a fast copy holds every file, read back, and a re-run without the card
is fed from it). "Released" is said only in the last. A fast copy holding files an earlier
run verified (trusted from its ledger, not read back now) releases the card only once this
run has read them, the cascade's read matched to the card's digests: released after the
cascade (a second ``CARD RELEASED`` line), else not released, said why (never read again,
or a copy found changed when read). Released so, it names the fast copy the cascade read when
another holds files an earlier run verified: those were read by nothing in this run. The
card release (``report/release.py``) keeps the card whenever this sentence says NOT released
for copies not read again: one answer."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from offload.remedies import EARLIER_KINDS, NEVER, Refusal
from offload.report.source_words import of_the_source
from offload.report.words import plural
from offload.results import FastCopyFailure

# A copy's states that hold the file (``results.GOOD_STATUSES``, as the JSON spells them).
_HOLDS = frozenset({"verified", "verified_earlier", "transfer_checked"})


def held_elsewhere(files: Iterable[tuple[object, Iterable[str]]], fast: int) -> int:
    """How many of the files that failed the card's pass another fast destination holds:
    each file as (its card read's error, the states of its copies on the *fast* fast
    destinations, as strings), held on some of them but not all (failed or missing on
    one: ``CascadeFacts.card_pass_held``)."""
    held = 0
    for error, states in files:
        holding = sum(state in _HOLDS for state in states)
        held += not error and 0 < holding < fast
    return held


def on_card_disk_words(named: str, count: int, *, unknown: bool = False) -> str:
    """*named* (the copies on the card's own filesystem or disk, *count* of them, as the
    sentence names them) said to be no backup of the card: the one wording of the live
    ``CARD`` lines, ``--dry-run`` and the cascade's sentence. *unknown*: the card is on no
    disk this machine names, so they are counted on it as they may be
    (``cascade.card_disk_unknown``)."""
    if unknown:
        return (
            f"{named} {'is' if count == 1 else 'are'} on the card's own filesystem or disk, or "
            "may be (the card is on no disk this machine names), no backup of it known"
        )
    return (
        f"{named} {'is' if count == 1 else 'are'} on the card's own filesystem or disk, no "
        "backup of it"
    )


def refused_words(count: int, where: str) -> str:
    """*count* copies already on the slow destinations, refused there (other content, a
    failed check) and never written over by the cascade, *where* (a parenthesis' words)
    saying where they are listed: the one wording of the live ``CARD`` line (JSON
    ``slow_refused``) and of the cascade's sentence."""
    copies = plural(count, "copy", "copies")
    return (
        f"{copies} already there {'was' if count == 1 else 'were'} refused and not written "
        f"over ({where})"
    )


#: Copies verified earlier (trusted from the ledger) that a cascade read this run, matched to
#: the card's digests: read again now, never "not re-read" (``earlier_how``).
READ_AGAIN = "read again now by the cascade"


def earlier_how(earlier: int, read_again: int) -> str:
    """How this run treated *earlier* copies verified earlier, *read_again* of them read by a
    cascade and matched to the card's digests: "not re-read", "read again now by the
    cascade", or each count ("3 read again now by the cascade, 3 not re-read"). The one
    wording of the terminal summary's lines and the HTML/PDF's verdict and stop line
    (docs/reports.md); *read_again* never counts more than *earlier*."""
    if not read_again:
        return "not re-read"
    if read_again >= earlier:
        return READ_AGAIN
    return f"{read_again} {READ_AGAIN}, {earlier - read_again} not re-read"


#: Beside the copies on the card's disk, when a fast copy is in a bucket: it never stands for
#: the card (a re-run without the card is fed from a local fast copy only: ``cascade``).
BUCKET_NEVER_STANDS = "a copy in a bucket never stands for the card"


def unread_words(*, other: bool, bucket: bool, how: str = "") -> str:
    """Why no fast copy stands for the card though every file is there: none (*other*: none
    but those on the card's disk, named before) is recorded read back whole from its media,
    *how* (a parenthesis) after it. With a fast copy in a *bucket*, said of the local copies
    only: the bucket's may have been read back whole now, and never stands for the card (a
    re-run without the card is fed from a local fast copy only), which is said instead."""
    copy = "copy there outside a bucket" if bucket else "copy there"
    text = f"no {'other ' if other else ''}{copy} is recorded read back whole from its media{how}"
    return f"{text}, and {BUCKET_NEVER_STANDS}" if bucket else text


#: The start of the reason a fast copy is failed with when its drive went away before the
#: cascade read it (``cascade._RECONNECT``): words only; the reports tell such a copy by its
#: ``fast_failure`` (``FastCopyFailure.DRIVE_GONE``).
NOT_FOUND_BAD = "the copy was not found bad"


# What the reasons of failed fast copies said in reports written before a copy's
# ``fast_failure`` (``legacy_fast_failure``): the words every version before it wrote, fixed
# as written (never the words written now, which may change), most particular first.
_LEGACY_FAST_FAILURES = (
    ("the copy was not found bad", FastCopyFailure.DRIVE_GONE),
    ("to copy it anew", FastCopyFailure.REMOVED),
    ("failed its read for the cascade", FastCopyFailure.UNREADABLE),
)


def legacy_fast_failure(error: object) -> FastCopyFailure | None:
    """The kind of a failed fast copy's failure in a job report written before a copy's
    ``fast_failure``, told (as those versions' own reports told it) by the words its
    *error* carried: its drive gone, its copy removed, its read failed; else None (found
    changed, or a failure of another kind). Only for such reports: a report that has the
    key is read by it, whatever its words."""
    if not isinstance(error, str):
        return None
    for words, kind in _LEGACY_FAST_FAILURES:
        if words in error:
            return kind
    return None


def fast_rerun(kinds: Iterable[FastCopyFailure | str | None]) -> str:
    """What mends the failed fast copies (*kinds*, each one's ``fast_failure``: at least
    one; None for a copy failed otherwise), as ``fast_failed_words`` says it: "anew" (each
    removed: a re-run with the card copies it anew), "read" (each removed or unreadable: a
    re-run reads it back), "reconnect" (each removed, unreadable or its drive gone, one at
    least its drive gone: none found bad, the drive to reconnect before that re-run; all
    gone is ``fast_unreachable``'s), else "" (one found changed, or failed otherwise:
    --overwrite replaces it). Never "" for copies nothing found bad: --overwrite would
    replace a copy no one saw differ."""
    said = set(kinds)
    if said and said <= {FastCopyFailure.REMOVED}:
        return "anew"
    if said and said <= {FastCopyFailure.REMOVED, FastCopyFailure.UNREADABLE}:
        return "read"
    if said and said <= _NOT_FOUND_BAD:
        return "reconnect"
    return ""


#: The kinds of a fast copy's failure that say nothing of its bytes: a re-run with the card
#: reads it back (or copies it anew), never --overwrite (``fast_rerun``).
_NOT_FOUND_BAD = frozenset(
    {FastCopyFailure.REMOVED, FastCopyFailure.UNREADABLE, FastCopyFailure.DRIVE_GONE}
)


class RefusedFiles(NamedTuple):
    """What ``fast_refused`` counts: files, not copies (``cascade_sentence``). A file may be
    counted in several of *other_card*, *earlier* and *plain*: each says what holds its
    name on one fast destination at least."""

    # Files refused because a different file holds the name there (a plain re-run refuses
    # them again).
    refused: int
    # Of them, those refused for another card's copy (``Refusal.ANOTHER_CARD``) on a fast
    # destination at least: never --overwrite.
    other_card: int
    # Of them, those refused for an earlier take's copy (``Refusal.EARLIER_COPY``) on a fast
    # destination at least: never --overwrite either.
    earlier: int = 0
    # Of them, those refused for any other file (``Refusal.IN_THE_WAY``,
    # ``REWRITE_FAILED``) on a fast destination at least: --overwrite would replace that one,
    # but is for the whole run, so it is offered only where no file refused holds a copy
    # never to be overwritten (``refused_fixes``).
    plain: int = 0


def never_in_run(kinds: Iterable[str | None]) -> bool:
    """Whether the refusal kinds of every copy of the run (*kinds*: each copy's
    ``DestinationFileResult.refusal`` or the JSON's copy ``refusal``, on every destination,
    fast and slow) name a copy never to be overwritten (``remedies.NEVER``):
    ``CascadeFacts.never_in_run``."""
    return any(kind in NEVER for kind in kinds)


def fast_refused(copies: Iterable[tuple[str, str | None]]) -> RefusedFiles:
    """Of the failed fast copies (*copies*: each its file's relative path and its refusal's
    kind, ``DestinationFileResult.refusal`` or the JSON's copy ``refusal``: None for a copy
    not refused), how many files were refused because a different file holds the name there,
    and of those how many for another card's copy, an earlier take's, a plain file
    (``RefusedFiles``: a file refused for several, on several fast destinations, counted in
    each)."""
    refused: set[str] = set()
    other: set[str] = set()
    earlier: set[str] = set()
    plain: set[str] = set()
    for relative, kind in copies:
        if kind:
            refused.add(relative)
            if kind == Refusal.ANOTHER_CARD:
                other.add(relative)
            elif kind in EARLIER_KINDS:
                earlier.add(relative)
            else:
                plain.add(relative)
    return RefusedFiles(len(refused), len(other), len(earlier), len(plain))


#: What gets a copy past a file in the way of it: for any file but a copy never to be
#: overwritten, and for one (another card's, ``Refusal.ANOTHER_CARD``, or the copy an
#: earlier offload made of an earlier take of the name, ``Refusal.EARLIER_COPY``), whose
#: remedy never names --overwrite (``remedies.another_card``, ``remedies.earlier_copy``):
#: it may be that take's only copy left.
OVERWRITE_FIXES = (
    "--overwrite (it replaces the copy there once the new one is verified) or --keep-both "
    "(the new copy is kept beside it)"
)
APART_FIXES = (
    "--into another folder (it keeps the two apart) or --keep-both (the new copy is kept "
    "beside the other), never --overwrite"
)


#: What holds the name of copies refused so where some are another card's and some an
#: earlier take's (``never_overwritten``).
NEVER_OVERWRITTEN_ONE = "a copy never to be overwritten (another card's, or an earlier take's)"
NEVER_OVERWRITTEN_MANY = "copies never to be overwritten (other cards', or earlier takes')"


def never_overwritten(other_card: int, earlier: int, *, many: bool = False) -> str:
    """What holds the name of copies refused for a copy never to be overwritten, by their
    kinds (``Refusal``): *other_card* of them another card's, *earlier* an earlier take's;
    each named only where the kinds say so. *many*: of several files."""
    if not earlier:
        return "other cards' copies" if many else "another card's copy"
    if not other_card:
        return "earlier takes' copies" if many else "an earlier take's copy"
    return NEVER_OVERWRITTEN_MANY if many else NEVER_OVERWRITTEN_ONE


def refused_holder(other_card: int, earlier: int, plain: int, *, many: bool = False) -> str:
    """What holds the name of the refused copies, with its verb ("... holds its name";
    *many*: "... hold their names"), by how many of them are held by another card's copy
    (*other_card*), an earlier take's (*earlier*), any other file (*plain*): each named only
    where there is one, so a plain file refused beside an earlier take's copy is never said
    to be one."""
    verb = "hold their names" if many else "holds its name"
    plain_word = "different files" if many else "a different file"
    if not other_card and not earlier:
        return f"{plain_word} {verb}"
    whose = never_overwritten(other_card, earlier, many=many)
    return f"{whose} or {plain_word} {verb}" if plain else f"{whose} {verb}"


#: Why a copy refused for a plain file in the way is offered no --overwrite where a copy
#: never to be overwritten holds another file's name in the same run (``refused_fixes``).
OVERWRITE_ELSEWHERE = (
    " (--overwrite is for the whole run: it would also replace the copy never to be "
    "overwritten, another card's or an earlier take's, that holds another file's name)"
)


def refused_fixes(never: int, *, elsewhere: bool = False) -> str:
    """What gets refused copies past the files in their way, *never* of them a copy never
    to be overwritten: another card's or an earlier take's (``fast_refused``); *elsewhere*:
    such a copy holds the name of another file of the run. One such copy in the run, and
    the fixes are ``APART_FIXES`` for all (--keep-both clears every case): --overwrite is
    for the whole run, so offered for the plain files it would replace that copy too."""
    if never:
        return APART_FIXES
    return APART_FIXES + OVERWRITE_ELSEWHERE if elsewhere else OVERWRITE_FIXES


def fast_unreachable(kinds: Iterable[FastCopyFailure | str | None]) -> bool:
    """The failed fast copies' kinds (*kinds*, each one's ``fast_failure``: at least one)
    all say their drive went away, none that a copy was found bad
    (``fast_failed_words``)."""
    said = set(kinds)
    return bool(said) and said <= {FastCopyFailure.DRIVE_GONE}


def fast_failed_words(facts: CascadeFacts, *, since: bool = False) -> str:
    """What became of the fast copy that failed, and what to do, by the kinds of the
    failures (``fast_rerun``, ``fast_unreachable``, from each copy's ``fast_failure``): a
    copy removed is copied anew by the same command run again with the card; one unreadable
    (and removed) is read back by it; one whose drive went away was not found bad: that
    drive is reconnected and the same command run again (with the card, reading the others
    back, where some were removed or unreadable); any other (found changed) is
    replaced by a re-run with the card and --overwrite. *since*: said after the release,
    "again"."""
    read = "read it again" if since else "read it"
    if facts.fast_unreachable:
        return (
            f"a copy there could not be read when the cascade {read} or checked the fast "
            "copies at its end, its drive gone (listed below; not found bad): keep the card, "
            "reconnect that drive and run the same command again"
        )
    failed = f"a copy there failed when the cascade {read} or checked the fast copies at its end"
    if facts.fast_rerun == "anew":  # removed: nothing there to replace
        return (
            f"{failed} (listed below): keep the card, and run the same command again with it "
            "to copy that copy anew"
        )
    if facts.fast_rerun == "read":  # unreadable once: the re-run reads it back
        return (
            f"{failed} (listed below): keep the card, check that drive (offload verify), and "
            "run the same command again with it, which reads that copy back: kept if equal to "
            "the card, copied anew if gone, refused (naming --overwrite) if other"
        )
    if facts.fast_rerun == "reconnect":  # a drive gone too: none found bad
        return (
            f"{failed} (listed below; none found bad: gone, unreadable, or its drive gone): keep "
            "the card, reconnect that drive, check it (offload verify), and run the same command "
            "again with it, which reads those copies back: kept if equal to the card, copied "
            "anew if gone, refused (naming --overwrite) if other"
        )
    return (
        f"{failed} (listed below): keep the card, and re-run with it and --overwrite to replace "
        "that copy"
    )


class CascadeFacts(NamedTuple):
    """What a cascade did, as either report knows it."""

    slow: str  # the slow destinations, named as the reader knows them
    slow_count: int  # how many slow destinations (the verb's number)
    pass_ended_at: str | None  # when the card's pass ended, as text; None: it did not end
    released: bool  # the card was released (CARD RELEASED): see the module's docstring
    card_pass_failed: int  # files the card's pass did not verify on the fast destinations
    cancelled: bool  # the run was cancelled (after the card's pass, if it ended)
    fed: bool  # the cascade wrote a copy on a slow destination (from a fast copy)
    slow_failed: bool  # a copy failed on a slow destination
    # A copy failed on a fast destination: after a release, one the cascade found damaged or
    # could not read again, or found changed at its end (``cascade._fail_damaged``,
    # ``cascade._changed_since_verified``): the release no longer holds.
    fast_failed: bool = False
    # Every copy failed on a fast destination failed because its drive went away (pulled,
    # unmounted): not found bad, the drive to reconnect (``fast_failed_words``).
    fast_unreachable: bool = False
    # What mends the failed fast copies (``fast_rerun``): "anew", "read", "reconnect", or ""
    # (--overwrite).
    fast_rerun: str = ""
    # Of the copies failed on a fast destination, how many were refused because a different
    # file holds the name there (``fast_refused``): a plain re-run refuses them again.
    fast_refused: int = 0
    # Of *fast_refused*, the files refused because another card's copy holds the name
    # (``Refusal.ANOTHER_CARD``): --into another folder or --keep-both, never
    # --overwrite (``refused_fixes``).
    fast_other_card: int = 0
    # Of *fast_refused*, the files refused because an earlier take's copy holds the name
    # (``Refusal.EARLIER_COPY``) on a fast destination at least: never --overwrite either.
    fast_earlier: int = 0
    # Of *fast_refused*, the files refused for any other file in the way on a fast
    # destination at least (``RefusedFiles.plain``): named beside the copies never to be
    # overwritten, never offered --overwrite while one of those is among them.
    fast_plain: int = 0
    # A copy never to be overwritten (``remedies.NEVER``) refused a file of the run on any
    # destination, fast or slow (``never_in_run``): --overwrite, for the whole run, would
    # replace it too, so it is offered for none (``refused_fixes``'s *elsewhere*).
    never_in_run: bool = False
    # Not released: files of the fast copy an earlier run verified (trusted from its ledger)
    # that this run did not prove: never read, or found changed (or unreadable) by the
    # cascade's read of them (``cascade._release_after_reread``).
    unproven: int = 0
    # Of *card_pass_failed*, the files another fast destination holds (verified or
    # transfer-checked): fed to the slow destinations from it (``held_elsewhere``).
    card_pass_held: int = 0
    # Released only after the cascade had read the copies an earlier run verified, and found
    # them equal to the card's digests; *released_at*: when, as text.
    after_reread: bool = False
    released_at: str | None = None
    # Released after the cascade, with more than one fast copy holding files an earlier run
    # verified: the copies the cascade read (*reread*) and the others (*not_reread*), whose
    # files stay verified earlier, trusted from the ledger, never said read again.
    reread: str = ""
    not_reread: str = ""
    # The fast destinations on the card's own filesystem or disk, named (``cascade.on_card_disk``,
    # JSON ``fast_copies_on_card_disk``): their copies die with the card, so they released
    # nothing; *on_card_count*: how many; *only_on_card_disk*: every local fast destination
    # is (JSON ``card_kept_by_its_disk``: a copy in a bucket never stands for the card).
    on_card_disk: str = ""
    on_card_count: int = 0
    only_on_card_disk: bool = False
    # The card is on no disk this machine names: those may be on its disk (JSON
    # ``card_disk_unknown``; ``on_card_disk_words``).
    card_disk_unknown: bool = False
    # A fast destination is a bucket: its copy may be read back whole, yet never stands for
    # the card (``unread_words``).
    bucket: bool = False
    # Where the slow destinations' failures are listed, from where the sentence stands: the
    # terminal's ERROR lines come below it; the documents' Problems list comes before their
    # warnings (QA: "listed below", a bullet after that list).
    failures_listed: str = "listed below"
    # Copies already on a slow destination refused there (other content, a failed check;
    # action ``adopted`` or ``rechecked``, status ``failed``), never written over; with
    # *slow_refused_only*, every copy failed there is one of them: nothing was to be fed
    # (``refused_words``), never "no copy reached" as if feeding them had failed.
    slow_refused: int = 0
    slow_refused_only: bool = False
    # The fast destinations, named, whose record that this offload finished could not be
    # written in the card's pass (JSON ``fast_copies_unrecorded``): the card was kept for
    # them, whatever the copies hold (``cascade._release``).
    unrecorded: str = ""
    # The source is no card but a copy root of ours (JSON ``card_release.source_is_copy``):
    # the sentence is said of the source (``source_words``).
    source_is_copy: bool = False


def _rerun_to_copy(facts: CascadeFacts, them: str) -> str:
    """What copies the files the card's pass failed on the fast destinations (*them*: "it"
    or "them"): a re-run with the card, with what gets past a different file holding a name
    there (``CascadeFacts.fast_refused``, ``refused_fixes``): a plain re-run refuses that
    copy again; another card's copy (``fast_other_card``) or an earlier take's
    (``fast_earlier``) is never to be overwritten."""
    if not facts.fast_refused:
        return f"re-run with it to copy {them}"
    never = facts.fast_other_card + facts.fast_earlier
    fixes = refused_fixes(never, elsewhere=facts.never_in_run)
    if facts.fast_refused >= facts.card_pass_failed:
        # A plain file among them: counted, or the files no kind of copy never to be
        # overwritten accounts for.
        plain = facts.fast_plain or max(0, facts.fast_refused - never)
        held = refused_holder(facts.fast_other_card, facts.fast_earlier, plain, many=them != "it")
        return (
            f"re-run with it and {fixes}: {held} there, so a plain re-run refuses "
            f"{them} again (the ERROR lines say why)"
        )
    return (
        f"re-run with it to copy {them}, with {fixes} where a different file holds the name "
        "there (a plain re-run refuses that copy again; the ERROR lines name each)"
    )


def cascade_sentence(facts: CascadeFacts) -> str:
    """The sentence: when the card's pass ended, whether the card was released or is still
    needed (and why), and what became of the slow destinations. "Fed" only when the
    cascade wrote a copy there; "released" only when the card was. Of a source that is a
    copy root of ours (``source_is_copy``), said of the source (``source_words``), the
    destinations' names as they are."""
    said = _card_sentence(facts)
    if not facts.source_is_copy:
        return said
    names = (facts.slow, facts.reread, facts.not_reread, facts.on_card_disk, facts.unrecorded)
    return of_the_source(said, keep=[n for name in names for n in name.split(", ")])


def _card_sentence(facts: CascadeFacts) -> str:
    """``cascade_sentence`` worded for a card."""
    slow, when = facts.slow, facts.pass_ended_at
    if when is None:
        return (
            f"Cascade to {slow}: not started (the card's pass did not finish; the card is "
            "still needed)."
        )
    verb = "was" if facts.slow_count == 1 else "were"
    listed = f"the failures are {facts.failures_listed}"
    if facts.slow_failed and facts.slow_refused_only:  # none to feed, some there refused
        refused = refused_words(facts.slow_refused, listed)
        unfed = f"{slow} {verb} fed nothing from the fast copies: {refused}"
    elif facts.slow_failed:
        unfed = f"no copy reached {slow} from the fast copies ({listed})"
    else:
        unfed = f"{slow} needed nothing from the fast copies"
    then = f"{slow} {verb} then fed from the fast copies" if facts.fed else unfed
    if facts.card_pass_failed:  # the card's pass failed files: it is still needed
        failed = facts.card_pass_failed
        if facts.cancelled:
            then = f"the cascade to {slow} was cancelled"
        held = facts.card_pass_held
        them = "it" if failed == 1 else "them"
        if held:
            # Failed on a fast destination, held on another, which fed the slow ones: never
            # "not verified on the fast destinations" of files one of them holds verified.
            on = (
                f"failed on a fast destination, {'it' if failed == 1 else 'each'} held on another"
                if held == failed
                else f"not verified on the fast destinations, {held} of them held on another"
            )
            remedy = (
                _rerun_to_copy(facts, them)
                if facts.fast_refused
                else f"re-run with it to copy {them} where {'it' if failed == 1 else 'they'} failed"
            )
            return (
                f"The card's pass ended at {when} with {plural(failed, 'file')} {on}: keep the "
                f"card and {remedy}; {then}."
            )
        return (
            f"The card's pass ended at {when} with {plural(failed, 'file')} not verified on "
            f"the fast destinations: keep the card and {_rerun_to_copy(facts, them)}; {then}."
        )
    if not facts.released and facts.unproven:
        # The release waited for this run's read of copies an earlier run verified.
        if facts.fast_failed:
            kept = (
                f"The card's pass ended at {when}, the card NOT released: the fast copies an "
                "earlier run verified were to be read again by the cascade, and "
                + fast_failed_words(facts)
            )
        else:
            kept = (
                f"The card's pass ended at {when}, the card NOT released: "
                f"{plural(facts.unproven, 'file')} on the fast destinations "
                f"{'was' if facts.unproven == 1 else 'were'} verified by an earlier run "
                "(trusted from the ledger) and not read again by this run, so nothing it did "
                "proves them: keep the card (--reverify reads them back)"
            )
        if facts.cancelled:
            return f"{kept}; the cascade to {slow} was cancelled."
        return f"{kept}; {then}."
    if not facts.released and facts.unrecorded:
        kept = (
            f"The card's pass ended at {when}, the card NOT released: every file is on the "
            f"fast destinations, but the record that this offload finished could not be "
            f"written on {facts.unrecorded}, so the card is still needed to record it"
        )
        if facts.cancelled:
            return f"{kept}; the cascade to {slow} was cancelled."
        return f"{kept}; {then}."
    if not facts.released:  # every file there, but no fast copy recorded read back whole
        how = " (transfer-checked only, or read back through a cache)"
        unread = unread_words(other=False, bucket=facts.bucket, how=how)
        if facts.on_card_disk:
            on_card = on_card_disk_words(
                facts.on_card_disk, facts.on_card_count, unknown=facts.card_disk_unknown
            )
            other = unread_words(other=True, bucket=facts.bucket, how=how)
            joint = "; " if facts.bucket else ", and "
            unread = on_card if facts.only_on_card_disk else f"{on_card}{joint}{other}"
        kept = (
            f"The card's pass ended at {when}, the card NOT released: every file is on the "
            f"fast destinations, but {unread}, so a re-run needs the card"
        )
        if facts.cancelled:
            return (
                f"{kept}; the cascade to {slow} was cancelled: run the same command again, "
                "with the card, to resume it."
            )
        return f"{kept}; {then}."
    if facts.after_reread:
        if facts.cancelled:
            then = (
                f"the cascade to {slow} was cancelled (run the same command again, with or "
                "without the card, to resume it)"
            )
        read = (
            f"the copies on {facts.reread} an earlier run verified and found them equal to the "
            f"card's digests (those on {facts.not_reread} are verified earlier, trusted from "
            "the ledger, not read again)"
            if facts.not_reread
            else "the fast copies an earlier run verified and found them equal to the card's "
            "digests"
        )
        released = (
            f"The card's pass ended at {when}; {then}, and the card was released at "
            f"{facts.released_at or when}, once the cascade had read {read}"
        )
        if facts.fast_failed:  # another fast copy failed that read: the reports keep the card
            return f"{released}; but on a fast destination {fast_failed_words(facts)}."
        return f"{released}."
    if facts.fast_failed:
        # Released on what the fast copies were then; one of them failed since, when the
        # cascade read it or checked them at its end: said here, where "released" would
        # otherwise be the last word.
        since = (
            f"The card was released at {when} (the fast destinations were then complete), "
            f"but since then {fast_failed_words(facts, since=True)}"
        )
        if facts.cancelled:
            return f"{since}; the cascade to {slow} was cancelled."
        return f"{since}; {then}."
    if facts.cancelled:
        return (
            f"The card was released at {when} (the fast destinations were complete); the "
            f"cascade to {slow} was cancelled: run the same command again, with or without "
            "the card, to resume it (what the fast destinations hold is fed from them, not "
            "read from the card again)."
        )
    return f"The card was released at {when}; {then}."
