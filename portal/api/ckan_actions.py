"""The CKAN actions this portal answers, each a function of (context, data dict)
as in ``ckan/logic/action/get.py``; their docstrings are what ``help_show``
returns. Everything is public and read-only.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import force_locale, gettext
from sqlalchemy.orm import Session

from portal import queries
from portal.api import ckan_datastore, ckan_dicts, ckan_search
from portal.api.ckan_params import (
    NotFound,
    ValidationError,
    boolean,
    integer,
    natural,
    required_string,
    string,
    string_list,
)
from portal.model import DatasetVersion

CKAN_VERSION = "2.10.0"  # the Action API version whose behaviour this follows
LIST_SORTS = {"name": "name", "title": "title", "package_count": "package_count", "packages": "package_count"}


@dataclass(frozen=True)
class Context:
    session: Session
    secret: str
    site_url: str
    links: ckan_datastore.Links


Action = Callable[[Context, dict[str, Any]], Any]


def site_read(context: Context, data: dict[str, Any]) -> bool:
    """Return ``True``: the site may be read."""
    return True


def status_show(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Return the site's title, URL, the CKAN API version followed and the
    extensions offered (``datastore``)."""
    with force_locale("en"):
        title = gettext("Wales local government data")
    with force_locale("cy"):
        title_cy = gettext("Wales local government data")
    return {"site_title": title, "site_title_cy": title_cy, "site_description": "",
            "site_url": context.site_url, "ckan_version": CKAN_VERSION, "error_emails_to": None,
            "locale_default": "en", "extensions": ["datastore"]}


def help_show(context: Context, data: dict[str, Any]) -> str:
    """Return the help text of an action.

    :param name: the action's name
    """
    name = required_string(data, "name")
    if name not in ACTIONS:
        raise NotFound("Action function not found")
    return inspect.cleandoc(ACTIONS[name].__doc__ or "")


def package_list(context: Context, data: dict[str, Any]) -> list[str]:
    """Return the names of the published datasets, in name order.

    :param limit: at most this many (optional)
    :param offset: skip this many first (optional)
    """
    names = sorted(v.dataset.name for v in queries.latest_versions(context.session))
    return _window(names, data)


