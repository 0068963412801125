"""Reading a zip without trusting it: entry counts and directory size checked before parsing, members
inflated in memory in chunks under per-member and per-package budgets (`Limits`), CRCs and sizes verified,
unsafe names (zip slip, drive letters, NUL) and symbolic links refused. Nothing is ever extracted."""

from __future__ import annotations

import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from coursebuild.inspector.report import human_size

# Zip compression methods every LMS unpacker handles (Java's java.util.zip knows only these two).
PORTABLE_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}
MiB = 1024 * 1024


class PackageError(Exception):
    """The file cannot be inspected at all (not a zip): a usage error, exit code 2."""


@dataclass(frozen=True)
class Limits:
    """Resource limits. The defaults suit real packages; tests pass smaller ones."""

    max_members: int = 20_000  # zip entries, checked from the end-of-central-directory record before parsing
    max_central_directory: int = 64 * MiB  # bytes of central directory zipfile would load
    max_total_size: int = 2 * 1024 * MiB  # declared uncompressed size of all members
    max_ratio: float = 200.0  # uncompressed/compressed above this ...
    ratio_min_size: int = 1 * MiB  # ... for a member bigger than this is treated as a zip bomb
    max_manifest_size: int = 8 * MiB  # imsmanifest.xml / cmi5.xml / tincan.xml
    max_schema_size: int = 2 * MiB  # each .xsd read to follow its includes
    max_scan_size: int = 4 * MiB  # bytes of one text file scanned for suspicious content
    max_scan_total: int = 64 * MiB  # bytes scanned over the whole package
    max_scan_files: int = 10_000
    max_verify_total: int = 2 * 1024 * MiB  # bytes inflated to check CRCs and sizes (time bound)
    chunk_size: int = 64 * 1024
    max_findings_per_kind: int = 1_000  # in the report, per finding code (the text view shows fewer)


class Unreadable(Exception):
    pass


