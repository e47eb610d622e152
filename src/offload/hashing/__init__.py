"""Hash algorithms keyed by their ASC MHL names, and a hasher that runs several in one pass."""

from offload.hashing.multihasher import MultiHasher
from offload.hashing.registry import (
    ALGORITHMS,
    DEFAULT_ALGORITHM,
    HashAlgorithm,
    Hasher,
    UnknownHashError,
    comparable_digest,
    new_hasher,
    parse_algorithms,
    resolve_algorithm,
)

__all__ = [
    "ALGORITHMS",
    "DEFAULT_ALGORITHM",
    "HashAlgorithm",
    "Hasher",
    "MultiHasher",
    "UnknownHashError",
    "comparable_digest",
    "new_hasher",
    "parse_algorithms",
    "resolve_algorithm",
]
