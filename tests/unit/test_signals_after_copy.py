"""``SignalsAfterCopy``'s handler, called as the signal module calls it: what each signal
records, what stops the run."""

from __future__ import annotations

import signal

import pytest

from offload.cli.common import SignalsAfterCopy
from offload.engine.cancel import CancelToken


def test_the_command_s_handler_raises_the_stop_once() -> None:
    """Failed before: every SIGINT after the stop raised again, in ``call``'s wait for the
    worker (dropped there now) or, before that fix, out of it with the worker running."""
    signals = SignalsAfterCopy(CancelToken())
    signals.after_copy()
    signals.handler(signal.SIGINT, None)  # recorded: the manifests and reports go on
    with pytest.raises(KeyboardInterrupt):
        signals.handler(signal.SIGINT, None)
    assert signals.stopped_by == signal.SIGINT
    signals.handler(signal.SIGINT, None)  # the stop is under way: nothing more
    assert signals.stopped_by == signal.SIGINT


def test_the_first_signal_after_a_reader_s_cancel_is_no_further_one() -> None:
    """A reader's failure cancels the token (``engine.reader``): the first Ctrl-C then is
    the first signal, not "a further Ctrl-C came while the copy was being cancelled".
    Failed before: ``again`` was set whenever the token was already set."""
    cancel = CancelToken()
    signals = SignalsAfterCopy(cancel)
    cancel.cancel()  # as ``Reader._bug`` does
    signals.handler(signal.SIGINT, None)
    assert signals.again is None
    signals.handler(signal.SIGINT, None)
    assert signals.again == signal.SIGINT


@pytest.mark.parametrize("reporting", [False, True])
def test_a_first_sigterm_stops_the_run_only_once_the_reports_are_written(reporting: bool) -> None:
    """While the manifests are written (``reporting`` false) a first SIGTERM is recorded, as
    a first SIGINT is, and a second stops the run; during the reports the first stops it.
    Failed before (not reporting): the first SIGTERM raised, the run left without a report."""
    before = signal.getsignal(signal.SIGTERM)
    try:
        signals = SignalsAfterCopy(CancelToken())
        signals.after_copy("manifests")
        signals.reporting = reporting
        if not reporting:
            signals.handler(signal.SIGTERM, None)  # recorded: the run goes on
            assert signals.received == signal.SIGTERM and signals.stopped_by is None
            assert signals.words() == "SIGTERM"
        with pytest.raises(KeyboardInterrupt):
            signals.handler(signal.SIGTERM, None)
        assert signals.stopped_by == signal.SIGTERM
    finally:
        signal.signal(signal.SIGTERM, before)
