"""`validate` and `load` reject bad packages with file, row, field and reason,
and publish nothing."""
from __future__ import annotations

import os

import pytest

from tests.helpers import copy_datasets, read_descriptor, replace_in, snapshot, write_descriptor

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
