"""A real S3 server process for the tests: moto's server, behind a thin WSGI layer that checks
the data checksums a client sends, as AWS does.

moto 5.x stores a part or an object whatever ``x-amz-checksum-*`` or ``Content-MD5`` says (its
code has a TODO there); AWS, MinIO and R2 refuse such a request with 400 BadDigest. Without
this layer a corrupted part would be stored and no test could show that our part checksums
are really sent and really protect anything. Everything else is moto's own server, unchanged.

Run: ``python -m support.s3server --port PORT`` (prints ``READY`` once listening).

Modes, for the behaviours of other S3 servers the copy must notice (each is this real server
process behaving so, not a mocked client; ``--mode`` is repeatable):

* ``ignore-conditions``: ``If-None-Match`` and ``If-Match`` are dropped from every request
  before moto sees them, as by a service (or a proxy in front of one) that ignores them: a
  conditional write is stored over an existing object (npm ``s3rver``, PyPI ``fake-s3``);
* ``ignore-delete-conditions``: ``If-Match`` is dropped from a ``DELETE`` only, as by a
  service that honours conditional writes but not conditional deletes (AWS S3 before it
  had them);
* ``slash-keys``: the keys of a listing are given with a leading ``/``
  (``<Key>/cards/a.wav</Key>``), as PyPI ``fake-s3`` 1.0.2 lists them;
* ``deny-deletes``: every delete (``DELETE`` of an object or an upload, the batch
  ``POST ?delete``) is refused with 403 AccessDenied, as for a credential without
  ``s3:DeleteObject`` (a write-only bucket policy);
* ``empty-416``: a GET of an empty object (no ``Range`` asked) is answered 416
  InvalidRange instead of 200 and no bytes, as some S3 front ends do for a zero-length
  body;
* ``exact-upload-prefix``: a ListMultipartUploads (``GET ?uploads``) with a ``prefix``
  lists only the uploads whose key *is* that prefix, as MinIO does (it does not list
  multipart uploads by prefix: a prefix is matched as an exact key);
* ``upload-times``: a ListMultipartUploads answer gives each upload's ``Initiated`` as the
  time its CreateMultipartUpload was answered (moto gives every upload 2010-11-10), as AWS
  does;
* ``key-limit``: a write to a key longer than 1,024 bytes of UTF-8 (``PUT`` of an object or
  a part, a copy, ``POST ?uploads``) is answered 400 KeyTooLongError and never reaches
  moto, as AWS answers it (moto stores such a key);
* ``null-version-ids``: an object write (a ``PUT`` of a key, a copy, not a part; the
  ``POST`` completing a multipart upload) that moto answers without ``x-amz-version-id``
  is answered ``x-amz-version-id: null``, as AWS answers on a bucket whose versioning is
  suspended (moto leaves the header out there); for tests whose buckets are suspended;
* ``no-checksums``: no checksum gate, moto as it is: a part whose ``x-amz-checksum-*`` or
  ``Content-MD5`` does not match its bytes is stored.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import hashlib
import io
import re
import sys
import zlib
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from offload.bench.s3server import serve_moto

_BAD_DIGEST = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>BadDigest</Code>'
    b"<Message>The %s you specified did not match the calculated checksum.</Message></Error>"
)


def _crc32(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def _b64(algorithm: str) -> Callable[[bytes], str]:
    return lambda data: base64.b64encode(hashlib.new(algorithm, data).digest()).decode()


_CHECKS: dict[str, tuple[str, Callable[[bytes], str]]] = {
    "HTTP_X_AMZ_CHECKSUM_CRC32": ("x-amz-checksum-crc32", _crc32),
    "HTTP_X_AMZ_CHECKSUM_SHA256": ("x-amz-checksum-sha256", _b64("sha256")),
    "HTTP_X_AMZ_CHECKSUM_SHA1": ("x-amz-checksum-sha1", _b64("sha1")),
    "HTTP_CONTENT_MD5": ("Content-MD5", _b64("md5")),
}
try:  # CRC32C only where awscrt is installed
    from awscrt import checksums as _crt

    _CHECKS["HTTP_X_AMZ_CHECKSUM_CRC32C"] = (
        "x-amz-checksum-crc32c",
        lambda data: base64.b64encode(_crt.crc32c(data).to_bytes(4, "big")).decode(),
    )
except ImportError:
    pass


def _buffered(
    app: Callable[..., Iterable[bytes]], environ: dict[str, Any]
) -> tuple[str, list[tuple[str, str]], bytes]:
    """*app*'s answer to *environ*, whole: its status, headers and body (for a middleware
    that rewrites the body before answering: ``_reply``)."""
    held: dict[str, Any] = {}

    def hold(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        held["status"], held["headers"] = status, headers
        return lambda data: None

    body = b"".join(app(environ, hold))
    return held["status"], held["headers"], body


def _reply(
    start_response: Callable[..., Any], status: str, headers: list[tuple[str, str]], body: bytes
) -> list[bytes]:
    """Answer *status*, *headers* and *body*, its ``Content-Length`` that of *body*."""
    kept = [(k, v) for k, v in headers if k.lower() != "content-length"]
    start_response(status, [*kept, ("Content-Length", str(len(body)))])
    return [body]


class ChecksumGate:
    """WSGI middleware: refuse a PUT whose body does not match a checksum header it carries."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("REQUEST_METHOD") == "PUT" and any(h in environ for h in _CHECKS):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            for header, (name, compute) in _CHECKS.items():
                sent = environ.get(header)
                if sent and sent.strip() != compute(body):
                    message = _BAD_DIGEST % name.encode()
                    start_response(
                        "400 Bad Request",
                        [
                            ("Content-Type", "application/xml"),
                            ("Content-Length", str(len(message))),
                        ],
                    )
                    return [message]
            environ["wsgi.input"] = io.BytesIO(body)
        return self.app(environ, start_response)


