"""What ``offload report`` says of an ``offload verify`` report it was given: a check makes
no HTML or PDF (its JSON and CSV are its whole record), and the documents of the copy it
checked are made from the job report of the offload that wrote that copy, named where one
is found.

    verify_report_words(path, data) -> "<path> is an offload verify report: ..."

Looked for by name (a job report is ``<card>_<YYYY-MM-DD_HHMMSS>Z.json``, a verify report
``verify_<copy root>_<stamp>Z.json``) first in the checked copy root's ``.offload/reports/``,
which holds the job reports of the runs into it: one found there is the copy's own, the only
one named. None there (the copy gone, its reports removed): in the verify report's own
folder (the local report folder holds both), a job report named after the checked folder,
worded as such ("check it is this copy's"): two cards of one default name (EOS_DIGITAL, NO
NAME, Untitled) give their reports one name, and the newest of them named another card's
(review of qafix70r, M2). Each
candidate's first bytes must name the job report's schema (never a whole report read: one of
50,000 files is ~30 MB). Before (QA qa70rep L3) the line said "name a saved JSON job report
(offload history lists the report folder's)", and ``offload history`` lists exactly the
verify report: a circle.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from offload.errors import printable_name, shell_word
from offload.report.validate import JOB_SCHEMA_PREFIX

_STAMP = r"_\d{4}-\d\d-\d\d_\d{6}Z(?:_\d+)?\.json"
_VERIFY_NAME = re.compile(rf"verify_(.+){_STAMP}")
_HEAD = 256  # bytes read of a candidate: its schema is the first key written


def verify_report_words(path: Path, data: dict[str, Any]) -> str:
    """The one line refusing *path*, a verify report (*data*, its content), with the job
    report to give instead where one is found, else where to find it. Never raises."""
    shown = printable_name(str(path))
    said = (
        f"{shown} is an offload verify report: a check writes its JSON and CSV reports only, "
        "no HTML or PDF (its CSV lists every file it checked)"
    )
    own = _own_job_report(data)
    if own is not None:
        return (
            f"{said}; the HTML and PDF of the offload that made the copy come from its job "
            f"report: offload report {shell_word(str(own))}"
        )
    named = _named_job_report(path)
    if named is not None:
        return (
            f"{said}; the copy's .offload/reports/ holds no job report, and the HTML and PDF "
            "of the offload that made it may come from a job report named after it (check it "
            f"is this copy's: two cards may share a name): offload report {shell_word(str(named))}"
        )
    return (
        f"{said}; for the HTML and PDF of the offload that made the copy, name its job "
        "report (<card>_<YYYY-MM-DD_HHMMSS>Z.json, not verify_...: in the local report "
        "folder, which offload history lists, and in the copy's .offload/reports/)"
    )


def _own_job_report(data: dict[str, Any]) -> Path | None:
    """The newest job report (by the stamp its name carries) in the ``.offload/reports/``
    of the copy *data* checked: a run into that copy root wrote it there."""
    checked = data.get("path")
    if not isinstance(checked, str) or "://" in checked:
        return None
    found = _job_reports(
        Path(checked) / ".offload" / "reports", re.compile(r"(?!verify_).+" + _STAMP)
    )
    return max(found)[1] if found else None


def _named_job_report(path: Path) -> Path | None:
    """The newest job report beside the verify report *path* named after the folder it
    checked: by name only, perhaps another card's of the same name."""
    matched = _VERIFY_NAME.fullmatch(path.name)
    if matched is None:
        return None
    found = _job_reports(path.parent, re.compile(re.escape(matched.group(1)) + _STAMP))
    return max(found)[1] if found else None


def _job_reports(folder: Path, named: re.Pattern[str]) -> list[tuple[str, Path]]:
    """(stamp, path) of each job report in *folder* whose name *named* matches."""
    try:
        names = os.listdir(folder)
    except (OSError, ValueError):
        return []
    found = []
    for name in names:
        if not named.fullmatch(name):
            continue
        candidate = folder / name
        try:
            with open(candidate, "rb") as file:
                head = file.read(_HEAD)
        except OSError:
            continue
        if f'"schema": "{JOB_SCHEMA_PREFIX}'.encode() in head:
            stamp = re.search(r"\d{4}-\d\d-\d\d_\d{6}Z", name)
            found.append((stamp.group() if stamp else "", candidate))
    return found
