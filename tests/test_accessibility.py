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
from werkzeug.exceptions import NotFound

from browser import clipped, focused, run_axe, too_wide

LANGUAGES = ["en", "cy"]

# One path per page type; "{lang}" becomes each language. Each must answer 200.
PAGES = [
    "/{lang}/",
    "/{lang}/datasets/",
    "/{lang}/datasets/maturity-scores/",
    "/{lang}/datasets/maturity-scores/versions/1/",
    "/{lang}/councils/",
    "/{lang}/councils/neath-port-talbot/",
    "/{lang}/councils/compare/?council=neath-port-talbot&council=cardiff",
    "/{lang}/framework/",
    "/{lang}/good-practice/",
    "/{lang}/good-practice/camden-residents-index/",
    "/{lang}/about/",
    "/{lang}/accessibility/",
    "/{lang}/privacy/",
    "/{lang}/changelog/",
    "/{lang}/api/",
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
            endpoint, _ = adapter.match(path.partition("?")[0], method="GET")
        except NotFound:
            assert status == 404, f"{path} is in PAGES but matches no route"
            continue
        covered.add(endpoint)
    pages = {rule.endpoint for rule in published_app.url_map.iter_rules()
             if (rule.rule.startswith("/<lang") or rule.endpoint.startswith("pages."))
             and "GET" in (rule.methods or ()) and not rule.endpoint.startswith("admin.")}
    # the admin pages need a signed-in user: tests/test_admin_browser.py covers them
    missing = sorted(pages - covered)
    assert not missing, f"page endpoints with no path in PAGES of {__name__}: {missing}"


@pytest.mark.parametrize("path,status", PATHS, ids=PATH_IDS)
def test_page_is_accessible(live_server, new_page, path, status, subtests, capsys):
    """Keyboard, axe-core and reflow on one load of the page (one subtest each)."""
    page = new_page()
    open_page(page, live_server + path, status)

    with subtests.test("skip link and focus"):
        check_keyboard(page, path)
    with subtests.test("axe"):
        findings = run_axe(page)
        blocking = [finding for finding in findings if finding.blocking]
        others = [finding for finding in findings if not finding.blocking]
        if others:
            with capsys.disabled():
                print(f"\naxe on {path}, not blocking:", *others, sep="\n  ")
        assert not blocking, f"axe on {path}:\n  " + "\n  ".join(map(str, blocking))
    with subtests.test("no horizontal scrolling at 320 px"):
        page.set_viewport_size({"width": 320, "height": 640})
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, (f"{path} scrolls sideways at 320 px (scrollWidth {width}); "
                              f"too wide: {too_wide(page, 320)}")


MAX_TAB_STOPS = 12  # checked in the header and in <main>, each


def check_keyboard(page, path: str) -> None:
    """Tab from the top reaches the skip link, which moves focus to <main>; every element
    Tab reaches in the header and at the start of <main> shows a visible focus style."""
    main_background = page.locator("main").evaluate("main => getComputedStyle(main).backgroundColor")

    page.keyboard.press("Tab")
    first = focused(page)
    assert "skip-link" in first["className"].split(), f"first Tab on {path} reached {first}"
    assert first["visible"] and first["onScreen"], f"focused skip link on {path} is not seen: {first}"

    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement && document.activeElement.tagName === 'MAIN'",
                           timeout=2_000)
    # <main> takes focus only as the skip link's target: it must not light up like a control.
    assert page.locator("main").evaluate("main => getComputedStyle(main).backgroundColor") \
        == main_background, f"<main> on {path} changes colour when the skip link focuses it"

    page.keyboard.press("Tab")
    assert focused(page)["inMain"], f"Tab after the skip link on {path} left <main>: {focused(page)}"
    unseen = tab_through(page, "inMain")

    page.focus(".skip-link")  # and on through the header, as a keyboard user would
    page.keyboard.press("Tab")
    unseen += tab_through(page, "inHeader")
    assert not unseen, f"focused without a visible focus style on {path}: {unseen}"


def tab_through(page, region: str) -> list[dict]:
    """Press Tab while focus stays in the region; the focused elements that show no focus."""
    unseen = []
    for _ in range(MAX_TAB_STOPS):
        state = focused(page)
        if not state[region]:
            break
        if not state["visible"]:
            unseen.append(state)
        page.keyboard.press("Tab")
    return unseen


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue_and_dataset_work_without_javascript(live_server, new_page, lang):
    page = new_page(java_script_enabled=False)

    open_page(page, f"{live_server}/{lang}/", 200)
    page.locator("header nav a[href$='/datasets/']").click()
    page.wait_for_url(f"{live_server}/{lang}/datasets/")
    assert page.locator("main section.dataset").count() >= 1, \
        "the catalogue lists no dataset without JavaScript"
    check_links(page, "the catalogue", live_server, follow=False)

    search = page.get_by_role("search")  # a plain GET form: works without scripts
    search.get_by_role("searchbox").fill("maturity")
    search.get_by_role("searchbox").press("Enter")
    page.wait_for_url("**/datasets/?q=maturity*")
    page.locator("main section#maturity-scores a[href$='/datasets/maturity-scores/']").first.click()
    page.wait_for_url(f"{live_server}/{lang}/datasets/maturity-scores/")
    check_links(page, "the dataset page", live_server, follow=True)


