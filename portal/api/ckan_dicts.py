"""CKAN's dictionaries (dataset, resource, organization, group, tag) built from
the portal's published versions, with stable identifiers.

Identifiers are UUIDs (version 5) derived from names, so they never change
when a new version is published and need no storage:

* dataset ``uuid5(NAMESPACE, "dataset/<name>")``
* resource ``uuid5(NAMESPACE, "dataset/<name>/resource/<resource>")`` (the CSV,
  with the DataStore); the alias ``<name>.<resource>`` is accepted wherever a
  resource id is
* the same rows as JSON, a resource of its own (``res_format:JSON``):
  ``uuid5(NAMESPACE, "dataset/<name>/resource/<resource>/json")``, alias
  ``<name>.<resource>.json``
* organization ``uuid5(NAMESPACE, "organization/<name>")``, its name made from
  the portal's publisher's English name (``PUBLISHER_EN``; out of the box
  ``wales-local-government-data-portal``)
* group (a theme) ``uuid5(NAMESPACE, "group/<theme>")``, tag ``uuid5(NAMESPACE, "tag/<name>")``

A resource id always reads the dataset's latest version. Welsh metadata rides
in ``extras`` (``title_cy``, ``notes_cy``, ...) and, on resources, groups and
the organization, in ``*_cy`` keys, as CKAN allows free keys there.

Who is credited (as :mod:`portal.attribution` rules): the organization, which
ckanext-dcat makes every dataset's ``dct:publisher``, is the portal's
publisher, for every dataset; ``author`` is who made the figures (the Wales
Audit Office for what comes from its report, the portal's publisher for
demonstration data, never the Wales Audit Office); ``maintainer`` is the
portal's publisher, who keeps every dataset here.
"""
from __future__ import annotations

import json
import re
import unicodedata
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import attribution, queries
from portal.api import ckan_licences
from portal.api.ckan_params import Gone
from portal.model import Dataset, DatasetVersion, Resource, as_utc
from portal.publish import artefacts as built
from portal.vocabulary import THEMES
from portal.web.downloads import pinned_archive_url, resource_url

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:x-wales-local-government-data-portal")
# The DataStore's (PostgreSQL's) type names: integers are kept in 64 bits, years fit in 32.
DATASTORE_TYPES = {"string": "text", "integer": "int8", "number": "numeric", "boolean": "bool",
                   "date": "date", "datetime": "timestamp", "time": "time", "year": "int4",
                   "object": "json", "array": "json", "geojson": "json", "geopoint": "json", "any": "json"}
ROW_ID_TYPE = "int"  # ``_id``, as ckanext-datastore reports it
# The report's author's address, for ``author_email`` of what comes from its report.
REPORT_AUTHOR_EMAIL = "info@audit.wales"
DEMONSTRATION = " (demonstration data)"
ORGANIZATION_DESCRIPTION = ("The publisher of every dataset on this portal.",
                            "Cyhoeddwr pob set ddata ar y porth hwn.")
# CKAN's names: 2 to 100 of lower-case letters, digits, - and _.
NAME_LENGTH = 100
JSON = "json"


