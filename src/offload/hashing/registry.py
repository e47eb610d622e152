"""The hash algorithms offload-ai knows, keyed by their ASC MHL names.

Every name in the product (CLI, manifests, reports) is the ASC MHL name: ``xxh64``, ``xxh3``,
``xxh128``, ``md5``, ``sha1``, ``c4``; plus ``sha256`` (not an ASC MHL v2.0 format, so it is
never written to a manifest). ``xxh64be`` is accepted as Pomfort's alias of ``xxh64``: XXH64
with seed 0 as canonical big-endian hex, the same as ``xxhsum -H1``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, NamedTuple, Protocol

import xxhash

from offload.hashing.c4 import C4Hasher

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer as Buffer


class Hasher(Protocol):
    """What every incremental hasher offers (hashlib's and python-xxhash's objects do)."""

    def update(self, data: Buffer, /) -> None: ...

    def digest(self) -> bytes: ...

    def hexdigest(self) -> str: ...


class UnknownHashError(ValueError):
    """A hash name that is not in the registry; the message lists the names that are."""


class HashAlgorithm(NamedTuple):
    """One algorithm: its ASC MHL name, how to make a hasher, and how it behaves.

    ``inline`` algorithms are fast enough (several GB/s) to run in the reader thread; the others
    get a hasher thread of their own so a slow hash never throttles the copy alone.
    ``in_ascmhl`` says whether ASC MHL v2.0 has an element for it.
    ``mhl_order`` is the position of its element inside ``<hash>`` (the XSD enforces the order).
    """

    name: str
    factory: Callable[[], Hasher]
    inline: bool
    in_ascmhl: bool
    mhl_order: int
    gb_per_s: float  # single-thread speed measured on the project machines

    def new(self) -> Hasher:
        return self.factory()


def _xxh64() -> Hasher:
    return xxhash.xxh64()


def _xxh32() -> Hasher:
    return xxhash.xxh32()


def _xxh3() -> Hasher:
    return xxhash.xxh3_64()


def _xxh128() -> Hasher:
    return xxhash.xxh3_128()


def _hashlib(name: str) -> Callable[[], Hasher]:
    def factory() -> Hasher:
        import hashlib  # here: OpenSSL (~3 ms to import) only for md5/sha1/sha256

        return hashlib.new(name)

    return factory


ALGORITHMS: dict[str, HashAlgorithm] = {
    algorithm.name: algorithm
    for algorithm in (
        HashAlgorithm("c4", C4Hasher, inline=False, in_ascmhl=True, mhl_order=0, gb_per_s=0.5),
        HashAlgorithm(
            "md5", _hashlib("md5"), inline=False, in_ascmhl=True, mhl_order=1, gb_per_s=0.6
        ),
        HashAlgorithm(
            "sha1", _hashlib("sha1"), inline=False, in_ascmhl=True, mhl_order=2, gb_per_s=1.2
        ),
        HashAlgorithm(
            "sha256", _hashlib("sha256"), inline=False, in_ascmhl=False, mhl_order=9, gb_per_s=1.35
        ),
        HashAlgorithm("xxh128", _xxh128, inline=True, in_ascmhl=True, mhl_order=3, gb_per_s=11.0),
        HashAlgorithm("xxh3", _xxh3, inline=True, in_ascmhl=True, mhl_order=4, gb_per_s=11.0),
        HashAlgorithm("xxh64", _xxh64, inline=True, in_ascmhl=True, mhl_order=5, gb_per_s=6.0),
    )
}

# Checked, never chosen: formats only a record another tool wrote holds, hashed to verify that
# record. ``xxh32`` is a legacy MHL's ``<xxhash>`` (XXH32, seed 0, written there in decimal;
# here canonical big-endian hex, as ``xxhsum -H0`` prints it). Not in ALGORITHMS: ``-t`` does
# not offer it, since no manifest offload-ai writes records it.
VERIFY_ONLY: dict[str, HashAlgorithm] = {
    # gb_per_s: half of xxh64's, timed side by side (python-xxhash, 64 MiB, median of 5)
    "xxh32": HashAlgorithm(
        "xxh32", _xxh32, inline=True, in_ascmhl=False, mhl_order=10, gb_per_s=3.0
    ),
}

ALIASES: dict[str, str] = {
    "xxh64be": "xxh64",
    "xxhash64be": "xxh64",
    "xxh3_64": "xxh3",
    "xxh3-64": "xxh3",
    "xxh3_128": "xxh128",
    "sha-1": "sha1",
    "sha-256": "sha256",
}

SAME_DIGEST_NOTE = (
    "xxh64, xxh64be and xxhash64be are one algorithm (XXH64, seed 0) and give one digest, "
    "canonical big-endian hex as xxhsum -H1 prints it (ASC MHL's xxh64 element; labelled "
    "XXH64BE on pfndispatchcopy's hash line, as Pomfort's: its bare XXH64 label is the "
    "little-endian rendering, never printed)"
)


def accepted_names() -> tuple[str, ...]:
    """Every name a hash option accepts (case-insensitive): canonical names, then aliases."""
    return (*ALGORITHMS, *ALIASES)


def hash_option_help(default: str) -> str:
    """Help of a ``-t/--hash`` option, built from this registry so it lists every name."""
    groups = []
    for name in ALGORITHMS:
        aliases = [alias for alias, canonical in ALIASES.items() if canonical == name]
        groups.append(f"{name} (also {', '.join(aliases)})" if aliases else name)
    return (
        f"hash algorithm (default {default}); accepted, case-insensitive: {'; '.join(groups)}. "
        f"{SAME_DIGEST_NOTE}. Repeat or comma-separate for several."
    )


# xxh64 because it is what Pomfort's engine and ASC MHL tools use by default.
DEFAULT_ALGORITHM = "xxh64"


def resolve_algorithm(name: str) -> HashAlgorithm:
    """Return the algorithm for an ASC MHL name or alias (case-insensitive), or a format
    only verified (:data:`VERIFY_ONLY`), for the hashers that check another tool's record.

    Raises UnknownHashError naming the accepted names.
    """
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    found = ALGORITHMS.get(key) or VERIFY_ONLY.get(key)
    if found is None:
        accepted = ", ".join(accepted_names())
        raise UnknownHashError(f"unknown hash algorithm {name!r} (accepted: {accepted})")
    return found


def parse_algorithms(names: Iterable[str], *, checks: bool = False) -> tuple[str, ...]:
    """Resolve names (each may be comma-separated) into unique canonical names, order kept.

    *checks*: a format only checked against another tool's record (:data:`VERIFY_ONLY`)
    is accepted beside at least one a copy may choose: the copy's formats once the plan
    added one to check the card's legacy MHL (``<xxhash>``, XXH32) in the single read.
    Otherwise (``-t``, the user's choice) it is refused as unknown for a copy.

    Raises UnknownHashError for an unknown name, ValueError if nothing is selected.
    """
    selected: list[str] = []
    for item in names:
        for part in item.split(","):
            if not part.strip():
                continue
            canonical = resolve_algorithm(part).name
            if canonical not in ALGORITHMS and not checks:
                raise UnknownHashError(
                    f"unknown hash algorithm {part.strip()!r} for a copy: it is only checked "
                    "against a legacy MHL's <xxhash>, which no manifest offload-ai writes "
                    f"holds (accepted: {', '.join(accepted_names())})"
                )
            if canonical not in selected:
                selected.append(canonical)
    if not any(name in ALGORITHMS for name in selected):
        if selected:  # only formats checked, never chosen: refused as -t refuses them
            return parse_algorithms(selected)
        raise ValueError("no hash algorithm selected")
    return tuple(selected)


def comparable_digest(name: str, value: str) -> str:
    """The text a digest of algorithm *name* is compared by: hex lowered (the same bytes
    whichever case a tool wrote them in), a C4 ID exactly as it is (base58: ``c4A`` and
    ``c4a`` are different values, so case-folding one corrupts it)."""
    return value if name == "c4" else value.lower()


def new_hasher(name: str) -> Hasher:
    """A fresh incremental hasher for an ASC MHL name or alias. Raises UnknownHashError."""
    return resolve_algorithm(name).new()


def fastest(names: Iterable[str]) -> str:
    """The fastest of the given canonical names (used to hash read-backs)."""
    return max(names, key=lambda n: ALGORITHMS[n].gb_per_s)
