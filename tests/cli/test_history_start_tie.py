"""``offload history`` takes a start record (``report/started.py``) as its run's, ended, only
where a job report of the folder names its run token, its card (source) and a start from just
before the record's to an hour after it. A token is three random bytes and ``-1`` for every
CLI process (``lock.new_run``): matched on the token alone, a killed run whose token happens
to be another report's was hidden from the listing.

A real offload's job report; beside it, records as a killed run leaves them (its process
over: a real process that ran and exited), written with the module's own writer."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from offload.cli.common import Environment
from offload.cli.offload import main
from offload.report.started import start_record, write_start_record


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), Environment(stdout=out, stderr=err, install_signal_handlers=False))
    return code, out.getvalue(), err.getvalue()


def _listed(reports: Path) -> list[dict[str, Any]]:
    code, out, err = _run("history", "--json", "--report-dir", str(reports))
    assert code == 0, err
    return list(json.loads(out))


@pytest.fixture
def offloaded(tmp_path: Path) -> tuple[Path, dict[str, Any], Path]:
    """A real offload of card A001: the report folder, its job report's data and path."""
    card, dest, reports = tmp_path / "A001", tmp_path / "dest", tmp_path / "reports"
    card.mkdir()
    (card / "C1.mov").write_bytes(os.urandom(1 << 14))
    dest.mkdir()
    code, _, err = _run("copy", "-q", "--report-dir", str(reports), str(card), str(dest))
    assert code == 0, err
    [written] = reports.glob("*.json")
    data = json.loads(written.read_text(encoding="utf-8"))
    assert isinstance(data["run"], str) and data["run"], data
    return reports, data, written


def _leave(
    reports: Path,
    *,
    source: str,
    run: str,
    started: float,
    roots: list[str],
    card: str | None = "",
    host: str | None = None,
    ignore_patterns: tuple[str, ...] = (),
) -> None:
    """A start record as a run killed before its reports leaves it: its process over;
    *card* the identity it states (None: none, as an earlier version's record); *host*
    another host's (this one's by default)."""
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    record = start_record(
        source=source,
        destinations=roots,
        copy_roots=roots,
        started=started,
        run=run,
        report=f"{Path(source).name}_killed",
        card=card or "",
        ignore_patterns=ignore_patterns,
    )
    record.update(pid=int(gone.stdout), pid_start="")
    if card is None:
        del record["card"]
    if host is not None:
        record.update(host=host, machine="", pid_space="")
    path, problem = write_start_record(reports, record)
    assert path is not None, problem


def test_a_killed_run_of_another_card_with_the_same_token_is_listed(
    tmp_path: Path, offloaded: tuple[Path, dict[str, Any], Path]
) -> None:
    """The reviewer's case: card B002 killed, its token the A001 report's. Failed before:
    B002 was not listed at all (only A001's report)."""
    reports, data, written = offloaded
    card = tmp_path / "B002"
    card.mkdir()
    _leave(
        reports,
        source=str(card),
        run=data["run"],
        started=data["started_unix"] + 30,
        roots=[str(tmp_path / "dest" / "B002")],
    )
    newest, first = _listed(reports)
    assert newest["kind"] == "started" and newest["state"] == "unfinished", newest
    assert newest["card"] == "B002" and newest["run"] == data["run"], newest
    assert first["kind"] == "offload" and first["report"] == str(written), first


def test_a_killed_run_of_the_same_card_another_day_with_the_same_token_is_listed(
    offloaded: tuple[Path, dict[str, Any], Path],
) -> None:
    """The same card, killed a day before the offload whose report has its token: another
    run. Failed before: not listed."""
    reports, data, written = offloaded
    roots = [d["copy_root"] for d in data["destinations"]]
    _leave(
        reports, source=data["source"], run=data["run"], started=data["started_unix"] - 86400,
        roots=roots,
    )  # fmt: skip
    newest, killed = _listed(reports)
    assert newest["kind"] == "offload" and newest["report"] == str(written), newest
    # Listed, and finished by the later offload of the card to its copy roots (verified).
    assert killed["kind"] == "started" and killed["state"] == "finished_later", killed
    assert killed["finished_by"] == killed["followed_by"] == str(written), killed


