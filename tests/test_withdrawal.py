"""Withdrawal: a version or a whole dataset leaves every surface with a
tombstone and 410 Gone, stays in the changelog and the audit trail."""
from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from portal.model import AuditEvent, DatasetVersion, ImmutableError, Withdrawal
from portal.publish.withdraw import WithdrawalError, withdraw
from tests.helpers import copy_datasets, replace_in

REASON_EN = "Two councils' codes were swapped."
REASON_CY = "Cafodd codau dau gyngor eu cyfnewid."


@pytest.fixture
def two_versions(runner, app, tmp_path):
    """councils in two versions (the second to be withdrawn), and the
    public attitudes survey."""
    packages = copy_datasets(tmp_path)
    result = runner.invoke(args=["portal", "load", str(packages)])
    assert result.exit_code == 0, result.output
    replace_in(packages / "councils" / "councils.csv", "Isle of Anglesey", "Anglesey")
    result = runner.invoke(args=["portal", "load", str(packages / "councils")])
    assert "councils: published version 2" in result.output
    return packages


def _session(app):
    """A session of an application context of its own (the pages' language
    is chosen per context)."""
    from portal.extensions import session
    with app.app_context():
        return session()


def _withdraw(runner, *args):
    return runner.invoke(args=["portal", "withdraw", *args, "--reason-en", REASON_EN, "--reason-cy", REASON_CY,
                               "--by", "analyst@example.wales"])


def test_withdrawing_a_version_gives_410_everywhere_and_the_previous_version_serves(runner, app, two_versions):
    client = app.test_client()
    v1 = client.get("/datasets/councils/versions/1/councils.csv").data
    result = _withdraw(runner, "councils", "--version", "2")
    assert result.exit_code == 0, result.output

    # the version's downloads and API answer 410 with the reason, as problem+json
    for url in ("/datasets/councils/versions/2/councils.csv", "/datasets/councils/versions/2/datapackage.json",
                "/datasets/councils/versions/2/councils.zip", "/api/v1/datasets/councils/versions/2",
                "/api/v1/datasets/councils/versions/2/resources/councils/rows"):
        response = client.get(url)
        assert response.status_code == 410, url
        assert response.mimetype == "application/problem+json", url
        body = response.get_json()
        assert REASON_EN in body["detail"]
        assert body["withdrawn"]["reason"] == {"en": REASON_EN, "cy": REASON_CY}
        assert body["withdrawn"]["version"] == 2
        assert body["withdrawn"]["replaced_by"]["version"] == 1

    # the latest is version 1 again, byte for byte
    assert client.get("/datasets/councils/councils.csv").data == v1
    assert client.get("/api/v1/datasets/councils").get_json()["version"] == 1

    # the version's page is a tombstone, in both languages
    page = client.get("/en/datasets/councils/versions/2/")
    assert page.status_code == 410
    text = html.unescape(page.get_data(as_text=True))
    assert REASON_EN in text and "withdrawn" in text and "/en/datasets/councils/" in text
    page = client.get("/cy/datasets/councils/versions/2/")
    assert page.status_code == 410
    assert REASON_CY in html.unescape(page.get_data(as_text=True))

    # the changelog keeps it, marked
    text = html.unescape(client.get("/en/datasets/councils/").get_data(as_text=True))
    assert "Withdrawn on" in text and REASON_EN in text
    # the feed says so
    feed = html.unescape(client.get("/feeds/datasets/councils.atom").get_data(as_text=True))
    assert "version 2 withdrawn" in feed and REASON_EN in feed
    assert "withdrawals/" in client.get("/feeds/datasets.atom").get_data(as_text=True)
    welsh = html.unescape(client.get("/feeds/datasets/councils.atom?lang=cy").get_data(as_text=True))
    assert REASON_CY in welsh
    # the sitemap drops the pinned version
    assert "/councils/versions/2/" not in client.get("/sitemap.xml").get_data(as_text=True)

    # the audit trail
    db = _session(app)
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "withdraw"))
    assert (event.actor, event.dataset, event.version, event.reason_cy) == (
        "analyst@example.wales", "councils", 2, REASON_CY)
    publications = db.scalars(select(AuditEvent).where(AuditEvent.action == "publish")).all()
    assert ("councils", 2) in {(e.dataset, e.version) for e in publications}


