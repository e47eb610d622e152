"""A bucket in another region than the one its requests go to, in one place: the preflight's
refusal (``s3preflight``) and a request of the run (``s3.os_error``: a 301 mid-run, after
the preflight passed) tell it by the same answers and say it in the same words.

Contract: ``bucket_region(exc, code, status, signed)`` is the bucket's region an answer to a
request sent to, or signed for, another region names, else None. ``wrong_region(bucket,
region, said, operation, endpoint, named)`` is what to do, without the tail ("and run the
same command again"; each caller adds its own): give that region's endpoint and set
AWS_REGION (*endpoint*: an endpoint was given, which is what is wrong; *named*, the endpoint
the service names, if any), or set AWS_REGION alone. Pure."""

from __future__ import annotations

from typing import Any

#: The answers of a request sent to (or signed for) another region than the bucket's:
#: 301 PermanentRedirect (AWS, Wasabi), 400 AuthorizationHeaderMalformed (the signature's
#: region wrong), 400 IllegalLocationConstraintException; a HEAD's have no body (no code:
#: its status only).
WRONG_REGION = frozenset(
    {"PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException"}
)


def bucket_region(exc: BaseException, code: str, status: int, signed: str | None) -> str | None:
    """The bucket's region an answer to a request sent to, or signed for, another region
    names: the header ``x-amz-bucket-region`` or the error's ``Region``, on a
    ``WRONG_REGION`` code or a 301; on a 400 with no code (a HEAD's) only where that region
    is not *signed* (the client's; None: not known, so never): AWS puts the header on a HEAD
    refused for an expired token too. Else None: a 400 ExpiredToken or InvalidRequest
    carrying the header is no question of region."""
    no_code = code in ("", str(status))
    coded = code in WRONG_REGION or status == 301
    if not (coded or (status == 400 and no_code and signed is not None)):
        return None
    response: Any = getattr(exc, "response", None) or {}
    headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {}) or {}
    region = headers.get("x-amz-bucket-region") or response.get("Error", {}).get("Region")
    if not region or (not coded and region == signed):
        return None
    return str(region)


def named_endpoint(exc: BaseException) -> str:
    """The endpoint a PermanentRedirect's body names (``Endpoint``), else ""."""
    response: Any = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Endpoint", "") or "").strip()


def wrong_region(
    bucket: str, region: str, said: str, operation: str, *, endpoint: bool, named: str = ""
) -> str:
    """What happened and what to do (module docstring), without the tail."""
    if endpoint:
        # botocore has already asked again itself, signed for *region* (its S3 region
        # redirector): what is left wrong is where it asks, the endpoint given.
        hint = f" (the service names {named})" if named else ""
        return (
            f"bucket {bucket!r} is in region {region!r}, which this endpoint does not serve "
            f"({said} on {operation}); give region {region}'s endpoint{hint} (--s3-endpoint, "
            f"AWS_ENDPOINT_URL, or the profile's endpoint_url) and set AWS_REGION={region} (or "
            "the profile's region)"
        )
    return (
        f"bucket {bucket!r} is in region {region!r} ({said} on {operation}); set "
        f"AWS_REGION={region} (or the profile's region)"
    )


__all__ = ["WRONG_REGION", "bucket_region", "named_endpoint", "wrong_region"]
