"""``flask --app portal portal ...``: init-db, validate, load, build-downloads, users, tokens, worker."""
from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from portal import migrate, queries, rowstore, search
from portal.anonymise import DEFAULT_THRESHOLD
from portal.config import DATASETS_PATH
from portal.db import make_engine
from portal.extensions import engine, session, store, use_engine
from portal.ingest import demo
from portal.ingest.service import OUTPUTS, ingest_responses
from portal.model import ROLES
from portal.packages.limits import Limits
from portal.publish import artefacts, service
from portal.publishing import accounts, jobs, tokens
from portal.publishing.uploads import UploadLimits
from portal.web import feeds


@click.group("portal", cls=AppGroup)
@with_appcontext
def portal_cli() -> None:
    """Manage the portal's database and datasets."""
    # An engine of the command line's own: a load or a migration may run for
    # minutes, so no statement timeout; only init-db may create a SQLite file.
    config = current_app.config
    creating = click.get_current_context().invoked_subcommand == "init-db"
    use_engine(current_app, make_engine(config["DATABASE_URL"], connect_timeout=config["DATABASE_CONNECT_TIMEOUT"],
                                        create=creating))


def init_app(app: Flask) -> None:
    app.cli.add_command(portal_cli)


@portal_cli.command("init-db")
def init_db() -> None:
    """Create the database schema, or upgrade it to the newest revision, and
    rebuild the search index."""
    try:
        migrate.upgrade(engine(), store=store())
        search.reindex(session())
        session().commit()
    except SQLAlchemyError as exc:
        raise click.ClickException(f"could not migrate the database: {exc.__class__.__name__}: {exc}")
    click.echo(f"Database {engine().url.render_as_string(hide_password=True)} is up to date.")


@portal_cli.command("validate")
@click.argument("path", type=click.Path(exists=True, file_okay=True, dir_okay=True))
def validate(path: str) -> None:
    """Validate the data package at PATH (a folder or its datapackage.json), or
    every package in the sub-folders of PATH. Exits non-zero on any problem."""
    _require_schema()
    results = service.validate_path(session(), path, _limits())
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
    try:
        with Progress() as progress:
            results = service.load_path(session(), path, changelog=changelog, progress=progress,
                                        limits=_limits())
    except (SQLAlchemyError, rowstore.StoreError) as exc:
        reason = getattr(exc, "orig", None) or exc
        raise click.ClickException(f"could not publish ({exc.__class__.__name__}: {reason}); "
                                   "nothing was published.") from None
    for result in results:
        if result.status == "published":
            click.echo(f"{result.name}: published version {result.version}")
        elif result.status == "unchanged":
            click.echo(f"{result.name}: unchanged (version {result.version} has the same content)")
        elif result.status == "not-published" and result.report.valid:
            click.echo(f"{result.name}: valid, not published because another package is invalid")
        else:
            click.echo(result.report.render())
    if not all(result.ok for result in results):
        raise click.ClickException("nothing was published.")
    if any(result.status == "published" for result in results):
        _build_catalogue()


def _build_catalogue() -> None:
    made = feeds.build_catalogue(current_app)
    if made:
        click.echo(f"DCAT catalogue: first page made ({', '.join(made)})")


def _limits() -> Limits:
    return Limits.from_settings(current_app.config)


@portal_cli.command("build-downloads")
def build_downloads() -> None:
    """Build the downloads that versions published earlier lack (spreadsheets
    and CSVs for Excel), as publishing builds them now. Without this, each is
    built when it is first asked for, which takes a while for large tables."""
    _require_schema()
    count = 0
    for version, resource, variant in list(artefacts.missing_variants(session())):
        artefacts.build_late(session(), version, resource, variant, store())
        session().commit()
        count += 1
        click.echo(f"{version.dataset.name} version {version.number}: {variant.name(resource)}")
    click.echo(f"{count} file(s) built.")


@portal_cli.command("ingest-responses")
@click.argument("responses", type=click.Path(exists=True, dir_okay=False))
@click.argument("invitations", type=click.Path(exists=True, dir_okay=False))
@click.option("--threshold", type=int, default=DEFAULT_THRESHOLD, show_default=True,
              help="Suppress every cell based on fewer respondents than this (2 to 1000).")
@click.option("--demo", is_flag=True, help="Label the results as demonstration (synthetic) data.")
@click.option("--dry-run", is_flag=True, help="Validate, aggregate and report; publish nothing.")
@click.option("--if-unpublished", is_flag=True,
              help="Do nothing if maturity scores are already published (used by `make run`).")
