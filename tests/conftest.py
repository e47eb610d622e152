"""Project-wide test configuration: fault-tooling fixtures and the rules for fault tests.

* As root, the whole session runs in a private mount namespace (entered when this file is
  imported, before any thread starts), so no mount made by a test outlives pytest. Set
  OFFLOAD_TESTS_SHARED_MOUNTS=1 to stay in the host's namespace (to look at a mount from
  another shell while debugging).
* Factory fixtures ``faulty_fs``, ``tmpfs_mount``, ``ext4_loop``, ``exfat_loop`` (see
  docs/reliability.md) skip with the reason when not root or a tool is missing; each mount is
  undone at the end of the test. ``disk_folder``: a folder on a real disk (tmp_path, or
  beside the checkout where /tmp is a tmpfs).
* ``judge``: the reference tool ``ascmhl`` 1.2 in its own venv (integration and S3 tests),
  installed when the tests are collected, so its install counts in no test's timeout.
* ``XDG_CACHE_HOME`` and ``XDG_STATE_HOME`` name folders of the session's, and
  ``OFFLOAD_REPORT_DIR`` is unset, for the whole run (the ``offload`` processes the tests
  start inherit them): a run's cache of generated code and its local reports (the default
  report folder) go there, never into the user's ``~/.cache`` or ``~/.local/state``.
* ``TZ`` is ``UTC`` for the whole run (the processes the tests start inherit it): the
  documents' and the terminal's times are the machine zone's.
* A SIGINT inherited as ignored is Python's default again in the test process, so the
  processes the tests start take a Ctrl-C as from a terminal, however pytest was started.
* A test marked ``@pytest.mark.fault`` gets a FAULT_TIMEOUT_S timeout unless it sets its own.
* Under CI=true a skip is a failure (with the skip reason) when the test is a fault test or
  when it skipped because something is missing here: a program, a library, root (every such
  reason comes from support/requirements.py and starts with ``requirements.UNAVAILABLE``).
"""

from __future__ import annotations

import compileall
import contextlib
import itertools
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

import offload
from support import faultyfs, mounts, requirements
from support.ascmhl_judge import AscmhlJudge, JudgeUnavailable, ensure_judge
from support.faultyfs import FaultyFS

FAULT_TIMEOUT_S = 60
"""Per-test timeout of fault tests: a hung mount must fail fast, not after the global 300 s."""

WATCHDOG_MARGIN_S = 5
"""The FaultyFS daemon is SIGKILLed this long before the test's timeout, so a call blocked on
the mount returns ENOTCONN and the test fails with a traceback instead of hanging."""

