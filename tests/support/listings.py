"""``os.scandir`` wrapped for a test of the walk's errors: the real listing, with the test's
act before it (a folder removed, or an error raised, as a dying card's) or after it (a file
removed between its folder's listing and its ``lstat``). The wrapper only chooses the moment:
what fails is the real filesystem's answer, or the error the test names."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path

import pytest


def act_before_listing(monkeypatch: pytest.MonkeyPatch, act: Callable[[Path], None]) -> None:
    """Every ``os.scandir(path)`` calls *act(path)*, then lists *path* for real."""
    real_scandir = os.scandir

    def scandir(path: object) -> object:
        act(Path(str(path)))
        return real_scandir(path)  # type: ignore[call-overload]

    monkeypatch.setattr(os, "scandir", scandir)


def _eio(folder: Path) -> BaseException:
    return OSError(errno.EIO, "Input/output error", str(folder))


def fail_listing(
    monkeypatch: pytest.MonkeyPatch,
    *folders: Path,
    error: Callable[[Path], BaseException] = _eio,
) -> None:
    """Listing any of *folders* raises *error(folder)* (EIO by default: the OS's error for a
    dying card's folder); every other folder is listed for real."""

    def fail(folder: Path) -> None:
        if folder in folders:
            raise error(folder)

    act_before_listing(monkeypatch, fail)


class _Listing(list):  # type: ignore[type-arg]
    """The entries of a listing, usable as ``os.scandir``'s answer (a context manager)."""

    def __enter__(self) -> _Listing:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def act_after_listing(monkeypatch: pytest.MonkeyPatch, act: Callable[[Path], None]) -> None:
    """Every ``os.scandir(path)`` lists *path* for real (all its entries, read at once), then
    calls *act(path)* before the caller sees them."""
    real_scandir = os.scandir

    def scandir(path: object) -> object:
        entries = list(real_scandir(path))  # type: ignore[call-overload]
        act(Path(str(path)))
        return _Listing(entries)

    monkeypatch.setattr(os, "scandir", scandir)
