"""The audit log: every sign-in (and failed one), sign-out, upload, request
to publish, publication, discard, withdrawal, token and account change is
recorded with who, when, what and from which address, on the admin pages,
the write API and the command line; the database refuses to change or
delete a row; administrators read it on a page (paged, filtered, in both
languages) and download it as CSV."""
from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import re

import pytest
from flask_babel import refresh
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from portal.db import make_engine
from portal.migrate import upgrade
from portal.model import AuditEvent, ImmutableError, PublicationRun
from portal.publish.spreadsheets import formula_like
from portal.publishing import accounts, audit
from tests.test_admin_accounts import PASSWORD, SETUP, csrf_token, make_user, sign_in
from tests.test_admin_publishing import changed_councils, editor, package_zip, token, work  # noqa: F401
from tests.test_withdrawal import REASON_CY, REASON_EN

ADDRESS = "203.0.113.7"  # a documentation address (RFC 5737), as the client's


def events(db, action: str | None = None) -> list[AuditEvent]:
    """The events recorded, read in a transaction ended at once: the test
    client's requests share the session of the tests' application context,
    and on SQLite a snapshot kept open would refuse their writes."""
    db.rollback()
    statement = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        statement = statement.where(AuditEvent.action == action)
    found = list(db.scalars(statement))
    for event in found:
        db.expunge(event)
    db.rollback()
    return found


def user_id(db, email: str) -> int:
    found = accounts.get(db, email).id
    db.rollback()
    return found


def stored_text(db) -> str:
    """Everything the audit log holds, as text."""
    return "\n".join(repr((e.actor, e.address, e.dataset, e.reason_en, e.reason_cy, json.dumps(e.detail)))
                     for e in events(db))


def client_from(app, address: str = ADDRESS):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


# -- signing in and out -------------------------------------------------------------------

def test_sign_ins_failed_sign_ins_and_sign_outs_are_recorded(app, db):
    make_user(app, "ed@example.org", "editor")
    client = client_from(app)
    started = now()
    assert sign_in(client, "ed@example.org", "the wrong password").status_code == 401
    assert sign_in(client, "nobody@example.org", "another wrong one").status_code == 401
    assert sign_in(client, "my secret password", "x").status_code == 401  # a password in the wrong box
    assert sign_in(client, "nul\x00@example.org", "x").status_code == 401  # no database keeps a NUL
    assert sign_in(client, "ED@example.org").status_code == 302
    token = csrf_token(client, "/en/admin/")
    assert client.post("/en/admin/logout", data={"csrf_token": token}).status_code == 302
    token = csrf_token(client, "/en/admin/login")
    assert client.post("/en/admin/logout", data={"csrf_token": token}).status_code == 302
    finished = now()

    failed = events(db, audit.SIGN_IN_FAILED)
    assert [(e.actor, e.address, e.detail) for e in failed] == [
        ("ed@example.org", ADDRESS, {"reason": "invalid"}),
        ("nobody@example.org", ADDRESS, {"reason": "invalid"}),
        (audit.MALFORMED, ADDRESS, {"reason": "invalid"}),
        ("nul\ufffd@example.org", ADDRESS, {"reason": "invalid"})]
    [signed_in] = events(db, audit.SIGN_IN)
    assert (signed_in.actor, signed_in.address) == ("ed@example.org", ADDRESS)
    [signed_out] = events(db, audit.SIGN_OUT)  # signing out when signed out records nothing
    assert (signed_out.actor, signed_out.address) == ("ed@example.org", ADDRESS)
    assert all(started <= e.at <= finished for e in events(db) if e.action != audit.ACCOUNT_CREATE)
    for secret in ("the wrong password", "another wrong one", "my secret password", PASSWORD):
        assert secret not in stored_text(db)


