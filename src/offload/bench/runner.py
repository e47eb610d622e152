"""Runs the cases: contenders take turns, every run prepared the same way, results kept raw.

For each case and repetition, each available contender runs once, in rotated order
(A B C, B C A, ...). Before every run: new destination folders (``outputs.RunFolders``:
nothing deleted in them moments before), ``sync``, put the source in the case's state
(cold: its pages evicted; warm: read once), then sleep ``sleep_s`` (measured: freed RAM is
slow to reuse for a few seconds). The timing covers the contender's whole job and a final
``sync``. After the timing the copies are checked (every file there, with its size), then
emptied (their bytes freed, their inodes kept until the bench ends). Results are written to
``results.json`` after every run, so an interrupted run keeps what it measured.
"""

from __future__ import annotations

import compileall
import contextlib
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import offload
from offload.bench.contenders import Contender, RunContext, find_tools
from offload.bench.data import Dataset, ensure_dataset
from offload.bench.outputs import RunFolders
from offload.bench.plan import BenchConfig, Case
from offload.bench.s3 import peer_versions, s3_service
from offload.bench.stats import rotation
from offload.bench.system import (
    GNU_TIME,
    TREE_INTERVAL_S,
    CommandError,
    Spawner,
    can_drop_caches,
    disk_io_bytes,
    evict,
    load_average,
    memory_available_kib,
    pause,
    sync,
    warm,
)

Log = Callable[[str], None]


@dataclass
class RunRecord:
    """One measured run of one contender."""

    case: str
    contender: str
    repetition: int
    position: int  # its place in this repetition's order
    ok: bool
    wall_s: float
    peak_rss_kib: int
    commands: int
    load_before: float
    load_after: float
    error: str | None = None
    extra: dict[str, object] = field(default_factory=dict)


@dataclass
class ContenderInfo:
    name: str
    group: str
    ours: bool
    description: str
    fsync: bool
    verifies: str
    destinations: int
    unavailable: str | None = None


@dataclass
class CaseInfo:
    id: str
    section: str
    title: str
    dataset: str
    files: int
    total_bytes: int
    destinations: int
    source_state: str
    contenders: list[ContenderInfo]
    references: dict[str, str]
    x_values: dict[str, int]
    x_label: str


@dataclass
class Results:
    """Everything a run measured; ``results.json`` is ``asdict`` of this."""

    started_at: str
    config: dict[str, object]
    machine: dict[str, object]
    cases: list[CaseInfo] = field(default_factory=list)
    runs: list[RunRecord] = field(default_factory=list)
    finished_at: str | None = None
    # Numbers derived from the runs by the report (the S3 section's medians and ratios).
    summaries: dict[str, object] = field(default_factory=dict)

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=1, default=str))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> Results:
        raw = json.loads(path.read_text())
        cases = [
            CaseInfo(**{**c, "contenders": [ContenderInfo(**i) for i in c["contenders"]]})
            for c in raw["cases"]
        ]
        runs = [RunRecord(**r) for r in raw["runs"]]
        return cls(
            started_at=raw["started_at"],
            config=raw["config"],
            machine=raw["machine"],
            cases=cases,
            runs=runs,
            finished_at=raw.get("finished_at"),
            summaries=raw.get("summaries", {}),
        )


def snapshot_code(target: Path) -> dict[str, object]:
    """Copy the ``offload`` package being measured to *target*/offload; describe its version.

    Other people may change the working tree while a long run goes on: every measured run
    imports this copy (through PYTHONPATH), so one run measures one version of the engine.
    """
    package = Path(offload.__file__).parent
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(package, target / "offload", ignore=shutil.ignore_patterns("__pycache__"))
    # Byte-compile now: otherwise the first measured run of each entry point pays for it.
    compileall.compile_dir(target / "offload", quiet=1)
    info: dict[str, object] = {"source": str(package)}
    try:
        git = ["git", "-C", str(package)]
        info["commit"] = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip()
        info["changed_files"] = subprocess.run(
            [*git, "status", "--porcelain", "--", "."], capture_output=True, text=True, check=False
        ).stdout.splitlines()
    except OSError:
        pass
    return info


