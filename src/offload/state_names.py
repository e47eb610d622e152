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
# card content; the manifests carry the unanchored ones, so ``ascmhl-debug verify`` hides them too.
# So is the preflight's write probe (``preflight.paths._probe_write``), which a run killed in
# the instant between its create and its delete leaves (the next run's start sweeps it).
PROBE_PREFIX = ".offload-probe-"
TOOL_IGNORE_PATTERNS = (
    f"/{STATE_FOLDER}/",
    ".offload-partial.*",
    ".offload-part",
    f"{PROBE_PREFIX}*",
)
# Why a source's root folder named like our state folder is left out when it holds no
# ledger (``card.ignored_with_reasons``): not known to be ours, maybe the card's own content;
# left out all the same (every copy root needs that name), so it keeps the card, named in
# the format line (``report.release.foreign_state``).
FOREIGN_STATE_REASON = (
    f"/{STATE_FOLDER}/: a folder named like offload-ai's state folder that holds no "
    "offload-ai ledger (ledger.jsonl): not known to be offload-ai's state, maybe the card's "
    "own content; left out, as every copy root needs that name for its own state"
)
# The reason of that folder when the scan could not tell whether it holds a ledger (its
# ``lstat`` failed otherwise than "no such file": a share that dropped, EIO): never "holds
# none" (``source_copy_root``); it keeps the card too (``report.release.foreign_state``).
UNREAD_STATE_REASON = (
    f"/{STATE_FOLDER}/: a folder named like offload-ai's state folder whose ledger "
    "(ledger.jsonl) could not be looked at when the source was read: not known to be "
    "offload-ai's state; left out, as every copy root needs that name for its own state"
)
# The read-backs that went through a cache (results.CacheBypass values): the only ones an
# entry records, under its ``cache_bypass`` key.
THROUGH_A_CACHE = frozenset({"none", "server"})
