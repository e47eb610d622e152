"""An ASC MHL history whose chain file does not vouch for all of it, as a test arranges it:
a generation's entry removed from ``ascmhl_chain.xml``, its manifest kept (a manifest added
since the chain was written, or its entry removed by hand)."""

from __future__ import annotations

import re
from pathlib import Path


def chain_without(text: str, number: int) -> str:
    """The chain file's *text* without generation *number*'s entry (which must be there)."""
    entry = re.compile(rf'\s*<hashlist sequencenr="{number}">.*?</hashlist>', re.DOTALL)
    assert entry.search(text), text
    return entry.sub("", text, count=1)


def unlisted_note(manifest: Path | str) -> str:
    """What offload-ai says of *manifest* (a path, or an ``s3://`` URL) that the chain does
    not list: the warning's words and the report's note."""
    return (
        f"ASC MHL manifest {manifest} is not listed in ascmhl_chain.xml: no C4 ID vouches for "
        "it (a manifest added since the chain was written, or its chain entry removed); its "
        "records were used all the same, as ascmhl uses them"
    )


def unlist_generation(root: Path, number: int) -> Path:
    """Remove generation *number*'s entry from the chain file of *root*'s history; its
    manifest's path."""
    chain = root / "ascmhl" / "ascmhl_chain.xml"
    chain.write_text(chain_without(chain.read_text(), number))
    (manifest,) = (root / "ascmhl").glob(f"{number:04d}_*.mhl")
    return manifest


def assert_history_whole(root: Path) -> None:
    """*root*'s ascmhl/ (if any) holds no temporary ``.partial`` file and no generation its
    chain file does not list: what a stopped run must leave."""
    history = root / "ascmhl"
    if not history.is_dir():
        return
    names = [path.name for path in history.iterdir()]
    assert not [name for name in names if name.endswith(".partial")], names
    chain = history / "ascmhl_chain.xml"
    listed = set(re.findall(r"<path>(.*?)</path>", chain.read_text())) if chain.exists() else set()
    assert {name for name in names if name.endswith(".mhl")} <= listed, (names, listed)
