"""No ASC MHL generation where nothing of the card is verified: one would record nothing
verified (only folders and ignore patterns) under the ``transfer`` process.

Before, a card folder named like our state (``SUB/.offload``) or a symlink of the card made
the manifests writer skip its "nothing verified here" return: it carried the card's history
there and wrote a generation with no file in it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from offload.manifests_writer import LinkToRecord
from support.manifest_records import write_one_destination


@pytest.mark.parametrize("what", ["state-named folder", "link"])
def test_nothing_verified_writes_no_generation(tmp_path: Path, what: str) -> None:
    root = tmp_path / "RAID" / "A001"
    (root / "SUB" / ".offload").mkdir(parents=True)
    links: tuple[LinkToRecord, ...] = ()
    directories: tuple[str, ...] = ("SUB",)
    if what == "link":
        os.symlink("gone.mov", root / "SUB" / "dangling.mov")
        links = (LinkToRecord("SUB/dangling.mov", "gone.mov"),)
    else:
        directories = ("SUB", "SUB/.offload")
    result = write_one_destination(
        tmp_path,
        root,
        root.parent,
        [],  # every copy of the card failed or was refused there, now and before
        links=links,
        directories=directories,
        anything_new=False,
    )

    assert result.error is None, result.error
    assert result.written == []
    assert not (root / "ascmhl").exists()
