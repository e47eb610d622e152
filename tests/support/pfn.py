"""``pfndispatchcopy``'s stderr as a test judges it (``other_lines``): its lines beside the
preflight's warning of destinations on the source's filesystem or disk (no backup of it),
which a test copying within its temporary folder (one filesystem, one disk) always gets."""

from __future__ import annotations

import re
from collections.abc import Iterable

# ``dest-on-source-device`` (plan.preflight.space), as a WARNING line or a report's warning.
_ON_THE_SOURCE = re.compile(
    r"^(WARNING: )?destinations? .* (is|are) on the same (filesystem|disk \(.*\)) as the "
    r"source: (it is not a backup|they are not backups) of the source file: keep the source "
    r"file until a copy on another disk is read back$"
)


def other_lines(stderr: str) -> list[str]:
    """*stderr*'s lines but the preflight's warning of destinations on the source's drive."""
    return other_warnings(stderr.splitlines())


def other_text(stderr: str) -> str:
    """``other_lines`` as text, each line ending with a line break, as *stderr* was."""
    return "".join(f"{line}\n" for line in other_lines(stderr))


def other_warnings(messages: Iterable[str]) -> list[str]:
    """*messages* (a report's ``warnings``) but that warning of the source's drive."""
    return [message for message in messages if not _ON_THE_SOURCE.match(message)]
