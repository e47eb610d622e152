"""The preflight of an ``s3://`` destination: what is checked before the first byte, and what
the service is found to really do with what our guarantees rest on.

* ``check`` (every command, ``offload verify`` too; reads only): HeadBucket, a one-key
  ListObjectsV2 under the prefix, and for a command that writes a one-upload
  ListMultipartUploads (``offload verify`` uploads nothing in parts and never resumes one, so
  a service without it, npm s3rver, is checked all the same). A refusal is one line
  naming the URL, the endpoint botocore really uses, the operation and what to do
  (``UsageError``, exit 64). Throttling and 5xx answers are asked again with the destination's
  own client (botocore's standard retries, ``max_attempts``), not given up after the quick
  client's two attempts.
* ``probe`` (a copy only: it writes, then deletes, a small object of ours under
  ``<prefix>/.offload/probe/``, and a second where the service wrongly takes it): a
  PutObject with ``If-None-Match: *`` twice (the second must be refused with 412), a listing
  of the probe's folder (every key must start with the prefix asked for, and the probe be
  there), a DeleteObject of the probe object with ``If-Match`` on an ETag it does not have
  (it must be refused with 412: records of ours are deleted only on that condition, a
  service that ignores it or answers 501 has them left and named instead), a PutObject
  whose checksum is deliberately wrong (it must be refused), then the deletes; after the
  first PutObject, a GetObject of the probe (its bytes must come back: a credential that
  may write but not read, without s3:GetObject, is refused before the first byte, in every
  verification mode, since every copy reads its own ledger, history, lock and upload
  records). Seven requests on a service that does all this right, once per destination. Probe
  objects older than 15 minutes, left by a run killed while it probed, are deleted too.

Why a probe: services that take the ``If-None-Match`` header and ignore it (npm s3rver,
PyPI fake-s3, a proxy stripping it) store a conditional write over an existing object, so
"never overwrite" silently fails; services that ignore ``x-amz-checksum-*`` (moto, fake-s3)
store a part corrupted on the way, so "in-flight hashes checked" would be a claim nobody made
good; fake-s3 lists keys as ``/prefix/...``, which hid an existing object of the user's. None
of them says so: only trying tells.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlsplit

from offload.destinations.s3 import (
    STATE_PREFIX,
    _error_code,
    _is_connection_error,
    _is_tls_error,
    connection_words,
    error_answer,
    tls_words,
)
from offload.destinations.s3config import (
    credential_source,
    make_client,
    redact_endpoint,
    redact_secrets,
    signs_with_session_token,
)
from offload.destinations.s3credentials import (
    TOKEN_ADVICE,
    TOKEN_EXPIRED,
    refused_credentials,
    unrenewed,
)
from offload.destinations.s3region import bucket_region, named_endpoint, wrong_region
from offload.destinations.s3unreachable import read_timed_out
from offload.destinations.s3url import S3Url
from offload.errors import UsageError

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

    from offload.destinations.s3 import S3Destination

PROBE_FOLDER = "probe"  # under <prefix>/.offload/
# What a service answers to a body that does not match its checksum (AWS: BadDigest for
# Content-MD5, XAmzContentChecksumMismatch or InvalidRequest for x-amz-checksum-*).
_CHECKSUM_REFUSALS = frozenset(
    {
        "BadDigest",
        "InvalidDigest",
        "XAmzContentChecksumMismatch",
        "InvalidChecksum",
        "InvalidRequest",
    }
)
_BUSY = frozenset(
    {
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TooManyRequests",
        "ServiceUnavailable",
        "InternalError",
        "RequestTimeout",
    }
)
# Why a copy needs each operation the check asks for, for the message of a service without it.
_NEEDED_FOR = {
    "HeadBucket": "to find the bucket",
    "ListObjectsV2": "to find what is already there",
    "ListMultipartUploads": "to resume interrupted uploads and clean up its own",
    "PutObject": "to store files, its ledger and manifests",
    "DeleteObject": "to delete its probe objects and a copy whose read-back failed",
}


class Finding(NamedTuple):
    """A warning the probe leaves for the preflight's report: its code and its one line."""

    code: str
    message: str


