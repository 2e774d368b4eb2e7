"""The CKAN-compatible Action API, through CKAN's own client (ckanapi, over real
HTTP) and through plain HTTP for the envelope, errors and CORS."""
from __future__ import annotations

import json
import sqlite3

import ckanapi
import pytest
from sqlalchemy import make_url

from portal.api.ckan_dicts import json_resource_id, package_id, resource_id

REAL = ["council-findings", "councils", "data-tool-response-rates", "good-practice-case-studies",
        "maturity-framework", "public-attitudes-survey"]
ALL = sorted(REAL + ["maturity-scores", "response-rates"])
THEMES = ["councils", "findings", "good-practice", "maturity", "participation", "public-attitudes"]
RATES = "data-tool-response-rates"
# The organization: the portal's publisher (PUBLISHER_EN, out of the box the portal itself).
ORG = "wales-local-government-data-portal"
RATES_RESOURCE = resource_id(RATES, "response-rates")
COUNCILS_RESOURCE = resource_id("councils", "councils")


@pytest.fixture(scope="module")
def ckan(live_server):
    with ckanapi.RemoteCKAN(live_server) as remote:
        yield remote


@pytest.fixture(scope="module")
def ckan_get(live_server):
    """ckanapi in GET-only mode: every parameter in the query string."""
    with ckanapi.RemoteCKAN(live_server, get_only=True) as remote:
        yield remote


def action(client, action_name: str, /, **params):
    return client.post(f"/api/3/action/{action_name}", json=params)


# -- through ckanapi ------------------------------------------------------------------

@pytest.mark.live
def test_package_list(ckan):
    assert ckan.action.package_list() == ALL
    assert ckan.action.package_list(limit=2, offset=1) == ALL[1:3]


@pytest.mark.live
def test_package_show_by_name_and_by_id(ckan):
    by_name = ckan.action.package_show(id=RATES)
    assert ckan.action.package_show(id=package_id(RATES)) == by_name
    assert by_name["id"] == package_id(RATES) and by_name["name"] == RATES
    assert by_name["title"] == "Data tool response rates: Neath Port Talbot Council"
    assert by_name["notes"].startswith("How many senior officers")
    assert (by_name["license_id"], by_name["license_title"]) == ("uk-ogl", "UK Open Government Licence (OGL)")
    assert by_name["license_url"] == "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
    assert by_name["version"] == "1" and by_name["state"] == "active" and by_name["type"] == "dataset"
    assert by_name["private"] is False and by_name["isopen"] is True
    assert by_name["url"].endswith(f"/en/datasets/{RATES}/")
    assert by_name["organization"]["name"] == ORG
    assert by_name["organization"]["title"] == "Wales local government data portal"
    assert by_name["owner_org"] == by_name["organization"]["id"]
    assert [g["name"] for g in by_name["groups"]] == ["participation"]
    assert {"name": "Wales Audit Office", "display_name": "Wales Audit Office"}.items() <= \
        next(t for t in by_name["tags"] if t["name"] == "Wales Audit Office").items()
    assert by_name["num_tags"] == len(by_name["tags"]) == 7
    extras = {e["key"]: e["value"] for e in by_name["extras"]}
    assert extras["title_cy"] == "Cyfraddau ymateb i'r offer data: Cyngor Castell-nedd Port Talbot"
    assert extras["notes_cy"].startswith("Faint o uwch swyddogion")
    assert extras["demonstration"] == "false"
    assert "Swyddfa Archwilio Cymru" in json.loads(extras["tags_cy"])
    assert extras["datapackage_url"].endswith(f"/datasets/{RATES}/versions/1/datapackage.json")
    assert by_name["metadata_created"] <= by_name["metadata_modified"]
    resource, json_resource = by_name["resources"]
    assert by_name["num_resources"] == 2
    assert resource["id"] == RATES_RESOURCE and resource["package_id"] == by_name["id"]
    assert resource["url"].endswith(f"/datasets/{RATES}/versions/1/response-rates.csv")
    assert (resource["format"], resource["mimetype"]) == ("CSV", "text/csv")
    assert resource["datastore_active"] is True
    assert resource["name"] == "Response rates by recipient group"
    assert resource["name_cy"] == "Cyfraddau ymateb fesul grŵp derbynwyr"
    assert resource["position"] == 0 and resource["size"] > 0
    assert resource["hash"].startswith("sha256:") and len(resource["hash"]) == 71
    assert json_resource["id"] == json_resource_id(RATES, "response-rates")
    assert json_resource["url"].endswith(f"/datasets/{RATES}/versions/1/response-rates.json")
    assert (json_resource["format"], json_resource["mimetype"]) == ("JSON", "application/json")
    assert json_resource["datastore_active"] is False and json_resource["hash"].startswith("sha256:")


