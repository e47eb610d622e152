"""The file name of a legacy MHL (MHL v1): ``<root name>_<YYYY-MM-DD>_<HHMMSS>[_N].mhl``, in
the folder it covers (the copy root).

A module of its own so that the preflight's look at the names of offload-ai's own files
(``offload.own_names``) needs none of the legacy MHL's writer (``manifest.legacy``: the XML
modules, ``datetime``), as ``manifest.layout`` does for an ASC MHL generation.
"""

from __future__ import annotations

#: How a legacy MHL's file name writes its finish time (UTC), ``strftime``'s format.
LEGACY_TIME_FORMAT = "%Y-%m-%d_%H%M%S"


def legacy_name_at(root_name: str, finished: str, number: int = 1) -> str:
    """The file name of the legacy MHL of a folder named *root_name* finished at *finished*
    (written as ``LEGACY_TIME_FORMAT`` writes it), *number* - 1 names of that second being
    taken there: ``<root name>_<finished>.mhl`` for 1, else ``<root name>_<finished>_<N>.mhl``;
    *root_name* by the one rule of offload-ai's own names (``own_names.name_part``)."""
    from offload.own_names import name_part

    stem = f"{name_part(root_name)}_{finished}"
    return f"{stem}.mhl" if number == 1 else f"{stem}_{number}.mhl"
