"""May the card be formatted? One conservative sentence, decided from the job report's data.

The reports' verdict says what each copy is; a producer reading page 1 wants to know whether
the card can go back to the camera. This module owns that answer (docs/reports.md, "May the
card be formatted?"), for the HTML/PDF reports, the terminal and the JSON (``card_release``).

The rule: the card **may be formatted** only when nothing went wrong (not cancelled, no
destination lost, no copy failed, the card read every file, nothing its own history lists is
missing, every link made) and **every file of the card has a verified copy** (read back now,
or verified earlier by a run that read it back) **on at least one destination on another
physical disk than the card's** (the job report's ``devices``: a group with
``source_on_device`` false). A copy that was only transfer-checked proves nothing about the
media; a destination on the card's own disk (or filesystem) dies with the card; a
destination held in memory (tmpfs, ramfs, zram) is gone at the next reboot. Anything else,
and a report that does not say which disk a destination is on (older reports), keeps the
card, with the first reason.

A re-offload of a card that recorded more is refused for the card's index files the camera
rewrote (Canon ``INDEX.MIF``, P2 ``LASTCLIP.TXT``, Sony ``MEDIAPRO.XML``/``CUEUP.XML``,
XDCAM ``DISCMETA.XML``): they already exist on the destination with the old content, and
offload-ai never replaces a file unasked. When those refusals are the only failures, the
sentence says so in words and names the re-run that updates them (``--overwrite``).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# Files a camera rewrites whenever it records: they list the card's clips, so a card that
# shot more since the last offload has a newer one (compared case-insensitively by name).
INDEX_FILES = frozenset({"INDEX.MIF", "LASTCLIP.TXT", "MEDIAPRO.XML", "CUEUP.XML", "DISCMETA.XML"})
# A copy on these is no backup: the filesystem lives in memory.
_MEMORY_FILESYSTEMS = frozenset({"tmpfs", "ramfs"})
_GOOD = frozenset({"verified", "verified_earlier", "transfer_checked"})


@dataclass(frozen=True)
class CardRelease:
    """``may_format``: the card may be formatted (see the module's rule); ``text``: the one
    sentence saying so, or "Keep the card: <the first reason>"; ``index_files``: the card's
    index files refused because an older one is on a destination, when those are the run's
    only failures (else empty)."""

    may_format: bool
    text: str
    index_files: tuple[str, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        return {
            "may_format": self.may_format,
            "text": self.text,
            "index_files_changed": list(self.index_files),
        }


def _index_refusal(path: str, error: str | None) -> bool:
    """A failed copy of a camera's index file refused because the destination holds
    another one (the writer's and the committer's words: "... already exists ...")."""
    return posixpath.basename(path).upper() in INDEX_FILES and "already exists" in (error or "")


def _independent(data: Mapping[str, Any]) -> tuple[dict[int, str], str | None]:
    """Destination index -> its disk, for the destinations on another disk than the card's
    and not in memory; and, when none is, why (the first reason)."""
    devices = data.get("devices")
    if not devices:
        return {}, "this report does not say which disk each destination is on"
    filesystems = {
        int(d.get("index", i)): str(d.get("filesystem") or "")
        for i, d in enumerate(data.get("destinations") or [])
    }
    # The same mount as the card's is the card's filesystem, whatever the disk was found to
    # be (a second check: a source whose disk could not be found is on no group's disk).
    card_mount = (data.get("source_volume") or {}).get("mount_point")
    mounts = {
        int(d.get("index", i)): d.get("mount_point")
        for i, d in enumerate(data.get("destinations") or [])
    }
    found: dict[int, str] = {}
    reasons: list[str] = []
    for group in devices:
        members = [int(i) for i in group.get("destinations") or []]
        numbers = ", ".join(str(i + 1) for i in members)
        device = str(group.get("device") or "")
        if group.get("source_on_device"):
            reasons.append(
                f"destination {numbers} {'is' if len(members) == 1 else 'are'} on the card's own "
                f"disk ({device}): no backup if that disk fails"
            )
            continue
        if group.get("kind") == "memory" or device.startswith("unreachable"):
            reasons.append(f"destination {numbers}: no disk that outlives a reboot ({device})")
            continue
        for index in members:
            if card_mount and mounts.get(index) == card_mount:
                reasons.append(
                    f"destination {index + 1} is on the card's own filesystem ({card_mount})"
                )
            elif filesystems.get(index) in _MEMORY_FILESYSTEMS:
                reasons.append(
                    f"destination {index + 1} is held in memory ({filesystems[index]}): "
                    "gone at the next reboot"
                )
            else:
                found[index] = device
    return found, None if found else (reasons[0] if reasons else "no destination")


# What the rule reads of a file: its path, the card's read error, and each copy's
# (destination index, status, verified_mode, error). Tuples, not the report's entries: the
# whole entries of 50,000 files on three destinations cost ~0.5 s, on every offload.
Copy = tuple[int, str, str | None, str | None]
FileFacts = tuple[str, str | None, Sequence[Copy]]


def facts_of(entries: Iterable[Mapping[str, Any]]) -> Iterator[FileFacts]:
    """The facts of the job report's ``files`` entries (a report read back from JSON)."""
    for entry in entries:
        yield (
            str(entry.get("path", "")),
            entry.get("source_error"),
            [
                (int(c.get("index", -1)), str(c.get("status")), c.get("verified_mode"),
                 c.get("error"))
                for c in entry.get("destinations") or ()
            ],
        )  # fmt: skip


def card_release(data: Mapping[str, Any], files: Iterable[FileFacts] | None = None) -> CardRelease:
    """The answer for the job report *data*, its files read once, in order: *files*, else
    ``facts_of(data["files"])`` (``report_data`` makes them from the results). Never raises
    on a report missing keys: a missing fact keeps the card."""

    def keep(reason: str, index_files: tuple[str, ...] = ()) -> CardRelease:
        return CardRelease(False, f"Keep the card: {reason}.", index_files)

    if data.get("cancelled"):
        return keep("the offload was cancelled before it finished")
    lost = [d for d in data.get("destinations") or [] if d.get("lost")]
    if lost:
        return keep(f"destination {int(lost[0].get('index', 0)) + 1} was lost")
    independent, why_none = _independent(data)
    failed_other: str | None = None
    source_error: str | None = None
    index_files: list[str] = []
    not_safe: str | None = None  # a file with no verified copy on another disk
    not_safe_count = 0
    transfer_only = False
    count = 0
    others_unsafe = 0  # files with no verified copy off the card, the index files left out
    fewest_copies = fewest_disks = len(independent)  # the least a file has off the card
    for path, error, copies in facts_of(data.get("files") or ()) if files is None else files:
        count += 1
        if error and source_error is None:
            source_error = path
        disks: list[str] = []  # the disks off the card holding a verified copy
        unread = False  # a copy in a good state never read back (transfer-checked)
        for index, status, mode, message in copies:
            # Verified now, or earlier by a run that read it back (not a transfer check).
            if status == "verified" or (status == "verified_earlier" and mode != "transfer"):
                disk = independent.get(index)
                if disk is not None:
                    disks.append(disk)
            elif status == "failed":
                if _index_refusal(path, message):
                    if path not in index_files:
                        index_files.append(path)
                elif failed_other is None:
                    failed_other = path
            elif status in _GOOD:
                unread = True
        if disks:
            fewest_copies = min(fewest_copies, len(disks))
            fewest_disks = min(fewest_disks, len(set(disks)) if len(disks) > 1 else 1)
            continue
        fewest_copies = fewest_disks = 0
        not_safe_count += 1
        if posixpath.basename(path).upper() not in INDEX_FILES:
            others_unsafe += 1
        if not_safe is None:
            not_safe = path
        transfer_only = transfer_only or unread
    if source_error is not None:
        return keep(f"the card could not be read: {source_error}")
    if data.get("missing_from_card"):
        return keep(
            "files its own ASC MHL history lists are missing from it: "
            f"{data['missing_from_card'][0]}"
        )
    if failed_other is not None:
        return keep(f"a copy failed: {failed_other}")
    if any(s.get("status") == "failed" for s in data.get("symlinks") or []):
        return keep("a symlink of the card could not be made on a destination")
    if data.get("folder_errors"):
        return keep(f"{data['folder_errors'][0]}")
    if index_files:
        one = len(index_files) == 1
        others = (
            "all clips are safe (every other file is verified on a disk other than the card's)"
            if not others_unsafe and why_none is None
            else "the other files are listed below with their state"
        )
        return keep(
            f"{others}; only the card's index {'file' if one else 'files'} "
            f"{', '.join(index_files)} changed since the last offload (the camera rewrites "
            f"{'it' if one else 'them'} when it records more) and {'was' if one else 'were'} "
            "not replaced. To update the copies, run the same offload again with --overwrite: "
            "it replaces only the files that differ from the card, once the new copy is "
            "verified (--keep-both would keep the old index under its name and the new one "
            "beside it, which the camera does not read)",
            tuple(index_files),
        )
    if not count:
        return keep("nothing was copied")
    if why_none is not None:
        return keep(f"no destination is on a disk other than the card's ({why_none})")
    if not_safe is not None:
        what = "only transfer-checked (never read back)" if transfer_only else "not verified"
        return keep(
            f"{not_safe_count} of {count} files ({not_safe} first) "
            f"{'is' if not_safe_count == 1 else 'are'} {what} on a disk other than the card's"
        )
    where = (
        f"{'at least ' if fewest_copies < len(independent) else ''}{fewest_copies} "
        f"destination{'s' if fewest_copies != 1 else ''}, on {fewest_disks} "
        f"disk{'s' if fewest_disks != 1 else ''} other than the card's"
    )
    text = f"The card may be formatted: every file is verified (read back) on {where}."
    if fewest_disks == 1:
        text += " That is one backup: keep the card if your production wants two."
    return CardRelease(True, text)
