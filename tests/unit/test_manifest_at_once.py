"""The ASC MHL writer's checks of a card's files made at once (``ascmhl._prepared_at_once``,
``IgnoreSpec.excludes_no_file``, ``digest.all_canonical``) and its one-format ``<hash>``
element say what the file-by-file checks and the general element say: the same entries,
the same errors, the same text."""

from __future__ import annotations

import dataclasses
import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from offload.manifest import ascmhl
from offload.manifest.digest import all_canonical, normalize_digest
from offload.manifest.ignore import DEFAULT_IGNORE_PATTERNS, IgnoreSpec
from offload.manifest.model import Action, ManifestFile

_WHEN = datetime(2026, 12, 4, 12, 0, 0, 250_000, tzinfo=UTC)
_SPEC = (*DEFAULT_IGNORE_PATTERNS, "._*", "Thumbs.db", ".offload")


def _files(count: int = 40) -> list[ManifestFile]:
    return [
        ManifestFile(
            f"DCIM/{index // 10:03d}/IMG_{index:04d}.JPG",
            index,
            1_700_000_000_000_000_000 + index,
            {"xxh64": f"{index:016x}"},
            _WHEN,
        )
        for index in range(count)
    ]


def _fields(entries: list[ascmhl._Entry]) -> list[tuple[object, ...]]:
    return [(e.path, e.size_bytes, e.mtime_ns, e.hash_date, e.digests, e.written) for e in entries]


def _one_by_one(files: list[ManifestFile], spec: IgnoreSpec) -> tuple[object, set[str], set[str]]:
    """What the file-by-file loop makes of *files* (the at-once path refused): entries or the
    error, with *seen* and *nested* after."""
    seen: set[str] = set()
    nested: set[str] = set()
    original = ascmhl._prepared_at_once
    try:
        ascmhl._prepared_at_once = lambda *args: None  # type: ignore[assignment]
        try:
            made: object = _fields(ascmhl._prepare(files, spec, seen, nested))
        except Exception as exc:  # any error: the same one either way
            made = (type(exc), str(exc))
    finally:
        ascmhl._prepared_at_once = original  # type: ignore[assignment]
    return made, seen, nested


def _at_once(files: list[ManifestFile], spec: IgnoreSpec) -> tuple[object, set[str], set[str]]:
    seen: set[str] = set()
    nested: set[str] = set()
    try:
        made: object = _fields(ascmhl._prepare(files, spec, seen, nested))
    except Exception as exc:  # any error: the same one either way
        made = (type(exc), str(exc))
    return made, seen, nested


def test_a_clean_card_is_prepared_at_once_as_one_by_one() -> None:
    files = _files()
    files[3] = files[3]._replace(relative_path="DCIM/ascmhl/x/IMG.JPG")  # a nested history
    files[4] = files[4]._replace(relative_path="DCIM/ascmhl")  # a file so named: no history
    spec = IgnoreSpec(("Thumbs.db",))  # not ascmhl's defaults, which ignore the folder
    assert ascmhl._prepared_at_once(files, spec, set(), set()) is not None
    assert _at_once(files, spec) == _one_by_one(files, spec)
    _, seen, nested = _at_once(files, spec)
    assert nested == {"DCIM"} and len(seen) == len(files)
    files = _files()
    spec = IgnoreSpec(_SPEC)
    assert ascmhl._prepared_at_once(files, spec, set(), set()) is not None
    assert _at_once(files, spec) == _one_by_one(files, spec)
    # the canonical digests are each file's own object, as canonical_digests returns it
    entries = ascmhl._prepare(files, spec, set(), set())
    assert all(e.digests is f.digests for e, f in zip(entries, files, strict=True))


_BREAKS = {
    "upper-case hex": lambda f: f._replace(digests={"xxh64": "00FF00FF00FF00FF"}),
    "short hex": lambda f: f._replace(digests={"xxh64": "00ff"}),
    "spaced hex": lambda f: f._replace(digests={"xxh64": "00ff 00ff00ff00f"}),
    "not hex": lambda f: f._replace(digests={"xxh64": "00ff00ff00ff00fg"}),
    "alias name": lambda f: f._replace(digests={"xxh64be": "00ff00ff00ff00ff"}),
    "not in ASC MHL": lambda f: f._replace(digests={"xxh64": "00" * 8, "sha256": "ab" * 32}),
    "another format": lambda f: f._replace(digests={"md5": "ab" * 16}),
    "no digest": lambda f: f._replace(digests={}),
    "bytes digest": lambda f: f._replace(digests={"xxh64": b"00ff00ff00ff00ff"}),
    "duplicate": lambda f: f._replace(relative_path="DCIM/000/IMG_0000.JPG"),
    "dot component": lambda f: f._replace(relative_path="DCIM/./IMG.JPG"),
    "dot-dot component": lambda f: f._replace(relative_path="DCIM/../IMG.JPG"),
    "empty component": lambda f: f._replace(relative_path="DCIM//IMG.JPG"),
    "leading slash": lambda f: f._replace(relative_path="/DCIM/IMG.JPG"),
    "trailing slash": lambda f: f._replace(relative_path="DCIM/IMG.JPG/"),
    "empty path": lambda f: f._replace(relative_path=""),
    "control character": lambda f: f._replace(relative_path="DCIM/IMG\x01.JPG"),
    "NUL": lambda f: f._replace(relative_path="DCIM/IMG\x00.JPG"),
    "not UTF-8": lambda f: f._replace(relative_path="DCIM/IMG\udcff.JPG"),
    "ignored name": lambda f: f._replace(relative_path="DCIM/000/Thumbs.db"),
    "ignored prefix": lambda f: f._replace(relative_path="DCIM/000/._IMG.JPG"),
    "ignored folder": lambda f: f._replace(relative_path="DCIM/.offload/IMG.JPG"),
    "negative size": lambda f: f._replace(size_bytes=-1),
    "naive date": lambda f: f._replace(hash_date=datetime(2026, 12, 4)),
    "other zone": lambda f: f._replace(hash_date=_WHEN.astimezone(timezone(timedelta(hours=2)))),
}


