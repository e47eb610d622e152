"""What a benchmark run measures: its configuration and the cases built from it.

A case is one dataset, one number of destinations, one source state (cold or warm) and the
contenders that take turns on it. The full plan is three tables (sequential vs parallel,
destination scaling, block size) plus a large-file card and a small-file card
against the peers. ``--quick`` shrinks every size and repetition for a smoke test.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from offload.bench.contenders import (
    COPY,
    VERIFY,
    Contender,
    Cp,
    DitScript,
    Ocopy,
    OursCard,
    OursFile,
    Rsync,
    Tee,
)
from offload.bench.data import DatasetSpec
from offload.bench.stats import human_size

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB

SECTIONS = ("sequential", "scaling", "block-size", "large-card", "small-card")
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
    warm: bool = True
    only: tuple[str, ...] = ()
    data_dir: Path = Path("bench-results/data")
    ocopy: str | None = None

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
    ]
    if config.only:
        cases = [c for c in cases if c.section in config.only or c.id in config.only]
    return cases


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
    large = DatasetSpec(
        f"card-{config.large_card_files}x{config.large_file_size}",
        "card",
        config.large_file_size,
        count=config.large_card_files,
    )
    small = DatasetSpec(
        f"card-{config.small_card_files}x{config.small_file_size}",
        "card",
        config.small_file_size,
        count=config.small_card_files,
    )
    n = config.destinations
    cases = [
        Case(
            id="large-card-cold",
            section="large-card",
            title=f"Large-file card: {large.label()}, {n} destinations, cold source",
            dataset=large,
            destinations=n,
            source_state="cold",
            contenders=peer_contenders(),
            references=references,
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
        Case(
            id="small-card-cold",
            section="small-card",
            title=f"Small-file card: {small.label()}, {n} destinations, cold source",
            dataset=small,
            destinations=n,
            source_state="cold",
            contenders=peer_contenders(),
            references=references,
        )
    )
    return cases
