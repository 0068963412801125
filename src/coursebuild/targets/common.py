"""Helpers every target shares."""

from __future__ import annotations

import json


def with_runtime_settings(site_files: dict[str, bytes], settings: dict[str, object]) -> dict[str, bytes]:
    """The site's files plus runtime/target.js, which tells the runtime which LMS API to look for."""
    script = "window.coursebuildTarget = " + json.dumps(settings, sort_keys=True, separators=(",", ":")) + ";\n"
    return {**site_files, "runtime/target.js": script.encode("utf-8")}
