"""The report's SQL. Every statement here runs unchanged in chDB and on a ClickHouse server or cluster.

Tables (all prefixed `cb_`):
- `cb_statements`: one row per statement as received (duplicates and bad ones included), parsed from its
  JSON by ClickHouse itself (`JSONExtract` into one named tuple: a single parse per statement);
- `cb_courses`, `cb_requirements`, `cb_taught`: reference data from the courses and the requirements
  catalogue, rewritten on every run;
- `cb_sources`: for incremental reading, the latest `stored` time fetched from each LRS;
- `cb_classified`: rebuilt on every report: each statement with its data-quality class and its course.
"""

from __future__ import annotations

from coursebuild.tracking import ACTIVITY_TYPES, EXTENSIONS, PROFILE_VERSION, VERBS, VOCABULARY

ORGANISATION_EXTENSION = f"{VOCABULARY}/extension/organisation"
VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"
REQUIREMENT_PREFIX = f"{VOCABULARY}/requirement/"
LEVELS = ["awareness", "familiarity", "understanding", "capability", "proficiency"]

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS cb_statements (
        batch UInt32, valid UInt8, id String, version String, actor String, verb String,
        object_id String, object_type String, object_def_type String, object_name String,
        ts Nullable(DateTime64(3, 'UTC')), stored Nullable(DateTime64(3, 'UTC')), stored_text String,
        registration String, revision String, grouping Array(String), categories Array(String),
        requirements Array(String), level String, organisation String,
        success Int8, completion Int8, rating String, response String, score Nullable(Float64),
        duration_s Nullable(Float64), excerpt String
    ) ENGINE = MergeTree ORDER BY (batch, id)""",
    "CREATE TABLE IF NOT EXISTS cb_incoming (line String) ENGINE = MergeTree ORDER BY tuple()",
    """CREATE TABLE IF NOT EXISTS cb_sources (source String, last_stored String, fetched UInt64, at DateTime)
       ENGINE = MergeTree ORDER BY (source, at)""",
]

REFERENCE_SCHEMA = [
    "DROP TABLE IF EXISTS cb_courses",
    """CREATE TABLE cb_courses (course String, iri String, title String, version String, pathway String,
        archetypes Array(String)) ENGINE = MergeTree ORDER BY course""",
    "DROP TABLE IF EXISTS cb_requirements",
    """CREATE TABLE cb_requirements (requirement String, tab String, pathway String, archetype String,
        level String, level_rank Int8, statement String) ENGINE = MergeTree ORDER BY requirement""",
    "DROP TABLE IF EXISTS cb_taught",
    "CREATE TABLE cb_taught (requirement String, course String) ENGINE = MergeTree ORDER BY requirement",
]

_TUPLE = (
    "Tuple(id String, version String, timestamp String, stored String, "
    "actor Tuple(mbox String, mbox_sha1sum String, openid String, account Tuple(homePage String, name String)), "
    "verb Tuple(id String), "
    "object Tuple(id String, objectType String, definition Tuple(type String, name Map(String, String))), "
    "result Tuple(success Nullable(Bool), completion Nullable(Bool), response String, duration String, "
    "score Tuple(scaled Nullable(Float64)), extensions Map(String, String)), "
    "context Tuple(registration String, revision String, extensions Map(String, String), "
    "contextActivities Tuple(grouping Array(Tuple(id String)), category Array(Tuple(id String)), "
    "other Array(Tuple(id String)))))"
)

_DURATION = (
    "if(match(t.result.duration, '^P(\\\\d+D)?T'), "
    "toFloat64OrZero(extract(t.result.duration, '(\\\\d+)D')) * 86400 "
    "+ toFloat64OrZero(extract(t.result.duration, 'T(?:.*?)(\\\\d+(?:\\\\.\\\\d+)?)H')) * 3600 "
    "+ toFloat64OrZero(extract(t.result.duration, 'T(?:.*?H)?(\\\\d+(?:\\\\.\\\\d+)?)M')) * 60 "
    "+ toFloat64OrZero(extract(t.result.duration, '(\\\\d+(?:\\\\.\\\\d+)?)S$')), NULL)"
)

COLUMNS = (
    "batch, valid, id, version, actor, verb, object_id, object_type, object_def_type, object_name, ts, stored, "
    "stored_text, registration, revision, grouping, categories, requirements, level, organisation, success, "
    "completion, rating, response, score, duration_s, excerpt"
)


def parse_insert(source: str, batch: int, column: str = "line") -> str:
    """INSERT INTO cb_statements the statements in `source` (a table or table function with a String column)."""
    level_key = EXTENSIONS["taxonomy-level"].replace("'", "\\'")
    rating_key = EXTENSIONS["rating"].replace("'", "\\'")
    return f"""INSERT INTO cb_statements ({COLUMNS})
