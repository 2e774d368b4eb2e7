"""Spreadsheets and the CSV for Excel, read back with openpyxl and odfpy (the
readers spreadsheet users' tools are built on): every resource, latest and
pinned, in English and Welsh; the Analysis Function's layout; typed numbers;
[c] kept and explained; formula-like text kept as text; long tables split."""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import zipfile

import openpyxl
import pytest
from odf import teletype
from odf.namespaces import OFFICENS, TABLENS
from odf.opendocument import load as load_ods
from odf.table import Table, TableCell, TableRow
from odf.text import P
from sqlalchemy import delete, select

from portal import attribution, queries
from portal.config import DATASETS_PATH
from portal.model import Artefact
from portal.publish import artefacts as built, ods, spreadsheets
from portal.publish.service import load_path
from tests.synthetic import write_package

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
SHEETS = {"en": ["Cover", "Contents", "Notes", "Columns", "Data"],
          "cy": ["Clawr", "Cynnwys", "Nodiadau", "Colofnau", "Data"]}
# The portal's publisher out of the box (the PUBLISHER_* settings), and the report's author.
PORTAL = {"en": "Wales local government data portal", "cy": "Porth data llywodraeth leol Cymru"}
AUDIT_OFFICE = ("Wales Audit Office", "Swyddfa Archwilio Cymru", "audit.wales", "archwilio.cymru")
EXAMPLE = {"PUBLISHER_EN": "Example Council", "PUBLISHER_CY": "Cyngor Enghreifftiol",
           "PUBLISHER_URL": "https://example.wales/", "PUBLISHER_EMAIL": "data@example.wales"}


# -- reading workbooks back -------------------------------------------------------------------

def xlsx_sheets(data: bytes) -> dict[str, list[list]]:
    """Each worksheet's rows of cell values, as openpyxl reads them."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    for sheet in book:
        assert not sheet.merged_cells.ranges, sheet.title
    return {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book}


def ods_sheets(data: bytes) -> dict[str, list[list]]:
    """Each worksheet's rows of typed values, as odfpy reads them: numbers as
    float, booleans as bool, dates as date, text as str, empty as None."""
    document = load_ods(io.BytesIO(data))
    sheets = {}
    for table in document.spreadsheet.getElementsByType(Table):
        rows = []
        for row in table.getElementsByType(TableRow):
            cells = []
            for cell in row.getElementsByType(TableCell):
                assert not cell.getAttrNS(TABLENS, "formula")
                assert not cell.getAttrNS(TABLENS, "number-columns-spanned")  # no merged cells
                kind = cell.getAttrNS(OFFICENS, "value-type")
                if kind == "float":
                    cells.append(float(cell.getAttrNS(OFFICENS, "value")))
                elif kind == "boolean":
                    cells.append(cell.getAttrNS(OFFICENS, "boolean-value") == "true")
                elif kind == "date":
                    cells.append(dt.date.fromisoformat(cell.getAttrNS(OFFICENS, "date-value")))
                elif kind == "string":
                    cells.append("\n".join(teletype.extractText(p) for p in cell.getElementsByType(P)))
                else:
                    assert kind is None
                    cells.append(None)
            rows.append(cells)
        sheets[table.getAttrNS(TABLENS, "name")] = rows
    return sheets


def read(fmt: str, data: bytes) -> dict[str, list[list]]:
    return xlsx_sheets(data) if fmt == "xlsx" else ods_sheets(data)


def as_csv(value) -> str:
    """A cell's value as the CSV writes it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def padded(row: list, width: int) -> list[str]:
    """A row as the CSV writes it, with the empty cells at its end."""
    return [as_csv(value) for value in row] + [""] * (width - len(row))


def table(rows: list[list]) -> tuple[str, list, list[list]]:
    """A table sheet's title (A1), header row (row 3) and rows, trailing empty cells dropped."""
    def trimmed(row):
        row = list(row)
        while row and row[-1] is None:
            row.pop()
        return row
    return rows[0][0], trimmed(rows[2]), [trimmed(row) for row in rows[3:]]


