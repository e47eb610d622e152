"""The engine against each destination backend: the same tests on the local filesystem and
on the in-memory test backend (``support.memory_destination``), which proves the seam
(``offload.destinations.base``) and runs without root. Fault switches of the memory backend
then make the failures the engine must survive."""

from __future__ import annotations

import errno
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from offload.destinations.base import Destination
from offload.destinations.local import LocalDestination
from offload.engine.cancel import CancelToken
from offload.engine.job import CopyJob
from offload.engine.messages import FileTask
from offload.errors import ExitCode
from offload.events import Event, FileVerified, PhaseChanged, SourceBytesRead
from offload.hashing import new_hasher
from offload.model import SourceFile
from offload.options import CopyOptions, ExistingFilePolicy, VerifyMode
from offload.results import CacheBypass, DestinationStatus, JobReport
from support.cards import write_source_files
from support.memory_destination import MemoryDestination

MIB = 1024 * 1024
SIZES = {"CLIPS/A001C001.mov": 3 * MIB + 17, "CLIPS/A001C002.mov": 70_000, "meta.xml": 1_000}


@dataclass
class Rig:
    """Destinations of one backend kind, and how a test looks at what they hold."""

    kind: str
    tmp: Path
    destinations: list[Destination] = field(default_factory=list)

    def add(self) -> Destination:
        index = len(self.destinations)
        destination: Destination
        if self.kind == "local":
            root = self.tmp / f"dest{index}"
            root.mkdir()
            destination = LocalDestination(root)
        else:
            destination = MemoryDestination(Path(f"/memory/dest{index}"))
        self.destinations.append(destination)
        return destination

    def read(self, index: int, path: Path) -> bytes:
        destination = self.destinations[index]
        if isinstance(destination, MemoryDestination):
            return destination.read(path)
        return path.read_bytes()

    def put(self, index: int, path: Path, data: bytes) -> None:
        """A file that was there before the job."""
        destination = self.destinations[index]
        if isinstance(destination, MemoryDestination):
            destination.files[path] = bytearray(data)
            destination.folders.update(path.parents)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)

    def partials(self, index: int) -> list[str]:
        destination = self.destinations[index]
        if isinstance(destination, MemoryDestination):
            return [str(p) for p in destination.partials()]
        return [
            name
            for _folder, _dirs, files in os.walk(destination.root)
            for name in files
            if name.startswith(".offload-partial.")
        ]

    def bypass_expected(self) -> set[CacheBypass]:
        """What a read-back can honestly claim on this backend."""
        if self.kind == "memory":
            return {CacheBypass.NONE}
        return {CacheBypass.O_DIRECT, CacheBypass.FADVISE}


@pytest.fixture(params=["local", "memory"])
def rig(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Rig]:
    made = Rig(str(request.param), tmp_path)
    yield made
    for destination in made.destinations:  # ours, not the job's: closed here
        destination.close()


def make_card(root: Path, sizes: dict[str, int]) -> list[SourceFile]:
    return write_source_files(root, sizes)


def run(
    rig: Rig,
    files: list[SourceFile],
    options: CopyOptions | None = None,
    *,
    cancel: CancelToken | None = None,
    sink: Callable[[Event], None] | None = None,
) -> JobReport:
    roots = [d.root for d in rig.destinations]
    tasks = [FileTask(f, tuple(root / "copy" / f.relative_path for root in roots)) for f in files]

    class Sink:
        def emit(self, event: Event) -> None:
            if sink is not None:
                sink(event)

    return CopyJob(
        tasks,
        roots,
        options or CopyOptions(chunk_size=MIB),
        destinations=rig.destinations,
        sink=Sink(),
        cancel=cancel,
    ).run()


def digest(data: bytes, name: str = "xxh64") -> str:
    hasher = new_hasher(name)
    hasher.update(data)
    return hasher.hexdigest()


