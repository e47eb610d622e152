"""What the upload records' code in ``s3`` (``S3Destination._drop_record``,
``_delete_record_object``) and ``s3copied`` (a copy of a record) share: whether a record
names an upload, and why a record is left where the service cannot delete on a condition.
Imports nothing of either, so both import it at their top."""

from __future__ import annotations

import json

#: Why a record (or a copy of one at a run's own record key) is left, not deleted, while
#: the upload it names may be in progress, on a service that cannot delete on a condition.
LEFT_WITHOUT_CONDITIONAL_DELETE = (
    "the service cannot delete on a condition (If-Match), the upload it names may still be "
    "in progress, and another run may have just stored its own record there"
)


def record_names(body: bytes, key: str, upload_id: str) -> bool:
    """Whether the record *body* (an upload record's JSON) names the upload *upload_id* of
    *key*. False for a body that is not such a record. Never raises."""
    try:
        found = json.loads(body)
    except ValueError:
        return False
    return (
        isinstance(found, dict) and found.get("key") == key and found.get("upload_id") == upload_id
    )
