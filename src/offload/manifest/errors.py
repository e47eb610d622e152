"""Errors raised by the manifest package.

Every one is an :class:`offload.errors.OffloadError` so the CLIs map it to an exit code in one
place. A manifest belongs to one destination, so their scope is ``DESTINATION``: the engine
reports that destination's manifest as failed and the other destinations carry on.
"""

from __future__ import annotations

from pathlib import Path

from offload.errors import ErrorScope, ExitCode, OffloadError


class ManifestError(OffloadError):
    """A manifest could not be written or read (bad input, unsupported tree, I/O failure).

    ``settled``: what the writer's settle of a dead run's unchained manifest did before this
    was raised (``unchained_own.settle``'s line: "removed ..."), for the refusal to say too;
    None when it did nothing.

    ``says_what_to_do``: its message names the remedy already (restore the history from a
    backup, run this again once another writer is done, verify without ``--mhl-file``), set
    where it is raised: a caller that words a refusal of it adds no remedy of its own
    (``verification._history_remedy``)."""

    scope = ErrorScope.DESTINATION
    exit_code = ExitCode.PARTIAL
    settled: str | None = None

    def __init__(
        self,
        message: str,
        *,
        path: Path | str | None = None,
        errno_: int | None = None,
        says_what_to_do: bool = False,
    ) -> None:
        super().__init__(message, path=path, errno_=errno_)
        self.says_what_to_do = says_what_to_do


class HistoryError(ManifestError):
    """An existing ASC MHL history is unusable: unreadable XML, a chain file that does not
    match the manifests (modified or missing manifest, missing chain), or a destination
    history that diverges from the one being carried into it."""


class UnsupportedTreeError(ManifestError):
    """The tree holds something this writer deliberately does not handle (nested histories,
    names that cannot be written in XML 1.0 / UTF-8)."""


class LegacyMhlUnreadableError(ManifestError):
    """A legacy MHL named to verify against cannot be read, or is not one (malformed XML,
    not a ``<hashlist>``): bad input, nothing was checked against it (``offload verify
    --mhl-file``: exit 64, never "files changed or unreadable")."""


class NoHistoryError(HistoryError):
    """There is no ASC MHL history (no generation) where one was expected."""


class UntrustedHistoryError(HistoryError):
    """A history that is broken or forged, nothing it says trusted: it records paths
    outside its own root (absolute, or leading up through ``..``) or one file twice in a
    generation with different hashes (``History.untrusted_reason``), its chain names no
    manifest of its folder, a manifest or its folder is a symlink, a record is one no
    writer makes; or a writer would chain a generation on top of a manifest the chain does
    not list (``History.refuse_unchained``)."""


class MissingChainError(HistoryError):
    """Manifests stand in ``ascmhl/`` but no chain file does (``ascmhl-debug verify``: exit 32,
    ``NoMHLChainException``; ``offload verify`` exits the same)."""


class MissingManifestError(HistoryError):
    """The chain file lists a manifest that is not in ``ascmhl/`` (``ascmhl-debug verify``: exit
    33, ``MissingMHLManifestException``; ``offload verify`` exits the same)."""