SELECT
    {int(batch)} AS batch, valid, t.id, t.version,
    multiIf(t.actor.account.name != '', concat('account:', t.actor.account.homePage, '|', t.actor.account.name),
            t.actor.mbox != '', concat('mbox:', t.actor.mbox),
            t.actor.mbox_sha1sum != '', concat('sha1:', t.actor.mbox_sha1sum),
            t.actor.openid != '', concat('openid:', t.actor.openid), '') AS actor,
    t.verb.id, t.object.id, t.object.objectType, t.object.definition.type,
    if(empty(t.object.definition.name), '', arrayElement(mapValues(t.object.definition.name), 1)),
    parseDateTime64BestEffortOrNull(t.timestamp, 3, 'UTC'), parseDateTime64BestEffortOrNull(t.stored, 3, 'UTC'),
    t.stored,
    t.context.registration, t.context.revision,
    arrayMap(a -> a.id, t.context.contextActivities.grouping),
    arrayMap(a -> a.id, t.context.contextActivities.category),
    arrayMap(a -> substring(a.id, {len(REQUIREMENT_PREFIX) + 1}),
             arrayFilter(a -> startsWith(a.id, '{REQUIREMENT_PREFIX}'), t.context.contextActivities.other)),
    t.context.extensions['{level_key}'],
    t.context.extensions['{ORGANISATION_EXTENSION}'],
    if(isNull(t.result.success), -1, toInt8(assumeNotNull(t.result.success))),
    if(isNull(t.result.completion), -1, toInt8(assumeNotNull(t.result.completion))),
    t.result.extensions['{rating_key}'], t.result.response, t.result.score.scaled,
    {_DURATION},
    if(valid AND t.id != '', '', substring({column}, 1, 300))
FROM (SELECT {column}, isValidJSON({column}) AS valid, JSONExtract({column}, '{_TUPLE}') AS t FROM {source})"""


def _known_iris() -> str:
    return "(SELECT groupArray(iri) FROM cb_courses)"


# Each statement's class, first match wins. `ok` statements are the only ones in the figures.
CLASSIFY = [
    "DROP TABLE IF EXISTS cb_classified",
    f"""CREATE TABLE cb_classified ENGINE = MergeTree ORDER BY (course_iri, actor) AS
WITH
    {_known_iris()} AS known,
    (SELECT groupUniqArray(object_id) FROM cb_statements
       WHERE valid AND verb = '{VOIDED_VERB}' AND object_type = 'StatementRef') AS voided_ids
SELECT s.*,
    coalesce(nullIf(arrayFirst(g -> has(known, g), s.grouping), ''),
             nullIf(arrayFirst(i -> startsWith(s.object_id, i), known), ''), '') AS course_iri,
    row_number() OVER (PARTITION BY s.id ORDER BY s.batch, s.stored_text) AS copy,
    multiIf(
        NOT s.valid OR NOT match(s.id, '^[0-9a-fA-F]{{8}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{12}}$')
            OR s.actor = '' OR s.verb = '' OR s.object_id = '' OR isNull(s.ts), 'malformed',
        s.version != '' AND NOT startsWith(s.version, '1.0'), 'other-version',
        copy > 1, 'duplicate',
        s.verb = '{VOIDED_VERB}', 'voiding',
        has(voided_ids, s.id), 'voided',
        course_iri = '', 'unknown-activity',
        s.verb IN ('{VERBS["answered"]}', '{VERBS["responded"]}', '{VERBS["experienced"]}')
            AND (NOT has(s.categories, '{PROFILE_VERSION}')
                 OR (s.level = '' AND s.object_def_type != '{ACTIVITY_TYPES["self-assessment"]}')), 'untagged',
        'ok') AS quality
