"""Where an ASC MHL history lives in a tree: a folder of this name at the tree's root.

A module of its own so that a look for a history (``offload.card_history``, before a card
is copied) needs none of the history's reader, nor the preflight's look at the names of a
history's files (``offload.own_names``) its writer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

ASCMHL_FOLDER = "ascmhl"
CHAIN_FILE_NAME = "ascmhl_chain.xml"


#: How a generation's file name writes its creation time (UTC), ``strftime``'s format.
GENERATION_TIME_FORMAT = "%Y-%m-%d_%H%M%S"


def generation_file_name(sequence_number: int, root_name: str, created_at: datetime) -> str:
    """The file name of generation *sequence_number* of the history of a folder named
    *root_name* (its informational part), created at *created_at* (UTC):
    ``NNNN_<root name>_<YYYY-MM-DD_HHMMSS>Z.mhl``, 4 digits at least."""
    return generation_name_at(
        sequence_number, root_name, created_at.strftime(GENERATION_TIME_FORMAT)
    )


def generation_name_at(sequence_number: int, root_name: str, created: str) -> str:
    """:func:`generation_file_name` of a creation time already written as
    ``GENERATION_TIME_FORMAT`` writes it (*created*): for a caller that has no
    ``datetime`` loaded (the preflight, ``offload.own_names``)."""
    return f"{sequence_number:04d}_{root_name}_{created}Z.mhl"


#: How a legacy MHL's file name writes its finish time (UTC), ``strftime``'s format.
LEGACY_TIME_FORMAT = "%Y-%m-%d_%H%M%S"


def legacy_name_at(root_name: str, finished: str, counter: int = 1) -> str:
    """The file name of the legacy MHL (v1) of a folder named *root_name*, finished at
    *finished* (written as ``LEGACY_TIME_FORMAT`` writes it), the *counter*-th of that
    second: ``<root name>_<YYYY-MM-DD_HHMMSS>[_N].mhl`` (no ``_N`` for the first). The one
    rule of ``legacy.write_legacy_mhl`` and of the preflight's look at a copy root's own
    names (``offload.own_names``)."""
    return f"{root_name}_{finished}{'' if counter == 1 else f'_{counter}'}.mhl"
