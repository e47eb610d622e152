"""``offload report`` never writes a document over the job report it reads, nor both
documents to one file: refused before anything is written (exit 64, one line), --overwrite
or not. The real CLI in a subprocess, a real job report (tests/golden/old_reports).

Failed before (QA, "the first hour"): ``offload report JOB.json --html JOB.json --overwrite``
replaced the run's record with HTML, exit 0; ``--html X --pdf X`` wrote the HTML, then said
"folder could not be synced (File exists)", exit 1."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from support.offload_cli import run_offload

OLD = Path(__file__).parent.parent / "golden" / "old_reports"


def _job(tmp_path: Path, name: str = "A001_2026-12-04_191425Z.json") -> Path:
    job = tmp_path / name
    shutil.copy(OLD / "cascade_before_card_kept_by_its_disk.json", job)
    return job


def _refused(tmp_path: Path, job: Path, *argv: str | Path) -> str:
    """``offload report JOB *argv --no-media``: exit 64, one line, nothing written (the
    folder's entries and the job report's bytes as they were); that line."""
    before = sorted(os.listdir(tmp_path)), job.read_bytes()
    done = run_offload("report", job, *argv, "--no-media")
    assert done.returncode == 64, done.stdout + done.stderr
    assert done.stdout == "" and done.stderr.count("\n") == 1, done.stderr
    assert (sorted(os.listdir(tmp_path)), job.read_bytes()) == before
    return done.stderr


def _symlink(job: Path) -> Path:
    link = job.with_name("link.json")
    link.symlink_to(job)
    return link


def _hard_link(job: Path) -> Path:
    link = job.with_name("hard.json")
    os.link(job, link)
    return link


@pytest.mark.parametrize("option", ["--html", "--pdf"])
@pytest.mark.parametrize(
    "way", [lambda job: job, _symlink, _hard_link], ids=["itself", "symlink", "hard-link"]
)
def test_a_document_over_the_job_report_is_refused(
    tmp_path: Path, option: str, way: Callable[[Path], Path]
) -> None:
    job = _job(tmp_path)
    out = way(job)
    err = _refused(tmp_path, job, option, out, "--overwrite")
    assert f"{out} is the job report {job} itself ({option} names it)" in err, err
    assert f"name another file with {option} OUT" in err, err


def test_the_default_html_of_a_job_report_named_html_is_refused(tmp_path: Path) -> None:
    job = _job(tmp_path, "A001.html")  # JOB.html, the default HTML, is JOB itself
    err = _refused(tmp_path, job)
    assert "the default HTML file beside it has its name" in err, err


@pytest.mark.parametrize("existing", [False, True], ids=["new", "existing-via-symlink"])
def test_html_and_pdf_naming_one_file_are_refused(tmp_path: Path, existing: bool) -> None:
    job = _job(tmp_path)
    html = tmp_path / "out.html"
    pdf = html
    if existing:
        html.write_text("mine")
        pdf = tmp_path / "out.pdf"
        pdf.symlink_to(html)
    err = _refused(tmp_path, job, "--html", html, "--pdf", pdf, "--overwrite")
    assert f"--html and --pdf both name {html}" in err and "name two files" in err, err
