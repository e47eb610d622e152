"""C4 ID (SMPTE ST 2114): SHA-512 of the data in base58, padded to 88 digits, "c4" prefix."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer as Buffer

C4_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
C4_ID_LENGTH = 90  # "c4" + 88 base58 digits


def c4_id_from_sha512(digest: bytes) -> str:
    """Encode a 64-byte SHA-512 digest as a 90-character C4 ID.

    Raises ValueError if *digest* is not 64 bytes long.
    """
    if len(digest) != 64:
        raise ValueError(f"a C4 ID encodes a 64-byte SHA-512 digest, got {len(digest)} bytes")
    value = int.from_bytes(digest, "big")
    digits: list[str] = []
    while value:
        value, remainder = divmod(value, 58)
        digits.append(C4_ALPHABET[remainder])
    encoded = "".join(reversed(digits))
    return "c4" + encoded.rjust(C4_ID_LENGTH - 2, "1")


def sha512_from_c4_id(c4_id: str) -> bytes:
    """Decode a C4 ID back to its SHA-512 digest (needed to hash C4 IDs into directory hashes).

    Raises ValueError for anything that is not a well-formed C4 ID.
    """
    if len(c4_id) != C4_ID_LENGTH or not c4_id.startswith("c4"):
        raise ValueError(f"not a C4 ID: {c4_id!r}")
    value = 0
    for char in c4_id[2:]:
        index = C4_ALPHABET.find(char)
        if index < 0:
            raise ValueError(f"not a C4 ID (bad digit {char!r}): {c4_id!r}")
        value = value * 58 + index
    return value.to_bytes(64, "big")


class C4Hasher:
    """Incremental C4 ID; ``hexdigest()`` returns the C4 ID string (not hex, by the standard)."""

    name = "c4"

    def __init__(self) -> None:
        import hashlib  # here: OpenSSL (~3 ms to import) only when c4 is used

        self._sha512 = hashlib.sha512()

    def update(self, data: Buffer) -> None:
        self._sha512.update(data)

    def digest(self) -> bytes:
        return self._sha512.digest()

    def hexdigest(self) -> str:
        return c4_id_from_sha512(self._sha512.digest())
