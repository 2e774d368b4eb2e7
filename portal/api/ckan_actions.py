"""The CKAN actions this portal answers, each a function of (context, data dict)
as in ``ckan/logic/action/get.py``; their docstrings are what ``help_show``
returns. Everything is public and read-only.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from flask_babel import force_locale, gettext
from sqlalchemy.orm import Session

from portal import queries
from portal.api import ckan_datastore, ckan_dicts, ckan_licences, ckan_search
from portal.api.ckan_params import (
    NotFound,
    ValidationError,
    refuse_unexpected,
    boolean,
    integer,
    natural,
    required_string,
    string,
    string_list,
)
from portal.model import DatasetVersion

CKAN_VERSION = "2.12.0"  # the Action API version whose behaviour this follows
ACTIVITY_LIMIT, ACTIVITY_LIMIT_MAX = 31, 100  # ckan.activity_list_limit and its _max
AUTOCOMPLETE_LIMIT = 10
RESOURCE_FIELDS = ("id", "package_id", "url", "format", "description", "name", "hash", "mimetype",
                   "mimetype_inner", "resource_type", "url_type", "size", "position", "state")
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
      ``organization:<the publisher's name>``, ``council:W06000012``, ``kind:real``,
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
    found = ckan_dicts.find_resource_entry(context.session, key)
    if found is None:
        raise NotFound("Resource was not found.")
    return ckan_dicts.resource_dict(*found)


def resource_search(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Search the resources of every dataset's latest version.

    :param query: ``field:term``, or a list of them (all must hold); a term
      matches as a part of the field's text, without regard to case, and as
      the start of ``hash``; fields: id, package_id, url, format, description,
      name, hash, mimetype, ...
    :param order_by: a resource field to order by (optional)
    :param offset: skip this many first (optional)
    :param limit: at most this many (optional)
    """
    refuse_unexpected(data, {"query", "order_by", "offset", "limit", "callback"})
    raw = data.get("query")
    if raw is None or raw == "" or raw == []:
        raise ValidationError.one("query", "Missing value")
    queries_ = string_list(data, "query") if isinstance(raw, list) else [string(data, "query")]
    terms: dict[str, str] = {}
    for pair in queries_ or []:
        field, colon, term = pair.partition(":")
        if not colon:
            raise ValidationError.one("query", "Must be <field>:<value> pair(s)")
        if field not in RESOURCE_FIELDS:
            raise ValidationError.one("query", f'Field "{field}" not recognised in resource_search.')
        terms[field] = term.casefold()
    order_by = string(data, "order_by")
    if order_by and order_by not in RESOURCE_FIELDS:
        raise ValidationError.one("order_by", f'Cannot order by "{order_by}"; order by one of: '
                                              f"{', '.join(RESOURCE_FIELDS)}")
    offset = natural(data, "offset", 0)
    limit = integer(data, "limit")
    found = []
    for version in queries.latest_versions(context.session):
        for entry in ckan_dicts.resource_dicts(version):
            if all(_resource_matches(entry, field, term) for field, term in terms.items()):
                found.append(entry)
    if order_by:
        found.sort(key=lambda entry: (entry[order_by] is None, str(entry[order_by] or "")))
    results = found[offset:] if limit is None else found[offset:offset + limit]
    return {"count": len(found), "results": results}


def _resource_matches(entry: dict[str, Any], field: str, term: str) -> bool:
    value = entry.get(field)
    if value is None:
        return False
    text = str(value).casefold()
    if field == "hash":
        return text.startswith(term) or text.removeprefix("sha256:").startswith(term)
    if isinstance(value, (int, float)):
        return text == term
    return term in text


def license_list(context: Context, data: dict[str, Any]) -> list[dict[str, str]]:
    """Return the licences datasets may have: CKAN's register (the
    datasets here are under ``uk-ogl``, the Open Government Licence v3.0)."""
    return ckan_licences.license_list()


