"""The reference ASC MHL tool (``ascmhl`` 1.2) as a judge of what offload-ai writes.

It lives in its own venv (it pins click 8.1), created once under ``.test-venvs/ascmhl`` in
the repository and reused; the XSDs come from its sdist. Two adjustments keep the judge
offline and honest:

* ``ascmhl`` asks GitHub for a newer release on every run; the bootstrap below replaces that
  check with a no-op (and a dead local proxy catches anything else), so runs make no
  network traffic besides the one-time install from PyPI.
* ``ASCMHLDirectory.xsd`` imports the ASC MHL schema from a URL; our copy points the import
  at the local ``ASCMHL.xsd`` of the same sdist.

``ensure_judge()`` raises :class:`JudgeUnavailable` when the tool cannot be installed.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

ASCMHL_VERSION = "1.2"
REPO_ROOT = Path(__file__).resolve().parents[2]
VENV_DIR = REPO_ROOT / ".test-venvs" / "ascmhl"
_READY_MARKER = VENV_DIR / ".judge-ready"
_REMOTE_XSD = "https://raw.githubusercontent.com/ascmitc/mhl/master/xsd/ASCMHL.xsd"
_DEAD_PROXY = "http://127.0.0.1:9"

# Runs an ascmhl CLI with its release check disabled: argv[1] names the tool.
_BOOTSTRAP = """
import sys
import ascmhl.cli.update as update
update.Updater._get_latest_version = lambda self: None
tool = sys.argv.pop(1)
if tool == "ascmhl":
    from ascmhl.cli.ascmhl import mhltool_cli as cli
else:
    from ascmhl.cli.ascmhl_debug import mhldebugtool_cli as cli
cli(prog_name=tool)
"""


class JudgeUnavailable(RuntimeError):
    """The reference tool could not be installed (no network to PyPI, ...)."""


@dataclass(frozen=True)
class JudgeResult:
    """One run of the reference tool."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def clean(self) -> bool:
        """Exit 0 and no ``ERROR`` on stderr (``verify -dh`` exits 0 despite some errors)."""
        return self.returncode == 0 and "ERROR" not in self.stderr

    def describe(self) -> str:
        return (
            f"$ {' '.join(self.args)}\nexit {self.returncode}\n"
            f"--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"
        )


class AscmhlJudge:
    """Runs ``ascmhl`` / ``ascmhl-debug`` from the judge venv."""

    def __init__(self, venv: Path) -> None:
        self.python = venv / "bin" / "python"
        self.xsd_dir = venv / "xsd"
        self.manifest_xsd = self.xsd_dir / "ASCMHL.xsd"
        self.chain_xsd = self.xsd_dir / "ASCMHLDirectory__combined.xsd"

    def run(self, tool: str, *args: str | os.PathLike[str], timeout_s: float = 300) -> JudgeResult:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.lower().endswith("_proxy") and not key.startswith("PYTHON")
        }
        env.update(HTTP_PROXY=_DEAD_PROXY, HTTPS_PROXY=_DEAD_PROXY, NO_PROXY="", TZ="UTC")
        argv = [str(self.python), "-c", _BOOTSTRAP, tool, *map(str, args)]
        completed = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            env=env,
            timeout=timeout_s,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        return JudgeResult(
            (tool, *map(str, args)), completed.returncode, completed.stdout, completed.stderr
        )

    def info(self, root: Path) -> JudgeResult:
        return self.run("ascmhl", "info", "-v", root)

    def diff(self, root: Path) -> JudgeResult:
        return self.run("ascmhl", "diff", root)

    def verify(self, root: Path, *, directory_hashes: bool = False) -> JudgeResult:
        if directory_hashes:
            return self.run("ascmhl-debug", "verify", "-dh", root)
        return self.run("ascmhl-debug", "verify", root)

    def create(self, root: Path, *hash_formats: str) -> JudgeResult:
        options = [part for name in hash_formats for part in ("-h", name)]
        return self.run("ascmhl", "create", *options, root)

    def assert_checks(self, root: Path, relative: str) -> None:
        """The tool really checks *relative* in *root*'s history: its bytes changed behind our
        back, ``verify`` fails naming it (the file is put back afterwards)."""
        path = root / relative
        original = path.read_bytes()
        path.write_bytes(b"changed " + original)
        try:
            verdict = self.verify(root)
            assert verdict.returncode != 0, verdict.describe()
            assert f"hash mismatch        for {relative}" in verdict.stderr, verdict.describe()
        finally:
            path.write_bytes(original)

    def check_manifest_schema(self, manifest: Path) -> JudgeResult:
        return self.run("ascmhl-debug", "xsd-schema-check", "-xsd", self.manifest_xsd, manifest)

    def check_chain_schema(self, chain: Path) -> JudgeResult:
        return self.run("ascmhl-debug", "xsd-schema-check", "-df", "-xsd", self.chain_xsd, chain)