def _busy(code: str, status: int) -> bool:
    return code in _BUSY or status == 429 or (status >= 500 and code != "NotImplemented")


def _where(store: S3Destination) -> str:
    return f"{store.url} ({store.endpoint})"


def refusal(
    store: S3Destination,
    operation: str,
    exc: BaseException,
    *,
    tail: str,
    attempts: int | None = None,
) -> UsageError:
    """The one line of a preflight request that failed: what failed, why, what to do; *tail*
    says what was left behind ("nothing was written"). *attempts*: how many times the
    request was sent in all (None: those botocore made of the one that raised *exc*,
    ``attempts_made``), said of a busy service. Never a secret: botocore quotes the
    endpoint whole (user:password, query) in some of its errors, so the line as a whole goes
    through ``redact_secrets``, whichever branch worded it."""
    if attempts is None:
        attempts = attempts_made(exc)
    return UsageError(
        redact_secrets(_refusal_text(store, operation, exc, tail=tail, attempts=attempts))
    )


def attempts_made(exc: BaseException) -> int:
    """The times botocore sent the request that raised *exc*: the first and its retries
    (the answer's ``RetryAttempts``, what was done); 1 where the error carries no answer."""
    response = getattr(exc, "response", None)
    metadata = response.get("ResponseMetadata", {}) if isinstance(response, dict) else {}
    retries = metadata.get("RetryAttempts")
    return 1 + retries if isinstance(retries, int) and retries >= 0 else 1


