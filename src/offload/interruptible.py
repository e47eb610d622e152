"""Slow calls on local filesystems that a signal must still stop: made on a worker thread,
while the main thread waits for it in a wait every signal interrupts.

Why: a call into a hung filesystem (a FUSE drive whose daemon stalls, a share gone) holds the
thread that made it in the kernel, where a signal does not end it (FUSE, once it passed the
interrupt on to its daemon, waits for the daemon's answer). Python runs its signal handlers
on the main thread only, between bytecodes: with the main thread in such a call the first
SIGINT stays pending, and the kernel drops a second one (standard signals do not queue), so
"a second Ctrl-C stops the run" never happened while one manifest call hung. Here the call
holds only the worker, which blocks the signals the commands handle: the kernel delivers each
of them to the main thread, whose handler runs at once.

What the handler raises (the KeyboardInterrupt of a stop) is then raised in the worker too
(``PyThreadState_SetAsyncExc``), where it lands as it would have landed in the main thread:
at the worker's next bytecode, once a hung call returns. So the steps unwind as before, their
own clean-up included (a manifest step stopped between its generation and its chain file
takes the generation back): a worker left running while the process exits would have cut
them anywhere. The main thread waits for that unwinding (a further signal meanwhile changes
nothing: the stop is under way; a SIGTERM's default, put back by the handler, still ends the
process), then raises the stop.

Only for calls the kernel may hold (files, folders): a network wait (an S3 request) stays on
the main thread, where a signal interrupts the socket's wait itself (EINTR) and the stop's
bounded clean-up runs at once; on a worker, with the signals blocked, it would wait for the
socket's timeout before the stop could land."""

from __future__ import annotations

import contextlib
import ctypes
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")

#: The signals the commands handle (``cli.final_signals.HANDLED_SIGNALS``): blocked on the
#: worker, so that the kernel never picks it, held in a call, to deliver one.
_DELIVERED_TO_MAIN = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}

#: Bound once: the stop's call is then the first call after its flag is set.
_set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc


#: How long a stop waits for the worker before it is said to wait (``telling``): a call
#: that is not hung unwinds at once, and a line for it would only be noise.
SAID_AFTER_S = 0.2

_tellers: list[Callable[[tuple[str, ...]], None]] = []


@contextlib.contextmanager
def telling(tell: Callable[[tuple[str, ...]], None]) -> Iterator[None]:
    """While in the block, *tell* is called with a ``call``'s *where* when a stop has waited
    ``SAID_AFTER_S`` for its worker and waits on (a hung call): the command says so at once,
    before, the run looked as if it went on writing. Called on the main thread, once per
    stop, a further signal's raise in it dropped like any other."""
    _tellers.append(tell)
    try:
        yield
    finally:
        _tellers.remove(tell)


@contextlib.contextmanager
def signals_to_main() -> Iterator[None]:
    """While in the block, the signals the commands handle are blocked on the calling
    thread, then its mask is put back: the threads it starts meanwhile keep them blocked
    for good, and so do the threads those start (a thread is made with its creator's
    mask). The kernel then delivers each of them to the main thread, whose handler runs at
    once, never to an engine thread held in a call on a hung drive or share (where a
    filesystem that answers an interrupted call with EINTR, a CIFS or NFS mount, would fail
    a call Python does not retry: ``fs.ops``' ``ctypes`` calls). A signal that comes while
    in the block is delivered as the mask is put back. Only for threads that make local
    calls: a process started from a masked thread is masked too (``signals_unblocked``)."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _DELIVERED_TO_MAIN)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def signals_unblocked() -> None:
    """Unblock, on the calling thread, the signals ``signals_to_main`` blocks: the first
    call of every thread that talks to a bucket (as a ``ThreadPoolExecutor``'s
    ``initializer``). Such a thread waits on the network, where a signal only interrupts a
    wait Python retries, never on a hung drive; and it may start a process that must stop
    when the run is stopped: botocore starts a ``credential_process`` helper (aws-vault,
    an MFA or SSO script) from the thread signing a request, once credentials near their
    expiry, and waits for it with no timeout. A child keeps, through exec, the mask of the
    thread that started it: started masked, Ctrl-C, SIGTERM and SIGHUP never reached it."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _DELIVERED_TO_MAIN)