def test_a_disabled_account_and_throttled_attempts_are_recorded_with_the_reason(app, db):
    make_user(app, "ed@example.org", "editor")
    with app.app_context():
        from portal.extensions import session
        accounts.disable(session(), accounts.get(session(), "ed@example.org"), by=SETUP)
        session().commit()
    client = client_from(app, "2001:db8::5")
    assert sign_in(client, "ed@example.org").status_code == 403
    assert [(e.actor, e.address, e.detail) for e in events(db, audit.SIGN_IN_FAILED)] == [
        ("ed@example.org", "2001:db8::5", {"reason": "disabled"})]
    make_user(app, "ann@example.org", "editor")
    for _attempt in range(accounts.MAX_FAILURES):
        assert sign_in(client, "ann@example.org", "wrong password!").status_code == 401
    assert sign_in(client, "ann@example.org").status_code == 429
    reasons = [e.detail["reason"] for e in events(db, audit.SIGN_IN_FAILED) if e.actor == "ann@example.org"]
    assert reasons == ["invalid"] * accounts.MAX_FAILURES + ["throttled"]
    assert not events(db, audit.SIGN_IN)


# -- uploads, publications and discards ----------------------------------------------------

def test_an_upload_on_the_pages_its_publication_and_a_discard_are_recorded(
        app, loaded, editor, tmp_path):  # noqa: F811
    editor.environ_base["REMOTE_ADDR"] = ADDRESS
    token = csrf_token(editor, "/en/admin/upload/package")
    response = editor.post("/en/admin/upload/package", data={
        "csrf_token": token, "package": (io.BytesIO(package_zip(changed_councils(tmp_path))), "councils.zip")},
        content_type="multipart/form-data")
    job_url = response.headers["Location"]
    job_id = job_url.rsplit("/", 1)[1]
    [upload] = events(loaded, audit.UPLOAD)
    assert (upload.actor, upload.address, upload.dataset) == ("ed@example.org", ADDRESS, None)
    assert upload.detail == {"job": job_id, "kind": "package", "via": "page", "auto_publish": False}
    work(app, loaded)
    editor.environ_base["REMOTE_ADDR"] = "198.51.100.20"  # asked to publish from elsewhere
    assert editor.post(job_url + "/publish", data={"csrf_token": token, "changelog_en": "Renamed.",
                                                   "changelog_cy": "Ailenwyd."}).status_code == 303
    [request] = events(loaded, audit.PUBLISH_REQUEST)
    assert (request.actor, request.address, request.detail["job"]) == ("ed@example.org", "198.51.100.20", job_id)
    assert [job.status for job in work(app, loaded)] == ["published"]
    published = [e for e in events(loaded, audit.PUBLISH) if e.detail.get("job") == job_id]
    assert [(e.actor, e.address, e.dataset, e.version) for e in published] == [
        ("ed@example.org", "198.51.100.20", "councils", 2)]

    job_url = editor.post("/en/admin/upload/package", data={
        "csrf_token": token, "package": (io.BytesIO(b"not a zip"), "broken.zip")},
        content_type="multipart/form-data").headers["Location"]
    work(app, loaded)
    assert editor.post(job_url + "/discard", data={"csrf_token": token}).status_code == 303
    [discard] = events(loaded, audit.DISCARD)
    assert (discard.actor, discard.address) == ("ed@example.org", "198.51.100.20")
    assert discard.detail == {"job": job_url.rsplit("/", 1)[1], "kind": "package", "was": "invalid"}
    # refused a second time: nothing more recorded
    editor.post(job_url + "/discard", data={"csrf_token": token})
    assert len(events(loaded, audit.DISCARD)) == 1


