"""ASC MHL directory hashes: a content hash and a structure hash per folder and format.

As the reference tool (``ascmhl`` 1.2) computes them, per format H:

* a file contributes its hash *h* to the content list of its folder, and
  ``H(utf8(name) + h)`` to the structure list;
* a sub-folder contributes its content hash to the content list, and
  ``H(utf8(name) + its structure hash)`` to the structure list;
* a folder's content hash is ``H(concatenation of its sorted content list)``, its structure
  hash ``H(concatenation of its sorted structure list)``; an empty folder hashes ``H(b"")``.

Hashes are concatenated as raw bytes (hex decoded; a C4 ID decoded to its SHA-512 digest)
and sorted by their text, which for fixed-length lower-case hex and for C4 IDs (whose base58
alphabet is in ASCII order) is the same order as their bytes. Names are the last path
component, UTF-8 encoded, never normalised. Only what is passed in is hashed: callers leave
out ignored paths and the ``ascmhl`` folder, as the reference's walk does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from offload.manifest.digest import bytes_to_digest, digest_to_bytes, digester, hash_bytes


class DirectoryHash(NamedTuple):
    """The hashes of one folder: format → text, for content and for structure."""

    content: Mapping[str, str]
    structure: Mapping[str, str]


class DirectoryHasher:
    """Collects files and folders, then computes every folder's hashes bottom-up.

    Paths are relative (``/``-separated); ``""`` is the root. Work is linear in the number of
    files and folders (plus the sorting of each folder's children). Not thread-safe.
    """

    def __init__(self, formats: Sequence[str]) -> None:
        self.formats = tuple(formats)
        self._digesters = tuple(map(digester, self.formats))  # hash_bytes of each, resolved once
        # folder → per format: (content hashes, structure hashes) of its children, as bytes
        self._children: dict[str, list[tuple[list[bytes], list[bytes]]]] = {"": self._empty()}

    def _empty(self) -> list[tuple[list[bytes], list[bytes]]]:
        return [([], []) for _ in self.formats]

    def _folder(self, path: str) -> list[tuple[list[bytes], list[bytes]]]:
        """*path*'s lists, made (with those of every ancestor missing) if new."""
        children = self._children
        lists = children.get(path)
        if lists is None:
            lists = children[path] = self._empty()
            # Up a level at a time in a loop, not a call a level: a folder 1,100 deep added
            # before its ancestors (a set's order) overflowed Python's recursion limit.
            parent = path.rpartition("/")[0]
            while parent not in children:
                children[parent] = self._empty()
                parent = parent.rpartition("/")[0]
        return lists

    def add_directory(self, relative_path: str) -> None:
        """Record a folder (and its ancestors), so that empty folders get a hash too."""
        self._folder(relative_path)

    def add_file(self, relative_path: str, digests: Mapping[str, str]) -> None:
        """Record a file with its canonical digests; every format of the hasher is required.

        Raises KeyError if a format is missing from *digests*.
        """
        parent, _, name = relative_path.rpartition("/")
        name_bytes = name.encode("utf-8")
        for (contents, structures), fmt, digest in zip(
            self._folder(parent), self.formats, self._digesters, strict=True
        ):
            raw = digest_to_bytes(fmt, digests[fmt])
            contents.append(raw)
            structures.append(digest(name_bytes + raw))

    def add_files(self, files: Iterable[tuple[str, Mapping[str, str]]]) -> None:
        """:meth:`add_file` of each of *files* (path, canonical digests): the same hashes
        (a folder's lists are sorted before they are hashed, so the order they are added in
        is no matter). A card's files in one hex format, the usual case, go through one loop
        without a call a file for their folder and formats (~0.4 µs a file less)."""
        if len(self.formats) != 1 or self.formats[0] == "c4":
            for path, digests in files:
                self.add_file(path, digests)
            return
        (fmt,) = self.formats
        (digest,) = self._digesters
        children = self._children
        from_hex = bytes.fromhex  # digest_to_bytes of a hex format
        for path, digests in files:
            parent, _, name = path.rpartition("/")
            lists = children.get(parent)
            if lists is None:
                lists = self._folder(parent)
            raw = from_hex(digests[fmt])
            contents, structures = lists[0]
            contents.append(raw)
            structures.append(digest(name.encode("utf-8") + raw))

    def compute(self) -> dict[str, DirectoryHash]:
        """Every folder's hashes, keyed by relative path (``""`` for the root)."""
        results: dict[str, DirectoryHash] = {}
        # deepest folders first, so each folder is complete before it is hashed
        for path in sorted(self._children, key=lambda p: p.count("/") + bool(p), reverse=True):
            content: dict[str, str] = {}
            structure: dict[str, str] = {}
            parent_lists = None
            if path:
                parent, _, name = path.rpartition("/")
                parent_lists = self._children[parent]
                name_bytes = name.encode("utf-8")
            for index, fmt in enumerate(self.formats):
                contents, structures = self._children[path][index]
                content_raw = hash_bytes(fmt, b"".join(sorted(contents)))
                structure_raw = hash_bytes(fmt, b"".join(sorted(structures)))
                content[fmt] = bytes_to_digest(fmt, content_raw)
                structure[fmt] = bytes_to_digest(fmt, structure_raw)
                if parent_lists is not None:
                    parent_lists[index][0].append(content_raw)
                    parent_lists[index][1].append(hash_bytes(fmt, name_bytes + structure_raw))
            results[path] = DirectoryHash(content, structure)
        return results


def directory_hashes(
    formats: Sequence[str],
    files: Iterable[tuple[str, Mapping[str, str]]],
    directories: Iterable[str] = (),
) -> dict[str, DirectoryHash]:
    """Convenience: hash a tree given as (path, digests) pairs and extra (empty) folders."""
    hasher = DirectoryHasher(formats)
    for path in directories:
        hasher.add_directory(path)
    for path, digests in files:
        hasher.add_file(path, digests)
    return hasher.compute()
