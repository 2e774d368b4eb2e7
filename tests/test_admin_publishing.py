"""Publishing through the admin pages and the write API: an upload becomes a
job, the worker checks it (report and preview), then publishes it; bad
uploads are refused with a clear message and nothing published changes."""
from __future__ import annotations

import io
import re
import stat
import zipfile
from pathlib import Path

import pytest

from portal.config import DATASETS_PATH
from portal.publishing import jobs, tokens, uploads
from portal.publishing.accounts import create
from tests.helpers import copy_datasets, replace_in, snapshot
from tests.test_admin_accounts import PASSWORD, SETUP, csrf_token, sign_in


def package_zip(folder: Path, prefix: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.iterdir()):
            zf.write(path, prefix + path.name)
    return buffer.getvalue()


def changed_councils(tmp_path: Path) -> Path:
    folder = copy_datasets(tmp_path) / "councils"
    replace_in(folder / "councils.csv", "Isle of Anglesey,", "Isle of Anglesey (Ynys Môn),")
    replace_in(folder / "councils.csv", "W06000002,Gwynedd,Gwynedd,gwynedd\n", "")
    return folder


def context(app) -> jobs.Context:
    return jobs.Context(uploads=Path(app.config["UPLOADS_PATH"]),
                        upload_limits=uploads.UploadLimits(max_bytes=50 * 1024 ** 2, max_members=50))


def work(app, db) -> list:
    done = []
    while (job := jobs.run_once(db, context(app))) is not None:
        done.append(job)
    return done


@pytest.fixture
def editor(app, loaded):
    create(loaded, "ed@example.org", "editor", PASSWORD, by=SETUP)
    loaded.commit()
    client = app.test_client()
    assert sign_in(client, "ed@example.org").status_code == 302
    return client


@pytest.fixture
def token(app, loaded):
    user = create(loaded, "robot@example.org", "editor", PASSWORD, by=SETUP)
    _record, issued = tokens.issue(loaded, user, "ci", by=SETUP)
    loaded.commit()
    return {"Authorization": f"Bearer {issued}"}


def test_admin_upload_report_preview_publish(app, loaded, editor, tmp_path):
    before = snapshot(loaded)
    token = csrf_token(editor, "/en/admin/upload/package")
    response = editor.post("/en/admin/upload/package", data={
        "csrf_token": token, "package": (io.BytesIO(package_zip(changed_councils(tmp_path))), "councils.zip")},
        content_type="multipart/form-data")
    assert response.status_code == 303
    job_url = response.headers["Location"]
    page = editor.get(job_url).get_data(as_text=True)
    assert "<progress" in page and 'http-equiv="refresh"' in page and "job.js" in page
    assert editor.get(job_url + "/status.json").get_json()["status"] == "queued"
    assert [job.status for job in work(app, loaded)] == ["ready"]
    assert snapshot(loaded) == before  # checking publishes nothing
    page = editor.get(job_url).get_data(as_text=True)
    assert "Valid: no problems were found." in page
    assert "0 rows added, 1 removed, 1 changed." in page
    assert "Isle of Anglesey (Ynys Môn)" in page and "Compared with version 1" in page
    assert "<progress" not in page
    # the changelog is required in both languages
    response = editor.post(job_url + "/publish", data={"csrf_token": token, "changelog_en": "Renamed.",
                                                       "changelog_cy": ""})
    assert response.status_code == 400
    assert "There is a problem" in response.get_data(as_text=True)
    assert 'href="#changelog_cy"' in response.get_data(as_text=True)
    response = editor.post(job_url + "/publish", data={"csrf_token": token, "changelog_en": "Renamed.",
                                                       "changelog_cy": "Ailenwyd."})
    assert response.status_code == 303
    assert [job.status for job in work(app, loaded)] == ["published"]
    after = snapshot(loaded)
    assert ("councils", 2) in {(name, number) for name, number, _ in after["versions"]}
    assert "/en/datasets/councils/versions/2" in editor.get(job_url).get_data(as_text=True)
    from portal.queries import latest_version
    latest = latest_version(loaded, "councils")
    assert (latest.number, latest.changelog_en, latest.changelog_cy) == (2, "Renamed.", "Ailenwyd.")