def test_the_record_of_the_run_that_wrote_the_report_is_not_listed(
    offloaded: tuple[Path, dict[str, Any], Path],
) -> None:
    """The record a power cut brought back beside its run's report (its start a moment
    before the copy's): listed once, as the report says."""
    reports, data, written = offloaded
    roots = [d["copy_root"] for d in data["destinations"]]
    _leave(
        reports, source=data["source"], run=data["run"], started=data["started_unix"] - 0.5,
        roots=roots,
    )  # fmt: skip
    [entry] = _listed(reports)
    assert entry["kind"] == "offload" and entry["report"] == str(written), entry


def test_a_killed_run_of_another_card_mounted_at_the_same_path_is_not_finished_by_it(
    offloaded: tuple[Path, dict[str, Any], Path],
) -> None:
    """A record stating a card identity (a volume serial and label) that the later offload
    of that path and copy root does not state (its card another, here a plain folder): the
    killed run's card was never finished by it, whatever the path. Listed unfinished,
    naming that later offload as before. A record of an earlier version, stating no
    identity, is taken by its path as before: finished."""
    reports, data, written = offloaded
    roots = [d["copy_root"] for d in data["destinations"]]
    assert data["card"] is None  # a plain folder: no identity
    _leave(
        reports, source=data["source"], run="other-1", started=data["started_unix"] - 60,
        roots=roots, card='1234-ABCD "A001"',
    )  # fmt: skip
    newest, killed = _listed(reports)
    assert newest["report"] == str(written), newest
    assert killed["state"] == "unfinished" and killed["finished_by"] is None, killed
    assert killed["result"] == "unfinished", killed
    assert killed["followed_by"] == str(written), killed  # the advice's later offload named

    _leave(
        reports, source=data["source"], run="older-1", started=data["started_unix"] - 120,
        roots=roots, card=None,
    )  # fmt: skip
    newest, other, older = _listed(reports)
    assert other["run"] == "other-1" and other["state"] == "unfinished", other
    assert older["run"] == "older-1" and older["state"] == "finished_later", older
    assert older["finished_by"] == str(written), older


def test_a_killed_run_to_two_copy_roots_is_not_finished_by_a_later_run_to_one(
    tmp_path: Path, offloaded: tuple[Path, dict[str, Any], Path]
) -> None:
    """Killed while writing to two copy roots; the later offload of the card wrote to one
    of them: the other may still lack card files. Listed unfinished (no later offload named:
    none went to both)."""
    reports, data, written = offloaded
    roots = [d["copy_root"] for d in data["destinations"]]
    _leave(
        reports, source=data["source"], run="two-1", started=data["started_unix"] - 60,
        roots=[*roots, str(tmp_path / "other" / "A001")],
    )  # fmt: skip
    newest, killed = _listed(reports)
    assert newest["report"] == str(written), newest
    assert killed["state"] == "unfinished" and killed["result"] == "unfinished", killed
    assert killed["finished_by"] is None and killed["followed_by"] is None, killed


def test_a_killed_run_of_another_host_is_not_finished_by_a_run_of_this_one(
    offloaded: tuple[Path, dict[str, Any], Path],
) -> None:
    """A shared report folder: a run of another host, killed, to the same path as this
    host's later offload: that path may name another drive there. Not finished by it
    (listed as another host's, not known to have finished)."""
    reports, data, written = offloaded
    roots = [d["copy_root"] for d in data["destinations"]]
    _leave(
        reports, source=data["source"], run="far-1", started=data["started_unix"] - 60,
        roots=roots, host="another-cart",
    )  # fmt: skip
    newest, far = _listed(reports)
    assert newest["report"] == str(written), newest
    assert far["host"] == "another-cart" and far["state"] == "unknown", far
    assert far["finished_by"] is None, far


