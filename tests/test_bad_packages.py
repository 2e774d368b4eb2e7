"""`validate` and `load` reject bad packages with file, row, field and reason,
and publish nothing."""
from __future__ import annotations

import os

import pytest

from tests.helpers import copy_datasets, read_descriptor, replace_in, snapshot, write_descriptor
from tests.synthetic import FIELDS, write_package

RATES = "data-tool-response-rates"
FRAMEWORK = "maturity-framework"


@pytest.fixture
def packages(tmp_path):
    return copy_datasets(tmp_path)


def run(runner, command: str, path) -> tuple[int, str]:
    result = runner.invoke(args=["portal", command, str(path)])
    return result.exit_code, result.output


def assert_rejected(runner, db, path, *expected: str) -> None:
    """Both validate and load refuse ``path`` naming each ``expected`` text,
    and the database is exactly as before."""
    before = snapshot(db)
    for command in ("validate", "load"):
        code, output = run(runner, command, path)
        assert code != 0, output
        for text in expected:
            assert text in output, f"{text!r} missing from {command} output:\n{output}"
    assert snapshot(db) == before


def test_missing_descriptor(runner, loaded, packages):
    folder = packages / RATES
    (folder / "datapackage.json").unlink()
    assert_rejected(runner, loaded, folder, "no datapackage.json found")


def test_malformed_descriptor(runner, loaded, packages):
    folder = packages / RATES
    (folder / "datapackage.json").write_text('{"name": "data-tool-response-rates",\n  "title": }',
                                             encoding="utf-8")
    assert_rejected(runner, loaded, folder, "datapackage.json", "malformed JSON", "line 2")


def test_descriptor_not_an_object(runner, loaded, packages):
    folder = packages / RATES
    (folder / "datapackage.json").write_text("[]", encoding="utf-8")
    assert_rejected(runner, loaded, folder, "must be a JSON object")


def test_wrong_type(runner, loaded, packages):
    folder = packages / RATES
    replace_in(folder / "response-rates.csv", ",76,38,50", ",seventy-six,38,50")
    assert_rejected(runner, loaded, folder, "response-rates.csv", "row 2", "field invited",
                    "Type Error")


def test_missing_column(runner, loaded, packages):
    folder = packages / RATES
    csv = folder / "response-rates.csv"
    lines = csv.read_text(encoding="utf-8").splitlines()
    csv.write_text("\n".join(line.rsplit(",", 1)[0] for line in lines) + "\n", encoding="utf-8")
    assert_rejected(runner, loaded, folder, "response-rates.csv", "field percentage_responded",
                    "Missing Label")


def test_duplicate_primary_key(runner, loaded, packages):
    folder = packages / RATES
    replace_in(folder / "response-rates.csv", "W06000012,elected_member", "W06000012,officer")
    assert_rejected(runner, loaded, folder, "response-rates.csv", "row 3", "PrimaryKey Error",
                    "the same as in the row at position 2")


def test_broken_foreign_key_inside_package(runner, loaded, packages):
    folder = packages / FRAMEWORK
    replace_in(folder / "levels.csv", "open-data,3", "open-datum,3")
    assert_rejected(runner, loaded, folder, "levels.csv", "row 22", "ForeignKey Error", "open-datum")


def test_broken_reference_to_another_package(runner, loaded, packages):
    folder = packages / RATES
    replace_in(folder / "response-rates.csv", "W06000012", "W06000007")
    assert_rejected(runner, loaded, folder, "response-rates.csv", "row 2", "field council_code",
                    '"W06000007" is not a gss_code in councils/councils/gss_code')


def test_wrong_encoding(runner, loaded, packages):
    folder = packages / "councils"
    csv = folder / "councils.csv"
    csv.write_bytes(csv.read_text(encoding="utf-8").encode("latin-1"))
    assert_rejected(runner, loaded, folder, "councils.csv", "not valid UTF-8", "byte 0xF4")