def test_discard_publishes_nothing(app, loaded, editor, tmp_path):
    before = snapshot(loaded)
    token = csrf_token(editor, "/en/admin/upload/package")
    job_url = editor.post("/en/admin/upload/package", data={
        "csrf_token": token, "package": (io.BytesIO(package_zip(changed_councils(tmp_path))), "c.zip")},
        content_type="multipart/form-data").headers["Location"]
    work(app, loaded)
    assert editor.post(job_url + "/discard", data={"csrf_token": token}).status_code == 303
    assert "discarded" in editor.get(job_url).get_data(as_text=True)
    assert editor.post(job_url + "/publish", data={"csrf_token": token, "changelog_en": "x",
                                                   "changelog_cy": "y"}).status_code == 303
    assert work(app, loaded) == [] and snapshot(loaded) == before


def test_responses_upload_shows_the_anonymisation_report(app, loaded, editor):
    token = csrf_token(editor, "/en/admin/upload/responses")
    demo = DATASETS_PATH / "demonstration-responses"
    response = editor.post("/en/admin/upload/responses", data={
        "csrf_token": token, "threshold": "10", "demonstration": "y",
        "responses": (open(demo / "responses.csv", "rb"), "responses.csv"),
        "invitations": (open(demo / "invitations.csv", "rb"), "invitations.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 303
    assert [job.status for job in work(app, loaded)] == ["ready"]
    # the raw responses are gone once aggregated
    assert not list(Path(app.config["UPLOADS_PATH"]).glob(f"*/{jobs.RESPONSES_FILE}"))
    page = editor.get(response.headers["Location"]).get_data(as_text=True)
    assert "Anonymisation report" in page and "Suppressed by the secondary rule" in page
    assert "maturity-scores" in page and "A new dataset: its first version." in page


def _evil_zip(kind: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(DATASETS_PATH / "councils" / "datapackage.json", "datapackage.json")
        if kind == "slip":
            zf.writestr("../councils.csv", "x")
        elif kind == "absolute":
            zf.writestr("/tmp/councils.csv", "x")
        elif kind == "link":
            info = zipfile.ZipInfo("councils.csv")
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, "/etc/passwd")
        elif kind == "bomb":
            zf.writestr("councils.csv", b"0" * (60 * 1024 ** 2))
        elif kind == "members":
            for i in range(60):
                zf.writestr(f"f{i}.csv", "x")
    return buffer.getvalue()


@pytest.mark.parametrize("kind, message", [
    ("slip", "has a path outside the package"), ("absolute", "has a path outside the package"),
    ("link", "is a link or a special file"), ("bomb", "would unpack to"), ("members", "the limit is 50"),
    ("not-zip", "is not a zip archive")])
def test_bad_zips_are_refused_and_nothing_changes(app, loaded, token, kind, message):
    before = snapshot(loaded)
    body = b"plain text, not a zip" if kind == "not-zip" else _evil_zip(kind)
    client = app.test_client()
    response = client.post("/api/v1/datasets/councils/versions", headers=token,
                           data={"package": (io.BytesIO(body), "p.zip")}, content_type="multipart/form-data")
    assert response.status_code == 202
    job_url = response.headers["Location"]
    assert [job.status for job in work(app, loaded)] == ["invalid"]
    body = client.get(job_url, headers=token).get_json()
    assert body["status"] == "invalid" and body["finished"]
    assert any(message in problem["message"] for problem in body["problems"]), body["problems"]
    assert snapshot(loaded) == before
    assert not (Path(app.config["UPLOADS_PATH"]).parent / "councils.csv").exists()


def test_api_publishes_a_version_and_names_its_url(app, loaded, token, tmp_path):
    client = app.test_client()
    response = client.post("/api/v1/datasets/councils/versions", headers=token, data={
        "package": (io.BytesIO(package_zip(changed_councils(tmp_path), "councils/")), "councils.zip"),
        "changelog_en": "Renamed a council.", "changelog_cy": "Ailenwyd cyngor."},
        content_type="multipart/form-data")
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert body["status"] == "queued" and response.headers["Location"] == body["url"]
    assert [job.status for job in work(app, loaded)] == ["published"]
    body = client.get(body["url"], headers=token).get_json()
    assert body["status"] == "published"
    assert body["versions"][0]["url"].endswith("/api/v1/datasets/councils/versions/2")
    assert client.get(body["versions"][0]["url"]).status_code == 200


def test_api_refuses_a_package_of_another_dataset_and_bad_requests(app, loaded, token, tmp_path):
    before = snapshot(loaded)
    client = app.test_client()
    zipped = package_zip(changed_councils(tmp_path))
    response = client.post("/api/v1/datasets/maturity-framework/versions", headers=token,
                           data={"package": (io.BytesIO(zipped), "c.zip")}, content_type="multipart/form-data")
    work(app, loaded)
    body = client.get(response.headers["Location"], headers=token).get_json()
    assert body["status"] == "invalid"
    assert body["problems"][0]["code"] == "wrong-dataset"
    response = client.post("/api/v1/datasets/councils/versions", headers=token, data={"changelog_en": "x"},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert set(response.get_json()["errors"]) == {"package", "changelog_cy"}
    response = client.post("/api/v1/ingest", data={}, content_type="multipart/form-data")
    assert response.status_code == 401 and response.mimetype == "application/problem+json"
    assert snapshot(loaded) == before


def test_a_preview_made_before_another_publication_is_not_published(app, loaded, editor, tmp_path):
    token = csrf_token(editor, "/en/admin/upload/package")
    urls = []
    for variant in ("a", "b"):
        folder = changed_councils(tmp_path / variant)
        replace_in(folder / "councils.csv", "Conwy,Conwy", f"Conwy {variant},Conwy")
        urls.append(editor.post("/en/admin/upload/package", data={
            "csrf_token": token, "package": (io.BytesIO(package_zip(folder)), "c.zip")},
            content_type="multipart/form-data").headers["Location"])
    work(app, loaded)
    for url in urls:
        editor.post(url + "/publish", data={"csrf_token": token, "changelog_en": "x", "changelog_cy": "y"})
    assert [job.status for job in work(app, loaded)] == ["published", "failed"]
    page = editor.get(urls[1]).get_data(as_text=True)
    assert "was published after this preview was made" in page


def test_an_upload_over_the_size_limit_is_a_413(backend, new_database, tmp_path):
    from tests.conftest import make_app, migrated
    app = make_app(migrated(new_database(backend)), tmp_path, MAX_CONTENT_LENGTH=10_000)
    with app.app_context():
        from portal.extensions import session
        user = create(session(), "ed@example.org", "editor", PASSWORD, by=SETUP)
        _record, issued = tokens.issue(session(), user, "ci", by=SETUP)
        session().commit()
    client = app.test_client()
    big = io.BytesIO(b"0" * 20_000)
    response = client.post("/api/v1/datasets/councils/versions", headers={"Authorization": f"Bearer {issued}"},
                           data={"package": (big, "p.zip")}, content_type="multipart/form-data")
    assert response.status_code == 413 and response.mimetype == "application/problem+json"
    sign_in(client, "ed@example.org")
    token = csrf_token(client, "/cy/admin/upload/package")
    response = client.post("/cy/admin/upload/package", data={"csrf_token": token,
                                                             "package": (io.BytesIO(b"0" * 20_000), "p.zip")},
                           content_type="multipart/form-data")
    assert response.status_code == 413
    assert "Mae'r ffeil yn rhy fawr" in response.get_data(as_text=True)
    assert not any(Path(app.config["UPLOADS_PATH"]).glob("*/*"))


def test_the_worker_command_does_the_waiting_jobs(app, loaded, token, tmp_path):
    client = app.test_client()
    response = client.post("/api/v1/datasets/councils/versions", headers=token, data={
        "package": (io.BytesIO(package_zip(changed_councils(tmp_path))), "councils.zip")},
        content_type="multipart/form-data")
    result = app.test_cli_runner().invoke(args=["portal", "worker", "--once"])
    assert result.exit_code == 0, result.output
    assert client.get(response.headers["Location"], headers=token).get_json()["status"] == "published"