def _refusal_text(
    store: S3Destination, operation: str, exc: BaseException, *, tail: str, attempts: int
) -> str:
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    where = _where(store)
    bucket = store.url.bucket
    lapsed = unrenewed(exc)
    if lapsed is not None:
        # A BotoCoreError, but no failure of the service or the network.
        return f"{where}: {lapsed}; {TOKEN_ADVICE} and run the same command again; " + tail
    if isinstance(exc, NoCredentialsError):
        profile = store.settings.profile
        if profile and all(
            os.environ.get(v) for v in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
        ):
            # botocore's chain skips the variables once a profile is named (as the AWS CLI
            # does): "set AWS_ACCESS_KEY_ID" would name what is set already.
            return (
                f"{where}: no AWS credentials found in profile {profile!r} (--s3-profile or "
                "AWS_PROFILE); AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are set but not "
                "used once a profile is named: give the profile credentials (in "
                "~/.aws/credentials, or the file AWS_SHARED_CREDENTIALS_FILE names), or name "
                "no profile to use the variables; " + tail
            )
        return (
            f"{where}: no AWS credentials found; set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or name a profile (--s3-profile or AWS_PROFILE); " + tail
        )
    if isinstance(exc, ClientError):
        code, status = _error_code(exc)
        said = f"{status} {code}" if code and code != str(status) else str(status or code or "?")
        if code in ("NoSuchBucket", "404") or (status == 404 and operation == "HeadBucket"):
            if tail == NOTHING_VERIFIED:
                # A check: a bucket made now holds no copy to check; the URL is wrong.
                return (
                    f"{where}: bucket {bucket!r} does not exist; check the bucket name in "
                    "the URL and the endpoint (--s3-endpoint, AWS_ENDPOINT_URL, or the "
                    "profile's endpoint_url); " + tail
                )
            return (
                f"{where}: bucket {bucket!r} does not exist; create it first (offload-ai "
                "never creates buckets) or fix the URL or --s3-endpoint; " + tail
            )
        meta = getattr(store.preflight_client, "meta", None)
        signed = getattr(meta, "region_name", None) or store.settings.region or "none set"
        region = bucket_region(exc, code, status, signed)
        if region is not None:
            words = wrong_region(
                bucket,
                region,
                said,
                operation,
                endpoint=bool(store.settings.endpoint_url),
                named=named_endpoint(exc),
            )
            joint = ", and" if store.settings.endpoint_url else " and"
            return f"{where}: {words}{joint} run the same command again; " + tail
        refused = refused_credentials(code, status)
        if refused == "token" or (
            status == 400
            and operation == "HeadBucket"
            and code in ("", "400")
            and (
                signs_with_session_token(store.preflight_client)
                or signs_with_session_token(store.client)
            )
        ):
            # AWS answers a HEAD signed with an expired or revoked session token 400 with
            # no body (a HEAD has none): no code to tell it by but the token itself.
            source = credential_source(store.preflight_client) or credential_source(store.client)
            came = f" from {source}" if source else ""
            return (
                f"{where}: the service refused the credentials{came} ({said} on {operation}): "
                f"{TOKEN_EXPIRED}; {TOKEN_ADVICE} and run the same command again; " + tail
            )
        if refused == "denied":
            source = credential_source(store.preflight_client) or credential_source(store.client)
            if operation == "GetObject" and (code in ("AccessDenied", "403") or status == 403):
                # Only the probe reads here (``_probe_read``), an object it had just stored.
                came = f"the credentials from {source}" if source else "the credentials"
                return (
                    f"{where}: access denied ({code or status} on GetObject of the "
                    f"preflight's probe object): {came} may write to bucket {bucket!r} but not "
                    "read it (s3:GetObject), which every copy needs to read back what it "
                    "stores and to read its ledger, history, lock and upload records; allow "
                    "s3:GetObject (docs/s3.md, Permissions) or use credentials that have it; "
                    + tail
                )
            if source is None:
                return (
                    f"{where}: access denied ({code or status} on {operation}); check the "
                    "credentials of the AWS chain (AWS_ACCESS_KEY_ID, AWS_PROFILE, "
                    "~/.aws/credentials) and the permissions listed in docs/s3.md; " + tail
                )
            return (
                f"{where}: access denied ({code or status} on {operation}); the credentials "
                f"came from {source}: check them (AWS_ACCESS_KEY_ID, AWS_PROFILE, "
                "--s3-profile) and the permissions listed in docs/s3.md; " + tail
            )
        if code == "NotImplemented" or status == 501:
            return (
                f"{where}: the service does not support {operation} ({said}), which "
                f"offload-ai needs {_NEEDED_FOR.get(operation, 'for a copy')}; use an "
                "S3-compatible service that does; " + tail
            )
        if _busy(code, status):
            return (
                f"{where}: the service is busy or failing ({operation} answered {said} "
                f"after {attempts} attempts); try again later; " + tail
            )
        message = str(exc.response.get("Error", {}).get("Message", "") or "").strip()
        return (
            f"{where}: the service refused {operation} ({said}"
            + (f": {message}" if message else "")
            + "); "
            + tail
        )
    if _is_tls_error(exc):
        return f"{where}: {tls_words(exc)}; " + tail
    if read_timed_out(exc):
        # The connection was made and the request sent: the endpoint is right; the
        # service, a proxy before it, or a link dropped mid-request (not "cannot be
        # reached", which names the endpoint too).
        return (
            f"{where}: {connection_words(exc)} ({operation}); check the service's status "
            "and the network, then run the same command again; " + tail
        )
    if isinstance(exc, BotoCoreError) or _is_connection_error(exc):
        reason = "cannot be reached" if _is_connection_error(exc) else f"failed: {exc}"
        return (
            f"{where}: the service {reason}{_contacted(store, exc)} ({operation}); check the "
            "network and the endpoint (--s3-endpoint, AWS_ENDPOINT_URL, or the profile's "
            f"endpoint_url){_path_style_advice(store)}; " + tail
        )
    return f"{where}: {operation} failed: {exc}; " + tail


