"""Turns raw results into a markdown summary (medians, min–max, ratios, targets) and plots.

Everything here works from a ``Results`` object (or a saved ``results.json``), so a report
can be re-rendered without re-running: ``python -m offload.bench --report-only DIR``.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from pathlib import Path

from offload.bench.runner import CaseInfo, Results
from offload.bench.stats import (
    Summary,
    format_ratio,
    format_seconds,
    summarize,
    throughput_mb_s,
)
from offload.options import DEFAULT_CHUNK_SIZE, DEFAULT_QUEUE_DEPTH

# Peers that only copy, in the order the report lists them; the copy target is the fastest.
COPY_PEERS = ("cp", "tee", "rsync -a", "ocopy --dont-verify")
S3_SECTION = "s3"


def times(results: Results, case_id: str, contender: str) -> Summary | None:
    """Summary of the successful runs' wall times of *contender* in *case_id*."""
    return summarize(
        r.wall_s for r in results.runs if r.case == case_id and r.contender == contender and r.ok
    )


def peak_rss_mib(results: Results, case_id: str, contender: str) -> Summary | None:
    return summarize(
        r.peak_rss_kib / 1024
        for r in results.runs
        if r.case == case_id and r.contender == contender and r.ok
    )


def engine_seconds(results: Results, case_id: str, contender: str) -> Summary | None:
    """Summary of the engine's own time (``engine_s``, from its job report) in the runs."""
    values = [
        r.extra["engine_s"]
        for r in results.runs
        if r.case == case_id and r.contender == contender and r.ok and "engine_s" in r.extra
    ]
    return summarize(float(v) for v in values if isinstance(v, int | float))


def extra_values(results: Results, case_id: str, contender: str, key: str) -> Summary | None:
    """Summary of a number the successful runs recorded in ``extra``: ``cpu_s`` (the
    contender's CPU seconds), ``server_cpu_s`` (the S3 server's during the timing),
    ``server_peak_rss_kib``."""
    values = [
        r.extra[key]
        for r in results.runs
        if r.case == case_id and r.contender == contender and r.ok and key in r.extra
    ]
    return summarize(float(v) for v in values if isinstance(v, int | float))


def disk_traffic(results: Results, case_id: str, contenders: list[str]) -> str:
    """What the data disk moved (read + written) in each contender's runs and at what rate
    (medians), e.g. "disk read + written: DIT script 13.0 GB at 0.89 GB/s, ours full 13.0 GB
    at 1.19 GB/s"; "" when no run recorded it. Two contenders moving the same bytes through
    one disk can differ only by how fast they keep it busy."""
    parts = []
    for name in contenders:
        runs = [
            (int(r.extra["disk_read_bytes"]) + int(r.extra["disk_written_bytes"]), r.wall_s)  # type: ignore[call-overload]
            for r in results.runs
            if r.case == case_id
            and r.contender == name
            and r.ok
            and r.wall_s > 0
            and "disk_read_bytes" in r.extra
            and "disk_written_bytes" in r.extra
        ]
        moved = summarize(float(n) for n, _ in runs)
        rate = summarize(n / wall for n, wall in runs)
        if moved is not None and rate is not None:
            parts.append(f"{name} {moved.median / 1e9:.1f} GB at {rate.median / 1e9:.2f} GB/s")
    return f"disk read + written: {', '.join(parts)}" if parts else ""


def failures(results: Results, case_id: str, contender: str) -> int:
    return sum(
        1 for r in results.runs if r.case == case_id and r.contender == contender and not r.ok
    )


