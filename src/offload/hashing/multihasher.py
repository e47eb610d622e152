"""Several hash algorithms over one stream of chunks, the slow ones on threads of their own."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from offload.hashing.registry import Hasher, resolve_algorithm

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer as Buffer

Release = Callable[[], None]


class _Finish:
    """The end of a file on a hasher thread: its digest (or error), and when it is set.
    A plain class: a dataclass cost ~0.4 ms to create at start-up, for nothing used."""

    __slots__ = ("done", "error", "hexdigest")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.hexdigest = ""
        self.error: BaseException | None = None


class _HasherThread:
    """One slow algorithm on its own thread, fed through an unbounded queue.

    The queue needs no bound of its own: every item holds a pooled chunk, so the chunk pool
    already bounds how far the producer can run ahead.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._algorithm = resolve_algorithm(name)
        self._hasher: Hasher = self._algorithm.new()
        self._queue: queue.SimpleQueue[tuple[Buffer, Release | None] | _Finish | None] = (
            queue.SimpleQueue()
        )
        self._thread = threading.Thread(target=self._run, name=f"hasher-{name}")
        self._thread.start()

    def feed(self, data: Buffer, release: Release | None) -> None:
        self._queue.put((data, release))

    def finish(self) -> _Finish:
        marker = _Finish()
        self._queue.put(marker)
        return marker

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        failure: BaseException | None = None
        while True:
            item = self._queue.get()
            if item is None:
                return
            if isinstance(item, _Finish):
                item.error = failure
                if failure is None:
                    item.hexdigest = self._hasher.hexdigest()
                self._hasher = self._algorithm.new()
                failure = None
                item.done.set()
                continue
            data, release = item
            try:
                if failure is None:
                    self._hasher.update(data)
            except BaseException as exc:  # kept and re-raised by hexdigests() in the producer
                failure = exc
            finally:
                if release is not None:
                    release()


class MultiHasher:
    """Computes every selected algorithm over the same bytes, one pass, in order.

    Fast algorithms (xxh*) run inline in the caller's thread; each slow one (md5, sha*, c4)
    runs on a thread of its own so that the reader is throttled only by the slowest hash and
    not by their sum. Use one instance from one producer thread at a time; call ``close()``
    (or use it as a context manager) to stop the threads.

    ``update(data, release=...)``: *data* must stay unchanged until every threaded algorithm
    has hashed it; each of them calls *release* once when done (``threaded_count`` times in
    all), which is how a pooled buffer learns it may be reused.
    """

    def __init__(self, names: Iterable[str]) -> None:
        self.names = tuple(resolve_algorithm(name).name for name in names)
        if not self.names:
            raise ValueError("MultiHasher needs at least one algorithm")
        inline = [resolve_algorithm(n) for n in self.names if resolve_algorithm(n).inline]
        self._inline_names = tuple(algorithm.name for algorithm in inline)
        # Each file's hashers are made by the factories themselves: the registry's look-up
        # of a name (``resolve_algorithm``) a file and algorithm, and the dicts around it,
        # were most of the cost of hashing a 1 KB file (docs/performance.md, "Many small
        # files: fourteenth pass").
        self._factories = tuple(algorithm.factory for algorithm in inline)
        self._inline: list[Hasher] = []
        self._threads = [_HasherThread(n) for n in self.names if not resolve_algorithm(n).inline]
        self._reset_inline()

    @property
    def threaded_count(self) -> int:
        return len(self._threads)

    def _reset_inline(self) -> None:
        factories = self._factories
        if len(factories) == 1:
            # One algorithm (the default): no comprehension, which Python 3.11 makes and
            # calls as a function, once a file (docs/performance.md, "The 50,000-file
            # card's copy phase: twentieth pass").
            self._inline = [factories[0]()]
        else:
            self._inline = [factory() for factory in factories]

    def update(self, data: Buffer, *, release: Release | None = None) -> None:
        for hasher in self._inline:
            hasher.update(data)
        for thread in self._threads:
            thread.feed(data, release)

    def drain(self) -> None:
        """Block until the threaded algorithms have hashed everything fed so far."""
        done = threading.Event()
        pending = [len(self._threads)]
        lock = threading.Lock()

        def released() -> None:
            with lock:
                pending[0] -= 1
                if pending[0] == 0:
                    done.set()

        for thread in self._threads:
            thread.feed(b"", released)
        if self._threads:
            done.wait()

    def hexdigests(self) -> dict[str, str]:
        """Digests of everything fed since the last call, in selection order; then reset.

        Blocks until the threaded algorithms have caught up. Re-raises a hasher thread's error.
        """
        inline = self._inline
        self._reset_inline()
        names = self._inline_names
        if not self._threads:  # every algorithm inline (the default): in selection order
            if len(inline) == 1:
                return {names[0]: inline[0].hexdigest()}
            return {names[index]: hasher.hexdigest() for index, hasher in enumerate(inline)}
        markers = {thread.name: thread.finish() for thread in self._threads}
        results = {names[index]: hasher.hexdigest() for index, hasher in enumerate(inline)}
        for name, marker in markers.items():
            marker.done.wait()
            if marker.error is not None:
                raise marker.error
            results[name] = marker.hexdigest
        return {name: results[name] for name in self.names}

    def close(self) -> None:
        for thread in self._threads:
            thread.stop()
        self._threads = []

    def __enter__(self) -> MultiHasher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
