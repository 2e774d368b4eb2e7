"""The admin pages under ``/en/admin/`` and ``/cy/admin/``: signing in and
out, uploads, their jobs (progress, report, preview, publish or discard),
users, API tokens and the audit log. Thin views over :mod:`portal.publishing`."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

from flask import (Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request,
                   stream_with_context, url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.datastructures import FileStorage

from portal.extensions import session
from portal.model import User
from portal.publish import withdraw as withdrawal
from portal.publish.spreadsheets import neutralise
from portal.publishing import accounts, audit, jobs, tokens, uploads
from portal.web import feeds, forms
from portal.web.auth import ADMIN, EDITOR, client_address, csrf, role_required
from portal.web.auth import by as acting

log = logging.getLogger("portal.admin")
bp = Blueprint("admin", __name__, url_prefix="/<lang(en,cy):lang>/admin")
STAFF = (ADMIN, EDITOR)


@bp.before_request
def _check_csrf() -> None:
    if request.method == "POST":
        csrf.protect()


@bp.after_request
def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def uploads_root() -> Path:
    return Path(current_app.config["UPLOADS_PATH"])


def _safe_next(target: str | None, lang: str) -> str:
    if target and target.startswith(f"/{lang}/admin") and "//" not in target and "\\" not in target:
        return target
    return url_for("admin.index", lang=lang)


# -- signing in and out -------------------------------------------------------------------

@bp.route("/login", methods=["GET", "POST"])
def login(lang: str):
    form = forms.LoginForm()
    status = 200
    if form.validate_on_submit():
        outcome = accounts.sign_in(session(), form.email.data, form.password.data, client_address())
        if outcome.user is not None:
            login_user(_signed_in(outcome.user))
            return redirect(_safe_next(request.args.get("next"), lang))
        if outcome.reason == "throttled":
            minutes = max(1, (outcome.retry_after + 59) // 60)
            form.form_errors.append(_("Too many failed attempts to sign in with this address. "
                                      "Try again in %(minutes)d minutes.", minutes=minutes))
            status = 429
        elif outcome.reason == "disabled":
            form.form_errors.append(_("This account is disabled. Ask an administrator to enable it."))
            status = 403
        else:
            form.form_errors.append(_("The email address or the password is wrong."))
            status = 401
    elif request.method == "POST":
        status = 400
    response = render_template("admin/login.html", form=form), status
    return response


def _by():
    """The signed-in user, in this request, for the audit log."""
    return acting(current_user.user)


def _signed_in(user: User):
    from portal.web.auth import SignedIn
    return SignedIn(user)


@bp.post("/logout")
def logout(lang: str):
    if current_user.is_authenticated:
        accounts.sign_out(session(), current_user.user, client_address())
    logout_user()
    return redirect(url_for("admin.login", lang=lang))


# -- uploads and jobs ---------------------------------------------------------------------

@bp.get("/")
@role_required(*STAFF)
def index(lang: str):
    return render_template("admin/index.html", jobs=jobs.recent(session()))


def _save(storage: FileStorage, target: Path) -> None:
    storage.stream.seek(0)
    uploads.save(storage.stream, target, current_app.config["MAX_CONTENT_LENGTH"])


@bp.route("/upload/package", methods=["GET", "POST"])
@role_required(*STAFF)
def upload_package(lang: str):
    form = forms.PackageForm()
    if form.validate_on_submit():
        job = jobs.new(session(), jobs.PACKAGE, current_user.user, by=_by())
        return _queue(job, {jobs.ARCHIVE: form.package.data}, lang)
    return render_template("admin/upload_package.html", form=form), 400 if request.method == "POST" else 200


@bp.route("/upload/responses", methods=["GET", "POST"])
@role_required(*STAFF)
def upload_responses(lang: str):
    form = forms.ResponsesForm()
    if form.validate_on_submit():
        job = jobs.new(session(), jobs.RESPONSES, current_user.user, by=_by(),
                       options={"threshold": form.threshold.data or forms.DEFAULT_THRESHOLD,
                                "demonstration": bool(form.demonstration.data)})
        return _queue(job, {jobs.RESPONSES_FILE: form.responses.data,
                            jobs.INVITATIONS_FILE: form.invitations.data}, lang)
    return render_template("admin/upload_responses.html", form=form), 400 if request.method == "POST" else 200


def _queue(job, files: dict[str, FileStorage], lang: str):
    save_files(job, files)
    return redirect(url_for("admin.job", lang=lang, job_id=job.id), 303)


def save_files(job, files: dict[str, FileStorage]) -> None:
    """The job's files in its folder, then the job committed: the worker
    never sees a job without its files."""
    work = jobs.folder(uploads_root(), job.id)
    work.mkdir(parents=True, exist_ok=True)
    try:
        for name, storage in files.items():
            _save(storage, work / name)
        session().commit()
    except BaseException:
        session().rollback()
        uploads.remove(work)
        raise


def _job_or_404(job_id: str):
    job = jobs.get(session(), job_id)
    if job is None:
        abort(404)
    return job


@bp.get("/jobs/<job_id>")
@role_required(*STAFF)
def job(lang: str, job_id: str):
    found = _job_or_404(job_id)
    return _job_page(found, forms.PublishForm(), forms.OverrideForm())


def _job_page(found, form: forms.PublishForm, override: forms.OverrideForm, status: int = 200):
    return render_template("admin/job.html", job=found, form=form, override=override,
                           summary=jobs.summary(found)), status


@bp.get("/jobs/<job_id>/status.json")
@role_required(*STAFF)
def job_status(lang: str, job_id: str):
    found = _job_or_404(job_id)
    return jsonify({**jobs.summary(found), "stage_label": stage_label(found.stage),
                    "status_label": _status(found.status),
                    "page": url_for("admin.job", lang=lang, job_id=found.id)})


@bp.post("/jobs/<job_id>/publish")
@role_required(*STAFF)
def publish(lang: str, job_id: str):
    found = _job_or_404(job_id)
    form = forms.PublishForm()
    if not form.validate():
        return _job_page(found, form, forms.OverrideForm(), 400)
    try:
        jobs.request_publish(session(), found, form.changelog_en.data, form.changelog_cy.data, by=_by())
    except jobs.JobError:
        session().rollback()
        flash(_("This upload cannot be published now: it was published or discarded meanwhile."), "error")
    return redirect(url_for("admin.job", lang=lang, job_id=found.id), 303)


@bp.post("/jobs/<job_id>/override")
@role_required(ADMIN)
def override(lang: str, job_id: str):
    """Publish an edition refused for disclosure by differencing, with the reason."""
    found = _job_or_404(job_id)
    form = forms.OverrideForm()
    if not form.validate():
        return _job_page(found, forms.PublishForm(formdata=None), form, 400)
    try:
        jobs.override_disclosure(session(), found, form.reason.data, by=_by())
    except jobs.JobError:
        session().rollback()
        flash(_("This upload cannot be published now: it was published or discarded meanwhile."), "error")
    return redirect(url_for("admin.job", lang=lang, job_id=found.id), 303)


@bp.post("/jobs/<job_id>/discard")
@role_required(*STAFF)
def discard(lang: str, job_id: str):
    found = _job_or_404(job_id)
    try:
        jobs.discard(session(), found, uploads_root(), by=_by())
    except jobs.JobError:
        session().rollback()
        flash(_("This upload cannot be discarded now."), "error")
    return redirect(url_for("admin.job", lang=lang, job_id=found.id), 303)


# -- withdrawal (administrators only) ------------------------------------------------------

def _withdraw_form(lang: str) -> forms.WithdrawForm:
    form = forms.WithdrawForm()
    live = [(v.dataset.name, f"{(v.title_cy if lang == 'cy' else v.title_en) or v.dataset.name} ({v.dataset.name})")
            for v in withdrawal.withdrawable(session())]
    form.dataset.choices = [("", _("Choose a dataset")), *live]
    form.replaced_by.choices = [("", _("Nothing replaces it")), *live]
    return form


def _withdrawal_problem(form: forms.WithdrawForm, error: withdrawal.WithdrawalError) -> None:
    """The domain's refusal as a translated message on its field."""
    field, message = {
        "no-dataset": (form.dataset, _("Choose a published dataset")),
        "dataset-withdrawn": (form.dataset, _("This dataset was withdrawn already")),
        "no-version": (form.version, _("This dataset has no version with this number")),
        "version-withdrawn": (form.version, _("This version was withdrawn already")),
        "replaced-by-version": (form.replaced_by, _("A withdrawn version is replaced by the dataset's newest "
                                                    "version: leave this empty, or withdraw the whole dataset")),
        "replaced-by": (form.replaced_by, _("Choose another published dataset, or nothing")),
    }.get(error.code, (None, _("Enter why it is withdrawn, in English and in Welsh")))
    if field is None:
        form.form_errors.append(message)
    else:
        field.errors = [*field.errors, message]


