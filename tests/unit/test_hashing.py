"""Hashes against published vectors and against the reference command-line tools."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offload.hashing import MultiHasher, UnknownHashError, new_hasher, parse_algorithms
from offload.hashing.c4 import c4_id_from_sha512, sha512_from_c4_id
from support.requirements import require_tool

VECTORS = {
    ("xxh64", b""): "ef46db3751d8e999",
    ("xxh64", b"abc"): "44bc2cf5ad770999",
    ("xxh3", b""): "2d06800538d394c2",
    ("xxh128", b""): "99aa06d3014798d86001c324468d497f",
    ("md5", b"media-hash-list"): "9db0fc9f30f5ee70041a7538809e2858",
    ("sha1", b"media-hash-list"): "7b57673ac5633937a55b59009ad0c57ee08188b7",
    ("xxh64", b"media-hash-list"): "584b2ea1974f2b7c",
    ("xxh3", b"media-hash-list"): "6d4cbd75905c81aa",
    ("xxh128", b"media-hash-list"): "61a67c014f703a456ee7a776fd8c06bd",
    ("c4", b""): "c459dsjfscH38cYeXXYogktxf4Cd9ibshE3BHUo6a58hBXmRQdZrAkZzsWcbWtDg5oQstpDuni4Hirj75"
    "GEmTc1sFT",
    ("c4", b"media-hash-list"): "c456LycWwpMMS7VDZEKvYv2L1uJS6s4qAFnaJdnQiy5JVbBFZMA8aLDS6SPaJjLq"
    "xXH4qZdnbuktopMt9frtC2qL1R",
}


@pytest.mark.parametrize(("name", "data"), list(VECTORS))
def test_published_vectors(name: str, data: bytes) -> None:
    hasher = new_hasher(name)
    hasher.update(data)
    assert hasher.hexdigest() == VECTORS[(name, data)]


def test_aliases_and_unknown_names() -> None:
    assert parse_algorithms(["xxh64be", "XXH64", "md5,sha1"]) == ("xxh64", "md5", "sha1")
    with pytest.raises(UnknownHashError, match="xxh32"):
        parse_algorithms(["xxh32"])


@given(st.binary(min_size=64, max_size=64))
def test_c4_round_trip(digest: bytes) -> None:
    c4_id = c4_id_from_sha512(digest)
    assert len(c4_id) == 90 and c4_id.startswith("c4")
    assert sha512_from_c4_id(c4_id) == digest


@settings(max_examples=40, deadline=None)
@given(st.lists(st.binary(max_size=3000), max_size=6))
def test_multihasher_equals_one_shot(parts: list[bytes]) -> None:
    names = ["xxh64", "md5", "c4", "xxh128", "sha256"]
    with MultiHasher(names) as multi:
        for part in parts:
            multi.update(part)
        got = multi.hexdigests()
    for name in names:
        single = new_hasher(name)
        single.update(b"".join(parts))
        assert got[name] == single.hexdigest()


def test_multihasher_release_called_once_per_threaded_algorithm() -> None:
    calls: list[int] = []
    with MultiHasher(["xxh64", "md5", "sha1"]) as multi:
        assert multi.threaded_count == 2
        multi.update(b"x" * 100, release=lambda: calls.append(1))
        multi.hexdigests()
    assert len(calls) == 2


TOOLS = {
    "xxh64": ["xxhsum", "-H1"],
    "xxh128": ["xxhsum", "-H2"],
    "md5": ["md5sum"],
    "sha1": ["sha1sum"],
    "sha256": ["sha256sum"],
}


@pytest.mark.parametrize("name", list(TOOLS))
@pytest.mark.parametrize("size", [0, 1, 4095, 4096, 4097, 3 * 1024 * 1024 + 7])
def test_against_reference_tools(tmp_path: Path, name: str, size: int) -> None:
    tool = [require_tool(TOOLS[name][0]), *TOOLS[name][1:]]
    path = tmp_path / "f.bin"
    path.write_bytes(bytes((i * 7 + size) % 251 for i in range(size)))
    expected = subprocess.run(
        [*tool, str(path)], capture_output=True, text=True, check=True
    ).stdout.split()[0]
    hasher = new_hasher(name)
    hasher.update(path.read_bytes())
    assert hasher.hexdigest() == expected


def test_comparable_digest_keeps_a_c4_id_and_lowers_hex() -> None:
    from offload.hashing import comparable_digest

    c4 = (
        "c459dsjfscH38cYeXXYogktxf4Cd9ibshE3BHUo6a58hBXmRQdZrAkZzsWcbWtDg5oQstpDuni4Hirj75GEmTc1sFT"
    )
    assert comparable_digest("c4", c4) == c4  # base58: lowering it makes another ID
    assert comparable_digest("md5", "9DB0FC9F30F5EE70041A7538809E2858") == (
        "9db0fc9f30f5ee70041a7538809e2858"
    )


def test_xxh32_is_only_verified_never_chosen_with_t() -> None:
    from offload.hashing import UnknownHashError, new_hasher, parse_algorithms

    hasher = new_hasher("xxh32")  # a legacy MHL's <xxhash>, hashed to check it
    hasher.update(b"")
    assert hasher.hexdigest() == "02cc5d05"  # XXH32("") (xxhsum -H0)
    with pytest.raises(UnknownHashError, match="legacy MHL"):
        parse_algorithms(["xxh64,xxh32"])


def test_a_python_caller_cannot_choose_xxh32_for_a_copy() -> None:
    """Review of the card merge: CopyOptions accepted ("xxh32", "md5") from a Python
    caller, which ``-t`` refuses; only the plan adds xxh32, to check a legacy MHL's
    ``<xxhash>``. Failed before; refused with -t's one-line error, the plan's kept."""
    from offload.hashing import UnknownHashError
    from offload.options import CopyOptions

    with pytest.raises(UnknownHashError, match="only checked against a legacy MHL"):
        CopyOptions(algorithms=("xxh32", "md5"))
    planned = CopyOptions(algorithms=("xxh64", "xxh32"), checked_formats=("xxh32",))
    assert planned.algorithms == ("xxh64", "xxh32")


def test_the_reports_checked_only_formats_are_the_registrys() -> None:
    """``report.words`` names the formats only checked against a legacy MHL without importing
    the hashers (the report worker loads none): its set is the registry's."""
    from offload.hashing.registry import VERIFY_ONLY
    from offload.report.words import CHECKED_ONLY, algorithms_words

    assert frozenset(VERIFY_ONLY) == CHECKED_ONLY
    assert algorithms_words(("xxh64", "xxh32")) == (
        "xxh64; xxh32 checked against the card's legacy MHL only"
    )
    assert algorithms_words(["xxh64", "md5"]) == "xxh64, md5"
