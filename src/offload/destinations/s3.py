"""S3-compatible object storage as a destination (AWS S3, MinIO, Backblaze B2, Wasabi, R2...).

An upload (``S3Upload``) goes straight to the object's final key and becomes visible only when
it is complete: a file up to ``single_put_max`` bytes in one PutObject, a larger one as a
multipart upload whose CompleteMultipartUpload is the atomic publish (S3 has no rename). There
is never a partial object under any name.

Integrity, end to end:

* every request that carries data carries a checksum of it that the service checks before it
  stores anything (``x-amz-checksum-crc32`` by default; SHA256, CRC32C or Content-MD5 on
  request); a part the service refuses for a bad checksum is sent again (``part_attempts``),
  and CompleteMultipartUpload lists every part's checksum, which the service checks again.
* the object is read back with a streamed GET and hashed with the caller's algorithms
  (``read_back``, or ``open_read_back`` for the engine's own hashing): the ``destination`` and
  ``full`` verification modes. ``transfer`` mode relies on the part checksums only.
* nothing is overwritten: the upload completes with ``If-None-Match: *`` (the service refuses
  it with 412 if the key exists, atomically). A service that ignores the header or answers
  501 is found by the preflight's probe (``s3preflight``) and refused, unless the HEAD check
  was asked for (``S3Settings.head_check``): a HEAD just before completing, racy
  (``conditional_create`` False, named in a warning); a 501 the probe did not see to a
  PutObject turns it False when it comes (``put_refused``: writes "only over that object",
  If-Match, keep their condition); one to a CompleteMultipartUpload's condition turns
  completions alone with that condition to the HEAD check (``complete_refused``); both are
  said in the report's notes.
* the digests of the whole file go into the object's metadata
  (``x-amz-meta-offload-<algorithm>``): given up front (a cascade, a card's ASC MHL or legacy
  MHL), they are the upload's metadata from its start, and those ``hashed`` adds (the run's
  own algorithms) join them as below; given as ``hashed`` (a direct copy from the card: they
  are known only once the file was read), a PutObject waits for them before it is sent (no
  extra request), and a multipart object, whose metadata is fixed at its creation, is copied
  onto itself with them once complete (``_store_digests``: server-side, pinned to the
  completed ETag; not when every one was given up front); the object that results is the
  one read back.

Resume: a multipart upload in progress is recorded in a small JSON object under
``<prefix>/.offload/uploads/`` (S3 cannot return the metadata of an unfinished upload, so this
record is our marker). A later upload of the same key and size finds it, lists the parts
already on the service, and as the source is streamed again skips every part whose checksum
(the service's CRC32/SHA256, else its MD5 ETag) matches the source's bytes; the rest are sent.
Uploads we recorded that cannot be resumed are aborted (``abort_abandoned``). Another run's
record is touched only when that run cannot be writing it (``S3Destination.may_take_over``:
no live lock at or above the key its upload ends at, a staged upload's final key, names that
run, ``s3lock.live_tokens_above``, and this run holds the copy root's lock, ``s3lock``; or
that run is gone; or it is old); a run resuming it first stores the record again naming
itself (``adopt_record``). The records' sweep aborts an upload once its record is old, or
at once when its maker is provably gone (this host's process space, its pid gone or
reused) and no other run's live lock lies above its key (``_dead_and_unlocked``); never
through a copy of a record (``copied_record``: a copied ``.offload`` folder) while the
real record may govern its upload: the sweep deletes the copy, leaving the upload to the
real record, or, that record gone (a prefix moved), to the same rules, naming what they
keep (``s3copied``). A staged
upload that may not take a live run's staging key over uploads to a staging key of its own:
two live runs never share an upload.

Memory is bounded: a destination has ``parallel_parts + 1`` part buffers (one being filled,
the others in flight on a bounded executor); a writer that needs a buffer waits for a part to
finish.

Errors are raised as ``OSError`` with an errno the engine scopes (``destination_io_error``):
the service unreachable after botocore's retries is ENOTCONN, ECONNREFUSED where the endpoint
refused the connection (the destination is lost either way), an
existing key EEXIST, a refused credential EACCES... Messages name the ``s3://`` URL and never
hold a credential.
"""

from __future__ import annotations

import errno
import hashlib
import json
import math
import mimetypes
import re
import secrets
import threading
import time
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import xxhash

from offload.destinations.s3body import PartStopped, StoppableBody
from offload.destinations.s3config import (
    S3Settings,
    checksum_function,
    make_client,
    one_attempt_client,
    part_size_for,
    redact_endpoint,
    redact_secrets,
    require_boto3,
)
from offload.destinations.s3copied import sweep_copy
from offload.destinations.s3credentials import (
    TOKEN_ADVICE,
    TOKEN_EXPIRED,
    refused_credentials,
    unrenewed,
)
from offload.destinations.s3records import LEFT_WITHOUT_CONDITIONAL_DELETE, record_names
from offload.destinations.s3region import bucket_region, named_endpoint, wrong_region
from offload.destinations.s3token_latch import TokenLatch
from offload.destinations.s3unreachable import (
    NotSent,
    UnreachableLatch,
    unanswered,
    unreachable,
)
from offload.destinations.s3url import MAX_KEY_BYTES, S3Url, keep_both_key, key_bytes
from offload.engine.cancel import CANCEL_POLL_S
from offload.hashing.multihasher import MultiHasher
from offload.interruptible import signals_unblocked
from offload.json_text import STRICT

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

STATE_PREFIX = ".offload"
UPLOADS_FOLDER = f"{STATE_PREFIX}/uploads"
# Where a replacement is uploaded and verified before it is copied over the object it replaces
# (S3 has no rename): ``<prefix>/.offload/staging/<sha256 of the final key>``. Our state, like
# the upload records: never card content, never listed, verified or put in a manifest.
STAGING_FOLDER = f"{STATE_PREFIX}/staging"
MARKER_KEY = "offload-upload"  # object metadata: the run that uploaded it
_RUN_TOKEN = secrets.token_hex(8)
_CHECKSUM_REFUSED = frozenset(
    {"BadDigest", "InvalidDigest", "XAmzContentChecksumMismatch", "InvalidChecksum"}
)
_GET_CHUNK = 1024 * 1024
# A condition's boto3 parameter -> its header (``S3Destination.complete_refused``).
_CONDITION_HEADERS = {"IfNoneMatch": "If-None-Match", "IfMatch": "If-Match"}
# A clean-up after a cancel or a failure (``take_back``) waits at most this long in all, its
# requests on a client of short timeouts and one retry (``max_attempts`` counts the retries
# after the first attempt: two attempts, so a pooled connection the service closed is sent
# again at once; the budget, not the attempts, bounds the wait): a service that stopped
# answering must not hold a cancelled run for the read timeout (60 s) times the retries.
TAKE_BACK_BUDGET_S = 4.0
_TAKE_BACK_TIMEOUTS = {"connect_timeout_s": 2.0, "read_timeout_s": 3.0, "max_attempts": 1}


def _error_code(exc: BaseException) -> tuple[str, int]:
    response = getattr(exc, "response", None) or {}
    code = str(response.get("Error", {}).get("Code", ""))
    status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    return code, status


def _is_tls_error(exc: BaseException) -> bool:
    """Whether *exc* is a TLS failure (a certificate not trusted, a handshake refused): the
    service answered, so "cannot be reached, check the network" would send the user the wrong
    way."""
    from botocore.exceptions import SSLError

    return isinstance(exc, SSLError)


TLS_HINT = (
    "if the service uses a private or self-signed certificate, point AWS_CA_BUNDLE at its CA "
    "certificate (a PEM file)"
)

# What OpenSSL says when the other end answered, but not in TLS (a plain HTTP service behind an
# https:// endpoint): its first bytes are no TLS record. No certificate was ever looked at.
_NOT_TLS_MARKERS = (
    "WRONG_VERSION_NUMBER",
    "wrong version number",
    "record layer failure",
    "packet length too long",
    "http request",
    "unknown protocol",
)


def tls_words(exc: BaseException) -> str:
    """What a TLS failure (``_is_tls_error``) means and what to do, for a one-line error:
    a service that does not answer in TLS at all (an ``https://`` endpoint of a plain HTTP
    service: use ``http://``) told apart from a certificate this machine does not trust
    (``TLS_HINT``). Names no URL (the caller names the endpoint)."""
    reason = _tls_reason(exc)  # OpenSSL's words alone: the URL and key could hold a marker
    if any(marker in reason for marker in _NOT_TLS_MARKERS):
        return (
            f"the service does not answer in TLS ({reason}): it may serve plain HTTP; if so, "
            "give its endpoint as http://, not https://"
        )
    return f"the TLS certificate of the service is not trusted ({reason}); {TLS_HINT}"


def _tls_reason(exc: BaseException) -> str:
    """What botocore says of a TLS failure, without its URL (named by the caller) and
    without OpenSSL's source location (``(_ssl.c:1006)``)."""
    text = str(exc)
    for marker in ("[SSL", "certificate verify failed"):
        at = text.find(marker)
        if at >= 0:
            said = re.sub(r"\s*\(_ssl\.c:\d+\)", "", text[at:])
            return said.split(")")[0].strip(" ('\"")
    return type(exc).__name__


def _is_connection_error(exc: BaseException) -> bool:
    from botocore.exceptions import (
        ConnectionClosedError,
        ConnectionError,
        EndpointConnectionError,
        HTTPClientError,
        ReadTimeoutError,
    )

    return isinstance(
        exc,
        ConnectionError
        | EndpointConnectionError
        | ConnectionClosedError
        | ReadTimeoutError
        | HTTPClientError,
    )


# Whether a request of this thread may have reached the service without its answer reaching
# us (``answer_lost``): botocore sends a request and its retries on the thread that asked.
_ATTEMPTS = threading.local()
# The requests whose lost answer leaves an object we cannot know of (``watch_answers``).
_WATCHED = ("PutObject", "CompleteMultipartUpload")


def _note_attempt(exception: BaseException | None = None, **_: object) -> None:
    """botocore's ``response-received`` hook, once an attempt: one that got no answer, and
    not because no connection was made (``EndpointConnectionError``: refused, unresolved;
    ``ConnectTimeoutError``; ``ProxyConnectionError``: nothing sent), may have reached the
    service, which may have acted on it. botocore's ``SSLError`` is no proof of that, though
    it is a ``ConnectionError`` too: urllib3 2 wraps any TLS error in it, one that cut the
    answer's read (``SSLEOFError``) as well as a failed handshake."""
    from botocore.exceptions import (
        ConnectTimeoutError,
        EndpointConnectionError,
        ProxyConnectionError,
    )

    not_sent = EndpointConnectionError | ConnectTimeoutError | ProxyConnectionError
    if exception is not None and not isinstance(exception, not_sent):
        _ATTEMPTS.lost = True


def watch_answers(client: object) -> None:
    """Hook *client* (a boto3 client; anything else is left alone) so that ``answer_lost``
    tells, after a PutObject or CompleteMultipartUpload failed, whether any attempt of it
    may have reached the service."""
    events = getattr(getattr(client, "meta", None), "events", None)
    if events is None:
        return
    for operation in _WATCHED:
        name = f"response-received.s3.{operation}"
        events.register(name, _note_attempt, unique_id=f"offload-{name}")


def begin_request() -> None:
    """Forget the last request's lost answers (this thread's), before a watched request."""
    _ATTEMPTS.lost = False


def answer_lost() -> bool:
    """Whether an attempt of this thread's watched request since ``begin_request`` may have
    reached the service with no answer back (a connection closed or timed out mid-request)."""
    return bool(getattr(_ATTEMPTS, "lost", False))


def os_error(exc: BaseException, operation: str, where: str, endpoint: str | None) -> OSError:
    """Map a botocore error onto an OSError whose errno the engine scopes.

    ENOTCONN (lost): unreachable after the retries; ECONNREFUSED (lost) where the endpoint
    refused the connection (the server down, a wrong port). EIO (lost): the service kept failing
    (5xx). ENODEV (lost): the bucket is gone. EKEYEXPIRED (lost): the session token expired
    or is not valid (``s3credentials``). EREMOTEIO (lost): the bucket is in another region
    than the endpoint serves (a 301, ``s3region``: the preflight's words). EEXIST: the key
    exists (412). EACCES: refused credentials or permission. ENOSPC: a quota. EFBIG,
    ENAMETOOLONG: too large, key too long. EBADMSG: data refused for a bad checksum after
    every retry. EINVAL: anything else.

    Never a secret: botocore quotes the endpoint whole (user:password, query) in some of its
    errors, so the words go through ``redact_secrets``, whichever branch worded them.
    """
    if isinstance(exc, OSError) and exc.errno is not None and not _is_connection_error(exc):
        return exc
    error = _os_error(exc, operation, where, endpoint)
    return type(error)(error.errno, redact_secrets(error.strerror or ""))


#: The operations that store an object (PutObject, CreateMultipartUpload, UploadPart,
#: CopyObject), which an AccessDenied answers with ``STORE_DENIED_ADVICE``.
_STORES = ("cannot store", "cannot start the upload of", "cannot upload part")
STORE_DENIED_ADVICE = (
    "the credentials may not store objects at that key: allow s3:PutObject on it (or its "
    "prefix) to them (docs/s3.md, Permissions), or use credentials that may, then run the "
    "same command again"
)


def _os_error(exc: BaseException, operation: str, where: str, endpoint: str | None) -> OSError:
    from botocore.exceptions import ClientError, NoCredentialsError, ParamValidationError

    place = f"{where} ({redact_endpoint(endpoint)})"
    if isinstance(exc, NotSent):
        # Kept back by the latch (``s3unreachable``): the first failure's errno and words,
        # said as not sent (nothing was tried, so nothing is claimed done).
        first = _os_error(exc.first, operation, where, endpoint)
        said = (first.strerror or "").removeprefix(f"{operation} {place}: ")
        if not unreachable(exc.first) and first.errno == errno.ENOTCONN:
            # Set by a request the service left unanswered (read timeouts, or closed while
            # it was quiet): said as such, never as a service that could not be reached.
            said = f"the service answered nothing ({type(exc.first).__name__})"
        return type(first)(
            first.errno,
            f"{operation} {place}: {said}; not sent: an earlier request of this run found so",
        )
    lapsed = unrenewed(exc)
    if lapsed is not None:
        # An SSO session or a credential_process that expired mid-run: every later request
        # fails the same, as for a session token refused (EKEYEXPIRED, lost; its advice).
        return OSError(errno.EKEYEXPIRED, f"{operation} {place}: {lapsed}")
    if isinstance(exc, NoCredentialsError):
        return PermissionError(errno.EACCES, f"{operation} {place}: no AWS credentials found")
    if isinstance(exc, ClientError):
        code, status = _error_code(exc)
        text = str(exc.response.get("Error", {}).get("Message", "") or code or status)
        message = f"{operation} {place}: {code or status} {text}".rstrip()
        if code == "PreconditionFailed" or status == 412:
            return FileExistsError(errno.EEXIST, f"{operation} {place}: the key exists already")
        if code == "NoSuchBucket":
            # Said as the service answered: not "no longer", which would claim a deletion
            # (a mistyped endpoint or a proxy answers so too).
            return OSError(
                errno.ENODEV,
                f"{operation} {place}: NoSuchBucket: the service says the bucket does not exist",
            )
        refused = refused_credentials(code, status)
        if refused == "token":
            # Every later request signed with it is refused too: the destination is lost
            # (``errors._DESTINATION_LOST_ERRNOS``), its advice new credentials.
            return OSError(errno.EKEYEXPIRED, f"{operation} {place}: {code}: {TOKEN_EXPIRED}")
        if refused == "denied":
            if operation.startswith(_STORES) and (code == "AccessDenied" or status == 403):
                # The preflight's probe stored an object one level up: a policy scoped to
                # keys (or a KMS key) refuses this one. Each file fails; none is lost.
                message += f"; {STORE_DENIED_ADVICE}"
            return PermissionError(errno.EACCES, message)
        if code in ("QuotaExceeded", "StorageQuotaExceeded") or status == 507:
            return OSError(errno.ENOSPC, message)
        if code == "EntityTooLarge":
            return OSError(errno.EFBIG, message)
        if code == "KeyTooLongError":
            return OSError(errno.ENAMETOOLONG, message)
        if code in _CHECKSUM_REFUSED:
            return OSError(errno.EBADMSG, message)
        if code == "NoSuchUpload":
            return OSError(errno.ENOENT, message)
        if code == "NotImplemented" or status == 501:
            return OSError(errno.EOPNOTSUPP, message)
        if status >= 500:
            return OSError(errno.EIO, f"{message} (the service kept failing after the retries)")
        # A 301 or another region's answer mid-run, after the preflight passed (a bucket
        # moved, a redirect only some requests get): every later request goes the same
        # wrong way, so the destination is lost (EREMOTEIO), in the preflight's words with
        # its advice to give the region's endpoint (botocore follows a redirect itself
        # where it can: one that reaches here is the endpoint's). Not a 400 without a code:
        # the region the requests are signed for is not known here (``bucket_region``).
        region = bucket_region(exc, code, status, None)
        if region is not None:
            said = f"{status} {code}" if code and code != str(status) else str(status or code)
            words = wrong_region(
                where.removeprefix("s3://").split("/", 1)[0],
                region,
                said,
                str(getattr(exc, "operation_name", "") or operation),
                endpoint=True,
                named=named_endpoint(exc),
            )
            return OSError(errno.EREMOTEIO, f"{operation} {place}: {words}")
        return OSError(errno.EINVAL, message)
    if isinstance(exc, UnicodeError):
        return OSError(errno.EILSEQ, f"{operation} {place}: not valid UTF-8 ({exc})")
    if isinstance(exc, ParamValidationError):
        return OSError(errno.EINVAL, f"{operation} {place}: {exc}")
    if _is_tls_error(exc):
        return OSError(
            errno.ENOTCONN,
            f"{operation} {place}: {tls_words(exc)}",
        )
    if _is_refused(exc):
        # Said as it happened: ENOTCONN's label, "Transport endpoint is not connected", is
        # not what a connection refused is (the server down, a wrong port).
        return ConnectionRefusedError(
            errno.ECONNREFUSED,
            f"{operation} {place}: the service cannot be reached: the connection was refused "
            "(nothing answers at the endpoint's port: the server is down, or the port is wrong)",
        )
    if _is_connection_error(exc):
        return OSError(errno.ENOTCONN, f"{operation} {place}: {connection_words(exc)}")
    return OSError(errno.EIO, f"{operation} {place}: {exc}")


def connection_words(exc: BaseException) -> str:
    """What a request that got no answer (*exc*, botocore's, after its retries: not a
    connection refused, worded by ``_os_error``) saw, naming no URL: a read that timed out
    said as such with its timeout and no more than it proves (the connection was made and
    the request sent, no answer came: the service or a proxy before it hung or slow, or the
    link dropped mid-request on a kept-alive connection), never as a service that "cannot be
    reached"; a connect that timed out, with its timeout; any other connection failure, by
    its kind."""
    from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError

    if isinstance(exc, ReadTimeoutError):
        within = timeout_said(exc, "read")
        return (
            f"the service did not answer{within} (read timeout): the connection was made "
            "and the request sent, but no answer came (the service or a proxy before it hung "
            "or slow, or the link dropped mid-request)"
        )
    if isinstance(exc, ConnectTimeoutError):
        within = timeout_said(exc, "connect")
        return f"the service cannot be reached: no connection was made{within} (connect timeout)"
    return f"the service cannot be reached ({type(exc).__name__})"


def timeout_said(exc: BaseException, which: str) -> str:
    """ " within N s": the *which* ("read", "connect") timeout urllib3 names in the error
    *exc* wraps (``(read timeout=5.0)``); "" where it names none."""
    cause: object = getattr(exc, "kwargs", {}).get("error")
    found = re.search(rf"\({which} timeout=([0-9.]+)\)", f"{cause} {exc}")
    if found is None:
        return ""
    try:
        return f" within {float(found.group(1)):g} s"
    except ValueError:
        return ""