class IgnoreConditions:
    """WSGI middleware: the request's ``If-None-Match`` and ``If-Match`` are never seen."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        environ.pop("HTTP_IF_NONE_MATCH", None)
        environ.pop("HTTP_IF_MATCH", None)
        return self.app(environ, start_response)


class IgnoreDeleteConditions:
    """WSGI middleware: a ``DELETE``'s ``If-Match`` is never seen; every other request is
    passed on unchanged."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("REQUEST_METHOD") == "DELETE":
            environ.pop("HTTP_IF_MATCH", None)
        return self.app(environ, start_response)


class SlashKeys:
    """WSGI middleware: a bucket listing (GET on the bucket, no key) names each key with a
    leading ``/``, as fake-s3 does; everything else is passed on unchanged."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "").strip("/")
        if environ.get("REQUEST_METHOD") != "GET" or "/" in path or not path:
            return self.app(environ, start_response)
        if "uploads" in environ.get("QUERY_STRING", "").split("&"):
            return self.app(environ, start_response)
        status, headers, body = _buffered(self.app, environ)
        body = body.replace(b"<Key>", b"<Key>/")
        return _reply(start_response, status, headers, body)


_ACCESS_DENIED = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
    b"<Message>Access Denied</Message></Error>"
)


class DenyDeletes:
    """WSGI middleware: a delete request is answered 403 AccessDenied and never reaches moto."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        method = environ.get("REQUEST_METHOD")
        query = environ.get("QUERY_STRING", "").split("&")
        if method == "DELETE" or (method == "POST" and ("delete" in query or "delete=" in query)):
            start_response(
                "403 Forbidden",
                [("Content-Type", "application/xml"), ("Content-Length", str(len(_ACCESS_DENIED)))],
            )
            return [_ACCESS_DENIED]
        return self.app(environ, start_response)


_INVALID_RANGE = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InvalidRange</Code>'
    b"<Message>The requested range is not satisfiable</Message></Error>"
)


class EmptyRange:
    """WSGI middleware: a GET of an object (a key, no query) that moto answers 200 with no
    bytes is answered 416 InvalidRange instead; everything else is passed on unchanged."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "").strip("/")
        if environ.get("REQUEST_METHOD") != "GET" or "/" not in path:
            return self.app(environ, start_response)
        if environ.get("QUERY_STRING"):
            return self.app(environ, start_response)
        status, headers, body = _buffered(self.app, environ)
        if status.startswith("200") and not body:
            start_response(
                "416 Requested Range Not Satisfiable",
                [
                    ("Content-Type", "application/xml"),
                    ("Content-Length", str(len(_INVALID_RANGE))),
                    ("Content-Range", "bytes */0"),
                ],
            )
            return [_INVALID_RANGE]
        return _reply(start_response, status, headers, body)


class ExactUploadPrefix:
    """WSGI middleware: a ListMultipartUploads answer keeps only the uploads whose key equals
    the request's ``prefix`` (MinIO's behaviour); everything else is passed on unchanged."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        if environ.get("REQUEST_METHOD") != "GET" or "uploads" not in query:
            return self.app(environ, start_response)
        prefix = query.get("prefix", [""])[0]
        status, headers, body = _buffered(self.app, environ)
        if prefix and status.startswith("200"):
            wanted = f"<Key>{escape(prefix)}</Key>".encode()
            body = re.sub(
                rb"<Upload>.*?</Upload>",
                lambda m: m.group(0) if wanted in m.group(0) else b"",
                body,
                flags=re.S,
            )
        return _reply(start_response, status, headers, body)