def _contacted(store: S3Destination, exc: BaseException) -> str:
    """ " at <URL>" where the request went elsewhere than the endpoint ``_where`` names: with
    virtual-hosted addressing botocore puts the bucket before the endpoint's host
    (``rushes.localhost:9000``), a name that may not resolve while the endpoint works. The
    scheme and host only, redacted (botocore's ``endpoint_url`` is the request's whole URL);
    "" where botocore did not say (not an ``EndpointConnectionError``) or it is the same."""
    url = str(getattr(exc, "kwargs", {}).get("endpoint_url") or "")
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return ""
    contacted = redact_endpoint(f"{parts.scheme}://{parts.netloc}")
    if contacted.rstrip("/") == store.endpoint.rstrip("/"):
        return ""
    if store.settings.addressing_style == "virtual":
        return f" at {contacted} (virtual-hosted addressing: the bucket's name before the host)"
    return f" at {contacted}"


def _path_style_advice(store: S3Destination) -> str:
    """What to try where virtual-hosted addressing, asked for, meets a service of its own
    endpoint: most S3-compatible services (and their DNS) take path-style requests alone."""
    if store.settings.addressing_style != "virtual" or not store.settings.endpoint_url:
        return ""
    return (
        ", or set addressing_style = path in the profile's s3 section (in the AWS config "
        "file) where the service takes path-style requests"
    )


def _ask(
    store: S3Destination,
    quick: S3Client,
    operation: str,
    call: Callable[[S3Client], Any],
    *,
    tail: str,
) -> Any:
    """*call* with the quick client; a busy or failing service is asked again with the
    destination's own (botocore's standard retries, ``max_attempts``). Raises UsageError,
    whose line counts the attempts of both clients."""
    try:
        return call(quick)
    except Exception as exc:
        code, status = _error_code(exc)
        if not _busy(code, status):
            raise refusal(store, operation, exc, tail=tail) from None
        asked = attempts_made(exc)
    try:
        return call(store.client)
    except Exception as exc:
        raise refusal(
            store, operation, exc, tail=tail, attempts=asked + attempts_made(exc)
        ) from None


def _quick_client(store: S3Destination) -> S3Client:
    """Two attempts, short timeouts: an unreachable endpoint is said in seconds. Made once
    for the store's ``check`` and ``probe`` (``store.preflight_client``)."""
    if store.preflight_client is None:
        # ``max_attempts`` counts the retries after the first attempt (botocore's client
        # config): one retry, two attempts.
        store.preflight_client = make_client(
            replace(store.settings, max_attempts=1, connect_timeout_s=5.0, read_timeout_s=15.0)
        )
    return store.preflight_client


#: What a refused preflight did not do: a copy's (the probe's objects aside), a check's.
NOTHING_WRITTEN = "nothing was written"
NOTHING_VERIFIED = "nothing was verified"


def check(store: S3Destination, *, writes: bool = True) -> None:
    """The read-only check (module docstring); *writes* False (``offload verify``): not the
    ListMultipartUploads only a writer needs, and its line says "nothing was verified" and,
    of a bucket that does not exist (HeadBucket 404: the bucket, never a key, which
    HeadBucket does not ask), to check the URL and the endpoint, not to create it (a
    bucket made now holds no copy to check). Raises UsageError. Its client stays open for
    ``probe`` (closed there, or by ``store.close``)."""
    quick = _quick_client(store)
    bucket = store.url.bucket
    tail = NOTHING_WRITTEN if writes else NOTHING_VERIFIED
    _ask(store, quick, "HeadBucket", lambda c: c.head_bucket(Bucket=bucket), tail=tail)
    _ask(
        store,
        quick,
        "ListObjectsV2",
        lambda c: c.list_objects_v2(Bucket=bucket, Prefix=store._state_key(""), MaxKeys=1),
        tail=tail,
    )
    if not writes:
        return
    _ask(
        store,
        quick,
        "ListMultipartUploads",
        lambda c: c.list_multipart_uploads(Bucket=bucket, Prefix=store.url.key(""), MaxUploads=1),
        tail=tail,
    )


PROBE_TOKEN_BYTES = 8  # a probe object's name: this many random bytes, in hex