def test_withdrawing_a_dataset_removes_it_from_every_catalogue(runner, app, two_versions):
    client = app.test_client()
    name = "public-attitudes-survey"
    assert name in client.get("/api/3/action/package_list").get_json()["result"]
    result = _withdraw(runner, name)
    assert result.exit_code == 0, result.output

    assert client.get(f"/en/datasets/{name}/").status_code == 410
    assert client.get(f"/datasets/{name}/datapackage.json").status_code == 410
    assert client.get(f"/datasets/{name}/versions/1/datapackage.json").status_code == 410
    assert client.get(f"/api/v1/datasets/{name}").status_code == 410
    ckan = client.get(f"/api/3/action/package_show?id={name}")
    assert ckan.status_code == 410
    body = ckan.get_json()
    assert body["success"] is False and body["error"]["__type"] == "Gone"
    assert body["error"]["reason"]["cy"] == REASON_CY
    assert name not in client.get("/api/3/action/package_list").get_json()["result"]
    assert name not in {p["name"] for p in client.get("/api/3/action/package_search?rows=100")
                        .get_json()["result"]["results"]}
    assert f"/datasets/{name}" not in client.get("/catalog.ttl").get_data(as_text=True)
    assert f"/datasets/{name}/" not in client.get("/sitemap.xml").get_data(as_text=True)
    assert name not in {d["name"] for d in client.get("/api/v1/datasets?per_page=100").get_json()["items"]}
    feed = client.get(f"/feeds/datasets/{name}.atom")
    assert feed.status_code == 200 and "withdrawn" in feed.get_data(as_text=True)

    # loading it again publishes nothing under its name (and `make db` stays idempotent)
    result = runner.invoke(args=["portal", "load", str(two_versions / name)])
    assert result.exit_code == 0, result.output
    assert f"{name}: withdrawn" in result.output
    db = _session(app)
    assert db.scalar(select(DatasetVersion.number).join(DatasetVersion.dataset)
                     .where(DatasetVersion.number > 1).where(DatasetVersion.dataset.has(name=name))) is None


def test_bad_withdrawals_are_refused_and_change_nothing(runner, db, two_versions):
    for args, message in [(["nope"], "no dataset named 'nope'"),
                          (["councils", "--version", "9"], "no version 9")]:
        result = _withdraw(runner, *args)
        assert result.exit_code != 0 and message in result.output
    result = runner.invoke(args=["portal", "withdraw", "councils", "--reason-en", "x", "--reason-cy", " "])
    assert result.exit_code != 0 and "both languages" in result.output
    assert _withdraw(runner, "councils", "--version", "2").exit_code == 0
    result = _withdraw(runner, "councils", "--version", "2")
    assert result.exit_code != 0 and "withdrawn already" in result.output
    db.rollback()
    assert len(db.scalars(select(Withdrawal)).all()) == 1
    with pytest.raises(WithdrawalError):
        withdraw(db, "councils", reason_en="a", reason_cy="b", actor="x", version=1, replaced_by="councils")


def test_withdrawals_and_the_audit_trail_cannot_be_changed(runner, db, two_versions):
    assert _withdraw(runner, "councils", "--version", "2").exit_code == 0
    db.rollback()
    withdrawal = db.scalar(select(Withdrawal))
    withdrawal.reason_en = "something else"
    with pytest.raises(ImmutableError):
        db.flush()
    db.rollback()
    db.delete(db.scalar(select(AuditEvent)))
    with pytest.raises(ImmutableError):
        db.flush()
    db.rollback()
