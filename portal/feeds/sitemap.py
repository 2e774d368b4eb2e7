"""sitemap.xml (sitemaps.org 0.9) with ``xhtml:link`` hreflang alternates, and
robots.txt."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from xml.etree import ElementTree

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"
MEDIATYPE = "application/xml"


@dataclass(frozen=True)
class PageUrls:
    """One page: its absolute URL in each language (in the order listed), and
    when it last changed, where known; ``default``: the language whose URL is
    the ``x-default`` alternate (for visitors in neither language), as the
    pages' own ``hreflang`` links name it."""

    urls: Mapping[str, str]
    lastmod: datetime | None = None
    default: str | None = None


def sitemap(pages: Iterable[PageUrls]) -> bytes:
    """A ``<url>`` for every language of every page, each listing all the
    page's languages as alternates (itself included), and ``x-default``."""
    ElementTree.register_namespace("", SITEMAP_NS)
    ElementTree.register_namespace("xhtml", XHTML_NS)
    urlset = ElementTree.Element(f"{{{SITEMAP_NS}}}urlset")
    for page in pages:
        for url in page.urls.values():
            element = ElementTree.SubElement(urlset, f"{{{SITEMAP_NS}}}url")
            ElementTree.SubElement(element, f"{{{SITEMAP_NS}}}loc").text = url
            if page.lastmod is not None:
                ElementTree.SubElement(element, f"{{{SITEMAP_NS}}}lastmod").text = (
                    page.lastmod.replace(microsecond=0).isoformat())
            if len(page.urls) > 1:
                for language, alternate in page.urls.items():
                    ElementTree.SubElement(element, f"{{{XHTML_NS}}}link", rel="alternate",
                                           hreflang=language, href=alternate)
                if page.default in page.urls:
                    ElementTree.SubElement(element, f"{{{XHTML_NS}}}link", rel="alternate",
                                           hreflang="x-default", href=page.urls[page.default])
    ElementTree.indent(urlset)
    return ElementTree.tostring(urlset, encoding="utf-8", xml_declaration=True) + b"\n"


def robots(sitemap_url: str) -> str:
    """Everything may be crawled; the sitemap says where the pages are."""
    return f"User-agent: *\nAllow: /\n\nSitemap: {sitemap_url}\n"
