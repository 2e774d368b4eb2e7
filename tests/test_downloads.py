"""Every download URL, for the latest and a pinned version, checked with
frictionless itself where it is a package."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import requests
from frictionless import Package

from portal.config import DATASETS_PATH

PACKAGES = sorted(p.parent.name for p in DATASETS_PATH.glob("*/datapackage.json"))


def source(name: str) -> dict:
    return json.loads((DATASETS_PATH / name / "datapackage.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", PACKAGES)
@pytest.mark.parametrize("prefix", ["", "/versions/1"])
def test_descriptor(client, name, prefix):
    response = client.get(f"/datasets/{name}{prefix}/datapackage.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert f'filename="{name}-v1-datapackage.json"' in response.headers["Content-Disposition"]
    descriptor = response.get_json()
    assert descriptor["name"] == name
    assert descriptor["version"] == "1"
    assert descriptor["translations"]["cy"]["title"] == source(name)["translations"]["cy"]["title"]
    for resource in descriptor["resources"]:
        assert resource["path"] == f"http://localhost/datasets/{name}/versions/1/{resource['name']}.csv"
        assert resource["hash"].startswith("sha256:")
        csv_bytes = client.get(resource["path"].removeprefix("http://localhost")).data
        assert resource["bytes"] == len(csv_bytes)


@pytest.mark.parametrize("name", PACKAGES)
def test_csv_and_json_of_every_resource(client, name):
    for resource in source(name)["resources"]:
        original = (DATASETS_PATH / name / resource["path"]).read_bytes()
        for prefix in ("", "/versions/1"):
            response = client.get(f"/datasets/{name}{prefix}/{resource['name']}.csv")
            assert response.status_code == 200
            assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
            stem = name if resource["name"] == name else f"{name}-{resource['name']}"
            assert response.headers["Content-Disposition"] == f'attachment; filename="{stem}-v1.csv"'
            assert response.data == original

            response = client.get(f"/datasets/{name}{prefix}/{resource['name']}.json")
            assert response.status_code == 200
            assert response.mimetype == "application/json"
            assert response.headers["Content-Disposition"] == f'attachment; filename="{stem}-v1.json"'
            rows = response.get_json()
            table = list(csv.DictReader(io.StringIO(original.decode("utf-8"))))
            assert len(rows) == len(table)
            names = [f["name"] for f in resource["schema"]["fields"]]
            assert all(list(row) == names for row in rows)


def test_json_values_are_typed(client):
    rows = client.get("/datasets/data-tool-response-rates/response-rates.json").get_json()
    officers = next(r for r in rows if r["recipient_group"] == "officer")
    assert officers["invited"] == 76 and isinstance(officers["invited"], int)
    assert officers["percentage_responded"] == 50
    assert officers["recipient_group_cy"] == "Swyddogion"


@pytest.mark.parametrize("name", PACKAGES)
def test_zip_is_a_valid_package(client, name, tmp_path):
    for url in (f"/datasets/{name}.zip", f"/datasets/{name}/versions/1/{name}.zip"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.mimetype == "application/zip"
        assert response.headers["Content-Disposition"] == f'attachment; filename="{name}-v1.zip"'
        archive = zipfile.ZipFile(io.BytesIO(response.data))
        expected = {"datapackage.json"} | {f"{r['name']}.csv" for r in source(name)["resources"]}
        assert set(archive.namelist()) == expected
        folder = tmp_path / url.replace("/", "_")
        archive.extractall(folder)
        report = Package(str(folder / "datapackage.json")).validate()
        assert report.valid, report.flatten(["type", "message"])
    # the same version always gives the same bytes
    assert client.get(f"/datasets/{name}.zip").data == client.get(f"/datasets/{name}.zip").data


@pytest.mark.live
@pytest.mark.parametrize("name", PACKAGES + ["maturity-scores", "response-rates"])
def test_frictionless_validates_the_served_descriptor_url(live_server, name):
    """`frictionless validate http://.../datapackage.json`, the real command."""
    command = Path(sys.executable).with_name("frictionless")
    for url in (f"{live_server}/datasets/{name}/datapackage.json",
                f"{live_server}/datasets/{name}/versions/1/datapackage.json"):
        result = subprocess.run([str(command), "validate", "--json", url],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        report = json.loads(result.stdout)
        assert report["valid"] is True
        assert len(report["tasks"]) == len(requests.get(url, timeout=30).json()["resources"])


@pytest.mark.parametrize("url, detail", [
    ("/datasets/no-such-dataset/datapackage.json", "No dataset named 'no-such-dataset'"),
    ("/datasets/no-such-dataset/thing.csv", "No dataset named 'no-such-dataset'"),
    ("/datasets/no-such-dataset.zip", "No dataset named 'no-such-dataset'"),
    ("/datasets/councils/no-such-resource.csv", "has no resource 'no-such-resource'"),
    ("/datasets/councils/councils.xls", "Unknown format 'xls'"),
    ("/datasets/councils/versions/99/datapackage.json", "has no version 99"),
    ("/datasets/councils/versions/99/councils.csv", "has no version 99"),
    ("/datasets/councils/versions/1/other.zip", "The archive of version 1 is councils.zip"),
    ("/datasets/councils/versions/one/councils.csv", "not found"),
    ("/datasets/councils/versions/-1/councils.csv", "not found"),
    ("/datasets/councils/a/b/c", "not found"),
])
def test_unknown_download_urls_answer_json_404(client, url, detail):
    response = client.get(url)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == 404
    assert detail.lower() in problem["detail"].lower()


def test_downloads_allow_any_origin(client):
    response = client.get("/datasets/councils/councils.csv")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
