"""The partial files an interrupted run left in the folders an offload writes to.

A run killed mid-copy (SIGKILL, power cut) leaves its ``.offload-partial.*`` files, full
size, beside the names they were to take. The next offload of that card removes them
(``card._remove_stray_partials``, under the copy root's lock, before its first byte), so the
preflight counts the room they hold as free (``space.check_devices``): a re-run onto a
nearly full drive is not refused for the space its own clean-up gives back. Only the
folders this offload writes to are looked at: with ``--into`` a destination may hold much
else, and another card's partials are not ours to remove.

Only a partial no live writer holds is a stray (where no lock can be asked, one old enough:
below). Copy roots may nest (one run into ``/mnt/d1/shoot``, whose card has ``day2/``,
another into ``/mnt/d1/shoot/day2``): two live runs then write into one folder, and a
partial there may be the other's, being written now.
A partial's name carries its writer's process token (``naming.partial_token``) and a
holder's lock body names the token of its process (``lock.holder_body``), so a partial is a
stray unless a copy root at or above its folder (its real path, up to ``/``) is locked by
another run (``lock.other_holder``) whose body names its token, or names none (an older
version: maybe live, so every partial below it is kept). The copy roots this run holds are
not asked (they are its own, and it has written nothing yet). A partial of this process is
no exception: one of an earlier run of it (a library caller whose drive was lost mid-run) is
a stray, one of a run of it going on now holds its own lock (another open file description:
asked like any other).

Where a lock cannot be asked at all (a filesystem without ``flock``, e.g. NFSv3 without
lockd: ``ENOLCK``; this run's own copy root is then unlocked too) no answer ever comes, and
keeping every partial there would keep each killed run's space forever, unsaid. There a
partial neither written nor stamped for ``UNASKABLE_STALE_S`` (12 hours) is a stray, and a
younger one is kept and handed back (*kept*: the caller warns, naming the folder). Its age
is the later of its mtime and ctime (``touched``), never the mtime alone: a live writer
stamps the source's date on its partial (``preserve_mtime``) before the read-back, so the
mtime of a live partial may be the clip's, years old, while the stamp and every write set
the ctime to now. A live writer's one pause without writes is the read-back of that file
after the stamp (minutes; an hour for hundreds of GB on a slow drive), far below 12 hours,
while a re-run on the next shooting day gets the room back.

A live writer also claims each partial it writes (``destinations.claim``: a shared
``flock`` on the file itself, from its creation until it is renamed or removed), so a
partial that is claimed is never a stray, whatever the locks above say: that covers the
writers no lock above the folder names, a ``pfndispatchcopy`` (or any one-file copy, which
takes no copy root's lock) and a run that reached the same folder by another path (a bind
mount of a sub-folder, a symlinked folder). A stray is removed while its exclusive lock is
held (``claim.remove_unclaimed``), so a writer cannot claim it in between.

Never a stray: the ``.offload-part`` entry fusefat leaves of a partial's name after renames
(``naming.is_partial_leftover``; ``is_partial_name`` is false for it). It carries no token,
and it is a damaged folder entry whose clusters a copy may still use: unlinked through
fusefat, it frees them under that copy (fsck.fat then finds the copy's chain free). The
manifests' ignore list hides it instead (``ledger.TOOL_IGNORE_PATTERNS``).

Not seen: a live writer on a filesystem without locks, silent for 12 hours; and a partial of
an older version (which takes no claim) whose run reached the folder by another path or
holds no copy root's lock.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Collection, Iterable
from pathlib import Path

from offload.destinations.claim import claimed, remove_unclaimed
from offload.destinations.naming import is_partial_name, is_partial_of, partial_token
from offload.lock import CANNOT_ASK, other_holder
from offload.plan.destination import DestinationPlan
from offload.plan.scan import SourceTree

# Where no lock can be asked: a partial neither written nor stamped for this long
# (``touched``) has no live writer (see the module's docstring).
UNASKABLE_STALE_S = 12 * 3600


def stray_partials(
    tree: SourceTree,
    plan: DestinationPlan,
    *,
    held: Collection[str] = (),
    kept: list[tuple[str, int]] | None = None,
    failed: list[tuple[str, OSError]] | None = None,
) -> list[tuple[str, int]]:
    """Each abandoned partial file (see the module's docstring) in the folders *plan* writes
    *tree*'s files to, with the bytes it holds on its filesystem (``st_blocks``: what
    removing it gives back); a folder that is not there or cannot be listed has none (the
    copy says what is wrong with it). *held*: the real paths of the copy roots this run
    holds the lock of. *kept*, when given, gets each partial (and its bytes) kept only
    because no lock above it can be asked and it is younger than ``UNASKABLE_STALE_S``.
    *failed*, when given, gets each partial the drive refused to stat (EIO: a damaged
    filesystem), with the error: it is kept, and the caller says so."""
    try:
        os.lstat(plan.root)
    except FileNotFoundError:
        # No copy root (a card's first offload onto this drive): none of the folders below
        # it is there to hold a partial, and none is listed; the folders were a pass over
        # every file (~5 ms at 50,000 files, docs/performance.md, "thirtieth pass").
        return []
    except OSError:
        pass  # the folders below may still be listed (a root without read permission)
    # The folders first (a card has a few dozen), then one path each: a Path per file
    # took ~1 s on a 50,000-file card.
    folders = {
        plan.target_for(f.relative_path).parent
        for f in {f.relative_path.rpartition("/")[0]: f for f in tree.files}.values()
    }
    # Copy root → other_holder's answer, kept only when it names a holder or cannot ask:
    # keeping a live answer at worst keeps a partial, while a free lock may be taken by a
    # nested run that starts while a later folder is listed (so "no holder" is asked anew,
    # after each listing).
    holders: dict[str, dict[str, object]] = {}
    found: list[tuple[str, int]] = []
    for folder in sorted(folders):
        found += _strays_in(str(folder), is_partial_name, held, holders, kept, failed)
    return found


def strays_of(
    target: Path,
    *,
    kept: list[tuple[str, int]] | None = None,
    failed: list[tuple[str, OSError]] | None = None,
) -> list[tuple[str, int]]:
    """``stray_partials`` for a one-file copy (``pfndispatchcopy``, the API's
    ``copy_with_multiple_destinations``), which holds no copy root's lock: the abandoned
    partials of *target*'s own name in its folder (``naming.is_partial_of``), by the same
    rules (no live writer's: none claimed, none whose run's lock above names its token), with
    the bytes each holds. Another file's partials there are not this copy's to judge.
    With no copy root's lock of its own to tell whether locks work there, a partial whose
    claim cannot be asked (``claimed`` None) is judged as where no lock can be asked: a
    stray once neither written nor stamped (``touched``) for ``UNASKABLE_STALE_S``, else
    kept (in *kept*)."""
    name = target.name
    return _strays_in(
        str(target.parent),
        lambda entry: is_partial_of(entry, name),
        (),
        {},
        kept,
        failed,
        unsure_kept=True,
    )


def _strays_in(
    folder: str,
    wanted: Callable[[str], bool],
    held: Collection[str],
    holders: dict[str, dict[str, object]],
    kept: list[tuple[str, int]] | None,
    failed: list[tuple[str, OSError]] | None,
    *,
    unsure_kept: bool = False,
) -> list[tuple[str, int]]:
    """The strays among *folder*'s partials whose name is *wanted* (``stray_partials``);
    *unsure_kept*: a partial whose claim cannot be asked is aged as an unaskable one
    (``strays_of``)."""
    found: list[tuple[str, int]] = []
    try:
        entries = [entry for entry in os.scandir(folder) if wanted(entry.name)]
    except OSError:
        return found
    if not entries:
        return found
    live, unaskable = _live_tokens(folder, held, holders)
    now = time.time()
    for entry in entries:
        token = partial_token(entry.name)
        if live is None or token in live or (token is None and live):
            continue  # maybe a live run's: never removed, never counted as room
        try:
            st = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            continue  # gone since it was listed
        except OSError as exc:
            if failed is not None:
                failed.append((entry.path, exc))
            continue
        if not entry.is_file(follow_symlinks=False):
            continue
        claim = claimed(entry.path)
        if claim:
            continue  # a live writer's, whichever path it writes it by
        if (unaskable or (unsure_kept and claim is None)) and now - touched(st) < UNASKABLE_STALE_S:
            if kept is not None:
                kept.append((entry.path, st.st_blocks * 512))
            continue  # maybe a live run's: no lock says
        found.append((entry.path, st.st_blocks * 512))
    return found


def _live_tokens(
    folder: str, held: Collection[str], holders: dict[str, dict[str, object]]
) -> tuple[set[str] | None, bool]:
    """The tokens of the live runs that may write into *folder* (their copy root's lock held
    by another run, at or above its real path), None when one of them does not say its
    token (every partial there is then maybe live); and whether a lock there could not be
    asked (a live writer may then be unseen). Called once *folder* is listed: a run writes
    partials only once it holds its lock, so one that takes a lock above *folder* after this
    answer wrote none of the partials listed."""
    tokens: set[str] = set()
    unaskable = False
    current = os.path.realpath(folder)
    while True:
        if current not in held:
            holder = holders.get(current)
            if holder is None:
                holder = other_holder(current)
                if holder is not None:  # "no holder" is asked again: a run may start meanwhile
                    holders[current] = holder
            if holder is not None and CANNOT_ASK in holder:
                unaskable = True
            elif holder is not None:
                token = holder.get("partials")
                if not isinstance(token, str):
                    return None, unaskable
                tokens.add(token)
        parent = os.path.dirname(current)
        if parent == current:
            return tokens, unaskable
        current = parent


def touched(st: os.stat_result) -> float:
    """When the file of *st* was last written or stamped: the later of its mtime and ctime.
    Not the mtime alone: a live copy stamps the source's date on its partial
    (``preserve_mtime``) before its flush and read-back, so the mtime of a partial being
    read back now may be years old; the stamp (``utime``), like every write, sets the ctime
    to now (NFS: the server's ctime; FUSE: what the filesystem answers). Never older than
    the mtime, so it keeps every partial the mtime alone kept. A filesystem that answers
    the mtime as the ctime (exfat-fuse does, even while the file is open: measured) gains
    nothing from it; there the claim decides (a FUSE filesystem without a ``flock`` of its
    own has the kernel's local one, so ``claimed`` answers for this host's writers)."""
    return max(st.st_mtime, st.st_ctime)


def remove_strays(paths: Iterable[str], failed: list[tuple[str, OSError]] | None = None) -> int:
    """Delete each of the stray partials *paths* (``stray_partials``' answer) but one a live
    writer claimed since (``claim.remove_unclaimed``); returns how many were deleted. Never
    raises: one that cannot be deleted is kept (in *failed*, with the error, when given: the
    caller says so), the next run tries again."""
    return sum(remove_unclaimed(path, failed) for path in paths)
