"""``manifest.unchained_own``: the record of a generation being committed, and the next
writer's settling of what a dead one left. Real manifests (``write_generation``), the
dead run's state made as a kill leaves it: the chain file as it was before the generation."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from offload.lock import process_identity
from offload.manifest import unchained_own
from offload.manifest.ascmhl import write_generation
from offload.manifest.history import c4_of_file, parse_chain
from offload.manifest.model import CreatorInfo, ManifestFile

CREATOR = CreatorInfo(tool_version="1", hostname="h")
START = datetime(2026, 12, 5, tzinfo=UTC)


def _generation(root: Path, second: int) -> Path:
    moment = START + timedelta(seconds=second)
    files = [ManifestFile("a.mov", 3, 0, {"xxh64": "0123456789abcdef"}, moment)]
    return write_generation(
        root, files, creator=CREATOR, now=lambda: moment, intent=unchained_own.record_for(root)
    )


def _killed_before_its_chain(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A copy root (``.offload/``) with generation 1, then generation 2 as a kill between
    its rename and its chain leaves it: the chain listing generation 1 alone, the record
    naming generation 2. (root, the record, generation 2's manifest)."""
    root = tmp_path / "A001"
    (root / ".offload").mkdir(parents=True)
    (root / "a.mov").write_bytes(b"abc")
    _generation(root, 0)
    record = unchained_own.record_for(root)
    assert record is not None and not record.exists()  # cleared once chained
    chain = root / "ascmhl" / "ascmhl_chain.xml"
    before = chain.read_bytes()
    second = _generation(root, 1)
    chain.write_bytes(before)
    _noted_by_a_dead_process(record, second.name, c4_of_file(second))
    return root, record, second


def _noted_by_a_dead_process(record: Path, name: str, c4: str) -> None:
    """The record as ``note`` writes it, by a process that then exits (its writer gone:
    the kernel drops the claim, and its pid is over)."""
    subprocess.run([sys.executable, "-c", _NOTE, str(record), name, c4], check=True, timeout=60)


_NOTE = """
import sys
from pathlib import Path
from offload.lock import process_identity
from offload.manifest import unchained_own
assert unchained_own.note(Path(sys.argv[1]), sys.argv[2], sys.argv[3]) is not None
"""


def test_the_dead_writers_manifest_is_removed_and_said(tmp_path: Path) -> None:
    root, record, second = _killed_before_its_chain(tmp_path)
    said = unchained_own.settle(root, record)
    assert said is not None and str(second) in said and said.startswith("removed"), said
    assert not second.exists() and not record.exists()
    assert [e.path for e in parse_chain(root / "ascmhl" / "ascmhl_chain.xml")] == [
        p.name for p in (root / "ascmhl").glob("*.mhl")
    ]


def test_a_live_writers_record_is_left(tmp_path: Path) -> None:
    """A record a live writer claims (it took no copy root lock: the lock could not be
    taken) names a manifest that writer is about to chain: left alone."""
    root, record, second = _killed_before_its_chain(tmp_path)
    record.unlink()  # the live writer's own record instead
    fd = unchained_own.note(record, second.name, c4_of_file(second))
    try:
        assert unchained_own.settle(root, record) is None
        assert second.exists() and record.exists()
    finally:
        unchained_own.clear(record, fd)
    assert unchained_own.settle(root, record) is None and second.exists()  # no record now


def test_a_manifest_something_was_built_on_is_kept(tmp_path: Path) -> None:
    """A manifest numbered after the dead run's (another tool wrote on top of it): removing
    ours would pull records from under it; it stays (warned of as any unlisted one)."""
    root, record, second = _killed_before_its_chain(tmp_path)
    later = root / "ascmhl" / second.name.replace("0002_", "0003_")
    later.write_bytes(second.read_bytes())
    assert unchained_own.settle(root, record) is None
    assert second.exists() and later.exists() and not record.exists()


def test_a_chained_or_gone_manifest_only_clears_the_record(tmp_path: Path) -> None:
    root, record, second = _killed_before_its_chain(tmp_path)
    saved = record.read_bytes()
    second.unlink()  # never committed (killed before the rename)
    assert unchained_own.settle(root, record) is None and not record.exists()
    third = _generation(root, 2)  # chained: its record cleared by the writer itself
    record.write_bytes(saved.replace(second.name.encode(), third.name.encode()))
    assert unchained_own.settle(root, record) is None  # listed: not ours to undo
    assert third.exists() and not record.exists()


def test_an_unreadable_record_is_left_for_a_later_run(tmp_path: Path) -> None:
    root, record, second = _killed_before_its_chain(tmp_path)
    record.write_bytes(b"{not json")
    assert unchained_own.settle(root, record) is None
    assert second.exists() and record.exists()


