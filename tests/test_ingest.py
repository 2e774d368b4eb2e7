"""From raw responses to published, anonymised packages: the demonstration
data, the published packages, and every kind of bad input."""
from __future__ import annotations

import csv
import filecmp
import io
import json
import zipfile

import pytest
from frictionless import Package
from sqlalchemy import select, text

from portal import queries
from portal.config import DATASETS_PATH
from portal.ingest import demo
from portal.ingest.aggregate import Cell, Rate, Response, maturity_cells, response_rates
from portal.ingest.service import ingest_responses
from portal.model import Artefact, DatasetVersion, Resource
from tests.helpers import snapshot

DEMO = DATASETS_PATH / "demonstration-responses"
RESPONSES, INVITATIONS = DEMO / "responses.csv", DEMO / "invitations.csv"
NPT = "W06000012"


def write_csv(path, rows):
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    return path


def ingest_cli(runner, responses=RESPONSES, invitations=INVITATIONS, *options):
    return runner.invoke(args=["portal", "ingest-responses", str(responses), str(invitations), *options])


@pytest.fixture
def demo_published(runner, loaded):
    result = ingest_cli(runner, RESPONSES, INVITATIONS, "--demo")
    assert result.exit_code == 0, result.output
    return loaded


# -- demonstration data -------------------------------------------------------

def test_demonstration_data_is_reproducible(tmp_path):
    demo.write(tmp_path)
    assert filecmp.cmp(tmp_path / "responses.csv", RESPONSES, shallow=False)
    assert filecmp.cmp(tmp_path / "invitations.csv", INVITATIONS, shallow=False)


def test_demonstration_data_covers_all_councils_and_reuses_none_of_the_reports_counts():
    with INVITATIONS.open(encoding="utf-8") as handle:
        invitations = {(r["council_code"], r["group"]): int(r["invited"]) for r in csv.DictReader(handle)}
    assert len({council for council, _ in invitations}) == 22
    with RESPONSES.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    officers = {r["respondent_id"] for r in rows if r["council_code"] == NPT and r["group"] == "officer"}
    members = {r["respondent_id"] for r in rows if r["council_code"] == NPT and r["group"] == "elected_member"}
    # the report's Neath Port Talbot figures are real: 76 / 38 officers, 63 / 19 members, 139 / 57
    # in all; the synthetic set repeats none of them
    synthetic = {invitations[(NPT, "officer")], invitations[(NPT, "elected_member")], len(officers), len(members),
                 invitations[(NPT, "officer")] + invitations[(NPT, "elected_member")], len(officers) + len(members)}
    assert not synthetic & {76, 38, 63, 19, 139, 57}
    levels = [int(r["level"]) for r in rows]
    assert set(levels) == {1, 2, 3}
    assert sum(level <= 2 for level in levels) / len(levels) > 0.75  # most at levels 1 and 2


