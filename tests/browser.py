"""Helpers for the browser tests: Debian's Chromium driven by Playwright, and axe-core.

Playwright cannot download its own browsers here, so the tests launch the
Chromium that `make test` installs from Debian's packages (/usr/bin/chromium).
Playwright gives every launch a new, empty profile directory of its own.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
from axe_playwright_python.sync_playwright import Axe

CHROMIUM = "/usr/bin/chromium"

# Without the networking flags Chromium keeps trying to reach Google's hosts,
# which this machine's closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

# The rules the portal is held to: WCAG 2.0, 2.1 and 2.2 at levels A and AA.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# axe's best practices (landmarks, regions, headings) are run too and reported.
REPORTED_TAGS = ["best-practice"]
BLOCKING_IMPACTS = {"serious", "critical"}

_axe = Axe()


def launch(playwright):
    """Headless Chromium, or a failure telling how to install it (never a skip)."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run `make test`, which installs Debian's chromium "
                    "package for the browser tests", pytrace=False)
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


@dataclass
class AxeFinding:
    rule: str
    impact: str | None
    help: str
    tags: list[str]
    targets: list[str]

    @property
    def blocking(self) -> bool:
        return self.impact in BLOCKING_IMPACTS and any(tag in WCAG_TAGS for tag in self.tags)

    def __str__(self) -> str:
        where = "; ".join(self.targets[:5]) + (" …" if len(self.targets) > 5 else "")
        return f"{self.rule} ({self.impact}): {self.help} [{where}]"


def run_axe(page) -> list[AxeFinding]:
    """axe-core's violations on the page as it stands, WCAG 2.x A/AA and best practice."""
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS + REPORTED_TAGS},
               "resultTypes": ["violations"]}
    results = _axe.run(page, options=options)
    return [AxeFinding(rule=v["id"], impact=v.get("impact"), help=v["help"], tags=v["tags"],
                       targets=[" ".join(map(str, node["target"])) for node in v["nodes"]])
            for v in results.response["violations"]]


FOCUSED = """() => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow !== 'none';
  const box = element.getBoundingClientRect();
  return {tag: element.tagName.toLowerCase(), id: element.id, className: String(element.className),
          text: (element.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 60),
          inMain: !!element.closest('main'), inHeader: !!element.closest('header'),
          outline: style.outline, boxShadow: style.boxShadow, visible: outline || shadow,
          onScreen: box.width > 0 && box.height > 0 && box.right > 0 && box.bottom > 0
                    && box.left < window.innerWidth && box.top < window.innerHeight};
}"""


def focused(page) -> dict:
    """The focused element: what it is, where it is, and its focus style (outline, box-shadow)."""
    return page.evaluate(FOCUSED)


TOO_WIDE = """width => {
  // An element is clipped by the scrolling boxes among its containing blocks: an absolutely
  // positioned one escapes a scrolling box that is not positioned (visually hidden text does).
  const container = element => {
    const position = getComputedStyle(element).position;
    if (position === 'fixed') return null;
    let a = element.parentElement;
    if (position === 'absolute') {
      while (a && a !== document.body && getComputedStyle(a).position === 'static') a = a.parentElement;
    }
    return a;
  };
  const clipped = element => {
    for (let a = container(element); a && a !== document.body; a = container(a)) {
      if (['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(a).overflowX)) return true;
    }
    return false;
  };
  const wide = [...document.body.querySelectorAll('*')]
    .filter(e => e.getBoundingClientRect().right > width + 0.5 && !clipped(e));
  return wide.filter(e => !wide.includes(e.parentElement)).slice(0, 5)
    .map(e => e.outerHTML.replace(/\\s+/g, ' ').slice(0, 160));
}"""


def too_wide(page, width: int) -> list[str]:
    """The outermost elements reaching past `width` that no scrolling box contains."""
    return page.evaluate(TOO_WIDE, width)


CLIPPED = """() => {
  // Elements whose text is wider than their box: cut off, or spilling over what is beside it.
  // A box that scrolls (overflow auto or scroll) is left out: what it holds is reached by scrolling.
  const controls = ['INPUT', 'SELECT', 'BUTTON', 'TEXTAREA', 'SUMMARY'];
  const found = [];
  for (const e of document.body.querySelectorAll('*')) {
    if (e.closest('.visually-hidden, .skip-link') || e.getClientRects().length === 0) continue;
    const style = getComputedStyle(e);
    if (style.display === 'inline' || e.clientWidth === 0 || ['auto', 'scroll'].includes(style.overflowX)) continue;
    const text = [...e.childNodes].some(n => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
    if (!text && !controls.includes(e.tagName)) continue;
    if (e.scrollWidth > e.clientWidth + 1) {
      found.push(`${e.outerHTML.replace(/\\s+/g, ' ').slice(0, 140)} (${e.scrollWidth} > ${e.clientWidth})`);
    }
  }
  return found.slice(0, 10);
}"""


def clipped(page) -> list[str]:
    """Elements whose text is wider than their box (scrollWidth past clientWidth), outside scrolling boxes."""
    return page.evaluate(CLIPPED)
