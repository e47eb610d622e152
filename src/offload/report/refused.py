"""A refused offload's record: what ``offload history`` lists of an ``offload copy`` refused
before its copy (exit 64), which writes no job report.

    record = refused_record(source=..., destinations=[...], started=..., message=...,
                            exit_code=64, codes=[...], reel=None)
    write_refused_record(local_report_dir, record, started, parents=False) -> "" or why not

A DIT's history of a day should show the attempt that was refused (no room on the shuttle,
another run writing to that folder, the card absent) beside the offloads that ran: without
it, the listing read as if the card had not been tried. The record names the source and
destinations as given, when, the exit code and the refusal's own words (the ``ERROR:`` line,
and the preflight's codes when the preflight refused it, ``copy-root-busy`` when another
run's lock did, ``CopyRootBusy.errors``), and ``--reel`` where it was given
(``offload history`` names the card by it, as a job report's); it claims nothing of any copy,
for none was made. It goes in the ``refused/`` folder of the local report folder (one small
JSON file, ``<card folder's name>_<start>Z.json`` named as the run's job reports would be,
``plan.names.report_name``: the folder's name, not ``--reel``, as the report folder's
filesystem takes it, ``plan.names.own_name_in``: each character it refuses as ``_`` on
exFAT, NTFS, FAT or an SMB/CIFS share, in ASCII where it takes no other; never over
another; a card part too long for a name cut and marked with a hash, ``record_base``),
not beside the job reports: a script that takes the newest ``*.json`` there as a run's job
report still does.
That folder is made as the report folder is, never more: a named report folder
(``--report-dir``, ``$OFFLOAD_REPORT_DIR``) only where the folder it goes in exists (a
report drive unmounted since the run began is never made again on the disk below), the
default one with its parents; then ``refused/`` in it.

An offload cancelled by Ctrl-C before its copy started (while it loaded, scanned, checked or
planned: no job report either) is recorded the same way, its exit code 130, its message the
``ERROR:`` line's (``cli.offload._record_cancel``), listed by ``offload history`` as cancelled
before the copy, not as refused.

Only refusals of the planning, its preflight and another run's lock (``CopyRootBusy``) are
recorded (``cmd_copy``): not a mistyped option or argument (the parser's, or one refused
later, ``--progress-trace``'s file), not ``--dry-run``'s, not a report folder that
cannot be used (there is nowhere to record it). The record is written after the refusal's
line is known and before it is printed; one that cannot be written costs the refusal
nothing (its exit code and line stay), and a ``WARNING:`` line says so.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from offload.report.started import record_head

#: The schema a refused record states (``schema``), as the job and verify reports state theirs.
REFUSED_SCHEMA = "offload-ai/refused-offload/1"

#: The folder of the local report folder the records go in.
REFUSED_FOLDER = "refused"


def refused_record(
    *,
    source: str,
    destinations: Sequence[str],
    started: float,
    message: str,
    exit_code: int,
    codes: Sequence[str] = (),
    reel: str | None = None,
) -> dict[str, Any]:
    """The record of an offload of *source* to *destinations* (as given: an ``s3://`` URL
    as typed) refused at *started* (seconds since the epoch) with *message* (the refusal's
    ``ERROR:`` text), *exit_code* (the refusal's, 64), the preflight's error *codes*
    (``copy-root-busy`` for another run's lock; none for another refusal) and the run's
    ``--reel`` (None without one)."""
    return {
        **record_head(REFUSED_SCHEMA, source, destinations, started, reel),
        "exit_code": exit_code,
        "message": message,
        "codes": list(codes),
    }


def write_refused_record(
    folder: Path, record: dict[str, Any], started: float, *, parents: bool = False
) -> str:
    """Write *record* into *folder*'s ``refused/`` under ``<report name>_<started>Z.json``
    (*started*: the record's start, seconds since the epoch), never over a file there
    (``_2``, ``_3``... after it). *folder* is made if missing only where the folder it goes
    in exists (*parents*: with the folders above it, for the default report folder), then
    ``refused/`` in it. Returns "" once written, else why not, in words (an OSError: a
    folder gone, a full drive, a folder that cannot be written, a file at ``refused``).
    Never raises for I/O."""
    from offload.fs.ops import make_folder_durable, make_folders_durable
    from offload.json_text import dumps
    from offload.manifest.atomic import write_file_atomically
    from offload.plan.names import report_name
    from offload.report.report_names import numbered_name

    target = folder / REFUSED_FOLDER
    # Named as the run's job reports would be (``plan.names.report_name``): the card
    # folder's name as the folder's filesystem takes it (``own_name_in``: a character it
    # refuses as ``_``, ASCII where it takes no other, fusefat); cut to fit.
    base = record_base(report_name(str(record["source"]), [folder]), started)
    data = (dumps(record, indent=1) + "\n").encode("utf-8")
    try:
        if parents:
            make_folders_durable(target)
        else:
            make_folder_durable(folder)
            make_folder_durable(target)
        for number in range(1, _MAX_RECORD + 1):
            name = numbered_name(base, number)
            try:
                write_file_atomically(target / f"{name}.json", data, replace=False)
            except FileExistsError:
                continue
            return ""
        return f"every name from {base}.json on is taken in {target}"
    except OSError as exc:
        from offload.errors import describe_os_error, printable_name

        return f"cannot write into {printable_name(str(target))}: {describe_os_error(exc)}"


#: The highest number a record's name takes (``numbered_name``): ``write_refused_record``
#: tries 1 (no number) to this.
_MAX_RECORD = 999


def record_base(card: str, started: float) -> str:
    """The name of a refused record before its number and ``.json``: ``<card>_<start>Z``
    (``report_names.report_basename_for``, *started* in seconds since the epoch), the
    card's part (*card*, ``plan.names.report_name``) cut where the name, at its widest
    (``_999.json``) and under the temporary name it is written to first
    (``atomic.widest_temp_name``), would pass ``plan.names.NAME_MAX_BYTES`` (255; a
    filesystem that counts UTF-16 units, exFAT, meets it too: a unit is one byte of UTF-8
    at least), and ``~`` and 8 hex digits of the
    SHA-256 of the whole part put after the cut (two long card names that start alike keep
    names of their own). The record itself names the card whole (``source``); its file's
    name is for a reader of the folder. Without the cut a card refused for its folder's
    name (240 bytes: its reports' names too long) could not be recorded either
    (ENAMETOOLONG), and ``offload history`` would not list the refusal."""
    import os

    from offload.manifest.atomic import widest_temp_name
    from offload.plan.names import NAME_MAX_BYTES
    from offload.report.report_names import numbered_name, report_basename_for

    whole = report_basename_for(card, started)
    widest = widest_temp_name(f"{numbered_name(whole, _MAX_RECORD)}.json")
    over = len(os.fsencode(widest)) - NAME_MAX_BYTES
    if over <= 0:
        return whole
    import hashlib

    tail = whole[len(card) :]  # _<start>Z
    encoded = os.fsencode(card)
    mark = "~" + hashlib.sha256(encoded).hexdigest()[:8]
    kept: bytes = encoded[: max(0, len(encoded) - over - len(mark))]
    # A character cut in two, or a byte that is not UTF-8 (never left by report_name), dropped.
    return f"{kept.decode('utf-8', 'ignore')}{mark}{tail}"


def is_refused_record(data: Any) -> bool:
    """Whether *data* says it is a refused offload's record (not whether it is valid)."""
    return isinstance(data, dict) and str(data.get("schema") or "").startswith(
        REFUSED_SCHEMA.rsplit("/", 1)[0] + "/"
    )


def refused_record_problem(data: Any) -> str | None:
    """What is wrong with *data* as a refused record: the first key of the wrong kind, or
    None."""
    if not is_refused_record(data):
        return "its schema is not offload-ai/refused-offload/*"
    for key, kind in (("started", str), ("source", str), ("message", str), ("exit_code", int)):
        if not isinstance(data.get(key), kind) or isinstance(data.get(key), bool):
            return f"{key} is {json.dumps(data.get(key))}, not a {kind.__name__}"
    unix = data.get("started_unix")  # absent in the records of earlier versions
    if unix is not None and (isinstance(unix, bool) or not isinstance(unix, (int, float))):
        return f"started_unix is {json.dumps(unix)}, not a number"
    if not isinstance(data.get("reel"), (str, type(None))):  # None or absent: no --reel
        return f"reel is {json.dumps(data.get('reel'))}, not a string or null"
    for key in ("destinations", "codes"):
        value = data.get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return f"{key} is {json.dumps(value)}, not a list of strings"
    return None