@pytest.mark.parametrize("mode", list(VerifyMode))
def test_every_mode_copies_every_file(rig: Rig, tmp_path: Path, mode: VerifyMode) -> None:
    for _ in range(2):
        rig.add()
    files = make_card(tmp_path, SIZES)
    report = run(rig, files, CopyOptions(verify=mode, chunk_size=MIB, batch_files=2))
    assert report.exit_code is ExitCode.OK
    for file, source in zip(report.files, files, strict=True):
        data = source.path.read_bytes()
        for index, destination in enumerate(rig.destinations):
            result = file.destination(index)
            assert result is not None
            final = destination.root / "copy" / source.relative_path
            assert result.final_path == str(final)
            assert rig.read(index, final) == data
            if mode is VerifyMode.TRANSFER:
                assert result.status is DestinationStatus.TRANSFER_CHECKED
                assert result.cache_bypass is CacheBypass.NOT_READ
                assert result.digests == {}  # nothing was read back
            else:
                assert result.status is DestinationStatus.VERIFIED
                assert result.digests == {"xxh64": digest(data)}
                assert result.cache_bypass in rig.bypass_expected()
    assert rig.partials(0) == rig.partials(1) == []


def test_an_existing_file_fails_only_itself(rig: Rig, tmp_path: Path) -> None:
    rig.add()
    rig.add()
    files = make_card(tmp_path, SIZES)
    taken = rig.destinations[1].root / "copy" / "meta.xml"
    rig.put(1, taken, b"precious")
    report = run(rig, files)
    assert report.exit_code is ExitCode.PARTIAL
    for file in report.files:
        result = file.destination(1)
        assert result is not None
        if file.relative_path == "meta.xml":
            assert result.status is DestinationStatus.FAILED
            assert "already exists" in (result.error or "")
        else:
            assert result.status is DestinationStatus.VERIFIED
    assert rig.read(1, taken) == b"precious"
    assert rig.partials(1) == []


@pytest.mark.parametrize("policy", [ExistingFilePolicy.OVERWRITE, ExistingFilePolicy.KEEP_BOTH])
def test_overwrite_and_keep_both(rig: Rig, tmp_path: Path, policy: ExistingFilePolicy) -> None:
    rig.add()
    files = make_card(tmp_path, {"clip.mov": 5000})
    final = rig.destinations[0].root / "copy" / "clip.mov"
    rig.put(0, final, b"old")
    report = run(rig, files, CopyOptions(existing=policy))
    assert report.exit_code is ExitCode.OK
    result = report.files[0].destinations[0]
    data = files[0].path.read_bytes()
    if policy is ExistingFilePolicy.OVERWRITE:
        assert result.final_path == str(final) and rig.read(0, final) == data
    else:
        kept = final.with_name("clip (1).mov")
        assert result.final_path == str(kept)
        assert rig.read(0, final) == b"old" and rig.read(0, kept) == data


def test_cancel_removes_every_partial(rig: Rig, tmp_path: Path) -> None:
    rig.add()
    rig.add()
    files = make_card(tmp_path, {"big.mov": 8 * MIB})
    cancel = CancelToken()

    def cancel_after_first_chunk(event: Event) -> None:
        if isinstance(event, SourceBytesRead):
            cancel.cancel()

    report = run(
        rig, files, CopyOptions(chunk_size=65536), cancel=cancel, sink=cancel_after_first_chunk
    )
    assert report.exit_code is ExitCode.CANCELLED
    assert [d.status for d in report.files[0].destinations] == [DestinationStatus.CANCELLED] * 2
    assert rig.partials(0) == rig.partials(1) == []


# -- faults (the memory backend's switches) ------------------------------------------------


def memory_rig(tmp_path: Path, count: int = 2) -> tuple[Rig, list[MemoryDestination]]:
    rig = Rig("memory", tmp_path)
    for _ in range(count):
        rig.add()
    return rig, [d for d in rig.destinations if isinstance(d, MemoryDestination)]


