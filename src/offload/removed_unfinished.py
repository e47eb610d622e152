"""What a run removed, before its copies, of what interrupted runs left unfinished on its
destinations, counted by kind.

A drive pulled or a run killed leaves partial copies (``.offload-partial.*``), unfinished
S3 uploads and staging objects, and the temporary files of a manifest, a job report or the
ledger it was writing; the next run removes those whose writer is provably gone
(``card.execute``'s sweep, ``destinations.s3card.abort_abandoned``). One number for them
all read as "N partial copies" of a drive that held none: each kind is counted on its own
and said when it is not 0, in the terminal's summary (:meth:`RemovedUnfinished.words`) and
the JSON report (``removed_unfinished``: :meth:`RemovedUnfinished.as_json`; its total is
``removed_stray_partials``, as before).
"""

from __future__ import annotations

from offload.word_list import word_list

#: Each kind's words, singular and plural, in the order they are said.
_KINDS = {
    "partial_copies": ("partial copy", "partial copies"),
    "uploads": ("unfinished S3 upload", "unfinished S3 uploads"),
    "staging_objects": ("S3 staging object", "S3 staging objects"),
    "manifest_files": ("temporary manifest file", "temporary manifest files"),
    "ledger_files": ("temporary ledger or record file", "temporary ledger or record files"),
    "report_files": ("temporary report file", "temporary report files"),
}


class RemovedUnfinished:
    """How many of each kind were removed: ``partial_copies`` (``.offload-partial.*``, and
    fusefat's ``.offload-part``), ``uploads`` (S3 multipart uploads aborted), ``staging_objects``
    (S3 objects under ``.offload/staging/``: a replacement verified but never put in place),
    ``manifest_files`` (an ASC MHL generation or chain file, or a legacy MHL, half written),
    ``ledger_files`` (``.offload/``'s ledger written whole, the stamp of complete manifests,
    the record of a generation being committed), ``report_files`` (``.offload/reports/``'s,
    each also named in a WARNING line: ``job_report.dead_reports_removed``).

    A plain class, not a dataclass: a dataclass made at import costs ~0.5 ms of every run's
    start-up (``tests/cli/test_offload_cli.py`` counts them). Not thread-safe: one sweep
    counts into it, the end reads it."""

    __slots__ = tuple(_KINDS)

    def __init__(
        self,
        *,
        partial_copies: int = 0,
        uploads: int = 0,
        staging_objects: int = 0,
        manifest_files: int = 0,
        ledger_files: int = 0,
        report_files: int = 0,
    ) -> None:
        self.partial_copies = partial_copies
        self.uploads = uploads
        self.staging_objects = staging_objects
        self.manifest_files = manifest_files
        self.ledger_files = ledger_files
        self.report_files = report_files

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RemovedUnfinished):
            return NotImplemented
        return self.as_json() == other.as_json()

    __hash__ = None  # type: ignore[assignment]  # (mutable: counted into)

    def __repr__(self) -> str:
        counts = ", ".join(f"{kind}={count}" for kind, count in self.as_json().items())
        return f"RemovedUnfinished({counts})"

    def add(self, other: RemovedUnfinished) -> None:
        """Count *other*'s too (another destination's)."""
        for kind in _KINDS:
            setattr(self, kind, getattr(self, kind) + getattr(other, kind))

    @property
    def total(self) -> int:
        """All kinds together: the JSON's ``removed_stray_partials``."""
        return sum(getattr(self, kind) for kind in _KINDS)

    def as_json(self) -> dict[str, int]:
        """The JSON report's ``removed_unfinished``: every kind, 0 included."""
        return {kind: getattr(self, kind) for kind in _KINDS}

    def words(self) -> str:
        """The summary's line, "" when nothing was removed: "Removed what interrupted runs
        left unfinished on the destinations, their writer gone: 1 partial copy and 2
        temporary report files (named in a WARNING line above)." Only the kinds not 0."""
        said = []
        for kind, (one, many) in _KINDS.items():
            count = getattr(self, kind)
            if count:
                said.append(f"{count} {one if count == 1 else many}")
        if not said:
            return ""
        if self.report_files:  # the WARNING line names each: never read as more on top
            said[-1] += " (named in a WARNING line above)"
        return (
            "Removed what interrupted runs left unfinished on the destinations, their writer "
            f"gone: {word_list(said)}."
        )
