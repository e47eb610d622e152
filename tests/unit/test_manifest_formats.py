"""Which hash formats each manifest can record: ``manifest_options.MANIFEST_FORMATS`` is what
the writers really write (checked against them, so the early refusal cannot drift)."""

from __future__ import annotations

from offload.hashing.registry import ALGORITHMS
from offload.manifest.legacy import LEGACY_ELEMENTS
from offload.manifest_options import MANIFEST_FORMATS, MhlKind, manifest_formats_problem


def test_the_formats_are_the_writers() -> None:
    in_ascmhl = {name for name, algorithm in ALGORITHMS.items() if algorithm.in_ascmhl}
    assert set(MANIFEST_FORMATS[MhlKind.ASCMHL]) == in_ascmhl
    assert set(MANIFEST_FORMATS[MhlKind.LEGACY]) == set(LEGACY_ELEMENTS)


def test_a_manifest_needs_one_of_its_formats_among_the_algorithms() -> None:
    both = frozenset({MhlKind.ASCMHL, MhlKind.LEGACY})
    assert manifest_formats_problem(frozenset(), ("sha256",)) is None
    assert manifest_formats_problem(both, ("sha256", "md5")) is None
    assert manifest_formats_problem(frozenset({MhlKind.ASCMHL}), ("xxh3",)) is None
    problem = manifest_formats_problem(both, ("xxh3",))
    assert problem is not None and problem.startswith("-t xxh3: a legacy MHL records only")
    problem = manifest_formats_problem(frozenset({MhlKind.ASCMHL}), ("sha256",))
    assert problem is not None and "--mhl none" in problem and "-t sha256 -t xxh64" in problem