def assert_every_file_failed_on(report: JobReport, index: int) -> None:
    for file in report.files:
        result = file.destination(index)
        assert result is not None, file
        assert result.status is DestinationStatus.FAILED, result
        assert "no outcome recorded" not in (result.error or ""), result


def test_write_error_loses_one_destination_the_other_finishes(tmp_path: Path) -> None:
    rig, (good, bad) = memory_rig(tmp_path)
    bad.fail_write_after(MIB + 5)
    files = make_card(tmp_path, SIZES)
    report = run(rig, files)
    assert report.destinations[1].lost and not report.destinations[0].lost
    assert_every_file_failed_on(report, 1)
    assert all(f.destination(0).status is DestinationStatus.VERIFIED for f in report.files)  # type: ignore[union-attr]
    assert bad.partials() == [] and good.partials() == []


def test_a_file_too_large_fails_only_itself(tmp_path: Path) -> None:
    rig, (_good, bad) = memory_rig(tmp_path)
    bad.fail_write_after(2 * MIB, errno.EFBIG)
    files = make_card(tmp_path, SIZES)
    report = run(rig, files)
    assert not report.destinations[1].lost
    statuses = {f.relative_path: f.destination(1).status for f in report.files}  # type: ignore[union-attr]
    assert statuses["CLIPS/A001C001.mov"] is DestinationStatus.FAILED
    assert bad.partials() == []


@pytest.mark.parametrize("nth", [1, 2, 5])
def test_publish_error_that_loses_the_destination_fails_the_whole_batch(
    tmp_path: Path, nth: int
) -> None:
    """Issue 11: a rename that fails and loses the destination left the batch's later files
    without an outcome ("no outcome recorded (internal error)") and their partials behind."""
    rig, (good, bad) = memory_rig(tmp_path)
    bad.fail_publish(nth, errno.EIO)
    files = make_card(tmp_path, {f"f{i}.bin": 10_000 for i in range(8)})
    report = run(rig, files, CopyOptions(chunk_size=MIB, batch_files=8))
    assert report.destinations[1].lost
    assert_every_file_failed_on(report, 1)
    assert bad.partials() == []
    assert all(f.destination(0).status is DestinationStatus.VERIFIED for f in report.files)  # type: ignore[union-attr]
    assert good.partials() == []


def test_publish_refused_for_one_name_fails_only_that_file(tmp_path: Path) -> None:
    rig, (_good, bad) = memory_rig(tmp_path)
    bad.fail_publish(2, errno.EACCES)
    files = make_card(tmp_path, {f"f{i}.bin": 10_000 for i in range(4)})
    report = run(rig, files, CopyOptions(chunk_size=MIB, batch_files=4))
    assert not report.destinations[1].lost
    statuses = [f.destination(1).status for f in report.files]  # type: ignore[union-attr]
    assert statuses.count(DestinationStatus.FAILED) == 1
    assert statuses.count(DestinationStatus.VERIFIED) == 3
    assert bad.partials() == []


@pytest.mark.parametrize("cancelled", [True, False])
def test_a_step_stopped_by_the_cancel_is_cancelled_not_failed(
    tmp_path: Path, cancelled: bool
) -> None:
    """A backend's own step that the job's cancel stopped raises ECANCELED (the seam's
    contract; an S3 server-side copy at publish): the file is cancelled there, not failed.
    Before, it was recorded failed ("cannot rename ...: cancelled"). ECANCELED while the job
    is not cancelled stays an ordinary error of that file."""
    rig, (good, bad) = memory_rig(tmp_path)
    bad.fail_publish(1, errno.ECANCELED)
    files = make_card(tmp_path, {f"f{i}.bin": 10_000 for i in range(4)})
    cancel = CancelToken()

    def cancel_at_commit(event: Event) -> None:
        if cancelled and isinstance(event, PhaseChanged) and event.phase == "commit":
            cancel.cancel()

    report = run(
        rig, files, CopyOptions(chunk_size=MIB, batch_files=4), cancel=cancel, sink=cancel_at_commit
    )
    statuses = [f.destination(1).status for f in report.files]  # type: ignore[union-attr]
    if cancelled:
        assert report.exit_code is ExitCode.CANCELLED
        assert statuses[0] is DestinationStatus.CANCELLED
        assert DestinationStatus.FAILED not in statuses
    else:
        assert report.exit_code is ExitCode.PARTIAL
        assert statuses.count(DestinationStatus.FAILED) == 1
        assert statuses.count(DestinationStatus.VERIFIED) == 3
    assert bad.partials() == [] and good.partials() == []


