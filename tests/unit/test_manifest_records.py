"""What the manifests read of a destination's files, written out for speed (2026-12-02):
``card._RecordedFiles`` (the files verified there, as ``ManifestFile``s) and the stamp's
fingerprint of them (``manifest_stamp._files_fingerprint``). Each must give what the plain
definition gives (written here as it was before: the first copy of the destination's index,
a good state, the path relative to the copy root; one ``json.dumps`` line a file), on files
that take every branch."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from offload.card import _RecordedFiles, _relative_to
from offload.hashing import UnknownHashError, resolve_algorithm
from offload.manifest import ascmhl
from offload.manifest.ascmhl import canonical_digests, check_relative_path
from offload.manifest.digest import normalize_digest
from offload.manifest.model import ManifestFile
from offload.manifest_stamp import _files_fingerprint, _line
from offload.manifests_writer import paths_of
from offload.results import (
    GOOD_STATUSES,
    CopyAction,
    DestinationFileResult,
    DestinationStatus,
    FileResult,
)

ROOT = Path("/media/d1/CARD")
FINISHED = 1_764_633_600.5


def _file(n: int, copies: list[DestinationFileResult], name: str | None = None) -> FileResult:
    relative = name or f"DCIM/{n // 10:03d}/C{n:05d}.MP4"
    return FileResult(
        relative_path=relative,
        size_bytes=n * 3,
        mtime_ns=1_700_000_000_000_000_000 + n,
        inflight_digests={"xxh64": f"{n:016x}"} if n % 7 else {},
        destinations=copies,
    )


def _copy(
    index: int, relative: str, status: DestinationStatus, **more: object
) -> DestinationFileResult:
    return DestinationFileResult(
        destination_index=index,
        final_path=more.pop("final_path", f"{ROOT if index == 0 else '/media/d2/CARD'}/{relative}"),  # type: ignore[arg-type]
        status=status,
        **more,  # type: ignore[arg-type]
    )


def _files() -> list[FileResult]:
    files = []
    statuses = list(DestinationStatus)
    for n in range(300):
        relative = f"DCIM/{n // 10:03d}/C{n:05d}.MP4"
        status = statuses[n % len(statuses)]
        copies = [
            _copy(1, relative, DestinationStatus.VERIFIED),
            _copy(
                0,
                relative,
                status,
                digests={"md5": f"{n:032x}"} if n % 5 == 0 else {},
                recorded_digests={"c4": "c4" + "1" * 88} if n % 3 == 0 else {},
                verified_at=None if n % 4 == 0 else 1_764_633_000.0 + n // 50,
                action=CopyAction.TRUSTED if n % 2 else CopyAction.COPIED,
            ),
        ]
        if n % 11 == 0:  # a second copy of the same index: the first one counts
            copies.append(_copy(0, relative, DestinationStatus.FAILED))
        if n % 13 == 0:  # no copy on this destination at all
            copies = copies[:1]
        files.append(_file(n, copies))
    odd = os.fsdecode(b"DCIM/odd\xff.MP4")
    kept = "DCIM/kept.MP4"
    files += [
        # kept beside another file (--keep-both): its final name is not its card name
        _file(
            1001,
            [_copy(0, kept, DestinationStatus.VERIFIED, final_path=f"{ROOT}/DCIM/kept_2.MP4")],
            kept,
        ),
        # a final path the engine did not spell f"{root}/{relative}"
        _file(
            1002,
            [_copy(0, "x", DestinationStatus.VERIFIED, final_path=f"{ROOT}/DCIM/./dot.MP4")],
            "DCIM/dot.MP4",
        ),
        _file(
            1003,
            [_copy(0, "x", DestinationStatus.VERIFIED, final_path=f"{ROOT}/DCIM//two.MP4")],
            "DCIM/two.MP4",
        ),
        _file(1004, [_copy(0, odd, DestinationStatus.VERIFIED_EARLIER)], odd),
        # a final path of the card path's length, under the root, that is another name
        _file(
            1005,
            [_copy(0, "x", DestinationStatus.VERIFIED, final_path=f"{ROOT}/DCIX/end.MP4")],
            "DCIM/end.MP4",
        ),
    ]
    return files


def _as_before(files: list[FileResult], index: int, root: Path) -> list[ManifestFile]:
    """The definition: each file whose first copy on *index* is in a good state."""
    listed = []
    for file in files:
        result = file.destination(index)
        if result is None or result.status not in GOOD_STATUSES:
            continue
        when = result.verified_at or FINISHED
        listed.append(
            ManifestFile(
                relative_path=_relative_to(result.final_path, root, f"{root}/", file),
                size_bytes=file.size_bytes,
                mtime_ns=file.mtime_ns,
                # A copy trusted from its ledger: the digests of the run that proved it.
                digests=result.recorded_digests
                if result.action is CopyAction.TRUSTED
                else file.inflight_digests or result.digests,
                hash_date=datetime.fromtimestamp(when, UTC),
            )
        )
    return listed


def test_recorded_files_are_the_definitions_files() -> None:
    files = _files()
    for index, root in ((0, ROOT), (1, Path("/media/d2/CARD"))):
        recorded = _RecordedFiles(files, index, root, FINISHED)
        expected = _as_before(files, index, root)
        assert list(recorded) == expected
        assert list(recorded) == expected  # iterable again
        assert len(recorded) == len(expected)
        # The names check's pass: the same paths, in order, without the records.
        assert list(recorded.relative_paths()) == [item.relative_path for item in expected]
        assert list(paths_of(recorded)) == [item.relative_path for item in expected]
        assert list(paths_of(expected)) == [item.relative_path for item in expected]
    paths = [item.relative_path for item in _RecordedFiles(files, 0, ROOT, FINISHED)]
    assert "DCIM/kept_2.MP4" in paths and "DCIM/dot.MP4" in paths and "DCIM/two.MP4" in paths
    assert "DCIX/end.MP4" in paths and "DCIM/end.MP4" not in paths
    assert os.fsdecode(b"DCIM/odd\xff.MP4") in paths


def test_recorded_files_are_made_once_for_the_three_reads() -> None:
    # The names check, the generation and the stamp read the same records: made by the first
    # read (the names check's), the same objects for the next ones (the generation's, the
    # stamp's), never made again.
    files = _files()
    recorded = _RecordedFiles(files, 0, ROOT, FINISHED)
    paths = list(paths_of(recorded))
    first, second = list(recorded), list(recorded)
    assert [item.relative_path for item in first] == paths
    assert first == _as_before(files, 0, ROOT)
    assert all(a is b for a, b in zip(first, second, strict=True))


def _fingerprint_as_before(files: list[ManifestFile]) -> list[object]:
    hasher = hashlib.blake2b(digest_size=20)
    count = 0
    for item in files:
        count += 1
        digests = sorted(item.digests.items())
        line = json.dumps(
            [item.relative_path, item.size_bytes, item.mtime_ns, digests], ensure_ascii=False
        )
        hasher.update(line.encode("utf-8", "surrogateescape"))
        hasher.update(b"\n")
    return [count, hasher.hexdigest()]


def test_the_fingerprint_is_the_definitions() -> None:
    date = datetime(2026, 1, 2, tzinfo=UTC)
    odd = os.fsdecode(b'odd\xff/n\xc3\xa9 "q"\\.mov')
    files = [
        ManifestFile(
            odd if n == 1500 else f"A/é{n}.MOV",
            n,
            n * 1_000_000_001,
            {"xxh64": f"{n:016x}", "md5": f"{n:032x}"} if n % 2 else {"c4": "c4" + "2" * 88},
            date,
        )
        for n in range(2345)  # more than a batch of lines
    ]
    for part in (files, files[:1000], files[:999], files[:1], []):
        assert _files_fingerprint(part) == _fingerprint_as_before(part)


_TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",))
    | st.sampled_from(['"', "\\", "\n", "\x00", "\x1f", "\x7f", "\udcff", "\u2028", "é"])
)


@settings(max_examples=400, deadline=None)
@given(
    relative=_TEXT,
    size=st.integers(min_value=-1, max_value=1 << 64) | st.booleans(),
    mtime_ns=st.integers(min_value=-(1 << 63), max_value=1 << 64),
    digests=st.dictionaries(_TEXT, _TEXT, max_size=3),
)
def test_a_fingerprint_line_is_the_encoders(
    relative: str, size: int, mtime_ns: int, digests: dict[str, str]
) -> None:
    """``_line`` writes out the usual file's line: the encoder's text for any texts (quotes,
    backslashes, control characters, a name byte that is not UTF-8) and numbers."""
    expected = json.dumps([relative, size, mtime_ns, sorted(digests.items())], ensure_ascii=False)
    assert _line(relative, size, mtime_ns, digests) == expected


def _clean_as_before(path: str) -> str | None:
    if not path or path.startswith("/") or path.endswith("/"):
        return "not a relative path"
    for part in path.split("/"):
        if part in ("", ".", ".."):
            return "not a clean relative path"
    return None


def test_a_manifest_path_is_refused_as_its_definition_refuses_it() -> None:
    pieces = ["a", ".", "/", "..", "b.", ".c"]
    for size in range(1, 6):
        for combo in itertools.product(pieces, repeat=size):
            path = "".join(combo)
            try:
                check_relative_path(path)
                found = None
            except ValueError as exc:
                found = str(exc).partition(":")[0]
            assert found == _clean_as_before(path), path


def test_canonical_digests_resolve_names_as_the_registry_does() -> None:
    names = ["xxh64", "XXH64", " xxh64be ", "md5", "sha1", "c4", "sha256", "nope", "xxh128", "xxh3"]
    values = {"xxh64": "0123456789ABCDEF", "md5": "0" * 32, "sha1": "1" * 40, "c4": "c4" + "3" * 88}
    for name in names:
        try:
            algorithm = resolve_algorithm(name)
        except UnknownHashError:
            expected: dict[str, str] = {}
        else:
            value = values.get(algorithm.name, "f" * 32 if "128" in algorithm.name else "e" * 16)
            expected = (
                {algorithm.name: normalize_digest(algorithm.name, value)}
                if algorithm.in_ascmhl
                else {}
            )
        given = {name: values.get(resolve_or_none(name), "f" * 32 if "128" in name else "e" * 16)}
        assert canonical_digests(given) == expected, name


def test_the_format_name_a_file_digest_resolves_through_is_cached() -> None:
    # Resolved once a name, not once a digest of each file: the cache on the resolver
    # ``canonical_digests`` asks (once moved off it by a function put between them).
    ascmhl._ascmhl_name.cache_clear()
    for _ in range(3):
        canonical_digests({"xxh64be": "0123456789ABCDEF", "md5": "0" * 32})
    info = ascmhl._ascmhl_name.cache_info()
    assert (info.misses, info.hits) == (2, 4)
    assert not hasattr(ascmhl.generation_file_name, "cache_info")


def resolve_or_none(name: str) -> str | None:
    try:
        return resolve_algorithm(name).name
    except UnknownHashError:
        return None
