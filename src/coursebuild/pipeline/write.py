"""Write stage: deterministic zips, written atomically.

Same input, same bytes: entries sorted, fixed timestamps and permissions, a fixed compression level for
each member (one for search indexes, one for the rest). A zip is written to a temporary file in the
destination folder and renamed into place only when complete, so a failed build never leaves a partial
file or removes the previous package.

A zip is assembled from member records: each member exactly as zipfile writes it (its local header and
deflated data, and its central directory entry), made once per name, level and content and kept in this
process and in the build's memo. Putting them together only sets each entry's offset and writes the end
record, so an edit of one lesson deflates one member, not the thousand beside it, and the bytes are
zipfile's own.
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, cast

from coursebuild.pipeline.parallel import map_shares

if TYPE_CHECKING:
    from coursebuild.pipeline.cache import Memo

FIXED_TIME = (2000, 1, 1, 0, 0, 0)
_STORED_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".mp4", ".mp3", ".woff2", ".zip")
_LEVEL = 6
# A search index is plain text, which level 6 deflates slowly (long chains of matches over the same words),
# and it is read only when a learner searches: at 5, the real courses' indexes come out 1-1.5% bigger and
# deflate 35-40% faster (about a third of the time on the 1,000-lesson benchmark course, whose made-up
# text repeats a small vocabulary).
_INDEX_LEVEL = 5
# From PKWARE's APPNOTE: where a central directory entry holds its local header's offset (4.3.12), and the
# end of central directory record (4.3.16), which zipfile writes with no comment.
_OFFSET = slice(42, 46)
_END = struct.Struct("<4s4H2LH")
_END_SIGNATURE = b"PK\x05\x06"

MemberRecord = tuple[bytes, bytes]  # (local header + data, central directory entry with offset 0)

# Member records by name, level and content hash. The five formats of a course share most of their files (the
# page, the runtime, the theme, every lesson), so each is deflated once per process; capped so that a
# catalogue build does not keep every course's members.
_members: dict[tuple[str, int, bytes], MemberRecord] = {}
_members_size = 0
_MEMBERS_CAP = 64 * 1024 * 1024


def zip_bytes(
    files: dict[str, bytes], store: Memo | None = None, workers: int = 1, indexes: frozenset[str] = frozenset()
) -> bytes:
    """The deterministic zip of `files`; with `store`, member records made by an earlier build are reused.
    With `workers` above one, the members no memo holds are deflated on that many cores. The members named
    in `indexes` (search indexes) are deflated at _INDEX_LEVEL."""
    names = sorted(files)
    levels = {name: _INDEX_LEVEL if name in indexes else _LEVEL for name in names}
    known = [_known_record(name, files[name], levels[name], store) for name in names]
    missing = [i for i, (record, _) in enumerate(known) if record is None]
    # Every other member in each share: neighbours are alike (a course's lessons, its search index, the
    # runtime), and alike members take alike time, which their sizes alone do not tell.
    missing = [*missing[0::2], *missing[1::2]]
    shares = map_shares(
        lambda share: [_make_record(names[i], files[names[i]], levels[names[i]]) for i in share], missing, workers
    )
    for i, made in zip(missing, (record for share in shares for record in share), strict=True):
        name = names[i]
        known[i] = (_remember(name, files[name], levels[name], store, made, known[i][1]), known[i][1])
    records = [cast(MemberRecord, record) for record, _ in known]
    size = sum(len(local) + len(entry) for local, entry in records)
    if len(records) >= 0xFFFF or size >= zipfile.ZIP64_LIMIT:  # zipfile would write ZIP64 records: let it
        return _zip_with_zipfile(files, levels)
    entries = []
    offset = 0
    for local, entry in records:
        entries.append(entry[: _OFFSET.start] + struct.pack("<L", offset) + entry[_OFFSET.stop :])
        offset += len(local)
    directory = b"".join(entries)
    end = _END.pack(_END_SIGNATURE, 0, 0, len(records), len(records), len(directory), offset, 0)
    return b"".join([*(local for local, _ in records), directory, end])


# The records of the latest build's files by the identity of their bytes: a course's formats share the same
# bytes objects, so each is hashed and looked up once per build, not once per format. Holding the bytes
# keeps their identity from being reused; a build for another store starts afresh.
_latest: dict[int, tuple[bytes, str, int, MemberRecord]] = {}
_latest_store: list[Memo | None] = [None]


def _known_record(name: str, data: bytes, level: int, store: Memo | None) -> tuple[MemberRecord | None, bytes]:
    """The member's record if this process or `store` made it before (else None), and the data's hash."""
    if store is None or _latest_store[0] is not store:
        _latest.clear()
        _latest_store[0] = store
    latest = _latest.get(id(data))
    if latest is not None and latest[0] is data and latest[1:3] == (name, level):
        return latest[3], b""
    digest = hashlib.sha256(data).digest()
    found = _members.get((name, level, digest))
    if found is None and store is not None:
        stored = store.get(_member_key(store, name, level, digest))
        if isinstance(stored, tuple) and len(stored) == 2 and all(isinstance(part, bytes) for part in stored):
            found = stored
    return (None if found is None else _remember(name, data, level, store, found, digest)), digest


def _member_key(store: Memo, name: str, level: int, digest: bytes) -> str:
    return store.key("zip member", level, name, digest.hex())


def _remember(
    name: str, data: bytes, level: int, store: Memo | None, record: MemberRecord, digest: bytes
) -> MemberRecord:
    """Keep `record` for the rest of this build, for this process and for the next build (in `store`)."""
    global _members_size
    if store is not None:
        store.put(_member_key(store, name, level, digest), record)
        _latest[id(data)] = (data, name, level, record)
    if (name, level, digest) not in _members:
        if _members_size + len(record[0]) > _MEMBERS_CAP:
            _members.clear()
            _members_size = 0
        _members[(name, level, digest)] = record
        _members_size += len(record[0])
    return record


def _make_record(name: str, data: bytes, level: int) -> MemberRecord:
    """The member as zipfile writes it, cut out of a zip that holds only it (nothing in a local header or a
    central directory entry depends on the other members but the entry's offset, which is 0 here)."""
    single = _zip_with_zipfile({name: data}, {name: level})
    *_, directory_size, directory_offset, _ = _END.unpack(single[-_END.size :])
    entry = single[directory_offset : directory_offset + directory_size]
    assert entry[_OFFSET] == b"\0\0\0\0" and len(single) == directory_offset + directory_size + _END.size
    return single[:directory_offset], entry


def _zip_with_zipfile(files: dict[str, bytes], levels: dict[str, int]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.create_system = 3
            stored = name.lower().endswith(_STORED_SUFFIXES)
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name], compresslevel=None if stored else levels[name])
    return buffer.getvalue()


def write_atomically(path: Path, data: bytes, durable: bool = True) -> None:
    """Write `data` to `path` through a temporary file renamed into place. `durable=False` skips the flush
    to disk, for data that is only a cache: after a power cut it may be empty, never half of another file."""
    write_stream_atomically(path, lambda stream: stream.write(data), durable)


def write_stream_atomically(path: Path, write: Callable[[IO[bytes]], object], durable: bool = True) -> None:
    """As write_atomically, with the contents written by `write(stream)`, so that they need not be held in
    memory as one bytes object first (a cache entry holding five packages)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            if durable:
                stream.flush()
                os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