@click.option("--changelog-en", help="What changed, in English (with --changelog-cy).")
@click.option("--changelog-cy", help="What changed, in Welsh (with --changelog-en).")
def ingest(responses: str, invitations: str, threshold: int, demo: bool, dry_run: bool,
           if_unpublished: bool, changelog_en: str | None, changelog_cy: str | None) -> None:
    """Aggregate and anonymise raw data-tool RESPONSES (with the numbers invited
    in INVITATIONS), and publish the maturity-scores and response-rates datasets."""
    if bool(changelog_en) != bool(changelog_cy):
        raise click.UsageError("give the changelog in both languages: --changelog-en and --changelog-cy.")
    _require_schema()
    if if_unpublished and queries.latest_version(session(), OUTPUTS[0]) is not None:
        click.echo(f"{OUTPUTS[0]} is already published; nothing to do.")
        return
    result = ingest_responses(session(), responses, invitations, threshold=threshold, demonstration=demo,
                              dry_run=dry_run, changelog=(changelog_en, changelog_cy) if changelog_en else None)
    if not result.ok:
        click.echo(result.report.render())
        raise click.ClickException("nothing was published.")
    dropped = f" (dropped columns: {', '.join(result.dropped_columns)})" if result.dropped_columns else ""
    click.echo(f"Read {result.rows_read} response rows from {result.respondents} respondents{dropped}.")
    published = result.cells - result.suppressed_primary - result.suppressed_secondary
    click.echo(f"Maturity scores: {result.cells} cells, {published} published, "
               f"{result.suppressed_primary} suppressed by the primary rule (fewer than {threshold} "
               f"respondents), {result.suppressed_secondary} by the secondary rule (recoverable by "
               "subtraction).")
    click.echo(f"Response rates: {result.rates} rows, none suppressed (counts of people, not responses).")
    if dry_run:
        click.echo("Dry run: nothing was published.")
    for loaded in result.published:
        if loaded.status == "published":
            click.echo(f"{loaded.name}: published version {loaded.version}")
        else:
            click.echo(f"{loaded.name}: unchanged (version {loaded.version} has the same content)")
    if any(loaded.status == "published" for loaded in result.published):
        _build_catalogue()


@portal_cli.command("demo-data")
@click.option("--output", type=click.Path(file_okay=False), show_default=True,
              default=str(DATASETS_PATH / "demonstration-responses"), help="Folder to write to.")
@click.option("--seed", type=int, default=demo.SEED, show_default=True, help="Random seed.")
def demo_data(output: str, seed: int) -> None:
    """Write synthetic (demonstration) responses and invitations for all 22 councils."""
    for path in demo.write(Path(output), seed):
        click.echo(f"wrote {path}")


class Progress:
    """A progress bar on standard error for a load's long steps: rows as they
    are stored (of about how many the file holds), then each download file
    as it is built. On a terminal the bar is redrawn in place; otherwise a
    line is written at each tenth."""

    WIDTH = 30

    def __init__(self):
        self.live = sys.stderr.isatty()
        self.last = ("", -1)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *_exc) -> None:
        if self.live and self.last[0]:
            click.echo("", err=True)

    def __call__(self, what: str, done: int | None, total: int | None) -> None:
        if done is None or not total:
            self._show(what, f"{what}…", key=-1)
            return
        fraction = min(done / total, 1.0)
        filled = int(fraction * self.WIDTH)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        self._show(what, f"{what} [{bar}] {fraction:4.0%} {done:,}/{total:,}",
                   key=int(fraction * (100 if self.live else 10)))

    def _show(self, what: str, text: str, key: int) -> None:
        if (what, key) == self.last:
            return
        if self.live:
            click.echo(f"\r\x1b[K{text}", nl=False, err=True)
        else:
            click.echo(text, err=True)
        self.last = (what, key)


def _require_schema() -> None:
    url = engine().url
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        raise click.ClickException(f"the database file {url.database} does not exist; "
                                   "run `flask --app portal portal init-db` to create it.")
    try:
        current = migrate.is_current(engine())
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise click.ClickException(f"cannot reach the database {url.render_as_string(hide_password=True)}: "
                                   f"{exc.__class__.__name__}: {reason}")
    if not current:
        raise click.ClickException("the database is not up to date; run `flask --app portal portal init-db`.")


# -- accounts, tokens and the worker ------------------------------------------------------

@portal_cli.group("users")
def users_cli() -> None:
    """Accounts of the publisher's staff (there is no default account)."""


def _password(confirm: bool = True) -> str:
    """The password from PORTAL_PASSWORD, else asked for (hidden, twice)."""
    password = os.environ.get("PORTAL_PASSWORD")
    if password:
        return password
    return click.prompt("Password", hide_input=True, confirmation_prompt=confirm)


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True, help="admin or editor.")
def users_create(email: str, role: str) -> None:
    """Create an account; the password comes from PORTAL_PASSWORD or a prompt."""
    _require_schema()
    try:
        user = accounts.create(session(), email, role, _password())
        session().commit()
    except accounts.AccountError as exc:
        session().rollback()
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created {user.email} ({user.role}).")


