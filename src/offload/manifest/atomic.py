"""Write a file atomically: temporary name in the same folder, fsync, rename, fsync the folder.

A reader (or a crash) sees either the old file or the complete new one, never a torn one.
"""

from __future__ import annotations

import errno
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, NamedTuple, Protocol

from offload.fs.ops import fsync_dir, rename_noreplace, start_writeback
from offload.fs.whole import write_all
from offload.hashing.c4 import C4Hasher
from offload.state_folder import check_under

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer as Buffer


class Hasher(Protocol):
    """What :class:`AtomicFile` hashes the bytes it writes with (``C4Hasher``, or one of
    ``xxhash``'s, which have the same two methods)."""

    def update(self, data: Buffer, /) -> None: ...

    def hexdigest(self) -> str: ...


# Buffered text is encoded and written once it passes this size: large writes, bounded memory.
_FLUSH_CHARS = 1 << 20
# AtomicFile's temporary name: "." + the final name + the writer's pid + 8 random hex digits.
_TEMP_NAME = re.compile(r"\.(.+)\.([1-9][0-9]*)\.[0-9a-f]{8}\.partial", re.DOTALL)


def temp_name(final_name: str) -> str:
    """A temporary name for a file to be published as *final_name*, unique to this process
    and call (:class:`AtomicFile`)."""
    return _temp_name(final_name, os.getpid(), os.urandom(4).hex())


#: The largest pid Linux gives (``PID_MAX_LIMIT`` on 64-bit, 2**22): the widest pid a
#: temporary name carries.
_WIDEST_PID = 1 << 22


def widest_temp_name(final_name: str) -> str:
    """The longest :func:`temp_name` of *final_name* any writer gives it (its pid at its
    widest): what a check of a name's length before the write must fit."""
    return _temp_name(final_name, _WIDEST_PID, "f" * 8)


def _temp_name(final_name: str, pid: int, token: str) -> str:
    return f".{final_name}.{pid}.{token}.partial"


class StaleTemps(NamedTuple):
    """What ``stale_temp_files`` (or ``own_temp_files``) found in a folder."""

    paths: list[Path]  # the stale temporaries (this process's own), sorted
    # The error that stopped the folder's listing (at its start or partway: EIO in its later
    # blocks), None when it was listed whole. Not None: *paths* are only those listed before
    # it, and the caller says that it could not look, never that nothing is stale there.
    unlisted: OSError | None = None


def stale_temp_files(
    folder: Path, is_ours: Callable[[str], bool], *, unaskable_after_s: float | None = None
) -> StaleTemps:
    """The temporary files :class:`AtomicFile` left in *folder* when its writer died before
    publishing or removing one (killed, power cut): those whose final name *is_ours* accepts,
    whose writer (the pid in the name) is not a process alive on this host, nor this one,
    and which no writer claims (``destinations.claim``: the shared ``flock`` an
    :class:`AtomicFile` holds while it writes, seen from any host that shares the lock).
    *unaskable_after_s*: for a folder no lock of ours guards (the user's report folder, maybe
    a share another host writes to), a file whose claim cannot be asked (no locks on that
    filesystem) is stale only once that old (its modification time). Regular files only;
    sorted. Where *folder* cannot be listed, or its listing fails partway, ``unlisted`` is
    the error (and the paths those judged before it); a folder that does not exist is
    listed whole (nothing in it). A file that cannot be asked (its ``stat`` fails: a failing
    share, a bad sector) is kept and the others are still judged. Never raises.

    In a copy root, only a caller that holds its lock may delete them (no other offload-ai
    run writes there then, but for a report of a run that already released it, whose
    process is alive); elsewhere (the user's report folder) the claim and the age decide,
    and the caller removes each with ``destinations.claim.remove_unclaimed``, so a writer
    cannot claim it between this judgment and its unlink. A pid alive now (maybe reused by
    another program) keeps its file: a stale temporary file costs its bytes, a removed live
    one a manifest or a report."""
    stale: list[Path] = []
    unlisted: OSError | None = None
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                match = _TEMP_NAME.fullmatch(entry.name)
                if match is None or not is_ours(match.group(1)):
                    continue
                if _is_stale(entry, int(match.group(2)), unaskable_after_s):
                    stale.append(Path(entry.path))
    except FileNotFoundError:
        pass  # no folder, no temporary in it
    except OSError as exc:
        unlisted = exc
    return StaleTemps(sorted(stale), unlisted)


def own_temp_files(folder: Path) -> StaleTemps:
    """The temporary files of :class:`AtomicFile`'s in *folder* that this process wrote (the
    pid in the name, ``temp_name``, is ours), sorted: what a run left of its own, a cancel
    having stopped the write. Where *folder* cannot be listed, or its listing fails partway,
    ``unlisted`` is the error (the paths those listed before it): the caller says it could
    not look (``could_not_look``), never that none is left; a folder that does not exist
    is listed whole. Never raises."""
    found: list[Path] = []
    unlisted: OSError | None = None
    ours = os.getpid()
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                match = _TEMP_NAME.fullmatch(entry.name)
                if match is not None and int(match.group(2)) == ours:
                    found.append(Path(entry.path))
    except FileNotFoundError:
        pass  # no folder, nothing of ours in it
    except OSError as exc:
        unlisted = exc
    return StaleTemps(sorted(found), unlisted)


