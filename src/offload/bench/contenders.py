"""The contenders: our engine and its peers, each doing the same job on the same data.

A contender's ``run`` does the whole job through ``RunContext.spawner`` (every command a
measured child process); the runner times it and then calls ``sync`` inside the timing, so a
peer that does not fsync pays for making its data durable too. What each one does, and why
the comparison is like for like, is in docs/performance.md.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from offload.bench.data import Dataset
from offload.bench.s3 import S3Service, missing_reason
from offload.bench.stats import human_size
from offload.bench.system import CommandError, Spawner, drop_all_caches, evict

# Groups decide what is compared with what in the report.
ENGINE = "engine"  # our engine with different settings (sequential/parallel, scaling, block size)
COPY = "copy"  # copy only (+ sync): our transfer mode vs cp, tee, rsync, ocopy --dont-verify
VERIFY = "verify"  # copy + verification: ours destination/full vs ocopy, the DIT script
S3 = "s3"  # a card to one folder + the bench's S3 server: ours vs awscli and rclone

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
    # The run's S3 server (cases of the S3 section only).
    s3: S3Service | None = None

    def s3_service(self) -> S3Service:
        if self.s3 is None:
            raise ValueError("this case has no S3 server")
        return self.s3

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
    needs_s3 = False  # writes to the run's S3 server too

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
        if self.needs_s3:
            return missing_reason()
        return None

    def run(self, ctx: RunContext) -> None:
        raise NotImplementedError

    def check(self, ctx: RunContext) -> str | None:
        """After the clock stops, beyond the local copies: None if what this contender wrote
        elsewhere (S3) is complete, else what is wrong."""
        return None


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

    def options(self, ctx: RunContext) -> list[str]:
        """``offload copy`` options beyond the verification mode and the report folder."""
        if self.chunk_size is not None:
            return ["--block-size", str(self.chunk_size)]
        return []

    def targets(self, ctx: RunContext) -> list[str]:
        return [str(d) for d in ctx.destinations]

    def env(self, ctx: RunContext) -> dict[str, str] | None:
        return ctx.python_env

    def run(self, ctx: RunContext) -> None:
        argv = [sys.executable, "-m", "offload", "copy", "--quiet"]
        argv += ["--verify", self.verify, "--report-dir", str(ctx.scratch / "reports")]
        argv += self.options(ctx)
        argv.append(str(ctx.dataset.root))
        argv += self.targets(ctx)
        ctx.spawner.run(argv, env=self.env(ctx))
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


def s3_slug(name: str) -> str:
    """A contender's folder in the bucket: its name in lowercase letters, digits and dashes."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


class S3Contender(Contender):
    """A contender that copies the card to the local destination(s) and to the run's bucket,
    under ``<slug of its name>/CARD/``; its objects are checked after the clock stops."""

    card_only = True
    needs_s3 = True

    def card_prefix(self, ctx: RunContext) -> str:
        """The key prefix of the card's copy in the bucket (``ours-full/CARD/``)."""
        return f"{s3_slug(self.name)}/{ctx.dataset.root.name}/"

    def check(self, ctx: RunContext) -> str | None:
        return ctx.s3_service().check(self.card_prefix(ctx), ctx.dataset.files, ctx.dataset.sizes())


class OursS3(S3Contender, OursCard):
    """``offload copy CARD dest1 s3://bench/<slug>`` (one read of the card feeds both), with
    ``--cascade``: the card to dest1 first, then dest1 to the bucket."""

    group = S3

    def __init__(self, name: str, *, verify: str, cascade: bool = False) -> None:
        OursCard.__init__(self, name, verify=verify, group=S3)
        self.cascade = cascade
        self.verifies = {
            "transfer": "in-flight xxh64; S3 parts CRC32 (not checked by moto)",
            "destination": "read back: local from the media, S3 by GET",
            "full": "read back: local from the media, S3 by GET; source re-read",
        }[verify]

    def describe(self) -> str:
        how = "card → dest1, then dest1 → bucket" if self.cascade else "one read feeds both"
        flags = " --cascade" if self.cascade else ""
        return f"`offload copy --verify {self.verify}{flags} CARD dest1 s3://…` ({how})"

    def options(self, ctx: RunContext) -> list[str]:
        return [
            "--s3-endpoint",
            ctx.s3_service().endpoint,
            *(["--cascade"] if self.cascade else []),
        ]

    def targets(self, ctx: RunContext) -> list[str]:
        service = ctx.s3_service()
        return [*super().targets(ctx), f"s3://{service.bucket}/{s3_slug(self.name)}"]

    def env(self, ctx: RunContext) -> dict[str, str] | None:
        return ctx.s3_service().client_env(ctx.python_env or os.environ)


