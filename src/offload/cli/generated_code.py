"""A cache of the code the standard library compiles at run time, for the ``offload``
command's own processes (the console script, ``python -m offload`` and ``offload copy``'s
report worker), never a library user's.

    with generated_code_cache("command"):   # cli/entry.py, report/worker.py
        ...                                 # import and run the command

Why: every dataclass compiles its methods from source text when its module loads
(``dataclasses`` ``exec``s up to six ``def``s a class), and every named tuple its
``__new__`` (``collections.namedtuple`` ``eval``s a ``lambda``). A 200-file ``offload copy``
compiles ~300 such texts before its copy, ~20 % of its process's instructions (the parser
and compiler), and its report worker as many again; and ``typing`` compiles each annotation
held as text that a ``NamedTuple`` of a module with ``from __future__ import annotations``
has (``ForwardRef``: ~230 calls, ~60 texts). The texts are the same every run.
Python caches the bytecode of modules (``__pycache__``), not of these texts
(docs/performance.md, "Fixed cost: eighth pass" and "twelfth pass").

What it does: while the context is open, ``dataclasses``' ``exec``, ``collections``'
``eval`` and ``typing``'s ``compile`` are, for that module alone, a function that looks the
text up in a table loaded from one file and runs (or returns) the code object found there,
with the same globals and locals; a text it lacks is compiled as the built-in would compile
it and added. Anything but a text (a code object, ``compile`` asked for a file name other
than ``"<string>"``, an AST, another optimisation level) goes to the built-in unchanged. On
leaving, the table is written back when anything was added.

What it promises:

* **A hit is the code the built-in would have compiled.** The key is the exact text, the
  mode (``exec``/``eval``) and the ``__future__`` flags the built-in would pass on (those of
  the calling function's code, as ``PyEval_MergeCompilerFlags`` takes them); a miss is
  compiled with exactly those (``compile(text, "<string>", mode, flags, dont_inherit=True)``,
  the built-in's file name and optimisation level). The file is tied to the interpreter
  that wrote it: the bytecode magic number, ``sys.version`` (its build included), the
  implementation's cache tag, ``-O``'s level and whether code has column positions
  (``-X no_debug_ranges``); anything else is ignored as a whole.
* **A cache is only ever faster.** A file that is missing, unreadable, corrupt (a CRC-32 of
  the table is in its header), of another interpreter, not owned by this user or writable
  by others is ignored, and one that cannot be written is not written: never an error,
  never a message. ``OFFLOAD_NO_CODE_CACHE`` set to anything but empty turns it off.
* **Where a user's caches live.** ``$XDG_CACHE_HOME/offload-ai/`` (an absolute path), else
  ``~/.cache/offload-ai/``, the folder made 0700, and ``~/.cache`` too (0700, as the XDG
  base directory spec asks) when a home of the effective user's own has none: a fresh
  account's first run makes it, the next runs are served (before, no run ever was); none
  when ``$XDG_CACHE_HOME`` is missing (it may name a drive not mounted), or it, ``~/.cache``
  or the home is not the effective user's (``sudo -E``); a
  file a role and interpreter kind (``generated-code-command-cpython-311-1a2b3c4d.bin``, its
  last part the CRC-32 of ``interpreter_tag``); the file written whole under a temporary
  name, then renamed over the old one (two commands ending together: the last one wins, both
  files whole); not fsynced: one a crash left torn fails its CRC and is ignored. A temporary
  a killed writer left is removed by the next write in the folder. It holds what the runs
  used, at most ``_MAX_ENTRIES`` texts. Written once the command is done: a Ctrl-C then
  gives the write up (the temporary removed) and does not change the finished run's exit
  code; the report worker writes its own after it has answered, not waited for.
* **Only in the command's own process**: the built-ins are shadowed only inside those three
  modules, only while the context is open, and put back when it closes (unless someone
  else replaced them meanwhile); a process that never opens it is untouched.
"""

from __future__ import annotations

import builtins
import marshal
import os
import sys
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import CodeType
from typing import Any

from offload.fs.whole import write_all

#: The environment variable that turns the cache off (any value but empty).
DISABLE_VARIABLE = "OFFLOAD_NO_CODE_CACHE"

