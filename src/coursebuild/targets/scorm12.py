"""SCORM 1.2: the most widely supported LMS format."""

from __future__ import annotations

from coursebuild.standards.scorm import SCORM12
from coursebuild.targets import register
from coursebuild.targets.scorm import ScormTarget


@register
class Scorm12Target(ScormTarget):
    name = "scorm12"
    description = "SCORM 1.2 package (single SCO)"
    version = SCORM12
