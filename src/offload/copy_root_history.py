"""A destination copy root's ASC MHL history that the manifest step could not extend.

The manifest step reads a copy root's history (``ROOT/ascmhl/ascmhl_chain.xml``) to add the
run's generation to it; a chain that is not well-formed XML (an unknown encoding, plain
garbage) or not an ASC MHL chain fails that step after every copy was made: no manifest on
that destination, exit 1. The planner reads the chain file now, before the first byte is
copied, so the preflight (and ``--dry-run``, whose exit forecast counts it) names it as a
step that will fail: a warning, never a refusal (the copies are still wanted).

A copy root whose ``ascmhl`` is a symlink gets the same warning, in its own words: the
manifest step neither reads nor writes a history through one (``manifest.history``).

Only the chain file is parsed (a line a generation: small on any re-run); the generations
it lists are read by the manifest step as before. A copy root with no chain yet (a first
offload there) costs one failed ``lstat`` and loads no history module; a chain the copy
root's stamp of complete manifests records as it is now (``manifest_stamp``) is not parsed
again, so a re-run that finds nothing new still reads no history. An ``s3://`` copy
root's history is its backend's to read (``s3card``), not looked at here.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from pathlib import Path

from offload.errors import describe_os_error, printable_name
from offload.manifest.errors import HistoryError
from offload.manifest.layout import ASCMHL_FOLDER, CHAIN_FILE_NAME
from offload.plan.codes import PreflightCode, PreflightItem
from offload.plan.destination import DestinationPlan


def unreadable_history_warnings(
    plans: Sequence[DestinationPlan], backends: Collection[int]
) -> list[PreflightItem]:
    """``dest-history-unreadable`` for each disk destination of *plans* (not in *backends*)
    whose copy root's ASC MHL chain file is there and cannot be read or parsed."""
    found: list[PreflightItem] = []
    for plan in plans:
        if plan.index in backends:
            continue
        if not os.path.lexists(plan.root):
            continue  # a copy root not made yet: no history, and no name looked up below it
        linked = _linked_history(Path(plan.root))
        if linked is not None:
            found.append(
                PreflightItem(
                    PreflightCode.DEST_HISTORY_UNREADABLE,
                    Path(plan.root) / ASCMHL_FOLDER,
                    linked,
                    plan.index,
                )
            )
            continue
        chain = Path(plan.root) / ASCMHL_FOLDER / CHAIN_FILE_NAME
        try:
            st = os.lstat(chain)
        except OSError:
            continue  # none there yet (the manifest step starts one), or its step will say
        if _stamped(Path(plan.root), st):
            continue
        from offload.manifest.history import parse_chain  # only for a chain there

        try:
            parse_chain(chain)
        except (FileNotFoundError, NotADirectoryError):
            continue  # no history there yet: the manifest step starts one
        except HistoryError as exc:
            why = str(exc)
        except OSError as exc:
            why = f"{printable_name(str(chain))}: {describe_os_error(exc)}"
        else:
            continue
        history = printable_name(str(Path(plan.root) / ASCMHL_FOLDER))
        found.append(
            PreflightItem(
                PreflightCode.DEST_HISTORY_UNREADABLE,
                chain,
                f"the ASC MHL history on destination {printable_name(str(plan.root))} cannot "
                f"be read ({why}): the files are copied and verified there, but no ASC MHL "
                "manifest can be written on it, so the offload will end with exit 1: mend "
                f"{history} (or move it aside to start a new history there), then run the "
                "same command again to write the manifest",
                plan.index,
            )
        )
    return found


def _linked_history(root: Path) -> str | None:
    """The warning's words where *root*'s ``ascmhl`` is a symlink, None where it is not
    (or cannot be looked at: the manifest step says that). The manifest step never reads
    nor writes a history through one (``manifest.history``: ASC MHL keeps a copy root's
    history in a folder of that root; ascmhl would follow the link, its generation landing
    in the folder the link leads to, another copy root's history if it leads there), so
    the copies are made and that step fails: said here, before the first byte, as for a
    chain that cannot be read. The chain below it is not read (through the link it would
    be another folder's)."""
    folder = root / ASCMHL_FOLDER
    try:
        if not os.path.islink(folder):
            return None
        target = f" (to {printable_name(os.readlink(folder))})"
    except OSError:
        target = ""
    there = os.path.isdir(folder)
    fix = (
        "remove the symlink (rm, not rm -r: the manifest step then starts a new history "
        "there), or put the folder it leads to in its place (mv) if that is this copy's own "
        "history"
        if there
        else "remove the symlink, which leads to no folder (rm; the manifest step then "
        "starts a new history there)"
    )
    return (
        f"the ASC MHL history folder {printable_name(str(folder))} on destination "
        f"{printable_name(str(root))} is a symlink{target}, not a folder: a history is "
        "never read nor written through one (its generation would be another folder's "
        "history), so the files are copied and verified there, but no ASC MHL manifest "
        f"is written on it, and the offload will end with exit 1: {fix}, then run the "
        "same command again to write the manifest"
    )


def _stamped(root: Path, st: os.stat_result) -> bool:
    """Whether the chain (its ``lstat`` *st*) is the one the copy root's stamp of complete
    manifests recorded (``manifest_stamp.chain_as_stamped``): parsed whole by the run that
    stamped it and unchanged since, so a re-run that finds nothing new reads no history
    (the stamp's promise, ``tests/faults/test_manifest_stamp``)."""
    from offload.manifest_stamp import chain_as_stamped

    return chain_as_stamped(root, st)
