"""Withdrawal from the admin pages, and an edition refused for disclosure by
differencing: its cells at risk shown as a table, published anyway only by an
administrator with a reason the audit trail keeps. The real app, its database
and the worker, with CSRF on."""
from __future__ import annotations

import csv
import io
import re

import pytest
from flask_babel import refresh
from sqlalchemy import func, select

from portal import queries
from portal.model import AuditEvent, Withdrawal
from portal.publishing import jobs
from portal.publishing.accounts import create
from tests.test_admin_accounts import PASSWORD, SETUP, csrf_token, sign_in
from tests.test_admin_publishing import editor, token, work  # noqa: F401 - fixtures
from tests.test_ingest import INVITATIONS, RESPONSES, ingest_cli
from tests.test_withdrawal import REASON_CY, REASON_EN, two_versions  # noqa: F401 - fixture

ADMIN = "ad@example.org"


@pytest.fixture
def admin(app, loaded):
    create(loaded, ADMIN, "admin", PASSWORD, by=SETUP)
    loaded.commit()
    client = app.test_client()
    assert sign_in(client, ADMIN).status_code == 302
    return client


def in_welsh(client, url: str, **kwargs):
    """A request in Welsh: the tests' application context (kept by the
    database fixture) would otherwise keep the language of the first request."""
    refresh()
    try:
        return client.open(url, **kwargs)
    finally:
        refresh()


def withdrawals(db) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(Withdrawal))


# -- withdrawal ---------------------------------------------------------------------------

def test_an_editor_may_not_withdraw(editor):  # noqa: F811
    assert editor.get("/en/admin/withdraw").status_code == 403
    assert editor.get("/cy/admin/withdraw").status_code == 403
    token = csrf_token(editor, "/en/admin/upload/package")
    response = editor.post("/en/admin/withdraw", data={
        "csrf_token": token, "dataset": "councils", "reason_en": REASON_EN, "reason_cy": REASON_CY,
        "confirm": "yes"})
    assert response.status_code == 403


def test_an_admin_withdraws_a_version_after_confirming(app, loaded, admin, two_versions):  # noqa: F811
    index = admin.get("/en/admin/").get_data(as_text=True)
    assert 'href="/en/admin/withdraw"' in index
    page = in_welsh(admin, "/cy/admin/withdraw").get_data(as_text=True)
    assert "Tynnu set ddata yn ôl" in page and "Pam, yn Gymraeg" in page
    token = csrf_token(admin, "/en/admin/withdraw")
    choice = {"csrf_token": token, "dataset": "councils", "version": "2", "reason_en": REASON_EN,
              "reason_cy": REASON_CY, "replaced_by": ""}
    # first the summary to confirm: nothing is withdrawn yet
    response = admin.post("/en/admin/withdraw", data=choice)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Confirm the withdrawal" in body and "version 2 only" in body and 'name="confirm" value="yes"' in body
    assert withdrawals(loaded) == 0
    assert app.test_client().get("/datasets/councils/versions/2/councils.csv").status_code == 200
    # without its CSRF token, the confirmation is refused
    assert admin.post("/en/admin/withdraw", data={**choice, "csrf_token": "", "confirm": "yes"}).status_code == 400
    assert withdrawals(loaded) == 0
    response = admin.post("/en/admin/withdraw", data={**choice, "confirm": "yes"})
    assert response.status_code == 303
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "Version 2 of councils was withdrawn." in page
    assert 'href="/en/datasets/councils/versions/2/"' in page  # the tombstone
    public = app.test_client()
    assert public.get("/datasets/councils/versions/2/councils.csv").status_code == 410
    assert public.get("/datasets/councils/versions/1/councils.csv").status_code == 200
    assert public.get("/en/datasets/councils/versions/2/").status_code == 410
    loaded.rollback()
    event = loaded.scalar(select(AuditEvent).where(AuditEvent.action == "withdraw"))
    assert (event.actor, event.dataset, event.version, event.reason_cy) == (ADMIN, "councils", 2, REASON_CY)
    # a second time: a clear message on the field, nothing more withdrawn
    response = admin.post("/en/admin/withdraw", data={**choice, "confirm": "yes"})
    assert response.status_code == 400
    assert "This version was withdrawn already" in response.get_data(as_text=True)
    assert withdrawals(loaded) == 1


def test_the_reason_is_required_in_welsh(app, loaded, admin):
    token = csrf_token(admin, "/cy/admin/withdraw")
    for confirm in ("", "yes"):
        response = in_welsh(admin, "/cy/admin/withdraw", method="POST", data={
            "csrf_token": token, "dataset": "councils", "version": "", "reason_en": REASON_EN, "reason_cy": "  ",
            "replaced_by": "", "confirm": confirm})
        assert response.status_code == 400
        body = response.get_data(as_text=True)
        assert 'class="error-summary"' in body and 'href="#reason_cy"' in body
        assert "Rhowch y rheswm dros ei thynnu'n ôl, yn Gymraeg" in body
    assert withdrawals(loaded) == 0
    assert app.test_client().get("/datasets/councils/versions/1/councils.csv").status_code == 200


def test_a_version_that_does_not_exist_is_named_on_its_field(loaded, admin):
    token = csrf_token(admin, "/en/admin/withdraw")
    response = admin.post("/en/admin/withdraw", data={
        "csrf_token": token, "dataset": "councils", "version": "7", "reason_en": REASON_EN,
        "reason_cy": REASON_CY, "replaced_by": ""})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert 'href="#version"' in body and "This dataset has no version with this number" in body
    assert withdrawals(loaded) == 0