class SafeZip:
    """A zip opened for reading only, never extracted.

    zipfile parses the central directory (after a pre-check of its size); member data is read straight
    from the file and inflated here in chunks, so nothing depends on the sizes the zip declares: a member
    that inflates to more than it declares is stopped one chunk past its declared size, and every member
    read is checked against its CRC."""

    def __init__(self, path: Path, limits: Limits) -> None:
        self.limits = limits
        self.scanned_bytes = 0  # text kept for content scanning
        self.inflated_bytes = 0  # everything inflated (integrity checks included)
        try:
            self._precheck(path)
            self.archive = zipfile.ZipFile(path)
        except PackageError:
            raise
        except (
            zipfile.BadZipFile,
            zipfile.LargeZipFile,
            OSError,
            ValueError,
            EOFError,
            NotImplementedError,
            struct.error,
        ) as exc:
            raise PackageError(f"{path} is not a zip file, or it is damaged ({exc})") from None
        self.stream = open(path, "rb")  # noqa: SIM115 - read for the reader's whole life; close() closes it

    def _precheck(self, path: Path) -> None:
        """Refuse an absurd central directory before zipfile loads it (zipfile reads all of it into memory)."""
        end_record = getattr(zipfile, "_EndRecData", None)  # CPython's own reader of the end record, zip64-aware
        if end_record is None:  # pragma: no cover - a Python without it: zipfile's own checks still apply
            return
        with open(path, "rb") as stream:
            record = end_record(stream)
        if record is None:
            raise PackageError(f"{path} is not a zip file")
        entries, directory_size = record[4], record[5]  # _ECD_ENTRIES_TOTAL, _ECD_SIZE
        if entries > self.limits.max_members or directory_size > self.limits.max_central_directory:
            raise TooMany(entries, directory_size if directory_size > self.limits.max_central_directory else None)

    def close(self) -> None:
        self.archive.close()
        self.stream.close()

    def read(self, info: zipfile.ZipInfo, keep: int, must_fit: bool = False) -> bytes:
        """Inflate the whole member, checking its size and CRC, and return its first `keep` bytes.

        With `must_fit`, a member bigger than `keep` is refused before anything is read. Raises
        `Unreadable` with the reason when the member is damaged or lies about its size."""
        if must_fit and info.file_size > keep:
            raise Unreadable(f"it is {human_size(info.file_size)}, more than the {human_size(keep)} this check reads")
        if info.compress_type not in PORTABLE_METHODS:
            raise Unreadable("its compression method is not supported")
        self._seek_to_data(info)
        chunk_size = self.limits.chunk_size
        inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
        kept: list[bytes] = []
        kept_size = produced = crc = 0

        def take(data: bytes) -> None:
            nonlocal kept_size, produced, crc
            produced += len(data)
            if produced > info.file_size:
                raise Unreadable(
                    f"it inflates to more than the {human_size(info.file_size)} the zip declares "
                    "(a zip bomb, or a damaged zip); reading stopped there"
                )
            crc = zlib.crc32(data, crc)
            if kept_size < keep:
                kept.append(data[: keep - kept_size])
                kept_size += len(kept[-1])

        remaining = info.compress_size
        try:
            while remaining > 0:
                raw = self.stream.read(min(chunk_size, remaining))
                if not raw:
                    raise Unreadable("the zip ends in the middle of it (truncated)")
                remaining -= len(raw)
                if inflater is None:
                    take(raw)
                    continue
                data = inflater.decompress(raw, chunk_size)
                take(data)
                while inflater.unconsumed_tail:
                    take(inflater.decompress(inflater.unconsumed_tail, chunk_size))
            if inflater is not None:
                take(inflater.flush())
                if not inflater.eof:
                    raise Unreadable("its compressed data ends too early (damaged)")
        except zlib.error as exc:
            raise Unreadable(f"its compressed data is damaged ({exc})") from None
        finally:
            self.inflated_bytes += produced
        if produced != info.file_size:
            raise Unreadable(f"it inflates to {produced} bytes, but the zip declares {info.file_size} (damaged)")
        if crc != info.CRC:
            raise Unreadable("its CRC does not match (the zip is damaged)")
        return b"".join(kept)

    def _seek_to_data(self, info: zipfile.ZipInfo) -> None:
        self.stream.seek(info.header_offset)
        header = self.stream.read(30)
        if len(header) != 30 or header[:4] != b"PK\x03\x04":
            raise Unreadable("its local header is missing (the zip is damaged)")
        name_length, extra_length = struct.unpack("<HH", header[26:30])
        name = self.stream.read(name_length)
        known = {info.orig_filename.encode("utf-8", "replace"), info.orig_filename.encode("cp437", "replace")}
        if name not in known and name.decode("utf-8", "replace") != info.filename:
            raise Unreadable(
                f"its local header names it '{name.decode('utf-8', 'replace')}': the zip's two directories disagree "
                "(a trick to show checkers one file and LMSs another)"
            )
        self.stream.seek(extra_length, 1)


class TooMany(PackageError):
    def __init__(self, entries: int, directory_size: int | None = None) -> None:
        super().__init__("too many entries")
        self.entries = entries
        self.directory_size = directory_size


def is_symlink(info: zipfile.ZipInfo) -> bool:
    # Unix file modes live in the high 16 bits (DOS-made zips leave them 0, so this is safe for every creator).
    return stat.S_ISLNK(info.external_attr >> 16)


def unsafe_reason(name: str) -> str | None:
    """Why extracting this name could write outside the LMS's package folder (zip-slip), if it could."""
    if name.startswith(("/", "\\")):
        return "it is an absolute path"
    if re.match(r"^[A-Za-z]:", name):
        return "it starts with a drive letter"
    if ".." in re.split(r"[/\\]", name):
        return "it contains '..'"
    if "\x00" in name:
        return "it contains a NUL character"
    return None
