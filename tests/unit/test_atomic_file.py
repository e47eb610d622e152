"""``manifest.atomic.AtomicFile``: a cancel raised inside ``__enter__`` leaves nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from offload.manifest import atomic


def _open_descriptors() -> set[int]:
    return {int(name) for name in os.listdir("/proc/self/fd")}


def test_a_cancel_landing_in_the_claim_closes_the_descriptor_and_removes_the_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A signal's KeyboardInterrupt raised once the temporary is open, while its claim is
    taken: no ``__exit__`` runs for a failed ``__enter__``, so ``__enter__`` itself closes the
    descriptor and removes the file. Before, the file went but the descriptor stayed open."""

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic, "_claim", interrupted)
    before = _open_descriptors()
    with pytest.raises(KeyboardInterrupt), atomic.AtomicFile(tmp_path / "A001.mhl"):
        pass
    assert _open_descriptors() == before
    assert list(tmp_path.iterdir()) == []
