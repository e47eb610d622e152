"""The cascade's scratch folder: ``$TMPDIR/offload-cascade-XXXXXXXX``.

The cascade keeps there what the slow destinations still need from the card once it is
released (a snapshot of its ASC MHL history, ``cascade._snapshot_history``); the folder is
removed at the cascade's end. A run killed (SIGKILL, a power cut) cannot remove it, so each
cascade first removes those of runs that ended: ``run_scratch``'s folder and rule, the one
for every run's scratch folder (a lock file naming the run, its ``flock`` held while the run
lives; another host's never removed; one without a lock file only after a week)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from offload import run_scratch
from offload.run_scratch import LOCK as LOCK

PREFIX = "offload-cascade-"


@contextmanager
def staging() -> Iterator[Path]:
    """A fresh empty scratch folder, locked for this run, removed on leaving; dead runs'
    folders swept first (``run_scratch.scratch``)."""
    with run_scratch.scratch(PREFIX) as folder:
        yield folder


def sweep(parent: str | None = None) -> None:
    """Remove the scratch folders under *parent* (the temporary folder) of runs that ended
    (``run_scratch.dead``). Never raises."""
    run_scratch.sweep(PREFIX, parent)
