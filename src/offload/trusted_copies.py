"""What a card file written to a destination must read as while another destination holds
a copy of it trusted from that one's ledger (verified earlier, not read back in this run).

A re-run writes a card file wherever its copy is missing (deleted, never written, in the
way and replaced) and trusts, on the other destinations, the copies their ledgers vouch for
(same name, size, date and fingerprint). No check reads the card file against those
entries, and its fingerprint reads 128 KiB at most: a card file changed in place since it
was copied (an edit with its date put back, bit rot, a bad reader) would be written to the
new destination and called verified beside a trusted copy of other bytes. So the plan
(``card._plan``) gives such a file's task the trusted copies' entries
(``FileTask.trusted``); the engine's read of the card file, the one that writes it, is
compared with them in a format the run computes (a trusted entry records each of the run's
formats: ``ledger.recorded_file``) before its copies are committed
(``engine.reader``), so no read and no bytes more. Unlike: the file fails on every
destination the job writes, nothing committed under a final name, the trusted copies kept
as they are (verified earlier). Trusted entries that disagree with each other fail the file
whatever it reads as. So too where an existing-copies check reads the card file instead (a
copy no ledger vouches for, read to be adopted; one of ours read again to be verified in
``full`` mode): ``existing.check_existing`` compares that read with the same entries
(``card_unlike``), and a copy of ours it reads back, its entry (``record_unlike``, no read
of the card needed): the copy it checks is neither adopted nor verified beside a trusted
copy of other bytes.

Never handed to a destination: a trusted entry is not the file's ``reference_digests``,
which a destination keeps with a partial copy (an S3 multipart upload's metadata) for a
later run to resume it by; what a run trusts is no part of what it resumes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from offload.hashing.registry import comparable_digest

if TYPE_CHECKING:
    from offload.ledger import LedgerEntry


class TrustedCopy:
    """One destination's copy of a card file trusted from its ledger: the entry that
    vouches for it and where it is (text). A plain class with slots, not a dataclass (one
    made at start-up costs ~0.5 ms: docs/performance.md, "Fixed cost: fourth pass")."""

    __slots__ = ("entry", "final_path")

    def __init__(self, entry: LedgerEntry, final_path: str) -> None:
        self.entry = entry
        self.final_path = final_path

    @property
    def digests(self) -> Mapping[str, str]:
        return self.entry.digests

    @property
    def when(self) -> str:
        """How and when its entry proved it ("verified on <date>": ``ledger.proven_when``)."""
        from offload.ledger import proven_when  # words made only for a file that failed

        return "".join(proven_when(self.entry))


class TrustedCopies:
    """The copies of one card file trusted on other destinations than those its task
    writes (one at least), in the destinations' order (a plain class: ``TrustedCopy``)."""

    __slots__ = ("copies",)

    def __init__(self, copies: tuple[TrustedCopy, ...]) -> None:
        self.copies = copies

    def unlike(self, path: str, digests: Mapping[str, str]) -> str | None:
        """Why the card file *path*, read now as *digests* (the run's formats), may not be
        written beside these copies, in one line, what to do included (the engine's read
        that writes it: ``engine.reader``); None when it reads as each of them."""
        why = self.card_unlike(path, digests)
        if why is None:
            return None
        from offload.existing import card_file_words  # only for a file that failed

        return card_file_words(why)

    def card_unlike(self, path: str, digests: Mapping[str, str]) -> str | None:
        """How the card file *path*, read now as *digests* (the run's formats), is unlike
        these copies, in words without what to do (``existing.card_unlike_words``' kind:
        what ``existing._card_changed`` takes, for a check of a copy on another destination
        that read the card file); None when it reads as each of them. Every entry shares a
        format with *digests*: a trusted entry records each of the run's formats
        (``ledger.recorded_entry``, which ``card._plan`` trusts by) and every read of the
        card file computes them all."""
        disagree = _disagreement([(copy.digests, copy.final_path) for copy in self.copies])
        if disagree:
            from offload.existing import records_disagree_words

            return records_disagree_words(path, disagree)
        for copy in self.copies:
            for name, then in copy.digests.items():
                now = digests.get(name)
                if now is not None and now != comparable_digest(name, then):
                    from offload.existing import record_unlike_words

                    what = record_unlike_words(path, name, now, then, copy.when, copy.entry.verify)
                    return f"{what}; the copy {copy.when} at {copy.final_path} is kept"
        return None

    def record_unlike(self, path: str, record: Mapping[str, str], final_path: str) -> str | None:
        """How the ledger entry *record* of the copy at *final_path* on another destination
        (one of ours a check reads back, ``existing._check_one``) disagrees with these
        copies' entries on a digest both record, in ``card_unlike``'s words; None where it
        does not. No read: two entries of one card file that differ cannot both vouch for
        it (the card changed between those offloads, or one read of it was wrong), whatever
        the card reads as now, or whether this run reads it."""
        disagree = _disagreement(
            [(record, final_path), *((copy.digests, copy.final_path) for copy in self.copies)]
        )
        if not disagree:
            return None
        from offload.existing import records_disagree_words

        return records_disagree_words(path, disagree)


def _disagreement(entries: Sequence[tuple[Mapping[str, str], str]]) -> str:
    """How two of *entries* (each a ledger entry's digests and where its copy is) disagree on
    a digest both record, in words; ""."""
    for i, (one, one_path) in enumerate(entries):
        for two, two_path in entries[i + 1 :]:
            for name, then in one.items():
                other = two.get(name)
                if other is not None and comparable_digest(name, other) != comparable_digest(
                    name, then
                ):
                    return f"{name} {then} recorded with {one_path}, {other} with {two_path}"
    return ""
