"""The benchmark runner: statistics and report from fake timings, and one tiny real run."""

from __future__ import annotations

from pathlib import Path

import pytest

from offload.bench.cli import main as bench_main
from offload.bench.contenders import COPY, VERIFY, Cp, OursFile, Tee
from offload.bench.data import DatasetSpec, ensure_dataset
from offload.bench.plan import BenchConfig, Case, build_cases
from offload.bench.report import evaluate_targets, markdown, write_report
from offload.bench.runner import CaseInfo, ContenderInfo, Results, Runner, RunRecord
from offload.bench.stats import (
    format_seconds,
    human_size,
    parse_size,
    ratio,
    rotation,
    summarize,
    throughput_mb_s,
)
from support.requirements import require_tool


def test_summary_is_median_min_max() -> None:
    summary = summarize([3.0, 1.0, 2.0, 10.0])
    assert summary is not None
    assert (summary.median, summary.minimum, summary.maximum, summary.count) == (2.5, 1, 10, 4)
    assert summarize([]) is None
    assert format_seconds(summarize([12.0, 11.94, 14.0])) == "12.0 (11.9–14.0)"


def test_ratio_is_ours_over_theirs() -> None:
    assert ratio(summarize([2.0, 2.0]), summarize([4.0, 5.0, 3.0])) == 0.5
    assert ratio(None, summarize([1.0])) is None
    assert throughput_mb_s(100_000_000, 2.0) == 50.0


def test_rotation_alternates_every_contender_once_per_repetition() -> None:
    names = ["a", "b", "c"]
    orders = [rotation(names, rep) for rep in range(4)]
    assert orders == [["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"], ["a", "b", "c"]]


@pytest.mark.parametrize(
    ("text", "size"),
    [("512", 512), ("100KB", 100_000), ("30MB", 30_000_000), ("4MiB", 4 << 20), ("1G", 1 << 30)],
)
def test_parse_size(text: str, size: int) -> None:
    assert parse_size(text) == size


def test_parse_size_refuses_nonsense() -> None:
    for text in ("fast", "huge", "-1MB", "MB"):
        with pytest.raises(ValueError, match="size"):
            parse_size(text)
    assert human_size(1 << 30) == "1 GiB"
    assert human_size(30_000_000) == "30 MB"


def _info(name: str, group: str, *, ours: bool = False) -> ContenderInfo:
    return ContenderInfo(name, group, ours, name, ours, "no", 3)


def _fake_results(timings: dict[str, list[float]], *, case_id: str) -> Results:
    groups = {
        "ours transfer": COPY,
        "cp": COPY,
        "tee": COPY,
        "ours full": VERIFY,
        "DIT script": VERIFY,
        "ocopy (verify)": VERIFY,
    }
    case = CaseInfo(
        id=case_id,
        section="small-card",
        title="fake card",
        dataset="5,000 × 100 KB",
        files=5000,
        total_bytes=500_000_000,
        destinations=3,
        source_state="cold",
        contenders=[_info(n, groups[n], ours=n.startswith("ours")) for n in timings],
        references={COPY: "ours transfer", VERIFY: "ours full"},
        x_values={},
        x_label="",
    )
    runs = [
        RunRecord(case_id, name, rep, 0, True, value, 40_960, 1, 0.0, 0.0)
        for name, values in timings.items()
        for rep, value in enumerate(values)
    ]
    runs.append(RunRecord(case_id, "tee", 9, 0, False, 0.1, 0, 1, 0.0, 0.0, error="boom"))
    return Results("now", {"repetitions": 3}, {"cpus": 2}, [case], runs)


