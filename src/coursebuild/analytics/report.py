"""`coursebuild report`: ingest statements, classify them, run the figures' SQL and write the report —
a self-contained HTML page (charts as inline SVG, each with its table) plus CSV and JSON of every table."""

from __future__ import annotations

import csv
import io
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from coursebuild.analytics import charts, quality, queries, sources
from coursebuild.analytics.errors import AnalyticsError, FilterError
from coursebuild.analytics.store import Store, open_store

TEMPLATE = "report.html.j2"


@dataclass
class Options:
    out: Path
    course_dirs: list[Path]
    store_dir: Path | None = None
    clickhouse_url: str | None = None
    lrs: str | None = None
    netrc: Path | None = None
    files: list[Path] = field(default_factory=list)
    clickhouse_table: str | None = None
    clickhouse_column: str = "event"
    courses: list[str] = field(default_factory=list)
    revision: str | None = None
    since: str | None = None
    until: str | None = None
    organisation: str | None = None
    full: bool = False
    charts: bool = True


@dataclass
class Table:
    name: str
    title: str
    columns: list[str]
    rows: list[dict[str, Any]]
    note: str = ""


@dataclass
class Result:
    out: Path
    ingested: list[sources.IngestResult]
    tables: dict[str, Table]
    timings: dict[str, float]


# ------------------------------------------------------------------ reference data


def fingerprint(course_dirs: list[Path]) -> str:
    """A hash of every file of the courses and of the requirements catalogue: when it is unchanged, the
    reference tables and the classification of earlier statements still hold."""
    import hashlib

    from coursebuild.catalogue import find_catalogue

    digest = hashlib.sha256()
    files: list[Path] = []
    for folder in sorted(Path(d).resolve() for d in course_dirs):
        files.extend(sorted(p for p in folder.rglob("*") if p.is_file()))
        catalogue = find_catalogue(folder)
        if catalogue is not None:
            files.append(catalogue.resolve())
    for path in files:
        digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _meta(store: Store, key: str) -> str | None:
    rows = store.rows(f"SELECT value FROM cb_meta WHERE key = {queries.quote(key)} ORDER BY at DESC LIMIT 1")
    return rows[0]["value"] if rows else None


def _set_meta(store: Store, key: str, value: str) -> None:
    store.insert_rows(
        "cb_meta", [{"key": key, "value": value, "at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")}]
    )


def prepare(store: Store, course_dirs: list[Path]) -> list[str]:
    """Reference tables up to date and every statement classified; returns the known course ids."""
    print_ = fingerprint(course_dirs)
    if _meta(store, "reference") != print_ or not store.rows("EXISTS TABLE cb_courses")[0].get("result"):
        load_reference(store, course_dirs)
        store.execute("DROP TABLE IF EXISTS cb_classified")
        _set_meta(store, "reference", print_)
    classified = (
        store.rows("SELECT max(batch) AS b FROM cb_classified")
        if store.rows("EXISTS TABLE cb_classified")[0].get("result")
        else [{"b": 0}]
    )
    for sql in queries.classify(int(classified[0]["b"] or 0) + 1):
        store.execute(sql)
    return [r["course"] for r in store.rows("SELECT course FROM cb_courses ORDER BY course")]


def load_reference(store: Store, course_dirs: list[Path]) -> dict[str, Any]:
    """The courses, the requirements catalogue and what each course teaches, as small tables."""
    from coursebuild.coverage import course_coverage
    from coursebuild.pipeline.build import compile_course

    courses, taught, catalogue = [], [], None
    for folder in course_dirs:
        built = compile_course(folder, Path.cwd())
        if built.course is None:
            raise AnalyticsError(f"cannot read the course in {folder}: fix it first (coursebuild validate {folder})")
        config = built.course.config
        courses.append(
            {
                "course": config.id,
                "iri": config.base_iri,
                "title": config.title,
                "version": config.version,
                "pathway": config.pathway.value,
                "archetypes": [a.value for a in config.archetypes],
            }
        )
        if built.catalogue is not None:
            catalogue = built.catalogue
            for row in course_coverage(built.course, built.catalogue).rows:
                if row.taught:
                    taught.append({"requirement": row.requirement.id, "course": config.id})
    requirements = []
    if catalogue is not None:
        for requirement in catalogue.requirements.values():
            table = catalogue.tables[requirement.table]
            requirements.append(
                {
                    "requirement": requirement.id,
                    "tab": requirement.table,
                    "pathway": table.pathway.value,
                    "archetype": table.archetype.value if table.archetype else "",
                    "level": requirement.level.value if requirement.level else "",
                    "level_rank": requirement.level.rank + 1 if requirement.level else 0,
                    "statement": requirement.statement,
                }
            )
    for sql in queries.REFERENCE_SCHEMA:
        store.execute(sql)
    store.insert_rows("cb_courses", courses)
    store.insert_rows("cb_requirements", requirements)
    store.insert_rows("cb_taught", taught)
    return {"courses": courses}


