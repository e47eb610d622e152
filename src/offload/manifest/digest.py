"""ASC MHL hash formats: which exist, their order, and how their text maps to bytes.

Directory hashes are computed over the *bytes* of child hashes (hex decoded; a C4 ID decoded
to its SHA-512 digest), so every format needs both directions.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence
from typing import cast

import xxhash

from offload.hashing import ALGORITHMS
from offload.hashing.c4 import C4_ALPHABET, c4_id_from_sha512, sha512_from_c4_id
from offload.hashing.registry import resolve_algorithm

# Formats with an element in ASC MHL v2.0, in the order the XSD wants them inside <hash>.
ASCMHL_FORMATS: tuple[str, ...] = tuple(
    algorithm.name
    for algorithm in sorted(ALGORITHMS.values(), key=lambda a: a.mhl_order)
    if algorithm.in_ascmhl
)
_ORDER = {name: index for index, name in enumerate(ASCMHL_FORMATS)}

_HEX_LENGTHS = {"md5": 32, "sha1": 40, "xxh128": 32, "xxh3": 16, "xxh64": 16}
_HEX = re.compile(r"[0-9a-f]+")
# What bytes.fromhex takes that a canonical digest holds not (all_canonical)
_NOT_LOWER_HEX = "ABCDEF \t\n\r\x0b\x0c"
_C4 = re.compile("c4[" + re.escape(C4_ALPHABET) + "]{88}")


def is_ascmhl_format(name: str) -> bool:
    """True for the format names ASC MHL v2.0 has an element for."""
    return name in _ORDER


def format_order(name: str) -> int:
    """Position of a format inside ``<hash>``/``<content>``. Raises KeyError for others."""
    return _ORDER[name]


def sorted_formats(names: Iterable[str]) -> tuple[str, ...]:
    """The ASC MHL formats among *names*, in XSD order, without repeats; others dropped."""
    return tuple(sorted({n for n in names if n in _ORDER}, key=_ORDER.__getitem__))


def normalize_digest(name: str, value: str) -> str:
    """Return the canonical text of a digest: lower-case hex, or the C4 ID as is.

    Upper-case hex is accepted and lowered (the reference verifier compares strings, and ASC
    MHL tools write lower case). Raises ValueError if *value* is not a well-formed digest of
    format *name*, or *name* is not an ASC MHL format.
    """
    if name == "c4":
        if not _C4.fullmatch(value):
            raise ValueError(f"not a C4 ID: {value!r}")
        return value
    length = _HEX_LENGTHS.get(name)
    if length is None:
        raise ValueError(f"{name!r} is not an ASC MHL hash format")
    lowered = value.lower()
    if len(lowered) != length or not _HEX.fullmatch(lowered):
        raise ValueError(f"not a {name} digest ({length} hex digits): {value!r}")
    # The caller's string when it was lower case already: a manifest of 50,000 files keeps
    # one digest a file, not two.
    return value if lowered == value else lowered


def all_canonical(name: str, values: Sequence[object]) -> bool:
    """Whether every one of *values* is already the canonical text of a well-formed digest
    of the ASC MHL format *name* (:func:`normalize_digest` would return it unchanged and
    raise for none). False says nothing of any one value: ask :func:`normalize_digest`.

    The manifest writer asks it of a card's digests at once, a format at a time: one
    ``set`` of their lengths and one ``bytes.fromhex`` of their text joined, not a match a
    file (~0.6 µs a file at 50,000 files)."""
    texts = cast(Sequence[str], values)  # checked below: a TypeError otherwise
    try:
        if name == "c4":
            return all(map(_C4.fullmatch, texts))
        length = _HEX_LENGTHS.get(name)
        if length is None:
            return False
        if not values:
            return True
        if set(map(len, texts)) != {length}:
            return False
        joined = "".join(texts)
        # Lower-case hex joined is lower-case hex each (each of the right length): what
        # fromhex takes but for upper case and the ASCII white space it skips (a regular
        # expression over the text joined was ~8 ms at 50,000 digests, fromhex ~0.5 ms).
        if any(c in joined for c in _NOT_LOWER_HEX):
            return False
        bytes.fromhex(joined)
        return True
    except (TypeError, ValueError):  # a value that is not text; a character not hex
        return False


def digest_to_bytes(name: str, value: str) -> bytes:
    """The raw bytes behind a canonical digest text (C4: the 64-byte SHA-512)."""
    if name == "c4":
        return sha512_from_c4_id(value)
    return bytes.fromhex(value)


def bytes_to_digest(name: str, raw: bytes) -> str:
    """The canonical text for raw digest bytes (inverse of :func:`digest_to_bytes`)."""
    if name == "c4":
        return c4_id_from_sha512(raw)
    return raw.hex()


def hash_bytes(name: str, data: bytes) -> bytes:
    """Raw digest of *data* in format *name* (C4: the SHA-512 digest, not the ID)."""
    return digester(name)(data)


# The xxHash library's one-shot functions, the same digest as its hashers' (the registry's
# xxh64, xxh3 and xxh128); a folder hash of a card of 50,000 files asks for one a file.
_ONE_SHOT: dict[str, Callable[[bytes], bytes]] = {
    "xxh64": xxhash.xxh64_digest,
    "xxh3": xxhash.xxh3_64_digest,
    "xxh128": xxhash.xxh3_128_digest,
}


@functools.lru_cache(maxsize=64)
def digester(name: str) -> Callable[[bytes], bytes]:
    """``hash_bytes`` of format *name* as a function of the data, resolved once (a hasher
    looked up by name each call was ~1 µs a file of a folder hash, at 50,000 files).
    Raises UnknownHashError."""
    one_shot = _ONE_SHOT.get(name)
    if one_shot is not None:
        return one_shot
    factory = resolve_algorithm(name).factory

    def digest(data: bytes) -> bytes:
        hasher = factory()
        hasher.update(data)
        return hasher.digest()

    return digest
