"""The inspection report: findings (errors, warnings, notes), the package summary, and the text view."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ERROR, WARNING, NOTE = "error", "warning", "note"


FORMAT_LABELS = {"scorm12": "SCORM 1.2", "scorm2004": "SCORM 2004", "cmi5": "cmi5", "xapi": "xAPI (TinCan)"}
KIND_LABELS = {"scorm": "SCORM", "cmi5": "cmi5", "xapi": "TinCan"}


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
        counts = f"{plural(errors, 'error')}, {plural(warnings, 'warning')}"
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


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{int(size)} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} bytes"  # pragma: no cover


def render_text(report: Report, show_all: bool = False, per_kind: int = 10) -> str:
    lines = [f"Package   {report.package}", f"Format    {report.label}"]
    if report.root:
        lines.append(f"Root      {report.root}")
    if report.title:
        lines.append(f"Title     {report.title}")
    ids = [
        f"{k} {v if not isinstance(v, list) else ', '.join(map(str, v[:3])) + (' ...' if len(v) > 3 else '')}"
        for k, v in report.identifiers.items()
        if v not in (None, [], "")
    ]
    if ids:
        lines.append(f"IDs       {'; '.join(ids)}")
    if report.launch:
        shown = report.launch if show_all else report.launch[:per_kind]
        more = f" (and {len(report.launch) - len(shown)} more)" if len(shown) < len(report.launch) else ""
        lines.append(f"Launch    {', '.join(shown)}{more}")
    largest = f"; largest {report.largest[0]} ({human_size(report.largest[1])})" if report.largest else ""
    lines.append(
        f"Files     {report.files} ({human_size(report.total_size)} unpacked, {human_size(report.zip_size)} zipped){largest}"
    )
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
