"""Follow every internal link from /en/ and /cy/: every page answers 200 in
its language, names its other-language twin, and its switch leads there."""
from __future__ import annotations

from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest

from tests.test_pages import Page

MACHINE = ("/datasets/", "/api/", "/catalog.", "/feeds/", "/static/", "/sitemap.xml", "/robots.txt")


def crawl(client, start: str, limit: int = 400) -> dict[str, Page]:
    seen: dict[str, Page] = {}
    queue = deque([start])
    while queue and len(seen) < limit:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url)
        assert response.status_code == 200, f"{url} answered {response.status_code}"
        if response.mimetype != "text/html":
            continue
        page = Page(response.get_data(as_text=True))
        seen[url] = page
        for link in page.links:
            href = link.get("href") or ""
            target = urlsplit(urljoin("http://localhost" + url, href))
            if target.netloc != "localhost" or not href or href.startswith("#"):
                continue
            path = target.path
            # machine surfaces are checked elsewhere; the other language is
            # reached by the switch, checked below; query-string variants of a
            # page (sorting, filtering, paging) are checked by the page tests
            if target.path.startswith(MACHINE) or not target.path.startswith(start) or target.query:
                continue
            if path not in seen:
                queue.append(path)
    return seen


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_every_page_reachable_from_home_is_whole_and_bilingual(client, lang):
    pages = crawl(client, f"/{lang}/")
    councils = [u for u in pages if u.startswith(f"/{lang}/councils/") and u.count("/") == 4
                and "/compare/" not in u]
    datasets = [u for u in pages if u.startswith(f"/{lang}/datasets/") and u.count("/") == 4]
    studies = [u for u in pages if u.startswith(f"/{lang}/good-practice/") and u.count("/") == 4]
    assert (len(councils), len(datasets), len(studies)) == (22, 8, 6)
    for section in ("framework", "about", "accessibility", "privacy", "changelog", "api"):
        assert f"/{lang}/{section}/" in pages
    other = "cy" if lang == "en" else "en"
    for url, page in pages.items():
        assert page.lang == lang, url
        assert set(page.alternates) == {"en", "cy", "x-default"}, url
        assert page.alternates[lang] == "http://localhost" + url
        switch = next(a for a in page.links if "language-switch" in (a.get("class") or ""))
        assert switch["href"] == page.alternates[other], url
        twin_path = page.alternates[other].removeprefix("http://localhost")
        twin = Page(client.get(twin_path).get_data(as_text=True))
        assert twin.lang == other and twin.alternates[lang] == page.alternates[lang], url


def test_machine_links_on_pages_answer(client):
    """Downloads and feeds linked from pages exist too."""
    page = Page(client.get("/en/datasets/maturity-scores/").get_data(as_text=True))
    hrefs = {a["href"] for a in page.links if a.get("href", "").startswith(MACHINE)}
    assert len(hrefs) > 8
    for href in hrefs:
        assert client.get(href).status_code == 200, href
