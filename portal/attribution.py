"""Who made each dataset, who publishes it, and how to cite it.

One place for every surface that credits anyone: the "cite this" text of the
dataset pages and of the About page, the source line of every chart, the
Atom feed's authors and the ``contributors`` of ``datapackage.json``.

The rules:

- the portal's publisher (a setting; out of the box the portal itself)
  publishes every dataset;
- demonstration (synthetic) data are made by the portal, so they are credited
  to its publisher, as synthetic data made by the portal, and never to the
  Wales Audit Office, whatever a descriptor says;
- real data are credited to the authors their package names (``contributors``
  with the role ``author``, else the publishers of their ``sources``): the
  Wales Audit Office for what its report says;
- a citation carries the period the data cover as well as the date the
  version was published.

Text is given in English and Welsh from this module (as the Atom feed's is),
since descriptors and feeds carry both languages whatever the page's.
Nothing here knows about Flask.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from babel.dates import format_date

LOCALES = {"en": "en_GB", "cy": "cy"}


@dataclass(frozen=True)
class Agent:
    """A person or organisation, named in English and Welsh."""

    name_en: str
    name_cy: str
    url: str | None = None
    email: str | None = None

    def name(self, lang: str) -> str:
        return self.name_cy if lang == "cy" else self.name_en

    def contributor(self, role: str) -> dict:
        """As a Data Package ``contributors`` entry."""
        entry = {"title": self.name_en}
        if self.url:
            entry["path"] = self.url
        if self.email:
            entry["email"] = self.email
        entry["role"] = role
        entry["translations"] = {"cy": {"title": self.name_cy}}
        return entry


# The report every real figure and text comes from, and its author.
REPORT_AUTHOR = Agent("Wales Audit Office", "Swyddfa Archwilio Cymru", "https://www.audit.wales/")
REPORT_TITLE = {"en": "Local government use of data: Neath Port Talbot Council",
                "cy": "Defnydd llywodraeth leol o ddata: Cyngor Castell-nedd Port Talbot"}
REPORT_DATE = date(2018, 12, 6)

# The portal's publisher out of the box: the portal itself.
DEFAULT_PUBLISHER = Agent("Wales local government data portal", "Porth data llywodraeth leol Cymru")

# How the demonstration data are made (the method, in a sentence).
DEMO_METHOD = {
    "en": "Synthetic data-tool responses for all 22 councils, drawn at random by the portal with a "
          "fixed seed, then aggregated and anonymised by the same pipeline as real responses. "
          "They are not results of the Wales Audit Office study.",
    "cy": "Ymatebion synthetig i'r offer data ar gyfer pob un o'r 22 cyngor, wedi'u tynnu ar hap gan y "
          "porth gyda hedyn sefydlog, yna wedi'u crynhoi a'u gwneud yn ddienw gan yr un broses ag "
          "ymatebion go iawn. Nid canlyniadau astudiaeth Swyddfa Archwilio Cymru ydynt.",
}

TEXT = {
    "en": {
        "citation": "{creators}. {title} [data set], version {number}, data for {period}. "
                    "Publisher: {publisher}; published {date}. {note}{url}",
        "demo_note": "Demonstration data: synthetic figures made by {publisher}, not results of the Wales "
                     "Audit Office study. ",
        "source_note": "Source: {sources}. ",
        "demo_source": "Source: demonstration data made by {publisher}; synthetic figures, not results of "
                       "the Wales Audit Office study. {title}, version {number}.",
        "real_source": "Source: {sources}. {title}, version {number}. Publisher: {publisher}.",
        "period_span": "{first} to {last}",
        "not_stated": "period not stated",
        "and": " and ",
    },
    "cy": {
        "citation": "{creators}. {title} [set ddata], fersiwn {number}, data ar gyfer {period}. "
                    "Cyhoeddwr: {publisher}; cyhoeddwyd {date}. {note}{url}",
        "demo_note": "Data enghreifftiol: ffigurau synthetig a wnaed gan y porth ({publisher}), nid "
                     "canlyniadau astudiaeth Swyddfa Archwilio Cymru. ",
        "source_note": "Ffynhonnell: {sources}. ",
        "demo_source": "Ffynhonnell: data enghreifftiol a wnaed gan y porth ({publisher}); ffigurau "
                       "synthetig, nid canlyniadau astudiaeth Swyddfa Archwilio Cymru. "
                       "{title}, fersiwn {number}.",
        "real_source": "Ffynhonnell: {sources}. {title}, fersiwn {number}. Cyhoeddwr: {publisher}.",
        "period_span": "{first} i {last}",
        "not_stated": "cyfnod heb ei nodi",
        "and": " a ",
    },
}

# The mark every chart of synthetic data carries, in both languages at once.
DEMO_MARK = "Demonstration data / Data enghreifftiol"


def publisher(settings: Mapping) -> Agent:
    """The portal's publisher, from the settings (``PUBLISHER_*``)."""
    return Agent(settings.get("PUBLISHER_EN") or DEFAULT_PUBLISHER.name_en,
                 settings.get("PUBLISHER_CY") or DEFAULT_PUBLISHER.name_cy,
                 settings.get("PUBLISHER_URL") or None, settings.get("PUBLISHER_EMAIL") or None)


