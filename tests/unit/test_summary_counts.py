"""The verdict's counts made in one pass over the copies (``report/summary._count_copies``):
each count checked against a separate count of its own over random results, every state,
action, cache bypass and error a copy can carry mixed, with and without a cascade."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from offload.card import OffloadReport
from offload.existing import CHECK_CANCELLED
from offload.renamed_recheck import NOT_RECHECKED
from offload.report.summary import _count_copies
from offload.results import (
    CacheBypass,
    CopyAction,
    DestinationFileResult,
    DestinationStatus,
    FileResult,
    JobReport,
)

_ERRORS = (
    None,
    "",
    "write failed: EIO",
    CHECK_CANCELLED,
    f"verified before the renames; {NOT_RECHECKED}",
    f"transfer-checked before the renames; {NOT_RECHECKED}",
)


def _random_report(rng: random.Random, cascade: bool) -> OffloadReport:
    destinations = rng.randint(1, 4)
    files = []
    for n in range(rng.randint(0, 400)):
        copies = [
            DestinationFileResult(
                destination_index=index,
                final_path=f"/d{index}/CARD/f{n}",
                status=rng.choice(list(DestinationStatus)),
                error=rng.choice(_ERRORS),
                cache_bypass=rng.choice(list(CacheBypass)),
                action=rng.choice(list(CopyAction)),
            )
            for index in range(destinations)
            if rng.random() < 0.9  # a file may lack a destination's result
        ]
        files.append(
            FileResult(
                relative_path=f"f{n}",
                size_bytes=rng.randint(0, 10_000),
                mtime_ns=0,
                source_error=rng.choice((None, None, None, "read failed: EIO")),
                source_cache_bypass=rng.choice(list(CacheBypass)),
                destinations=copies,
            )
        )
    indexes = list(range(destinations))
    return OffloadReport(
        source="/card",
        plans=[],
        job=JobReport(verify="transfer", algorithms=("xxh64",), files=files),
        cascade=tuple(rng.sample(indexes, rng.randint(1, destinations))) if cascade else (),
        fast_copies_reread=tuple(rng.sample(indexes, rng.randint(0, destinations))),
    )


@pytest.mark.parametrize("seed", range(40))
def test_each_count_equals_its_own_count_over_the_copies(seed: int) -> None:
    rng = random.Random(seed)
    report = _random_report(rng, cascade=seed % 2 == 1)
    files = report.job.files
    copies = [d for f in files for d in f.destinations]
    S, A = DestinationStatus, CopyAction

    counts = _count_copies(report)

    assert counts.by_state == Counter(d.status for d in copies)
    everywhere = [
        f
        for f in files
        if f.source_error is None
        and all(d.status in (S.VERIFIED, S.VERIFIED_EARLIER) for d in f.destinations)
    ]
    assert counts.verified_everywhere == len(everywhere)
    assert counts.verified_bytes == sum(f.size_bytes for f in everywhere)
    assert counts.total_bytes == report.job.total_bytes
    assert counts.earlier == [d for d in copies if d.status is S.VERIFIED_EARLIER]
    assert counts.earlier_cached == sum(
        1 for d in copies if d.status is S.VERIFIED_EARLIER and d.cache_bypass.through_cache
    )
    assert counts.reread == (
        sum(
            1
            for d in copies
            if d.status is S.VERIFIED_EARLIER
            and (d.destination_index in report.fast_copies_reread or d.action is A.RECHECKED)
        )
        if report.cascade
        else 0
    )
    assert counts.transfer_earlier == [
        d for d in copies if d.status is S.TRANSFER_CHECKED and d.action is A.TRUSTED
    ]
    for index in range(5):
        assert counts.checked_made[index] == sum(
            1
            for d in copies
            if d.status is S.TRANSFER_CHECKED
            and d.action is not A.TRUSTED
            and d.destination_index == index
        )
    assert counts.cached == Counter(
        d.cache_bypass for d in copies if d.status is S.VERIFIED and d.cache_bypass.through_cache
    )
    assert counts.card_cached == Counter(
        f.source_cache_bypass for f in files if f.source_cache_bypass.through_cache
    )
    assert counts.actions == Counter(d.action for d in copies if d.status is S.VERIFIED)
    assert counts.unchecked == [
        d.error or ""
        for d in copies
        if d.status is S.CANCELLED and NOT_RECHECKED in (d.error or "")
    ]
    assert counts.untouched == sum(
        1 for d in copies if d.status is S.CANCELLED and d.error == CHECK_CANCELLED
    )
    # The random results reach each count (a count never made is checked by nothing).
    if seed == 0:
        assert all(counts.by_state[s] for s in S)
        assert counts.earlier_cached and counts.unchecked and counts.untouched
        assert counts.cached and counts.card_cached and counts.transfer_earlier
    if seed == 1:
        assert counts.reread