def _is_refused(exc: BaseException) -> bool:
    """Whether *exc*, botocore's, is a connection the endpoint refused (ECONNREFUSED: no
    request sent): a ``ConnectionRefusedError`` in what it wraps (botocore's ``error``
    keyword, urllib3's cause). A few steps; never raises."""
    from botocore.exceptions import EndpointConnectionError

    if not isinstance(exc, EndpointConnectionError):
        return False
    seen: list[BaseException] = []
    cause: object = getattr(exc, "kwargs", {}).get("error")
    while isinstance(cause, BaseException) and cause not in seen and len(seen) < 8:
        if isinstance(cause, ConnectionRefusedError):
            return True
        seen.append(cause)
        cause = cause.__cause__ or cause.__context__
    return False


# The errnos of a GET that failed without saying anything of the object's bytes (``os_error``):
# refused (credentials, their session token, an archive storage class), or the service failing
# or out of reach.
# Not ENOENT (the object is gone) nor a cancel, nor ENODEV (the bucket gone: said as it is).
# The one set of every reader of objects the listing shows (``get_refused``; ``s3verify``'s
# records).
UNREADABLE_ERRNOS = frozenset(
    {
        errno.EACCES,
        errno.EPERM,
        errno.EIO,
        errno.ENOTCONN,
        errno.ECONNREFUSED,
        errno.ETIMEDOUT,
        errno.ECONNRESET,
        errno.EKEYEXPIRED,
    }
)


def get_failure(exc: OSError) -> str | None:
    """The kind of a GET that failed with *exc* (``os_error``'s) saying nothing of the
    object's bytes: ``"archived"`` (InvalidObjectState: an archive storage class),
    ``"refused"`` (access denied to these credentials), ``"token"`` (their session token
    expired or is not valid: ``s3credentials``), ``"service"`` (the service kept
    failing or could not be reached: another of ``UNREADABLE_ERRNOS``); None for any other
    failure (the object or the bucket gone, a request refused for another reason, a
    cancel). The one test of the kind for ``get_advice``, ``get_refused`` and
    ``s3unread``. Pure; thread-safe."""
    if exc.errno not in UNREADABLE_ERRNOS:
        return None
    if "InvalidObjectState" in (exc.strerror or str(exc)):
        return "archived"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "refused"
    if exc.errno == errno.EKEYEXPIRED:
        return "token"
    return "service"


def get_refused(
    exc: OSError, *, again: str = "check it again", then: str = "check again"
) -> str | None:
    """Why the GET of an object the listing shows failed (*exc*, from ``os_error``) and what
    to do, in words naming no URL (the caller names it), when the failure says nothing of the
    object's bytes (``get_failure``): an archived object (InvalidObjectState), a credential
    that may list but not read (access denied), a service that kept failing or could not be
    reached. None for any other failure (the object gone, a cancel). *again* and *then*: how
    the caller's command is run again (``offload verify``: "check it again", "check again";
    a copy: "run the same command again" twice). What to do is ``get_advice``'s. Pure;
    thread-safe."""
    kind = get_failure(exc)
    if kind is None:
        return None
    advice = _advice(kind, again=again, then=then, credentials="these credentials")
    if kind == "archived":
        return f"its GET was refused (InvalidObjectState): {advice}"
    if kind == "refused":
        return f"its GET was refused (access denied): {advice}"
    # The words after the URL and endpoint the error names.
    text = exc.strerror or str(exc)
    _, _, why = text.partition("): ")
    return f"its GET failed ({why or text}): {advice}"


def get_advice(
    exc: OSError,
    *,
    again: str = "check it again",
    then: str = "check again",
    credentials: str = "these credentials",
) -> str | None:
    """What to do about a GET that failed with *exc* (``os_error``'s) saying nothing of the
    object's bytes (``get_failure``), without why (the caller's line says it): restore an
    archived object, use *credentials* that may read it, or run again once the service
    answers; None for any other failure. The one advice of ``get_refused`` and of a copy
    root's records that cannot be read (``s3unread``). Pure; thread-safe."""
    kind = get_failure(exc)
    return None if kind is None else _advice(kind, again=again, then=then, credentials=credentials)


def _advice(kind: str, *, again: str, then: str, credentials: str) -> str:
    """``get_advice``'s words for a failure of *kind* (``get_failure``'s, not None)."""
    if kind == "archived":
        return (
            "the object is in an archive storage class (Glacier, Deep Archive); restore it "
            f"(aws s3api restore-object), then {then}"
        )
    if kind == "refused":
        return (
            f"{credentials} may list it but not read it (s3:GetObject, or the KMS key it is "
            f"encrypted with); {again} with credentials that may"
        )
    if kind == "token":
        # What happened is the error's own words already ("ExpiredToken: <TOKEN_EXPIRED>",
        # or the credentials not renewed), which every caller's line quotes: said once.
        return f"{TOKEN_ADVICE}, then {again}"
    return f"{again} once the service answers"


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size_bytes: int
    etag: str
    mtime_ns: int
    metadata: dict[str, str]


@dataclass(frozen=True)
class _ExistingPart:
    number: int
    size: int
    etag: str
    checksum: str | None  # the service's checksum of our algorithm, if it returned one


@dataclass(frozen=True)
class LeftBehind:
    """An object, one version of it, or an unfinished multipart upload (*upload_id*), that
    this run (or an earlier one, met by its sweep) left and meant to delete or abort, and
    that may still be in the bucket: *version_id* None is the object under *key* itself (a
    bucket without versions, or its version not known), else that version (noncurrent under
    a delete marker when a plain delete followed a refused delete by id). *reason* says
    why, in words."""

    key: str
    version_id: str | None
    reason: str
    refused: bool = False  # the service refused the delete by version id (a policy)
    # An unfinished multipart upload of *key* (its id), not an object: aborted, not deleted.
    upload_id: str | None = None
    # The ETag the object must still have to be removed (its command's ``--if-match``):
    # given where another run's object may take its place (a lock taken over).
    etag: str | None = None
    # The object may or may not be there: the request that stores it (a PutObject, a
    # CompleteMultipartUpload) was sent and its answer never came (``settle_unanswered``).
    may_be_stored: bool = False


@dataclass(frozen=True)
class VersionKept:
    """A version of ours the service would not let us delete (``delete_own_version``): on a
    bucket that keeps versions, an object stored twice. *reason*: what happened, in words;
    *refused*: a refusal (``version_delete_refused``), else the service failing."""

    key: str
    reason: str
    refused: bool


@dataclass(frozen=True)
class DeleteOutcome:
    """What ``S3Destination.delete_or_name`` did: *deleted*, the object is no longer under its
    key (False with no *failure*: another object is there now, left as it is); *failure*,
    why its delete failed (the object then named in ``left_behind``); *bucket_gone*, the
    bucket no longer exists, nor anything that was in it."""

    deleted: bool
    failure: str | None = None
    bucket_gone: bool = False


