"""The contenders: our engine and its peers, each doing the same job on the same data.

A contender's ``run`` does the whole job through ``RunContext.spawner`` (every command a
measured child process); the runner times it and then calls ``sync`` inside the timing, so a
peer that does not fsync pays for making its data durable too. What each one does, and why
the comparison is like for like, is in docs/performance.md.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from offload.bench.data import Dataset
from offload.bench.stats import human_size
from offload.bench.system import CommandError, Spawner, drop_all_caches, evict

# Groups decide what is compared with what in the report.
ENGINE = "engine"  # our engine with different settings (sequential/parallel, scaling, block size)
COPY = "copy"  # copy only (+ sync): our transfer mode vs cp, tee, rsync, ocopy --dont-verify
VERIFY = "verify"  # copy + verification: ours destination/full vs ocopy, the DIT script

_XXHSUM_BATCH = 500  # paths per xxhsum call (stays far below ARG_MAX)


@dataclass
class RunContext:
    """What one measured run gets: the data, empty destination folders, a spawner."""

    dataset: Dataset
    destinations: list[Path]
    spawner: Spawner
    scratch: Path
    tools: dict[str, str]
    extra: dict[str, object] = field(default_factory=dict)
    # The environment our engine's processes run in (PYTHONPATH → the run's code snapshot).
    python_env: dict[str, str] | None = None

    def targets(self, destination: Path) -> list[Path]:
        """Where the dataset's files must end up in *destination* (like ``cp -r``)."""
        if self.dataset.spec.kind == "file":
            return [destination / self.dataset.root.name]
        card = destination / self.dataset.root.name
        return [card / name for name in self.dataset.files]


class Contender:
    """One way of doing the job. Subclasses set the class attributes and implement ``run``."""

    group = COPY
    ours = False
    tool: str | None = None  # a program that must be on the machine (name in RunContext.tools)
    file_only = False
    card_only = False
    does_fsync = False
    verifies = "no"

    def __init__(self, name: str, *, destinations: int | None = None) -> None:
        self.name = name
        self.destinations = destinations  # overrides the case's count (scaling)

    def describe(self) -> str:
        raise NotImplementedError

    def unavailable(self, dataset: Dataset, tools: dict[str, str]) -> str | None:
        """Why this contender cannot run here (None: it can)."""
        if self.tool is not None and self.tool not in tools:
            return f"{self.tool} not found"
        if self.file_only and dataset.spec.kind != "file":
            return "copies single files only"
        if self.card_only and dataset.spec.kind != "card":
            return "copies folders only"
        return None

    def run(self, ctx: RunContext) -> None:
        raise NotImplementedError


class OursFile(Contender):
    """Our engine through the library: one file (``copy_with_multiple_destinations``), or
    with ``card=True`` a folder (``offload.card.offload``), with any engine knob."""

    group = ENGINE
    ours = True
    file_only = True
    does_fsync = True

    def __init__(
        self,
        name: str,
        *,
        verify: str = "full",
        parallel: bool = True,
        chunk_size: int | None = None,
        write_call_size: int | None = None,
        queue_depth: int | None = None,
        batch_files: int | None = None,
        destinations: int | None = None,
        group: str = ENGINE,
        card: bool = False,
    ) -> None:
        super().__init__(name, destinations=destinations)
        self.verify = verify
        self.parallel = parallel
        self.chunk_size = chunk_size
        self.write_call_size = write_call_size
        self.queue_depth = queue_depth
        self.batch_files = batch_files
        self.group = group
        self.card = card
        self.file_only = not card
        self.card_only = card
        self.verifies = {"transfer": "no", "destination": "media", "full": "media"}[verify]

    def describe(self) -> str:
        how = "parallel" if self.parallel else "sequential (parallel=False)"
        knobs = [f"verify={self.verify}"]
        if self.chunk_size:
            knobs.append(f"{human_size(self.chunk_size)} blocks")
        if self.queue_depth:
            knobs.append(f"queue depth {self.queue_depth}")
        if self.batch_files:
            knobs.append(f"batches of ≤ {self.batch_files} files")
        what = "offload library (card)" if self.card else f"offload library, {how}"
        return f"{what}, {', '.join(knobs)}"

    def run(self, ctx: RunContext) -> None:
        argv: list[str] = [sys.executable, "-m", "offload.bench.child", "--verify", self.verify]
        if not self.parallel:
            argv.append("--sequential")
        if self.card:
            argv.append("--card")
        for flag, value in (
            ("--chunk-size", self.chunk_size),
            ("--write-call-size", self.write_call_size),
            ("--queue-depth", self.queue_depth),
            ("--batch-files", self.batch_files),
        ):
            if value is not None:
                argv += [flag, str(value)]
        argv.append(str(ctx.dataset.root))
        argv += [str(d) for d in ctx.destinations]
        output = ctx.spawner.run(argv, capture=True, env=ctx.python_env)
        ctx.extra.update(json.loads(output.strip().splitlines()[-1]))


class OursCard(Contender):
    """Our ``offload copy`` command on a card, as a user runs it (reports included)."""

    ours = True
    card_only = True
    does_fsync = True

    def __init__(
        self,
        name: str,
        *,
        verify: str,
        chunk_size: int | None = None,
        group: str = COPY,
    ) -> None:
        super().__init__(name)
        self.verify = verify
        self.chunk_size = chunk_size
        self.group = group
        self.verifies = {"transfer": "no", "destination": "media", "full": "media"}[verify]

    def describe(self) -> str:
        return f"`offload copy --verify {self.verify}`"

    def run(self, ctx: RunContext) -> None:
        argv = [sys.executable, "-m", "offload.cli.offload", "copy", "--quiet"]
        argv += ["--verify", self.verify, "--report-dir", str(ctx.scratch / "reports")]
        if self.chunk_size is not None:
            argv += ["--block-size", str(self.chunk_size)]
        argv.append(str(ctx.dataset.root))
        argv += [str(d) for d in ctx.destinations]
        ctx.spawner.run(argv, env=ctx.python_env)
        engine_s = _report_elapsed(ctx.scratch / "reports")
        if engine_s is not None:
            ctx.extra["engine_s"] = engine_s


