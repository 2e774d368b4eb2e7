"""``flask --app portal portal ...``: init-db, validate, load."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from portal import migrate
from portal.extensions import engine, session
from portal.publish import service

portal_cli = AppGroup("portal", help="Manage the portal's database and datasets.")


def init_app(app: Flask) -> None:
    app.cli.add_command(portal_cli)


@portal_cli.command("init-db")
def init_db() -> None:
    """Create the database schema, or upgrade it to the newest revision."""
    try:
        migrate.upgrade(engine())
    except SQLAlchemyError as exc:
        raise click.ClickException(f"could not migrate the database: {exc.__class__.__name__}: {exc}")
    click.echo(f"Database {engine().url.render_as_string(hide_password=True)} is up to date.")


@portal_cli.command("validate")
@click.argument("path", type=click.Path(exists=True, file_okay=True, dir_okay=True))
def validate(path: str) -> None:
    """Validate the data package at PATH (a folder or its datapackage.json), or
    every package in the sub-folders of PATH. Exits non-zero on any problem."""
    _require_schema()
    results = service.validate_path(session(), path)
    for _content, report in results:
        click.echo(report.render())
    invalid = sum(not report.valid for _, report in results)
    if invalid:
        raise click.ClickException(f"{invalid} of {len(results)} package(s) invalid.")


@portal_cli.command("load")
@click.argument("path", type=click.Path(exists=True, file_okay=True, dir_okay=True))
@click.option("--changelog-en", help="What changed, in English (with --changelog-cy).")
@click.option("--changelog-cy", help="What changed, in Welsh (with --changelog-en).")
def load(path: str, changelog_en: str | None, changelog_cy: str | None) -> None:
    """Validate the package(s) at PATH and publish each as a new version.

    Content identical to the latest version publishes nothing. If any package
    is invalid, none is published."""
    if bool(changelog_en) != bool(changelog_cy):
        raise click.UsageError("give the changelog in both languages: --changelog-en and --changelog-cy.")
    _require_schema()
    changelog = (changelog_en, changelog_cy) if changelog_en else None
    results = service.load_path(session(), path, changelog=changelog)
    for result in results:
        if result.status == "published":
            click.echo(f"{result.name}: published version {result.version}")
        elif result.status == "unchanged":
            click.echo(f"{result.name}: unchanged (version {result.version} has the same content)")
        elif result.status == "not-published":
            click.echo(f"{result.name}: valid, not published because another package is invalid")
        else:
            click.echo(result.report.render())
    if not all(result.ok for result in results):
        raise click.ClickException("nothing was published.")


def _require_schema() -> None:
    try:
        current = migrate.is_current(engine())
    except SQLAlchemyError as exc:
        raise click.ClickException(f"cannot reach the database: {exc.__class__.__name__}")
    if not current:
        raise click.ClickException("the database is not up to date; run `flask --app portal portal init-db`.")
