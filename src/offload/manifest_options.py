"""What the manifests of an offload are and who they name (``offload copy --mhl`` and the
creator options): read when the command line is parsed, long before anything is written.

Kept apart from :mod:`offload.manifests_writer`, which writes them after the copy: the
writer and the ASC MHL modules it needs (~15 ms of imports) then load while the copy's last
batch is being made durable, not before the first byte (docs/performance.md).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from offload._version import __version__

if TYPE_CHECKING:
    from datetime import datetime

    from offload.manifest.model import CreatorInfo


def _utc_now() -> datetime:
    # datetime imported when the manifests are written, after the copy: ~2 ms of every
    # offload's start-up otherwise.
    from datetime import UTC, datetime

    return datetime.now(UTC)


def _hostname() -> str:
    # What socket.gethostname() returns (gethostname(2) is the node name of uname(2)),
    # without importing socket.
    return os.uname().nodename


class MhlKind(StrEnum):
    ASCMHL = "ascmhl"
    LEGACY = "legacy"


def login_name() -> str | None:
    """The login name this process runs as, for a legacy MHL's ``<username>`` (MHL v1 means
    the account, not the author): as ``getpass.getuser()`` finds it (``LOGNAME``, ``USER``,
    ``LNAME``, ``USERNAME``, then the password database's name for the real uid; a name,
    never anything secret), without importing getpass (~10 ms). None when there is none, or
    when it holds a character XML cannot carry (an environment variable can hold anything):
    the element is then written empty, as before."""
    name = next(
        (v for k in ("LOGNAME", "USER", "LNAME", "USERNAME") if (v := os.environ.get(k))), None
    )
    if name is None:
        import pwd

        try:
            name = pwd.getpwuid(os.getuid()).pw_name
        except KeyError:  # a uid without an entry (a container's arbitrary uid)
            return None
    from offload.manifest.xmltext import xml_safe

    return name if xml_safe(name) == name else None


@dataclass(frozen=True, kw_only=True)
class ManifestOptions:
    """Which manifests are written (``kinds``) and the creator they name."""

    kinds: frozenset[MhlKind] = frozenset({MhlKind.ASCMHL})
    author_name: str | None = None
    author_email: str | None = None
    author_role: str | None = None
    location: str | None = None
    comment: str | None = None
    hostname: str = field(default_factory=_hostname)
    now: Callable[[], datetime] = _utc_now

    @property
    def writes_ascmhl(self) -> bool:
        """Whether the run writes an ASC MHL history (not ``--mhl none`` or ``legacy``):
        the one rule of whether the preflight counts a generation's name among a copy
        root's own files, local (``check_own_names``) or on S3 (``s3own_keys``)."""
        return MhlKind.ASCMHL in self.kinds

    @property
    def writes_legacy(self) -> bool:
        """Whether the run writes a legacy MHL (``--mhl legacy`` or ``both``): whether the
        preflight counts its name among a copy root's own files (as ``writes_ascmhl``)."""
        return MhlKind.LEGACY in self.kinds

    def creator(self) -> CreatorInfo:
        from offload.manifest.model import CreatorInfo

        return CreatorInfo(
            tool_version=__version__,
            hostname=self.hostname,
            author_name=self.author_name,
            author_email=self.author_email,
            author_role=self.author_role,
            location=self.location,
            comment=self.comment,
            user_name=login_name(),
        )


#: The hash formats each manifest can record, by their ASC MHL names (the names of ``-t``).
#: ASC MHL v2.0 (its XSD, as ascmhl 1.2 ships it): c4, md5, sha1, xxh128, xxh3, xxh64; not
#: sha256. Legacy MHL v1: md5, sha1 and xxh64 (written as ``<xxhash64be>``); its
#: ``<xxhash>`` is XXH32, which ``-t`` does not offer (``manifest.legacy.LEGACY_ELEMENTS``,
#: kept equal to this by a test; not imported: the writer loads after the copy).
MANIFEST_FORMATS: dict[MhlKind, tuple[str, ...]] = {
    MhlKind.ASCMHL: ("c4", "md5", "sha1", "xxh128", "xxh3", "xxh64"),
    MhlKind.LEGACY: ("md5", "sha1", "xxh64"),
}

_MANIFEST_NAMES = {MhlKind.ASCMHL: "an ASC MHL history", MhlKind.LEGACY: "a legacy MHL"}


def manifest_formats_problem(kinds: frozenset[MhlKind], algorithms: tuple[str, ...]) -> str | None:
    """Why the manifests asked for (*kinds*) could not be written with the digests the copy
    computes (*algorithms*, canonical names), or None when each can record at least one.

    Asked before anything is copied (``card.plan_offload``): a manifest records a file only
    with a digest in one of its formats, so with none of them the whole card would be
    copied and then every manifest refused. Refusing (exit 64) and naming what to add, rather
    than adding a hash the user did not ask for: which algorithms are computed, and so what
    the reports and the manifests state, stays the DIT's choice."""
    for kind in (MhlKind.ASCMHL, MhlKind.LEGACY):
        formats = MANIFEST_FORMATS[kind]
        if kind not in kinds or any(name in formats for name in algorithms):
            continue
        asked = " ".join(f"-t {name}" for name in algorithms)
        return (
            f"{asked}: {_MANIFEST_NAMES[kind]} records only {', '.join(formats)}, so it could "
            f"not record any file; add one of them (e.g. {asked} -t xxh64), or pass --mhl none "
            "to write no manifest; nothing was copied"
        )
    return None
