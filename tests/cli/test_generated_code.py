"""The cache of the code ``dataclasses`` and ``namedtuple`` generate (``cli/generated_code.py``):
filled by the command's own processes (the console script's and its report worker's), every
cached code object the one ``compile`` makes of its text, a file that cannot be trusted
ignored and replaced, never an error; off with ``OFFLOAD_NO_CODE_CACHE``; a process that
only calls ``main`` (a library user's, a test's) never touches it."""

from __future__ import annotations
import __future__

import collections
import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import time
import typing
from collections.abc import Callable
from pathlib import Path
from types import CodeType

import pytest

from offload.cli.generated_code import (
    DISABLE_VARIABLE,
    Key,
    file_name,
    generated_code_cache,
    interpreter_tag,
    load,
    store,
)
from support.faultyfs import FaultyFS

_CODE_FIELDS = (
    "co_argcount",
    "co_posonlyargcount",
    "co_kwonlyargcount",
    "co_nlocals",
    "co_stacksize",
    "co_flags",
    "co_code",
    "co_names",
    "co_varnames",
    "co_freevars",
    "co_cellvars",
    "co_filename",
    "co_name",
    "co_qualname",
    "co_firstlineno",
    "co_linetable",
    "co_exceptiontable",
)


def _same_code(a: CodeType, b: CodeType) -> None:
    """*a* and *b* alike in every field, their nested code objects too (``==`` on code
    objects leaves some fields out)."""
    assert a == b
    for field in _CODE_FIELDS:
        if hasattr(a, field):
            assert getattr(a, field) == getattr(b, field), field
    assert list(a.co_positions()) == list(b.co_positions())
    assert len(a.co_consts) == len(b.co_consts)
    for x, y in zip(a.co_consts, b.co_consts, strict=True):
        if isinstance(x, CodeType):
            assert isinstance(y, CodeType)
            _same_code(x, y)
        else:
            assert type(x) is type(y) and x == y


def _card(tmp_path: Path) -> Path:
    card = tmp_path / "CARD"
    (card / "DCIM").mkdir(parents=True)
    for i in range(3):
        (card / "DCIM" / f"C{i:04}.MP4").write_bytes(os.urandom(2000))
    return card


def _env(cache_home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != DISABLE_VARIABLE}
    env["XDG_CACHE_HOME"] = str(cache_home)
    if not cache_home.exists():  # a missing $XDG_CACHE_HOME is never made (only ~/.cache is)
        cache_home.mkdir(parents=True)
    env.update(extra)
    return env


def _copy(
    tmp_path: Path, env: dict[str, str], run: str, timeout_s: float = 180
) -> subprocess.CompletedProcess[str]:
    """``python -m offload copy`` of the card to a new destination: the console script's
    own process and its report worker."""
    dest = tmp_path / f"dest-{run}"
    dest.mkdir()
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "offload",
            "copy",
            "--quiet",
            "--report-dir",
            str(tmp_path / f"reports-{run}"),
            str(tmp_path / "CARD"),
            str(dest),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout_s,
    )


def _files(cache_home: Path) -> dict[str, Path]:
    folder = cache_home / "offload-ai"
    return {p.name: p for p in folder.iterdir()} if folder.is_dir() else {}


def _both_files(cache_home: Path, timeout_s: float = 60) -> dict[str, Path]:
    """The command's and its worker's files once both are there: the worker writes its own
    after the command has ended and is not waited for (report/worker.py), so on a loaded
    machine it may come seconds after the command's exit; each file appears whole (written
    under another name, then renamed)."""
    names = {file_name("command"), file_name("worker")}
    deadline = time.monotonic() + timeout_s
    while not names <= _files(cache_home).keys() and time.monotonic() < deadline:
        time.sleep(0.05)
    return _files(cache_home)


