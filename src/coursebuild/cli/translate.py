"""`coursebuild translate`: export XLIFF for translators, import their work, and show how far each is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from coursebuild.errors import ContentError, Problems
from coursebuild.pipeline.write import write_atomically


def _fail_on(problems: Problems) -> None:
    for problem in sorted(problems.items, key=lambda p: (p.file, p.line or 0)):
        click.echo(problem.format(), err=True)
    if problems.errors:
        raise ContentError(problems.errors)


@click.group(name="translate")
def translate_group() -> None:
    """Translate a course: XLIFF 2.0 or 1.2 out to translators and back in (see docs/translation.md)."""


@translate_group.command(name="export")
@click.argument("course_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--lang", "language", required=True, metavar="LANG", help="The language to translate into, for example cy."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["xliff2", "xliff12"]),
    default="xliff2",
    show_default=True,
    help="XLIFF 2.0, or 1.2 for CAT tools that need it.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The file to write (default: <course id>-<LANG>.xlf in the current folder).",
)
def export_command(course_dir: Path, language: str, fmt: str, output: Path | None) -> None:
    """Write every translatable string of COURSE_DIR as an XLIFF file, with the translations it has."""
    from coursebuild.translation.workflow import LANGUAGE, export_course

    if not LANGUAGE.match(language):
        raise click.BadParameter(f"'{language}' is not a language tag (for example cy)", param_hint="--lang")
    problems = Problems(Path.cwd())
    exported = export_course(course_dir, language, fmt, problems)
    _fail_on(problems)
    assert exported is not None
    if output is None:
        from coursebuild.yamlfile import parse_yaml

        course_id = parse_yaml((course_dir / "course.yml").read_text(encoding="utf-8")).data["id"]
        output = Path(f"{course_id}-{language}.xlf")
    write_atomically(output, exported.data)
    click.echo(f"wrote {output}: {exported.units} units, {exported.translated} already translated")


@translate_group.command(name="import")
@click.argument("xliff_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--course",
    "course_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The course folder (default: the course under ./courses whose id the file names).",
)
def import_command(xliff_file: Path, course_dir: Path | None) -> None:
    """Check a translated XLIFF file against its course and write its translations into
    COURSE/translations/<language>/. The course's own files are never changed; if any unit has a
    problem, nothing is written."""
    from coursebuild.translation.workflow import import_xliff

    problems = Problems(Path.cwd())
    imported = import_xliff(xliff_file, course_dir, problems)
    _fail_on(problems)
    assert imported is not None
    for path in imported.written:
        click.echo(f"wrote {path}")
    click.echo(f"imported {imported.units} translated units into {imported.course_dir} ({imported.language})")


@translate_group.command(name="status")
@click.argument("course_dirs", nargs=-1, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--lang",
    "languages",
    multiple=True,
    metavar="LANG",
    help="Only this language (repeatable); default: every language in the course's translations/ folder.",
)
@click.option("--list", "show", is_flag=True, help="Also list each stale or missing unit with its file and line.")
def status_command(course_dirs: tuple[Path, ...], languages: tuple[str, ...], show: bool) -> None:
    """How much of each course is translated, per language."""
    from coursebuild.cli import _course_dirs
    from coursebuild.translation.store import MISSING, STALE, load_store
    from coursebuild.translation.store import languages as found_languages
    from coursebuild.translation.workflow import load_units, status_rows, unit_states

    problems = Problems(Path.cwd())
    rows: list[tuple[Path, Any]] = []
    listed = []
    for course_dir in _course_dirs(course_dirs):
        wanted = list(languages) or found_languages(course_dir)
        rows.extend((course_dir, row) for row in status_rows(course_dir, wanted, problems))
        if show:
            found = load_units(course_dir, Problems())
            for language in wanted if found is not None else []:
                assert found is not None
                for state in unit_states(found[1], load_store(course_dir, language, Problems())):
                    if state.state in (MISSING, STALE):
                        unit = state.unit
                        listed.append(
                            f"{(course_dir / unit.file).as_posix()}:{unit.line}: [{language}] "
                            f"{state.state}: {unit.key} ({unit.note})"
                        )
    _fail_on(problems)
    headers = ("course", "language", "translated", "stale", "missing", "units", "folder")
    table = [
        (r.course, r.language, f"{r.percent:.0f}%", str(r.stale), str(r.missing), str(r.units), str(d)) for d, r in rows
    ]
    widths = [max(len(row[i]) for row in [headers, *table]) for i in range(len(headers))]
    for row in [headers, *table]:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)).rstrip())
    for line in listed:
        click.echo(line)