def test_an_upload_through_the_write_api_and_its_publication_are_recorded(
        app, loaded, token, tmp_path):  # noqa: F811
    client = client_from(app, "192.0.2.44")
    response = client.post("/api/v1/datasets/councils/versions", headers=token, data={
        "package": (io.BytesIO(package_zip(changed_councils(tmp_path))), "councils.zip"),
        "changelog_en": "Renamed.", "changelog_cy": "Ailenwyd."}, content_type="multipart/form-data")
    assert response.status_code == 202
    job_id = response.get_json()["id"]
    [upload] = events(loaded, audit.UPLOAD)
    assert (upload.actor, upload.address, upload.dataset) == ("robot@example.org", "192.0.2.44", "councils")
    assert upload.detail == {"job": job_id, "kind": "package", "via": "api", "auto_publish": True}
    assert [job.status for job in work(app, loaded)] == ["published"]
    [published] = [e for e in events(loaded, audit.PUBLISH) if e.detail.get("job") == job_id]
    assert (published.actor, published.address, published.dataset, published.version) == (
        "robot@example.org", "192.0.2.44", "councils", 2)
    # no token in the log: only its user
    assert token["Authorization"].split()[1] not in stored_text(loaded)


def test_publications_and_withdrawals_on_the_command_line_are_recorded(runner, app, db, tmp_path):
    from tests.helpers import copy_datasets
    packages = copy_datasets(tmp_path)
    assert runner.invoke(args=["portal", "load", str(packages / "councils")]).exit_code == 0
    [published] = events(db, audit.PUBLISH)
    assert (published.actor.startswith("cli:"), published.address, published.dataset, published.version) == (
        True, audit.CLI, "councils", 1)
    result = runner.invoke(args=["portal", "withdraw", "councils", "--reason-en", REASON_EN,
                                 "--reason-cy", REASON_CY, "--by", "analyst@example.wales"])
    assert result.exit_code == 0, result.output
    [withdrawn] = events(db, audit.WITHDRAW)
    assert (withdrawn.actor, withdrawn.address, withdrawn.dataset, withdrawn.reason_cy) == (
        "analyst@example.wales", audit.CLI, "councils", REASON_CY)


def test_a_clean_up_on_the_command_line_is_recorded(runner, app, db):
    db.add(PublicationRun(started_at=now() - dt.timedelta(days=2), status="running", host="elsewhere.example",
                          pid=1, datasets="councils", work=None))
    db.commit()
    result = runner.invoke(args=["portal", "cleanup", "--grace-minutes", "0"])
    assert "1 abandoned publication(s)" in result.output, result.output
    [cleanup] = events(db, audit.CLEANUP)
    assert (cleanup.actor.startswith("cli:"), cleanup.address) == (True, audit.CLI)
    assert len(cleanup.detail["abandoned_runs"]) == 1


def test_a_withdrawal_on_the_pages_is_recorded_with_the_address(app, loaded, db):
    make_user(app, "ad@example.org", "admin")
    admin = client_from(app)
    sign_in(admin, "ad@example.org")
    token = csrf_token(admin, "/en/admin/withdraw")
    response = admin.post("/en/admin/withdraw", data={
        "csrf_token": token, "dataset": "councils", "version": "1", "reason_en": REASON_EN,
        "reason_cy": REASON_CY, "replaced_by": "", "confirm": "yes"})
    assert response.status_code == 303
    [withdrawn] = events(db, audit.WITHDRAW)
    assert (withdrawn.actor, withdrawn.address, withdrawn.dataset, withdrawn.version, withdrawn.reason_en) == (
        "ad@example.org", ADDRESS, "councils", 1, REASON_EN)


# -- tokens and accounts ------------------------------------------------------------------

