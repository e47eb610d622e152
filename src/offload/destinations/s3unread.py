"""The one line of a copy root's records on S3 that cannot be read: its ledger before a
copy (``card._load_ledger``), its ASC MHL history and ledger before a check (``offload
verify``, ``s3verify``).

Contract: ``records_unread`` words it, whoever asks, as ``cannot read <records>: <the
store's error>: <what to do>; <outcome>``. The store's error (``s3.os_error``'s, through
``describe_os_error``) names the object that failed by its ``s3://bucket/key`` URL, the
endpoint (redacted) and the service's error code and words (``AccessDenied ...``,
``InternalError ...``; no secret: ``os_error`` redacts its words); what to do is
``s3.get_advice``'s, the one advice of a GET that failed without saying anything of the
object's bytes (the same as ``s3.get_refused``'s for an object the listing shows): the
credentials that may list it but not read it (where they came from, when known), and to
run again with credentials that may (with the documentation's section); an archived
object to restore; to run again once the service answers when it kept failing or could not
be reached; the bucket gone (the service answered NoSuchBucket, ``s3.bucket_gone``, which
the store's error says) to check the bucket's name, named, in the URL and the endpoint,
then run again; else (a request refused for another reason: ``get_advice`` None)
to check the bucket, the endpoint and the network, then run again. Pure; never raises. The
exit code is the caller's (a copy's 64; a check's 64 for a refusal, 11 when the service
failed: the check cannot be complete).
"""

from __future__ import annotations

from typing import Any

from offload.destinations.s3 import bucket_gone, get_advice, get_failure
from offload.destinations.s3config import credential_source
from offload.destinations.s3url import shown
from offload.errors import describe_os_error

#: Where a refused read's permissions are documented, after its advice.
PERMISSIONS = "(docs/s3.md, Permissions)"


def records_unread(
    exc: OSError,
    records: str,
    *,
    client: Any,
    bucket: str,
    again: str,
    then: str,
    outcome: str,
) -> str:
    """The line (the module's contract) of *records* (the words naming them with their
    URL: "the ledger s3://...", "the records of s3://... (its ASC MHL history and
    ledger)") in *bucket* whose read failed with *exc*; *client*: the store's (where its
    credentials came from, ``credential_source``); *again*, *then*: how the caller's
    command is run again (``get_advice``); *outcome*: what came of it ("nothing was
    copied")."""
    source = credential_source(client)
    credentials = f"the credentials (they came from {source})" if source else "the credentials"
    advice = get_advice(exc, again=again, then=then, credentials=credentials)
    if bucket_gone(exc):
        # The service answered NoSuchBucket, which the store's error says (``os_error``):
        # deleted since the run began, or another bucket than the one meant (a mistyped
        # URL or endpoint, a service or proxy that answers so). Never "no records there".
        advice = (
            f"check the bucket name '{bucket}' in the URL and the endpoint (--s3-endpoint, "
            f"AWS_ENDPOINT_URL, or the profile's endpoint_url), then {again}"
        )
    elif advice is None:
        # The service answered, or none could be reached: a request it refused for
        # another reason (a 400), a name that does not resolve.
        advice = f"check the bucket, the endpoint and the network, then {again}"
    elif get_failure(exc) == "refused":
        # A refusal of these credentials (not an archived object's, also a 403): the
        # permissions it needs are documented.
        advice += f" {PERMISSIONS}"
    return f"cannot read {records}: {shown(describe_os_error(exc))}: {advice}; {outcome}"


__all__ = ["PERMISSIONS", "records_unread"]
