"""The line (and the restated JSON note) of a run stopped once its copy was over names the
step the stop came in: the manifests while they were written, the reports once the
manifest step was over, never "the manifests and reports" for a stop that left only the
reports. Pure functions of ``offload.cli.offload``."""

from __future__ import annotations

import signal

from offload.cli.offload import stopped_after_copy, stopped_note

DONE = "the manifests are written on every destination"


def test_a_stop_while_the_reports_were_written_names_the_reports_alone() -> None:
    """Failed before: "stopped by SIGTERM while the manifests and reports were written"
    though the manifest step was over ("the manifests are written on every destination")."""
    line = stopped_after_copy(signal.SIGTERM, DONE)
    assert line.startswith(
        "stopped by SIGTERM while the reports were written, the copy over: "
        f"{DONE}; the reports not yet written are missing"
    ), line
    assert "manifests and reports" not in line
    note = stopped_note(signal.SIGINT, DONE)
    assert note.startswith("stopped by a further Ctrl-C while the reports were written"), note
    assert "manifests and reports" not in note


def test_a_stop_without_manifests_asked_for_names_the_reports_alone() -> None:
    """No manifest asked for (``--mhl none``): the manifest step over says nothing of them."""
    assert stopped_after_copy(signal.SIGINT, "").startswith(
        "stopped by a further Ctrl-C while the reports were written, the copy over: the "
        "reports not yet written are missing"
    )
    before = stopped_after_copy(signal.SIGINT, None, manifests_asked=False)
    assert before.startswith(
        "stopped by a further Ctrl-C before the reports were written, the copy over: "
        "the reports are missing"
    ), before
    assert "manifest" not in before


def test_a_stop_while_the_manifests_were_written_names_the_manifests() -> None:
    line = stopped_after_copy(signal.SIGTERM, None)
    assert line.startswith(
        "stopped by SIGTERM while the manifests were written, the copy over: the manifests "
        "not yet written and the reports are missing; run the same command again"
    ), line