def test_no_record_is_kept_where_offload_keeps_no_state(tmp_path: Path) -> None:
    root = tmp_path / "other"
    root.mkdir()
    (root / "a.mov").write_bytes(b"abc")
    assert unchained_own.record_for(root) is None
    _generation(root, 0)
    assert not (root / ".offload").exists()


def test_a_record_naming_its_chained_manifest_only_clears_the_record(tmp_path: Path) -> None:
    """Killed after the chain listed its generation, before the record was cleared: the
    record names that manifest with its true C4 ID; listed, it is no dead run's leftover."""
    root, record, _second = _killed_before_its_chain(tmp_path)
    assert unchained_own.settle(root, record) is not None  # the history whole again
    third = _generation(root, 2)
    _noted_by_a_dead_process(record, third.name, c4_of_file(third))
    assert unchained_own.settle(root, record) is None
    assert third.exists() and not record.exists()
    listed = [e.path for e in parse_chain(root / "ascmhl" / "ascmhl_chain.xml")]
    assert third.name in listed


def test_a_writer_not_proven_over_keeps_its_manifest_and_is_named(tmp_path: Path) -> None:
    """A record of another computer (a share, where its claim is not seen here), or of a
    process that still runs: its manifest may be between its rename and its chain entry;
    kept, the record too, and named. Failed before: removed (the claim's flock was free)."""
    root, record, second = _killed_before_its_chain(tmp_path)
    data = json.loads(record.read_bytes())
    for writer in ({"host": "cart-b", "pid": 4242}, process_identity()):
        record.write_text(json.dumps({**data, **writer}))
        said = unchained_own.settle(root, record)
        assert said is not None and said.startswith("left") and str(second) in said, said
        assert f"pid {writer['pid']}" in said, said
        assert second.exists() and record.exists()


def test_a_record_left_for_an_unlisted_manifest_is_not_replaced(tmp_path: Path) -> None:
    """A record a settle left (its writer not proven over) names a manifest that stands
    unlisted: the next writer's note keeps it (its remedy) and writes none of its own.
    Failed before: replaced, the dead run's manifest lost its remedy silently."""
    root, record, second = _killed_before_its_chain(tmp_path)
    kept = record.read_bytes()
    with pytest.raises(FileExistsError):
        unchained_own.note(record, "0003_A001_2026-12-05_000002Z.mhl", "c4x")
    assert record.read_bytes() == kept
    assert unchained_own.settle(root, record) is not None and not second.exists()


@pytest.mark.parametrize(
    "space",
    ["00000000-dead-boot/4026531836", "own-boot/another-pid-namespace"],
    ids=["earlier boot, same host", "same boot, other pid namespace"],
)
def test_a_writer_of_this_host_s_earlier_boot_or_other_namespace_is_over_on_a_local_disk(
    tmp_path: Path, space: str
) -> None:
    """A run cut off by a power cut (its record names an earlier boot of this host) or run
    in a container (another pid namespace on this kernel): on a disk of this machine its
    record's flock is free, so no process of this kernel writes there: the manifest is
    removed. Failed before (the review of revfix4_57): "left … not known to be over" for
    good, the remedy lost, as ``lock.body_gone`` alone proves none of them over."""
    from offload.lock import process_space

    root, record, second = _killed_before_its_chain(tmp_path)
    data = json.loads(record.read_bytes())
    boot = process_space().split("/")[0]
    pid_space = space.replace("own-boot", boot)
    record.write_text(json.dumps({**data, "pid": 4_000_000, "pid_space": pid_space}))
    said = unchained_own.settle(root, record)
    assert said is not None and said.startswith("removed") and str(second) in said, said
    assert not second.exists() and not record.exists()


def test_a_chain_link_to_nothing_keeps_the_record_and_says_so(tmp_path: Path) -> None:
    """The chain a symlink whose target is gone (a drive not mounted): the chain cannot be
    read, which is not the manifest gone: record and manifest kept, "could not settle".
    Failed before (review of revfix7_61): the record cleared silently, the manifest left
    unlisted with no remedy (warned for ever, ``--append`` refused)."""
    root, record, second = _killed_before_its_chain(tmp_path)
    chain = _chain_to_nothing(root, tmp_path)
    said = unchained_own.settle(root, record)
    assert said is not None and said.startswith("could not settle"), said
    # Said what it is (QA, thirty-eighth pass; failed before: "... cannot be read: No such
    # file or directory (ENOENT)", read as the chain file missing).
    target = tmp_path / "elsewhere" / "ascmhl_chain.xml"
    mend = (
        f"({chain} is a symlink leading nowhere (to {target}), not the ASC MHL chain file; "
        f"mount or restore {target}, or restore {chain.parent} from another copy of this card)"
    )
    assert mend in said, said
    assert "No such file" not in said and "ENOENT" not in said, said
    assert "was stopped before" in said, said  # its writer proven over here
    assert second.exists() and record.exists()