def _run(argv: list[str], what: str, cwd: Path | None = None) -> None:
    try:
        completed = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise JudgeUnavailable(f"{what} failed: {exc}") from exc
    if completed.returncode != 0:
        tail = (completed.stderr or completed.stdout).strip().splitlines()[-5:]
        raise JudgeUnavailable(f"{what} failed (exit {completed.returncode}): " + " | ".join(tail))


def _extract_xsds(sdist: Path, target: Path) -> None:
    wanted = {"ASCMHL.xsd", "ASCMHLDirectory.xsd", "ASCMHLDirectory__combined.xsd"}
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(sdist) as archive:
        for member in archive.getmembers():
            parts = Path(member.name).parts
            # the schemas themselves live in <sdist>/xsd/, examples in xsd/examples/
            if len(parts) == 3 and parts[1] == "xsd" and parts[2] in wanted and member.isfile():
                source = archive.extractfile(member)
                assert source is not None
                text = source.read().decode("utf-8")
                (target / parts[2]).write_text(text.replace(_REMOTE_XSD, "ASCMHL.xsd"))
    missing = [name for name in wanted if not (target / name).is_file()]
    if missing:
        raise JudgeUnavailable(f"the ascmhl sdist has no {', '.join(missing)}")


def _install() -> None:
    if VENV_DIR.exists():
        shutil.rmtree(VENV_DIR)
    _run([sys.executable, "-m", "venv", str(VENV_DIR)], "creating the judge venv")
    python = str(VENV_DIR / "bin" / "python")
    pip = [python, "-m", "pip", "--disable-pip-version-check", "-q"]
    _run([*pip, "install", f"ascmhl=={ASCMHL_VERSION}"], f"pip install ascmhl=={ASCMHL_VERSION}")
    download = VENV_DIR / "sdist"
    _run(
        [
            *pip,
            "download",
            f"ascmhl=={ASCMHL_VERSION}",
            "--no-binary",
            ":all:",
            "--no-deps",
            "-d",
            str(download),
        ],
        "downloading the ascmhl sdist",
    )
    sdists = sorted(download.glob("ascmhl-*.tar.gz"))
    if not sdists:
        raise JudgeUnavailable("pip download produced no ascmhl sdist")
    _extract_xsds(sdists[0], VENV_DIR / "xsd")
    _READY_MARKER.write_text(ASCMHL_VERSION + "\n")


def ensure_judge() -> AscmhlJudge:
    """Install the judge once (under a lock, so parallel test runs share it) and return it.

    Raises JudgeUnavailable with the reason when it cannot be installed.
    """
    VENV_DIR.parent.mkdir(parents=True, exist_ok=True)
    with open(VENV_DIR.parent / "ascmhl.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        ready = _READY_MARKER.is_file() and _READY_MARKER.read_text().strip() == ASCMHL_VERSION
        if not ready or not (VENV_DIR / "bin" / "python").exists():
            _install()
    return AscmhlJudge(VENV_DIR)
