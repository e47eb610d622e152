"""The mount table (``/proc/self/mountinfo``) as a run's readers get it: read now, or once
for the plan.

The run's readers each read the table themselves: the card's identity, the preflight (the
source's volumes, the names' spelling, the source's overlap with a destination twice, the
filesystems, the drives below a copy root, each destination's disk), the destinations'
grouping by disk (twice), the source's volume; then, after the plan, the job's page-cache
check and the ledger's, the renames' re-check, the FAT folders' times and the report's
volumes. A read and parse costs ~0.07 ms on a quiet machine with ~25 mounts, ~0.4 ms at a
load of 19 (it grows with the table): 12 of a run's 18 reads are the plan's
(docs/performance.md, "Profile of the forty-fourth pass").

What may be cached, and why: the plan describes the drives as they are when the run
starts, one instant, ~50 ms of checks on one thread that mount and unmount nothing. Inside
``held()`` (``card.plan_offload`` holds it around the card's identity and ``_plan``) the
first read of a table is kept and every later one on the same thread gets it: a drive
pulled during those milliseconds is seen by the checks after the plan, as one pulled just
after it always was. What must stay fresh: every reading after the plan (the job's, the
committer's, the renames' re-check, the report's) looks at the drives as they are then (a
drive pulled or remounted mid-run must be seen): outside a hold, and on any other thread,
each call reads the table anew. A failed read is never kept (the next call tries again).

Tests point a module's ``MOUNTINFO`` at a file of their own: a hold keeps each path's text
apart, so such a file is never answered with the real table.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

_held = threading.local()  # .texts: {path: bytes}, .parsed: {(path, parse): result}, or unset


@contextmanager
def held() -> Iterator[None]:
    """Read each mount table at most once on this thread until the block ends (the module's
    docstring says which readings may be). Nested holds are the outermost one."""
    if getattr(_held, "texts", None) is not None:
        yield
        return
    _held.texts, _held.parsed = {}, {}
    try:
        yield
    finally:
        _held.texts = _held.parsed = None


def read_bytes(path: Path) -> bytes:
    """The text of the mount table at *path*: the held one, else read now (OSError as
    ``Path.read_bytes``)."""
    texts: dict[Path, bytes] | None = getattr(_held, "texts", None)
    if texts is None:
        return path.read_bytes()
    data = texts.get(path)
    if data is None:
        data = texts[path] = path.read_bytes()
    return data


def read_lines(path: Path) -> list[str]:
    """The table's lines, as ``path.read_text(encoding="utf-8", errors="surrogateescape")
    .splitlines()`` (OSError likewise)."""
    return read_bytes(path).decode("utf-8", "surrogateescape").splitlines()


def parsed(path: Path, parse: Callable[[bytes], list[T]]) -> list[T]:
    """``parse(read_bytes(path))``, parsed once a hold (a new list each call: the caller may
    change its own)."""
    cache: dict[tuple[Path, Any], list[Any]] | None = getattr(_held, "parsed", None)
    if cache is None:
        return parse(path.read_bytes())
    key = (path, parse)
    found = cache.get(key)
    if found is None:
        found = cache[key] = parse(read_bytes(path))
    return list(found)