@pytest.mark.live
def test_package_show_of_a_demonstration_dataset_says_so(ckan):
    extras = {e["key"]: e["value"] for e in ckan.action.package_show(id="maturity-scores")["extras"]}
    assert extras["demonstration"] == "true"
    assert json.loads(extras["anonymisation"])


@pytest.mark.live
def test_package_search_counts_and_filters(ckan):
    assert ckan.action.package_search()["count"] == len(ALL)
    assert [d["name"] for d in ckan.action.package_search(q="case studies")["results"]] == \
        ["good-practice-case-studies"]
    maturity = ckan.action.package_search(fq="groups:maturity", rows=100)
    assert sorted(d["name"] for d in maturity["results"]) == \
        ["council-findings", "maturity-framework", "maturity-scores"]
    assert maturity["count"] == 3
    assert ckan.action.package_search(fq='tags:"Wales Audit Office"')["count"] == 5
    assert ckan.action.package_search(fq="res_format:CSV")["count"] == len(ALL)
    assert ckan.action.package_search(fq="kind:demonstration")["count"] == 2
    assert ckan.action.package_search(fq=f"organization:{ORG}")["count"] == len(ALL)
    assert ckan.action.package_search(fq=f"-organization:{ORG}")["count"] == 0
    # the Wales Audit Office is the author of the report's datasets, not their publisher
    assert ckan.action.package_search(fq="organization:wales-audit-office")["count"] == 0
    assert ckan.action.package_search(fq="council:W06000012 kind:real")["count"] == 3
    assert ckan.action.package_search(fq="groups:findings OR groups:councils")["count"] == 2
    assert ckan.action.package_search(fq="groups:(findings OR councils) -tags:leadership")["count"] == 1
    assert ckan.action.package_search(q="Castell-nedd", fq="groups:participation")["count"] == 1
    assert ckan.action.package_search(q="name:councils")["results"][0]["name"] == "councils"


@pytest.mark.live
def test_package_search_rows_and_start_page_through_every_order(ckan):
    for sort in ("name asc", "title_string asc", "metadata_modified desc", "id asc", "name desc"):
        everything = [d["name"] for d in ckan.action.package_search(sort=sort, rows=100)["results"]]
        assert sorted(everything) == ALL
        for rows in (1, 3, 5):
            for start in range(0, len(ALL) + 2):
                page = ckan.action.package_search(sort=sort, rows=rows, start=start)
                assert page["count"] == len(ALL)
                shown = [d["name"] for d in page["results"]]
                assert shown == everything[start:start + rows], (sort, rows, start)
        # with facets (counted here) the same pages come back
        page = ckan.action.package_search(sort=sort, rows=3, start=2, facet_field=["groups"])
        assert [d["name"] for d in page["results"]] == everything[2:5]
    names = [d["name"] for d in ckan.action.package_search(rows=100)["results"]]
    assert sorted(names) == ALL and ckan.action.package_search(rows=0)["results"] == []