class S3Destination:
    """One ``s3://bucket/prefix`` destination (see the module docstring).

    Thread-safe: the engine's writer and committer threads use it at once; part uploads run
    on its own bounded executor. ``close()`` stops the executor.
    """

    def __init__(
        self,
        url: S3Url,
        settings: S3Settings | None = None,
        *,
        client: S3Client | None = None,
    ) -> None:
        self.url = url
        self.settings = settings or S3Settings()
        self.client: S3Client = client if client is not None else make_client(self.settings)
        self._client_given = client is not None
        watch_answers(self.client)  # ``answer_lost`` after a PutObject or a completion
        # After its session token is refused once, no request more (``s3token_latch``):
        # for a copy and ``offload verify`` (``stop_after_token_refusal``).
        self.token_latch: TokenLatch | None = None
        # After a request finds the service out of reach, no request more
        # (``s3unreachable``): for a copy (``stop_once_unreachable``).
        self.unreachable_latch: UnreachableLatch | None = None
        self.device = str(url)
        # The endpoint botocore really talks to: the flag's or the environment's, else the
        # profile's ``endpoint_url`` in ~/.aws/config, else AWS's own (redacted for messages).
        self.endpoint_url: str | None = (
            getattr(getattr(self.client, "meta", None), "endpoint_url", None)
            or self.settings.endpoint_url
        )
        self.endpoint = redact_endpoint(self.endpoint_url)
        # Whether the service refuses data whose x-amz-checksum-* (or Content-MD5) does not
        # match: set by ``probe`` (assumed until then, as before it existed).
        self.checksums_checked = True
        self.probe_findings: list[tuple[str, str]] = []  # ``probe``'s warnings
        # The preflight's client (short timeouts, two attempts), made once for ``check`` and
        # ``probe`` (a boto3 client takes ~0.1-0.3 s to make); closed by ``probe`` or ``close``.
        self.preflight_client: S3Client | None = None
        self.started_at = time.time()
        self._checksum = checksum_function(self.settings.checksum)
        self._conditional = self.settings.conditional_writes
        # Whether a DeleteObject with If-Match deletes only that object (``probe``: a wrong
        # ETag must be refused with 412); False: a record is deleted only once the upload it
        # names is gone and a HEAD just before shows it unchanged (``_drop_record``).
        self._conditional_delete = self.settings.conditional_writes
        # The conditions (headers: ``If-None-Match``, ``If-Match``) the service answered 501
        # to on a CompleteMultipartUpload (``complete_multipart``): a HEAD just before
        # instead, for completions alone (PutObject's, which the probe tried, stay atomic).
        self._complete_refused: set[str] = set()
        # The conditions (headers) the service answered 501 to on a PutObject mid-run for
        # good (``_put``): ``If-None-Match``, then ``conditional_create`` False, said in the
        # report's notes; If-Match (a pinned write) keeps its condition (``conditional_match``).
        self._put_refused: set[str] = set()
        self._slots = threading.BoundedSemaphore(self.settings.parallel_parts + 1)
        self._executor = ThreadPoolExecutor(
            max_workers=self.settings.parallel_parts,
            thread_name_prefix="s3-part",
            initializer=signals_unblocked,
        )
        # Clean-ups (aborts, deletes) run on a thread of their own: the engine calls them while
        # it handles an error, and an exception raised there (and kept by botocore or urllib3)
        # would otherwise chain to that error and pin, through its traceback, the engine's
        # pooled buffers.
        self._cleanup = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="s3-cleanup", initializer=signals_unblocked
        )
        # Read-backs fetched ahead (``fetch``): as many at once as parts in flight.
        self._reads = ThreadPoolExecutor(
            max_workers=self.settings.parallel_parts,
            thread_name_prefix="s3-read",
            initializer=signals_unblocked,
        )
        self._lock = threading.Lock()
        # Each version of ours the service would not let us delete: on a versioned bucket,
        # objects stored twice (``delete_own_version``; the card layer names them in the
        # report's notes).
        self.versions_kept: list[VersionKept] = []
        # What this run meant to delete or abort but may have left (``LeftBehind``: a
        # version whose delete by id was refused, a clean-up cut short, an upload whose
        # abort failed, also an earlier run's its sweep met); the card layer and
        # the S3 verify name them, with the command that removes each (``s3card``).
        self.left_behind: list[LeftBehind] = []
        # The VersionId each replacement's copy over its final key got (``promote``): what
        # a replaced object became (``replaced_words``).
        self.replaced_versions: list[str | None] = []
        # (key, VersionId) of each adopted object of an earlier run copied onto itself for
        # the digests it lacked (``S3Backend.complete_adopted``): on a bucket that keeps
        # versions, the object it was stays as a noncurrent version, which this run made
        # not and so never deletes (``s3card.adopted_versions_notes``).
        self.adopted_copies: list[tuple[str, str | None]] = []
        self._take_back_client: S3Client | None = None
        # ``answers``' client (``stop_once_unreachable``, a lone latch's), None where none.
        self._probe_client: S3Client | None = None
        # key -> the VersionIds of its upload record this run stored (``_drop_record``).
        self._record_versions: dict[str, list[str]] = {}
        # Keys whose upload record this run stored (``_drop_record``: any other is a record
        # an earlier run left, whose versions are looked for).
        self._records_ours: set[str] = set()
        # key -> the ETag of the upload record this run last stored of it (``_drop_record``
        # deletes it only while it is still that object).
        self._record_etags: dict[str, str] = {}
        # Keys whose record an earlier run stored and this run took over to resume its upload
        # (``adopt_record``): its versions of that upload are deleted with ours
        # (``_drop_record``).
        self._records_adopted: set[str] = set()
        # Set by the caller (the card layer: its CancelToken): long steps of our own (a
        # multipart copy, the read-back that confirms it) stop when it answers True.
        self.cancelled: Callable[[], bool] = lambda: False
        # Keys of the copy roots whose lock (``s3lock``) this run holds: no other run writes
        # there, so the upload records found there are of runs that are over.
        self.locked_roots: set[str] = set()
        # Lock keys ``s3lock.live_tokens_above`` could not read (named in a warning).
        self.unreadable_locks: set[str] = set()
        # Those of them whose read was refused to these credentials (403), not failed by
        # the service: only these are worth another credential (``s3copied``, the warning).
        self.refused_locks: set[str] = set()
        # The upload records' sweep (``abort_abandoned``): the thread running it (None
        # outside it), and the versions under the records prefix, listed once when a record
        # first needs them (``_versions_of``; ``_sweep_listed``: done, the listing None if it
        # failed). Read and set on that thread alone, so no lock: another thread (none runs
        # the sweep's requests today) lists versions of its own.
        self._sweep_thread: int | None = None
        self._sweep_listed = False
        self._sweep_listing: dict[str, list[tuple[str, bool]]] | None = None
        # ... and the uploads in progress under the prefix, listed once after the records
        # (``_sweep_uploads``: by key, each upload's id and start time; None: not yet listed).
        self._sweep_uploads_listed: dict[str, list[tuple[str, float | None]]] | None = None

    def stop_after_token_refusal(self) -> None:
        """From now on, once the service refuses this destination's session token, send it
        no request more (``s3token_latch``): the files queued behind the refusal fail in its
        words without one. For a copy, whose engine loses the destination on that first
        refusal (EKEYEXPIRED); and for ``offload verify`` of an ``s3://`` copy
        (``s3verify.verify_s3``), every object after the refusal being refused the same,
        each GET for nothing. Call before the first request."""
        if self.token_latch is None:
            self.token_latch = TokenLatch()
            self.token_latch.watch(self.client)

    def stop_once_unreachable(self, latch: UnreachableLatch | None = None) -> None:
        """From now on, once a request could not reach the service after its retries (the
        engine then loses the destination: ECONNREFUSED, ENOTCONN), or gave up unanswered by
        a service answering nothing, send it no request more (``s3unreachable``): each
        clean-up of a destination lost so (the delete or abort of what it meant to remove,
        its lock's release) fails at once, named as left in the bucket, instead of waiting
        its own retries. For a copy, and for ``offload verify`` of an ``s3://`` copy (each
        object after it would wait its own timeouts). *latch*: one shared with another
        store of the same bucket (the check's and its ledger revocation's), else a new one.
        Call before the first request."""
        if self.unreachable_latch is None:
            self.unreachable_latch = latch or UnreachableLatch()
            self.unreachable_latch.watch(self.client)
            latch = self.unreachable_latch
            # A test's stand-in client (``_client_given``): no probe of its own.
            if latch.lone and latch.probe is None and not self._client_given:
                # Made once, here, before the first request: on the store's own session,
                # so a probe never resolves credentials again (an assume-role's STS call
                # unanswered would pass for the S3 service silent; an MFA prompt mid-check).
                try:
                    probe_client = one_attempt_client(self.client, self.settings)
                except Exception:  # no probe: the latch's two-in-a-row rule stands
                    probe_client = None
                if probe_client is not None:
                    self._probe_client = probe_client
                    latch.probe = self.answers

    def answers(self) -> bool:
        """Whether the service answers at all (the probe of a ``lone`` latch,
        ``s3unreachable``): one HeadBucket, sent once (no retry), on the client
        ``stop_once_unreachable`` made of the store's own session, with the store's own
        connect and read timeouts (60 s by default): a service that answers a GET in time
        answers it in time too, so one slow object of a service that answers, late, is
        never taken for a silent service. Any HTTP answer (an error's too: a 403, a 404) is
        True; no answer (a timeout, a connection refused, closed or reset) is False. Never
        raises (no probe client: True, nothing proves the service silent); blocks the
        calling thread up to the connect and read timeouts (70 s by default). Thread-safe.
        Not watched by the latch: it is asked while the latch is not yet set, and its
        answer is told to the latch by it."""
        from botocore.exceptions import ClientError

        client = self._probe_client
        if client is None:
            return True
        try:
            client.head_bucket(Bucket=self.url.bucket)
        except ClientError:
            return True  # an answer, whatever it says
        except Exception as exc:  # see the docstring
            return not unanswered(exc)
        return True

    # -- what it promises -------------------------------------------------------------

    @property
    def conditional_create(self) -> bool:
        """Whether "never overwrite" is atomic here (If-None-Match: conditional writes on,
        the probe saw them, and no PutObject's If-None-Match answered 501 since,
        ``put_refused``); False: a HEAD check just before writing (another writer could
        create the key in between)."""
        return self._conditional and "If-None-Match" not in self._put_refused

    @property
    def conditional_match(self) -> bool:
        """Whether "only over that object" is atomic here (If-Match on a PutObject, a
        completion of a copy onto itself, a DeleteObject: conditional writes on and the
        probe saw them); a 501 to a PutObject's If-None-Match says nothing of it. False: a
        HEAD (for the lock, a read) just before instead, racy."""
        return self._conditional

    def _conditional_refused(self) -> None:
        with self._lock:
            self._conditional = False

    @property
    def put_refused(self) -> bool:
        """Whether the service answered 501 to a PutObject's If-None-Match mid-run (``_put``;
        the preflight's probe had not seen it, or did not run): from then on every write
        that must not replace another object was made after a HEAD of its key instead
        (``conditional_create`` False, racy), said in the report's notes
        (``s3card.complete_refused_notes``). Writes "only over that object" (If-Match)
        keep their condition (``conditional_match``)."""
        with self._lock:
            return "If-None-Match" in self._put_refused

    def _put_condition_refused(self, header: str) -> None:
        with self._lock:
            self._put_refused.add(header)

    @property
    def complete_refused(self) -> list[str]:
        """The conditions the service answered 501 to on a CompleteMultipartUpload, as
        headers (``If-None-Match``, ``If-Match``; ``complete_multipart``): each later
        completion with that condition was checked with a HEAD just before instead (racy),
        said in the report's notes (``s3card.complete_refused_notes``)."""
        with self._lock:
            refused = set(self._complete_refused)
        return [header for header in _CONDITION_HEADERS.values() if header in refused]

    @property
    def conditional_delete(self) -> bool:
        """Whether a DeleteObject with If-Match deletes the object only while it has that
        ETag (the probe tried a wrong one: refused with 412); False: not supported (501),
        ignored, or conditional writes off, so a record of ours is deleted only once the
        upload it names is gone and a HEAD just before shows it unchanged, never blindly
        (``_drop_record``)."""
        return self._conditional_delete

    def _conditional_delete_refused(self) -> None:
        with self._lock:
            self._conditional_delete = False

    def close(self) -> None:
        if self.preflight_client is not None:
            self.preflight_client.close()
            self.preflight_client = None
        # Not closed: a clean-up thread ``take_back`` gave up on may still be using it;
        # nor is the probe's (a request's thread may be asking it).
        self._take_back_client = None
        self._reads.shutdown(wait=True, cancel_futures=True)
        self._executor.shutdown(wait=True, cancel_futures=True)
        self._cleanup.shutdown(wait=True)

    def _stop_if_cancelled(self, what: str) -> None:
        """Raise OSError(ECANCELED) once ``cancelled``: how a step of ours stopped by the
        job's cancel says so (the engine then records the file cancelled, not failed)."""
        if self.cancelled():
            raise OSError(errno.ECANCELED, f"cancelled: {what}")

    def _clean_up(self, work: Callable[[], object]) -> None:
        """Run *work* on the clean-up thread and wait for it; never raises."""
        try:
            self._cleanup.submit(work).result()
        except Exception:
            pass

    # -- preflight --------------------------------------------------------------------

    def check(self, *, writes: bool = True) -> None:
        """Before the first byte: can we reach the service, does the bucket exist, may we
        list there (and, for a command that *writes*, list multipart uploads)? Raises
        UsageError (exit 64) with one line naming the URL, the operation and what to do.
        Writes nothing (``s3preflight.check``)."""
        from offload.destinations import s3preflight

        s3preflight.check(self, writes=writes)

    def probe(self) -> list[tuple[str, str]]:
        """Before the first byte of a copy (after ``check``): what the service really does
        with conditional writes, checksums and listings, tried on probe objects of ours that
        are deleted again (``s3preflight.probe``). Returns the warnings (code, message) to
        report; raises UsageError where the copy must not start."""
        from offload.destinations import s3preflight

        findings = s3preflight.probe(self)
        self.probe_findings = [(f.code, f.message) for f in findings]
        return self.probe_findings

    # -- names --------------------------------------------------------------------------

    def _state_key(self, name: str) -> str:
        return self.url.key(f"{STATE_PREFIX}/{name}" if name else STATE_PREFIX)

    def _record_key(self, key: str) -> str:
        return record_key(self.url, key)

    def staging_key(self, final_key: str) -> str:
        """Where the replacement of *final_key* is uploaded and verified first."""
        return staging_key_of(self.url, final_key)

    def staging_key_named(self, name: str) -> str:
        """The staging key of a staging object's name (``staging_key``'s last component)."""
        return self.url.key(f"{STAGING_FOLDER}/{name}")

    def display(self, key: str) -> str:
        return self.url.display(key)

    def _error(self, exc: BaseException, operation: str, key: str) -> OSError:
        return os_error(exc, operation, self.display(key), self.endpoint_url)

    def foreign_listing(self, prefix: str, key: str) -> OSError:
        """The error of a listing that gave *key* when asked for the keys under *prefix*: the
        service does not list as S3 does (fake-s3 gives ``/prefix/...``), and a name cut from
        such a key would hide what is really there (an object then written over)."""
        return OSError(
            errno.EPROTO,
            f"{self.url} ({self.endpoint}): the service does not list as S3 does (asked for "
            f"the keys under {prefix!r}, it gave {key!r}); offload-ai cannot tell what is "
            "stored there and writes nothing to it: use an S3-compatible service that lists "
            "keys as S3 does",
        )

    # -- objects ------------------------------------------------------------------------

    def stat_key(self, key: str) -> ObjectInfo | None:
        """The object under *key*, None if there is none. Raises OSError."""
        try:
            head = self.client.head_object(Bucket=self.url.bucket, Key=key)
        except Exception as exc:
            code, status = _error_code(exc)
            if status == 404 or code in ("404", "NoSuchKey", "NotFound"):
                return None
            raise self._error(exc, "cannot look up", key) from exc
        modified = head.get("LastModified")
        return ObjectInfo(
            key=key,
            size_bytes=int(head.get("ContentLength", 0)),
            etag=str(head.get("ETag", "")),
            mtime_ns=int(modified.timestamp() * 1e9) if modified else 0,
            metadata=dict(head.get("Metadata", {})),
        )

    def exists_key(self, key: str) -> bool:
        return self.stat_key(key) is not None

    def free_key(
        self, key: str, reserved: Container[str] = frozenset(), *, past_limit: bool = False
    ) -> tuple[str, tuple[str, ...]]:
        """*key* if nothing is stored there, else the first free ``name (n).ext`` (keep-both;
        a key cannot change once its upload started, so it is chosen before) that is not
        *reserved* (another file of the card takes it), and the keys tried before it, each
        found taken (a HEAD each, in order). Raises OSError (FileExistsError when no name
        is free; ENAMETOOLONG when the next name to try makes a key longer than S3's
        ``MAX_KEY_BYTES``: that file fails, named, never stored under a key AWS refuses;
        with *past_limit*, that key is returned instead: the preflight's question, which
        name the copy would take, ``s3card.kept_keys``)."""
        taken: list[str] = []
        candidate = key
        attempt = 0
        while True:
            if not (attempt and candidate in reserved):  # a card file's: no HEAD asked
                if not self.exists_key(candidate):
                    break
                taken.append(candidate)
            attempt += 1
            if attempt > 9999:
                raise FileExistsError(errno.EEXIST, f"no free name for {self.display(key)}")
            candidate = keep_both_key(key, attempt)
            size = key_bytes(candidate)
            if size > MAX_KEY_BYTES and past_limit:
                break
            if size > MAX_KEY_BYTES:
                # A server that stores it (moto) would hold a key AWS refuses.
                raise OSError(
                    errno.ENAMETOOLONG,
                    f"{self.display(key)} is taken, and the name --keep-both would keep this "
                    f"copy under, '{candidate.rpartition('/')[2]}', makes its key {size} bytes "
                    f"long (S3 keys are at most {MAX_KEY_BYTES} bytes): copy to a shorter "
                    "prefix, or move the object at that key away",
                )
        return candidate, tuple(taken)

    def list_keys(self, prefix: str) -> Iterator[ObjectInfo]:
        """Every object whose key starts with *prefix*, in key order. Raises OSError (EPROTO:
        the service gave a key outside *prefix*, ``foreign_listing``)."""
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.url.bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    if not item["Key"].startswith(prefix):
                        raise self.foreign_listing(prefix, item["Key"])
                    modified = item.get("LastModified")
                    yield ObjectInfo(
                        key=item["Key"],
                        size_bytes=int(item.get("Size", 0)),
                        etag=str(item.get("ETag", "")),
                        mtime_ns=int(modified.timestamp() * 1e9) if modified else 0,
                        metadata={},
                    )
        except Exception as exc:
            error = self._error(exc, "cannot list", prefix)
            if error is exc:  # ours (``foreign_listing``) as it is
                raise
            raise error from exc

    def put_small(self, key: str, data: bytes, *, replace: bool = False) -> str:
        """Store a small object (a manifest, a report) without overwriting unless *replace*;
        returns its ETag. Raises OSError (FileExistsError if the key exists)."""
        return self._put(key, data, metadata={}, replace=replace)[0]

    def put_small_own(
        self, key: str, data: bytes, *, replace: bool = False
    ) -> tuple[str, str | None]:
        """``put_small``, also returning the VersionId of the object stored (None: the bucket
        keeps no versions, or it is not known to be this request's own), for a caller that
        may take the object back by ``delete_own``. Raises OSError."""
        return self._put(key, data, metadata={}, replace=replace)

    def _put(
        self,
        key: str,
        data: bytes | bytearray,
        *,
        metadata: dict[str, str],
        replace: bool,
        named: str | None = None,
        pinned: str | None = None,
    ) -> tuple[str, str | None]:
        """PutObject of *data* under *key*, its Content-Type from the name *named* (the final
        key of a staged upload), else from *key*; returns the object's ETag and VersionId
        (None: the bucket keeps no versions, or the object stored is not known to be this
        request's own version). Not *replace*: only where no object is; *pinned* (with
        *replace*): only over the object of that ETag. Conditional (If-None-Match, If-Match:
        atomic) where the service does conditional writes; where it answers 501, a HEAD just
        before instead (racy): for If-None-Match, ``conditional_create`` turns False from
        then on (``put_refused``, said in the report's notes; If-Match stays in use,
        ``conditional_match``); for *pinned* (If-Match), this request alone (a 501 to it
        says nothing of If-None-Match, which stays atomic). The 501 uses none of the
        ``part_attempts`` (a checksum refusal does). Raises FileExistsError (the key
        exists), OSError (EBADMSG: the pinned object changed or is gone, as the HEAD saw it;
        else the service's refusal, 412 too)."""
        param, value = self._checksum(data)
        attempts = max(1, self.settings.part_attempts)
        attempt = 0
        if_match_refused = False  # a 501 to this request's If-Match
        while True:
            if pinned is not None:
                conditional = self.conditional_match and not if_match_refused
            else:
                conditional = not replace and self.conditional_create
            if not replace and not conditional and self.exists_key(key):
                raise FileExistsError(
                    errno.EEXIST, f"cannot store {self.display(key)}: the key exists already"
                )
            if pinned is not None and not conditional:
                info = self.stat_key(key)
                if info is None or info.etag != pinned:
                    raise OSError(
                        errno.EBADMSG,
                        f"cannot store {self.display(key)}: the object there changed",
                    )
            extra: dict[str, Any] = {param: value}
            if conditional and pinned is not None:
                extra["IfMatch"] = pinned
            elif conditional:
                extra["IfNoneMatch"] = "*"
            try:
                answer = self.client.put_object(
                    Bucket=self.url.bucket,
                    Key=key,
                    Body=cast(bytes, data),  # botocore takes a bytearray as is
                    Metadata=metadata,
                    ContentType=content_type_for(named or key),
                    **extra,
                )
            except Exception as exc:
                code, status = _error_code(exc)
                if conditional and (code == "NotImplemented" or status == 501):
                    if pinned is not None:
                        if_match_refused = True
                    else:
                        self._put_condition_refused("If-None-Match")
                    continue
                if code in _CHECKSUM_REFUSED and attempt + 1 < attempts:
                    attempt += 1
                    continue
                if conditional and (code == "PreconditionFailed" or status == 412):
                    retried = getattr(exc, "response", {}).get("ResponseMetadata", {})
                    if retried.get("RetryAttempts", 0):
                        # botocore sent it again after an answer it lost: the object there
                        # may be the one the first attempt stored, proved by a HEAD with the
                        # request's metadata too (its run's token: another writer's object
                        # of the same bytes is not this request's).
                        found = self.found_stored(
                            key,
                            size=len(data),
                            etag=f'"{hashlib.md5(data).hexdigest()}"',
                            checksum=(param, value),
                            metadata=metadata,
                        )
                        if found is not None:
                            # An object stored with no metadata (``put_small``) is not known
                            # to be this request's own version: no VersionId.
                            return found[0], found[1] if metadata else None
                raise self._error(exc, "cannot store", key) from exc
            return str(answer.get("ETag", "")), answer.get("VersionId")

    def found_stored(
        self,
        key: str,
        *,
        size: int,
        etag: str | None,
        checksum: tuple[str, str] | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> tuple[str, str | None] | None:
        """The ETag and VersionId of the object under *key* if a HEAD proves it the one a
        request of ours stores, else None (none there, another, not provable, the HEAD
        failed): *size* bytes; every item of *metadata* (the request's, lowercase keys as
        the service gives them back); and its content, by *checksum* (the request's
        checksum header and value) where the service keeps that checksum, else by *etag*
        (the ETag the request's bytes make: the MD5 of a PutObject's body, the MD5 of a
        multipart upload's parts' MD5s and their count; None: not computable, SSE-KMS),
        never by neither. Used where the request's answer was lost (``answer_lost``): the
        object is then as proved as the answer would have made it. Never raises."""
        try:
            head = self.client.head_object(Bucket=self.url.bucket, Key=key, ChecksumMode="ENABLED")
        except Exception:
            return None
        if int(head.get("ContentLength", -1)) != size:
            return None
        stored = {str(k).lower(): v for k, v in dict(head.get("Metadata") or {}).items()}
        if metadata is not None and any(stored.get(k.lower()) != v for k, v in metadata.items()):
            return None
        found = str(head.get("ETag", ""))
        if checksum is not None and checksum[0] != "ContentMD5" and head.get(checksum[0]):
            proved = head.get(checksum[0]) == checksum[1]
        else:
            proved = etag is not None and found.strip('"') == etag.strip('"')
        return (found, head.get("VersionId")) if proved else None

    def get_small(self, key: str) -> bytes | None:
        """A small object's bytes, None if there is none. An empty object's GET that a
        service answers 416 (InvalidRange) is b"" once a HEAD shows it empty. Raises
        OSError: ENODEV for a 404 whose code is NoSuchBucket (``bucket_gone``), which says
        nothing of the object (a ledger or history read as empty would let the run treat
        the copy root as new)."""
        found = self.get_small_tagged(key)
        return None if found is None else found[0]

    def get_small_tagged(
        self, key: str, *, metadata: dict[str, dict[str, str]] | None = None
    ) -> tuple[bytes, str] | None:
        """``get_small``, with the ETag of the object read (the same answer's). *metadata*:
        where to note its user metadata, by key (as ``read_back``'s; not for an empty
        object a service answered 416)."""
        try:
            answer = self.client.get_object(Bucket=self.url.bucket, Key=key)
            if metadata is not None:
                metadata[key] = dict(answer.get("Metadata") or {})
            return answer["Body"].read(), str(answer.get("ETag", ""))
        except Exception as exc:
            code, status = _error_code(exc)
            if (status == 404 or code in ("NoSuchKey", "404")) and not bucket_gone(exc):
                return None
            if status == 416 or code == "InvalidRange":
                info = self.stat_key(key)
                if info is not None and _empty(info):
                    return b"", info.etag
            raise self._error(exc, "cannot read", key) from exc

    def delete_key(
        self, key: str, *, etag: str | None = None, client: S3Client | None = None
    ) -> bool:
        """Delete *key* (only if it still has *etag*, where given), on *client* if given (else
        the destination's). Returns False where another object is under the key now (412,
        or a HEAD shows another ETag where the service cannot delete on a condition: 501,
        or ``conditional_delete`` False, whose If-Match would be ignored): left
        as it is; True once nothing of *etag* is there (deleted, or gone already). Raises
        OSError."""
        client = client or self.client
        try:
            if etag:
                # Where the service ignores If-Match on a DELETE (``conditional_delete``
                # False) it would delete whatever is there: a HEAD judges instead (racy by
                # one request's time).
                try:
                    if self.conditional_delete:
                        client.delete_object(Bucket=self.url.bucket, Key=key, IfMatch=etag)
                        return True
                except Exception as exc:
                    code, status = _error_code(exc)
                    if code == "PreconditionFailed" or status == 412:
                        return False  # someone else's object now: not ours to delete
                    if code != "NotImplemented" and status != 501:
                        raise
                info = self.stat_key(key)
                if info is None:
                    return True
                if info.etag != etag:
                    return False
            client.delete_object(Bucket=self.url.bucket, Key=key)
            return True
        except OSError:
            raise
        except Exception as exc:
            raise self._error(exc, "cannot delete", key) from exc

    def delete_own(
        self,
        key: str,
        *,
        etag: str,
        version_id: str | None,
        client: S3Client | None = None,
    ) -> bool:
        """Delete an object this run stored and no longer wants (a staging object once
        copied over its final key, an object whose read-back failed or that a cancel left):
        on a bucket that keeps versions, its own version by *version_id*, which leaves
        nothing behind (a plain delete there leaves the object as a noncurrent version, the
        file stored for nothing, under a delete marker); else, or where the service refuses
        that (``version_delete_refused``: no ``s3:DeleteObjectVersion``, a service that
        deletes no version by id), only while the key still has *etag* (``delete_key``), the
        version refused then named in ``left_behind``. Returns ``delete_key``'s answer
        (False: another object is under the key now, left as it is); True after a delete by
        id. A delete by id that fails otherwise (no answer, 5xx, SlowDown, 429: the service
        unwell, not a policy; the bucket gone) raises: no plain delete is tried (one that got
        through would lay a delete marker over the version, hiding the object that a delete
        by id makes current again, and leave the version where no later run finds it), and
        the caller names the object with what becomes of it, unless the bucket is gone
        (``bucket_gone``). Never the "null" version by its id (a bucket whose versioning is
        suspended: the key's only version may be another writer's by then). On *client* if
        given (else the destination's). Thread-safe. Raises OSError."""
        client = client or self.client
        if version_id and version_id != "null":
            try:
                client.delete_object(Bucket=self.url.bucket, Key=key, VersionId=version_id)
                return True
            except Exception as exc:
                code, status = _error_code(exc)
                if code == "NoSuchVersion":
                    return True  # gone already: nothing of ours is left
                if not version_delete_refused(code, status):
                    raise self._error(exc, "cannot delete", key) from exc
                # Refused: deleted as on a bucket without versions, which leaves this
                # version (noncurrent under a delete marker, or current if that fails too).
                self.note_left_behind(
                    key, version_id, refused_reason(exc, code, status), refused=True
                )
        return self.delete_key(key, etag=etag, client=client)

    def delete_or_name(
        self, key: str, *, etag: str, version_id: str | None, then: str
    ) -> DeleteOutcome:
        """``delete_own`` of *key*, where a failure never raises: the object is named in
        ``left_behind`` with why and *then* (what becomes of it), as ``try_delete_or_name``
        says (its version named where it has one: the command then removes it whole).
        Thread-safe. Never raises."""
        return self.try_delete_or_name(
            key,
            lambda: self.delete_own(key, etag=etag, version_id=version_id),
            version_id=version_id,
            then=then,
        )

    def try_delete_or_name(
        self,
        key: str,
        delete: Callable[[], bool],
        *,
        then: str,
        version_id: str | None = None,
        what: str = "",
        pin: str | None = None,
    ) -> DeleteOutcome:
        """Try *delete* of the object *key* (True: deleted; False: another object is there
        now, left as it is; raising: failed; the copy root's lock gives its own, ``s3lock``)
        and, where it fails, name the object in ``left_behind`` with why and *then* (what
        becomes of it), unless its key is named there already (a refused delete by version
        id) or the bucket is gone (nothing of it left). The one owner of "delete it, else
        name what was left". *version_id*: the version deleted (named where not "null");
        *what*: the words naming the object before its reason (``the lock of <root>: ``);
        *pin*: the ETag its command is pinned to (``--if-match``). Thread-safe. Never
        raises."""
        try:
            return DeleteOutcome(deleted=delete())
        except Exception as exc:
            if bucket_gone(exc):
                return DeleteOutcome(deleted=True, bucket_gone=True)
            why = self.delete_failure(exc, key)
            shown = version_id if version_id and version_id != "null" else None
            self.name_unless_named(key, shown, f"{what}its delete failed ({why}); {then}", etag=pin)
            return DeleteOutcome(deleted=False, failure=why)

    def name_unless_named(
        self,
        key: str,
        version_id: str | None,
        reason: str,
        *,
        etag: str | None = None,
        may_be_stored: bool = False,
    ) -> None:
        """``note_left_behind``, unless the object *key* is named there already (a refused
        delete by version id named its version, with the service's answer; an unfinished
        upload of the key is not the object). Thread-safe."""
        with self._lock:
            if any(item.key == key and item.upload_id is None for item in self.left_behind):
                return
            self.left_behind.append(
                LeftBehind(key, version_id, reason, etag=etag, may_be_stored=may_be_stored)
            )

    def settle_unanswered(
        self,
        key: str,
        *,
        size: int,
        etag: str | None,
        request: str,
        why: str,
        then: str,
        token: str,
    ) -> None:
        """An object of this run's that may be under *key*: its *request* (PutObject,
        CompleteMultipartUpload) was sent and its answer never came (*why*: the failure, in
        words), so the service may have stored it (*size* bytes; *etag*: the ETag it has
        if so, where it can be computed: an MD5 ETag, else None; *token*: the
        ``offload-upload`` metadata it has if so, this run's, or, for a resumed upload, that
        of the run that created it). A HEAD looks: another writer's object there (not
        *token* as its ``offload-upload`` metadata, or another size)
        is left as it is and nothing is named; this run's is deleted (``delete_or_name``, by
        its VersionId on a bucket that keeps versions; *then*: what becomes of it if that
        fails). No object there (the bucket still there) proves nothing (a request the
        service was still handling may store it after the look), nor does a HEAD that
        fails (the service gone): the object is named in ``left_behind`` as one that may be
        in the bucket, never as stored: the JSON gives the command that shows whether it is
        (``aws s3api head-object``) and the one that removes it, pinned to *etag* where
        known. Never raises."""
        try:
            head = self.client.head_object(Bucket=self.url.bucket, Key=key)
        except Exception as exc:
            code, status = _error_code(exc)
            if bucket_gone(exc):
                return  # nothing left of the bucket
            if status == 404 or code in ("404", "NoSuchKey", "NotFound"):
                if self._bucket_missing():
                    return  # a HEAD's 404 carries no code: the bucket itself may be gone
                # None there now; a request the service was still handling when its
                # connection closed may store it after this look: named, never as stored.
                # So too for a CompleteMultipartUpload whose upload ``discard`` aborted just
                # before, even where the service answered that abort (204, not
                # NoSuchUpload): AWS documents an abort only against part uploads in
                # progress (they "might or might not succeed"), nothing of a completion it
                # is still processing (which can take minutes), so an answered abort does
                # not prove that completion cannot still store the object.
                self.name_unless_named(
                    key,
                    None,
                    f"may be in the bucket: its {request} was sent but its answer never "
                    f"came ({why}); a look for it just after found no object there, which "
                    "does not prove it was not stored (the service may still have been "
                    f"handling it), so this run cannot know whether it was stored (this "
                    f"run's has the metadata {MARKER_KEY}: {token}); if it is there, "
                    f"it is {then}{_maybe_removal_words(etag, token)}",
                    etag=etag,
                    may_be_stored=True,
                )
                return
            looked = self.delete_failure(
                self._error(exc, "cannot look up", key), key, operation="cannot look up"
            )
            self.name_unless_named(
                key,
                None,
                f"may be in the bucket: its {request} was sent but its answer never came "
                f"({why}), and a look for it failed too ({looked}), so this run cannot know "
                f"whether it was stored (this run's has the metadata {MARKER_KEY}: "
                f"{token}); if it is there, it is {then}{_maybe_removal_words(etag, token)}",
                etag=etag,
                may_be_stored=True,
            )
            return
        if (
            dict(head.get("Metadata", {})).get(MARKER_KEY) != token
            or int(head.get("ContentLength", -1)) != size
        ):
            return  # another writer's object: left as it is
        self.delete_or_name(
            key,
            etag=str(head.get("ETag", "")),
            version_id=head.get("VersionId"),
            then=f"its {request} got no answer, but a look found it stored: {then}",
        )

    def _bucket_missing(self) -> bool:
        """Whether a HeadBucket answers that the bucket is gone (404, NoSuchBucket); False
        where it is there or the look fails. Never raises."""
        try:
            self.client.head_bucket(Bucket=self.url.bucket)
        except Exception as exc:
            code, status = _error_code(exc)
            return status == 404 or code in ("404", "NoSuchBucket") or bucket_gone(exc)
        return False

    def delete_failure(
        self, exc: BaseException, key: str, *, operation: str = "cannot delete"
    ) -> str:
        """Why *operation* on *key* failed (``delete_key``'s error, or ``stat_key``'s with
        "cannot look up"), in a few words: its text without the ``<operation> <url>
        (<endpoint>): `` that the object named beside it already says. No secret
        (``os_error``, ``_plain_reason``)."""
        if isinstance(exc, OSError) and exc.strerror:
            words = exc.strerror
            return words.removeprefix(f"{operation} {self.display(key)} ({self.endpoint}): ")
        return _plain_reason(exc)

    def note_left_behind(
        self,
        key: str,
        version_id: str | None,
        reason: str,
        *,
        refused: bool = False,
        upload_id: str | None = None,
        etag: str | None = None,
    ) -> None:
        """Name *key* (its version *version_id*, if given; its unfinished multipart upload
        *upload_id*, if given) in ``left_behind``, with why; *etag*: the command removes it
        only while it still has that ETag. Thread-safe."""
        with self._lock:
            self.left_behind.append(LeftBehind(key, version_id, reason, refused, upload_id, etag))

    def note_adopted_copy(self, key: str, version_id: str | None) -> None:
        """Note in ``adopted_copies`` that an earlier run's object *key* was copied onto
        itself for its digests and got *version_id* (``S3Backend.complete_adopted``; the
        report's note: ``s3card.adopted_versions_notes``). Thread-safe."""
        with self._lock:
            self.adopted_copies.append((key, version_id))

    def take_back(
        self,
        objects: Sequence[tuple[str, str, str | None]],
        *,
        budget_s: float = TAKE_BACK_BUDGET_S,
    ) -> None:
        """Delete *objects* (key, ETag, VersionId: each one this run stored and no longer
        wants, ``delete_own``), in order, promptly: on a client of short timeouts and no
        retry, on a thread of its own waited for at most *budget_s* seconds in all (a cancel
        or a failure called it: a service that stopped answering must not hold the run).
        Each object not known to be deleted when it returns (its delete failed, or had not
        finished in time: it may still be, later) is named in ``left_behind`` with why.
        Never raises but a KeyboardInterrupt that cuts the wait short (the objects not
        deleted yet are named first). Thread-safe."""
        if not objects:
            return
        settled: set[int] = set()  # indexes deleted, or already named in left_behind
        failures: dict[int, str] = {}

        def work() -> None:
            signals_unblocked()  # a bucket's thread (it may start a credential helper)
            try:
                client = self._quick_client()
            except Exception as exc:
                failures.update(dict.fromkeys(range(len(objects)), _plain_reason(exc)))
                return
            for index, (key, etag, version) in enumerate(objects):
                try:
                    self.delete_own(key, etag=etag, version_id=version, client=client)
                except Exception as exc:
                    if not bucket_gone(exc):  # nothing is left in a bucket that is gone
                        failures[index] = self.delete_failure(exc, key)
                with self._lock:
                    settled.add(index)

        # A daemon thread: one still waiting on a silent service never holds the exit.
        worker = threading.Thread(target=work, name="s3-take-back", daemon=True)
        worker.start()
        try:
            worker.join(budget_s)
        finally:
            with self._lock:
                done = set(settled)
                named = {(item.key, item.version_id) for item in self.left_behind}
            for index, (key, _etag, version) in enumerate(objects):
                if index in failures:
                    reason = f"its delete failed: {failures[index]}"
                elif index not in done:
                    reason = (
                        f"its delete had not finished after {budget_s:g} s (the service did "
                        "not answer in time)"
                    )
                else:
                    continue
                shown = version if version and version != "null" else None
                if (key, shown) not in named:
                    self.note_left_behind(key, shown, reason)

    def _quick_client(self) -> S3Client:
        """The clean-up's client (``_TAKE_BACK_TIMEOUTS``), made once; the destination's own
        where it was given one (a test's)."""
        if self._client_given:
            return self.client
        with self._lock:
            client = self._take_back_client
        if client is None:
            from dataclasses import replace

            client = make_client(replace(self.settings, **_TAKE_BACK_TIMEOUTS))  # type: ignore[arg-type]
            if self.token_latch is not None:
                self.token_latch.watch(client)
            if self.unreachable_latch is not None:
                # Two attempts, 2 s to connect: one dropped connection of a take-back or a
                # clean-up says nothing of the service; it is kept back once lost, no more.
                self.unreachable_latch.watch(client, trips=False)
            with self._lock:
                self._take_back_client = client
        return client

    def delete_own_version(self, key: str, version_id: str) -> str | None:
        """Delete the version *version_id* of *key*, one this run made and replaced (the
        object a multipart upload completed, copied onto itself since): on a bucket that
        keeps versions it would otherwise stay, stored twice. Only that version, by its id:
        never the current object, never another writer's. Returns None once deleted, else
        what happened in words (``refused_reason``: a refusal, such as a policy without
        ``s3:DeleteObjectVersion``, or a failure: a 5xx, SlowDown, no answer), kept in
        ``versions_kept``; never raises."""
        try:
            self.client.delete_object(Bucket=self.url.bucket, Key=key, VersionId=version_id)
        except Exception as exc:
            code, status = _error_code(exc)
            if code == "NoSuchVersion":
                return None  # gone already (a run that took our lock over deleted it)
            words = self.delete_failure(self._error(exc, "cannot delete", key), key)
            reason = refused_reason(exc, code, status, words)
            with self._lock:
                self.versions_kept.append(
                    VersionKept(key, reason, version_delete_refused(code, status))
                )
            return reason
        return None

    # -- uploads ------------------------------------------------------------------------

    def open_upload(
        self,
        key: str,
        size_bytes: int,
        *,
        replace: bool = False,
        digests: Mapping[str, str] | None = None,
        hashed: Future[dict[str, str] | None] | None = None,
        staged: bool = False,
        mtime_ns: int | None = None,
    ) -> S3Upload:
        """Start (or resume) the upload of *size_bytes* bytes to *key*. *digests*: the
        file's digests when known up front (stored as ``offload-<name>`` metadata).
        *hashed*: resolves with them once the file was read (stored in the metadata then:
        module docstring), with None if the source failed (a PutObject not yet sent is then
        not sent); with *digests*, those it adds (the run's own algorithms beside a card's
        reference: an XXH32-only legacy MHL and the run's xxh64) join them the same way (a
        multipart object is copied onto itself only when they add one); ignored with
        *staged* (``promote`` stores them).
        *staged*: upload to ``staging_key(key)`` instead (one PutObject: a staging key of
        its own), to be verified there and copied to *key* by ``promote`` (the replacement
        of an object: the object stays until its replacement is proven). *mtime_ns*: the
        source's modification time, stored as rclone stores it (``mtime_metadata``).
        Raises OSError."""
        metadata = {MARKER_KEY: _RUN_TOKEN, **mtime_metadata(mtime_ns), **digest_metadata(digests)}
        if staged:
            upload = S3Upload(
                self,
                self.staging_key(key),
                size_bytes,
                metadata=metadata,
                replace=True,  # the staging key is ours: a leftover of a killed run goes
                final_key=key,
            )
            if not upload.multipart:
                # One PutObject, never resumed: a staging key of its own. The shared one is
                # for a multipart upload to resume (``start`` checks it is no live run's);
                # two runs replacing one object at once each PUT over the other's staged
                # object there, and copied the other's bytes over the final key as its own.
                upload.key = self.staging_key_named(f"{_key_hash(key)}.{secrets.token_hex(8)}")
        else:
            upload = S3Upload(
                self,
                key,
                size_bytes,
                metadata=metadata,
                replace=replace,
                hashed=hashed,
            )
        if upload.multipart:
            upload.start()
        return upload

    def fetch(self, key: str, etag: str | None, size_bytes: int) -> Future[bytes]:
        """Start reading the whole object under *key* (If-Match *etag*) into memory, on the
        read executor; its future raises OSError. For small objects only."""

        def read() -> bytes:
            reader = S3ReadBack(self, key, etag=etag)
            buffer = bytearray(size_bytes + 1)  # one more: a longer object shows it
            try:
                n = reader.read_into(memoryview(buffer), 0)
            finally:
                reader.close()
            del buffer[n:]
            return bytes(buffer)

        try:
            return self._reads.submit(read)
        except RuntimeError:  # closed
            failed: Future[bytes] = Future()
            failed.set_exception(OSError(errno.ECANCELED, "the destination was closed"))
            return failed

    def read_back(
        self,
        key: str,
        algorithms: Sequence[str],
        *,
        etags: dict[str, str] | None = None,
        metadata: dict[str, dict[str, str]] | None = None,
    ) -> tuple[dict[str, str], int]:
        """Stream the object under *key* and hash it with *algorithms*; returns the digests
        and the bytes read. *etags*: where to note the ETag of the object read (every range
        of it is read pinned to that ETag), by key; *metadata*: where to note its user
        metadata (``x-amz-meta-*``, as the first GET's answer carries it: no HEAD), by key.
        Raises OSError."""
        reader = S3ReadBack(self, key)
        buffer = bytearray(8 * 1024 * 1024)
        view = memoryview(buffer)
        offset = 0
        with MultiHasher(algorithms) as hasher:
            try:
                while True:
                    n = reader.read_into(view, offset)
                    if n == 0:
                        break
                    hasher.update(bytes(view[:n]))
                    offset += n
                    if n < len(view):
                        break
            finally:
                reader.close()
            if etags is not None and reader.etag:
                etags[key] = reader.etag
            if metadata is not None and reader.metadata is not None:
                metadata[key] = reader.metadata
            return hasher.hexdigests(), offset

    # -- replacing an object: staged, verified, copied ---------------------------------

    def promote(
        self,
        upload: S3Upload,
        *,
        digests: Mapping[str, str] | None = None,
        fingerprint: str | None = None,
    ) -> str:
        """Copy a staged upload, verified at its staging key, over its final key; returns the
        ETag of the object now under the final key. Raises OSError.

        1. the copy, server-side, pinned to the staging object that was verified
           (CopySourceIfMatch on its ETag): one CopyObject up to ``copy_max``, else a
           multipart copy (UploadPartCopy, each part with the configured checksum, completed
           at once); either way the final key changes atomically, from the old object to the
           whole new one, and the object gets the upload's metadata plus *digests*;
        2. the confirmation: a HEAD shows the copy's ETag and the upload's size, and, when
           *fingerprint* is given (the XXH3-128 of the staging object as the verifying
           read-back read it), the final object is read back whole, pinned to that ETag, and
           must hash to the same value;
        3. the staging object is deleted (a failure there is left for ``abort_abandoned``).

        A failure before the copy completed leaves the final key as it was. A copy that does
        not confirm is deleted (only while it is still ours) and raises EBADMSG. A cancel
        (``cancelled``) aborts a multipart copy; a CopyObject is never half done.
        """
        final = upload.final_key
        if not upload.staged or not upload.completed or not upload.etag:
            raise OSError(errno.EINVAL, f"{self.display(upload.key)} is not a staged upload")
        metadata = {**upload.metadata, **digest_metadata(digests)}
        etag, version = self.copy_object(
            upload.key,
            upload.etag,
            upload.size_bytes,
            final,
            metadata,
            failure="cannot replace",
            changed=f"its verified replacement {self.display(upload.key)} changed before it "
            "was copied",
        )
        with self._lock:
            self.replaced_versions.append(version)
        problem = self._confirm(final, etag, upload.size_bytes, fingerprint)
        if problem is not None:
            outcome: list[str] = []
            self._clean_up(lambda: outcome.append(self._delete_unconfirmed(final, etag, version)))
            raise OSError(
                errno.EBADMSG,
                f"the replacement of {self.display(final)} did not confirm after its copy "
                f"({problem}); {outcome[0] if outcome else 'its delete did not end'}: copy "
                "the file again",
            )
        staging_etag, staging_version = upload.etag, upload.version_id

        def delete_staging() -> None:
            self.delete_or_name(
                upload.key,
                etag=staging_etag,
                version_id=staging_version,
                then=self.staging_then(),
            )

        self._clean_up(delete_staging)
        return etag

    def staging_then(self, *, copied: bool = True) -> str:
        """What becomes of a staging object of ours left in the bucket (``left_behind``):
        one whose replacement was *copied* over its final key, or one never copied."""
        what = "a staging object of a replacement" + (
            "" if copied else ", never copied over its final key"
        )
        return (
            f"{what}: the next offload into this destination deletes it once older than "
            f"{self.settings.abandon_after_s / 3600:g} h"
        )

    def _delete_unconfirmed(self, key: str, etag: str, version: str | None) -> str:
        """Delete the copy a replacement made over *key* that did not confirm (its ETag
        *etag*, its VersionId *version*: ``delete_or_name``, by that id on a bucket that
        keeps versions, which leaves nothing of it and makes the key's previous version, the
        object it replaced unless another writer stored one since, current again); returns
        what became of the copy and of the object it replaced, in words for the file's
        error: never a delete that did not happen (another object under the key now, left
        as it is). A delete that fails names the copy in ``left_behind``. Never raises."""
        outcome = self.delete_or_name(
            key,
            etag=etag,
            version_id=version,
            then=f"a replacement's copy that did not confirm, which {READ_BACK_NEXT}",
        )
        if outcome.bucket_gone:
            return "the bucket is gone, and with it the copy and the object it replaced"
        if outcome.failure is not None:
            return (
                f"its delete failed too ({outcome.failure}): the copy may still be under the "
                "key, named in the report's left_behind, and the next offload reads it back"
            )
        with self._lock:
            refused = any(
                item.key == key and item.version_id == version for item in self.left_behind
            )
        if not outcome.deleted:
            kept = (
                "the copy stays as a noncurrent version (its delete by version id was "
                "refused: named in the report's left_behind), and "
                if refused
                else ""
            )
            return (
                f"another object is now under the key; left as it is: {kept}the object the "
                f"copy replaced {replaced_words([version])}"
            )
        if version and version != "null" and not refused:
            return (
                "the copy was deleted by its version id, nothing of it kept, and the object it "
                "replaced stays in the bucket (the bucket keeps versions: it is the key's current "
                "object again, unless another writer stored one since)"
            )
        if refused:
            return (
                "the copy was deleted, but its delete by version id was refused: it stays as "
                "a noncurrent version (named in the report's left_behind), and so does the "
                "object it replaced"
            )
        return f"the copy was deleted, and the object it replaced {replaced_words([version])}"

    def copy_object(
        self,
        source_key: str,
        source_etag: str,
        size: int,
        key: str,
        metadata: dict[str, str],
        *,
        failure: str,
        changed: str,
    ) -> tuple[str, str | None]:
        """Copy the object under *source_key*, server-side, pinned to *source_etag*
        (CopySourceIfMatch), to *key* (which may be *source_key*: a copy onto itself) with
        *metadata*; returns the new object's ETag and VersionId (None: the bucket keeps no
        versions; ``"null"``: versioning suspended). One CopyObject up to ``copy_max``, else a
        multipart copy (UploadPartCopy, completed at once; aborted on a cancel): either way
        *key* changes atomically, from what it held to the whole copy.

        Not started once ``cancelled``: *key* keeps what it held.

        Raises OSError: EBADMSG "*failure* KEY: *changed*" when the source changed (412: not
        "the key exists", ``_error``'s reading of a 412), ECANCELED on a cancel, else the
        service's error as ``_error`` names it ("*failure* KEY: ...")."""
        self._stop_if_cancelled(f"{self.display(key)} unchanged")
        try:
            return self._copy_object(source_key, source_etag, size, key, metadata)
        except OSError:
            raise
        except Exception as exc:
            code, status = _error_code(exc)
            if code == "PreconditionFailed" or status == 412:
                raise OSError(errno.EBADMSG, f"{failure} {self.display(key)}: {changed}") from None
            raise self._error(exc, failure, key) from exc

    def _copy_object(
        self, source_key: str, source_etag: str, size: int, key: str, metadata: dict[str, str]
    ) -> tuple[str, str | None]:
        """copy_object without the reading of its errors (botocore's raised as they are)."""
        extra: dict[str, Any] = {}
        if self.settings.checksum != "MD5":
            extra["ChecksumAlgorithm"] = self.settings.checksum
        if size > self.settings.copy_max:
            return self._copy_in_parts(source_key, source_etag, size, key, metadata, extra)
        answer = self.client.copy_object(
            Bucket=self.url.bucket,
            Key=key,
            CopySource={"Bucket": self.url.bucket, "Key": source_key},
            CopySourceIfMatch=source_etag,
            MetadataDirective="REPLACE",  # replaces the Content-Type too: given again
            Metadata=metadata,
            ContentType=content_type_for(key),
            **extra,
        )
        etag = str(answer.get("CopyObjectResult", {}).get("ETag", ""))
        return etag, answer.get("VersionId")

    def _copy_in_parts(
        self,
        source_key: str,
        source_etag: str,
        size: int,
        final: str,
        metadata: dict[str, str],
        extra: dict[str, Any],
    ) -> tuple[str, str | None]:
        """The multipart server-side copy of ``copy_object`` (objects above ``copy_max``)."""
        created = self.client.create_multipart_upload(
            Bucket=self.url.bucket,
            Key=final,
            Metadata=metadata,
            ContentType=content_type_for(final),
            **extra,
        )
        upload_id = created["UploadId"]
        checksum_field = self._checksum(b"")[0]
        try:
            parts: list[dict[str, Any]] = []
            part = part_size_for(size, self.settings)
            for number, start in enumerate(range(0, size, part), 1):
                self._stop_if_cancelled(f"{self.display(final)} unchanged")
                end = min(start + part, size) - 1
                answer = self.client.upload_part_copy(
                    Bucket=self.url.bucket,
                    Key=final,
                    UploadId=upload_id,
                    PartNumber=number,
                    CopySource={"Bucket": self.url.bucket, "Key": source_key},
                    CopySourceIfMatch=source_etag,
                    CopySourceRange=f"bytes={start}-{end}",
                )
                result = answer.get("CopyPartResult", {})
                entry: dict[str, Any] = {"PartNumber": number, "ETag": result.get("ETag", "")}
                if result.get(checksum_field):
                    entry[checksum_field] = result[checksum_field]  # type: ignore[literal-required]
                parts.append(entry)
            # A copy onto itself completes only over the object it copied (If-Match on its
            # ETag): one that replaced it meanwhile is not overwritten (412).
            pinned = source_etag if source_key == final else None
            done = self.complete_multipart(final, upload_id, parts, pinned=pinned)
        except BaseException:
            # A server-side copy's upload: it has no record (the final key's, if any, is
            # another upload's).
            self._clean_up(lambda: self.abort_upload(final, upload_id, drop_record=False))
            raise
        return str(done.get("ETag", "")), done.get("VersionId")

    def complete_multipart(
        self,
        key: str,
        upload_id: str,
        parts: list[dict[str, Any]],
        *,
        create: bool = False,
        pinned: str | None = None,
    ) -> dict[str, Any]:
        """Complete the multipart upload *upload_id* to *key*; with *create*, only where no
        object is (never replacing); with *pinned*, only over the object of that ETag (a copy
        onto itself). Conditional (If-None-Match, If-Match: atomic) where the service does
        conditional writes; where it answers 501 to that condition on a completion, a HEAD
        just before instead (racy: another writer could act in between), for this and every
        later completion with that condition (``complete_refused``): a 501 there says
        nothing of PutObject, whose If-None-Match the probe tried, so ``conditional_create``
        stays as it was. A 501 to a PutObject's If-None-Match (``put_refused``) turns
        *create* to the HEAD check too, never *pinned* (``conditional_match``). Raises
        botocore's errors (412: the condition failed), FileExistsError or OSError (EBADMSG:
        the object changed) as the HEAD saw it."""
        while True:
            with self._lock:
                refused = set(self._complete_refused)
            extra: dict[str, Any] = {}
            if create and self.conditional_create and "If-None-Match" not in refused:
                extra["IfNoneMatch"] = "*"
            elif create and self.exists_key(key):
                raise FileExistsError(
                    errno.EEXIST, f"cannot publish {self.display(key)}: the key exists already"
                )
            if pinned is not None and self.conditional_match and "If-Match" not in refused:
                extra["IfMatch"] = pinned
            elif pinned is not None:
                info = self.stat_key(key)
                if info is None or info.etag != pinned:
                    raise OSError(
                        errno.EBADMSG,
                        f"{self.display(key)} changed before its copy onto itself completed",
                    )
            try:
                answer = self.client.complete_multipart_upload(
                    Bucket=self.url.bucket,
                    Key=key,
                    UploadId=upload_id,
                    MultipartUpload={"Parts": parts},  # type: ignore[typeddict-item]
                    **extra,
                )
            except Exception as exc:
                code, status = _error_code(exc)
                if extra and (code == "NotImplemented" or status == 501):
                    with self._lock:
                        self._complete_refused.update(_CONDITION_HEADERS[name] for name in extra)
                    continue
                raise
            return cast(dict[str, Any], answer)

    def _confirm(self, key: str, etag: str, size: int, fingerprint: str | None) -> str | None:
        """What is wrong with the object a copy just made (None: it is the one expected)."""
        info = self.stat_key(key)
        if info is None:
            return "no object under the key"
        if info.etag != etag:
            return "another object under the key"
        if info.size_bytes != size:
            return f"{info.size_bytes} bytes, expected {size}"
        if fingerprint is None:
            return None
        reader = S3ReadBack(self, key, etag=etag, fingerprint=True)
        buffer = memoryview(bytearray(_GET_CHUNK * 8))
        offset = 0
        try:
            while True:
                self._stop_if_cancelled(f"while reading {self.display(key)}")
                n = reader.read_into(buffer, offset)
                offset += n
                if n < len(buffer):
                    break
        finally:
            reader.close()
        if reader.fingerprint() != fingerprint:
            return "read back, it differs from the verified replacement"
        return None

    # -- resume records -----------------------------------------------------------------

    def _load_record(self, key: str) -> tuple[dict[str, Any], str] | None:
        """The upload record of *key* and the ETag of the object it was read from (what
        ``_drop_record`` may delete: only that object); None: none, or not a record of
        *key*. Raises OSError."""
        found = self.get_small_tagged(self._record_key(key))
        if found is None:
            return None
        try:
            record = json.loads(found[0])
        except ValueError:
            return None
        if not isinstance(record, dict) or record.get("key") != key:
            return None
        if self.copied_record(self._record_key(key), record):
            return None  # a copy of another prefix's record (never resumed, nor aborted)
        return record, found[1]

    def copied_record(self, listed: str, record: Mapping[str, Any]) -> bool:
        """Whether the upload *record*, read from the object *listed*, is a copy (a copied
        ``.offload`` folder, a prefix copied server-side, a record copied under another
        name) rather than the record a run stores and takes over: its ``key`` does not lie
        under this URL's prefix, *listed* is not that key's record key (``_record_key``),
        or the key the record says it was stored under (``record_key``, written since the
        twenty-ninth pass) is another. No run reads or stores a copy again, so what it says
        of its maker and age proves nothing of the upload it names (a live run may have
        resumed that upload through the real record, stored again naming itself): the
        sweep never aborts an upload through a copy, and deletes the copy
        (``_sweep_records``)."""
        key = str(record.get("key"))
        try:
            self.url.relative(key)
        except ValueError:
            return True
        stored_at = record.get("record_key")
        return listed != self._record_key(key) or stored_at not in (None, listed)

    def _save_record(self, key: str, record: dict[str, Any]) -> None:
        # Where it is stored: a copy of it elsewhere says so (``copied_record``).
        record = {**record, "record_key": self._record_key(key)}
        body = STRICT.encode(record).encode("utf-8", "surrogateescape")
        self._note_record(key, *self._put(self._record_key(key), body, metadata={}, replace=True))

    def adopt_record(self, key: str, record: Mapping[str, Any], etag: str) -> bool:
        """Take over the upload record of *key* an earlier run stored (read as *record*,
        with *etag*), to resume its upload: stored again naming this run as its maker
        (``_maker``: run, host, pid, start; ``created_at`` now, so the age rule counts from
        this run's start of it), so that no sweep takes this live run's upload for the
        dead maker's (``abort_abandoned``). Only over the object judged: ``_put`` pinned
        to *etag* (If-Match; a service that answers 501: a HEAD just before, racy, for this
        request only: ``conditional_create`` stays as it was; a lost answer whose resend is
        refused, proved stored by a HEAD). False when
        the record is no longer that object (another run took it over, or dropped it) or
        cannot be stored: the upload is then not this run's to resume. Never raises."""
        # "marker": the token the upload's object carries (``MARKER_KEY``), fixed at its
        # creation by the run that began it.
        body = STRICT.encode(
            {
                **record,
                "marker": _record_marker(record),
                "created_at": time.time(),
                "record_key": self._record_key(key),
                **_maker(),
            }
        ).encode("utf-8", "surrogateescape")
        try:
            stored = self._put(self._record_key(key), body, metadata={}, replace=True, pinned=etag)
        except Exception:
            return False  # 412: another object now; gone; else failed
        self._note_record(key, *stored, adopted=True)
        return True

    def _note_record(
        self, key: str, etag: str, version: str | None, *, adopted: bool = False
    ) -> None:
        """Note the upload record of *key* this run stored (*etag*, its *version*;
        *adopted*: over an earlier run's, ``adopt_record``), for ``_drop_record``. An
        adopted record's version is not noted: deleted by its id, it would make the earlier
        run's version current again, which the plain delete pinned to *etag* that follows
        where versions cannot be listed (no s3:ListBucketVersions) would not touch; without
        it, that delete hits this run's current object (``_drop_record`` deletes every
        version of that upload's record by its id where it may list them)."""
        with self._lock:
            if adopted:
                self._records_adopted.add(key)
            self._records_ours.add(key)
            self._record_etags[key] = etag
        if adopted:
            return
        if version and version != "null":  # "null": a suspended bucket's, maybe not ours
            with self._lock:
                self._record_versions.setdefault(key, []).append(version)

    def _drop_record(
        self,
        key: str,
        upload_id: str | None = None,
        *,
        etag: str | None = None,
        upload_gone: bool = False,
    ) -> None:
        """Delete the upload record of *key*: on a versioned bucket, each version this run
        stored of it by its id (nothing left, no delete marker; never another run's), else
        (a record an earlier run left, a bucket without versions, a refusal) a delete of
        the record object only while it is still the one judged (If-Match: *etag*, the
        ETag it was read with, else that of the record this run stored): another live run
        (a one-file copy of the same key, which holds no lock) may have just stored its own
        record there, which a plain delete would take from it. Where no ETag is known
        (nothing judged), nothing is deleted; where the service cannot delete on a
        condition (``conditional_delete`` False, or 501), a record whose upload is proven
        gone (*upload_gone*: completed, aborted, or not listed in progress) is deleted
        only while a HEAD just before shows it unchanged (``_delete_record_unchanged``),
        any other is left and named in ``left_behind``, as is each version a refusal
        leaves. A record an
        earlier run left (none of its versions this run's) of the upload *upload_id*, now
        completed or aborted: on a versioned bucket, each version of it that is provably
        that upload's record (``delete_versions_where``: our record's format, its key and
        *upload_id*), a run killed since it stored them, is deleted by its id too. Never
        raises: a stale record is found and dropped by a later run."""
        record = self._record_key(key)
        with self._lock:
            versions = self._record_versions.pop(key, [])
            # An earlier run's record (or one this run took over from it: its versions).
            earlier = key not in self._records_ours or key in self._records_adopted
            self._records_ours.discard(key)
            self._records_adopted.discard(key)
            own_etag = self._record_etags.pop(key, None)
        etag = etag or own_etag
        for index, version in enumerate(versions):
            try:
                self.client.delete_object(Bucket=self.url.bucket, Key=record, VersionId=version)
            except Exception as exc:
                code, status = _error_code(exc)
                if code == "NoSuchVersion":
                    continue
                if bucket_gone(exc):
                    return  # nothing is left in a bucket that is gone
                refused = version_delete_refused(code, status)
                reason = refused_reason(exc, code, status)
                if not refused:
                    # No answer, or the service unwell (5xx, SlowDown): no plain delete
                    # either, so the record stays where the next run's sweep finds it.
                    reason += (
                        "; the record stays, and the next offload into this destination "
                        "deletes it, each version by its id where it may list them "
                        "(s3:ListBucketVersions)"
                    )
                for left in versions[index:]:
                    self.note_left_behind(record, left, reason, refused=refused)
                if not refused:
                    return
                break
        else:
            if versions and not earlier:
                return
        if (
            earlier
            and upload_id
            and self.delete_versions_where(record, lambda body: record_names(body, key, upload_id))
        ):
            return  # every version gone: a plain delete would leave a delete marker
        if etag:
            self._delete_record_object(record, etag, upload_gone=upload_gone)

    def _delete_record_object(self, record: str, etag: str, *, upload_gone: bool) -> None:
        """Delete the record object *record* only while it has *etag* (``_drop_record``).
        Another object there now (412) is another run's: left as it is. Where the service
        cannot delete on a condition: ``_delete_record_unchanged`` if the upload the record
        names is gone (*upload_gone*), else left and named in ``left_behind``. Never
        raises."""
        if self.conditional_delete:
            try:
                self.client.delete_object(Bucket=self.url.bucket, Key=record, IfMatch=etag)
                return
            except Exception as exc:
                code, status = _error_code(exc)
                if code != "NotImplemented" and status != 501:
                    # 412: another run's record now; 404: gone; else left for a later
                    # run's sweep.
                    return
                self._conditional_delete_refused()
        if upload_gone:
            self._delete_record_unchanged(record, etag)
        else:
            self.note_left_behind(record, None, LEFT_WITHOUT_CONDITIONAL_DELETE)

    def _delete_record_unchanged(self, record: str, etag: str) -> None:
        """On a service that cannot delete on a condition: delete the record object *record*,
        whose body (the one read or stored with *etag*) names an upload the service no
        longer has, by a plain delete once a HEAD just before shows it still *etag*. Such
        a record is dead for good (an upload id never comes back); a record another run
        stored there since is another object (another upload id: another ETag) and is
        left. What remains: a record another run stores between the HEAD and the delete
        (one request's time) is deleted; that run's upload still completes and is
        verified, but is no longer resumable, nor found by a later sweep if that run is
        killed before completing it (its parts stay until the bucket's lifecycle rule
        aborts it). A failed HEAD or delete leaves the record, named in ``left_behind``
        (a later run's sweep deletes it). Never raises."""
        try:
            info = self.stat_key(record)
        except Exception as exc:
            if not bucket_gone(exc):
                why = self.delete_failure(exc, record, operation="cannot look up")
                self.note_left_behind(
                    record,
                    None,
                    f"its HEAD before the delete failed ({why}); a later run deletes it",
                )
            return
        if info is None or info.etag != etag:
            return  # gone, or another run's record now: not the one judged
        try:
            self.client.delete_object(Bucket=self.url.bucket, Key=record)
        except Exception as exc:
            if not bucket_gone(exc):
                why = self.delete_failure(self._error(exc, "cannot delete", record), record)
                self.note_left_behind(
                    record, None, f"its delete failed ({why}); a later run deletes it"
                )

    def delete_versions_where(self, key: str, ours: Callable[[bytes], bool]) -> bool:
        """On a bucket that keeps versions, delete by its id each version of *key* whose body
        (its first 64 KiB, read by that id) *ours* says is provably ours and done with (a
        lock of a holder judged stale, the record of an upload completed or aborted): what
        a run killed (SIGKILL, power cut) left, which no run deletes otherwise. Versions of
        other bodies, and the "null" version, are left alone. Returns True when no version
        of *key* is left (nothing current either); False otherwise, on a bucket without
        versions, or where the listing is refused (no ``s3:ListBucketVersions``). Never
        raises. One ListObjectVersions, a GET and a DELETE a version; an upload record met
        by the records' sweep (``abort_abandoned``) is found in the one listing of the whole
        records prefix that sweep makes (``_versions_of``), not one listing a record."""
        bucket = self.url.bucket
        listed = self._versions_of(key)
        if listed is None:
            return False
        found = [version for version, judged in listed if judged]
        left = len(found) < len(listed)  # the "null" version, or a delete marker
        for version in found:
            try:
                answer = self.client.get_object(Bucket=bucket, Key=key, VersionId=version)
                with answer["Body"] as body:
                    data = body.read(64 * 1024)
                if not ours(data):
                    left = True
                    continue
                self.client.delete_object(Bucket=bucket, Key=key, VersionId=version)
            except Exception:
                left = True
        return not left

    def _versions_of(self, key: str) -> list[tuple[str, bool]] | None:
        """Each version of *key* (``list_versions``'s pairs): during the records' sweep, a
        record's from the sweep's one listing of the records prefix, made when the first
        record needs it (``_sweep_listing``); else from a listing of *key*'s own. None: the
        listing failed (refused: no ``s3:ListBucketVersions``; the service). Never
        raises."""
        records = self.url.key(UPLOADS_FOLDER) + "/"
        if self._sweep_thread == threading.get_ident() and key.startswith(records):
            if not self._sweep_listed:
                self._sweep_listing, self._sweep_listed = self._listed_or_none(records), True
            listing = self._sweep_listing
        else:
            listing = self._listed_or_none(key)
        return None if listing is None else listing.get(key, [])

    def _listed_or_none(self, prefix: str) -> dict[str, list[tuple[str, bool]]] | None:
        try:
            return self.list_versions(prefix)
        except Exception:
            return None

    def list_versions(self, prefix: str) -> dict[str, list[tuple[str, bool]]]:
        """Every version and delete marker whose key starts with *prefix*, by key: (its
        VersionId, whether it is to be judged: a version with a size and an id of its own,
        not the "null" version nor a delete marker). ListObjectVersions, a thousand a page.
        Raises the client's error."""
        found: dict[str, list[tuple[str, bool]]] = {}
        paginator = self.client.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=self.url.bucket, Prefix=prefix):
            for entry in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                version = entry.get("VersionId")
                judged = bool(version) and version != "null" and "Size" in entry
                found.setdefault(str(entry.get("Key", "")), []).append((str(version), judged))
        return found

    def delete_run_doubles(self, prefix: str, token: str) -> int:
        """After taking over the lock of a run judged stale whose run token is *token*: on a
        bucket that keeps versions, delete by its id each noncurrent version under *prefix*
        (a copy root; its own ``.offload/`` aside) that run uploaded and then stored again
        as its key's current object: the version a multipart upload completed, left when
        the run was killed before deleting it once copied onto itself with its digests
        (``delete_own_version``), the clip stored twice. Proven by both objects' metadata:
        the same ``offload-upload`` (*token*, the lock's own run token) and the same
        ``mtime`` (a card file's: never a manifest's or a report's), and the same size.
        Everything else stays: the user's versions, another run's, a delete marker's key, a
        version of that run no current object of its repeats. Returns how many were deleted.
        Never raises (without ``s3:ListBucketVersions`` nothing is looked for). One
        ListObjectVersions a thousand versions (a bucket without versions lists "null"
        ones alone: nothing more), then only for a key with a noncurrent version of ours: a
        HEAD of its current object, one of that version, and its DELETE."""
        bucket = self.url.bucket
        head = f"{prefix}/" if prefix else ""
        state = f"{head}{STATE_PREFIX}/"
        latest: dict[str, tuple[str, int]] = {}
        older: dict[str, list[tuple[str, int]]] = {}
        try:
            paginator = self.client.get_paginator("list_object_versions")
            for page in paginator.paginate(Bucket=bucket, Prefix=head):
                for entry in page.get("Versions", []):
                    key, version = str(entry.get("Key", "")), entry.get("VersionId")
                    if key.startswith(state) or not version or version == "null":
                        continue
                    found = (str(version), int(entry.get("Size", -1)))
                    if entry.get("IsLatest"):
                        latest[key] = found
                    else:
                        older.setdefault(key, []).append(found)
        except Exception:
            return 0

        def metadata(key: str, version: str) -> dict[str, str] | None:
            try:
                answer = self.client.head_object(Bucket=bucket, Key=key, VersionId=version)
            except Exception:
                return None
            return dict(answer.get("Metadata") or {})

        deleted = 0
        for key, versions in older.items():
            current = latest.get(key)  # none: a delete marker is the key's latest
            if current is None:
                continue
            now = metadata(key, current[0])
            if now is None or now.get(MARKER_KEY) != token or MTIME_KEY not in now:
                continue
            for version, size in versions:
                if size != current[1]:
                    continue
                then = metadata(key, version)
                if then is None or then.get(MARKER_KEY) != token:
                    continue
                if then.get(MTIME_KEY) != now[MTIME_KEY]:
                    continue
                try:
                    self.client.delete_object(Bucket=bucket, Key=key, VersionId=version)
                    deleted += 1
                except Exception:
                    pass
        return deleted

    def _upload_in_progress(self, key: str, upload_id: str, *, listed_before: bool = False) -> bool:
        """Whether the service still lists the multipart upload *upload_id* of *key*.
        *listed_before*: the caller knows that upload, if it was ever created, was created
        before the records' sweep listed the records (its record, stored only once its
        upload exists, is the very object that listing showed: same ETag); on the sweep's
        thread it is then looked up in the sweep's one listing of the uploads under the
        prefix (``_sweep_uploads``, made after the records' listing, when the first record
        needs it), which answers only "in progress": an upload it does not list is asked of
        its own key as any other (a service may not list uploads by prefix: MinIO). Otherwise,
        one ListMultipartUploads of *key*'s own. Raises OSError."""
        # Not in the sweep's listing is no proof the upload is gone: MinIO lists multipart
        # uploads by exact key only (a prefix lists none), and a listing may lag; asked of
        # its own key below before its record is dropped as dead.
        if (
            listed_before
            and self._sweep_thread == threading.get_ident()
            and any(listed == upload_id for listed, _ in self._sweep_uploads().get(key, []))
        ):
            return True
        try:
            paginator = self.client.get_paginator("list_multipart_uploads")
            for page in paginator.paginate(Bucket=self.url.bucket, Prefix=key):
                for upload in page.get("Uploads", []):
                    if upload.get("Key") == key and upload.get("UploadId") == upload_id:
                        return True
        except Exception as exc:
            raise self._error(exc, "cannot list the uploads of", key) from exc
        return False

    def _sweep_uploads(self) -> dict[str, list[tuple[str, float | None]]]:
        """Every multipart upload in progress under the URL's prefix, by key: its upload id
        and start time (its ``Initiated``, the service's clock, in seconds; None where the
        service gives none). ListMultipartUploads, a thousand a page, once a sweep
        (``abort_abandoned``, on its thread: kept until the sweep ends). Raises OSError."""
        if self._sweep_uploads_listed is not None:
            return self._sweep_uploads_listed
        head = self.url.key("")
        head = f"{head}/" if head else ""
        found: dict[str, list[tuple[str, float | None]]] = {}
        try:
            paginator = self.client.get_paginator("list_multipart_uploads")
            for page in paginator.paginate(Bucket=self.url.bucket, Prefix=head):
                for upload in page.get("Uploads", []):
                    initiated = upload.get("Initiated")
                    found.setdefault(str(upload.get("Key", "")), []).append(
                        (
                            str(upload.get("UploadId", "")),
                            None if initiated is None else initiated.timestamp(),
                        )
                    )
        except Exception as exc:
            raise self._error(exc, "cannot list the uploads of", head) from exc
        self._sweep_uploads_listed = found
        return found

    def _existing_parts(self, key: str, upload_id: str) -> dict[int, _ExistingPart]:
        param = self._checksum(b"")[0]
        parts: dict[int, _ExistingPart] = {}
        try:
            paginator = self.client.get_paginator("list_parts")
            for page in paginator.paginate(Bucket=self.url.bucket, Key=key, UploadId=upload_id):
                for part in page.get("Parts", []):
                    number = int(part["PartNumber"])
                    raw = part.get(param) if param != "ContentMD5" else None
                    parts[number] = _ExistingPart(
                        number,
                        int(part.get("Size", 0)),
                        str(part.get("ETag", "")),
                        str(raw) if raw else None,
                    )
        except Exception as exc:
            raise self._error(exc, "cannot list the parts of", key) from exc
        return parts

    def abort_upload(
        self,
        key: str,
        upload_id: str,
        *,
        drop_record: bool = True,
        record_etag: str | None = None,
        then: str | None = None,
        maybe_completed: bool = False,
    ) -> bool:
        """Abort one upload and drop its record (unless not *drop_record*: the record is
        another run's, or it has none): the record object read with *record_etag*, else the
        one this run stored (``_drop_record``). Where the abort fails (no answer, or refused:
        not an upload the service no longer has, nor a bucket that is gone), the record is
        kept, so a later run resumes or aborts the upload, and the upload is named in
        ``left_behind`` with its id (``name_unaborted``; *then*: what becomes of it, else
        the words for a record kept, or for none where not *drop_record*; *maybe_completed*:
        its CompleteMultipartUpload was sent and got no answer). Returns whether the upload
        is gone. Never raises."""
        try:
            self.client.abort_multipart_upload(Bucket=self.url.bucket, Key=key, UploadId=upload_id)
        except Exception as exc:
            code, status = _error_code(exc)
            if code == "NoSuchBucket":
                return True  # the bucket is gone, and every upload in it
            if code != "NoSuchUpload" and status != 404:
                self.name_unaborted(
                    key,
                    upload_id,
                    exc,
                    recorded=drop_record,
                    then=then,
                    maybe_completed=maybe_completed,
                )
                return False
        if drop_record:
            self._drop_record(key, upload_id, etag=record_etag, upload_gone=True)
        return True

    def name_unaborted(
        self,
        key: str,
        upload_id: str,
        exc: BaseException,
        *,
        recorded: bool,
        then: str | None = None,
        maybe_completed: bool = False,
    ) -> None:
        """Name in ``left_behind`` the upload *upload_id* of *key* whose abort failed with
        *exc*: its parts stay on the service, stored for nothing until it is aborted; with
        what becomes of it (*then*; else, as *recorded*, its record kept for the next run,
        or no record of it at all), and the command that aborts it. *maybe_completed*: its
        CompleteMultipartUpload was sent and its answer lost, so the service may have
        completed it (no upload nor parts left; the object is named apart, as one that may
        be stored): the entry says so rather than that its parts stay. Thread-safe."""
        why = self.delete_failure(self._error(exc, "cannot delete", key), key)
        if then is None:
            then = (
                "its record stays under .offload/uploads/, so the next offload into this "
                "destination resumes or aborts it"
                if recorded
                else "no record of it was stored, so no later run resumes or aborts it: the "
                "command below, or the bucket's lifecycle rule for incomplete multipart "
                "uploads, removes it"
            )
        what = (
            "a multipart upload whose completion was sent but got no answer: its abort "
            f"failed ({why}); it may have been completed (see the entry of its object: then "
            "no upload nor parts are left), else its parts stay on the service, stored for "
            "nothing until it is aborted"
            if maybe_completed
            else f"an unfinished multipart upload: its abort failed ({why}); its parts stay on "
            "the service, stored for nothing until it is aborted"
        )
        self.note_left_behind(key, None, f"{what}; {then}", upload_id=upload_id)

    def may_take_over(self, key: str, record: Mapping[str, Any]) -> bool:
        """Whether the upload *record* names may be resumed or aborted by this run; *key*:
        the key that upload ends at (a staged upload's final key, never its staging key,
        which lies under the destination URL's ``.offload/``, outside every copy root nested
        in it: the locks that matter are those above the final key). It is
        this process's; else never while a live lock of a copy root at or above the key
        names the run that made it, or a lock there cannot be read (``live_run_may_own``);
        else when this run holds the lock of the copy root the key lies in (``s3lock``:
        every other run into it is over, but for one of a copy root nested with it, which
        the lock check saw); or the run that made it is gone (this host, its pid no longer
        runs); or it is older than ``abandon_after_s``. Otherwise another run may be
        writing it now (a one-file copy holds no lock), and it is not ours to touch."""
        if record.get("run") == _RUN_TOKEN:
            return True
        if self.live_run_may_own(key, record, {}):
            return False
        if any(not root or key.startswith(f"{root}/") for root in self.locked_roots):
            return True
        created = record.get("created_at")
        if isinstance(created, int | float) and created < (
            self.started_at - self.settings.abandon_after_s
        ):
            return True
        return self.maker_gone(record)

    @staticmethod
    def maker_gone(record: Mapping[str, Any]) -> bool:
        """Whether the process that made (or last took over) the upload *record* is known
        to be over (``offload.lock.body_gone`` of the ``process_identity`` the record
        names, as a lock's body does: its pid counted in this process space,
        this boot and pid namespace, and no longer running, or running another process than
        the one started at the record's ``pid_start``). Another host's, container's or
        boot's, or a record without them, is never known to be over."""
        from offload.lock import body_gone  # the card layer's lock module, loaded by then

        return body_gone(record)

    def _dead_and_unlocked(
        self,
        final: str,
        record: Mapping[str, Any],
        record_key: str,
        record_etag: str,
        seen: dict[str, set[str] | None],
    ) -> bool:
        """Whether the sweep may abort the upload *record* names now, whatever its age: its
        maker is known to be over (``maker_gone``: this host's process space, pid gone or
        reused), no live lock at or above *final* names another run than this one (a live
        run there may have resumed that upload: a lock that cannot be read, or names no run,
        counts as one, ``_other_run_live_above``), and the record, listed at *record_key*,
        is still the object read (*record_etag*, a HEAD just before: a run resuming that
        upload first stores the record again naming itself, ``adopt_record``, under its
        key's record key). A copy of a record (``copied_record``) comes to these checks
        only once the real record is known gone or naming another upload
        (``s3copied.sweep_copy``, through ``unlocked_and_unchanged``): a run that took over
        the real record would not show at the copy's key, whose HEAD would always match.
        What remains: a run that takes the record over between that HEAD and the abort
        (one request's time) loses its upload (its completion fails, the file fails and is
        copied again by the next run). Never raises."""
        return self.maker_gone(record) and self.unlocked_and_unchanged(
            final, record_key, record_etag, seen
        )

    def unlocked_and_unchanged(
        self, final: str, record_key: str, record_etag: str, seen: dict[str, set[str] | None]
    ) -> bool:
        """``_dead_and_unlocked`` past its maker's check, for a caller that asked
        ``maker_gone`` already (``s3copied.sweep_copy``: ``os.kill`` of its pid and a read of
        its start in /proc, asked once a record): no live lock
        of another run at or above *final*, and the record at *record_key* still the object
        read (*record_etag*). Never raises."""
        if self._other_run_live_above(final, seen):
            return False
        try:
            info = self.stat_key(record_key)
        except Exception:
            return False
        return info is not None and bool(record_etag) and info.etag == record_etag

    def live_run_may_own(
        self, key: str, record: Mapping[str, Any], seen: dict[str, set[str] | None]
    ) -> bool:
        """Whether the run that made the upload *record* may be writing it now as the holder
        of a copy root's lock: a live lock at or above *key* (at or below the URL's prefix)
        names its token, or one there cannot be read and the record is younger than
        ``s3lock.UNREADABLE_LOCK_ABANDON_S`` (``s3lock.live_tokens_above``; *seen*: the
        answers so far). Copy roots may nest (``--into`` a copy root's folder, or a card's
        folder holding another card's copy root): a run's own lock, or its record's age
        below that, says nothing of a run into a copy root nested with it."""
        from offload.destinations.s3lock import UNREADABLE_LOCK_ABANDON_S, live_tokens_above

        tokens = live_tokens_above(self, key, seen)
        if tokens is not None:
            return record.get("run") in tokens
        # Cannot tell (a lock not readable, or naming no run): a run may be live there,
        # unless the record is older than any live run's upload of one file can be.
        created = record.get("created_at")
        return not (
            isinstance(created, int | float)
            and created < self.started_at - UNREADABLE_LOCK_ABANDON_S
        )

    @staticmethod
    def record_final_key(record: Mapping[str, Any]) -> str:
        """The key the upload *record* names ends at: its ``final_key`` (a staged upload's,
        written since records have it), else its ``key``."""
        return str(record.get("final_key") or record["key"])

    def _delete_abandoned(self, key: str, etag: str) -> None:
        """Delete the staging object under *key* that an earlier run left (judged old by
        its listing, *etag*), or a copied upload record (``s3copied.drop_copy``). On a
        bucket that keeps versions, that object's own version by its id, learnt by a HEAD
        pinned to *etag* (the object judged, no other): a plain
        delete there keeps the whole clip as a noncurrent version under a delete marker,
        stored for nothing. Else (no versions, the "null" version of a suspended bucket,
        the HEAD or the delete by id refused: ``version_delete_refused``) a plain delete
        pinned to *etag*, as before. Other versions of the key stay. Raises OSError (a
        delete by id that failed otherwise: no plain delete follows)."""
        version = None
        try:
            head = self.client.head_object(Bucket=self.url.bucket, Key=key, IfMatch=etag)
            if str(head.get("ETag", "")) != etag:
                return  # a service that ignores If-Match: another object by now
            version = head.get("VersionId")
        except Exception as exc:
            code, status = _error_code(exc)
            if code == "PreconditionFailed" or status in (404, 412) or code == "NoSuchKey":
                return  # changed or gone since it was listed: not the object judged
        if version and version != "null":
            try:
                self.client.delete_object(Bucket=self.url.bucket, Key=key, VersionId=version)
                return
            except Exception as exc:
                code, status = _error_code(exc)
                if code == "NoSuchVersion":
                    return
                if not version_delete_refused(code, status):
                    # The service unwell or gone: a plain delete would lay a delete marker
                    # over the version; a later run's sweep deletes it by its id.
                    raise self._error(exc, "cannot delete", key) from exc
        self.delete_key(key, etag=etag)

    def abort_abandoned(
        self, keys_of_this_run: Iterable[str] = (), staging: list[str] | None = None
    ) -> list[str]:
        """Abort our uploads that will never be resumed, and delete our old staging objects;
        returns their keys (*staging*, when given, gets those of them that are staging
        objects deleted, not uploads aborted: the summary says each kind).

        Ours: recorded under ``.offload/uploads/``, or stored under ``.offload/staging/``.
        Uploads kept: those of keys this run is about to write (``open_upload`` resumes
        them, or aborts them if they cannot be resumed); kept too, uploads and staging
        objects younger than ``abandon_after_s`` (another run may be writing them), and
        uploads, whatever their age, of a run that a live lock of a copy root at or above
        their key names (``live_run_may_own``: a run of days into a nested copy root).
        Aborted whatever their age: uploads whose maker is provably gone, with no other
        run's live lock above them (``_dead_and_unlocked``). An upload named by a copy of
        its record (``copied_record``) is left to its real record, the copy deleted; where
        that record is gone (a prefix moved), the same rules may abort it, else it is named
        in ``left_behind`` (``s3copied``). A
        record whose upload the service no longer has is dropped; one whose abort fails is
        kept (the next sweep tries again) and its upload named in ``left_behind``
        (``abort_upload``), not among the keys returned. Raises OSError if the records
        cannot be listed.
        """
        keep = set(keys_of_this_run)
        keep |= {self.staging_key(key) for key in keep}  # a replacement's upload resumes too
        aborted: list[str] = []
        seen: dict[str, set[str] | None] = {}  # copy root → its live lock's token
        cutoff = self.started_at - self.settings.abandon_after_s
        # Staging objects (a replacement verified but not yet copied, or copied but not yet
        # deleted, when a run was killed): deleted once as old, whatever this run writes
        # (a new replacement uploads its own).
        for info in list(self.list_keys(self.url.key(STAGING_FOLDER) + "/")):
            if info.mtime_ns / 1e9 < cutoff:
                self._delete_abandoned(info.key, info.etag)
                aborted.append(info.key)
                if staging is not None:
                    staging.append(info.key)
        # A record's versions: one listing for them all, on this thread (``_versions_of``).
        # Their uploads: one listing too, after the records' (``_upload_in_progress``).
        self._sweep_thread, self._sweep_listed = threading.get_ident(), False
        try:
            self._sweep_records(keep, cutoff, seen, aborted)
        finally:
            self._sweep_thread, self._sweep_listed, self._sweep_listing = None, False, None
            self._sweep_uploads_listed = None
        return aborted

    def _sweep_needs_no_read(
        self,
        listed: Sequence[ObjectInfo],
        keep: set[str],
        cutoff: float,
        seen: dict[str, set[str] | None],
    ) -> set[str]:
        """The record keys among *listed* (the records' listing) that the sweep need not
        read, from the one listing of the uploads under the prefix (``_sweep_uploads``, made
        here, after the records' listing, where any record is listed): a record whose key is
        that of exactly one upload in progress (``_record_key`` of its key), not stored
        before that upload began (the upload's ``Initiated``: a record is stored once its
        upload exists, so an older one may name an earlier upload), where that upload's key
        is one this run writes (*keep*), or began at or after *cutoff* (young: the service's
        own start time of the upload whose start the record's ``created_at`` notes) and lies
        below a live lock of another run than this one, or one that cannot be read
        (``s3lock.live_tokens_above`` of the upload's key, *seen*: the sweep's own answers).
        Read, such a record would be kept and its upload left (in progress; kept, or young
        with another run live above it: ``_dead_and_unlocked`` refuses). A young upload with
        no other live run above it is read: its maker may be provably gone (a killed run of
        this host, its lock judged stale), and its upload aborted at once. Every other
        outcome, a record dropped or an upload aborted, still needs its read. A wrong
        guess (a record naming another upload of the key than the one in progress, begun in
        the same second; a writer's clock behind the service's) can only leave a record or an
        upload to a later sweep, never drop or abort one. Nothing on a service that lists no
        uploads by prefix (MinIO) or gives every upload one old start time (moto: 2010), but
        for *keep*: those records are read. Raises OSError."""
        if not listed:
            return set()
        by_record: dict[str, tuple[str, float]] = {}
        for key, uploads in self._sweep_uploads().items():
            # No start time: nothing to order a record after, the record is read.
            if len(uploads) == 1 and uploads[0][1] is not None:
                by_record[self._record_key(key)] = (key, uploads[0][1])
        quiet: set[str] = set()
        for info in listed:
            upload = by_record.get(info.key)
            if upload is None:
                continue
            key, began = upload
            stored_s = info.mtime_ns / 1e9
            # The listings' times are whole seconds on some services: the same second counts
            # as not before.
            if stored_s < math.floor(began):
                continue  # stored before that upload began: it may name another
            if key in keep or (began >= cutoff and self._other_run_live_above(key, seen)):
                quiet.add(info.key)
        return quiet

    def _other_run_live_above(self, key: str, seen: dict[str, set[str] | None]) -> bool:
        """Whether a live lock at or above *key* names another run than this one, or cannot
        be read (``s3lock.live_tokens_above``): ``_dead_and_unlocked`` then refuses an
        upload of *key* (of a staging key: the locks from the URL's prefix down, which lie
        above its final key too). Never raises."""
        from offload.destinations.s3lock import live_tokens_above

        tokens = live_tokens_above(self, key, seen)
        return tokens is None or bool(tokens - {_RUN_TOKEN})

    def _sweep_records(
        self, keep: set[str], cutoff: float, seen: dict[str, set[str] | None], aborted: list[str]
    ) -> None:
        """``abort_abandoned``'s pass over the upload records (adds to *aborted*). A record
        the listings show needs nothing (``_sweep_needs_no_read``) is not read."""
        listed = list(self.list_keys(self.url.key(UPLOADS_FOLDER) + "/"))
        quiet = self._sweep_needs_no_read(listed, keep, cutoff, seen)
        for info in listed:
            if info.key in quiet:
                continue
            found = self.get_small_tagged(info.key)
            raw, record_etag = found if found is not None else (b"", "")
            try:
                record = json.loads(raw)
                key, upload_id = str(record["key"]), str(record["upload_id"])
                created = float(record.get("created_at", 0.0))
            except (ValueError, KeyError, TypeError):
                continue
            if self.copied_record(info.key, record):
                # No run reads a copy, nor stores it again: its upload is the real record's
                # (a live run may have resumed it through that one), unless that record is
                # gone (a prefix moved); the copy goes (``s3copied``).
                if sweep_copy(self, info, record, record_etag, keep=keep, cutoff=cutoff, seen=seen):
                    aborted.append(key)
                continue
            # A record whose upload the service no longer has is dead for good (an upload
            # id never comes back): dropped, also of a key this run writes (one it finds
            # already there is never opened again, and its record would stay).
            # The record as listed (same ETag) was stored after its upload was created, so
            # before the records' listing: the sweep's one uploads listing, made after it,
            # shows that upload unless it is gone. A record stored since (another ETag) may
            # name an upload created after that listing: asked of its key alone.
            unchanged = bool(record_etag) and record_etag == info.etag
            if not self._upload_in_progress(key, upload_id, listed_before=unchanged):
                self._drop_record(key, upload_id, etag=record_etag, upload_gone=True)
                continue
            if key in keep:
                continue
            # The live locks that matter are those above the key the upload ends at: a
            # staging key lies outside every nested copy root.
            final = self.record_final_key(record)
            # An abort that fails keeps the record (the next sweep tries again) and names
            # the upload in left_behind. Old, or its maker known dead (this host's process
            # space), with no other live run above it that may have resumed it.
            old = created < cutoff and not self.live_run_may_own(final, record, seen)
            if (
                old or self._dead_and_unlocked(final, record, info.key, record_etag, seen)
            ) and self.abort_upload(key, upload_id, record_etag=record_etag):
                aborted.append(key)


