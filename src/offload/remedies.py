"""What a refusal of a file in the way of a copy tells the user to do: the one wording of
the planner's warning before the copy (``card._in_the_way_warnings``), the engine's refusal
of that copy (``engine/writer.py``, ``engine/committer.py``), the read-back's refusal of a
file of other content (``existing.settle``) and ``--dry-run``'s ``refused`` list.

A file in the way is replaced by ``--overwrite`` or kept beside by ``--keep-both`` (for
another card's copy, or the copy an earlier offload made of a card file of its name now of
another size or date, ``--into`` another folder or ``--keep-both``: ``another_card``,
``earlier_copy``); a copy
of ours that changed since its ledger recorded it (``Ledger.changed_copy``) is also
replaced by ``--reverify``, and its refusal says so wherever it is made. The one-file copy
(``pfndispatchcopy``) has ``--overwrite`` alone (``one_file``).

``--overwrite`` is for the whole run: where a copy never to be overwritten (``NEVER``)
holds the name of one file of the run on any destination, a cascade's slow ones included
(``holds_protected``), every other file in the way is offered ``--keep-both`` or ``--into``
too, ``--overwrite`` named only as what it would also replace (*protected*, decided once by
the caller from the plan: ``OffloadPlan.protected_in_the_way``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import NamedTuple


class Refusal(StrEnum):
    """Why a copy was refused where the same command would refuse it again: the kind the
    refusal is made with (``DestinationFileResult.refusal``, the JSON's copy ``refusal``),
    read by whatever advises on it (the run record, the cascade's words), never told from
    the words of its error. None (no kind) for any other failure."""

    # A different file holds the copy's name there: --overwrite replaces it, --keep-both
    # keeps both (a copy of ours found changed or revoked: --reverify replaces it too); the
    # one-file copy (``one_file``) has no --keep-both: --overwrite alone there. Where a copy
    # never to be overwritten stands in the run's way too: --keep-both or --into first,
    # never --overwrite offered (``_any``).
    IN_THE_WAY = "in_the_way"
    # The file there is another card's copy (the copy root's ledger says so), or another
    # take of the name, size and date: --into another folder or --keep-both, never
    # --overwrite (``another_card``).
    ANOTHER_CARD = "another_card"
    # The copy an earlier offload of this card file's name recorded there, still as
    # recorded, the card's file at that name of another size or date now: changed since,
    # or another take (``earlier_word``). This card's own earlier take, never another
    # card's; it may be that take's only copy left, its card formatted since: --keep-both
    # or --into another folder, never --overwrite (``earlier_copy``).
    EARLIER_COPY = "earlier_copy"
    # The same copy an earlier offload recorded, read back now unlike what its entry
    # recorded: a damaged copy of an earlier take (or of the card file before it changed),
    # maybe that take's only copy left: --keep-both or --into another folder, never
    # --overwrite offered (``damaged_earlier``); an earlier take's copy to every reader
    # that knows only ``EARLIER_COPY`` (``EARLIER_KINDS``).
    DAMAGED_EARLIER_COPY = "damaged_earlier_copy"
    # A copy of ours found wrong, whose rewrite failed: it is left there, its ledger entry
    # revoked, so the next run refuses it as a file in the way; --overwrite replaces it
    # (``rewrite_failed``).
    REWRITE_FAILED = "rewrite_failed"
    # A cascade's slow copy never fed because every fast destination refused the file for
    # a file in the way there (``cascade._no_copy_reason``): the same command refuses it
    # there again, so the slow copy fails again; --overwrite/--keep-both on those fast
    # destinations, or no cascading, copies it (``fast_refused``).
    FAST_REFUSED = "fast_refused"
    # The same, the file in the way on one fast destination at least a copy never to be
    # overwritten (``NEVER``), another card's (``ANOTHER_CARD``) on one at least, whatever
    # is in the way on the others: --into another folder or --keep-both, never
    # --overwrite, which is for the whole run and would replace that copy too
    # (``fast_refused_another_card``).
    FAST_REFUSED_ANOTHER_CARD = "fast_refused_another_card"
    # The same, an earlier take's copy (``EARLIER_COPY``) on one fast destination at least,
    # another card's on none: --keep-both or --into another folder, never --overwrite.
    FAST_REFUSED_EARLIER_COPY = "fast_refused_earlier_copy"
    # The same, a damaged earlier take's copy (``DAMAGED_EARLIER_COPY``) on one fast
    # destination at least, another card's on none: advised as ``FAST_REFUSED_EARLIER_COPY``.
    FAST_REFUSED_DAMAGED_EARLIER_COPY = "fast_refused_damaged_earlier_copy"


#: The kinds of a slow copy refused because its fast destinations refused the file
#: (``Refusal.FAST_REFUSED``): nothing is in the way on the slow destination itself.
FAST_REFUSALS = frozenset(
    {
        Refusal.FAST_REFUSED,
        Refusal.FAST_REFUSED_ANOTHER_CARD,
        Refusal.FAST_REFUSED_EARLIER_COPY,
        Refusal.FAST_REFUSED_DAMAGED_EARLIER_COPY,
    }
)

#: The kinds of a refusal for an earlier take's copy, intact or damaged: advised alike
#: (kept, never --overwrite offered).
EARLIER_KINDS = frozenset({Refusal.EARLIER_COPY, Refusal.DAMAGED_EARLIER_COPY})

#: The kinds of a refusal of a copy never to be overwritten (another card's, an earlier
#: take's): its remedy never names --overwrite, which would replace what may be the only
#: copy left of what it holds.
NEVER = frozenset({Refusal.ANOTHER_CARD, Refusal.EARLIER_COPY, Refusal.DAMAGED_EARLIER_COPY})

#: The same for a cascade's slow copy (``FAST_REFUSALS``): every fast destination refused
#: the file for a file in the way, one at least for such a copy (``--overwrite`` is for the
#: whole run: offered for the plain files, it would replace that copy too).
FAST_NEVER = frozenset(
    {
        Refusal.FAST_REFUSED_ANOTHER_CARD,
        Refusal.FAST_REFUSED_EARLIER_COPY,
        Refusal.FAST_REFUSED_DAMAGED_EARLIER_COPY,
    }
)


class Remedy(NamedTuple):
    """What the engine's refusal of a file in the way of one target says to do (*words*)
    and the kind of refusal it is (*refusal*: None where the same command would not refuse
    it again)."""

    words: str
    refusal: Refusal | None


_OVERWRITE = "--overwrite replaces it once the new copy is verified"
_ANY = f"{_OVERWRITE}, --keep-both keeps both"
_ANY_MANY = "--overwrite replaces them once the new copies are verified, --keep-both keeps both"
# A run that a copy never to be overwritten (``NEVER``: another card's, an earlier take's)
# stands in the way of: --overwrite is for the whole run, so offered for any other file in
# the way it would replace that copy too. Every file in the way is offered --keep-both or
# --into, and --overwrite is named last, as what it would also do (``protected``).
_ALSO_REPLACES = (
    "--overwrite is for the whole run: it would also replace the copy never to be "
    "overwritten, another card's or an earlier take's, that holds another file's name"
)
_KEEP = "--keep-both keeps both, --into another folder keeps them apart"
_ANY_PROTECTED = f"{_KEEP} ({_ALSO_REPLACES})"


def _any(protected: bool, *, many: bool = False) -> str:
    """What to do about any file in the way (*many*: several): ``--overwrite`` first, or,
    *protected* (a copy never to be overwritten stands in the run's way), ``--keep-both`` or
    ``--into`` and never ``--overwrite`` offered."""
    if protected:
        return _ANY_PROTECTED
    return _ANY_MANY if many else _ANY


def is_protected(ours: str) -> bool:
    """Whether *ours* (an ``in_the_way`` word) is a copy never to be overwritten: another
    card's, an earlier take's, intact, damaged or unread (``in_the_way_refusal`` in
    ``NEVER``)."""
    return in_the_way_refusal(ours) in NEVER


def holds_protected(words: Iterable[str]) -> bool:
    """Whether the ``in_the_way`` words of a run's files in the way (*words*, every
    destination's, fast and slow) name a copy never to be overwritten: then every remedy
    of the run offers ``--keep-both`` or ``--into``, never ``--overwrite`` (``protected``
    of ``in_the_way``, ``many_in_the_way``, ``Remedies``)."""
    return any(is_protected(ours) for ours in words)


def refuses_never(kinds: Iterable[str | None]) -> bool:
    """Whether refusal kinds (*kinds*: ``DestinationFileResult.refusal`` of copies settled or
    done, on any destination) name a copy never to be overwritten (``NEVER``): what a
    read-back or an engine found, where ``holds_protected`` is what the plan knew. The one
    scan (``card.found_protected``, ``existing.settle``, ``--dry-run``'s cascade lines)."""
    return any(kind in NEVER for kind in kinds)


_SINCE = "since it was recorded in this copy root's ledger: --reverify replaces it"
_FROM_ANOTHER_CARD = "it is recorded in this copy root's ledger from another card"


# How a destination lost (``errors._lost_what_to_do``) ends its remedy: right for a copy
# not made, wrong for a copy of ours found wrong whose rewrite failed (``rewrite_failed``).
RESUME = ", then run the same command again to resume"
# pfndispatchcopy's word for it: one file, no ledger, its partial removed at the failure, so
# the same command again copies the file from its first byte (a copy verified elsewhere is
# read back and kept): nothing is resumed (``one_file_words``).
ONE_FILE_RETRY = ", then run the same command again to copy the file again from the start"


def one_file_words(message: str) -> str:
    """*message* as pfndispatchcopy says it: :data:`RESUME` (the words of ``offload copy``,
    whose ledger lets the same command go on where it stopped) as :data:`ONE_FILE_RETRY`;
    the rest as it is."""
    return message.replace(RESUME, ONE_FILE_RETRY)


_REWRITE = (
    "; the copy found wrong is left as it is (recorded as wrong in the ledger): "
    "--overwrite replaces it once the new copy is verified"
)


# The same for a copy of ours written again because its read-back failed (read access
# refused, an I/O error: ``existing.unread_rewrites``): never found different from the card,
# it is no file in the way a plain run refuses (that run reads it back, its read fails
# again), and neither --overwrite nor --keep-both gets past it (each reads it back first):
# --reverify takes it up as ours again and writes a new copy in its place.
_REWRITE_UNREAD = (
    "; the copy that could not be read back is left as it is (its ledger entry revoked): "
    "run the same command again with --reverify, which writes a new copy in place of a "
    "copy of ours it cannot read"
)


def rewrite_failed(error: str, *, unread: bool = False) -> str:
    """*error* (the failure of the rewrite of a copy of ours found wrong) with the remedy
    that works: the same command again would refuse the wrong copy as a file in the way
    (its ledger entry is revoked: nothing records it as ours any more), so it names
    ``--overwrite``, not a resume. *unread*: the copy was written again because its
    read-back failed, not found different (``_REWRITE_UNREAD``): ``--reverify`` names it."""
    words = _REWRITE_UNREAD if unread else _REWRITE
    if words in error:
        return error
    return error.removesuffix(RESUME) + words


# The ``in_the_way`` word of a file in the way that the copy root's ledger vouches for as a
# copy of an earlier version or take of the card file's name (``earlier_word``).
_EARLIER = "earlier:"


def earlier_word(proven: str) -> str:
    """The ``in_the_way`` word of a file in the way that the copy root's ledger's last entry
    of its path vouches for, the file there still as recorded, of a card file of this name
    whose size or date is not the card file's now; *proven*: how and when that entry proved
    it (``ledger.proven_when`` joined: "verified on <date>")."""
    return f"{_EARLIER}{proven}"


def is_earlier(ours: str) -> bool:
    """Whether *ours* is ``earlier_word``'s."""
    return ours.startswith(_EARLIER)


def earlier_copy(proven: str = "") -> str:
    """What to do about a file in the way that the copy root's ledger vouches for as the
    copy an earlier offload made of a card file of this name, *proven* (its entry's
    ``proven_when``: "verified on <date>"), whose size or date is not the card file's now
    (the card's file changed since it was copied, or it is another take of the name): that
    copy may be the only one left of what it holds, so never ``--overwrite``: keep both, or
    the two apart."""
    when = f" {proven}" if proven else ""
    return (
        "this copy root's ledger records the file there as a copy an earlier offload made of "
        f"a card file of this name{when}, of another size or date than this card's file now "
        "(this card's file changed since it was copied, or it is another take of the name): "
        f"{_EARLIER_APART}"
    )


# The ``in_the_way`` word of a file in the way that the copy root's ledger vouches for as a
# copy of an earlier take of the card file's name, read back unlike what it recorded
# (``damaged_earlier_word``).
_DAMAGED_EARLIER = "damaged_earlier:"


def damaged_earlier_word(proven: str) -> str:
    """``earlier_word`` of such a copy read back unlike what its entry recorded: damaged
    (bit rot, or written in place) since it was *proven*."""
    return f"{_DAMAGED_EARLIER}{proven}"


def as_damaged(ours: str) -> str:
    """``earlier_word``'s *ours* as ``damaged_earlier_word``'s (the same proof named): the
    copy it vouched for read back unlike its entry."""
    return damaged_earlier_word(ours.removeprefix(_EARLIER))


def is_damaged_earlier(ours: str) -> bool:
    """Whether *ours* is ``damaged_earlier_word``'s."""
    return ours.startswith(_DAMAGED_EARLIER)


def damaged_earlier(proven: str = "") -> str:
    """What to do about a file in the way that the copy root's ledger records as the copy an
    earlier offload made of a card file of this name, *proven* (``earlier_copy``), read
    back now unlike what that entry recorded: a damaged copy of an earlier take (or of the
    card file before it changed). Damaged, it may still be the only copy of that take, and
    mostly usable: keep it (beside, or apart) and say it is damaged; ``--overwrite`` is
    named last, as what would replace it."""
    when = f" {proven}" if proven else ""
    return (
        "this copy root's ledger records the file there as a copy an earlier offload made of "
        f"a card file of this name{when}, and read back now it differs from what the ledger "
        "recorded of it: it is a damaged copy of an earlier take (or of this card's file "
        "before it changed), and may be the only copy of that take left: "
        f"{_EARLIER_APART}; --overwrite would replace the damaged copy"
    )


# The ``in_the_way`` word of such a copy that could not be read back to check it against
# its entry (``unread_earlier_word``): neither proved intact nor found damaged.
_UNREAD_EARLIER = "unread_earlier:"


def unread_earlier_word(proven: str) -> str:
    """``earlier_word`` of such a copy whose read failed (permission, I/O error, its drive
    gone): never compared with what its entry recorded."""
    return f"{_UNREAD_EARLIER}{proven}"


def is_unread_earlier(ours: str) -> bool:
    """Whether *ours* is ``unread_earlier_word``'s."""
    return ours.startswith(_UNREAD_EARLIER)


def unread_earlier(proven: str = "") -> str:
    """What to do about a file in the way that the copy root's ledger records as the copy an
    earlier offload made of a card file of this name, *proven*, that could not be read now
    to check it: not said damaged (never compared), kept first as an earlier take's copy,
    ``--overwrite`` named last."""
    when = f" {proven}" if proven else ""
    return (
        "this copy root's ledger records the file there as a copy an earlier offload made of "
        f"a card file of this name{when}, and it could not be read now to check it against "
        "that record (check that drive and its permissions): it may be the only copy of an "
        f"earlier take left: {_EARLIER_APART}; --overwrite would replace it"
    )


def _damaged_earlier_many(damaged: int, found: int) -> str:
    """What ``many_in_the_way`` says of *damaged* of the *found* files in the way that are
    damaged copies of earlier takes (``damaged_earlier``): said so, kept first, with no
    --overwrite offered before it."""
    if damaged == 1:
        return (
            "1 of them is recorded in this copy root's ledger as a copy an earlier offload "
            "made of a card file of its name and read back now unlike that record: a damaged "
            f"copy of an earlier take, maybe its only copy left: {_EARLIER_APART}; --overwrite "
            "would replace it"
        )
    some = "all are" if damaged == found else f"{damaged} of them are"
    return (
        f"{some} recorded in this copy root's ledger as copies an earlier offload made of "
        "card files of their names and read back now unlike those records: damaged copies "
        f"of earlier takes, maybe their only copies left: {_EARLIER_APART}; --overwrite "
        "would replace them"
    )


def in_the_way(ours: str = "", *, protected: bool = False) -> str:
    """What to do about one file in the way. *ours*: what changed (``"size"``,
    ``"date"``) of a copy of ours that ``--reverify`` replaces; ``"card"`` for a file the
    copy root's ledger records from another card (``another_card``); ``"revoked"`` for one
    whose ledger entry an earlier run revoked (``revoked``); ``"checked"`` for one
    ``offload verify`` found wrong and revoked keeping its record (``found_wrong_by_check``),
    ``"revoked_kept"`` for one an offload revoked keeping it (``found_wrong_by_offload``);
    empty for any other file. *protected*: a copy never to be overwritten stands in the
    way of another file of the run (``holds_protected``): no --overwrite offered for this
    one either (``_any``)."""
    if not ours:
        return _any(protected)
    if ours == "card":
        return f"{_FROM_ANOTHER_CARD}: {another_card()}"
    if is_earlier(ours):
        return earlier_copy(ours.removeprefix(_EARLIER))
    if is_damaged_earlier(ours):
        return damaged_earlier(ours.removeprefix(_DAMAGED_EARLIER))
    if is_unread_earlier(ours):
        return unread_earlier(ours.removeprefix(_UNREAD_EARLIER))
    if ours == "revoked":
        return revoked(protected=protected)
    if ours == "checked":
        return found_wrong_by_check(protected=protected)
    if ours == "revoked_kept":
        return found_wrong_by_offload(protected=protected)
    return f"{_any(protected)}; it is a copy of ours whose {ours} changed {_SINCE}"


def in_the_way_refusal(ours: str = "") -> Refusal:
    """The kind of the refusal ``in_the_way(ours)`` words: another card's copy for
    ``"card"``, an earlier take's for a copy an earlier offload made of this name
    (``earlier_word``: never --overwrite either), a damaged one's for such a copy read back
    unlike its entry (``damaged_earlier_word``: kept too, never --overwrite offered), a
    file in the way for any other."""
    if ours == "card":
        return Refusal.ANOTHER_CARD
    if is_damaged_earlier(ours):
        return Refusal.DAMAGED_EARLIER_COPY
    # (One that could not be read back: an earlier take's copy as recorded, never proved
    # damaged.)
    return (
        Refusal.EARLIER_COPY if is_earlier(ours) or is_unread_earlier(ours) else Refusal.IN_THE_WAY
    )


def in_the_way_remedy(ours: str = "", *, protected: bool = False) -> Remedy:
    """``in_the_way(ours, protected=protected)``'s words with their kind
    (``in_the_way_refusal``)."""
    return Remedy(in_the_way(ours, protected=protected), in_the_way_refusal(ours))


class Remedies(dict[str, Remedy]):
    """By target, what the engine's refusal of a file in the way there says to do, where
    the planner found one it words apart (a copy of ours, another card's, an earlier
    take's: ``CopyJob``'s ``remedies``); ``of`` any other target (a plain file, or one that
    appeared after the plan): ``in_the_way()``'s, *protected* where a copy never to be
    overwritten stands in the run's way (``holds_protected``): never --overwrite first."""

    def __init__(self, by_target: Mapping[str, Remedy] | None = None, *, protected: bool = False):
        super().__init__(by_target or {})
        self.protected = protected

    def of(self, target: str) -> Remedy:
        """The remedy of a file in the way of the copy to *target*."""
        return self.get(target) or in_the_way_remedy(protected=self.protected)


#: What to do about a copy of ours verified, then found another file (other content, size or
#: date) when its drive's copies were looked at again before its manifest
#: (``local_looked_again``, ``destinations/s3looked_again``): its record is revoked keeping
#: the entry it ended, so the next run refuses it as ``found_wrong_by_offload`` does and
#: ``--reverify`` reads it back and replaces it if it differs (a copy whose date alone
#: changed is found equal then, and kept); never --overwrite, which is for the whole run
#: and would replace too an earlier take's or another card's copy standing in its way (QA qawords67:
#: following --overwrite here replaced an earlier take's verified copy).
LOOKED_AGAIN_OTHER = (
    "run the same command again with --reverify, once you know what wrote there (--reverify "
    "reads it back and replaces it if it differs from the card's file, --keep-both keeps "
    "both; its ledger no longer vouches for it)"
)


def object_found_other(*, protected: bool = False) -> str:
    """What to do about a bucket's copy of ours verified, then found another object at its
    key when the bucket was listed again before its manifest (``destinations/
    s3looked_again``): the next run refuses it as a revoked copy (``revoked``: the object's
    ETag is no longer the entry's), whose remedy is this one's: ``--overwrite`` first, or,
    *protected* (a copy never to be overwritten stands in the run's way), never named first
    (QA qawords67: --overwrite, followed, replaced an earlier take's copy)."""
    return (
        f"run the same command again once you know what wrote there: {_any(protected)} "
        "(its ledger no longer vouches for it)"
    )


def found_wrong_by_check(*, protected: bool = False) -> str:
    """What to do about a file in the way that ``offload verify`` found wrong and whose
    ledger record it revoked, keeping the entry it ended (``Ledger.found_wrong_copy``): a
    copy of ours, which ``--reverify`` replaces (*protected*: --overwrite never named,
    ``_any``)."""
    return (
        "offload verify found the copy at this name wrong and revoked its record in this copy "
        "root's ledger: it is not the card's file; --reverify replaces it once the new copy "
        f"is verified{_LIKE_OVERWRITE[protected]}"
    )


def found_wrong_by_offload(*, protected: bool = False) -> str:
    """What to do about a file in the way, read back and found unlike the card's file now,
    whose ledger record an earlier offload revoked keeping the entry it ended
    (``Ledger.revoke``: its read-back found the copy wrong or could not read it, its
    cascade's re-read, its re-read after fusefat's renames or the cancel of that re-read):
    a copy of ours, which ``--reverify`` replaces (*protected*: as ``found_wrong_by_check``)."""
    return (
        "an earlier offload revoked its record of the copy at this name in this copy root's "
        "ledger (found wrong, unreadable, or not read again after fusefat's renames) and "
        "kept which copy it was: it is not the card's file; --reverify replaces it once the "
        f"new copy is verified{_LIKE_OVERWRITE[protected]}"
    )


# What ``found_wrong_by_check`` and ``found_wrong_by_offload`` add after --reverify: likened
# to --overwrite, or (a copy never to be overwritten in the run's way) that left unnamed.
_LIKE_OVERWRITE = {
    False: " (as --overwrite does), --keep-both keeps both",
    True: f", --keep-both keeps both ({_ALSO_REPLACES})",
}


def revoked(*, protected: bool = False) -> str:
    """What to do about a file in the way whose entry in the copy root's ledger an earlier
    run revoked (it, or an ``offload verify``, found that copy wrong after its read-back,
    was cancelled before it read it again after fusefat's renames, or never finished it):
    not the card's file, yet never replaced unasked, since the revoked line names the path
    alone and nothing proves the file there now is the copy it revoked."""
    return (
        "an earlier offload revoked the copy at this name (found wrong after it was verified "
        "or by offload verify, cancelled before its re-read after fusefat's renames, or never "
        f"finished): it is not the card's file; {_any(protected)}"
    )


# Another card's copy (or another file of this name, size and date: the card formatted and
# shot again) is offered no --overwrite: it would replace what may be that take's only copy
# left, the card it came from formatted since. The flag still does it, asked for.
_APART = "--into another folder keeps the two cards apart, --keep-both keeps both here"


# (--keep-both first: the usual wish is to keep the new take beside the old one.)
_EARLIER_APART = "--keep-both keeps both here, --into another folder keeps them apart"


def another_card() -> str:
    """What to do about a file in the way that the copy root's ledger records from another
    card (``ledger.same_card``), or of another file of its name, size and date: keep the
    cards apart, or both copies here; never ``--overwrite`` (``_APART``)."""
    return _APART


def another_card_many() -> str:
    """``another_card`` for several files."""
    return _APART


def one_file(targets: Iterable[str | None]) -> dict[str, Remedy]:
    """The refusal's remedy for each of *targets* of the one-file copy
    (``api.copy_with_multiple_destinations``, ``pfndispatchcopy``), which has ``--overwrite``
    and no ``--keep-both``: a ``CopyJob``'s ``remedies``."""
    return {
        target: Remedy(_OVERWRITE, Refusal.IN_THE_WAY) for target in targets if target is not None
    }


def many_in_the_way(
    ours: int,
    found: int,
    other_card: int = 0,
    revoked: int = 0,
    kept: int = 0,
    earlier: int = 0,
    damaged: int = 0,
    *,
    protected: bool = False,
) -> str:
    """``_many_in_the_way_but_earlier``, *earlier* of the *found* files copies an earlier
    offload made of card files of these names that the copy root's ledger vouches for
    (``earlier_copy``), *damaged* more such copies read back unlike their entries
    (``damaged_earlier``): said first, and where they are all of them, with no --overwrite
    offered; the others' words after them, never --overwrite offered either (it is for the
    whole run: it would replace those copies too). *protected*: a copy never to be
    overwritten stands in the way of a file of the run elsewhere (``holds_protected``):
    no --overwrite offered for any of these either."""
    protected = protected or bool(earlier or damaged or other_card)
    if not earlier and not damaged:
        return _many_in_the_way_but_earlier(ours, found, other_card, revoked, kept, protected)
    said = [_damaged_earlier_many(damaged, found)] if damaged else []
    if earlier:
        said.insert(0, _earlier_many(earlier, found))
    words = "; ".join(said)
    earlier += damaged
    if earlier >= found:
        return words
    if found - earlier == 1:
        # The one other file: one file's words (``in_the_way``), of its kind.
        ours_word = (
            "card"
            if other_card
            else ("revoked_kept" if kept else "revoked")
            if revoked
            else "size"
            if ours
            else ""
        )
        return f"{words}; for the other: {in_the_way(ours_word, protected=True)}"
    rest = _many_in_the_way_but_earlier(ours, found - earlier, other_card, revoked, kept, True)
    return f"{words}; for the others: {rest}"


def _earlier_many(earlier: int, found: int) -> str:
    """What ``many_in_the_way`` says of *earlier* of the *found* files in the way that are
    intact copies of earlier takes (``earlier_copy``)."""
    if earlier == 1 and found > 1:
        words = (
            "1 of them is recorded in this copy root's ledger as a copy an earlier offload made "
            "of a card file of its name, of another size or date than this card's file now "
            f"(changed since it was copied, or another take of the name): {_EARLIER_APART}"
        )
    else:
        some = "all are" if earlier == found else f"{earlier} of them are"
        words = (
            f"{some} recorded in this copy root's ledger as copies an earlier offload made of "
            "card files of these names, of another size or date than this card's files now "
            f"(changed since they were copied, or other takes of the names): {_EARLIER_APART}"
        )
    return words


def _many_in_the_way_but_earlier(
    ours: int,
    found: int,
    other_card: int = 0,
    revoked: int = 0,
    kept: int = 0,
    protected: bool = False,
) -> str:
    """What to do about *found* files in the way of one destination's copies, *ours* of
    them copies of ours whose size changed (``--reverify`` replaces those), *other_card*
    of them recorded in the copy root's ledger from another card (``another_card``),
    *revoked* of them copies an earlier run revoked (``revoked``: named so, with how many
    they are, whether or not other files are in the way too), *kept* of those revoked
    keeping the entry they ended (``Ledger.found_wrong_copy``: ``--reverify`` replaces
    them); *protected*: never --overwrite offered (``many_in_the_way``). *found* > 1: one
    file is ``in_the_way``'s."""
    words = _many_in_the_way(ours, found, other_card, protected)
    if not revoked:
        return words
    some = (
        ("both are copies" if found == 2 else f"all {found} are copies")
        if revoked == found
        else f"{revoked} of them {'is a copy' if revoked == 1 else 'are copies'}"
    )
    names, was, what = (
        ("its name", "it was", "the card's file")
        if revoked == 1
        else ("their names", "they were", "the card's files")
    )
    words = (
        f"{words}; {some} an earlier offload revoked at {names} (found wrong after {was} "
        "verified, cancelled before the re-read after fusefat's renames, or never finished): "
        f"not {what}"
    )
    if not kept:
        return words
    which = (
        ("its record kept: --reverify replaces it", "copy is")
        if revoked == 1
        else ("their records kept: --reverify replaces them", "copies are")
        if kept == revoked
        else ("1 with its record kept: --reverify replaces that one", "copy is")
        if kept == 1
        else (f"{kept} with their records kept: --reverify replaces those", "copies are")
    )
    return f"{words}, {which[0]} once the new {which[1]} verified"


def _many_in_the_way(ours: int, found: int, other_card: int, protected: bool = False) -> str:
    """``many_in_the_way`` but for the revoked copies among them."""
    if other_card:
        some = (
            "all are"
            if other_card == found
            else f"{other_card} of them {'is' if other_card == 1 else 'are'}"
        )
        # The others' words after, never --overwrite offered (it would replace the other
        # card's copy too), their count said where none is a copy of ours.
        others = (
            f"; {_many_in_the_way(ours, found, 0, True)}"
            if ours
            else f"; for the other {found - other_card}: {_any(True)}"
            if other_card < found
            else ""
        )
        return (
            f"{some} recorded in this copy root's ledger from another card: "
            f"{another_card_many()}{others}"
        )
    any_many = _any(protected, many=True)
    if not ours:
        return any_many
    if ours == found:
        subject = "both are" if found == 2 else f"all {found} are"
        return (
            f"{any_many}; {subject} copies of ours whose size changed since they were "
            "recorded in this copy root's ledger: --reverify replaces them"
        )
    copies, was, them = (
        ("is a copy", "it was", "it") if ours == 1 else ("are copies", "they were", "those")
    )
    return (
        f"{any_many}; {ours} of them {copies} of ours whose size changed since {was} "
        f"recorded in this copy root's ledger: --reverify replaces {them}"
    )
