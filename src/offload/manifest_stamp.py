"""The copy root's record that its manifests were complete: ``.offload/manifests-complete.json``.

Why: a run that verifies nothing new on a destination checks that its manifests record every
file the ledger vouches for (``manifests_writer``: ``ascmhl.first_unheld``,
``legacy.first_unlisted``), which parses the whole ASC MHL history (0.3 s and more on a card of
10,000 files). Re-running an offload to see that it is done is a common habit: when nothing
the check read has changed since a run found (or made) the manifests complete, the check's
answer cannot have changed either, and the parse is skipped.

The stamp holds the *identity* of what the check depends on, as the media show it:

* the ledger (device, inode, size, mtime_ns): a run that appended to it (a file verified, a
  copy revoked) changes it, even when that run was killed before its manifests;
* every file in ``ascmhl/`` (name, size, mtime_ns, inode): the chain file and each generation,
  so a generation added, removed, rewritten or restored, or the folder emptied or gone,
  changes it;
* the newest legacy MHL (when one is asked for) likewise, or its absence;
* the options that decide what a manifest would record: the kinds asked for, the hash
  algorithms, the ignore patterns, the card (its path, whether its history is carried);
* the files the manifests must hold (each path, size, mtime and digests, as the card layer
  gives them: a fingerprint and a count), so that a file the ledger vouches for that was not
  vouched for then is never taken as held.

A stamp is trusted only when every field equals what is computed now; anything else (missing,
unreadable, another version, one field different) means the full check. It is written only
after the manifests it describes are durable (each is written atomically with fsync before
``write_generation``/``write_legacy_mhl`` return), atomically itself (temporary name, fsync,
rename, fsync of the folder): a crash between the two leaves the older stamp, whose
identities no longer match the media, and the next run makes the full check.
"""

from __future__ import annotations

import itertools
import json
import operator
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from offload._version import __version__
from offload.json_text import STRICT
from offload.ledger import STATE_FOLDER, ledger_path
from offload.manifest.layout import ASCMHL_FOLDER, CHAIN_FILE_NAME
from offload.state_folder import unlink_in

if TYPE_CHECKING:
    from offload.manifest.model import ManifestFile

STAMP_NAME = "manifests-complete.json"
# What "complete" means, not only the file's format: bump it whenever the check a stamp stands
# for changes (``ascmhl.first_unheld``, ``legacy.first_unlisted``, which files the writer must
# list), so that stamps written under the old rule are not trusted by the new one. The
# package's version is recorded beside it, so a release never trusts another's stamp.
# 5: card folders named like the legacy MHLs (and files named ascmhl) are listed again.
# 6: card files a pattern carried from the history hides are listed again.
# 7: a history its chain does not vouch for whole (``History.chain_notes``) is never stamped:
#    every run says so (an older stamp of one would keep a re-run silent).
_VERSION = 7


def stamp_path(root: Path) -> Path:
    """Where the stamp of the copy root *root* is."""
    return root / STATE_FOLDER / STAMP_NAME


def _identity(st: os.stat_result) -> list[int]:
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns]


def _file_identity(path: Path) -> list[int] | None:
    try:
        return _identity(os.stat(path, follow_symlinks=False))
    except FileNotFoundError:
        return None


def _folder_identity(folder: Path) -> list[list[Any]] | None:
    """Each entry of *folder* (sorted by name) with its identity; None when there is no
    folder. Raises OSError when it cannot be listed."""
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except FileNotFoundError:
        return None
    listed: list[list[Any]] = []
    for entry in entries:
        st = entry.stat(follow_symlinks=False)
        listed.append([entry.name, st.st_mode, *_identity(st)])
    return listed


def _files_fingerprint(files: Iterable[ManifestFile]) -> list[Any]:
    """The count of *files* and a digest of each one's path, size, mtime and digests, in the
    order given (another order only makes a stamp miss)."""
    # Here: OpenSSL (~2 ms to import) not with this module, which the plan loads for the
    # stamp's name; the command loads it on its import thread during the copy's syncfs.
    import hashlib

    hasher = hashlib.blake2b(digest_size=20)
    count = 0
    # One encoder for every line: json.dumps with an option makes a new one each call
    # (~3 µs a file at 50,000); its text is the same. Lines are hashed a batch at a time
    # (the same bytes in the same order: the same digest).
    line = _line
    iterator = iter(files)
    while batch := list(itertools.islice(iterator, 1000)):
        count += len(batch)
        text = _usual_lines(batch)
        if text is None:
            lines = [line(i.relative_path, i.size_bytes, i.mtime_ns, i.digests) for i in batch]
            text = "\n".join(lines) + "\n"
        hasher.update(text.encode("utf-8", "surrogateescape"))
    return [count, hasher.hexdigest()]