def case_table(results: Results, case: CaseInfo) -> str:
    """A markdown table of one case: a row per contender, ratios against the group's ours."""
    lines = [f"### {case.title}", ""]
    with_ratio = bool(case.references)
    head = "| contender | what it does | fsyncs | verifies | median s (min–max) | MB/s |"
    rule = "|---|---|---|---|---|---|"
    if case.x_label == "destinations":
        head += " written MB/s |"
        rule += "---|"
    head += " peak RSS MiB |"
    rule += "---|"
    if with_ratio:
        head += " ours ÷ this (time) |"
        rule += "---|"
    lines += [head, rule]
    for info in case.contenders:
        if info.unavailable is not None:
            lines.append(f"| {info.name} | {info.description} | | | skipped: {info.unavailable} |")
            continue
        summary = times(results, case.id, info.name)
        rss = peak_rss_mib(results, case.id, info.name)
        speed = throughput_mb_s(case.total_bytes, summary.median) if summary else 0.0
        failed = failures(results, case.id, info.name)
        cell = format_seconds(summary) + (f" ({failed} failed)" if failed else "")
        row = (
            f"| {info.name} | {info.description} | {'yes' if info.fsync else 'no'} | "
            f"{info.verifies} | {cell} | {speed:.0f} |"
        )
        if case.x_label == "destinations":
            row += f" {speed * info.destinations:.0f} |"
        row += f" {rss.median:.0f} |" if rss else " n/a |"
        if with_ratio:
            reference = case.references.get(info.group)
            value = None
            if reference is not None and reference != info.name:
                ours = times(results, case.id, reference)
                value = _time_ratio(ours, summary)
            row += f" {format_ratio(value)} |"
        lines.append(row)
    lines.append("")
    if with_ratio:
        refs = ", ".join(f"{group}: {name}" for group, name in case.references.items())
        lines.append(
            f"Ratios are median times, ours ÷ this ({refs}): below 1.00 ours is faster. "
            f"MB/s is the card's bytes ({case.total_bytes / 1e6:.0f} MB) per second."
        )
        lines.append("")
    return "\n".join(lines)


def overview_table(results: Results) -> str:
    """One table over the card cases: a row per contender, per case its median (min–max) and
    the ratio ours ÷ this (its group's reference), then the largest median peak RSS."""
    cards = [c for c in results.cases if c.section in ("large-card", "small-card")]
    if not cards:
        return ""
    names: list[str] = []
    for case in cards:
        names += [c.name for c in case.contenders if c.name not in names]
    head = "| contender |" + "".join(f" {_short_title(c)} s | ours ÷ this |" for c in cards)
    lines = [head + " peak RSS MiB |", "|---|" + "---|---|" * len(cards) + "---|"]
    for name in names:
        row = f"| {name} |"
        peaks = []
        for case in cards:
            info = next((c for c in case.contenders if c.name == name), None)
            summary = times(results, case.id, name) if info else None
            value = None
            if info is not None and summary is not None:
                reference = case.references.get(info.group)
                if reference is not None and reference != name:
                    value = _time_ratio(times(results, case.id, reference), summary)
            rss = peak_rss_mib(results, case.id, name) if info else None
            if rss is not None:
                peaks.append(rss.median)
            cell = format_seconds(summary) if info else "—"
            row += f" {cell} | {format_ratio(value) if value is not None else ''} |"
        row += f" {max(peaks):.0f} |" if peaks else " n/a |"
        lines.append(row)
    return "\n".join(lines) + "\n"


def _short_title(case: CaseInfo) -> str:
    kind = "large card" if case.section == "large-card" else "small card"
    return f"{kind} {case.dataset}, {case.source_state}"


def _time_ratio(ours: Summary | None, theirs: Summary | None) -> float | None:
    if ours is None or theirs is None or theirs.median <= 0:
        return None
    return ours.median / theirs.median


@dataclass(frozen=True)
class TargetResult:
    """One product target: what it asks, what was measured, and whether it is met."""

    target: str
    measured: str
    met: bool | None  # None: not measured in this run


