"""``offload copy --dry-run``: what an offload would do, from its plan, writing nothing.

The plan already holds every decision (``card.plan_offload``: the ledger first, then the
existing files, then the preflight); this module only sorts and prints them. The one thing
it adds is what the engine would decide at the last moment: a file of another size already
at the final name is refused (default), replaced, or kept beside the new copy.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rich import filesize

from offload.card import OffloadPlan
from offload.cli.common import Environment
from offload.destinations.s3url import display_path
from offload.existing import CheckKind
from offload.options import ExistingFilePolicy

_LISTED = 10  # names shown per group on a terminal; --json lists them all

_CHECK_WHY = {
    CheckKind.ADOPT: "already there with the same size: read back and compared with the "
    "source, adopted if equal",
    CheckKind.UPGRADE: "recorded by an earlier run with a weaker check: read back to verify",
    CheckKind.REVERIFY: "verified earlier: read back again (--reverify)",
}


@dataclass
class DestinationDryRun:
    index: int
    copy_root: str
    copy: list[str] = field(default_factory=list)
    copy_bytes: int = 0
    verified_earlier: list[str] = field(default_factory=list)
    read_back: list[tuple[str, str]] = field(default_factory=list)  # (path, why)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (path, why)
    free_bytes: int | None = None

    @property
    def free_after_bytes(self) -> int | None:
        return None if self.free_bytes is None else self.free_bytes - self.copy_bytes


def dry_run(plan: OffloadPlan) -> list[DestinationDryRun]:
    """Per destination: what would be copied, trusted, read back and refused."""
    policy = plan.options.copy.existing
    out = [DestinationDryRun(p.index, display_path(p.root)) for p in plan.plans]
    for found in plan.preflight.destinations:
        out[found.index].free_bytes = found.free_bytes
    for task in plan.tasks:
        relative = task.source.relative_path
        for preset in task.preset:
            out[preset.destination_index].verified_earlier.append(relative)
        for index, target in enumerate(task.targets):
            if target is None:
                continue
            item = out[index]
            if os.path.lexists(target) and policy is ExistingFilePolicy.FAIL:
                item.refused.append(
                    (
                        relative,
                        f"{target} already exists with other content "
                        "(--overwrite replaces it once verified, --keep-both keeps both)",
                    )
                )
                continue
            item.copy.append(relative)
            item.copy_bytes += task.source.size_bytes
    for check in plan.checks:
        relative = plan.tasks[check.task_index].source.relative_path
        out[check.destination_index].read_back.append((relative, _CHECK_WHY[check.kind]))
    return out


def print_dry_run(plan: OffloadPlan, env: Environment, *, as_json: bool) -> int:
    """Print the dry run (text on stderr like the rest of the human output, or JSON on
    stdout); returns exit code 0 (a refusal of the whole offload raised UsageError in the
    planner already)."""
    results = dry_run(plan)
    if as_json:
        print(json.dumps(_as_dict(plan, results), ensure_ascii=False), file=env.stdout)
        return 0
    err = env.stderr
    print(
        f"Dry run, nothing was written: {plan.source}, {plan.tree.file_count} files "
        f"({filesize.decimal(plan.tree.total_bytes)}), {len(plan.tree.ignored)} ignored",
        file=err,
    )
    for item in results:
        free = (
            "free space unknown"
            if item.free_bytes is None
            else f"{filesize.decimal(item.free_bytes)} free, "
            f"{filesize.decimal(max(item.free_after_bytes or 0, 0))} left after the copy"
        )
        print(f"\n{item.copy_root} ({free})", file=err)
        _group(err, f"would copy ({filesize.decimal(item.copy_bytes)})", item.copy)
        _group(
            err,
            "verified earlier, trusted from the ledger (not copied, not re-read)",
            item.verified_earlier,
        )
        _group(err, "would read back", (f"{p}: {why}" for p, why in item.read_back))
        _group(err, "would be REFUSED", (f"{p}: {why}" for p, why in item.refused))
    for warning in plan.preflight.warnings:
        env.warning(warning.message)
    for path in plan.tree.ignored[:_LISTED]:
        print(f"ignored: {path}", file=err)
    return 0


def _group(stream: Any, title: str, lines: Iterable[str]) -> None:
    items = list(lines)
    print(f"  {len(items)} {title}", file=stream)
    for line in items[:_LISTED]:
        print(f"    {line}", file=stream)
    if len(items) > _LISTED:
        print(f"    ... {len(items) - _LISTED} more (--json lists all)", file=stream)


def _as_dict(plan: OffloadPlan, results: list[DestinationDryRun]) -> dict[str, Any]:
    return {
        "dry_run": True,
        "source": str(plan.source),
        "files": plan.tree.file_count,
        "bytes": plan.tree.total_bytes,
        "ignored": list(plan.tree.ignored),
        "warnings": [w.message for w in plan.preflight.warnings],
        "destinations": [
            {
                "index": item.index,
                "copy_root": item.copy_root,
                "copy": item.copy,
                "copy_bytes": item.copy_bytes,
                "verified_earlier": item.verified_earlier,
                "read_back": [{"path": p, "why": why} for p, why in item.read_back],
                "refused": [{"path": p, "why": why} for p, why in item.refused],
                "free_bytes": item.free_bytes,
                "free_after_bytes": item.free_after_bytes,
            }
            for item in results
        ],
    }
