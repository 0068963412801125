"""What the content loads and carries: references to other origins (scripts, frames, data), relative
links to files that are not in the package, and credentials left in HTML, CSS, JavaScript or JSON."""

from __future__ import annotations

import base64
import binascii
import posixpath
import re
from collections.abc import Callable
from urllib.parse import unquote, urlsplit

from coursebuild.inspector.members import Members
from coursebuild.inspector.report import ERROR, NOTE, WARNING, Report, human_size, plural
from coursebuild.inspector.safezip import SafeZip, Unreadable

HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".svg")
CSS_SUFFIXES = (".css",)
JS_SUFFIXES = (".js", ".mjs", ".cjs")
DATA_SUFFIXES = (".json",)
_ATTR = re.compile(r"""([^\s"'<>/=]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")


# Every pattern is bounded so that hostile text cannot make the scan slow (no unbounded backtracking).
_TAG = re.compile(
    r"<(script|link|iframe|frame|img|audio|video|source|track|embed|object|image|use|a|area|base)\b([^<>]{0,4000})>",
    re.I,
)
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
        return text.endswith(word) and not (
            len(text) > len(word) and (text[-len(word) - 1].isalnum() or text[-len(word) - 1] in "_$")
        )

    if ends_with_word(before, "from") or ends_with_word(bare, "import") or ends_with_word(bare, "importScripts"):
        return "script"
    if before.endswith("=") and before[:-1].rstrip().endswith(".src"):
        return "resource"
    if before.endswith("(") and (
        ends_with_word(bare, "fetch")
        or any(ends_with_word(bare, "new " + c) for c in ("WebSocket", "EventSource", "Worker"))
    ):
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


_KIND_WORDS = {
    "script": "a script",
    "stylesheet": "a stylesheet",
    "frame": "a frame",
    "request": "data",
    "resource": "a resource",
}
_SECRET_KEYS = r"password|passwd|pwd|secret|client_secret|api_?key|apikey|lrs_?key|lrs_?secret|access_?token|auth_?token|bearer_?token"


# (pattern, what it found, words one of which the file must contain for the pattern to be worth running)
_CREDENTIALS: list[tuple[re.Pattern[str], str, str]] = [
    (
        re.compile(r"""["'`]Basic\s{1,10}([A-Za-z0-9+/]{8,1000}={0,2})["'`]"""),
        "an HTTP Basic authorization header",
        "basic",
    ),
    (
        re.compile(rf"""(?i)\b({_SECRET_KEYS})["']?\s{{0,20}}[:=]\s{{0,20}}["'`]([^"'`\s]{{3,500}})["'`]"""),
        "a '{key}' value",
        "pass|pwd|secret|key|token",
    ),
    (
        re.compile(
            r"""\b(?:btoa|toBase64|Base64\.encode)\(\s{0,20}["'`]([^"'`:\s]{1,200}:[^"'`\s]{1,200})["'`]\s{0,20}\)"""
        ),
        "a user:password pair being encoded",
        "btoa|base64",
    ),
    (
        re.compile(r"""\bhttps?://([^/\s"'`:@]{1,200}:[^/\s"'`@]{1,200})@[\w.-]+"""),
        "a URL with a user name and password",
        "@",
    ),
    (
        re.compile(r"""(?i)\b(?:username|user)["']?\s{0,20}[:=]\s{0,20}["'`]([^"'`\s]{3,200})["'`]"""),
        "an LRS user name beside an endpoint",
        "endpoint",
    ),
]


_PLACEHOLDER = re.compile(
    r"^(?:x+|\*+|\.+|-+|_+|null|none|undefined|changeme|password|secret|your[_-]?\w*|<[^>]*>|\{\{.*\}\}|\$\{.*\})$",
    re.I,
)


def scan_content(safe: SafeZip, members: Members, report: Report) -> None:
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
        is_html, is_css, is_js = (
            lower.endswith(HTML_SUFFIXES),
            lower.endswith(CSS_SUFFIXES),
            lower.endswith(JS_SUFFIXES),
        )
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
        except Unreadable as exc:
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
                kind = _js_load_kind(text[max(0, match.start() - 60) : match.start()])
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
            f"{plural(skipped_scan, 'text file')} were not scanned for external content: "
            f"the scan stops after {limits.max_scan_files} files or {human_size(limits.max_scan_total)}",
        )
    if skipped_verify:
        report.add(
            NOTE,
            "verify-incomplete",
            f"{plural(skipped_verify, 'file')} were not checked for damage: "
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
        effect = (
            "browsers block it inside an HTTPS LMS, so the course breaks"
            if active
            else "browsers warn about or block it inside an HTTPS LMS"
        )
        report.add(
            severity, code, f"'{path}' loads {_KIND_WORDS[kind]} over insecure {scheme} ({url}, {how}); {effect}", path
        )
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
    if (
        not value
        or value.startswith(("#", "?", "/", "\\"))
        or re.search(r"[{}$<>+\\'\"()\s]|^[A-Za-z][A-Za-z0-9+.-]*:", value)
    ):
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


def _scan_tags(
    text: str, path: str, found, report: Report, present: set[str], folded: dict[str, str], check_relative: bool
) -> None:
    if _BASE_TAG.search(text):
        check_relative = False  # <base href> changes what relative URLs mean
    for match in _TAG.finditer(text):
        tag = match.group(1).lower()
        attrs = {
            m.group(1).lower(): next(g for g in m.groups()[1:] if g is not None) for m in _ATTR.finditer(match.group(2))
        }
        if tag == "base":
            continue
        if tag == "link":
            rel = attrs.get("rel", "").lower()
            href = attrs.get("href", "")
            if "stylesheet" in rel or "import" in rel or "modulepreload" in rel or "preload" in rel:
                found(
                    "stylesheet" if "stylesheet" in rel else "script" if "modulepreload" in rel else "resource",
                    href,
                    f'<link rel="{rel}">',
                )
            elif "icon" in rel or "manifest" in rel:
                found("resource", href, f'<link rel="{rel}">')
            if (
                check_relative
                and rel
                and not {"canonical", "alternate", "dns-prefetch", "preconnect"} & set(rel.split())
            ):
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


def _scan_css(
    text: str, path: str, found, report: Report, present: set[str], folded: dict[str, str], check_relative: bool
) -> None:
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