@bp.route("/withdraw", methods=["GET", "POST"])
@role_required(ADMIN)
def withdraw(lang: str):
    """Choose what to withdraw and why, see it summarised, then confirm."""
    form = _withdraw_form(lang)
    if request.method == "GET":
        return render_template("admin/withdraw.html", form=form, withdrawals=withdrawal.recent(session()))
    if form.validate():
        choice = dict(reason_en=form.reason_en.data, reason_cy=form.reason_cy.data, version=form.version.data,
                      replaced_by=form.replaced_by.data or None)
        try:
            if form.confirm.data != "yes":
                checked = withdrawal.check(session(), form.dataset.data, **choice)
                session().rollback()
                return render_template("admin/withdraw_confirm.html", form=form, request_=checked)
            done = withdrawal.withdraw(session(), form.dataset.data, actor=current_user.user.email,
                                       address=client_address(), **choice)
        except withdrawal.WithdrawalError as error:
            session().rollback()
            _withdrawal_problem(form, error)
        else:
            _catalogue()
            name, number = done.dataset.name, done.version.number if done.version else None
            flash(_("Version %(number)d of %(name)s was withdrawn.", number=number, name=name) if number
                  else _("The dataset %(name)s was withdrawn.", name=name), "success")
            return redirect(url_for("admin.withdraw", lang=lang), 303)
    form.confirm.data = ""
    return render_template("admin/withdraw.html", form=form, withdrawals=withdrawal.recent(session())), 400