class UploadTimes:
    """WSGI middleware: the time each CreateMultipartUpload (``POST ?uploads``) was answered
    is kept by upload id, and a ListMultipartUploads answer's ``<Initiated>`` of each upload
    is that time (UTC, milliseconds, as AWS writes it); everything else passed on unchanged."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.started: dict[bytes, bytes] = {}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        method = environ.get("REQUEST_METHOD")
        if "uploads" not in query or method not in ("GET", "POST"):
            return self.app(environ, start_response)
        status, headers, body = _buffered(self.app, environ)
        if status.startswith("200"):
            if method == "POST":
                now = datetime.datetime.now(datetime.UTC)
                stamp = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
                for upload_id in re.findall(rb"<UploadId>(.*?)</UploadId>", body):
                    self.started[upload_id] = stamp.encode()
            else:

                def initiated(match: re.Match[bytes]) -> bytes:
                    upload = match.group(0)
                    found = re.search(rb"<UploadId>(.*?)</UploadId>", upload)
                    stamp = self.started.get(found.group(1)) if found else None
                    if stamp is None:
                        return upload
                    return re.sub(
                        rb"<Initiated>.*?</Initiated>",
                        b"<Initiated>" + stamp + b"</Initiated>",
                        upload,
                    )

                body = re.sub(rb"<Upload>.*?</Upload>", initiated, body, flags=re.S)
        return _reply(start_response, status, headers, body)


_KEY_TOO_LONG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>KeyTooLongError</Code>'
    b"<Message>Your key is too long</Message></Error>"
)
MAX_KEY_BYTES = 1024


class KeyLimit:
    """WSGI middleware: a write (``PUT``, ``POST``) to a key longer than ``MAX_KEY_BYTES``
    is answered 400 KeyTooLongError and never reaches moto."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        # PATH_INFO is the request's path, percent-decoded, its bytes as latin-1 (PEP 3333);
        # path style: /bucket/key.
        path = environ.get("PATH_INFO", "").lstrip("/")
        _bucket, _, key = path.partition("/")
        too_long = len(key.encode("latin-1", "replace")) > MAX_KEY_BYTES
        if environ.get("REQUEST_METHOD") in ("PUT", "POST") and too_long:
            start_response(
                "400 Bad Request",
                [("Content-Type", "application/xml"), ("Content-Length", str(len(_KEY_TOO_LONG)))],
            )
            return [_KEY_TOO_LONG]
        return self.app(environ, start_response)


class NullVersionIds:
    """WSGI middleware: an object write answered 2xx without ``x-amz-version-id`` gets
    ``x-amz-version-id: null`` (AWS's answer on a suspended bucket); everything else is
    passed on unchanged."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "").strip("/")
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        method = environ.get("REQUEST_METHOD")
        write = (method == "PUT" and not query) or (method == "POST" and "uploadId" in query)
        if "/" not in path or not write:
            return self.app(environ, start_response)
        status, headers, body = _buffered(self.app, environ)
        if status.startswith("2") and not any(k.lower() == "x-amz-version-id" for k, _ in headers):
            headers = [*headers, ("x-amz-version-id", "null")]
        return _reply(start_response, status, headers, body)


MODES: dict[str, Callable[[Callable[..., Iterable[bytes]]], Any]] = {
    "ignore-conditions": IgnoreConditions,
    "ignore-delete-conditions": IgnoreDeleteConditions,
    "slash-keys": SlashKeys,
    "deny-deletes": DenyDeletes,
    "empty-416": EmptyRange,
    "exact-upload-prefix": ExactUploadPrefix,
    "upload-times": UploadTimes,
    "key-limit": KeyLimit,
    "null-version-ids": NullVersionIds,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode", action="append", default=[], choices=[*MODES, "no-checksums"])
    args = parser.parse_args(argv)

    def wrap(app: Callable[..., Iterable[bytes]]) -> Any:
        if "no-checksums" not in args.mode:
            app = ChecksumGate(app)
        for mode in args.mode:
            if mode in MODES:
                app = MODES[mode](app)
        return app

    serve_moto(args.host, args.port, wrap)


if __name__ == "__main__":
    sys.exit(main())
