"""The real packages: valid with stock frictionless, bilingual, and every
figure as the Wales Audit Office report gives it."""
from __future__ import annotations

import csv
import json

import pytest
from frictionless import Package

from portal.config import DATASETS_PATH, PROJECT_ROOT

PACKAGES = sorted(p.parent.name for p in DATASETS_PATH.glob("*/datapackage.json"))
REPORT = "Wales Audit Office (2018) Local government use of data: Neath Port Talbot Council"
OGL = "http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
# The 22 principal councils of Wales (GSS code, English and Welsh name), as
# given to the project with the report.
REFERENCE = PROJECT_ROOT / "tests" / "data" / "councils-reference.csv"


def descriptor(name: str) -> dict:
    return json.loads((DATASETS_PATH / name / "datapackage.json").read_text(encoding="utf-8"))


def rows(name: str, resource: str) -> list[dict]:
    with (DATASETS_PATH / name / f"{resource}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_six_real_packages_are_there():
    assert set(PACKAGES) >= {"councils", "maturity-framework", "data-tool-response-rates",
                             "council-findings", "good-practice-case-studies", "public-attitudes-survey"}


@pytest.mark.parametrize("name", PACKAGES)
def test_package_is_valid_with_stock_frictionless(name):
    report = Package(str(DATASETS_PATH / name / "datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "message"])


@pytest.mark.parametrize("name", PACKAGES)
def test_package_metadata_is_bilingual_licensed_and_sourced(name):
    d = descriptor(name)
    assert d["languages"] == ["en", "cy"]
    assert d["translations"]["cy"]["title"] and d["translations"]["cy"]["description"]
    assert len(d["translations"]["cy"]["keywords"]) == len(d["keywords"])
    assert d["licenses"][0]["name"] == "OGL-UK-3.0" and d["licenses"][0]["path"] == OGL
    assert any(source["title"] == REPORT for source in d["sources"])
    assert d["demonstration"] is False
    for resource in d["resources"]:
        assert resource["translations"]["cy"]["title"] and resource["translations"]["cy"]["description"]
        for field in resource["schema"]["fields"]:
            assert field["description"] and field["translations"]["cy"]["description"], field["name"]
            assert field["title"] and field["translations"]["cy"]["title"], field["name"]
        for row in rows(name, resource["name"]):
            for column, value in row.items():
                if column.endswith("_en"):
                    assert value.strip() and row[column[:-3] + "_cy"].strip(), (resource["name"], column)


def test_councils_match_the_reference_list():
    with REFERENCE.open(encoding="utf-8", newline="") as handle:
        reference = [(r["gss_code"], r["name_en"], r["name_cy"]) for r in csv.DictReader(handle)]
    published = [(r["gss_code"], r["name_en"], r["name_cy"]) for r in rows("councils", "councils")]
    assert published == reference
    assert len(published) == 22
    slugs = {r["name_en"]: r["slug"] for r in rows("councils", "councils")}
    assert slugs["Neath Port Talbot"] == "neath-port-talbot"
    assert slugs["Isle of Anglesey"] == "isle-of-anglesey"


def test_response_rates_are_as_reported():
    table = {(r["council_code"], r["recipient_group"]): (int(r["invited"]), int(r["responded"]),
                                                         int(r["percentage_responded"]))
             for r in rows("data-tool-response-rates", "response-rates")}
    assert table == {
        ("W06000012", "officer"): (76, 38, 50),
        ("W06000012", "elected_member"): (63, 19, 30),
        ("W06000012", "total"): (139, 57, 41),
    }


def test_maturity_framework_has_seven_characteristics_three_levels_four_themes():
    characteristics = rows("maturity-framework", "characteristics")
    assert [c["name_en"] for c in characteristics] == [
        "Leadership", "Corporate Standards", "Integrated customer data", "Data Protection",
        "Data analytics", "Data Driven Decisions", "Open Data"]
    levels = rows("maturity-framework", "levels")
    assert len(levels) == 21
    assert {(r["characteristic_id"], r["level"]) for r in levels} == {
        (c["id"], str(n)) for c in characteristics for n in (1, 2, 3)}
    open_data_3 = next(r for r in levels if r["characteristic_id"] == "open-data" and r["level"] == "3")
    assert "Open Data is made available in real time and a wide range of organisations use the " \
           "information to develop new opportunities." in open_data_3["descriptor_en"]
    assert [t["name_en"] for t in rows("maturity-framework", "themes")] == [
        "Vision, leadership & culture", "Data protection", "Skills & capacity", "Evidence-based decisions"]


def test_findings_cover_the_four_themes_for_neath_port_talbot():
    findings = rows("council-findings", "findings")
    assert {r["council_code"] for r in findings} == {"W06000012"}
    assert {r["theme_id"] for r in findings} == {
        "vision-leadership-culture", "data-protection", "skills-capacity", "evidence-based-decisions"}
    assert any(r["text_en"].startswith("The Authority needs a clear data vision.") for r in findings)


def test_six_case_studies():
    studies = rows("good-practice-case-studies", "case-studies")
    assert [s["id"] for s in studies] == [
        "camden-residents-index", "carmarthenshire-digital-transformation", "digital-flintshire",
        "conwy-denbighshire-psb", "data-mill-north", "london-fire-brigade-dynamic-cover-tool"]
    links = rows("good-practice-case-studies", "case-study-characteristics")
    assert {link["case_study_id"] for link in links} == {s["id"] for s in studies}
    data_mill = next(s for s in studies if s["id"] == "data-mill-north")
    assert "668 events" in data_mill["outcomes_en"] and "£883k" in data_mill["outcomes_en"]


def test_public_attitudes_survey():
    table = {r["measure_id"]: (int(r["percentage"]), int(r["sample_size"]))
             for r in rows("public-attitudes-survey", "survey-results")}
    assert table == {"satisfied-information-used-effectively": (36, 750),
                     "told-use-of-personal-data": (12, 750)}