def probe_key(url: S3Url, token: str) -> str:
    """The key of the probe object named *token* under *url*'s prefix:
    ``<prefix>/.offload/probe/<token>``."""
    return url.key(f"{STATE_PREFIX}/{PROBE_FOLDER}/{token}")


def checksum_twin(key: str) -> str:
    """The key of the probe object stored with a wrong checksum beside the probe *key*."""
    return f"{key}-checksum"


STALE_PROBE_S = 900.0  # a probe takes seconds: one this old belongs to a dead run


def _stale(listed: Mapping[str, Any], ours: str, after_s: float) -> list[str]:
    """Keys of the probe folder's listing, other than *ours* (and its checksum twin), last
    modified more than *after_s* seconds ago."""
    now = datetime.now(UTC)
    return [
        str(item["Key"])
        for item in listed.get("Contents", [])
        if not str(item.get("Key", "")).startswith(ours)
        and isinstance(item.get("LastModified"), datetime)
        and (now - item["LastModified"]).total_seconds() > after_s
    ]


def probe(store: S3Destination, *, stale_after_s: float = STALE_PROBE_S) -> list[Finding]:
    """Try what the copy relies on (module docstring), on probe objects of ours deleted
    before returning. Sets ``store.checksums_checked``, and turns ``store.conditional_create``
    False where the service does not honour ``If-None-Match`` and the HEAD check was asked for
    (``S3Settings.head_check``); returns the warnings to report. Raises UsageError: a listing
    that does not list as S3 does, conditional writes not honoured without ``head_check``, a
    request refused. Probe objects older than *stale_after_s* (left by a run killed while it
    probed) are deleted with ours; one whose delete is refused (a credential without
    s3:DeleteObject) is named in an ``s3-probe-left`` warning, never silently left."""
    quick = _quick_client(store)
    bucket = store.url.bucket
    tail = "nothing was copied"
    folder = store._state_key(PROBE_FOLDER) + "/"
    key = probe_key(store.url, secrets.token_hex(PROBE_TOKEN_BYTES))
    body = b"offload-ai preflight probe (deleted at once)\n"
    param, value = store._checksum(body)
    # (key, VersionId) of each probe object stored: a bucket that keeps versions keeps each.
    made: list[tuple[str, str | None]] = []
    findings: list[Finding] = []
    conditional = store.settings.conditional_writes
    not_honoured = ""

    def put(c: S3Client, name: str, extra: dict[str, Any]) -> None:
        answer = c.put_object(Bucket=bucket, Key=name, Body=body, **extra)
        made.append((name, answer.get("VersionId")))

    try:
        plain = {param: value}
        guarded = {**plain, "IfNoneMatch": "*"}
        if conditional:
            try:
                put(quick, key, guarded)
            except Exception as exc:
                code, status = _error_code(exc)
                if code != "NotImplemented" and status != 501:
                    if not _busy(code, status):
                        raise refusal(store, "PutObject", exc, tail=tail) from None
                    _ask(
                        store, store.client, "PutObject", lambda c: put(c, key, guarded), tail=tail
                    )
                else:  # a service that refuses the header itself: the same put without it
                    not_honoured = "does not support If-None-Match (501 on a conditional PutObject)"
                    _ask(store, quick, "PutObject", lambda c: put(c, key, plain), tail=tail)
        else:
            _ask(store, quick, "PutObject", lambda c: put(c, key, plain), tail=tail)
        _probe_read(store, quick, key, body, tail=tail)
        listed = _ask(
            store,
            quick,
            "ListObjectsV2",
            lambda c: c.list_objects_v2(Bucket=bucket, Prefix=folder),
            tail=tail,
        )
        keys = [str(item.get("Key", "")) for item in listed.get("Contents", [])]
        for found in keys:
            if not found.startswith(folder):
                raise UsageError(f"{store.foreign_listing(folder, found).strerror}; {tail}")
        # Probe objects a run killed mid-probe left (SIGKILL, SIGTERM before the command's
        # handlers, a power cut): deleted with ours. Only old ones: a run probing the same
        # prefix right now keeps its own.
        made.extend((stale, None) for stale in _stale(listed, key, stale_after_s))
        if key not in keys:
            raise UsageError(
                f"{_where(store)}: the service does not list as S3 does (the probe object "
                f"{key!r} it had just stored was not listed under {folder!r}); offload-ai "
                f"cannot tell what is stored there; {tail}"
            )
        if conditional and not not_honoured:
            try:
                put(quick, key, guarded)
            except Exception as exc:
                code, status = _error_code(exc)
                if code == "NotImplemented" or status == 501:
                    not_honoured = "does not support If-None-Match"
                elif code != "PreconditionFailed" and status != 412:
                    raise refusal(store, "PutObject", exc, tail=tail) from None
            else:
                not_honoured = (
                    "ignores If-None-Match (a second conditional PutObject of a probe object "
                    "was stored over the first instead of being refused with 412)"
                )
        if conditional and not not_honoured:
            _probe_conditional_delete(store, quick, key, made)
        wrong = store._checksum(body + b"!")[1]
        try:
            put(quick, checksum_twin(key), {param: wrong})
        except Exception as exc:
            code, status = _error_code(exc)
            if code not in _CHECKSUM_REFUSALS and not (400 <= status < 500):
                raise refusal(store, "PutObject", exc, tail=tail) from None
        else:
            store.checksums_checked = False
    finally:
        left = [
            (name, *failed)
            for name, version in made
            if (failed := _delete(quick, bucket, name, version))
        ]
        quick.close()
        store.preflight_client = None
    if not_honoured and not store.settings.head_check:
        raise UsageError(
            f"{_where(store)}: the service {not_honoured}, so a copy could replace an object "
            "another writer stored under the same key; offload-ai refuses to write there. "
            "Pass --s3-head-check (or set OFFLOAD_S3_HEAD_CHECK=1) to check each key with a "
            "HEAD just before writing it instead (racy: another writer could still create the "
            f"key in between); {tail}"
        )
    if not_honoured or not conditional:
        store._conditional_refused()
        store._conditional_delete_refused()
        why = f"the service {not_honoured}" if not_honoured else "conditional writes are off"
        findings.append(
            Finding(
                "s3-head-check",
                f"{store.url}: {why}: each key is checked with a HEAD just before it is "
                "written (--s3-head-check); another writer creating the same key between the "
                "HEAD and the write would be replaced",
            )
        )
    if left:
        names = ", ".join(f"{name} ({answer})" for name, answer, _ in left)
        advice = "; ".join(dict.fromkeys(advice for _, _, advice in left))
        findings.append(
            Finding(
                "s3-probe-left",
                f"{store.url}: the preflight could not delete its probe "
                f"{'object' if len(left) == 1 else 'objects'} {names}: a few bytes of ours, "
                f"nothing of the card's; {advice}",
            )
        )
    if not store.checksums_checked:
        name = "Content-MD5" if param == "ContentMD5" else f"x-amz-checksum-{param[8:].lower()}"
        findings.append(
            Finding(
                "s3-checksums-unchecked",
                f"{store.url}: the service does not check the part checksums ({name}: a probe "
                "object sent with a wrong one was stored): a part corrupted on the way is "
                "caught only by the read-back; with --verify transfer its copies are "
                "size-checked only (use --verify destination or full)",
            )
        )
    return findings


