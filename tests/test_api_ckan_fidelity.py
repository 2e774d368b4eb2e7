"""CKAN fidelity: what CKAN 2.12's own clients and conventions expect, tried
with the real ckanapi (library and command line) and the real frictionless
over real HTTP, and CKAN's web paths and DataStore dump."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from xml.etree import ElementTree

import ckanapi
import pytest
import requests
from ckanapi.datapackage import dataset_to_datapackage, populate_schema_from_datastore

from portal.api.ckan_dicts import NAMESPACE, json_resource_id, organization_name, package_id, resource_id
from tests.test_api_ckan import ALL, COUNCILS_RESOURCE, ORG, RATES, RATES_RESOURCE, action

BIN = Path(sys.executable).parent
DEMONSTRATION = ["maturity-scores", "response-rates"]
WAO = "Wales Audit Office"
PORTAL = "Wales local government data portal"
# Whatever names the Wales Audit Office, in either language, or its address.
AUDIT_OFFICE = ("Audit Office", "Archwilio", "audit.wales", "wales-audit-office")


@pytest.fixture(scope="module")
def ckan(live_server):
    with ckanapi.RemoteCKAN(live_server) as remote:
        yield remote


# -- ckanapi dump, then frictionless validate ------------------------------------------

@pytest.mark.live
def test_ckanapi_dump_then_frictionless_validate_every_package(live_server, tmp_path):
    """``ckanapi dump datasets --all`` (with the DataStore fields), each dumped
    dataset made a Data Package by ckanapi's own converter, and validated by
    the frictionless command line: every file downloaded, its sha256 checked
    against ``hash`` and its rows against the schema."""
    dumped = tmp_path / "datasets.jsonl"
    environment = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    run = subprocess.run([str(BIN / "ckanapi"), "dump", "datasets", "--all", "--datastore-fields",
                          "-r", live_server, "-O", str(dumped), "-p", "1"],
                         capture_output=True, text=True, env=environment, timeout=300)
    assert run.returncode == 0, run.stderr
    records = [json.loads(line) for line in dumped.read_text().splitlines()]
    assert sorted(record["name"] for record in records) == ALL
    for record in records:
        package = dataset_to_datapackage(record)
        for ckan_resource, package_resource in zip(record["resources"], package["resources"]):
            populate_schema_from_datastore(ckan_resource, package_resource)
        assert all(r["hash"].startswith("sha256:") for r in package["resources"])
        assert {r["format"] for r in package["resources"]} == {"CSV", "JSON"}
        path = tmp_path / f"{record['name']}.json"
        path.write_text(json.dumps(package))
        checked = subprocess.run([str(BIN / "frictionless"), "validate", "--json", str(path)],
                                 capture_output=True, text=True, timeout=300)
        report = json.loads(checked.stdout)
        problems = [(task["name"], [error["note"] for error in task["errors"]][:3])
                    for task in report["tasks"] if not task["valid"]]
        assert report["valid"], (record["name"], problems, report["errors"])
        assert len(report["tasks"]) == len(record["resources"]) == 2 * len(
            [r for r in record["resources"] if r["format"] == "CSV"])


@pytest.mark.live
def test_a_bare_sha256_is_what_frictionless_misreads(ckan, tmp_path):
    """Why ``hash`` carries its algorithm: frictionless reads a bare value as MD5."""
    from frictionless import Package
    record = ckan.action.package_show(id="councils")
    package = dataset_to_datapackage(record)
    package["resources"][0]["hash"] = package["resources"][0]["hash"].removeprefix("sha256:")
    package["resources"] = package["resources"][:1]
    report = Package(package).validate()
    assert not report.valid
    assert report.tasks[0].errors[0].type == "hash-count"


# -- licences --------------------------------------------------------------------------

@pytest.mark.live
def test_licences_come_from_ckans_register(ckan):
    licences = ckan.action.license_list()
    ids = [entry["id"] for entry in licences]
    assert ids[:2] == ["notspecified", "odc-pddl"] and len(ids) == 15
    ogl = next(entry for entry in licences if entry["id"] == "uk-ogl")
    assert ogl["title"] == "UK Open Government Licence (OGL)"
    assert ogl["url"] == "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
    assert ogl["od_conformance"] == "approved" and ogl["domain_content"] == "True"
    for name in ALL:
        dataset = ckan.action.package_show(id=name)
        assert dataset["license_id"] == "uk-ogl" and dataset["license_id"] in ids
        assert dataset["license_title"] == ogl["title"] and dataset["isopen"] is True
    assert ckan.action.package_search(fq="license_id:uk-ogl", rows=0)["count"] == len(ALL)


# -- author and maintainer ---------------------------------------------------------------

@pytest.mark.live
def test_authors_credit_the_audit_office_only_for_the_report(ckan):
    for name in ALL:
        dataset = ckan.action.package_show(id=name)
        # the portal's publisher publishes and keeps every dataset here
        assert dataset["organization"]["name"] == ORG and dataset["organization"]["title"] == PORTAL
        assert dataset["maintainer"] == PORTAL
        assert dataset["maintainer_email"] is None  # PUBLISHER_EMAIL is not set
        if name in DEMONSTRATION:
            # made by the portal's publisher, and said to be demonstration data
            assert dataset["author"] == f"{PORTAL} (demonstration data)"
            assert dataset["author_email"] is None
        else:
            # the report's author wrote it
            assert dataset["author"] == WAO and dataset["author_email"] == "info@audit.wales"


def names_audit_office(value) -> bool:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return any(name.casefold() in text.casefold() for name in AUDIT_OFFICE)


@pytest.mark.live
def test_demonstration_datasets_never_name_the_audit_office_as_who_made_or_keeps_them(ckan):
    """Neither the organization (ckanext-dcat's ``dct:publisher``) nor the
    author or maintainer of a demonstration dataset, wherever CKAN's clients
    read a dataset, names the Wales Audit Office."""
    keys = ("organization", "owner_org", "author", "author_email", "maintainer", "maintainer_email")
    found = {name: [ckan.action.package_show(id=name)] for name in DEMONSTRATION}
    for dataset in ckan.action.package_search(fq="kind:demonstration", rows=100)["results"]:
        found[dataset["name"]].append(dataset)
    for dataset in ckan.action.current_package_list_with_resources(limit=100):
        if dataset["name"] in found:
            found[dataset["name"]].append(dataset)
    org = ckan.action.organization_show(id=ORG, include_datasets=True)
    for dataset in org["packages"]:
        if dataset["name"] in found:
            found[dataset["name"]].append(dataset)
    for name, seen in found.items():
        assert len(seen) == 4, name
        for dataset in seen:
            for key in keys:
                assert not names_audit_office(dataset[key]), (name, key, dataset[key])
    assert not names_audit_office({key: value for key, value in org.items() if key != "packages"})


@pytest.mark.parametrize("title, name", [
    ("Wales local government data portal", "wales-local-government-data-portal"),
    ("Cyngor Gwynedd / Gwynedd Council", "cyngor-gwynedd-gwynedd-council"),
    ("Ynys Môn: Data Ŵyl", "ynys-mon-data-wyl"),
    ("  Example_Council (2026) ", "example-council-2026"),
    ("!", "publisher"),
    ("x" * 150, "x" * 100),
])
def test_the_organization_is_named_as_ckan_names_things(title, name):
    assert organization_name(title) == name


def test_the_organization_follows_the_publisher_settings(published_app, client):
    """Another publisher in the settings: the one organization, every
    dataset's owner and maintainer, the facets and filters all change with
    it; the author of the report's datasets stays the Wales Audit Office."""
    saved = {key: published_app.config[key] for key in
             ("PUBLISHER_EN", "PUBLISHER_CY", "PUBLISHER_URL", "PUBLISHER_EMAIL")}
    published_app.config.update(PUBLISHER_EN="Example Council", PUBLISHER_CY="Cyngor Enghreifftiol",
                                PUBLISHER_URL="https://example.wales/", PUBLISHER_EMAIL="data@example.wales")
    try:
        new = "example-council"
        new_id = str(uuid.uuid5(NAMESPACE, f"organization/{new}"))
        assert action(client, "organization_list").json["result"] == [new]
        shown = action(client, "organization_show", id=new).json["result"]
        assert (shown["id"], shown["title"], shown["title_cy"]) == \
            (new_id, "Example Council", "Cyngor Enghreifftiol")
        assert (shown["url"], shown["email"], shown["package_count"]) == ("https://example.wales/",
                                                                           "data@example.wales", len(ALL))
        assert action(client, "organization_show", id=new_id).json["result"]["name"] == new
        assert action(client, "organization_show", id=ORG).status_code == 404
        for name in ALL:
            dataset = action(client, "package_show", id=name).json["result"]
            assert (dataset["owner_org"], dataset["organization"]["name"]) == (new_id, new)
            assert (dataset["maintainer"], dataset["maintainer_email"]) == \
                ("Example Council", "data@example.wales")
            if name in DEMONSTRATION:
                assert dataset["author"] == "Example Council (demonstration data)"
                assert dataset["author_email"] == "data@example.wales"
            else:
                assert dataset["author"] == WAO
        search = action(client, "package_search", fq=f"organization:{new}",
                        **{"facet.field": ["organization"]})
        assert search.json["result"]["count"] == len(ALL)
        assert search.json["result"]["facets"]["organization"] == {new: len(ALL)}
        assert action(client, "package_search", fq=f"owner_org:{new_id}").json["result"]["count"] == len(ALL)
        assert action(client, "package_search", fq=f"organization:{ORG}").json["result"]["count"] == 0
        assert client.get(f"/organization/{new}").status_code == 302
        assert client.get(f"/organization/{ORG}").status_code == 404
    finally:
        published_app.config.update(saved)
    assert action(client, "organization_list").json["result"] == [ORG]


# -- the JSON download as a resource ----------------------------------------------------

@pytest.mark.live
def test_the_json_download_is_a_resource_of_its_own(ckan, live_server):
    found = ckan.action.package_search(fq="res_format:JSON", rows=100)
    assert found["count"] == len(ALL)
    rates = ckan.action.package_show(id=RATES)
    csv_entry, json_entry = rates["resources"]
    assert ckan.action.resource_show(id=json_resource_id(RATES, "response-rates")) == json_entry
    assert ckan.action.resource_show(id=f"{RATES}.response-rates.json") == json_entry
    assert json_entry["package_id"] == package_id(RATES) and json_entry["position"] == 1
    body = requests.get(json_entry["url"], timeout=30)
    assert body.status_code == 200 and body.headers["Content-Type"].startswith("application/json")
    assert json_entry["hash"] == "sha256:" + hashlib.sha256(body.content).hexdigest()
    assert json_entry["size"] == len(body.content)
    rows = body.json()
    assert len(rows) == csv_entry["row_count"] and set(rows[0]) == {
        f["name"] for f in csv_entry["schema"]["fields"]}


# -- DataStore: _id, order, types, datastore_info ---------------------------------------

@pytest.mark.live
def test_datastore_rows_have_ids_in_order(ckan):
    result = ckan.action.datastore_search(resource_id=COUNCILS_RESOURCE, limit=100)
    assert result["fields"][0] == {"id": "_id", "type": "int"}
    assert [record["_id"] for record in result["records"]] == list(range(1, 23))
    assert list(result["records"][0])[0] == "_id"
    reverse = ckan.action.datastore_search(resource_id=COUNCILS_RESOURCE, limit=3, sort="_id desc")
    assert [record["_id"] for record in reverse["records"]] == [22, 21, 20]
    lists = ckan.action.datastore_search(resource_id=COUNCILS_RESOURCE, limit=1, records_format="lists")
    assert lists["records"][0][:2] == [1, "W06000001"]
    chosen = ckan.action.datastore_search(resource_id=COUNCILS_RESOURCE, limit=1, fields="_id,name_en")
    assert chosen["records"] == [{"_id": 1, "name_en": "Isle of Anglesey"}]
    types = {f["id"]: f["type"] for f in ckan.action.datastore_search(resource_id=RATES_RESOURCE,
                                                                      limit=0)["fields"]}
    assert set(types.values()) <= {"int", "int4", "int8", "numeric", "text", "date", "timestamp", "bool"}
    assert types["invited"] == "int8" and types["council_code"] == "text"


@pytest.mark.live
def test_datastore_info(ckan):
    info = ckan.action.datastore_info(id=COUNCILS_RESOURCE)
    assert info["meta"]["count"] == 22 and info["meta"]["id"] == COUNCILS_RESOURCE
    assert info["meta"]["table_type"] == "BASE TABLE" and info["meta"]["size"] > 0
    assert [f["id"] for f in info["fields"]] == ["gss_code", "name_en", "name_cy", "slug"]
    assert info["fields"][0]["type"] == "text" and info["fields"][0]["schema"]["native_type"] == "text"
    assert info["fields"][0]["info"]["label"] == "GSS code"
    bare = ckan.action.datastore_info(resource_id="councils.councils", include_meta=False,
                                      include_fields_schema=False)
    assert "meta" not in bare and "schema" not in bare["fields"][0]
    with pytest.raises(ckanapi.NotFound):
        ckan.action.datastore_info(id="no-such-resource")


# -- the other read actions ---------------------------------------------------------------

@pytest.mark.live
def test_package_activity_list(ckan):
    activity = ckan.action.package_activity_list(id=RATES)
    assert len(activity) == 1
    [entry] = activity
    assert entry["activity_type"] == "new package" and entry["object_id"] == package_id(RATES)
    assert entry["data"]["package"]["name"] == RATES and entry["timestamp"]
    assert ckan.action.package_activity_list(id=package_id(RATES)) == activity
    assert ckan.action.package_activity_list(id=RATES, activity_types=["changed package"]) == []
    assert ckan.action.package_activity_list(id=RATES, offset=1) == []
    with pytest.raises(ckanapi.NotFound):
        ckan.action.package_activity_list(id="no-such-dataset")
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.package_activity_list(id=RATES, activity_types=["new package"],
                                          exclude_activity_types=["changed package"])


@pytest.mark.live
def test_package_autocomplete(ckan):
    found = ckan.action.package_autocomplete(q="matur")
    assert [entry["name"] for entry in found] == ["maturity-framework", "maturity-scores"]
    assert found[0]["match_field"] == "name" and found[0]["match_displayed"] == "maturity-framework"
    by_title = ckan.action.package_autocomplete(q="Neath Port Talbot")
    assert by_title and all(entry["match_field"] == "title" for entry in by_title)
    assert by_title[0]["match_displayed"].endswith(f"({by_title[0]['name']})")
    assert len(ckan.action.package_autocomplete(q="a", limit=2)) == 2


@pytest.mark.live
def test_resource_search(ckan):
    every = ckan.action.resource_search(query="format:JSON")
    assert every["count"] == len(every["results"]) == ckan.action.resource_search(query="format:csv")["count"]
    rates = ckan.action.package_show(id=RATES)["resources"][0]
    digest = rates["hash"].removeprefix("sha256:")
    assert [r["id"] for r in ckan.action.resource_search(query=f"hash:{digest[:12]}")["results"]] == \
        [RATES_RESOURCE]
    both = ckan.action.resource_search(query=["name:response rates", "format:csv"])
    assert {r["package_id"] for r in both["results"]} == {package_id(RATES), package_id("response-rates")}
    page = ckan.action.resource_search(query="format:csv", order_by="name", limit=2, offset=1)
    assert page["count"] == every["count"] and len(page["results"]) == 2
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.resource_search(query="colour:red")
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.resource_search(query="no pair")


@pytest.mark.live
def test_tag_show(ckan):
    tag = ckan.action.tag_show(id=WAO)
    assert tag["name"] == WAO and tag["vocabulary_id"] is None and "packages" not in tag
    assert ckan.action.tag_show(id=tag["id"])["name"] == WAO
    with_datasets = ckan.action.tag_show(id=WAO, include_datasets=True)
    names = [p["name"] for p in with_datasets["packages"]]
    assert RATES in names and names == sorted(names)
    with pytest.raises(ckanapi.NotFound):
        ckan.action.tag_show(id="no such tag")


# -- field-qualified q and fq -----------------------------------------------------------

@pytest.mark.live
def test_fields_in_q_and_fq_answer_as_solr_would(ckan):
    def names(**params):
        return sorted(d["name"] for d in ckan.action.package_search(rows=100, **params)["results"])
    assert names(q="title:maturity") == ["maturity-framework", "maturity-scores"]
    assert names(fq="title:maturity") == names(q="title:maturity")
    # English stems, as Solr's text field: "councils" finds "Council"
    assert RATES in names(q="title:councils")
    assert names(q='title:"response rates"') == [RATES, "response-rates"]
    assert names(q="title:matur*") == ["maturity-framework", "maturity-scores"]
    assert names(q="name:councils") == ["councils"]
    assert names(q='tags:"Wales Audit Office"') == names(fq='tags:"Wales Audit Office"') != []
    assert names(fq='notes:"elected members"') == ["council-findings", RATES, "maturity-scores", "response-rates"]
    assert names(fq='notes:"members elected"') == []
    assert names(q='notes:"survey of 750 people"') == ["public-attitudes-survey"]
    assert names(q="title:maturity -name:maturity-scores") == ["maturity-framework"]
    assert names(q="title:nothingmatchesthis") == []


# -- errors: CKAN's envelope, never a 500 ------------------------------------------------

@pytest.mark.parametrize(("name", "params", "status", "field"), [
    ("datastore_info", {}, 409, "id"),
    ("datastore_info", {"id": COUNCILS_RESOURCE, "include_meta": "perhaps"}, 409, "include_meta"),
    ("datastore_info", {"id": COUNCILS_RESOURCE, "colour": "red"}, 409, "colour"),
    ("datastore_info", {"id": "nope"}, 404, None),
    ("package_activity_list", {}, 409, "id"),
    ("package_activity_list", {"id": RATES, "limit": "lots"}, 409, "limit"),
    ("package_activity_list", {"id": RATES, "offset": -1}, 409, "offset"),
    ("package_activity_list", {"id": RATES, "after": "yesterday"}, 409, "after"),
    ("package_activity_list", {"id": RATES, "colour": "red"}, 409, "colour"),
    ("package_activity_list", {"id": "nope"}, 404, None),
    ("package_autocomplete", {}, 409, "q"),
    ("package_autocomplete", {"q": "x", "limit": "many"}, 409, "limit"),
    ("package_autocomplete", {"q": "x" * 201}, 409, "q"),
    ("resource_search", {}, 409, "query"),
    ("resource_search", {"query": "nopair"}, 409, "query"),
    ("resource_search", {"query": "colour:red"}, 409, "query"),
    ("resource_search", {"query": "format:csv", "order_by": "colour"}, 409, "order_by"),
    ("resource_search", {"query": "format:csv", "limit": -1}, 409, "limit"),
    ("resource_search", {"query": {"format": "csv"}}, 409, "query"),
    ("tag_show", {}, 409, "id"),
    ("tag_show", {"id": "nope"}, 404, None),
    ("tag_show", {"id": WAO, "include_datasets": "maybe"}, 409, "include_datasets"),
    ("datastore_search", {"resource_id": COUNCILS_RESOURCE, "sort": "_id sideways"}, 409, "sort"),
    ("package_search", {"fq": "title:[a TO b]"}, 409, "fq"),
])
def test_bad_parameters_of_the_new_actions(client, name, params, status, field):
    response = action(client, name, **params)
    assert response.status_code == status, response.json
    assert response.json["success"] is False
    error = response.json["error"]
    if status == 409:
        assert error["__type"] == "Validation Error" and field in error, error
    else:
        assert error["__type"] == "Not Found Error"


def test_new_actions_have_help(client):
    for name in ("license_list", "datastore_info", "package_activity_list", "package_autocomplete",
                 "resource_search", "tag_show"):
        help_text = client.get(f"/api/3/action/help_show?name={name}").json["result"]
        assert help_text and help_text[0].isupper()


# -- CKAN's web paths --------------------------------------------------------------------

@pytest.mark.parametrize(("path", "accept", "location"), [
    (f"/dataset/{RATES}", "", f"/en/datasets/{RATES}/"),
    (f"/dataset/{package_id(RATES)}", "cy,en;q=0.5", f"/cy/datasets/{RATES}/"),
    (f"/dataset/{RATES}/resource/{RATES_RESOURCE}", "en",
     f"/en/datasets/{RATES}/?_resource=response-rates"),
    (f"/dataset/{RATES}/resource/{json_resource_id(RATES, 'response-rates')}", "fr",
     f"/en/datasets/{RATES}/?_resource=response-rates"),
    (f"/organization/{ORG}", "cy", "/cy/datasets/"),
    ("/group/maturity", "", "/en/datasets/?theme=maturity"),
    ("/dataset/", "", "/en/datasets/"),
    (f"/dataset/{RATES}/resource/{RATES_RESOURCE}/download/response-rates.csv", "",
     f"/datasets/{RATES}/versions/1/response-rates.csv"),
])
def test_ckan_web_paths_redirect_to_the_portal(client, path, accept, location):
    response = client.get(path, headers={"Accept-Language": accept} if accept else {})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(location), response.headers["Location"]
    followed = client.get(response.headers["Location"])
    assert followed.status_code == 200


@pytest.mark.parametrize("path", [
    "/dataset/no-such-dataset", f"/dataset/{RATES}/resource/no-such-resource",
    f"/dataset/councils/resource/{RATES_RESOURCE}", "/organization/someone-else",
    "/organization/wales-audit-office", "/group/no-such-group",
])
def test_unknown_ckan_web_paths_are_translated_404_pages(client, path):
    response = client.get(path, headers={"Accept-Language": "cy"})
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert 'lang="cy"' in response.get_data(as_text=True)


# -- /datastore/dump ---------------------------------------------------------------------

def test_dump_csv_is_the_published_file(client):
    published = client.get(f"/datasets/{RATES}/response-rates.csv").data
    dumped = client.get(f"/datastore/dump/{RATES_RESOURCE}")
    assert dumped.status_code == 200 and dumped.data == published
    assert client.get(f"/datastore/dump/{RATES}.response-rates?format=csv").data == published
    excel = client.get(f"/datastore/dump/{RATES_RESOURCE}?bom=true")
    assert excel.data.startswith("\ufeff".encode()) and excel.data[3:].startswith(published.split(b"\n")[0])


def test_dump_formats_in_ckans_shapes(client):
    tsv = client.get(f"/datastore/dump/{COUNCILS_RESOURCE}?format=tsv")
    assert tsv.status_code == 200 and tsv.mimetype == "text/tab-separated-values"
    rows = list(csv.reader(io.StringIO(tsv.get_data(as_text=True)), delimiter="\t"))
    assert rows[0] == ["_id", "gss_code", "name_en", "name_cy", "slug"] and len(rows) == 23
    assert rows[1][:3] == ["1", "W06000001", "Isle of Anglesey"] and rows[1][3] == "Ynys Môn"
    dumped = client.get(f"/datastore/dump/{COUNCILS_RESOURCE}?format=json&limit=2&offset=1")
    body = json.loads(dumped.data)
    assert [f["id"] for f in body["fields"]] == ["_id", "gss_code", "name_en", "name_cy", "slug"]
    assert [record[:2] for record in body["records"]] == [[2, "W06000002"], [3, "W06000003"]]
    xml = client.get(f"/datastore/dump/{COUNCILS_RESOURCE}?format=xml&sort=_id desc&limit=1&bom=1")
    assert xml.data.startswith("\ufeff".encode())
    root = ElementTree.fromstring(xml.data.decode("utf-8-sig"))
    [row] = root.findall("row")
    assert row.get("_id") == "22" and row.find("slug").text == "merthyr-tydfil"
    chosen = client.get(f'/datastore/dump/{COUNCILS_RESOURCE}?format=csv&q=gwynedd&fields=gss_code,name_en')
    assert chosen.get_data(as_text=True).splitlines() == ["_id,gss_code,name_en", "2,W06000002,Gwynedd"]
    filtered = client.get(f'/datastore/dump/{RATES_RESOURCE}?format=json&filters={{"recipient_group":"officer"}}')
    assert len(json.loads(filtered.data)["records"]) == 1


def test_dump_streams(client):
    response = client.get(f"/datastore/dump/{COUNCILS_RESOURCE}?format=json")
    assert response.is_streamed


@pytest.mark.parametrize(("query", "parameter"), [
    ("format=pdf", "format"), ("format=xlsx", "format"), ("limit=abc", "limit"), ("offset=-1", "offset"),
    ("bom=perhaps", "bom"), ("filters={not json", "filters"), ('filters={"colour":"red"}', "filters"),
    ("sort=colour", "sort"), ("fields=colour", "fields"), ("format=csv&format=tsv", "format"),
    ("distinct=true", "distinct"),
])
def test_bad_dump_parameters_are_400s_naming_them(client, query, parameter):
    response = client.get(f"/datastore/dump/{COUNCILS_RESOURCE}?{query}")
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert response.json["detail"].startswith(f"{parameter}:"), response.json


def test_dump_of_an_unknown_resource_is_a_404(client):
    response = client.get("/datastore/dump/no-such-resource")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    assert client.get(f"/datastore/dump/{json_resource_id(RATES, 'response-rates')}").status_code == 404
    assert resource_id(RATES, "response-rates") == RATES_RESOURCE
