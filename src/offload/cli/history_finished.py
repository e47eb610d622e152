"""Whether a later offload finished what a run that never ended left undone, for
``offload history`` (``history_cmd._followed``).

Why: a run killed mid-copy (SIGKILL, a power cut) leaves its start record
(``report/started.py``), listed ``unfinished`` with the advice to run the same offload
again. Once that re-run has copied every card file, the killed run's copy is whole; listed
``unfinished`` for ever after, it read as work still open, and a DIT scanning a week's
history could no longer tell the runs still to deal with from those dealt with.

Contract:

* :func:`complete_on` reads one job report (the JSON ``offload copy`` writes, valid in
  shape: ``report.validate.job_report_problem`` is None) and returns the destinations on
  which that run left the card's copy whole, each by its copy root (``copy_root``: the
  card's folder there, ``--into`` or not; never the destination as given, which with and
  without ``--into`` names two copy roots). Whole there means
  the run reached its end (not ``cancelled``, not stopped: exit code other than 130), the
  destination was not lost, no file of the card failed or was cancelled there (nor a link
  of the card), no file of the card could not be read, and each of the card's files
  (``totals.files``) has a copy there the run verified now, trusted as verified earlier,
  or transfer-checked (the three states of a copy that is there: the report's counters,
  ``files_verified``, ``files_verified_earlier``, ``files_transfer_checked``). A report
  lacking any of these (an older version's, or edited) leaves nothing whole: no claim.
* :func:`left_out` reads the entries of the card that job report's run left out (its
  ``ignored`` list, each with whether it is a folder), and :func:`covers` says whether a
  start record's rules (its ``ignore_patterns``) leave out every one of them too. Why:
  that report's "every card file" is every file *its* ignore rules kept; the killed run
  had its own (``--ignore``, ``--no-default-ignore``), so a file the later run left out
  (``--ignore '*.wav'``) may be one the killed run was to copy, and no copy of it is
  there. No claim where it cannot tell: a record of an earlier version (no
  ``ignore_patterns``) and a report that left anything out, a list that does not match
  its count (``totals.ignored``), a pattern that does not read.
* :func:`same_card` says whether a start record's card and a job report's may be the same
  card: the identity each states (``CardIdentity.key``) equal, or the record's unknown
  (a record of an earlier version, which stated none: the source path alone then, as
  before). Two cards mounted at one path one after the other are two cards.
* Pure functions of the parsed JSON: no I/O, no claim of any copy beyond what the later
  report states (``offload history`` names that report and its own result beside it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: The state ``offload history`` gives a start record whose run never ended but whose copy a
#: later offload of the same card to the same destinations finished (``history_cmd``).
FINISHED_LATER = "finished_later"

#: The report's per-destination counters of copies that are there, as their states say.
_THERE = ("files_verified", "files_verified_earlier", "files_transfer_checked")
#: And of what is not: any of them not 0 leaves the destination not whole.
_NOT_THERE = ("files_failed", "files_cancelled", "symlinks_failed")


def complete_on(data: Mapping[str, Any]) -> frozenset[str]:
    """The copy roots on which the job report *data* left the card's copy whole (module
    doc); empty where none or where it cannot tell."""
    if data.get("cancelled") is not False or data.get("exit_code") == 130:
        return frozenset()
    totals = data.get("totals")
    if not isinstance(totals, dict):
        return frozenset()
    files = totals.get("files")
    if not _count(files):
        return frozenset()
    if any(isinstance(f, dict) and f.get("source_error") for f in data.get("files") or []):
        return frozenset()
    whole: set[str] = set()
    for destination in data.get("destinations") or []:
        if not isinstance(destination, dict) or destination.get("lost") is not False:
            continue
        there = [destination.get(key) for key in _THERE]
        missing = [destination.get(key) for key in _NOT_THERE]
        if not all(_count(n) for n in (*there, *missing)):
            continue
        if any(missing) or sum(n for n in there if isinstance(n, int)) != files:
            continue
        root = destination.get("copy_root")
        if isinstance(root, str) and root:
            whole.add(root)
    return frozenset(whole)


def left_out(data: Mapping[str, Any]) -> tuple[tuple[str, bool], ...] | None:
    """The entries the job report *data*'s run left out of the card (module doc): each
    path relative to the card, and whether it is a folder (``kind`` "folder"); None where
    the report does not say them whole (no list, an entry without its path, or a list
    that does not match ``totals.ignored``)."""
    entries = data.get("ignored")
    totals = data.get("totals")
    count = totals.get("ignored") if isinstance(totals, dict) else None
    if not isinstance(entries, list) or not _count(count) or len(entries) != count:
        return None
    found: list[tuple[str, bool]] = []
    for entry in entries:
        path = entry.get("path") if isinstance(entry, dict) else None
        if not isinstance(path, str) or not path:
            return None
        found.append((path, entry.get("kind") == "folder"))
    return tuple(found)


def covers(patterns: object, left: tuple[tuple[str, bool], ...] | None) -> bool:
    """Whether a start record's *patterns* (its ``ignore_patterns``; None in a record of
    an earlier version) leave out every entry a later run left out (*left*, ``left_out``;
    None: not known) (module doc). True where that run left nothing out."""
    if left is not None and not left:
        return True
    if left is None or not isinstance(patterns, list):
        return False
    if not all(isinstance(p, str) for p in patterns):
        return False
    from offload.plan.ignore import IgnoreRules

    try:
        rules = IgnoreRules(tuple(patterns))
    except ValueError:  # a pattern that does not read: an edited record
        return False
    return all(rules.excludes(path, is_dir=folder) for path, folder in left)


def same_card(record_card: object, report_card: object) -> bool:
    """Whether the card a start record states (*record_card*: its ``card``, the identity's
    key, "" unknown; None in a record of an earlier version) may be the job report's
    (*report_card*: its ``card`` object, null unknown): module doc."""
    if not isinstance(record_card, str):
        return True  # an earlier version's record: its source path alone, as before
    key = report_card.get("key") if isinstance(report_card, dict) else ""
    return record_card == (key if isinstance(key, str) else "")


def _count(value: object) -> bool:
    """Whether *value* is a count: an int (never a bool) of 0 or more."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