def test_tokens_issued_and_revoked_on_the_pages_and_the_command_line_are_recorded(app, db):
    make_user(app, "ad@example.org", "admin")
    make_user(app, "ed@example.org", "editor")
    admin = client_from(app)
    sign_in(admin, "ad@example.org")
    token = csrf_token(admin, "/en/admin/tokens")
    editor_id = user_id(db, "ed@example.org")
    response = admin.post("/en/admin/tokens", data={"user": editor_id, "name": "nightly", "csrf_token": token})
    issued = re.search(r'id="new-token">([^<]+)<', response.get_data(as_text=True)).group(1)
    [issue] = events(db, audit.TOKEN_ISSUE)
    assert (issue.actor, issue.address) == ("ad@example.org", ADDRESS)
    assert issue.detail == {"account": "ed@example.org", "token_id": issue.detail["token_id"], "name": "nightly"}
    token_id = issue.detail["token_id"]
    assert admin.post(f"/en/admin/tokens/{token_id}/revoke", data={"csrf_token": token}).status_code == 303
    assert admin.post(f"/en/admin/tokens/{token_id}/revoke", data={"csrf_token": token}).status_code == 303
    [revoke] = events(db, audit.TOKEN_REVOKE)  # revoked once: recorded once
    assert (revoke.actor, revoke.address, revoke.detail) == (
        "ad@example.org", ADDRESS, {"account": "ed@example.org", "token_id": token_id, "name": "nightly"})

    runner = app.test_cli_runner()
    result = runner.invoke(args=["portal", "tokens", "issue", "ed@example.org", "ci"])
    assert result.exit_code == 0
    cli_token = result.output.strip()
    number = events(db, audit.TOKEN_ISSUE)[-1].detail["token_id"]
    assert runner.invoke(args=["portal", "tokens", "revoke", str(number)]).exit_code == 0
    for action in (audit.TOKEN_ISSUE, audit.TOKEN_REVOKE):
        last = events(db, action)[-1]
        assert (last.actor.startswith("cli:"), last.address, last.detail["name"]) == (True, audit.CLI, "ci")
    text_ = stored_text(db)
    assert issued not in text_ and cli_token not in text_ and cli_token[len("wlgd_"):][:12] not in text_


def test_account_changes_on_the_pages_are_recorded(app, db):
    make_user(app, "ad@example.org", "admin")
    admin = client_from(app)
    sign_in(admin, "ad@example.org")
    token = csrf_token(admin, "/en/admin/users")
    secret = "a new colleague's password"
    assert admin.post("/en/admin/users", data={"email": "New@Example.org", "role": "editor", "password": secret,
                                               "csrf_token": token}).status_code == 303
    new_id = user_id(db, "new@example.org")
    assert admin.post(f"/en/admin/users/{new_id}/disable", data={"csrf_token": token}).status_code == 303
    assert admin.post(f"/en/admin/users/{new_id}/enable", data={"csrf_token": token}).status_code == 303
    changes = [(e.action, e.actor, e.address, e.detail) for e in events(db) if e.action.startswith("account-")]
    assert changes == [
        (audit.ACCOUNT_CREATE, SETUP.actor, audit.CLI, {"account": "ad@example.org", "role": "admin"}),
        (audit.ACCOUNT_CREATE, "ad@example.org", ADDRESS, {"account": "new@example.org", "role": "editor"}),
        (audit.ACCOUNT_DISABLE, "ad@example.org", ADDRESS, {"account": "new@example.org"}),
        (audit.ACCOUNT_ENABLE, "ad@example.org", ADDRESS, {"account": "new@example.org"})]
    assert secret not in stored_text(db) and "argon2" not in stored_text(db)