_FORMAT = b"offload-ai generated code v1\n"
_MAX_ENTRIES = 4000  # ~1.3 MB: a few commands' worth (one run of `offload copy` uses ~330)


def file_name(role: str) -> str:
    """The cache file of *role* for this interpreter's kind and its ``interpreter_tag``
    (``generated-code-command-cpython-311-1a2b3c4d.bin``, a CRC-32 of the tag): two
    interpreters, ``-O`` levels or 3.11 builds run in turn keep a file each instead of
    rewriting each other's every run (the header holds the whole tag, checked on load)."""
    tag = sys.implementation.cache_tag or sys.implementation.name
    return f"generated-code-{role}-{tag}-{zlib.crc32(interpreter_tag()):08x}.bin"


Key = tuple[str, int, str]  # mode ("exec"/"eval"), __future__ flags, the source text


def _future_mask() -> int:
    import __future__

    mask = 0
    for name in __future__.all_feature_names:
        mask |= getattr(__future__, name).compiler_flag
    return mask


def interpreter_tag() -> bytes:
    """What a cached code object is valid for: this interpreter, its ``-O`` level, and
    whether code carries column positions (``-X no_debug_ranges``,
    ``PYTHONNODEBUGRANGES``: ``co_positions`` without them)."""
    from importlib.util import MAGIC_NUMBER

    ranges = "ranges" if _has_debug_ranges() else "no-ranges"
    parts = (sys.version, sys.implementation.cache_tag or "", str(sys.flags.optimize), ranges)
    return MAGIC_NUMBER + "\0".join(parts).encode("utf-8", "surrogateescape")


def _has_debug_ranges() -> bool:
    """Whether ``compile`` records column positions here: asked of ``compile`` itself (the
    option and the variable have no ``sys.flags`` entry)."""
    code = compile("x", "<string>", "eval", dont_inherit=True)
    return any(column is not None for _, _, column, _ in code.co_positions())


def cache_folder(environ: Mapping[str, str]) -> str | None:
    """``$XDG_CACHE_HOME/offload-ai``, else ``~/.cache/offload-ai``; None without a home,
    or when the folder it goes in (``$XDG_CACHE_HOME``, ``~/.cache``) is not the effective
    user's own, or the home is not (``sudo -E``: root keeps the user's ``HOME``, and must
    neither make the user's ``~/.cache`` root's own nor write there; pip skips its cache
    so too), or ``$XDG_CACHE_HOME`` is missing (a variable the user set may name a drive
    not mounted: never made here). A missing ``~/.cache`` in a home of the user's own is
    made by ``store`` (0700), as the XDG base directory spec asks of a program that writes
    there: a fresh account otherwise never had its cache (docs/performance.md, "Fixed
    cost: eighteenth pass"). A relative ``XDG_CACHE_HOME`` is ignored, as the spec says."""
    base = environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(base):
        return os.path.join(base, "offload-ai") if _own_folder(base) else None
    home = environ.get("HOME") or os.path.expanduser("~")
    if not os.path.isabs(home) or not _own_folder(home):
        return None
    base = os.path.join(home, ".cache")
    if not (_own_folder(base) or not os.path.lexists(base)):
        return None
    return os.path.join(base, "offload-ai")


def _own_folder(path: str) -> bool:
    """*path* is a folder (symbolic links followed) the effective user owns."""
    import stat

    try:
        info = os.stat(path)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid()