def _catalogue() -> None:
    try:
        feeds.build_catalogue(current_app._get_current_object())
    except Exception:  # noqa: BLE001 - the withdrawal stands; the catalogue is made on demand
        log.exception("the DCAT catalogue was not made after a withdrawal")


# -- users and tokens (administrators only) -----------------------------------------------

@bp.route("/users", methods=["GET", "POST"])
@role_required(ADMIN)
def users(lang: str):
    form = forms.UserForm()
    status = 200
    if form.validate_on_submit():
        try:
            accounts.create(session(), form.email.data, form.role.data, form.password.data, by=_by())
            session().commit()
            flash(_("The account %(email)s was created.", email=accounts.normalise_email(form.email.data)), "success")
            return redirect(url_for("admin.users", lang=lang), 303)
        except accounts.AccountError:
            session().rollback()
            form.email.errors.append(_("An account with this email address already exists"))
            status = 400
    elif request.method == "POST":
        status = 400
    return render_template("admin/users.html", form=form, users=accounts.all_users(session())), status


@bp.post("/users/<int:user_id>/disable")
@role_required(ADMIN)
def disable_user(lang: str, user_id: int):
    user = session().get(User, user_id) or abort(404)
    if user.id == current_user.user.id:
        flash(_("You cannot disable your own account."), "error")
    else:
        accounts.disable(session(), user, by=_by())
        session().commit()
        flash(_("The account %(email)s was disabled.", email=user.email), "success")
    return redirect(url_for("admin.users", lang=lang), 303)


@bp.post("/users/<int:user_id>/enable")
@role_required(ADMIN)
def enable_user(lang: str, user_id: int):
    user = session().get(User, user_id) or abort(404)
    accounts.enable(session(), user, by=_by())
    session().commit()
    flash(_("The account %(email)s was enabled.", email=user.email), "success")
    return redirect(url_for("admin.users", lang=lang), 303)


def _token_form() -> forms.TokenForm:
    form = forms.TokenForm()
    form.user.choices = [(u.id, u.email) for u in accounts.all_users(session()) if u.active]
    return form


@bp.route("/tokens", methods=["GET", "POST"])
@role_required(ADMIN)
def tokens_page(lang: str):
    form = _token_form()
    issued = None
    status = 200
    if form.validate_on_submit():
        user = session().get(User, form.user.data)
        if user is None or not user.active:
            form.user.errors.append(_("Choose an active account"))
            status = 400
        else:
            record, issued = tokens.issue(session(), user, form.name.data, by=_by())
            session().commit()
            form = _token_form()
            form.name.data = ""
    elif request.method == "POST":
        status = 400
    return render_template("admin/tokens.html", form=form, issued=issued,
                           tokens=tokens.for_user(session())), status


@bp.post("/tokens/<int:token_id>/revoke")
@role_required(ADMIN)
def revoke_token(lang: str, token_id: int):
    try:
        record = tokens.revoke(session(), token_id, by=_by())
    except accounts.AccountError:
        abort(404)
    session().commit()
    flash(_("The token %(name)s was revoked.", name=record.name), "success")
    return redirect(url_for("admin.tokens_page", lang=lang), 303)


# -- the audit log (administrators only) ---------------------------------------------------

AUDIT_PARAMETERS = ("action", "actor", "before", "after", "size")


def _audit_query() -> tuple[forms.AuditFilterForm, dict]:
    """The filters and the page asked for, from the query string; problems
    are the form's errors (the page answers 400 with them)."""
    form = forms.AuditFilterForm(formdata=request.args)
    form.action.choices = [("", _("Every action")), *((action, action_label(action)) for action in audit.ACTIONS)]
    form.validate()
    query: dict = {"action": form.action.data or None, "actor": (form.actor.data or "").strip() or None}
    for name in request.args:
        if name not in AUDIT_PARAMETERS:
            form.form_errors.append(_("This page takes no query parameter named %(name)s.", name=name[:50]))
        elif len(request.args.getlist(name)) > 1:
            form.form_errors.append(_("Give %(name)s once only.", name=name))
    for name, low, high in (("before", 1, None), ("after", 1, None), ("size", 1, audit.MAX_PAGE_SIZE)):
        value = request.args.get(name)
        if value is None:
            continue
        number = int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None
        if number is None or number < low or (high is not None and number > high):
            form.form_errors.append(
                _("The page size must be a whole number from 1 to %(high)d.", high=high) if name == "size"
                else _("The page must be named by a whole number from 1 up, as the links here do."))
        else:
            query[name] = number
    if "before" in query and "after" in query:
        form.form_errors.append(_("Ask for the page before an event or after it, not both."))
    return form, query


def _audit_problem(form: forms.AuditFilterForm) -> bool:
    return bool(form.form_errors or form.action.errors or form.actor.errors)


@bp.get("/audit")
@role_required(ADMIN)
def audit_page(lang: str):
    """The audit log, newest first, a page at a time, filtered by action and by actor."""
    form, query = _audit_query()
    if _audit_problem(form):
        return render_template("admin/audit.html", form=form, page=None, filters={}), 400
    size = query.get("size", audit.PAGE_SIZE)
    found = audit.page(session(), action=query["action"], actor=query["actor"], before=query.get("before"),
                       after=query.get("after"), size=size)
    filters = {key: value for key, value in (("action", query["action"]), ("actor", query["actor"]),
                                             ("size", query.get("size"))) if value}
    return render_template("admin/audit.html", form=form, page=found, filters=filters)


