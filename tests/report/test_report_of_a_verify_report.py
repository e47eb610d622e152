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
    assert err.rstrip().endswith(f"come from its job report: offload report {job}"), err
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
    kept = dest / "A001" / ".offload" / "reports" / job.name
    assert err.rstrip().endswith(f"offload report {kept}"), err

    # Nothing found (the copy gone): where a job report is, and how it is named.
    shutil.rmtree(dest / "A001")
    code, _, err = offload_cli(["report", str(alone)])
    assert code == 64 and err.count("\n") == 1, err
    assert "is an offload verify report" in err, err
    assert "name its job report (<card>_<YYYY-MM-DD_HHMMSS>Z.json, not verify_...: " in err, err
