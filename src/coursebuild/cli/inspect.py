"""`coursebuild inspect PACKAGE.zip`: check a SCORM, cmi5 or TinCan package before it goes into an LMS.

Exit codes: 0 no errors (warnings allowed), 1 the package has errors, 2 usage errors (not a zip, no file).
"""

from __future__ import annotations

import json
from pathlib import Path

import click


class _NotAPackage(click.ClickException):
    exit_code = 2


@click.command(name="inspect")
@click.argument("package", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON for scripts and CI.")
@click.option("--all", "show_all", is_flag=True, help="List every finding (by default at most 10 of each kind).")
def inspect_command(package: Path, as_json: bool, show_all: bool) -> None:
    """Check PACKAGE.zip (SCORM 1.2/2004, cmi5 or TinCan; ours or anyone's) as an LMS would on upload.

    Nothing is extracted: the zip is read in memory, within fixed limits, so hostile zips are safe.
    Exit status 1 means an LMS would refuse the package or the course would break in it.
    """
    from coursebuild.inspector import PackageError, inspect_package, render_text  # not loaded for other commands

    try:
        report = inspect_package(package)
    except PackageError as exc:
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "package": str(package),
                        "ok": False,
                        "format": None,
                        "errors": [{"code": "not-a-zip", "message": str(exc)}],
                        "warnings": [],
                        "notes": [],
                    },
                    indent=2,
                )
            )
        raise _NotAPackage(f"{exc}. coursebuild inspect needs the .zip you would upload to the LMS.") from None
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        text = render_text(report, show_all=show_all)
        verdict = report.verdict()
        body = text[: text.rindex(verdict)]
        click.echo(body, nl=False)
        click.secho(verdict, fg="red" if not report.ok else "yellow" if report.warnings else "green", bold=True)
    if not report.ok:
        raise click.exceptions.Exit(1)
