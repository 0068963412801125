"""The command line: a thin layer that parses arguments and calls the pipeline.

Exit codes: 0 success, 1 content errors (each printed with file and line), 2 usage errors.

The top of the house: may import any part of coursebuild, and nothing but `coursebuild.__main__` imports it.
Each command lives beside the others here (`inspect.py`, `product.py`, `translate.py`) and does no work of
its own beyond options, output and exit codes.
"""

from __future__ import annotations

import functools
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import click

from coursebuild import __version__
from coursebuild.errors import ContentError, Problem
from coursebuild.pipeline.build import CourseBuild, build_course, compile_course, sorted_problems
from coursebuild.pipeline.cache import DEFAULT_CACHE_DIR
from coursebuild.pipeline.live import LiveCourse
from coursebuild.pipeline.load import discover_courses
from coursebuild.pipeline.render import SPLIT_ABOVE
from coursebuild.targets import get_target, registered_formats

COURSES_DIR = Path("courses")


def _course_dirs(paths: tuple[Path, ...]) -> list[Path]:
    if paths:
        return [Path(p) for p in paths]
    if not COURSES_DIR.is_dir():
        raise click.UsageError("no course folders given and no ./courses folder here")
    found = discover_courses(COURSES_DIR)
    if not found:
        raise click.UsageError(f"no course.yml found under {COURSES_DIR}/")
    return found


def _check_formats(formats: tuple[str, ...]) -> list[str] | None:
    known = registered_formats()
    for fmt in formats:
        if fmt not in known:
            raise click.BadParameter(f"'{fmt}' (choose from {', '.join(known)})", param_hint="--format")
    return list(formats) or None


def _language_jobs(dirs: list[Path], language: str | None) -> list[tuple[Path, str | None]]:
    """(course folder, language) to build: the source (None), one translation, or all of them."""
    if language is None:
        return [(d, None) for d in dirs]
    if language != "all":
        from coursebuild.translation.workflow import LANGUAGE

        if not LANGUAGE.match(language):
            raise click.BadParameter(
                f"'{language}' is not a language tag (for example cy) or 'all'", param_hint="--lang"
            )
        return [(d, language) for d in dirs]
    from coursebuild.translation.store import languages

    return [(d, lang) for d in dirs for lang in [None, *languages(d)]]


def _report(results: list[CourseBuild], verb: str) -> None:
    problems: list[Problem] = sorted_problems([p for r in results for p in r.problems.items])
    seen = set()
    for problem in problems:
        if problem in seen:
            continue
        seen.add(problem)
        click.echo(problem.format(), err=True)
    failed = [r for r in results if not r.ok]
    if failed:
        raise ContentError([p for r in failed for p in r.problems.errors])
    for result in results:
        for path in result.written:
            click.echo(f"wrote {path}")
    if verb == "validate":
        click.echo(f"{len(results)} course{'s' if len(results) != 1 else ''} valid")


def _run_all(
    course_dirs: Sequence[Path | tuple[Path, str | None]], run, label: str, jobs: int = 1
) -> list[CourseBuild]:
    """Run `run(course_dir, project_root)` for every course, in `jobs` processes; results in input order.

    `run` must be picklable (a module-level function or functools.partial of one) when jobs > 1. Progress
    is a rich bar on a terminal and one plain line per finished course otherwise (CI logs), on stderr.
    """
    project_root = Path.cwd()
    jobs = max(1, min(jobs, len(course_dirs)))
    results: list[CourseBuild | None] = [None] * len(course_dirs)
    show = len(course_dirs) > 1
    if show and sys.stderr.isatty():
        from rich.progress import Progress

        with Progress(transient=True) as progress:
            task = progress.add_task(label, total=len(course_dirs))
            for index, result in _each_result(course_dirs, run, project_root, jobs):
                results[index] = result
                progress.update(task, description=f"{label} {_job_name(course_dirs[index])}")
                progress.advance(task)
    else:
        for done, (index, result) in enumerate(_each_result(course_dirs, run, project_root, jobs), start=1):
            results[index] = result
            if show:
                click.echo(f"[{done}/{len(course_dirs)}] {label} {_job_name(course_dirs[index])}", err=True)
    return [r for r in results if r is not None]


