"""Atom feeds (RFC 4287) of published versions, in English or Welsh.

One entry per published version, newest first: its changelog and what changed
since the version before, linking to the dataset's page and to the version's
pinned datapackage.json. Entry ids are tag URIs (RFC 4151) that never change:
``tag:audit.wales,2018:data-portal/datasets/<name>/versions/<n>/<language>``.
"""
from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from portal import attribution
from portal.model import DatasetVersion, Resource, Withdrawal, as_utc

MEDIATYPE = "application/atom+xml"
# Entry and feed ids, fixed once and never changed (feed readers know entries by them).
TAG = "tag:audit.wales,2018:data-portal/"
# The feed's date while nothing is published: the report's publication.
BEFORE_ANY_VERSION = datetime(2018, 12, 6, tzinfo=timezone.utc)

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "feed_title": "Wales local government data: new and changed datasets",
        "dataset_feed_title": "{title}: versions",
        "entry_title": "{title} – version {number}",
        "table": "{title} ({rows})",
        "rows": "{count} row",
        "rows_plural": "{count} rows",
        "added": "New table: {title} ({rows}).",
        "removed": "Table removed: {title}.",
        "data_changed": "{title}: data changed, {old} → {new}.",
        "fields_added": "{title}: fields added: {fields}.",
        "fields_removed": "{title}: fields removed: {fields}.",
        "schema_changed": "{title}: table description changed.",
        "metadata_changed": "Metadata changed: {parts}.",
        "no_change": "No change to the data.",
        "title": "title", "description": "description", "keywords": "keywords",
        "licence": "licence", "sources": "sources",
        "descriptor": "Data package descriptor (datapackage.json)",
        "withdrawn_dataset": "{title} – withdrawn",
        "withdrawn_version": "{title} – version {number} withdrawn",
        "withdrawn_because": "Withdrawn: {reason}",
    },
    "cy": {
        "feed_title": "Data llywodraeth leol Cymru: setiau data newydd a newidiedig",
        "dataset_feed_title": "{title}: fersiynau",
        "entry_title": "{title} – fersiwn {number}",
        "table": "{title} ({rows})",
        "rows": "{count} rhes",
        "rows_plural": "{count} rhes",
        "added": "Tabl newydd: {title} ({rows}).",
        "removed": "Tabl wedi'i ddileu: {title}.",
        "data_changed": "{title}: data wedi newid, {old} → {new}.",
        "fields_added": "{title}: meysydd newydd: {fields}.",
        "fields_removed": "{title}: meysydd wedi'u dileu: {fields}.",
        "schema_changed": "{title}: disgrifiad y tabl wedi newid.",
        "metadata_changed": "Metadata wedi newid: {parts}.",
        "no_change": "Dim newid i'r data.",
        "title": "teitl", "description": "disgrifiad", "keywords": "allweddeiriau",
        "licence": "trwydded", "sources": "ffynonellau",
        "descriptor": "Disgrifydd y pecyn data (datapackage.json)",
        "withdrawn_dataset": "{title} – wedi'i dynnu'n ôl",
        "withdrawn_version": "{title} – fersiwn {number} wedi'i thynnu'n ôl",
        "withdrawn_because": "Wedi'i dynnu'n ôl: {reason}",
    },
}


@dataclass(frozen=True)
class Published:
    """A version and the version before it (None for the first)."""

    version: DatasetVersion
    previous: DatasetVersion | None


@dataclass(frozen=True)
class Withdrawn:
    """A withdrawal, with the version that describes what was withdrawn (the
    version itself, or the dataset's newest)."""

    withdrawal: Withdrawal
    version: DatasetVersion

    @property
    def moment(self) -> datetime:
        return as_utc(self.withdrawal.withdrawn_at)


def moment(item: Published | Withdrawn) -> datetime:
    return item.moment if isinstance(item, Withdrawn) else item.version.published_utc


