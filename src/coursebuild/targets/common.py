"""Helpers every target shares."""

from __future__ import annotations

import json
from importlib.resources import files


def with_runtime_settings(site_files: dict[str, bytes], settings: dict[str, object]) -> dict[str, bytes]:
    """The site's files plus runtime/target.js, which tells the runtime which LMS API to look for."""
    script = "window.coursebuildTarget = " + json.dumps(settings, sort_keys=True, separators=(",", ":")) + ";\n"
    return {**site_files, "runtime/target.js": script.encode("utf-8")}


def schema_files(folder: str) -> dict[str, bytes]:
    """The schema (XSD/DTD) files shipped with coursebuild for one standard, by file name."""
    root = files("coursebuild") / "schemas" / folder
    return {entry.name: entry.read_bytes() for entry in sorted(root.iterdir(), key=lambda e: e.name) if entry.is_file()}