def cover(rows: list[list]) -> dict:
    return {row[0]: row[1] for row in rows[2:]}


def csv_rows(client, url: str) -> list[list[str]]:
    response = client.get(url)
    assert response.status_code == 200, url
    return list(csv.reader(io.StringIO(response.get_data(as_text=True), newline="")))


def published(app) -> list[tuple[str, int, str]]:
    """(dataset, version, resource) of every published resource."""
    with app.app_context():
        from portal.extensions import session
        return [(version.dataset.name, version.number, resource.name)
                for version in queries.latest_versions(session()) for resource in version.resources]


def get(client, url: str, mediatype: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, (url, response.get_data(as_text=True)[:300])
    assert response.mimetype == mediatype
    assert response.headers["ETag"].strip('"') == hashlib.sha256(response.data).hexdigest()
    return response.data


# -- every resource, latest and pinned, both languages -------------------------------------------

@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_every_resource_has_a_workbook_in_each_language_holding_the_welsh_csv_values(
        published_app, client, fmt):
    resources = published(published_app)
    assert len(resources) == 11
    for name, number, resource in resources:
        welsh_csv = csv_rows(client, f"/datasets/{name}/cy/{resource}.csv")
        for lang, prefix in (("en", ""), ("cy", "cy/")):
            latest = get(client, f"/datasets/{name}/{prefix}{resource}.{fmt}", XLSX if fmt == "xlsx" else ODS)
            pinned = get(client, f"/datasets/{name}/versions/{number}/{prefix}{resource}.{fmt}",
                         XLSX if fmt == "xlsx" else ODS)
            assert latest == pinned
            sheets = read(fmt, latest)
            assert list(sheets) == SHEETS[lang], (name, resource)
            _title, header, rows = table(sheets["Data"])
            if lang == "cy":
                assert header == welsh_csv[0]  # the Welsh field titles
            assert len(header) == len(welsh_csv[0])
            assert [padded(row, len(header)) for row in rows] == welsh_csv[1:]


def test_the_pinned_workbook_is_named_after_its_version(client):
    response = client.get("/datasets/councils/versions/1/cy/councils.ods")
    assert response.headers["Content-Disposition"] == 'attachment; filename="councils-v1-cy.ods"'
    response = client.get("/datasets/councils/councils.xlsx")
    assert response.headers["Content-Disposition"] == 'attachment; filename="councils-v1.xlsx"'
    assert "immutable" in client.get("/datasets/councils/versions/1/councils.xlsx").headers["Cache-Control"]


# -- the Analysis Function's layout ----------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_demonstration_scores_workbook(client, fmt):
    sheets = read(fmt, client.get(f"/datasets/maturity-scores/scores.{fmt}").data)
    fields = cover(sheets["Cover"])
    assert sheets["Cover"][0][0] == ("Data maturity scores of Welsh councils (demonstration data): "
                                     "Maturity scores by area, key characteristic and respondent group")
    for label in ("Source", "Period covered", "Publisher", "Contact", "Licence", "Status"):
        assert fields[label], label
    assert fields["Status"].startswith("Demonstration data: synthetic figures made by this portal")
    assert fields["Source"] == "Synthetic data made by this portal (demonstration data)"
    assert fields["Publisher"] == "Wales local government data portal (demonstration data)"
    assert fields["Contact"] == ("Wales local government data portal: see “Who publishes this site” on the "
                                 "portal's “About and method” page")  # PUBLISHER_EMAIL is not set
    # never credited to the Wales Audit Office
    said = fields["Source"] + fields["Publisher"] + fields["Contact"]
    assert not any(name in said for name in AUDIT_OFFICE)
    assert fields["Period covered"] == "2018"
    assert "Open Government Licence v3.0" in fields["Licence"]

    contents = table(sheets["Contents"])
    assert contents[1] == ["Worksheet", "Title"]
    assert [row[0] for row in contents[2]] == ["Notes", "Columns", "Data"]

    _title, header, notes = table(sheets["Notes"])
    assert header == ["Note number", "Note text"]
    assert [row[0] for row in notes] == list(range(1, len(notes) + 1))
    assert any(row[1].startswith("[c] means confidential") for row in notes)

    title, header, rows = table(sheets["Data"])
    assert title == "Maturity scores by area, key characteristic and respondent group"
    assert sheets["Data"][1][0].startswith("This worksheet contains one table")
    assert header[:3] == ["Area code", "Area name (English)", "Area name (Welsh)"]
    respondents, share = header.index("Respondents"), header.index("Share at level 1 (%)")
    assert all(row for row in rows)  # no blank rows
    values = [row[respondents] for row in rows]
    assert "[c]" in values  # suppressed cells keep their shorthand, as text
    assert all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values if v != "[c]")
    assert any(isinstance(row[share], float) and not row[share].is_integer() for row in rows)
    assert any(row[2] == "Ynys Môn" for row in rows)
    assert all(isinstance(row[header.index("Demonstration data")], bool) for row in rows)


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_real_data_workbook_in_welsh(client, fmt):
    sheets = read(fmt, client.get(f"/datasets/data-tool-response-rates/cy/response-rates.{fmt}").data)
    fields = cover(sheets["Clawr"])
    assert sheets["Clawr"][0][0].startswith("Cyfraddau ymateb i'r offer data")
    # published by the portal's publisher; the source, the report, is the Wales Audit Office's
    assert fields["Cyhoeddwr"] == PORTAL["cy"]
    assert fields["Statws"] == "Data a gyhoeddwyd, fel y'u rhoddir yn y ffynhonnell."
    assert fields["Ffynhonnell"].startswith("Swyddfa Archwilio Cymru (2018) Defnydd llywodraeth leol o ddata")
    assert fields["Cyfnod dan sylw"] == "2018"
    assert "Trwydded Llywodraeth Agored v3.0" in fields["Trwydded"]
    assert fields["Cyswllt"] == ("Porth data llywodraeth leol Cymru: gweler “Pwy sy'n cyhoeddi'r wefan hon” "
                                 "ar dudalen “Cefndir a dull” y porth")
    assert not any(name in fields["Cyhoeddwr"] + fields["Cyswllt"] for name in AUDIT_OFFICE)
    title, header, rows = table(sheets["Data"])
    assert title == "Cyfraddau ymateb fesul grŵp derbynwyr"
    assert header[1] == "Grŵp derbynwyr"
    assert rows[0][3] == "Swyddogion" and as_csv(rows[0][4]) == "76"
    notes = [row[1] for row in table(sheets["Nodiadau"])[2]]
    assert "Nid oes gwerth yn y ffynhonnell ar gyfer cell wag." in notes
    assert [row[0] for row in table(sheets["Colofnau"])[2]][:2] == ["Cod y cyngor", "Grŵp derbynwyr"]


