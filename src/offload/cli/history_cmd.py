"""``offload history``: past offloads from the local report store, newest first.

Reads the JSON job reports in the local report folder (``--report-dir``, default as for
``offload copy``); a file that is not one of our reports, or cannot be read, is listed with
the reason instead of stopping the listing. Never writes.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from offload.cli.common import Environment, default_report_dir

_SCHEMA_PREFIX = "offload-ai/job-report/"


@dataclass
class HistoryEntry:
    """One past offload as its JSON report states it."""

    report: str
    started: str | None
    source: str | None
    card: str | None
    destinations: list[str]
    result: str
    exit_code: int | None
    verify: str | None
    files: int | None
    html: str | None = None
    pdf: str | None = None
    error: str | None = None


def add_history_parser(commands: argparse._SubParsersAction[Any]) -> None:
    history = commands.add_parser(
        "history",
        allow_abbrev=False,
        help="list past offloads from the local report store, newest first",
        description="List past offloads (date, card, destinations, result, exit code, "
        "report path) from the local JSON reports, newest first.",
        epilog="Exit codes: 0 listed (also when there is none yet); 64 usage error.",
    )
    history.add_argument("--json", action="store_true", help="print the list as JSON")
    history.add_argument(
        "--report-dir",
        type=Path,
        default=None,
        help=f"the local report folder (default {default_report_dir()})",
    )
    history.add_argument(
        "-n", "--limit", type=int, default=None, metavar="N", help="only the newest N offloads"
    )


def read_history(folder: Path) -> list[HistoryEntry]:
    """Every job report in *folder*, newest first (by the start time the report states,
    then by name). Never raises for a missing folder (an empty list)."""
    try:
        paths = sorted(folder.glob("*.json"))
    except OSError:
        return []
    entries = [_entry(path) for path in paths]
    entries.sort(key=lambda e: (e.started or "", e.report), reverse=True)
    return entries


def _entry(path: Path) -> HistoryEntry:
    base = HistoryEntry(str(path), None, None, None, [], "unreadable", None, None, None)
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, ValueError) as exc:
        base.error = f"cannot read {path}: {exc}"
        return base
    if not isinstance(data, dict) or not str(data.get("schema", "")).startswith(_SCHEMA_PREFIX):
        base.result, base.error = "not a report", f"{path} is not an offload-ai job report"
        return base
    code = data.get("exit_code")
    source = data.get("source")
    html, pdf = path.with_suffix(".html"), path.with_suffix(".pdf")
    return HistoryEntry(
        report=str(path),
        started=data.get("started"),
        source=source,
        card=(data.get("production") or {}).get("reel") or (Path(source).name if source else None),
        destinations=[d.get("copy_root") or d.get("path") for d in data.get("destinations", [])],
        result=_result(data),
        exit_code=code if isinstance(code, int) else None,
        verify=data.get("verify"),
        files=(data.get("totals") or {}).get("files"),
        html=str(html) if html.exists() else None,
        pdf=str(pdf) if pdf.exists() else None,
    )


def _result(data: dict[str, Any]) -> str:
    """What the run proved, from its exit code and the states of its copies (never from
    the ``--verify`` asked alone: a re-run may read nothing back, trusting every copy)."""
    code = data.get("exit_code")
    if data.get("cancelled") or code == 130:
        return "cancelled"
    if code == 1:
        return "partly failed"
    if code != 0:
        return "failed"
    counts = (data.get("totals") or {}).get("results")
    if not isinstance(counts, dict):  # not a report of ours as we know it: what it asked
        return "transfer-checked" if data.get("verify") == "transfer" else "verified"
    now, earlier = counts.get("verified") or 0, counts.get("verified_earlier") or 0
    if counts.get("transfer_checked") or (earlier and _trusted_transfer_checks(data)):
        return "transfer-checked"  # the weakest proof of the run names it
    if earlier and now:
        return "verified, partly earlier"
    if earlier:
        return "verified earlier"
    return "verified" if now else "nothing copied"


def _trusted_transfer_checks(data: dict[str, Any]) -> bool:
    """A report written before a copy trusted from a transfer check had its own status
    counted it ``verified_earlier`` with ``verified_mode`` "transfer": never read back."""
    return any(
        d.get("status") == "verified_earlier" and d.get("verified_mode") == "transfer"
        for file in data.get("files") or []
        for d in file.get("destinations") or []
    )


def cmd_history(args: argparse.Namespace, env: Environment) -> int:
    folder = args.report_dir or default_report_dir()
    entries = read_history(folder)
    if args.limit is not None:
        entries = entries[: max(args.limit, 0)]
    if args.json:
        print(json.dumps([asdict(e) for e in entries], ensure_ascii=False), file=env.stdout)
        return 0
    if not entries:
        print(f"No offload reports in {folder} yet.", file=env.stdout)
        return 0
    console = Console(file=env.stdout, width=None if env.stdout.isatty() else 160)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, title=f"Offloads in {folder}")
    for column in ("started (UTC)", "card", "destinations", "result", "exit", "report"):
        table.add_column(column, overflow="fold")
    for entry in entries:
        table.add_row(
            (entry.started or "?").replace("T", " ").rstrip("Z"),
            entry.card or "?",
            "\n".join(entry.destinations),
            entry.result,
            "" if entry.exit_code is None else str(entry.exit_code),
            "\n".join(p for p in (entry.report, entry.html, entry.pdf) if p),
        )
    console.print(table)
    return 0
