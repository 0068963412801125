"""Product-specific training (the report's section 3.4 and Table 2): product courses cloned from a template.

An Embedder runs `coursebuild new product NAME`: copier renders a template from
`courses/product_templates/<name>/` into `courses/products/<slug>/`, with every lesson, knowledge check and
scenario driven by the product's *facts*. The facts live in the course's `product.yml`, typed and checked
by `ProductFacts`. `coursebuild update product DIR` re-renders the course from a newer template version
and from the facts as they now stand in `product.yml`, keeping local edits by copier's three-way merge.
The merge starts from the version the course was made from, which the template keeps as a stored release
(`releases/v<version>.tar.gz`, written by `coursebuild release template`) or, in a git repository, as a
tag; the course itself carries no copy of the template. `coursebuild migrate product DIR` converts a
course made before that, which carried one in `.template/`.

Each product course holds, besides its lessons:

- `product.yml`: the facts, the file Embedders edit;
- `.copier-answers.yml`: the facts the lessons were last rendered from, the template's source
  (`_src_path`) and its version (`_commit`, a tag such as `v1.0.0`); written by copier, never edited.

The package, one module per concern:

- `facts.py`: the facts model, reading `product.yml` with line numbers, and writing it;
- `check.py`: the guard rails the build runs on product courses (`check_product_course`);
- `changelog.py`: the "What changed" lesson generated from the change log;
- `answers.py`: `.copier-answers.yml`;
- `template.py`: finding a template and reading its `copier.yml`;
- `releases.py`: the template versions: stored releases (`release_template`) or git tags, and the
  throw-away git repository of tagged commits that copier merges between;
- `worker.py`: `new_product` and `update_product`, which run copier, and `migrate_product`;
- `errors.py`: `ProductError`, what the command line reports.

May import: `coursebuild.errors` and `coursebuild.yamlfile`, copier, Jinja2, pydantic and PyYAML; never the
CLI, a pipeline stage or a target (tests/test_layout.py checks it). `coursebuild.pipeline.build` imports
`check_product_course`; `coursebuild.cli.product` is the command line over the rest.
"""

from __future__ import annotations

from coursebuild.products.answers import ANSWERS_FILE
from coursebuild.products.changelog import CHANGELOG_LESSON, CHANGELOG_LESSON_TEMPLATE, changelog_lesson_markdown
from coursebuild.products.check import CONFLICT_MARKER, check_product_course
from coursebuild.products.errors import ProductError
from coursebuild.products.facts import FACT_NAMES, FACTS_FILE, PLACEHOLDER, ProductFacts, find_placeholder, load_facts
from coursebuild.products.releases import RELEASES_DIR, Release, release_template
from coursebuild.products.template import COPIER_ONLY_QUESTIONS, TemplateInfo, read_template, resolve_template
from coursebuild.products.worker import (
    SNAPSHOT_DIR,
    Migration,
    NewProduct,
    UpdateResult,
    migrate_product,
    new_product,
    update_product,
)

__all__ = [
    "ANSWERS_FILE",
    "CHANGELOG_LESSON",
    "CHANGELOG_LESSON_TEMPLATE",
    "CONFLICT_MARKER",
    "COPIER_ONLY_QUESTIONS",
    "FACTS_FILE",
    "FACT_NAMES",
    "PLACEHOLDER",
    "RELEASES_DIR",
    "SNAPSHOT_DIR",
    "Migration",
    "NewProduct",
    "ProductError",
    "ProductFacts",
    "Release",
    "TemplateInfo",
    "UpdateResult",
    "changelog_lesson_markdown",
    "check_product_course",
    "find_placeholder",
    "load_facts",
    "migrate_product",
    "new_product",
    "read_template",
    "release_template",
    "resolve_template",
    "update_product",
]
