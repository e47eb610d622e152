"""What a copy root holds besides the card, and the ASC MHL ignore patterns that hide it from
a generation written there, and nothing of the card.

A copy root holds offload-ai's state (``.offload/``: ledger, lock, reports) and, after a run
that died, partials (``.offload-partial.*``). The reference tool (``ascmhl`` 1.2, with
pathspec) matches every ignore pattern against the *absolute* path of each entry it walks
(leading ``/`` dropped): an anchored pattern (``/.offload/``) never matches in ``ascmhl-debug
verify``, so the state is hidden by its name, unanchored (:data:`COPY_ROOT_STATE`). A name
pattern hides that name at any depth, and no pattern without the root's absolute path tells
the root's own ``.offload`` from one deeper in the card (an earlier copy root copied onto it,
a folder a user named so): such an entry is card content, copied and verified.

So each ``.offload`` entry below the root that a generation lists is brought back by a
pattern after the one that hides it (:func:`unhide_nested_state`): ``!**/`` and its path,
glob characters escaped (the last matching pattern wins, in pathspec as here). It matches
that entry and what is below it wherever the root is mounted, and the root's own state only
when the root's absolute path ends with the entry's folder (``A001/.offload`` in a root
``/mnt/RAID/A001``): that entry is then not brought back, but named (left hidden, with the
reason). pathspec matches a folder's pattern on everything below it, so each re-inclusion is
followed by every hiding pattern before it scoped below that path (:func:`scoped_below`):
``**/<path>/**/`` and the pattern (``.DS_Store``, ``ascmhl``, the partials, a user's
``*.tmp``), so that what the list hides elsewhere in the card stays hidden in there too, for
ascmhl as for offload-ai (a ``.DS_Store`` Finder makes in the folder is no new file to
``ascmhl-debug verify``).

``!**/N`` matches ``N`` at any depth: it brings back ``X/N`` too, itself a nested entry.
ascmhl ``create``, ``diff`` and ``verify -dh`` also add, for a pattern with a ``/`` that does
not start with ``/`` or ``**`` (a ``!`` one), the root's absolute path, ``/`` and the
pattern, as a plain pattern: ``!**/N`` becomes one that hides ``!<name>/N`` just below the
root, which ``verify`` would list. Such a path is hidden again for every command (``**/``
and its path, after every re-inclusion) and named.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from offload.ledger import STATE_FOLDER
from offload.manifest.links import exact_pattern

PARTIALS = ".offload-partial.*"

#: What every copy root holds besides the card, as an ASC MHL ignore list hides it: our state
#: and the partials of a run that died. Unanchored: ascmhl-debug verify matches anchored patterns
#: against absolute paths, where they never match.
COPY_ROOT_STATE = (STATE_FOLDER, PARTIALS)


def nested_state_paths(directories: Iterable[str], files: Iterable[str]) -> set[str]:
    """The entries named like the copy root's state folder below the root (relative paths,
    ``/``-separated) among *directories* and *files*: the card's, never the root's own."""
    suffix = "/" + STATE_FOLDER
    return {path for path in (*directories, *files) if path.endswith(suffix)}


class Unhiding:
    """The patterns that bring the nested state entries back (to follow
    :data:`COPY_ROOT_STATE` in an ignore list), and those left hidden: path → why."""

    __slots__ = ("hidden", "patterns")

    def __init__(self) -> None:
        self.patterns: list[str] = []
        self.hidden: dict[str, str] = {}


def scoped_below(folder_pattern: str, pattern: str) -> str | None:
    """*pattern* (of an ignore list, before *folder_pattern*'s ``!`` one) scoped below the
    folder *folder_pattern* (:func:`~offload.manifest.links.exact_pattern`) matches: what it
    hides at any depth, it hides below that folder (a ``!`` one brings back likewise); None
    for a pattern that matches nothing there: anchored (a leading ``/`` or one inside, which
    ascmhl matches against absolute paths), a comment, blank."""
    negated = pattern.startswith("!")
    body = pattern[1:] if negated else pattern
    while body.startswith("**/"):
        body = body[3:]
    if not body or body.startswith("#") or "/" in body.rstrip("/"):
        return None
    return f"{'!' if negated else ''}{folder_pattern}/**/{body}"


def unhide_nested_state(
    root: Path, nested: Iterable[str], hiding: Sequence[str] = COPY_ROOT_STATE
) -> Unhiding:
    """The patterns that list each of *nested* (:func:`nested_state_paths`) again in a
    generation written at *root*, but for those no pattern can bring back without the root's
    own state (module doc), each left hidden with the reason. *hiding*: the ignore list
    before these patterns (ascmhl's defaults, the carried and requested ones, ending with
    :data:`COPY_ROOT_STATE`), re-applied below each path brought back."""
    root_parts = Path(os.path.abspath(root)).parts[1:]
    result = Unhiding()
    listed: list[str] = []
    for path in sorted(set(nested)):
        folder = tuple(path.split("/")[:-1])
        if len(folder) <= len(root_parts) and root_parts[len(root_parts) - len(folder) :] == folder:
            result.hidden[path] = (
                f"the copy root's own path ends with {'/'.join(folder)}, so a pattern that "
                f"lists it would list the copy root's own {STATE_FOLDER}/ too"
            )
        else:
            listed.append(path)
    brought_back = set(listed)
    hidden_again: list[str] = []
    for path in listed:
        pattern = exact_pattern(path)
        result.patterns.append("!" + pattern)
        # pathspec brings back everything below it: what the list hid in there, hidden again
        for earlier in dict.fromkeys((*hiding, *COPY_ROOT_STATE)):
            scoped = scoped_below(pattern, earlier)
            if scoped is not None:
                result.patterns.append(scoped)
    for path in sorted(set(nested)):
        first, _, rest = path.partition("/")
        if first.startswith("!") and rest in brought_back:
            hidden_again.append(path)
            result.hidden[path] = (
                f"ascmhl create and diff, and ascmhl-debug verify -dh, turn the pattern "
                f"that lists {rest} into one that hides {path}, so it is hidden for every "
                "ascmhl command"
            )
    # after every re-inclusion: the last matching pattern wins
    result.patterns.extend(exact_pattern(path) for path in hidden_again)
    return result