def test_the_command_fills_it_and_each_code_is_what_compile_makes(tmp_path: Path) -> None:
    """After one ``offload copy``, the command's file and its worker's hold the dataclasses'
    and named tuples' texts, each with exactly the code a fresh ``compile`` makes of it (the
    built-in's file name, mode and flags, ``dont_inherit``); the folder is 0700, the files
    0600; their reports were made (PDF and HTML from the worker)."""
    _card(tmp_path)
    cache_home = tmp_path / "cache"
    done = _copy(tmp_path, _env(cache_home), "1")
    assert done.returncode == 0, done.stderr
    assert sorted(p.suffix for p in (tmp_path / "reports-1").iterdir()) == [
        ".csv",
        ".html",
        ".json",
        ".pdf",
    ]
    files = _both_files(cache_home)
    assert sorted(files) == [file_name("command"), file_name("worker")]
    assert file_name("command").startswith(
        f"generated-code-command-{sys.implementation.cache_tag}-"
    )
    assert (cache_home / "offload-ai").stat().st_mode & 0o777 == 0o700
    tag = interpreter_tag()
    for path in files.values():
        assert path.stat().st_mode & 0o777 == 0o600
        table = load(str(path), tag)
        modes = {mode for mode, _, _ in table}
        assert modes == {"exec", "eval"}, path  # dataclasses' and namedtuple's
        assert any("__create_fn__" in text for _, _, text in table)
        for (mode, flags, text), code in table.items():
            _same_code(code, compile(text, "<string>", mode, flags, dont_inherit=True))
    command = load(str(files[file_name("command")]), tag)
    assert len(command) > 100  # the command's ~40 dataclasses and ~35 named tuples at least


def test_a_second_run_is_served_from_it_and_writes_nothing(tmp_path: Path) -> None:
    """The second run finds every text of the first: nothing added, the files not
    rewritten (same inode, same bytes); its reports are made as before."""
    _card(tmp_path)
    cache_home = tmp_path / "cache"
    assert _copy(tmp_path, _env(cache_home), "1").returncode == 0
    first = _both_files(cache_home)
    before = {name: (p.stat().st_ino, p.read_bytes()) for name, p in first.items()}
    done = _copy(tmp_path, _env(cache_home), "2")
    assert done.returncode == 0, done.stderr
    time.sleep(0.5)  # the worker's write, if any, comes after the command's end
    after = {name: (p.stat().st_ino, p.read_bytes()) for name, p in _files(cache_home).items()}
    assert after == before
    assert len(list((tmp_path / "reports-2").glob("*.pdf"))) == 1


def test_a_home_without_its_cache_folder_gets_one(tmp_path: Path) -> None:
    """A fresh account: a home of the user's own with no ``~/.cache`` (``XDG_CACHE_HOME``
    unset). The first run makes ``~/.cache`` (0700, as the XDG spec asks) and its cache
    there; before, no run ever had a cache (docs/performance.md, "Fixed cost: eighteenth
    pass")."""
    _card(tmp_path)
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    env = {k: v for k, v in _env(tmp_path / "unused").items() if k != "XDG_CACHE_HOME"}
    env["HOME"] = str(home)
    done = _copy(tmp_path, env, "1")
    assert done.returncode == 0, done.stderr
    assert (home / ".cache").stat().st_mode & 0o777 == 0o700
    command = _files(home / ".cache")[file_name("command")]
    assert len(load(str(command), interpreter_tag())) > 100
    assert home.stat().st_mode & 0o777 == 0o755  # the home itself left as it was


