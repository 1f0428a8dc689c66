"""One commit's files as a read-only tree: paths to blob ids, symlinks followed, submodules
skipped. `CommitTree` reads git objects; `DirectoryTree` reads files on disk (the working
tree). Planning a build sees a repository only through this interface."""

from __future__ import annotations

import contextlib
import hashlib
import os
import posixpath
import stat
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from pathlib import Path

FileEntry = tuple[str, str]  # (path from the repository root, blob id)
_MAX_LINKS = 40  # like the kernel's ELOOP limit
_DIR, _FILE, _LINK = "dir", "file", "link"


class TreeError(Exception):
    """A tree entry that cannot be read (corrupt object, link loop, unknown kind)."""


def normalize(path: str) -> str:
    """`a/./b/../c` -> `a/c`; the repository root is ""."""
    if not path or path == ".":
        return ""
    clean = posixpath.normpath(path)
    return "" if clean == "." else clean


# What a computation read from a tree: (directory, entry name or None for the whole
# listing) -> what it found there. If all of it still holds in another commit's tree, the
# computation's result holds there too.
Reads = dict[tuple[str, "str | None"], object]
# Noted instead of an entry's id when only its kind was needed (a directory on the way to a
# file, a file whose existence an import resolution checks): edits below a directory, or of
# the file's content, leave such reads holding.
_KIND_ONLY = {"dir": ("dir", None), "file": ("file", None)}


def loosen(reads: Reads, paths: Iterable[str]) -> Reads:
    """`reads` with the files at `paths` noted by existence only, not content (for a caller
    that checks their contents itself)."""
    loose = dict(reads)
    for path in paths:
        key = posixpath.split(path)
        found = loose.get(key)
        if isinstance(found, tuple) and found[0] == _FILE:
            loose[key] = _KIND_ONLY[_FILE]
    return loose