def test_report_and_targets_from_fake_timings() -> None:
    results = _fake_results(
        {
            "ours transfer": [10.0, 12.0, 11.0],
            "cp": [12.0, 13.0, 20.0],
            "tee": [22.0, 22.0],
            "ours full": [20.0, 21.0, 19.0],
            "DIT script": [40.0, 41.0, 39.0],
            "ocopy (verify)": [16.0, 16.0, 16.0],
        },
        case_id="small-card-cold",
    )
    text = markdown(results)
    # ours transfer 11 ÷ cp 13 and ÷ tee 22; ours full 20 ÷ DIT 40 and ÷ ocopy 16.
    assert "| cp | cp | no | no | 13.0 (12.0–20.0) | 38 |" in text
    assert "0.85 |" in text and "0.50 |" in text and "1.25 |" in text
    assert "(1 failed)" in text  # the failed tee run is left out of the median
    verdicts = {t.target.rsplit(" (", 1)[0]: t for t in evaluate_targets(results)}
    copy = verdicts[
        "copy phase (transfer) at least as fast as the fastest of cp, tee, rsync -a, "
        "ocopy --dont-verify"
    ]
    assert copy.met is True and "ours ÷ fastest = 0.85" in copy.measured
    assert verdicts["full verification ≥ 1.5× faster than the DIT script"].met is True
    assert verdicts["full verification ≤ 1.3× ocopy with verification + sync"].met is True
    assert "= 2.00×" in verdicts["full verification ≥ 1.5× faster than the DIT script"].measured


def test_results_survive_a_json_round_trip(tmp_path: Path) -> None:
    results = _fake_results({"ours transfer": [1.0], "cp": [2.0]}, case_id="small-card-cold")
    results.save(tmp_path / "results.json")
    loaded = Results.load(tmp_path / "results.json")
    assert loaded.runs == results.runs
    assert loaded.cases == results.cases


def test_quick_plan_covers_every_section() -> None:
    config = BenchConfig.quick_config()
    cases = build_cases(config)
    assert {c.section for c in cases} == {
        "sequential",
        "scaling",
        "block-size",
        "large-card",
        "small-card",
    }
    card = next(c for c in cases if c.id == "large-card-cold")
    assert {"cp", "tee", "rsync -a", "ocopy (verify)", "DIT script", "ours full"} <= {
        c.name for c in card.contenders
    }
    assert [c.id for c in build_cases(BenchConfig.quick_config(only=("scaling",)))] == ["scaling"]


def test_cli_lists_the_plan(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert bench_main(["--quick", "--list", "--out", str(tmp_path)]) == 0
    assert "large-card-cold" in capsys.readouterr().out
    assert bench_main(["--only", "nothing", "--list", "--out", str(tmp_path)]) == 64


def test_tiny_real_run_of_our_engine_and_peers(tmp_path: Path) -> None:
    require_tool("cp")
    require_tool("tee")
    config = BenchConfig(repetitions=1, sleep_s=0, data_dir=tmp_path / "data")
    spec = DatasetSpec("tiny", "file", 1_000_000)
    case = Case(
        id="tiny",
        section="sequential",
        title="tiny file",
        dataset=spec,
        destinations=2,
        source_state="cold",
        contenders=(OursFile("ours", verify="full"), Cp("cp"), Tee("tee")),
        references={"engine": "ours", COPY: "ours"},
    )
    out = tmp_path / "out"
    lines: list[str] = []
    results = Runner(config, out, log=lines.append).run([case])
    assert [r.contender for r in results.runs] == ["ours", "cp", "tee"]
    assert all(r.ok for r in results.runs), [r.error for r in results.runs]
    assert all(r.wall_s > 0 and r.peak_rss_kib > 0 for r in results.runs)
    ours = results.runs[0]
    assert ours.extra["exit_code"] == 0 and len(ours.extra["verify_s"]) == 2  # type: ignore[arg-type]
    assert ours.extra["engine_from"] == str(out / "code" / "offload")  # the run's snapshot
    assert not (out / "work").exists()  # outputs are deleted
    written = write_report(results, out)
    assert (out / "results.json").exists() and written[0].read_text().count("| tiny") == 0
    assert "| cp |" in written[0].read_text()
    # The dataset is reused, not rebuilt, by a later run.
    before = (tmp_path / "data" / "tiny" / "tiny.bin").stat().st_mtime_ns
    ensure_dataset(spec, config.data_dir)
    assert (tmp_path / "data" / "tiny" / "tiny.bin").stat().st_mtime_ns == before
