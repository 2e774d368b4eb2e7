"""Accounts: sign-in and sign-out, cookie flags, CSRF, throttling that holds
across workers, roles on every admin route, the CLI's users commands, and API
tokens."""
from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from portal.model import ApiToken, LoginFailure, User
from portal.publishing import accounts, audit, tokens
from tests.conftest import make_app

PASSWORD = "correct horse battery staple"
# who sets up the accounts the tests use, for the audit log
SETUP = audit.By("cli:test", audit.CLI)


def csrf_token(client, url: str) -> str:
    page = client.get(url)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)) or \
        re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert match, page.get_data(as_text=True)[:500]
    return match.group(1)


def make_user(app, email: str, role: str, password: str = PASSWORD) -> None:
    with app.app_context():
        from portal.extensions import session
        accounts.create(session(), email, role, password, by=SETUP)
        session().commit()


def sign_in(client, email: str, password: str = PASSWORD, lang: str = "en"):
    token = csrf_token(client, f"/{lang}/admin/login")
    return client.post(f"/{lang}/admin/login", data={"email": email, "password": password, "csrf_token": token})


def test_no_default_account(app):
    with app.app_context():
        from portal.extensions import session
        assert session().scalars(select(User)).all() == []


def test_sign_in_sets_a_safe_cookie_and_sign_out_ends_the_session(app):
    make_user(app, "ed@example.org", "editor")
    client = app.test_client()
    assert client.get("/en/admin/").status_code == 302
    response = sign_in(client, "ED@example.org")
    assert response.status_code == 302 and response.headers["Location"].endswith("/en/admin/")
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("portal_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # development over http
    assert client.get("/en/admin/").status_code == 200
    token = csrf_token(client, "/en/admin/")
    assert client.post("/en/admin/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/en/admin/").status_code == 302


def test_cookie_is_secure_in_production(backend, new_database, tmp_path):
    from tests.conftest import migrated
    app = make_app(migrated(new_database(backend)), tmp_path, PORTAL_ENV="production", SECRET_KEY="k" * 40,
                   PORTAL_BASE_URL="https://data.example.wales", PORTAL_ALLOW_SQLITE="1")
    make_user(app, "ed@example.org", "editor")
    client = app.test_client()
    base = "https://data.example.wales"
    token = csrf_token(client, f"{base}/en/admin/login")
    response = client.post(f"{base}/en/admin/login", headers={"Referer": f"{base}/en/admin/login"},
                           data={"email": "ed@example.org", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("portal_session="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_wrong_password_and_disabled_account_are_refused_with_a_message(app):
    make_user(app, "ed@example.org", "editor")
    client = app.test_client()
    response = sign_in(client, "ed@example.org", "not the password")
    assert response.status_code == 401
    assert "The email address or the password is wrong." in response.get_data(as_text=True)
    assert 'class="error-summary"' in response.get_data(as_text=True)
    with app.app_context():
        from portal.extensions import session
        accounts.disable(session(), accounts.get(session(), "ed@example.org"), by=SETUP)
        session().commit()
    response = sign_in(client, "ed@example.org", lang="cy")
    assert response.status_code == 403
    assert "Mae'r cyfrif hwn wedi'i analluogi" in html.unescape(response.get_data(as_text=True))


def test_forms_without_a_csrf_token_are_refused(app):
    make_user(app, "ed@example.org", "editor")
    client = app.test_client()
    response = client.post("/en/admin/login", data={"email": "ed@example.org", "password": PASSWORD})
    assert response.status_code == 400
    assert "did not come from this site" in response.get_data(as_text=True)
    assert client.get("/en/admin/").status_code == 302  # not signed in
    sign_in(client, "ed@example.org")
    response = client.post("/en/admin/logout", data={"csrf_token": "forged"})
    assert response.status_code == 400
    assert client.get("/en/admin/").status_code == 200  # still signed in


def test_throttling_holds_across_two_app_instances(backend, new_database, tmp_path):
    from tests.conftest import migrated
    url = migrated(new_database(backend))
    first, second = make_app(url, tmp_path / "a"), make_app(url, tmp_path / "b")
    make_user(first, "ed@example.org", "editor")
    clients = [first.test_client(), second.test_client()]
    for attempt in range(accounts.MAX_FAILURES):
        assert sign_in(clients[attempt % 2], "ed@example.org", "wrong password!").status_code == 401
    # now even the right password is refused, on either instance
    for client in clients:
        response = sign_in(client, "ed@example.org")
        assert response.status_code == 429
        assert "Too many failed attempts" in response.get_data(as_text=True)
    with second.app_context():
        from portal.extensions import session
        assert session().scalar(select(LoginFailure.id).limit(1)) is not None


def _admin_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("admin.")]


def _url(rule) -> str:
    values = {"lang": "en", "job_id": "0" * 32, "user_id": 1, "token_id": 1}
    return rule.build({k: v for k, v in values.items() if k in rule.arguments})[1]


def test_every_admin_route_needs_a_signed_in_user_and_admin_routes_an_admin(app):
    make_user(app, "ed@example.org", "editor")
    make_user(app, "ad@example.org", "admin")
    anonymous = app.test_client()
    rules = _admin_rules(app)
    assert len(rules) >= 12
    open_routes = {"admin.login", "admin.logout"}
    for rule in rules:
        if rule.endpoint in open_routes:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = anonymous.open(_url(rule), method=method, data={})
            # POSTs without a CSRF token are refused before anything else
            assert response.status_code in ((302,) if method == "GET" else (302, 400)), (rule, method)
            if method == "GET":
                assert "/en/admin/login" in response.headers["Location"]
    editor = app.test_client()
    sign_in(editor, "ed@example.org")
    token = csrf_token(editor, "/en/admin/")
    admin_only = [rule for rule in rules
                  if getattr(app.view_functions[rule.endpoint], "roles", None) == ("admin",)]
    assert {rule.endpoint for rule in admin_only} >= {"admin.users", "admin.tokens_page", "admin.disable_user",
                                                      "admin.revoke_token", "admin.audit_page", "admin.audit_csv"}
    for rule in admin_only:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = editor.open(_url(rule), method=method, data={"csrf_token": token})
            assert response.status_code == 403, (rule, method)
    with app.app_context():
        from portal.extensions import session
        assert len(accounts.all_users(session())) == 2 and all(u.active for u in accounts.all_users(session()))


def test_admin_creates_and_disables_an_account(app):
    make_user(app, "ad@example.org", "admin")
    client = app.test_client()
    sign_in(client, "ad@example.org")
    token = csrf_token(client, "/en/admin/users")
    response = client.post("/en/admin/users", data={"email": "", "role": "editor", "password": "short",
                                                    "csrf_token": token})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and 'href="#email"' in page and "Use at least 12 characters" in page
    response = client.post("/en/admin/users", data={"email": "new@example.org", "role": "editor",
                                                    "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303
    with app.app_context():
        from portal.extensions import session
        user = accounts.get(session(), "new@example.org")
        assert user.role == "editor" and user.password_hash.startswith("$argon2id$")
        user_id = user.id
    other = app.test_client()
    assert sign_in(other, "new@example.org").status_code == 302
    assert client.post(f"/en/admin/users/{user_id}/disable", data={"csrf_token": token}).status_code == 303
    assert other.get("/en/admin/").status_code == 302  # the session ended


def test_cli_users_commands(app, monkeypatch):
    runner = app.test_cli_runner()
    monkeypatch.setenv("PORTAL_PASSWORD", PASSWORD)
    result = runner.invoke(args=["portal", "users", "create", "Ann@Example.org", "--role", "admin"])
    assert result.exit_code == 0, result.output
    assert "Created ann@example.org (admin)" in result.output
    result = runner.invoke(args=["portal", "users", "create", "ann@example.org", "--role", "editor"])
    assert result.exit_code != 0 and "already exists" in result.output
    result = runner.invoke(args=["portal", "users", "create", "bob@example.org", "--role", "owner"])
    assert result.exit_code != 0
    monkeypatch.setenv("PORTAL_PASSWORD", "short")
    result = runner.invoke(args=["portal", "users", "create", "bob@example.org", "--role", "editor"])
    assert result.exit_code != 0 and "at least 12 characters" in result.output
    monkeypatch.delenv("PORTAL_PASSWORD")
    result = runner.invoke(args=["portal", "users", "create", "bob@example.org", "--role", "editor"],
                           input="another long password\nanother long password\n")
    assert result.exit_code == 0, result.output
    listed = runner.invoke(args=["portal", "users", "list"]).output
    assert "ann@example.org\tadmin\tactive" in listed and "bob@example.org\teditor\tactive" in listed
    assert runner.invoke(args=["portal", "users", "disable", "bob@example.org"]).exit_code == 0
    assert "bob@example.org\teditor\tdisabled" in runner.invoke(args=["portal", "users", "list"]).output
    assert runner.invoke(args=["portal", "users", "disable", "nobody@example.org"]).exit_code != 0
    monkeypatch.setenv("PORTAL_PASSWORD", "a brand new password")
    assert runner.invoke(args=["portal", "users", "reset-password", "ann@example.org"]).exit_code == 0
    client = app.test_client()
    assert sign_in(client, "ann@example.org").status_code == 401
    assert sign_in(client, "ann@example.org", "a brand new password").status_code == 302


def test_tokens_are_hashed_revocable_and_record_their_use(app):
    make_user(app, "ad@example.org", "admin")
    make_user(app, "ed@example.org", "editor")
    client = app.test_client()
    sign_in(client, "ad@example.org")
    token = csrf_token(client, "/en/admin/tokens")
    with app.app_context():
        from portal.extensions import session
        editor_id = accounts.get(session(), "ed@example.org").id
    response = client.post("/en/admin/tokens", data={"user": editor_id, "name": "nightly load",
                                                     "csrf_token": token})
    assert response.status_code == 200
    issued = re.search(r'id="new-token">([^<]+)<', response.get_data(as_text=True)).group(1)
    assert issued.startswith(tokens.PREFIX)
    assert issued not in client.get("/en/admin/tokens").get_data(as_text=True)  # shown once
    with app.app_context():
        from portal.extensions import session
        record = session().scalar(select(ApiToken))
        assert record.token_hash == tokens.digest(issued) and issued not in (record.token_hash, record.prefix)
        assert record.last_used_at is None
        token_id = record.id
    api = app.test_client()
    assert api.get("/api/v1/jobs/" + "0" * 32).status_code == 401
    response = api.get("/api/v1/jobs/" + "0" * 32, headers={"Authorization": "Bearer wlgd_nonsense"})
    assert response.status_code == 401 and response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    response = api.get("/api/v1/jobs/" + "0" * 32, headers={"Authorization": f"Bearer {issued}"})
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    with app.app_context():
        from portal.extensions import session
        assert session().get(ApiToken, token_id).last_used_at is not None
    assert client.post(f"/en/admin/tokens/{token_id}/revoke", data={"csrf_token": token}).status_code == 303
    assert api.get("/api/v1/jobs/" + "0" * 32, headers={"Authorization": f"Bearer {issued}"}).status_code == 401


def test_cli_tokens_and_disabled_users_tokens(app, monkeypatch):
    monkeypatch.setenv("PORTAL_PASSWORD", PASSWORD)
    runner = app.test_cli_runner()
    runner.invoke(args=["portal", "users", "create", "ed@example.org", "--role", "editor"])
    result = runner.invoke(args=["portal", "tokens", "issue", "ed@example.org", "ci"])
    assert result.exit_code == 0, result.output
    issued = result.output.strip()
    api = app.test_client()
    headers = {"Authorization": f"Bearer {issued}"}
    assert api.get("/api/v1/jobs/x", headers=headers).status_code == 404
    assert "\tci\ted@example.org\t" in runner.invoke(args=["portal", "tokens", "list"]).output
    runner.invoke(args=["portal", "users", "disable", "ed@example.org"])
    assert api.get("/api/v1/jobs/x", headers=headers).status_code == 401


def test_openapi_documents_the_write_api_and_its_security(app):
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": document["components"]["securitySchemes"]
        ["bearerAuth"]["description"]}
    post = document["paths"]["/api/v1/datasets/{name}/versions"]["post"]
    assert post["security"] == [{"bearerAuth": []}] and "202" in post["responses"]
    assert "401" in post["responses"] and "403" in post["responses"]
    assert "multipart/form-data" in post["requestBody"]["content"]
    assert document["paths"]["/api/v1/ingest"]["post"]["security"] == [{"bearerAuth": []}]
    assert "/api/v1/jobs/{job_id}" in document["paths"]
