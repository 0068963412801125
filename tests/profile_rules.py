"""Check statements against the Statement Templates of the coursebuild xAPI Profile (Profiles spec §8.1).

No registry package validates xAPI Profiles (Yet Analytics' tools are Clojure-only), so this implements the
subset of template rules our profile uses: locations of dotted keys, `[*]` and `['iri']`, with presence,
any and all.
"""

from __future__ import annotations

import re
from typing import Any

from coursebuild.tracking.profile import profile_document

_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[\*\]|\['([^']+)'\]")


def evaluate(location: str, statement: dict[str, Any]) -> list[Any]:
    assert location.startswith("$"), location
    values = [statement]
    for match in _STEP.finditer(location[1:]):
        key = match.group(1) or match.group(2)
        found = []
        for value in values:
            if key is None:  # [*]
                found.extend(value if isinstance(value, list) else [])
            elif isinstance(value, dict) and key in value:
                found.append(value[key])
        values = found
    return values


def template_for(statement: dict[str, Any]) -> dict[str, Any] | None:
    verb = statement["verb"]["id"]
    object_type = statement.get("object", {}).get("definition", {}).get("type")
    for template in profile_document()["templates"]:
        if template["verb"] == verb and template["objectActivityType"] == object_type:
            return template
    return None


def problems(statement: dict[str, Any]) -> list[str]:
    template = template_for(statement)
    if template is None:
        return []
    found = []
    for rule in template["rules"]:
        values = evaluate(rule["location"], statement)
        presence = rule.get("presence")
        if presence == "included" and not values:
            found.append(f"{template['id']}: {rule['location']} is missing")
        if presence == "excluded" and values:
            found.append(f"{template['id']}: {rule['location']} must not be present")
        if values and "any" in rule and not set(map(str, values)) & set(rule["any"]):
            found.append(f"{template['id']}: {rule['location']} has none of {rule['any']}")
        if values and "all" in rule and not set(map(str, values)) <= set(rule["all"]):
            found.append(f"{template['id']}: {rule['location']} has values outside {rule['all']}")
    return found
