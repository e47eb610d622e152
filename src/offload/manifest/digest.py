"""ASC MHL hash formats: which exist, their order, and how their text maps to bytes.

Directory hashes are computed over the *bytes* of child hashes (hex decoded; a C4 ID decoded
to its SHA-512 digest), so every format needs both directions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from offload.hashing import ALGORITHMS, new_hasher
from offload.hashing.c4 import C4_ALPHABET, c4_id_from_sha512, sha512_from_c4_id

# Formats with an element in ASC MHL v2.0, in the order the XSD wants them inside <hash>.
ASCMHL_FORMATS: tuple[str, ...] = tuple(
    algorithm.name
    for algorithm in sorted(ALGORITHMS.values(), key=lambda a: a.mhl_order)
    if algorithm.in_ascmhl
)
_ORDER = {name: index for index, name in enumerate(ASCMHL_FORMATS)}

_HEX_LENGTHS = {"md5": 32, "sha1": 40, "xxh128": 32, "xxh3": 16, "xxh64": 16}
_HEX = re.compile(r"[0-9a-f]+")
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
    hasher = new_hasher(name)
    hasher.update(data)
    return hasher.digest()