class S3Peer(S3Contender):
    """A peer as a DIT uses it: ``cp -r`` to the local destination(s), then its upload
    command (``upload_argv``) with the run's credentials and endpoint in its environment."""

    group = S3

    def upload_argv(self, ctx: RunContext, service: S3Service) -> list[str]:
        raise NotImplementedError

    def run(self, ctx: RunContext) -> None:
        copy_in_turn(ctx)
        service = ctx.s3_service()
        ctx.spawner.run(self.upload_argv(ctx, service), env=service.client_env(os.environ))


class AwsS3(S3Peer):
    """``aws s3 cp --recursive`` (awscli v1, its defaults: 8 MB multipart threshold and
    parts, 10 requests in flight)."""

    tool = "aws"
    verifies = "S3 part checksums (botocore's default CRC32; not checked by moto)"

    def describe(self) -> str:
        return "`cp -r CARD dest1/`, then `aws s3 cp --recursive CARD s3://…` (defaults)"

    def upload_argv(self, ctx: RunContext, service: S3Service) -> list[str]:
        url = f"s3://{service.bucket}/{self.card_prefix(ctx)}"
        argv = [ctx.tools["aws"], "s3", "cp", "--recursive", "--only-show-errors", "--no-progress"]
        return [*argv, "--endpoint-url", service.endpoint, str(ctx.dataset.root), url]


class RcloneS3(S3Peer):
    """``rclone copy`` to an S3 remote given by environment variables (its defaults: 4
    transfers, multipart above 200 MiB in 5 MiB parts, 4 parts in flight, Content-MD5 on
    every request, the MD5 compared after each upload)."""

    tool = "rclone"
    verifies = "Content-MD5 per part (not checked by moto); MD5 vs ETag or its metadata"

    def describe(self) -> str:
        return "`cp -r CARD dest1/`, then `rclone copy CARD :s3:…` (defaults)"

    def upload_argv(self, ctx: RunContext, service: S3Service) -> list[str]:
        remote = f":s3:{service.bucket}/{self.card_prefix(ctx).rstrip('/')}"
        return [ctx.tools["rclone"], "copy", str(ctx.dataset.root), remote]


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


def find_tools(ocopy: str | None = None, aws: str | None = None) -> dict[str, str]:
    """Paths of the peer programs found on this machine: ocopy (*ocopy*, PATH, or the
    project's ``.test-venvs/ocopy`` next to the current venv), awscli (*aws*, the project's
    ``.test-venvs/awscli``, PATH) and rclone (PATH)."""
    tools = {}
    for name in ("cp", "tee", "rsync", "xxhsum", "sync", "rclone"):
        found = shutil.which(name)
        if found:
            tools[name] = found
    # ocopy: PATH first (as documented since the first bench); awscli: the project's own
    # venv first, so a run measures the awscli the docs install, not whatever PATH has.
    for name, given, candidates in (
        ("ocopy", ocopy, [shutil.which("ocopy"), *_venv_candidates("ocopy", "ocopy")]),
        ("aws", aws, [*_venv_candidates("awscli", "aws"), shutil.which("aws")]),
    ):
        for candidate in [given] if given else candidates:
            if candidate and os.access(candidate, os.X_OK):
                tools[name] = candidate
                break
    return tools


def _venv_candidates(venv: str, program: str) -> list[str]:
    roots = [Path.cwd(), Path(sys.prefix).parent]
    return [str(root / ".test-venvs" / venv / "bin" / program) for root in roots]
