"""Manifests: ASC MHL v2.0 histories (write, read, carry, verify) and legacy MHL v1.

A library: nothing here prints. Entry points:

* :func:`write_generation` appends a generation to ``ROOT/ascmhl/`` (manifest + chain).
* :func:`copy_history` carries a source card's history to a destination root first;
  :func:`read_reference_hashes` gives ``path → {format → hash}`` to check the source against
  while copying; :func:`read_history` gives the whole history.
* :func:`write_legacy_mhl` / :func:`read_legacy_mhl` for MHL v1.1.
* :func:`verify_tree` checks a tree against its history (or a legacy MHL) and can append a
  ``verified`` generation.
"""

from typing import TYPE_CHECKING, Any

from offload._lazy import lazy_attribute

if TYPE_CHECKING:
    from offload.manifest.ascmhl import PROCESSES, canonical_digests, utc_now, write_generation
    from offload.manifest.dirhash import DirectoryHash, DirectoryHasher, directory_hashes
    from offload.manifest.errors import (
        HistoryError,
        ManifestError,
        NoHistoryError,
        UnsupportedTreeError,
        UntrustedHistoryError,
    )
    from offload.manifest.history import (
        ASCMHL_FOLDER,
        CHAIN_FILE_NAME,
        History,
        copy_history,
        read_history,
        read_reference_hashes,
    )
    from offload.manifest.ignore import DEFAULT_IGNORE_PATTERNS, IgnoreSpec
    from offload.manifest.legacy import (
        LegacyEntry,
        LegacyHashList,
        read_legacy_mhl,
        write_legacy_mhl,
    )
    from offload.manifest.model import (
        Action,
        ChainEntry,
        CreatorInfo,
        DirectoryRecord,
        FileRecord,
        Generation,
        HashRecord,
        ManifestFile,
    )
    from offload.manifest.verify import (
        ChangedFile,
        ChangeReason,
        ReferenceKind,
        VerifyReport,
        hash_file_plain,
        verify_tree,
    )

# Imported on first use (PEP 562): ``offload copy`` needs the writer and the history, not
# the verifier (``offload verify``), and importing any submodule runs this file first.
_LAZY = {
    "PROCESSES": "offload.manifest.ascmhl",
    "canonical_digests": "offload.manifest.ascmhl",
    "utc_now": "offload.manifest.ascmhl",
    "write_generation": "offload.manifest.ascmhl",
    "DirectoryHash": "offload.manifest.dirhash",
    "DirectoryHasher": "offload.manifest.dirhash",
    "directory_hashes": "offload.manifest.dirhash",
    "HistoryError": "offload.manifest.errors",
    "ManifestError": "offload.manifest.errors",
    "NoHistoryError": "offload.manifest.errors",
    "UnsupportedTreeError": "offload.manifest.errors",
    "UntrustedHistoryError": "offload.manifest.errors",
    "ASCMHL_FOLDER": "offload.manifest.history",
    "CHAIN_FILE_NAME": "offload.manifest.history",
    "History": "offload.manifest.history",
    "copy_history": "offload.manifest.history",
    "read_history": "offload.manifest.history",
    "read_reference_hashes": "offload.manifest.history",
    "DEFAULT_IGNORE_PATTERNS": "offload.manifest.ignore",
    "IgnoreSpec": "offload.manifest.ignore",
    "LegacyEntry": "offload.manifest.legacy",
    "LegacyHashList": "offload.manifest.legacy",
    "read_legacy_mhl": "offload.manifest.legacy",
    "write_legacy_mhl": "offload.manifest.legacy",
    "Action": "offload.manifest.model",
    "ChainEntry": "offload.manifest.model",
    "CreatorInfo": "offload.manifest.model",
    "DirectoryRecord": "offload.manifest.model",
    "FileRecord": "offload.manifest.model",
    "Generation": "offload.manifest.model",
    "HashRecord": "offload.manifest.model",
    "ManifestFile": "offload.manifest.model",
    "ChangedFile": "offload.manifest.verify",
    "ChangeReason": "offload.manifest.verify",
    "ReferenceKind": "offload.manifest.verify",
    "VerifyReport": "offload.manifest.verify",
    "hash_file_plain": "offload.manifest.verify",
    "verify_tree": "offload.manifest.verify",
}


def __getattr__(name: str) -> Any:
    return lazy_attribute(__name__, _LAZY, globals(), name)


__all__ = [
    "ASCMHL_FOLDER",
    "CHAIN_FILE_NAME",
    "DEFAULT_IGNORE_PATTERNS",
    "PROCESSES",
    "Action",
    "ChainEntry",
    "ChangeReason",
    "ChangedFile",
    "CreatorInfo",
    "DirectoryHash",
    "DirectoryHasher",
    "DirectoryRecord",
    "FileRecord",
    "Generation",
    "HashRecord",
    "History",
    "HistoryError",
    "IgnoreSpec",
    "LegacyEntry",
    "LegacyHashList",
    "ManifestError",
    "ManifestFile",
    "NoHistoryError",
    "ReferenceKind",
    "UnsupportedTreeError",
    "UntrustedHistoryError",
    "VerifyReport",
    "canonical_digests",
    "copy_history",
    "directory_hashes",
    "hash_file_plain",
    "read_history",
    "read_legacy_mhl",
    "read_reference_hashes",
    "utc_now",
    "verify_tree",
    "write_generation",
    "write_legacy_mhl",
]