@pytest.mark.parametrize("where", [0, 17, 39])
@pytest.mark.parametrize("why", sorted(_BREAKS))
def test_a_file_the_checks_at_once_cannot_pass_goes_one_by_one(why: str, where: int) -> None:
    files = _files()
    files[where] = _BREAKS[why](files[where])
    if why == "duplicate" and where == 0:
        files[0] = files[0]._replace(relative_path="DCIM/000/IMG_0001.JPG")
    spec = IgnoreSpec(_SPEC)
    assert _at_once(files, spec) == _one_by_one(files, spec)


def test_a_file_of_another_kind_goes_one_by_one() -> None:
    @dataclasses.dataclass
    class Other:
        relative_path: str
        size_bytes: int
        mtime_ns: int
        digests: dict[str, str]
        hash_date: datetime

    files: list[ManifestFile] = _files()
    files[2] = Other(*files[2])  # type: ignore[call-overload]
    spec = IgnoreSpec(_SPEC)
    assert ascmhl._prepared_at_once(files, spec, set(), set()) is None
    assert _at_once(files, spec) == _one_by_one(files, spec)


def test_a_path_seen_in_an_earlier_list_goes_one_by_one() -> None:
    files = _files()
    seen = {files[7].relative_path}
    assert ascmhl._prepared_at_once(files, IgnoreSpec(_SPEC), seen, set()) is None
    assert seen == {files[7].relative_path}
    with pytest.raises(ValueError, match="listed twice"):
        ascmhl._prepare(files, IgnoreSpec(_SPEC), seen, set())


@pytest.mark.parametrize(
    "patterns",
    [
        _SPEC,
        (*_SPEC, "DCIM/001/"),  # an anchored folder
        (*_SPEC, "*.JPG", "!IMG_0003.JPG"),  # a rule by a path's expression: asked each
        (*_SPEC, "001"),  # a folder by its name at any depth
        ("IMG_0007.JPG",),
    ],
)
def test_excludes_no_file_is_the_rules_asked_of_each(patterns: tuple[str, ...]) -> None:
    paths = [f.relative_path for f in _files()]
    each = any(IgnoreSpec(patterns).excludes(p, is_dir=False) for p in paths)
    at_once = IgnoreSpec(patterns).excludes_no_file(paths)
    assert not (at_once and each)  # never "none" where one is
    if patterns == _SPEC:
        assert at_once and not each
    assert IgnoreSpec(patterns).excludes_no_file([])


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("xxh64", ["00ff00ff00ff00ff", "0123456789abcdef"]),
        ("xxh64", ["00ff00ff00ff00ff", "0123456789ABCDEF"]),
        ("xxh64", ["00ff00ff00ff00f", "0123456789abcdef0"]),  # lengths summing right
        ("xxh64", ["00ff00ff00ff00f\t", "0123456789abcdef"]),
        ("xxh64", ["00ff00ff00ff00ff", "0123456789abcdeg"]),
        ("xxh64", ["00ff00ff00ff00ff", None]),
        ("md5", ["d41d8cd98f00b204e9800998ecf8427e"]),
        ("sha1", ["da39a3ee5e6b4b0d3255bfef95601890afd80709"]),
        ("xxh128", ["99aa06d3014798d86001c324468d497f"]),
        ("xxh3", ["2d06800538d394c2"]),
        ("sha256", ["ab" * 32]),  # no ASC MHL format
        ("c4", ["c4" + "1" * 88]),
        ("c4", ["c4" + "0" * 88]),  # 0 is no base58 digit
        ("xxh64", []),
    ],
)
def test_all_canonical_is_normalize_digest_asked_of_each(name: str, values: list[object]) -> None:
    def unchanged(value: object) -> bool:
        try:
            return normalize_digest(name, value) == value  # type: ignore[arg-type]
        except (ValueError, AttributeError, TypeError):
            return False

    assert all_canonical(name, values) == all(map(unchanged, values))


