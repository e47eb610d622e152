"""A job report a destination refused, and whether the refusal puts that destination's
copies in doubt (the JSON's ``reports_refused``, read by the card release).

A report is written after every copy was verified. The error writing it says something of
the destination: a name or permission in the way of the reports folder, or a full disk, says
nothing of the copies already read back (the refusal is "in the way"); anything else (the
filesystem remounted read-only by a journal abort, EROFS; EIO; a drive gone, ENOTCONN,
ENODEV, ESTALE; a bucket gone) may mean the disk failed since the copies were read back, so
those copies are in doubt and do not count toward the card's release (report/release.py).
An error with no errno is in doubt too: nothing says it is harmless.
"""

from __future__ import annotations

import errno
from typing import Any

# Errnos that only say the report could not be put where it goes: the copies, verified
# before, are as they were.
IN_THE_WAY = frozenset(
    {
        errno.EEXIST,
        errno.ENOTDIR,
        errno.EISDIR,
        errno.EACCES,
        errno.EPERM,
        errno.ENOSPC,
        errno.EDQUOT,
        errno.ENAMETOOLONG,
    }
)


def refusal_entry(index: int | None, message: str, exc: OSError) -> dict[str, Any]:
    """One ``reports_refused`` entry: the destination *index* (None: a folder not known to be
    a destination's), the *message* also in ``folder_errors``, the error's errno name (None
    when it has none) and ``copies_in_doubt`` (the errno is not one of ``IN_THE_WAY``)."""
    code = exc.errno if isinstance(exc.errno, int) else None
    return {
        "index": index,
        "errno": errno.errorcode.get(code) if code is not None else None,
        "copies_in_doubt": code not in IN_THE_WAY,
        "message": message,
    }