# Property tests are not timed: Hypothesis's default 200 ms deadline per example (and its
# too-slow check of data generation) fails an example that a loaded machine merely paused,
# which says nothing about the code. Speed claims live in `offload bench`.
settings.register_profile("offload", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("offload")

# A SIGINT this process inherited as ignored (pytest started by a non-interactive shell's
# ``&``: a script, a loop, a CI step run so) is inherited by every ``offload`` process a
# test starts, which keeps it ignored as a user's ``offload copy ... &`` must
# (``handling_signals``): each test that sends one a Ctrl-C then saw the copy run to its
# end (exit 0 where it checks 130; 8 runs of 8 of the cascade's Ctrl-C test so). Python's
# own handler, as an interactive pytest has it.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

if os.environ.get("OFFLOAD_TESTS_SHARED_MOUNTS") == "1":
    NAMESPACE = mounts.NamespaceResult(False, "OFFLOAD_TESTS_SHARED_MOUNTS=1: host namespace")
else:
    NAMESPACE = mounts.enter_private_mount_namespace()


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1")


_judge_install: list[AscmhlJudge | JudgeUnavailable] = []
"""What installing the judge gave this process (once): the judge, or why it is unavailable."""


def _installed_judge() -> AscmhlJudge | JudgeUnavailable:
    if not _judge_install:
        try:
            _judge_install.append(ensure_judge())
        except JudgeUnavailable as exc:
            _judge_install.append(exc)
    return _judge_install[0]


def pytest_collection_finish(session: pytest.Session) -> None:
    """Install the judge before the first test when a collected test uses it (each xdist
    worker collects: the second waits on the install's lock, then finds it done).

    The install (a venv, ascmhl from PyPI, its sdist) took ~25 s on a quiet machine and over
    60 s beside two busy CPUs: as the ``judge`` fixture's setup it counted in the timeout of
    the first test to ask for it, a 60 s fault test's too, which then failed (an ERROR at
    setup) while every other test that used the judge passed. Here it is no test's time.
    """
    if not session.config.option.collectonly and any(
        "judge" in getattr(item, "fixturenames", ()) for item in session.items
    ):
        _installed_judge()


@pytest.fixture(scope="session")
def judge() -> Iterator[AscmhlJudge]:
    """The reference tool ascmhl 1.2 in its own venv (installed before the first test,
    ``pytest_collection_finish``); under CI=true it must be available."""
    found = _installed_judge()
    if isinstance(found, JudgeUnavailable):
        if _ci():
            pytest.fail(f"the ASC MHL judge (ascmhl 1.2) must run under CI: {found}")
        pytest.skip(f"the ASC MHL judge (ascmhl 1.2) is unavailable: {found}")
    try:
        yield found
    finally:
        found.close()


def pytest_sessionstart(session: pytest.Session) -> None:
    """Byte-compile offload-ai's own modules (those this run imports) once, before any test.

    The suite starts hundreds of Python processes of them (``offload``, ``pfndispatchcopy``,
    each run's report worker). Where PYTHONDONTWRITEBYTECODE is set, as on the machines the
    suite runs on, a fresh clone's ``src/`` never gets its ``__pycache__`` and each of those
    processes compiled every module it imports again: ~0.1 s of CPU more for the CLI, ~0.18 s
    more for a report worker. Up-to-date files are skipped, so an xdist worker after the first
    pays only the checks; a package that is not writable is left as it is.
    """
    for package in offload.__path__:
        compileall.compile_dir(package, quiet=2)


def pytest_report_header(config: pytest.Config) -> str:
    header = f"mounts: {NAMESPACE.detail}"
    if NAMESPACE.threads_left_behind:
        header += f" ({NAMESPACE.threads_left_behind} older thread(s) stay in the host's)"
    return header


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("fault") and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(FAULT_TIMEOUT_S))


_FAULTY_MOUNTS = pytest.StashKey[list[FaultyFS]]()
"""The FaultyFS mounts a test's ``faulty_fs`` made (their daemons' logs shown if it fails)."""


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    report = yield
    if report.when == "call" and report.failed:
        # Before teardown deletes them: what each daemon said (a traceback, a stray signal
        # and its sender, its watchdog), under the failure.
        for number, fs in enumerate(item.stash.get(_FAULTY_MOUNTS, [])):
            log = fs.all_logs_text().strip()  # those before a remount too
            if log:
                report.sections.append((f"faultyfs {number} daemon log ({fs.mountpoint})", log))
    if report.skipped and not hasattr(report, "wasxfail"):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        unavailable = reason.removeprefix("Skipped: ").startswith(requirements.UNAVAILABLE)
        if unavailable and isinstance(longrepr, tuple) and item.location[1] is not None:
            # name the test in the summary, not the helper that skipped it
            report.longrepr = (item.location[0], item.location[1] + 1, reason)
        if _ci() and item.get_closest_marker("fault") is not None:
            report.outcome = "failed"
            report.longrepr = (
                f"fault test skipped under CI=true (fault tests must run in CI): {reason}"
            )
        elif _ci() and unavailable:
            report.outcome = "failed"
            report.longrepr = (
                f"skipped under CI=true (CI must have every tool and run as root): {reason}"
            )
    return report