def _translated(node: Mapping, key: str, lang: str):
    if lang == "cy":
        welsh = (node.get("translations") or {}).get("cy") or {}
        if welsh.get(key):
            return welsh[key]
    return node.get(key)


def is_report_author(name: str | None) -> bool:
    return bool(name) and name.strip().casefold() in (REPORT_AUTHOR.name_en.casefold(),
                                                    REPORT_AUTHOR.name_cy.casefold())


def creators(descriptor: Mapping, demonstration: bool, publisher: Agent) -> list[Agent]:
    """Who made the data. Demonstration data: the portal's publisher alone."""
    if demonstration:
        return [publisher]
    found: list[Agent] = []
    authors = [c for c in descriptor.get("contributors") or [] if c.get("role") == "author"]
    if authors:
        found = [Agent(c["title"], _translated(c, "title", "cy") or c["title"], c.get("path"), c.get("email"))
                 for c in authors if c.get("title")]
    else:
        for source in descriptor.get("sources") or []:
            if source.get("publisher"):
                found.append(Agent(source["publisher"], _translated(source, "publisher", "cy")
                                   or source["publisher"], source.get("path")))
    unique = list({agent.name_en: agent for agent in found}.values())
    return unique or [publisher]


def period(descriptor: Mapping, lang: str) -> str:
    """The period the data cover: the package's ``temporal`` (``start`` and
    ``end``), else the years of its sources' dates."""
    temporal = descriptor.get("temporal") or {}
    if temporal.get("start"):
        years = sorted({str(temporal["start"])[:4], str(temporal.get("end") or temporal["start"])[:4]})
    else:
        years = sorted({str(s["date"])[:4] for s in descriptor.get("sources") or []
                        if str(s.get("date") or "")[:4].isdigit()})
    text = TEXT[lang]
    if not years:
        return text["not_stated"]
    return years[0] if len(years) == 1 else text["period_span"].format(first=years[0], last=years[-1])


def long_date(day: date, lang: str) -> str:
    return format_date(day, "long", locale=LOCALES.get(lang, "en_GB"))


def _names(agents: list[Agent], lang: str) -> str:
    names = [agent.name(lang) for agent in agents]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + TEXT[lang]["and"] + names[-1]


def _sources(descriptor: Mapping, lang: str) -> str:
    titles = [_translated(s, "title", lang) for s in descriptor.get("sources") or []]
    return "; ".join(t.rstrip(".") for t in titles if t)


@dataclass(frozen=True)
class Citation:
    """What a citation of one version says, in one language."""

    creators: str
    title: str
    number: int
    period: str
    publisher: str
    published: str  # the version's publication date, written out
    note: str
    url: str
    text: str


def citation(version, lang: str, url: str, publisher: Agent) -> Citation:
    """How to cite ``version`` (a published DatasetVersion) at ``url``."""
    d = version.descriptor or {}
    text = TEXT[lang]
    parts = {
        "creators": _names(creators(d, version.demonstration, publisher), lang),
        "title": version.text("title", lang),
        "number": version.number,
        "period": period(d, lang),
        "publisher": publisher.name(lang),
        "date": long_date(version.published_utc.date(), lang),
        "url": url,
    }
    if version.demonstration:
        note = text["demo_note"].format(publisher=publisher.name(lang))
    else:
        sources = _sources(d, lang)
        note = text["source_note"].format(sources=sources) if sources else ""
    parts["note"] = note
    return Citation(parts["creators"], parts["title"], parts["number"], parts["period"], parts["publisher"],
                    parts["date"], note.strip(), url, text["citation"].format(**parts))


def source_line(version, lang: str, publisher: Agent) -> str:
    """One line saying where the figures of a chart or table come from."""
    d = version.descriptor or {}
    key = "demo_source" if version.demonstration else "real_source"
    return TEXT[lang][key].format(publisher=publisher.name(lang), sources=_sources(d, lang),
                                  title=version.text("title", lang), number=version.number)
