"""coursebuild: compile Markdown courses into SCORM, cmi5, xAPI and web packages."""

__version__ = "0.1.0"