# ------------------------------------------------------------------ filters


def _check_date(value: str | None, option: str) -> str | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise FilterError(f"{option} {value!r} is not a date or time (use YYYY-MM-DD or ISO 8601)") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).isoformat().replace("+00:00", "Z")


def check_filters(store: Store, options: Options, known_courses: list[str]) -> None:
    unknown = [c for c in options.courses if c not in known_courses]
    if unknown:
        raise FilterError(f"--course {unknown[0]!r} is not one of the courses: {', '.join(sorted(known_courses))}")
    if options.organisation is not None:
        organisations = [r["organisation"] for r in store.rows(queries.ORGANISATIONS)]
        if options.organisation not in organisations:
            known = ", ".join(organisations) if organisations else "none: no statement names an organisation"
            raise FilterError(f"--organisation {options.organisation!r} is in no statement (known: {known})")


# ------------------------------------------------------------------ run


def run(options: Options) -> Result:
    timings: dict[str, float] = {}
    options.since = _check_date(options.since, "--since")
    options.until = _check_date(options.until, "--until")
    started = time.perf_counter()
    with open_store(options.store_dir, options.clickhouse_url) as store:
        for sql in queries.SCHEMA:
            store.execute(sql)
        ingested = []
        if options.lrs:
            credentials = sources.credentials_for(options.lrs, options.netrc)
            reader = sources.LrsReader(options.lrs, credentials)
            ingested.append(sources.ingest_lrs(store, reader, full=options.full))
        for path in options.files:
            ingested.append(sources.ingest_file(store, path))
        if options.clickhouse_table:
            ingested.append(sources.ingest_clickhouse_table(store, options.clickhouse_table, options.clickhouse_column))
        timings["ingest"] = time.perf_counter() - started
        mark = time.perf_counter()
        known = prepare(store, options.course_dirs)
        timings["classify"] = time.perf_counter() - mark
        mark = time.perf_counter()
        check_filters(store, options, known)
        tables = figures(store, options)
        timings["figures"] = time.perf_counter() - mark
    mark = time.perf_counter()
    write(options, tables, ingested, store_kind=store.kind)
    timings["write"] = time.perf_counter() - mark
    timings["total"] = time.perf_counter() - started
    return Result(options.out, ingested, tables, timings)


def figures(store: Store, options: Options) -> dict[str, Table]:
    source = queries.filtered(options.courses, options.revision, options.since, options.until, options.organisation)
    tables: dict[str, Table] = {}

    def add(name: str, title: str, sql: str, note: str = "") -> Table:
        rows = store.rows(sql)
        columns = list(rows[0]) if rows else _columns_of(store, sql)
        tables[name] = Table(name, title, columns, rows, note)
        return tables[name]

    add("totals", "Statements in the figures", queries.TOTALS.format(source=source))
    add(
        "requirements",
        "Attainment per requirement",
        queries.requirement_summary(source),
        "Learners with tagged evidence for the requirement, and those who reached the level the report asks for.",
    )
    add("attainment", "Learners reaching each taxonomy level, per requirement", queries.attainment(source))
    rolled = store.rows(queries.rollups(source))
    measures = ["learners", "requirements_evidenced", "pairs_evidenced", "pairs_reached", "percent_reached"]
    for by, title in [
        ("course", "course"),
        ("layer", "layer"),
        ("archetype", "archetype"),
        ("organisation", "organisation"),
    ]:
        rows = [{by: r[f"g_{by}"], **{m: r[m] for m in measures}} for r in rolled if r["by"] == by]
        tables[f"by_{by}"] = Table(f"by_{by}", f"Requirements reached, by {title}", [by, *measures], rows)
    add("courses", "Completion, pass rate, score and time per course", queries.courses(source))
    add("scores", "Score distribution", queries.scores(source))
    add("wrong_answers", "Questions and decisions most often got wrong", queries.wrong_answers(source))
    add("coverage_gaps", "Taught but never evidenced", queries.coverage_gaps(source))
    add("quality", "Data quality: statements by class", queries.QUALITY_COUNTS)
    add("quality_list", "Data quality: the statements left out", queries.QUALITY_LIST.format(limit=200))
    for row in tables["quality"].rows:
        row["meaning"] = quality.explain(row["class"])
    tables["quality"].columns.append("meaning")
    return tables


