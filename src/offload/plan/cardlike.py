"""Does a folder look like a camera card? (A second card given by mistake as a destination.)

The signs are the folder layouts cameras write at the root of their media, and a card's own
ASC MHL history at the root without offload-ai's state beside it (a copy root of ours has
``.offload/`` next to its ``ascmhl/``). Looks at a handful of names at the root only: cheap,
and never wrong about a folder holding our own copies.
"""

from __future__ import annotations

import os
from pathlib import Path

# (path below the root, what writes it): one is enough.
CARD_SIGNS: tuple[tuple[str, str], ...] = (
    ("DCIM", "DCIM/ (stills and video cameras, drones, action cameras)"),
    ("PRIVATE/M4ROOT", "PRIVATE/M4ROOT/ (Sony XAVC)"),
    ("PRIVATE/XDROOT", "PRIVATE/XDROOT/ (Sony XDCAM)"),
    ("XDROOT", "XDROOT/ (Sony XDCAM)"),
    ("PRIVATE/AVCHD", "PRIVATE/AVCHD/ (AVCHD cameras)"),
    ("CONTENTS/CLIPS001", "CONTENTS/CLIPS001/ (Canon Cinema EOS, XF)"),
    ("CONTENTS/VIDEO", "CONTENTS/VIDEO/ (Panasonic P2)"),
    ("LASTCLIP.TXT", "LASTCLIP.TXT (Panasonic P2)"),
    ("MEDIAPRO.XML", "MEDIAPRO.XML (Sony SxS/XQD)"),
)


def camera_card_sign(folder: Path) -> str | None:
    """What makes *folder* look like a camera card's root, or None. Never raises (a folder
    that cannot be listed is not called a card)."""
    for relative, what in CARD_SIGNS:
        if os.path.lexists(folder / relative):
            return what
    try:
        names = os.listdir(folder)
    except OSError:
        return None
    red = next((n for n in names if n.upper().endswith(".RDM")), None)
    if red is not None:
        return f"{red}/ (RED magazine)"
    if "ascmhl" in names and ".offload" not in names:
        return "an ASC MHL history (ascmhl/) at its root that offload-ai did not write there"
    return None
