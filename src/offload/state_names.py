"""The names of offload-ai's own state on a copy root, and the ledger's words a reader of
its entries needs, without the ledger itself.

A module of its own so that what only reads these names (the card release of the report
worker's HTML and PDF, ``report/release.py``) needs none of the ledger's writer and its
file operations (``fs/ops.py`` and ctypes: ~2 ms of the report worker's start-up;
docs/performance.md, "Fixed cost: twenty-seventh pass"). ``offload.ledger`` exports them
too.
"""

STATE_FOLDER = ".offload"
#: ``<copy root>/.offload/<this>``: the record of an ASC MHL generation being committed, until
#: the chain lists it (``manifest.unchained_own``); here so that the sweep of a dead run's
#: temporaries (``card._remove_stale_temps``) names it without loading the manifests' modules.
GENERATION_RECORD_NAME = "ascmhl-generation.json"
# Our own state on a destination, partials of an interrupted run, and the piece of a partial's
# name fusefat leaves as a folder entry of its own (``naming.is_partial_leftover``) are never
# card content; the manifests carry the unanchored ones, so ``ascmhl verify`` hides them too.
TOOL_IGNORE_PATTERNS = (f"/{STATE_FOLDER}/", ".offload-partial.*", ".offload-part")
# The read-backs that went through a cache (results.CacheBypass values): the only ones an
# entry records, under its ``cache_bypass`` key.
THROUGH_A_CACHE = frozenset({"none", "server"})