def _columns_of(store: Store, sql: str) -> list[str]:
    rows = store.rows(f"DESCRIBE ({sql})")
    return [r["name"] for r in rows]


# ------------------------------------------------------------------ writing


def attainment_matrix(tables: dict[str, Table]) -> list[dict[str, Any]]:
    """Requirement rows × level columns, for the page (a presentation of the small attainment table)."""
    by_requirement: dict[str, dict[str, Any]] = {}
    for summary in tables["requirements"].rows:
        by_requirement[summary["requirement"]] = {"summary": summary, "levels": {}}
    for row in tables["attainment"].rows:
        entry = by_requirement.setdefault(
            row["requirement"],
            {"summary": {"requirement": row["requirement"], "required_level": row["required_level"]}, "levels": {}},
        )
        entry["levels"][row["level"]] = row["learners"]
    return list(by_requirement.values())


def _csv(table: Table) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=table.columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in table.rows:
        writer.writerow({k: (" ".join(map(str, v)) if isinstance(v, list) else v) for k, v in row.items()})
    return buffer.getvalue()


def write(options: Options, tables: dict[str, Table], ingested: list[sources.IngestResult], store_kind: str) -> None:
    out = options.out
    try:
        (out / "data").mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise AnalyticsError(f"cannot write the report to {out}: {error.strerror}") from None
    for table in tables.values():
        (out / "data" / f"{table.name}.csv").write_text(_csv(table), encoding="utf-8")
        (out / "data" / f"{table.name}.json").write_text(
            json.dumps({"title": table.title, "rows": table.rows}, indent=1, ensure_ascii=False, default=str) + "\n",
            encoding="utf-8",
        )
    filters = {
        "course": options.courses,
        "version": options.revision,
        "since": options.since,
        "until": options.until,
        "organisation": options.organisation,
    }
    document = {
        "generated": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "filters": filters,
        "sources": [{"source": i.source, "statements": i.statements} for i in ingested],
        "tables": {name: t.rows for name, t in tables.items()},
    }
    (out / "report.json").write_text(
        json.dumps(document, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )
    (out / "report.html").write_text(render_html(options, tables, document, store_kind), encoding="utf-8")


def render_html(options: Options, tables: dict[str, Table], document: dict[str, Any], store_kind: str) -> str:
    from jinja2 import Environment, PackageLoader, select_autoescape

    svg: dict[str, str] = {}
    if options.charts:
        requirement_rows = [
            {"requirement": r["requirement"], "learners": r["learners_reached_required"]}
            for r in tables["requirements"].rows
        ][:40]
        svg["requirements"] = charts.bar(
            requirement_rows,
            "requirement",
            "learners",
            "Learners who reached the level asked for, per requirement"
            + (" (the first 40; all are in the table)" if len(tables["requirements"].rows) > 40 else ""),
            "learners",
            "requirement",
        )
        course_rows = [
            {"course": r["course"], "percent": round(100 * r["completed"] / r["learners"], 1) if r["learners"] else 0}
            for r in tables["courses"].rows
        ]
        svg["courses"] = charts.bar(
            course_rows,
            "course",
            "percent",
            "Completion per course (percent of learners)",
            "percent completed",
            "course",
            max_value=100,
        )
        svg["scores"] = charts.histogram(tables["scores"].rows, "Assessment scores")
        wrong_rows = [
            {"item": (r["name"] or r["item"])[:60], "wrong": r["wrong"]} for r in tables["wrong_answers"].rows[:10]
        ]
        svg["wrong_answers"] = charts.bar(
            wrong_rows, "item", "wrong", "Answers most often wrong", "wrong answers", "item"
        )
    environment = Environment(
        loader=PackageLoader("coursebuild.analytics", "."),
        autoescape=select_autoescape(["j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    template = environment.get_template(TEMPLATE)
    return template.render(
        tables=tables,
        svg=svg,
        document=document,
        matrix=attainment_matrix(tables),
        levels=queries.LEVELS,
        quality_classes=quality.CLASSES,
        store_kind=store_kind,
    )
