"""Atom feeds of published versions, in English and Welsh: read with
feedparser, and checked against RFC 4287's required elements directly."""
from __future__ import annotations

import datetime as dt
import re
from xml.etree import ElementTree

import feedparser
import pytest

from portal import queries
from portal.extensions import session
from portal.publish.service import load_path
from tests.helpers import copy_datasets, replace_in

ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


@pytest.fixture(scope="module")
def histories(published_app) -> dict[str, list[tuple[int, str, str, dt.datetime]]]:
    """name -> (number, title_en, title_cy, published) of every version, newest first."""
    with published_app.app_context():
        db = session()
        return {v.dataset.name: [(h.number, h.title_en, h.title_cy, h.published_utc)
                                 for h in queries.version_history(db, v.dataset.name)]
                for v in queries.latest_versions(db)}


def fetch(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, response.data
    assert response.mimetype == "application/atom+xml"
    parsed = feedparser.parse(response.data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    check_rfc4287(response.data)
    return parsed, ElementTree.fromstring(response.data)


def check_rfc4287(document: bytes) -> None:
    """The elements RFC 4287 requires of a feed and of its entries."""
    feed = ElementTree.fromstring(document)
    assert feed.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert len(feed.findall(f"{ATOM}{name}")) == 1, name
    assert RFC3339.match(feed.findtext(f"{ATOM}updated"))
    assert feed.findtext(f"{ATOM}id").startswith("tag:")
    feed_has_author = bool(feed.findall(f"{ATOM}author/{ATOM}name"))
    check_links(feed, require_self=True)
    ids = set()
    for entry in feed.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated"):
            assert len(entry.findall(f"{ATOM}{name}")) == 1, name
        assert RFC3339.match(entry.findtext(f"{ATOM}updated"))
        assert feed_has_author or entry.findall(f"{ATOM}author/{ATOM}name")
        assert entry.find(f"{ATOM}content") is not None
        check_links(entry, require_self=False)
        ids.add(entry.findtext(f"{ATOM}id"))
    assert len(ids) == len(feed.findall(f"{ATOM}entry"))


def check_links(element, require_self: bool) -> None:
    links = element.findall(f"{ATOM}link")
    assert all(link.get("href", "").startswith("http://localhost/") for link in links)
    alternates = [(link.get("type"), link.get("hreflang")) for link in links
                  if link.get("rel", "alternate") == "alternate"]
    assert alternates and len(alternates) == len(set(alternates))
    assert len([link for link in links if link.get("rel") == "self"]) == (1 if require_self else 0)


def test_english_feed_of_every_version(client, histories):
    parsed, root = fetch(client, "/feeds/datasets.atom")
    assert root.get(XML_LANG) == "en"
    assert parsed.feed.title == "Wales local government data: new and changed datasets"
    # the portal's publisher runs the feed; the report's author wrote the real datasets
    assert parsed.feed.author_detail.name == "Wales local government data portal"
    total = sum(len(history) for history in histories.values())
    assert len(parsed.entries) == total == 8
    updated = [entry.updated_parsed for entry in parsed.entries]
    assert updated == sorted(updated, reverse=True)
    entries = {entry.id: entry for entry in parsed.entries}
    for name, history in histories.items():
        for number, title_en, _title_cy, published in history:
            entry = entries[f"tag:audit.wales,2018:data-portal/datasets/{name}/versions/{number}/en"]
            assert entry.title == f"{title_en} – version {number}"
            assert dt.datetime.fromisoformat(entry.updated) == published
            links = {link.rel: link for link in entry.links}
            assert links["alternate"].href == f"http://localhost/en/datasets/{name}/"
            assert links["alternate"].type == "text/html"
            assert links["related"].href == (
                f"http://localhost/datasets/{name}/versions/{number}/datapackage.json")
            assert "First publication." in entry.content[0].value
    self_link = next(link for link in parsed.feed.links if link.rel == "self")
    assert self_link.href == "http://localhost/feeds/datasets.atom"
    welsh = next(link for link in parsed.feed.links if link.get("hreflang") == "cy")
    assert welsh.href == "http://localhost/feeds/datasets.atom?lang=cy"


def test_welsh_feed(client, histories):
    parsed, root = fetch(client, "/feeds/datasets.atom?lang=cy")
    assert root.get(XML_LANG) == "cy"
    assert parsed.feed.title == "Data llywodraeth leol Cymru: setiau data newydd a newidiedig"
    assert parsed.feed.author_detail.name == "Porth data llywodraeth leol Cymru"
    assert len(parsed.entries) == sum(len(history) for history in histories.values())
    for entry in parsed.entries:
        name = entry.id.split("/datasets/")[1].split("/")[0]
        number, _title_en, title_cy, _published = histories[name][0]
        assert entry.id.endswith(f"/versions/{number}/cy")
        assert entry.title == f"{title_cy} – fersiwn {number}"
        assert "Cyhoeddiad cyntaf." in entry.content[0].value
        assert next(link for link in entry.links if link.rel == "alternate").href == (
            f"http://localhost/cy/datasets/{name}/")
    assert next(link for link in parsed.feed.links if link.rel == "self").href == (
        "http://localhost/feeds/datasets.atom?lang=cy")


def test_explicit_english_is_the_default(client):
    assert client.get("/feeds/datasets.atom?lang=en").data == client.get("/feeds/datasets.atom").data


def test_feed_of_one_dataset(client, histories):
    for lang, title in (("en", "Principal councils in Wales: versions"),
                        ("cy", "Prif gynghorau Cymru: fersiynau")):
        parsed, _root = fetch(client, f"/feeds/datasets/councils.atom?lang={lang}")
        assert parsed.feed.title == title
        assert [entry.id for entry in parsed.entries] == [
            f"tag:audit.wales,2018:data-portal/datasets/councils/versions/{number}/{lang}"
            for number, *_rest in histories["councils"]]
        alternate = next(link for link in parsed.feed.links
                         if link.rel == "alternate" and link.type == "text/html")
        assert alternate.href == f"http://localhost/{lang}/datasets/councils/"


def test_demonstration_entries_say_so(client):
    parsed, _root = fetch(client, "/feeds/datasets/maturity-scores.atom")
    assert parsed.entries[0].title.startswith("Data maturity scores of Welsh councils (demonstration data)")


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_authors_are_who_made_the_data(client, published_app, lang):
    """Demonstration entries are the portal's publisher's, never the Wales Audit
    Office's; real ones credit the report's author."""
    with published_app.app_context():
        flags = {v.dataset.name: v.demonstration for v in queries.latest_versions(session())}
    assert any(flags.values()) and not all(flags.values())
    publisher = {"en": "Wales local government data portal", "cy": "Porth data llywodraeth leol Cymru"}[lang]
    parsed, root = fetch(client, f"/feeds/datasets.atom?lang={lang}")
    assert parsed.feed.author_detail.name == publisher
    for entry in root.findall(f"{ATOM}entry"):
        name = entry.findtext(f"{ATOM}id").split("/datasets/")[1].split("/")[0]
        authors = [author.findtext(f"{ATOM}name") for author in entry.findall(f"{ATOM}author")]
        content = entry.findtext(f"{ATOM}content")
        if flags[name]:
            assert authors == [publisher], name
            assert ("demonstration data made by" if lang == "en" else "data enghreifftiol a wnaed gan") in content
        else:
            assert authors[0] == ("Wales Audit Office" if lang == "en" else "Swyddfa Archwilio Cymru"), name
        assert not any("Audit Office" in a or "Archwilio" in a for a in authors if flags[name])


@pytest.mark.parametrize("query", ["?lang=fr", "?lang=", "?lang=cy&lang=en", "?lang=CY"])
def test_bad_language_is_a_problem(client, query):
    for path in ("/feeds/datasets.atom", "/feeds/datasets/councils.atom"):
        response = client.get(path + query)
        assert response.status_code == 400
        assert response.mimetype == "application/problem+json"
        body = response.get_json()
        assert body["status"] == 400 and "'lang'" in body["detail"]
        assert body["invalid-params"][0]["name"] == "lang"


def test_unknown_dataset_is_a_problem(client):
    response = client.get("/feeds/datasets/no-such-dataset.atom")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert "no-such-dataset" in response.get_json()["detail"]


def test_empty_portal_has_a_valid_empty_feed(app):
    parsed, _root = fetch(app.test_client(), "/feeds/datasets.atom")
    assert parsed.entries == []


def test_entries_say_what_changed(app, db, tmp_path):
    packages = copy_datasets(tmp_path)
    load_path(db, packages, now=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    replace_in(packages / "councils" / "councils.csv", "Isle of Anglesey", "Anglesey")
    replace_in(packages / "councils" / "datapackage.json", '"title": "Principal councils in Wales"',
               '"title": "The principal councils of Wales"')
    results = load_path(db, packages / "councils", changelog=("Shorter name for Anglesey.",
                                                              "Enw byrrach i Ynys Môn."),
                        now=dt.datetime(2026, 2, 1, tzinfo=dt.timezone.utc))
    assert [r.status for r in results] == ["published"]
    client = app.test_client()

    parsed, _root = fetch(client, "/feeds/datasets.atom")
    assert len(parsed.entries) == 7  # six packages, and councils twice
    newest = parsed.entries[0]
    assert newest.id.endswith("/datasets/councils/versions/2/en")
    assert newest.title == "The principal councils of Wales – version 2"
    content = newest.content[0].value
    assert "Shorter name for Anglesey." in content
    assert "Metadata changed: title." in content
    assert "Councils: data changed, 22 rows → 22 rows." in content

    parsed, _root = fetch(client, "/feeds/datasets/councils.atom?lang=cy")
    assert [entry.id.rsplit("/", 3)[1:] for entry in parsed.entries] == [
        ["versions", "2", "cy"], ["versions", "1", "cy"]]
    content = parsed.entries[0].content[0].value
    assert "Enw byrrach i Ynys Môn." in content
    assert "Metadata wedi newid: teitl." in content
    assert "Cynghorau: data wedi newid, 22 rhes → 22 rhes." in content
    assert "Cyhoeddiad cyntaf." in parsed.entries[1].content[0].value