def _chain_to_nothing(root: Path, tmp_path: Path) -> Path:
    """*root*'s chain file made a symlink whose target is gone (a drive not mounted)."""
    chain = root / "ascmhl" / "ascmhl_chain.xml"
    chain.unlink()
    chain.symlink_to(tmp_path / "elsewhere" / "ascmhl_chain.xml")
    return chain


def test_another_computers_manifest_behind_an_unreadable_chain_is_not_said_stopped(
    tmp_path: Path,
) -> None:
    """The record names a writer on another computer, and the chain cannot be read: that
    run may be writing there now, so the line never says it was stopped; it names the
    computer and what to do once no offload runs there. Failed before (QA, thirty-eighth
    pass): "..., which an earlier run wrote and was stopped before ascmhl_chain.xml listed
    it (...)"."""
    root, record, second = _killed_before_its_chain(tmp_path)
    chain = _chain_to_nothing(root, tmp_path)
    data = json.loads(record.read_bytes())
    record.write_text(json.dumps({**data, "host": "dit-cart-2"}))
    said = unchained_own.settle(root, record)
    assert said is not None and said.startswith(f"could not settle ASC MHL manifest {second}")
    assert "stopped" not in said, said
    assert "another computer (dit-cart-2) wrote it: if no offload is running there" in said
    assert f"{chain} is a symlink leading nowhere" in said and str(record) in said, said
    assert second.exists() and record.exists()


def test_a_record_naming_no_generation_does_not_block_the_next_note(tmp_path: Path) -> None:
    """A record naming a file that is no generation (``notes.mhl``: settle never removes
    it) is no remedy: the next writer's note replaces it. Failed before: FileExistsError,
    every later generation went without a record."""
    root, record, _second = _killed_before_its_chain(tmp_path)
    assert unchained_own.settle(root, record) is not None
    (root / "ascmhl" / "notes.mhl").write_bytes(b"notes")
    _noted_by_a_dead_process(record, "notes.mhl", "c4x")
    fd = unchained_own.note(record, "0003_A001_2026-12-05_000002Z.mhl", "c4y")
    assert fd is not None
    unchained_own.clear(record, fd)


@pytest.mark.parametrize("stray", ["._0001_A001_2026-12-05_000000Z.mhl", "notes.mhl"])
def test_a_first_run_s_manifest_is_alone_beside_files_history_does_not_count(
    tmp_path: Path, stray: str
) -> None:
    """A first offload killed before its chain: its manifest is the history's only one,
    an AppleDouble ``._`` file (exFAT, SMB) or a stray ``notes.mhl`` beside it counting for
    nothing (``History``): *alone*. Failed before (review of revfix7_61): None, so
    ``offload verify`` said "restore" where running the same copy again mends it."""
    root = tmp_path / "A001"
    (root / ".offload").mkdir(parents=True)
    (root / "a.mov").write_bytes(b"abc")
    first = _generation(root, 0)
    (root / "ascmhl" / "ascmhl_chain.xml").unlink()
    record = unchained_own.record_for(root)
    assert record is not None
    _noted_by_a_dead_process(record, first.name, c4_of_file(first))
    assert unchained_own.left_by_a_stopped_run(root, alone=True) == first.name
    (root / "ascmhl" / stray).write_bytes(b"\0\5\26\7")
    assert unchained_own.left_by_a_stopped_run(root, alone=True) == first.name


@pytest.mark.parametrize("kind", ["folder", "loop"])
def test_a_chain_link_that_leads_somewhere_is_not_said_to_lead_nowhere(
    tmp_path: Path, kind: str
) -> None:
    """The chain file a symlink to an existing folder, or a link loop: the line says what
    stands there (a folder) or the OS error (ELOOP), never "a symlink leading nowhere",
    which sends the user to mount a target that is there. Failed before: every link not to
    a regular file was "leading nowhere" (``os.path.isfile`` hides why)."""
    root, record, second = _killed_before_its_chain(tmp_path)
    chain = root / "ascmhl" / "ascmhl_chain.xml"
    chain.unlink()
    if kind == "folder":
        (tmp_path / "somewhere").mkdir()
        chain.symlink_to(tmp_path / "somewhere")
    else:
        chain.symlink_to(chain)
    said = unchained_own.settle(root, record)
    assert said is not None and "leading nowhere" not in said, said
    expected = (
        f"{chain} is a symlink to a folder ({tmp_path / 'somewhere'}), not the ASC MHL chain file"
        if kind == "folder"
        else f"{chain} cannot be read: "
    )
    assert expected in said, said
    assert kind == "folder" or "ELOOP" in said, said
    assert second.exists() and record.exists()