@pytest.mark.live
def test_package_search_facets(ckan):
    result = ckan.action.package_search(facet_field=["groups", "kind", "organization", "res_format"], rows=0)
    assert result["facets"]["kind"] == {"real": 6, "demonstration": 2}
    assert result["facets"]["organization"] == {ORG: 8}
    assert result["search_facets"]["organization"]["items"] == [
        {"name": ORG, "display_name": "Wales local government data portal", "count": 8}]
    assert result["facets"]["groups"]["maturity"] == 3
    items = result["search_facets"]["groups"]["items"]
    assert {"name": "maturity", "display_name": "Data maturity", "count": 3} in items
    assert result["search_facets"]["groups"]["title"] == "groups"
    assert [i["display_name"] for i in items] == sorted((i["display_name"] for i in items), reverse=True)
    filtered = ckan.action.package_search(fq="groups:maturity", facet_field=["groups"], rows=0)
    assert filtered["facets"]["groups"] == {"maturity": 3, "findings": 1}
    assert ckan.action.package_search()["facets"] == {}


@pytest.mark.live
def test_harvester_style_search(ckan):
    """ckanext-harvest's CKAN harvester: ``fq`` terms joined by spaces, a date
    range, ``sort=id asc`` and ``start`` stepping by ``rows`` until a page is empty."""
    fq = (f"organization:{ORG} OR organization:other "
          "metadata_modified:[2000-01-01T00:00:00.000001Z TO *]")
    seen, start = [], 0
    while True:
        page = ckan.action.package_search(fq=fq, sort="id asc", rows=3, start=start)["results"]
        if not page:
            break
        seen += [d["id"] for d in page]
        start += 3
    assert seen == sorted(package_id(name) for name in ALL)
    assert ckan.action.package_search(fq="metadata_modified:[NOW+1DAY TO *]")["count"] == 0


@pytest.mark.live
def test_organizations(ckan):
    """One organization, the portal's publisher, publishes every dataset."""
    assert ckan.action.organization_list() == [ORG]
    [org] = ckan.action.organization_list(all_fields=True)
    assert (org["title"], org["title_cy"], org["package_count"]) == \
        ("Wales local government data portal", "Porth data llywodraeth leol Cymru", 8)
    assert org["is_organization"] is True and org["type"] == "organization"
    assert org["image_url"] == "" and org["description"] and org["description_cy"]
    shown = ckan.action.organization_show(id=ORG)
    assert ckan.action.organization_show(id=shown["id"])["name"] == ORG
    assert "packages" not in shown
    packages = ckan.action.organization_show(id=shown["id"], include_datasets=True)["packages"]
    assert sorted(p["name"] for p in packages) == ALL
    assert {p["owner_org"] for p in packages} == {shown["id"]}
    assert {p["organization"]["name"] for p in packages} == {ORG}
    # the report's author is no organization here
    with pytest.raises(ckanapi.NotFound):
        ckan.action.organization_show(id="wales-audit-office")


@pytest.mark.live
def test_groups_are_the_themes(ckan):
    assert ckan.action.group_list() == THEMES
    groups = {g["name"]: g for g in ckan.action.group_list(all_fields=True)}
    assert groups["maturity"]["package_count"] == 3 and groups["maturity"]["title"] == "Data maturity"
    assert groups["maturity"]["title_cy"] == "Aeddfedrwydd data"
    assert ckan.action.group_list(sort="package_count desc")[0] == "maturity"
    shown = ckan.action.group_show(id="participation", include_datasets=True)
    assert sorted(p["name"] for p in shown["packages"]) == [RATES, "response-rates"]


@pytest.mark.live
def test_tags(ckan):
    tags = ckan.action.tag_list()
    assert "Wales Audit Office" in tags and tags == sorted(set(tags))
    assert ckan.action.tag_list(query="survey") == ["survey"]
    assert {"name": "survey", "vocabulary_id": None}.items() <= \
        ckan.action.tag_list(query="survey", all_fields=True)[0].items()


@pytest.mark.live
def test_resource_show(ckan):
    resource = ckan.action.resource_show(id=RATES_RESOURCE)
    assert resource == ckan.action.package_show(id=RATES)["resources"][0]
    assert ckan.action.resource_show(id=f"{RATES}.response-rates")["id"] == RATES_RESOURCE


