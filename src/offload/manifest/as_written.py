"""A legacy MHL's digest as its file writes it, beside the canonical text it is compared as.

A legacy MHL's ``<xxhash64>`` holds an XXH64's 8 bytes little-endian (``<xxhash64be>`` and
``xxhsum -H1`` the canonical big-endian hex): the reader turns it into the canonical text,
which every comparison uses, and keeps the element's own text beside it
(:class:`LittleEndianXxh64`), so a line quoting the record quotes what the file holds
(:func:`as_recorded`): ``<xxhash64> 87054c69e69728fe (little-endian; as xxh64:
fe2897e6694c0587)``, which a search of the MHL finds, where the canonical text alone is
found nowhere in it. No import: the mismatch lines of ``offload copy`` and ``offload
verify`` read it only when they are written.
"""

from __future__ import annotations


class LittleEndianXxh64(str):
    """An XXH64 in canonical (big-endian) hex, read from a legacy MHL's little-endian
    ``<xxhash64>``: the canonical text itself (equal to it, hashed as it, compared as it
    everywhere); ``written``: the element's text as the MHL holds it (copied by pickle and
    ``copy`` with the text; a digest that went through JSON is the canonical text alone)."""

    written: str

    def __new__(cls, canonical: str, written: str = "") -> LittleEndianXxh64:
        digest = super().__new__(cls, canonical)
        digest.written = written
        return digest


def as_recorded(value: str) -> str:
    """*value*, a digest a record holds, in the words of a line quoting that record: one a
    legacy MHL's ``<xxhash64>`` holds as the element and its text, with the canonical xxh64
    it is compared as (``<xxhash64> 87054c69e69728fe (little-endian; as xxh64:
    fe2897e6694c0587)``); any other as it is."""
    written = getattr(value, "written", "") if isinstance(value, LittleEndianXxh64) else ""
    if not written:
        return value
    return f"<xxhash64> {written} (little-endian; as xxh64: {str.__str__(value)})"