class Tree(ABC):
    """The files of one commit (or of the working tree), addressed by repository paths."""

    _reads: Reads | None = None

    def _read_listing(
        self, directory: str, name: str | None = None, kind_only: bool = False
    ) -> dict[str, tuple[str, str]] | None:
        listing = self._listing(directory)
        if self._reads is not None:
            found = listing if name is None else (listing or {}).get(name)
            kind = found[0] if kind_only and name is not None and found else None  # type: ignore[index]
            if kind in _KIND_ONLY:
                self._reads.setdefault((directory, name), _KIND_ONLY[kind])  # exact reads win
            else:
                self._reads[(directory, name)] = found
        return listing

    @contextlib.contextmanager
    def recording(self) -> Iterator[Reads]:
        """Note every directory entry read in the block (see `still_holds`)."""
        reads: Reads = {}
        previous, self._reads = self._reads, reads
        try:
            yield reads
        finally:
            self._reads = previous

    def replay(self, reads: Reads) -> None:
        """Note reads made elsewhere (a memoised result computed on this tree) as if the
        current recording had made them."""
        if self._reads is not None:
            for key, seen in reads.items():
                if seen not in _KIND_ONLY.values() or key not in self._reads:  # exact wins
                    self._reads[key] = seen

    def still_holds(self, reads: Reads) -> bool:
        """Whether every read noted (in this or another commit's tree) finds the same here."""
        for (directory, name), seen in reads.items():
            listing = self._listing(directory)
            current = listing if name is None else (listing or {}).get(name)
            if current is seen or current == seen:
                continue
            kind_only = seen in _KIND_ONLY.values()
            if not (kind_only and current and current[0] == seen[0]):  # type: ignore[index]
                return False
        return True

    @abstractmethod
    def _listing(self, directory: str) -> dict[str, tuple[str, str]] | None:
        """`{name: (kind, id)}` of a directory (kind: dir, file or link; link ids name the
        target text), or None when `directory` is not a directory. Symlinks not followed."""

    @abstractmethod
    def read(self, blob_id: str) -> bytes:
        """The bytes of a file by its blob id."""

    @abstractmethod
    def _link_target(self, link_id: str) -> str:
        """The text of a symlink."""

    def _resolve(
        self, path: str, depth: int = 0, kind_only: bool = False
    ) -> tuple[str, str, str] | None:
        """(kind, id, real path) of `path` with every symlink on the way followed;
        `kind_only`: the caller uses only the kind (see `_KIND_ONLY`)."""
        if depth > _MAX_LINKS:
            raise TreeError(f"too many levels of symbolic links at {path}")
        path = normalize(path)
        if path == "":
            return (_DIR, "", "")
        if path.startswith("../") or path == "..":
            return None  # outside the repository
        parent, name = posixpath.split(path)
        resolved_parent = self._resolve(parent, depth, kind_only=True)
        if resolved_parent is None or resolved_parent[0] != _DIR:
            return None
        real_parent = resolved_parent[2]
        listing = self._read_listing(real_parent, name, kind_only)
        if listing is None or name not in listing:
            return None
        kind, object_id = listing[name]
        real = posixpath.join(real_parent, name) if real_parent else name
        if kind != _LINK:
            return (kind, object_id, real)
        target = self._link_target(object_id)
        if target.startswith("/"):
            return None  # an absolute link points outside the repository
        return self._resolve(posixpath.join(real_parent, target), depth + 1, kind_only)

    def blob(self, path: str) -> str | None:
        """The blob id of the file at `path` (through symlinks), or None if there is none."""
        if self._reads is None:  # nothing to note: a tree's files never change
            blobs = self.__dict__.setdefault("_blobs", {})
            if path not in blobs:
                found = self._resolve(path)
                blobs[path] = found[1] if found is not None and found[0] == _FILE else None
            return blobs[path]
        found = self._resolve(path)
        return found[1] if found is not None and found[0] == _FILE else None

    def link_destination(self, path: str) -> str | None:
        """Where the symlink at `path` points, as a repository path (`..` when outside it), or
        None when `path` is not a symlink. Only the link itself is read, not its target."""
        parent, name = posixpath.split(normalize(path))
        found = self._resolve(parent)
        if found is None or found[0] != _DIR:
            return None
        kind, object_id = (self._read_listing(found[2], name) or {}).get(name, ("", ""))
        if kind != _LINK:
            return None
        target = self._link_target(object_id)
        if target.startswith("/"):
            return ".."
        return normalize(posixpath.join(found[2], target)) or ""

    def is_dir(self, path: str) -> bool:
        found = self._resolve(path, kind_only=True)
        return found is not None and found[0] == _DIR

    def is_file(self, path: str) -> bool:
        """Whether a file is at `path` (through symlinks); its content is not noted as read."""
        found = self._resolve(path, kind_only=True)
        return found is not None and found[0] == _FILE

    def exists(self, path: str) -> bool:
        return self._resolve(path) is not None

    def names(self, directory: str) -> tuple[str, ...]:
        """The entry names of a directory (empty when it is not one)."""
        found = self._resolve(directory)
        if found is None or found[0] != _DIR:
            return ()
        return tuple(sorted(self._read_listing(found[2]) or {}))

    def read_path(self, path: str) -> bytes | None:
        blob_id = self.blob(path)
        return None if blob_id is None else self.read(blob_id)

    def files(self, prefix: str = "") -> tuple[FileEntry, ...]:
        """Every file at or under `prefix`; symlinked files resolve to their target's blob,
        symlinked directories and submodules are not descended into."""
        found = self._resolve(prefix)
        if found is None:
            return ()
        if found[0] == _FILE:
            return ((normalize(prefix), found[1]),)
        return self._files_below(found[2], normalize(prefix))

    def _files_below(self, real: str, shown: str) -> tuple[FileEntry, ...]:
        entries: list[FileEntry] = []
        for name, (kind, _) in sorted((self._read_listing(real) or {}).items()):
            child_real = posixpath.join(real, name) if real else name
            child_shown = posixpath.join(shown, name) if shown else name
            if kind == _DIR:
                entries.extend(self._files_below(child_real, child_shown))
            else:
                blob_id = self.blob(child_real)
                if blob_id is not None:
                    entries.append((child_shown, blob_id))
        return tuple(entries)

    def tree_id(self, path: str) -> str | None:
        """An id that changes whenever anything under the directory `path` changes."""
        found = self._resolve(path)
        return found[1] if found is not None and found[0] == _DIR else None


class CommitTree(Tree):
    """A commit's tree read from git objects. Directory listings are cached by tree id, so
    the subtrees that commits share are read once per repository."""

    def __init__(
        self,
        root_tree: str,
        read_object: Callable[[str], bytes],
        listing_cache: dict[str, dict[str, tuple[str, str]]],
    ) -> None:
        self.root_tree = root_tree
        self._read_object = read_object
        self._cache = listing_cache
        self._dir_ids: dict[str, str | None] = {"": root_tree}  # a tree never changes

    def _tree_listing(self, tree_id: str) -> dict[str, tuple[str, str]]:
        listing = self._cache.get(tree_id)
        if listing is None:
            listing = parse_tree(self._read_object(tree_id))
            self._cache[tree_id] = listing
        return listing

    def _listing(self, directory: str) -> dict[str, tuple[str, str]] | None:
        tree_id = self._dir_id(directory)
        return None if tree_id is None else self._tree_listing(tree_id)

    def _dir_id(self, directory: str) -> str | None:
        if directory in self._dir_ids:
            return self._dir_ids[directory]
        parent, name = posixpath.split(directory)
        parent_id = self._dir_id(parent)
        found = None
        if parent_id is not None:
            kind, object_id = self._tree_listing(parent_id).get(name, ("", ""))
            found = object_id if kind == _DIR else None
        self._dir_ids[directory] = found
        return found

    def tree_id(self, path: str) -> str | None:
        found = self._resolve(path)
        if found is None or found[0] != _DIR:
            return None
        return self._dir_id(found[2])

    def read(self, blob_id: str) -> bytes:
        return self._read_object(blob_id)

    def _link_target(self, link_id: str) -> str:
        target = _LINK_TARGETS.get(link_id)
        if target is None:
            target = self._read_object(link_id).decode("utf-8", "surrogateescape")
            _LINK_TARGETS[link_id] = target
        return target