def test_the_cover_names_the_publisher_in_the_settings(backend, new_database, tmp_path):
    """Published under another publisher (the PUBLISHER_* settings): the cover
    and the file's properties name it, with its address and web site; the
    report is still the source; a late build gives the same bytes."""
    from tests.conftest import make_app, migrated

    app = make_app(migrated(new_database(backend)), tmp_path / "instance", **EXAMPLE)
    with app.app_context():
        from portal.extensions import session
        results = load_path(session(), DATASETS_PATH / "data-tool-response-rates")
        assert [r.status for r in results] == ["published"]
    client = app.test_client()
    contact = "data@example.wales, https://example.wales/"
    for lang, path, publisher, label in (
            ("en", "response-rates.xlsx", "Example Council", ("Publisher", "Contact", "Source")),
            ("cy", "cy/response-rates.ods", "Cyngor Enghreifftiol", ("Cyhoeddwr", "Cyswllt", "Ffynhonnell"))):
        data = client.get(f"/datasets/data-tool-response-rates/{path}").data
        fields = cover(read(path.rsplit(".", 1)[1], data)[SHEETS[lang][0]])
        assert fields[label[0]] == publisher
        assert fields[label[1]] == f"{publisher}: {contact}"
        assert fields[label[2]].startswith(("Wales Audit Office (2018)", "Swyddfa Archwilio Cymru (2018)"))
    data = client.get("/datasets/data-tool-response-rates/response-rates.xlsx").data
    properties = openpyxl.load_workbook(io.BytesIO(data)).properties
    assert properties.creator == "Example Council"
    # built again on request (as for a version published before spreadsheets): the same bytes
    with app.app_context():
        from portal.extensions import session
        db = session()
        kept = db.scalar(select(Artefact.sha256).where(Artefact.name == "response-rates.xlsx"))
        db.execute(delete(Artefact).where(Artefact.name == "response-rates.xlsx"))
        db.commit()
    again = client.get("/datasets/data-tool-response-rates/versions/1/response-rates.xlsx")
    assert again.status_code == 200 and hashlib.sha256(again.data).hexdigest() == kept


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_a_demonstration_cover_credits_the_publisher_never_the_audit_office(published_app, lang):
    """Whoever the publisher is, demonstration data are its synthetic
    figures, said to be demonstration data; the Wales Audit Office is named
    only in saying they are not its results."""
    example = attribution.publisher(EXAMPLE)
    with published_app.app_context():
        from portal.extensions import session
        version = queries.latest_version(session(), "maturity-scores")
        fields = dict(spreadsheets.cover(version, version.resources[0], lang, example))
        book = spreadsheets.workbook(version, version.resources[0], lang, [], publisher=example)
    labels = [spreadsheets.text(key, lang) for key in ("source", "publisher", "contact", "status")]
    source, publisher, contact, status = (fields[label] for label in labels)
    assert publisher == book.author == spreadsheets.text("demo_publisher", lang, publisher=example.name(lang))
    assert publisher.startswith(example.name(lang)) and publisher.endswith(
        "(demonstration data)" if lang == "en" else "(data enghreifftiol)")
    assert contact == f"{example.name(lang)}: data@example.wales, https://example.wales/"
    assert source == spreadsheets.text("demo_source", lang)
    assert not any(name in source + publisher + contact for name in AUDIT_OFFICE)
    assert status.startswith("Demonstration data" if lang == "en" else "Data enghreifftiol")


