"""The council pages in real Chromium at 320 and 1280 px, in both languages: nothing
clipped (no element narrower than its text unless it is a scrolling region, which must
then be labelled and reachable by keyboard), no sideways scrolling of the page, axe-core
clean, and sorting the overview without JavaScript. SQLite only, as the other browser tests."""
from __future__ import annotations

import csv

import pytest
from browser import run_axe
from portal.config import DATASETS_PATH

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

with open(DATASETS_PATH / "councils" / "councils.csv", encoding="utf-8") as handle:
    ALL_22 = "&".join(f"council={row['slug']}" for row in csv.DictReader(handle))

PAGES = [
    "/{lang}/councils/",
    "/{lang}/councils/?sort=data-driven-decisions&order=desc&level=1",
    "/{lang}/councils/neath-port-talbot/",  # the longest Welsh council name
    "/{lang}/councils/swansea/",  # nearly every figure suppressed
    "/{lang}/councils/compare/?" + ALL_22,
]
WIDTHS = [320, 1280]

CLIPPED = """() => {
  const scrolls = s => ['auto', 'scroll'].includes(s.overflowX);
  const found = [];
  for (const e of document.querySelectorAll('main *')) {
    if (e.closest('svg') || e.closest('.visually-hidden')) continue;
    const s = getComputedStyle(e);
    if (s.display === 'inline' || s.display === 'none' || scrolls(s) || e.clientWidth === 0) continue;
    if (e.scrollWidth > e.clientWidth + 1) found.push(e.outerHTML.replace(/\\s+/g, ' ').slice(0, 160));
  }
  return found.slice(0, 5);
}"""

REGIONS = """() => [...document.querySelectorAll('main *')]
  .filter(e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX) && e.scrollWidth > e.clientWidth + 1)
  .map(e => ({html: e.outerHTML.slice(0, 120), tabindex: e.getAttribute('tabindex'), role: e.getAttribute('role'),
              label: e.getAttribute('aria-label') || (e.getAttribute('aria-labelledby') &&
                     (document.getElementById(e.getAttribute('aria-labelledby')) || {}).textContent) || ''}))"""


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["en", "cy"])
@pytest.mark.parametrize("path", PAGES, ids=["index", "sorted", "npt", "swansea", "compare-22"])
def test_nothing_is_clipped_and_axe_is_clean(live_server, new_page, path, lang, width):
    page = new_page(viewport={"width": width, "height": 800})
    url = live_server + path.format(lang=lang)
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status == 200, url
    clipped = page.evaluate(CLIPPED)
    assert not clipped, f"{url} at {width} px clips: {clipped}"
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{url} scrolls sideways at {width} px ({scroll_width})"
    for region in page.evaluate(REGIONS):
        assert region["tabindex"] == "0" and region["role"] == "region" and region["label"].strip(), \
            f"{url} at {width} px: a scrolling box without a label or keyboard access: {region}"
    if width == 320:
        overview = page.locator(".table-scroll").first
        overview.focus()
        assert page.evaluate("document.activeElement.classList.contains('table-scroll')")
    blocking = [finding for finding in run_axe(page) if finding.blocking]
    assert not blocking, f"axe on {url} at {width} px:\n  " + "\n  ".join(map(str, blocking))


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_sorting_the_overview_works_without_javascript(live_server, new_page, lang):
    page = new_page(java_script_enabled=False, viewport={"width": 320, "height": 800})
    page.goto(f"{live_server}/{lang}/councils/", wait_until="load")
    page.locator("table.overview thead th").nth(1).locator("a").click()  # respondents, highest first
    page.wait_for_url("**/councils/?sort=respondents&order=desc*")
    counts = page.locator("table.overview tbody tr td:nth-of-type(1)").all_inner_texts()
    numbers = [int(text.replace(",", "")) for text in counts]
    assert len(numbers) == 22 and numbers == sorted(numbers, reverse=True)
    assert page.locator("table.overview thead th").nth(1).get_attribute("aria-sort") == "descending"
