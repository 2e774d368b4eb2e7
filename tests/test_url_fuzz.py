"""Every URL the portal answers, with any query string and any path segment,
answers 2xx, 3xx or 4xx: never a 500.

The URLs are generated from the application's own URL map: every GET rule,
its arguments filled with values from the published data (dataset, resource
and council names, version numbers, ...) or with arbitrary text (NUL
included), and query parameters named like the rules' arguments, like
``url_for``'s own (``endpoint``, ``_anchor``, ``_external``, ...), like the
pages' reserved parameters and the published fields, or anything at all.
"""
from __future__ import annotations

import re
import tempfile
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from portal import create_app, profiles, queries
from portal.api import ckan_actions, ckan_dicts
from portal.extensions import session
from portal.web import content, dataset_page, rowargs

# A rule's variable: <name>, <converter:name> or <converter(arguments):name>.
VARIABLE = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")
# Names url_for, a rule or a page reads for itself.
RESERVED = ["lang", "name", "number", "endpoint", "values", "query", "external", "_anchor", "_scheme",
            "_method", "_external", "page", "per_page", "sort", "q", "fields", "limit", "offset", "cursor",
            "theme", "council", "characteristic", "format", "kind", "syntax", *dataset_page.ADD,
            *rowargs.RESERVED]
# Text a URL may carry that a database or a URL builder may choke on.
AWKWARD = st.text(st.sampled_from(["\x00", "a", "é", "ŵ", "/", "%", "?", "#", "&", "=", ".", " ", "+", "-",
                                   "_", "0", "9", "\U0001f600"]), max_size=6)
LARGE = st.integers(-1, 10**20).map(str)
STATIC = Path(__file__).resolve().parent.parent / "portal" / "static"


@pytest.fixture(scope="session")
def url_samples(published_app) -> dict[str, list[str]]:
    """Values for every rule argument, from what is published."""
    with published_app.app_context():
        db = session()
        versions = queries.latest_versions(db)
        councils = profiles.councils(db)
        studies = [row["id"] for row in queries.dataset_rows(db, content.CASE_STUDIES, "case-studies")]
        characteristics = [row["id"] for row in queries.dataset_rows(db, content.FRAMEWORK, "characteristics")]
        return {
            "name": [v.dataset.name for v in versions],
            "number": [str(n) for n in range(1, max(v.number for v in versions) + 2)],
            "resource": [r.name for v in versions for r in v.resources] + [v.dataset.name for v in versions],
            "field": sorted({f.name for v in versions for r in v.resources for f in r.fields}),
            "fmt": ["csv", "json", "zip", "xml"],
            "slug": [c.slug for c in councils],
            "code": [c.code for c in councils] + [c.slug for c in councils],
            "case_study": studies,
            "id": studies + characteristics,
            "logic_function": sorted(ckan_actions.ACTIONS) + ["package_create"],
            # CKAN's web paths: names or ids of datasets, groups, the organization, resources
            "key": [v.dataset.name for v in versions] + [ckan_dicts.package_id(v.dataset.name) for v in versions]
            + sorted({t for v in versions for t in ckan_dicts.themes(v)}) + [ckan_dicts.organization().name],
            "resource_key": [make(v.dataset.name, r.name) for v in versions for r in v.resources
                             for make in (ckan_dicts.resource_id, ckan_dicts.json_resource_id)]
            + [f"{v.dataset.name}.{r.name}" for v in versions for r in v.resources],
            "rest": ["action", "util/status/show", "3"],
            "filename": [path.name for path in STATIC.iterdir()],
            "job_id": ["0" * 32, "not-a-job"],
        }


def _get_rules() -> list[str]:
    """Every GET rule of the URL map (which depends on no database)."""
    with tempfile.TemporaryDirectory() as instance:
        app = create_app({"DATABASE_URL": "sqlite://", "INSTANCE_PATH": instance, "SECRET_KEY": "test"})
        return sorted({rule.rule for rule in app.url_map.iter_rules() if "GET" in (rule.methods or ())})


RULES = _get_rules()


def choices(converter: str | None, arguments: str | None, variable: str, samples: dict) -> list[str]:
    """The values a rule's variable takes in the published data."""
    if converter in ("any", "lang"):  # the values are the converter's own
        return [item.strip().strip("'\"") for item in (arguments or "").split(",")]
    assert variable in samples, f"no sample values for <{variable}>: add them to url_samples"
    return samples[variable]


def path_of(rule: str, draw, samples: dict) -> str:
    """``rule`` with each variable a published value, three times in four, else any text."""
    def fill(match: re.Match) -> str:
        converter, arguments, variable = match.groups()
        published = st.sampled_from(choices(converter, arguments, variable, samples))
        value = draw(st.integers(0, 3).flatmap(lambda n: published if n else AWKWARD | LARGE))
        return quote(value, safe="/" if converter == "path" else "")
    return VARIABLE.sub(fill, rule)


def query_of(draw, samples: dict) -> list[tuple[str, str]]:
    """Parameters named like a reserved name, a rule's argument or a published
    field, or anything; with published values, reserved names, or anything."""
    names = sorted(set(samples) | set(samples["field"]))
    values = sorted({value for listed in samples.values() for value in listed})
    name = st.sampled_from(RESERVED) | st.sampled_from(names) | AWKWARD
    value = st.sampled_from(values) | st.sampled_from(RESERVED) | AWKWARD | LARGE
    return draw(st.lists(st.tuples(name, value), max_size=4))


@pytest.mark.parametrize("rule", RULES)
@settings(max_examples=8, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_no_url_answers_a_server_error(published_app, url_samples, rule, data):
    path = path_of(rule, data.draw, url_samples)
    query = query_of(data.draw, url_samples)
    with published_app.test_client().get(path, query_string=query) as response:
        assert response.status_code < 500, (path, query, response.status_code)


def test_every_rule_takes_every_reserved_name(published_app, url_samples):
    """Each GET rule with its first sample values, given each reserved name
    (with a value that is itself a reserved name, as ``_add_field=lang``)."""
    client = published_app.test_client()
    for rule in RULES:
        path = VARIABLE.sub(lambda m: quote(choices(*m.groups(), url_samples)[0], safe="/"), rule)
        for name in RESERVED:
            with client.get(path, query_string=[(name, "lang")]) as response:
                assert response.status_code < 500, (path, name, response.status_code)