# Symlink texts by blob id (content-addressed, so the same in every repository): a path
# through a symlinked directory is resolved at every commit.
_LINK_TARGETS: dict[str, str] = {}

_MODE_KINDS = {"40000": _DIR, "100644": _FILE, "100755": _FILE, "100664": _FILE, "120000": _LINK}


def parse_tree(data: bytes) -> dict[str, tuple[str, str]]:
    """A raw git tree object as `{name: (kind, object id)}`; submodules (gitlinks) and
    entries of unknown kinds are left out, names that are not UTF-8 too."""
    entries: dict[str, tuple[str, str]] = {}
    position = 0
    while position < len(data):
        space = data.find(b" ", position)
        nul = data.find(b"\0", space + 1)
        if space < 0 or nul < 0 or nul + 21 > len(data):
            raise TreeError("corrupt tree object")
        mode = data[position:space].decode("ascii", "replace")
        raw_name = data[space + 1 : nul]
        object_id = data[nul + 1 : nul + 21].hex()
        position = nul + 21
        kind = _MODE_KINDS.get(mode)
        if kind is None:
            continue  # 160000: a submodule's commit, which is not in this repository
        try:
            name = raw_name.decode("utf-8")
        except UnicodeDecodeError:
            continue
        entries[name] = (kind, object_id)
    return entries


class DirectoryTree(Tree):
    """Files on disk (a working tree), with content hashes as blob ids. `.git` is skipped."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._contents: dict[str, bytes] = {}
        self._listing_cached = lru_cache(maxsize=None)(self._listing_uncached)

    def _listing(self, directory: str) -> dict[str, tuple[str, str]] | None:
        return self._listing_cached(directory)

    def _listing_uncached(self, directory: str) -> dict[str, tuple[str, str]] | None:
        base = self.root / directory if directory else self.root
        try:
            names = os.listdir(base)
        except OSError:
            return None
        entries: dict[str, tuple[str, str]] = {}
        for name in names:
            if name == ".git":
                continue
            path = base / name
            try:
                mode = os.lstat(path).st_mode
            except OSError:
                continue
            relative = posixpath.join(directory, name) if directory else name
            if stat.S_ISLNK(mode):
                entries[name] = (_LINK, relative)
            elif stat.S_ISDIR(mode):
                if not (path / ".git").exists():  # a submodule's checkout
                    entries[name] = (_DIR, relative)
            elif stat.S_ISREG(mode):
                blob_id = self._hash(path)
                if blob_id is not None:  # unreadable files are skipped, like submodules
                    entries[name] = (_FILE, blob_id)
        return entries

    def _hash(self, path: Path) -> str | None:
        try:
            content = path.read_bytes()
        except OSError:
            return None
        digest = hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()
        self._contents[digest] = content
        return digest

    def read(self, blob_id: str) -> bytes:
        return self._contents[blob_id]

    def _link_target(self, link_id: str) -> str:
        return os.readlink(self.root / link_id)

    def tree_id(self, path: str) -> str | None:
        return None  # files on disk have no cheap content id; callers must not cache by it


class IndexTree(Tree):
    """The files staged in git's index (`git ls-files --stage`), read from git objects."""

    def __init__(
        self, entries: list[tuple[str, str, str]], read_object: Callable[[str], bytes]
    ) -> None:
        """`entries`: (mode, blob id, path) of each staged file."""
        self._read_object = read_object
        self._dirs: dict[str, dict[str, tuple[str, str]]] = {"": {}}
        for mode, blob_id, path in entries:
            kind = _MODE_KINDS.get(mode)
            if kind is None or kind == _DIR:
                continue  # a submodule
            parent, name = posixpath.split(path)
            self._add_dir(parent)
            self._dirs[parent][name] = (kind, blob_id)

    def _add_dir(self, directory: str) -> None:
        if directory not in self._dirs:
            self._dirs[directory] = {}
            parent, name = posixpath.split(directory)
            self._add_dir(parent)
            self._dirs[parent][name] = (_DIR, directory)

    def _listing(self, directory: str) -> dict[str, tuple[str, str]] | None:
        return self._dirs.get(directory)

    def read(self, blob_id: str) -> bytes:
        return self._read_object(blob_id)

    def _link_target(self, link_id: str) -> str:
        return self._read_object(link_id).decode("utf-8", "surrogateescape")

    def tree_id(self, path: str) -> str | None:
        return None  # the index has no tree objects; callers must not cache by it
