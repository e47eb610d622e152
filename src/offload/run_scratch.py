"""A run's scratch folder under ``$TMPDIR`` that a run killed (SIGKILL, a power cut) would
leave forever: locked for the run's life, and those of runs that ended swept before one is
made.

The folders: an ``s3://`` copy root's ASC MHL history staged for its manifest step
(``offload-s3-mhl-``: ``s3card.write_s3_manifests``) and ``offload verify s3://``'s local
view of the objects (``offload-s3-verify-``: ``s3verify``). Each is made as the cascade's is
and judged by the cascade's rule (``cascade_staging``: a lock file naming the run,
``lock.process_identity``, its exclusive ``flock`` held while the run lives; a folder is a
dead run's when its lock can be taken, or where no lock can be asked its run is provably
over; another host's never; one without a lock file only after a week; none changed in the
last minute). Only the folders of the prefix being made are swept (one kind a run, as the
cascade sweeps its own). Never raises for the sweep: a folder that cannot be looked at or
removed is left as it is.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

MHL_PREFIX = "offload-s3-mhl-"
VERIFY_PREFIX = "offload-s3-verify-"


@contextmanager
def scratch(prefix: str) -> Iterator[Path]:
    """A fresh folder ``$TMPDIR/<prefix>XXXXXXXX``, locked for this run where the
    filesystem lets it (its lock file naming this run either way), removed on leaving;
    the folders of *prefix* that runs which ended left swept first (module doc)."""
    from offload.cascade_staging import LOCK
    from offload.lock import process_identity

    sweep(prefix)
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        fd = os.open(os.path.join(folder, LOCK), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            with suppress(OSError):  # (unnamed, a folder is judged by its flock alone)
                os.write(fd, json.dumps(process_identity()).encode("utf-8"))
            with suppress(OSError):  # no lock here (ENOLCK, EOPNOTSUPP): the body judges
                fcntl.flock(fd, fcntl.LOCK_EX)
            yield Path(folder)
        finally:
            os.close(fd)


def sweep(prefix: str, parent: str | None = None) -> None:
    """Remove the folders ``<prefix>*`` under *parent* (the temporary folder) of runs that
    ended (``cascade_staging``'s rule). Never raises."""
    from offload.cascade_staging import _dead

    parent = parent or tempfile.gettempdir()
    try:
        names = [n for n in os.listdir(parent) if n.startswith(prefix)]
    except OSError:
        return
    for name in names:
        folder = os.path.join(parent, name)
        try:
            if _dead(folder):
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue
