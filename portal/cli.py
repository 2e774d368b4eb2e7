"""``flask --app portal portal ...``: init-db, validate, load, build-downloads,
ingest-responses, withdraw, cleanup, users, tokens, worker."""
from __future__ import annotations

import datetime as dt
import getpass
import os
import signal
import sys
import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from portal import attribution, migrate, queries, rowstore, search
from portal.anonymise import DEFAULT_THRESHOLD
from portal.config import DATASETS_PATH
from portal.db import make_engine
from portal.extensions import engine, session, store, use_engine
from portal.ingest import demo
from portal.ingest.service import OUTPUTS, ingest_responses
from portal.model import ROLES
from portal.packages.limits import Limits
from portal.publish import artefacts, runs, service
from portal.storage import ObjectMissing, StoreUnavailable
from portal.publish.withdraw import WithdrawalError, withdraw
from portal.publishing import accounts, audit, jobs, tokens
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
    _cleanup(runs.GRACE)


@portal_cli.command("cleanup")
@click.option("--grace-minutes", type=click.IntRange(0, None), default=int(runs.GRACE.total_seconds() // 60),
              show_default=True, help="Keep unreferenced files written less than this long ago.")
def cleanup(grace_minutes: int) -> None:
    """Remove what publications killed part-way left behind: their working
    folders, row tables no published resource names, and files in the
    artefact store that no published version names. Published versions are
    never touched. init-db runs this too."""
    _require_schema()
    _cleanup(dt.timedelta(minutes=grace_minutes))


def _cleanup(grace: dt.timedelta) -> None:
    try:
        report = runs.cleanup(session(), store(), grace=grace, actor=_actor(None), address=audit.CLI)
    except SQLAlchemyError as exc:
        raise click.ClickException(f"could not clean up: {exc.__class__.__name__}: {exc}")
    if report.runs or report.removed:
        click.echo(f"Clean-up: {len(report.runs)} abandoned publication(s); removed {len(report.folders)} "
                   f"working folder(s), {len(report.tables)} row table(s), {len(report.objects)} stored "
                   f"file(s) and {len(report.leftovers)} partial file(s).")
    else:
        click.echo("Clean-up: nothing left behind.")
    if report.live_runs:
        click.echo(f"Clean-up: {report.live_runs} publication(s) still running; their work was left alone.")


def _actor(by: str | None) -> str:
    if by:
        return by
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _by() -> audit.By:
    """Whoever runs the command, for the audit log."""
    return audit.By(_actor(None), audit.CLI)


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
@click.option("--override-disclosure", metavar="REASON",
              help="Publish an edition of anonymised results although cells are at risk of disclosure by "
                   "differencing; the reason is kept in the audit trail.")
@click.option("--by", help="Who publishes, for the audit trail (default: cli:<user>).")
def load(path: str, changelog_en: str | None, changelog_cy: str | None, override_disclosure: str | None,
         by: str | None) -> None:
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
                                        limits=_limits(), actor=_actor(by), address=audit.CLI,
                                        disclosure_override=override_disclosure)
    except (SQLAlchemyError, rowstore.StoreError) as exc:
        reason = getattr(exc, "orig", None) or exc
        raise click.ClickException(f"could not publish ({exc.__class__.__name__}: {reason}); "
                                   "nothing was published.") from None
    for result in results:
        if result.status == "published":
            click.echo(f"{result.name}: published version {result.version}")
        elif result.status == "unchanged":
            click.echo(f"{result.name}: unchanged (version {result.version} has the same content)")
        elif result.status == "withdrawn":
            click.echo(f"{result.name}: withdrawn; nothing is published under its name again")
        elif result.status == "not-published" and result.report.valid:
            why = "is invalid" if any(r.status == "invalid" for r in results) else "was refused"
            click.echo(f"{result.name}: valid, not published because another package {why}")
        else:
            click.echo(result.report.render())
    if not all(result.ok for result in results):
        raise click.ClickException("nothing was published.")
    if any(result.status == "published" for result in results):
        _build_catalogue()
        _say_what_is_built_later(results)


def _say_what_is_built_later(results) -> None:
    """Name the published resources whose spreadsheets are built after publication."""
    later = [f"{result.name}/{resource.name}" for result in results if result.status == "published"
             for resource in queries.get_version(session(), result.name, result.version).resources
             if artefacts.pending(session(), resource.version, resource)]
    if later:
        click.echo(f"Spreadsheets and CSVs for Excel of {', '.join(later)} (more than "
                   f"{current_app.config['SPREADSHEETS_AT_PUBLICATION_MAX_ROWS']:,} rows) are built after "
                   "publication by the worker (`flask --app portal portal worker`, which `make run` starts), "
                   "or now by `flask --app portal portal build-downloads`.")


