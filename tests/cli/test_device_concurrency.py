"""``offload copy --device-concurrency``: the option, its refusal of bad values, and the disk
decision in --dry-run, the JSON report and the HTML report (issue 14)."""

from __future__ import annotations

import html
import io
import json
from pathlib import Path

import pytest

from offload.cli.common import Environment
from offload.cli.offload import main


def run(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(args, Environment(stdout=out, stderr=err, install_signal_handlers=False))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def card_and_destinations(tmp_path: Path) -> tuple[Path, Path, Path]:
    card = tmp_path / "CARD"
    card.mkdir()
    (card / "a.mov").write_bytes(b"x" * 5000)
    first, second = tmp_path / "d1", tmp_path / "d2"
    first.mkdir()
    second.mkdir()
    return card, first, second


def test_a_bad_value_is_one_line_and_exit_64(
    card_and_destinations: tuple[Path, Path, Path],
) -> None:
    card, first, second = card_and_destinations
    code, out, err = run(
        ["copy", "--device-concurrency", "fast", str(card), str(first), str(second)]
    )
    assert code == 64 and out == ""
    assert err.strip().count("\n") == 0
    assert "--device-concurrency" in err and "'fast'" in err and "serial" in err
    assert list(first.iterdir()) == [] and list(second.iterdir()) == []


def test_help_names_the_choices(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        run(["copy", "--help"])
    assert exited.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--device-concurrency {auto,parallel,serial}" in text
    assert "one at a time on a spinning disk" in text


def test_dry_run_shows_the_decision_in_text_and_json(
    card_and_destinations: tuple[Path, Path, Path],
) -> None:
    card, first, second = card_and_destinations
    args = ["copy", "--dry-run", "--device-concurrency", "serial", str(card)]
    code, _, err = run([*args, str(first), str(second)])
    assert code == 0
    assert "Disks (how each group of destinations would read back):" in err
    line = next(x for x in err.splitlines() if "read-backs" in x)
    assert f"{first}/CARD and {second}/CARD share " in line
    assert line.endswith("read-backs one at a time (--device-concurrency serial)")
    code, out, _ = run([*args, "--json", str(first), str(second)])
    devices = json.loads(out)["devices"]
    assert [(d["destinations"], d["read_backs"]) for d in devices] == [([0, 1], "serial")]
    assert devices[0]["summary"] == line.strip()


def test_the_reports_record_what_was_detected_and_chosen(
    tmp_path: Path, card_and_destinations: tuple[Path, Path, Path]
) -> None:
    card, first, second = card_and_destinations
    reports = tmp_path / "reports"
    code, _, _ = run(
        [
            "copy",
            "--device-concurrency",
            "parallel",
            "--report-dir",
            str(reports),
            str(card),
            str(first),
            str(second),
        ]
    )
    assert code == 0
    data = json.loads(next(reports.glob("*.json")).read_text())
    (group,) = data["devices"]
    assert group["destinations"] == [0, 1] and group["read_backs"] == "parallel"
    assert group["reason"] == "--device-concurrency parallel"
    assert group["source_on_device"] is True
    assert set(group) >= {"device", "kind", "rotational", "transport", "model", "layers"}
    assert group["summary"].startswith(f"{first} and {second} share {group['device']} (")
    page = html.unescape(next(reports.glob("*.html")).read_text())
    assert f"1: d1 and 2: d2 share {group['device']} (" in page
    assert "read-backs in parallel (--device-concurrency parallel)" in page