@users_cli.command("list")
def users_list() -> None:
    """Every account: address, role, whether active, last sign-in."""
    _require_schema()
    for user in accounts.all_users(session()):
        last = user.last_login_at.strftime("%Y-%m-%d %H:%M UTC") if user.last_login_at else "never signed in"
        click.echo(f"{user.email}\t{user.role}\t{'active' if user.active else 'disabled'}\t{last}")


@users_cli.command("disable")
@click.argument("email")
def users_disable(email: str) -> None:
    """Disable an account: it can no longer sign in or use its tokens."""
    _require_schema()
    try:
        user = accounts.get(session(), email)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    accounts.disable(user)
    session().commit()
    click.echo(f"Disabled {user.email}.")


@users_cli.command("reset-password")
@click.argument("email")
def users_reset_password(email: str) -> None:
    """Set a new password (PORTAL_PASSWORD or a prompt); ends the account's sessions."""
    _require_schema()
    try:
        user = accounts.get(session(), email)
        accounts.set_password(user, _password())
        session().commit()
    except accounts.AccountError as exc:
        session().rollback()
        raise click.ClickException(str(exc)) from None
    click.echo(f"New password set for {user.email}.")


@portal_cli.group("tokens")
def tokens_cli() -> None:
    """API tokens for publishing by machine."""


@tokens_cli.command("issue")
@click.argument("email")
@click.argument("name")
def tokens_issue(email: str, name: str) -> None:
    """Issue a token NAME to the account EMAIL; the token is printed once."""
    _require_schema()
    try:
        user = accounts.get(session(), email)
        if not user.active:
            raise accounts.AccountError(f"The account {user.email} is disabled.")
        _record, token = tokens.issue(session(), user, name)
        session().commit()
    except accounts.AccountError as exc:
        session().rollback()
        raise click.ClickException(str(exc)) from None
    click.echo(token)


@tokens_cli.command("list")
def tokens_list() -> None:
    """Every token: number, name, account, first characters, last use, state."""
    _require_schema()
    for record in tokens.for_user(session()):
        used = record.last_used_at.strftime("%Y-%m-%d %H:%M UTC") if record.last_used_at else "never used"
        state = "revoked" if record.revoked_at else "live"
        click.echo(f"{record.id}\t{record.name}\t{record.user.email}\t{record.prefix}…\t{used}\t{state}")


@tokens_cli.command("revoke")
@click.argument("number", type=int)
def tokens_revoke(number: int) -> None:
    """Revoke the token with this NUMBER (see `tokens list`)."""
    _require_schema()
    try:
        record = tokens.revoke(session(), number)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    session().commit()
    click.echo(f"Revoked {record.name}.")


def job_context() -> jobs.Context:
    config = current_app.config
    limits = _limits()
    url = config["DATABASE_URL"]
    # progress is written beside the job's own transaction, and given up at
    # once rather than waited for (see portal.publishing.jobs.Reporter)
    progress_engine = make_engine(url, connect_timeout=config["DATABASE_CONNECT_TIMEOUT"],
                                  statement_timeout=0.05 if url.startswith("sqlite") else 5.0)
    return jobs.Context(uploads=Path(config["UPLOADS_PATH"]), limits=limits,
                        upload_limits=UploadLimits(max_bytes=limits.file_bytes,
                                                   max_members=config["UPLOAD_MAX_MEMBERS"]),
                        progress_engine=progress_engine, after_publish=lambda: feeds.build_catalogue(current_app))


@portal_cli.command("worker")
@click.option("--once", is_flag=True, help="Do the waiting jobs, then stop.")
@click.option("--interval", type=float, default=1.0, show_default=True, help="Seconds between looks for work.")
def worker(once: bool, interval: float) -> None:
    """Check and publish uploads in the background (`make run` starts it beside the web server)."""
    _require_schema()
    context = job_context()
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    click.echo("Worker started.", err=True)
    try:
        while not stopping:
            try:
                job = jobs.run_once(session(), context)
            except SQLAlchemyError as exc:
                session().rollback()
                click.echo(f"worker: database error, retrying: {exc.__class__.__name__}", err=True)
                job = None
                time.sleep(interval)
            if job is not None:
                click.echo(f"job {job.id}: {job.status}", err=True)
                continue
            if once:
                break
            time.sleep(interval)
    except KeyboardInterrupt:
        pass
    finally:
        context.progress_engine.dispose()