@pytest.mark.parametrize(
    "spoil",
    ["garbage", "truncated", "byte-flipped", "other-interpreter", "group-writable", "empty"],
)
def test_a_file_it_cannot_trust_is_ignored_and_replaced(tmp_path: Path, spoil: str) -> None:
    """A corrupt, truncated, foreign or group-writable file: the command runs as without a
    cache (exit 0, its reports made, nothing said about it) and writes a good one."""
    _card(tmp_path)
    cache_home = tmp_path / "cache"
    assert _copy(tmp_path, _env(cache_home), "1").returncode == 0
    path = _files(cache_home)[file_name("command")]
    good = path.read_bytes()
    assert load(str(path), interpreter_tag())
    if spoil == "garbage":
        path.write_bytes(os.urandom(len(good)))
    elif spoil == "truncated":
        path.write_bytes(good[: len(good) // 2])
    elif spoil == "byte-flipped":  # a byte inside the table: the CRC catches it
        spoilt = bytearray(good)
        spoilt[len(good) // 2] ^= 0x40
        path.write_bytes(bytes(spoilt))
    elif spoil == "other-interpreter":
        path.write_bytes(good.replace(sys.version.encode(), b"3.0.0 (elsewhere)", 1))
    elif spoil == "group-writable":
        path.chmod(0o620)
    else:
        path.write_bytes(b"")
    assert load(str(path), interpreter_tag()) == {}
    done = _copy(tmp_path, _env(cache_home), "2")
    assert done.returncode == 0, done.stderr
    assert "generated" not in done.stderr and "Traceback" not in done.stderr
    assert len(list((tmp_path / "reports-2").glob("*.pdf"))) == 1
    assert load(str(path), interpreter_tag())  # written again, whole
    assert path.stat().st_mode & 0o777 == 0o600


def test_an_unwritable_cache_folder_is_no_error(tmp_path: Path) -> None:
    """``XDG_CACHE_HOME`` a file, not a folder: nothing can be written there; the command
    runs as without a cache."""
    _card(tmp_path)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    done = _copy(tmp_path, _env(blocker), "1")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert blocker.read_text() == "x"


def test_off_with_the_variable(tmp_path: Path) -> None:
    _card(tmp_path)
    cache_home = tmp_path / "cache"
    done = _copy(tmp_path, _env(cache_home, **{DISABLE_VARIABLE: "1"}), "1")
    assert done.returncode == 0, done.stderr
    assert _files(cache_home) == {}


def test_main_called_in_a_process_of_its_own_never_opens_it(tmp_path: Path) -> None:
    """A library user's (or a test's) process calls ``main``, never the console script's
    ``entry_point``: no file is read or written, the built-ins stay the built-ins."""
    _card(tmp_path)
    (tmp_path / "dest").mkdir()
    cache_home = tmp_path / "cache"
    script = (
        "import sys, dataclasses, collections\n"
        "from offload.cli.entry import main\n"
        "code = main(['copy', '--quiet', '--report-dir', sys.argv[1] + '/r',\n"
        "             sys.argv[1] + '/CARD', sys.argv[1] + '/dest'])\n"
        "assert 'exec' not in vars(dataclasses) and 'eval' not in vars(collections)\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        env=_env(cache_home),
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    assert _files(cache_home) == {}


def test_inside_the_context_alone_and_put_back(tmp_path: Path) -> None:
    """While open, ``dataclasses``' ``exec`` and ``collections``' ``eval`` are the cache's;
    after, the built-ins again. A dataclass and a named tuple made inside work as usual;
    the second time their texts are all hits."""
    env = {"XDG_CACHE_HOME": str(tmp_path)}

    def make() -> None:
        @dataclasses.dataclass(frozen=True)
        class Point:
            x: int
            y: int = 2

        pair = collections.namedtuple("pair", "a b")
        ref = typing.ForwardRef("int | None")  # typing compiles the text
        assert ref._evaluate(globals(), None, frozenset()) == int | None
        _same_code(
            ref.__forward_code__, compile("int | None", "<string>", "eval", dont_inherit=True)
        )
        assert Point(1) == Point(1, 2) and hash(Point(1)) == hash(Point(1, 2))
        assert repr(Point(1)).endswith("Point(x=1, y=2)")
        with pytest.raises(dataclasses.FrozenInstanceError):
            Point(1).x = 3  # type: ignore[misc]
        assert pair(1, b=2) == (1, 2)

    with generated_code_cache("test", env) as cache:
        assert cache is not None
        assert vars(dataclasses)["exec"] == cache.exec
        assert vars(collections)["eval"] == cache.eval
        assert vars(typing)["compile"] == cache.compile
        make()
        assert cache.added > 0
    assert "exec" not in vars(dataclasses) and "eval" not in vars(collections)
    assert "compile" not in vars(typing)
    with generated_code_cache("test", env) as cache:
        assert cache is not None
        make()
        assert cache.added == 0 and cache.used
    with generated_code_cache("test", {**env, DISABLE_VARIABLE: "yes"}) as cache:
        assert cache is None
        assert "exec" not in vars(dataclasses)


def test_the_caller_s_future_flags_are_kept_apart(tmp_path: Path) -> None:
    """The same text exec'd from code under ``from __future__ import annotations`` and from
    code without it: each gets what the built-in would give it (annotations as text, or
    evaluated), two entries in the table, also when served from the file."""
    source = "def f(x: int) -> None:\n    pass\n"
    callers = {}
    for name, header in (("lazy", "from __future__ import annotations\n"), ("eager", "")):
        namespace: dict[str, object] = {}
        text = header + (
            "def run(ex, src, ns):\n"
            "    ex(src, ns)\n"
            "def via_compile(comp, src, ns, name):\n"
            "    exec(comp(src, name, 'exec'), ns)\n"
        )
        exec(compile(text, name, "exec", dont_inherit=True), namespace)  # not this file's flags
        callers[name] = namespace["run"]
        callers[name + " compile"] = namespace["via_compile"]
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    for _ in range(2):  # compiled, then read back from the file
        with generated_code_cache("flags", env) as cache:
            assert cache is not None
            for name, run in callers.items():
                # typing's compile: the cached path ("<string>") and the built-in's (a file
                # name of its own), each with the caller's flags, not generated_code's
                for filename in ("<string>", "other.py") if "compile" in name else ("",):
                    mine: dict[str, object] = {}
                    builtin: dict[str, object] = {}
                    extra = (filename,) if filename else ()
                    hook = cache.compile if filename else cache.exec
                    run(hook, source, mine, *extra)  # type: ignore[operator]
                    run(compile if filename else exec, source, builtin, *extra)  # type: ignore[operator]
                    got = mine["f"].__annotations__  # type: ignore[attr-defined]
                    assert got == builtin["f"].__annotations__  # type: ignore[attr-defined]
                    assert got == (
                        {"x": "int", "return": "None"}
                        if name.startswith("lazy")
                        else {"x": int, "return": None}
                    )
    table = load(str(tmp_path / "offload-ai" / file_name("flags")), interpreter_tag())
    assert len([key for key in table if key[2] == source]) == 2


def test_a_file_not_this_user_s_is_ignored(tmp_path: Path) -> None:
    """A cache file owned by another user is never loaded (it could hold any code)."""
    if os.geteuid() != 0:
        pytest.skip("needs root to give a file to another user")
    path = tmp_path / "t.bin"
    table: dict[Key, CodeType] = {("eval", 0, "1"): compile("1", "<string>", "eval")}
    assert store(str(path), interpreter_tag(), table)
    assert load(str(path), interpreter_tag()) == table
    os.chown(path, 12345, 12345)
    assert load(str(path), interpreter_tag()) == {}


def test_past_its_bound_only_the_run_s_own_texts_are_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A table grown past ``_MAX_ENTRIES`` (texts of other commands, other versions of the
    code) is written back with only the texts this run used."""
    from offload.cli import generated_code

    monkeypatch.setattr(generated_code, "_MAX_ENTRIES", 3)
    flags = __future__.annotations.compiler_flag  # this file's, which the built-in inherits
    old: dict[Key, CodeType] = {
        ("eval", flags, str(n)): compile(str(n), "<string>", "eval") for n in range(5)
    }
    cache = generated_code.GeneratedCode(dict(old))
    assert cache.eval("1 + 1", {}) == 2
    assert cache.eval("3", {}) == 3  # a hit, used this run
    assert cache.added == 1
    assert set(cache.to_store()) == {("eval", flags, "1 + 1"), ("eval", flags, "3")}


@pytest.mark.fault
def test_a_ctrl_c_while_the_file_is_written_changes_nothing(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """A Ctrl-C after the copy, while the command writes its file (its create held on a
    FaultyFS cache folder): the run's exit code stays 0, as its JSON says, no traceback,
    and no temporary is left behind (the write is given up)."""
    _card(tmp_path)
    fs = faulty_fs()
    rule = fs.stall("create", path="*generated-code-command*")
    dest = tmp_path / "dest"
    dest.mkdir()
    command = [sys.executable, "-m", "offload", "copy", "--json", "--quiet"]
    with subprocess.Popen(
        [*command, str(tmp_path / "CARD"), str(dest)],
        env=_env(fs.mountpoint),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            fs.wait_stalled(rule, timeout_s=120)
            os.kill(process.pid, signal.SIGINT)
            time.sleep(0.2)  # the signal is pending in the process before its create ends
        finally:
            fs.release(rule)
        out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert json.loads(out.splitlines()[-1])["exit_code"] == 0
    left = [p.name for p in (fs.mountpoint / "offload-ai").iterdir()]
    assert not [name for name in left if "command" in name and name != file_name("command")]


def _gone(pid: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.fault
def test_the_worker_s_write_is_not_waited_for_and_a_killed_one_s_is_cleaned(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The report worker writes its file after it answered: the command ends (exit 0, its
    reports made) while that write is held on a FaultyFS cache folder. The worker killed
    there leaves its temporary; the next run's write removes it (its pid is dead) and
    writes the file whole."""
    _card(tmp_path)
    fs = faulty_fs()
    rule = fs.stall("write", path="*generated-code-worker*")
    try:
        done = _copy(tmp_path, _env(fs.mountpoint), "1", timeout_s=40)
        assert done.returncode == 0, done.stderr
        assert len(list((tmp_path / "reports-1").glob("*.pdf"))) == 1
        fs.wait_stalled(rule, timeout_s=30)  # the worker still in its write
        folder = fs.mountpoint / "offload-ai"
        (left,) = [p for p in folder.iterdir() if "generated-code-worker" in p.name]
        match = re.fullmatch(r"\..+\.([0-9]+)\.[0-9a-f]{8}\.partial", left.name)
        assert match, left.name
        pid = int(match.group(1))
        os.kill(pid, signal.SIGKILL)
    finally:
        fs.release(rule)
    assert _gone(pid, 30)  # orphaned, reaped by init
    assert left.exists()
    done = _copy(tmp_path, _env(fs.mountpoint), "2")
    assert done.returncode == 0, done.stderr
    worker_file = folder / file_name("worker")
    for _ in range(100):  # its write comes after the command's end
        if worker_file.exists():
            break
        time.sleep(0.1)
    assert load(str(worker_file), interpreter_tag())
    assert not left.exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root: folders of another user")
@pytest.mark.parametrize("case", ["home-no-cache", "home-users-cache", "xdg-users", "xdg-missing"])
def test_a_folder_not_the_user_s_own_is_never_made_nor_written(tmp_path: Path, case: str) -> None:
    """``sudo -E`` keeps the user's ``HOME``: root neither makes the user's ``~/.cache`` (it
    would be root's own, 0755, and other programs' caches fail) nor writes in one the user
    owns; a missing ``$XDG_CACHE_HOME`` is not made either. The command runs as without a
    cache."""
    _card(tmp_path)
    user = 65534  # nobody
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in _env(tmp_path / "unused").items() if k != "XDG_CACHE_HOME"}
    env["HOME"] = str(home)
    if case == "home-no-cache":
        os.chown(home, user, user)
    elif case == "home-users-cache":
        (home / ".cache").mkdir()
        os.chown(home, user, user)
        os.chown(home / ".cache", user, user)
    elif case == "xdg-users":
        (tmp_path / "xdg").mkdir()
        os.chown(tmp_path / "xdg", user, user)
        env["XDG_CACHE_HOME"] = str(tmp_path / "xdg")
    else:
        env["XDG_CACHE_HOME"] = str(tmp_path / "xdg")
    before = sorted(str(p) for p in tmp_path.rglob("*") if "dest-" not in str(p))
    done = _copy(tmp_path, env, "1")
    assert done.returncode == 0, done.stderr
    time.sleep(0.5)  # the worker's write, if any, comes after the command's end
    after = sorted(
        str(p) for p in tmp_path.rglob("*") if "dest-" not in str(p) and "reports-" not in str(p)
    )
    assert after == before


def test_the_suite_s_processes_use_a_cache_of_the_session_s_own(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """tests/conftest.py points ``XDG_CACHE_HOME`` at a folder of the session's (the
    processes the tests start inherit it): never the user's ``~/.cache/offload-ai``."""
    folder = Path(os.environ["XDG_CACHE_HOME"])
    assert folder.is_relative_to(tmp_path_factory.getbasetemp())
    assert folder.is_dir() and folder.stat().st_uid == os.geteuid()


def test_code_without_column_positions_is_not_served_where_code_has_them(
    tmp_path: Path,
) -> None:
    """A run under ``PYTHONNODEBUGRANGES=1`` compiles code without column positions: an
    interpreter with them (this one) never loads it (another interpreter tag); its next
    run writes its own, each code what ``compile`` makes here, ``co_positions`` included."""
    assert not os.environ.get("PYTHONNODEBUGRANGES")
    _card(tmp_path)
    cache_home = tmp_path / "cache"
    done = _copy(tmp_path, _env(cache_home, PYTHONNODEBUGRANGES="1"), "1")
    assert done.returncode == 0, done.stderr

    def check() -> int:
        count = 0
        for path in _files(cache_home).values():
            for (mode, flags, text), code in load(str(path), interpreter_tag()).items():
                _same_code(code, compile(text, "<string>", mode, flags, dont_inherit=True))
                count += 1
        return count

    check()
    assert _copy(tmp_path, _env(cache_home), "2").returncode == 0
    time.sleep(0.5)  # the worker's write comes after the command's end
    assert check() > 100


def test_interpreters_run_in_turn_keep_a_file_each(tmp_path: Path) -> None:
    """Runs with and without ``-O`` (``PYTHONOPTIMIZE``) in turn: each kind keeps its own
    file, so once both are filled neither is rewritten (same inode, same bytes)."""
    _card(tmp_path)
    cache_home = tmp_path / "cache"
    optimized = _env(cache_home, PYTHONOPTIMIZE="1")
    plain = _env(cache_home)

    def files() -> dict[str, tuple[int, bytes]]:
        time.sleep(0.5)  # the worker's write comes after the command's end
        return {name: (p.stat().st_ino, p.read_bytes()) for name, p in _files(cache_home).items()}

    assert _copy(tmp_path, plain, "1").returncode == 0
    assert _copy(tmp_path, optimized, "2").returncode == 0
    before = files()
    assert len(before) == 4  # command and worker, each with and without -O
    assert _copy(tmp_path, plain, "3").returncode == 0
    assert _copy(tmp_path, optimized, "4").returncode == 0
    assert files() == before