# -- an edition refused for disclosure by differencing ------------------------------------

def corrected_responses(tmp_path) -> bytes:
    """The demonstration responses with one more officer of one council, who
    answered every characteristic (as ``tests/test_differencing.py``)."""
    with RESPONSES.open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    characteristics = sorted({row[3] for row in rows[1:]})
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(rows)
    writer.writerows([["late-respondent", "W06000012", "officer", c, "2"] for c in characteristics])
    return buffer.getvalue().encode("utf-8")


def refused(app, runner, loaded, client, tmp_path) -> str:
    """The page of a job, uploaded and sent to publication by ``client``, whose
    publication the differencing check refused."""
    assert ingest_cli(runner, RESPONSES, INVITATIONS, "--demo").exit_code == 0
    token = csrf_token(client, "/en/admin/upload/responses")
    response = client.post("/en/admin/upload/responses", data={
        "csrf_token": token, "threshold": "", "demonstration": "y",
        "responses": (io.BytesIO(corrected_responses(tmp_path)), "responses.csv"),
        "invitations": (open(INVITATIONS, "rb"), "invitations.csv")}, content_type="multipart/form-data")
    assert response.status_code == 303
    job_url = response.headers["Location"]
    assert [job.status for job in work(app, loaded)] == ["ready"]
    response = client.post(job_url + "/publish", data={"csrf_token": token, "changelog_en": "A late response.",
                                                       "changelog_cy": "Ymateb hwyr."})
    assert response.status_code == 303
    assert [job.status for job in work(app, loaded)] == [jobs.DISCLOSIVE]
    loaded.rollback()
    assert queries.latest_version(loaded, "maturity-scores").number == 1
    return job_url


def test_cells_at_risk_are_a_table_and_an_editor_cannot_override(app, runner, loaded, editor, token,  # noqa: F811
                                                                 tmp_path):
    job_url = refused(app, runner, loaded, editor, tmp_path)
    # the write API's job says so too, with the same cells
    body = app.test_client().get("/api/v1/jobs/" + job_url.rsplit("/", 1)[1], headers=token).get_json()
    assert body["status"] == "disclosive" and "disclosure by differencing" in body["error"]
    assert {"area": "W92000004", "characteristic": "leadership", "group": "all", "version": 1,
            "respondents": 1} in [{k: c[k] for k in ("area", "characteristic", "group", "version", "respondents")}
                                  for c in body["cells_at_risk"]]
    page = editor.get(job_url).get_data(as_text=True)
    assert "cells at risk of disclosure by differencing" in page
    table = re.search(r'<table>\s*<caption id="at-risk-caption">(.*?)</table>', page, re.S)
    assert table, page
    assert "W92000004" in table.group(1) and "leadership" in table.group(1)
    assert re.search(r"<td>1</td><td>1</td>", table.group(1))  # compared with version 1: one respondent
    assert "CellAtRisk" not in page and "disclosure by differencing: cell (" not in page
    assert "Publish anyway" not in page and "Only an administrator can publish it anyway" in page
    token = csrf_token(editor, job_url)
    response = editor.post(job_url + "/override", data={"csrf_token": token, "reason": "Because."})
    assert response.status_code == 403
    assert work(app, loaded) == []
    loaded.rollback()
    assert queries.latest_version(loaded, "maturity-scores").number == 1
    assert loaded.scalar(select(AuditEvent).where(AuditEvent.action == "override-disclosure")) is None


def test_an_admin_overrides_with_a_reason_the_audit_trail_keeps(app, runner, loaded, admin, tmp_path):
    job_url = refused(app, runner, loaded, admin, tmp_path)
    page = in_welsh(admin, job_url.replace("/en/", "/cy/")).get_data(as_text=True)
    assert "Cyhoeddi beth bynnag" in page
    token = csrf_token(admin, job_url)
    response = admin.post(job_url + "/override", data={"csrf_token": token, "reason": "  "})
    assert response.status_code == 400
    assert 'class="error-summary"' in response.get_data(as_text=True)
    assert 'href="#reason"' in response.get_data(as_text=True)
    assert admin.post(job_url + "/override", data={"reason": "No token."}).status_code == 400
    assert work(app, loaded) == []
    reason = "The late respondent agreed to their answers being published."
    response = admin.post(job_url + "/override", data={"csrf_token": token, "reason": reason})
    assert response.status_code == 303
    assert [job.status for job in work(app, loaded)] == [jobs.PUBLISHED]
    loaded.rollback()
    assert queries.latest_version(loaded, "maturity-scores").number == 2
    event = loaded.scalar(select(AuditEvent).where(AuditEvent.action == "override-disclosure"))
    assert (event.actor, event.dataset, event.version, event.reason_en) == (ADMIN, "maturity-scores", 2, reason)
    assert any("by 1 respondent(s)" in cell for cell in event.detail["cells_at_risk"])
    published = loaded.scalar(select(AuditEvent).where(AuditEvent.action == "publish",
                                                       AuditEvent.dataset == "maturity-scores",
                                                       AuditEvent.version == 2))
    assert published.actor == ADMIN and published.address == "127.0.0.1"
    asked = loaded.scalars(select(AuditEvent).where(AuditEvent.action == "publish-request")).all()
    assert [(e.actor, e.reason_en, e.detail.get("override_disclosure")) for e in asked][-1] == (ADMIN, reason, True)