def test_destination_lost_mid_job(tmp_path: Path) -> None:
    rig, (_good, bad) = memory_rig(tmp_path)
    files = make_card(tmp_path, {f"f{i}.bin": 300_000 for i in range(6)})
    reads = []

    def lose_at_the_third_file(event: Event) -> None:
        if isinstance(event, SourceBytesRead):
            reads.append(event)
            if len(reads) == 3:
                bad.lose()

    report = run(rig, files, sink=lose_at_the_third_file)
    assert report.destinations[1].lost
    for file in report.files:
        assert file.destination(0).status is DestinationStatus.VERIFIED  # type: ignore[union-attr]
        result = file.destination(1)
        assert result is not None
        assert "no outcome recorded" not in (result.error or "")
        if result.status is DestinationStatus.VERIFIED:
            assert Path(result.final_path) in bad.files
    assert report.files[-1].destination(1).status is DestinationStatus.FAILED  # type: ignore[union-attr]
    assert bad.partials() == []


def test_a_flaky_read_back_is_re_read_once(tmp_path: Path) -> None:
    rig, (_good, bad) = memory_rig(tmp_path)
    bad.corrupt_reads(1)
    files = make_card(tmp_path, {"clip.mov": 50_000})
    report = run(rig, files)
    result = report.files[0].destination(1)
    assert result is not None and result.status is DestinationStatus.VERIFIED
    assert result.reread


def test_a_read_back_that_differs_twice_fails_that_file(tmp_path: Path) -> None:
    rig, (_good, bad) = memory_rig(tmp_path)
    bad.corrupt_reads(2)
    files = make_card(tmp_path, {"clip.mov": 50_000, "other.mov": 50_000})
    report = run(rig, files, CopyOptions(chunk_size=MIB, batch_files=1))
    first, second = (f.destination(1) for f in report.files)
    assert first is not None and first.status is DestinationStatus.FAILED
    assert "does not match the source" in (first.error or "")
    assert second is not None and second.status is DestinationStatus.VERIFIED
    assert not report.destinations[1].lost
    assert bad.partials() == [] and not bad.exists(Path(first.final_path))


def test_flush_and_commit_are_announced_once_a_batch(rig: Rig, tmp_path: Path) -> None:
    # Every file still gets its outcome event; the batch's phases are announced per batch
    # (one event per file per destination was a measurable part of a small file's cost).
    rig.add()
    files = make_card(tmp_path, {f"F/{n:03d}.jpg": 1_000 for n in range(12)})
    events: list[Event] = []
    report = run(rig, files, CopyOptions(chunk_size=MIB, batch_files=5), sink=events.append)
    assert report.exit_code is ExitCode.OK
    phases = [e.phase for e in events if isinstance(e, PhaseChanged) and e.destination_index == 0]
    assert phases.count("copy") == 12
    assert phases.count("flush") == phases.count("commit") == 3  # batches of 5, 5 and 2
    assert sum(isinstance(e, FileVerified) for e in events) == 12