FROM cb_statements AS s""",
]


def filtered(courses: list[str], revision: str | None, since: str | None, until: str | None,
             organisation: str | None) -> str:
    """The `ok` statements, with course id, inside the filters: a subquery every figure reads from."""
    conditions = ["c.quality = 'ok'"]
    if courses:
        conditions.append("k.course IN (" + ", ".join(quote(c) for c in courses) + ")")
    if revision:
        conditions.append(f"c.revision = {quote(revision)}")
    if since:
        conditions.append(f"c.ts >= parseDateTime64BestEffort({quote(since)}, 3, 'UTC')")
    if until:
        conditions.append(f"c.ts < parseDateTime64BestEffort({quote(until)}, 3, 'UTC')")
    if organisation:
        conditions.append(f"c.organisation = {quote(organisation)}")
    return ("(SELECT c.*, k.course AS course, k.pathway AS pathway, k.archetypes AS archetypes "
            "FROM cb_classified AS c INNER JOIN cb_courses AS k ON k.iri = c.course_iri WHERE "
            + " AND ".join(conditions) + ")")


def quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


EVIDENCE_VERBS = f"('{VERBS['answered']}', '{VERBS['responded']}')"
_LEVEL_RANK = "indexOf(" + "[" + ", ".join(f"'{level}'" for level in LEVELS) + "], {})"


def attainment(source: str) -> str:
    """Per requirement and level: learners with a correct answer or a best/acceptable decision tagged with it."""
    return f"""
SELECT r.requirement AS requirement, r.tab AS tab, r.level AS required_level, e.level AS level,
       e.learners AS learners, e.level_rank >= r.level_rank AS meets_required
FROM (
    SELECT requirement, level, {_LEVEL_RANK.format('level')} AS level_rank, uniqExact(actor) AS learners
    FROM {source} ARRAY JOIN requirements AS requirement
    WHERE verb IN {EVIDENCE_VERBS} AND success = 1 AND level != ''
    GROUP BY requirement, level
) AS e INNER JOIN cb_requirements AS r ON r.requirement = e.requirement
ORDER BY r.tab, toUInt32OrZero(splitByChar('.', r.requirement)[2]), e.level_rank"""


def requirement_summary(source: str) -> str:
    """Per requirement: learners with any tagged evidence, and learners who reached the level it asks for."""
    return f"""
SELECT r.requirement AS requirement, r.tab AS tab, r.pathway AS layer, r.archetype AS archetype,
       r.level AS required_level, e.attempted AS learners_evidenced, e.reached AS learners_reached_required,
       r.statement AS statement
FROM (
    SELECT requirement,
           uniqExact(actor) AS attempted,
           uniqExactIf(actor, success = 1 AND {_LEVEL_RANK.format('level')} >= rr.level_rank) AS reached
    FROM {source} AS f ARRAY JOIN requirements AS requirement
    INNER JOIN cb_requirements AS rr ON rr.requirement = requirement
    WHERE verb IN {EVIDENCE_VERBS} AND level != ''
    GROUP BY requirement
) AS e INNER JOIN cb_requirements AS r ON r.requirement = e.requirement
ORDER BY r.tab, toUInt32OrZero(splitByChar('.', r.requirement)[2])"""


def rollup(source: str, by: str) -> str:
    """Learner-requirement pairs that reached the required level, grouped by course, layer, archetype or
    organisation. `share` = pairs reached / pairs with any evidence."""
    group = {
        "course": "course",
        "layer": "r.pathway",
        "archetype": "if(r.archetype = '', 'all staff', r.archetype)",
        "organisation": "if(organisation = '', '(none given)', organisation)",
    }[by]
    return f"""
SELECT {group} AS `{by}`, uniqExact(actor) AS learners, uniqExact(requirement) AS requirements_evidenced,
       uniqExact((actor, requirement)) AS pairs_evidenced,
       uniqExactIf((actor, requirement), success = 1 AND {_LEVEL_RANK.format('level')} >= r.level_rank) AS pairs_reached,
       round(100 * pairs_reached / pairs_evidenced, 1) AS percent_reached
FROM {source} AS f ARRAY JOIN requirements AS requirement
INNER JOIN cb_requirements AS r ON r.requirement = requirement
WHERE verb IN {EVIDENCE_VERBS} AND level != ''
GROUP BY `{by}` ORDER BY `{by}`"""


def courses(source: str) -> str:
    """Per course: learners, completions, pass rate, score and time spent."""
    return f"""
SELECT k.course AS course, k.title AS title,
       s.learners AS learners, s.completed AS completed, s.passed AS passed, s.failed_only AS failed,
       if(s.passed + s.failed_only = 0, NULL, round(100 * s.passed / (s.passed + s.failed_only), 1)) AS pass_rate,
       s.mean_score AS mean_score_percent, s.median_minutes AS median_minutes, s.mean_minutes AS mean_minutes
