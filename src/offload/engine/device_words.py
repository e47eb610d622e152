"""How a group of destinations on one disk reads back, in words: the ``read_backs`` values
of a ``devices`` entry of the job report and the line that describes one entry.

    describe(entry, names) -> "dest A is on /dev/vda (virtual, virtio, ...): read-backs ..."

A module of its own so that the reports' readers of a job report (the report worker's HTML
and PDF, ``report/content.py``) need none of the grouping itself (``engine/devices.py``,
which loads the options, the hashing registry and the block-device probes: ~4 ms of the
report worker's start-up; docs/performance.md, "Fixed cost: twenty-seventh pass").
``engine/devices.py`` decides the groups and exports these too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

SERIAL = "serial"  # a group's destinations read back one at a time
PARALLEL = "parallel"  # ... all at once


def describe(entry: Mapping[str, Any], names: Sequence[str], *, read_back: bool = True) -> str:
    """One line for a group (``DeviceGroup.as_json`` form; *names* by destination index):
    what was detected and what was chosen, e.g. "dest A and dest B share /dev/sdb
    (rotational, usb): read-backs one at a time (a spinning disk shared by 2 ...)". Without
    *read_back* (``--verify transfer``: no copy of the run is read back), what was detected
    and that its copies are not read back: no words of read-backs that never ran."""
    members = [
        names[i] if i < len(names) else f"destination {i + 1}" for i in entry["destinations"]
    ]
    who = (
        f"{members[0]} is on"
        if len(members) == 1
        else f"{', '.join(members[:-1])} and {members[-1]} share"
    )
    detected = [entry["kind"]]
    if entry.get("transport") and entry["transport"] != "unknown":
        detected.append(str(entry["transport"]))
    if entry["kind"] == "virtual" and entry.get("rotational") is not None:
        detected.append(f"reports rotational={int(entry['rotational'])}")
    if entry.get("source_on_device"):
        detected.append("the source too")
    if not read_back:
        return (
            f"{who} {entry['device']} ({', '.join(detected)}): its copies are not read back "
            "(--verify transfer)"
        )
    how = "one at a time" if entry["read_backs"] == SERIAL else "in parallel"
    return f"{who} {entry['device']} ({', '.join(detected)}): read-backs {how} ({entry['reason']})"
