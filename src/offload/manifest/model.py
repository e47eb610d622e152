"""Value types of the manifest package: what the writers take and what the readers return.

Paths are always relative to the history root, ``/``-separated, with the names exactly as the
filesystem returned them (never Unicode-normalised: an NFD and an NFC spelling of the same
name are two different files). Digests are keyed by ASC MHL format names (``c4``, ``md5``,
``sha1``, ``xxh128``, ``xxh3``, ``xxh64``); their text is lower-case hex, or the C4 ID for c4.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple


class Action(StrEnum):
    """The ``action`` attribute of a file hash in ASC MHL v2.0."""

    ORIGINAL = "original"  # first hash recorded for this file in this history
    VERIFIED = "verified"  # matches the hash recorded earlier in the same format
    FAILED = "failed"  # differs from the hash recorded earlier in the same format


class ManifestFile(NamedTuple):
    """One file to record.

    ``relative_path``: ``/``-separated, relative to the history root, names as the filesystem
    gives them. ``digests``: ASC MHL name → lower-case hex (or C4 ID); formats that ASC MHL does
    not have (sha256) are ignored by the ASC MHL writer. ``hash_date``: when the digests were
    computed; must be timezone-aware (written in UTC).
    """

    relative_path: str
    size_bytes: int
    mtime_ns: int
    digests: Mapping[str, str]
    hash_date: datetime


@dataclass(frozen=True, kw_only=True)
class CreatorInfo:
    """Who wrote a manifest (``<creatorinfo>``). Keyword-only.

    ``author_email`` must look like ``name@domain.tld`` (the XSD checks it). ``user_name`` is
    used only by the legacy MHL v1 writer (``<username>``, required there): the login name
    (``manifest_options.login_name``), an empty element without one; ``author_name`` is
    ``<name>`` there, never repeated as the user name.
    """

    tool_version: str
    hostname: str
    tool_name: str = "offload-ai"
    author_name: str | None = None
    author_email: str | None = None
    author_phone: str | None = None
    author_role: str | None = None
    location: str | None = None
    comment: str | None = None
    user_name: str | None = None

    @property
    def has_author(self) -> bool:
        return any(
            value is not None
            for value in (self.author_name, self.author_email, self.author_phone, self.author_role)
        )


class HashRecord(NamedTuple):
    """One hash element read from a manifest: format, text, action and hash date as written."""

    format: str
    value: str
    action: str | None = None
    hash_date: str | None = None


class FileRecord(NamedTuple):
    """One ``<hash>`` element read from a manifest. ``previous_path``: the file's name
    before a rename (``<previousPath>``), if recorded."""

    path: str
    size_bytes: int | None
    last_modification_date: str | None
    hashes: tuple[HashRecord, ...]
    previous_path: str | None = None


class DirectoryRecord(NamedTuple):
    """One ``<directoryhash>`` (or the ``<roothash>``, with path ``"."``) read from a manifest.

    ``content``/``structure``: format → hash text. ``previous_path``: the folder's name
    before a rename (``<previousPath>``), if recorded.
    """

    path: str
    content: Mapping[str, str]
    structure: Mapping[str, str]
    last_modification_date: str | None = None
    previous_path: str | None = None


class ChainEntry(NamedTuple):
    """One ``<hashlist>`` of ``ascmhl_chain.xml``: sequence number, manifest file name, C4 ID."""

    sequence_number: int
    path: str
    c4: str


class Generation(NamedTuple):
    """One manifest (``NNNN_<root>_<date>_<time>Z.mhl``) of a history, as read."""

    sequence_number: int
    file_name: str
    creation_date: str | None = None
    hostname: str | None = None
    tool_name: str | None = None
    tool_version: str | None = None
    process: str | None = None
    root_hash: DirectoryRecord | None = None
    ignore_patterns: tuple[str, ...] = ()
    files: tuple[FileRecord, ...] = ()
    directories: tuple[DirectoryRecord, ...] = ()
    references: tuple[str, ...] = ()
