"""Fixtures of the report tests: the real tools (headless Chromium, poppler, PyAV). Each skips
with the reason when its tool is missing (``make test`` installs them). And the two places a
"may be formatted" needs: a card in memory (``memory_card``); destinations on a disk are
the project-wide ``disk_folder`` (tests/conftest.py)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from report.helpers import Browser, chromium_path


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    if executable is None:
        pytest.skip("chromium is not installed (apt-get install chromium): HTML not rendered")
    pytest.importorskip("websocket", reason="websocket-client (dev extra) is not installed")
    # Chromium's helper processes can still write to the profile after the browser itself
    # exits (seen at a worker's end: "Directory not empty: 'Default'"); it is scratch only.
    with tempfile.TemporaryDirectory(
        prefix="offload-chromium-", ignore_cleanup_errors=True
    ) as profile:
        instance = Browser(executable, Path(profile))
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture(scope="session")
def poppler() -> dict[str, str]:
    tools = {name: shutil.which(name) for name in ("pdftotext", "pdftoppm", "pdfinfo")}
    missing = [name for name, path in tools.items() if path is None]
    if missing:
        pytest.skip(f"poppler-utils is not installed ({', '.join(missing)} missing): PDF not read")
    return {name: str(path) for name, path in tools.items()}


@pytest.fixture(scope="session")
def media() -> Any:
    return pytest.importorskip("av", reason="PyAV (the media extra) is not installed")


@pytest.fixture
def memory_card() -> Iterator[Path]:
    """A folder for the card on another disk than the test's destinations: tmpfs in
    /dev/shm (the destinations are in ``disk_folder``, on a disk)."""
    if not os.path.isdir("/dev/shm"):
        pytest.skip("no /dev/shm: no card on another disk than the destinations")
    folder = Path(tempfile.mkdtemp(prefix="offload-page1-", dir="/dev/shm"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