def current_package_list_with_resources(context: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Return every dataset with its resources, most recently changed first.

    :param limit: at most this many (optional)
    :param offset: skip this many first (optional)
    """
    versions = _window(queries.latest_versions(context.session), data)
    created = ckan_dicts.first_publication(context.session)
    return [ckan_dicts.package_dict(version, created) for version in versions]


def package_show(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Return a dataset (its latest version) with its resources.

    :param id: the dataset's id or name
    """
    key = required_string(data, "id", "name_or_id", "name")
    version = ckan_dicts.find_version(context.session, key)
    if version is None:
        raise NotFound("Dataset not found")
    return ckan_dicts.package_dict(version, ckan_dicts.first_publication(context.session))


def package_search(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Search the datasets.

    :param q: words to find, in English or Welsh (optional)
    :param fq: filters such as ``tags:x``, ``groups:maturity``, ``res_format:CSV``,
      ``organization:wales-audit-office``, ``council:W06000012``, ``kind:real``,
      ``metadata_modified:[2020-01-01T00:00:00Z TO *]`` (optional)
    :param rows: how many results (optional, default 10, at most 1000)
    :param start: skip this many first (optional)
    :param sort: e.g. ``score desc, metadata_modified desc`` (the default),
      ``title_string asc``, ``name asc``, ``metadata_modified desc``, ``id asc``
    :param facet.field: a JSON list of fields to count values of (optional)
    """
    request = ckan_search.read(data)
    outcome = ckan_search.run(context.session, request)
    return ckan_search.result(context.session, request, outcome)


def resource_show(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Return a resource of a dataset's latest version.

    :param id: the resource's id (or ``<dataset>.<resource>``)
    """
    key = required_string(data, "id")
    found = ckan_dicts.find_resource(context.session, key)
    if found is None:
        raise NotFound("Resource was not found.")
    return ckan_dicts.resource_dict(*found)


def organization_list(context: Context, data: dict[str, Any]) -> list[Any]:
    """Return the organizations' names (there is one, the Wales Audit Office).

    :param all_fields: whole dictionaries instead of names (optional)
    :param sort: ``name asc`` (default), ``title``, ``package_count``
    :param limit: at most this many (optional)
    :param offset: skip this many first (optional)
    :param organizations: only these names (optional)
    """
    count = len(queries.latest_versions(context.session))
    entry = ckan_dicts.organization_dict(ckan_dicts.first_publication(context.session), count)
    return _list(data, [entry], "organizations")


def organization_show(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Return the organization.

    :param id: its id or name
    :param include_datasets: include its datasets (optional, default false)
    """
    key = required_string(data, "id")
    if key not in (ckan_dicts.ORGANIZATION_ID, ckan_dicts.ORGANIZATION_NAME):
        raise NotFound("Organization not found")
    versions = queries.latest_versions(context.session)
    created = ckan_dicts.first_publication(context.session)
    result = ckan_dicts.organization_dict(created, len(versions))
    return _full(result, data, versions, created)


def group_list(context: Context, data: dict[str, Any]) -> list[Any]:
    """Return the groups' names: the portal's themes.

    :param all_fields: whole dictionaries instead of names (optional)
    :param sort: ``name asc`` (default), ``title``, ``package_count``
    :param limit: at most this many (optional)
    :param offset: skip this many first (optional)
    :param groups: only these names (optional)
    """
    versions = queries.latest_versions(context.session)
    created = ckan_dicts.first_publication(context.session)
    counts = {theme: sum(theme in ckan_dicts.themes(v) for v in versions)
              for theme in {t for v in versions for t in ckan_dicts.themes(v)}}
    entries = [ckan_dicts.group_dict(theme, created, n) for theme, n in counts.items()]
    return _list(data, entries, "groups")


def group_show(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Return a group (a theme).

    :param id: its id or name
    :param include_datasets: include its datasets (optional, default false)
    """
    key = required_string(data, "id")
    versions = queries.latest_versions(context.session)
    theme = next((t for v in versions for t in ckan_dicts.themes(v)
                  if key in (t, ckan_dicts.group_id(t))), None)
    if theme is None:
        raise NotFound("Group not found")
    members = [v for v in versions if theme in ckan_dicts.themes(v)]
    created = ckan_dicts.first_publication(context.session)
    return _full(ckan_dicts.group_dict(theme, created, len(members)), data, members, created)


def tag_list(context: Context, data: dict[str, Any]) -> list[Any]:
    """Return the datasets' tags (their English keywords).

    :param query: only tags holding this text (optional)
    :param all_fields: whole dictionaries instead of names (optional)
    """
    if string(data, "vocabulary_id"):
        raise NotFound("Could not find vocabulary")
    query = string(data, "query", max_length=200).casefold()
    names = sorted({k for v in queries.latest_versions(context.session) for k in v.keywords_en
                    if query in k.casefold()})
    if boolean(data, "all_fields"):
        return [{"id": ckan_dicts.tag_id(n), "name": n, "vocabulary_id": None} for n in names]
    return names


def datastore_search(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Search the rows of a resource (its dataset's latest version).

    :param resource_id: the resource's id (or ``<dataset>.<resource>``)
    :param filters: a JSON object of field: value, or field: [values] (optional)
    :param q: text to find in any text field (optional)
    :param fields: the fields to return, a list or comma-separated (optional)
    :param sort: e.g. ``"invited desc, council_code"`` (optional)
    :param limit: how many rows (optional, default 100, at most 1000)
    :param offset: skip this many first (optional)
    :param include_total: count the matching rows (optional, default true)
    :param records_format: ``objects`` (default), ``lists``, ``csv`` or ``tsv``
    """
    return ckan_datastore.datastore_search(context.session, data, context.links, context.secret)


# -- helpers -------------------------------------------------------------------------

def _window(items: list[Any], data: dict[str, Any]) -> list[Any]:
    offset = natural(data, "offset", 0)
    limit = integer(data, "limit")
    return items[offset:] if limit is None else items[offset:offset + limit]


def _list(data: dict[str, Any], entries: list[dict[str, Any]], names_key: str) -> list[Any]:
    """CKAN's group and organization listing: filter, sort, page, and names or dicts."""
    wanted = string_list(data, names_key, split=",")
    if wanted:
        entries = [e for e in entries if e["name"] in wanted]
    q = string(data, "q", max_length=200).casefold()
    if q:
        entries = [e for e in entries if q in e["name"].casefold() or q in e["title"].casefold()]
    sort = string(data, "sort") or string(data, "order_by") or "name asc"
    field, _, direction = sort.strip().partition(" ")
    direction = direction.strip().lower() or ("desc" if field == "packages" else "asc")
    if field not in LIST_SORTS or direction not in ("asc", "desc"):
        raise ValidationError.one("sort", f"Cannot sort by field `{field}`")
    key = LIST_SORTS[field]
    entries = sorted(entries, key=lambda e: (e[key], e["name"]), reverse=direction == "desc")
    entries = _window(entries, data)
    if not boolean(data, "all_fields"):
        return [e["name"] for e in entries]
    include_count = boolean(data, "include_dataset_count", True)
    include_extras = boolean(data, "include_extras")
    shaped = []
    for entry in entries:
        entry = dict(entry)
        if not include_count:
            entry.pop("package_count", None)
        if include_extras:
            entry["extras"] = _group_extras(entry)
        shaped.append(entry)
    return shaped


def _group_extras(entry: dict[str, Any]) -> list[dict[str, str]]:
    return [{"key": "title_cy", "value": entry["title_cy"]}]


def _full(entry: dict[str, Any], data: dict[str, Any], versions: list[DatasetVersion],
          created: Any) -> dict[str, Any]:
    """A group or organization as ``*_show`` returns it."""
    entry = dict(entry, extras=_group_extras(entry), groups=[], tags=[], users=[])
    if boolean(data, "include_datasets"):
        entry["packages"] = [ckan_dicts.package_dict(v, created)
                             for v in sorted(versions, key=lambda v: v.dataset.name)]
    return entry


ACTIONS: dict[str, Action] = {action.__name__: action for action in (
    site_read, status_show, help_show, package_list, current_package_list_with_resources, package_show,
    package_search, resource_show, organization_list, organization_show, group_list, group_show,
    tag_list, datastore_search)}

# CKAN actions that change things: known names, refused to anonymous callers as CKAN does.
WRITE_ACTIONS = frozenset({
    "package_create", "package_update", "package_patch", "package_delete", "package_purge",
    "package_revise", "package_owner_org_update", "package_resource_reorder", "package_relationship_create",
    "resource_create", "resource_update", "resource_patch", "resource_delete", "resource_view_create",
    "organization_create", "organization_update", "organization_patch", "organization_delete",
    "organization_purge", "organization_member_create", "group_create", "group_update", "group_patch",
    "group_delete", "group_purge", "group_member_create", "member_create", "member_delete",
    "tag_create", "tag_delete", "user_create", "user_update", "user_delete", "api_token_create",
    "datastore_create", "datastore_upsert", "datastore_delete", "datastore_run_triggers",
    "bulk_update_public", "bulk_update_private", "bulk_update_delete", "dataset_purge"})