def load(path: str, tag: bytes) -> dict[Key, CodeType]:
    """The table stored at *path* for the interpreter *tag*; empty when there is none this
    process may trust (missing, unreadable, corrupt, another interpreter's, not this
    user's own, writable by others)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_CLOEXEC)
    except OSError:
        return {}
    try:
        info = os.fstat(fd)
        if info.st_uid != os.geteuid() or info.st_mode & 0o022:
            return {}
        blob = _read_all(fd, info.st_size)
    except OSError:
        return {}
    finally:
        os.close(fd)
    header = _FORMAT + tag + b"\0"
    if not blob.startswith(header) or len(blob) < len(header) + 4:
        return {}
    start = len(header) + 4
    crc = int.from_bytes(blob[len(header) : start], "big")
    body = memoryview(blob)[start:]
    if zlib.crc32(body) != crc:
        return {}
    try:
        table = marshal.loads(body)
    except (EOFError, ValueError, TypeError):
        return {}
    if type(table) is not dict:
        return {}
    return {
        key: code
        for key, code in table.items()
        if type(key) is tuple
        and len(key) == 3
        and type(key[0]) is str
        and type(key[1]) is int
        and type(key[2]) is str
        and type(code) is CodeType
    }


def _read_all(fd: int, size: int) -> bytes:
    pieces: list[bytes] = []
    while True:
        piece = os.read(fd, max(size, 1 << 16))
        if not piece:
            return b"".join(pieces)
        pieces.append(piece)


def store(
    path: str, tag: bytes, table: Mapping[Key, CodeType], *, make_parent: bool = False
) -> bool:
    """Write *table* to *path* atomically (a temporary name in the same folder, then a
    rename), its folder made 0700 if missing, and the one that folder goes in too (0700)
    when *make_parent* (``~/.cache`` in a home of the user's own: ``cache_folder``), never
    more. False when it cannot be written. Whatever ends it early (an OSError, a signal's
    exception, anything) removes the temporary; the temporaries a writer killed outright
    left (``manifest/atomic.py``'s names, a pid no longer alive) are removed first.

    Not fsynced: a cache is only ever faster, and a file a crash left torn or empty
    behind its new name fails the header's or the CRC's check and is ignored (``load``),
    then written again: an fsync would only make the writer wait."""
    from pathlib import Path

    from offload.manifest.atomic import stale_temp_files, temp_name

    folder = os.path.dirname(path)
    try:
        body = marshal.dumps(dict(table))
    except ValueError:  # a value marshal cannot write (none is expected): no file
        return False
    blob = _FORMAT + tag + b"\0" + zlib.crc32(body).to_bytes(4, "big") + body
    temporary = os.path.join(folder, temp_name(os.path.basename(path)))
    published = False
    try:
        for made in [os.path.dirname(folder), folder] if make_parent else [folder]:
            try:  # a folder that exists is left as it is (its mode is the user's)
                os.mkdir(made, 0o700)
            except FileExistsError:
                pass
        # A folder listed only in part keeps the rest: a cache's leftovers cost only room.
        for stale in stale_temp_files(Path(folder), _is_cache_file).paths:
            try:
                stale.unlink()
            except OSError:
                pass
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            write_all(fd, blob, temporary)
        finally:
            os.close(fd)
        os.replace(temporary, path)
        published = True
    except OSError:
        return False
    finally:
        if not published:  # also when an exception other than OSError ends it
            try:
                os.unlink(temporary)
            except OSError:
                pass
    return True


def _is_cache_file(name: str) -> bool:
    return name.startswith("generated-code-") and name.endswith(".bin")


class _WriteCancelled(Exception):
    """A Ctrl-C while the file was written: the write is given up (``_store_quietly``)."""


def _store_quietly(
    path: str, tag: bytes, table: Mapping[Key, CodeType], *, make_parent: bool = False
) -> None:
    """``store``, run once the command is done (its exit code decided): a Ctrl-C meanwhile
    gives the write up, and is not raised. A KeyboardInterrupt here would turn a finished
    run (a verified copy, its JSON saying exit 0) into a traceback and exit 130. Where
    SIGINT has Python's own handler alone (in the main thread): one that ignores it, or
    a handler of someone else's, is left as it is."""
    import signal
    import threading

    own = (
        threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    )
    if not own:
        store(path, tag, table, make_parent=make_parent)
        return

    writing = [True]

    def cancel(signum: int, frame: object) -> None:
        if writing[0]:  # after the write (putting the handler back): nothing to give up
            raise _WriteCancelled

    signal.signal(signal.SIGINT, cancel)
    try:
        store(path, tag, table, make_parent=make_parent)  # cancel removes its temporary
        writing[0] = False
    except _WriteCancelled:
        pass
    finally:
        writing[0] = False
        signal.signal(signal.SIGINT, signal.default_int_handler)


class GeneratedCode:
    """One process's table of generated code: hits served from the file's, misses
    compiled and added. Thread-safe as dicts are: two threads missing the same text both
    compile it, and either code object is the same."""

    __slots__ = ("_future", "_table", "added", "used")

    def __init__(self, table: dict[Key, CodeType]) -> None:
        self._table = table
        self._future = _future_mask()
        self.used: set[Key] = set()
        self.added = 0

    def code(self, source: str, mode: str, caller_flags: int) -> CodeType:
        """The code object ``exec``/``eval`` would compile *source* to in *mode*, called
        from a function whose code has *caller_flags*."""
        key = (mode, caller_flags & self._future, source)
        code = self._table.get(key)
        if code is None:
            code = compile(source, "<string>", mode, key[1], dont_inherit=True)
            self._table[key] = code
            self.added += 1
        self.used.add(key)
        return code

    def exec(self, source: Any, globals: Any = None, locals: Any = None, /, **kw: Any) -> None:
        """``exec`` with a text's code looked up first; anything else as the built-in."""
        caller = sys._getframe(1)
        if globals is None:  # as the built-in: the caller's namespaces
            globals, locals = caller.f_globals, caller.f_locals if locals is None else locals
        if type(source) is str:
            source = self.code(source, "exec", caller.f_code.co_flags)
        builtins.exec(source, globals, locals, **kw)

    def eval(self, source: Any, globals: Any = None, locals: Any = None, /) -> Any:
        """``eval`` with a text's code looked up first; anything else as the built-in."""
        caller = sys._getframe(1)
        if globals is None:
            globals, locals = caller.f_globals, caller.f_locals if locals is None else locals
        if type(source) is str:
            source = self.code(source, "eval", caller.f_code.co_flags)
        return builtins.eval(source, globals, locals)

    def compile(
        self,
        source: Any,
        filename: Any,
        mode: str,
        flags: int = 0,
        dont_inherit: bool = False,
        optimize: int = -1,
        **kw: Any,
    ) -> Any:
        """``compile`` with a text's code looked up first, for the built-in's own file name
        for texts (``"<string>"``), future flags alone and the default optimisation; else the
        built-in, with the flags it would have inherited from the caller (not this
        module's)."""
        if not dont_inherit:
            flags |= sys._getframe(1).f_code.co_flags & self._future
        plain = optimize == -1 and not kw and not flags & ~self._future
        if plain and type(source) is str and filename == "<string>":
            return self.code(source, mode, flags)
        return builtins.compile(source, filename, mode, flags, True, optimize, **kw)

    def to_store(self) -> dict[Key, CodeType]:
        """What to write back: everything, or only this run's texts once that is too many."""
        if len(self._table) <= _MAX_ENTRIES:
            return self._table
        used = self.used.copy()  # a thread still running may add to the set
        return {key: self._table[key] for key in used}


@contextmanager
def generated_code_cache(
    role: str, environ: Mapping[str, str] | None = None
) -> Iterator[GeneratedCode | None]:
    """The cache of generated code for a process of the command (*role*: "command" or
    "worker", one file each), open for the context's duration; yields None when it is off
    (``OFFLOAD_NO_CODE_CACHE``, no cache folder). Only the command's own processes open
    it (see the module's docstring)."""
    env = os.environ if environ is None else environ
    folder = None if env.get(DISABLE_VARIABLE) else cache_folder(env)
    if folder is None:
        yield None
        return
    import collections
    import dataclasses
    import typing

    path = os.path.join(folder, file_name(role))
    # ``~/.cache`` missing (``cache_folder`` checked the home is the user's): made on write.
    make_parent = not os.path.isabs(env.get("XDG_CACHE_HOME", ""))
    tag = interpreter_tag()
    cache = GeneratedCode(load(path, tag))
    hooks = (
        (dataclasses, "exec", cache.exec),
        (collections, "eval", cache.eval),
        (typing, "compile", cache.compile),
    )
    for module, name, hook in hooks:
        setattr(module, name, hook)
    try:
        yield cache
    finally:
        for module, name, hook in hooks:
            if vars(module).get(name) is hook:  # not if someone replaced it meanwhile
                delattr(module, name)
    if cache.added:
        _store_quietly(path, tag, cache.to_store(), make_parent=make_parent)
