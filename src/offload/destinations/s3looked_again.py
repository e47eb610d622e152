"""A bucket's copies looked at again before its manifest is stored there.

An object can be deleted or written over between its read-back and the run's end (a user's
``aws s3 rm``, a lifecycle rule, a service restarted empty): a cascade's slow bucket is
fed for minutes after its first copies were read back, and its manifest, stored last, would
list a copy no longer there as verified. So before the manifests of every S3 destination
(fast, slow, or a plain run's: the same lie in each), one listing of its copy root (a
request a thousand keys; ``s3card.changed_since_verified``, the cascade's end check of its
fast buckets, a HEAD a key it does not show as expected) finds each copy the report still
calls good that is gone or another object now: it is failed, its ledger entry revoked, and
the manifest leaves it out. A service that does not answer claims nothing either way.

The same listing tells whether the objects this run stored in the copy root's ledger are
still there (one it does not show asked for by its own HEAD; ``S3Backend.ledger_lost``:
the manifest step's words then never say the ledger records what this run proved) and,
where it does not show the lock this run holds, reads the lock back
(``S3CopyRootLock.found_deleted``): a lock deleted (a service that lost its state) is
``lost`` at once, so the manifest is not stored in its name.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import TYPE_CHECKING

from offload.destinations.s3ledger import S3Ledger
from offload.destinations.s3lock import held_lock
from offload.destinations.s3url import display_path
from offload.events import EventSink, FileFailed
from offload.remedies import object_found_other
from offload.results import GOOD_STATUSES, DestinationStatus, was_proved

if TYPE_CHECKING:
    from offload.card import OffloadPlan, OffloadReport
    from offload.destinations.s3backend import S3Backend

_NO_LONGER_VOUCHES = "its ledger no longer vouches for it"
# What mends a copy found so: gone, nothing to replace (the same command copies it anew);
# another object at its key, which the same command refuses as a revoked copy
# (``remedies.object_found_other``).
_GONE = f"run the same command again to copy it anew ({_NO_LONGER_VOUCHES})"
_WHEN = "when the bucket's copies were looked at again before its manifest was stored"


def _gone(backend: S3Backend, key: str) -> bool:
    """Whether the object at *key*, which a listing did not show, is gone: asked by its own
    HEAD (a listing only spares requests, never claims more than a HEAD would); the
    service failing claims nothing (False)."""
    try:
        return backend.store.stat_key(key) is None
    except OSError:
        return False


def fail_changed(
    plan: OffloadPlan, report: OffloadReport, indexes: AbstractSet[int], sink: EventSink
) -> None:
    """Look at the copies of each S3 destination of *indexes* (not lost) again, as the
    module says: each found gone or another object is failed on its destination (its
    ``FileFailed`` after its ``FileVerified``), revoked from its ledger (a revocation that
    cannot be stored: the destination's ``manifest`` step error, as
    ``card._fail_found_wrong`` says it), and the destinations' counts made again. Never
    raises for the service."""
    from offload.card import found_protected
    from offload.destinations import s3card

    changed = False
    # A copy never to be overwritten in the run (``remedies.object_found_other``'s words):
    # as the read-back found it, with the run's refusals, not the plan's guess.
    protected = found_protected(
        plan.in_the_way.values(),
        (r.refusal for file in report.job.files for r in file.destinations),
    )
    for index in sorted(indexes):
        backend = plan.backends.get(index)
        ledger = plan.ledgers[index] if 0 <= index < len(plan.ledgers) else None
        if backend is None or backend.lost is not None or not isinstance(ledger, S3Ledger):
            continue
        copies: list[tuple[str, Path, int]] = []
        results = {}
        for file in report.job.files:
            result = file.destination(index)
            if result is None or result.status not in GOOD_STATUSES or not result.final_path:
                continue
            copies.append((file.relative_path, Path(result.final_path), file.size_bytes))
            results[file.relative_path] = result
        try:
            lock = held_lock(backend.store, backend.key(ledger.copy_root))
        except OSError:
            lock = None
        recorded = list(ledger.stored)
        unlisted = set(recorded)
        if lock is not None and lock.held:
            unlisted.add(lock.key)
        found = s3card.changed_since_verified(backend, ledger, copies, unlisted=unlisted)
        if lock is not None and lock.key in unlisted:
            lock.found_deleted()
        backend.ledger_lost = sum(key in unlisted and _gone(backend, key) for key in recorded)
        revoke: list[str] = []
        for relative, (what, gone) in (found or {}).items():
            result = results[relative]
            error = (
                f"{relative}: the copy {display_path(Path(result.final_path or ''))} "
                f"{was_proved(result.status)}, then found {what} {_WHEN}; "
                f"{_GONE if gone else object_found_other(protected=protected)}"
            )
            result.status = DestinationStatus.FAILED
            result.verified_at = result.verified_mode = None  # nothing stands proved
            result.error = error
            revoke.append(relative)
            sink.emit(FileFailed(index, relative, error))
            changed = True
        if revoke:
            try:
                ledger.revoke(dict.fromkeys(revoke, ledger.card))
            except OSError as exc:
                from offload.errors import describe_os_error

                for relative in revoke:  # its ledger still vouches: never said otherwise
                    result = results[relative]
                    result.error = (result.error or "").replace(
                        _NO_LONGER_VOUCHES, "its ledger could not be told: --reverify reads it"
                    )
                report.destination_error(
                    index,
                    f"cannot revoke the ledger entries of the copies found gone or changed "
                    f"there ({describe_os_error(exc)}): the next offload copy may trust them",
                    "manifest",
                )
    if changed:
        for summary in report.job.destinations:
            summary.count(report.job.files)
