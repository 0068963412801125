"""What the e-learning standards say, as code: SCORM 1.2 and 2004, cmi5 and TinCan.

Each module holds one standard's namespaces and schema locations and the checks an LMS makes of that
standard's control document on upload (the official schemas shipped in `coursebuild/schemas/`, then the
referential rules the schemas do not make). The package writers (`coursebuild.targets`) run these checks on
every package they build, and the inspector (`coursebuild.inspector`) runs the same checks on any package,
ours or a vendor's: one definition of "conformant" for both.

May import: lxml and the standard library only; nothing else from coursebuild.
"""