@pytest.fixture(scope="session", autouse=True)
def _own_cache_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """``XDG_CACHE_HOME`` a folder of this session's for the whole run, set in
    ``os.environ`` so the ``offload`` processes the tests start inherit it: the suite
    neither writes into the user's ``~/.cache/offload-ai`` (its cache of generated code,
    cli/generated_code.py) nor depends on what an earlier run left there."""
    folder = tmp_path_factory.mktemp("xdg-cache-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(folder))
        yield folder


@pytest.fixture(scope="session", autouse=True)
def _own_state_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """``XDG_STATE_HOME`` a folder of this session's, and no ``OFFLOAD_REPORT_DIR``, for the
    whole run, set in ``os.environ`` so the ``offload`` processes the tests start inherit
    them: a run not given ``--report-dir`` writes its local reports into this folder's
    ``offload-ai/reports``, never into the user's ``~/.local/state/offload-ai/reports``
    (11,000 files there after a day of helpers' runs), and still by the default's own logic
    (``cli/common.py``'s ``default_report_dir``; a folder the user named is refused where
    the default is made with its parents). A test of the default itself gives its runs a
    ``HOME`` or ``XDG_STATE_HOME`` of its own (tests/cli/test_default_report_dir.py)."""
    folder = tmp_path_factory.mktemp("xdg-state-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_STATE_HOME", str(folder))
        patch.delenv("OFFLOAD_REPORT_DIR", raising=False)
        yield folder


@pytest.fixture(scope="session", autouse=True)
def _utc_zone() -> Iterator[None]:
    """``TZ=UTC`` for the whole run, set in ``os.environ`` (and ``time.tzset``) so the
    ``offload`` processes the tests start inherit it: the documents give each time in the
    machine's zone, UTC beside it (``words.local_and_utc``), the terminal in the machine's
    zone, so a test's expected words do not depend on the zone of whoever runs pytest. A
    test of another zone sets ``TZ`` itself (and calls ``time.tzset`` in-process)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TZ", "UTC")
        time.tzset()
        yield
    time.tzset()


@pytest.fixture(autouse=True)
def _no_terminal_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the $COLUMNS or $LINES of whoever runs pytest (pytest-xdist's workers have
    80 and 24): ``offload``'s tables and live view size to them, so with COLUMNS=80 a summary
    row wrapped and tests/s3/test_s3_cli.py's row lookup failed. A test that cares sets them."""
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("LINES", raising=False)


def _timeout_s(request: pytest.FixtureRequest) -> float | None:
    marker = request.node.get_closest_marker("timeout")
    value = marker.args[0] if marker and marker.args else request.config.getini("timeout")
    try:
        timeout = float(value)
    except (TypeError, ValueError):
        return None
    return timeout if timeout > 0 else None


_skip_if = requirements.skip_unavailable


@pytest.fixture
def faulty_fs(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., FaultyFS]]:
    """Factory: ``faulty_fs(backing=None, mountpoint=None, **FaultyFS options) -> FaultyFS``.

    Mounts a started FaultyFS (default dirs under tmp_path); all are closed after the test.
    A test that fails shows each daemon's log under its failure (``pytest_runtest_makereport``).
    """
    _skip_if(faultyfs.unavailable_reason())
    timeout = _timeout_s(request)
    watchdog = max(1.0, timeout - WATCHDOG_MARGIN_S) if timeout else None
    numbers = itertools.count()
    made = request.node.stash.setdefault(_FAULTY_MOUNTS, [])
    with contextlib.ExitStack() as stack:

        def make(
            backing: Path | None = None, mountpoint: Path | None = None, **options: Any
        ) -> FaultyFS:
            n = next(numbers)
            options.setdefault("watchdog_s", watchdog)
            fs = FaultyFS(
                backing or tmp_path / f"faultyfs{n}-backing",
                mountpoint or tmp_path / f"faultyfs{n}",
                **options,
            )
            made.append(fs)
            return stack.enter_context(fs)

        yield make
        # A passing test shows no daemon's log: a stray signal it ignored is warned of.
        faultyfs.warn_of_stray_signals(made)


