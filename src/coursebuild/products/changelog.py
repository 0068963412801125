"""The "What changed in this version" lesson, generated from the change log in product.yml.

`CHANGELOG_LESSON_TEMPLATE` is the text of the template's `lessons/what-changed.md.jinja` (a test checks),
so the lesson copier renders and the one the build expects are the same."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from coursebuild.products.facts import (
    ProductFacts,
    facts_data,
)

CHANGELOG_LESSON = "lessons/what-changed.md"

# The template's lessons/what-changed.md.jinja holds exactly this text (a test checks), so the lesson copier
# renders and the one `changelog_lesson_markdown` expects are the same.
CHANGELOG_LESSON_TEMPLATE = """\
{% set latest = change_log[0] %}
{% set example = " *(illustrative example)*" if "change_log" in (illustrative or []) else "" %}
---
id: what-changed
title: {{ ("What changed in " ~ product_name ~ " " ~ latest.product_version) | to_json }}
minutes: 5
level: familiarity
objectives:
  - {{ ("Describe what changed in " ~ product_name ~ " " ~ latest.product_version ~ " and what it means for your work") | to_json }}
  - Say which version of the product this course covers
---

# What changed in {{ product_name }} {{ latest.product_version }}

{% if fictional %}
::: fictional
{{ fictional_note }}{% if illustrative %} Details marked *(illustrative example)* are made up for this course; the source does not give them.{% endif %}

:::

{% endif %}
This page lists what changed in each version of {{ product_name }} that this course covers, newest first.
When the product is updated, this course is updated with it. Read this page before you use a new version,
even if you completed an earlier version of the course.

## Version {{ latest.product_version }}{{ example }}

In use from {{ latest.date }}. Covered by version {{ latest.course_version }} of this course.

{% for change in latest.changes %}
- {{ change }}
{% endfor %}
{% if change_log | length > 1 %}

## Earlier versions

| Product version | In use from | Course version | What changed |
|---|---|---|---|
{% for entry in change_log[1:] %}
| {{ entry.product_version }} | {{ entry.date }} | {{ entry.course_version }} | {{ entry.changes | join("; ") | replace("|", "\\\\|") }} |
{% endfor %}
{% endif %}

::: key-points
- This course covers {{ product_name }} version {{ latest.product_version }}.
- Each new product version comes with a new version of this course. Complete it before you use the new product version.
- If something in the product looks different from what this course describes, tell the team in the lesson on contacts.
:::
"""


def _jinja_env():
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    # The same options as the template's copier.yml (_envops), so both render identically.
    env = SandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, undefined=StrictUndefined
    )
    env.filters["to_json"] = lambda value, **kwargs: json.dumps(value, **kwargs)
    return env


def changelog_lesson_markdown(facts: ProductFacts | Mapping[str, Any]) -> str:
    """The "What changed in this version" lesson, generated from the change log (newest entry first)."""
    data = facts_data(facts)
    context = {
        "product_name": data.get("product_name"),
        "change_log": data.get("change_log"),
        "fictional": bool(data.get("fictional")),
        "fictional_note": data.get("fictional_note") or "",
        "illustrative": data.get("illustrative") or [],
    }
    return _jinja_env().from_string(CHANGELOG_LESSON_TEMPLATE).render(context)