def machine_info() -> dict[str, object]:
    """What the numbers depend on: cores, memory, kernel, disk, who else is busy."""
    info: dict[str, object] = {
        "cpus": os.cpu_count(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "memory_available_kib": memory_available_kib(),
        "load_average": os.getloadavg(),
        "root": os.geteuid() == 0,
        "can_drop_caches": can_drop_caches(),
        "peak_rss_by": ("GNU time %M" if os.access(GNU_TIME, os.X_OK) else "wait4 of the child")
        + ", or the process tree's resident sets summed every "
        f"{TREE_INTERVAL_S * 1000:.0f} ms when larger",
        # offload copy's reports probe every clip with PyAV when it is installed (up to the
        # probe budget): part of its fixed cost on a card of many clips.
        "media_probe": importlib.util.find_spec("av") is not None,
    }
    try:
        info["git_commit"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        pass
    return info


class Runner:
    """Runs a list of cases into a results folder. Single-threaded; blocks until done."""

    def __init__(
        self,
        config: BenchConfig,
        out_dir: Path,
        *,
        log: Log = print,
        note_dir: Path | None = None,
    ) -> None:
        """*note_dir*: where mass deletes are noted and read (``outputs.freed_note``; the
        temporary folder, shared by every bench on the machine, unless given)."""
        self.config = config
        self.out_dir = out_dir
        self.work = out_dir / "work"
        self.folders = RunFolders(self.work, note_dir=note_dir)
        self.log = log
        self.tools = find_tools(config.ocopy, config.aws)
        self.python_env: dict[str, str] | None = None
        self.results = Results(
            started_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            config={k: v for k, v in asdict(config).items()},
            machine={
                **machine_info(),
                "tools": self.tools,
                "tool_versions": peer_versions(self.tools),
            },
        )

    def run(self, cases: list[Case]) -> Results:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        code = self.out_dir / "code"
        self.results.machine["code"] = snapshot_code(code)
        pythonpath = os.pathsep.join(filter(None, [str(code), os.environ.get("PYTHONPATH")]))
        self.python_env = {**os.environ, "PYTHONPATH": pythonpath}
        try:
            self._wait_out_freed_inodes()
            for case in cases:
                self._run_case(case)
        finally:
            self.results.finished_at = time.strftime("%Y-%m-%dT%H:%M:%S%z")
            self.results.save(self.out_dir / "results.json")
            self.folders.remove_all()
        return self.results

    def _wait_out_freed_inodes(self) -> None:
        """A bench that just ended on this filesystem freed its runs' inodes: wait until
        ext4 no longer makes creates walk past them (``outputs``), so no timing pays for
        another bench's clean-up."""
        walks = self.folders.walks_freed_inodes()
        wait = self.folders.wait_left()
        self.results.machine["work_walks_freed_inodes"] = walks
        self.results.machine["waited_for_freed_inodes_s"] = round(wait, 1)
        if wait > 0:
            self.log(f"== waiting {wait:.0f} s: a bench on this disk deleted its copies lately")
            pause(wait)

    def _run_case(self, case: Case) -> None:
        self.log(f"== {case.title}: making data ...")
        dataset = ensure_dataset(case.dataset, self.config.data_dir)
        infos = []
        runnable: dict[str, Contender] = {}
        for contender in case.contenders:
            reason = contender.unavailable(dataset, self.tools)
            infos.append(
                ContenderInfo(
                    name=contender.name,
                    group=contender.group,
                    ours=contender.ours,
                    description=contender.describe(),
                    fsync=contender.does_fsync,
                    verifies=contender.verifies,
                    destinations=contender.destinations or case.destinations,
                    unavailable=reason,
                )
            )
            if reason is None:
                runnable[contender.name] = contender
            else:
                self.log(f"   skipping {contender.name}: {reason}")
        self.results.cases.append(
            CaseInfo(
                id=case.id,
                section=case.section,
                title=case.title,
                dataset=case.dataset.label(),
                files=case.dataset.file_count,
                total_bytes=case.dataset.total_bytes,
                destinations=case.destinations,
                source_state=case.source_state,
                contenders=infos,
                references=dict(case.references),
                x_values=dict(case.x_values),
                x_label=case.x_label,
            )
        )
        for repetition in range(self.config.repetitions):
            for position, name in enumerate(rotation(list(runnable), repetition)):
                record = self._measure(case, dataset, runnable[name], repetition, position)
                self.results.runs.append(record)
                self.results.save(self.out_dir / "results.json")
                status = "ok" if record.ok else f"FAILED: {record.error}"
                self.log(
                    f"   [{repetition + 1}/{self.config.repetitions}] {name:<22} "
                    f"{record.wall_s:8.2f} s  {record.peak_rss_kib / 1024:7.1f} MiB  "
                    f"load {record.load_before:.1f}  {status}"
                )

    def _measure(
        self, case: Case, dataset: Dataset, contender: Contender, repetition: int, position: int
    ) -> RunRecord:
        count = contender.destinations or case.destinations
        # Folders of this run's own: no contender creates files where the bench has just
        # deleted thousands (ext4 without a journal would walk past them; see outputs.py).
        run_folder = self.folders.new()
        destinations = [run_folder / f"dest{i + 1}" for i in range(count)]
        scratch = run_folder / "scratch"
        s3_home = run_folder / "s3"
        for folder in [*destinations, scratch, s3_home]:
            folder.mkdir()
        spawner = Spawner(scratch)
        ctx = RunContext(
            dataset, destinations, spawner, scratch, self.tools, python_env=self.python_env
        )
        load_before = load_average()
        error: str | None = None
        wall = 0.0
        with contextlib.ExitStack() as services:
            try:
                if contender.needs_s3:  # a new server per run, before the pause
                    ctx.s3 = services.enter_context(s3_service(s3_home))
                sync()
                if case.source_state == "warm":
                    warm(dataset.paths())
                else:
                    evict(dataset.paths())
                pause(self.config.sleep_s)
                load_before = load_average()
                server_cpu = ctx.s3.server.cpu_seconds() if ctx.s3 else None
                disk_before = disk_io_bytes(self.work)
                started = time.perf_counter()
                try:
                    contender.run(ctx)
                    sync()
                finally:
                    wall = time.perf_counter() - started
                _record_disk(ctx, disk_before, disk_io_bytes(self.work))
                if ctx.s3 is not None:
                    _record_server(ctx, server_cpu)
                error = check_copies(ctx) or contender.check(ctx)
            except (CommandError, OSError, ValueError, RuntimeError) as exc:
                error = str(exc)
        # Processes the commands left running (offload copy's report worker that answered):
        # waited for now, after the clock, their CPU counted in cpu_s (system.py).
        spawner.reap_descendants()
        # CPU time is steadier than wall time on a shared machine: kept for every run.
        ctx.extra["cpu_s"] = round(spawner.cpu_s, 3)
        if spawner.descendants_reaped:
            ctx.extra["descendants_cpu_s"] = round(spawner.descendants_cpu_s, 3)
        if spawner.unreaped:  # killed and still not ended (a dead FUSE mount): left, named
            ctx.extra["unreaped_pids"] = list(spawner.unreaped)
        record = RunRecord(
            case=case.id,
            contender=contender.name,
            repetition=repetition,
            position=position,
            ok=error is None,
            wall_s=wall,
            peak_rss_kib=spawner.peak_rss_kib,
            commands=spawner.commands,
            load_before=load_before,
            load_after=load_average(),
            error=error,
            extra=dict(ctx.extra),
        )
        self.folders.retire(run_folder)
        return record


def _record_disk(
    ctx: RunContext, before: tuple[int, int] | None, after: tuple[int, int] | None
) -> None:
    """What the data disk read and wrote during the timing, in the run's extra: how many
    bytes a contender really moved (a copy with full verification moves the card's bytes
    several times over), and so how close it came to the disk's own speed. The device's
    counters include other users of the disk (said in docs/performance.md)."""
    if before is None or after is None:
        return
    ctx.extra["disk_read_bytes"] = after[0] - before[0]
    ctx.extra["disk_written_bytes"] = after[1] - before[1]


def _record_server(ctx: RunContext, cpu_before: float | None) -> None:
    """The S3 server's CPU seconds during the timing and its peak RSS (the server is new for
    the run, so its high-water mark is this run's), in the run's extra."""
    assert ctx.s3 is not None
    cpu_after = ctx.s3.server.cpu_seconds()
    if cpu_before is not None and cpu_after is not None:
        ctx.extra["server_cpu_s"] = round(cpu_after - cpu_before, 3)
    peak = ctx.s3.server.peak_rss_kib()
    if peak is not None:
        ctx.extra["server_peak_rss_kib"] = peak


def check_copies(ctx: RunContext) -> str | None:
    """None if every destination holds every file with the source's size; else what is wrong."""
    sizes = ctx.dataset.sizes()
    for destination in ctx.destinations:
        for target, size in zip(ctx.targets(destination), sizes, strict=True):
            try:
                actual = target.stat().st_size
            except OSError as exc:
                return f"missing copy {target}: {exc.strerror}"
            if actual != size:
                return f"{target} has {actual} bytes, expected {size}"
    return None
