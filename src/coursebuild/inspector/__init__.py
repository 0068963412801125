"""Inspect a course package (SCORM 1.2, SCORM 2004, cmi5 or TinCan zip) the way an LMS would on upload.

Works on any package, ours or a vendor's, and is safe on hostile zips: nothing is ever extracted. Members
are inflated in memory, in chunks, with caps per member and budgets for the whole package (`Limits`), and
only when the zip's own records say they are safe to read (no zip-slip names, no symbolic links, no
encrypted members, no suspicious compression ratios; nested archives are never opened). Declared sizes are
not trusted: a member that inflates past its declared size is stopped there, and every CRC is checked.

The manifest checks are the ones `coursebuild build` runs on its own packages (targets/scorm.py, cmi5.py,
xapi.py); this module adds what only matters for a package from elsewhere: where the manifest sits, the
zip itself, file names, schema files at the root, and what the content loads from other origins.

Findings are errors (an LMS would refuse the upload, or the course would break in it), warnings (it may
work, but check) or notes (information). `inspect_package` returns a `Report`; `render_text` and
`Report.to_dict` present it.
"""

from __future__ import annotations

import base64
import binascii
import posixpath
import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from lxml import etree

from coursebuild.targets.cmi5 import NS as CMI5_NS
from coursebuild.targets.cmi5 import check_cmi5_package
from coursebuild.targets.scorm import IMSSS, SCORM12, SCORM2004, ScormVersion, check_scorm_package, detect_scorm_version
from coursebuild.targets.xapi import NS as TINCAN_NS
from coursebuild.targets.xapi import check_tincan_package

MiB = 1024 * 1024
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSD = "http://www.w3.org/2001/XMLSchema"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
IMSMD_12 = "http://www.imsglobal.org/xsd/imsmd_rootv1p2p1"

ERROR, WARNING, NOTE = "error", "warning", "note"
FORMAT_LABELS = {"scorm12": "SCORM 1.2", "scorm2004": "SCORM 2004", "cmi5": "cmi5", "xapi": "xAPI (TinCan)"}
MANIFESTS = {"imsmanifest.xml": "scorm", "cmi5.xml": "cmi5", "tincan.xml": "xapi"}
KIND_LABELS = {"scorm": "SCORM", "cmi5": "cmi5", "xapi": "TinCan"}
# Zip compression methods every LMS unpacker handles (Java's java.util.zip knows only these two).
PORTABLE_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}
METHOD_NAMES = {9: "Deflate64", 12: "bzip2", 14: "LZMA", 93: "Zstandard", 98: "PPMd", 99: "AES-encrypted"}
OS_JUNK = {".DS_Store", "Thumbs.db", "desktop.ini"}
ARCHIVE_SUFFIXES = (".zip", ".jar", ".7z", ".rar", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".cab", ".scorm")
HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".svg")
CSS_SUFFIXES = (".css",)
JS_SUFFIXES = (".js", ".mjs", ".cjs")
DATA_SUFFIXES = (".json",)


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


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    message: str
    path: str | None = None

    def to_dict(self) -> dict[str, str]:
        result = {"code": self.code, "message": self.message}
        if self.path is not None:
            result["path"] = self.path
        return result


@dataclass
class Report:
    package: str
    format: str | None = None  # scorm12 | scorm2004 | cmi5 | xapi, or None when not recognised
    version: str | None = None  # SCORM: the manifest's <schemaversion>
    title: str | None = None
    identifiers: dict[str, Any] = field(default_factory=dict)
    launch: list[str] = field(default_factory=list)
    root: str = ""  # folder inside the zip that holds the manifest ("" = the zip root)
    files: int = 0
    zip_size: int = 0
    total_size: int = 0
    largest: tuple[str, int] | None = None
    findings: list[Finding] = field(default_factory=list)
    _counts: dict[str, int] = field(default_factory=dict, repr=False)
    _limit: int = 1_000

    def add(self, severity: str, code: str, message: str, path: str | None = None) -> None:
        count = self._counts.get(code, 0) + 1
        self._counts[code] = count
        if count <= self._limit:
            self.findings.append(Finding(code, severity, message, path))
        elif count == self._limit + 1:
            self.findings.append(Finding(code, severity, f"more '{code}' findings were left out of this report"))

    def full(self, code: str) -> bool:
        """True once `code` has as many findings as the report keeps (callers can stop looking)."""
        return self._counts.get(code, 0) >= self._limit

    def _of(self, severity: str) -> list[Finding]:
        return [f for f in self.findings if f.severity == severity]

    @property
    def errors(self) -> list[Finding]:
        return self._of(ERROR)

    @property
    def warnings(self) -> list[Finding]:
        return self._of(WARNING)

    @property
    def notes(self) -> list[Finding]:
        return self._of(NOTE)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def label(self) -> str:
        if self.format is None:
            return "not recognised"
        label = FORMAT_LABELS[self.format]
        if self.format == "scorm2004" and self.version and self.version.startswith("2004 "):
            return f"SCORM {self.version}"
        if self.format.startswith("scorm") and self.version and self.version != "1.2":
            return f"{label} (schemaversion '{self.version}')"
        return label

    def verdict(self) -> str:
        errors, warnings = len(self.errors), len(self.warnings)
        counts = f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}"
        if errors:
            return f"FAIL ({counts}): an LMS would refuse this package, or the course would break in it."
        if warnings:
            return f"PASS with warnings ({counts}): it should upload; review the warnings."
        return f"PASS ({counts}): ready to upload."

    def to_dict(self) -> dict[str, Any]:
        return {
            "package": self.package,
            "ok": self.ok,
            "format": self.format,
            "version": self.version,
            "title": self.title,
            "identifiers": self.identifiers,
            "launch": self.launch,
            "root": self.root,
            "files": self.files,
            "size": {
                "zip": self.zip_size,
                "uncompressed": self.total_size,
                "largest": {"path": self.largest[0], "size": self.largest[1]} if self.largest else None,
            },
            "errors": [f.to_dict() for f in self.errors],
            "warnings": [f.to_dict() for f in self.warnings],
            "notes": [f.to_dict() for f in self.notes],
        }


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{int(size)} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} bytes"  # pragma: no cover