def _probe_read(store: S3Destination, quick: S3Client, key: str, body: bytes, *, tail: str) -> None:
    """GET the probe object *key* just stored and compare it with *body*. Every copy reads
    what it stores (the read-back of the ``destination`` and ``full`` modes) and, in every
    mode, its own objects: the copy root's ledger, ASC MHL history and lock, the upload
    records of a resume; a credential that may write but not read (no ``s3:GetObject``) is
    refused here, before the first byte, not after uploading a card it cannot read. Raises
    UsageError: a refused or failed GET (``_ask``: a busy service asked again; an access
    denied names the bucket and ``s3:GetObject``, ``_refusal_text``), other bytes than were
    stored (their sizes when they differ)."""
    bucket = store.url.bucket
    data = _ask(
        store,
        quick,
        "GetObject",
        lambda c: c.get_object(Bucket=bucket, Key=key)["Body"].read(),
        tail=tail,
    )
    if data != body:
        sizes = f" ({len(data)} bytes, not {len(body)})" if len(data) != len(body) else ""
        raise UsageError(
            f"{_where(store)}: the service gave back other bytes for the probe object "
            f"{key!r} than it had just stored{sizes}; offload-ai cannot verify a copy there; "
            + tail
        )


# An ETag no object has: a DeleteObject with it as If-Match must be refused (412).
_NO_SUCH_ETAG = '"00000000000000000000000000000000"'