def stable_id(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


def package_id(name: str) -> str:
    return stable_id("dataset", name)


def resource_id(dataset: str, resource: str) -> str:
    return stable_id("dataset", dataset, "resource", resource)


def json_resource_id(dataset: str, resource: str) -> str:
    return stable_id("dataset", dataset, "resource", resource, JSON)


def group_id(theme: str) -> str:
    return stable_id("group", theme)


def tag_id(name: str) -> str:
    return stable_id("tag", name)


def timestamp(moment: datetime) -> str:
    """CKAN's form: ISO 8601 in UTC without an offset."""
    return as_utc(moment).replace(tzinfo=None).isoformat()


def datastore_type(table_schema_type: str) -> str:
    return DATASTORE_TYPES.get(table_schema_type, "text")


# -- finding things -----------------------------------------------------------------

class _Names:
    """Memo of stable ids to the names they derive from. Ids are a pure
    function of names, so what is memoised never goes stale; a key not yet
    seen costs one read of the names and a uuid5 for each pair not seen before."""

    def __init__(self, statement, make_id):
        self.statement, self.make_id = statement, make_id
        self.names: dict[str, tuple[str, ...]] = {}
        self.seen: set[tuple[str, ...]] = set()

    def find(self, session: Session, key: str) -> tuple[str, ...] | None:
        if key not in self.names:
            for row in session.execute(self.statement):
                names = tuple(row)
                if names not in self.seen:
                    self.seen.add(names)
                    self.names[self.make_id(*names)] = names
        return self.names.get(key)


_PACKAGE_IDS = _Names(select(Dataset.name), package_id)
_RESOURCE_NAMES = (select(Dataset.name, Resource.name).distinct()
                   .join(DatasetVersion, DatasetVersion.dataset_id == Dataset.id)
                   .join(Resource, Resource.version_id == DatasetVersion.id))
_RESOURCE_IDS = _Names(_RESOURCE_NAMES, resource_id)
_JSON_RESOURCE_IDS = _Names(_RESOURCE_NAMES, json_resource_id)


def find_version(session: Session, key: str) -> DatasetVersion | None:
    """The latest version of the dataset whose name or id is ``key``."""
    version = queries.latest_version(session, key)
    if version is not None:
        return version
    names = _PACKAGE_IDS.find(session, key)
    version = queries.latest_version(session, names[0]) if names else None
    if version is None:
        _gone_if_withdrawn(session, names[0] if names else key)
    return version


def _gone_if_withdrawn(session: Session, name: str) -> None:
    withdrawal = queries.withdrawal_of(session, name)
    if withdrawal is not None:
        raise Gone(withdrawal)


def find_resource(session: Session, key: str) -> tuple[DatasetVersion, Resource] | None:
    """The resource whose id (or ``<dataset>.<resource>`` alias) is ``key``, in
    its dataset's latest version."""
    dataset, dot, resource = key.partition(".")
    if not dot:
        names = _RESOURCE_IDS.find(session, key)
        if names is None:
            return None
        dataset, resource = names
    found = queries.published_resource(session, dataset, None, resource)
    if found is None:
        _gone_if_withdrawn(session, dataset)
    return (found.version, found) if found else None


def find_resource_entry(session: Session, key: str) -> tuple[DatasetVersion, Resource, str] | None:
    """Like :func:`find_resource`, for any resource of the CKAN dataset: the
    CSV (``"csv"``) or the same rows as JSON (``"json"``)."""
    if key.endswith(f".{JSON}") and key.count(".") >= 2:
        found = find_resource(session, key.removesuffix(f".{JSON}"))
        return (*found, JSON) if found else None
    found = find_resource(session, key)
    if found is not None:
        return (*found, "csv")
    names = _JSON_RESOURCE_IDS.find(session, key)
    if names is None:
        return None
    found = find_resource(session, ".".join(names))
    return (*found, JSON) if found else None


# -- organization and groups ------------------------------------------------------------

def first_publication(session: Session) -> datetime | None:
    """When the first dataset was published: the organization's and groups' creation."""
    return session.scalar(select(func.min(Dataset.created_at)))


@dataclass(frozen=True)
class Organization:
    """The one organization: the portal's publisher."""

    name: str
    id: str
    publisher: attribution.Agent

    @property
    def title(self) -> str:
        return self.publisher.name_en


def organization_name(title: str) -> str:
    """A CKAN name made from ``title``: ASCII, lower case, words joined by ``-``."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    name = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:NAME_LENGTH].rstrip("-")
    return name if len(name) >= 2 else "publisher"


def organization(settings: Mapping | None = None) -> Organization:
    """The portal's publisher as CKAN's organization, from the settings
    (``PUBLISHER_*``; those of the current app unless given)."""
    agent = attribution.publisher(current_app.config if settings is None else settings)
    name = organization_name(agent.name_en)
    return Organization(name, stable_id("organization", name), agent)


def _organization_fields(org: Organization) -> dict[str, Any]:
    english, welsh = ORGANIZATION_DESCRIPTION
    return {"id": org.id, "name": org.name, "title": org.title, "title_cy": org.publisher.name_cy,
            "description": english, "description_cy": welsh, "email": org.publisher.email or "",
            "url": org.publisher.url or "", "image_url": ""}


def organization_dict(created: datetime | None, package_count: int | None = None,
                      org: Organization | None = None) -> dict[str, Any]:
    org = org or organization()
    result: dict[str, Any] = {
        **_organization_fields(org),
        "approval_status": "approved",
        "created": timestamp(created) if created else None,
        "display_name": org.title,
        "image_display_url": "",
        "is_organization": True,
        "num_followers": 0,
        "state": "active",
        "type": "organization",
    }
    if package_count is not None:
        result["package_count"] = package_count
    return dict(sorted(result.items()))


def organization_summary(created: datetime, org: Organization | None = None) -> dict[str, Any]:
    """The organization as CKAN embeds it in a dataset."""
    return {**_organization_fields(org or organization()), "type": "organization",
            "created": timestamp(created), "is_organization": True, "approval_status": "approved",
            "state": "active"}


def group_dict(theme: str, created: datetime | None, package_count: int | None = None) -> dict[str, Any]:
    english, welsh = THEMES.get(theme, (theme, theme))
    result: dict[str, Any] = {
        "approval_status": "approved",
        "created": timestamp(created) if created else None,
        "description": "",
        "display_name": english,
        "id": group_id(theme),
        "image_display_url": "",
        "image_url": "",
        "is_organization": False,
        "name": theme,
        "num_followers": 0,
        "state": "active",
        "title": english,
        "title_cy": welsh,
        "type": "group",
    }
    if package_count is not None:
        result["package_count"] = package_count
    return result


def group_summary(theme: str) -> dict[str, Any]:
    """A group as CKAN embeds it in a dataset."""
    english, welsh = THEMES.get(theme, (theme, theme))
    return {"description": "", "display_name": english, "id": group_id(theme), "image_display_url": "",
            "name": theme, "title": english, "title_cy": welsh}


def themes(version: DatasetVersion) -> list[str]:
    return list(version.descriptor.get("themes", []))


def tag_dict(name: str) -> dict[str, Any]:
    return {"display_name": name, "id": tag_id(name), "name": name, "state": "active", "vocabulary_id": None}


# -- datasets and resources -----------------------------------------------------------

@dataclass(frozen=True)
class Licence:
    id: str
    title: str
    url: str
    title_cy: str
    url_cy: str


def licence(version: DatasetVersion) -> Licence:
    """The dataset's licence, as CKAN's register names it when the register
    knows it (``uk-ogl`` for the OGL v3), else as the Data Package does."""
    first = (version.descriptor.get("licenses") or [{}])[0]
    welsh = (first.get("translations") or {}).get("cy", {})
    title = first.get("title", version.license_name)
    url = first.get("path", "")
    welsh_title, welsh_url = welsh.get("title", title), welsh.get("path", url)
    known = ckan_licences.register_id(version.license_name, url)
    if known is not None:
        entry = ckan_licences.BY_ID[known]
        return Licence(entry.id, entry.title, entry.url, welsh_title, welsh_url)
    return Licence(version.license_name, title, url, welsh_title, welsh_url)


def contacts(version: DatasetVersion, publisher: attribution.Agent) -> dict[str, str | None]:
    """CKAN's ``author``/``maintainer`` (and e-mails): who made the figures
    (:func:`portal.attribution.creators`: the Wales Audit Office only for what
    comes from its report; demonstration data are the portal's publisher's,
    said to be demonstration data), and the portal's ``publisher``, who keeps
    every dataset here."""
    d = version.descriptor or {}
    made_by = attribution.creators(d, version.demonstration, publisher)
    author = ", ".join(agent.name_en for agent in made_by)
    if version.demonstration:
        author += DEMONSTRATION
    emails = [REPORT_AUTHOR_EMAIL if attribution.is_report_author(agent.name_en) else agent.email
              for agent in made_by]
    return {"author": author, "author_email": next((e for e in emails if e), None),
            "maintainer": publisher.name_en, "maintainer_email": publisher.email}


def resource_dict(version: DatasetVersion, resource: Resource, fmt: str = "csv") -> dict[str, Any]:
    """A resource as CKAN gives it: the CSV (with the DataStore), or with
    ``fmt="json"`` the same rows as a JSON array, a resource of its own.
    ``hash`` is ``sha256:<hex>``, the form Data Package readers (frictionless)
    take for SHA-256 (a bare value is read as MD5)."""
    if fmt == JSON:
        return _json_resource_dict(version, resource)
    name = version.dataset.name
    return {
        "cache_last_updated": None,
        "cache_url": None,
        "created": timestamp(version.dataset.created_at),
        "datapackage_name": resource.name,
        "datastore_active": True,
        "description": resource.description_en,
        "description_cy": resource.description_cy,
        "format": resource.format.upper(),
        "hash": f"sha256:{resource.sha256}",
        "id": resource_id(name, resource.name),
        "json_url": resource_url(version, resource, "json"),
        "last_modified": timestamp(version.published_utc),
        "metadata_modified": timestamp(version.published_utc),
        "mimetype": resource.mediatype,
        "mimetype_inner": None,
        "name": resource.title_en,
        "name_cy": resource.title_cy,
        "package_id": package_id(name),
        "position": resource.position,
        "resource_type": None,
        "row_count": resource.row_count,
        # the Table Schema, where ckanext-validation keeps it; Data Package
        # tools (ckanapi's datapackage writer, frictionless) read it from here
        "schema": resource.table_schema,
        "size": resource.byte_size,
        "state": "active",
        "url": resource_url(version, resource, "csv"),
        "url_type": None,
    }


def _json_resource_dict(version: DatasetVersion, resource: Resource) -> dict[str, Any]:
    name = version.dataset.name
    artefact = next((a for a in version.artefacts if a.name == built.json_name(resource)), None)
    count = len(version.resources)
    return {
        "cache_last_updated": None,
        "cache_url": None,
        "created": timestamp(version.dataset.created_at),
        "datapackage_name": f"{resource.name}-json",
        "datastore_active": False,
        "description": resource.description_en,
        "description_cy": resource.description_cy,
        "format": "JSON",
        "hash": f"sha256:{artefact.sha256}" if artefact else "",
        "id": json_resource_id(name, resource.name),
        "last_modified": timestamp(version.published_utc),
        "metadata_modified": timestamp(version.published_utc),
        "mimetype": "application/json",
        "mimetype_inner": None,
        "name": f"{resource.title_en} (JSON)",
        "name_cy": f"{resource.title_cy} (JSON)",
        "package_id": package_id(name),
        "position": count + resource.position,
        "resource_type": None,
        "row_count": resource.row_count,
        "schema": resource.table_schema,
        "size": artefact.byte_size if artefact else None,
        "state": "active",
        "url": resource_url(version, resource, JSON),
        "url_type": None,
    }


def resource_dicts(version: DatasetVersion) -> list[dict[str, Any]]:
    """Every resource of a dataset: each CSV, then the same rows as JSON."""
    return ([resource_dict(version, resource) for resource in version.resources]
            + [resource_dict(version, resource, JSON) for resource in version.resources])


def _extras(version: DatasetVersion, lic: Licence) -> list[dict[str, str]]:
    name = version.dataset.name
    values = {
        "changelog_cy": version.changelog_cy,
        "changelog_en": version.changelog_en,
        "datapackage_url": url_for("downloads.pinned_descriptor", name=name, number=version.number,
                                   _external=True),
        "demonstration": "true" if version.demonstration else "false",
        "languages": json.dumps(version.descriptor.get("languages", ["en", "cy"])),
        "license_title_cy": lic.title_cy,
        "license_url_cy": lic.url_cy,
        "notes_cy": version.description_cy,
        "sources": json.dumps(version.descriptor.get("sources", []), ensure_ascii=False),
        "tags_cy": json.dumps(version.keywords_cy, ensure_ascii=False),
        "title_cy": version.title_cy,
        "url_cy": url_for("pages.dataset", lang="cy", name=name, _external=True),
        "zip_url": pinned_archive_url(version),
    }
    if "anonymisation" in version.descriptor:
        values["anonymisation"] = json.dumps(version.descriptor["anonymisation"], ensure_ascii=False)
    return [{"key": key, "value": values[key]} for key in sorted(values)]


def package_dict(version: DatasetVersion, created: datetime,
                 org: Organization | None = None) -> dict[str, Any]:
    """CKAN's dataset dictionary (as ``package_show`` returns it) for a version;
    ``created`` is the organization's creation (:func:`first_publication`)."""
    org = org or organization()
    name = version.dataset.name
    lic = licence(version)
    tags = [tag_dict(keyword) for keyword in sorted(set(version.keywords_en))]
    resources = resource_dicts(version)
    return {
        **contacts(version, org.publisher),
        "creator_user_id": None,
        "extras": _extras(version, lic),
        "groups": [group_summary(theme) for theme in themes(version)],
        "id": package_id(name),
        "isopen": ckan_licences.is_open(lic.id),
        "license_id": lic.id,
        "license_title": lic.title,
        "license_url": lic.url,
        "metadata_created": timestamp(version.dataset.created_at),
        "metadata_modified": timestamp(version.published_utc),
        "name": name,
        "notes": version.description_en,
        "num_resources": len(resources),
        "num_tags": len(tags),
        "organization": organization_summary(created, org),
        "owner_org": org.id,
        "private": False,
        "relationships_as_object": [],
        "relationships_as_subject": [],
        "resources": resources,
        "state": "active",
        "tags": tags,
        "title": version.title_en,
        "type": "dataset",
        "url": url_for("pages.dataset", lang="en", name=name, _external=True),
        "version": str(version.number),
    }