def evaluate_targets(results: Results) -> list[TargetResult]:
    """The product's performance targets, judged on this run's medians."""
    cases = {c.id: c for c in results.cases}
    out: list[TargetResult] = []
    for case_id in ("large-card-cold", "large-card-warm", "small-card-cold"):
        if case_id not in cases:
            continue
        ours = times(results, case_id, "ours transfer")
        peers = {name: times(results, case_id, name) for name in COPY_PEERS}
        measured = {k: v for k, v in peers.items() if v is not None}
        if ours is None or not measured:
            out.append(TargetResult(f"copy phase ≤ fastest peer ({case_id})", "n/a", None))
            continue
        fastest = min(measured, key=lambda k: measured[k].median)
        value = ours.median / measured[fastest].median
        out.append(
            TargetResult(
                f"copy phase (transfer) at least as fast as the fastest of cp, tee, rsync -a, "
                f"ocopy --dont-verify ({case_id})",
                f"ours {ours.median:.1f} s vs {fastest} {measured[fastest].median:.1f} s: "
                f"ours ÷ fastest = {value:.2f}",
                value <= 1.0,
            )
        )
    for case_id in ("large-card-cold", "small-card-cold"):
        if case_id not in cases:
            continue
        full = times(results, case_id, "ours full")
        dit = times(results, case_id, "DIT script")
        ocopy = times(results, case_id, "ocopy (verify)")
        if full is not None and dit is not None:
            speedup = dit.median / full.median
            out.append(
                TargetResult(
                    f"full verification ≥ 1.5× faster than the DIT script ({case_id})",
                    f"DIT {dit.median:.1f} s ÷ ours full {full.median:.1f} s = {speedup:.2f}×",
                    speedup >= 1.5,
                )
            )
        if full is not None and ocopy is not None:
            value = full.median / ocopy.median
            out.append(
                TargetResult(
                    f"full verification ≤ 1.3× ocopy with verification + sync ({case_id})",
                    f"ours full {full.median:.1f} s ÷ ocopy {ocopy.median:.1f} s = {value:.2f}",
                    value <= 1.3,
                )
            )
    for case in results.cases:
        if case.section != "sequential" or case.destinations != 3:
            continue
        parallel = times(results, case.id, "parallel")
        sequential = times(results, case.id, "sequential")
        if parallel is None or sequential is None:
            continue
        speedup = sequential.median / parallel.median
        out.append(
            TargetResult(
                f"parallel ≥ 1.3× sequential, 3 destinations ({case.dataset})",
                f"sequential {sequential.median:.2f} s ÷ parallel {parallel.median:.2f} s "
                f"= {speedup:.2f}×",
                speedup >= 1.3,
            )
        )
    out.extend(_memory_targets(results))
    if "small-card-cold" in cases:
        cp = times(results, "small-card-cold", "cp")
        for name in ("ours transfer", "ours full"):
            ours = times(results, "small-card-cold", name)
            if ours is None or cp is None:
                continue
            value = ours.median / cp.median
            out.append(
                TargetResult(
                    f"small-file card at least as fast as cp -r to each in turn ({name})",
                    f"{name} {ours.median:.1f} s ÷ cp {cp.median:.1f} s = {value:.2f}",
                    value <= 1.0,
                )
            )
    return out


def _memory_targets(results: Results) -> list[TargetResult]:
    """Peak RSS of our engine (3 destinations, default settings) for files of several sizes.

    Below the chunk pool's size a file never touches every buffer, so the target is judged on
    files at least that large: their peaks must agree within 10 % (or 8 MiB).
    """
    pool_bytes = DEFAULT_CHUNK_SIZE * (DEFAULT_QUEUE_DEPTH + 2)
    points: list[tuple[int, str, float]] = []
    for case in results.cases:
        name = None
        if case.section == "sequential" and case.destinations == 3:
            name = "parallel"
        elif case.id == "scaling" and "N=3" in case.x_values:
            name = "N=3"
        rss = peak_rss_mib(results, case.id, name) if name else None
        if rss is not None:
            points.append((case.total_bytes, f"{case.dataset} file", rss.median))
    cards = []
    for case_id, label in (("large-card-cold", "large card"), ("small-card-cold", "small card")):
        rss = peak_rss_mib(results, case_id, "ours full")
        if rss is not None:
            cards.append(f"{label} (offload copy, full) {rss.median:.0f} MiB")
    if not points:
        return []
    points.sort()
    measured = ", ".join([*(f"{label} {mib:.0f} MiB" for _, label, mib in points), *cards])
    big = [mib for size, _, mib in points if size >= pool_bytes]
    met = None
    if len(big) >= 2:
        met = max(big) <= max(min(big) * 1.10, min(big) + 8)
    return [
        TargetResult(
            "peak memory independent of file size (3 destinations; judged on files ≥ the "
            f"{pool_bytes // 2**20} MiB chunk pool)",
            measured,
            met,
        )
    ]


MET = "MET"
NOT_MET = "NOT MET"
NOT_MEASURED = "not measured"
# A time or memory that grows with an exponent up to this between two file counts (log-log
# slope) still counts as linear: the margin is the noise of a shared machine.
LINEAR_EXPONENT = 1.1


@dataclass(frozen=True)
class IssueTarget:
    """One target of issue 14 with its verdict: MET, NOT MET or not measured."""

    target: str
    measured: str
    value: str
    status: str