def test_numbers_are_typed_in_the_xlsx_file(client):
    book = openpyxl.load_workbook(io.BytesIO(client.get("/datasets/maturity-scores/scores.xlsx").data))
    sheet = book["Data"]
    header = [cell.value for cell in sheet[3]]
    cells = [row[header.index("Respondents")] for row in sheet.iter_rows(min_row=4)]
    assert {cell.data_type for cell in cells} == {"n", "s"}  # numbers, and [c] as text
    assert {cell.value for cell in cells if cell.data_type == "s"} == {"[c]"}


# -- bad input: formula-like text, a table past a sheet's rows ---------------------------------------

# (a carriage return to begin a cell, which frictionless reads as a line end, is in the test below)
FORMULA_LIKE = ["=1+2", "+44 29 2032 0500", "-2+3+cmd|' /C calc'!A0", "@SUM(A1:A2)", "\tTabbed",
                '=HYPERLINK("http://example.com","click")']
ROWS = [[f"R{n}", text, "-5", "-0.5", "2018-01-01", "true", "-5"] for n, text in enumerate(FORMULA_LIKE)]
ROWS.append(["R9", "Ynys Môn", "[c]", "", "2018-01-02", "false", "plain"])


@pytest.fixture
def formula_package(app, db, tmp_path):
    folder = write_package(tmp_path / "formulae", "formulae", len(ROWS), data=ROWS)
    assert [r.status for r in load_path(db, folder)] == ["published"]
    return app.test_client(), folder


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_formula_like_text_is_stored_as_text(formula_package, fmt):
    client, _folder = formula_package
    for prefix in ("", "cy/"):
        data = get(client, f"/datasets/formulae/{prefix}table.{fmt}", XLSX if fmt == "xlsx" else ODS)
        _title, _header, rows = table(read(fmt, data)["Data"])
        assert [row[1] for row in rows] == [row[1] for row in ROWS]  # as text, exactly
        assert all(row[2] == -5 and row[3] == -0.5 and row[6] == "-5" for row in rows[:-1])
    if fmt == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(data))["Data"]
        cells = [row[1] for row in sheet.iter_rows(min_row=4)]
        assert all(cell.data_type == "s" for cell in cells)
        # and Excel keeps them text when they are edited
        assert [cell.quotePrefix for cell in cells] == [True] * len(FORMULA_LIKE) + [False]
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            assert not any("<f>" in archive.read(name).decode() for name in archive.namelist()
                           if name.startswith("xl/worksheets/"))


