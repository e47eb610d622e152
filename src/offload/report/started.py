"""A running offload's start record: what ``offload history`` lists of an ``offload copy``
that was killed (SIGKILL, a power cut, a crash) before its reports were written.

    path, problem = write_start_record(folder, record, parents=...)   # as the copy begins
    remove_start_record(path, durable=...)                           # once its reports are written
    liveness(data) -> RUNNING | UNFINISHED | UNKNOWN                 # ``offload history``

Why: a run that ends writes its job report (a failure, a cancel and Ctrl-C too); a run
killed or cut off by a power cut writes none, and was absent from ``offload history``: a
DIT finding a card whose offload was interrupted overnight could not tell it had been
started at all.

Contract:

* ``offload copy`` writes the record into the local report folder's ``started/`` once every
  copy root's lock is held and before the first file is copied (``cli.offload``'s
  ``on_locked``): the card (its path as given, ``--reel``), the destinations as given, the
  start (``started``, ``started_unix``), the run's token (``run``, ``lock.new_run``: the one
  its lock bodies and copy roots' run records name), this process (``pid``, ``host``,
  ``pid_space``, ``pid_start``: ``lock.process_identity``), the card's identity (``card``,
  ``CardIdentity.key``, "" unknown; absent in the records of earlier versions), its
  ``s3://`` copy roots (``s3_copy_roots``, as its job report's ``copy_root`` names them;
  absent in the records of earlier versions), the patterns its scan leaves entries out by
  (``ignore_patterns``: every one, the defaults, ``--ignore``'s, the card's root
  ``ascmhl/`` and offload-ai's own; absent in the records of earlier versions: ``offload
  history`` takes a later offload that left entries out as finishing this run only where
  each of them is one these patterns leave out too) and its machine
  (``machine``: ``/etc/machine-id``, "" unknown), the local copy roots whose locks it holds
  (``copy_roots``) and ``report``, the name its job report would have had (the card
  folder's name and this record's start, to the second: the job report itself is named at
  the end from the copy's own start, maybe a second later, maybe ``_2``). Written whole
  under a temporary name (a dot, the name, the pid, ``.partial``: never listed), fsynced,
  renamed and the folder fsynced, under the file name ``<run>.json`` (one a run, never over
  another): two fsyncs a run. The folder is made as ``refused/`` is (``report/refused.py``):
  a named report folder only where it exists, the default one with its parents; once made
  it stays (empty between runs), so the next run makes and fsyncs no folder.
  A record that cannot be written costs the run nothing but this: a ``WARNING:`` line says
  the run is not in ``offload history`` until it ends.
* The run removes it once its reports are written (``_reports_and_summary``), whatever its
  outcome (verified, failed, cancelled): its job report then says what it did. A run
  stopped (a second Ctrl-C, SIGTERM) while it writes its reports removes it once its local
  JSON report is written (``cli.offload``'s stop branch), and keeps it where none is. The removal
  is not fsynced where the local job report was written: that report names the run's token
  (its ``run``), and ``offload history`` takes a record whose run has a job report in the
  folder as finished, so a power cut that brings the record back shows nothing false. Where
  the local job report was not written (``durable``) the removal is fsynced: nothing else
  would say the run ended. A run stopped before its reports (a crash, SIGKILL, a power cut)
  leaves it.
* :func:`liveness` says what became of the run a record names, never more than is proved:
  ``RUNNING`` where its process is proved to run now (``lock.body_alive``: this machine's
  process space, the pid's start time the one recorded), or, its start not comparable, the
  lock of one of its copy roots is held by a body naming its run; ``UNFINISHED`` where its
  process is proved over (``lock.body_gone``: the pid gone or given to another process, on
  this machine, in this boot), or where it ran on this machine (same host name and machine
  id) in an earlier boot (a power cut, a reboot: another boot id, and a run started before
  this machine booted; a cloned cart image's host name and machine id are the same, its
  run since this boot is another machine's); ``UNKNOWN`` otherwise (another host's
  record in a shared report folder: "started on HOST, not known to have finished"; a pid of
  this machine that runs with no start to compare and whose run holds no lock). Its copy
  roots' locks free never prove it over: a run releases them before it writes its reports,
  and only then removes its record.
  Cheap: a ``kill(pid, 0)`` and a ``/proc`` read; a copy root's lock is asked only where
  those cannot tell.
* Never a claim of any copy: the record is written before any file is copied, and says
  nothing of what was verified.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

#: The schema a start record states (``schema``).
STARTED_SCHEMA = "offload-ai/started-offload/1"

#: The folder of the local report folder the records go in.
STARTED_FOLDER = "started"

#: What :func:`liveness` says of a record's run.
RUNNING = "running"
UNFINISHED = "unfinished"
UNKNOWN = "unknown"

#: What to do about a run that did not finish: ``offload history``'s advice, text and JSON.
ADVICE = (
    "run the same offload copy again with the card (it copies only what is missing), then "
    "offload verify each destination; nothing of this run is known verified"
)

_MACHINE: list[str] = []


def machine_id() -> str:
    """This machine's id (``/etc/machine-id``, else ``/var/lib/dbus/machine-id``), "" when
    neither reads. Read once a process."""
    if not _MACHINE:
        found = ""
        for where in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
            try:
                with open(where, encoding="ascii") as f:
                    found = f.read().strip()
            except (OSError, ValueError):
                continue
            if found:
                break
        _MACHINE.append(found)
    return _MACHINE[0]


def record_head(
    schema: str,
    source: str,
    destinations: Sequence[str],
    started: float,
    reel: str | None,
) -> dict[str, Any]:
    """The fields a start record and a refusal's record (``refused.refused_record``) both
    begin with, in ``offload history``'s words: *schema*, the run's start *started*
    (seconds since the epoch) to the second and, as a job report's, to the microsecond
    (orders a refusal and an offload of one second), its *source*, ``--reel`` *reel*
    (None without one) and *destinations* as given."""
    return {
        "schema": schema,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "started_unix": round(started, 6),
        "source": source,
        "reel": reel,
        "destinations": list(destinations),
    }


def start_record(
    *,
    source: str,
    destinations: Sequence[str],
    copy_roots: Sequence[str],
    started: float,
    run: str,
    report: str,
    reel: str | None = None,
    card: str = "",
    s3_copy_roots: Sequence[str] = (),
    ignore_patterns: Sequence[str] = (),
) -> dict[str, Any]:
    """The record of the run *run* of *source* to *destinations* (as given), begun at
    *started* (seconds since the epoch), holding the locks of *copy_roots* (local), whose
    job report would be named *report* (its base name), for this process; *card*: the
    card's identity (``CardIdentity.key``, "" unknown), which its job report's ``card``
    states too (``offload history`` takes a later offload for this card's by it);
    *s3_copy_roots*: its ``s3://`` copy roots (``s3://bucket/prefix/CARD``), as its job
    report's ``copy_root`` names them; *ignore_patterns*: every pattern its scan leaves
    entries out by (``IgnoreRules`` syntax; module doc)."""
    from offload.lock import process_identity

    return {
        **record_head(STARTED_SCHEMA, source, destinations, started, reel),
        "card": card,
        "copy_roots": list(copy_roots),
        "s3_copy_roots": list(s3_copy_roots),
        "ignore_patterns": list(ignore_patterns),
        "run": run,
        **process_identity(),
        "machine": machine_id(),
        "report": report,
    }


def write_start_record(
    folder: Path, record: Mapping[str, Any], *, parents: bool = False
) -> tuple[Path | None, str]:
    """Write *record* as ``<folder>/started/<run>.json`` (module doc): (its path, "") once
    written, else (None, why not in words). Never raises for I/O."""
    from offload.fs.ops import make_folder_durable, make_folders_durable
    from offload.fs.whole import write_all
    from offload.json_text import dumps

    target = folder / STARTED_FOLDER
    final = target / f"{record['run']}.json"
    data = (dumps(dict(record), indent=1) + "\n").encode("utf-8", "surrogateescape")
    temp = target / f".{final.name}.{os.getpid()}.{os.urandom(4).hex()}.partial"
    try:
        for attempt in range(3):
            if parents:
                make_folders_durable(target)
            else:
                make_folder_durable(folder)
                make_folder_durable(target)
            try:
                fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
            except FileNotFoundError:
                # The folder taken away between its making and this open (an earlier
                # version's run removed it once empty): made again.
                if attempt == 2:
                    raise
                continue
            break
        try:
            try:
                write_all(fd, data, temp)  # a write of 0 bytes raises, never spins
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
        from offload.fs.ops import fsync_dir

        fsync_dir(target)
    except OSError as exc:
        from offload.errors import describe_os_error, printable_name

        return None, f"cannot write into {printable_name(str(target))}: {describe_os_error(exc)}"
    return final, ""


def remove_start_record(path: Path, *, durable: bool = True) -> str:
    """Remove the record at *path* once its run's reports are written: "" once gone (or
    already gone), else why not in words. The removal fsynced only where *durable* (the
    local job report, which names the run, not written: module doc). Never raises for I/O."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        return ""
    except OSError as exc:
        from offload.errors import describe_os_error, printable_name

        return f"cannot remove {printable_name(str(path))}: {describe_os_error(exc)}"
    if durable:
        # (Not durable: the run's job report names its token, so a power cut that brings the
        # record back shows it finished all the same, ``offload history``.)
        try:
            from offload.fs.ops import fsync_dir

            fsync_dir(path.parent)
        except OSError:
            pass  # gone from the folder's names; a power cut now may bring it back: still true
    try:
        # No empty started/ left in the report folder: scripts and tools that read every
        # entry of a report folder as a report meet none (a folder kept there broke them).
        # Another run's record in it keeps it (ENOTEMPTY); one making it again meanwhile
        # tries again (``write_start_record``). Not fsynced: an empty folder back after a
        # power cut lists nothing.
        os.rmdir(path.parent)
    except OSError:
        pass
    return ""


