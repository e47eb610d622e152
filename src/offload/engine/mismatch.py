"""How the engine words a read-back that did not match the source, in one place: the
committer's error (``mismatch_error``) and the reports' reading of it (``is_mismatch``,
``report/loss.py``: such a failure is each its own, its digests never another file's).

Imports nothing: the documents' worker loads it."""

from __future__ import annotations

#: What a read-back that did not match says between its copy and its digests:
#: "PATH on DEVICE does not match the source: xxh64 A read back twice, B read from the
#: source; nothing was kept there, so ...".
MISMATCH_WORDS = " does not match the source: "


#: The one next step after such a read-back (the copy was not kept: a re-run copies it), on
#: a drive or share, and on an S3 service (``s3://``), whose bytes went over the network and
#: through whatever stands in between (a proxy, a gateway). No ": " in them: the reports take
#: a copy's own words after the last one (``report.loss.error_words``), the digests that
#: keep each mismatch its own.
MISMATCH_NEXT = (
    "; nothing was kept there, so check the drive and its cable, then run the same command "
    "again to copy it again"
)
MISMATCH_NEXT_S3 = (
    "; nothing was kept there, so check the network to the service, what stands in between "
    "(a proxy, a gateway, a VPN) and the service itself, then run the same command again to "
    "copy it again"
)


def mismatch_error(path: object, device: str, algorithm: str, read_back: str, source: str) -> str:
    """The error of the copy *path* on *device* read back twice as *read_back* where the
    source read *source* (digests of *algorithm*), then what to do (``MISMATCH_NEXT``, or
    ``MISMATCH_NEXT_S3`` for an ``s3://`` *device*)."""
    next_step = MISMATCH_NEXT_S3 if device.startswith("s3://") else MISMATCH_NEXT
    return (
        f"{path} on {device}{MISMATCH_WORDS}{algorithm} {read_back} read back twice, "
        f"{source} read from the source{next_step}"
    )


def is_mismatch(error: str) -> bool:
    """Whether a copy's *error* is a read-back that did not match the source
    (``mismatch_error``'s words)."""
    return MISMATCH_WORDS in error