class S3Upload:
    """One file on its way to one key (single PutObject or multipart; see the module
    docstring). Used by one thread at a time (the writer, then the committer); its parts
    upload on the destination's executor.

    ``write`` buffers and hands full parts to the executor; ``complete`` sends what is left,
    waits for every part and completes the upload, which publishes the object (without
    replacing anything unless ``replace``). ``discard`` aborts an unfinished upload, or deletes
    the object it completed (only while it is still ours: same ETag). Raises OSError.
    """

    def __init__(
        self,
        destination: S3Destination,
        key: str,
        size_bytes: int,
        *,
        metadata: dict[str, str],
        replace: bool,
        final_key: str | None = None,
        hashed: Future[dict[str, str] | None] | None = None,
    ) -> None:
        self.destination = destination
        # Resolves with the file's digests once it was read (None: never, the source
        # failed): the PutObject waits for it, and is not sent after a None; the digests are
        # stored in the object's metadata (module docstring), beside any given up front in
        # *metadata* (a card's reference adds its own algorithm to the run's). None here:
        # nothing to wait for.
        self._hashed = hashed
        # Set by ``discard``: a request not yet sent is not sent any more.
        self._aborted = threading.Event()
        self.key = key
        # Where the object must end up: *key* itself, or, for a staged upload, the key that
        # ``S3Destination.promote`` copies it to once verified.
        self.final_key = final_key or key
        self.size_bytes = size_bytes
        self.metadata = metadata
        self.replace = replace
        settings = destination.settings
        self.multipart = size_bytes > settings.single_put_max
        self.part_size = part_size_for(size_bytes, settings) if self.multipart else size_bytes
        self.upload_id: str | None = None
        self.bytes_written = 0
        # Told each part's bytes (each PutObject's) once the service holds them (sent and
        # answered, or a resumed part matched), on the part's thread: what the live view's
        # pace and the ETA count as landed (``S3Partial.on_sent``). ``bytes_written``
        # counts what is buffered: up to ``parallel_parts`` + 1 parts ahead of the link.
        self.on_sent: Callable[[int], None] | None = None
        self.etag: str | None = None  # of the completed object
        # Its VersionId, when the bucket keeps versions (None: it keeps none; "null":
        # versioning suspended, the object is the key's only, unnamed version).
        self.version_id: str | None = None
        self.completed = False
        self._resumed: list[int] = []  # parts found on the service and matched, not resent
        self._resumed_bytes: list[int] = []  # their sizes
        self._buffer: bytearray | None = None
        self._fill = 0
        self._next_part = 1
        self._futures: list[Future[dict[str, Any]]] = []
        self._existing: dict[int, _ExistingPart] = {}
        self._single: bytearray | None = None
        # Whether this upload has (or will have) the key's resume record: not when the
        # record there is another live run's (``start``), which stays as it is.
        self._recorded = True
        # The ETag of the record an earlier run stored of the upload this one resumed
        # (``start``): the record object dropped when it ends (None: this run's own).
        self._record_etag: str | None = None
        # The request that stores the object (PutObject, CompleteMultipartUpload) when it
        # failed with no answer to an attempt that may have reached the service: (request,
        # the failure in words, the ETag the object has if stored, where known). ``discard``
        # then settles whether it is there (``S3Destination.settle_unanswered``).
        self.unanswered: tuple[str, str, str | None] | None = None
        # The ``offload-upload`` token the object this upload stores carries: this run's, or,
        # for a resumed upload, that of the run that created it (``start``: the metadata of
        # a multipart upload is fixed at its CreateMultipartUpload). What proves an object
        # under the key the one this upload's request stored (``stored_metadata``).
        self.token = _RUN_TOKEN

    @property
    def staged(self) -> bool:
        """Uploaded to a staging key, to be copied to ``final_key`` once verified."""
        return self.final_key != self.key

    @property
    def digests(self) -> dict[str, str]:
        """The digests this upload stores in the object's metadata (by algorithm)."""
        return digests_of(self.metadata)

    @property
    def stored_metadata(self) -> dict[str, str]:
        """The metadata the request that stores the object (PutObject, the upload's
        CompleteMultipartUpload) gives it: ``metadata`` with ``token`` as its
        ``offload-upload`` (a resumed upload's creator's)."""
        return {**self.metadata, MARKER_KEY: self.token}

    @property
    def resumed_parts(self) -> int:
        """Parts found on the service with the source's bytes (not sent again)."""
        return len(self._resumed)

    @property
    def bytes_resumed(self) -> int:
        """The bytes of those parts (of ``bytes_written``: taken from the source, not sent)."""
        return sum(self._resumed_bytes)

    # -- writer side --------------------------------------------------------------------

    def start(self) -> None:
        """Create the multipart upload, or resume ours (same key and size) if the service
        still has it. Another run's record is resumed (or aborted) only if that run cannot
        be writing it now (``S3Destination.may_take_over``); otherwise it is left alone and
        this upload is not recorded (not resumable), so two live runs never share one."""
        dest = self.destination
        loaded = dest._load_record(self.key)
        if loaded is not None and not dest.may_take_over(self.final_key, loaded[0]):
            loaded = None
            if self.staged:
                # The staging key is another live run's (the same file, from another card
                # or the same one): two runs completing one staging key would each verify,
                # or copy, the other's object. This run's replacement goes to a staging key
                # of its own, recorded as usual.
                self.key = dest.staging_key_named(f"{_key_hash(self.final_key)}.{_RUN_TOKEN}")
                loaded = dest._load_record(self.key)
            else:
                self._recorded = False
        if loaded is not None:
            record, record_etag = loaded
            upload_id = str(record.get("upload_id", ""))
            same = (
                record.get("size_bytes") == self.size_bytes
                and record.get("part_size") == self.part_size
                and record.get("checksum") == dest.settings.checksum
                # The metadata is the upload's, fixed at its creation: a resumed upload must
                # not complete with the digests of another source of the same size.
                and record.get("digests", {}) == self.digests
                # ... nor with another source's modification time. A record written before
                # the time was stored has no "mtime": resumed as before (the digests' copy
                # onto itself gives the object its time; without it, it has none).
                and record.get("mtime", self.metadata.get(MTIME_KEY))
                == self.metadata.get(MTIME_KEY)
            )
            ours = record.get("run") == _RUN_TOKEN  # stored by an earlier upload of ours
            resumable = bool(same and upload_id and dest._upload_in_progress(self.key, upload_id))
            if resumable and not ours and not dest.adopt_record(self.key, record, record_etag):
                # Another run's record, no longer the one judged (taken over, dropped), or
                # not stored again naming this run: its upload is not resumed, nor aborted
                # (left to its record's sweep), and this run's own goes unrecorded (one
                # record a key).
                resumable, upload_id, self._recorded = False, "", False
            if resumable:
                self.upload_id = upload_id
                self._existing = dest._existing_parts(self.key, upload_id)
                # The record dropped once it completes: the one read (ours), or the one
                # this run stored over it (``adopt_record``).
                self._record_etag = record_etag if ours else None
                # Its object will carry the token of the run that created it (the record's,
                # kept as its "marker" by a run that took it over).
                self.token = _record_marker(record)
                return
            if upload_id and not dest.abort_upload(
                self.key,
                upload_id,
                record_etag=record_etag,
                then="its record stays under .offload/uploads/ for a later offload into "
                "this destination to abort it (one record a key: the upload of the source "
                "this run starts in its place is not recorded, so it cannot be resumed); "
                "the command below removes it now",
            ):
                # Ours, not resumable, and its abort failed: its record is kept (one record
                # a key), so this run's new upload goes unrecorded.
                self._recorded = False
        extra: dict[str, Any] = {}
        if dest.settings.checksum != "MD5":
            extra["ChecksumAlgorithm"] = dest.settings.checksum
        try:
            created = dest.client.create_multipart_upload(
                Bucket=dest.url.bucket,
                Key=self.key,
                Metadata=self.metadata,
                ContentType=content_type_for(self.final_key),
                **extra,
            )
        except Exception as exc:
            raise dest._error(exc, "cannot start the upload of", self.key) from exc
        self.upload_id = created["UploadId"]
        if not self._recorded:
            return
        try:
            dest._save_record(
                self.key,
                {
                    "key": self.key,
                    # The live locks that say who may touch this upload are those above
                    # the key it ends at (``may_take_over``), not above a staging key.
                    "final_key": self.final_key,
                    "upload_id": self.upload_id,
                    "size_bytes": self.size_bytes,
                    "part_size": self.part_size,
                    "checksum": dest.settings.checksum,
                    "digests": self.digests,
                    "mtime": self.metadata.get(MTIME_KEY),
                    "created_at": time.time(),
                    **_maker(),
                },
            )
        except OSError:
            dest.abort_upload(
                self.key,
                self.upload_id,
                then="storing its record failed too, so no later run may find it: the "
                "command below, or the bucket's lifecycle rule for incomplete multipart "
                "uploads, removes it",
            )
            self.upload_id = None
            raise

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Append *data* (copied: the caller may reuse its buffer on return). Raises OSError,
        also for a part that failed in the background."""
        self._raise_failed_part()
        # Released on the way out, also when raising: a view kept alive by a traceback would
        # pin the engine's pooled buffer (it could not be unmapped).
        with memoryview(data).cast("B") as view:
            self._write(view)

    def _write(self, view: memoryview) -> None:
        if self.bytes_written + len(view) > self.size_bytes:
            raise OSError(
                errno.EINVAL,
                f"cannot upload {self.destination.display(self.key)}: the source gave more "
                f"than its {self.size_bytes} bytes (changed while read?)",
            )
        if not self.multipart:
            if self._single is None:
                self._single = bytearray(self.size_bytes)
            self._single[self.bytes_written : self.bytes_written + len(view)] = view
            self.bytes_written += len(view)
            if self.bytes_written == self.size_bytes:
                self._submit_single()
            return
        position = 0
        while position < len(view):
            if self._buffer is None:
                self._take_buffer()
            assert self._buffer is not None
            room = len(self._buffer) - self._fill
            take = min(room, len(view) - position)
            self._buffer[self._fill : self._fill + take] = view[position : position + take]
            self._fill += take
            position += take
            self.bytes_written += take
            if self._fill == len(self._buffer) or self.bytes_written == self.size_bytes:
                self._submit_part()

    def _take_buffer(self) -> None:
        remaining = self.size_bytes - self.bytes_written
        self._wait_for_slot()
        self._buffer = bytearray(min(self.part_size, remaining))
        self._fill = 0

    def _wait_for_slot(self) -> None:
        """Take a part buffer's slot (one frees when a part in flight ends). Raises a part's
        failure, or OSError (ECANCELED) on a cancel: a writer waiting here behind parts on a
        slow link must not wait for them to learn that the job was cancelled."""
        dest = self.destination
        while not dest._slots.acquire(timeout=CANCEL_POLL_S):
            self._raise_failed_part()
            if self._stopped():
                raise OSError(errno.ECANCELED, f"cancelled: {dest.display(self.key)} not sent")

    def _stopped(self) -> bool:
        """Whether nothing more of this upload should be sent: discarded, or the job
        cancelled."""
        return self._aborted.is_set() or self.destination.cancelled()

    def _submit_single(self) -> None:
        data, self._single = self._single, None
        assert data is not None
        dest = self.destination
        self._wait_for_slot()

        def put() -> dict[str, Any]:
            try:
                # Sent once the digests are known (the reader hashes the last bytes as this
                # waits): they go into this PutObject's metadata, no request more. Not sent
                # for a source that failed meanwhile (changed while read, not matching its
                # reference digests), nor once discarded.
                gated = self._hashed is not None
                digests = self._wait_for_digests()
                if gated and digests is None:
                    raise OSError(
                        errno.ECANCELED,
                        f"not uploaded: the source of {dest.display(self.key)} failed",
                    )
                self._add_digests(digests)
                if self._aborted.is_set():
                    raise OSError(errno.ECANCELED, f"discarded: {dest.display(self.key)}")
                dest._stop_if_cancelled(f"{dest.display(self.key)} not stored")
                begin_request()
                try:
                    etag, version = dest._put(
                        self.key,
                        data,
                        metadata=self.metadata,
                        replace=self.replace,
                        named=self.final_key,
                    )
                except Exception as exc:
                    if not answer_lost():
                        raise
                    # Sent, its answer lost: a HEAD that shows this very object (this
                    # run's metadata, the size, the checksum or MD5 ETag of these bytes)
                    # proves it stored as the answer would have; it is read back as any.
                    md5 = f'"{hashlib.md5(data).hexdigest()}"'
                    found = dest.found_stored(
                        self.key,
                        size=len(data),
                        etag=md5,
                        checksum=dest._checksum(data),
                        metadata=self.stored_metadata,
                    )
                    if found is None:
                        why = dest.delete_failure(exc, self.key, operation="cannot store")
                        self.unanswered = ("PutObject", why, md5)
                        raise
                    etag, version = found
                self._sent(len(data))
                return {"ETag": etag, "VersionId": version}
            finally:
                dest._slots.release()

        self._futures.append(dest._executor.submit(put))

    def _submit_part(self) -> None:
        buffer, self._buffer = self._buffer, None
        assert buffer is not None
        length, self._fill = self._fill, 0
        number = self._next_part
        self._next_part += 1
        existing = self._existing.get(number)
        dest = self.destination

        def send() -> dict[str, Any]:
            try:
                return self._send_part(number, buffer, length, existing)
            finally:
                dest._slots.release()

        try:
            self._futures.append(dest._executor.submit(send))
        except RuntimeError:
            dest._slots.release()
            raise OSError(errno.ECANCELED, "the destination was closed") from None

    def _send_part(
        self, number: int, buffer: bytearray, length: int, existing: _ExistingPart | None
    ) -> dict[str, Any]:
        dest = self.destination
        if self._stopped():  # queued behind the parts in flight when the cancel came
            raise OSError(
                errno.ECANCELED, f"cancelled: part {number} of {dest.display(self.key)} not sent"
            )
        body = buffer if length == len(buffer) else bytes(memoryview(buffer)[:length])
        param, value = dest._checksum(body)
        entry: dict[str, Any] = {"PartNumber": number}
        if param != "ContentMD5":
            entry[param] = value
        if (
            existing is not None
            and existing.size == length
            and self._matches(existing, body, value)
        ):
            entry["ETag"] = existing.etag
            self._resumed.append(number)  # list.append: safe from the part threads
            self._resumed_bytes.append(length)
            self._sent(length)
            return entry
        attempts = max(1, dest.settings.part_attempts)
        for attempt in range(attempts):
            try:
                answer = dest.client.upload_part(
                    Bucket=dest.url.bucket,
                    Key=self.key,
                    UploadId=str(self.upload_id),
                    PartNumber=number,
                    # Streamed from a body that stops at a cancel (``s3body``): a part in
                    # flight on a slow link ends there, not once all its bytes went.
                    Body=cast(bytes, StoppableBody(body, self._stopped)),
                    **{param: value},  # type: ignore[arg-type]
                )
            except PartStopped:
                raise OSError(
                    errno.ECANCELED,
                    f"cancelled: part {number} of {dest.display(self.key)} stopped",
                ) from None
            except Exception as exc:
                code, _ = _error_code(exc)
                if code in _CHECKSUM_REFUSED and attempt + 1 < attempts:
                    continue  # the service saw other bytes than we sent: send them again
                operation = f"cannot upload part {number} of"
                raise self._gone(exc, operation) or dest._error(exc, operation, self.key) from exc
            entry["ETag"] = answer["ETag"]
            self._sent(length)
            return entry
        raise AssertionError("unreachable")

    def _sent(self, nbytes: int) -> None:
        """Tell ``on_sent`` that *nbytes* more are on the service."""
        told = self.on_sent
        if told is not None:
            told(nbytes)

    @staticmethod
    def _matches(existing: _ExistingPart, body: bytes | bytearray, value: str) -> bool:
        """Whether a part already on the service holds *body*: by the service's checksum of
        our algorithm where it returned one, else by its ETag when that is the part's MD5
        (as on AWS without SSE-KMS, MinIO, moto); anything else is sent again."""
        if existing.checksum:
            return existing.checksum == value
        etag = existing.etag.strip('"')
        if len(etag) == 32 and all(c in "0123456789abcdef" for c in etag.lower()):
            return hashlib.md5(body).hexdigest() == etag.lower()
        return False

    def _raise_failed_part(self) -> None:
        for future in self._futures:
            if future.done() and future.exception() is not None:
                error = future.exception()
                assert error is not None
                raise _fresh(error)

    # -- committer side -----------------------------------------------------------------

    def complete(self) -> int:
        """Send what is left, wait for every part, publish the object under its key (never
        replacing unless ``replace``), and, for a multipart upload given ``hashed``, copy it
        onto itself with the digests (``_store_digests``); returns the size stored. Raises
        OSError (FileExistsError: the key exists)."""
        dest = self.destination
        if self.bytes_written != self.size_bytes:
            raise OSError(
                errno.EINVAL,
                f"cannot upload {dest.display(self.key)}: got {self.bytes_written} of "
                f"{self.size_bytes} bytes from the source (changed while read?)",
            )
        if not self.multipart:
            if self.size_bytes == 0 and not self._futures:
                self._single = bytearray()
                self._submit_single()
            answer = self._wait()[0]
            self.etag = str(answer["ETag"])
            self.version_id = answer.get("VersionId")
            self.completed = True
            return self.bytes_written
        if self._buffer is not None and self._fill:
            self._submit_part()
        parts = sorted(self._wait(), key=lambda part: int(part["PartNumber"]))
        # Not completed once cancelled (``discard`` aborts it): no object appears under the
        # key for the engine to delete again.
        dest._stop_if_cancelled(f"{dest.display(self.key)} not completed")
        self._complete_multipart(parts)
        if self._recorded:
            dest._drop_record(self.key, self.upload_id, etag=self._record_etag, upload_gone=True)
        self._store_digests()
        return self.bytes_written

    def _wait_for_digests(self) -> dict[str, str] | None:
        """The file's digests from ``hashed`` once known (None: none to wait for, or the
        source failed). Raises OSError (ECANCELED) on a cancel."""
        hashed, self._hashed = self._hashed, None
        if hashed is None:
            return None
        while True:
            try:
                return hashed.result(timeout=0.1)
            except TimeoutError:
                if self.destination.cancelled() or self._aborted.is_set():
                    raise OSError(
                        errno.ECANCELED, f"cancelled: {self.destination.display(self.key)}"
                    ) from None

    def _add_digests(self, digests: Mapping[str, str] | None) -> None:
        if digests:
            self.metadata = {**self.metadata, **digest_metadata(digests)}

    def _store_digests(self) -> None:
        """A completed multipart object: copy it onto itself with the file's digests in its
        metadata (fixed at CreateMultipartUpload, before they were known), pinned to the ETag
        the upload completed with; ``etag`` becomes the copy's, which the read-back then reads.
        A HEAD confirms the copy (its ETag and size). A failure or a cancel raises OSError
        (the file fails here; ``discard`` deletes the object only while it is still ours), a
        cancel during a multipart copy leaves the completed object as it was."""
        dest = self.destination
        digests = self._wait_for_digests()
        if not digests or not self.etag:
            return
        before = self.metadata
        self._add_digests(digests)
        if self.metadata == before:
            return  # given up front, every one (a cascade's): no copy to make
        completed_version = self.version_id
        etag, version = dest.copy_object(
            self.key,
            self.etag,
            self.size_bytes,
            self.key,
            self.metadata,
            failure="cannot store the digests in the metadata of",
            changed="the object changed before its digests were stored",
        )
        self.etag = etag  # ours now: ``discard`` deletes this object, not the one it replaced
        self.version_id = version
        problem = dest._confirm(self.key, etag, self.size_bytes, None)
        if problem is not None:
            raise OSError(
                errno.EBADMSG,
                f"cannot store the digests in the metadata of {dest.display(self.key)}: "
                f"{problem} after the copy",
            )
        # A bucket that keeps versions kept the object the upload completed as a noncurrent
        # version under the copy: the file stored twice. It is ours (its id came back from
        # our CompleteMultipartUpload, the copy was pinned to its ETag): delete it, by that
        # id only. "null" (versioning suspended) is the key's only version, replaced by the
        # copy already; a copy with no new version id left nothing behind.
        if (
            completed_version is not None
            and completed_version != "null"
            and version is not None
            and version != completed_version
        ):
            dest.delete_own_version(self.key, completed_version)

    def _complete_multipart(self, parts: list[dict[str, Any]]) -> None:
        dest = self.destination
        operation = "cannot complete the upload of"
        begin_request()
        try:
            answer = dest.complete_multipart(
                self.key, str(self.upload_id), parts, create=not self.replace
            )
        except Exception as exc:
            found = None
            if answer_lost():
                # Sent, its answer lost: a HEAD that shows the object these parts make
                # (this run's metadata, the size, the ETag of the parts' MD5s) proves it
                # completed as the answer would have; it is read back as any.
                expected = _multipart_etag(parts)
                found = dest.found_stored(
                    self.key, size=self.size_bytes, etag=expected, metadata=self.stored_metadata
                )
                if found is None:
                    why = dest.delete_failure(
                        exc if isinstance(exc, OSError) else dest._error(exc, operation, self.key),
                        self.key,
                        operation=operation,
                    )
                    self.unanswered = ("CompleteMultipartUpload", why, expected)
            if found is None:
                if isinstance(exc, OSError):
                    raise
                raise self._gone(exc, operation) or dest._error(exc, operation, self.key) from exc
            answer = {"ETag": found[0], "VersionId": found[1]}
        self.etag = str(answer.get("ETag", ""))
        self.version_id = answer.get("VersionId")
        self.completed = True

    def _gone(self, exc: BaseException, operation: str) -> OSError | None:
        """The error to give when the request failing with *exc* failed because the service
        no longer has this multipart upload (NoSuchUpload, or the upload no longer listed:
        some services answer 500 there): aborted by someone else, another run or a lifecycle
        rule of the bucket. None: the upload is still there (or that cannot be asked), and
        the failure is the service's own. ENOENT: this file fails, not the destination."""
        dest = self.destination
        code, status = _error_code(exc)
        if code != "NoSuchUpload":
            if status < 500 and status != 404:
                return None  # a refusal that says what it is (412: the key exists...)
            try:
                if self.upload_id is None or dest._upload_in_progress(self.key, self.upload_id):
                    return None
            except OSError:
                return None  # the service cannot say: its own error stands
        return OSError(
            errno.ENOENT,
            f"{operation} {dest.display(self.key)}: the multipart upload was aborted or "
            "removed meanwhile (NoSuchUpload), by another run or a lifecycle rule of the "
            "bucket; run the same command again",
        )

    def _wait(self) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = []
        first: BaseException | None = None
        for future in self._futures:
            try:
                results.append(future.result())
            except BaseException as exc:
                first = first or exc
        self._futures = []
        if first is not None:
            raise _fresh(first)
        return results

    def discard(self) -> None:
        """Abort an unfinished upload (its parts go), or delete the object this upload
        stored while it is still ours (same ETag): completed, or put by a PutObject already
        sent (waited for: a PutObject in flight is not stopped). A request not yet sent is
        not sent; a part in flight stops at its next block (``s3body``) and is waited for.
        Never raises; safe more than once."""
        dest = self.destination
        self.on_sent = None  # a part answered from now on counts for no copy
        self._aborted.set()
        futures, self._futures = self._futures, []
        stored: str | None = None
        for future in futures:
            if future.cancel():
                dest._slots.release()  # never ran: its ``finally`` did not release its slot
                continue
            # exception(), not result(): the stored error is not raised here (a raise would
            # tie this thread's frames, and the engine's pooled buffer, to it: ``_fresh``).
            if future.exception() is not None:
                # Failed: one sent whose answer was lost may have stored its object, which
                # ``unanswered`` names below.
                continue
            answer = future.result()
            if not self.multipart and answer.get("ETag"):
                stored = str(answer["ETag"])
                self.version_id = answer.get("VersionId")
        if self._buffer is not None:
            self._buffer = None
            dest._slots.release()
        self._single = None
        if stored is not None and not self.completed:
            self.etag, self.completed = stored, True
        if self.completed and self.etag:
            etag, version = self.etag, self.version_id
            dest._clean_up(lambda: self._delete_completed(etag, version))
            self.completed = False
        elif self.upload_id is not None:
            upload_id, recorded, record = self.upload_id, self._recorded, self._record_etag
            maybe = self.unanswered is not None and self.unanswered[0] == "CompleteMultipartUpload"
            dest._clean_up(lambda: self._abort(upload_id, recorded, record, maybe))
        if self.unanswered is not None:  # (never with an answered completion)
            # Sent, its answer lost: it may be stored (after the abort above, for an upload
            # in parts: an upload that was completed cannot be aborted; one answered aborted
            # is still looked for, and named if not found: ``settle_unanswered``).
            request, why, expected = self.unanswered
            self.unanswered = None
            dest._clean_up(
                lambda: dest.settle_unanswered(
                    self.key,
                    size=self.size_bytes,
                    etag=expected,
                    request=request,
                    why=why,
                    then=self._left_then(),
                    token=self.token,
                )
            )
        self.upload_id = None

    def _abort(
        self, upload_id: str, recorded: bool, record_etag: str | None, maybe_completed: bool
    ) -> None:
        """Abort this unfinished upload and drop its record (``discard``). Where the abort
        fails (the service gone: the very failure that discards it, often), the upload is
        named in the destination's ``left_behind`` (its parts stay, stored for nothing until
        it is aborted; or, *maybe_completed*: its completion got no answer, it may have been
        completed) and its record is kept, so that the next run resumes or aborts it; an
        upload the service no longer has is gone already (``abort_upload``). Never
        raises."""
        self.destination.abort_upload(
            self.key,
            upload_id,
            drop_record=recorded,
            record_etag=record_etag,
            maybe_completed=maybe_completed,
        )

    def _delete_completed(self, etag: str, version: str | None) -> None:
        """Delete the object this upload completed (``discard``); where that delete fails
        (the service gone: the very failure that discards it, often), name it in the
        destination's ``left_behind`` with why and what the next run does with it
        (``delete_or_name``). Never raises."""
        self.destination.delete_or_name(
            self.key, etag=etag, version_id=version, then=self._left_then()
        )

    def _left_then(self) -> str:
        """What becomes of this upload's object if it is left in the bucket unverified."""
        if self.staged:
            return self.destination.staging_then(copied=False)
        return f"an object of this run that was never verified and that {READ_BACK_NEXT}"