@pytest.fixture
def tmpfs_mount(tmp_path: Path) -> Iterator[Callable[..., mounts.Mount]]:
    """Factory: ``tmpfs_mount(size_bytes, *, nr_inodes=None, path=None) -> Mount``."""
    _skip_if(mounts.unavailable_reason("tmpfs"))
    numbers = itertools.count()
    with contextlib.ExitStack() as stack:

        def make(
            size_bytes: int, *, nr_inodes: int | None = None, path: Path | None = None
        ) -> mounts.Mount:
            where = path or tmp_path / f"tmpfs{next(numbers)}"
            return stack.enter_context(mounts.tmpfs(where, size_bytes, nr_inodes))

        yield make


@pytest.fixture
def bind_mount() -> Iterator[Callable[[Path, Path], mounts.Mount]]:
    """Factory: ``bind_mount(source, path) -> Mount`` (the folder *source* seen at *path*)."""
    _skip_if(mounts.unavailable_reason("bind"))
    with contextlib.ExitStack() as stack:

        def make(source: Path, path: Path) -> mounts.Mount:
            return stack.enter_context(mounts.bind_mount(source, path))

        yield make


def _on_a_disk(folder: Path) -> bool:
    """*folder* is on a disk that outlives a reboot, as the card-release rule sees it: a
    block device sysfs names, not memory, not a loop device over a file on no disk."""
    from offload.engine.devices import group_destinations

    (group,) = group_destinations([folder])
    return (
        group.device.startswith("/dev/")
        and group.kind != "memory"
        and (group.backing_filesystem is None)
    )


