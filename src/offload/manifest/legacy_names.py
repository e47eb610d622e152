"""The file name of a legacy MHL (MHL v1): ``<root name>_<YYYY-MM-DD>_<HHMMSS>[_N].mhl``, in
the folder it covers (the copy root): the name made (``legacy_name_at``) and the names
recognised as ours (``legacy_name_pattern``), one rule kept in one place.

A module of its own so that the preflight's look at the names of offload-ai's own files
(``offload.own_names``) needs none of the legacy MHL's writer (``manifest.legacy``: the XML
modules, ``datetime``), as ``manifest.layout`` does for an ASC MHL generation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: How a legacy MHL's file name writes its finish time (UTC), ``strftime``'s format.
LEGACY_TIME_FORMAT = "%Y-%m-%d_%H%M%S"

# What LEGACY_TIME_FORMAT writes, as a regular expression.
_TIME_PATTERN = r"\d{4}-\d{2}-\d{2}_\d{6}"


def legacy_name_at(root_name: str, finished: str, number: int = 1) -> str:
    """The file name of the legacy MHL of a folder named *root_name* finished at *finished*
    (written as ``LEGACY_TIME_FORMAT`` writes it), *number* - 1 names of that second being
    taken there: ``<root name>_<finished>.mhl`` for 1, else ``<root name>_<finished>_<N>.mhl``;
    *root_name* by the one rule of offload-ai's own names (``own_names.name_part``)."""
    from offload.own_names import name_part

    stem = f"{name_part(root_name)}_{finished}"
    return f"{stem}.mhl" if number == 1 else f"{stem}_{number}.mhl"


def legacy_name_pattern(root_names: Iterable[str]) -> re.Pattern[str]:
    """The names ``legacy_name_at`` gives the legacy MHL of a folder named any of
    *root_names* (to be matched whole, ``fullmatch``): group 1 the finish time as written,
    group 2 the number (None for 1)."""
    names = "|".join(re.escape(name) for name in root_names)
    return re.compile(rf"(?:{names})_({_TIME_PATTERN})(?:_(\d+))?\.mhl", re.DOTALL)