def test_the_csv_for_excel_neutralises_formulae_and_nothing_else(formula_package):
    client, folder = formula_package
    canonical = client.get("/datasets/formulae/table.csv").data
    assert canonical == (folder / "table.csv").read_bytes()  # the published CSV is untouched
    excel = client.get("/datasets/formulae/table.csv?bom=1")
    assert excel.status_code == 200
    assert excel.headers["Content-Disposition"] == 'attachment; filename="formulae-table-v1-excel.csv"'
    assert excel.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(excel.data.decode("utf-8-sig"), newline="")))
    assert [row[1] for row in rows[1:]] == ["'" + text for text in FORMULA_LIKE] + ["Ynys Môn"]
    assert all(row[2] == "-5" and row[3] == "-0.5" and row[6] == "-5" for row in rows[1:-1])  # numbers stay
    # records without formula-like text keep their bytes
    assert excel.data.decode("utf-8-sig").splitlines()[0] == canonical.decode().splitlines()[0]
    assert excel.data.decode("utf-8-sig").endswith(canonical.decode().splitlines(keepends=True)[-1])
    # a filtered download for Excel is neutralised the same way
    filtered = client.get("/datasets/formulae/table.csv?bom=1&code=R0")
    assert filtered.data.decode("utf-8-sig").splitlines()[1].split(",")[1] == "'=1+2"
    welsh = client.get("/datasets/formulae/cy/table.csv?bom=1").data
    assert welsh.startswith(b"\xef\xbb\xbf") and b"'@SUM(A1:A2)" in welsh


def test_what_begins_like_a_formula():
    also = ["\rReturn", "=", "-", "@"]
    assert [spreadsheets.formula_like(text) for text in FORMULA_LIKE + also] == [True] * 10
    assert not any(spreadsheets.formula_like(text) for text in
                   ["-5", "+5", "-0.5", "1e5", "-1.5E-3", ".5", "", "Ynys Môn", "a=b", " =1", "[c]"])
    source = 'a,b\r\n"\rReturn",-5\r\n"=1",x\nplain,"q,=1"\n'
    assert "".join(spreadsheets.excel_records(io.StringIO(source, newline=""))) == (
        'a,b\r\n"\'\rReturn",-5\r\n\'=1,x\nplain,"q,=1"\n')


@pytest.mark.parametrize("zip64", [False, True])
def test_ods_cells_keep_their_text_and_types(tmp_path, zip64):
    """Spaces, tabs and line breaks survive (ODF collapses them unless
    written as elements); characters XML cannot carry become U+FFFD."""
    values = ["  two leading", "a  b   c", "trailing  ", " ", "line 1\nline 2\r\nline 3", "tab\there",
              "bell\x07", "<&>\"'", "Gŵyr", 12, -0.25, 1e16, True, dt.date(2018, 12, 6), None, "=1+2"]
    path = tmp_path / "cells.ods"
    writer = ods.Writer(path, title="Cells", language="cy", created=dt.datetime(2018, 12, 6), widths=[10],
                        estimated_size=(ods.ZIP64_FROM + 1) if zip64 else 0)
    writer.sheet("Taflen", [10])
    writer.rows([values])
    writer.close()
    expected = values[:6] + ["bell\ufffd"] + values[7:]
    expected[4] = "line 1\nline 2\nline 3"
    assert ods_sheets(path.read_bytes())["Taflen"] == [expected]
    with zipfile.ZipFile(path) as archive:
        content = archive.read("content.xml").decode()
        # as LibreOffice writes them: it collapses white space written as such
        for xml in ('<text:p><text:s text:c="2"/>two leading</text:p>',
                    '<text:p>a <text:s/>b <text:s text:c="2"/>c', '<text:p>trailing<text:s text:c="2"/></text:p>', '<text:p><text:s/></text:p>',
                    '<text:p>line 1</text:p><text:p>line 2</text:p>', '<text:p>tab<text:tab/>here</text:p>'):
            assert xml in content
        assert archive.namelist()[0] == "mimetype" and archive.read("mimetype") == ods.MEDIATYPE.encode()
        assert archive.getinfo("mimetype").compress_type == zipfile.ZIP_STORED