def _probe_conditional_delete(
    store: S3Destination, quick: S3Client, key: str, made: list[tuple[str, str | None]]
) -> None:
    """Ask the service to delete the probe object *key* only if it had an ETag it does not
    have: 412 says it deletes on a condition (``conditional_delete`` stays on); else (501,
    the object deleted anyway, any other answer: not proven) it is turned off, and a delete
    marker the ignored delete left on a versioned bucket is added to *made* (deleted with
    the probe objects). Never raises."""
    try:
        answer = quick.delete_object(Bucket=store.url.bucket, Key=key, IfMatch=_NO_SUCH_ETAG)
    except Exception as exc:
        code, status = _error_code(exc)
        if code != "PreconditionFailed" and status != 412:
            store._conditional_delete_refused()
        return
    store._conditional_delete_refused()
    marker = answer.get("VersionId") if answer.get("DeleteMarker") else None
    if marker:
        made.append((key, str(marker)))


def _delete(client: S3Client, bucket: str, key: str, version: str | None) -> tuple[str, str] | None:
    """Delete a probe object (its version too, on a bucket that keeps versions). Never raises:
    returns None once deleted, else the service's answer (its error code, e.g.
    ``AccessDenied``, or the client's error name where none came) and the advice that
    matches it (``_advice``), for the ``s3-probe-left`` warning; a probe object left behind
    is a few bytes under ``.offload/``."""
    by_id = version if version and version != "null" else None  # "null": the key's only one
    try:
        if by_id is not None:
            client.delete_object(Bucket=bucket, Key=key, VersionId=by_id)
        else:
            client.delete_object(Bucket=bucket, Key=key)
    except Exception as exc:
        code, status = _error_code(exc)
        answer = error_answer(exc, code, status)
        return answer, _advice(code, status, answer, by_id=by_id is not None)
    return None


def _advice(code: str, status: int, answer: str, *, by_id: bool) -> str:
    """What to do about a probe object whose delete got the error *code* (HTTP *status*;
    *answer*: both in a word, ``error_answer``): a delete by version id (*by_id*: a bucket
    that keeps versions) refused for its permission (403) wants ``s3:DeleteObjectVersion``,
    a plain one ``s3:DeleteObject``; a service that deletes no version by id (405, 501) or
    that failed (5xx, 429, SlowDown, no answer) wants no permission, which would mend
    nothing; any other answer (400, 409, ...) is named, no cause guessed."""
    from offload.destinations.s3 import version_delete_refused

    denied = status in (401, 403) or code == "AccessDenied"
    if denied and by_id:
        return (
            "delete them by their version id with a credential that may "
            "(s3:DeleteObjectVersion: the bucket keeps versions)"
        )
    if denied:
        return "delete them with a credential that may (s3:DeleteObject)"
    if by_id and version_delete_refused(code, status):
        return (
            "the service deletes no version by its id (its answer above): they stay as "
            "versions until removed by the service's own means"
        )
    if status == 0 or status >= 500 or status == 429 or code == "SlowDown":
        return (
            "the service failed to answer the delete (no permission is missing): delete "
            "them once it answers"
        )
    return f"the service refused the delete ({answer}): delete them once it allows it"


__all__ = ["PROBE_FOLDER", "Finding", "check", "probe", "refusal"]