def check_links(page, where: str, origin: str, follow: bool) -> None:
    """Every link in <main> has an address; with follow, each of this site's answers 2xx."""
    hrefs = page.locator("main a[href]").evaluate_all("links => links.map(a => a.href)")
    assert hrefs, f"{where} has no links without JavaScript"
    for href in dict.fromkeys(href.partition("#")[0] for href in hrefs):
        assert href.startswith(("http://", "https://", "mailto:")), f"{where} links to {href!r}"
        if follow and href.startswith(origin + "/"):  # never the outside world: no network here
            response = page.context.request.get(href)
            assert response.ok, f"{href} on {where} answered {response.status}"


# -- charts as Chromium draws them ------------------------------------------------------------------

OVERFLOWING_LABELS = """() => {
  const out = [];
  for (const svg of document.querySelectorAll('svg.chart')) {
    const width = svg.viewBox.baseVal.width;
    for (const text of svg.querySelectorAll('text')) {
      const box = text.getBBox();
      if (box.x < -0.5 || box.x + box.width > width + 0.5) out.push([text.textContent, box.x, box.width, width]);
    }
    const figure = svg.parentElement;
    if (figure.scrollWidth > figure.clientWidth) out.push(['figure scrolls', figure.scrollWidth, figure.clientWidth]);
  }
  return out;
}"""


@pytest.mark.parametrize("width", [1280, 320])
def test_chart_labels_fit_as_chromium_draws_them(live_server, new_page, width):
    """Chromium's own measure of every chart label (getBBox) inside its chart,
    in both languages, with the longest Welsh names."""
    page = new_page(viewport={"width": width, "height": 900})
    paths = [f"/{lang}/councils/{slug}/" for lang in LANGUAGES
             for slug in ("neath-port-talbot", "rhondda-cynon-taf", "isle-of-anglesey")]
    paths += [f"/{lang}/councils/compare/?council=neath-port-talbot&council=rhondda-cynon-taf"
              "&council=vale-of-glamorgan&council=isle-of-anglesey" for lang in LANGUAGES]
    for path in paths:
        open_page(page, live_server + path, 200)
        assert page.locator("svg.chart").count() >= 1, path
        assert page.evaluate(OVERFLOWING_LABELS) == [], (width, path)


# The catalogue and dataset pages, with the longest Welsh labels and the widest preview.
UNCLIPPED = [
    "/{lang}/datasets/",
    "/{lang}/datasets/?theme=maturity&kind=demonstration",
    "/{lang}/datasets/maturity-scores/",
    "/{lang}/datasets/maturity-scores/?characteristic_id=data-driven-decisions&respondent_group=elected_member"
    "&_size=100&_columns=area_code&_columns=area_name_en&_columns=area_name_cy&_columns=characteristic_name_cy"
    "&_columns=characteristic_name_en&_columns=respondent_group_cy&_columns=mean_level&_columns=suppression_reason",
    "/{lang}/datasets/good-practice-case-studies/",
    "/{lang}/datasets/council-findings/",
    "/{lang}/datasets/maturity-scores/?_size=7",
]


@pytest.mark.parametrize("width", [320, 1280])
@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("path", UNCLIPPED)
def test_no_text_is_clipped(live_server, new_page, path, lang, width):
    """Nothing reaches past the screen or past its own box, at a phone's width and a laptop's."""
    page = new_page(viewport={"width": width, "height": 800})
    url = live_server + path.format(lang=lang)
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status in (200, 400)
    page_width = page.evaluate("document.documentElement.scrollWidth")
    assert page_width <= width, f"{url} scrolls sideways at {width} px: {too_wide(page, width)}"
    assert not clipped(page), f"text clipped on {url} at {width} px:\n  " + "\n  ".join(clipped(page))
    findings = [finding for finding in run_axe(page) if finding.blocking]
    assert not findings, f"axe on {url} at {width} px:\n  " + "\n  ".join(map(str, findings))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_preview_header_stays_in_view(live_server, new_page, lang):
    """The preview's header row stays at the top of its box as the rows scroll."""
    page = new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{live_server}/{lang}/datasets/maturity-scores/?_size=100", wait_until="load")
    box = page.locator("#preview-table")
    box.evaluate("box => box.scrollTop = 1500")
    head = page.locator("#preview-table thead th").first.bounding_box()
    region = box.bounding_box()
    assert abs(head["y"] - region["y"]) <= 2, (head, region)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue_shows_results_first_on_a_phone(live_server, new_page, lang):
    """At 320 px the filters are behind a closed disclosure above the results; at 1280 px beside them."""
    page = new_page(viewport={"width": 320, "height": 640}, java_script_enabled=False)
    page.goto(f"{live_server}/{lang}/datasets/", wait_until="load")
    assert not page.locator("details.facets-disclosure").evaluate("d => d.open")
    assert not page.locator("form.facets button[type=submit]").is_visible()
    disclosure = page.locator("details.facets-disclosure").bounding_box()
    results = page.locator("div.results").bounding_box()
    assert disclosure["height"] < 64, "the closed filters take more than a line"
    assert disclosure["y"] < results["y"] < disclosure["y"] + disclosure["height"] + 40, \
        "the results do not follow the closed filters on a phone"
    page.locator("details.facets-disclosure > summary").click()
    assert page.locator("form.facets button[type=submit]").is_visible()

    wide = new_page(viewport={"width": 1280, "height": 800}, java_script_enabled=False)
    wide.goto(f"{live_server}/{lang}/datasets/", wait_until="load")
    assert wide.locator("form.facets button[type=submit]").is_visible()
    assert not wide.locator("details.facets-disclosure > summary").is_visible()