def _report_elapsed(folder: Path) -> float | None:
    """The engine's own time (``elapsed_s`` of the JSON job report in *folder*): the run's
    wall time minus it is start-up, scan and reports."""
    try:
        reports = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)
        value = json.loads(reports[-1].read_text()).get("elapsed_s") if reports else None
    except (OSError, ValueError):
        return None
    return float(value) if isinstance(value, int | float) else None


class Cp(Contender):
    """``cp`` (``cp -r`` for a card) to each destination in turn."""

    tool = "cp"

    def describe(self) -> str:
        return "`cp -r` to each destination in turn"

    def run(self, ctx: RunContext) -> None:
        copy_in_turn(ctx)


class Tee(Contender):
    """``tee`` fan-out: one read of each file, written to every destination."""

    tool = "tee"

    def describe(self) -> str:
        return "`tee d1/f d2/f … < f` per file (one read, fan-out)"

    def run(self, ctx: RunContext) -> None:
        sources = ctx.dataset.paths()
        per_destination = [ctx.targets(d) for d in ctx.destinations]
        made: set[Path] = set()
        for index, source in enumerate(sources):
            outputs = [targets[index] for targets in per_destination]
            for output in outputs:
                if output.parent not in made:
                    output.parent.mkdir(parents=True, exist_ok=True)
                    made.add(output.parent)
            ctx.spawner.run([ctx.tools["tee"], *map(str, outputs)], stdin=source)


class Rsync(Contender):
    """``rsync -a`` to each destination in turn."""

    tool = "rsync"

    def describe(self) -> str:
        return "`rsync -a` to each destination in turn"

    def run(self, ctx: RunContext) -> None:
        for destination in ctx.destinations:
            ctx.spawner.run([ctx.tools["rsync"], "-a", str(ctx.dataset.root), f"{destination}/"])


class Ocopy(Contender):
    """o/COPY (PyPI ``ocopy``) with or without its verification."""

    tool = "ocopy"
    card_only = True

    def __init__(self, name: str, *, verify: bool) -> None:
        super().__init__(name)
        self.verify = verify
        self.group = VERIFY if verify else COPY
        self.verifies = "page cache" if verify else "no"

    def describe(self) -> str:
        if self.verify:
            return "`ocopy` (default: re-hash source and copies, ASC MHL)"
        return "`ocopy --dont-verify` (ASC MHL of in-flight hashes)"

    def run(self, ctx: RunContext) -> None:
        flag = "--verify" if self.verify else "--dont-verify"
        argv = [ctx.tools["ocopy"], flag, str(ctx.dataset.root), *map(str, ctx.destinations)]
        ctx.spawner.run(argv)


class DitScript(Contender):
    """The honest script: cp to each, sync, drop the page cache, xxhsum source and copies."""

    group = VERIFY
    tool = "xxhsum"
    verifies = "media"

    def describe(self) -> str:
        return "`cp -r` each, `sync`, drop caches, `xxhsum` source + every copy"

    def run(self, ctx: RunContext) -> None:
        copy_in_turn(ctx)
        ctx.spawner.run(["sync"])
        if not drop_all_caches():  # not root: evict file by file instead
            evict([*ctx.dataset.paths(), *(t for d in ctx.destinations for t in ctx.targets(d))])
            ctx.extra["cache_drop"] = "fadvise"
        reference = xxhsum(ctx, ctx.dataset.paths())
        for destination in ctx.destinations:
            copies = xxhsum(ctx, ctx.targets(destination))
            if copies != reference:
                raise CommandError(f"xxhsum: copies in {destination} differ from the source")


def copy_in_turn(ctx: RunContext) -> None:
    cp = ctx.tools["cp"]
    for destination in ctx.destinations:
        flags = ["-r"] if ctx.dataset.spec.kind == "card" else []
        ctx.spawner.run([cp, *flags, str(ctx.dataset.root), f"{destination}/"])


def xxhsum(ctx: RunContext, paths: Sequence[Path]) -> list[str]:
    """XXH64 of each path, in order, by the xxhsum program."""
    digests: list[str] = []
    for start in range(0, len(paths), _XXHSUM_BATCH):
        batch = [str(p) for p in paths[start : start + _XXHSUM_BATCH]]
        output = ctx.spawner.run([ctx.tools["xxhsum"], "-H1", *batch], capture=True)
        digests += [line.split()[0] for line in output.splitlines() if line.strip()]
    if len(digests) != len(paths):
        raise CommandError(f"xxhsum printed {len(digests)} digests for {len(paths)} files")
    return digests


def find_tools(ocopy: str | None = None) -> dict[str, str]:
    """Paths of the peer programs found on this machine (ocopy: *ocopy*, PATH, or the
    project's ``.test-venvs/ocopy`` next to the current venv)."""
    tools = {}
    for name in ("cp", "tee", "rsync", "xxhsum", "sync"):
        found = shutil.which(name)
        if found:
            tools[name] = found
    candidates = [ocopy] if ocopy else [shutil.which("ocopy"), *_ocopy_venv_candidates()]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            tools["ocopy"] = candidate
            break
    return tools


def _ocopy_venv_candidates() -> list[str]:
    roots = [Path.cwd(), Path(sys.prefix).parent]
    return [str(root / ".test-venvs" / "ocopy" / "bin" / "ocopy") for root in roots]
