"""Spreadsheets of large tables are built after publication, by the worker:
publishing does not wait for them, their URLs say they are coming (503 with
Retry-After), the dataset page says so in both languages, and once built
they are served and the catalogue lists them."""
from __future__ import annotations

import html
import json

from sqlalchemy import select

from portal.model import Artefact, Dataset, DatasetVersion
from tests.conftest import make_app, migrated
from tests.synthetic import write_package
from tests.test_spreadsheets import ods_sheets, xlsx_sheets

LIMIT = 40
SPREADSHEETS = ["table.xlsx", "table.ods", "cy/table.xlsx", "cy/table.ods", "excel/table.csv",
                "excel/cy/table.csv"]


def names(app, dataset: str) -> set[str]:
    """The names of the files built for ``dataset``."""
    with app.app_context():
        from portal.extensions import session
        return set(session().scalars(
            select(Artefact.name).join(DatasetVersion, Artefact.version_id == DatasetVersion.id)
            .join(Dataset, DatasetVersion.dataset_id == Dataset.id).where(Dataset.name == dataset)))


def test_large_tables_spreadsheets_are_built_after_publication_by_the_worker(backend, new_database, tmp_path):
    app = make_app(migrated(new_database(backend)), tmp_path / "instance",
                   SPREADSHEETS_AT_PUBLICATION_MAX_ROWS=LIMIT)
    runner, client = app.test_cli_runner(), app.test_client()
    result = runner.invoke(args=["portal", "load", str(write_package(tmp_path / "big", "big-table", LIMIT + 10))])
    assert result.exit_code == 0, result.output
    assert "big-table/table" in result.output and "built after publication" in result.output
    result = runner.invoke(args=["portal", "load", str(write_package(tmp_path / "small", "small-table", LIMIT))])
    assert result.exit_code == 0 and "built after publication" not in result.output, result.output

    assert not names(app, "big-table") & set(SPREADSHEETS)
    assert set(SPREADSHEETS) <= names(app, "small-table")  # built at publication, as before
    assert {"table.csv", "table.json", "cy/table.csv", "big-table.zip"} <= names(app, "big-table")

    for path in ("/datasets/big-table/table.xlsx", "/datasets/big-table/versions/1/cy/table.ods",
                 "/datasets/big-table/table.csv?bom=1"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert response.headers["Retry-After"] == "120"
        assert response.mimetype == "application/problem+json"
        assert "being built after publication" in response.get_json()["detail"]
    assert client.get("/datasets/big-table/table.csv").status_code == 200  # the rows are published
    assert client.get("/datasets/small-table/table.xlsx").status_code == 200
    english = html.unescape(client.get("/en/datasets/big-table/").get_data(as_text=True))
    welsh = html.unescape(client.get("/cy/datasets/big-table/").get_data(as_text=True))
    assert "Being prepared: large tables' spreadsheets are made after publication" in english
    assert "Wrthi'n cael eu paratoi" in welsh
    assert "table.xlsx" not in english and "table.xlsx" not in welsh
    assert "big-table/versions/1/table.xlsx" not in client.get("/catalog.ttl").get_data(as_text=True)

    result = runner.invoke(args=["portal", "worker", "--once"])
    assert result.exit_code == 0, result.output
    assert result.output.count("built big-table version 1:") == len(SPREADSHEETS)
    assert set(SPREADSHEETS) <= names(app, "big-table")

    workbook = xlsx_sheets(client.get("/datasets/big-table/table.xlsx").data)
    assert sum(len(rows) for rows in workbook.values()) > LIMIT + 10  # every row, and the cover
    assert ods_sheets(client.get("/datasets/big-table/versions/1/cy/table.ods").data)
    assert client.get("/datasets/big-table/table.csv?bom=1").data.startswith(b"\xef\xbb\xbf")
    english = html.unescape(client.get("/en/datasets/big-table/").get_data(as_text=True))
    assert "Being prepared" not in english and "table.xlsx" in english
    assert "big-table/versions/1/table.xlsx" in client.get("/catalog.ttl").get_data(as_text=True)
    # nothing more to build: the worker stops at once
    result = runner.invoke(args=["portal", "worker", "--once"])
    assert result.exit_code == 0 and "built " not in result.output, result.output
    assert json.loads(client.get("/datasets/big-table/datapackage.json").data)["name"] == "big-table"


def test_a_download_the_worker_cannot_build_yet_is_logged_and_tried_again(backend, new_database, tmp_path):
    """The file store fails while the worker builds: the worker says so, keeps
    running, leaves nothing half-built, and builds the files once the store
    is back."""
    app = make_app(migrated(new_database(backend)), tmp_path / "instance",
                   SPREADSHEETS_AT_PUBLICATION_MAX_ROWS=LIMIT)
    runner, client = app.test_cli_runner(), app.test_client()
    result = runner.invoke(args=["portal", "load", str(write_package(tmp_path / "big", "big-table", LIMIT + 10))])
    assert result.exit_code == 0, result.output
    store = tmp_path / "instance" / "artefacts"
    store.rename(tmp_path / "away")
    store.write_text("not a folder")  # every write into the store now fails
    try:
        result = runner.invoke(args=["portal", "worker", "--once"])
    finally:
        store.unlink()
        (tmp_path / "away").rename(store)
    assert result.exit_code == 0, result.output
    assert "worker: could not build a download: NotADirectoryError" in result.output
    assert "built big-table" not in result.output
    assert not names(app, "big-table") & set(SPREADSHEETS)
    assert client.get("/datasets/big-table/table.xlsx").status_code == 503
    assert client.get("/datasets/big-table/table.csv").status_code == 200

    result = runner.invoke(args=["portal", "worker", "--once"])
    assert result.exit_code == 0, result.output
    assert result.output.count("built big-table version 1:") == len(SPREADSHEETS)
    assert client.get("/datasets/big-table/table.xlsx").status_code == 200