_PATHS, _SIZES, _MTIMES, _DIGESTS = map(
    operator.attrgetter, ("relative_path", "size_bytes", "mtime_ns", "digests")
)


def _usual_lines(batch: list[ManifestFile]) -> str | None:
    """The lines of *batch* (each :func:`_line`, then a newline) where every file is the
    usual one (one digest, of the same algorithm; sizes and times ints; no text to escape),
    made by one comprehension (~0.4 µs a file less than a call of ``_line`` each); None
    otherwise (then each is asked of ``_line``)."""
    every = list(map(_DIGESTS, batch))
    if set(map(len, every)) != {1}:
        return None
    sizes, mtimes = list(map(_SIZES, batch)), list(map(_MTIMES, batch))
    if set(map(type, sizes)) != {int} or set(map(type, mtimes)) != {int}:
        return None
    paths = list(map(_PATHS, batch))
    (name,) = every[0]
    try:
        values = list(map(operator.itemgetter(name), every))  # KeyError: another algorithm
        # A character is escaped alone: none in the texts joined is none in each of them.
        if _ESCAPED("".join(paths) + name + "".join(values)):
            return None
    except (KeyError, TypeError):  # TypeError: a text that is not str
        return None
    return "".join(
        [
            f'["{relative}", {size}, {mtime_ns}, [["{name}", "{value}"]]]\n'
            for relative, size, mtime_ns, value in zip(paths, sizes, mtimes, values, strict=True)
        ]
    )


# ``json.dumps(value, ensure_ascii=False)``'s encoder, made once: ``json_text.STRICT``.
# What that encoder escapes in a string (json.encoder's ESCAPE): a string without any of
# these is written as it is, between quotes.
_ESCAPED = re.compile(r'[\x00-\x1f\\"]').search


def _line(relative: str, size: int, mtime_ns: int, digests: Mapping[str, str]) -> str:
    """``STRICT.encode([relative, size, mtime_ns, sorted(digests.items())])``: one file's
    line of the fingerprint. Written out for the usual file (its texts need no escape, its
    numbers are ints): the encoder's call was ~3 µs a file, most of the fingerprint's
    ~0.2 s at 50,000 files. The same text (a test holds it against the encoder)."""
    if len(digests) == 1 and type(size) is int and type(mtime_ns) is int:
        # The usual file (one algorithm): no sort, no list, no join (~0.6 µs a file less).
        ((name, value),) = digests.items()
        if not _ESCAPED(relative + name + value):
            return f'["{relative}", {size}, {mtime_ns}, [["{name}", "{value}"]]]'
    pairs = sorted(digests.items())
    # A character is escaped alone: none in any of the texts is none in them all together.
    if (
        type(size) is int
        and type(mtime_ns) is int
        and not _ESCAPED(relative + "".join([name + value for name, value in pairs]))
    ):
        listed = ", ".join([f'["{name}", "{value}"]' for name, value in pairs])
        return f'["{relative}", {size}, {mtime_ns}, [{listed}]]'
    return STRICT.encode([relative, size, mtime_ns, pairs])


def media_state(
    root: Path,
    *,
    files: Iterable[ManifestFile] | None,
    options: Mapping[str, Any],
    legacy: bool,
) -> dict[str, Any]:
    """What a stamp of the copy root *root* records now: the identities of the ledger, of
    each file in ``ascmhl/``, of the newest legacy MHL (*legacy*: one is asked for), the
    *options* (JSON values, :func:`stamp_options`) and a fingerprint of *files* (None: left
    out, the preflight's question before the copy, :func:`stamp_matches`). Raises OSError
    when the media cannot be read (then no stamp is trusted, nor written)."""
    state: dict[str, Any] = {
        "version": _VERSION,
        "offload_ai": __version__,
        "root": os.fsdecode(root),
        "ledger": _file_identity(ledger_path(root)),
        "ascmhl": _folder_identity(root / ASCMHL_FOLDER),
        "options": dict(options),
    }
    if legacy:
        from offload.manifest.legacy import newest_legacy_mhl  # only when one is asked for

        newest = newest_legacy_mhl(root)
        state["legacy"] = None if newest is None else [newest.name, *_identity(os.stat(newest))]
    if files is not None:
        state[_FILES] = _files_fingerprint(files)
    return state


def _encode(state: Mapping[str, Any]) -> bytes:
    return json.dumps(state, ensure_ascii=False, sort_keys=True, allow_nan=False).encode(
        "utf-8", "surrogateescape"
    )


