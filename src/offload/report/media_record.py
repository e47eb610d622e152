"""The run's own media findings, kept in its job report, for documents made where the media
cannot be probed (``offload report`` once the card is formatted and the drives are shelved).

    files_found(kind, clip, info) -> {"path": ..., ...}   # one file of a card_content line
    recall(clips, media, content) -> Recalled(not_there, unprobed)
    recalled_notes(recalled, unprobed_why) -> the documents' notes of them

What only the probing finds of a file (``card_content``'s ``not-readable-as-media`` and
``clip-damaged``: ``content.own_flags`` reads them from the clip's ``MediaInfo``) is kept
per file in that line's ``files`` (docs/json.md), and the job report keeps the lines
(``job_report.ReportsWritten.finish_documents`` writes them into it once the documents are
made). Everything else the documents say of the card (spans, frames, empty files, a GoPro's
video absent) is made again from the report's own ``files``. Without this, a document made
again away from the media called random bytes named ``.braw`` a clip, with no warning.

Pure functions: nothing here reads a file.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from offload.report.media import NOT_THERE, MediaInfo
from offload.report.probed_kinds import NOT_READABLE, PROBED_KINDS

if TYPE_CHECKING:
    from offload.report.clips import Clip


def files_found(kind: str, clip: Clip, info: MediaInfo) -> dict[str, Any]:
    """The record of *clip*'s file in a ``card_content`` line of *kind* (``PROBED_KINDS``):
    its exact path (as the report's ``files[].path``) and what its ``MediaInfo`` held that
    made the finding (``content.unreadable_as_media``, ``MediaInfo.damage``)."""
    path = str(clip.primary["path"])
    if kind == NOT_READABLE:
        return {"path": path, "invalid_data": info.invalid_data, "error": info.error}
    return {"path": path, "damage": info.damage}


#: Why clips with no ``MediaInfo`` were not probed (``recalled_notes``' *unprobed_why*).
NO_MEDIA = "--no-media"
NO_MEDIA_EXTRA = "the media extra, PyAV, is not installed"
NOT_REACHED = "this report's probing did not reach them"


class Recalled(NamedTuple):
    """How many clips ``recall`` gave the run's findings, by why they were not probed now."""

    not_there: int  # ``media.NOT_THERE``: neither the card nor a verified copy is there
    unprobed: int  # no ``MediaInfo``: --no-media, no media extra, or not reached


def recall(
    clips: Sequence[Clip],
    media: MutableMapping[int, MediaInfo],
    content: object,
) -> Recalled:
    """Give each clip of *clips* that this probing could not look at (no ``MediaInfo``:
    not probed, ``--no-media``, no media extra; or ``media.NOT_THERE``: neither the card nor
    a verified copy is there) what the run's own probing found of it, as the job report's
    ``card_content`` (*content*) keeps it, so that its row, page 1 and the summary's lines
    say what the run's documents said. Returns how many clips were so given, by why
    (``recalled_notes`` says so). *content*: the report's ``card_content``, anything else
    (absent, an older report, a value of another shape) giving nothing; a clip probed now
    keeps what this probing found."""
    found = _recorded(content)
    if not found:
        return Recalled(0, 0)
    not_there = unprobed = 0
    for index, clip in enumerate(clips):
        info = media.get(index)
        if info is not None and info.error != NOT_THERE:
            continue
        record = found.get(str(clip.primary.get("path")))
        if record is not None:
            media[index] = record
            if info is None:
                unprobed += 1
            else:
                not_there += 1
    return Recalled(not_there, unprobed)


def _recorded(content: object) -> dict[str, MediaInfo]:
    """Each recorded file's ``MediaInfo``, by its path, from a ``card_content`` value."""
    found: dict[str, MediaInfo] = {}
    if not isinstance(content, list):
        return found
    for line in content:
        if not isinstance(line, Mapping) or line.get("kind") not in PROBED_KINDS:
            continue
        files = line.get("files")
        for record in files if isinstance(files, list) else ():
            if not isinstance(record, Mapping) or not isinstance(record.get("path"), str):
                continue
            info = found.setdefault(record["path"], MediaInfo())
            if line["kind"] == NOT_READABLE:
                info.invalid_data = record.get("invalid_data") is True
                error = record.get("error")
                info.error = error if isinstance(error, str) else None
            elif isinstance(record.get("damage"), str):
                info.damage = record["damage"]
    return found


def recalled_notes(recalled: Recalled, unprobed_why: str) -> list[str]:
    """The documents' notes of the clips given the run's findings (``recall``), a note a
    reason: *unprobed_why* is why the clips with no ``MediaInfo`` were not probed
    (``NO_MEDIA``, ``NO_MEDIA_EXTRA``, ``NOT_REACHED``). Each says only what held: before,
    a report made with ``--no-media``, the card and its copies there, said neither was."""
    taken = (
        "what the offload's own probing found of them (not readable as media, not whole) "
        "is taken from its JSON report."
    )
    notes = []
    if recalled.not_there:
        notes.append(
            f"{recalled.not_there:,} clip(s) could not be probed now (neither the card nor a "
            f"verified copy is there): {taken}"
        )
    if recalled.unprobed:
        notes.append(f"{recalled.unprobed:,} clip(s) were not probed now ({unprobed_why}): {taken}")
    return notes
