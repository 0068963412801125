"""The zip's entries as an LMS unpacker sees them: names, compression methods, encryption, ratios, junk
files and nested archives, and which members are safe to read."""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field

from coursebuild.inspector.report import ERROR, WARNING, Report, human_size, plural
from coursebuild.inspector.safezip import PORTABLE_METHODS, MiB, SafeZip, is_symlink, unsafe_reason

METHOD_NAMES = {9: "Deflate64", 12: "bzip2", 14: "LZMA", 93: "Zstandard", 98: "PPMd", 99: "AES-encrypted"}
OS_JUNK = {".DS_Store", "Thumbs.db", "desktop.ini"}
ARCHIVE_SUFFIXES = (".zip", ".jar", ".7z", ".rar", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".cab", ".scorm")


@dataclass
class Members:
    """Entries that are safe to consider, by name (directories and refused entries left out)."""

    files: dict[str, zipfile.ZipInfo] = field(default_factory=dict)
    readable: set[str] = field(default_factory=set)  # safe to open: not encrypted, portable method, sane ratio
    checked: set[str] = field(default_factory=set)  # already read in full (so already integrity-checked)


def check_members(safe: SafeZip, report: Report) -> Members:
    limits = safe.limits
    members = Members()
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
        reason = unsafe_reason(name)
        if reason:
            report.add(
                ERROR,
                "unsafe-path",
                f"the entry '{name}' would be unpacked outside the package folder ({reason}: zip-slip); "
                "LMSs refuse such zips",
                name,
            )
            continue
        if is_symlink(info):
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
            f"{plural(len(junk), 'file')} left by the operating system that zipped the package (e.g. '{junk[0]}': "
            "__MACOSX/, .DS_Store, Thumbs.db); harmless, but they are unpacked on the LMS too (they were not checked further)",
            junk[0],
        )
    flash = [n for n in members.files if n.lower().endswith(".swf")]
    if flash:
        report.add(
            WARNING,
            "flash-content",
            f"{plural(len(flash), 'Flash file')} (e.g. '{flash[0]}'): no current browser plays Flash, "
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
            f"'{name}' has characters that must be escaped in URLs (# ? % & : and the like); links to it break easily",
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