@bp.get("/audit.csv")
@role_required(ADMIN)
def audit_csv(lang: str):
    """The audit log as CSV (filtered as the page is), in the order recorded,
    streamed a batch of events at a time; every cell that begins like a
    spreadsheet formula neutralised."""
    form, query = _audit_query()
    if _audit_problem(form) or "before" in query or "after" in query or "size" in query:
        if not _audit_problem(form):
            form.form_errors.append(_("The download holds every event: filter it by action or by who, "
                                      "without a page or a page size."))
        return render_template("admin/audit.html", form=form, page=None, filters={}), 400
    rows = audit.rows(session(), action=query["action"], actor=query["actor"])
    filename = f"audit-log-{dt.datetime.now(dt.timezone.utc):%Y-%m-%d}.csv"
    return Response(stream_with_context(_csv(rows)), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


def _csv(rows) -> Iterator[str]:
    """The CSV text, a chunk at a time; a byte-order mark first, so that
    spreadsheets read the Welsh letters as UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(audit.COLUMNS)
    for row in rows:
        writer.writerow([_cell(name, row[name]) for name in audit.COLUMNS])
        if buffer.tell() >= 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _cell(name: str, value) -> str:
    if value is None:
        return ""
    if name == "at":
        return value.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if name == "detail":
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return neutralise(str(value))


# -- labels for the templates -------------------------------------------------------------

def _kind(kind: str) -> str:
    return _("data package") if kind == jobs.PACKAGE else _("data tool responses")


def _status(status: str) -> str:
    return {
        jobs.QUEUED: _("waiting to be checked"), jobs.CHECKING: _("being checked"),
        jobs.READY: _("checked: ready to publish"), jobs.INVALID: _("invalid: not published"),
        jobs.PUBLISH_QUEUED: _("waiting to be published"), jobs.PUBLISHING: _("being published"),
        jobs.PUBLISHED: _("published"), jobs.UNCHANGED: _("unchanged: nothing new to publish"),
        jobs.FAILED: _("failed: not published"), jobs.DISCARDED: _("discarded"),
        jobs.DISCLOSIVE: _("refused: cells at risk of disclosure by differencing"),
    }.get(status, status)


def stage_label(stage: str) -> str:
    """A job's stage as the worker records it (``comparing councils/councils``), in the page's language."""
    step, _space, what = (stage or "").partition(" ")
    label = {"validating": _("Checking the upload"), "comparing": _("Comparing with the published version"),
             "publishing": _("Publishing")}.get(step)
    if label is None:
        return stage
    return f"{label}: {what}" if what else label


def action_label(action: str) -> str:
    """An action of the audit log, in the page's language."""
    return {
        audit.SIGN_IN: _("Signed in"), audit.SIGN_IN_FAILED: _("Failed to sign in"),
        audit.SIGN_OUT: _("Signed out"), audit.UPLOAD: _("Uploaded"), audit.DISCARD: _("Discarded an upload"),
        audit.PUBLISH_REQUEST: _("Asked to publish an upload"), audit.PUBLISH: _("Published a version"),
        audit.OVERRIDE_DISCLOSURE: _("Published although cells are at risk of disclosure"),
        audit.WITHDRAW: _("Withdrew a dataset or a version"),
        audit.CLEANUP: _("Cleaned up after an interrupted publication"),
        audit.TOKEN_ISSUE: _("Issued an API token"), audit.TOKEN_REVOKE: _("Revoked an API token"),
        audit.ACCOUNT_CREATE: _("Created an account"), audit.ACCOUNT_DISABLE: _("Disabled an account"),
        audit.ACCOUNT_ENABLE: _("Enabled an account"), audit.ACCOUNT_PASSWORD: _("Set a new password"),
        audit.ACCOUNT_ROLE: _("Changed an account's role"),
    }.get(action, action)


def _role(role: str) -> str:
    return {ADMIN: _("Administrator"), EDITOR: _("Editor")}.get(role, role)


def audit_what(event) -> list[tuple[str, str | None]]:
    """What an event of the audit log did, as lines of text in the page's
    language, each with a link or None (the CSV keeps the detail as it is)."""
    lang = request.view_args.get("lang", "en")
    detail = event.detail or {}
    lines: list[tuple[str, str | None]] = []
    if event.dataset:
        lines.append((_("%(name)s, version %(number)d", name=event.dataset, number=event.version)
                      if event.version else event.dataset, None))
    reason = event.reason_cy if lang == "cy" and event.reason_cy else event.reason_en
    if reason:
        lines.append((_("Reason: %(reason)s", reason=reason), None))
    if "reason" in detail:
        lines.append(({"invalid": _("Wrong email address or password"), "disabled": _("The account is disabled"),
                       "throttled": _("Too many failed attempts")}.get(detail["reason"], str(detail["reason"])),
                      None))
    if "account" in detail:
        lines.append((_("Account: %(email)s", email=detail["account"]), None))
    if "role" in detail:
        role = _role(detail["role"])
        lines.append((_("Role: %(role)s (was %(was)s)", role=role, was=_role(detail["was"])) if "was" in detail
                      else _("Role: %(role)s", role=role), None))
    if "token_id" in detail:
        lines.append((_("Token %(name)s (number %(number)d)", name=detail.get("name", ""),
                        number=detail["token_id"]), None))
    if "job" in detail:
        kind = _kind(detail["kind"]) if "kind" in detail else ""
        via = {"api": _("through the write API"), "page": _("on the admin pages")}.get(detail.get("via"), "")
        text = " ".join(part for part in (_("Upload %(id)s", id=str(detail["job"])[:8]),
                                          f"({kind})" if kind else "", via) if part)
        lines.append((text, url_for("admin.job", lang=lang, job_id=detail["job"])))
    if detail.get("override_disclosure"):
        lines.append((_("Although cells are at risk of disclosure by differencing"), None))
    if "cells_at_risk" in detail:
        lines.append((_("Cells at risk: %(count)d", count=len(detail["cells_at_risk"])), None))
    if detail.get("replaced_by"):
        lines.append((_("Replaced by %(name)s", name=detail["replaced_by"]), None))
    if "abandoned_runs" in detail:
        lines.append((_("Abandoned publications: %(runs)d. Removed: working folders %(folders)d, row tables "
                        "%(tables)d, stored files %(objects)d, partial files %(leftovers)d",
                        runs=len(detail["abandoned_runs"]), folders=detail.get("folders", 0),
                        tables=len(detail.get("tables") or []), objects=detail.get("objects", 0),
                        leftovers=detail.get("leftovers", 0)), None))
    return lines


def _row_label(row: dict) -> str:
    return ", ".join(f"{key}: {value}" for key, value in row.items() if not key.startswith("_"))


@bp.context_processor
def _labels() -> dict:
    return {"job_kind": _kind, "job_status_label": _status, "row_label": _row_label, "stage_label": stage_label,
            "action_label": action_label, "audit_what": audit_what}