def judge(value: float | None, limit: float, *, at_least: bool, strict: bool = False) -> str:
    """MET / NOT MET of *value* against *limit* (at least it, or at most it; *strict*: below
    or above it, not equal); ``not measured`` when *value* is None."""
    if value is None:
        return NOT_MEASURED
    if at_least:
        met = value > limit if strict else value >= limit
    else:
        met = value < limit if strict else value <= limit
    return MET if met else NOT_MET


def growth_exponent(points: list[tuple[int, float]]) -> float | None:
    """The steepest log-log slope between consecutive (count, value) points sorted by count:
    1.0 is linear growth, below it sublinear. None with fewer than two usable points."""
    usable = sorted((n, v) for n, v in points if n > 0 and v > 0)
    slopes = [
        math.log(v2 / v1) / math.log(n2 / n1)
        for (n1, v1), (n2, v2) in itertools.pairwise(usable)
        if n2 > n1
    ]
    return max(slopes) if slopes else None


def _missing(results: Results, case_id: str, section: str) -> IssueTarget | None:
    """Why a case's target cannot be judged (None: it can)."""
    return None if any(c.id == case_id for c in results.cases) else _not_run(results, section)


def _not_run(results: Results, section: str) -> IssueTarget:
    only = results.config.get("only")
    left_out = bool(only) and section not in list(only)  # type: ignore[call-overload]
    why = f"section {section} left out by --only" if left_out else f"section {section} not run"
    return IssueTarget("", why, "—", NOT_MEASURED)


def _unmeasured(results: Results, case: CaseInfo, target: str, ours: str) -> IssueTarget:
    """A target without medians: NOT MET when every run of ours failed (a failure is not
    "not measured"), else not measured (a peer failed or was unavailable)."""
    if times(results, case.id, ours) is None and failures(results, case.id, ours):
        return IssueTarget(target, f"{case.dataset}: every run of {ours} failed", "—", NOT_MET)
    return IssueTarget(target, f"{case.dataset}: no successful run", "—", NOT_MEASURED)


def _speedup_row(
    results: Results, case: CaseInfo, target: str, ours: str, theirs: str, limit: float
) -> IssueTarget:
    """theirs' median time ÷ ours' ≥ *limit* on *case*; the measured column adds what the
    data disk moved for each and at what rate, when the runs recorded it (the same bytes
    through one disk: the ratio cannot beat the ratio of the rates)."""
    mine, other = times(results, case.id, ours), times(results, case.id, theirs)
    if mine is None or other is None:
        return _unmeasured(results, case, target, ours)
    speedup = other.median / mine.median
    measured = f"{case.dataset}: {theirs} {other.median:.2f} s ÷ {ours} {mine.median:.2f} s"
    moved = disk_traffic(results, case.id, [theirs, ours])
    return IssueTarget(
        target,
        f"{measured}; {moved}" if moved else measured,
        f"{speedup:.2f}×",
        judge(speedup, limit, at_least=True),
    )


def _case_row(
    results: Results,
    case_id: str,
    section: str,
    target: str,
    ours: str,
    theirs: str,
    limit: float,
) -> IssueTarget:
    missing = _missing(results, case_id, section)
    if missing is not None:
        return IssueTarget(target, missing.measured, missing.value, missing.status)
    case = next(c for c in results.cases if c.id == case_id)
    return _speedup_row(results, case, target, ours, theirs, limit)


def _large_card_row(results: Results, size: int, label: str) -> IssueTarget:
    """Full verification vs the DIT script on a large card of files of *size* bytes; with
    none of that size, the large card closest in size (said in the measured column)."""
    target = f"{label} card, full ≥ 1.5× the honest script"
    cards = [
        c
        for c in results.cases
        if c.section == "large-card"
        and c.files
        and times(results, c.id, "ours full") is not None
        and times(results, c.id, "DIT script") is not None
    ]
    if not cards:
        missing = _not_run(results, "large-card")
        if any(c.section == "large-card" for c in results.cases):
            missing = IssueTarget("", "no successful run", "—", NOT_MEASURED)
        return IssueTarget(target, missing.measured, missing.value, missing.status)
    case = min(cards, key=lambda c: abs(math.log(c.total_bytes / c.files / size)))
    row = _speedup_row(results, case, target, "ours full", "DIT script", 1.5)
    if case.total_bytes // case.files != size:
        row = IssueTarget(
            row.target, f"(not {label}: this run's size) {row.measured}", row.value, row.status
        )
    return row


