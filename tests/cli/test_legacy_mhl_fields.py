"""What ``offload copy --mhl legacy`` writes into the fields of a legacy MHL v1.1, run as a
subprocess on real files: ``<username>`` is the login name the process runs as (MHL v1 means
the account; before, it was empty, or a repeat of ``--author-name``, which is ``<name>``),
left empty when it holds a character XML cannot carry; an empty file is listed with
``<size>0</size>`` as mhl-tool writes it, and a warning says the v1.1 XSD refuses that."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

CLI = [sys.executable, "-m", "offload.cli.offload"]


def copy(tmp: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "copy", "--report-dir", str(tmp / "reports"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **env},
    )


def legacy_of(copy_root: Path) -> ET.Element:
    (mhl,) = copy_root.glob(f"{copy_root.name}_*.mhl")
    return ET.parse(mhl).getroot()


def card(tmp: Path) -> Path:
    root = tmp / "CARD"
    root.mkdir()
    (root / "clip.mov").write_bytes(os.urandom(5000))
    return root


def test_username_is_the_login_name_not_the_author(tmp_path: Path) -> None:
    source = card(tmp_path)
    (tmp_path / "D1").mkdir()
    env = {"LOGNAME": "dit-login", "USER": "other"}
    result = copy(
        tmp_path, "--mhl", "legacy", "--author-name", "Dana Author", str(source),
        str(tmp_path / "D1"), env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    info = legacy_of(tmp_path / "D1" / "CARD").find("creatorinfo")
    assert info is not None
    assert info.findtext("name") == "Dana Author"
    assert info.findtext("username") == "dit-login"  # before: "Dana Author"
    # A login name XML cannot carry (an environment variable holds anything): left empty.
    (tmp_path / "D2").mkdir()
    env = {"LOGNAME": "bad\x01name"}
    result = copy(tmp_path, "--mhl", "legacy", str(source), str(tmp_path / "D2"), env=env)
    assert result.returncode == 0, result.stderr
    info = legacy_of(tmp_path / "D2" / "CARD").find("creatorinfo")
    assert info is not None and (info.findtext("username") or "") == ""


def test_an_empty_file_is_listed_with_size_0_and_a_warning(tmp_path: Path) -> None:
    source = card(tmp_path)
    (source / "empty.bin").write_bytes(b"")
    (tmp_path / "D").mkdir()
    result = copy(tmp_path, "--mhl", "both", str(source), str(tmp_path / "D"), env={})
    assert result.returncode == 0, result.stderr
    sizes = {
        h.findtext("file"): h.findtext("size")
        for h in legacy_of(tmp_path / "D" / "CARD").iter("hash")
    }
    assert sizes == {"clip.mov": "5000", "empty.bin": "0"}  # as mhl-tool writes it
    warnings = [line for line in result.stderr.splitlines() if "<size>0</size>" in line]
    assert len(warnings) == 1 and "empty.bin" in warnings[0] and "XSD" in warnings[0]
