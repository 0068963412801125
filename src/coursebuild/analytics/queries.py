"""The report's SQL. Every statement here runs unchanged in chDB and on a ClickHouse server or cluster.

Tables (all prefixed `cb_`):
- `cb_statements`: one row per statement as received (duplicates and bad ones included), parsed from its
  JSON by ClickHouse itself (`JSONExtract` into one named tuple: a single parse per statement);
- `cb_courses`, `cb_requirements`, `cb_taught`: reference data from the courses and the requirements
  catalogue, rewritten on every run;
- `cb_sources`: for incremental reading, the latest `stored` time fetched from each LRS;
- `cb_classified`: each statement with its data-quality class and its course, added to batch by batch
  (rebuilt whole when the courses change);
- `cb_meta`: what the store was last classified against (a fingerprint of the courses).
"""

from __future__ import annotations

from coursebuild.tracking import ACTIVITY_TYPES, EXTENSIONS, PROFILE_VERSION, VERBS, VOCABULARY

ORGANISATION_EXTENSION = EXTENSIONS["organisation"]
VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"
REQUIREMENT_PREFIX = f"{VOCABULARY}/requirement/"
LEVELS = ["awareness", "familiarity", "understanding", "capability", "proficiency"]

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS cb_statements (
        batch UInt32, seq UInt64, valid UInt8, id String, version String, actor String, verb String,
        object_id String, object_type String, object_def_type String, object_name String,
        ts Nullable(DateTime64(3, 'UTC')), stored Nullable(DateTime64(3, 'UTC')), stored_text String,
        registration String, revision String, grouping Array(String), categories Array(String),
        requirements Array(String), level String, organisation String,
        success Int8, completion Int8, rating String, response String, score Nullable(Float64),
        duration_s Nullable(Float64), excerpt String
    ) ENGINE = MergeTree ORDER BY (batch, id)""",
    "CREATE TABLE IF NOT EXISTS cb_meta (key String, value String, at DateTime64(6)) ENGINE = MergeTree ORDER BY key",
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
    "batch, seq, valid, id, version, actor, verb, object_id, object_type, object_def_type, object_name, ts, stored, "
    "stored_text, registration, revision, grouping, categories, requirements, level, organisation, success, "
    "completion, rating, response, score, duration_s, excerpt"
)


# Small blocks keep peak memory flat however large the input: statements are ~2 kB each.
INGEST_SETTINGS = (
    "max_block_size = 8192, min_insert_block_size_rows = 65536, "
    "min_insert_block_size_bytes = 33554432, max_insert_threads = 1, storage_file_read_method = 'pread'"
)


def parse_insert(source: str, batch: int, column: str = "line", where: str = "") -> str:
    """INSERT INTO cb_statements the statements in `source` (a table or table function with a String column)."""
    level_key = EXTENSIONS["taxonomy-level"].replace("'", "\\'")
    rating_key = EXTENSIONS["rating"].replace("'", "\\'")
    return f"""INSERT INTO cb_statements ({COLUMNS})
SELECT
    {int(batch)} AS batch, rowNumberInAllBlocks() AS seq, valid, t.id, t.version,
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
FROM (SELECT {column}, isValidJSON({column}) AS valid, JSONExtract({column}, '{_TUPLE}') AS t FROM {source})
{where}
SETTINGS {INGEST_SETTINGS}"""


def _known_iris() -> str:
    return "(SELECT groupArray(iri) FROM cb_courses)"


VOIDED_IDS = "(SELECT object_id FROM cb_classified WHERE quality = 'voiding' AND object_type = 'StatementRef')"


def classify(from_batch: int) -> list[str]:
    """Classify the statements of batches >= from_batch into cb_classified (earlier batches are kept).

    Classes, first match wins: malformed, other-version, duplicate (a later copy of an id already
    received, in this batch or an earlier one), voiding, unknown-activity, untagged, ok. `voided` is
    decided when reading (an ok statement whose id a voiding statement names), so a voiding statement
    that arrives later still removes a statement classified earlier."""
    return [
        """CREATE TABLE IF NOT EXISTS cb_classified ENGINE = MergeTree ORDER BY tuple() AS
            SELECT *, '' AS course_iri, '' AS course, '' AS quality FROM cb_statements WHERE 0""",
        f"""INSERT INTO cb_classified
