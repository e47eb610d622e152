"""``s3://bucket/prefix`` URLs: parsing, validation and the keys under a prefix.

A destination URL names a bucket and an optional key prefix; every copy goes to
``<prefix>/<relative path>``. Keys are the source's relative paths as they are (``/``-separated,
no normalisation); S3 keys are at most 1,024 bytes of UTF-8.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePath, PurePosixPath

from offload.destinations.naming import keep_both_text
from offload.errors import UsageError

SCHEME = "s3://"
MAX_KEY_BYTES = 1024
# S3's bucket naming rules (3-63 characters; lower-case letters, digits, dots, hyphens;
# starts and ends with a letter or digit). Services that allow more (legacy upper-case AWS
# buckets) are rare; we refuse early rather than sign a request the service will refuse.
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")


def key_bytes(key: str) -> int:
    """The length of *key* (or a part of one) in bytes, as S3 counts it against
    ``MAX_KEY_BYTES``: UTF-8 (a name that is not keeps its bytes, by surrogateescape)."""
    return len(key.encode("utf-8", "surrogateescape"))


def is_s3_url(text: str) -> bool:
    """Whether a destination argument names an S3 location (``s3://...``)."""
    return text.lower().startswith(SCHEME)


@dataclass(frozen=True)
class S3Url:
    """A bucket and a key prefix (no leading or trailing ``/``; empty for the bucket's top)."""

    bucket: str
    prefix: str = ""

    def __str__(self) -> str:
        return f"{SCHEME}{self.bucket}/{self.prefix}" if self.prefix else f"{SCHEME}{self.bucket}"

    def key(self, relative_path: str) -> str:
        """The key of *relative_path* (``/``-separated) under this prefix."""
        relative = relative_path.strip("/")
        if not self.prefix:
            return relative
        return f"{self.prefix}/{relative}" if relative else self.prefix

    def relative(self, key: str) -> str:
        """The relative path of a key under this prefix (ValueError if it is not under it)."""
        if not self.prefix:
            return key
        head = self.prefix + "/"
        if not key.startswith(head):
            raise ValueError(f"{key!r} is not under {self}")
        return key[len(head) :]

    def child(self, relative_path: str) -> S3Url:
        """The URL of a folder below this one."""
        return S3Url(self.bucket, self.key(relative_path))

    def display(self, key: str) -> str:
        """``s3://bucket/key`` for messages and reports."""
        return f"{SCHEME}{self.bucket}/{key}"


def parse_s3_url(text: str, *, limit: bool = True) -> S3Url:
    """Parse ``s3://bucket[/prefix][/]``. Raises UsageError (exit 64) naming what is wrong;
    a prefix of S3's whole key length or more only with *limit* (one file's destination,
    ``s3file``, fails alone for a key too long instead: its caller holds it to the limit)."""
    if not is_s3_url(text):
        raise UsageError(f"{text!r} is not an s3:// URL (expected s3://bucket/prefix)")
    rest = text[len(SCHEME) :]
    bucket, _, prefix = rest.partition("/")
    if not _BUCKET.match(bucket) or ".." in bucket:
        raise UsageError(
            f"{text}: {bucket!r} is not a valid bucket name (3-63 lower-case letters, digits, "
            "dots and hyphens); write s3://bucket/prefix"
        )
    prefix = prefix.strip("/")
    parts = prefix.split("/") if prefix else []
    if any(part in ("", ".", "..") for part in parts):
        raise UsageError(
            f"{text}: the prefix has an empty, '.' or '..' component; write s3://bucket/a/b"
        )
    if limit and key_bytes(prefix) >= MAX_KEY_BYTES:
        raise UsageError(f"{text}: the prefix is longer than S3's {MAX_KEY_BYTES}-byte keys")
    return S3Url(bucket, prefix)


def keep_both_key(key: str, attempt: int) -> str:
    """``a/clip.mov`` → ``a/clip (1).mov`` (attempt 1), ``a/clip (2).mov`` ...: the name a
    file kept beside another takes on a disk (``naming.keep_both_text``)."""
    folder, _, name = key.rpartition("/")
    renamed = keep_both_text(name, attempt)
    return f"{folder}/{renamed}" if folder else renamed


# The engine's root of an S3 destination is a stand-in path, /s3:/bucket/prefix: the card layer
# does nothing local there, and events and reports show it as s3://bucket/prefix.
S3_ROOT = PurePosixPath("/s3:")
_S3_ROOT_PARTS = S3_ROOT.parts
_S3_ROOT_TEXT = str(S3_ROOT)
_S3_ROOT_PREFIX = f"{S3_ROOT}/"


def s3_root(url: S3Url) -> Path:
    """The stand-in local path of an ``s3://`` URL: ``/s3:/bucket/prefix``."""
    root = Path(S3_ROOT) / url.bucket
    return root / url.prefix if url.prefix else root


def is_s3_root(path: PurePath | str) -> bool:
    """Whether *path* is an S3 destination's stand-in path (``/s3:/bucket/prefix``) or below
    it. A path answers by its parts, so a stand-in shown as its URL (``S3ShownPath``: a
    finished report's plans and copies, whose text is ``s3://...``) answers as the live
    plan's does; text answers by its prefix (``s3://`` text is not a stand-in:
    :func:`is_s3_destination` takes either)."""
    if isinstance(path, PurePath):
        return path.parts[:2] == _S3_ROOT_PARTS
    return path == _S3_ROOT_TEXT or path.startswith(_S3_ROOT_PREFIX)


def is_s3_destination(path: PurePath | str) -> bool:
    """Whether *path* names an S3 destination (or a copy in one) in any form a report holds
    it: the stand-in path (the live plan's), that path shown as its URL (a finished
    report's plans), or the ``s3://`` text of a JSON report (``copy_root``, ``path``): the
    one question each reader of a report asks, answered alike whichever form it holds."""
    return is_s3_root(path) or is_s3_url(str(path))


def display_path(path: PurePath | str) -> str:
    """``/s3:/bucket/key`` → ``s3://bucket/key`` (anything else as is; a stand-in shown as
    its URL already, ``S3ShownPath``, is its text)."""
    text = str(path)
    return "s3://" + text[len(_S3_ROOT_TEXT) + 1 :] if is_s3_root(text) else text


def shown(text: str) -> str:
    """Every stand-in path in a message shown as its ``s3://`` URL."""
    return text.replace(f"{S3_ROOT}/", "s3://")