@pytest.mark.parametrize("path", ["../councils/councils.csv", "/etc/passwd",
                                  "https://example.org/x.csv", "..\\x.csv"])
def test_path_escaping_the_package(runner, loaded, packages, path):
    folder = packages / RATES
    descriptor = read_descriptor(folder)
    descriptor["resources"][0]["path"] = path
    write_descriptor(folder, descriptor)
    assert_rejected(runner, loaded, folder, "escapes the package folder")


def test_path_escaping_through_a_link(runner, loaded, packages):
    folder = packages / RATES
    (folder / "response-rates.csv").unlink()
    os.symlink(packages / "councils" / "councils.csv", folder / "response-rates.csv")
    assert_rejected(runner, loaded, folder, "response-rates.csv", "escapes the package folder")


def test_missing_welsh_metadata(runner, loaded, packages):
    folder = packages / RATES
    descriptor = read_descriptor(folder)
    del descriptor["translations"]["cy"]["title"]
    del descriptor["resources"][0]["schema"]["fields"][1]["translations"]["cy"]["description"]
    write_descriptor(folder, descriptor)
    assert_rejected(runner, loaded, folder, "package.translations.cy.title: a Welsh text is required",
                    "translations.cy.description: a Welsh text is required")


def test_one_bad_package_in_a_folder_publishes_none(runner, app, db, packages):
    replace_in(packages / RATES / "response-rates.csv", ",76,38,50", ",x,38,50")
    before = snapshot(db)
    code, output = run(runner, "load", packages)
    assert code != 0
    assert "councils: valid, not published because another package is invalid" in output
    assert "field invited" in output
    assert snapshot(db) == before == {"datasets": 0, "versions": [], "resources": [], "rows": 0,
                                      "artefacts": [], "tables": []}


def test_validate_reports_a_valid_package(runner, loaded, packages):
    code, output = run(runner, "validate", packages / RATES)
    assert code == 0, output
    assert "valid (response-rates)" in output


def test_path_that_does_not_exist(runner):
    result = runner.invoke(args=["portal", "load", "/no/such/folder"])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_load_needs_both_changelog_languages(runner, packages):
    result = runner.invoke(args=["portal", "load", str(packages / "councils"), "--changelog-en", "Fixed"])
    assert result.exit_code == 2
    assert "both languages" in result.output


# -- values the database or the API cannot hold ----------------------------------------------

def good_row(**cells: str) -> list[str]:
    row = {"code": "R2", "place": "Powys", "amount": "5", "share": "1.5", "day": "2018-01-01",
           "flag": "true", "note": "x", **cells}
    return [row[f["name"]] for f in FIELDS]


def synthetic(folder, data, plain: bool = True):
    """A small synthetic package; ``plain=False`` gives its number fields an
    option, so that the load types them with frictionless rather than with
    the plain converters."""
    fields = FIELDS if plain else [dict(f, bareNumber=True) if f["type"] in ("integer", "number") else f
                                   for f in FIELDS]
    return write_package(folder, "hostile", 0, fields=fields, data=data)


@pytest.fixture
def published_v1(runner, app, db, tmp_path):
    """Version 1 of the package, published and served."""
    folder = synthetic(tmp_path / "hostile", [good_row(code="R1"), good_row()])
    result = runner.invoke(args=["portal", "load", str(folder)])
    assert result.exit_code == 0, result.output
    client = app.test_client()
    return folder, client, client.get("/datasets/hostile/table.csv").data


