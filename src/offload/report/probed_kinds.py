"""The kinds of ``card_content`` lines that only the documents' probing finds, in a module
that imports nothing: the command's own process asks whether its JSON must keep them
(``job_report.probed_found``) without loading the documents' modules (``content``, ``media``),
which only its report worker loads."""

from __future__ import annotations

#: A clip the probing found not whole (cut off, no index, no picture decoding).
CLIP_DAMAGED = "clip-damaged"
#: A file named as a clip or an audio take that the probing could not read as media at all.
NOT_READABLE = "not-readable-as-media"

#: The kinds of ``card_content`` lines that only the probing finds: each keeps its files.
PROBED_KINDS = (NOT_READABLE, CLIP_DAMAGED)