FROM (
    SELECT course, uniqExact(actor) AS learners,
           uniqExactIf(actor, verb = '{VERBS['completed']}') AS completed,
           uniqExactIf(actor, verb = '{VERBS['passed']}') AS passed,
           uniqExactIf(actor, verb = '{VERBS['failed']}') - uniqExactIf(actor, verb = '{VERBS['failed']}' AND has(passers, actor)) AS failed_only,
           round(100 * avgIf(score, verb IN ('{VERBS['passed']}', '{VERBS['failed']}') AND isNotNull(score)), 1) AS mean_score,
           any(tm.median_minutes) AS median_minutes, any(tm.mean_minutes) AS mean_minutes
    FROM {source} AS f
    LEFT JOIN (
        SELECT course AS tcourse, round(median(m), 1) AS median_minutes, round(avg(m), 1) AS mean_minutes
        FROM (SELECT course, actor, sum(duration_s) / 60 AS m FROM {source}
              WHERE verb = '{VERBS['terminated']}' AND isNotNull(duration_s) GROUP BY course, actor)
        GROUP BY course
    ) AS tm ON tm.tcourse = f.course
    LEFT JOIN (SELECT course AS pcourse, groupUniqArray(actor) AS passers FROM {source}
               WHERE verb = '{VERBS['passed']}' GROUP BY course) AS p ON p.pcourse = f.course
    GROUP BY course
) AS s INNER JOIN cb_courses AS k ON k.course = s.course
ORDER BY course"""


def scores(source: str) -> str:
    """Distribution of assessment scores (passed and failed statements) in bands of 10 percentage points."""
    return f"""
SELECT course, toUInt8(least(floor(score * 10), 9) * 10) AS band_from, count() AS results
FROM {source}
WHERE verb IN ('{VERBS['passed']}', '{VERBS['failed']}') AND isNotNull(score)
GROUP BY course, band_from ORDER BY course, band_from"""


def wrong_answers(source: str, limit: int = 25) -> str:
    """The questions and decisions answered wrongly (or rated unsafe) most often."""
    return f"""
SELECT course, object_id AS item, any(object_name) AS name,
       if(verb = '{VERBS['responded']}', 'decision', 'question') AS kind,
       count() AS attempts, countIf(success = 0) AS wrong,
       round(100 * wrong / attempts, 1) AS percent_wrong, uniqExactIf(actor, success = 0) AS learners_wrong,
       arrayStringConcat(arraySort(groupUniqArrayArray(requirements)), ' ') AS requirements
FROM {source}
WHERE verb IN {EVIDENCE_VERBS} AND success IN (0, 1)
GROUP BY course, item, kind
HAVING wrong > 0
ORDER BY wrong DESC, percent_wrong DESC, item LIMIT {int(limit)}"""


def coverage_gaps(source: str) -> str:
    """Requirements taught in the courses but with no learner evidence at all."""
    return f"""
SELECT t.requirement AS requirement, r.level AS required_level,
       arrayStringConcat(arraySort(groupUniqArray(t.course)), ' ') AS taught_in, r.statement AS statement
FROM cb_taught AS t INNER JOIN cb_requirements AS r ON r.requirement = t.requirement
WHERE t.requirement NOT IN (
    SELECT requirement FROM {source} ARRAY JOIN requirements AS requirement
    WHERE verb IN {EVIDENCE_VERBS} AND success = 1)
GROUP BY t.requirement, r.level, r.statement, r.tab
ORDER BY r.tab, toUInt32OrZero(splitByChar('.', t.requirement)[2])"""


QUALITY_COUNTS = """
SELECT quality, count() AS statements FROM cb_classified GROUP BY quality ORDER BY quality"""

QUALITY_LIST = """
SELECT quality, id, verb, object_id, excerpt FROM cb_classified
WHERE quality NOT IN ('ok', 'voiding') ORDER BY quality, id LIMIT 1 BY quality, id LIMIT {limit}"""

TOTALS = """
SELECT count() AS statements, uniqExact(actor) AS learners, min(ts) AS first, max(ts) AS last FROM {source}"""

ORGANISATIONS = "SELECT DISTINCT organisation FROM cb_classified WHERE organisation != '' ORDER BY organisation"