@pytest.mark.live
def test_datastore_search_known_values(ckan):
    result = ckan.action.datastore_search(resource_id=RATES_RESOURCE, filters={"council_code": "W06000012"},
                                          sort="invited desc")
    rows = [(r["recipient_group"], r["invited"], r["responded"], r["percentage_responded"])
            for r in result["records"]]
    assert rows == [("total", 139, 57, 41), ("officer", 76, 38, 50), ("elected_member", 63, 19, 30)]
    assert result["total"] == 3 and result["resource_id"] == RATES_RESOURCE
    types = {f["id"]: f["type"] for f in result["fields"]}
    assert types["council_code"] == "text" and types["invited"] == "int8" and types["_id"] == "int"
    assert result["fields"][0] == {"id": "_id", "type": "int"}
    assert result["fields"][5]["info"]["label"] == "Number invited"
    page = ckan.action.datastore_search(resource_id=RATES_RESOURCE, sort="invited desc", limit=1, offset=1,
                                        fields=["recipient_group", "invited"])
    assert page["records"] == [{"recipient_group": "officer", "invited": 76}]
    assert (page["limit"], page["offset"], page["total"]) == (1, 1, 3)
    members = ckan.action.datastore_search(resource_id=RATES_RESOURCE,
                                           filters={"recipient_group": "elected_member"})
    figures = [(r["invited"], r["responded"], r["percentage_responded"]) for r in members["records"]]
    assert figures == [(63, 19, 30)]


@pytest.mark.live
def test_datastore_search_councils(ckan, ckan_get):
    # in GET-only mode ckanapi puts values in the query string as they are, so
    # structures go as JSON text there (as with CKAN itself)
    for remote, encode in ((ckan, lambda value: value), (ckan_get, json.dumps)):
        councils = remote.action.datastore_search(resource_id=COUNCILS_RESOURCE, limit=100)
        assert councils["total"] == 22 == len(councils["records"])
        npt = remote.action.datastore_search(resource_id="councils.councils",
                                             filters=encode({"gss_code": "W06000012"}))
        assert [(r["name_en"], r["name_cy"]) for r in npt["records"]] == \
            [("Neath Port Talbot", "Castell-nedd Port Talbot")]
        assert remote.action.datastore_search(resource_id=COUNCILS_RESOURCE, q="gwynedd")["total"] == 1
        two = remote.action.datastore_search(resource_id=COUNCILS_RESOURCE,
                                             filters=encode({"gss_code": ["W06000001", "W06000002"]}))
        assert two["total"] == 2
        assert remote.action.package_search(fq="groups:maturity", facet_field=encode(["kind"]))["facets"] == \
            {"kind": {"real": 2, "demonstration": 1}}


@pytest.mark.live
def test_ckanapi_raises_its_own_errors(ckan):
    with pytest.raises(ckanapi.NotFound):
        ckan.action.package_show(id="no-such-dataset")
    with pytest.raises(ckanapi.NotFound):
        ckan.action.resource_show(id="no-such-resource")
    with pytest.raises(ckanapi.NotFound):
        ckan.action.datastore_search(resource_id="no-such-resource")
    with pytest.raises(ckanapi.NotFound):
        ckan.action.organization_show(id="no-such-organization")
    with pytest.raises(ckanapi.NotFound):
        ckan.action.group_show(id="no-such-group")
    with pytest.raises(ckanapi.ValidationError) as invalid:
        ckan.action.datastore_search(resource_id=RATES_RESOURCE, filters={"no_such_field": 1})
    assert "filters" in invalid.value.error_dict
    with pytest.raises(ckanapi.ValidationError) as invalid:
        ckan.action.datastore_search(resource_id=RATES_RESOURCE, sort="no_such_field desc")
    assert "sort" in invalid.value.error_dict
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.datastore_search(resource_id=RATES_RESOURCE, limit=-1)
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.package_search(fq="no_such_field:1")
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.package_show()
    with pytest.raises(ckanapi.SearchQueryError):
        ckan.action.package_search(no_such_parameter=1)
    with pytest.raises(ckanapi.NotAuthorized):
        ckan.action.package_create(name="new-dataset")
    with pytest.raises(ckanapi.CKANAPIError) as unknown:
        ckan.action.no_such_action()
    assert type(unknown.value) is ckanapi.CKANAPIError
    assert "Action name not known: no_such_action" in str(unknown.value)


