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
        )