def test_a_small_file_that_changes_while_read_is_never_started(rig: Rig, tmp_path: Path) -> None:
    # A file that fits in one buffer reaches the writers only once it was read and checked:
    # a source that changed while read fails everywhere without a partial ever being made.
    for _ in range(2):
        rig.add()
    files = make_card(tmp_path, {"A/growing.xml": 5_000, "A/fine.xml": 3_000})
    opened: list[Path] = []
    for destination in rig.destinations:
        real_open = destination.open_partial

        def counting(final: Path | str, *, open_partial: Any = real_open, **kw: Any) -> Any:
            opened.append(Path(final))  # the engine passes the target's text
            return open_partial(final, **kw)

        destination.open_partial = counting  # type: ignore[method-assign]
    grown = threading.Event()

    def grow(event: Event) -> None:
        if isinstance(event, SourceBytesRead) and not grown.is_set():
            grown.set()
            with open(files[0].path, "ab") as handle:  # a camera still writing the file
                handle.write(b"more")

    report = run(rig, files, sink=grow)
    assert grown.is_set() and report.exit_code is ExitCode.PARTIAL
    changed, fine = report.files
    assert "changed while it was read" in (changed.source_error or "")
    assert [d.status for d in changed.destinations] == [DestinationStatus.FAILED] * 2
    assert [d.status for d in fine.destinations] == [DestinationStatus.VERIFIED] * 2
    assert sorted(p.name for p in opened) == ["fine.xml", "fine.xml"]
    assert rig.partials(0) == rig.partials(1) == []


def _seam_methods() -> list[str]:
    """The ``Destination`` Protocol's methods and properties, as it declares them."""
    return sorted(
        name
        for name, member in vars(Destination).items()
        if not name.startswith("_") and (callable(member) or isinstance(member, property))
    )


@pytest.mark.parametrize(
    "backend",
    ["LocalDestination", "UnreachableDestination", "S3Backend", "MemoryDestination"],
)
def test_every_backend_has_every_method_of_the_seam_with_its_signature(backend: str) -> None:
    """The engine calls a destination only through the ``Destination`` Protocol: each backend
    has each of its methods, with the Protocol's parameters. ``reserve_names`` among them
    (--keep-both: the card's final names, which a backend choosing its name as an upload
    opens keeps). Failed before: the Protocol had no ``reserve_names``, and the job asked
    for it by ``getattr``, a seam no type checker saw."""
    import inspect

    from offload.destinations.s3backend import S3Backend
    from offload.destinations.unreachable import UnreachableDestination

    classes: dict[str, type] = {
        "LocalDestination": LocalDestination,
        "UnreachableDestination": UnreachableDestination,
        "S3Backend": S3Backend,
        "MemoryDestination": MemoryDestination,
    }
    methods = _seam_methods()
    assert "reserve_names" in methods, methods
    cls = classes[backend]
    for name in methods:
        declared = vars(Destination)[name]
        if isinstance(declared, property):
            continue  # an attribute or a property: its value, not a call
        assert hasattr(cls, name), f"{backend} lacks {name}"
        wanted = list(inspect.signature(declared).parameters)
        assert list(inspect.signature(getattr(cls, name)).parameters) == wanted, (backend, name)


@pytest.mark.parametrize("policy", list(ExistingFilePolicy))
def test_the_card_names_are_reserved_with_keep_both_only(
    tmp_path: Path, policy: ExistingFilePolicy
) -> None:
    """--keep-both: each destination is handed the card's final names there once, before
    the first file (none of them is a free name for a copy kept beside another); no other
    policy chooses a name, so none is handed (and none is gathered)."""
    rig = Rig("memory", tmp_path)
    first, second = rig.add(), rig.add()
    files = make_card(tmp_path, SIZES)
    report = run(rig, files, CopyOptions(existing=policy, chunk_size=MIB))
    assert report.exit_code is ExitCode.OK
    for destination in (first, second):
        assert isinstance(destination, MemoryDestination)
        if policy is ExistingFilePolicy.KEEP_BOTH:
            names = {str(destination.root / "copy" / name) for name in SIZES}
            assert destination.reserved == [frozenset(names)]
        else:
            assert destination.reserved == []