def call(name: str, function: Callable[[], T], where: tuple[str, ...] = ()) -> T:
    """What *function* returns (or raises), made on a worker thread called *name* while the
    calling thread waits. An exception a signal handler raises meanwhile (the stop) is raised
    in the worker too; once the worker has unwound, that same exception object comes out
    here, and the worker is never left running after ``call`` returned or raised: a further
    signal's exception while the stop is under way (in ``stop``, in the wait) is dropped, and
    a stop landing while the worker was being started keeps *function* from ever beginning.
    *where*: the paths its calls are made on, for ``telling``. Off the main thread (an API
    caller's thread) *function* is simply called: no handler runs there."""
    if threading.current_thread() is not threading.main_thread():
        return function()
    worker = _Worker(name, function)
    # Both inside the ``try``: ``Thread.start`` waits for the thread to begin, a wait a
    # signal's handler interrupts like the other.
    try:
        worker.start()
        # Not ``join``: Python 3.11's, interrupted by a handler's exception, takes the thread
        # for ended (bpo-45274's fix releases the lock the running thread still holds).
        worker.done.wait()  # a lock acquire: a signal runs its handler now, whose raise ends it
    except BaseException as stop:
        # Nothing before this loop's ``try`` is a point where a handler runs (no call): every
        # further handler's raise from here on lands inside it and is dropped.
        told = False
        while True:
            try:
                worker.stop(type(stop))  # idempotent: the stop is raised in the worker once
                if worker.settled():
                    break
                if not told:
                    told = True
                    if not worker.done.wait(SAID_AFTER_S):
                        for tell in tuple(_tellers):
                            tell(where)
                worker.done.wait()
            except BaseException:  # a further signal: the stop is under way already
                continue
        raise stop
    return worker.result()


class _Worker(threading.Thread, Generic[T]):
    """The thread *function* runs on. ``outcome`` set once it returned or raised, ``done``
    then (both under ``_lock``, so that ``stop`` raises in the thread only while it may still
    run *function*, and at most once: a second raise would cut the first one's unwinding)."""

    def __init__(self, name: str, function: Callable[[], T]) -> None:
        super().__init__(name=name, daemon=True)
        self._function = function
        self._lock = threading.Lock()
        self._began = False  # *function* may run: a stop from now on is raised in the thread
        self._cancelled = False  # stopped before it began: *function* is never called
        self._stop_sent = False
        self.outcome: tuple[T | None, BaseException | None] | None = None
        self.done = threading.Event()  # set once ``outcome`` is, as the thread's last step

    def run(self) -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, _DELIVERED_TO_MAIN)
        with self._lock:
            if self._cancelled:
                return  # the caller stopped before the thread began: nothing ran, nobody waits
            self._began = True
        result: tuple[T | None, BaseException | None] = (None, None)
        try:
            try:
                result = (self._function(), None)
            except BaseException as exc:  # handed to the caller, raised there
                result = (None, exc)
        except BaseException as exc:  # the stop, landing as *function*'s exception was kept
            result = (None, exc)
        # The stop (raised once, before ``outcome`` is set) may land anywhere up to ``done``
        # being set, in ``Event.set`` itself: so again until both are.
        while True:
            try:
                with self._lock:
                    if self.outcome is None:
                        self.outcome = result
                self.done.set()
                return
            except BaseException as exc:  # the stop, landing as *function* ended
                result = (None, exc)

    def stop(self, kind: type[BaseException]) -> None:
        """Raise *kind* in the thread at its next bytecode if it may still run *function*
        (once: a further call changes nothing); before the thread began, keep *function*
        from running at all."""
        with self._lock:
            if not self._began:
                self._cancelled = True
            elif self.outcome is None and not self._stop_sent and self.ident is not None:
                thread, exception = ctypes.c_ulong(self.ident), ctypes.py_object(kind)
                self._stop_sent = True  # no handler runs between this and the call
                _set_async_exc(thread, exception)

    def settled(self) -> bool:
        """Whether the thread will do nothing more: ``done``, or stopped before it began."""
        return self.done.is_set() or self._cancelled

    def result(self) -> T:
        value, failure = self.outcome or (None, None)
        if failure is not None:
            raise failure
        return value  # type: ignore[return-value]
