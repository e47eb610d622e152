"""The ``WarningIssued`` events of one destination's manifest step, each not-in-manifest one
carrying the card paths it names (``WarningIssued.relatives``), so a reader dedupes by
(copy root, relative path), never by the message's text.

Contract:

* :func:`left_out_by_warning` is asked of a ``ManifestResult`` before its warnings' text is
  changed (an S3 destination's staging folder renamed to its URL, ``s3card``): for each
  warning in order, the paths of ``not_listed`` it names (the entries whose message is that
  warning, the one ``_leave_out`` appended with them), empty for a warning of any other
  kind. No I/O.
* :func:`warning_events` makes the events, in the warnings' order, ``path`` the copy root as
  given (*where*), ``code`` ``manifests_writer.warning_codes``' (also asked before a
  rename), and each not-in-manifest warning's ``relatives``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from offload.events import WarningIssued

if TYPE_CHECKING:
    from offload.manifests_writer import ManifestResult
    from offload.plan.codes import PreflightCode


def left_out_by_warning(outcome: ManifestResult) -> list[tuple[str, ...]]:
    """For each of *outcome*'s warnings, in order, the card paths (relative to the copy
    root) of ``not_listed`` that it names: () for any other warning."""
    by_message: dict[str, list[str]] = {}
    for relative, unlisted in outcome.not_listed.items():
        by_message.setdefault(unlisted.message, []).append(relative)
    return [tuple(by_message.get(message, ())) for message in outcome.warnings]


def warning_events(
    outcome: ManifestResult,
    where: str,
    codes: Sequence[PreflightCode | None],
    relatives: Sequence[tuple[str, ...]],
) -> list[WarningIssued]:
    """*outcome*'s warnings as events (``path`` *where*, the copy root), with *codes* and
    *relatives* (``left_out_by_warning``), each asked before the warnings' text changed."""
    return [
        WarningIssued(message, where, code and code.value, named)
        for message, code, named in zip(outcome.warnings, codes, relatives, strict=True)
    ]
