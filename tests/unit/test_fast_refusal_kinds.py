"""The kind of a cascade's slow copy that no fast copy feeds because every fast destination
refused the file for a file in the way there (``cascade._fast_refusal``): another card's
copy on one at least, whatever is in the way on the others, ``FAST_REFUSED_ANOTHER_CARD``;
else an earlier take's on one at least, its own kind (``FAST_REFUSED_EARLIER_COPY``), never
another card's; plain files alone, ``FAST_REFUSED``. Never ``FAST_REFUSED`` (--overwrite,
for the whole run) while a copy never to be overwritten is in the way on one of them.
Failed before: an earlier take's refusal was ``ANOTHER_CARD`` itself, its slow copy's kind
``FAST_REFUSED_ANOTHER_CARD``; then (review of kinds66, M1) a plain file in the way on one
fast destination made it ``FAST_REFUSED``, --overwrite offered for the earlier take's."""

from __future__ import annotations

import pytest

from offload.cascade import _fast_refusal
from offload.remedies import Refusal
from offload.results import DestinationFileResult, DestinationStatus, FileResult


def _file(*kinds: Refusal | None) -> FileResult:
    """A card file failed on fast destinations 0, 1, ... with *kinds* as their refusals."""
    return FileResult(
        relative_path="CLIPS/C001.mov",
        size_bytes=1,
        mtime_ns=0,
        destinations=[
            DestinationFileResult(i, f"/F{i}/CLIPS/C001.mov", DestinationStatus.FAILED, refusal=k)
            for i, k in enumerate(kinds)
        ],
    )


EARLIER, CARD, ANY = Refusal.EARLIER_COPY, Refusal.ANOTHER_CARD, Refusal.IN_THE_WAY


@pytest.mark.parametrize(
    ("kinds", "expected"),
    [
        ((EARLIER,), Refusal.FAST_REFUSED_EARLIER_COPY),
        ((EARLIER, EARLIER), Refusal.FAST_REFUSED_EARLIER_COPY),
        ((CARD,), Refusal.FAST_REFUSED_ANOTHER_CARD),
        ((EARLIER, CARD), Refusal.FAST_REFUSED_ANOTHER_CARD),
        ((EARLIER, ANY), Refusal.FAST_REFUSED_EARLIER_COPY),
        ((ANY, EARLIER), Refusal.FAST_REFUSED_EARLIER_COPY),
        ((CARD, ANY), Refusal.FAST_REFUSED_ANOTHER_CARD),
        ((ANY, EARLIER, CARD), Refusal.FAST_REFUSED_ANOTHER_CARD),
        ((ANY, ANY), Refusal.FAST_REFUSED),
        ((ANY,), Refusal.FAST_REFUSED),
        ((EARLIER, None), None),  # one fast copy failed otherwise: a re-run may feed it
    ],
)
def test_a_slow_copy_takes_the_kind_of_what_every_fast_destination_refused(
    kinds: tuple[Refusal | None, ...], expected: Refusal | None
) -> None:
    assert _fast_refusal(_file(*kinds), list(range(len(kinds)))) is expected