def tag_show(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Return a tag (an English keyword of the datasets).

    :param id: the tag's name or id
    :param include_datasets: include the tag's datasets (optional, default false)
    """
    key = required_string(data, "id")
    if string(data, "vocabulary_id"):
        raise NotFound("Could not find vocabulary")
    include = boolean(data, "include_datasets")
    versions = queries.latest_versions(context.session)
    tagged = [v for v in versions if any(key in (k, ckan_dicts.tag_id(k)) for k in v.keywords_en)]
    if not tagged:
        raise NotFound("Could not find tag")
    name = next(k for k in tagged[0].keywords_en if key in (k, ckan_dicts.tag_id(k)))
    result = ckan_dicts.tag_dict(name)
    if include:
        created = ckan_dicts.first_publication(context.session)
        result["packages"] = [ckan_dicts.package_dict(v, created)
                              for v in sorted(tagged, key=lambda v: v.dataset.name)]
    return result


def package_autocomplete(context: Context, data: dict[str, Any]) -> list[dict[str, str]]:
    """Return datasets whose name or title holds a text.

    :param q: the text
    :param limit: at most this many (optional, default 10)
    """
    q = required_string(data, "q")
    if len(q) > 200:
        raise ValidationError.one("q", "Must be at most 200 characters long")
    limit = integer(data, "limit", AUTOCOMPLETE_LIMIT) or 0
    wanted = q.casefold()
    results = []
    for version in sorted(queries.latest_versions(context.session), key=lambda v: v.dataset.name):
        name, title = version.dataset.name, version.title_en
        if wanted in name.casefold():
            results.append({"name": name, "title": title, "match_field": "name", "match_displayed": name})
        elif wanted in title.casefold():
            results.append({"name": name, "title": title, "match_field": "title",
                            "match_displayed": f"{title} ({name})"})
    return results[:limit]


def package_activity_list(context: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Return a dataset's activity: one entry per published version, newest first.

    :param id: the dataset's id or name
    :param offset: skip this many first (optional)
    :param limit: at most this many (optional, default 31, at most 100)
    :param activity_types: only these types (``new package``, ``changed package``) (optional)
    :param exclude_activity_types: not these types (optional)
    """
    refuse_unexpected(data, {"id", "offset", "limit", "after", "before", "include_hidden_activity",
                             "activity_types", "exclude_activity_types", "callback"})
    key = required_string(data, "id")
    offset = natural(data, "offset", 0)
    limit = min(natural(data, "limit", ACTIVITY_LIMIT), ACTIVITY_LIMIT_MAX)
    boolean(data, "include_hidden_activity")
    types = string_list(data, "activity_types", split=",")
    excluded = string_list(data, "exclude_activity_types", split=",")
    if types is not None and excluded is not None:
        raise ValidationError.one("activity_types", "Cannot be used together with `exclude_activity_types")
    after, before = _moment(data, "after"), _moment(data, "before")
    latest = ckan_dicts.find_version(context.session, key)
    if latest is None:
        raise NotFound("Dataset not found")
    created = ckan_dicts.first_publication(context.session)
    entries = []
    for version in queries.version_history(context.session, latest.dataset.name):
        kind = "new package" if version.number == 1 else "changed package"
        moment = version.published_utc.timestamp()
        if (types is not None and kind not in types) or (excluded and kind in excluded):
            continue
        if (after is not None and moment <= after) or (before is not None and moment >= before):
            continue
        entries.append((version, kind))
    return [{"id": ckan_dicts.stable_id("activity", version.dataset.name, str(version.number)),
             "timestamp": ckan_dicts.timestamp(version.published_utc),
             "user_id": None,  # published by the portal's publishing service, not a CKAN user
             "object_id": ckan_dicts.package_id(version.dataset.name),
             "activity_type": kind,
             "permission_labels": ["public"],
             "data": {"package": ckan_dicts.package_dict(version, created),
                      "changelog": version.changelog_en, "changelog_cy": version.changelog_cy}}
            for version, kind in entries[offset:offset + limit]]


def _moment(data: dict[str, Any], key: str) -> float | None:
    """``after``/``before``: a Unix time, or an ISO 8601 moment (UTC when it names no zone)."""
    raw = data.get(key)
    if raw is None or raw == "":
        return None
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return float(raw)
    text = string(data, key, max_length=40).strip()
    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError.one(key, "Must be a Unix time or an ISO 8601 date and time") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()


def organization_list(context: Context, data: dict[str, Any]) -> list[Any]:
    """Return the organizations' names: there is one, the portal's publisher,
    which publishes every dataset.

    :param all_fields: whole dictionaries instead of names (optional)
    :param sort: ``name asc`` (default), ``title``, ``package_count``
    :param limit: at most this many (optional)
    :param offset: skip this many first (optional)
    :param organizations: only these names (optional)
    """
    count = len(queries.latest_versions(context.session))
    entry = ckan_dicts.organization_dict(ckan_dicts.first_publication(context.session), count,
                                         ckan_dicts.organization())
    return _list(data, [entry], "organizations")


def organization_show(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Return the organization: the portal's publisher, with every dataset.

    :param id: its id or name
    :param include_datasets: include its datasets (optional, default false)
    """
    key = required_string(data, "id")
    org = ckan_dicts.organization()
    if key not in (org.id, org.name):
        raise NotFound("Organization not found")
    versions = queries.latest_versions(context.session)
    created = ckan_dicts.first_publication(context.session)
    result = ckan_dicts.organization_dict(created, len(versions), org)
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


def datastore_info(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Return a resource's DataStore fields (with their data dictionary and
    schema) and, in ``meta``, its row count and sizes.

    :param id: the resource's id (or ``<dataset>.<resource>``); ``resource_id`` also
    :param include_meta: include ``meta`` (optional, default true)
    :param include_fields_schema: include each field's ``schema`` (optional, default true)
    """
    return ckan_datastore.datastore_info(context.session, data)


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
    tag_list, tag_show, license_list, package_autocomplete, package_activity_list, resource_search,
    datastore_search, datastore_info)}

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
