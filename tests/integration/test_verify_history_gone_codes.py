"""``offload verify`` of a copy whose ASC MHL history lost a file exits as ``ascmhl-debug
verify`` does (README: "like ascmhl-debug verify where they overlap"): the chain file gone
(manifests left) 32, a manifest the chain lists gone 33. A real copy, the real CLI, judged
by the reference tool."""

from __future__ import annotations

import shutil
from pathlib import Path

from support.ascmhl_judge import AscmhlJudge
from support.offload_cli import offloaded_card, run_offload


def test_a_chain_file_or_manifest_gone_exits_as_ascmhl_verify(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """Failed before: offload verify exited 31 for both, ascmhl-debug verify 32 and 33."""
    copy = offloaded_card(tmp_path, clips=1, size=1_000, clip="C{:03d}.mov") / "A001"
    [manifest] = sorted((copy / "ascmhl").glob("0001_*.mhl"))
    spoiled = {
        32: copy / "ascmhl" / "ascmhl_chain.xml",
        33: manifest,
    }
    for code, gone in spoiled.items():
        root = tmp_path / str(code)
        shutil.copytree(copy, root, symlinks=True)
        (root / gone.relative_to(copy)).unlink()
        assert judge.verify(root).returncode == code, judge.verify(root).describe()
        run = run_offload("verify", "--report-dir", tmp_path / "reports", root)
        assert run.returncode == code, run.stderr
        (line,) = [x for x in run.stderr.splitlines() if x.startswith("ERROR:")]
        assert "nothing was verified against it" in line, line
