"""The one-file API used the way a first script uses it: the report read like a dict."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from offload.api import copy_with_multiple_destinations_parallel
from offload.errors import ExitCode
from offload.results import JobReport


def test_report_reads_like_a_mapping(tmp_path: Path) -> None:
    source = tmp_path / "test_5mb.bin"
    source.write_bytes(os.urandom(5 * 1024 * 1024 + 3))
    destinations = [str(tmp_path / f"dest{i}.bin") for i in (1, 2, 3)]

    results = copy_with_multiple_destinations_parallel(source, destinations, 2 * 1024 * 1024)

    assert isinstance(results, JobReport)
    assert results["speed_mb_sec"] == results.speed_mb_sec > 0
    assert results["exit_code"] == ExitCode.OK == results.exit_code
    assert results["total_bytes"] == source.stat().st_size
    assert results["files"] is results.files and results["verify"] == "full"
    assert set(results.keys()) >= {"speed_mb_sec", "exit_code", "elapsed_s", "files", "warnings"}
    assert dict(results)["algorithms"] == ("xxh64",)
    assert "speed_mb_sec" in results and "nope" not in results
    assert results.get("nope", 7) == 7 and results.get("cancelled") is False
    for key in ("nope", "keys", "_private", "__class__"):
        with pytest.raises(KeyError):
            results[key]
    with pytest.raises(TypeError):
        results["speed_mb_sec"] = 1.0  # type: ignore[index]
    assert bool(results)  # no __len__: an empty job report is still truthy