SELECT * EXCEPT (later_copy) FROM (
WITH {_known_iris()} AS known, (SELECT groupArray(course) FROM cb_courses) AS known_ids
SELECT s.*,
    arrayFirst(i -> arrayExists(g -> g = i OR startsWith(g, concat(i, '/')), s.grouping)
                    OR s.object_id = i OR startsWith(s.object_id, concat(i, '/')), known) AS course_iri,
    if(course_iri = '', '', known_ids[indexOf(known, course_iri)]) AS course,
    d.first != (0, 0) AND d.first != (s.batch, s.seq) AS later_copy,
    multiIf(
        NOT s.valid OR NOT match(s.id, '^[0-9a-fA-F]{{8}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{12}}$')
            OR s.actor = '' OR s.verb = '' OR s.object_id = '' OR isNull(s.ts), 'malformed',
        s.version != '' AND NOT startsWith(s.version, '1.0'), 'other-version',
        later_copy, 'duplicate',
        s.verb = '{VOIDED_VERB}', 'voiding',
        course_iri = '', 'unknown-activity',
        s.verb IN ('{VERBS["answered"]}', '{VERBS["responded"]}', '{VERBS["experienced"]}')
            AND (NOT has(s.categories, '{PROFILE_VERSION}')
                 OR (s.level = '' AND s.object_def_type != '{ACTIVITY_TYPES["self-assessment"]}')), 'untagged',
        'ok') AS quality
FROM cb_statements AS s
LEFT JOIN (
    SELECT id, min((batch, seq)) AS first FROM cb_statements
    WHERE id IN (SELECT id FROM cb_statements WHERE batch >= {int(from_batch)})
    GROUP BY id HAVING count() > 1
) AS d ON d.id = s.id
WHERE s.batch >= {int(from_batch)})
SETTINGS max_block_size = 16384, min_insert_block_size_rows = 65536, min_insert_block_size_bytes = 33554432,
         max_insert_threads = 1""",
    ]


def filtered(
    courses: list[str], revision: str | None, since: str | None, until: str | None, organisation: str | None
) -> str:
    """The `ok` statements, with course id, inside the filters: a subquery every figure reads from."""
    conditions = ["c.quality = 'ok'", f"c.id NOT IN {VOIDED_IDS}"]
    if courses:
        conditions.append("c.course IN (" + ", ".join(quote(c) for c in courses) + ")")
    if revision:
        conditions.append(f"c.revision = {quote(revision)}")
    if since:
        conditions.append(f"c.ts >= parseDateTime64BestEffort({quote(since)}, 3, 'UTC')")
    if until:
        conditions.append(f"c.ts < parseDateTime64BestEffort({quote(until)}, 3, 'UTC')")
    if organisation:
        conditions.append(f"c.organisation = {quote(organisation)}")
    return "(SELECT * FROM cb_classified AS c WHERE " + " AND ".join(conditions) + ")"


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
    SELECT requirement, level, {_LEVEL_RANK.format("level")} AS level_rank, uniqExact(actor) AS learners
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
           uniqExactIf(actor, success = 1 AND {_LEVEL_RANK.format("level")} >= rr.level_rank) AS reached
    FROM {source} AS f ARRAY JOIN requirements AS requirement
    INNER JOIN cb_requirements AS rr ON rr.requirement = requirement
    WHERE verb IN {EVIDENCE_VERBS} AND level != ''
    GROUP BY requirement
) AS e INNER JOIN cb_requirements AS r ON r.requirement = e.requirement
ORDER BY r.tab, toUInt32OrZero(splitByChar('.', r.requirement)[2])"""


ROLLUPS = {
    "course": "course",
    "layer": "r.pathway",
    "archetype": "if(r.archetype = '', 'all staff', r.archetype)",
    "organisation": "if(organisation = '', '(none given)', organisation)",
}