def _scale_cases(results: Results) -> list[CaseInfo]:
    return sorted((c for c in results.cases if c.section == "scale"), key=lambda c: c.files)


def _scale_rows(results: Results) -> list[IssueTarget]:
    time_target = "50,000 × 1 KB in 50 folders, transfer, 1 destination: ≤ 1.2× `cp -r` + sync"
    rss_target = "50,000 × 1 KB, transfer: peak RSS < 150 MB"
    growth_target = (
        "5,000 → 200,000 files: {} grows no faster than linearly "
        f"(log-log slope ≤ {LINEAR_EXPONENT})"
    )
    targets = [
        time_target,
        rss_target,
        growth_target.format("time"),
        growth_target.format("peak RSS"),
    ]
    cases = _scale_cases(results)
    if not cases:
        missing = _not_run(results, "scale")
        return [IssueTarget(t, missing.measured, "—", NOT_MEASURED) for t in targets]
    wanted = results.config.get("scale_target_count", 50_000)
    case = next((c for c in cases if c.files == wanted), cases[-1])
    note = "" if case.files == wanted else "(not 50,000: this run's largest) "
    rows = []
    ours, cp = times(results, case.id, "ours transfer"), times(results, case.id, "cp")
    if ours is None or cp is None:
        rows.append(_unmeasured(results, case, time_target, "ours transfer"))
    else:
        value = ours.median / cp.median
        rows.append(
            IssueTarget(
                time_target,
                f"{note}{case.dataset}: ours transfer {ours.median:.2f} s ÷ cp {cp.median:.2f} s",
                f"{value:.2f}×",
                judge(value, 1.2, at_least=False),
            )
        )
    rss = peak_rss_mib(results, case.id, "ours transfer")
    if rss is None:
        rows.append(_unmeasured(results, case, rss_target, "ours transfer"))
    else:
        mb = rss.median * 2**20 / 1e6
        rows.append(
            IssueTarget(
                rss_target,
                f"{note}{case.dataset}: ours transfer, median of the runs' peaks",
                f"{mb:.0f} MB",
                judge(mb, 150, at_least=False, strict=True),
            )
        )
    for what, summary_of, unit in (
        ("time", times, "s"),
        ("peak RSS", peak_rss_mib, "MiB"),
    ):
        points = []
        for c in cases:
            summary = summary_of(results, c.id, "ours transfer")
            if summary is not None:
                points.append((c.files, summary.median))
        exponent = growth_exponent(points)
        digits = 2 if unit == "s" else 0
        listed = ", ".join(f"{n:,} files {v:.{digits}f} {unit}" for n, v in points)
        if len(points) >= 2 and points[-1][0] > points[0][0]:
            (n1, v1), (n2, v2) = points[0], points[-1]
            per_file = (v2 - v1) / (n2 - n1)
            listed += (
                f"; {per_file * 1e6:+.0f} µs per extra file"
                if unit == "s"
                else f"; {per_file * 1024:+.1f} KiB per extra file"
            )
        rows.append(
            IssueTarget(
                growth_target.format(what),
                f"ours transfer: {listed or 'no successful run'}",
                "—" if exponent is None else f"slope {exponent:.2f}",
                judge(exponent, LINEAR_EXPONENT, at_least=False),
            )
        )
    return rows


def _fixed_cost_row(results: Results) -> IssueTarget:
    target = "fixed cost of a 200-file card ≤ 0.25 s beyond the data"
    missing = _missing(results, "fixed-cost", "fixed-cost")
    if missing is not None:
        return IssueTarget(target, missing.measured, missing.value, missing.status)
    case = next(c for c in results.cases if c.id == "fixed-cost")
    ours, cp = times(results, case.id, "ours transfer"), times(results, case.id, "cp")
    if ours is None or cp is None:
        return _unmeasured(results, case, target, "ours transfer")
    extra = ours.median - cp.median
    engine = engine_seconds(results, case.id, "ours transfer")
    inside = f" (engine {engine.median:.2f} s of it)" if engine is not None else ""
    return IssueTarget(
        target,
        f"{case.dataset}, 1 destination: ours transfer {ours.median:.2f} s{inside} − cp "
        f"{cp.median:.2f} s",
        f"{extra:+.2f} s",
        judge(extra, 0.25, at_least=False),
    )