# What becomes of an object of this run left under a card file's key, unverified: the end of
# a sentence whose subject it is.
READ_BACK_NEXT = (
    "no ledger entry vouches for: the next offload of this card reads it back (adopted if "
    "it is the card's file, else refused as other content)"
)


def _maybe_removal_words(etag: str | None, token: str) -> str:
    """What the command that removes an object that may be in the bucket (``settle_unanswered``,
    ``s3card._removal``) does, to end its reason: pinned to *etag*, the ETag the request's
    bytes give it where the service makes ETags of MD5s, it deletes nothing else, and where
    the service makes them otherwise (SSE-KMS) it is refused and deletes nothing at all; not
    pinned (*etag* None: not computable), it deletes whatever is there. Either way, what to
    do: the check first, its metadata *token* this run's."""
    if etag:
        return (
            f"; the command that removes it deletes it only while its ETag is {etag}, the one "
            "this request gives it where the service makes ETags of the bytes' MD5s: where "
            "it does not (a bucket that encrypts with KMS keys, SSE-KMS) it is refused "
            f"(PreconditionFailed) and deletes nothing; then, once the check shows the "
            f"metadata {MARKER_KEY}: {token}, give --if-match the ETag the check shows"
        )
    return (
        "; the command that removes it is not pinned to an ETag (the service's part ETags "
        "are not MD5s, so the one it has if stored is not known) and deletes whatever "
        f"object is there: run it only once the check shows the metadata {MARKER_KEY}: "
        f"{token}, or give it --if-match with the ETag the check shows"
    )