@pytest.mark.parametrize("plain", [True, False], ids=["plain", "frictionless"])
@pytest.mark.parametrize("name, cell, message", [
    ("share", "NaN", "NaN is not a finite number"),
    ("share", "nan", "nan is not a finite number"),
    ("share", "-INF", "-INF is not a finite number"),
    ("share", "Infinity", "Infinity is not a finite number"),
    ("share", "sNaN", "sNaN is not a finite number"),
    ("share", "1e400", "1e400 is not a finite number"),
    ("amount", "12345678901234567890123456", "12345678901234567890123456 is beyond a 64-bit integer"),
    ("amount", "-9223372036854775809", "-9223372036854775809 is beyond a 64-bit integer"),
    ("note", "a\x00b", "the cell holds a NUL character, which the database cannot store"),
    ("place", "\x00", "the cell holds a NUL character, which the database cannot store"),
])
def test_values_the_store_cannot_hold(runner, db, published_v1, plain, name, cell, message):
    """Refused by validate and by load, naming file, row and field, whichever
    way the load would read the file; version 1 is still served, sorted and
    filtered, as before."""
    folder, client, v1_csv = published_v1
    synthetic(folder, [good_row(code="R1"), good_row(**{name: cell})], plain)
    assert_rejected(runner, db, folder, f"table.csv, row 3, field {name}: ", message)
    assert client.get("/datasets/hostile/table.csv").data == v1_csv
    rows = client.get(f"/api/v1/datasets/hostile/resources/table/rows?sort=-{name},code&code__not=R9")
    assert rows.status_code == 200 and [r["code"] for r in rows.get_json()["rows"]] == ["R1", "R2"]


@pytest.mark.parametrize("field_type, good, bad", [("object", '{"a": 1}', '{"a": NaN}'),
                                                    ("array", "[1, 2]", "[1, -Infinity]")])
def test_a_number_json_cannot_carry_in_an_object_or_array(runner, db, tmp_path, field_type, good, bad):
    fields = FIELDS + [{"name": "extra", "type": field_type}]
    folder = write_package(tmp_path / "p", "objects", 0, fields=fields,
                           data=[good_row() + [good], good_row() + [bad]])
    assert_rejected(runner, db, folder, "table.csv, row 3, field extra: ", "holds a value JSON cannot carry")


@pytest.mark.parametrize("descriptor, message", [
    ('"title": "Synthetic\\u0000 table"', "datapackage.json: title: holds a NUL character"),
    ('"title\\u0000": "x"', "holds a NUL character"),
    ('"title": "\\ud800"', "title: holds a lone surrogate"),
    ('"x": NaN', "malformed JSON: NaN is not a JSON number"),
    ('"x": -Infinity', "malformed JSON: -Infinity is not a JSON number"),
])
def test_descriptor_values_the_database_cannot_hold(runner, db, tmp_path, descriptor, message):
    folder = write_package(tmp_path / "p", "descriptor", 0, data=[good_row()])
    text = (folder / "datapackage.json").read_text(encoding="utf-8").rstrip()
    (folder / "datapackage.json").write_text(f"{text[:-1]}, {descriptor}}}", encoding="utf-8")
    assert_rejected(runner, db, folder, message)


@pytest.mark.parametrize("key, value, message", [
    ("temporal", {"start": "2018-12-31", "end": "2018-01-01"}, "temporal: must be"),
    ("temporal", {"start": "2018"}, "temporal: must be"),
    ("temporal", "2018", "temporal: must be"),
    ("spatial", [{"code": "Neath", "title": "Neath Port Talbot",
                  "translations": {"cy": {"title": "Castell-nedd Port Talbot"}}}], "spatial: must be"),
    ("spatial", [{"code": "W06000012", "title": "Neath Port Talbot"}], "translations.cy.title"),
    ("spatial", [{"code": "W06000012", "title": "Neath Port Talbot", "bbox": [1, 2],
                  "translations": {"cy": {"title": "Castell-nedd Port Talbot"}}}], "bbox: 4 numbers"),
    ("spatial", [], "spatial: must be"),
])
def test_bad_coverage(runner, loaded, packages, key, value, message):
    """The period and places a package covers (DCAT's temporal and spatial)."""
    folder = packages / RATES
    descriptor = read_descriptor(folder)
    descriptor[key] = value
    write_descriptor(folder, descriptor)
    assert_rejected(runner, loaded, folder, message)
