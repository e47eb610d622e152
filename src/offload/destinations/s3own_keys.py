"""The keys offload-ai itself stores under an S3 destination, at their longest: for the
preflight to refuse a prefix that leaves them no room under S3's 1,024-byte keys before the
first byte (a server that takes a longer key, as moto does, would hold what AWS refuses:
the clips uploaded, then the ledger, the ASC MHL and the reports refused).

Every key here is made by the function that makes it for the copy (no second copy of a
naming rule), each variable part at its widest:

* under the URL's prefix (whatever card): an upload record
  (``s3.record_key``: ``.offload/uploads/<40 hex>.json``), a staging object
  (``s3.staging_key_of``), the preflight's probe object and its checksum twin
  (``s3preflight.probe_key``, ``checksum_twin``);
* under the copy root: its lock (``s3lock.lock_key``), a ledger object
  (``s3ledger.ledger_object_name``: a time in nanoseconds, 20 digits, and a serial of at
  least 6 digits, one a batch: at most one a file), and what every copy root holds
  (``offload.own_names.root_own_names``, the one rule of a local copy root's check too:
  the reports; an ASC MHL generation and the chain only when the run writes an ASC MHL
  history, not ``--mhl none`` or ``legacy``, a history past 9,999 generations adding a
  digit; a legacy MHL only with ``--mhl legacy`` or ``both``).
"""

from __future__ import annotations

import time
from typing import NamedTuple

from offload.destinations.s3url import MAX_KEY_BYTES, S3Url, key_bytes
from offload.own_names import elided


class CopyRootOwn(NamedTuple):
    """What the keys offload-ai stores under a copy root depend on, known before the plan
    (``card.py``, for ``s3card.open_s3_destinations``): the copy root's *folder* below the
    prefix ("" for the prefix itself: ``--into``, a single file), the *card_name* its
    reports start with, the card's number of *files*, and the manifests the run writes
    (``ManifestOptions.writes_ascmhl``, ``writes_legacy``)."""

    folder: str
    card_name: str
    files: int
    ascmhl: bool
    legacy: bool


def prefix_own_keys(url: S3Url) -> list[str]:
    """The longest keys offload-ai stores under *url*'s prefix for any card."""
    from offload.destinations.s3 import record_key, staging_key_of
    from offload.destinations.s3preflight import PROBE_TOKEN_BYTES, checksum_twin, probe_key

    return [
        record_key(url, ""),
        staging_key_of(url, ""),
        checksum_twin(probe_key(url, "f" * (2 * PROBE_TOKEN_BYTES))),
    ]


def copy_root_own_keys(
    bucket: str, copy_root_key: str, *, card_name: str, files: int, ascmhl: bool, legacy: bool
) -> list[str]:
    """The longest keys offload-ai stores under the copy root at *copy_root_key* in *bucket*
    for a card of *files* files whose reports are named *card_name*
    (``plan.names.report_name``); with *ascmhl* (the run writes an ASC MHL history:
    ``ManifestOptions.writes_ascmhl``) an ASC MHL generation and the chain, and with
    *legacy* a legacy MHL, whose names carry the copy root's name (the bucket's for a copy
    root at the bucket's top, as ``write_s3_manifests`` names its staging folder)."""
    from offload.destinations.s3ledger import ledger_folder_key, ledger_object_name
    from offload.destinations.s3lock import lock_key
    from offload.own_names import root_own_names

    head = f"{copy_root_key}/" if copy_root_key else ""
    root_name = copy_root_key.rpartition("/")[2] or bucket
    return [
        lock_key(copy_root_key),
        f"{ledger_folder_key(copy_root_key)}/"
        + ledger_object_name(time.time_ns(), max(999_999, files)),
        *(
            head + name
            for name in root_own_names(root_name, card_name=card_name, ascmhl=ascmhl, legacy=legacy)
        ),
    ]


def too_long(keys: list[str]) -> str | None:
    """The longest of *keys* in bytes (the first of those as long) if it is longer than
    S3's ``MAX_KEY_BYTES``, else None."""
    key = max(keys, key=key_bytes)
    return key if key_bytes(key) > MAX_KEY_BYTES else None


def refusal(destination: str, bucket: str, key: str) -> str:
    """The one line refusing the S3 *destination* (its ``s3://`` text) whose longest own
    *key* in *bucket* is too long (``too_long``), with what to do."""
    size = key_bytes(key)
    return (
        f"{elided(destination)}: the prefix is too long for offload-ai's own objects there: "
        f"the longest it would store, {elided(f's3://{bucket}/{key}')}, would be {size} bytes "
        f"long (S3 keys are at most {MAX_KEY_BYTES} bytes): copy to a prefix at least "
        f"{size - MAX_KEY_BYTES} bytes shorter"
    )
