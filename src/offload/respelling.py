"""The one rule that ties a recorded name to a file whose name is the same spelled otherwise.

A name with accents can be spelled composed (NFC) or decomposed (NFD, as macOS spells it);
Linux keeps the bytes it is given, so a record made on one system and a tree listed on the
other spell one name two ways, and a Linux folder can hold both spellings as two files
("twins": ``café.mov`` composed and ``café.mov`` decomposed).

Contract (:func:`respelled_pairs`): a record is tied to a file of another spelling only
when neither has an exact counterpart: the record's own spelling names no file, the file's
own spelling is no record, and the two are the same once composed. An exact match always
wins; a record whose twin is recorded in its own right is never tied to that twin, so a
record of one twin whose file is gone is missing, never checked against the other twin's
bytes. Where two records or two files of one composed name are left over, which goes with
which is not known: none is tied (each record missing, each file new). ASCII names are
never respelled.

One exception, for an ASC MHL history, whose generations say which names were two
files: a file renamed to its other spelling after it was recorded (a copy moved through a
Mac) and recorded again under its new one (``offload verify --append``, or the copy of a
card whose history spells it otherwise) has both spellings recorded, yet no generation
records the two together; its file is tied to the record of its old spelling too, and
read against both (``manifest.verify``; the card's check: ``card_history``). Twins are
recorded together by the generation that found them both: never tied; nor are two records
whose digests differ in a format both hold (a clip lost, another recorded under the other
spelling since: the lost one's record is missing).

A tree's legacy MHLs, merged, take the same exception more strictly
(``card_legacy_mhl._TwoFiles``): each MHL lists one spelling of a file, so two records of a
name's spellings are one file only where they are in two MHLs and agree, the same size and
an equal digest in a format both hold; one MHL listing both is two files, twins.

The card's ASC MHL history (``card_history``), its legacy MHLs (``card_legacy_mhl``),
``offload verify`` against a history, a folder's record, a legacy MHL and the ledger
(``manifest.verify``, ``verification``) all use it. Cost: one look-up per recorded name;
where a non-ASCII record names no file, a composition of each such record, one
``isascii`` per name and a composition per non-ASCII name not itself recorded (with
*twins*: per non-ASCII name); nothing is composed otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable


def respelled_pairs(
    recorded: Collection[str],
    names: Collection[str],
    *,
    twins: Callable[[str, str], bool] | None = None,
) -> dict[str, str]:
    """``{name: record}``: each name of *names* (the files, or entries, there: a set or
    other collection with a fast ``in``) tied to a record of *recorded* (the same) that is
    the same once both are composed (NFC), where the record names no file of *names* as
    it is, the name is no record as it is, and no other such record or name shares their
    composed form (the module's rule). Empty where every record is ASCII or on disk.

    *twins* (an ASC MHL history's ``History.two_files``): a name recorded as it is may be
    tied too, to a record of its other spelling where ``twins(record, name)`` says they
    are not two files (the file renamed since, then recorded again under its new spelling:
    no generation records both, their digests agree: the module's doc)."""
    from unicodedata import normalize  # here: a card of ASCII names never loads it

    # Composed form → the one record of it that names no file; doubled: two such, none tied.
    absent, doubled = _by_composed_form(recorded, lambda record: record not in names)
    if not absent:
        return {}
    found: dict[str, str | None] = {}  # composed form → the one name of it; None: two
    for name in names:
        if name.isascii():
            continue
        apart = None  # a recorded name: whether it and a record of its other spelling are two
        if name in recorded:
            if twins is None:
                continue  # its own record wins: nothing says it was renamed
            apart = twins
        composed = normalize("NFC", name)
        other = absent.get(composed)
        if other is None or composed in doubled:
            continue
        if apart is not None and apart(other, name):
            continue  # a twin recorded beside it, or a record unlike its: two files
        found[composed] = name if composed not in found else None
    return {name: absent[composed] for composed, name in found.items() if name is not None}


def _by_composed_form(
    recorded: Iterable[str], kept: Callable[[str], bool]
) -> tuple[dict[str, str], set[str]]:
    """The non-ASCII records of *recorded* that *kept* keeps, by their composed form (NFC),
    and the composed forms two of them share (neither is tied to another spelling: which
    goes with which is not known). The one index of :func:`respelled_pairs` and
    :class:`RecordOfSpelling`."""
    from unicodedata import normalize

    by_form: dict[str, str] = {}
    doubled: set[str] = set()
    for record in recorded:
        if not record.isascii() and kept(record):
            composed = normalize("NFC", record)
            if composed in by_form:
                doubled.add(composed)
            else:
                by_form[composed] = record
    return by_form, doubled


class RecordOfSpelling:
    """The module's rule asked one name at a time, where the names there are not listed
    ahead (``own_record``: the check's hasher meets each file as it reads it): the record of
    a name is its own spelling's, else the one record of its other spelling (the same once
    composed, NFC; none where two records share that form) whose own spelling names no file
    (*names_no_file*, asked then: ``os.path.lexists`` on the copy), else none. ASCII names
    are never respelled; the index is made at the first non-ASCII name not recorded as it
    is."""

    def __init__(self, recorded: Collection[str], names_no_file: Callable[[str], bool]) -> None:
        self._recorded = recorded
        self._names_no_file = names_no_file
        self._by_form: dict[str, str] | None = None
        self._doubled: set[str] = set()

    def record_of(self, name: str) -> str | None:
        """The record *name* (as it stands) is read against, by the rule above; None for
        none."""
        if name in self._recorded:
            return name
        if name.isascii():
            return None
        from unicodedata import normalize

        if self._by_form is None:
            self._by_form, self._doubled = _by_composed_form(self._recorded, lambda _: True)
        composed = normalize("NFC", name)
        other = self._by_form.get(composed)
        if other is None or composed in self._doubled or not self._names_no_file(other):
            return None
        return other


def spelled_as_listed(
    recorded: Collection[str],
    names: Collection[str],
    *,
    twins: Callable[[str, str], bool] | None = None,
) -> Callable[[str], str]:
    """A function giving each path of *recorded* as *names* spell it: the name
    :func:`respelled_pairs` ties it to, else itself (any other path: itself)."""
    pairs = respelled_pairs(recorded, names, twins=twins)
    if not pairs:
        return str
    as_listed = {record: name for name, record in pairs.items()}
    return lambda path: as_listed.get(path, path)
