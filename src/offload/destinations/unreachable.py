"""A local destination whose drive could not be reached when the job started.

``LocalDestination`` reads its root's device when it is made, and raises the OSError of a
drive that went away (a killed exfat-fuse: ENOTCONN; EIO, ENODEV). The engine then makes
this stand-in instead: every call raises that error again, so the writer's first
``check_present`` loses the destination through ``destination_io_error`` like any drive
that goes away during the copy (its files failed with the reason and what to do), and the
other destinations are written (docs/design.md, "Failure semantics in one place"). Why not
raise from the job: one dead drive among three must not stop the two that answer
(README: a failed destination never stops the others).
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from offload.destinations.base import Closing, EntryInfo, Features, Partial, ReadBack
from offload.errors import DestinationError
from offload.results import CacheBypass

if TYPE_CHECKING:
    from concurrent.futures import Future


class UnreachableDestination(Closing):
    """A ``Destination`` on *root* whose every call raises an OSError of *errno_* (a fresh
    one each time: two threads may raise it), but ``remove_partial`` (never raises),
    ``name_problem`` (nothing to say) and ``close`` (holds nothing). It has no features:
    nothing is promised."""

    def __init__(self, root: Path, errno_: int, *, device: str | None = None) -> None:
        self._root = Path(root)
        self._errno = errno_
        self.device = device or str(root)

    @property
    def root(self) -> Path:
        return self._root

    @property
    def features(self) -> Features:
        return Features()

    def _raise(self) -> NoReturn:
        raise OSError(self._errno, os.strerror(self._errno), str(self._root))

    def check_present(self) -> None:
        self._raise()

    def exists(self, path: Path | str) -> bool:
        self._raise()

    def open_partial(
        self,
        final_path: Path | str,
        *,
        size_bytes: int,
        folder_known: bool,
        digests: Mapping[str, str] | None = None,
        hashed: Future[dict[str, str] | None] | None = None,
        mtime_ns: int | None = None,
    ) -> Partial:
        self._raise()

    def make_durable(self, partials: Sequence[Partial]) -> bool:
        return False

    def prefetch_read_back(self, partial: Partial) -> CacheBypass | None:
        self._raise()

    def open_read_back(self, partial: Partial, *, bypass_cache: bool) -> ReadBack:
        self._raise()

    def publish(
        self,
        partial: Partial,
        target: Path | str,
        *,
        replace: bool,
        digests: Mapping[str, str] | None = None,
    ) -> None:
        self._raise()

    def make_names_durable(self, paths: Iterable[Path | str]) -> None:
        self._raise()

    def remove_partial(self, partial: Partial) -> None:
        return None

    def stat(self, path: Path) -> EntryInfo | None:
        self._raise()

    def list(self, folder: Path) -> list[EntryInfo]:
        self._raise()

    def free_space(self) -> int:
        self._raise()

    def name_problem(self, name: str) -> str | None:
        return None

    def reserve_names(self, paths: Iterable[str]) -> None:
        return None  # never raises: its first file loses it anyway


class RefusedDestination(UnreachableDestination):
    """A local destination this run must not write to, lost before its first file for
    *error* (its words say why and what to do): the copy root whose record of this run
    could not be written as it started (``run_record.Started.refused``; ``card.run_offload``),
    so that the record an earlier offload left there stays true. Every call raises *error*
    (a new one each time: two threads may raise it), as ``UnreachableDestination`` raises
    its OSError: the engine loses the destination once, its files fail, the others go on."""

    def __init__(self, root: Path, error: DestinationError) -> None:
        super().__init__(root, error.errno or errno.EIO)
        self._error = error

    def _raise(self) -> NoReturn:
        error = self._error
        raise DestinationError(error.message, path=error.path, errno_=error.errno)

    def with_policy(self, existing: object) -> RefusedDestination:
        """The same destination (``S3Backend.with_policy``'s counterpart for a job that
        rewrites): no policy changes a destination that refuses every call."""
        return self