@pytest.mark.parametrize("mtime_ns", [0, 1_700_000_000_999_999_999])
def test_the_one_format_element_is_the_general_one(mtime_ns: int) -> None:
    entry = ascmhl._Entry("A/&<b>\r.MOV", 7, mtime_ns, _WHEN, {"md5": "ab" * 16})
    fast = ascmhl._file_element(entry)
    entry.written = [("md5", "ab" * 16, Action.ORIGINAL)]  # what elements() gives: no fast path
    assert fast == ascmhl._file_element(entry)
    assert "A/&amp;&lt;b&gt;&#13;.MOV" in fast


def test_the_fields_taken_by_position_are_manifest_files() -> None:
    item = _files(1)[0]
    assert ascmhl._PATH(item) is item.relative_path
    assert ascmhl._DIGESTS(item) is item.digests


@pytest.mark.parametrize(
    "formats", [("xxh64",), ("md5",), ("c4",), ("md5", "xxh64"), ("xxh128", "c4")]
)
def test_add_files_is_add_file_of_each(formats: tuple[str, ...]) -> None:
    from offload.manifest.dirhash import DirectoryHasher

    values = {
        "xxh64": lambda i: f"{i:016x}",
        "md5": lambda i: f"{i:032x}",
        "xxh128": lambda i: f"{i * 7:032x}",
        "c4": lambda i: "c4" + "1" * 87 + "123456789"[i % 9],
    }
    files = [
        (
            f"{'A/B' if i % 3 else 'C'}/{i:03d}é.MOV" if i % 5 else f"ROOT{i}.MOV",
            {f: values[f](i) for f in formats},
        )
        for i in range(60)
    ]
    one_by_one, at_once = DirectoryHasher(formats), DirectoryHasher(formats)
    for hasher in (one_by_one, at_once):
        hasher.add_directory("EMPTY/INSIDE")
    for path, digests in files:
        one_by_one.add_file(path, digests)
    at_once.add_files(reversed(files))  # any order: a folder's lists are sorted
    assert at_once.compute() == one_by_one.compute()


def _fingerprint_one_by_one(files: list[ManifestFile]) -> list[object]:
    """The stamp's fingerprint as it was made before: ``_line`` a file, hashed in turn."""
    import hashlib

    from offload.manifest_stamp import _line

    hasher = hashlib.blake2b(digest_size=20)
    for item in files:
        line = _line(item.relative_path, item.size_bytes, item.mtime_ns, item.digests)
        hasher.update((line + "\n").encode("utf-8", "surrogateescape"))
    return [len(files), hasher.hexdigest()]


@pytest.mark.parametrize(
    "odd",
    [
        None,
        lambda f: f._replace(relative_path='DCIM/"quoted".JPG'),
        lambda f: f._replace(relative_path="DCIM/back\\slash.JPG"),
        lambda f: f._replace(relative_path="DCIM/tab\t.JPG"),
        lambda f: f._replace(relative_path="DCIM/é\udcff.JPG"),
        lambda f: f._replace(digests={"xxh64": "00" * 8, "md5": "ab" * 16}),
        lambda f: f._replace(digests={"md5": "ab" * 16}),
        lambda f: f._replace(digests={}),
        lambda f: f._replace(size_bytes=True),
        lambda f: f._replace(mtime_ns=1.5),
    ],
)
@pytest.mark.parametrize("count", [0, 1, 999, 1000, 2500])
def test_the_stamps_fingerprint_is_its_lines_one_by_one(odd: object, count: int) -> None:
    from offload.manifest_stamp import _files_fingerprint

    files = _files(count)
    if odd is not None and count:
        files[count // 2] = odd(files[count // 2])  # type: ignore[operator]
    assert _files_fingerprint(files) == _fingerprint_one_by_one(files)
    assert _files_fingerprint(iter(files)) == _fingerprint_one_by_one(files)


def test_a_folder_written_a_slice_at_a_time_is_the_same_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from offload.manifest import CreatorInfo, write_generation

    files = _files(40)  # 10 files a folder
    creator = CreatorInfo(tool_version="0", hostname="h")
    written = []
    for at_once in (1000, 3):
        monkeypatch.setattr(ascmhl, "_ELEMENTS_AT_ONCE", at_once)
        root = tmp_path / f"r{at_once}" / "CARD"
        for item in files:
            (root / item.relative_path).parent.mkdir(parents=True, exist_ok=True)
        # The folders' records carry their times: the same in both roots, whichever second
        # each was made in (made a second apart, the manifests differed by their dates alone).
        for folder in [root, *(p for p in root.rglob("*") if p.is_dir())]:
            os.utime(folder, (1_700_000_000, 1_700_000_000))
        path = write_generation(root, files, creator=creator, now=lambda: _WHEN)
        written.append(path.read_bytes())
    assert written[0] == written[1]
    assert written[0].count(b"<hash>") == 40
