"""Reading histories (reference lookups, chain checks) and carrying them to a destination."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from offload.manifest import (
    CreatorInfo,
    HistoryError,
    ManifestFile,
    copy_history,
    read_history,
    read_reference_hashes,
    write_generation,
)
from offload.manifest.history import (
    CarriedHistory,
    generation_number_of,
    parse_manifest,
    take_back_history,
)
from tests.unit.test_manifest_writer import digests_of

CREATOR = CreatorInfo(tool_version="0.1.0", hostname="host")
T1 = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)
T2 = datetime(2024, 5, 1, 11, 0, 0, tzinfo=UTC)
T3 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def record(root: Path, files: dict[str, bytes], moment: datetime, formats=("xxh64",)) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    entries = [
        ManifestFile(rel, len(data), 0, digests_of(data, tuple(formats)), moment)
        for rel, data in files.items()
    ]
    return write_generation(root, entries, creator=CREATOR, now=lambda: moment)


def test_no_history_reads_as_empty(tmp_path: Path) -> None:
    history = read_history(tmp_path)
    assert not history.exists and history.latest_sequence_number() == 0
    assert read_reference_hashes(tmp_path) == {}


def test_reference_hashes_are_the_first_recorded_per_format(tmp_path: Path) -> None:
    root = tmp_path / "card"
    record(root, {"a": b"a", "b": b"b"}, T1)
    record(root, {"a": b"a", "b": b"B"}, T2, ("xxh64", "md5"))  # b fails; a gets md5 verified
    record(root, {"c": b"c"}, T3)
    history = read_history(root)
    assert [g.sequence_number for g in history.generations] == [1, 2, 3]
    assert history.reference_hashes() == {
        "a": {"xxh64": digests_of(b"a")["xxh64"], "md5": digests_of(b"a")["md5"]},
        "b": {"xxh64": digests_of(b"b")["xxh64"]},  # the failed hash is no reference
        "c": {"xxh64": digests_of(b"c")["xxh64"]},
    }
    assert history.reference_size("a") == 1
    assert history.recorded_file_paths() == {"a", "b", "c"}
    second = history.generations[1]
    assert second.creation_date == "2024-05-01T11:00:00+00:00"
    assert second.tool_name == "offload-ai" and second.tool_version == "0.1.0"
    assert second.process == "transfer"
    assert second.root_hash is not None and set(second.root_hash.content) == {"md5", "xxh64"}


def test_missing_chain_missing_manifest_and_bad_xml_are_history_errors(tmp_path: Path) -> None:
    root = tmp_path / "card"
    manifest = record(root, {"a": b"a"}, T1)
    chain = root / "ascmhl" / "ascmhl_chain.xml"

    saved = chain.read_bytes()
    chain.unlink()
    with pytest.raises(HistoryError, match="chain"):
        read_history(root)
    chain.write_bytes(saved)

    data = manifest.read_bytes()
    manifest.unlink()
    with pytest.raises(HistoryError, match="missing"):
        read_history(root)
    manifest.write_bytes(data[:-20])
    with pytest.raises(HistoryError, match="modified"):
        read_history(root)
    with pytest.raises(HistoryError, match="well-formed"):
        read_history(root, check_chain=False)


def test_generation_file_names() -> None:
    assert generation_number_of("0001_A001_2024-05-01_100000Z.mhl") == 1
    assert generation_number_of("12345.mhl") == 12345
    assert generation_number_of("._0001_A001.mhl") is None
    assert generation_number_of("001_A001.mhl") is None
    assert generation_number_of("A001_2024.mhl") is None
    assert generation_number_of("0001_A001.xml") is None


def test_manifest_parser_reads_namespace_free_and_unknown_elements(tmp_path: Path) -> None:
    path = tmp_path / "0001_x.mhl"
    path.write_text(
        '<?xml version="1.0"?><hashlist version="2.0"><creatorinfo><hostname>h</hostname>'
        "</creatorinfo><processinfo><process>in-place</process></processinfo><hashes>"
        '<hash><path size="3">a b</path><xxh64 action="original">00000000000000AA</xxh64>'
        "<metadata><x/></metadata></hash></hashes></hashlist>"
    )
    generation = parse_manifest(path, 1)
    assert generation.hostname == "h"
    (entry,) = generation.files
    assert entry.path == "a b" and entry.size_bytes == 3
    assert [(h.format, h.value, h.action) for h in entry.hashes] == [
        ("xxh64", "00000000000000AA", "original")
    ]


def test_copy_history_carries_bytes_and_is_resumable(tmp_path: Path) -> None:
    source = tmp_path / "card"
    record(source, {"a": b"a"}, T1)
    record(source, {"a": b"a"}, T2)
    destination = tmp_path / "dest" / "card"
    destination.mkdir(parents=True)

    written = copy_history(source, destination).written
    assert [p.name for p in written][-1] == "ascmhl_chain.xml" and len(written) == 3
    for path in (source / "ascmhl").iterdir():
        assert (destination / "ascmhl" / path.name).read_bytes() == path.read_bytes()
    assert read_history(destination).reference_hashes() == read_history(source).reference_hashes()

    # already carried (even with a generation more at the destination): nothing to do
    record(destination, {"a": b"a"}, T3)
    assert copy_history(source, destination) == CarriedHistory()

    # interrupted before the chain was written: the rest is completed
    other = tmp_path / "dest2" / "card"
    (other / "ascmhl").mkdir(parents=True)
    first = next((source / "ascmhl").glob("0001_*.mhl"))
    shutil.copy(first, other / "ascmhl" / first.name)
    written = copy_history(source, other).written
    assert [p.name for p in written] == [
        next((source / "ascmhl").glob("0002_*.mhl")).name,
        "ascmhl_chain.xml",
    ]


def test_copy_history_leaves_a_destination_history_of_its_own_as_it_is(tmp_path: Path) -> None:
    """A history that is no earlier state of the card's is the destination's own: nothing
    is written there, and the card's manifests it lacks are named (the caller warns and
    continues it). Before, this was refused, and the destination never got a manifest."""
    source = tmp_path / "card"
    record(source, {"a": b"a"}, T1)
    destination = tmp_path / "dest" / "card"
    record(destination, {"a": b"other"}, T2)
    before = sorted((p.name, p.read_bytes()) for p in (destination / "ascmhl").iterdir())
    carried = copy_history(source, destination)
    assert carried.written == () and not carried.shares_generations
    assert carried.not_carried == tuple(p.name for p in (source / "ascmhl").glob("0001_*.mhl"))
    assert sorted((p.name, p.read_bytes()) for p in (destination / "ascmhl").iterdir()) == before

    # carried once, continued there, then the card got a generation: diverged
    other = tmp_path / "dest2" / "card"
    other.mkdir(parents=True)
    copy_history(source, other)
    record(other, {"a": b"a"}, T2)
    later = record(source, {"a": b"a", "b": b"b"}, T3)
    carried = copy_history(source, other)
    assert carried.written == () and carried.shares_generations
    assert carried.not_carried == (later.name,)
    assert len(read_history(other).generations) == 2


def test_take_back_history_leaves_the_destination_as_it_was(tmp_path: Path) -> None:
    source = tmp_path / "card"
    record(source, {"a": b"a"}, T1)
    fresh = tmp_path / "dest" / "card"
    fresh.mkdir(parents=True)
    take_back_history(fresh, copy_history(source, fresh))
    assert not (fresh / "ascmhl").exists()

    # an earlier state brought up to the card's, then taken back: the earlier state again
    older = tmp_path / "dest2" / "card"
    older.mkdir(parents=True)
    copy_history(source, older)
    before = sorted((p.name, p.read_bytes()) for p in (older / "ascmhl").iterdir())
    record(source, {"a": b"a"}, T2)
    carried = copy_history(source, older)
    assert len(carried.written) == 2
    take_back_history(older, carried)
    assert sorted((p.name, p.read_bytes()) for p in (older / "ascmhl").iterdir()) == before
    assert len(read_history(older).generations) == 1


def test_copy_history_refuses_a_tampered_source(tmp_path: Path) -> None:
    source = tmp_path / "card"
    manifest = record(source, {"a": b"a"}, T1)
    manifest.write_bytes(manifest.read_bytes().replace(b"host", b"hast"))
    destination = tmp_path / "dest"
    destination.mkdir()
    with pytest.raises(HistoryError, match="modified"):
        copy_history(source, destination)
    assert not (destination / "ascmhl").exists()


def test_copy_history_without_source_history_does_nothing(tmp_path: Path) -> None:
    (tmp_path / "card").mkdir()
    (tmp_path / "dest").mkdir()
    assert copy_history(tmp_path / "card", tmp_path / "dest") == CarriedHistory()
    assert not (tmp_path / "dest" / "ascmhl").exists()


def test_copy_history_brings_an_older_carried_state_up_to_date(tmp_path: Path) -> None:
    source = tmp_path / "card"
    record(source, {"a": b"a"}, T1)
    destination = tmp_path / "dest" / "card"
    destination.mkdir(parents=True)
    copy_history(source, destination)
    record(source, {"a": b"a"}, T2)  # the card was verified again since
    written = copy_history(source, destination).written
    assert [p.name for p in written] == [
        next((source / "ascmhl").glob("0002_*.mhl")).name,
        "ascmhl_chain.xml",
    ]
    assert read_history(destination).chain == read_history(source).chain

    # a destination that went its own way after the common generations keeps its own
    record(destination, {"a": b"a"}, T3)
    later = record(source, {"a": b"a"}, datetime(2024, 5, 1, 13, 0, 0, tzinfo=UTC))
    carried = copy_history(source, destination)
    assert carried.written == () and carried.not_carried == (later.name,)


def test_a_symlinked_newest_manifest_is_never_read_for_its_ignore_list(tmp_path: Path) -> None:
    """Failed before: ``latest_ignore_patterns_of`` (the ignore list of an enclosing or
    nested history) read the newest manifest through a symlink leading out of ``ascmhl/``;
    now it refuses it as ``read_history`` does."""
    from offload.manifest import UntrustedHistoryError
    from offload.manifest.history import latest_ignore_patterns_of

    root = tmp_path / "card"
    manifest = record(root, {"a": b"a"}, T1)
    assert latest_ignore_patterns_of(root)  # a regular file: read
    outside = tmp_path / "outside.mhl"
    shutil.copyfile(manifest, outside)
    manifest.unlink()
    manifest.symlink_to(outside)
    for read in (latest_ignore_patterns_of, read_history):
        with pytest.raises(UntrustedHistoryError, match=r"is a symlink \(to .*outside\.mhl\)"):
            read(root)


@pytest.mark.parametrize(
    "name", ["../x.mhl", "/abs/0002_x.mhl", "sub/../0002.mhl", "a/b", "", ".."]
)
def test_a_chain_path_naming_no_file_of_its_folder_is_refused(tmp_path: Path, name: str) -> None:
    from offload.manifest import UntrustedHistoryError
    from offload.manifest.history import parse_chain

    chain = tmp_path / "ascmhl_chain.xml"
    chain.write_text(
        '<ascmhldirectory xmlns="urn:ASC:MHL:DIRECTORY:v2.0"><hashlist sequencenr="1">'
        f"<path>{name}</path><c4>c4x</c4></hashlist></ascmhldirectory>"
    )
    with pytest.raises(UntrustedHistoryError, match="its generation 1 names"):
        parse_chain(chain)
    chain.write_text(chain.read_text().replace(f"<path>{name}</path>", "<path>0001_x.mhl</path>"))
    assert [e.path for e in parse_chain(chain)] == ["0001_x.mhl"]