def test_a_table_past_a_sheets_rows_is_split_across_sheets(app, db, tmp_path):
    """Split at three rows here; at 1,048,573 (a sheet's 1,048,576 less the
    title, its line and the header row) in the published files."""
    assert spreadsheets.TABLE_ROWS + 3 == spreadsheets.SHEET_ROWS == 1_048_576
    folder = write_package(tmp_path / "long", "long", 7)
    assert [r.status for r in load_path(db, folder)] == ["published"]
    version = queries.latest_version(db, "long")
    resource = version.resources[0]
    expected = csv_rows(app.test_client(), "/datasets/long/cy/table.csv")
    for fmt in ("xlsx", "ods"):
        for lang in ("en", "cy"):
            cells = spreadsheets.cells(db, resource)
            book = spreadsheets.workbook(version, resource, lang, cells, table_rows=3)
            path = tmp_path / f"long-{lang}.{fmt}"
            spreadsheets.write(book, fmt, path, tmp_path)
            sheets = read(fmt, path.read_bytes())
            parts = ["Data_1", "Data_2", "Data_3"]
            assert list(sheets)[4:] == parts
            rows = []
            for n, part in enumerate(parts, start=1):
                title, header, part_rows = table(sheets[part])
                assert title.endswith(f"(part {n} of 3)" if lang == "en" else f"(rhan {n} o 3)")
                assert as_csv(header[0]) == ("Code" if lang == "en" else "Maes code")
                assert len(part_rows) == (3 if n < 3 else 1)
                rows += part_rows
            assert [padded(row, 7) for row in rows] == expected[1:]
            assert [row[0] for row in table(sheets[list(sheets)[1]])[2]][2:] == parts
            notes = " ".join(row[1] for row in table(sheets[list(sheets)[2]])[2])
            assert ("split across the worksheets Data_1 to Data_3" if lang == "en"
                    else "ar draws y taflenni gwaith Data_1 i Data_3") in notes


# -- the CSV for Excel ---------------------------------------------------------------------------