def could_not_look(folder: Path | str, what: str, error: OSError) -> str:
    """The one line that says *folder* could not be listed (whole) to look for *what* (the
    unfinished files of a killed run): what is there is kept, nothing said removed of it."""
    from offload.errors import describe_os_error, printable_name

    return (
        f"could not look in {printable_name(str(folder))} for {what}: "
        f"{describe_os_error(error)}; any there are kept (they take room, nothing else)"
    )


def _is_stale(entry: os.DirEntry[str], pid: int, unaskable_after_s: float | None) -> bool:
    """``stale_temp_files``'s judgment of one listed temporary whose writer's pid is *pid*.
    False (kept) when it cannot be asked: one file's error never stops the others'."""
    from offload.destinations.claim import claimed

    try:
        if not entry.is_file(follow_symlinks=False) or _pid_alive(pid):
            return False
        held = claimed(entry.path)
        if held:
            return False  # a live writer's (another host's, whose pid means nothing here)
        if held is None and unaskable_after_s is not None:
            # No lock says: stale only once too old to be a live run's.
            age = time.time() - entry.stat(follow_symlinks=False).st_mtime
            return age >= unaskable_after_s
        return True
    except OSError:
        return False


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # EPERM: alive, another user's
    return True


#: How many temporaries ``AtomicFile`` makes before it gives up, each removed by another
#: host's clean-up before its claim was granted (once is already a race of microseconds).
_CLAIM_TRIES = 3


def _claim(fd: int) -> bool:
    """The writer's shared ``flock`` on its temporary file, dropped by the kernel when the
    descriptor is closed or the writer dies, by ``destinations.claim.claim``'s contract: it
    waits while a clean-up holds the exclusive lock (an instant), then answers whether the
    file is still linked: False when that clean-up removed it meanwhile (another host's,
    to which the temporary was unclaimed for the instant between its ``open`` and its
    claim; its pid means nothing there). True where the filesystem keeps no locks (NFS,
    which takes no shared lock on a write-only descriptor, included: the age rule of an
    unguarded folder's clean-up, ``stale_temp_files``, decides there). Raises OSError (the
    ``fstat`` of *fd*, another error of ``flock``)."""
    from offload.destinations.claim import claim

    return claim(fd)


