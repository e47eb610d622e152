"""Scan a source, plan where it goes on each destination, and check it can be done.

The three steps, all free of printing and of copying::

    tree = scan_source(card, ignore=IgnoreRules.default(exclude_root_ascmhl=True))
    plans = plan_destinations(tree, card, [dest_a, dest_b], into=False)
    report = preflight(tree, plans)
    if not report.ok: ...  # report.errors / report.warnings, each with a code and a message
"""

from offload.plan.codes import PreflightCode, PreflightItem
from offload.plan.destination import (
    AbsentFolders,
    DestinationPlan,
    plan_destinations,
    plan_file_targets,
)
from offload.plan.filesystem import (
    FilesystemInfo,
    NameFamily,
    NameRules,
    SpaceInfo,
    detect_filesystem,
    rules_for_fstype,
    statvfs_space,
)
from offload.plan.ignore import DEFAULT_IGNORE_PATTERNS, DEFAULT_IGNORE_REASONS, IgnoreRules
from offload.plan.names import find_collisions, name_problems
from offload.plan.preflight import DestinationCheck, PreflightReport, human_bytes, preflight
from offload.plan.scan import ScanError, SkippedEntry, SourceTree, SpecialKind, scan_source

__all__ = [
    "DEFAULT_IGNORE_PATTERNS",
    "DEFAULT_IGNORE_REASONS",
    "AbsentFolders",
    "DestinationCheck",
    "DestinationPlan",
    "FilesystemInfo",
    "IgnoreRules",
    "NameFamily",
    "NameRules",
    "PreflightCode",
    "PreflightItem",
    "PreflightReport",
    "ScanError",
    "SkippedEntry",
    "SourceTree",
    "SpaceInfo",
    "SpecialKind",
    "detect_filesystem",
    "find_collisions",
    "human_bytes",
    "name_problems",
    "plan_destinations",
    "plan_file_targets",
    "preflight",
    "rules_for_fstype",
    "scan_source",
    "statvfs_space",
]
