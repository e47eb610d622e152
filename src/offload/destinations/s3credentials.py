"""Which S3 answers refuse the credentials themselves, in one place: the preflight's
refusal (``s3preflight``) and a request of the run (``s3.os_error``) classify them by the
same codes, and say a session token that expired in the same words.

Contract: ``refused_credentials(code, status)`` is ``"token"`` for a request signed with a
session token that expired or that the service does not know (``TOKEN_REFUSED``: AWS,
MinIO, Ceph and moto spell them so), ``"denied"`` for credentials or a signature refused
(AccessDenied, InvalidAccessKeyId, SignatureDoesNotMatch, any 401 or 403), else None.
``TOKEN_EXPIRED`` and ``TOKEN_ADVICE`` are the words of the first: what happened and what
to do. ``unrenewed(exc)`` is the words of credentials botocore could not get or renew (an
``aws sso login`` session or a ``credential_process`` failing mid-run: no answer of the
service, no ClientError), else None. Pure; imports nothing (``errors`` reads the words)."""

from __future__ import annotations

from typing import Literal

#: The error codes S3 services give a request signed with a session token that expired or
#: that the service does not know (AWS, MinIO, Ceph and moto spell them so). Not
#: RequestExpired: S3's answer to a request signed too long ago (a presigned URL, a clock
#: far off), which new credentials would not mend.
TOKEN_REFUSED = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidToken",
        "TokenRefreshRequired",
    }
)

#: The codes of credentials, or of a signature made with them, that the service refused.
CREDENTIALS_DENIED = frozenset({"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"})

#: What a refused session token means, and what to do (the run then resumes or retries).
TOKEN_EXPIRED = (
    "the session token (AWS_SESSION_TOKEN, or the profile's) has expired or is not valid"
)
TOKEN_ADVICE = "get new temporary credentials (aws sso login, a new assumed role or session token)"
#: How ``offload verify``'s reason of an object not read after the session token was refused
#: to another begins (``s3verify._get_failed_reasons``): the terminal says them all in one
#: line (``cli.verify_cmd``). Here: the command reads it without loading the S3 modules.
TOKEN_REFUSED_BEFORE = "not read: the session token was refused to the GET of "


def refused_credentials(code: str, status: int) -> Literal["token", "denied"] | None:
    """How an S3 error answer (its *code* and HTTP *status*) refused the credentials, if
    it did (module docstring)."""
    if code in TOKEN_REFUSED:
        return "token"
    if code in CREDENTIALS_DENIED or code in ("401", "403") or status in (401, 403):
        return "denied"
    return None


#: botocore's exceptions for credentials it could not get or renew (by name: this module
#: imports nothing): a ``credential_process`` failing, an SSO token expired or unreadable.
UNRENEWED = frozenset(
    {
        "CredentialRetrievalError",
        "TokenRetrievalError",
        "UnauthorizedSSOTokenError",
        "SSOTokenLoadError",
    }
)


def unrenewed(exc: BaseException) -> str | None:
    """What *exc* says, on one line, if it is one of ``UNRENEWED`` (or a subclass), with
    what happened: "the credentials could not be got or renewed (<its words>)"; else
    None. Its words name the provider (custom-process, sso), never a secret."""
    if not any(cls.__name__ in UNRENEWED for cls in type(exc).__mro__):
        return None
    words = " ".join(str(exc).split()) or type(exc).__name__
    return f"the credentials could not be got or renewed ({words})"


__all__ = [
    "CREDENTIALS_DENIED",
    "TOKEN_ADVICE",
    "TOKEN_EXPIRED",
    "TOKEN_REFUSED",
    "UNRENEWED",
    "refused_credentials",
    "unrenewed",
]