@pytest.fixture
def disk_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder on a real disk, whose reads can reach the media (destinations for "may be
    formatted", a card re-read from the media): pytest's tmp_path when it is on one, else a
    folder beside the checkout (where /tmp is a tmpfs); a skip (a failure under CI=true)
    when neither is."""
    if _on_a_disk(tmp_path):
        yield tmp_path
        return
    checkout = Path(__file__).resolve().parents[1]
    if not _on_a_disk(checkout):
        requirements.skip_unavailable(
            f"a folder on a disk: neither {tmp_path} nor {checkout} is on one"
        )
    folder = Path(tempfile.mkdtemp(prefix=".disk-folder-", dir=checkout))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def ext4_loop(tmp_path: Path) -> Iterator[Callable[..., mounts.Ext4Loop]]:
    """Factory: ``ext4_loop(size_bytes=32 MiB, *, path=None, mkfs_args=()) -> Ext4Loop``."""
    _skip_if(mounts.unavailable_reason("ext4"))
    numbers = itertools.count()
    with contextlib.ExitStack() as stack:

        def make(
            size_bytes: int = 32 << 20,
            *,
            path: Path | None = None,
            mkfs_args: tuple[str, ...] = (),
        ) -> mounts.Ext4Loop:
            where = path or tmp_path / f"ext4-{next(numbers)}"
            return stack.enter_context(mounts.ext4_loop(where, size_bytes, mkfs_args=mkfs_args))

        yield make


@pytest.fixture
def ntfs_image(tmp_path: Path) -> Iterator[mounts.Mount]:
    """NTFS through ntfs-3g straight from an image file (type ``fuse``, 16 MiB), at
    *tmp_path*/ntfs."""
    _skip_if(mounts.unavailable_reason("ntfs"))
    with mounts.ntfs_image_mount(tmp_path / "ntfs", 16 << 20) as mount:
        yield mount


@pytest.fixture
def ntfs_loop(tmp_path: Path) -> Iterator[Callable[..., mounts.ExfatLoop]]:
    """Factory: ``ntfs_loop(size_bytes=32 MiB, *, path=None)``: NTFS through ntfs-3g."""
    _skip_if(mounts.unavailable_reason("ntfs"))
    numbers = itertools.count()
    with contextlib.ExitStack() as stack:

        def make(size_bytes: int = 32 << 20, *, path: Path | None = None) -> mounts.ExfatLoop:
            where = path or tmp_path / f"ntfs-{next(numbers)}"
            return stack.enter_context(mounts.ntfs_loop(where, size_bytes))

        yield make


@pytest.fixture
def fusefat_mount(tmp_path: Path) -> Iterator[Callable[..., mounts.Mount]]:
    """Factory: ``fusefat_mount(size_bytes=32 MiB, *, path=None, fat_bits=None,
    folders=())``: FAT through fusefat (*fat_bits* 12, 16 or 32: ``mkfs.vfat -F``; else its
    choice, FAT16 at 32 MiB; *folders* made first by ``mmd``, Unicode names too)."""
    _skip_if(mounts.unavailable_reason("fusefat"))
    numbers = itertools.count()
    with contextlib.ExitStack() as stack:

        def make(
            size_bytes: int = 32 << 20,
            *,
            path: Path | None = None,
            fat_bits: int | None = None,
            folders: tuple[str, ...] = (),
        ) -> mounts.Mount:
            where = path or tmp_path / f"fat-{next(numbers)}"
            return stack.enter_context(
                mounts.fusefat_mount(where, size_bytes, fat_bits=fat_bits, folders=folders)
            )

        yield make


@pytest.fixture
def btrfs_loop(tmp_path: Path) -> Iterator[Callable[..., mounts.Ext4Loop]]:
    """Factory: ``btrfs_loop(size_bytes=128 MiB, *, path=None)``, its image beside it."""
    _skip_if(mounts.unavailable_reason("btrfs"))
    numbers = itertools.count()
    with contextlib.ExitStack() as stack:

        def make(size_bytes: int = 128 << 20, *, path: Path | None = None) -> mounts.Ext4Loop:
            where = path or tmp_path / f"btrfs-{next(numbers)}"
            return stack.enter_context(mounts.btrfs_loop(where, size_bytes))

        yield make


@pytest.fixture
def exfat_loop(tmp_path: Path) -> Iterator[Callable[..., mounts.ExfatLoop]]:
    """Factory: ``exfat_loop(size_bytes=32 MiB, *, path=None, cluster=None, label=None,
    serial=None) -> ExfatLoop``."""
    _skip_if(mounts.unavailable_reason("exfat"))
    numbers = itertools.count()
    with contextlib.ExitStack() as stack:

        def make(
            size_bytes: int = 32 << 20,
            *,
            path: Path | None = None,
            cluster: str | None = None,
            label: str | None = None,
            serial: int | None = None,
        ) -> mounts.ExfatLoop:
            where = path or tmp_path / f"exfat-{next(numbers)}"
            return stack.enter_context(
                mounts.exfat_loop(where, size_bytes, cluster=cluster, label=label, serial=serial)
            )

        yield make


@pytest.fixture
def cards(tmp_path: Path) -> Iterator[Path]:
    """A folder for cards on another filesystem (and disk) than ``tmp_path``, where the tests
    put their destinations. A cascade's fast copy on the card's own filesystem or disk
    releases nothing (``cascade.on_card_disk``), so a test of a release keeps its card here:
    a tmpfs of the test's own (root, as CI runs) beside ``tmp_path``, not in it (a test
    that lists its folder sees no card there), else a folder in /dev/shm (which a
    container may make small: 64 MiB under Docker's default), else skipped with the reason."""
    with contextlib.ExitStack() as stack:
        try:
            mount = stack.enter_context(
                mounts.tmpfs(tmp_path.parent / f"{tmp_path.name}-cards", 4 << 30)
            )
        except mounts.MountError as exc:
            why = str(exc)
        else:
            yield mount.path
            return
    if not os.path.isdir("/dev/shm"):
        pytest.skip(f"no card on another filesystem than the destinations: {why}; no /dev/shm")
    folder = Path(tempfile.mkdtemp(prefix="offload-cards-", dir="/dev/shm"))
    if os.stat(folder).st_dev == os.stat(tmp_path).st_dev:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(
            f"no card on another filesystem than the destinations: {why}; /dev/shm is "
            "the test folder's filesystem"
        )
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