def is_start_record(data: object) -> bool:
    """Whether *data* (parsed JSON) states the start record's schema."""
    return isinstance(data, dict) and data.get("schema") == STARTED_SCHEMA


def start_record_problem(data: Mapping[str, Any]) -> str | None:
    """What makes *data* (a start record by its schema) not one of the shape written, in
    words; None when it is."""
    for key in ("started", "source", "run", "host"):
        if not isinstance(data.get(key), str):
            return f"its {key!r} is not a string"
    for key in ("destinations", "copy_roots"):
        value = data.get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return f"its {key!r} is not a list of strings"
    pid = data.get("pid")
    if not isinstance(pid, int) or isinstance(pid, bool):
        return "its 'pid' is not a number"
    return None


def liveness(data: Mapping[str, Any]) -> str:
    """What became of the run the start record *data* names (module doc): ``RUNNING``,
    ``UNFINISHED`` or ``UNKNOWN``."""
    from offload.lock import body_alive, body_gone, process_space, same_process_space

    if body_alive(data):
        return RUNNING
    if body_gone(data):
        return UNFINISHED
    host, space = data.get("host"), data.get("pid_space")
    if _earlier_boot(host, space, data.get("machine"), process_space(), data.get("started_unix")):
        return UNFINISHED
    if not same_process_space(host, space):
        return UNKNOWN
    # This machine and boot, its pid running with no start to compare (a record of a
    # /proc that hid it, or none read): a lock its run holds proves it running.
    return _by_locks(data)