def _record_marker(record: Mapping[str, Any]) -> str:
    """The token the object of the upload *record* names carries (``MARKER_KEY``), fixed at
    the upload's creation by the run that began it: the record's ``marker`` where a run took
    it over (``adopt_record``), else its ``run``; "" when it names none."""
    return str(record.get("marker") or record.get("run") or "")


def _maker() -> dict[str, Any]:
    """Who makes an upload, in its record: this process's run token (what a live lock
    names, ``S3Destination.live_run_may_own``), host, pid, process space and start
    (``offload.lock.process_identity``, as a lock's body names its holder; judged by
    ``offload.lock.body_gone``: whether a later run may take it over, or its sweep abort
    it, ``S3Destination.may_take_over``, ``abort_abandoned``)."""
    from offload.lock import process_identity  # the card layer's, loaded by then

    return {"run": _RUN_TOKEN, **process_identity()}


def _multipart_etag(parts: Sequence[Mapping[str, Any]]) -> str | None:
    """The ETag the object completed from *parts* has where the service makes it as AWS
    does (no SSE-KMS), MinIO and moto do: the MD5 of the parts' MD5s, a dash, their count;
    None where a part's ETag is not an MD5."""
    digests = []
    for part in parts:
        etag = str(part.get("ETag", "")).strip('"')
        if len(etag) != 32 or any(c not in "0123456789abcdef" for c in etag.lower()):
            return None
        digests.append(bytes.fromhex(etag))
    return f'"{hashlib.md5(b"".join(digests)).hexdigest()}-{len(parts)}"'


