"""Fixtures shared by the integration tests."""

from __future__ import annotations

import os

import pytest

from support.ascmhl_judge import AscmhlJudge, JudgeUnavailable, ensure_judge


@pytest.fixture(scope="session")
def judge() -> AscmhlJudge:
    """The reference tool ascmhl 1.2 in its own venv; under CI=true it must be available."""
    try:
        return ensure_judge()
    except JudgeUnavailable as exc:
        if os.environ.get("CI", "").strip().lower() in ("true", "1"):
            pytest.fail(f"the ASC MHL judge (ascmhl 1.2) must run under CI: {exc}")
        pytest.skip(f"the ASC MHL judge (ascmhl 1.2) is unavailable: {exc}")