def test_the_csv_for_excel_is_the_csv_with_a_byte_order_mark(client):
    from portal.config import DATASETS_PATH
    source = (DATASETS_PATH / "councils" / "councils.csv").read_bytes()
    assert client.get("/datasets/councils/councils.csv").data == source
    assert client.get("/datasets/councils/councils.csv?bom=0").data == source
    for url in ("/datasets/councils/councils.csv?bom=1", "/datasets/councils/versions/1/councils.csv?bom=1",
                "/datasets/councils/councils.csv?bom=true"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.data == b"\xef\xbb\xbf" + source
        assert "Ynys Môn" in response.data.decode("utf-8-sig")
    response = client.get("/datasets/councils/councils.csv?bom=1", headers={"Range": "bytes=0-2"})
    assert response.status_code == 206 and response.data == b"\xef\xbb\xbf"
    welsh = client.get("/datasets/councils/cy/councils.csv").data
    assert client.get("/datasets/councils/versions/1/cy/councils.csv?bom=1").data == b"\xef\xbb\xbf" + welsh


@pytest.mark.parametrize("url, detail", [
    ("/datasets/councils/councils.csv?bom=yes", "bom: must be given once"),
    ("/datasets/councils/councils.csv?bom=1&bom=1", "bom: must be given once"),
    ("/datasets/councils/councils.json?bom=1", "offered on CSV downloads only"),
    ("/datasets/councils/councils.xlsx?gss_code=W06000001", "Spreadsheets hold the whole table"),
    ("/datasets/councils/cy/councils.ods?bom=1", "offered on CSV downloads only"),
])
def test_bad_spreadsheet_parameters_answer_400(client, url, detail):
    response = client.get(url)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert detail in response.get_json()["detail"]


# -- versions published before spreadsheets existed ----------------------------------------------

def test_spreadsheets_of_earlier_versions_are_built_on_first_request_then_kept(app, loaded):
    db = loaded
    kinds = [variant.kind for variant in built.VARIANTS]
    before = dict(db.execute(select(Artefact.name, Artefact.sha256).where(Artefact.kind.in_(kinds))).all())
    assert "councils.xlsx" in before and "excel/cy/councils.csv" in before
    # a version published before they existed has none
    db.execute(delete(Artefact).where(Artefact.kind.in_(kinds)))
    db.commit()
    client = app.test_client()
    urls = {"councils.xlsx": "councils.xlsx", "cy/councils.ods": "cy/councils.ods",
            "excel/councils.csv": "councils.csv?bom=1", "excel/cy/councils.csv": "cy/councils.csv?bom=1"}
    for name, url in urls.items():
        first = client.get(f"/datasets/councils/versions/1/{url}")
        assert first.status_code == 200, first.get_data(as_text=True)
        db.rollback()
        kept = db.scalar(select(Artefact).where(Artefact.name == name))
        assert kept is not None and kept.sha256 == before[name]  # the same bytes publication builds
        assert hashlib.sha256(first.data).hexdigest() == kept.sha256
        again = client.get(f"/datasets/councils/{url}")
        assert again.data == first.data
        db.rollback()
        assert db.scalar(select(Artefact.id).where(Artefact.name == name)) == kept.id


def test_build_downloads_builds_what_earlier_versions_lack(runner, loaded):
    db = loaded
    kinds = [variant.kind for variant in built.VARIANTS]
    before = sorted(db.execute(select(Artefact.version_id, Artefact.name, Artefact.sha256)
                               .where(Artefact.kind.in_(kinds))).all())
    assert len(before) == 9 * len(built.VARIANTS)  # of the 9 resources of the 6 packages
    db.execute(delete(Artefact).where(Artefact.kind.in_(kinds)))
    db.commit()
    result = runner.invoke(args=["portal", "build-downloads"])
    assert result.exit_code == 0, result.output
    assert "councils version 1: cy/councils.xlsx" in result.output
    assert result.output.endswith(f"{len(before)} file(s) built.\n")
    db.rollback()
    assert sorted(db.execute(select(Artefact.version_id, Artefact.name, Artefact.sha256)
                             .where(Artefact.kind.in_(kinds))).all()) == before
    assert runner.invoke(args=["portal", "build-downloads"]).output == "0 file(s) built.\n"


# -- the dataset page ----------------------------------------------------------------------------

@pytest.mark.parametrize("lang, label", [("en", "Councils (spreadsheet: Excel or OpenDocument)"),
                                         ("cy", "Cynghorau (taenlen yn Gymraeg: Excel neu OpenDocument)")])
def test_the_dataset_page_links_every_spreadsheet(client, lang, label):
    page = client.get(f"/{lang}/datasets/councils/").get_data(as_text=True)
    assert label in page
    for url in ("/datasets/councils/versions/1/councils.xlsx", "/datasets/councils/councils.ods",
                "/datasets/councils/versions/1/cy/councils.xlsx", "/datasets/councils/cy/councils.ods",
                "/datasets/councils/versions/1/councils.csv?bom=1",
                "/datasets/councils/cy/councils.csv?bom=1"):
        assert f'href="{url}"' in page
        assert client.get(url).status_code == 200