# -- plain HTTP -----------------------------------------------------------------------

def test_envelope_get_and_post_agree(client):
    got = client.get(f"/api/3/action/package_show?id={RATES}")
    posted = action(client, "package_show", id=RATES)
    unversioned = client.get(f"/api/action/package_show?id={RATES}")
    assert got.status_code == posted.status_code == unversioned.status_code == 200
    assert got.json == posted.json == unversioned.json
    assert got.json["success"] is True
    assert got.json["help"] == "http://localhost/api/3/action/help_show?name=package_show"
    assert got.headers["Access-Control-Allow-Origin"] == "*"
    assert got.mimetype == "application/json"
    help_text = client.get(got.json["help"]).json["result"]
    assert help_text.startswith("Return a dataset")


def test_query_string_values_are_json_where_ckan_expects_it(client):
    result = client.get('/api/3/action/package_search?facet.field=["kind"]&rows=0').json["result"]
    assert result["facets"]["kind"] == {"real": 6, "demonstration": 2}
    url = (f'/api/3/action/datastore_search?resource_id={RATES_RESOURCE}'
           '&filters={"recipient_group":"total"}&fields=invited,responded')
    assert client.get(url).json["result"]["records"] == [{"invited": 139, "responded": 57}]
    form = client.post("/api/3/action/package_show", data={json.dumps({"id": RATES}): ""})
    assert form.json["result"]["name"] == RATES


def test_api_root_and_status(client):
    assert client.get("/api/3").json == {"version": 3}
    status = client.get("/api/3/action/status_show").json["result"]
    assert "datastore" in status["extensions"] and status["site_url"] == "http://localhost"
    assert client.get("/api/3/action/site_read").json["result"] is True


def test_datastore_links_totals_and_formats(client):
    url = f"/api/3/action/datastore_search?resource_id={RATES_RESOURCE}&limit=2&offset=0"
    result = client.get(url).json["result"]
    assert result["_links"]["start"] == f"/api/3/action/datastore_search?resource_id={RATES_RESOURCE}&limit=2"
    assert result["_links"]["next"].endswith("limit=2&offset=2")
    following = client.get(result["_links"]["next"]).json["result"]
    assert [r["recipient_group"] for r in result["records"] + following["records"]] == \
        ["officer", "elected_member", "total"]
    quiet = action(client, "datastore_search", resource_id=RATES_RESOURCE, include_total=False).json["result"]
    assert "total" not in quiet and len(quiet["records"]) == 3
    lists = action(client, "datastore_search", resource_id=RATES_RESOURCE, records_format="lists",
                   fields="recipient_group,invited").json["result"]
    assert lists["records"] == [["officer", 76], ["elected_member", 63], ["total", 139]]
    text = action(client, "datastore_search", resource_id=RATES_RESOURCE, records_format="csv",
                  fields=["invited", "responded"], sort="invited").json["result"]
    assert text["records"] == "63,19\n76,38\n139,57\n"
    counted = action(client, "datastore_search", resource_id=RATES_RESOURCE, limit=0).json["result"]
    assert counted["records"] == [] and counted["total"] == 3


def test_oversized_limits_are_capped_as_ckan_caps_them(client):
    result = action(client, "datastore_search", resource_id=COUNCILS_RESOURCE, limit=10 ** 9).json["result"]
    assert result["limit"] == 1000 and len(result["records"]) == 22
    assert len(action(client, "package_search", rows=10 ** 9).json["result"]["results"]) == len(ALL)