# --------------------------------------------------------------------------------------------------------
# Reading the zip safely


class _Unreadable(Exception):
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
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError, struct.error) as exc:
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
            raise _TooMany(entries, directory_size if directory_size > self.limits.max_central_directory else None)

    def close(self) -> None:
        self.archive.close()
        self.stream.close()

    def read(self, info: zipfile.ZipInfo, keep: int, must_fit: bool = False) -> bytes:
        """Inflate the whole member, checking its size and CRC, and return its first `keep` bytes.

        With `must_fit`, a member bigger than `keep` is refused before anything is read. Raises
        `_Unreadable` with the reason when the member is damaged or lies about its size."""
        if must_fit and info.file_size > keep:
            raise _Unreadable(f"it is {human_size(info.file_size)}, more than the {human_size(keep)} this check reads")
        if info.compress_type not in PORTABLE_METHODS:
            raise _Unreadable("its compression method is not supported")
        self._seek_to_data(info)
        chunk_size = self.limits.chunk_size
        inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
        kept: list[bytes] = []
        kept_size = produced = crc = 0

        def take(data: bytes) -> None:
            nonlocal kept_size, produced, crc
            produced += len(data)
            if produced > info.file_size:
                raise _Unreadable(
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
                    raise _Unreadable("the zip ends in the middle of it (truncated)")
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
                    raise _Unreadable("its compressed data ends too early (damaged)")
        except zlib.error as exc:
            raise _Unreadable(f"its compressed data is damaged ({exc})") from None
        finally:
            self.inflated_bytes += produced
        if produced != info.file_size:
            raise _Unreadable(f"it inflates to {produced} bytes, but the zip declares {info.file_size} (damaged)")
        if crc != info.CRC:
            raise _Unreadable("its CRC does not match (the zip is damaged)")
        return b"".join(kept)

    def _seek_to_data(self, info: zipfile.ZipInfo) -> None:
        self.stream.seek(info.header_offset)
        header = self.stream.read(30)
        if len(header) != 30 or header[:4] != b"PK\x03\x04":
            raise _Unreadable("its local header is missing (the zip is damaged)")
        name_length, extra_length = struct.unpack("<HH", header[26:30])
        name = self.stream.read(name_length)
        known = {info.orig_filename.encode("utf-8", "replace"), info.orig_filename.encode("cp437", "replace")}
        if name not in known and name.decode("utf-8", "replace") != info.filename:
            raise _Unreadable(
                f"its local header names it '{name.decode('utf-8', 'replace')}': the zip's two directories disagree "
                "(a trick to show checkers one file and LMSs another)"
            )
        self.stream.seek(extra_length, 1)


class _TooMany(PackageError):
    def __init__(self, entries: int, directory_size: int | None = None) -> None:
        super().__init__("too many entries")
        self.entries = entries
        self.directory_size = directory_size


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    # Unix file modes live in the high 16 bits (DOS-made zips leave them 0, so this is safe for every creator).
    return stat.S_ISLNK(info.external_attr >> 16)


def _unsafe_reason(name: str) -> str | None:
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


# --------------------------------------------------------------------------------------------------------
# The inspection


@dataclass
class _Members:
    """Entries that are safe to consider, by name (directories and refused entries left out)."""

    files: dict[str, zipfile.ZipInfo] = field(default_factory=dict)
    readable: set[str] = field(default_factory=set)  # safe to open: not encrypted, portable method, sane ratio
    checked: set[str] = field(default_factory=set)  # already read in full (so already integrity-checked)


def inspect_package(path: Path | str, limits: Limits | None = None) -> Report:
    """Inspect a package zip. Raises PackageError if the file is not a zip at all."""
    path = Path(path)
    limits = limits or Limits()
    report = Report(package=str(path), _limit=limits.max_findings_per_kind)
    try:
        report.zip_size = path.stat().st_size
    except OSError as exc:
        raise PackageError(f"cannot read {path}: {exc}") from None
    try:
        safe = SafeZip(path, limits)
    except _TooMany as exc:
        detail = f" and a {human_size(exc.directory_size)} central directory" if exc.directory_size else ""
        report.add(
            ERROR,
            "too-many-files",
            f"the zip declares {exc.entries} entries{detail}; this check stops at {limits.max_members} entries "
            f"and {human_size(limits.max_central_directory)} of directory (LMSs refuse such packages, or time out on them)",
        )
        return report
    try:
        _inspect(safe, report)
    finally:
        safe.close()
    return report


def _inspect(safe: SafeZip, report: Report) -> None:
    members = _check_members(safe, report)
    if not members.files:
        if not report.findings:
            report.add(ERROR, "empty-package", "the zip holds no files")
        return
    located = _locate_manifest(members, report)
    if located is not None:
        manifest_name, kind, prefix = located
        report.root = prefix
        names = [n[len(prefix):] for n in members.files if n.startswith(prefix)]
        manifest = _read_manifest(safe, members, manifest_name, report)
        members.checked.add(manifest_name)
        if manifest is not None:
            if kind == "scorm":
                _inspect_scorm(safe, members, manifest, names, prefix, report)
            elif kind == "cmi5":
                report.format = "cmi5"
                _inspect_cmi5(manifest, names, prefix, report)
            else:
                report.format = "xapi"
                _inspect_tincan(manifest, names, prefix, report)
    _scan_content(safe, members, report)


def _check_members(safe: SafeZip, report: Report) -> _Members:
    limits = safe.limits
    members = _Members()
    seen: set[str] = set()
    offsets: dict[int, str] = {}
    folded: dict[str, str] = {}
    junk: list[str] = []
    infos = safe.archive.infolist()
    entries = [info for info in infos if not info.is_dir()]
    report.files = len(entries)
    report.total_size = total = sum(info.file_size for info in entries)
    if entries:
        biggest = max(entries, key=lambda info: info.file_size)
        report.largest = (biggest.filename, biggest.file_size)
    for info in infos:
        name = info.filename
        if name in seen:
            report.add(
                ERROR,
                "duplicate-name",
                f"the zip has more than one entry named '{name}'; which one an LMS unpacks is unpredictable",
                name,
            )
            continue
        seen.add(name)
        if info.header_offset in offsets and info.compress_size > 0:
            report.add(
                ERROR,
                "zip-bomb",
                f"'{name}' shares its data with '{offsets[info.header_offset]}' (overlapping entries: "
                "a zip-bomb technique)",
                name,
            )
            continue
        offsets[info.header_offset] = name
        reason = _unsafe_reason(name)
        if reason:
            report.add(
                ERROR,
                "unsafe-path",
                f"the entry '{name}' would be unpacked outside the package folder ({reason}: zip-slip); "
                "LMSs refuse such zips",
                name,
            )
            continue
        if _is_symlink(info):
            report.add(
                ERROR,
                "symlink",
                f"'{name}' is a symbolic link; LMSs refuse or drop links, "
                "and a link can point anywhere on the server (it was not followed)",
                name,
            )
            continue
        if "\\" in name:
            report.add(
                ERROR,
                "backslash-in-name",
                f"'{name}' uses '\\' as a folder separator; "
                "on the LMS it unpacks as one oddly named file (re-zip with a tool that writes '/')",
                name,
            )
            continue
        if info.is_dir():
            continue
        if name.startswith("__MACOSX/") or posixpath.basename(name) in OS_JUNK:
            junk.append(name)
            continue
        members.files[name] = info
        _check_name(info, report)
        other = folded.setdefault(name.lower(), name)
        if other != name:
            report.add(
                WARNING,
                "case-collision",
                f"'{name}' and '{other}' differ only in case; on a case-insensitive server one overwrites the other",
                name,
            )
        readable = True
        if info.flag_bits & 0x1:
            report.add(
                ERROR,
                "encrypted-file",
                f"'{name}' is encrypted (password-protected); an LMS cannot unpack it",
                name,
            )
            readable = False
        elif info.compress_type not in PORTABLE_METHODS:
            method = METHOD_NAMES.get(info.compress_type, f"method {info.compress_type}")
            report.add(
                ERROR,
                "compression-method",
                f"'{name}' is compressed with {method}; "
                "many LMSs can only unpack stored or deflate entries (re-zip with standard settings)",
                name,
            )
            readable = False
        elif info.file_size > limits.ratio_min_size and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            ratio = info.file_size / max(info.compress_size, 1)
            report.add(
                ERROR,
                "zip-bomb",
                f"'{name}' would unpack from {human_size(info.compress_size)} to {human_size(info.file_size)} "
                f"(ratio {ratio:.0f}:1, limit {limits.max_ratio:.0f}:1): a zip bomb, or content an LMS should not be asked to unpack; it was not read",
                name,
            )
            readable = False
        if name.lower().endswith(ARCHIVE_SUFFIXES):
            report.add(
                WARNING,
                "nested-archive",
                f"'{name}' is an archive inside the package; LMSs do not unpack it, and it was not opened",
                name,
            )
        if readable:
            members.readable.add(name)
    if junk:
        report.add(
            WARNING,
            "os-junk",
            f"{_plural(len(junk), 'file')} left by the operating system that zipped the package (e.g. '{junk[0]}': "
            "__MACOSX/, .DS_Store, Thumbs.db); harmless, but they are unpacked on the LMS too (they were not checked further)",
            junk[0],
        )
    flash = [n for n in members.files if n.lower().endswith(".swf")]
    if flash:
        report.add(
            WARNING,
            "flash-content",
            f"{_plural(len(flash), 'Flash file')} (e.g. '{flash[0]}'): no current browser plays Flash, "
            "so any part of the course that needs it is broken",
            flash[0],
        )
    if total > limits.max_total_size:
        report.add(
            ERROR,
            "too-large",
            f"the files unpack to {human_size(total)}, more than {human_size(limits.max_total_size)}; "
            "LMSs refuse packages this large",
        )
    elif report.zip_size > 100 * MiB:
        report.add(
            WARNING,
            "large-package",
            f"the zip is {human_size(report.zip_size)}; many LMSs limit uploads (often to 100-500 MB): check yours",
        )
    return members


_URL_UNSAFE = re.compile(r"[#?%&<>\"|*:;{}^`\[\]]")


def _check_name(info: zipfile.ZipInfo, report: Report) -> None:
    name = info.filename
    if " " in name:
        report.add(
            WARNING,
            "space-in-name",
            f"'{name}' has a space in its name; some LMSs and web servers mishandle spaces in URLs",
            name,
        )
    if _URL_UNSAFE.search(name) or any(ord(c) < 32 for c in name):
        report.add(
            WARNING,
            "unusual-character",
            f"'{name}' has characters that must be escaped in URLs (# ? % & : and the like); "
            "links to it break easily",
            name,
        )
    if not name.isascii() and not info.flag_bits & 0x800:
        report.add(
            WARNING,
            "name-encoding",
            f"'{name}' has non-ASCII characters but the zip does not mark its names as UTF-8; "
            "an LMS may unpack it under a different name",
            name,
        )


def _locate_manifest(members: _Members, report: Report) -> tuple[str, str, str] | None:
    """(manifest entry, kind, package root prefix) or None when the zip is not a package."""
    candidates = [(name, MANIFESTS[posixpath.basename(name).lower()]) for name in members.files if posixpath.basename(name).lower() in MANIFESTS]
    order = list(MANIFESTS.values())
    at_root = sorted((c for c in candidates if "/" not in c[0]), key=lambda c: (order.index(c[1]), c[0] not in MANIFESTS))
    if at_root:
        name, kind = at_root[0]
        expected = next(k for k, v in MANIFESTS.items() if v == kind)
        if name != expected:
            report.add(
                ERROR,
                "manifest-name",
                f"the manifest is named '{name}'; it must be exactly '{expected}' (LMS servers are case-sensitive)",
                name,
            )
        for other, other_kind in at_root[1:]:
            if other_kind != kind:
                report.add(
                    NOTE,
                    "several-manifests",
                    f"the package also has '{other}'; it was inspected as {KIND_LABELS[kind]}, as most LMSs would",
                    other,
                )
        return name, kind, ""
    if not candidates:
        nested = [n for n in members.files if n.lower().endswith(".zip")]
        hint = f" It contains {', '.join(repr(n) for n in nested[:3])}: was the package zipped twice?" if nested else ""
        if not nested and any(n.lower() in {"index.html", "index.htm"} for n in members.files):
            hint = " It looks like a plain website (such as coursebuild's web format): LMSs need a SCORM, cmi5 or TinCan export."
        report.add(
            ERROR,
            "no-manifest",
            "no imsmanifest.xml (SCORM), cmi5.xml or tincan.xml in the zip: this is not a SCORM, cmi5 or TinCan package." + hint,
        )
        return None
    name, kind = min(candidates, key=lambda c: (c[0].count("/"), order.index(c[1]), c[0]))
    prefix = name.rsplit("/", 1)[0] + "/"
    outside = [n for n in members.files if not n.startswith(prefix)]
    if kind == "xapi" and not outside:
        # TinCan allows the package root to sit under folders that have nothing else in them.
        report.add(
            NOTE,
            "package-root",
            f"tincan.xml is in '{prefix}'; TinCan treats that folder as the package root",
            name,
        )
        return name, kind, prefix
    what = posixpath.basename(name)
    report.add(
        ERROR,
        "manifest-not-at-root",
        f"{what} is in the folder '{prefix}', not at the root of the zip, so LMSs will not find it. "
        f"Zip the contents of the folder, not the folder itself (the most common upload error). "
        f"The rest of this report treats '{prefix}' as the package root.",
        name,
    )
    return name, kind, prefix


def _read_manifest(safe: SafeZip, members: _Members, name: str, report: Report) -> bytes | None:
    info = members.files[name]
    if name not in members.readable:
        report.add(ERROR, "manifest-unreadable", f"'{name}' cannot be read (see the other errors)", name)
        return None
    try:
        return safe.read(info, safe.limits.max_manifest_size, must_fit=True)
    except _Unreadable as exc:
        report.add(ERROR, "manifest-unreadable", f"'{name}' cannot be read: {exc}", name)
        return None


def _parse(data: bytes) -> etree._Element | None:
    try:
        return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False))
    except etree.XMLSyntaxError:
        return None


