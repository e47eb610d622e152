"""What a benchmark run measures: its configuration and the cases built from it.

A case is one dataset, one number of destinations, one source state (cold or warm) and the
contenders that take turns on it. The full plan is three tables (sequential vs parallel,
destination scaling, block size) plus a large-file card and a small-file card
against the peers, then the sections of issue 14: an image-sequence card, the fixed cost of a
small card, and the scale in file count (one destination, up to 200,000 files); then the S3
section of issue 12: a card to one folder and a local S3 server, ours against awscli and
rclone. ``--quick`` shrinks every size and repetition for a smoke test.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from offload.bench.contenders import (
    COPY,
    S3,
    VERIFY,
    AwsS3,
    Contender,
    Cp,
    DitScript,
    Ocopy,
    OursCard,
    OursFile,
    OursS3,
    RcloneS3,
    Rsync,
    Tee,
)
from offload.bench.data import DatasetSpec
from offload.bench.stats import human_size

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB

SECTIONS = (
    "sequential",
    "scaling",
    "block-size",
    "large-card",
    "small-card",
    "image-sequence",
    "fixed-cost",
    "scale",
    "s3",
)
FULL_BLOCK_SIZES = (64 * KIB, 256 * KIB, 1 * MIB, 4 * MIB, 8 * MIB, 16 * MIB)
QUICK_BLOCK_SIZES = (64 * KIB, 1 * MIB, 16 * MIB)
FULL_SCALING = (1, 2, 3, 4, 5, 6, 7, 8)
QUICK_SCALING = (1, 3, 8)


@dataclass(frozen=True, kw_only=True)
class BenchConfig:
    """Every knob of a run. ``full()`` and ``quick()`` give the two standard plans."""

    quick: bool = False
    repetitions: int = 3
    # Measured: freed RAM is handed back to the host ~2 s after it is freed and cold
    # reads right after are not representative; 8 s of idle gives steady numbers.
    sleep_s: float = 8.0
    destinations: int = 3
    large_file_size: int = 1 * GIB
    large_card_files: int = 3
    small_card_files: int = 5000
    small_file_size: int = 100_000
    scaling_file_size: int = 256 * MIB
    block_file_size: int = 256 * MIB
    block_sizes: tuple[int, ...] = FULL_BLOCK_SIZES
    scaling: tuple[int, ...] = FULL_SCALING
    sequential_sizes: tuple[tuple[int, int], ...] = ((30_000_000, 3), (50_000_000, 5))
    # Extra large cards (files of these sizes) where only ours full and the DIT script run.
    large_card_sizes: tuple[int, ...] = (512 * MIB, 2 * GIB)
    image_frames: int = 300
    image_frame_size: int = 4_000_000
    image_frames_per_clip: int = 500
    fixed_cost_files: int = 200
    scale_counts: tuple[int, ...] = (5_000, 50_000, 200_000)
    scale_file_size: int = 1_000
    scale_folders: int = 50
    # The file count the scale targets (time vs cp, peak RSS) are judged on; without a case
    # of that count, the largest count measured.
    scale_target_count: int = 50_000
    # The S3 section: clips and sidecars of a card small enough for a loopback moto server.
    s3_clips: int = 3
    s3_clip_size: int = 256 * MIB
    s3_sidecars: int = 20
    s3_sidecar_size: int = 100_000
    warm: bool = True
    only: tuple[str, ...] = ()
    data_dir: Path = Path("bench-results/data")
    ocopy: str | None = None
    aws: str | None = None

    @classmethod
    def quick_config(cls, **overrides: object) -> BenchConfig:
        values: dict[str, object] = {
            "quick": True,
            "repetitions": 2,
            "sleep_s": 0.3,
            "large_file_size": 64 * MIB,
            "small_card_files": 200,
            "scaling_file_size": 16 * MIB,
            "block_file_size": 32 * MIB,
            "block_sizes": QUICK_BLOCK_SIZES,
            "scaling": QUICK_SCALING,
            "large_card_sizes": (),
            "image_frames": 40,
            "scale_counts": (1_000, 5_000),
            "s3_clip_size": 32 * MIB,
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Case:
    """One dataset + destination count + source state, and the contenders taking turns."""

    id: str
    section: str
    title: str
    dataset: DatasetSpec
    destinations: int
    source_state: str  # "cold" or "warm"
    contenders: tuple[Contender, ...]
    # The contender each other one is compared with, per group (ratios in the report).
    references: dict[str, str] = field(default_factory=dict)
    # For plots: the x value of each contender (destinations, block size).
    x_values: dict[str, int] = field(default_factory=dict)
    x_label: str = ""

    @property
    def max_destinations(self) -> int:
        return max([self.destinations, *(c.destinations or 0 for c in self.contenders)])


def build_cases(config: BenchConfig) -> list[Case]:
    """The cases of a run, in the order they run; ``config.only`` keeps some sections/ids."""
    cases = [
        *_sequential_cases(config),
        _scaling_case(config),
        _block_case(config),
        *_card_cases(config),
        *_large_card_full_cases(config),
        _image_sequence_case(config),
        _fixed_cost_case(config),
        *_scale_cases(config),
        _s3_case(config),
    ]
    if config.only:
        cases = [c for c in cases if c.section in config.only or c.id in config.only]
    return cases


def _card(prefix: str, count: int, size: int, **layout: Any) -> DatasetSpec:
    """A card of *count* files of *size* bytes (*layout*: ``DatasetSpec``'s other fields),
    named ``<prefix>-<count>x<size>``: its folder in the data directory, made once and kept
    for every case and run that names it."""
    return DatasetSpec(f"{prefix}-{count}x{size}", "card", size, count=count, **layout)


def _cold_case(
    section: str,
    title: str,
    dataset: DatasetSpec,
    destinations: int,
    contenders: tuple[Contender, ...],
    references: dict[str, str],
    *,
    case_id: str = "",
) -> Case:
    """A case of *section* (its id too, unless *case_id*) whose source is cold (dropped from
    the page cache before each turn), ", cold source" at the end of its *title*."""
    return Case(
        id=case_id or section,
        section=section,
        title=f"{title}, cold source",
        dataset=dataset,
        destinations=destinations,
        source_state="cold",
        contenders=contenders,
        references=references,
    )


def _sequential_cases(config: BenchConfig) -> list[Case]:
    cases = []
    sizes = [*config.sequential_sizes, (config.large_file_size, config.destinations)]
    for size, count in sizes:
        spec = DatasetSpec(f"file-{size}", "file", size)
        cases.append(
            Case(
                id=f"sequential-{human_size(size).replace(' ', '')}x{count}",
                section="sequential",
                title=f"Sequential vs parallel: {human_size(size)} × {count} destinations",
                dataset=spec,
                destinations=count,
                source_state="cold",
                contenders=(
                    OursFile("parallel", parallel=True),
                    OursFile("sequential", parallel=False),
                ),
                references={"engine": "parallel"},
            )
        )
    return cases


def _scaling_case(config: BenchConfig) -> Case:
    size = config.scaling_file_size
    contenders = tuple(OursFile(f"N={n}", destinations=n) for n in config.scaling)
    return Case(
        id="scaling",
        section="scaling",
        title=f"Destination scaling: {human_size(size)}, 1..{max(config.scaling)} destinations",
        dataset=DatasetSpec(f"file-{size}", "file", size),
        destinations=max(config.scaling),
        source_state="cold",
        contenders=contenders,
        x_values={c.name: c.destinations or 0 for c in contenders},
        x_label="destinations",
    )


def _block_case(config: BenchConfig) -> Case:
    size = config.block_file_size
    contenders = tuple(
        OursFile(human_size(block).replace(" ", ""), chunk_size=block)
        for block in config.block_sizes
    )
    return Case(
        id="block-size",
        section="block-size",
        title=f"Block size: {human_size(size)} × {config.destinations} destinations",
        dataset=DatasetSpec(f"file-{size}", "file", size),
        destinations=config.destinations,
        source_state="cold",
        contenders=contenders,
        x_values={c.name: c.chunk_size or 0 for c in contenders},
        x_label="block size (bytes)",
    )


def peer_contenders(*, verification: bool = True) -> tuple[Contender, ...]:
    """Copy-only contenders, then (with *verification*) copy + verification ones."""
    copy: list[Contender] = [
        OursCard("ours transfer", verify="transfer"),
        Cp("cp"),
        Tee("tee"),
        Rsync("rsync -a"),
        Ocopy("ocopy --dont-verify", verify=False),
    ]
    if not verification:
        return tuple(copy)
    verify: list[Contender] = [
        OursCard("ours destination", verify="destination", group=VERIFY),
        OursCard("ours full", verify="full", group=VERIFY),
        Ocopy("ocopy (verify)", verify=True),
        DitScript("DIT script"),
    ]
    return (*copy, *verify)


def _card_cases(config: BenchConfig) -> list[Case]:
    references = {COPY: "ours transfer", VERIFY: "ours full"}
    large = _card("card", config.large_card_files, config.large_file_size)
    small = _card("card", config.small_card_files, config.small_file_size)
    n = config.destinations
    cases = [
        _cold_case(
            "large-card",
            f"Large-file card: {large.label()}, {n} destinations",
            large,
            n,
            peer_contenders(),
            references,
            case_id="large-card-cold",
        )
    ]
    if config.warm:
        warm_peers: Sequence[str] = ("ours transfer", "cp", "tee", "ocopy --dont-verify")
        cases.append(
            Case(
                id="large-card-warm",
                section="large-card",
                title=f"Large-file card: {large.label()}, {n} destinations, warm source "
                "(in the page cache)",
                dataset=large,
                destinations=n,
                source_state="warm",
                contenders=tuple(
                    c for c in peer_contenders(verification=False) if c.name in warm_peers
                ),
                references=references,
            )
        )
    cases.append(
        _cold_case(
            "small-card",
            f"Small-file card: {small.label()}, {n} destinations",
            small,
            n,
            peer_contenders(),
            references,
            case_id="small-card-cold",
        )
    )
    return cases


def _large_card_full_cases(config: BenchConfig) -> list[Case]:
    """Full verification against the DIT script on cards of ``large_card_sizes``."""
    cases = []
    n = config.destinations
    for size in config.large_card_sizes:
        spec = _card("card", config.large_card_files, size)
        cases.append(
            _cold_case(
                "large-card",
                f"Large-file card, full verification: {spec.label()}, {n} destinations",
                spec,
                n,
                (OursCard("ours full", verify="full", group=VERIFY), DitScript("DIT script")),
                {VERIFY: "ours full"},
                case_id=f"large-card-full-{human_size(size).replace(' ', '')}",
            )
        )
    return cases


def _image_sequence_case(config: BenchConfig) -> Case:
    """An image-sequence card (DPX-like frames in clip folders) against cp and the script."""
    spec = _card(
        "seq",
        config.image_frames,
        config.image_frame_size,
        files_per_folder=config.image_frames_per_clip,
        layout="sequence",
    )
    n = config.destinations
    contenders = (
        OursCard("ours transfer", verify="transfer"),
        Cp("cp"),
        OursCard("ours full", verify="full", group=VERIFY),
        DitScript("DIT script"),
    )
    return _cold_case(
        "image-sequence",
        f"Image-sequence card: {spec.label()} frames, {n} destinations",
        spec,
        n,
        contenders,
        {COPY: "ours transfer", VERIFY: "ours full"},
        case_id="image-sequence-cold",
    )


def _fixed_cost_case(config: BenchConfig) -> Case:
    """A small card to one destination: what ours takes beyond ``cp -r`` + sync is its
    fixed cost (start-up, scan, reports, MHL)."""
    spec = _card("card", config.fixed_cost_files, config.small_file_size)
    return _cold_case(
        "fixed-cost",
        f"Fixed cost: {spec.label()} card, 1 destination, transfer",
        spec,
        1,
        (OursCard("ours transfer", verify="transfer"), Cp("cp")),
        {COPY: "ours transfer"},
    )


def _scale_cases(config: BenchConfig) -> list[Case]:
    """Many tiny files in ``scale_folders`` folders, one destination, transfer mode."""
    cases = []
    for count in config.scale_counts:
        spec = _card(
            "scale",
            count,
            config.scale_file_size,
            files_per_folder=max(1, -(-count // config.scale_folders)),
        )
        cases.append(
            _cold_case(
                "scale",
                f"Scale: {spec.label()} in {config.scale_folders} folders, 1 destination, transfer",
                spec,
                1,
                (OursCard("ours transfer", verify="transfer"), Cp("cp")),
                {COPY: "ours transfer"},
                case_id=f"scale-{count}",
            )
        )
    return cases


def s3_contenders() -> tuple[Contender, ...]:
    """Ours (full, transfer, full with --cascade), then the peers awscli and rclone."""
    return (
        OursS3("ours full", verify="full"),
        OursS3("ours transfer", verify="transfer"),
        OursS3("ours full --cascade", verify="full", cascade=True),
        AwsS3("aws s3 cp"),
        RcloneS3("rclone copy"),
    )


def _s3_case(config: BenchConfig) -> Case:
    """A card (clips + sidecars) to one local folder and a bucket of a local S3 server."""
    spec = DatasetSpec(
        f"s3card-{config.s3_clips}x{config.s3_clip_size}"
        f"+{config.s3_sidecars}x{config.s3_sidecar_size}",
        "card",
        config.s3_clip_size,
        count=config.s3_clips,
        sidecars=config.s3_sidecars,
        sidecar_size=config.s3_sidecar_size,
    )
    return _cold_case(
        "s3",
        f"S3: {spec.label()} card to 1 folder + a local S3 server (moto)",
        spec,
        1,
        s3_contenders(),
        {S3: "ours full"},
    )
