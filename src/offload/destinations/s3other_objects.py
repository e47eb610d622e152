"""What stands at a card's names in a bucket copy root no ledger line vouches for: the S3
side of ``card_folder``'s look at a ledgerless copy root (``DEST/<card name>``, no
``--into``), which refuses it (code ``copy-root-of-other-files``) when something stands at
a card file's name and none of it is the card's file by size and date.

Asked of the bucket:

* the listing of the destination's prefix (``S3Backend.listed_as``, shared with the type
  check and the free name's look-up, so no request of its own): no objects below the copy
  root, nothing is in a copy's way (a card's first offload asks nothing more);
* else one listing of the copy root's prefix, without a delimiter (a request a thousand
  keys: ``S3Backend.objects_below``), kept for the type check's ``keys_below`` of the same
  root, which then asks nothing; it gives each object's key, size and LastModified;
* for an object at a card file's key of that file's size only, a HEAD (its metadata: the
  listing has none), in the card's order, until one is the card's file: its date is the
  card file's modification time from the object's ``mtime`` metadata where it holds a
  valid one (what ``offload copy`` and rclone write: ``s3.mtime_from_metadata``), else its
  LastModified (its upload time), as ``offload verify s3://`` dates an object; the card's
  file when that date is within 2 s of the card file's (what ``Ledger.as_recorded`` allows
  a disk: a cascade's object carries the local copy's time, FAT's to 2 s).

A listing that fails, or a HEAD that fails, claims nothing: that object (or the whole
check) is left to the plan, which reads back each object in a copy's way and refuses it
when it differs, never overwriting it unasked.
"""

from __future__ import annotations

from collections.abc import Sequence

from offload.destinations.s3 import ObjectInfo, mtime_from_metadata
from offload.destinations.s3backend import S3Backend
from offload.ledger import DATE_SLACK_NS
from offload.model import SourceFile
from offload.plan.destination import DestinationPlan


def objects_in_the_way(
    backend: S3Backend, plan: DestinationPlan, files: Sequence[SourceFile]
) -> list[tuple[str, str]]:
    """The card files (relative path, in the card's order) at whose key in *plan*'s copy
    root something else stands, each with how it differs in words ("a folder of objects
    there", "N bytes there, M on the card", "of its size, another modification time");
    empty when nothing stands at the card's names, when one object there is the card's file
    by size and date, or when the copy root cannot be listed (module docstring)."""
    try:
        if not backend.listed_as(plan.root)[1]:
            return []  # nothing below the copy root: the usual first offload
        root = backend.key(plan.root)
        listed = backend.objects_below(plan.root)
    except OSError:
        return []  # the copy says what is wrong with the destination
    cut = len(root) + 1 if root else 0
    objects: dict[str, ObjectInfo] = {info.key[cut:]: info for info in listed}
    folders: set[str] = set()
    for relative in objects:
        folder = relative.rpartition("/")[0]
        while folder and folder not in folders:
            folders.add(folder)
            folder = folder.rpartition("/")[0]
    others: list[tuple[str, str]] = []
    for file in files:
        try:
            name = backend.key(plan.target_text(file.relative_path))[cut:]
        except OSError:
            continue  # a name S3 cannot hold: that file fails on its own
        info = objects.get(name)
        if info is None:
            if name in folders:
                others.append((file.relative_path, "a folder of objects there"))
            continue
        if info.size_bytes == file.size_bytes:
            try:
                head = backend.store.stat_key(info.key)
            except OSError:
                continue  # nothing told: left to the plan's read-back
            if head is None:
                continue  # gone since: nothing in the way
            if head.size_bytes == file.size_bytes:
                date = mtime_from_metadata(head.metadata)
                if abs((head.mtime_ns if date is None else date) - file.mtime_ns) < DATE_SLACK_NS:
                    return []  # this card's file, as a copy keeping its dates has it
                others.append((file.relative_path, "of its size, another modification time"))
                continue
            info = head
        others.append(
            (file.relative_path, f"{info.size_bytes} bytes there, {file.size_bytes} on the card")
        )
    return others