def _earlier_boot(
    host: object, space: object, machine: object, own_space: str, started: object
) -> bool:
    """Whether a record's process ran on this very machine (its host name and machine id
    both this one's, the id known) in a boot before this one: its ``pid_space``'s boot id
    another, and the run started (*started*, Unix seconds) before this machine booted
    (``/proc/stat``'s ``btime``): every process of that boot is over. Both are needed: a
    cloned cart image keeps the host name and the machine id, and another boot id alone
    would take a clone's live run in a shared report folder for over; one started since
    this boot is another machine's (not known to have finished). A clone's run begun
    before this machine booted still reads as over: a cloned image should be given its
    own machine id (``systemd-machine-id-setup``)."""
    own_machine = machine_id()
    if not own_machine or machine != own_machine or host != os.uname().nodename:
        return False
    if not isinstance(space, str) or not space or not own_space:
        return False
    if space.partition("/")[0] == own_space.partition("/")[0]:
        return False
    booted = boot_time()
    if booted is None or not isinstance(started, (int, float)) or isinstance(started, bool):
        return False
    return started < booted


_BOOTED: list[float | None] = []


def boot_time() -> float | None:
    """When this machine booted, in Unix seconds (``/proc/stat``'s ``btime``), None when it
    cannot be read. Read once a process."""
    if not _BOOTED:
        found: float | None = None
        try:
            with open("/proc/stat", "rb") as f:
                for line in f:
                    if line.startswith(b"btime "):
                        found = float(line.split()[1])
                        break
        except (OSError, ValueError, IndexError):
            found = None
        _BOOTED.append(found)
    return _BOOTED[0]


def _by_locks(data: Mapping[str, Any]) -> str:
    """``RUNNING`` where a copy root's lock is held by a body naming the record's run, else
    ``UNKNOWN``: a lock free or another run's does not prove the run over (it releases its
    locks before its reports, and removes its record after them)."""
    from offload.lock import CANNOT_ASK, other_holder

    for root in data.get("copy_roots") or []:
        holder = other_holder(str(root))
        if holder and CANNOT_ASK not in holder and holder.get("run") == data.get("run"):
            return RUNNING
    return UNKNOWN
