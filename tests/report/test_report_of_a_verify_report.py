"""``offload report`` given an ``offload verify`` report (QA qa70rep L3). Failed before:
exit 64, "is not an offload-ai job report ...; name a saved JSON job report (offload
history lists the report folder's)", and ``offload history`` lists exactly that verify
report: a circle. Now the line says a check writes JSON and CSV only, no HTML or PDF, and
names the job report that makes the documents where one is found (the report folder's, or
the copy's ``.offload/reports/``), else where to find one. Real card folders, the real CLI
in-process."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from report.helpers import offload_cli


def test_a_verify_report_names_the_job_report_to_give(tmp_path: Path) -> None:
    card = tmp_path / "cards" / "A001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "A001C001.mov").write_bytes(os.urandom(3000))
    dest, reports = tmp_path / "D1", tmp_path / "r"
    dest.mkdir()
    code, _, err = offload_cli(["copy", "--report-dir", str(reports), str(card), str(dest)])
    assert code == 0, err
    [job] = reports.glob("A001_*.json")
    code, _, err = offload_cli(["verify", "--report-dir", str(reports), str(dest / "A001")])
    assert code == 0, err
    [checked] = reports.glob("verify_*.json")

    code, out, err = offload_cli(["report", str(checked)])
    assert code == 64 and out == "", (out, err)
    assert err.count("\n") == 1, err
    assert f"{checked} is an offload verify report: a check writes its JSON and CSV reports " in err
    assert "only, no HTML or PDF" in err, err
    kept = dest / "A001" / ".offload" / "reports" / job.name
    # The copy's own, not the report folder's of the same name (perhaps another card's).
    assert err.rstrip().endswith(f"come from its job report: offload report {kept}"), err
    assert "offload history lists the report folder's" not in err, err
    assert sorted(p.name for p in reports.iterdir() if p.is_file()) == sorted(
        [job.name, job.with_suffix(".csv").name, job.with_suffix(".html").name,
         job.with_suffix(".pdf").name, checked.name, checked.with_suffix(".csv").name]
    )  # fmt: skip

    # Mailed alone: the copy's own job report, from its .offload/reports/.
    alone = tmp_path / "mail" / checked.name
    alone.parent.mkdir()
    shutil.copyfile(checked, alone)
    code, _, err = offload_cli(["report", str(alone)])
    assert code == 64, err
    assert err.rstrip().endswith(f"offload report {kept}"), err

    # The copy gone: the report folder's job report named after it, worded as a guess.
    shutil.rmtree(dest / "A001")
    code, _, err = offload_cli(["report", str(checked)])
    assert code == 64 and err.count("\n") == 1, err
    assert "named after it (check it is this copy's: two cards may share a name): " in err, err
    assert err.rstrip().endswith(f"offload report {job}"), err

    # Nothing found (the copy gone, the report mailed alone): where a job report is.
    code, _, err = offload_cli(["report", str(alone)])
    assert code == 64 and err.count("\n") == 1, err
    assert "is an offload verify report" in err, err
    assert "name its job report (<card>_<YYYY-MM-DD_HHMMSS>Z.json, not verify_...: " in err, err


def test_two_cards_of_one_name_each_verify_report_names_its_own_copys_job_report(
    tmp_path: Path,
) -> None:
    """Two cards both named EOS_DIGITAL (a camera's default), the second copied ``--into``
    EOS_DIGITAL_2: the check of the first copy named the second card's job report, the
    newest of the report folder's named EOS_DIGITAL (review of qafix70r, M2). Failed
    before: it named the second's."""
    dest, reports = tmp_path / "D1", tmp_path / "r"
    dest.mkdir()
    jobs = []
    (dest / "EOS_DIGITAL_2").mkdir()
    for number, into in ((1, [str(dest)]), (2, ["--into", str(dest / "EOS_DIGITAL_2")])):
        card = tmp_path / f"cards{number}" / "EOS_DIGITAL"
        (card / "DCIM" / "100CANON").mkdir(parents=True)
        (card / "DCIM" / "100CANON" / f"MVI_000{number}.MP4").write_bytes(os.urandom(3000))
        before = set(reports.glob("EOS_DIGITAL_*.json"))
        args = ["copy", "--report-dir", str(reports), *into[:-1], str(card), into[-1]]
        code, _, err = offload_cli(args)
        assert code == 0, err
        [job] = set(reports.glob("EOS_DIGITAL_*.json")) - before
        jobs.append(job)
    assert max(jobs) == jobs[1]  # the second card's is the newest of that name
    code, _, err = offload_cli(["verify", "--report-dir", str(reports), str(dest / "EOS_DIGITAL")])
    assert code == 0, err
    [checked] = reports.glob("verify_*.json")
    code, _, err = offload_cli(["report", str(checked)])
    assert code == 64, err
    own = dest / "EOS_DIGITAL" / ".offload" / "reports" / jobs[0].name
    assert err.rstrip().endswith(f"come from its job report: offload report {own}"), err