def rollups(source: str) -> str:
    """Learner-requirement pairs that reached the required level, grouped by course, layer, archetype and
    organisation in one pass (GROUPING SETS). `percent_reached` = pairs reached / pairs with evidence."""
    keys = ", ".join(f"{expression} AS g_{name}" for name, expression in ROLLUPS.items())
    sets = ", ".join(f"(g_{name})" for name in ROLLUPS)
    which = (
        "multiIf("
        + ", ".join(f"grouping(g_{name}) = 0, '{name}'" for name in list(ROLLUPS)[:-1])
        + f", '{list(ROLLUPS)[-1]}')"
    )
    return f"""
SELECT {which} AS by, {", ".join(f"g_{name}" for name in ROLLUPS)},
       uniqExact(actor) AS learners, uniqExact(requirement) AS requirements_evidenced,
       uniqExact((actor, requirement)) AS pairs_evidenced,
       uniqExactIf((actor, requirement), reached) AS pairs_reached,
       round(100 * pairs_reached / pairs_evidenced, 1) AS percent_reached
FROM (SELECT {keys}, actor, requirement,
             success = 1 AND {_LEVEL_RANK.format("level")} >= r.level_rank AS reached
      FROM {source} AS f ARRAY JOIN requirements AS requirement
      INNER JOIN cb_requirements AS r ON r.requirement = requirement
      WHERE verb IN {EVIDENCE_VERBS} AND level != '')
GROUP BY GROUPING SETS ({sets})
ORDER BY by, g_course, g_layer, g_archetype, g_organisation"""


def courses(source: str) -> str:
    """Per course: learners, completions, pass rate, score and time spent. One pass: first per learner and
    course, then per course. A learner who failed and later passed counts as passed only."""
    outcome = f"('{VERBS['passed']}', '{VERBS['failed']}')"
    return f"""
SELECT k.course AS course, k.title AS title, s.learners AS learners, s.completed AS completed, s.passed AS passed,
       s.failed AS failed,
       if(s.passed + s.failed = 0, NULL, round(100 * s.passed / (s.passed + s.failed), 1)) AS pass_rate,
       s.mean_score_percent AS mean_score_percent, s.median_minutes AS median_minutes, s.mean_minutes AS mean_minutes
FROM (
    SELECT course, count() AS learners, countIf(c) AS completed, countIf(p) AS passed, countIf(f AND NOT p) AS failed,
           if(sum(sn) = 0, NULL, round(100 * sum(ss) / sum(sn), 1)) AS mean_score_percent,
           round(medianIf(minutes, tn > 0), 1) AS median_minutes, round(avgIf(minutes, tn > 0), 1) AS mean_minutes
    FROM (
        SELECT course, actor,
               max(verb = '{VERBS["completed"]}') AS c, max(verb = '{VERBS["passed"]}') AS p,
               max(verb = '{VERBS["failed"]}') AS f,
               sumIf(assumeNotNull(score), verb IN {outcome} AND isNotNull(score)) AS ss,
               countIf(verb IN {outcome} AND isNotNull(score)) AS sn,
               sumIf(assumeNotNull(duration_s), verb = '{VERBS["terminated"]}' AND isNotNull(duration_s)) / 60 AS minutes,
               countIf(verb = '{VERBS["terminated"]}' AND isNotNull(duration_s)) AS tn
        FROM {source} GROUP BY course, actor
    ) GROUP BY course
) AS s INNER JOIN cb_courses AS k ON k.course = s.course
ORDER BY course"""


def scores(source: str) -> str:
    """Distribution of assessment scores (passed and failed statements) in bands of 10 percentage points."""
    return f"""
SELECT course, toUInt8(least(floor(score * 10), 9) * 10) AS band_from, count() AS results
FROM {source}
WHERE verb IN ('{VERBS["passed"]}', '{VERBS["failed"]}') AND isNotNull(score)
GROUP BY course, band_from ORDER BY course, band_from"""


def wrong_answers(source: str, limit: int = 25) -> str:
    """The questions and decisions answered wrongly (or rated unsafe) most often."""
    return f"""
SELECT course, object_id AS item, any(object_name) AS name,
       if(verb = '{VERBS["responded"]}', 'decision', 'question') AS kind,
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


_QUALITY = f"if(quality = 'ok' AND id IN {VOIDED_IDS}, 'voided', quality)"

QUALITY_COUNTS = f"""
SELECT {_QUALITY} AS class, count() AS statements FROM cb_classified GROUP BY class ORDER BY class"""

QUALITY_LIST = f"""
SELECT {_QUALITY} AS class, id, verb, object_id, excerpt FROM cb_classified
WHERE class NOT IN ('ok', 'voiding') ORDER BY class, id LIMIT 1 BY class, id LIMIT {{limit}}"""

TOTALS = """
SELECT count() AS statements, uniqExact(actor) AS learners, min(ts) AS first, max(ts) AS last FROM {source}"""

ORGANISATIONS = "SELECT DISTINCT organisation FROM cb_classified WHERE organisation != '' ORDER BY organisation"