@dataclass(frozen=True)
class FeedLinks:
    """``self_url``: this feed; ``page``: the HTML page it follows;
    ``translations``: this feed in each other language;
    ``landing_page(version)`` and ``descriptor(version)`` for each entry."""

    self_url: str
    page: str
    translations: dict[str, str]
    landing_page: Callable[[DatasetVersion], str]
    descriptor: Callable[[DatasetVersion], str]


def feed_id(language: str, name: str | None = None) -> str:
    return f"{TAG}feeds/datasets/{name + '/' if name else ''}{language}"


def entry_id(version: DatasetVersion, language: str) -> str:
    return f"{TAG}datasets/{version.dataset.name}/versions/{version.number}/{language}"


def withdrawal_entry_id(withdrawal: Withdrawal, language: str) -> str:
    return f"{TAG}datasets/{withdrawal.dataset.name}/withdrawals/{withdrawal.id}/{language}"


def build_feed(published: Sequence[Published | Withdrawn], language: str, links: FeedLinks,
               dataset: DatasetVersion | None = None,
               publisher: attribution.Agent = attribution.DEFAULT_PUBLISHER) -> bytes:
    """The feed of ``published`` (publications and withdrawals, newest first)
    in ``language``: of every dataset, or of one when ``dataset`` (its newest
    version) is given. The portal's ``publisher`` is the feed's author; each
    entry's authors are who made that version's data
    (:func:`portal.attribution.creators`): never the Wales Audit Office for
    demonstration data."""
    text = TEXT[language]
    feed = FeedGenerator()
    feed.register_extension("typed_links", _NoFeedExtension, TypedLinks, rss=False)
    feed.id(feed_id(language, dataset.dataset.name if dataset else None))
    feed.title(text["dataset_feed_title"].format(title=dataset.text("title", language)) if dataset
               else text["feed_title"])
    feed.language(language)
    feed.author(_person(publisher, language))
    feed.link(href=links.self_url, rel="self", type=MEDIATYPE, hreflang=language)
    feed.link(href=links.page, rel="alternate", type="text/html", hreflang=language)
    for other, url in links.translations.items():
        feed.link(href=url, rel="alternate", type=MEDIATYPE, hreflang=other)
    feed.updated(max((moment(p) for p in published), default=BEFORE_ANY_VERSION))
    for item in published:
        if isinstance(item, Withdrawn):
            _withdrawal_entry(feed.add_entry(order="append"), item, language, links)
        else:
            _entry(feed.add_entry(order="append"), item, language, links, publisher)
    return feed.atom_str(pretty=True)


def _person(agent: attribution.Agent, language: str) -> dict[str, str]:
    person = {"name": agent.name(language)}
    if agent.url:
        person["uri"] = agent.url
    if agent.email:
        person["email"] = agent.email
    return person


def _withdrawal_entry(entry: FeedEntry, item: Withdrawn, language: str, links: FeedLinks) -> None:
    text = TEXT[language]
    withdrawal, version = item.withdrawal, item.version
    title = version.text("title", language)
    reason = withdrawal.text("reason", language)
    entry.id(withdrawal_entry_id(withdrawal, language))
    entry.title(text["withdrawn_version"].format(title=title, number=withdrawal.version.number)
                if withdrawal.version is not None else text["withdrawn_dataset"].format(title=title))
    entry.updated(item.moment)
    entry.published(item.moment)
    summary = text["withdrawn_because"].format(reason=reason)
    entry.summary(summary)
    entry.content(f"<p>{html.escape(summary)}</p>", type="html")
    entry.typed_links.add(href=links.landing_page(version), rel="alternate", type="text/html",
                          hreflang=language, title=title)


