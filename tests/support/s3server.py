"""A real S3 server process for the tests: moto's server, behind a thin WSGI layer that checks
the data checksums a client sends, as AWS does.

moto 5.x stores a part or an object whatever ``x-amz-checksum-*`` or ``Content-MD5`` says (its
code has a TODO there); AWS, MinIO and R2 refuse such a request with 400 BadDigest. Without
this layer a corrupted part would be stored and no test could show that our part checksums
are really sent and really protect anything. Everything else is moto's own server, unchanged.

Run: ``python -m support.s3server --port PORT`` (prints ``READY`` once listening).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import sys
import zlib
from collections.abc import Callable, Iterable
from typing import Any

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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    serve_moto(args.host, args.port, ChecksumGate)


if __name__ == "__main__":
    sys.exit(main())
