"""Write stage: deterministic zips, written atomically.

Same input, same bytes: entries sorted, fixed timestamps and permissions, fixed compression level. A zip is
written to a temporary file in the destination folder and renamed into place only when complete, so a
failed build never leaves a partial file or removes the previous package.
"""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from pathlib import Path

FIXED_TIME = (2000, 1, 1, 0, 0, 0)
_STORED_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".mp4", ".mp3", ".woff2", ".zip")


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.create_system = 3
            if name.lower().endswith(_STORED_SUFFIXES):
                info.compress_type = zipfile.ZIP_STORED
            else:
                info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name], compresslevel=6)
    return buffer.getvalue()


def write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
