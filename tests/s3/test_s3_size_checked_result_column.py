"""The terminal summary's ``result`` column of a bucket whose copies were size-checked only
(a service that stores a part whatever its checksum: the real S3 test server in its
``no-checksums`` mode): it says ``size-checked only``, as the line below the table, the JSON's
``size_checked_only`` and every document do, never ``transfer-checked``. A real ``offload``
process; the local folder beside it, whose write checked the in-flight hashes, stays
``transfer-checked``."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from s3.conftest import S3Server, new_bucket
from s3.test_s3_cli import make_card
from support.offload_cli import run_offload


def _results(out: str) -> dict[str, str]:
    """Each destination's ``result``, from the narrow terminal's blocks (a path line, then
    its ``  result: ...`` line)."""
    lines = out.splitlines()
    found = {}
    for before, line in itertools.pairwise(lines):
        match = re.match(r"\s+result: (.*)", line)
        if match:
            found[before.strip()] = match.group(1).strip()
    return found


@pytest.mark.parametrize("columns", [200, 60])
def test_a_size_checked_bucket_says_so_in_its_result_column(
    unchecked: S3Server, tmp_path: Path, columns: int
) -> None:
    """Failed before: the bucket's result said "transfer-checked" beside the line "2 copies on
    s3://... size-checked only"."""
    bucket = new_bucket(unchecked.url)
    card = make_card(tmp_path, {"CLIPS/a.mov": 4000, "CLIPS/b.mov": 5000})
    local = tmp_path / "d6"
    local.mkdir()
    url = f"s3://{bucket}/tc"
    done = run_offload(
        "copy", "--report-dir", tmp_path / "reports", "--s3-endpoint", unchecked.url,
        "--verify", "transfer", card, local, url,
        columns=columns,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = done.stderr  # the summary goes to stderr (stdout is for --json)
    if columns == 60:  # too narrow for the table: a block a destination
        results = _results(out)
        assert results.get(url) == "size-checked only", (results, out)
        # A long path is shortened from its start to fit ("…1/d6" in CI's deeper temporary
        # folder): the local block is the other one, its path ending in the folder's name.
        (shown,) = [path for path in results if path != url]
        assert shown.endswith("d6") and str(local).endswith(shown.lstrip("…")), (results, out)
        assert results[shown] == "transfer-checked", (results, out)
        return
    lines = out.splitlines()
    rows = {}
    for row in (url, "/d6"):
        # The path may be shortened in its column: the row is the one whose first word ends so.
        start = next(
            (
                i
                for i, line in enumerate(lines)
                if line.split()[:1] and line.split()[0].endswith(row)
            ),
            None,
        )
        assert start is not None, (row, out)
        # The result's words are stacked a line each in its column: the row and the next two.
        rows[row] = " ".join(line.split()[-1] for line in lines[start : start + 3] if line.strip())
    assert rows[url].startswith("size- checked only"), (rows, out)
    assert rows["/d6"].startswith("transfer- checked"), (rows, out)
    assert "transfer-" not in rows[url], (rows, out)
