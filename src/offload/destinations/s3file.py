"""One file to ``s3://bucket/key``: the S3 side of ``api.copy_with_multiple_destinations`` and
``pfndispatchcopy SRC s3://bucket/key``.

A destination URL names the object, as a destination path names the file:

* ``s3://bucket/dir/clip.mov``: the object ``dir/clip.mov``;
* ``s3://bucket/dir/`` (a trailing ``/``), ``s3://bucket``, or a key under which objects
  already exist and that is not an object itself (a "folder", as ``aws s3 ls`` shows it):
  the file goes below it under the source's name, as ``cp`` does into a folder.

Each destination is an ``S3Backend`` rooted at the object's folder, so the engine writes it
as for a card (multipart upload with part checksums, completion never over another object,
a streamed GET read-back in ``destination``/``full`` mode). Before the first byte, each is
checked as a card's is (``S3Destination.check``: credentials, bucket, network), and an
object already at the key is refused unless the policy replaces it: ``UsageError`` (exit
64), nothing written anywhere. Before the preflight's probe stores anything, the keys
offload-ai itself may store under the object's folder (``s3own_keys.prefix_own_keys``: an
upload record, a staging object, the probe's objects) and the object's own whole key are
held to S3's 1,024 bytes, as a card's are: a longer one fails that destination alone, as a
local path over PATH_MAX does (nothing stored there, the others copied); without the
caller's *refused*, ``PreflightRefused`` (code ``path-too-long``), nothing written anywhere.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from offload.destinations.base import EntryInfo
from offload.destinations.s3 import S3Destination
from offload.destinations.s3backend import S3Backend
from offload.destinations.s3config import S3Settings, settings_from_env
from offload.destinations.s3url import (
    MAX_KEY_BYTES,
    S3Url,
    display_path,
    is_s3_url,
    key_bytes,
    parse_s3_url,
)
from offload.engine.cancel import CancelToken
from offload.errors import PreflightRefused, UsageError
from offload.events import EventSink
from offload.options import ExistingFilePolicy
from offload.own_names import elided


@dataclass(frozen=True)
class S3FileTarget:
    """Where one file goes on S3: the backend (rooted at the object's folder) and the
    target's stand-in path under its root."""

    backend: S3Backend
    target: Path


def open_s3_file_targets(
    destinations: Sequence[Path | str],
    source_name: str,
    *,
    settings: S3Settings | None = None,
    existing: ExistingFilePolicy = ExistingFilePolicy.FAIL,
    env: Mapping[str, str] | None = None,
    refused: dict[int, str] | None = None,
) -> dict[int, S3FileTarget]:
    """The S3 targets among *destinations*, by index (see the module docstring); the others
    are left to the local planner. Raises UsageError (nothing written) for a URL, bucket,
    credentials or network S3 refuses, the same object named twice, or an object already at
    the key with the FAIL policy. A target whose name no key can be (not UTF-8, too long:
    ``S3Backend.name_problem``), or whose key is too long (the object's or one of
    offload-ai's own under its folder, checked before its probe stores anything), is that
    destination's alone (README: a failed destination never stops the others): its index
    goes into *refused* with the line saying why (opened all the same, to be reported);
    without *refused*, UsageError for a name, PreflightRefused (its subclass, code
    ``path-too-long``) for a key. The caller closes the backends (``close_targets``)."""
    opened: dict[int, S3FileTarget] = {}

    def name_refused(index: int, backend: S3Backend, target: Path) -> bool:
        problem = backend.name_problem(target.name)
        if problem is None:
            return False
        if refused is None:
            _check_name(backend, target)
        assert refused is not None
        refused[index] = f"destination {display_path(target)}: {problem}"
        return True

    def key_refused(index: int, problem: str | None) -> bool:
        if problem is None:
            return False
        if refused is None:
            _refuse(f"{problem}; nothing was written", index)
        refused[index] = problem
        return True

    try:
        for index, destination in enumerate(destinations):
            text = str(destination)
            if not is_s3_url(text):
                continue
            url = parse_s3_url(text, limit=False)  # a key too long fails it alone: below
            folder_named = text.endswith("/") or not url.prefix
            parent, _, name = url.prefix.rpartition("/")
            root_url = url if folder_named else S3Url(url.bucket, parent)
            store = S3Destination(
                root_url, settings or settings_from_env(os.environ if env is None else env)
            )
            backend = S3Backend(store, existing=existing)
            target = backend.root / (source_name if folder_named else name)
            opened[index] = S3FileTarget(backend, target)  # closed on error below
            # Before the probe's first object, as a card's (``s3card.open_s3_destinations``).
            if key_refused(index, _own_keys_too_long(root_url) or _key_too_long(backend, target)):
                continue  # nothing stored there: no probe, no lookup
            # After its session token is refused once, no request more (a card's too).
            store.stop_after_token_refusal()
            store.stop_once_unreachable()  # a server gone holds no clean-up (s3unreachable)
            store.check()
            store.probe()
            if name_refused(index, backend, target):  # before a lookup: no key, none
                continue
            info = _stat(backend, target)
            if info is not None and info.kind == "folder":  # objects below it: cp's folder
                target = target / source_name
                opened[index] = S3FileTarget(backend, target)
                if name_refused(index, backend, target):
                    continue
                if key_refused(index, _key_too_long(backend, target)):  # its own: above
                    continue
                info = _stat(backend, target)
            if info is not None and existing is ExistingFilePolicy.FAIL:
                raise UsageError(
                    f"destination {display_path(target)} already exists; nothing was written "
                    "(pass --overwrite to replace it)",
                    path=display_path(target),
                )
            named = [display_path(t.target) for i, t in opened.items() if i != index]
            if display_path(target) in named:
                raise UsageError(
                    f"destination {display_path(target)} is named twice; nothing was written"
                )
    except BaseException:
        close_targets(opened)
        raise
    return opened


def _own_keys_too_long(root_url: S3Url) -> str | None:
    """The line refusing a destination when a key offload-ai itself would store under
    *root_url* (the object's folder, named) is longer than S3 takes: naming the longest key
    and what to do; None when they fit."""
    from offload.destinations import s3own_keys

    own = s3own_keys.too_long(s3own_keys.prefix_own_keys(root_url))
    if own is None:
        return None
    return s3own_keys.refusal(str(root_url), root_url.bucket, own)


def _key_too_long(backend: S3Backend, target: Path) -> str | None:
    """The line refusing a destination when the object's own key at *target* is longer
    than S3 takes (a name that has no key is ``name_problem``'s): its length and what to
    do; None when it fits."""
    if backend.name_problem(target.name) is not None:
        return None
    size = key_bytes(backend.key(target))
    if size <= MAX_KEY_BYTES:
        return None
    return (
        f"destination {elided(display_path(target))}: its key would be {size} bytes "
        f"long (S3 keys are at most {MAX_KEY_BYTES} bytes): choose a key at least "
        f"{size - MAX_KEY_BYTES} bytes shorter"
    )


def _refuse(message: str, index: int) -> NoReturn:
    from offload.plan.codes import PreflightCode, PreflightItem

    item = PreflightItem(PreflightCode.PATH_TOO_LONG, None, message, index)
    raise PreflightRefused(message, errors=[item.as_dict()])


def _check_name(backend: S3Backend, target: Path) -> None:
    """Refuse (UsageError, nothing written) a target whose name no S3 key can be (not
    UTF-8, too long: ``S3Backend.name_problem``), in its words."""
    problem = backend.name_problem(target.name)
    if problem is not None:
        raise UsageError(f"destination {display_path(target)}: {problem}; nothing was written")


def _stat(backend: S3Backend, target: Path) -> EntryInfo | None:
    try:
        return backend.stat(target)
    except OSError as exc:
        raise UsageError(
            f"destination {display_path(target)}: cannot be looked up "
            f"({exc.strerror or exc}); nothing was written"
        ) from None


def stop_on(targets: Mapping[int, S3FileTarget], cancel: CancelToken) -> None:
    """Make the targets' stores stop their own long steps (``S3Destination.cancelled``: a
    multipart copy, a confirming read, a wait for the file's digests) once *cancel* is."""
    for item in targets.values():
        item.backend.store.cancelled = lambda: cancel.cancelled


def say_not_answering(targets: Mapping[int, S3FileTarget], sink: EventSink | None) -> None:
    """From now on, each target's bucket answering none of its requests while they are
    retried says so on *sink* (``events.DestinationNotAnswering``, as a card's:
    ``s3card.say_not_answering``); None: no more (the job over)."""
    from offload.destinations.s3card import say_not_answering as say

    say({index: item.backend for index, item in targets.items()}, sink)


def close_targets(targets: Mapping[int, S3FileTarget]) -> None:
    for item in targets.values():
        item.backend.close()


def left_behind_notes(targets: Mapping[int, S3FileTarget]) -> list[str]:
    """One warning for each target's store that may have left objects, versions or
    unfinished multipart uploads in the bucket (``S3Destination.left_behind``: an abort or a
    delete that failed), naming each with why and the command that removes it
    (``s3card.left_behind_notes``, as a card's report words it; no JSON report lists them
    here); none otherwise. Asked once the job is over and the targets closed."""
    from offload.destinations.s3card import left_behind_notes as notes_of

    stores = list(dict.fromkeys(item.backend.store for item in targets.values()))
    return [note for store in stores for note in notes_of(store, in_report=False)]


__all__ = ["S3FileTarget", "close_targets", "left_behind_notes", "open_s3_file_targets", "stop_on"]