@pytest.mark.parametrize("rule", ["--ignore", "default"])
def test_a_killed_run_is_not_finished_by_a_later_run_that_left_card_files_out(
    tmp_path: Path, rule: str
) -> None:
    """The reviewer's case: the later offload of A001 left SOUND.wav out (``--ignore
    '*.wav'``; or a default rule, ``._*``, where the killed run may have had
    ``--no-default-ignore``): its copy root holds no copy of it, and the killed run, whose
    rules its record does not state, may have been copying it. Listed unfinished, never
    finished by that run. Failed before: ``finished_later``."""
    card, dest, reports = tmp_path / "A001", tmp_path / "dest", tmp_path / "reports"
    card.mkdir()
    (card / "C1.mov").write_bytes(os.urandom(1 << 14))
    left_out = "SOUND.wav" if rule == "--ignore" else "._C1.mov"
    (card / left_out).write_bytes(os.urandom(1 << 10))
    dest.mkdir()
    argv = ["copy", "-q", "--report-dir", str(reports)]
    if rule == "--ignore":
        argv += ["--ignore", "*.wav"]
    code, _, err = _run(*argv, str(card), str(dest))
    assert code == 0, err
    [written] = reports.glob("*.json")
    data = json.loads(written.read_text(encoding="utf-8"))
    assert data["totals"]["ignored"] == 1, data["totals"]
    roots = [d["copy_root"] for d in data["destinations"]]
    assert not (Path(roots[0]) / left_out).exists()
    _leave(
        reports, source=data["source"], run="killed-1", started=data["started_unix"] - 120,
        roots=roots,
    )  # fmt: skip
    newest, killed = _listed(reports)
    assert newest["report"] == str(written), newest
    assert killed["state"] == "unfinished" and killed["result"] == "unfinished", killed
    assert killed["finished_by"] is None, killed
    assert killed["followed_by"] == str(written), killed  # named as the advice's re-run


def test_on_80_columns_the_finished_run_s_date_is_never_cut_in_two(
    offloaded: tuple[Path, dict[str, Any], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A killed run finished later, listed on 80 columns (a block of lines a run): its
    result, "finished by the run of <date> <time> UTC", on one line, on its own where it
    does not fit after the card. Failed before: folded into the head line at the date's
    space, "2026-12-07" at one line's end and "09:45:15 UTC" on the next."""
    reports, data, _ = offloaded
    roots = [d["copy_root"] for d in data["destinations"]]
    _leave(
        reports, source=data["source"], run="killed-1", started=data["started_unix"] - 60,
        roots=roots,
    )  # fmt: skip
    [killed] = [e for e in _listed(reports) if e["kind"] == "started"]
    assert killed["state"] == "finished_later", killed
    monkeypatch.setenv("COLUMNS", "80")
    code, out, err = _run("history", "--report-dir", str(reports))
    assert code == 0, err
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 80, out
    [line] = [line for line in lines if "finished by the run of" in line]
    assert line.rstrip().endswith(killed["result"]), out


@pytest.mark.parametrize("killed_ignored_proxy", [True, False])
def test_a_killed_run_whose_rules_left_out_what_the_later_run_left_out_is_finished_by_it(
    tmp_path: Path, killed_ignored_proxy: bool
) -> None:
    """The later offload of A001 with ``--ignore PROXY/`` (a folder left out whole). A
    killed run whose record states the same rules (its ``ignore_patterns``, as
    ``_record_start`` writes them) is finished by it; one whose rules were the defaults
    alone was to copy PROXY/p.mov, which has no copy there: unfinished."""
    from offload.cli.offload import _scan_patterns
    from offload.plan.ignore import IgnoreRules

    card, dest, reports = tmp_path / "A001", tmp_path / "dest", tmp_path / "reports"
    (card / "PROXY").mkdir(parents=True)
    (card / "C1.mov").write_bytes(os.urandom(1 << 14))
    (card / "PROXY" / "p.mov").write_bytes(os.urandom(1 << 10))
    dest.mkdir()
    code, _, err = _run("copy", "-q", "--report-dir", str(reports), "--ignore", "PROXY/",
                        str(card), str(dest))  # fmt: skip
    assert code == 0, err
    [written] = reports.glob("*.json")
    data = json.loads(written.read_text(encoding="utf-8"))
    assert data["ignored"][0]["kind"] == "folder", data["ignored"]
    rules = IgnoreRules.default(exclude_root_ascmhl=True)
    if killed_ignored_proxy:
        rules = rules.adding(["PROXY/"])
    _leave(
        reports, source=data["source"], run="killed-1", started=data["started_unix"] - 60,
        roots=[d["copy_root"] for d in data["destinations"]],
        ignore_patterns=tuple(_scan_patterns(rules)),
    )  # fmt: skip
    _, killed = _listed(reports)
    if killed_ignored_proxy:
        assert killed["state"] == "finished_later", killed
        assert killed["finished_by"] == str(written), killed
    else:
        assert killed["state"] == "unfinished" and killed["finished_by"] is None, killed