# Messages of the shared check functions -> (code, severity). First match wins.
_CHECK_CODES: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(r"differs only in case"), "case-mismatch", ERROR),
    (re.compile(r"not well-formed XML"), "xml-malformed", ERROR),
    (re.compile(r"schema:|root must be <tincan>"), "schema", ERROR),
    (re.compile(r"unsafe file name"), "unsafe-path", ERROR),
    (re.compile(r"is not a valid xs:ID"), "invalid-identifier", ERROR),
    (re.compile(r"is used more than once"), "duplicate-identifier", ERROR),
    (re.compile(r"not an absolute IRI"), "relative-iri", ERROR),
    (re.compile(r"launches '|AU url '|launch file '"), "missing-launch-file", ERROR),
    (re.compile(r"has no href to launch|has no identifierref|exactly one activity must have a <launch>"), "missing-launch", ERROR),
    (re.compile(r"is listed in the manifest but not in the package"), "missing-file", ERROR),
    (re.compile(r"is in the package but not listed in the manifest"), "unlisted-file", WARNING),
    (re.compile(r"organization|refers to resource|must not have an identifierref"), "broken-reference", ERROR),
]
# Where a message names a file of the package.
_CHECK_PATH = re.compile(r"launches '([^']*)'|AU url '([^']*)'|launch file '([^']*)'|^file '([^']*)'")