def changes(item: Published, language: str) -> list[str]:
    """What changed in ``item.version`` since the version before, in ``language``."""
    text = TEXT[language]
    version, previous = item.version, item.previous
    if previous is None:
        return [text["table"].format(title=r.text("title", language), rows=_rows(r.row_count, text))
                for r in version.resources]
    lines: list[str] = []
    metadata = [text[part] for part in ("title", "description", "keywords", "licence", "sources")
                if _metadata(version, part) != _metadata(previous, part)]
    if metadata:
        lines.append(text["metadata_changed"].format(parts=", ".join(metadata)))
    before = {r.name: r for r in previous.resources}
    for resource in version.resources:
        lines += _resource_changes(resource, before.pop(resource.name, None), language)
    lines += [text["removed"].format(title=r.text("title", language)) for r in before.values()]
    return lines or [text["no_change"]]


def _resource_changes(resource: Resource, old: Resource | None, language: str) -> list[str]:
    text = TEXT[language]
    title = resource.text("title", language)
    if old is None:
        return [text["added"].format(title=title, rows=_rows(resource.row_count, text))]
    lines: list[str] = []
    if resource.sha256 != old.sha256:
        lines.append(text["data_changed"].format(title=title, old=_rows(old.row_count, text),
                                                 new=_rows(resource.row_count, text)))
    fields, old_fields = _field_names(resource), _field_names(old)
    added = [f for f in fields if f not in old_fields]
    removed = [f for f in old_fields if f not in fields]
    if added:
        lines.append(text["fields_added"].format(title=title, fields=", ".join(added)))
    if removed:
        lines.append(text["fields_removed"].format(title=title, fields=", ".join(removed)))
    if not added and not removed and resource.table_schema != old.table_schema:
        lines.append(text["schema_changed"].format(title=title))
    return lines


def _entry(entry: FeedEntry, item: Published, language: str, links: FeedLinks,
           publisher: attribution.Agent) -> None:
    text = TEXT[language]
    version = item.version
    title = version.text("title", language)
    changelog = version.text("changelog", language)
    entry.id(entry_id(version, language))
    for agent in attribution.creators(version.descriptor or {}, version.demonstration, publisher):
        entry.author(_person(agent, language))
    entry.title(text["entry_title"].format(title=title, number=version.number))
    entry.updated(version.published_utc)
    entry.published(version.published_utc)
    entry.summary(changelog)
    items = "".join(f"<li>{html.escape(line)}</li>" for line in changes(item, language))
    made = attribution.source_line(version, language, publisher)
    entry.content(f"<p>{html.escape(changelog)}</p><ul>{items}</ul><p>{html.escape(made)}</p>", type="html")
    entry.typed_links.add(href=links.landing_page(version), rel="alternate", type="text/html",
                          hreflang=language, title=title)
    entry.typed_links.add(href=links.descriptor(version), rel="related", type="application/json",
                          title=text["descriptor"])


def _metadata(version: DatasetVersion, part: str) -> object:
    if part == "licence":
        return version.license_name, version.descriptor.get("licenses")
    if part == "sources":
        return version.descriptor.get("sources")
    return version.text(part, "en"), version.text(part, "cy")


def _field_names(resource: Resource) -> list[str]:
    return [field["name"] for field in resource.table_schema.get("fields", [])]


def _rows(count: int, text: dict[str, str]) -> str:
    return text["rows" if count == 1 else "rows_plural"].format(count=f"{count:,}")


class _NoFeedExtension(BaseExtension):
    """feedgen registers extensions in pairs; the feed itself needs nothing."""


class TypedLinks(BaseEntryExtension):
    """Entry links with every attribute: feedgen 1.0 writes only the ``href``
    of an entry's links, losing ``rel`` and ``type``."""

    def __init__(self) -> None:
        self.links: list[dict[str, str]] = []

    def add(self, **attributes: str) -> None:
        self.links.append(attributes)

    def extend_atom(self, entry: etree._Element) -> etree._Element:
        for attributes in self.links:
            etree.SubElement(entry, "link", attributes)
        return entry