def _build_catalogue() -> None:
    made = feeds.build_catalogue(current_app)
    if made:
        click.echo(f"DCAT catalogue: first page made ({', '.join(made)})")


def _limits() -> Limits:
    return Limits.from_settings(current_app.config)


@portal_cli.command("build-downloads")
def build_downloads() -> None:
    """Build the downloads that versions lack (spreadsheets and CSVs for
    Excel): those of versions published before they existed, and those of
    large tables, built after publication (the worker builds them too)."""
    _require_schema()
    missing = list(artefacts.missing_variants(session()))
    with Progress() as progress:
        for count, (version, resource, variant) in enumerate(missing, start=1):
            name = f"{version.dataset.name} version {version.number}: {variant.name(resource)}"
            progress("files built", count - 1, len(missing), name)
            artefacts.build_late(session(), version, resource, variant, store())
            session().commit()
            if not progress.live:
                click.echo(name)
        if missing:
            progress("files built", len(missing), len(missing))
    click.echo(f"{len(missing)} file(s) built.")


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
@click.option("--override-disclosure", metavar="REASON",
              help="Publish although cells are at risk of disclosure by differencing against earlier "
                   "versions; the reason is kept in the audit trail.")
@click.option("--by", help="Who publishes, for the audit trail (default: cli:<user>).")
def ingest(responses: str, invitations: str, threshold: int, demo: bool, dry_run: bool,
           if_unpublished: bool, changelog_en: str | None, changelog_cy: str | None,
           override_disclosure: str | None, by: str | None) -> None:
    """Aggregate and anonymise raw data-tool RESPONSES (with the numbers invited
    in INVITATIONS), and publish the maturity-scores and response-rates datasets."""
    if bool(changelog_en) != bool(changelog_cy):
        raise click.UsageError("give the changelog in both languages: --changelog-en and --changelog-cy.")
    _require_schema()
    if if_unpublished and queries.latest_version(session(), OUTPUTS[0]) is not None:
        click.echo(f"{OUTPUTS[0]} is already published; nothing to do.")
        return
    with Progress() as progress:
        result = ingest_responses(session(), responses, invitations, threshold=threshold, demonstration=demo,
                                  dry_run=dry_run, changelog=(changelog_en, changelog_cy) if changelog_en else None,
                                  progress=progress, actor=_actor(by), address=audit.CLI,
                                  disclosure_override=override_disclosure,
                                  publisher=attribution.publisher(current_app.config))
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
        elif loaded.status == "withdrawn":
            click.echo(f"{loaded.name}: withdrawn; nothing is published under its name again")
        else:
            click.echo(f"{loaded.name}: unchanged (version {loaded.version} has the same content)")
    if any(loaded.status == "published" for loaded in result.published):
        _build_catalogue()


@portal_cli.command("withdraw")
@click.argument("name")
@click.option("--version", type=click.IntRange(1, queries.MAX_VERSION),
              help="Withdraw only this version (default: the whole dataset).")
