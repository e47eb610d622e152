"""Options of a copy job. Every default carries its reason."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from offload.fs.direct import PAGE_SIZE
from offload.hashing.registry import DEFAULT_ALGORITHM, parse_algorithms

MIB = 1024 * 1024


class VerifyMode(StrEnum):
    """How much is proven before a file is called good (README.md, "Verification modes")."""

    TRANSFER = "transfer"  # in-flight source hash + size check of each destination
    DESTINATION = "destination"  # + every destination re-read from the media
    FULL = "full"  # + the source re-read from the media; all three must agree


class ExistingFilePolicy(StrEnum):
    """What to do when the final destination path already exists."""

    FAIL = "fail"  # the file fails on that destination; nothing is overwritten
    OVERWRITE = "overwrite"  # replaced atomically, only after the new copy is verified
    KEEP_BOTH = "keep-both"  # the new copy gets a free name: "clip (1).mov"


class DeviceConcurrency(StrEnum):
    """How destinations that share one physical disk read back (``engine.devices``)."""

    AUTO = "auto"  # decided per disk from what the kernel says about it
    PARALLEL = "parallel"  # every destination reads back at once (as on separate drives)
    SERIAL = "serial"  # destinations on one disk read back one at a time


# Pomfort's engine is seen with -b 8388608; large reads keep the per-call overhead and the
# GIL hand-offs low, and python-xxhash/hashlib release the GIL on buffers this size.
DEFAULT_CHUNK_SIZE = 8 * MIB
# ≤ 256 KiB write() calls stayed on the kernel's fast buffered-write path on these machines
# (measured: 1 MiB calls ran at a fifth of the speed).
DEFAULT_WRITE_CALL_SIZE = 256 * 1024
# Chunks the reader may run ahead of the slowest destination. Memory is bounded by
# chunk_size × (queue_depth + 2) whatever the file size.
DEFAULT_QUEUE_DEPTH = 4
# Small files are made durable in batches (one syncfs, then read-back, then renames) instead
# of one fsync each; a batch closes at this many bytes or files, or this long after its
# first file was written, whichever comes first (the time bounds what a crash loses and how
# long a written file waits to be made durable and recorded when files come slowly: a slow
# card, a large file after small ones). 1,024 files, not 256: a quarter of the syncfs,
# folder fsyncs and ledger fsyncs on a card of small files (docs/performance.md,
# "Commit batches by files, bytes and time": twenty-sixth pass).
DEFAULT_BATCH_BYTES = 64 * MIB
DEFAULT_BATCH_FILES = 1024
DEFAULT_BATCH_SECONDS = 1.0
# In transfer mode nothing is read back, so a batch's size buys only how often the ledger
# records progress, while each batch costs every destination a syncfs, a folder fsync and a
# ledger fsync (journal commits and disk cache flushes, which stall the writes queued behind
# them): there a batch closes at this many bytes (or ``batch_files``). 300 frames of 4 MB to
# three destinations made 18 batches a destination at 64 MiB, 5 at 256 MiB
# (docs/performance.md, "The image sequence's batches: seventeenth pass"). Where copies are
# read back the 64 MiB stays: a larger batch starts the first read-back later and leaves a
# longer last one after the writes end (measured no faster in full mode: tenth pass).
DEFAULT_TRANSFER_BATCH_BYTES = 256 * MIB
MAX_CHUNK_SIZE = 256 * MIB


@dataclass(frozen=True, kw_only=True)
class CopyOptions:
    """Everything that changes how files are copied and verified.

    Raises ValueError from ``__post_init__`` for values that make no sense (the CLIs turn it
    into a usage error naming the option).
    """

    algorithms: tuple[str, ...] = (DEFAULT_ALGORITHM,)
    verify: VerifyMode = VerifyMode.FULL  # the default DITs expect before a card is erased
    existing: ExistingFilePolicy = ExistingFilePolicy.FAIL
    chunk_size: int = DEFAULT_CHUNK_SIZE
    write_call_size: int = DEFAULT_WRITE_CALL_SIZE
    queue_depth: int = DEFAULT_QUEUE_DEPTH
    batch_bytes: int = DEFAULT_BATCH_BYTES  # where copies are read back (destination, full)
    transfer_batch_bytes: int = DEFAULT_TRANSFER_BATCH_BYTES  # transfer mode: nothing read back
    batch_files: int = DEFAULT_BATCH_FILES
    batch_seconds: float = DEFAULT_BATCH_SECONDS  # from a batch's first file written
    # Read the source with O_DIRECT where the filesystem allows it: faster cold reads here
    # and the source re-read in full mode cannot come from the page cache.
    direct_source_reads: bool = True
    # Write destinations with O_DIRECT where the filesystem allows it: on these machines three
    # parallel 1 GiB writes took ~1 s with O_DIRECT and ~4 s buffered + fsync, and the page
    # cache is left to the read-backs. Falls back to buffered writes (EINVAL: tmpfs, FUSE).
    direct_writes: bool = True
    # Destinations (indexes) whose data is not flushed (Pomfort's -noflush_dest). Without a
    # flush a read-back cannot prove the media holds the data, so such destinations are
    # verified against the page cache and their result says so.
    noflush_destinations: frozenset[int] = field(default_factory=frozenset)
    preserve_mtime: bool = True
    # Read-backs of destinations on one disk: one at a time on a spinning disk they share,
    # in parallel elsewhere (virtual disks included: measured faster here). See
    # docs/design.md, "Destinations that share a disk".
    device_concurrency: DeviceConcurrency = DeviceConcurrency.AUTO
    # The formats of ``algorithms`` only checked against a legacy MHL's record (xxh32, for
    # its ``<xxhash>``): set by the plan that adds them, never by a caller's choice.
    checked_formats: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # A format only checked (xxh32) is the plan's, added to check a legacy MHL's record
        # (``checked_formats``); a caller choosing it is refused as ``-t`` refuses it.
        object.__setattr__(self, "algorithms", parse_algorithms(self.algorithms, checks=True))
        chosen = [name for name in self.algorithms if name not in self.checked_formats]
        parse_algorithms(chosen)  # raises UnknownHashError for a checked-only one
        object.__setattr__(self, "verify", VerifyMode(self.verify))
        object.__setattr__(self, "existing", ExistingFilePolicy(self.existing))
        object.__setattr__(self, "device_concurrency", DeviceConcurrency(self.device_concurrency))
        if not 1 <= self.chunk_size <= MAX_CHUNK_SIZE:
            raise ValueError(
                f"block size {self.chunk_size} is out of range (1 .. {MAX_CHUNK_SIZE} bytes)"
            )
        # O_DIRECT needs page-aligned offsets and lengths: round up to whole pages.
        object.__setattr__(self, "chunk_size", -(-self.chunk_size // PAGE_SIZE) * PAGE_SIZE)
        if self.write_call_size <= 0 or self.queue_depth <= 0:
            raise ValueError("write call size and queue depth must be positive")
        if (
            self.batch_bytes <= 0
            or self.transfer_batch_bytes <= 0
            or self.batch_files <= 0
            or not self.batch_seconds > 0
        ):
            raise ValueError("batch limits must be positive")

    @property
    def closing_batch_bytes(self) -> int:
        """The bytes at which a destination's batch closes in this mode: ``batch_bytes``
        where copies are read back, ``transfer_batch_bytes`` where nothing is."""
        if self.verify is VerifyMode.TRANSFER:
            return self.transfer_batch_bytes
        return self.batch_bytes


@dataclass(frozen=True, kw_only=True)
class ProductionInfo:
    """What the production calls this offload, for the reports (never used to copy).

    ``reel`` defaults to the card's folder name when None.
    """

    production: str | None = None
    shoot_day: str | None = None
    camera: str | None = None
    reel: str | None = None
