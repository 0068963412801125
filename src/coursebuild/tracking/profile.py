"""The coursebuild xAPI Profile (ADL xAPI Profiles 1.0, JSON-LD): the vocabulary statements use, and
templates saying which tags each kind of statement must carry. Generated at build time into every
package (xapi/profile.jsonld) and into docs/, so analytics teams have one definition to work from.
"""

from __future__ import annotations

import json
from typing import Any

from coursebuild.model import Level
from coursebuild.tracking import (
    ACTIVITY_TYPES,
    EXTENSIONS,
    PROFILE_ID,
    PROFILE_VERSION,
    PROFILE_VERSION_DATE,
    VERBS,
    VOCABULARY,
    level_iri,
)

_LEVEL_MEANING = {
    Level.AWARENESS: "I am aware of this concept and its relevance to my healthcare practice.",
    Level.FAMILIARITY: "I know more detail about this topic and can use this knowledge to guide my practice and make decisions.",
    Level.UNDERSTANDING: "I understand this subject in depth and can apply it to new and challenging situations, and support others.",
    Level.CAPABILITY: "I am able to perform this task either independently or as part of a team.",
    Level.PROFICIENCY: "I am experienced in this area and can lead on it, guiding and educating others.",
}


def _concept(iri: str, kind: str, label: str, definition: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": iri,
        "type": kind,
        "inScheme": PROFILE_VERSION,
        "prefLabel": {"en": label},
        "definition": {"en": definition},
        **extra,
    }


def _schema(schema: dict[str, Any]) -> str:
    return json.dumps(schema, sort_keys=True)


def concepts() -> list[dict[str, Any]]:
    result = [
        _concept(
            ACTIVITY_TYPES["taxonomy-level"],
            "ActivityType",
            "taxonomy level",
            "A level of the knowledge (awareness, familiarity, understanding) or skills (capability, proficiency) "
            "taxonomy of the HEE and NHS AI Lab report 'Developing healthcare workers' confidence in AI' (2022). "
            "Used as a contextActivities category to tag the level a statement evidences.",
        ),
        _concept(
            ACTIVITY_TYPES["self-assessment"],
            "ActivityType",
            "self-assessment statement",
            "One statement of a likert self-assessment, answered on an agreement scale. Self-assessment is not "
            "scored and claims no taxonomy level.",
        ),
        _concept(
            ACTIVITY_TYPES["requirement"],
            "ActivityType",
            "report requirement",
            "An educational requirement from a table of the report (for example T1.3 or A2.14). Used in "
            "contextActivities.other on statements about content that teaches or assesses it.",
        ),
        _concept(
            EXTENSIONS["pathway"],
            "ContextExtension",
            "pathway",
            "The education pathway of the course: foundational, advanced or product.",
            inlineSchema=_schema({"type": "string", "enum": ["foundational", "advanced", "product"]}),
        ),
        _concept(
            EXTENSIONS["archetypes"],
            "ContextExtension",
            "archetypes",
            "The workforce archetypes the course is written for (shaper, driver, creator, embedder, user).",
            inlineSchema=_schema(
                {
                    "type": "array",
                    "items": {"type": "string", "enum": ["shaper", "driver", "creator", "embedder", "user"]},
                }
            ),
        ),
        _concept(
            EXTENSIONS["factor"],
            "ContextExtension",
            "factor",
            "The factors influencing confidence in AI that the content addresses: ai-literacy, governance, "
            "implementation or clinical-use.",
            inlineSchema=_schema(
                {
                    "type": "array",
                    "items": {
                        "type": "string",
                        "enum": ["ai-literacy", "governance", "implementation", "clinical-use"],
                    },
                }
            ),
        ),
        _concept(
            EXTENSIONS["taxonomy-level"],
            "ContextExtension",
            "taxonomy level",
            "The taxonomy level the statement evidences, as a plain value for LRSs that cannot filter on categories.",
            inlineSchema=_schema({"type": "string", "enum": [level.value for level in Level]}),
        ),
        _concept(
            EXTENSIONS["organisation"],
            "ContextExtension",
            "organisation",
            "The organisation or cohort the learner belongs to (for example an NHS trust's ODS code and name, or a "
            "cohort name), as set by the LMS in the cmi5 contextTemplate, which the course copies into every "
            "statement. coursebuild report groups learners by it; statements without it are grouped by nothing.",
            inlineSchema=_schema({"type": "string", "minLength": 1}),
        ),
        _concept(
            EXTENSIONS["rating"],
            "ResultExtension",
            "decision rating",
            "How a scenario decision was rated by the course authors: best, acceptable or unsafe.",
            recommendedVerbs=[VERBS["responded"]],
            inlineSchema=_schema({"type": "string", "enum": ["best", "acceptable", "unsafe"]}),
        ),
        _concept(
            EXTENSIONS["path"],
            "ResultExtension",
            "scenario path",
            "The scene ids the learner passed through in a scenario, in order, up to and including this decision.",
            recommendedVerbs=[VERBS["responded"]],
            inlineSchema=_schema({"type": "array", "items": {"type": "string"}}),
        ),
        _concept(
            EXTENSIONS["replaces"],
            "ContextExtension",
            "replaces statement",
            "The id of a statement that an earlier cmi5 session queued but the LRS never stored (the connection "
            "dropped as the learner left). The runtime carries such an answer or decision into the next session "
            "under a new id and names the original here, so the two are never counted twice.",
            inlineSchema=_schema({"type": "string", "format": "uuid"}),
        ),
    ]
    for level in Level:
        result.append(
            {
                "id": level_iri(level),
                "type": "Activity",
                "inScheme": PROFILE_VERSION,
                "activityDefinition": {
                    "@context": "https://w3id.org/xapi/profiles/activity-context",
                    "type": ACTIVITY_TYPES["taxonomy-level"],
                    "name": {"en": level.label},
                    "description": {"en": f"{level.label} ({level.domain}): {_LEVEL_MEANING[level]}"},
                },
            }
        )
    return result