def test_unknown_action_is_ckans_bad_request(client):
    response = client.get("/api/3/action/no_such_action")
    assert response.status_code == 400
    assert response.json == "Bad request - Action name not known: no_such_action"
    assert response.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"text"', b"[" * 5000])
def test_unreadable_bodies_are_ckans_bad_request(client, body):
    response = client.post("/api/3/action/package_list", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json.startswith("Bad request - JSON Error: ")


def test_write_actions_are_refused(client):
    refused = action(client, "package_create", name="x")
    assert refused.status_code == 403 and refused.json["error"]["__type"] == "Authorization Error"
    assert client.get("/api/3/action/datastore_upsert").status_code == 400


@pytest.mark.parametrize("method, path, status, kind", [
    ("GET", "/api/3/no/such/thing", 404, "Not Found Error"),
    ("GET", "/api/3/action/", 404, "Not Found Error"),
    ("POST", "/api/action/", 404, "Not Found Error"),
    ("GET", "/api/3/action", 404, "Not Found Error"),
    ("GET", "/api/action", 404, "Not Found Error"),
    ("PUT", "/api/3/action/package_list", 405, "Method Not Allowed"),
    ("DELETE", "/api/action/package_show", 405, "Method Not Allowed"),
])
def test_every_error_under_the_api_is_an_envelope(client, method, path, status, kind):
    response = client.open(path, method=method)
    assert response.status_code == status
    assert response.json["success"] is False and response.json["error"]["__type"] == kind
    assert response.json["help"].startswith("http://localhost/api/3/action/help_show")
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_cors_preflight(client):
    response = client.options("/api/3/action/datastore_search",
                              headers={"Origin": "https://example.org",
                                       "Access-Control-Request-Method": "POST"})
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in response.headers["Access-Control-Allow-Headers"]


def test_a_real_failure_is_a_500_envelope(backend, new_database, tmp_path):
    """A database without its tables: the failure is real, and answered as CKAN does."""
    from tests.conftest import make_app
    url = new_database(backend)
    if backend == "sqlite":
        sqlite3.connect(make_url(url).database).close()  # the file, empty (a missing one is a 503)
    broken = make_app(url, tmp_path).test_client()
    response = broken.get("/api/3/action/package_list")
    assert response.status_code == 500
    assert response.json["error"] == {"__type": "Internal Server Error", "message": "Internal Server Error"}
    assert response.json["success"] is False


TOO_MANY_FILTERS = {f"field_{i}": 1 for i in range(25)}


@pytest.mark.parametrize("name, params, field", [
    ("datastore_search", {"filters": "{not json"}, "filters"),
    ("datastore_search", {"filters": [1, 2]}, "filters"),
    ("datastore_search", {"filters": {"no_such_field": "x"}}, "filters"),
    ("datastore_search", {"filters": {"invited": "many"}}, "filters"),
    ("datastore_search", {"filters": {"invited": {"$gt": 1}}}, "filters"),
    ("datastore_search", {"filters": {"council_code": ["W06000012"] * 101}}, "filters"),
    ("datastore_search", {"filters": TOO_MANY_FILTERS}, "filters"),
    ("datastore_search", {"filters": {"council_code": "W06\x00"}}, "filters"),
    ("datastore_search", {"fields": ["invited", "no_such_field"]}, "fields"),
    ("datastore_search", {"fields": "invited; DROP TABLE datastore_rows"}, "fields"),
    ("datastore_search", {"sort": "no_such_field desc"}, "sort"),
    ("datastore_search", {"sort": "invited desc; DROP TABLE datastore_rows --"}, "sort"),
    ("datastore_search", {"sort": "invited sideways"}, "sort"),
    ("datastore_search", {"limit": -1}, "limit"),
    ("datastore_search", {"limit": "ten"}, "limit"),
    ("datastore_search", {"limit": True}, "limit"),
    ("datastore_search", {"offset": -5}, "offset"),
    ("datastore_search", {"offset": 10 ** 12}, "offset"),
    ("datastore_search", {"offset": "9" * 40}, "offset"),
    ("datastore_search", {"q": "x" * 201}, "q"),
    ("datastore_search", {"q": {"council_code": "W06"}}, "q"),
    ("datastore_search", {"records_format": "xml"}, "records_format"),
    ("datastore_search", {"include_total": "perhaps"}, "include_total"),
    ("datastore_search", {"no_such_parameter": 1}, "no_such_parameter"),
    ("datastore_search", {"resource_id": None}, "resource_id"),
    ("package_search", {"rows": -1}, "rows"),
    ("package_search", {"rows": "lots"}, "rows"),
    ("package_search", {"start": -1}, "start"),
    ("package_search", {"start": 1.5}, "start"),
    ("package_search", {"fq": "no_such_field:1"}, "fq"),
    ("package_search", {"fq": "name:x'; DROP TABLE datasets; --"}, "fq"),
    ("package_search", {"fq": "tags:" + "x" * 1000}, "fq"),
    ("package_search", {"fq": " ".join(["tags:x"] * 21)}, "fq"),
    ("package_search", {"fq": "metadata_modified:[yesterday TO *]"}, "fq"),
    ("package_search", {"fq": "groups:maturity OR"}, "fq"),
    ("package_search", {"q": "x" * 201}, "q"),
    ("package_search", {"q": ["a", "b"]}, "q"),
    ("package_search", {"sort": "name; DROP TABLE datasets"}, "sort"),
    ("package_search", {"sort": "views_recent desc"}, "sort"),
    ("package_search", {"facet.field": "[not json"}, "facet.field"),
    ("package_search", {"facet.field": ["no_such_field"]}, "facet.field"),
    ("package_search", {"facet.field": {"tags": 1}}, "facet.field"),
    ("package_show", {}, "id"),
    ("package_show", {"id": ["a", "b"]}, "id"),
    ("package_list", {"limit": -3}, "limit"),
    ("group_list", {"sort": "colour asc"}, "sort"),
    ("group_list", {"all_fields": "maybe"}, "all_fields"),
])
def test_bad_parameters_are_validation_errors(client, name, params, field):
    if name == "datastore_search":
        params = {"resource_id": RATES_RESOURCE, **params}
        if params["resource_id"] is None:
            del params["resource_id"]
    response = action(client, name, **params)
    assert response.status_code == 409, response.json
    error = response.json["error"]
    assert error["__type"] == "Validation Error" and response.json["success"] is False
    assert field in error and all(isinstance(message, str) for message in error[field])


def test_sql_in_values_is_only_text(client):
    injected = {"council_code": "W06000012' OR '1'='1"}
    result = action(client, "datastore_search", resource_id=RATES_RESOURCE, filters=injected).json["result"]
    assert result["total"] == 0
    assert action(client, "datastore_search", resource_id=RATES_RESOURCE,
                  q="' OR 1=1; --").json["result"]["total"] == 0
    assert action(client, "package_search", q="'; DROP TABLE datasets; --").json["result"]["count"] == 0
    assert action(client, "package_show", id="x' OR '1'='1").status_code == 404
    assert action(client, "package_list").json["result"] == ALL


def test_a_large_body_is_refused(client):
    response = client.post("/api/3/action/package_search", data=b" " * (300 * 1024),
                           content_type="application/json")
    assert response.status_code == 413 and response.json["success"] is False


@pytest.mark.parametrize("body, field", [
    (b'{"id": "\\ud800"}', "id"),
    (b'{"id": "councils\\u0000"}', "id"),
    (b'{"id": "councils", "\\u0000": 1}', "\x00"),
])
def test_text_postgresql_cannot_hold_is_refused(client, body, field):
    response = client.post("/api/3/action/package_show", data=body, content_type="application/json")
    assert response.status_code == 409
    assert field in response.json["error"]


def test_help_show(client):
    assert action(client, "help_show", name="datastore_search").json["result"].startswith("Search the rows")
    assert action(client, "help_show", name="package_create").status_code == 404
