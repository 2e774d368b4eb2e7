"""Accessibility in a real browser: axe-core (WCAG 2.x A/AA, 2.2 AA) on every page type in
both languages, keyboard use, pages without JavaScript, and reflow at 320 px.

Chromium is Debian's (`make test` installs it); one browser serves the whole session.
These tests run on SQLite only: the pages are the same whatever database is behind them,
so the PostgreSQL parametrisation of `backend` would only run the browser twice.

To cover a new page type, add its path to PAGES: `test_every_page_type_is_covered` fails
until every page endpoint under /en/ and /cy/ has a path here.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.exceptions import NotFound

from browser import active_element, focus_style, launch, run_axe

LANGUAGES = ["en", "cy"]

# One path per page type; "{lang}" becomes each language. Each must answer 200.
PAGES = [
    "/{lang}/",
    "/{lang}/datasets/",
    "/{lang}/datasets/maturity-scores/",
]
# Paths that must answer with the translated error page.
NOT_FOUND = [
    "/{lang}/no-such-page",
]

PATHS = [(path.format(lang=lang), 200) for path in PAGES for lang in LANGUAGES] + \
        [(path.format(lang=lang), 404) for path in NOT_FOUND for lang in LANGUAGES]
PATH_IDS = [path for path, _ in PATHS]

# The browser tests run against the SQLite database only (see the module docstring).
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture(scope="session")
def chromium():
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture
def new_page(chromium):
    """A page in a fresh browser context; the contexts are closed after the test."""
    contexts = []

    def make(**options):
        context = chromium.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def open_page(page, url: str, status: int):
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status == status, \
        f"{url} answered {response and response.status}, expected {status}"
    return response


def test_every_page_type_is_covered(published_app):
    """Every page endpoint under /<lang>/ has a path in PAGES, and every path is a page."""
    adapter = published_app.url_map.bind("localhost")
    covered = set()
    for path, status in PATHS:
        try:
            endpoint, _ = adapter.match(path, method="GET")
        except NotFound:
            assert status == 404, f"{path} is in PAGES but matches no route"
            continue
        covered.add(endpoint)
    pages = {rule.endpoint for rule in published_app.url_map.iter_rules()
             if (rule.rule.startswith("/<lang") or rule.endpoint.startswith("pages."))
             and "GET" in (rule.methods or ())}
    missing = sorted(pages - covered)
    assert not missing, f"page endpoints with no path in PAGES of {__name__}: {missing}"


@pytest.mark.parametrize("path,status", PATHS, ids=PATH_IDS)
def test_axe_finds_no_serious_violations(live_server, new_page, path, status, capsys):
    page = new_page()
    open_page(page, live_server + path, status)
    findings = run_axe(page)
    blocking = [finding for finding in findings if finding.blocking]
    others = [finding for finding in findings if not finding.blocking]
    if others:
        with capsys.disabled():
            print(f"\naxe on {path}, not blocking:", *others, sep="\n  ")
    assert not blocking, f"axe on {path}:\n  " + "\n  ".join(map(str, blocking))


@pytest.mark.parametrize("path,status", PATHS, ids=PATH_IDS)
def test_skip_link_comes_first_and_moves_focus_to_main(live_server, new_page, path, status):
    page = new_page()
    open_page(page, live_server + path, status)
    main_background = page.locator("main").evaluate("main => getComputedStyle(main).backgroundColor")

    page.keyboard.press("Tab")
    first = active_element(page)
    assert "skip-link" in first["className"].split(), f"first Tab on {path} reached {first}"
    style = focus_style(page)
    assert style["visible"], f"skip link on {path} shows no focus: {style}"
    assert style["onScreen"], f"focused skip link on {path} is off screen"

    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement && document.activeElement.tagName === 'MAIN'",
                           timeout=2_000)
    # <main> takes focus only as the skip link's target: it must not light up like a control.
    assert page.locator("main").evaluate("main => getComputedStyle(main).backgroundColor") \
        == main_background, f"<main> on {path} changes colour when the skip link focuses it"

    page.keyboard.press("Tab")
    following = active_element(page)
    assert following["insideMain"], f"Tab after the skip link on {path} left <main>: {following}"
    style = focus_style(page)
    assert style["visible"], f"{following} on {path} shows no focus: {style}"


@pytest.mark.parametrize("path,status", PATHS, ids=PATH_IDS)
def test_no_horizontal_scrolling_at_320px(live_server, new_page, path, status):
    page = new_page(viewport={"width": 320, "height": 640})
    open_page(page, live_server + path, status)
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > 320:
        wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > 320.5)
            .slice(0, 5).map(e => e.outerHTML.slice(0, 120))""")
        pytest.fail(f"{path} scrolls sideways at 320 px (scrollWidth {width}); too wide: {wide}")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue_and_dataset_work_without_javascript(live_server, new_page, lang):
    page = new_page(java_script_enabled=False)
    request = page.context.request

    open_page(page, f"{live_server}/{lang}/", 200)
    page.locator("header nav a[href$='/datasets/']").click()
    page.wait_for_url(f"{live_server}/{lang}/datasets/")
    assert page.locator("main h1").count() == 1
    sections = page.locator("main section.dataset")
    assert sections.count() >= 1, "the catalogue lists no dataset without JavaScript"
    for href in page.locator("main a[href]").evaluate_all("links => links.map(a => a.href)"):
        response = request.get(href)
        assert response.ok, f"{href} on the catalogue answered {response.status}"

    open_page(page, f"{live_server}/{lang}/datasets/maturity-scores/", 200)
    hrefs = page.locator("main a[href]").evaluate_all("links => links.map(a => a.href)")
    assert hrefs, "the dataset page has no links without JavaScript"
    for href in hrefs:
        response = request.get(href)
        assert response.ok, f"{href} on the dataset page answered {response.status}"
