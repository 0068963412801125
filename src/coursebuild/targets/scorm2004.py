"""SCORM 2004 4th edition: separate completion and success, larger suspend data."""

from __future__ import annotations

from coursebuild.standards.scorm import SCORM2004
from coursebuild.targets import register
from coursebuild.targets.scorm import ScormTarget


@register
class Scorm2004Target(ScormTarget):
    name = "scorm2004"
    description = "SCORM 2004 4th edition package (single SCO)"
    version = SCORM2004