def test_one_councils_demonstration_data_does_not_depend_on_the_others(tmp_path):
    """Each council is drawn from its own stream: without the others, its
    rows are the same."""
    councils = tmp_path / "councils"
    councils.mkdir()
    with (DATASETS_PATH / "councils" / "councils.csv").open(encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    (councils / "councils.csv").write_text("\n".join([lines[0], *[line for line in lines if line.startswith(NPT)]])
                                           + "\n", encoding="utf-8")
    (tmp_path / "maturity-framework").symlink_to(DATASETS_PATH / "maturity-framework")
    alone, invited_alone = demo.generate(datasets=tmp_path)
    everyone, invited = demo.generate()
    assert alone[1:] == [row for row in everyone[1:] if row[1] == NPT]
    assert invited_alone[1:] == [row for row in invited[1:] if row[0] == NPT]


def test_ingest_publishes_both_packages_with_synthetic_rates(runner, loaded, client):
    result = ingest_cli(runner, RESPONSES, INVITATIONS, "--demo")
    assert result.exit_code == 0, result.output
    with RESPONSES.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert f"Read {len(rows)} response rows from {len({r['respondent_id'] for r in rows})} respondents." \
        in result.output
    assert "suppressed by the primary rule (fewer than 10 respondents)" in result.output
    assert "maturity-scores: published version 1" in result.output
    assert "response-rates: published version 1" in result.output
    loaded.rollback()
    rates = {(r["area_code"], r["recipient_group"]): (r["invited"], r["responded"], r["percentage_responded"])
             for r in queries.dataset_rows(loaded, "response-rates", "response-rates")}
    with INVITATIONS.open(encoding="utf-8") as handle:
        invited = {(r["council_code"], r["group"]): int(r["invited"]) for r in csv.DictReader(handle)}
    for group in ("officer", "elected_member"):
        responded = len({r["respondent_id"] for r in rows
                         if r["council_code"] == NPT and r["group"] == group})
        assert rates[(NPT, group)][:2] == (invited[(NPT, group)], responded)
    # none of them the real, reported figures
    reported = {(r["council_code"], r["recipient_group"]): (r["invited"], r["responded"], r["percentage_responded"])
                for r in queries.dataset_rows(loaded, "data-tool-response-rates", "response-rates")}
    assert reported and all(rates[key] != value for key, value in reported.items())


def test_published_packages_validate_and_carry_their_rationale(demo_published, app, tmp_path):
    client = app.test_client()
    for name in ("maturity-scores", "response-rates"):
        response = client.get(f"/datasets/{name}.zip")
        folder = tmp_path / name
        zipfile.ZipFile(io.BytesIO(response.data)).extractall(folder)
        report = Package(str(folder / "datapackage.json")).validate()
        assert report.valid, report.flatten(["rowNumber", "fieldName", "message"])
        descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
        assert descriptor["demonstration"] is True
        assert descriptor["description"].startswith("DEMONSTRATION DATA")
        assert descriptor["translations"]["cy"]["description"].startswith("DATA ENGHREIFFTIOL")
        assert any("Wales Audit Office" in source["title"] for source in descriptor["sources"])
        assert any("Synthetic" in source["title"] for source in descriptor["sources"])
        rows = list(csv.DictReader((folder / f"{descriptor['resources'][0]['name']}.csv").open(encoding="utf-8")))
        assert rows and all(row["demonstration"] == "true" for row in rows)
    scores = json.loads((tmp_path / "maturity-scores" / "datapackage.json").read_text(encoding="utf-8"))
    record = scores["anonymisation"]
    assert record["threshold"] == 10 and record["symbol"] == "[c]"
    assert [rule["name"] for rule in record["rules"]] == ["primary", "secondary"]
    rows = list(csv.DictReader((tmp_path / "maturity-scores" / "scores.csv").open(encoding="utf-8")))
    assert len(rows) == record["cells"] == 23 * 7 * 3
    suppressed = [row for row in rows if row["suppressed"] == "true"]
    assert record["suppressed"] == {
        "primary": sum(row["suppression_reason"] == "primary" for row in suppressed),
        "secondary": sum(row["suppression_reason"] == "secondary" for row in suppressed)}
    assert record["suppressed"]["primary"] > 0 and record["suppressed"]["secondary"] > 0
    assert all(row["respondents"] == "[c]" and row["mean_level"] == "[c]" for row in suppressed)
    assert all(int(row["respondents"]) >= 10 for row in rows if row["suppressed"] == "false")
    assert "scores-v1.csv" in client.get("/datasets/maturity-scores/scores.csv").headers["Content-Disposition"]


def test_suppressed_cells_are_null_with_a_marker_in_json(demo_published, app):
    rows = app.test_client().get("/datasets/maturity-scores/scores.json").get_json()
    suppressed = [row for row in rows if row["suppressed"]]
    assert suppressed
    for row in suppressed:
        assert row["suppression_reason"] in ("primary", "secondary")
        assert row["respondents"] is None and row["level_1_share"] is None and row["median_level"] is None
    published = next(row for row in rows if not row["suppressed"])
    assert isinstance(published["respondents"], int) and isinstance(published["mean_level"], float)


def stored_text(db) -> str:
    """Every row of every resource, every descriptor and every stored file."""
    db.rollback()
    from portal.extensions import store
    stored = [json.dumps(row, ensure_ascii=False) for resource in db.scalars(select(Resource))
              for row in queries.resource_rows(db, resource)]
    stored += [json.dumps(d, ensure_ascii=False) for d in db.scalars(select(DatasetVersion.descriptor))]
    for artefact in db.scalars(select(Artefact)):
        with store().open(artefact.sha256) as handle:
            data = handle.read()
        # zip, XLSX and ODS files are zip archives: read every member
        stored.append("\n".join(zipfile.ZipFile(io.BytesIO(data)).read(n).decode("utf-8")
                                for n in zipfile.ZipFile(io.BytesIO(data)).namelist())
                      if zipfile.is_zipfile(io.BytesIO(data)) else data.decode("utf-8"))
    return "\n".join(stored)


def test_no_respondent_level_data_is_stored(demo_published):
    ids = {row["respondent_id"] for row in csv.DictReader(RESPONSES.open(encoding="utf-8"))}
    db = demo_published
    blob = stored_text(db)
    assert not [rid for rid in ids if rid in blob]
    # no column of any published table is a respondent id
    for resource in db.scalars(select(Resource)):
        assert "respondent_id" not in [f["name"] for f in resource.table_schema["fields"]]
    # and the only tables are the portal's own
    tables = {row[0] for row in db.execute(text(
        "SELECT name FROM sqlite_master WHERE type='table'" if db.bind.dialect.name == "sqlite"
        else "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"))}
    tables = {name for name in tables if not name.startswith(("search_fts", "sqlite_stat"))}
    row_tables = set(db.scalars(select(Resource.table_name)))
    assert {name for name in tables if name.startswith("rows_")} <= row_tables | {
        f"{name}_fts{part}" for name in row_tables for part in ("", "_data", "_idx", "_docsize", "_config")}
    assert {name for name in tables if not name.startswith("rows_")} == {
        "alembic_version", "datasets", "dataset_versions", "resources", "resource_fields", "artefacts",
        "catalog_documents", "withdrawals", "publication_events", "publication_runs",
        "users", "api_tokens", "login_failures", "jobs",
        "search_documents", "dataset_facets"}


def test_ingesting_the_same_responses_again_publishes_nothing(runner, demo_published):
    before = snapshot(demo_published)
    result = ingest_cli(runner, RESPONSES, INVITATIONS, "--demo")
    assert result.exit_code == 0
    assert "maturity-scores: unchanged (version 1 has the same content)" in result.output
    assert snapshot(demo_published) == before


def test_a_new_threshold_makes_a_new_version(runner, demo_published):
    result = ingest_cli(runner, RESPONSES, INVITATIONS, "--demo", "--threshold", "15",
                        "--changelog-en", "Threshold raised to 15.", "--changelog-cy", "Trothwy wedi'i godi i 15.")
    assert result.exit_code == 0, result.output
    assert "maturity-scores: published version 2" in result.output
    assert "response-rates: unchanged" in result.output
    demo_published.rollback()
    latest = queries.latest_version(demo_published, "maturity-scores")
    assert latest.descriptor["anonymisation"]["threshold"] == 15
    assert latest.changelog_cy == "Trothwy wedi'i godi i 15."
    assert queries.get_version(demo_published, "maturity-scores", 1).descriptor["anonymisation"]["threshold"] == 10


def test_dry_run_publishes_nothing(runner, loaded):
    before = snapshot(loaded)
    result = ingest_cli(runner, RESPONSES, INVITATIONS, "--demo", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Dry run: nothing was published." in result.output
    assert snapshot(loaded) == before


def test_if_unpublished_leaves_published_scores_alone(runner, demo_published):
    before = snapshot(demo_published)
    result = ingest_cli(runner, RESPONSES, INVITATIONS, "--threshold", "20", "--if-unpublished")
    assert result.exit_code == 0
    assert "already published; nothing to do" in result.output
    assert snapshot(demo_published) == before


def test_real_data_is_not_labelled_demonstration(runner, loaded, tmp_path):
    result = ingest_cli(runner, RESPONSES, INVITATIONS)
    assert result.exit_code == 0, result.output
    loaded.rollback()
    version = queries.latest_version(loaded, "maturity-scores")
    assert version.demonstration is False and "DEMONSTRATION" not in version.description_en
    assert all(row["demonstration"] is False for row in queries.resource_rows(loaded, version.resources[0]))


def test_a_failure_midway_leaves_the_published_versions(runner, demo_published, monkeypatch):
    from portal.publish import service
    original = service._add_resource
    calls = []

    def fail_on_second_package(session, version, *args):
        calls.append(version)
        if len(calls) > 1:
            raise RuntimeError("connection lost")
        return original(session, version, *args)

    monkeypatch.setattr(service, "_add_resource", fail_on_second_package)
    before = snapshot(demo_published)
    with pytest.raises(RuntimeError):
        ingest_responses(demo_published, RESPONSES, INVITATIONS, threshold=3, demonstration=False)
    assert snapshot(demo_published) == before


# -- aggregation, by hand -------------------------------------------------------

def test_cells_and_rates_by_hand():
    responses = [Response("a", "X", "officer", "c", 1), Response("b", "X", "officer", "c", 2),
                 Response("c", "X", "officer", "c", 2), Response("d", "X", "elected_member", "c", 3),
                 Response("d", "X", "elected_member", "e", 1)]
    cells = maturity_cells(responses, ["X"], ["c", "e"])
    officers = cells[("X", "c", "officer")]
    assert officers.counts == (1, 2, 0) and officers.respondents == 3
    assert str(officers.share(2)) == "66.7" and str(officers.mean) == "1.67" and officers.median == 2
    everyone = cells[("X", "c", "all")]
    assert everyone.counts == (1, 2, 1) and everyone.median == 2 and str(everyone.mean) == "2.00"
    assert cells[("W92000004", "c", "all")].counts == (1, 2, 1)
    assert cells[("X", "e", "officer")].respondents == 0 and cells[("X", "e", "officer")].mean is None
    assert Cell("X", "c", "all", (1, 0, 1)).median == 2  # (1 + 3) / 2
    rates = {(r.area_code, r.group): r for r in response_rates(responses, {("X", "officer"): 8,
                                                                           ("X", "elected_member"): 4}, ["X"])}
    assert rates[("X", "officer")].responded == 3 and rates[("X", "officer")].percentage == 38  # 37.5 -> 38
    assert rates[("X", "elected_member")].percentage == 25
    assert rates[("X", "total")].invited == 12 and rates[("X", "total")].percentage == 33
    assert rates[("W92000004", "total")].responded == 4


@pytest.mark.parametrize("responded, invited, expected", [(19, 63, 30), (38, 76, 50), (57, 139, 41),
                                                          (1, 8, 13), (1, 40, 3), (0, 5, 0), (0, 0, None)])
def test_percentages_round_half_up(responded, invited, expected):
    assert Rate("X", "officer", invited, responded).percentage == expected


# -- bad input -------------------------------------------------------------------------

HEADER = ["respondent_id", "council_code", "group", "characteristic_id", "level"]
GOOD = [["r1", NPT, "officer", "leadership", "2"], ["r2", NPT, "officer", "leadership", "1"],
        ["r3", NPT, "elected_member", "open-data", "3"]]
INVITED = [["council_code", "group", "invited"], [NPT, "officer", "76"], [NPT, "elected_member", "63"]]


@pytest.mark.parametrize("rows, invitations, expected", [
    ([[*GOOD[0]], ["r9", "W06000099", "officer", "leadership", "2"]], INVITED,
     ["responses.csv, row 3, field council_code", '"W06000099" is not a gss_code in councils/councils/gss_code']),
    ([GOOD[0], ["r9", NPT, "chief_executive", "leadership", "2"]], INVITED,
     ["responses.csv, row 3, field group", "Constraint Error", "enum"]),
    ([GOOD[0], ["r9", NPT, "officer", "open-datum", "2"]], INVITED,
     ["responses.csv, row 3, field characteristic_id",
      '"open-datum" is not a id in maturity-framework/characteristics/id']),
    ([GOOD[0], ["r9", NPT, "officer", "leadership", "4"]], INVITED,
     ["responses.csv, row 3, field level", 'constraint "maximum" is "3"']),
    ([GOOD[0], ["r9", NPT, "officer", "leadership", "0"]], INVITED,
     ["responses.csv, row 3, field level", 'constraint "minimum" is "1"']),
    ([GOOD[0], ["r9", NPT, "officer", "leadership", "two"]], INVITED,
     ["responses.csv, row 3, field level", "Type Error"]),
    ([*GOOD, ["r1", NPT, "officer", "leadership", "3"]], INVITED,
     ["responses.csv, row 5, field respondent_id + characteristic_id",
      "the same respondent_id and characteristic_id as an earlier row"]),
    ([*GOOD, ["r1", NPT, "elected_member", "open-data", "3"]], INVITED,
     ["responses.csv, row 5, field council_code + group", "respondent 'r1' is W06000012 officer at row 2"]),
    (GOOD, INVITED[:2],
     ["invitations.csv, field council_code + group",
      "missing invitations row for council W06000012, group elected_member"]),
    (GOOD, [INVITED[0], [NPT, "officer", "-1"], INVITED[2]],
     ["invitations.csv, row 2, field invited", 'constraint "minimum" is "0"']),
    (GOOD, [INVITED[0], [NPT, "officer", "76"], [NPT, "officer", "70"]],
     ["invitations.csv, row 3", "the same council_code and group as an earlier row"]),
    ([], INVITED, ["responses.csv", "the file has a header but no data rows"]),
])
def test_bad_input_is_rejected_with_its_reason_and_changes_nothing(runner, demo_published, tmp_path,
                                                                   rows, invitations, expected):
    responses = write_csv(tmp_path / "responses.csv", [HEADER, *rows])
    invited = write_csv(tmp_path / "invitations.csv", invitations)
    before = snapshot(demo_published)
    result = ingest_cli(runner, responses, invited, "--threshold", "2")
    assert result.exit_code == 1, result.output
    for text_ in expected:
        assert text_ in result.output
    assert "nothing was published" in result.output
    assert snapshot(demo_published) == before


def test_more_respondents_than_invited(runner, demo_published, tmp_path):
    responses = write_csv(tmp_path / "responses.csv", [HEADER, *GOOD])
    invited = write_csv(tmp_path / "invitations.csv", [INVITED[0], [NPT, "officer", "1"], INVITED[2]])
    result = ingest_cli(runner, responses, invited, "--threshold", "2")
    assert result.exit_code == 1
    assert ("invitations.csv, row 2, field invited: 2 respondents for council W06000012, group officer in "
            "responses.csv, but only 1 invited") in result.output


@pytest.mark.parametrize("content, expected", [
    (b"", "responses.csv: the file is empty"),
    (b"\n\n", "responses.csv: the file is empty"),
    ("respondent_id,council_code,group,characteristic_id,level\nr1,W06000012,officer,leadership,2\n"
     "r2,Castell-nedd,officer,leadership,2\n".encode("utf-16"), "not valid UTF-8"),
    ("respondent_id,council_code,group,characteristic_id,level\nr1,W06000012,officer,leadership,2\n"
     "Siân,W06000012,officer,open-data,2\n".encode("latin-1"), "responses.csv, row 3: not valid UTF-8"),
    (b"respondent_id,council_code,group,level\nr1,W06000012,officer,2\n",
     "responses.csv, field characteristic_id: missing column 'characteristic_id'"),
])
def test_unreadable_files_are_rejected(runner, demo_published, tmp_path, content, expected):
    responses = tmp_path / "responses.csv"
    responses.write_bytes(content)
    invited = write_csv(tmp_path / "invitations.csv", INVITED)
    before = snapshot(demo_published)
    result = ingest_cli(runner, responses, invited)
    assert result.exit_code == 1
    assert expected in result.output
    assert snapshot(demo_published) == before


@pytest.mark.parametrize("threshold", ["1", "0", "-3", "1001"])
def test_threshold_below_two_is_rejected(runner, demo_published, threshold):
    before = snapshot(demo_published)
    result = ingest_cli(runner, RESPONSES, INVITATIONS, "--threshold", threshold)
    assert result.exit_code == 1
    assert "--threshold: the threshold must be a whole number from 2 to 1000" in result.output
    assert snapshot(demo_published) == before


def test_threshold_that_is_not_a_number(runner, loaded):
    result = ingest_cli(runner, RESPONSES, INVITATIONS, "--threshold", "ten")
    assert result.exit_code == 2
    assert "'ten' is not a valid integer" in result.output


def test_extra_columns_are_dropped(runner, loaded, tmp_path):
    rows = [[*HEADER, "comment"]] + [[*row, "free text that must not be published"] for row in GOOD]
    responses = write_csv(tmp_path / "responses.csv", rows)
    invited = write_csv(tmp_path / "invitations.csv", INVITED)
    result = ingest_cli(runner, responses, invited, "--threshold", "2")
    assert result.exit_code == 0, result.output
    assert "dropped columns: comment" in result.output
    loaded.rollback()
    assert "free text" not in stored_text(loaded)
