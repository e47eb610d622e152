"""The reports' ``left_behind``: the objects, versions and unfinished multipart uploads on S3
that a run (or an earlier one, met by its sweep) left and that it meant to delete or abort,
and may have left in the bucket (``destinations.s3card.left_behind_entries`` makes each
entry; this module, free of boto3, shapes the list for the job report and the verify report).

Contract (docs/json.md): ``{"count": N, "objects": [...], "all_listed": bool}``; ``count``
is every one of them, ``objects`` the first ``LEFT_LISTED`` in the order the run met them,
``all_listed`` false when ``objects`` holds fewer than ``count`` (a card of tens of thousands
of files, none of whose versions the service let us delete, would otherwise make a report
of megabytes of them). No entry claims a state for any copy: each file's is in the report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

#: How many objects ``left_behind`` lists one by one (its ``count`` counts them all).
LEFT_LISTED = 1000


def left_behind_json(entries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """*entries* (each one object, version or unfinished upload) as the reports'
    ``left_behind``."""
    return {
        "count": len(entries),
        "objects": [dict(entry) for entry in entries[:LEFT_LISTED]],
        "all_listed": len(entries) <= LEFT_LISTED,
    }


__all__ = ["LEFT_LISTED", "left_behind_json"]