def _rules_for_tagged_content() -> list[dict[str, Any]]:
    return [
        {"location": "$.context.contextActivities.category[*].id", "any": [PROFILE_VERSION], "presence": "included"},
        {
            "location": "$.context.contextActivities.category[*].definition.type",
            "any": [ACTIVITY_TYPES["taxonomy-level"]],
            "presence": "included",
        },
        {"location": f"$.context.extensions['{EXTENSIONS['taxonomy-level']}']", "presence": "included"},
        {"location": f"$.context.extensions['{EXTENSIONS['pathway']}']", "presence": "included"},
        {
            "location": "$.context.contextActivities.other[*].definition.type",
            "all": [ACTIVITY_TYPES["requirement"]],
            "presence": "recommended",
        },
        {"location": "$.timestamp", "presence": "included"},
        {"location": "$.id", "presence": "included"},
    ]


def templates() -> list[dict[str, Any]]:
    def template(
        name: str, label: str, definition: str, verb: str, object_type: str, rules: list[dict[str, Any]]
    ) -> dict[str, Any]:
        return {
            "id": f"{VOCABULARY}/template/{name}",
            "type": "StatementTemplate",
            "inScheme": PROFILE_VERSION,
            "prefLabel": {"en": label},
            "definition": {"en": definition},
            "verb": verb,
            "objectActivityType": object_type,
            "rules": rules,
        }

    return [
        template(
            "lesson-experienced",
            "lesson experienced",
            "A learner opened a lesson. Tagged with the lesson's taxonomy level and requirements.",
            VERBS["experienced"],
            ACTIVITY_TYPES["lesson"],
            _rules_for_tagged_content(),
        ),
        template(
            "question-answered",
            "question answered",
            "A learner answered a knowledge check or assessment question. The object carries the full interaction definition.",
            VERBS["answered"],
            ACTIVITY_TYPES["question"],
            _rules_for_tagged_content()
            + [
                {"location": "$.object.definition.interactionType", "presence": "included"},
                {"location": "$.result.response", "presence": "included"},
            ],
        ),
        template(
            "self-assessment-answered",
            "self-assessment answered",
            "A learner rated their agreement with one self-assessment statement. Unscored; no taxonomy level.",
            VERBS["answered"],
            ACTIVITY_TYPES["self-assessment"],
            [
                {
                    "location": "$.context.contextActivities.category[*].id",
                    "any": [PROFILE_VERSION],
                    "presence": "included",
                },
                {"location": "$.result.response", "presence": "included"},
                {"location": "$.result.success", "presence": "excluded"},
            ],
        ),
        template(
            "decision-responded",
            "scenario decision",
            "A learner made a decision in a branching scenario. Result carries the choice, its rating and the path so far.",
            VERBS["responded"],
            ACTIVITY_TYPES["question"],
            _rules_for_tagged_content()
            + [
                {"location": "$.result.response", "presence": "included"},
                {"location": f"$.result.extensions['{EXTENSIONS['rating']}']", "presence": "included"},
                {"location": f"$.result.extensions['{EXTENSIONS['path']}']", "presence": "included"},
            ],
        ),
    ]


def profile_document() -> dict[str, Any]:
    return {
        "@context": "https://w3id.org/xapi/profiles/context",
        "id": PROFILE_ID,
        "type": "Profile",
        "conformsTo": "https://w3id.org/xapi/profiles#1.0",
        "prefLabel": {"en": "coursebuild: AI in health and care education"},
        "definition": {
            "en": "Statements from coursebuild courses, tagged with the taxonomy level (awareness, familiarity, "
            "understanding, capability, proficiency) and the report requirements they evidence, from the HEE and "
            "NHS AI Lab report 'Developing healthcare workers' confidence in AI' (2022)."
        },
        "versions": [{"id": PROFILE_VERSION, "generatedAtTime": PROFILE_VERSION_DATE}],
        "author": {"type": "Organization", "name": "coursebuild"},
        "concepts": concepts(),
        "templates": templates(),
    }


def profile_json() -> bytes:
    return (json.dumps(profile_document(), indent=2, ensure_ascii=False, sort_keys=False) + "\n").encode("utf-8")