def _report_checks(messages: list[str], names: list[str], prefix: str, report: Report, manifest_name: str) -> None:
    folded = {n.lower(): n for n in sorted(names, reverse=True)}
    for message in messages:
        code, severity = "package-check", ERROR
        for pattern, pattern_code, pattern_severity in _CHECK_CODES:
            if pattern.search(message):
                code, severity = pattern_code, pattern_severity
                break
        named = _CHECK_PATH.search(message)
        target = next((g for g in named.groups() if g is not None), None) if named else None
        target = target.strip().split("?")[0].split("#")[0] if target else None
        path = prefix + (target if target else manifest_name)
        if code == "unlisted-file" and path.lower().endswith((".xsd", ".dtd")):
            continue  # schema support files (LOM's common/, vocab/ ...) are never listed, and need not be
        if code == "missing-launch-file" and target:
            match = folded.get(target.lower())
            if match and match != target:
                code = "case-mismatch"
                message += f" (a file '{match}' differs only in case; LMS servers are case-sensitive)"
        if code == "schema" and IMSMD_12 in message and "strict wildcard" in message:
            report.add(
                NOTE,
                "metadata-not-validated",
                "inline IMS metadata (imsmd LOM) was not validated: "
                "the SCORM 1.2 metadata schema does not load in standard validators",
                path,
            )
            continue
        if code == "unlisted-file":
            message += " (harmless for most LMSs, but a tidy package lists every file)"
        report.add(severity, code, message, path)


def _safely(check, *args) -> list[str]:
    try:
        return check(*args)
    except (ValueError, etree.LxmlError) as exc:  # hostile input the shared checks did not expect
        return [f"the manifest could not be checked: {exc}"]


