"""Bilingual courses: `coursebuild translate` (export, import, status) and builds per language.

- `units.py` cuts a course into translatable units (titles, prose blocks, questions, options, feedback,
  scenario text, transcripts), each with a stable id and its file and line;
- `segments.py` turns Markdown inline markup into placeholders and back, so markup survives translation;
- `xliff.py` reads and writes XLIFF 2.0 and 1.2 through translate-toolkit;
- `store.py` keeps translations in `translations/<lang>/...` beside the course, with the source each
  translation was made from (so a changed source shows as stale);
- `workflow.py` runs export, import and status; `apply.py` and `build.py` build a course in a language.

May import: the model, `errors`, `yamlfile` and the pipeline's load, parse, markdown and write stages;
never a target, the inspector, analytics or the CLI.
"""
