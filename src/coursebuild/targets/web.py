"""The course as a plain static site: no LMS, for preview and public hosting."""

from __future__ import annotations

from coursebuild.errors import Problems
from coursebuild.pipeline.render import Site
from coursebuild.targets import Target, register
from coursebuild.targets.common import with_runtime_settings


@register
class WebTarget(Target):
    name = "web"
    description = "static web site (no LMS tracking)"

    def package(self, site: Site, problems: Problems) -> dict[str, bytes]:
        return with_runtime_settings(site.files, self.runtime_settings())
