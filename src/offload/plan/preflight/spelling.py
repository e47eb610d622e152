"""One spelling of a path, the same for every way a case-insensitive filesystem lets it be
typed: what the overlap checks (:mod:`.paths`) compare.

Why: ``realpath`` keeps a component as typed, and the FUSE drivers of the field give each
spelling of one folder an inode of its own (exfat-fuse and fusefat answer ``/M/card`` and
``/M/CARD`` with two ``st_ino``), so neither realpaths nor ``(st_dev, st_ino)`` see that
``/M/card/out`` is inside the card ``/M/CARD``, or that ``/M/Dest`` and ``/M/dest`` are one
folder. The kernel's own vfat and exfat, ext4's casefolded folders and ntfs-3g give one
inode, which the identity checks of :mod:`.paths` already compare.

:class:`Speller` walks the realpath from ``/``: a component in a folder whose filesystem
folds names (:class:`~offload.plan.filesystem.NameRules`: case- or normalisation-insensitive,
from the mount table) is replaced by the name that folder lists for it: the name itself when
listed (a case-sensitive filesystem keeps ``Dest`` and ``dest`` apart, and so does this),
else the one listed name equal to it under the filesystem's rule
(:func:`~offload.plan.names.collision_key`). A component that is not there (a copy root
still to be made) is kept in that rule's form, so two spellings of it compare equal too. On
a path with no folding filesystem along it the realpath is returned as it is: one read of
the mount table, no listing.
"""

from __future__ import annotations

import os
from pathlib import Path

from offload.fs import mount_table
from offload.plan.filesystem import (
    MOUNTINFO,
    MountEntry,
    NameRules,
    find_mount,
    parse_mountinfo,
    rules_for_fstype,
    within,
)
from offload.plan.names import collision_key


def read_mounts() -> list[MountEntry]:
    """The mount table (none where it cannot be read: then no folding is known)."""
    try:
        return mount_table.parsed(MOUNTINFO, parse_mountinfo)
    except OSError:
        return []


class Speller:
    """Spells paths (called with one) as the module says, the mount table read once when
    made (a preflight compares a few paths pairwise; one read and parse of
    ``/proc/self/mountinfo`` took ~0.2 ms on the project's machine), each path once. Made
    for one preflight: a folder made or renamed afterwards is not seen."""

    __slots__ = ("_folding", "_known", "_mounts")

    def __init__(self, mounts: list[MountEntry] | None = None) -> None:
        self._mounts = read_mounts() if mounts is None else mounts
        # Each path spelled once: the checks ask for the card's and each destination's
        # paths again for every pair, and a spelling under a folding mount lists folders.
        self._known: dict[str, str] = {}
        self._folding: dict[MountEntry, NameRules] = {}
        for mount in self._mounts:
            rules = rules_for_fstype(mount.fstype)
            if rules.case_insensitive or rules.normalisation_insensitive:
                self._folding[mount] = rules

    def __call__(self, path: Path | str) -> str:
        """``realpath(path)`` with each component below a name-folding filesystem spelled
        as that filesystem lists it (see the module). Never raises; touches the disk only
        under a folding filesystem (a listing of each folder along the path there)."""
        real = os.path.realpath(path)
        if not any(within(real, m.mount_point) for m in self._folding):
            return real
        known = self._known.get(real)
        if known is None:
            known = self._known[real] = self._spell(real)
        return known

    def _spell(self, real: str) -> str:
        current = "/"
        parts = [p for p in real.split("/") if p]
        for position, name in enumerate(parts):
            mount = find_mount(Path(current), self._mounts)
            rules = self._folding.get(mount) if mount is not None else None
            if rules is not None:
                listed = _listed_name(current, name, rules)
                if listed is None:  # not there: the rest in the rule's form, as typed
                    rest = [collision_key(p, rules) for p in parts[position:]]
                    return os.path.join(current, *rest)
                name = listed
            current = os.path.join(current, name)
        return current


def _listed_name(folder: str, name: str, rules: NameRules) -> str | None:
    """The name *folder* lists for *name*: itself, else the one listed name equal to it
    under *rules*; None when *name* is not there. Several candidates (a folder the rule
    does not describe exactly) leave *name* as typed."""
    try:
        listing = os.listdir(folder)
    except OSError:
        return name if os.path.lexists(os.path.join(folder, name)) else None
    if name in listing:
        return name
    if not os.path.lexists(os.path.join(folder, name)):
        return None
    key = collision_key(name, rules)
    found = [entry for entry in listing if collision_key(entry, rules) == key]
    return found[0] if len(found) == 1 else name