def test_account_changes_on_the_command_line_are_recorded(app, db, monkeypatch):
    runner = app.test_cli_runner()
    monkeypatch.setenv("PORTAL_PASSWORD", PASSWORD)
    assert runner.invoke(args=["portal", "users", "create", "ann@example.org", "--role", "editor"]).exit_code == 0
    assert runner.invoke(args=["portal", "users", "disable", "ann@example.org"]).exit_code == 0
    assert runner.invoke(args=["portal", "users", "enable", "ann@example.org"]).exit_code == 0
    result = runner.invoke(args=["portal", "users", "set-role", "ann@example.org", "admin"])
    assert result.exit_code == 0 and "ann@example.org is now admin" in result.output
    assert runner.invoke(args=["portal", "users", "set-role", "ann@example.org", "owner"]).exit_code != 0
    monkeypatch.setenv("PORTAL_PASSWORD", "a brand new password")
    assert runner.invoke(args=["portal", "users", "reset-password", "ann@example.org"]).exit_code == 0
    assert "ann@example.org\tadmin\tactive" in runner.invoke(args=["portal", "users", "list"]).output
    changes = [(e.action, e.address, e.detail) for e in events(db)]
    assert changes == [
        (audit.ACCOUNT_CREATE, audit.CLI, {"account": "ann@example.org", "role": "editor"}),
        (audit.ACCOUNT_DISABLE, audit.CLI, {"account": "ann@example.org"}),
        (audit.ACCOUNT_ENABLE, audit.CLI, {"account": "ann@example.org"}),
        (audit.ACCOUNT_ROLE, audit.CLI, {"account": "ann@example.org", "role": "admin", "was": "editor"}),
        (audit.ACCOUNT_PASSWORD, audit.CLI, {"account": "ann@example.org"})]
    assert all(e.actor.startswith("cli") for e in events(db))
    assert PASSWORD not in stored_text(db) and "a brand new password" not in stored_text(db)


def test_record_refuses_secrets_and_unknown_actions(db):
    with pytest.raises(ValueError, match="no secrets"):
        audit.record(db, audit.SIGN_IN, "ed@example.org", address=ADDRESS, password="x")
    with pytest.raises(ValueError, match="not an action"):
        audit.record(db, "rename", "ed@example.org", address=ADDRESS)


# -- append-only -----------------------------------------------------------------------

def test_the_database_refuses_to_change_or_delete_the_log(app, db, backend):
    audit.record(db, audit.SIGN_IN, "ed@example.org", address=ADDRESS)
    audit.record(db, audit.SIGN_OUT, "ed@example.org", address=ADDRESS)
    db.commit()
    statements = ["UPDATE publication_events SET actor = 'someone else'",
                  "UPDATE publication_events SET address = NULL WHERE action = 'sign-in'",
                  "DELETE FROM publication_events WHERE action = 'sign-out'",
                  "DELETE FROM publication_events"]
    if backend == "postgresql":
        statements.append("TRUNCATE publication_events")
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"):
            db.execute(text(statement))
        db.rollback()
    assert [(e.action, e.actor, e.address) for e in events(db)] == [
        (audit.SIGN_IN, "ed@example.org", ADDRESS), (audit.SIGN_OUT, "ed@example.org", ADDRESS)]
    # the model refuses it first
    first = db.scalar(select(AuditEvent).order_by(AuditEvent.id))
    first.actor = "someone else"
    with pytest.raises(ImmutableError):
        db.flush()
    db.rollback()
    db.delete(db.scalar(select(AuditEvent).order_by(AuditEvent.id)))
    with pytest.raises(ImmutableError):
        db.flush()
    db.rollback()
    # adding stays possible
    audit.record(db, audit.SIGN_IN, "ann@example.org", address=ADDRESS)
    db.commit()
    assert len(events(db)) == 3


def test_migration_0009_keeps_the_rows_recorded_before(backend, new_database):
    engine = make_engine(new_database(backend))
    upgrade(engine, "0006")
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO publication_events (at, action, actor, dataset, version, reason_en) "
            "VALUES (:at, 'withdraw', 'cli:analyst', 'councils', 2, 'Swapped codes.')"),
            {"at": dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)})
    upgrade(engine)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT action, actor, dataset, version, reason_en, address "
                                       "FROM publication_events")).all()
        assert [tuple(row) for row in rows] == [
            ("withdraw", "cli:analyst", "councils", 2, "Swapped codes.", None)]
        with pytest.raises(DBAPIError, match="append-only"):
            connection.execute(text("DELETE FROM publication_events"))
    engine.dispose()


# -- reading it: paging and filters ---------------------------------------------------------

def _many(db, count: int) -> None:
    for number in range(count):
        audit.record(db, audit.SIGN_IN if number % 2 else audit.SIGN_IN_FAILED,
                     f"user{number % 3}@example.org", address=ADDRESS, reason="invalid")
    db.commit()