def issue_targets(results: Results) -> list[IssueTarget]:
    """Every target of issue 14 ("image sequences and small files at least as fast as cp"),
    judged on this run's medians; a target whose section did not run is ``not measured``."""
    small = "5,000 × 100 KB card"
    return [
        _case_row(
            results,
            "image-sequence-cold",
            "image-sequence",
            "image sequence, transfer ≥ 1.0× `cp -r` + sync",
            "ours transfer",
            "cp",
            1.0,
        ),
        _case_row(
            results,
            "image-sequence-cold",
            "image-sequence",
            "image sequence, full ≥ 1.5× the honest script",
            "ours full",
            "DIT script",
            1.5,
        ),
        _case_row(
            results,
            "small-card-cold",
            "small-card",
            f"{small}, transfer ≥ 1.0× `cp -r` + sync",
            "ours transfer",
            "cp",
            1.0,
        ),
        _case_row(
            results,
            "small-card-cold",
            "small-card",
            f"{small}, full ≥ 1.0× the honest script",
            "ours full",
            "DIT script",
            1.0,
        ),
        _large_card_row(results, 512 * 2**20, "3 × 512 MiB"),
        _large_card_row(results, 2 * 2**30, "3 × 2 GiB"),
        _fixed_cost_row(results),
        *_scale_rows(results),
    ]


def issue_targets_table(results: Results) -> str:
    lines = ["| target | measured (medians) | value | status |", "|---|---|---|---|"]
    for item in issue_targets(results):
        status = item.status if item.status == NOT_MEASURED else f"**{item.status}**"
        lines.append(f"| {item.target} | {item.measured} | {item.value} | {status} |")
    return "\n".join(lines) + "\n"


def targets_table(results: Results) -> str:
    lines = ["| target | measured (medians) | met |", "|---|---|---|"]
    for item in evaluate_targets(results):
        verdict = "n/a" if item.met is None else ("**yes**" if item.met else "**no**")
        lines.append(f"| {item.target} | {item.measured} | {verdict} |")
    return "\n".join(lines) + "\n"


def _range(summary: Summary | None, digits: int = 0) -> dict[str, float] | None:
    if summary is None:
        return None
    return {
        "median": round(summary.median, digits),
        "min": round(summary.minimum, digits),
        "max": round(summary.maximum, digits),
    }


def _mb_s(total_bytes: int, wall: Summary | None) -> Summary | None:
    """Throughput of the card's bytes: the median time's, and the range from the extremes."""
    if wall is None:
        return None
    return Summary(
        throughput_mb_s(total_bytes, wall.median),
        throughput_mb_s(total_bytes, wall.maximum),
        throughput_mb_s(total_bytes, wall.minimum),
        wall.count,
    )


def s3_summary(results: Results) -> dict[str, object] | None:
    """The S3 section (issue 12) in numbers, for results.json: per contender its MB/s of
    card bytes, wall time, peak RSS (GNU time %M), its CPU seconds, the server's CPU seconds
    and peak RSS, medians and min–max; and for each of ours against each peer, the
    throughput ratio (ours ÷ peer MB/s: above 1 ours is faster) and the peak RSS ratio
    (ours ÷ peer). None without the section."""
    case = next((c for c in results.cases if c.section == S3_SECTION), None)
    if case is None:
        return None
    rows: dict[str, dict[str, object]] = {}
    for info in case.contenders:
        wall = times(results, case.id, info.name)
        rows[info.name] = {
            "ours": info.ours,
            "skipped": info.unavailable,
            "runs": wall.count if wall else 0,
            "failed": failures(results, case.id, info.name),
            "mb_s": _range(_mb_s(case.total_bytes, wall), 1),
            "wall_s": _range(wall, 2),
            "peak_rss_mib": _range(peak_rss_mib(results, case.id, info.name)),
            "cpu_s": _range(extra_values(results, case.id, info.name, "cpu_s"), 2),
            "server_cpu_s": _range(extra_values(results, case.id, info.name, "server_cpu_s"), 2),
            "server_peak_rss_mib": _range(_server_rss_mib(results, case.id, info.name)),
        }
    ratios = []
    for ours in (c for c in case.contenders if c.ours):
        for peer in (c for c in case.contenders if not c.ours):
            mine, theirs = times(results, case.id, ours.name), times(results, case.id, peer.name)
            rss_mine = peak_rss_mib(results, case.id, ours.name)
            rss_theirs = peak_rss_mib(results, case.id, peer.name)
            ratios.append(
                {
                    "ours": ours.name,
                    "peer": peer.name,
                    "throughput": None
                    if mine is None or theirs is None
                    else round(theirs.median / mine.median, 2),
                    "peak_rss": None
                    if rss_mine is None or rss_theirs is None
                    else round(rss_mine.median / rss_theirs.median, 2),
                }
            )
    return {
        "case": case.id,
        "card": case.dataset,
        "card_bytes": case.total_bytes,
        "contenders": rows,
        "ratios": ratios,
    }


