"""S3 counts a key's length in bytes of UTF-8 (``s3url.key_bytes``, the one count the
preflight, the keep-both names and the own-key check use), and ``s3own_keys.too_long``
names the longest key in those bytes, not in characters."""

from __future__ import annotations

from offload.destinations import s3own_keys
from offload.destinations.s3url import MAX_KEY_BYTES, key_bytes


def test_a_key_is_counted_in_bytes_of_utf8() -> None:
    assert key_bytes("a/b.mov") == 7
    assert key_bytes("é") == 2  # one character, two bytes
    assert key_bytes("\udcff") == 1  # a byte that is not UTF-8, kept by surrogateescape


def test_the_longest_key_is_the_longest_in_bytes() -> None:
    short_in_bytes = "a" * (MAX_KEY_BYTES - 10)
    long_in_bytes = "é" * 600  # fewer characters, 1,200 bytes
    assert s3own_keys.too_long([short_in_bytes, long_in_bytes]) == long_in_bytes
    assert s3own_keys.too_long([short_in_bytes, "a" * MAX_KEY_BYTES]) is None
    assert s3own_keys.too_long(["a" * (MAX_KEY_BYTES + 1), "b" * (MAX_KEY_BYTES + 1)]) == (
        "a" * (MAX_KEY_BYTES + 1)
    )  # the first of those as long