def test_pages_newest_first_by_keyset_with_filters(db):
    _many(db, 10)
    ids = [e.id for e in events(db)]
    first = audit.page(db, size=4)
    assert [e.id for e in first.events] == ids[::-1][:4] and first.newer is None and first.older == ids[6]
    second = audit.page(db, size=4, before=first.older)
    assert [e.id for e in second.events] == ids[::-1][4:8]
    assert second.newer == ids[5] and second.older == ids[2]
    last = audit.page(db, size=4, before=second.older)
    assert [e.id for e in last.events] == ids[::-1][8:] and last.older is None and last.newer == ids[1]
    back = audit.page(db, size=4, after=last.newer)
    assert [e.id for e in back.events] == [e.id for e in second.events]
    assert [e.id for e in audit.page(db, size=4, after=second.newer).events] == [e.id for e in first.events]
    assert audit.page(db, size=4, after=second.newer).newer is None
    assert audit.page(db, size=4, after=10 ** 9).events == first.events  # nothing newer: the newest page
    assert audit.page(db, size=4, before=1).events == []
    failed = audit.page(db, action=audit.SIGN_IN_FAILED, size=50)
    assert {e.action for e in failed.events} == {audit.SIGN_IN_FAILED} and len(failed.events) == 5
    mine = audit.page(db, actor="user1@example.org", size=2)
    assert [e.actor for e in mine.events] == ["user1@example.org"] * 2 and mine.older is not None
    assert len(audit.page(db, size=10 ** 6).events) == 10  # the size is bounded
    # the CSV's rows: every one, oldest first, a batch at a time
    assert [row["id"] for row in audit.rows(db, batch=3)] == ids
    mine = audit.rows(db, actor="user0@example.org", batch=1)
    assert [row["actor"] for row in mine] == ["user0@example.org"] * 4


# -- the page and the CSV -----------------------------------------------------------------

def in_welsh(client, url: str):
    refresh()
    try:
        return client.get(url)
    finally:
        refresh()


@pytest.fixture
def admin_client(app):
    make_user(app, "ad@example.org", "admin")
    make_user(app, "ed@example.org", "editor")
    client = client_from(app)
    sign_in(client, "ad@example.org")
    return client


def test_only_administrators_see_the_log_and_its_csv(app, admin_client):
    anonymous = app.test_client()
    editor = app.test_client()
    sign_in(editor, "ed@example.org")
    for lang in ("en", "cy"):
        for path in ("audit", "audit.csv"):
            url = f"/{lang}/admin/{path}"
            response = anonymous.get(url)
            assert response.status_code == 302 and f"/{lang}/admin/login" in response.headers["Location"]
            assert editor.get(url).status_code == 403
            assert admin_client.get(url).status_code == 200
    assert 'href="/en/admin/audit"' in admin_client.get("/en/admin/").get_data(as_text=True)
    assert "/admin/audit" not in editor.get("/en/admin/").get_data(as_text=True)


def test_the_page_shows_each_action_in_both_languages(app, db, admin_client):
    page = admin_client.get("/en/admin/audit")
    assert page.headers["Cache-Control"] == "no-store"
    body = html.unescape(page.get_data(as_text=True))
    assert "Audit log" in body and "Created an account" in body and "Signed in" in body
    assert ADDRESS in body and "Account: ed@example.org" in body and "Role: Editor" in body
    welsh = html.unescape(in_welsh(admin_client, "/cy/admin/audit").get_data(as_text=True))
    assert "Log archwilio" in welsh and "Wedi creu cyfrif" in welsh and "Wedi mewngofnodi" in welsh
    assert "Cyfrif: ed@example.org" in welsh and "Rôl: Golygydd" in welsh
    # every action has a label of its own in each language (the filter lists them all)
    labels = {}
    for lang, page in (("en", body), ("cy", welsh)):
        options = dict(re.findall(r'<option (?:selected )?value="([a-z-]+)">([^<]+)</option>', page))
        assert set(options) == set(audit.ACTIONS), lang
        assert len(set(options.values())) == len(audit.ACTIONS) and not set(options.values()) & set(audit.ACTIONS)
        labels[lang] = options
    assert all(labels["en"][action] != labels["cy"][action] for action in audit.ACTIONS)


