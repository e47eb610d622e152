"""Directory hashes computed by hand from the ASC MHL definition, per format."""

from __future__ import annotations

import hashlib
import unicodedata

import pytest
import xxhash

from offload.hashing.c4 import c4_id_from_sha512
from offload.manifest import DirectoryHasher, directory_hashes


def md5(data: bytes) -> bytes:
    return hashlib.md5(data).digest()


def test_tree_of_one_file_and_one_subfolder_md5() -> None:
    h_a, h_b = md5(b"a"), md5(b"b")
    sub_content = md5(h_b)
    sub_structure = md5(md5(b"b.txt" + h_b))
    root_content = md5(b"".join(sorted([h_a, sub_content])))
    root_structure = md5(b"".join(sorted([md5(b"a.txt" + h_a), md5(b"sub" + sub_structure)])))

    result = directory_hashes(
        ["md5"], [("a.txt", {"md5": h_a.hex()}), ("sub/b.txt", {"md5": h_b.hex()})]
    )
    assert result["sub"].content == {"md5": sub_content.hex()}
    assert result["sub"].structure == {"md5": sub_structure.hex()}
    assert result[""].content == {"md5": root_content.hex()}
    assert result[""].structure == {"md5": root_structure.hex()}


def test_empty_folders_hash_the_empty_string_and_count_in_their_parent() -> None:
    empty = xxhash.xxh64(b"").digest()
    result = directory_hashes(["xxh64"], [], ["a/empty"])
    assert result["a/empty"].content == {"xxh64": empty.hex()}
    assert result["a/empty"].structure == {"xxh64": empty.hex()}
    a_content = xxhash.xxh64(empty).digest()
    a_structure = xxhash.xxh64(xxhash.xxh64(b"empty" + empty).digest()).digest()
    assert result["a"].content == {"xxh64": a_content.hex()}
    assert result["a"].structure == {"xxh64": a_structure.hex()}
    assert set(result) == {"", "a", "a/empty"}


def test_c4_directory_hashes_work_on_sha512_bytes() -> None:
    data_hash = hashlib.sha512(b"clip").digest()
    result = directory_hashes(["c4"], [("clip.mov", {"c4": c4_id_from_sha512(data_hash)})])
    expected_content = hashlib.sha512(data_hash).digest()
    expected_structure = hashlib.sha512(hashlib.sha512(b"clip.mov" + data_hash).digest()).digest()
    assert result[""].content == {"c4": c4_id_from_sha512(expected_content)}
    assert result[""].structure == {"c4": c4_id_from_sha512(expected_structure)}


def test_order_of_input_does_not_matter_but_names_do() -> None:
    files = [(f"f{i}", {"xxh64": xxhash.xxh64(bytes([i])).hexdigest()}) for i in range(20)]
    forward = directory_hashes(["xxh64"], files)[""]
    backward = directory_hashes(["xxh64"], list(reversed(files)))[""]
    assert forward == backward
    renamed = directory_hashes(["xxh64"], [("g0", files[0][1]), *files[1:]])[""]
    assert renamed.content == forward.content and renamed.structure != forward.structure


def test_nfc_and_nfd_names_give_different_structure_hashes() -> None:
    digest = {"xxh64": xxhash.xxh64(b"x").hexdigest()}
    nfc = directory_hashes(["xxh64"], [(unicodedata.normalize("NFC", "é"), digest)])[""]
    nfd = directory_hashes(["xxh64"], [(unicodedata.normalize("NFD", "é"), digest)])[""]
    assert nfc.content == nfd.content and nfc.structure != nfd.structure


def test_every_format_at_once_and_missing_digest_raises() -> None:
    hasher = DirectoryHasher(["c4", "md5", "sha1", "xxh128", "xxh3", "xxh64"])
    with pytest.raises(KeyError):
        hasher.add_file("a", {"md5": md5(b"a").hex()})


def test_a_folder_1100_levels_deep_added_before_its_ancestors_is_hashed() -> None:
    """The deepest folder first (a set's order: ``write_generation`` passes one), then a
    file in it: every ancestor gets its hashes, without a RecursionError (``_folder``
    called itself a level at a time, so ``verify --append`` over such a folder failed by
    the hash seed)."""
    deep = "/".join(["d"] * 1100)
    empty = xxhash.xxh64(b"").digest()
    result = directory_hashes(["xxh64"], [(f"{deep}/late.txt", {"xxh64": empty.hex()})], [deep])
    assert len(result) == 1101
    assert result[deep].content == {"xxh64": xxhash.xxh64(empty).hexdigest()}
