"""Where an ASC MHL history lives in a tree: a folder of this name at the tree's root.

A module of its own so that a look for a history (``offload.card_history``, before a card
is copied) needs none of the history's reader, nor the preflight's look at the names of a
history's files (``offload.own_names``) its writer.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime
    from pathlib import Path

ASCMHL_FOLDER = "ascmhl"
CHAIN_FILE_NAME = "ascmhl_chain.xml"


def holds_history_folder(folder: Path | str) -> bool:
    """Whether *folder* holds an ASC MHL history as ascmhl reads one: an entry named
    ``ascmhl`` that is a folder, or a symlink leading to one (followed, as ascmhl's
    ``os.path.isdir`` does), manifests or chain file in it or not. The one rule of a
    nested history, for the card's check before the copy (``card_nested_history``) and
    the generation's refusal after it (``ascmhl``), so a dry run and a run agree."""
    return os.path.isdir(os.path.join(folder, ASCMHL_FOLDER))


#: How a generation's file name writes its creation time (UTC), ``strftime``'s format.
GENERATION_TIME_FORMAT = "%Y-%m-%d_%H%M%S"


def generation_file_name(sequence_number: int, root_name: str, created_at: datetime) -> str:
    """The file name of generation *sequence_number* of the history of a folder named
    *root_name* (its informational part), created at *created_at* (UTC):
    ``NNNN_<root name>_<YYYY-MM-DD_HHMMSS>Z.mhl``, 4 digits at least
    (:func:`generation_name_at`)."""
    return generation_name_at(
        sequence_number, root_name, created_at.strftime(GENERATION_TIME_FORMAT)
    )


def generation_name_at(sequence_number: int, root_name: str, created: str) -> str:
    """:func:`generation_file_name` of a creation time already written as
    ``GENERATION_TIME_FORMAT`` writes it (*created*): for a caller that has no
    ``datetime`` loaded (the preflight, ``offload.own_names``). *root_name* by the one rule
    of offload-ai's own names (``own_names.name_part``: no line break, which ascmhl reads
    as no generation's name, nor any character XML cannot hold)."""
    from offload.own_names import name_part

    return f"{sequence_number:04d}_{name_part(root_name)}_{created}Z.mhl"