def bucket_gone(exc: BaseException) -> bool:
    """Whether *exc* says the bucket does not exist (NoSuchBucket, or the ENODEV
    ``os_error`` makes of it): nothing of this run's can be left in it then."""
    if isinstance(exc, OSError) and exc.errno == errno.ENODEV:
        return True
    return _error_code(exc)[0] == "NoSuchBucket"


def replaced_words(versions: Sequence[str | None]) -> str:
    """What the objects replaced by copies that got *versions* (their VersionIds) became, as
    the end of a sentence whose subject they are: on a bucket that keeps versions (an id),
    each stays as a noncurrent version, which ``aws s3api list-object-versions`` shows; on
    one whose versioning is suspended ("null"), one stored while it was enabled stays so;
    on a bucket that keeps none (no id), gone."""
    if any(version and version != "null" for version in versions):
        return (
            "stays in the bucket as a noncurrent version (the bucket keeps versions: aws "
            "s3api list-object-versions shows it)"
        )
    if any(version == "null" for version in versions):
        return (
            "is gone, unless it was stored while the bucket kept versions (its versioning "
            "is suspended): then it stays as a noncurrent version"
        )
    return "is gone"


def version_delete_refused(code: str, status: int) -> bool:
    """Whether an answer to a delete by version id (its error *code*, HTTP *status*) is a
    refusal: a policy without ``s3:DeleteObjectVersion`` (403 AccessDenied), a service that
    deletes no version by id (405 MethodNotAllowed, 501 NotImplemented). Only these: a
    service unwell (5xx, SlowDown, 429) or gone refused nothing, and a plain delete then
    would lay a delete marker where a later delete by id would have left none."""
    return status in (403, 405, 501) or code in (
        "AccessDenied",
        "MethodNotAllowed",
        "NotImplemented",
    )


