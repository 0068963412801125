"""The compile pipeline, one module per stage: load → parse → validate → render → (package) → write.

- `load.py` reads course.yml, lesson files and assets into raw documents with their file and line;
- `parse.py` (with `markdown.py`, the markdown-it-py rules) turns them into the typed model (`model.py`);
- `validate.py` checks the model as a whole and collects every problem before anything is written;
- `render.py` turns the model into the site (Jinja2 themes, `runtime_data.py`, `interface.py`);
- the package stage lives in `coursebuild.targets`, one writer per format;
- `write.py` writes each package atomically and deterministically; `cache.py` keeps the incremental cache;
  `live.py` what a process that rebuilds after each save reuses; `parallel.py` splits a large course's
  lessons over the cores (parse, render and deflate), with the output of one;
- `build.py` runs the stages in order for one course or a catalogue (`catalogue_page.py`).

May import: `coursebuild.errors`, `model`, `catalogue`, `yamlfile` and `tracking`. `build.py` alone, which
runs the stages, also imports `coursebuild.targets` (the package stage), `products` (the product-course
checks) and `translation` (builds in another language). Never the inspector, analytics or the CLI
(tests/test_layout.py checks it).
"""