def test_every_kind_of_event_is_shown_in_both_languages(app, db, admin_client):
    job = "a" * 32
    by = {"address": ADDRESS}
    audit.record(db, audit.UPLOAD, "ed@example.org", dataset="councils", job=job, kind="package", via="api",
                 auto_publish=True, **by)
    audit.record(db, audit.PUBLISH_REQUEST, "ad@example.org", reason_en="Agreed.", job=job, kind="responses",
                 override_disclosure=True, **by)
    audit.record(db, audit.PUBLISH, "ed@example.org", dataset="councils", version=2, source="councils", job=job,
                 **by)
    audit.record(db, audit.OVERRIDE_DISCLOSURE, "ad@example.org", dataset="maturity-scores", version=2,
                 reason_en="Agreed.", cells_at_risk=["a", "b"], job=job, **by)
    audit.record(db, audit.DISCARD, "ed@example.org", job=job, kind="package", was="invalid", **by)
    audit.record(db, audit.WITHDRAW, "ad@example.org", dataset="councils", reason_en=REASON_EN, reason_cy=REASON_CY,
                 replaced_by="councils-2", **by)
    audit.record(db, audit.CLEANUP, "cli:ops", address=audit.CLI, abandoned_runs=[3], folders=1, tables=["rows_x"],
                 objects=2, leftovers=0)
    audit.record(db, audit.TOKEN_ISSUE, "ad@example.org", account="ed@example.org", token_id=4, name="ci", **by)
    audit.record(db, audit.ACCOUNT_ROLE, "cli:ops", address=audit.CLI, account="ed@example.org", role="admin",
                 was="editor")
    audit.record(db, audit.SIGN_IN_FAILED, "ed@example.org", reason="throttled", **by)
    db.add(AuditEvent(at=now(), action=audit.WITHDRAW, actor="cli:old", dataset="councils", version=1,
                      reason_en="Recorded before addresses were.", reason_cy="Cyn cyfeiriadau."))
    db.commit()
    english = html.unescape(admin_client.get("/en/admin/audit").get_data(as_text=True))
    for expected in ("Upload aaaaaaaa (data package) through the write API", 'href="/en/admin/jobs/' + job,
                     "councils, version 2", "Reason: Agreed.", "Although cells are at risk of disclosure",
                     "Cells at risk: 2", "Replaced by councils-2", "Reason: " + REASON_EN,
                     "Abandoned publications: 1. Removed: working folders 1, row tables 1, stored files 2",
                     "Token ci (number 4)", "Role: Administrator (was Editor)", "Too many failed attempts",
                     "not recorded"):
        assert expected in english, expected
    welsh = html.unescape(in_welsh(admin_client, "/cy/admin/audit").get_data(as_text=True))
    for expected in ("Uwchlwythiad aaaaaaaa", 'href="/cy/admin/jobs/' + job, "councils, fersiwn 2",
                     "Rheswm: " + REASON_CY, "Rheswm: Agreed.", "Celloedd mewn perygl: 2", "Tocyn ci (rhif 4)",
                     "Rôl: Gweinyddwr (cynt: Golygydd)", "Gormod o ymdrechion aflwyddiannus", "heb ei gofnodi"):
        assert expected in welsh, expected


