"""The endings of a sound recorder's takes (Broadcast WAV).

One list for the card signs (``plan.cardlike``: takes at the root of a FAT or exFAT volume
are a sound card) and the card release (``report.release``: a sound report beside its
takes). Outside the ``plan`` package so that the report worker never loads the copy's
planning.
"""

from __future__ import annotations

# Written at the root of the media by most recorders (Zoom, Tascam, Sound Devices without
# its SOUNDDEV/ folder: S01T01_1.WAV, ZOOM0001.WAV), under names that vary by maker.
RECORDING_ENDINGS = (".WAV", ".BWF")