def stamp_options(
    *,
    kinds: Iterable[str],
    algorithms: Iterable[str],
    ignore_patterns: Iterable[str],
    source: Path,
    card_has_history: bool,
) -> dict[str, Any]:
    """The options a stamp records (:func:`media_state`'s *options*): those that decide what
    a manifest would record. One place, for the manifest step that writes and checks the
    stamp and for the preflight that asks whether a re-run will write a generation."""
    return {
        "kinds": sorted(kinds),
        "algorithms": list(algorithms),
        "ignore_patterns": list(ignore_patterns),
        "source": os.fsdecode(source),
        "card_has_history": card_has_history,
    }


#: The field of a stamp only the manifest step can compute (the files' digests, which the
#: ledgers give once the copy is done).
_FILES = "files"


def _recorded(root: Path) -> bytes | None:
    try:
        with open(stamp_path(root), "rb") as handle:
            return handle.read(1 << 20)
    except OSError:
        return None


def chain_as_stamped(root: Path, chain_st: os.stat_result) -> bool:
    """Whether the chain file of *root*'s history (its ``lstat`` *chain_st*) is the very file
    the copy root's stamp recorded (name, mode and identity among ``ascmhl/``'s entries): a
    run parsed it whole and found the manifests complete, and nothing has changed it since,
    so it needs no parse to be known readable (``copy_root_history``). False when there is
    no stamp, it cannot be read or parsed, or records another file."""
    recorded = _recorded(root)
    if recorded is None:
        return False
    try:
        listed = json.loads(recorded).get("ascmhl")
    except (ValueError, AttributeError):
        return False
    now = [CHAIN_FILE_NAME, chain_st.st_mode, *_identity(chain_st)]
    return isinstance(listed, list) and now in listed


def stamp_matches(root: Path, state: Mapping[str, Any]) -> bool:
    """Whether the stamp of *root* records exactly *state* (:func:`media_state` now, with
    its files). False when there is none, it cannot be read, or any field differs."""
    recorded = _recorded(root)
    return recorded is not None and recorded == _encode(state)


def stamp_spares_manifests(root: Path, state: Mapping[str, Any]) -> bool:
    """Whether a re-run that copies and reads back nothing on *root* writes no manifest
    there, as far as its stamp tells before the copy (the preflight's question: *state* is
    :func:`media_state` with ``files=None``). False (a generation counted) when there is no
    stamp, it cannot be read or is another version's, or a field but the options or the
    files' fingerprint differs (the ledger, ``ascmhl/``, the legacy MHL asked for).

    Options differ without a manifest written where the manifest step's full check, which
    a stamp that does not match sends it to (``manifests_writer._kinds_lacking``), finds
    the manifests holding every file: other ignore patterns (a file left out now is held
    still; one brought back is copied, which counts a generation anyway), algorithms the
    stamp records (in any order, or fewer of them), kinds it records (fewer: a legacy MHL
    no longer asked for is not compared). A kind or an algorithm it does not record may
    write one (a new kind's generation or legacy MHL): False."""
    recorded = _recorded(root)
    if recorded is None:
        return False
    try:
        found = json.loads(recorded.decode("utf-8", "surrogateescape"))
    except ValueError:
        return False
    if not isinstance(found, dict) or _FILES not in found or _FILES in state:
        return False
    now = dict(state)
    then = dict(found)
    del then[_FILES]
    options_now = now.pop("options", None)
    options_then = then.pop("options", None)
    if not isinstance(options_now, dict) or not isinstance(options_then, dict):
        return False
    if "legacy" not in now:  # not asked now: whatever the stamp recorded of it
        then.pop("legacy", None)
    if _encode(now) != _encode(then):
        return False
    narrower = ("kinds", "algorithms")
    for name in narrower:
        asked, had = options_now.get(name), options_then.get(name)
        if not isinstance(asked, list) or not isinstance(had, list):
            return False
        if not {json.dumps(v) for v in asked} <= {json.dumps(v) for v in had}:
            return False
    rest_now = {k: v for k, v in options_now.items() if k not in (*narrower, "ignore_patterns")}
    rest_then = {k: v for k, v in options_then.items() if k not in (*narrower, "ignore_patterns")}
    return _encode(rest_now) == _encode(rest_then)


def write_stamp(root: Path, state: Mapping[str, Any]) -> None:
    """Record *state* as the stamp of *root*, atomically and durably. Call only once the
    manifests *state* describes are durable. Raises OSError (the caller then removes any
    older stamp or leaves it: an older one cannot match)."""
    from offload.manifest.atomic import write_file_atomically

    folder = root / STATE_FOLDER
    folder.mkdir(exist_ok=True)
    write_file_atomically(stamp_path(root), _encode(state), replace=True)


def remove_stamp(root: Path) -> None:
    """Remove the stamp of *root*, if any (never raises)."""
    try:
        # Checked and by name in the held folder: never another copy root's stamp
        # (``state_folder``).
        unlink_in(stamp_path(root))
    except OSError:
        pass
