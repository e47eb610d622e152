"""Write a file atomically: temporary name in the same folder, fsync, rename, fsync the folder.

A reader (or a crash) sees either the old file or the complete new one, never a torn one.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType

from offload.fs.ops import fsync_dir, rename_noreplace
from offload.hashing.c4 import C4Hasher

# Buffered text is encoded and written once it passes this size: large writes, bounded memory.
_FLUSH_CHARS = 1 << 20


class AtomicFile:
    """A file being written under a temporary name next to *final_path*.

    Use as a context manager; call :meth:`commit` inside it to publish the file. Leaving the
    block without a commit (or with an exception) removes the temporary file. The temporary
    name starts with ``.`` and ends with ``.partial``, so ASC MHL readers (which look for
    ``*.mhl``) never mistake a leftover for a manifest.

    ``write_text`` buffers; the C4 ID of the exact bytes written is available after commit as
    :attr:`c4_id` (the chain file needs it). Not thread-safe.
    """

    def __init__(self, final_path: Path) -> None:
        self.final_path = final_path
        self.temp_path = final_path.with_name(
            f".{final_path.name}.{os.getpid()}.{os.urandom(4).hex()}.partial"
        )
        self.c4_id: str | None = None
        self._hasher = C4Hasher()
        self._pending: list[str] = []
        self._pending_chars = 0
        self._fd: int | None = None
        self._committed = False

    def __enter__(self) -> AtomicFile:
        self._fd = os.open(
            self.temp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644
        )
        return self

    def write_text(self, text: str) -> None:
        self._pending.append(text)
        self._pending_chars += len(text)
        if self._pending_chars >= _FLUSH_CHARS:
            self._flush()

    def write_bytes(self, data: bytes) -> None:
        self._flush()
        self._write_all(data)

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
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]

    def written_c4_id(self) -> str:
        """The C4 ID of the bytes written so far (buffered text included)."""
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
        self._hasher = C4Hasher()

    def commit(self, *, replace: bool, sync_folder: bool = True) -> None:
        """Flush, fsync, rename to the final name, fsync the folder.

        *replace*: overwrite an existing final file (the chain file); if False, raise
        FileExistsError instead of replacing one (a manifest is never overwritten).
        *sync_folder* False: the caller fsyncs the folder itself (``fs.ops.fsync_dir``),
        once for several files, before it calls them durable: until then the new name may
        be lost in a crash (the file's bytes are durable, the old file or none is seen).
        Raises OSError on any I/O failure; the temporary file is then removed on exit.
        """
        self._flush()
        assert self._fd is not None
        os.fsync(self._fd)
        os.close(self._fd)
        self._fd = None
        if replace:
            os.replace(self.temp_path, self.final_path)
        else:
            rename_noreplace(self.temp_path, self.final_path)
        self._committed = True
        self.c4_id = self._hasher.hexdigest()
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
    final_path: Path, data: bytes, *, replace: bool, sync_folder: bool = True
) -> str:
    """Write *data* to *final_path* atomically; return the C4 ID of *data*. *sync_folder*:
    as ``AtomicFile.commit``.

    Raises OSError (FileExistsError when *replace* is False and the file exists).
    """
    with AtomicFile(final_path) as handle:
        handle.write_bytes(data)
        handle.commit(replace=replace, sync_folder=sync_folder)
    assert handle.c4_id is not None
    return handle.c4_id
