"""Write stage: deterministic zips, written atomically.

Same input, same bytes: entries sorted, fixed timestamps and permissions, fixed compression level. A zip is
written to a temporary file in the destination folder and renamed into place only when complete, so a
failed build never leaves a partial file or removes the previous package.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from coursebuild.pipeline.cache import Memo

FIXED_TIME = (2000, 1, 1, 0, 0, 0)
_STORED_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".mp4", ".mp3", ".woff2", ".zip")
_LEVEL = 6

# Deflated members by content hash. The five formats of a course share most of their files (the page, the
# runtime, the theme), so each is deflated once per process and its bytes reused; capped so a catalogue
# build does not keep every course's page.
_deflated: dict[bytes, bytes] = {}
_deflated_size = 0
_DEFLATED_CAP = 64 * 1024 * 1024


def _deflate(data: bytes, store: Memo | None = None) -> bytes:
    """Raw deflate of `data` exactly as zipfile makes it (compressobj(level, DEFLATED, -15), then flush);
    from this process's memo, or from `store` (the build cache) when an earlier build deflated the same bytes."""
    global _deflated_size
    digest = hashlib.sha256(data).digest()
    found = _deflated.get(digest)
    if found is None:
        key = store.key("deflated", _LEVEL, digest.hex()) if store is not None else ""
        stored = store.get(key) if store is not None else None
        if isinstance(stored, bytes):
            found = stored
        else:
            compressor = zlib.compressobj(_LEVEL, zlib.DEFLATED, -15)
            found = compressor.compress(data) + compressor.flush()
        if store is not None:
            store.put(key, found)
        if _deflated_size + len(found) > _DEFLATED_CAP:
            _deflated.clear()
            _deflated_size = 0
        _deflated[digest] = found
        _deflated_size += len(found)
    elif store is not None:
        store.put(store.key("deflated", _LEVEL, digest.hex()), found)  # keep it for the next build
    return found


class _Deflated:
    """Stands in for zipfile's compressor for one member, handing over bytes deflated already."""

    def __init__(self, data: bytes):
        self._data = data

    def compress(self, _chunk: bytes) -> bytes:
        data, self._data = self._data, b""
        return data

    def flush(self) -> bytes:
        return b""


def zip_bytes(files: dict[str, bytes], store: Memo | None = None) -> bytes:
    """The deterministic zip of `files`; with `store`, members deflated by an earlier build are reused."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.create_system = 3
            if name.lower().endswith(_STORED_SUFFIXES):
                info.compress_type = zipfile.ZIP_STORED
                archive.writestr(info, files[name])
                continue
            info.compress_type = zipfile.ZIP_DEFLATED
            _write_deflated(archive, info, files[name], store)
    return buffer.getvalue()


def _write_deflated(archive: zipfile.ZipFile, info: zipfile.ZipInfo, data: bytes, store: Memo | None) -> None:
    """writestr, with the deflate done by `_deflate` (memoised); the bytes are the ones zipfile would write."""
    original = getattr(zipfile, "_get_compressor", None)
    if original is None or not data:  # another zipfile layout, or nothing to deflate: let zipfile do it
        archive.writestr(info, data, compresslevel=_LEVEL)
        return
    deflated = _deflate(data, store)
    zipfile._get_compressor = lambda compress_type, compresslevel=None: _Deflated(deflated)  # type: ignore[attr-defined]
    try:
        archive.writestr(info, data, compresslevel=_LEVEL)
    finally:
        zipfile._get_compressor = original  # type: ignore[attr-defined]


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
