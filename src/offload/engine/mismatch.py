"""How the engine words a read-back that did not match the source, in one place: the
committer's error (``mismatch_error``) and the reports' reading of it (``is_mismatch``,
``report/loss.py``: such a failure is each its own, its digests never another file's).

Imports nothing: the documents' worker loads it."""

from __future__ import annotations

#: What a read-back that did not match says between its copy and its digests:
#: "PATH on DEVICE does not match the source: xxh64 A read back twice, B read from the
#: source; nothing was kept there, so ...".
MISMATCH_WORDS = " does not match the source: "


#: The one next step after such a read-back (the copy was not kept: a re-run copies it).
#: No ": " in it: the reports take a copy's own words after the last one
#: (``report.loss.error_words``), the digests that keep each mismatch its own.
MISMATCH_NEXT = (
    "; nothing was kept there, so check the drive and its cable, then run the same command "
    "again to copy it again"
)


def mismatch_error(path: object, device: str, algorithm: str, read_back: str, source: str) -> str:
    """The error of the copy *path* on *device* read back twice as *read_back* where the
    source read *source* (digests of *algorithm*), then what to do (``MISMATCH_NEXT``)."""
    return (
        f"{path} on {device}{MISMATCH_WORDS}{algorithm} {read_back} read back twice, "
        f"{source} read from the source{MISMATCH_NEXT}"
    )


def is_mismatch(error: str) -> bool:
    """Whether a copy's *error* is a read-back that did not match the source
    (``mismatch_error``'s words)."""
    return MISMATCH_WORDS in error
