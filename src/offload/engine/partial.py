"""Partial-file names, for the modules that import them from here (card layer, verify).

The names live in ``offload.destinations.naming``; the partial file itself is the
destination backend's (``offload.destinations.local.LocalPartial``).
"""

from __future__ import annotations

from offload.destinations.naming import (
    PARTIAL_NAME_OVERHEAD,
    PARTIAL_PREFIX,
    is_partial_name,
    keep_both_name,
    partial_name,
)

__all__ = [
    "PARTIAL_NAME_OVERHEAD",
    "PARTIAL_PREFIX",
    "is_partial_name",
    "keep_both_name",
    "partial_name",
]