class AtomicFile:
    """A file being written under a temporary name next to *final_path*.

    Use as a context manager; call :meth:`commit` inside it to publish the file. Leaving the
    block without a commit (or with an exception) removes the temporary file. The temporary
    name starts with ``.`` and ends with ``.partial``, so ASC MHL readers (which look for
    ``*.mhl``) never mistake a leftover for a manifest.

    ``write_text`` buffers; the digest of the exact bytes written is available after commit
    as :attr:`digest`: by *hasher*, the C4 ID by default (the chain file needs a manifest's).
    A caller that only checks later that a file still holds the bytes it wrote (the
    reports' copies) passes a faster one (``xxhash.xxh3_128``: ~50x SHA-512's speed; a
    check against accidents, not against an adversary). Not thread-safe.
    """

    def __init__(self, final_path: Path, *, hasher: Callable[[], Hasher] = C4Hasher) -> None:
        self.final_path = final_path
        self.temp_path = final_path.with_name(temp_name(final_path.name))
        self.digest: str | None = None
        self._new_hasher = hasher
        self._hasher = hasher()
        self._pending: list[str] = []
        self._pending_chars = 0
        self._fd: int | None = None
        self._committed = False

    def __enter__(self) -> AtomicFile:
        """Make the temporary file and claim it. Raises OSError (its ``open`` or claim;
        nothing left then), or, after ``_CLAIM_TRIES`` temporaries each removed by another
        host's clean-up before its claim was granted, OSError EAGAIN."""
        # Never into another copy root's state folder swapped in for this run's
        # (``state_folder``: a report, the stamp, the ledger written whole).
        check_under(self.final_path)
        for _ in range(_CLAIM_TRIES):
            if self._open_claimed():
                return self
            # Removed before the claim was granted (``_claim``): a new name, as
            # ``destinations.claim``'s contract has a partial's writer do.
            self.temp_path = self.final_path.with_name(temp_name(self.final_path.name))
        raise OSError(
            errno.EAGAIN,
            f"each temporary file made for {self.final_path} was removed before it could be "
            "claimed (another host's clean-up of that folder)",
        )

    def _open_claimed(self) -> bool:
        """Make ``temp_path`` and claim it (``_claim``): True when claimed, False when a
        clean-up removed it first (its descriptor closed). Whatever else ends it (an
        OSError, a cancel) closes the descriptor and removes the file before it is raised:
        no ``__exit__`` runs for a failed ``__enter__``."""
        try:
            self._fd = os.open(
                self.temp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644
            )
            # Claimed while it is written (``destinations.claim``), so a clean-up of dead
            # runs' temporaries (``stale_temp_files``) keeps it whatever host it runs on.
            if _claim(self._fd):
                return True
            os.close(self._fd)  # unlinked by the clean-up: nothing left to remove
            self._fd = None
            return False
        except BaseException as exc:
            # A cancel (a signal's handler) can be raised as the open returns, the file made
            # but no descriptor kept: the name is this call's own (O_EXCL, random), so
            # whatever stands there is ours to remove; a descriptor kept before the signal
            # (it landed in the claim) is closed first. Another error removes the file only
            # once it was made (a name that existed is not ours).
            made = self._fd is not None or isinstance(exc, KeyboardInterrupt)
            if self._fd is not None:
                try:
                    os.close(self._fd)
                except OSError:
                    pass
                self._fd = None
            if made:
                try:
                    os.unlink(self.temp_path)
                except OSError:
                    pass
            raise

    def write_text(self, text: str) -> None:
        self._pending.append(text)
        self._pending_chars += len(text)
        if self._pending_chars >= _FLUSH_CHARS:
            self._flush()

    def write_bytes(self, data: bytes) -> None:
        self._flush()
        self._write_all(data)

    def start_writeback(self) -> None:
        """Write the buffered text and ask the kernel to start writing the file back now
        (``fs.ops.start_writeback``: a hint; ``commit``'s fsync is still the durability
        point). Raises OSError (from the write)."""
        self._flush()
        assert self._fd is not None, "AtomicFile used outside its with-block"
        start_writeback(self._fd)

    def _flush(self) -> None:
        if not self._pending:
            return
        data = "".join(self._pending).encode("utf-8")
        self._pending.clear()
        self._pending_chars = 0
        self._write_all(data)

    def _write_all(self, data: bytes) -> None:
        assert self._fd is not None, "AtomicFile used outside its with-block"
        self._hasher.update(data)
        write_all(self._fd, data, self.temp_path)

    def written_digest(self) -> str:
        """The digest (by the file's hasher) of the bytes written so far (buffered text
        included)."""
        self._flush()
        return self._hasher.hexdigest()

    def rewind(self) -> None:
        """Drop everything written so far: the temporary file is emptied, to be written
        again from the start. Raises OSError."""
        assert self._fd is not None, "AtomicFile used outside its with-block"
        self._pending.clear()
        self._pending_chars = 0
        os.ftruncate(self._fd, 0)
        os.lseek(self._fd, 0, os.SEEK_SET)
        self._hasher = self._new_hasher()

    def commit(
        self,
        *,
        replace: bool,
        sync_folder: bool = True,
        renamed: Callable[[], None] | None = None,
    ) -> None:
        """Flush, fsync, rename to the final name, fsync the folder.

        *replace*: overwrite an existing final file (the chain file); if False, raise
        FileExistsError instead of replacing one (a manifest is never overwritten).
        *sync_folder* False: the caller fsyncs the folder itself (``fs.ops.fsync_dir``),
        once for several files, before it calls them durable: until then the new name may
        be lost in a crash (the file's bytes are durable, the old file or none is seen).
        *renamed*: called once the file is under its final name, before the folder's fsync
        (a signal or an error there leaves it under that name: the caller counts it there).
        Raises OSError on any I/O failure; the temporary file is then removed on exit.
        """
        self._flush()
        assert self._fd is not None
        os.fsync(self._fd)
        os.close(self._fd)
        self._fd = None
        check_under(self.final_path)  # swapped since the temporary was made: not renamed
        if replace:
            os.replace(self.temp_path, self.final_path)
        else:
            rename_noreplace(self.temp_path, self.final_path)
        self._committed = True
        self.digest = self._hasher.hexdigest()
        if renamed is not None:
            renamed()
        if sync_folder:
            fsync_dir(self.final_path.parent)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if not self._committed:
            try:
                os.unlink(self.temp_path)
            except FileNotFoundError:
                pass


def write_file_atomically(
    final_path: Path,
    data: bytes,
    *,
    replace: bool,
    sync_folder: bool = True,
    renamed: Callable[[], None] | None = None,
) -> str:
    """Write *data* to *final_path* atomically; return the C4 ID of *data*. *sync_folder*,
    *renamed*: as ``AtomicFile.commit``.

    Raises OSError (FileExistsError when *replace* is False and the file exists).
    """
    with AtomicFile(final_path) as handle:
        handle.write_bytes(data)
        handle.commit(replace=replace, sync_folder=sync_folder, renamed=renamed)
    assert handle.digest is not None
    return handle.digest
