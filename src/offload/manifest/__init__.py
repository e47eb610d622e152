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
from offload.manifest.legacy import LegacyEntry, LegacyHashList, read_legacy_mhl, write_legacy_mhl
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
