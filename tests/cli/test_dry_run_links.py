"""``offload copy --dry-run`` says in advance what the run makes of the card's symlinks and
empty folders, and the warnings its manifests will give of the links they ignore (a link
that dangles can mean a missing clip): the same lines the real run prints (each test runs
the command as a subprocess on a real card folder with real links, a FIFO, an empty folder).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "offload.cli.offload"]


def run(*args: str | Path, reports: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OFFLOAD_REPORT_DIR": str(reports)}
    return subprocess.run(
        [*CLI, *map(str, args)], capture_output=True, text=True, timeout=120, check=False, env=env
    )


@pytest.fixture
def card(tmp_path: Path) -> Path:
    """QA's card: two clips, a link to each kind the manifests judge, a FIFO, an empty
    folder."""
    root = tmp_path / "card" / "D005"
    (root / "F").mkdir(parents=True)
    (root / "empty").mkdir()
    (root / "real.mov").write_bytes(os.urandom(1000))
    (root / "F" / "in.mov").write_bytes(os.urandom(500))
    (root / "link_file.mov").symlink_to("real.mov")
    (root / "link_dir").symlink_to("F")
    (root / "dangling.mov").symlink_to("nowhere.mov")
    (root / "loop1").symlink_to("loop2")
    (root / "loop2").symlink_to("loop1")
    (root / "abs_out").symlink_to("/etc/passwd")
    os.mkfifo(root / "fifo")
    return root


def link_warnings(stderr: str) -> list[str]:
    """The lines naming a link on a destination (the manifests' warnings)."""
    return sorted(
        line for line in stderr.splitlines() if re.match(r"WARNING: symlink \S+ on ", line)
    )


def test_dry_run_gives_the_real_runs_link_warnings(card: Path, tmp_path: Path) -> None:
    """Failed before: the dry run named none of the 5 links the manifests ignore (only the
    absolute link's and the FIFO's preflight warnings); the real run then warned of each."""
    dest = tmp_path / "dest"
    dest.mkdir()
    reports = tmp_path / "reports"
    dry = run("copy", card, dest, "--dry-run", reports=reports)
    assert dry.returncode == 0, dry.stderr
    assert not any(dest.iterdir())  # nothing written
    assert "  6 symlinks would be made (copied as links, never followed)" in dry.stderr
    assert "  1 empty folder would be made" in dry.stderr
    real = run("copy", card, dest, reports=reports)
    assert real.returncode == 0, real.stderr
    said = link_warnings(real.stderr)
    assert len(said) == 5, real.stderr  # abs_out, dangling.mov, link_dir, loop1, loop2
    assert link_warnings(dry.stderr) == said
    assert any("dangling.mov" in line and "leads nowhere" in line for line in said)
    # What the dry run said it would make, the run made.
    copy_root = dest / "D005"
    made = sorted(p.name for p in copy_root.iterdir() if p.is_symlink())
    assert len(made) == 6
    assert (copy_root / "empty").is_dir() and not any((copy_root / "empty").iterdir())


def test_dry_run_json_lists_links_and_empty_folders(card: Path, tmp_path: Path) -> None:
    """Failed before: --dry-run --json had no symlink or folder entries."""
    dest = tmp_path / "dest"
    dest.mkdir()
    dry = run("copy", card, dest, "--dry-run", "--json", reports=tmp_path / "reports")
    assert dry.returncode == 0, dry.stderr
    shown = json.loads(dry.stdout)
    kinds = {link["path"]: (link["target"], link["kind"]) for link in shown["symlinks"]}
    assert kinds == {
        "abs_out": ("/etc/passwd", "outside"),
        "dangling.mov": ("nowhere.mov", "dangling"),
        "link_dir": ("F", "folder"),
        "link_file.mov": ("real.mov", "file"),
        "loop1": ("loop2", "loop"),
        "loop2": ("loop1", "loop"),
    }
    assert shown["empty_folders"] == ["empty"]
    (entry,) = shown["destinations"]
    assert entry["symlinks_made"] == 6
    assert entry["empty_folders_made"] == 1
    text = run("copy", card, dest, "--dry-run", reports=tmp_path / "reports")
    assert sorted(f"WARNING: {w}" for w in entry["link_warnings"]) == link_warnings(text.stderr)
    assert len(entry["link_warnings"]) == 5


def test_no_manifest_no_link_warnings(card: Path, tmp_path: Path) -> None:
    """--mhl none: the run's manifests judge no link, so neither does the dry run; the links
    are still made."""
    dest = tmp_path / "dest"
    dest.mkdir()
    dry = run("copy", card, dest, "--dry-run", "--mhl", "none", reports=tmp_path / "reports")
    assert dry.returncode == 0, dry.stderr
    assert link_warnings(dry.stderr) == []
    assert "  6 symlinks would be made" in dry.stderr


def test_a_re_runs_dry_run_says_no_link_made_or_warned_of_again(card: Path, tmp_path: Path) -> None:
    """On a card already copied, the run makes no link and gives no link warning (the links
    stand there, its history holds them): neither does its dry run. Failed before: 5 link
    warnings and "6 symlinks would be made" (JSON ``symlinks_made``: 6)."""
    dest = tmp_path / "dest"
    dest.mkdir()
    reports = tmp_path / "reports"
    assert run("copy", card, dest, reports=reports).returncode == 0
    dry = run("copy", card, dest, "--dry-run", "--json", reports=reports)
    assert dry.returncode == 0, dry.stderr
    (entry,) = json.loads(dry.stdout)["destinations"]
    assert entry["symlinks_made"] == 0 and entry["link_warnings"] == [], entry
    text = run("copy", card, dest, "--dry-run", reports=reports)
    assert link_warnings(text.stderr) == [] and "symlinks would be made" not in text.stderr
    again = run("copy", card, dest, reports=reports)
    assert again.returncode == 0, again.stderr
    assert link_warnings(again.stderr) == []


def test_a_dangling_links_target_standing_on_the_destination_is_not_foretold_as_dangling(
    card: Path, tmp_path: Path
) -> None:
    """A stray file at a dangling link's target on the destination: the run judges what
    stands there, not the card's "leads nowhere", so the dry run says its line is the card's
    view. Failed before: it said "leads nowhere (dangling)" without a word of it."""
    dest = tmp_path / "dest"
    (dest / "D005").mkdir(parents=True)
    (dest / "D005" / "nowhere.mov").write_bytes(b"stray")
    dry = run("copy", card, dest, "--dry-run", reports=tmp_path / "reports")
    (line,) = [w for w in link_warnings(dry.stderr) if "dangling.mov" in w]
    assert "something already stands at its target on this destination" in line, line
    others = [w for w in link_warnings(dry.stderr) if "dangling.mov" not in w]
    assert len(others) == 4 and not any("already stands" in w for w in others), others