@click.option("--reason-en", required=True, help="Why, in English (shown on the tombstone and in 410 answers).")
@click.option("--reason-cy", required=True, help="Why, in Welsh.")
@click.option("--replaced-by", metavar="DATASET", help="The published dataset that replaces a withdrawn dataset.")
@click.option("--by", help="Who withdraws, for the audit trail (default: cli:<user>).")
def withdraw_command(name: str, version: int | None, reason_en: str, reason_cy: str, replaced_by: str | None,
                     by: str | None) -> None:
    """Withdraw dataset NAME, or one of its versions: its pages become a
    tombstone and its URLs answer 410 Gone with the reason. Nothing is deleted."""
    _require_schema()
    try:
        withdraw(session(), name, version=version, reason_en=reason_en, reason_cy=reason_cy,
                 actor=_actor(by), address=audit.CLI, replaced_by=replaced_by)
    except WithdrawalError as exc:
        session().rollback()
        raise click.ClickException(str(exc)) from None
    click.echo(f"{name}: {'version ' + str(version) if version else 'dataset'} withdrawn.")
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
    """Progress of a long command on standard error: rows as they are stored
    (of about how many the file holds), then each download file as it is
    built. On a terminal, click's progress bar, redrawn in place; otherwise
    (a log, a pipe) a line at each step and at each tenth of the rows."""

    def __init__(self):
        self.live = sys.stderr.isatty()
        self.last = ("", -1)
        self.bar = None
        self.what = ""

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *_exc) -> None:
        self._close()

    def _close(self) -> None:
        if self.bar is not None:
            self.bar.render_finish()
            self.bar = None

    def __call__(self, what: str, done: int | None, total: int | None, item: str | None = None) -> None:
        if done is None or not total:
            self._close()
            if (what, -1) != self.last:
                click.echo(f"{what}…", err=True)
            self.last = (what, -1)
            return
        if not self.live:
            key = int(min(done / total, 1.0) * 10)
            if (what, key) != self.last:
                click.echo(f"{what}: {done:,}/{total:,} ({key * 10}%)", err=True)
            self.last = (what, key)
            return
        if self.bar is None or self.what != what or self.bar.length != total:
            self._close()
            self.bar = click.progressbar(length=total, label=what, file=sys.stderr, show_pos=True, show_percent=True,
                                         item_show_func=lambda shown: shown)
            self.bar.__enter__()
            self.what = what
        self.bar.current_item = item
        self.bar.update(done - self.bar.pos)
        self.last = (what, done)


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
        user = accounts.create(session(), email, role, _password(), by=_by())
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
    accounts.disable(session(), user, by=_by())
    session().commit()
    click.echo(f"Disabled {user.email}.")


@users_cli.command("enable")
@click.argument("email")
def users_enable(email: str) -> None:
    """Enable a disabled account: it can sign in again (its tokens work again)."""
    _require_schema()
    try:
        user = accounts.get(session(), email)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    accounts.enable(session(), user, by=_by())
    session().commit()
    click.echo(f"Enabled {user.email}.")


@users_cli.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
def users_set_role(email: str, role: str) -> None:
    """Make the account EMAIL an admin or an editor."""
    _require_schema()
    try:
        user = accounts.get(session(), email)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    accounts.set_role(session(), user, role, by=_by())
    session().commit()
    click.echo(f"{user.email} is now {role}.")


@users_cli.command("reset-password")
@click.argument("email")
def users_reset_password(email: str) -> None:
    """Set a new password (PORTAL_PASSWORD or a prompt); ends the account's sessions."""
    _require_schema()
    try:
        user = accounts.get(session(), email)
        accounts.set_password(session(), user, _password(), by=_by())
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
        _record, token = tokens.issue(session(), user, name, by=_by())
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
        record = tokens.revoke(session(), number, by=_by())
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


# Seconds between the worker's looks for downloads still to build, when it
# found none (it looks at once after each job).
DOWNLOADS_INTERVAL = 10.0


def _build_one_download(context: jobs.Context) -> str | None:
    """Build one spreadsheet or CSV for Excel still to be built after
    publication (see artefacts.deferred); once a version has them all, the
    catalogue is built again to list them. Its name, or None."""
    found = artefacts.build_missing(session(), store())
    if found is None:
        return None
    version, artefact = found
    name = f"{version.dataset.name} version {version.number}: {artefact.name}"
    click.echo(f"built {name}", err=True)
    session().refresh(version, ["artefacts"])
    if artefacts.complete(version):
        context.after_publish()
    return name


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
    look_for_files = 0.0  # when next to look for downloads still to build
    try:
        while not stopping:
            try:
                job = jobs.run_once(session(), context)
                built = None
                if job is None and time.monotonic() >= look_for_files:
                    try:
                        built = _build_one_download(context)
                    except (StoreUnavailable, ObjectMissing, OSError, ValueError) as exc:  # tried again later
                        session().rollback()
                        click.echo(f"worker: could not build a download: {exc.__class__.__name__}: {exc}",
                                   err=True)
                    if built is None:
                        look_for_files = time.monotonic() + DOWNLOADS_INTERVAL
            except SQLAlchemyError as exc:
                session().rollback()
                click.echo(f"worker: database error, retrying: {exc.__class__.__name__}", err=True)
                job = built = None
                time.sleep(interval)
            if job is not None:
                click.echo(f"job {job.id}: {job.status}", err=True)
                look_for_files = 0.0
                continue
            if built is not None:
                continue
            if once:
                break
            time.sleep(interval)
    except KeyboardInterrupt:
        pass
    finally:
        context.progress_engine.dispose()