def _server_rss_mib(results: Results, case_id: str, contender: str) -> Summary | None:
    kib = extra_values(results, case_id, contender, "server_peak_rss_kib")
    if kib is None:
        return None
    return Summary(kib.median / 1024, kib.minimum / 1024, kib.maximum / 1024, kib.count)


def s3_table(results: Results) -> str:
    """The S3 section's two markdown tables (per contender; ours against each peer), or ""."""
    summary = s3_summary(results)
    if summary is None:
        return ""
    rows: dict[str, dict[str, object]] = summary["contenders"]  # type: ignore[assignment]
    lines = [
        f"Card {summary['card']} ({int(summary['card_bytes']) / 1e6:.0f} MB; "  # type: ignore[call-overload]
        "MB/s are its bytes per second of wall time, sync included).",
        "",
        "| contender | MB/s median (min–max) | s median | peak RSS MiB median (min–max) "
        "| CPU s median | server CPU s median | server peak RSS MiB median |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, row in rows.items():
        if row["skipped"] is not None:
            lines.append(f"| {name} | skipped: {row['skipped']} | | | | | |")
            continue
        failed = f" ({row['failed']} failed)" if row["failed"] else ""
        lines.append(
            f"| {name} | {_cell(row['mb_s'], 0)}{failed} | {_median(row['wall_s'], 2)} | "
            f"{_cell(row['peak_rss_mib'], 0)} | {_median(row['cpu_s'], 2)} | "
            f"{_median(row['server_cpu_s'], 2)} | {_median(row['server_peak_rss_mib'], 0)} |"
        )
    lines += [
        "",
        "| ours | peer | throughput ours ÷ peer (above 1: ours faster) | peak RSS ours ÷ peer |",
        "|---|---|---|---|",
    ]
    for ratio_row in summary["ratios"]:  # type: ignore[attr-defined]
        lines.append(
            f"| {ratio_row['ours']} | {ratio_row['peer']} | "
            f"{format_ratio(ratio_row['throughput'])} | {format_ratio(ratio_row['peak_rss'])} |"
        )
    return "\n".join(lines) + "\n"


def _cell(values: object, digits: int) -> str:
    if not isinstance(values, dict):
        return "n/a"
    return f"{values['median']:.{digits}f} ({values['min']:.{digits}f}–{values['max']:.{digits}f})"


def _median(values: object, digits: int) -> str:
    return f"{values['median']:.{digits}f}" if isinstance(values, dict) else "n/a"


def _outputs(machine: dict[str, object]) -> str:
    """How the runs' outputs were made and removed: it decides whether creates paid for
    walking inodes the bench had just freed (journal-less ext4; bench/outputs.py)."""
    waited = machine.get("waited_for_freed_inodes_s")
    if waited is None:  # results of a bench before the run folders
        return "Outputs: the last run's copies were deleted before each run."
    wait = (
        f"waited {waited} s first for a recent mass delete"
        if isinstance(waited, (int, float)) and waited > 0
        else "no wait was needed"
        + (
            ": the work folder's filesystem is not ext4 without a journal"
            if machine.get("work_walks_freed_inodes") is False
            else ""
        )
    )
    return (
        "Outputs: each run wrote into new folders; earlier runs' copies were emptied, not "
        f"deleted, until the end ({wait})."
    )


def markdown(results: Results) -> str:
    """The whole summary: setup, targets, then one table per case."""
    config = results.config
    machine = results.machine
    lines = [
        f"# Benchmark {results.started_at}",
        "",
        f"Machine: {machine.get('cpus')} CPUs, kernel {machine.get('kernel')}, Python "
        f"{machine.get('python')}, commit {machine.get('git_commit', '?')}; load average at "
        f"start {_load(machine)}. Mode: {'quick' if config.get('quick') else 'full'}, "
        f"{config.get('repetitions')} repetitions, {config.get('sleep_s')} s pause before "
        "each run. Every time includes a final `sync`. Clip probing in offload copy's "
        f"reports (PyAV): {_probe(machine)}. {_outputs(machine)}",
        "",
        "## Targets",
        "",
        targets_table(results),
        "## Targets of issue 14 (image sequences and small files)",
        "",
        "Speed-ups are the peer's median time ÷ ours (above 1.00 ours is faster); the fixed "
        "cost is ours − `cp -r` + sync on a 200-file card to one destination. A --quick run "
        "measures smaller data than the targets name: the measured column says what ran.",
        "",
        issue_targets_table(results),
        "## Overview (cards, 3 destinations)",
        "",
        "Median seconds (min–max); ours ÷ this is the ratio of median times against our "
        "contender of the same group (copy: ours transfer, verify: ours full); below 1.00 "
        "ours is faster.",
        "",
        overview_table(results),
        "## Results",
        "",
    ]
    s3 = s3_table(results)
    if s3:
        lines[-2:-2] = [
            "## S3: ours against awscli and rclone (issue 12)",
            "",
            "Each contender copies the card to one local folder and to a bucket of a new local "
            "moto server (started for each run); ratios of medians.",
            "",
            s3,
        ]
    for case in results.cases:
        lines.append(case_table(results, case))
    loads = [r.load_before for r in results.runs]
    if loads:
        lines.append(
            f"Load average (1 min) before the runs: {min(loads):.1f}–{max(loads):.1f} "
            "(2 cores; anything above ~0.5 is other work sharing the machine)."
        )
    return "\n".join(lines) + "\n"


def _probe(machine: dict[str, object]) -> str:
    probe = machine.get("media_probe")
    return "not recorded" if probe is None else ("on" if probe else "off (PyAV not installed)")


def _load(machine: dict[str, object]) -> str:
    load = machine.get("load_average")
    if isinstance(load, list | tuple) and load:
        return f"{float(load[0]):.2f}"
    return "?"


def write_plots(results: Results, out_dir: Path) -> list[Path]:
    """scaling.png and block-size.png (needs matplotlib, the ``bench`` extra); returns paths.

    Returns an empty list when matplotlib is not installed.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    written = []
    for case in results.cases:
        if not case.x_values:
            continue
        names = [c.name for c in case.contenders if c.unavailable is None]
        points = []
        for name in names:
            summary = times(results, case.id, name)
            if summary is not None:
                points.append((case.x_values[name], summary, name))
        if not points:
            continue
        points.sort(key=lambda p: p[0])
        xs = [p[0] for p in points]
        count = {c.name: c.destinations for c in case.contenders}
        mb = case.total_bytes
        fig, ax = plt.subplots(figsize=(7, 4.2))
        med = [throughput_mb_s(mb, p[1].median) for p in points]
        low = [m - throughput_mb_s(mb, p[1].maximum) for m, p in zip(med, points, strict=True)]
        high = [throughput_mb_s(mb, p[1].minimum) - m for m, p in zip(med, points, strict=True)]
        ax.errorbar(xs, med, yerr=[low, high], marker="o", capsize=4, label="source MB/s")
        if case.x_label == "destinations":
            written_mb = [m * count[p[2]] for m, p in zip(med, points, strict=True)]
            ax.plot(xs, written_mb, marker="s", linestyle="--", label="MB/s written (all)")
            ax.set_xticks(xs)
        else:
            ax.set_xscale("log", base=2)
            ax.set_xticks(xs)
            ax.set_xticklabels([p[2] for p in points])
        ax.set_xlabel(case.x_label)
        ax.set_ylabel("MB/s (median, min–max)")
        ax.set_title(case.title, fontsize=10)
        ax.grid(True, alpha=0.3)
        ax.legend()
        fig.tight_layout()
        path = out_dir / f"{case.id}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written


def write_report(results: Results, out_dir: Path) -> list[Path]:
    """summary.md plus the plots in *out_dir*; returns the files written. The derived
    numbers of the S3 section are also stored in results.json (``summaries``)."""
    s3 = s3_summary(results)
    if s3 is not None:
        results.summaries["s3"] = s3
        results.save(out_dir / "results.json")
    summary = out_dir / "summary.md"
    summary.write_text(markdown(results))
    return [summary, *write_plots(results, out_dir)]
