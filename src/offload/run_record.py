"""The copy root's record of the last offload that wrote to it: ``.offload/last-run.json``.

Why: a copy root whose offload never finished (killed, a power cut, a Ctrl-C) holds a ledger
of the files it verified before it stopped, and maybe no ASC MHL history; a check against
those records alone (``offload verify``) read every file they name, found them all OK and
passed, "0 missing", while card files no record names were never copied there. Nothing else
in the copy root tells such a run from a finished one: the ledger vouches file by file, the
stamp of complete manifests (``manifest_stamp``) is an optimisation that a ``--mhl none``
run never writes, and leftover partials are removed by the next run, cancelled or not.

Contract:

* :func:`mark_started` is called by each ``offload copy`` once it holds a copy root's lock,
  before it writes anything else there (``card.run_offload``): the record says ``running``,
  with the run's token and start. It is written whole under a temporary name, fsynced,
  renamed and its folder fsynced before the call returns, so that any later write of the
  run that a power cut keeps (a ledger entry is fsynced) is preceded by a kept record.
* :func:`settle` is called once the run's copy of that root is over, lock still held:
  ``finished`` where the run reached the end of that root's copy uncancelled
  (``OffloadReport.finished``: its links, folders, manifests and folder times attempted; a
  step of them that failed the run itself reports, and leaves no card file missing), and
  every card file of the job is there; ``failed`` where it ended there but card files
  failed there (a card read error, a write or read-back that failed: the record names them);
  ``cancelled`` otherwise. Written the same way. A run killed or cut off before it settles
  leaves ``running``.
* :func:`unfinished` is what ``offload verify`` asks: the words of its ``INCOMPLETE`` line
  where the record says the last offload did not finish (``running``, ``cancelled``,
  ``failed``: the line names the files not copied, or a
  record that cannot be read as one: never a pass on a record it cannot read), None where
  it finished or there is no record (a copy root an older version wrote, a copy made by
  another tool: no claim either way, as before).
* Best effort for the writer: a record that cannot be written (a drive that refuses writes
  fails its copy anyway) is not a reason to stop the offload; without it, the check says
  nothing of the run, as before.

A later offload of the same root (the same command run again) replaces the record: it starts
``running`` and settles ``finished`` once that run is done, which is when the copy root is
complete again. Each record names its ``source`` (the card's path as given); where the record
replaced said an offload of the same source finished, ``mark_started`` notes ``previous:
finished`` and a *cancelled* run that changed nothing there (``card._changed_nothing``) settles
``finished`` again; a *killed* one leaves ``running``, the conservative answer. A cascade's fast
copy roots are settled once their copy is finished in the card's pass, before the cascade.
Local copy roots only: an ``s3://`` copy root has no such record (its check says nothing of
an unfinished run).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

from offload.fs.ops import fsync_dir
from offload.state_names import STATE_FOLDER

RUN_RECORD_NAME = "last-run.json"
RUNNING = "running"
FINISHED = "finished"
CANCELLED = "cancelled"
#: The run ended there, but card files failed there (a card read error, a write or read-back
#: that failed: ``failed`` names them; ``steps``, end steps that failed, is read but not written).
FAILED = "failed"
#: How many of the failed files the ``INCOMPLETE`` line names (the record keeps them all).
NAMED_FILES = 5

#: The line ``offload verify`` prints (and its reports keep) for a copy root whose last
#: offload did not finish, before its own words of how it ended.
INCOMPLETE = "INCOMPLETE"


class RunRecord(NamedTuple):
    """The record as read: its state (``RUNNING``, ``FINISHED``, ``CANCELLED``, or ``""``
    for a record that cannot be read as one) and when its run started (UTC, as written)."""

    state: str
    started: str = ""
    failed: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()


def record_path(root: Path) -> Path:
    """Where the record of the copy root *root* is."""
    return root / STATE_FOLDER / RUN_RECORD_NAME


def _utc(when: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))


def _write(root: Path, body: Mapping[str, object]) -> None:
    """*body* as the record of *root*, atomically and durably (module doc). Raises OSError."""
    final = record_path(root)
    # The temporary's name is ``manifest.atomic.temp_name``'s (a dot, the final name, the
    # pid, a token, ``.partial``): a killed writer's is swept by the next run's
    # ``card._remove_stale_temps`` as the stamp's is. Not imported: that module loads hashlib,
    # which an offload does not need before its job.
    temp = final.with_name(f".{RUN_RECORD_NAME}.{os.getpid()}.{os.urandom(4).hex()}.partial")
    data = json.dumps(body, sort_keys=True).encode()
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
    try:
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, final)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
    fsync_dir(final.parent)


def mark_started(roots: Iterable[Path], run: str, started: float, source: str) -> set[Path]:
    """Record in each of *roots* that the offload *run* (its token) of *source* (the card's
    path as given) started at *started* (``time.time()``) and writes there: ``running``
    (module doc). A root whose record cannot be written is left as it is. Returns the roots
    whose record said, before, that an offload of the same *source* finished there
    (``previous``: see :func:`settle`'s *kept*)."""
    kept = set()
    for root in roots:
        body = {"state": RUNNING, "run": run, "started": _utc(started), "source": source}
        if _finished_from(root, source):
            body["previous"] = FINISHED
            kept.add(root)
        try:
            _write(root, body)
        except OSError:
            kept.discard(root)
    return kept


def _finished_from(root: Path, source: str) -> bool:
    """Whether the record of *root* says an offload of *source* finished there."""
    try:
        body = json.loads(record_path(root).read_bytes())
    except (OSError, ValueError):
        return False
    return isinstance(body, dict) and body.get("state") == FINISHED and body.get("source") == source


def settle(
    root: Path,
    run: str,
    started: float,
    state: str,
    *,
    source: str = "",
    failed: Iterable[str] = (),
    steps: Iterable[str] = (),
) -> None:
    """Record that the offload *run* that started at *started* ended on *root* in *state*
    (``FINISHED``, ``FAILED`` with the card files that *failed* there, card-relative, and
    the end *steps* that failed, or ``CANCELLED``). Left as it is where it cannot be
    written."""
    body: dict[str, object] = {
        "state": state,
        "run": run,
        "started": _utc(started),
        "settled": _utc(time.time()),
        "source": source,
    }
    if state == FAILED:
        body["failed"] = list(failed)
        body["steps"] = list(steps)
    try:
        _write(root, body)
    except OSError:
        pass


def read(root: Path) -> RunRecord | None:
    """The record of *root*; None where there is none (or its folder cannot be looked at:
    no claim then). A record that cannot be read or parsed is ``RunRecord("")``."""
    try:
        data = record_path(root).read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError:
        return RunRecord("")
    try:
        body = json.loads(data)
    except ValueError:
        return RunRecord("")
    if not isinstance(body, dict):
        return RunRecord("")
    state, started = body.get("state"), body.get("started")
    return RunRecord(
        state if isinstance(state, str) else "",
        started if isinstance(started, str) else "",
        _strings(body.get("failed")),
        _strings(body.get("steps")),
    )


def _strings(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(v for v in value if isinstance(v, str))


def unfinished(root: Path) -> str | None:
    """The words of ``offload verify``'s ``INCOMPLETE`` line for the copy root *root* whose
    last offload did not finish; None where it finished or nothing records it (module doc)."""
    record = read(root)
    if record is None or record.state == FINISHED:
        return None
    when = (
        f" (started {record.started.replace('T', ' ').rstrip('Z')} UTC)" if record.started else ""
    )
    if record.state == CANCELLED:
        how = f"the offload that wrote this copy{when} was cancelled before it finished"
    elif record.state == FAILED:
        how = f"the offload that wrote this copy{when} ended with " + _failures(record)
    elif record.state == RUNNING:
        how = (
            f"the offload that wrote this copy{when} did not finish (killed, a power cut, stopped)"
        )
    else:
        how = (
            f"the record of the offload that wrote this copy ({STATE_FOLDER}/"
            f"{RUN_RECORD_NAME}) cannot be read: it may not have finished"
        )
    if record.state == FAILED and record.failed and not record.steps:
        return f"{INCOMPLETE}: {how}: run the same `offload copy` again"
    return (
        f"{INCOMPLETE}: {how}: card files no record names may be missing here; run the "
        "same `offload copy` again"
    )


def _failures(record: RunRecord) -> str:
    """What failed, in words: the card files not copied here (the first ``NAMED_FILES``)
    and the end steps that failed."""
    parts = []
    if record.failed:
        named = ", ".join(record.failed[:NAMED_FILES])
        more = len(record.failed) - NAMED_FILES
        count = len(record.failed)
        parts.append(
            f"{count} card file{'' if count == 1 else 's'} not copied here ({named}"
            + (f" and {more} more" if more > 0 else "")
            + ")"
        )
    if record.steps:
        parts.append(f"its {', '.join(record.steps)} step failed")
    return " and ".join(parts) or "a failure"
