"""Inspect a course package (SCORM 1.2, SCORM 2004, cmi5 or TinCan zip) the way an LMS would on upload.

Works on any package, ours or a vendor's, and is safe on hostile zips: nothing is ever extracted. Members
are inflated in memory, in chunks, with caps per member and budgets for the whole package (`Limits`), and
only when the zip's own records say they are safe to read (no zip-slip names, no symbolic links, no
encrypted members, no suspicious compression ratios; nested archives are never opened). Declared sizes are
not trusted: a member that inflates past its declared size is stopped there, and every CRC is checked.

The manifest checks are the ones `coursebuild build` runs on its own packages (`coursebuild.standards`);
this package adds what only matters for a package from elsewhere: where the manifest sits, the zip itself,
file names, schema files at the root, and what the content loads from other origins. Its modules, in the
order an inspection runs: `safezip` (reading), `members` (the entries), `manifests` (the control document),
`content` (references and credentials), `report` (findings and the text view).

Findings are errors (an LMS would refuse the upload, or the course would break in it), warnings (it may
work, but check) or notes (information). `inspect_package` returns a `Report`; `render_text` and
`Report.to_dict` present it.

May import: `coursebuild.standards`, lxml and the standard library; no target, pipeline stage or CLI.
"""

from __future__ import annotations

from pathlib import Path

from coursebuild.inspector.content import scan_content
from coursebuild.inspector.manifests import inspect_cmi5, inspect_scorm, inspect_tincan, locate_manifest, read_manifest
from coursebuild.inspector.members import check_members
from coursebuild.inspector.report import ERROR, Report, human_size, render_text
from coursebuild.inspector.safezip import Limits, PackageError, SafeZip, TooMany

__all__ = ["Limits", "PackageError", "Report", "inspect_package", "render_text"]


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
    except TooMany as exc:
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
    members = check_members(safe, report)
    if not members.files:
        if not report.findings:
            report.add(ERROR, "empty-package", "the zip holds no files")
        return
    located = locate_manifest(members, report)
    if located is not None:
        manifest_name, kind, prefix = located
        report.root = prefix
        names = [n[len(prefix) :] for n in members.files if n.startswith(prefix)]
        manifest = read_manifest(safe, members, manifest_name, report)
        members.checked.add(manifest_name)
        if manifest is not None:
            if kind == "scorm":
                inspect_scorm(safe, members, manifest, names, prefix, report)
            elif kind == "cmi5":
                report.format = "cmi5"
                inspect_cmi5(manifest, names, prefix, report)
            else:
                report.format = "xapi"
                inspect_tincan(manifest, names, prefix, report)
    scan_content(safe, members, report)


# ---- SCORM


# ---- cmi5 and TinCan


# --------------------------------------------------------------------------------------------------------
# Content: what the HTML, CSS and JavaScript load, and what they give away


# --------------------------------------------------------------------------------------------------------
# Text report