def _job_name(job) -> str:
    """A course folder, or a (folder, language) pair as `folder (cy)`."""
    if isinstance(job, tuple):
        return f"{job[0]} ({job[1]})" if job[1] else str(job[0])
    return str(job)


def _each_result(course_dirs: Sequence[Path | tuple[Path, str | None]], run, project_root: Path, jobs: int):
    """(index, result) pairs as courses finish: in this process when jobs == 1, else in a process pool."""
    if jobs == 1:
        for index, course_dir in enumerate(course_dirs):
            yield index, run(course_dir, project_root)
        return
    from concurrent.futures import ProcessPoolExecutor, as_completed

    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(run, course_dir, project_root): i for i, course_dir in enumerate(course_dirs)}
        for future in as_completed(futures):
            yield futures[future], future.result()


def _default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _build_one(
    job: tuple[Path, str | None],
    project_root: Path,
    formats: list[str] | None,
    out_dir: Path | None,
    draft: bool,
    embedded,
    cache_dir: Path | None,
    delivery: str | None = None,
    live: LiveCourse | None = None,
    workers: int = 1,
) -> CourseBuild:
    course_dir, language = job
    result = build_course(
        course_dir, formats, out_dir, project_root, draft, embedded, language, cache_dir, delivery, live, workers
    )
    result.site = None  # the packages hold it; not sending it back from a worker saves time and memory
    return result


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="coursebuild")
def main() -> None:
    """Build NHS AI-education courses written in Markdown into SCORM, cmi5, xAPI and web packages."""