def _text(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    text = " ".join("".join(element.itertext()).split())
    return text or None


# ---- SCORM


def _inspect_scorm(safe: SafeZip, members: _Members, manifest: bytes, names: list[str], prefix: str, report: Report) -> None:
    root = _parse(manifest)
    if root is None:
        report.format = None
        _report_checks(_safely(check_scorm_package, names, SCORM12, manifest), names, prefix, report, "imsmanifest.xml")
        return
    version = detect_scorm_version(manifest)
    if version is None:
        namespace = etree.QName(root).namespace
        report.add(
            ERROR,
            "unknown-manifest",
            f"imsmanifest.xml's root element is <{etree.QName(root).localname}> in namespace '{namespace}', which is neither "
            f"SCORM 1.2 ({SCORM12.cp_namespace}) nor SCORM 2004 ({SCORM2004.cp_namespace})",
            prefix + "imsmanifest.xml",
        )
        return
    report.format = version.key
    cp = {"cp": version.cp_namespace}
    report.version = _text(root.find("cp:metadata/cp:schemaversion", cp))
    if version is SCORM2004 and report.version != SCORM2004.schema_version:
        report.add(
            NOTE,
            "schema-edition",
            f"the manifest declares schemaversion '{report.version or '(none)'}'; it was validated against the SCORM 2004 4th Edition schemas, "
            "which accept conformant 2nd and 3rd Edition manifests",
            prefix + "imsmanifest.xml",
        )
    _report_checks(_safely(check_scorm_package, names, version, manifest), names, prefix, report, "imsmanifest.xml")
    _scorm_summary(root, version, report)
    _check_schema_files(safe, members, root, version, prefix, report)
    if version is SCORM2004:
        _check_delivery_controls(root, version, prefix, report)
    adlcp = version.adlcp_namespace
    wrong = "scormType" if version is SCORM12 else "scormtype"
    if any(r.get(f"{{{adlcp}}}{wrong}") is not None for r in root.iter(f"{{{version.cp_namespace}}}resource")):
        report.add(
            NOTE,
            "scorm-type-spelling",
            f"resources use adlcp:{wrong}, the spelling of the other SCORM version",
            prefix + "imsmanifest.xml",
        )


def _scorm_summary(root: etree._Element, version: ScormVersion, report: Report) -> None:
    cp = {"cp": version.cp_namespace}
    organizations = root.find("cp:organizations", cp)
    orgs = root.findall("cp:organizations/cp:organization", cp)
    default_id = organizations.get("default") if organizations is not None else None
    default = next((o for o in orgs if o.get("identifier") == default_id), orgs[0] if orgs else None)
    report.title = _text(default.find("cp:title", cp)) if default is not None else None
    report.identifiers = {"manifest": root.get("identifier"), "organization": default.get("identifier") if default is not None else None}
    resources_el = root.find("cp:resources", cp)
    base = root.get(XML_BASE, "") + (resources_el.get(XML_BASE, "") if resources_el is not None else "")
    resources = {r.get("identifier"): r for r in root.findall("cp:resources/cp:resource", cp)}
    launch: list[str] = []
    for item in default.iter(f"{{{version.cp_namespace}}}item") if default is not None else ():
        resource = resources.get(item.get("identifierref"))
        if resource is None or not resource.get("href"):
            continue
        href = base + resource.get(XML_BASE, "") + resource.get("href", "") + (item.get("parameters") or "")
        if href not in launch:
            launch.append(href)
    report.launch = launch


def _has_scheme(url: str) -> bool:
    try:
        return len(urlsplit(url).scheme) > 1
    except ValueError:
        return False


def _schema_locations(root: etree._Element) -> list[str]:
    pairs = (root.get(f"{{{XSI}}}schemaLocation") or "").split()
    return pairs[1::2]


def _check_schema_files(safe: SafeZip, members: _Members, root: etree._Element, version: ScormVersion, prefix: str, report: Report) -> None:
    """ADL RequiredFilesChecker: every schema the manifest points to, and what those include, at the root."""
    locations = [loc for loc in _schema_locations(root) if not _has_scheme(loc)]
    if not root.get(f"{{{XSI}}}schemaLocation"):
        report.add(
            WARNING,
            "no-schema-location",
            "the manifest has no xsi:schemaLocation, so LMSs that validate it cannot find its schemas",
            prefix + "imsmanifest.xml",
        )
    wanted = [(loc, "imsmanifest.xml", ERROR) for loc in locations]
    seen: set[str] = set()
    while wanted and len(seen) < 500:
        location, referrer, severity = wanted.pop(0)
        name = posixpath.normpath(posixpath.join(posixpath.dirname(referrer), unquote(location)))
        if name in seen:
            continue
        seen.add(name)
        info = members.files.get(prefix + name)
        if info is not None and referrer == "imsmanifest.xml" and "/" in name:
            report.add(
                WARNING,
                "schema-not-at-root",
                f"the schema file '{name}' is in a folder; the ADL rules want every schema the manifest uses at the package root",
                prefix + name,
            )
        if info is None:
            report.add(
                severity,
                "missing-schema-file",
                f"the schema file '{name}' (referenced by {referrer}) is not in the package; the schema files a manifest "
                "uses must be at the package root, and LMSs that validate manifests refuse the package without them",
                prefix + name,
            )
            continue
        if not name.lower().endswith(".xsd") or prefix + name not in members.readable:
            continue
        try:
            data = safe.read(info, safe.limits.max_schema_size, must_fit=True)
        except _Unreadable:
            continue  # reported by the integrity pass with the package's other damaged files
        members.checked.add(prefix + name)
        tree = _parse(data)
        if tree is None:
            continue
        for element in tree.iter(f"{{{XSD}}}include", f"{{{XSD}}}import", f"{{{XSD}}}redefine"):
            location = element.get("schemaLocation")
            if location and not _has_scheme(location):
                wanted.append((location, name, ERROR))
        system_url = tree.getroottree().docinfo.system_url
        if system_url and not _has_scheme(system_url):
            wanted.append((system_url, name, WARNING))  # a DTD: only validators that load DTDs need it


def _check_delivery_controls(root: etree._Element, version: ScormVersion, prefix: str, report: Report) -> None:
    """Standards notes 1.6 #3: without these, LMSs (SuccessFactors, SCORM Engine) may mark a SCO complete on exit."""
    cp = version.cp_namespace
    scorm_type = f"{{{version.adlcp_namespace}}}{version.scorm_type_attribute}"
    scos = {r.get("identifier") for r in root.iter(f"{{{cp}}}resource") if r.get(scorm_type) == "sco"}
    collection = {s.get("ID"): s for s in root.iter(f"{{{IMSSS}}}sequencing") if s.get("ID")}
    loose = []
    for item in root.iter(f"{{{cp}}}item"):
        if item.get("identifierref") not in scos:
            continue
        controls = None
        sequencing = item.find(f"{{{IMSSS}}}sequencing")
        for candidate in (sequencing, collection.get(sequencing.get("IDRef")) if sequencing is not None else None):
            if candidate is not None and controls is None:
                controls = candidate.find(f"{{{IMSSS}}}deliveryControls")
        if controls is None or controls.get("completionSetByContent") != "true" or controls.get("objectiveSetByContent") != "true":
            loose.append(item.get("identifier"))
    if loose:
        shown = ", ".join(repr(i) for i in loose[:5]) + (f" and {len(loose) - 5} more" if len(loose) > 5 else "")
        report.add(
            WARNING,
            "sequencing-defaults",
            f"SCO item(s) {shown} leave completionSetByContent/objectiveSetByContent at their default 'false'; "
            "some LMSs then mark the course completed or passed when the learner merely exits",
            prefix + "imsmanifest.xml",
        )


# ---- cmi5 and TinCan


def _inspect_cmi5(structure: bytes, names: list[str], prefix: str, report: Report) -> None:
    _report_checks(_safely(check_cmi5_package, names, structure), names, prefix, report, "cmi5.xml")
    root = _parse(structure)
    if root is None:
        return
    ns = {"c": CMI5_NS}
    course = root.find("c:course", ns)
    report.title = _text(course.find("c:title/c:langstring", ns)) if course is not None else None
    aus = list(root.iter(f"{{{CMI5_NS}}}au"))
    report.identifiers = {"course": course.get("id") if course is not None else None, "aus": [au.get("id") for au in aus]}
    report.launch = [(au.findtext(f"{{{CMI5_NS}}}url") or "").strip() for au in aus]


def _inspect_tincan(structure: bytes, names: list[str], prefix: str, report: Report) -> None:
    _report_checks(_safely(check_tincan_package, names, structure), names, prefix, report, "tincan.xml")
    root = _parse(structure)
    if root is None:
        return
    activities = list(root.iter(f"{{{TINCAN_NS}}}activity"))
    launching = [a for a in activities if a.find(f"{{{TINCAN_NS}}}launch") is not None]
    main = launching[0] if launching else (activities[0] if activities else None)
    report.title = _text(main.find(f"{{{TINCAN_NS}}}name")) if main is not None else None
    report.identifiers = {"activity": main.get("id") if main is not None else None, "activities": [a.get("id") for a in activities]}
    report.launch = [(a.findtext(f"{{{TINCAN_NS}}}launch") or "").strip() for a in launching]


# --------------------------------------------------------------------------------------------------------
# Content: what the HTML, CSS and JavaScript load, and what they give away

_ATTR = re.compile(r"""([^\s"'<>/=]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
# Every pattern is bounded so that hostile text cannot make the scan slow (no unbounded backtracking).
_TAG = re.compile(r"<(script|link|iframe|frame|img|audio|video|source|track|embed|object|image|use|a|area|base)\b([^<>]{0,4000})>", re.I)
_BASE_TAG = re.compile(r"<base\b", re.I)
_CSS_IMPORT = re.compile(r"""@import\s{1,100}(?:url\(\s{0,100})?["']?([^"'()\s;]{1,2048})""", re.I)
_CSS_URL = re.compile(r"""url\(\s{0,100}["']?([^"'()\s]{1,2048})["']?\s{0,100}\)""", re.I)
# JavaScript: find quoted absolute URLs first (one fast pass), then look at what comes just before them.
_JS_URL = re.compile(r"""["'`]((?:https?:|wss?:)?//[^"'`\s]{1,2048})""")
_OPEN_CALL = re.compile(r"""\.open\(\s{0,20}["'][A-Za-z]{1,10}["']\s{0,20},$""")


def _js_load_kind(before: str) -> str | None:
    """What the code just before a quoted URL does with it: 'script', 'resource', 'request' or None."""
    before = before.rstrip()
    bare = before[:-1].rstrip() if before.endswith("(") else before

    def ends_with_word(text: str, word: str) -> bool:
        return text.endswith(word) and not (len(text) > len(word) and (text[-len(word) - 1].isalnum() or text[-len(word) - 1] in "_$"))

    if ends_with_word(before, "from") or ends_with_word(bare, "import") or ends_with_word(bare, "importScripts"):
        return "script"
    if before.endswith("=") and before[:-1].rstrip().endswith(".src"):
        return "resource"
    if before.endswith("(") and (ends_with_word(bare, "fetch") or any(ends_with_word(bare, "new " + c) for c in ("WebSocket", "EventSource", "Worker"))):
        return "request"
    if before.endswith(",") and _OPEN_CALL.search(before):
        return "request"
    return None
# kind -> (code for an external https URL, is it active content that browsers block over http:)
_KINDS = {
    "script": ("external-script", True),
    "stylesheet": ("external-stylesheet", True),
    "frame": ("external-frame", True),
    "request": ("external-request", True),
    "resource": ("external-resource", False),
}
_KIND_WORDS = {"script": "a script", "stylesheet": "a stylesheet", "frame": "a frame", "request": "data", "resource": "a resource"}

_SECRET_KEYS = r"password|passwd|pwd|secret|client_secret|api_?key|apikey|lrs_?key|lrs_?secret|access_?token|auth_?token|bearer_?token"
# (pattern, what it found, words one of which the file must contain for the pattern to be worth running)
_CREDENTIALS: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(r"""["'`]Basic\s{1,10}([A-Za-z0-9+/]{8,1000}={0,2})["'`]"""), "an HTTP Basic authorization header", "basic"),
    (re.compile(rf"""(?i)\b({_SECRET_KEYS})["']?\s{{0,20}}[:=]\s{{0,20}}["'`]([^"'`\s]{{3,500}})["'`]"""), "a '{key}' value", "pass|pwd|secret|key|token"),
    (re.compile(r"""\b(?:btoa|toBase64|Base64\.encode)\(\s{0,20}["'`]([^"'`:\s]{1,200}:[^"'`\s]{1,200})["'`]\s{0,20}\)"""), "a user:password pair being encoded", "btoa|base64"),
    (re.compile(r"""\bhttps?://([^/\s"'`:@]{1,200}:[^/\s"'`@]{1,200})@[\w.-]+"""), "a URL with a user name and password", "@"),
    (re.compile(r"""(?i)\b(?:username|user)["']?\s{0,20}[:=]\s{0,20}["'`]([^"'`\s]{3,200})["'`]"""), "an LRS user name beside an endpoint", "endpoint"),
]
_PLACEHOLDER = re.compile(r"^(?:x+|\*+|\.+|-+|_+|null|none|undefined|changeme|password|secret|your[_-]?\w*|<[^>]*>|\{\{.*\}\}|\$\{.*\})$", re.I)


def _scan_content(safe: SafeZip, members: _Members, report: Report) -> None:
    """Inflate every member once (CRC and true size), keeping the start of text files to scan."""
    limits = safe.limits
    present = set(members.files)
    folded = {n.lower(): n for n in sorted(present, reverse=True)}
    seen: set[tuple[str, str, str]] = set()
    scanned = 0
    skipped_scan = skipped_verify = 0
    for name in sorted(members.readable - members.checked):
        info = members.files[name]
        lower = name.lower()
        is_html, is_css, is_js = lower.endswith(HTML_SUFFIXES), lower.endswith(CSS_SUFFIXES), lower.endswith(JS_SUFFIXES)
        is_text = is_html or is_css or is_js or lower.endswith(DATA_SUFFIXES)
        keep = 0
        if is_text:
            if scanned < limits.max_scan_files and safe.scanned_bytes < limits.max_scan_total:
                keep = min(limits.max_scan_size, limits.max_scan_total - safe.scanned_bytes)
            else:
                skipped_scan += 1
        if safe.inflated_bytes + info.file_size > limits.max_verify_total:
            skipped_verify += 1
            continue
        try:
            data = safe.read(info, keep)
        except _Unreadable as exc:
            report.add(ERROR, "corrupt-file", f"'{name}' cannot be unpacked: {exc}", name)
            continue
        if not keep:
            continue
        scanned += 1
        safe.scanned_bytes += len(data)
        if b"\x00" in data[:8192]:
            continue  # binary, whatever its name says
        if info.file_size > len(data):
            report.add(
                NOTE,
                "scan-truncated",
                f"only the first {human_size(len(data))} of '{name}' ({human_size(info.file_size)}) were scanned",
                name,
            )
        text = data.decode("utf-8", errors="replace")

        found = _url_reporter(report, seen, name)
        if is_html or is_js:
            _scan_tags(text, name, found, report, present, folded, check_relative=is_html)
            for match in _JS_URL.finditer(text):
                kind = _js_load_kind(text[max(0, match.start() - 60): match.start()])
                if kind:
                    found(kind, match.group(1), "in JavaScript")
        if is_html or is_css:
            _scan_css(text, name, found, report, present, folded, check_relative=is_css)
        if not is_css:
            _scan_credentials(text, name, report, seen)
    if skipped_scan:
        report.add(
            NOTE,
            "scan-incomplete",
            f"{_plural(skipped_scan, 'text file')} were not scanned for external content: "
            f"the scan stops after {limits.max_scan_files} files or {human_size(limits.max_scan_total)}",
        )
    if skipped_verify:
        report.add(
            NOTE,
            "verify-incomplete",
            f"{_plural(skipped_verify, 'file')} were not checked for damage: "
            f"the check stops after inflating {human_size(limits.max_verify_total)}",
        )


def _origin(url: str) -> tuple[str, str]:
    try:
        parts = urlsplit(url if "://" in url else "https:" + url if url.startswith("//") else url)
    except ValueError:
        return "", url
    return parts.scheme.lower(), parts.netloc.lower()


def _url_reporter(report: Report, seen: set, path: str) -> Callable[[str, str, str], None]:
    """found(kind, url, how) for the URLs of one member: each kind and origin is looked at once."""
    looked_at: set[tuple[str, str]] = set()

    def found(kind: str, url: str, how: str) -> None:
        key = (kind, "/".join(url.split("/", 3)[:3]))  # scheme and host, cheaply: most URLs repeat
        if key not in looked_at and len(looked_at) < 10_000:
            looked_at.add(key)
            _external(report, seen, path, kind, url, how)

    return found


def _external(report: Report, seen: set, path: str, kind: str, url: str, how: str) -> None:
    url = url.strip()
    scheme, host = _origin(url)
    if url.startswith("//"):
        scheme = ""
    elif scheme not in {"http", "https", "ws", "wss"} or not host:
        return
    code, active = _KINDS[kind]
    insecure = scheme in {"http", "ws"}
    if insecure:
        code = "mixed-content"
    key = (path, kind, scheme + "://" + host)
    if key in seen or report.full(code):
        return
    seen.add(key)
    if insecure:
        severity = ERROR if active else WARNING
        effect = "browsers block it inside an HTTPS LMS, so the course breaks" if active else "browsers warn about or block it inside an HTTPS LMS"
        report.add(severity, code, f"'{path}' loads {_KIND_WORDS[kind]} over insecure {scheme} ({url}, {how}); {effect}", path)
        return
    report.add(
        WARNING,
        code,
        f"'{path}' loads {_KIND_WORDS[kind]} from another origin, {host} ({url}, {how}); the course depends on that site, "
        "which may be blocked by the LMS or NHS network, may change, and sees learners' traffic",
        path,
    )


def _relative(report: Report, path: str, value: str, present: set[str], folded: dict[str, str]) -> None:
    """A relative link or resource in the package: must exist, with the same case."""
    value = value.strip()
    if value.startswith("/") and not value.startswith("//") and len(value) > 1:
        report.add(
            WARNING,
            "root-relative-reference",
            f"'{path}' refers to '{value}', which points at the root of the LMS's web server, not into the package",
            path,
        )
        return
    if not value or value.startswith(("#", "?", "/", "\\")) or re.search(r"[{}$<>+\\'\"()\s]|^[A-Za-z][A-Za-z0-9+.-]*:", value):
        return
    target = unquote(value.split("#")[0].split("?")[0])
    if not target or target.endswith("/"):
        return
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
    if resolved.startswith("../") or resolved == ".." or resolved in present:
        return
    match = folded.get(resolved.lower())
    if match:
        report.add(
            ERROR,
            "case-mismatch",
            f"'{path}' refers to '{value}', but the file is '{match}'; LMS servers are case-sensitive, "
            "so it will not load",
            path,
        )
    else:
        report.add(WARNING, "broken-link", f"'{path}' refers to '{value}', which is not in the package", path)


def _scan_tags(text: str, path: str, found, report: Report, present: set[str], folded: dict[str, str], check_relative: bool) -> None:
    if _BASE_TAG.search(text):
        check_relative = False  # <base href> changes what relative URLs mean
    for match in _TAG.finditer(text):
        tag = match.group(1).lower()
        attrs = {m.group(1).lower(): next(g for g in m.groups()[1:] if g is not None) for m in _ATTR.finditer(match.group(2))}
        if tag == "base":
            continue
        if tag == "link":
            rel = attrs.get("rel", "").lower()
            href = attrs.get("href", "")
            if "stylesheet" in rel or "import" in rel or "modulepreload" in rel or "preload" in rel:
                found("stylesheet" if "stylesheet" in rel else "script" if "modulepreload" in rel else "resource", href, f"<link rel=\"{rel}\">")
            elif "icon" in rel or "manifest" in rel:
                found("resource", href, f"<link rel=\"{rel}\">")
            if check_relative and rel and not {"canonical", "alternate", "dns-prefetch", "preconnect"} & set(rel.split()):
                _relative(report, path, href, present, folded)
            continue
        if tag in {"a", "area"}:
            if check_relative and "href" in attrs:
                _relative(report, path, attrs["href"], present, folded)
            continue
        kind = {"script": "script", "iframe": "frame", "frame": "frame"}.get(tag, "resource")
        for attr in ("src", "data", "poster", "href", "xlink:href"):
            value = attrs.get(attr)
            if value is None or (tag == "script" and attr not in {"src", "href", "xlink:href"}):
                continue
            found(kind, value, f"<{tag} {attr}>")
            if check_relative:
                _relative(report, path, value, present, folded)


def _scan_css(text: str, path: str, found, report: Report, present: set[str], folded: dict[str, str], check_relative: bool) -> None:
    imports = {m.start(1) for m in _CSS_IMPORT.finditer(text)}
    for match in _CSS_IMPORT.finditer(text):
        found("stylesheet", match.group(1), "CSS @import")
        if check_relative:
            _relative(report, path, match.group(1), present, folded)
    for match in _CSS_URL.finditer(text):
        if match.start(1) in imports:
            continue
        found("resource", match.group(1), "CSS url()")
        if check_relative:
            _relative(report, path, match.group(1), present, folded)


def _mask(secret: str) -> str:
    return secret[:2] + "..." if len(secret) > 4 else "..."


def _scan_credentials(text: str, path: str, report: Report, seen: set) -> None:
    lowered = text.lower()
    for pattern, what, required in _CREDENTIALS:
        if not any(word in lowered for word in required.split("|")):
            continue
        for match in pattern.finditer(text):
            groups = [g for g in match.groups() if g is not None]
            key, secret = (groups[0], groups[-1]) if len(groups) > 1 else ("", groups[-1])
            if _PLACEHOLDER.match(secret) or "." * 3 in secret:
                continue
            if what.startswith("an HTTP Basic"):
                try:
                    if b":" not in base64.b64decode(secret + "=" * (-len(secret) % 4), validate=True):
                        continue
                except (binascii.Error, ValueError):
                    continue
            if (path, "credentials", what) in seen:
                continue
            seen.add((path, "credentials", what))
            report.add(
                WARNING,
                "embedded-credentials",
                f"'{path}' appears to contain {what.format(key=key)} ('{_mask(secret)}'); anything in a package is public, "
                "so anyone could use it to write to (or read) the LRS. Credentials should come from the launch (cmi5 fetch, TinCan auth)",
                path,
            )
            break


# --------------------------------------------------------------------------------------------------------
# Text report


def render_text(report: Report, show_all: bool = False, per_kind: int = 10) -> str:
    lines = [f"Package   {report.package}", f"Format    {report.label}"]
    if report.root:
        lines.append(f"Root      {report.root}")
    if report.title:
        lines.append(f"Title     {report.title}")
    ids = [f"{k} {v if not isinstance(v, list) else ', '.join(map(str, v[:3])) + (' ...' if len(v) > 3 else '')}" for k, v in report.identifiers.items() if v not in (None, [], "")]
    if ids:
        lines.append(f"IDs       {'; '.join(ids)}")
    if report.launch:
        shown = report.launch if show_all else report.launch[:per_kind]
        more = f" (and {len(report.launch) - len(shown)} more)" if len(shown) < len(report.launch) else ""
        lines.append(f"Launch    {', '.join(shown)}{more}")
    largest = f"; largest {report.largest[0]} ({human_size(report.largest[1])})" if report.largest else ""
    lines.append(f"Files     {report.files} ({human_size(report.total_size)} unpacked, {human_size(report.zip_size)} zipped){largest}")
    for title, findings in (("Errors", report.errors), ("Warnings", report.warnings), ("Notes", report.notes)):
        if not findings:
            continue
        lines += ["", f"{title} ({len(findings)})"]
        by_code: dict[str, list[Finding]] = {}
        for finding in findings:
            by_code.setdefault(finding.code, []).append(finding)
        for code, group in by_code.items():
            lines.append(f"  {code} ({len(group)})" if len(group) > 1 else f"  {code}")
            shown_group = group if show_all else group[:per_kind]
            for finding in shown_group:
                lines.append(f"    - {finding.message}")
            if len(shown_group) < len(group):
                lines.append(f"    ... and {len(group) - len(shown_group)} more (--all or --json lists them)")
    lines += ["", report.verdict()]
    return "\n".join(lines) + "\n"
