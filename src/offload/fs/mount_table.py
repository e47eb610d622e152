"""The mount table (``/proc/self/mountinfo``) as a run's readers get it: read now, or kept a
second in the plan.

The run's readers each read the table themselves: the card's identity, the preflight (the
source's volumes, the names' spelling, the source's overlap with a destination twice, the
filesystems, the drives below a copy root, each destination's disk), the destinations'
grouping by disk (twice), the source's volume; then, after the plan, the job's page-cache
check and the ledger's, the renames' re-check, the FAT folders' times and the report's
volumes. A read and parse costs ~0.07 ms on a quiet machine with ~25 mounts, ~0.4 ms at a
load of 19 (it grows with the table): 12 of a run's 18 reads are the plan's
(docs/performance.md, "Profile of the forty-fourth pass").

What may be cached, and why: the plan's checks look at the drives as the run starts, on one
thread that mounts and unmounts nothing. Inside ``held()`` (``card.plan_offload`` holds it
around the card's identity and ``_plan``) a table read is kept and every later reading on
the same thread gets it, but never one read more than ``MAX_AGE_S`` ago: that one is read
anew (and kept in its turn). The plan is not one instant: between the card's identity and
the preflight it may read earlier copies whole (``card._earlier_intact``: a clip of an
hour's reading), list a large destination or wait on S3; a drive pulled, mounted or
swapped meanwhile is seen by the checks after it, at most ``MAX_AGE_S`` late, as one pulled
just after a check always was. What must stay fresh: every reading after the plan (the
job's, the committer's, the renames' re-check, the report's) looks at the drives as they
are then (a drive pulled or remounted mid-run must be seen): outside a hold, and on any
other thread, each call reads the table anew. A failed read is never kept (the next call
tries again).

Tests point a module's ``MOUNTINFO`` at a file of their own: a hold keeps each path's text
apart, so such a file is never answered with the real table.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

#: How old a kept table may be (seconds): the plan's preflight, ~50 ms of checks, reads it
#: once; any reading after a slower step of the plan (a whole read, a listing) reads it anew.
MAX_AGE_S = 1.0

# .texts: {path: (read at, bytes)}, .parsed: {(path, parse): (bytes, result)}, .max_age_s;
# or unset (no hold on this thread).
_held = threading.local()


@contextmanager
def held(max_age_s: float = MAX_AGE_S) -> Iterator[None]:
    """Keep each mount table read on this thread until the block ends, each for *max_age_s*
    at most (the module's docstring says which readings may be kept). Nested holds are the
    outermost one."""
    if getattr(_held, "texts", None) is not None:
        yield
        return
    _held.texts, _held.parsed, _held.max_age_s = {}, {}, max_age_s
    try:
        yield
    finally:
        _held.texts = _held.parsed = None


def read_bytes(path: Path) -> bytes:
    """The text of the mount table at *path*: the held one, else read now (OSError as
    ``Path.read_bytes``)."""
    texts: dict[Path, tuple[float, bytes]] | None = getattr(_held, "texts", None)
    if texts is None:
        return path.read_bytes()
    now = time.monotonic()
    kept = texts.get(path)
    if kept is not None and now - kept[0] <= _held.max_age_s:
        return kept[1]
    data = path.read_bytes()
    texts[path] = (now, data)
    return data


def read_lines(path: Path) -> list[str]:
    """The table's lines, as ``path.read_text(encoding="utf-8", errors="surrogateescape")
    .splitlines()`` (OSError likewise)."""
    return read_bytes(path).decode("utf-8", "surrogateescape").splitlines()


def parsed(path: Path, parse: Callable[[bytes], list[T]]) -> list[T]:
    """``parse(read_bytes(path))``, parsed once for each text a hold keeps (a new list each
    call: the caller may change its own)."""
    cache: dict[tuple[Path, Any], tuple[bytes, list[Any]]] | None = getattr(_held, "parsed", None)
    if cache is None:
        return parse(path.read_bytes())
    data = read_bytes(path)
    key = (path, parse)
    found = cache.get(key)
    if found is None or found[0] is not data:  # (a text read anew: parsed anew)
        found = cache[key] = (data, parse(data))
    return list(found[1])
