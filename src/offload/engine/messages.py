"""Typed messages on a destination's queue, and the per-file ticket shared by all threads."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

from offload.engine.buffers import Chunk
from offload.errors import OffloadError
from offload.model import SourceFile
from offload.results import CacheBypass, DestinationFileResult


@dataclass(frozen=True)
class FileTask:
    """One source file and where it goes: ``targets[i]`` is its final path on destination i,
    or None when destination i does not need it (already verified there)."""

    source: SourceFile
    targets: tuple[Path | None, ...]
    # Results known before copying (a destination where the file is already verified).
    preset: tuple[DestinationFileResult, ...] = ()
    # Digests the source must have (from the card's own ASC MHL history); a mismatch fails
    # the file on every destination.
    reference_digests: Mapping[str, str] = field(default_factory=dict)
    # Where reference_digests come from, for the mismatch message ("": the card's own ASC
    # MHL history; a cascade names the card read it was copied from).
    reference_origin: str = ""


@dataclass
class FileTicket:
    """What the reader knows about one file, published once for the destination workers.

    The reader (or, in full mode, its source verifier) fills the digests or the error and
    then calls ``publish()``, which resolves ``verdict`` with the source error (None: the
    source was read, and re-read, fine). Committers wait for ``verdict`` (cancellably:
    ``engine.cancel.wait_for``) before they rename a verified copy to its final name, so no
    destination commits a file whose source read (or source re-read) failed. The fields are
    written before ``publish()`` and only read after ``verdict`` is done.

    ``hashed`` resolves earlier, as soon as the whole file was read and hashed once (before
    any re-read of the source), with its in-flight digests; with None if the file failed
    before (``publish`` resolves it then). A destination that stores the digests with the
    copy (S3 object metadata) waits for it, not for the verdict.
    """

    task: FileTask
    sequence: int
    inflight_digests: dict[str, str] = field(default_factory=dict)
    source_reread_digests: dict[str, str] = field(default_factory=dict)
    source_cache_bypass: CacheBypass = CacheBypass.NOT_READ
    source_error: OffloadError | None = None
    verdict: Future[OffloadError | None] = field(default_factory=Future)
    hashed: Future[dict[str, str] | None] = field(default_factory=Future)

    @property
    def relative_path(self) -> str:
        return self.task.source.relative_path

    def resolve_hashed(self, digests: dict[str, str] | None) -> None:
        """Resolve ``hashed`` (once; later calls change nothing). Reader side only."""
        if not self.hashed.done():
            self.hashed.set_result(digests)

    def publish(self) -> None:
        """Resolve ``verdict`` (once; a second call changes nothing). Reader side only."""
        self.resolve_hashed(None)
        if not self.verdict.done():
            self.verdict.set_result(self.source_error)


@dataclass(frozen=True)
class StartFile:
    ticket: FileTicket


@dataclass(frozen=True)
class ChunkReady:
    chunk: Chunk


@dataclass(frozen=True)
class EndFile:
    ticket: FileTicket


@dataclass(frozen=True)
class AbortFile:
    """The source failed: discard this file's partial."""

    ticket: FileTicket


@dataclass(frozen=True)
class Finish:
    """No more files: make everything pending durable, verify it, stop."""


@dataclass(frozen=True)
class Cancel:
    """The job was cancelled: discard every partial, stop."""


Message = StartFile | ChunkReady | EndFile | AbortFile | Finish | Cancel
