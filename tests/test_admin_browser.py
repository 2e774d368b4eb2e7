"""The admin pages in real Chromium, in both languages: axe-core (WCAG 2.x
A/AA) on every admin page type (sign-in, uploads, the job page while it
works and with its report and preview, users, tokens, the audit log); the form's error
summary; and the job page's progress, without JavaScript (it refreshes
itself) and with it (it follows the job live)."""
from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from browser import run_axe
from portal.config import DATASETS_PATH
from portal.publishing import accounts, jobs
from portal.publish.service import load_path
from tests.conftest import make_app, migrated
from tests.helpers import copy_datasets, replace_in
from tests.test_admin_accounts import PASSWORD, SETUP
from tests.test_admin_publishing import context, package_zip

LANGUAGES = ["en", "cy"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A portal with every dataset published and an administrator, served over HTTP."""
    folder = tmp_path_factory.mktemp("admin-browser")
    app = make_app(migrated(f"sqlite:///{folder / 'portal.sqlite3'}"), folder / "instance")
    with app.app_context():
        from portal.extensions import session
        assert all(result.ok for result in load_path(session(), DATASETS_PATH))
        accounts.create(session(), "ad@example.org", "admin", PASSWORD, by=SETUP)
        session().commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}", folder
    server.shutdown()


def signed_in(chromium, base: str, lang: str = "en", javascript: bool = True):
    context = chromium.new_context(java_script_enabled=javascript)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{base}/{lang}/admin/login")
    page.fill("#email", "ad@example.org")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/{lang}/admin/")
    return context, page


def assert_accessible(page, what: str) -> None:
    blocking = [finding for finding in run_axe(page) if finding.blocking]
    assert not blocking, f"axe on {what}:\n  " + "\n  ".join(map(str, blocking))


def upload(page, base: str, lang: str, zipped: bytes) -> str:
    page.goto(f"{base}/{lang}/admin/upload/package")
    page.set_input_files("#package", {"name": "councils.zip", "mimeType": "application/zip", "buffer": zipped})
    page.click("form[enctype='multipart/form-data'] button[type=submit]")
    page.wait_for_url("**/admin/jobs/*")
    return page.url


def run_worker(app) -> None:
    with app.app_context():
        from portal.extensions import session
        while jobs.run_once(session(), context(app)) is not None:
            pass


def changed(folder, tag: str) -> bytes:
    councils = copy_datasets(folder / tag) / "councils"
    replace_in(councils / "councils.csv", "Isle of Anglesey,", f"Isle of Anglesey {tag},")
    return package_zip(councils)


def test_every_admin_page_type_is_checked():
    from portal import create_app
    app = create_app({"SECRET_KEY": "x" * 40, "DATABASE_URL": "sqlite://", "TESTING": True})
    pages = {rule.endpoint for rule in app.url_map.iter_rules()
             if rule.endpoint.startswith("admin.") and "GET" in rule.methods}
    assert pages == CHECKED, "an admin page has no check in test_admin_pages_are_accessible"


CHECKED = {"admin.login", "admin.index", "admin.upload_package", "admin.upload_responses", "admin.job",
           "admin.job_status", "admin.users", "admin.tokens_page", "admin.withdraw", "admin.audit_page",
           "admin.audit_csv"}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_admin_pages_are_accessible(site, chromium, lang, tmp_path):
    app, base, _folder = site
    anonymous = chromium.new_context()
    page = anonymous.new_page()
    page.goto(f"{base}/{lang}/admin/login")
    assert_accessible(page, "the sign-in page")
    page.click("main button[type=submit]")  # nothing filled in: the error summary
    assert page.locator(".error-summary").is_visible()
    assert page.locator(".error-summary a[href='#email']").count() == 1
    assert_accessible(page, "the sign-in page with errors")
    anonymous.close()

    browser, page = signed_in(chromium, base, lang)
    assert_accessible(page, "the admin home page")
    for path in ("upload/package", "upload/responses", "users", "tokens"):
        page.goto(f"{base}/{lang}/admin/{path}")
        assert_accessible(page, path)
    page.goto(f"{base}/{lang}/admin/tokens")
    page.fill("#name", "browser")
    page.click("main form:not(.inline-action) button[type=submit]")
    assert page.locator("#new-token").inner_text().startswith("wlgd_")
    assert_accessible(page, "tokens with a new token")

    job_url = upload(page, base, lang, changed(tmp_path, lang))
    assert page.locator("progress").count() == 1
    assert_accessible(page, "the job page while it waits")
    status = page.request.get(job_url + "/status.json")
    assert status.ok and status.json()["status"] == "queued"
    run_worker(app)
    page.goto(job_url)
    assert page.locator("progress").count() == 0
    assert "Isle of Anglesey " + lang in page.content()
    assert_accessible(page, "the job page with its report and preview")
    page.click("#publish ~ form button[type=submit]")  # no changelog: the error summary
    assert page.locator(".error-summary a[href='#changelog_en']").count() == 1
    assert_accessible(page, "the publish form with errors")

    page.goto(f"{base}/{lang}/admin/withdraw")
    assert_accessible(page, "the withdrawal page")
    page.click("main form:not(.inline-action) button[type=submit]")  # nothing filled in: the error summary
    assert page.locator(".error-summary a[href='#reason_cy']").count() == 1
    assert_accessible(page, "the withdrawal page with errors")
    page.select_option("#dataset", "councils")
    page.fill("#version", "1")
    page.fill("#reason_en", "A check of the confirmation page.")
    page.fill("#reason_cy", "Gwiriad o dudalen y cadarnhad.")
    page.click("main form:not(.inline-action) button[type=submit]")
    assert page.locator("input[name=confirm][value=yes]").count() == 1
    assert_accessible(page, "the withdrawal's confirmation page")  # not confirmed: nothing is withdrawn

    job_url = refused_job(app, page, base, lang, tmp_path)
    assert page.locator("#at-risk-caption").count() == 1
    assert_accessible(page, "the job page with cells at risk of disclosure")
    page.click("#override ~ form button[type=submit]")  # no reason: the error summary
    assert page.locator(".error-summary a[href='#reason']").count() == 1
    assert_accessible(page, "the override form with errors")

    page.goto(f"{base}/{lang}/admin/audit?size=5")
    assert page.locator("#audit-caption").count() == 1 and page.locator("a[rel=next]").count() == 1
    assert_accessible(page, "the audit log")
    page.click("a[rel=next]")
    assert page.locator("a[rel=prev]").count() == 1
    page.select_option("#action", "sign-in")
    page.click("main form.audit-filters button[type=submit]")
    assert "action=sign-in" in page.url
    assert_accessible(page, "the audit log filtered")
    page.goto(f"{base}/{lang}/admin/audit?action=nonsense")  # the error summary
    assert page.locator(".error-summary a[href='#action']").count() == 1
    assert_accessible(page, "the audit log with errors")
    download = page.request.get(f"{base}/{lang}/admin/audit.csv")
    assert download.ok and download.headers["content-disposition"].startswith("attachment")
    assert download.text().lstrip("\ufeff").startswith("id,at,action,actor,address")
    browser.close()


def refused_job(app, page, base: str, lang: str, tmp_path) -> str:
    """A responses upload, sent to publication from the page, that the
    differencing check refuses (one respondent more than the published edition)."""
    from portal.extensions import session
    from portal.ingest.service import ingest_responses
    from portal.queries import latest_version
    from tests.test_admin_withdrawal import corrected_responses
    from tests.test_ingest import INVITATIONS, RESPONSES
    with app.app_context():
        if latest_version(session(), "maturity-scores") is None:
            assert ingest_responses(session(), RESPONSES, INVITATIONS, demonstration=True).ok
    page.goto(f"{base}/{lang}/admin/upload/responses")
    page.set_input_files("#responses", {"name": "responses.csv", "mimeType": "text/csv",
                                        "buffer": corrected_responses(tmp_path)})
    page.set_input_files("#invitations", str(INVITATIONS))
    page.check("#demonstration")
    page.click("form[enctype='multipart/form-data'] button[type=submit]")
    page.wait_for_url("**/admin/jobs/*")
    job_url = page.url
    run_worker(app)
    page.goto(job_url)
    page.fill("#changelog_en", "A late response.")
    page.fill("#changelog_cy", "Ymateb hwyr.")
    page.click("#publish ~ form button[type=submit]")
    run_worker(app)
    page.goto(job_url)
    return job_url


def test_progress_without_javascript_refreshes_and_with_javascript_follows_the_job(site, chromium, tmp_path):
    app, base, _folder = site
    # without JavaScript: a refresh link and the page's own refresh
    browser, page = signed_in(chromium, base, javascript=False)
    job_url = upload(page, base, "en", changed(tmp_path, "nojs"))
    assert page.locator('meta[http-equiv="refresh"]').count() == 1
    assert page.locator(f'a[href$="{job_url.split(base)[1]}"]').count() >= 1
    run_worker(app)
    page.wait_for_function("!document.querySelector('progress')", timeout=15_000)  # the refresh came
    assert "ready to publish" in page.content()
    browser.close()
    # with JavaScript: the page follows the job's JSON, and shows the result when it is done
    browser, page = signed_in(chromium, base)
    job_url = upload(page, base, "en", changed(tmp_path, "js"))
    assert page.locator('meta[http-equiv="refresh"]').count() == 0  # the script took over
    requests = []
    page.on("request", lambda request: requests.append(request.url) if "status.json" in request.url else None)
    page.wait_for_timeout(1500)
    run_worker(app)
    page.wait_for_function("!document.querySelector('progress')", timeout=10_000)
    assert requests and "ready to publish" in page.content()
    browser.close()