@main.command()
@click.argument("course_dirs", nargs=-1, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--format",
    "-f",
    "formats",
    multiple=True,
    metavar="FORMAT",
    help="Output format (repeatable); default: the course's own list.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("dist"),
    show_default=True,
    help="Folder for the packages.",
)
@click.option(
    "--draft",
    is_flag=True,
    help="Build product courses with unfilled facts, or translations with units not yet "
    "translated (shown in the source language), anyway, marked DRAFT on every page.",
)
@click.option(
    "--lang",
    "language",
    metavar="LANG",
    help="Build the translation in translations/LANG/ (for example cy), "
    "or 'all': the source language and every translation.",
)
@click.option(
    "--embed-lrs-credentials",
    nargs=2,
    metavar="ENDPOINT AUTH",
    default=None,
    help="UNSAFE: write an LRS endpoint and Authorization value into SCORM packages so they send xAPI "
    "statements there. Prefer cmi5, or launch parameters from the LMS.",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Use N processes: N courses at once, or for fewer courses than N, a large course's lessons parsed "
    "and rendered on several cores; default: the number of cores; -j 1 is serial.",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_CACHE_DIR,
    show_default=True,
    help="Where unchanged courses' packages are kept between builds.",
)
@click.option(
    "--no-cache", is_flag=True, help="Build everything from the sources, neither reading nor writing the cache."
)
@click.option(
    "--delivery",
    type=click.Choice(["auto", "single", "split"]),
    default=None,
    help="How lessons reach the learner, overriding each course's `delivery`: all in one page, or one "
    f"file per lesson loaded when opened; auto splits courses of more than {SPLIT_ABOVE} lessons.",
)
@click.option(
    "--watch",
    is_flag=True,
    help="Stay running and build again after every save, reusing what unchanged files made (Ctrl+C stops).",
)
def build(
    course_dirs: tuple[Path, ...],
    formats: tuple[str, ...],
    out_dir: Path,
    draft: bool,
    language: str | None,
    embed_lrs_credentials: tuple[str, str] | None,
    jobs: int | None,
    cache_dir: Path,
    no_cache: bool,
    delivery: str | None,
    watch: bool,
) -> None:
    """Build packages for COURSE_DIRS (default: every course under ./courses)."""
    chosen = _check_formats(formats)
    dirs = _course_dirs(course_dirs)
    embedded = None
    if embed_lrs_credentials:
        from coursebuild.targets import EmbeddedLrs

        endpoint, auth = embed_lrs_credentials
        if not endpoint.startswith("https://") and not endpoint.startswith("http://127.0.0.1"):
            raise click.BadParameter("the LRS endpoint must use https", param_hint="--embed-lrs-credentials")
        embedded = EmbeddedLrs(endpoint, auth)
        click.echo(
            "warning: LRS credentials are being written into the packages. Anyone who can open a package can "
            "read them, and use them to write statements to that LRS (or, if the key can read, to download "
            "every learner's records). Use a write-only key for these packages alone, rotate it, and prefer "
            "cmi5 or LMS launch parameters, which never put credentials in a package.",
            err=True,
        )
    work = _language_jobs(dirs, language)
    jobs = jobs or _default_jobs()
    run = functools.partial(
        _build_one,
        workers=max(1, jobs // len(work)) if work else 1,  # cores no other course needs go to a large course's lessons
        formats=chosen,
        out_dir=out_dir,
        draft=draft,
        embedded=embedded,
        cache_dir=None if no_cache else cache_dir,
        delivery=delivery,
    )
    if watch:
        _watch(work, run, out_dir, None if no_cache else cache_dir, catalogue_page=not course_dirs)
        return
    results = _run_all(work, run, "building", jobs)
    _report(results, "build")
    if not course_dirs:
        _write_catalogue_page(results, out_dir)


def _write_catalogue_page(results: list[CourseBuild], out_dir: Path) -> None:
    from coursebuild.pipeline.catalogue_page import write_catalogue_page

    click.echo(f"wrote {write_catalogue_page(results, out_dir)}")


def _watch(work, run, out_dir: Path, cache_dir: Path | None, catalogue_page: bool) -> None:
    """`build --watch`: build everything in this process, then again after each save (see coursebuild.watching)."""
    from coursebuild.watching import Rebuilder, changes

    project_root = Path.cwd()
    rebuilder = Rebuilder(work, lambda job, live: run(job, project_root, live=live))

    def report(results: list[CourseBuild]) -> None:
        try:
            _report(results, "build")
            if catalogue_page:
                _write_catalogue_page(list(rebuilder.results.values()), out_dir)
        except ContentError as error:
            click.echo(f"{error.format_message()} Waiting for the next save.", err=True)

    report(rebuilder.build_all())
    ignored = [out_dir] + ([cache_dir] if cache_dir is not None else [])
    watched = rebuilder.watched()
    click.echo(f"watching {len(watched)} folder(s) for changes (Ctrl+C to stop)", err=True)
    try:
        for changed in changes(watched, ignored):
            started = time.perf_counter()
            results = rebuilder.rebuild(rebuilder.affected(changed))
            report(results)
            click.echo(f"rebuilt {len(results)} course(s) in {time.perf_counter() - started:.2f} s", err=True)
    except KeyboardInterrupt:
        pass


@main.command()
@click.argument("course_dirs", nargs=-1, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--draft", is_flag=True, help="Report unfilled product facts as warnings instead of errors.")
def validate(course_dirs: tuple[Path, ...], draft: bool) -> None:
    """Check COURSE_DIRS as a build would, writing nothing."""
    dirs = _course_dirs(course_dirs)
    results = _run_all(dirs, lambda d, root: build_course(d, None, None, root, draft), "checking")
    _report(results, "validate")


@main.command(name="list")
def list_courses() -> None:
    """List the courses under ./courses with id, version, pathway and lessons."""
    rows = []
    for course_dir in _course_dirs(()):
        result = compile_course(course_dir, Path.cwd())
        course = result.course
        if course is None:
            rows.append((str(course_dir), "?", "?", "?", "has errors: run coursebuild validate"))
            continue
        rows.append(
            (course.id, course.config.version, course.config.pathway.value, str(len(course.lessons)), str(course_dir))
        )
    headers = ("id", "version", "pathway", "lessons", "folder")
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    for row in [headers, *rows]:
        click.echo("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


@main.command()
def formats() -> None:
    """List the output formats this coursebuild can write."""
    for name in registered_formats():
        click.echo(f"{name:10} {get_target(name).description}")


@main.command()
@click.argument("scenario_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "-f", "style", type=click.Choice(["mermaid", "dot"]), default="mermaid", show_default=True)
def graph(scenario_file: Path, style: str) -> None:
    """Print a scenario's branches as a Mermaid or Graphviz graph (problems go to stderr)."""
    from coursebuild.errors import Problems
    from coursebuild.graph import dot, mermaid
    from coursebuild.model import Scenario, ScenarioSource, SourceRef
    from coursebuild.pipeline.load import load_yaml_file, validate_model
    from coursebuild.pipeline.validate import check_scenario_graph

    problems = Problems(Path.cwd())
    doc = load_yaml_file(scenario_file, problems)
    model = validate_model(ScenarioSource, doc, scenario_file, problems, "a scenario") if doc else None
    if doc is not None and model is not None:
        click.echo(mermaid(model) if style == "mermaid" else dot(model), nl=False)
        lines = {scene_id: doc.line_of(("scenes", scene_id)) for scene_id in model.scenes}
        choice_lines = {
            (scene_id, c.id): doc.line_of(("scenes", scene_id, "choices", i))
            for scene_id, scene in model.scenes.items()
            for i, c in enumerate(scene.choices)
        }
        check_scenario_graph(Scenario(model, SourceRef(scenario_file), {}, {}, lines, choice_lines), problems)
    for problem in problems.items:
        click.echo(problem.format(), err=True)
    if problems.errors:
        raise ContentError(problems.errors)


@main.command()
@click.option(
    "--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file instead of stdout."
)
def profile(out_file: Path | None) -> None:
    """Print (or write) the xAPI Profile document that every package's statements follow."""
    from coursebuild.pipeline.write import write_atomically
    from coursebuild.tracking.profile import profile_json

    if out_file is None:
        click.echo(profile_json().decode("utf-8"), nl=False)
    else:
        write_atomically(out_file, profile_json())


@main.command()
@click.argument("course_dirs", nargs=-1, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--format", "-f", "style", type=click.Choice(["text", "csv", "json", "html"]), default="text", show_default=True
)
@click.option(
    "--fail-under",
    type=click.FloatRange(0, 100),
    default=None,
    help="Exit 1 if any course assesses less than PCT% of its requirements, or teaches less than all of them.",
)
def coverage(course_dirs: tuple[Path, ...], style: str, fail_under: float | None) -> None:
    """Show where each report requirement is taught and assessed, per course."""
    from coursebuild.coverage import FORMATTERS, course_coverage

    results = [compile_course(d, Path.cwd()) for d in _course_dirs(course_dirs)]
    failed = [r for r in results if not r.ok or r.course is None]
    if failed:
        _report(failed, "coverage")
    reports = [
        course_coverage(r.course, r.catalogue) for r in results if r.course is not None and r.catalogue is not None
    ]
    click.echo(FORMATTERS[style](reports), nl=False)
    if fail_under is not None:
        short = [r for r in reports if r.percent("taught") < 100 or r.percent("assessed") < fail_under]
        for report in short:
            click.echo(
                f"{report.course_id}: {report.percent('taught'):.0f}% taught (need 100%), "
                f"{report.percent('assessed'):.0f}% assessed (need {fail_under:g}%)",
                err=True,
            )
        if short:
            raise click.exceptions.Exit(1)


@main.command()
@click.argument("course_dir", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(["scorm12", "scorm2004", "cmi5", "xapi", "web"]),
    default="scorm2004",
    show_default=True,
)
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="0 picks a free port.")
@click.option("--no-browser", is_flag=True, help="Do not open a browser window.")
def preview(course_dir: Path | None, fmt: str, port: int, no_browser: bool) -> None:
    """Serve COURSE_DIR on 127.0.0.1 inside a local LMS page; rebuild and reload on every save."""
    import threading
    import webbrowser

    from coursebuild.preview import PreviewState, make_server, watch

    state = PreviewState((course_dir or Path(".")).resolve(), fmt)
    state.rebuild()
    server = make_server(state, port)
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    click.echo(f"previewing {state.course_dir} as {fmt} at {url} (Ctrl+C to stop)")
    for error in state.errors:
        click.echo(error, err=True)
    stop = threading.Event()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    if not no_browser:
        webbrowser.open(url)

    def report(current: PreviewState) -> None:
        click.echo(
            f"rebuilt (version {current.version})" + (f": {len(current.errors)} problem(s)" if current.errors else "")
        )

    try:
        watch(state, stop, report)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.shutdown()


@main.command()
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--lrs",
    metavar="URL",
    help="An xAPI endpoint to read statements from (credentials: COURSEBUILD_LRS_USERNAME "
    "and COURSEBUILD_LRS_PASSWORD, or --netrc).",
)
@click.option(
    "--netrc",
    "netrc_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A netrc-style file with the LRS's login and password.",
)
@click.option(
    "--file",
    "files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A JSON or JSON-lines export of statements (repeatable).",
)
@click.option(
    "--clickhouse-table",
    metavar="TABLE",
    help="Read statements in place from this ClickHouse table (for example Ralph's xapi_events_all).",
)
@click.option(
    "--clickhouse-column",
    metavar="COLUMN",
    default="event",
    show_default=True,
    help="The column of --clickhouse-table that holds each statement's JSON.",
)
@click.option(
    "--store",
    "store_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".coursebuild-analytics"),
    show_default=True,
    help="The chDB folder that keeps statements between runs.",
)
@click.option(
    "--clickhouse",
    "clickhouse_url",
    metavar="URL",
    help="Use this ClickHouse server or cluster instead of chDB "
    "(credentials: COURSEBUILD_CLICKHOUSE_USERNAME and COURSEBUILD_CLICKHOUSE_PASSWORD).",
)
@click.option(
    "--courses",
    "course_dirs",
    multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Course folders the statements come from (default: every course under ./courses).",
)
@click.option("--course", "course_filter", multiple=True, help="Only this course id (repeatable).")
@click.option("--version", "revision", help="Only statements whose context.revision is this course version.")
@click.option("--since", help="Only statements from this date or time (ISO 8601).")
@click.option("--until", help="Only statements before this date or time (ISO 8601).")
@click.option("--organisation", help="Only statements from this organisation.")
@click.option("--full", is_flag=True, help="Fetch everything from the LRS again, not only what is new.")
def report(
    out: Path,
    lrs: str | None,
    netrc_file: Path | None,
    files: tuple[Path, ...],
    clickhouse_table: str | None,
    clickhouse_column: str,
    store_dir: Path,
    clickhouse_url: str | None,
    course_dirs: tuple[Path, ...],
    course_filter: tuple[str, ...],
    revision: str | None,
    since: str | None,
    until: str | None,
    organisation: str | None,
    full: bool,
) -> None:
    """Read xAPI statements and write an analytics report (HTML, CSV, JSON) into OUT."""
    from coursebuild.analytics.report import Options, run

    options = Options(
        out=out,
        course_dirs=_course_dirs(course_dirs),
        store_dir=store_dir,
        clickhouse_url=clickhouse_url,
        lrs=lrs,
        netrc=netrc_file,
        files=list(files),
        clickhouse_table=clickhouse_table,
        clickhouse_column=clickhouse_column,
        courses=list(course_filter),
        revision=revision,
        since=since,
        until=until,
        organisation=organisation,
        full=full,
    )
    result = run(options)
    for ingested in result.ingested:
        click.echo(f"read {ingested.statements} statements from {ingested.source} in {ingested.seconds:.1f} s")
    click.echo(f"wrote {out / 'report.html'} (and CSV/JSON in {out / 'data'}) in {result.timings['total']:.1f} s")


from coursebuild.cli.inspect import inspect_command  # noqa: E402  (self-contained commands, registered last)
from coursebuild.cli.product import migrate_group, new_group, release_group, update_group  # noqa: E402
from coursebuild.cli.translate import translate_group  # noqa: E402

main.add_command(inspect_command)
main.add_command(new_group)
main.add_command(update_group)
main.add_command(migrate_group)
main.add_command(release_group)
main.add_command(translate_group)
