"""``offload copy --dry-run``: what an offload would do, from its plan, writing nothing.

The plan already holds every decision (``card.plan_offload``: the ledger first, then the
existing files, then the preflight); this module only sorts and prints them. The one thing
it adds is what the engine would decide at the last moment: a file of another size already
at the final name is refused (default), replaced, or kept beside the new copy.

With a cascade (``--cascade``, ``--cascade-to``; ``offload.cascade``) it also shows the two
passes: which destinations the card feeds, that the card is released once they are verified
(never with ``--verify transfer``: no fast copy is read back, the card is kept), and, per
cascaded destination, which fast copy feeds each file, chosen as the cascade will (a copy
verified by this run first, else one verified earlier, lowest destination number first), and
the files no fast destination will hold (they cannot be cascaded).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rich import filesize

from offload import remedies
from offload.card import OffloadPlan, unidentified_trust_notes
from offload.card_legacy_mhl import unlike_record
from offload.cli.common import Environment
from offload.destinations.s3url import display_path
from offload.engine.device_words import describe as describe_devices
from offload.errors import ExitCode, printable_line, printable_name, printable_text
from offload.existing import HISTORY_WORDS, CheckKind, found_wrong_unread, in_the_way_word
from offload.json_text import stream_dumps
from offload.options import ExistingFilePolicy, VerifyMode
from offload.plan.codes import PreflightCode
from offload.remedies import Refusal
from offload.report.cascade_words import (
    BUCKET_NEVER_STANDS,
    on_card_disk_words,
    refused_holder,
)
from offload.report.dry_run_links import add_to_json, links_and_folders, print_made
from offload.report.source_words import of_the_source
from offload.report.words import plural
from offload.results import DestinationStatus
from offload.source_copy_root import UNNAMED_CARD

_LISTED = 10  # names shown per group on a terminal; --json lists them all

_CHECK_WHY = {
    CheckKind.ADOPT: "already there with the same size: read back and compared with the "
    "source, adopted if equal",
    CheckKind.UPGRADE: "recorded by an earlier run with a weaker check: read back to verify",
    CheckKind.REVERIFY: "verified earlier: read back again (--reverify)",
}


# A copy whose ledger record was revoked (``existing.in_the_way_word``), before its line's
# read-back words.
_REVOKED_WHY = {
    "checked": "already there, its record revoked by offload verify (found wrong)",
    "revoked_kept": "already there, its record revoked by an earlier offload (found wrong)",
    "revoked": "already there, its record revoked by an earlier offload",
}


@dataclass
class DestinationDryRun:
    index: int
    copy_root: str
    # The destination as given (an ``s3://`` URL as such): how the run's own lines name it
    # (CARD RELEASED, "Now feeding ...", the summary), and so the cascade's lines here.
    destination: str
    copy: list[str] = field(default_factory=list)
    copy_bytes: int = 0
    verified_earlier: list[str] = field(default_factory=list)
    # Trusted from a ledger that records a transfer check only: never read back by any run.
    transfer_checked_earlier: list[str] = field(default_factory=list)
    # Of those, the copies whose check proved the size alone (``ledger.size_checked_only``:
    # an S3 service that stores a part whatever its checksum): said so, never
    # "transfer-checked".
    size_checked_earlier: list[str] = field(default_factory=list)
    read_back: list[tuple[str, str]] = field(default_factory=list)  # (path, why)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (path, why)
    # Of *refused*, the kind of each file in the way's refusal (``remedies.Refusal``, as the
    # run's copy would carry it), by path: another card's copy or an earlier take's (the
    # copy root's ledger says so): --into another folder or --keep-both gets past it,
    # never --overwrite (``remedies.NEVER``).
    refusals: dict[str, Refusal] = field(default_factory=dict)
    # Copies that fail unread because their card file is unlike a record of it: a legacy
    # MHL on the card (by size or digest), the card's own ASC MHL history (by digest), a
    # copy the ledger trusts or one already there alike. (path, the run's line) Not a file
    # in the way: none of --overwrite, --keep-both, --into copies them.
    unlike_record: list[tuple[str, str]] = field(default_factory=list)
    # Copies of ours whose size changed (--reverify): copied again, renamed over the bad one
    # once the new copy is verified. (path, how it changed)
    replace: list[tuple[str, str]] = field(default_factory=list)
    # The same with --keep-both: kept as it is, the new copy written beside it under the
    # keep-both name (its whole size counted in copy_bytes). (path, how it changed)
    keep_beside: list[tuple[str, str]] = field(default_factory=list)
    # What the replacements add to the drive once done: each new copy's size less the bad
    # one's it replaces (negative for a copy that grew). The room needed while they are
    # written (each whole beside the bad one) is the preflight's to check, as in the run.
    replace_growth_bytes: int = 0
    free_bytes: int | None = None
    # The room the partial files an interrupted run left hold, which the run removes before
    # its first byte (``DestinationCheck.reclaimable_bytes``): free for the copy, as the
    # preflight counts it.
    reclaimable_bytes: int = 0
    # With a cascade: the pass that feeds this destination (1: the card; 2: fast copies), and
    # for pass 2 the files each fast destination feeds (by its index), and the files none can.
    cascade_pass: int | None = None
    fed_from: dict[int, list[str]] = field(default_factory=dict)
    not_cascaded: list[tuple[str, str]] = field(default_factory=list)  # (path, why)

    @property
    def free_after_bytes(self) -> int | None:
        if self.free_bytes is None:
            return None
        return (
            self.free_bytes + self.reclaimable_bytes - self.copy_bytes - self.replace_growth_bytes
        )


def dry_run(plan: OffloadPlan) -> list[DestinationDryRun]:
    """Per destination: what would be copied, trusted, read back and refused."""
    policy = plan.options.copy.existing
    # A copy never to be overwritten in the run's way: no refusal offers --overwrite first.
    protected = plan.protected_in_the_way
    out = [
        DestinationDryRun(p.index, display_path(p.root), display_path(p.destination))
        for p in plan.plans
    ]
    for found in plan.preflight.destinations:
        out[found.index].free_bytes = found.free_bytes
        out[found.index].reclaimable_bytes = found.reclaimable_bytes
    for task_index, task in enumerate(plan.tasks):
        relative = task.source.relative_path
        for preset in task.preset:
            item = out[preset.destination_index]
            if preset.status is DestinationStatus.FAILED:
                # A trusted copy whose card file a legacy MHL on the card records unlike it
                # (``card_legacy_mhl.trusted_copy_unlike``): the run fails it unread, so
                # the dry run names it as it names any copy that will fail.
                item.unlike_record.append((relative, preset.error or "fails before its copy"))
                continue
            if preset.status is DestinationStatus.TRANSFER_CHECKED:
                item.transfer_checked_earlier.append(relative)
                if preset.size_checked_only:
                    item.size_checked_earlier.append(relative)
            else:
                item.verified_earlier.append(relative)
        for index, target in enumerate(task.targets):
            if target is None:
                continue
            item = out[index]
            # The planner found what is in the way (an S3 key's object too, from its
            # listing: a stand-in path exists nowhere locally).
            in_the_way = (task_index, index) in plan.in_the_way
            if in_the_way or (
                index not in plan.backends
                and os.path.lexists(target)
                and policy is ExistingFilePolicy.FAIL
            ):
                ours = plan.in_the_way.get((task_index, index), "")
                item.refused.append(
                    (
                        relative,
                        f"{display_path(target)} already exists with other content "
                        f"({remedies.in_the_way(ours, protected=protected)})",
                    )
                )
                item.refusals[relative] = remedies.in_the_way_refusal(ours)
                continue
            item.copy.append(relative)
            item.copy_bytes += task.source.size_bytes
    to_read = {id(check) for check in plan.checks_to_read}
    for check in plan.checks:
        task = plan.tasks[check.task_index]
        relative = task.source.relative_path
        if id(check) not in to_read and not found_wrong_unread(check):
            # Its card file fails its record by size (``existing.check_existing``): the copy
            # is refused unread, in the run's line.
            out[check.destination_index].unlike_record.append(
                (
                    relative,
                    unlike_record(
                        task.source.path,
                        task.reference_record or HISTORY_WORDS,
                        f"size {task.source.size_bytes} bytes, recorded {task.reference_size} "
                        "bytes",
                    ),
                )
            )
            continue
        why = _CHECK_WHY[check.kind]
        if found_wrong_unread(check):  # a copy of ours whose size changed (--reverify)
            item = out[check.destination_index]
            if policy is ExistingFilePolicy.KEEP_BOTH:  # kept, the new copy beside it
                item.keep_beside.append((relative, display_path(check.changed)))
                item.copy_bytes += plan.tasks[check.task_index].source.size_bytes
                continue
            item.replace.append((relative, display_path(check.changed)))
            size = plan.tasks[check.task_index].source.size_bytes
            try:
                size -= os.lstat(check.final_path).st_size  # a drive's: S3 has none of these
            except OSError:
                pass  # gone since the plan: the new copy adds its whole size
            item.replace_growth_bytes += size
            continue
        if check.other_card:  # recorded from another card: not trusted for this one
            why = (
                f"{check.other_card}: read back and compared with this card's file, adopted "
                f"if equal, else refused ({remedies.another_card()})"
            )
        if check.earlier:  # a copy an earlier offload made of this name, still as recorded
            why = (
                "read back and compared with this card's file, adopted if equal, else "
                f"refused ({remedies.in_the_way(check.earlier)})"
            )
        # Its record revoked (found wrong by ``offload verify`` or an earlier offload): the
        # run's refusal words of it should the read-back find it different (never a copy
        # it trusts; one found equal is adopted).
        # (Another card's copy, an earlier take's: their own words above.)
        revoked = (
            ""
            if check.changed or check.ours or check.other_card or check.earlier
            else in_the_way_word(check)
        )
        if revoked:
            whose = _REVOKED_WHY.get(revoked, "already there, its record revoked")
            why = (
                f"{whose}: read back and compared with the source, adopted if "
                f"equal, else refused ({remedies.in_the_way(revoked, protected=protected)})"
            )
        if check.found_wrong_before and check.changed:  # its revoked record kept (--reverify)
            why = (
                f"found wrong before ({display_path(check.changed)}): read back and compared "
                "with the source; copied again if it still differs"
            )
        elif check.changed:  # a copy of ours whose date changed (--reverify)
            why = (
                f"a copy of ours whose date changed ({display_path(check.changed)}): read back "
                "and compared with the source; copied again if it differs"
            )
        if policy is ExistingFilePolicy.KEEP_BOTH and (
            check.kind is not CheckKind.ADOPT  # (re-read as ours: --reverify, --verify)
            or check.ours
            or check.replaced  # (an S3 object of ours another writer replaced)
            or check.revoked_word
            or check.found_wrong_before
        ):
            # Decided only by its read-back, so never in ``would_exit``'s code: said here.
            why = (
                f"{why}; if it differs from the card it is kept at the card's name as our "
                "damaged copy, the new copy beside it (--keep-both), and the run exits 1"
            )
        out[check.destination_index].read_back.append((relative, why))
    if plan.options.cascade:
        _cascade_passes(plan, out)
    return out


def _cascade_passes(plan: OffloadPlan, out: list[DestinationDryRun]) -> None:
    """Fill the cascade fields of *out* (see the module docstring)."""
    slow = plan.options.cascade
    feeders = [p.index for p in plan.plans if p.index not in slow and p.index not in plan.backends]
    # What each fast destination will hold, in the cascade's order of preference: 0 verified
    # by this run (copied, or read back), 1 verified earlier (the ledger), 2 transfer-checked.
    copied = 2 if plan.options.copy.verify is VerifyMode.TRANSFER else 0
    holds: list[dict[str, int]] = [{} for _ in out]
    for index in feeders:
        item = out[index]
        holds[index].update((path, 1) for path in item.verified_earlier)
        holds[index].update((path, 2) for path in item.transfer_checked_earlier)
        holds[index].update((path, copied) for path in item.copy)
        holds[index].update((path, 0) for path, _why in item.read_back)
        holds[index].update((path, copied) for path, _why in (*item.replace, *item.keep_beside))
    refusing = {index: {path for path, _why in out[index].refused} for index in feeders}
    # A copy never to be overwritten in the way of any file on any destination, fast or
    # slow: no line offers --overwrite, which is for the whole run and would replace it too.
    # (So too one to read back that is refused as such unless found equal: the plan's one
    # decision, ``OffloadPlan.protected_in_the_way``, as the refused lines'.)
    never_in_run = plan.protected_in_the_way or remedies.refuses_never(
        kind for item in out for kind in item.refusals.values()
    )
    unlike = {index: {path for path, _why in out[index].unlike_record} for index in feeders}
    for item in out:
        item.cascade_pass = 2 if item.index in slow else 1
        if item.index not in slow:
            continue
        for path in [
            *item.copy,
            *(p for p, _why in (*item.read_back, *item.replace, *item.keep_beside)),
        ]:
            ranked = sorted((holds[f][path], f) for f in feeders if path in holds[f])
            if not ranked:
                why = "no fast destination will hold a verified copy of it"
                if feeders and all(path in refusing[f] for f in feeders):
                    # A re-run refuses it there again: say what copies it.
                    where = ", ".join(printable_name(out[f].destination) for f in feeders)
                    # Another card's copy, or an earlier take's, is never to be overwritten
                    # (``remedies.another_card``, ``remedies.earlier_copy``): named by kind;
                    # one on any fast destination, and --overwrite is offered for none
                    # (it is for the whole run: it would replace that copy too).
                    kinds = [out[f].refusals.get(path) for f in feeders]
                    never = sum(kind in remedies.NEVER for kind in kinds)
                    held = refused_holder(
                        kinds.count(Refusal.ANOTHER_CARD),
                        sum(kind in remedies.EARLIER_KINDS for kind in kinds),
                        len(kinds) - never,
                    )
                    fixes = (
                        "--into another folder or --keep-both"
                        if never
                        else "--into another folder or --keep-both (--overwrite is for the "
                        "whole run: it would also replace the copy never to be overwritten "
                        "that holds another file's name)"
                        if never_in_run
                        else "--overwrite or --keep-both"
                    )
                    why += (
                        f" ({held} on {where}: {fixes} copies it there, or copy it here "
                        "without cascading)"
                    )
                elif feeders and all(path in unlike[f] for f in feeders):
                    # Failed there for its source's record: a re-run fails it again.
                    why += f" ({_UNLIKE_WHY}: the run fails it on every fast destination)"
                else:
                    why += " (re-run with the card to copy it)"
                item.not_cascaded.append((path, why))
                continue
            item.fed_from.setdefault(ranked[0][1], []).append(path)


# Why a copy counted in ``unlike_record`` fails, as the run's line says it ("source X
# differs from <record> (...)"): the dry run's group of them and its exit reason.
_UNLIKE_WHY = "its source differs from its record"


# The preflight's warnings that say a step of the run will fail (README, exit code 1): a
# symlink a destination cannot hold, a file the card's own history (or a legacy MHL on it)
# records that the card no longer has, a history no ASC MHL manifest can extend.
_FAILS_THE_RUN = frozenset(
    {
        PreflightCode.SYMLINK_UNSUPPORTED,
        PreflightCode.CARD_HISTORY_FILE_MISSING,
        PreflightCode.LEGACY_MHL_FILE_MISSING,
        PreflightCode.CARD_NESTED_HISTORY,  # no ASC MHL manifest: the manifest step fails
        PreflightCode.DEST_HISTORY_UNREADABLE,  # a destination's history: its manifest fails
    }
)


# Why a destination of ``s3-copy-root-unreadable`` would be lost: its exit reason.
_LOST_WHY = "its credentials may not read what they would store there"


def _outcomes(item: DestinationDryRun) -> int:
    """How many copies *item* lists with an outcome of the run (copied, read back, trusted,
    refused, failed)."""
    return (
        len(item.refused)
        + len(item.unlike_record)
        + len(item.copy)
        + len(item.verified_earlier)
        + len(item.transfer_checked_earlier)
        + len(item.read_back)
        + len(item.replace)
        + len(item.keep_beside)
    )


def would_exit(plan: OffloadPlan, results: list[DestinationDryRun]) -> tuple[ExitCode, str]:
    """The exit code the offload would end with, decided as the run decides it
    (``JobReport.exit_code``, ``OffloadReport.exit_code_with``) from what the dry run can tell
    without reading a byte: 2 when every copy it lists would be refused or not cascaded (or
    fail on a destination the run would lose, ``s3-copy-root-unreadable``), 1 when some
    would, or a warning says a symlink or a recorded file will fail, else 0; and
    why, in words ("" for 0). A copy read back is counted as good (its outcome is the
    read's); a refusal of the whole offload raised ``UsageError`` in the planner already."""
    refused = sum(len(item.refused) + len(item.not_cascaded) for item in results)
    unlike = sum(len(item.unlike_record) for item in results)
    # A destination the run would lose before its first copy (``s3-copy-root-unreadable``):
    # every copy it lists fails there, as the run's loss fails them.
    lost = {
        w.destination_index
        for w in plan.preflight.warnings
        if w.code is PreflightCode.S3_COPY_ROOT_UNREADABLE
    }
    gone = [item for item in results if item.index in lost]
    # (Its refused and unlike copies are counted already.)
    on_lost = sum(_outcomes(item) - len(item.refused) - len(item.unlike_record) for item in gone)
    failed = refused + unlike + on_lost
    # Copies of ours whose size changed, kept at the card's name by --keep-both (the new
    # copy beside them): damaged copies the copy root's history records as the card's,
    # which make the run exit 1 (``results.kept_damaged``) whatever the new copies prove.
    kept = sum(len(item.keep_beside) for item in results if item.index not in lost)
    outcomes = sum(_outcomes(item) for item in results)
    refusals = "; ".join(
        words
        for count, words in (
            (refused, plural(refused, "copy", "copies") + " would be refused or not cascaded"),
            (unlike, plural(unlike, "copy", "copies") + f" would fail: {_UNLIKE_WHY}"),
            (len(gone), plural(len(gone), "destination") + f" would be lost: {_LOST_WHY}"),
            (
                kept,
                f"{plural(kept, 'damaged copy', 'damaged copies')} of ours would be kept at "
                "the card's name (--keep-both: its size changed; the new copy beside it)",
            ),
        )
        if count
    )
    if (outcomes and failed == outcomes) or (gone and len(gone) == len(results)):
        return ExitCode.FAILED, f"{refusals}, none copied or verified"
    steps = sum(w.code in _FAILS_THE_RUN for w in plan.preflight.warnings)
    if failed or gone or steps or kept:
        verb = "names" if steps == 1 else "name"
        failing = f"{plural(steps, 'warning')} {verb} a step that would fail"
        return ExitCode.PARTIAL, "; ".join(
            words
            for count, words in ((failed or gone or kept, refusals), (steps, failing))
            if count
        )
    return ExitCode.OK, ""


def print_dry_run(plan: OffloadPlan, env: Environment, *, as_json: bool) -> int:
    """Print the dry run (text on stderr like the rest of the human output, or JSON on
    stdout); returns the exit code the offload would end with (``would_exit``), its reason
    the text's last line (JSON: ``exit_code`` and ``exit_reason``)."""
    results = dry_run(plan)
    code, why = would_exit(plan, results)
    made = links_and_folders(plan)  # the card's links and empty folders (dry_run_links)
    if as_json:
        shown = {**add_to_json(_as_dict(plan, results), made), "exit_code": int(code)}
        shown["exit_reason"] = why
        print(stream_dumps(shown, env.stdout), file=env.stdout)
        return int(code)
    err = env.stderr
    # An s3:// destination's preflight stored (and deleted) its probe objects: "nothing was
    # written" would not be true there, nor "deleted" where a delete was refused.
    if plan.backends:
        from offload.destinations.s3card import nothing_copied_words

        written = nothing_copied_words(plan.backends)
    else:
        written = "nothing was written"
    print(
        f"Dry run, {written}: {printable_name(str(plan.source))}, "
        f"{plural(plan.tree.file_count, 'file')} "
        f"({filesize.decimal(plan.tree.total_bytes)}), {len(plan.tree.ignored)} ignored",
        file=err,
    )
    print(f"Card: {printable_line(_card_words(plan))}", file=err)  # a label names it
    # Named as the run's CARD RELEASED line and summary name them: the destinations given.
    fast = [printable_name(item.destination) for item in results if item.cascade_pass == 1]
    slow = [printable_name(item.destination) for item in results if item.cascade_pass == 2]
    if slow:
        released = (
            "the card's pass ends once those are transfer-checked, but no fast copy is read "
            "back (--verify transfer), so the card is not released (CARD PASS DONE … keep the "
            "card until the cascade is done); pass 2 then feeds"
            if _transfer_only(plan)
            else "the card's pass ends once those are verified, but "
            f"{_kept_words(plan, results)}, so the card is not released (CARD PASS DONE … keep "
            "the card until the cascade is done); pass 2 then feeds"
            if _kept_by_its_disk(plan)
            else "the card is released (CARD RELEASED, it can be ejected) once those are "
            f"verified{_EARLIER if _fast_earlier(results) else ''}; pass 2 then feeds"
        )
        said = (
            f"Cascading copy: pass 1 reads the card to {', '.join(fast)}; {released} "
            f"{', '.join(slow)} from the "
            f"{'fast' if _transfer_only(plan) else 'verified'} copies, checked "
            "against the card's digests"
        )
        if plan.source_is_copy:  # no card: a copy root of ours, as the run's lines say it
            said = of_the_source(said, keep=(*fast, *slow))
        print(f"\n{said}", file=err)
    by_index = {item.index: item for item in results}  # a cascade's feeders (``fed_from``)
    for item in results:
        free = (
            "free space unknown"
            if item.free_bytes is None
            else f"{filesize.decimal(item.free_bytes)} free"
            + (
                f" (and {filesize.decimal(item.reclaimable_bytes)} in partial files an "
                "interrupted run left, removed first)"
                if item.reclaimable_bytes
                else ""
            )
            + f", {filesize.decimal(max(item.free_after_bytes or 0, 0))} left after the copy"
        )
        print(f"\n{printable_name(item.copy_root)} ({free}){_pass_note(item, plan)}", file=err)
        _group(
            err, f"would copy ({filesize.decimal(item.copy_bytes)})", map(printable_name, item.copy)
        )
        _group(
            err,
            "verified earlier, trusted from the ledger (not copied, not re-read)",
            map(printable_name, item.verified_earlier),
        )
        sized = set(item.size_checked_earlier)
        _group(
            err,
            "transfer-checked earlier, trusted from the ledger (not copied, never read back)",
            map(printable_name, [p for p in item.transfer_checked_earlier if p not in sized]),
        )
        if sized:  # (a group only where there are some: most runs have none)
            _group(
                err,
                "size-checked earlier, trusted from the ledger (not copied, never read back; "
                "the in-flight hashes not checked)",
                map(printable_name, item.size_checked_earlier),
            )
        _group(err, "would read back", (f"{printable_name(p)}: {why}" for p, why in item.read_back))
        _group(
            err,
            "would copy again, over a copy of ours whose size changed (--reverify)",
            (f"{printable_name(p)}: {why}" for p, why in item.replace),
        )
        if item.keep_beside:  # --keep-both only: no line of 0 on every dry run
            _group(
                err,
                "would copy beside a copy of ours whose size changed, kept as it is "
                "(--keep-both; the run exits 1)",
                (f"{printable_name(p)}: {why}" for p, why in item.keep_beside),
            )
        _group(err, "would be REFUSED", (f"{printable_name(p)}: {why}" for p, why in item.refused))
        if item.unlike_record:  # only where a record on the card disagrees: no line of 0
            _group(
                err,
                f"would FAIL: {_UNLIKE_WHY} (not copied, not read back)",
                (f"{printable_name(p)}: {why}" for p, why in item.unlike_record),
            )
        print_made(err, made, item.index)
        if item.cascade_pass == 2:
            # --verify transfer: a copy this run writes is transfer-checked, one verified
            # earlier is still verified; the line names neither.
            copy = "" if _transfer_only(plan) else "verified "
            for feeder, paths in item.fed_from.items():
                on = printable_name(by_index[feeder].destination)
                print(f"  {len(paths)} fed from the {copy}copy on {on}", file=err)
            _group(
                err,
                "CANNOT be cascaded",
                (f"{printable_name(p)}: {why}" for p, why in item.not_cascaded),
            )
    names = [item.copy_root for item in results]
    if plan.devices:
        print("\nDisks (how each group of destinations would read back):", file=err)
    read_back = plan.options.copy.verify is not VerifyMode.TRANSFER
    for group in plan.devices:
        line = describe_devices(group.as_json(), names, read_back=read_back)
        print(f"  {printable_text(line)}", file=err)
    for warning in plan.preflight.warnings:
        env.warning(warning.message)
    for link in made.warnings:  # the run's manifests' own words, said in advance
        env.warning(link.message)
    folders = plan.tree.ignored_folders  # named with a "/", as the reports name them
    for path in plan.tree.ignored[:_LISTED]:
        print(f"ignored: {printable_name(str(path))}{'/' if path in folders else ''}", file=err)
    for note in unidentified_trust_notes(plan):
        print(f"\nNote: {printable_text(note)}", file=err)
    # The last line names the exit code and why, 0 included (README); --json's exit_reason
    # stays "" for 0 (docs/json.md).
    print(f"\nThe offload would exit {int(code)}: {printable_line(why or _OK_WHY)}", file=err)
    return int(code)


# Why a dry run would exit 0, in the text alone: what it cannot tell is what copying and
# reading back will find.
_OK_WHY = (
    "no copy would be refused or fail and no warning names a step that would fail (the "
    "copies and their read-backs may still fail)"
)


# A fast copy verified earlier (trusted from its ledger) releases the card only once this run
# has read it (``cascade._release_after_reread``).
_EARLIER = (
    " (read back by this run: a copy verified earlier, trusted from the ledger, releases it "
    "only once the cascade has read it and found it equal to the card's digests, or with "
    "--reverify, which reads it back first)"
)


def _fast_earlier(results: list[DestinationDryRun]) -> bool:
    """A destination the card feeds holds copies verified earlier (trusted, not re-read)."""
    return any(item.verified_earlier for item in results if item.cascade_pass == 1)


def _transfer_only(plan: OffloadPlan) -> bool:
    """``--verify transfer``: no fast copy is read back, so the card's pass never releases
    the card (``cascade._release``: only a copy read back whole stands for it)."""
    return plan.options.copy.verify is VerifyMode.TRANSFER


def _kept_words(plan: OffloadPlan, results: list[DestinationDryRun]) -> str:
    """Why the card's pass cannot release the card (``_kept_by_its_disk``): its local fast
    copies on the card's own filesystem or disk, and a copy in a bucket, if any, never
    standing for the card (it said "every one of them is on the card's own filesystem or
    disk" of a bucket too)."""
    from offload import cascade  # only for a cascade

    unknown = cascade.card_disk_unknown(plan)
    fast = [item for item in results if item.cascade_pass == 1]
    local = [printable_name(item.destination) for item in fast if item.index not in plan.backends]
    if len(local) == len(fast):
        return on_card_disk_words(
            "that copy" if len(fast) == 1 else "every one of them", 1, unknown=unknown
        )
    named = f"the {'copy' if len(local) == 1 else 'copies'} on {', '.join(local)}"
    return f"{on_card_disk_words(named, len(local), unknown=unknown)}, and {BUCKET_NEVER_STANDS}"


def _kept_by_its_disk(plan: OffloadPlan) -> bool:
    """Every local fast destination is on the card's own filesystem or disk: the card's pass
    never releases the card (``cascade.kept_by_its_disk``)."""
    from offload import cascade  # only for a cascade

    return cascade.kept_by_its_disk(plan, plan.options.cascade)


def _pass_note(item: DestinationDryRun, plan: OffloadPlan) -> str:
    source = "the source" if plan.source_is_copy else "the card"  # a copy root of ours
    if item.cascade_pass == 1:
        return f", pass 1: from {source}"
    if item.cascade_pass == 2:
        kept = _transfer_only(plan) or _kept_by_its_disk(plan)
        after = f"{source}'s pass" if kept else f"{source} is released"
        return f", pass 2: after {after}, from the fast copies"
    return ""


def _group(stream: Any, title: str, lines: Iterable[str]) -> None:
    items = list(lines)
    print(f"  {len(items)} {title}", file=stream)
    for line in items[:_LISTED]:  # its names printable already; a reason's names, below
        print(f"    {printable_text(line)}", file=stream)
    if len(items) > _LISTED:
        print(f"    ... {len(items) - _LISTED} more (--json lists all)", file=stream)


def _fed_from(
    plan: OffloadPlan, item: DestinationDryRun, by_index: Mapping[int, DestinationDryRun]
) -> str | list[dict[str, Any]]:
    """A destination's ``fed_from`` (docs/json.md): "card"; a cascaded one's fast copies and
    the paths each feeds; in a cascade re-run without its card (``plan.stands_in_for``), the
    fast copy standing for it and the paths it feeds there, never "card"."""
    if plan.stands_in_for is not None:
        return [{"copy_root": str(plan.source), "paths": item.copy}] if item.copy else []
    if item.cascade_pass != 2:
        return "card"
    return [
        {"copy_root": by_index[feeder].copy_root, "paths": paths}
        for feeder, paths in item.fed_from.items()
    ]


def _as_dict(plan: OffloadPlan, results: list[DestinationDryRun]) -> dict[str, Any]:
    by_index = {item.index: item for item in results}  # a cascade's feeders (``fed_from``)
    return {
        "dry_run": True,
        "source": str(plan.source),
        "card": None if plan.card is None else plan.card.as_json(),
        "files": plan.tree.file_count,
        "bytes": plan.tree.total_bytes,
        "ignored": list(plan.tree.ignored),
        # Those of them that are folders (their content not looked at), as the job report's
        # ``kind`` "folder" tells them: a script tells PROXY the folder from a file so named.
        "ignored_folders": [p for p in plan.tree.ignored if p in plan.tree.ignored_folders],
        # As the job report gives them (code, path, message): a script tells them by code.
        "warnings": [w.as_report_dict() for w in plan.preflight.warnings],
        # What the run's report would note of the copies trusted on their quick check alone.
        "notes": unidentified_trust_notes(plan),
        "cascade": _cascade_dict(plan, results),
        "devices": [
            {
                **entry,
                "summary": describe_devices(
                    entry,
                    [item.copy_root for item in results],
                    read_back=plan.options.copy.verify is not VerifyMode.TRANSFER,
                ),
            }
            for entry in (group.as_json() for group in plan.devices)
        ],
        "destinations": [
            {
                "index": item.index,
                "copy_root": item.copy_root,
                "copy": item.copy,
                "copy_bytes": item.copy_bytes,
                "verified_earlier": item.verified_earlier,
                "transfer_checked_earlier": item.transfer_checked_earlier,
                "read_back": [{"path": p, "why": why} for p, why in item.read_back],
                # A copy failing for its card file's record too (the run's line as ``why``).
                # With its refusal's kind, as the run's copy would carry it (``refusal``:
                # null for a copy failing for its card file's record, no file in the way).
                "refused": [
                    {"path": p, "why": why, "refusal": item.refusals.get(p)}
                    for p, why in (*item.refused, *item.unlike_record)
                ],
                "replace": [{"path": p, "why": why} for p, why in item.replace],
                "keep_beside": [{"path": p, "why": why} for p, why in item.keep_beside],
                "free_bytes": item.free_bytes,
                "reclaimable_bytes": item.reclaimable_bytes,
                "free_after_bytes": item.free_after_bytes,
                "cascade_pass": item.cascade_pass,
                "fed_from": _fed_from(plan, item, by_index),
                "not_cascaded": [{"path": p, "why": why} for p, why in item.not_cascaded],
            }
            for item in results
        ],
    }


def _cascade_dict(plan: OffloadPlan, results: list[DestinationDryRun]) -> dict[str, Any] | None:
    """The two passes, or None without a cascade; ``card_released`` null when the card will
    not be released (``--verify transfer``: no fast copy read back; every local fast
    destination on the card's own filesystem or disk)."""
    if not any(item.cascade_pass == 2 for item in results):
        return None
    return {
        "card_pass": [item.index for item in results if item.cascade_pass == 1],
        "cascade_pass": [item.index for item in results if item.cascade_pass == 2],
        "card_released": None
        if _transfer_only(plan) or _kept_by_its_disk(plan)
        else "once every destination of the card pass is verified and finished "
        f"(links, folders, manifests){_EARLIER if _fast_earlier(results) else ''}; nothing "
        "reads the card after",
    }


def _card_words(plan: OffloadPlan) -> str:
    """Which card the ledgers are read for (``card_identity``), in words, and, for a known
    card, how many copies the ledgers record from another card (read back, never trusted:
    ``ledger.same_card``), said only when there are some; for a card of unknown identity,
    what a ledger's copy is matched by: the card file's fingerprint too (read by the plan,
    ``OffloadPlan.trusted_fingerprinted``), the quick check alone only for entries that
    record none (``trusted_unidentified``), as the notes below it say."""
    if plan.card is None:
        alone = sum(plan.trusted_unidentified.values())
        older = (
            f"; {plural(alone, 'copy', 'copies')} whose ledger entry records no fingerprint "
            "by path, size and date alone"
            if alone
            else ""
        )
        # A copy root of ours taken for its ledger's card, which names none: no serial is
        # no reason there (its drive may have one).
        reason = UNNAMED_CARD if plan.source_copy_root.taken else "no volume serial found"
        return (
            f"identity unknown ({reason}): the ledgers' copies are trusted by "
            "path, size, date and the card file's content fingerprint (its first and last "
            f"64 KiB, read now){older}"
        )
    # Said only when true: on a fresh destination, or one of this card's alone, the line
    # is the card's identity (a bare "copies of another card" read as "this is another card").
    others = sum(1 for check in plan.checks if check.other_card)
    if not others:
        return plan.card.words()
    return (
        f"{plan.card.words()}; {plural(others, 'copy', 'copies')} the ledgers record from "
        "another card would be read back and compared with this card's files, not trusted"
    )