def error_answer(exc: BaseException, code: str, status: int) -> str:
    """The service's answer to a request that failed with *exc* (its error *code*, HTTP
    *status*: ``_error_code``), in one word: its code, else ``HTTP <status>``, else the
    client's error name where no answer came."""
    return code or (f"HTTP {status}" if status else type(exc).__name__)


def refused_reason(exc: BaseException, code: str, status: int, words: str | None = None) -> str:
    """Why a delete by version id did not happen: refused (``version_delete_refused``),
    else failed; in brackets *words* (the failure told in full), else the service's answer
    (``error_answer``)."""
    detail = words or error_answer(exc, code, status)
    if version_delete_refused(code, status):
        return f"its delete by version id was refused ({detail})"
    return f"its delete by version id failed ({detail})"


def _empty(info: ObjectInfo | None) -> bool:
    """Whether *info* is an object of no bytes (None: there is none)."""
    return info is not None and info.size_bytes == 0


def _plain_reason(exc: BaseException) -> str:
    """An error in a few words, no secret (``redact_secrets``)."""
    code, status = _error_code(exc)
    if code or status:
        return code or f"HTTP {status}"
    return redact_secrets(str(exc) or type(exc).__name__)


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:40]


def record_key(url: S3Url, key: str) -> str:
    """The key of the upload record of the upload to *key* under *url*'s prefix:
    ``<prefix>/.offload/uploads/<40 hex>.json`` (the same length for every *key*)."""
    return url.key(f"{UPLOADS_FOLDER}/{_key_hash(key)}.json")


def staging_key_of(url: S3Url, final_key: str) -> str:
    """Where the replacement of *final_key* under *url*'s prefix is uploaded and verified
    first: ``<prefix>/.offload/staging/<40 hex>`` (the same length for every *final_key*)."""
    return url.key(f"{STAGING_FOLDER}/{_key_hash(final_key)}")


DIGEST_PREFIX = "offload-"  # object metadata: offload-<algorithm>: <digest of the whole file>


# Our own files by name: the reports open in a browser from the bucket (a console's or a
# presigned link) instead of downloading, in the encoding they were written in.
_OWN_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".pdf": "application/pdf",
    ".json": "application/json",
    ".csv": "text/csv; charset=utf-8",
    ".mhl": "text/xml; charset=utf-8",
    ".mxf": "application/mxf",  # RFC 4539; not in Python's table
}
# Python's own table only (not the machine's /etc/mime.types): the same type on every machine.
_TYPES = mimetypes.MimeTypes()
GENERIC_TYPE = "application/octet-stream"


def content_type_for(key: str) -> str:
    """The Content-Type an object under *key* is stored with, from its name: ours (reports,
    manifests) as written, a card's files as Python's table names them (``.mov``
    video/quicktime, ``.wav`` audio/x-wav, ``.jpg`` image/jpeg), anything else (``.R3D``,
    ``.braw``, no extension) ``application/octet-stream``."""
    name = key.rpartition("/")[2]
    suffix = name.rpartition(".")[2].lower() if "." in name else ""
    if not suffix:
        return GENERIC_TYPE
    own = _OWN_TYPES.get(f".{suffix}")
    if own is not None:
        return own
    # The suffix alone: a name is never read as a URL ("data:...") by mimetypes. A
    # compressed file (.gz) is its compressed bytes: an encoding, no type, so the fallback.
    guessed, _encoding = _TYPES.guess_type(f"x.{suffix}", strict=False)
    return guessed or GENERIC_TYPE


# Object metadata: the source file's modification time, where rclone keeps it
# (``X-Amz-Meta-Mtime``, seconds since the epoch with their fraction: rclone's S3 backend
# docs, "Modification times"), so ``rclone lsl``/``check``/``sync`` see the card's time.
MTIME_KEY = "mtime"


def mtime_metadata(mtime_ns: int | None) -> dict[str, str]:
    """The object metadata holding *mtime_ns* as rclone writes and reads it: whole seconds,
    then the nanoseconds as a nine-digit fraction (``1700000000.123456789``), exact to the
    nanosecond (a float would round it). Empty for None and for a time before 1970, which
    a camera's clock never gives a card file and whose fraction rclone's parser reads
    differently from a negative float."""
    if mtime_ns is None or mtime_ns < 0:
        return {}
    seconds, nanoseconds = divmod(mtime_ns, 1_000_000_000)
    return {MTIME_KEY: f"{seconds}.{nanoseconds:09d}"}


# Latest time an ``mtime`` value is taken for (year 9999): beyond, it is no card file's date.
_MTIME_MAX_S = 253_402_300_799


def mtime_from_metadata(metadata: Mapping[str, str]) -> int | None:
    """The time in nanoseconds that *metadata*'s ``mtime`` holds, as ``mtime_metadata``
    writes it and rclone does (whole seconds, then up to nine digits of fraction); None
    where there is none, or it is not such a time (another tool's, malformed, before 1970
    or after 9999)."""
    import re

    value = metadata.get(MTIME_KEY)
    if value is None:
        return None
    match = re.fullmatch(r"(\d{1,12})(?:\.(\d{1,9}))?", value.strip())
    if match is None:
        return None
    seconds = int(match.group(1))
    if seconds > _MTIME_MAX_S:
        return None
    return seconds * 1_000_000_000 + int((match.group(2) or "").ljust(9, "0"))


def digest_metadata(digests: Mapping[str, str] | None) -> dict[str, str]:
    """The object metadata holding *digests* (``offload-xxh64: ...``, one per algorithm)."""
    return {f"{DIGEST_PREFIX}{name}": value for name, value in sorted((digests or {}).items())}


def digests_of(metadata: Mapping[str, str]) -> dict[str, str]:
    """The digests an object's metadata holds (``digest_metadata`` read back)."""
    return {
        name[len(DIGEST_PREFIX) :]: value
        for name, value in metadata.items()
        if name.startswith(DIGEST_PREFIX) and name != MARKER_KEY
    }


def _fresh(error: BaseException) -> OSError:
    """A new OSError like *error* (from a part thread) to raise here. Never the stored one:
    each raise would add this thread's frames to its traceback, and the frames of a write
    hold the engine's pooled buffer, which could then not be unmapped."""
    if isinstance(error, OSError):
        return type(error)(error.errno, error.strerror)
    return OSError(errno.EIO, redact_secrets(f"an upload failed: {type(error).__name__}: {error}"))


class S3ReadBack:
    """A streamed GET of one object, read in order into the caller's buffers; a dropped
    connection is resumed with a ranged GET of the same object version (If-Match on the ETag
    of the first answer). ``read_into`` raises OSError: ECANCELED between two chunks (1 MiB)
    once the destination is ``cancelled``, so a cancel does not wait for a whole object."""

    def __init__(
        self,
        destination: S3Destination,
        key: str,
        *,
        etag: str | None = None,
        fingerprint: bool = False,
    ) -> None:
        """*etag*: read only this version of the object (If-Match from the first request:
        the object an upload of ours completed, not whatever replaced it since).
        *fingerprint*: also hash what is read, in order, into ``fingerprint()``."""
        self.destination = destination
        self.key = key
        self.etag: str | None = etag
        self.size: int | None = None  # the object's, from the first answer
        # Its user metadata (x-amz-meta-*), from the first answer (later ones are ranges
        # of the same version: the ETag pins it).
        self.metadata: dict[str, str] | None = None
        self._body: Any = None
        self._position = 0
        self._hasher = xxhash.xxh3_128() if fingerprint else None
        self._hashed = 0  # bytes fed to the hasher, all from offset 0 in order

    def fingerprint(self) -> str | None:
        """The XXH3-128 of the whole object as read (every byte once, in order), or None if
        it was not read whole that way (or not asked for)."""
        if self._hasher is None or self.size is None or self._hashed != self.size:
            return None
        return str(self._hasher.hexdigest())

    def _open(self, offset: int) -> None:
        dest = self.destination
        extra: dict[str, Any] = {}
        if offset:
            extra["Range"] = f"bytes={offset}-"
        if self.etag:
            extra["IfMatch"] = self.etag
        try:
            answer = dest.client.get_object(Bucket=dest.url.bucket, Key=self.key, **extra)
        except Exception as exc:
            code, status = _error_code(exc)
            if status == 416 or code == "InvalidRange":
                if self.size is None:  # the first request: an empty object, or a wrong answer
                    self._empty_after_416(exc)
                self._body = None
                self._position = offset
                return
            raise dest._error(exc, "cannot read back", self.key) from exc
        self.etag = self.etag or str(answer.get("ETag", ""))
        if self.size is None:
            self.size = offset + int(answer.get("ContentLength", 0))
        if self.metadata is None:
            self.metadata = dict(answer.get("Metadata") or {})
        self._body = answer["Body"]
        self._position = offset

    def _empty_after_416(self, refusal: BaseException) -> None:
        """The first GET was answered 416 (InvalidRange), which some services answer for an
        empty object: a HEAD (pinned to ``etag`` where known) tells. An empty object's read is
        empty, with the HEAD's ETag, size and user metadata, as the GET's answer would have
        carried them (its ``mtime`` dates the file: ``read_back``'s *metadata*). Raises
        OSError where the object is not empty (a 416 then answers nothing asked) or the HEAD
        fails."""
        dest = self.destination
        extra: dict[str, Any] = {"IfMatch": self.etag} if self.etag else {}
        try:
            head = dest.client.head_object(Bucket=dest.url.bucket, Key=self.key, **extra)
        except Exception as exc:
            raise dest._error(exc, "cannot read back", self.key) from exc
        size = int(head.get("ContentLength", 0))
        if size:
            raise dest._error(
                refusal, f"cannot read back ({size} bytes, GET answered 416)", self.key
            )
        self.etag = self.etag or str(head.get("ETag", ""))
        self.size = 0
        if self.metadata is None:
            self.metadata = dict(head.get("Metadata") or {})

    def read_into(self, buffer: memoryview, offset: int) -> int:
        from botocore.exceptions import BotoCoreError
        from urllib3.exceptions import HTTPError as Urllib3Error

        require_boto3()
        filled = 0
        retries = self.destination.settings.max_attempts
        at_end = False
        while filled < len(buffer) and not at_end:
            self.destination._stop_if_cancelled(
                f"while reading {self.destination.display(self.key)}"
            )
            if self._body is None or self._position != offset + filled:
                # Not in the ``try`` below: a GET that failed had botocore's retries already
                # (``s3retries``), and its OSError (``os_error``: ECONNREFUSED's is a
                # ConnectionError) is final. Retried here too, a server gone for good was
                # waited for 9 x 12-24 s at each read-back before the destination was lost.
                self._open(offset + filled)
                if self._body is None:
                    break  # past the end
            try:
                want = min(len(buffer) - filled, _GET_CHUNK)
                data = self._body.read(want)
            except (BotoCoreError, Urllib3Error, ConnectionError, TimeoutError) as exc:
                self._close_body()
                retries -= 1
                if retries <= 0:
                    raise self.destination._error(exc, "cannot read back", self.key) from exc
                time.sleep(0.2)
                continue
            if not data:
                at_end = True
                break
            buffer[filled : filled + len(data)] = data
            if self._hasher is not None and self._hashed == self._position:
                self._hasher.update(data)
                self._hashed += len(data)
            filled += len(data)
            self._position += len(data)
        return filled

    def _close_body(self) -> None:
        if self._body is not None:
            try:
                self._body.close()
            except Exception:
                pass
        self._body = None

    def close(self) -> None:
        self._close_body()
