"""The names offload-ai itself gives its files under a copy root, at their longest: for the
preflight to refuse a copy root (local or ``s3://``) whose own files would not fit its
names' limits before the first byte is copied (else the card's files are copied, then the
ASC MHL and the reports refused for their names: ENAMETOOLONG, no manifest).

Every name is made by the function that makes it for the copy (no second copy of a naming
rule), each variable part at its widest:

* named after the copy root (its folder's name), only for the manifests the run writes
  (``ManifestOptions.writes_ascmhl``, ``writes_legacy``: one rule for a local copy root
  and an S3 one, ``s3own_keys``): an ASC MHL generation (``layout.generation_file_name``,
  sequence number 9,999: the 4 digits the name is written with) and the chain;
* named after the card (``plan.names.report_name``): the reports
  (``job_report.report_basename_for``, numbered up to ``MAX_REPORT_NUMBER``, each of
  ``REPORT_SUFFIXES``) under ``.offload/reports/``;
* on a local copy root, the fixed names of ``.offload/``: the ledger, the lock, the
  cascade's unsettled mark and the manifests' stamp (``manifests-complete.json``, the
  longest; the cascade's card-pass record and the carried history's record, shorter, are
  not imported for it: their modules are not the preflight's).

* named after the copy root too, when the run writes one (``--mhl legacy`` or ``both``): a
  legacy MHL at the copy root (``legacy_names.legacy_name_at``), counted as the legacy
  writer would name it with one name of its second already there (``_2``, one earlier run
  of the copy root finished in the same second: runs of a copy root hold its lock in
  turn, each writes at most one legacy MHL there); ``_2`` to ``_9`` are as wide, so it
  holds for up to 8 such names; a tenth in one second (``_10``) would be 1 byte longer,
  not counted. 4 bytes shorter than a generation's name for the same root name, which it
  outgrows with ``--mhl legacy`` alone (no generation written, none counted).

A single file copied (``offload copy CARD/CLIPS/A001.mov DEST``) has the destination for
its copy root, and its reports are named after the file: the same names, asked with
those.

Not counted: a legacy MHL's ASCII form of a root name that is not ASCII, written where
only ASCII names are (fusefat: ``legacy.legacy_root_name``).
"""

from __future__ import annotations

import time


def name_part(name: str) -> str:
    """*name* (a card folder's, a copy root's) as a name offload-ai gives its own files holds
    it (an ASC MHL generation, a legacy MHL, the reports, a refused run's record): every
    control character (C0 -- a tab, a line break, a carriage return, ESC, BEL --, DEL and
    C1), line or paragraph separator (U+2028, U+2029), byte that is not UTF-8 (a lone
    surrogate) and character XML cannot hold (U+FFFE, U+FFFF) made ``_``; anything else kept
    (a format character such as U+202E too: the lines and documents that print a name
    escape it, ``errors.CONTROL_ESCAPES``). The one rule of those names: ascmhl (1.2) reads
    a generation's name with a line break as none ("does not conform to naming convention":
    no history at all), and an XML manifest, the chain that lists it, cannot hold the rest.
    The name is informational there (the folder's own name is kept as it is)."""
    if name.isprintable():  # no control, separator nor surrogate: nearly every name
        return name
    return "".join("_" if _not_in_own_name(c) else c for c in name)


def ascmhl_path_problem(path: str) -> str | None:
    """Why ascmhl (1.2) cannot verify a history at the absolute *path* (a copy root's),
    though the history is whole: the path is not UTF-8 (it stops with a UnicodeEncodeError
    as lxml opens a manifest), or holds a line break (its ignore patterns then match nothing
    below it); None where neither. Its words complete "the path ... " (the preflight's
    ``ascmhl-cannot-verify-root`` warning, ``offload verify``'s note)."""
    if path.isprintable():
        return None
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return (
            "is not valid UTF-8, and ascmhl cannot open a manifest at such a path (it stops "
            "with a UnicodeEncodeError)"
        )
    if "\n" in path:
        return (
            "holds a line break, below which ascmhl's ignore patterns match nothing (it "
            "calls the copy's own .offload/ and ascmhl/ files new, exit 21)"
        )
    return None


def _not_in_own_name(char: str) -> bool:
    code = ord(char)
    if code < 0x20 or 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF:
        return True
    return code in (0x2028, 0x2029, 0xFFFE, 0xFFFF)


def root_own_names(root_name: str, *, card_name: str, ascmhl: bool, legacy: bool) -> list[str]:
    """The longest paths, relative to a copy root named *root_name* ("/"-separated),
    offload-ai writes there whatever the destination: the reports of a card whose reports
    are named *card_name*, with *ascmhl* (the run writes an ASC MHL history: not
    ``--mhl none`` or ``legacy``) an ASC MHL generation and the chain, and with *legacy*
    (``--mhl legacy`` or ``both``) a legacy MHL."""
    from offload.ledger import STATE_FOLDER
    from offload.manifest.layout import (
        ASCMHL_FOLDER,
        CHAIN_FILE_NAME,
        GENERATION_TIME_FORMAT,
        generation_name_at,
    )
    from offload.report.report_names import (
        MAX_REPORT_NUMBER,
        REPORT_SUFFIXES,
        numbered_name,
        report_basename_for,
    )

    now = time.time()
    report = numbered_name(report_basename_for(card_name, now), MAX_REPORT_NUMBER)
    names = [f"{STATE_FOLDER}/reports/{report}{suffix}" for suffix in REPORT_SUFFIXES]
    if ascmhl:
        names += [
            f"{ASCMHL_FOLDER}/"
            + generation_name_at(
                9_999, root_name, time.strftime(GENERATION_TIME_FORMAT, time.gmtime(now))
            ),
            f"{ASCMHL_FOLDER}/{CHAIN_FILE_NAME}",
        ]
    if legacy:
        from offload.manifest.legacy_names import LEGACY_TIME_FORMAT, legacy_name_at

        finished = time.strftime(LEGACY_TIME_FORMAT, time.gmtime(now))
        # numbered 2: one earlier legacy MHL of the same second there (module docstring)
        names.append(legacy_name_at(root_name, finished, 2))
    return names


def local_own_names(root_name: str, *, card_name: str, ascmhl: bool, legacy: bool) -> list[str]:
    """``root_own_names`` and the fixed names offload-ai writes in a local copy root's
    ``.offload/`` (relative to the copy root, "/"-separated)."""
    from offload.cascade_unsettled import UNSETTLED
    from offload.ledger import LEDGER_NAME, STATE_FOLDER
    from offload.lock import LOCK_NAME
    from offload.manifest_stamp import STAMP_NAME

    fixed = (LEDGER_NAME, LOCK_NAME, UNSETTLED, STAMP_NAME)
    return [
        *root_own_names(root_name, card_name=card_name, ascmhl=ascmhl, legacy=legacy),
        *(f"{STATE_FOLDER}/{name}" for name in fixed),
    ]


def elided(key: str, *, head: int = 40, tail: int = 80) -> str:
    """*key* for a one-line error: whole if short, else its start and end around ``…``
    (a 1,000-byte key would fill a screen)."""
    if len(key) <= head + tail + 1:
        return key
    return f"{key[:head]}…{key[-tail:]}"