def test_the_page_pages_and_filters(app, db, admin_client):
    _many(db, 12)
    body = admin_client.get("/en/admin/audit?size=5&action=sign-in").get_data(as_text=True)
    assert body.count("<td>Signed in</td>") == 5 and "Failed to sign in</td>" not in body
    older = re.search(r'href="([^"]+)" rel="next"', body).group(1)
    assert "action=sign-in" in html.unescape(older) and "size=5" in html.unescape(older)
    body = admin_client.get(html.unescape(older)).get_data(as_text=True)
    assert 0 < body.count("<td>Signed in</td>") <= 5 and 'rel="prev"' in body
    body = admin_client.get("/en/admin/audit?actor=user2@example.org").get_data(as_text=True)
    assert "<td>user2@example.org</td>" in body and "<td>user1@example.org</td>" not in body
    assert 'href="/en/admin/audit.csv?actor=user2@example.org"' in body
    body = admin_client.get("/en/admin/audit?actor=nobody@example.org").get_data(as_text=True)
    assert "No event matches these filters." in body


@pytest.mark.parametrize("query", [
    "size=0", "size=201", "size=ten", "size=%EF%BC%91", "before=-1", "before=1e3", "after=" + "9" * 40,
    "before=1&after=2", "action=nonsense", "action=sign-in&action=sign-out", "actor=" + "a" * 201,
    "actor=ed%00@example.org", "actor=ed%0A", "colour=blue"])
def test_bad_query_parameters_are_a_translated_400(admin_client, query):
    for lang, message in (("en", "There is a problem"), ("cy", "Mae problem")):
        response = in_welsh(admin_client, f"/{lang}/admin/audit?{query}") if lang == "cy" else \
            admin_client.get(f"/{lang}/admin/audit?{query}")
        assert response.status_code == 400, (lang, query)
        assert message in html.unescape(response.get_data(as_text=True)), (lang, query)
    assert admin_client.get(f"/en/admin/audit.csv?{query}").status_code == 400


def test_the_csv_parses_neutralises_formulas_and_is_an_attachment(app, db, admin_client):
    for email in ("=HYPERLINK(\"http://evil.example\")@example.org", "+1@example.org"):
        assert accounts.sign_in(db, email, "x", "198.51.100.3").reason == "invalid"
    audit.record(db, audit.WITHDRAW, "@admin", address="-1+1", dataset="councils", version=2,
                 reason_en="=1+1", reason_cy="Rheswm â ŵ", replaced_by="=cmd")
    db.commit()
    response = admin_client.get("/en/admin/audit.csv")
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="audit-log-')
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"), newline="")))
    assert list(rows[0]) == list(audit.COLUMNS)
    assert len(rows) == len(events(db))
    assert [int(row["id"]) for row in rows] == sorted(int(row["id"]) for row in rows)  # oldest first
    for row in rows:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", row["at"]), row["at"]
        for value in row.values():
            assert not formula_like(value), row
    failed = [row for row in rows if row["action"] == audit.SIGN_IN_FAILED]
    assert [row["actor"] for row in failed] == ["'=hyperlink(\"http://evil.example\")@example.org",
                                                "'+1@example.org"]
    assert {row["address"] for row in failed} == {"198.51.100.3"}
    assert json.loads(failed[0]["detail"]) == {"reason": "invalid"}
    [withdrawn] = [row for row in rows if row["action"] == audit.WITHDRAW]
    assert (withdrawn["actor"], withdrawn["address"], withdrawn["dataset"], withdrawn["version"],
            withdrawn["reason_en"], withdrawn["reason_cy"]) == ("'@admin", "'-1+1", "councils", "2", "'=1+1",
                                                                "Rheswm â ŵ")
    assert json.loads(withdrawn["detail"]) == {"replaced_by": "=cmd"}  # JSON text begins with {
    # filtered as the page is
    only = list(csv.DictReader(io.StringIO(
        admin_client.get("/en/admin/audit.csv?action=sign-in").get_data().decode("utf-8-sig"))))
    assert {row["action"] for row in only} == {audit.SIGN_IN} and only
    assert admin_client.get("/en/admin/audit.csv?size=5").status_code == 400
