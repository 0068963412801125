"""The build cache: a course's packages, kept by a hash of everything that went into them.

An entry's key is a SHA-256 over the coursebuild version and every file of the installed coursebuild
package (pipeline code, Markdown configuration and plugins, runtime scripts, schemas, templates), the
versions of the libraries that shape the output, every file of the course folder, every theme folder the
course could use, the requirements catalogue it is checked against, and the build options (formats,
draft, embedded LRS, project root). Any change to any of them is a different key, so a stale entry is
never used; a hit returns exactly the bytes the same build made before, so a cached build is
byte-identical to a cold one.

Only clean builds (no errors) are stored, with their warnings, which are reported again on a hit. Entries
are written to a temporary file and renamed into place, so concurrent builds never see half an entry; an
entry that cannot be read back (truncated, corrupt, from another layout) is ignored and rebuilt, never an
error. The cache is local data written by this tool: do not point `--cache-dir` at a folder others write.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import hashlib
import itertools
import json
import os
import pickle
import zlib
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel

from coursebuild import __version__
from coursebuild.pipeline.write import write_atomically, write_stream_atomically

DEFAULT_CACHE_DIR = Path(".coursebuild-cache")
_LAYOUT = "coursebuild-cache-1"
_LIBRARIES = ("markdown-it-py", "mdit-py-plugins", "jinja2", "lxml", "nh3", "pydantic", "pyyaml")
_SKIPPED_DIRS = {"__pycache__", ".git"}


class Memo(Protocol):
    """Values kept between builds by a key over what they were made from (`LessonCache` is one)."""

    def key(self, *parts: object) -> str: ...
    def get(self, key: str) -> Any | None: ...
    def put(self, key: str, value: Any) -> None: ...


def canonical(value: Any) -> str:
    """`value` (model objects, dataclasses, sets, enums...) as JSON that is the same in every process, for
    cache keys: unlike a pickle it does not depend on the iteration order of sets, which varies per process."""
    return json.dumps(_plain(value), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    if isinstance(value, dict):
        return {key if isinstance(key, str) else repr(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return sorted((_plain(item) for item in value), key=repr)
    if isinstance(value, BaseModel):  # pydantic's JSON follows field order; our models hold no sets
        return {"__model__": type(value).__name__, "json": value.model_dump_json()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"__dataclass__": type(value).__name__, **fields}
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"no canonical form for {type(value).__name__}")


def hash_tree(digest: Any, folder: Path, label: str) -> None:
    """Feed every file under `folder` (relative path and contents) into `digest`, in a fixed order."""
    digest.update(f"\0tree\0{label}\0".encode())
    if not folder.is_dir():
        digest.update(b"\0absent\0")
        return
    for relative, path in sorted(_files_under(os.fspath(folder), ())):
        with open(path, "rb") as stream:
            data = stream.read()
        digest.update(f"\0file\0{'/'.join(relative)}\0{len(data)}\0".encode())
        digest.update(data)


def _files_under(folder: str, prefix: tuple[str, ...]) -> list[tuple[tuple[str, ...], str]]:
    """Every file under `folder` as (its path's parts, its path), as `Path.rglob` finds them (links to files
    followed, links to folders not) but with one scandir per folder instead of a stat per path: a course of
    a thousand lessons is hashed before every build."""
    found: list[tuple[tuple[str, ...], str]] = []
    try:
        entries = list(os.scandir(folder))
    except PermissionError:  # as rglob: a folder that cannot be listed is passed over
        return found
    for entry in entries:
        if entry.name in _SKIPPED_DIRS:
            continue
        relative = (*prefix, entry.name)
        if entry.is_dir(follow_symlinks=False):
            found.extend(_files_under(entry.path, relative))
        elif os.path.splitext(entry.name)[1] != ".pyc" and entry.is_file():
            found.append((relative, entry.path))
    return found


@lru_cache(maxsize=1)
def tool_fingerprint() -> str:
    """A hash of this coursebuild (its version and every file it ships) and the libraries that shape output."""
    # zlib's version too: cached zip members must be the bytes this zlib would make.
    digest = hashlib.sha256(f"{_LAYOUT}\0{__version__}\0{zlib.ZLIB_RUNTIME_VERSION}".encode())
    hash_tree(digest, Path(__file__).resolve().parent.parent, "coursebuild")
    for name in _LIBRARIES:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "absent"
        digest.update(f"\0lib\0{name}\0{version}".encode())
    return digest.hexdigest()


def build_key(course_root: Path, theme_folders: list[Path], catalogue: Path | None, options: tuple[Any, ...]) -> str:
    """The cache key of one course build: a hash of all its inputs (see the module docstring)."""
    digest = hashlib.sha256(tool_fingerprint().encode())
    digest.update(repr(options).encode())
    hash_tree(digest, course_root, "course")
    for folder in theme_folders:
        hash_tree(digest, folder, str(folder))
    digest.update(f"\0catalogue\0{catalogue}\0".encode())
    if catalogue is not None and catalogue.is_file():
        digest.update(catalogue.read_bytes())
    return digest.hexdigest()


class BuildCache:
    """Entries under `folder`, one file per key; every failure to read one is a miss."""

    def __init__(self, folder: Path):
        self.folder = folder

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.pickle"

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            with open(self._path(key), "rb") as stream:
                entry = pickle.load(stream)
        except Exception:  # absent, truncated, corrupt or written by another layout: rebuild
            return None
        if not isinstance(entry, dict) or entry.get("layout") != _LAYOUT or entry.get("key") != key:
            return None
        return entry

    def put(self, key: str, entry: dict[str, Any], slot: str) -> None:
        """Store an entry atomically, replacing the one stored before for the same `slot` (one course built
        with the same options), so the cache holds one entry per course and option set instead of one per
        edit. A cache that cannot be written only costs speed, so errors are ignored."""
        _store(self._path(key), {**entry, "layout": _LAYOUT, "key": key})
        slot_file = self.folder / "slots" / hashlib.sha256(slot.encode()).hexdigest()
        try:
            previous = slot_file.read_text(encoding="ascii").strip()
        except OSError:
            previous = ""
        try:
            write_atomically(slot_file, key.encode("ascii"))
            if previous and previous != key and len(previous) == 64 and previous.isalnum():
                self._path(previous).unlink(missing_ok=True)
        except OSError:
            pass


def _store(path: Path, value: Any) -> None:
    """Pickle `value` to `path` atomically (temporary file, then rename); a cache that cannot be written
    only costs speed, so failures are ignored."""
    with contextlib.suppress(Exception):
        write_stream_atomically(
            path, lambda stream: pickle.dump(value, stream, protocol=pickle.HIGHEST_PROTOCOL), durable=False
        )


def _tree_listing(folder: Path) -> str:
    """Every path under `folder` (what the parse stage's existence and spelling checks can see)."""
    entries: list[str] = []
    _list_into(entries, os.fspath(folder), "")
    return "\n".join(sorted(entries))


def _list_into(entries: list[str], folder: str, prefix: str) -> None:
    # scandir's entries know their type without a stat per file (is_dir follows links, as os.walk does).
    try:
        scanned = list(os.scandir(folder))
    except OSError:
        return
    for entry in scanned:
        is_link = entry.is_symlink()
        is_dir = entry.is_dir()
        target = os.readlink(entry.path) if is_link else ""
        entries.append(f"{prefix}{entry.name}\0{'d' if is_dir else 'f'}\0{target}")
        if is_dir and not is_link:
            _list_into(entries, entry.path, f"{prefix}{entry.name}/")


class LessonCache:
    """Parsed lessons of one course (Markdown -> HTML parts, questions, headings, problems) by a hash of
    the lesson's text, its place, the course folder's listing and this coursebuild.

    A lesson's parse depends on its own text and on which files exist in the course (image and link
    checks), so the listing is part of every key: adding or renaming any file re-parses every lesson. The
    entries this build used are kept in one folder per course, in shards by the key's first two hex digits;
    after a build only the shards whose keys changed are rewritten (atomically), so editing one lesson of a
    large course writes a few small files instead of the whole cache.
    """

    def __init__(
        self, folder: Path | None, course_root: Path, project_root: Path | None, kept: dict[str, bytes] | None = None
    ):
        """Entries from `folder`, or with no folder only in memory: `kept` (another cache's `used`), and nothing
        is written."""
        root = course_root.resolve()
        self.folder = folder
        self.path = folder / "lessons" / hashlib.sha256(str(root).encode()).hexdigest() if folder else None
        self.listing = _tree_listing(course_root)
        context = hashlib.sha256(tool_fingerprint().encode())
        context.update(f"\0{root}\0{course_root}\0{project_root}\0".encode())
        context.update(self.listing.encode())
        self.context = context.digest()
        self._old: dict[str, bytes] = dict(kept or {})
        self._new: dict[str, bytes] = {}
        self._stored: dict[str, set[str]] = {}  # shard name -> the keys its file holds
        if self.path is not None:
            self._load_shards(self.path)

    def _load_shards(self, path: Path) -> None:
        for file in sorted(path.glob("*.pickle")):  # none when the folder is absent
            try:
                with open(file, "rb") as stream:
                    loaded = pickle.load(stream)
            except Exception:  # unreadable: its entries are rebuilt and the shard written again
                continue
            if isinstance(loaded, dict) and loaded.get("layout") == _LAYOUT and isinstance(loaded.get("entries"), dict):
                self._old.update(loaded["entries"])
                self._stored[file.stem] = set(loaded["entries"])

    @property
    def used(self) -> dict[str, bytes]:
        """The entries this build has looked up or stored."""
        return self._new

    def key(self, *parts: object) -> str:
        digest = hashlib.sha256(self.context)
        for part in parts:
            # Strings (often long: texts, canonical forms) go in as they are, each after its length.
            data = part.encode() if isinstance(part, str) else repr(part).encode()
            digest.update(b"%d%s\0" % (len(data), b"s" if isinstance(part, str) else b"r"))
            digest.update(data)
        return digest.hexdigest()

    def get(self, key: str) -> Any | None:
        data = self._old.get(key)
        if not isinstance(data, bytes):
            return None
        try:
            value = pickle.loads(data)
        except Exception:
            return None
        self._new[key] = data
        return value

    def holds(self, key: str) -> bool:
        return isinstance(self._old.get(key), bytes)

    def mark(self) -> int:
        """A point in this build's entries, for `since`."""
        return len(self._new)

    def since(self, mark: int) -> dict[str, bytes]:
        """The entries this build looked up or stored after `mark` (a later lookup of an entry already used
        does not count again)."""
        return dict(itertools.islice(self._new.items(), mark, None))

    def adopt(self, entries: dict[str, bytes]) -> None:
        """Count `entries` (another process's `since`) as used by this build."""
        self._new.update(entries)

    def put(self, key: str, value: Any) -> None:
        """Keep `value` as it is now (it is pickled at once, so later changes to it are not stored)."""
        with contextlib.suppress(Exception):  # an unpicklable value is only not cached
            self._new[key] = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)

    def save(self) -> None:
        """Rewrite the shards whose keys differ from what their files hold, and remove the shards no entry
        of this build is in."""
        if self.path is None:
            return
        shards: dict[str, dict[str, bytes]] = {}
        for key, data in self._new.items():
            shards.setdefault(_shard_of(key), {})[key] = data
        for name, entries in shards.items():
            if self._stored.get(name) != entries.keys():
                _store(self.path / f"{name}.pickle", {"layout": _LAYOUT, "entries": entries})
        for name in self._stored.keys() - shards.keys():
            with contextlib.suppress(OSError):
                (self.path / f"{name}.pickle").unlink()
        with contextlib.suppress(OSError):  # the whole cache in one file, as coursebuild kept it before the shards
            self.path.with_name(f"{self.path.name}.pickle").unlink(missing_ok=True)
        self._stored = {name: set(entries) for name, entries in shards.items()}


def _shard_of(key: str) -> str:
    # Keys are hex digests, so the first two digits spread them evenly over 256 shards.
    return key[:2] if len(key) >= 2 and key[:2].isalnum() else "other"
