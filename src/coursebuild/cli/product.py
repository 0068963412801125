"""Command line for product-specific training: `coursebuild new product`, `update product`, `migrate product`
and `release template`.

`new_group`, `update_group`, `migrate_group` and `release_group` are click groups that the main command line
adds with `main.add_command`; the logic is in the `coursebuild.products` package.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

# coursebuild.products is imported by each command, not here: `coursebuild build` need not load it.


def _shown(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _source(source: str) -> str:
    return source if "://" in source or ":" in source.split("/")[0] else _shown(Path(source))


@click.group(name="new")
def new_group() -> None:
    """Create something new from a template."""


@new_group.command(name="product")
@click.argument("name")
@click.option(
    "--template",
    "-t",
    metavar="T",
    help="Template name under courses/product_templates/, a folder or a git URL. [default: default]",
)
@click.option(
    "--answers",
    "answers",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A YAML file of product facts (shaped like product.yml); no questions are asked.",
)
@click.option(
    "--dest",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the new course. [default: courses/products/<slug>]",
)
@click.option(
    "--ref",
    metavar="REF",
    help="The template version to use, such as v1.0.0: a stored release, or a tag of a template in git. [default: the newest]",
)
def new_product_command(
    name: str, template: str | None, answers: Path | None, dest: Path | None, ref: str | None
) -> None:
    """Create a product-training course for the AI product NAME.

    On a terminal, and without --answers, you are asked for each product fact (press Enter to keep a
    placeholder and fill it in product.yml later). Facts given with --answers are used as they are.
    """
    from coursebuild.products import FACTS_FILE, ProductError, new_product

    interactive = answers is None and sys.stdin.isatty() and sys.stdout.isatty()
    if answers is None and not interactive:
        click.echo("not a terminal and no --answers: every fact starts as a placeholder", err=True)
    try:
        result = new_product(name, template=template, answers=answers, dest=dest, ref=ref, interactive=interactive)
    except ProductError as exc:
        raise click.ClickException(exc.format_message()) from None
    course = _shown(result.course_dir)
    click.echo(f"created {course} from template {result.template_version} ({_source(result.template_source)})")
    if result.unfilled:
        click.echo(f"{len(result.unfilled)} fact{'s' if len(result.unfilled) != 1 else ''} still to fill in:")
        for problem in result.unfilled:
            click.echo(f"  {problem.file}:{problem.line}: {problem.message}")
    if result.other_problems:
        click.echo(
            f"and {result.other_problems} placeholder{'s' if result.other_problems != 1 else ''} in the lessons, which "
            f"step 2 below fills from the facts (`coursebuild validate {course}` lists them)"
        )
    steps = []
    if result.unfilled or result.other_problems:
        steps.append(f"fill in every fact in {course}/{FACTS_FILE}")
        steps.append(f"coursebuild update product {course}   (rewrites the lessons from the facts)")
    steps.append(f"coursebuild validate {course}   (lists anything unfinished, with file and line)")
    steps.append(f"coursebuild build {course}   (writes the packages to upload to your LMS)")
    click.echo("next:")
    for number, step in enumerate(steps, start=1):
        click.echo(f"  {number}. {step}")


@click.group(name="update")
def update_group() -> None:
    """Bring something up to date with its template."""


@update_group.command(name="product")
@click.argument("course_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--template",
    "-t",
    metavar="T",
    help="Take the template from here instead of where the course came from (name, folder or git URL).",
)
@click.option(
    "--ref",
    metavar="REF",
    help="The template version to update to, such as v1.1.0: a stored release, or a tag of a template in git. [default: the newest]",
)
def update_product_command(course_dir: Path, template: str | None, ref: str | None) -> None:
    """Re-apply the product template to COURSE_DIR: its newest version, and the facts now in product.yml.

    Your own edits to the lessons are kept (a three-way merge). Where an edit and a template change touch
    the same lines, both are left in the file between <<<<<<< and >>>>>>> markers, the files are listed,
    and the command exits with status 1; the build refuses the course until you resolve them.
    Commit your work first, so that you can review the update with `git diff`.
    """
    from coursebuild.products import FACTS_FILE, ProductError, update_product

    try:
        result = update_product(course_dir, template=template, ref=ref)
    except ProductError as exc:
        raise click.ClickException(exc.format_message()) from None
    course = _shown(result.course_dir)
    if result.old_version == result.new_version:
        click.echo(f"{course}: template version {result.new_version} kept; lessons rewritten from {FACTS_FILE}")
    else:
        click.echo(f"{course}: updated from template {result.old_version} to {result.new_version}")
    for relative in result.changed:
        click.echo(f"  changed  {relative}")
    for relative in result.deleted:
        click.echo(f"  removed  {relative}")
    if not result.changed and not result.deleted:
        click.echo("  nothing changed")
    if result.added_facts:
        click.echo(
            f"the new template asks for {len(result.added_facts)} new fact(s), added to {FACTS_FILE} as placeholders: "
            + ", ".join(result.added_facts)
        )
    if result.conflicts:
        for relative in result.conflicts:
            click.echo(f"conflict: {course}/{relative}", err=True)
        raise click.ClickException(
            f"{len(result.conflicts)} file{'s' if len(result.conflicts) != 1 else ''} with conflicts: your edits and the "
            "template's changes overlap. In each file, keep the right text between the '<<<<<<< before updating' "
            "and '>>>>>>> after updating' lines and delete the markers; `coursebuild validate` finds any left."
        )


@click.group(name="migrate")
def migrate_group() -> None:
    """Convert what an older coursebuild made."""


@migrate_group.command(name="product")
@click.argument("course_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--template",
    "-t",
    metavar="T",
    help="Where the course's template is kept, if not where it came from (name, folder or git URL).",
)
def migrate_product_command(course_dir: Path, template: str | None) -> None:
    """Stop COURSE_DIR carrying a copy of its template in .template/.

    The copy is checked against the template's stored releases; the version it equals is recorded in
    .copier-answers.yml (as _commit) and the copy is deleted. `update product` then merges from that
    release. If the copy matches no release, nothing is changed. Running it again changes nothing.
    """
    from coursebuild.products import SNAPSHOT_DIR, ProductError, migrate_product

    try:
        result = migrate_product(course_dir, template=template)
    except ProductError as exc:
        raise click.ClickException(exc.format_message()) from None
    course = _shown(result.course_dir)
    if not result.removed:
        click.echo(
            f"{course}: migrated already (no {SNAPSHOT_DIR}/; template version {result.template_version}); nothing changed"
        )
        return
    click.echo(
        f"{course}: removed {SNAPSHOT_DIR}/, which is release v{result.template_version} of "
        f"{_source(result.template_source)}; updates now merge from that release"
    )
    if result.recorded_version:
        click.echo(
            f"  _commit in .copier-answers.yml was v{result.recorded_version}; it is now v{result.template_version}, "
            f"the version {SNAPSHOT_DIR}/ held"
        )


@click.group(name="release")
def release_group() -> None:
    """Store a version of something for later updates."""


@release_group.command(name="template")
@click.argument("template", default="default", metavar="[TEMPLATE]")
def release_template_command(template: str) -> None:
    """Store the product template TEMPLATE (a name under courses/product_templates/ or a folder) as
    releases/v<version>.tar.gz, the version being template_version in its copier.yml. [default: default]

    Do this, and commit the archive, whenever you bump template_version: `update product` merges each
    course from the release it was made from. A release never changes; releasing the same files again
    does nothing.
    """
    from coursebuild.products import ProductError, release_template, resolve_template

    try:
        source = resolve_template(template, Path.cwd())
        if "://" in source or not Path(source).is_dir():
            raise ProductError(
                f"{template}: release a template folder; a template in git has its versions as tags v<version>"
            )
        result = release_template(Path(source))
    except ProductError as exc:
        raise click.ClickException(exc.format_message()) from None
    if result.created:
        click.echo(f"wrote {_shown(result.path)}: template version {result.version}; commit it")
    else:
        click.echo(
            f"{_shown(result.path)}: version {result.version} is released already, with these files; nothing changed"
        )
