"""Spreadsheets of a tabular resource, in English and in Welsh, as XLSX and
ODS, and the CSV for Excel.

The workbooks follow the UK Government Analysis Function's guidance on
releasing statistics in spreadsheets: a cover sheet (title, source, period,
publisher, contact, licence, and whether the data are demonstration data), a
contents sheet, a notes sheet (explaining ``[c]`` and every other
missing-value marker of the Table Schema), one table per worksheet with its
title in cell A1 and one header row, numbers stored as numbers, no merged
cells and no blank rows. A table longer than a worksheet can hold is split
across worksheets, never cut short. Text is always stored as text, so a cell
that begins like a formula is never calculated.

The CSV for Excel is the published CSV with a UTF-8 byte-order mark (without
it Excel reads "Ynys Môn" as "Ynys MÃ´n"), and with every cell that begins
like a formula neutralised as OWASP recommends against CSV injection.

The cover credits as :mod:`portal.attribution` rules: the publisher and the
contact are the portal's publisher (the ``PUBLISHER_*`` settings, given by
whoever builds the workbook); the source of real data is what their package
cites (the Wales Audit Office's report for the report's figures), and
demonstration data are said to be synthetic data made by the portal, never
the Wales Audit Office's.

Rows are read from the row table a batch at a time and written as they come:
memory stays flat whatever the size. Nothing here knows about Flask.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Union

import xlsxwriter
from sqlalchemy.orm import Session

from portal import attribution, datastore, rowstore
from portal.model import DatasetVersion, Resource
from portal.publish import ods

XLSX_MEDIATYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODS_MEDIATYPE = ods.MEDIATYPE
FORMATS = ("xlsx", "ods")
# Rows of a worksheet in Excel (and in LibreOffice Calc since 7.4's default).
SHEET_ROWS = 1_048_576
# Above each table: its title (A1) and one line saying what the sheet holds.
LINES_ABOVE = 2
# Data rows a worksheet holds under its title, its line and its header row.
TABLE_ROWS = SHEET_ROWS - LINES_ABOVE - 1
# Characters an Excel cell holds; longer text is cut, saying so, in XLSX only.
XLSX_TEXT = 32_767
# Integers Excel keeps exactly (15 significant digits); larger ones stay text.
EXACT_INTEGER = 10 ** 15 - 1
# Bytes of XML a cell takes besides its value, about.
CELL_XML = 110
BOM = "\ufeff"
BOM_BYTES = BOM.encode("utf-8")
CHUNK = 64 * 1024

Cell = Union[str, int, float, bool, dt.date, None]

# Everything the workbooks say, in English and Welsh.
TEXT: dict[str, tuple[str, str]] = {
    "cover": ("Cover", "Clawr"),
    "contents": ("Contents", "Cynnwys"),
    "notes": ("Notes", "Nodiadau"),
    "columns": ("Columns", "Colofnau"),
    "data": ("Data", "Data"),
    "cover_line": ("This spreadsheet holds one table of the dataset, with notes on how to read it.",
                   "Mae'r daenlen hon yn cynnwys un tabl o'r set ddata, gyda nodiadau ar sut i'w ddarllen."),
    "one_table": ("This worksheet contains one table.", "Mae un tabl yn y daflen waith hon."),
    "data_line": ("This worksheet contains one table, with one row for each row of the CSV file. "
                  "Shorthand in cells, such as [c], is explained on the Notes worksheet.",
                  "Mae un tabl yn y daflen waith hon, gydag un rhes ar gyfer pob rhes yn y ffeil CSV. "
                  "Esbonnir llaw-fer yn y celloedd, fel [c], ar y daflen waith Nodiadau."),
    "part_line": ("This worksheet contains one table: rows {first} to {last} of {total}, part {part} of "
                  "the {parts} worksheets the table is split across. Shorthand in cells, such as [c], "
                  "is explained on the Notes worksheet.",
                  "Mae un tabl yn y daflen waith hon: rhesi {first} i {last} o {total}, rhan {part} o'r "
                  "{parts} taflen waith y rhennir y tabl ar eu traws. Esbonnir llaw-fer yn y celloedd, "
                  "fel [c], ar y daflen waith Nodiadau."),
    "part_title": ("{title} (part {part} of {parts})", "{title} (rhan {part} o {parts})"),
    "contents_title": ("Contents", "Cynnwys"),
    "notes_title": ("Notes", "Nodiadau"),
    "columns_title": ("Columns of the table", "Colofnau'r tabl"),
    "contents_header": ("Worksheet|Title", "Taflen waith|Teitl"),
    "notes_header": ("Note number|Note text", "Rhif y nodyn|Testun y nodyn"),
    "columns_header": ("Column heading|Name in the CSV file|Type|Description",
                       "Pennawd y golofn|Enw yn y ffeil CSV|Math|Disgrifiad"),
    "table": ("Table", "Tabl"),
    "description": ("Description", "Disgrifiad"),
    "dataset": ("Dataset", "Set ddata"),
    "identifier": ("Identifier", "Dynodydd"),
    "about": ("About the dataset", "Am y set ddata"),
    "version": ("Version", "Fersiwn"),
    "published": ("Published", "Cyhoeddwyd"),
    "rows": ("Rows", "Rhesi"),
    "source": ("Source", "Ffynhonnell"),
    "period": ("Period covered", "Cyfnod dan sylw"),
    "publisher": ("Publisher", "Cyhoeddwr"),
    "contact": ("Contact", "Cyswllt"),
    "licence": ("Licence", "Trwydded"),
    "status": ("Status", "Statws"),
    "not_stated": ("Not stated", "Heb ei nodi"),
    "period_span": ("{first} to {last}", "{first} i {last}"),
    "real_status": ("Published data, as given in the source.",
                    "Data a gyhoeddwyd, fel y'u rhoddir yn y ffynhonnell."),
    "demo_status": ("Demonstration data: synthetic figures made by this portal to show how the study's "
                    "results are published. They are not results of the Wales Audit Office study, and "
                    "the Wales Audit Office did not publish them.",
                    "Data enghreifftiol: ffigurau synthetig a wnaed gan y porth hwn i ddangos sut y "
                    "caiff canlyniadau'r astudiaeth eu cyhoeddi. Nid canlyniadau astudiaeth Swyddfa "
                    "Archwilio Cymru ydynt, ac ni chawsant eu cyhoeddi gan Swyddfa Archwilio Cymru."),
    "demo_source": ("Synthetic data made by this portal (demonstration data)",
                    "Data synthetig a wnaed gan y porth hwn (data enghreifftiol)"),
    # the portal's publisher (a setting) and how to reach it
    "demo_publisher": ("{publisher} (demonstration data)", "{publisher} (data enghreifftiol)"),
    "contact_details": ("{publisher}: {details}", "{publisher}: {details}"),
    "contact_about": ("{publisher}: see “Who publishes this site” on the portal's “About and method” page",
                      "{publisher}: gweler “Pwy sy'n cyhoeddi'r wefan hon” ar dudalen “Cefndir a dull” "
                      "y porth"),
    "note_c": ("[c] means confidential: the figure is withheld (suppressed) so that nobody can be "
               "identified from it. The cell holds the text [c] instead of a number.",
               "Ystyr [c] yw cyfrinachol: caiff y ffigur ei ddal yn ôl (ei atal) fel na ellir adnabod "
               "neb ohono. Mae'r testun [c] yn y gell yn lle rhif."),
    "note_x": ("[x] means not available: the source gives no figure. The cell holds the text [x].",
               "Ystyr [x] yw nad yw ar gael: nid yw'r ffynhonnell yn rhoi ffigur. Mae'r testun [x] yn y "
               "gell."),
    "note_z": ("[z] means not applicable. The cell holds the text [z].",
               "Ystyr [z] yw amherthnasol. Mae'r testun [z] yn y gell."),
    "note_marker": ("{marker} marks a missing value: the source gives no value here, and the cell holds "
                    "the text {marker}.",
                    "Mae {marker} yn dynodi gwerth coll: nid yw'r ffynhonnell yn rhoi gwerth yma, ac "
                    "mae'r testun {marker} yn y gell."),
    "note_empty": ("An empty cell has no value in the source.",
                   "Nid oes gwerth yn y ffynhonnell ar gyfer cell wag."),
    "note_threshold": ("Figures based on fewer than {threshold} respondents are suppressed.",
                       "Caiff ffigurau sy'n seiliedig ar lai na {threshold} o ymatebwyr eu hatal."),
    "note_headings": ("Column headings are the titles of the fields; the Columns worksheet gives each "
                      "field's name in the CSV file, its type and its meaning.",
                      "Teitlau'r meysydd yw penawdau'r colofnau; mae'r daflen waith Colofnau yn rhoi "
                      "enw pob maes yn y ffeil CSV, ei fath a'i ystyr."),
    "note_text": ("Text is stored as text: a cell that begins with =, +, - or @ is never calculated as "
                  "a formula.",
                  "Caiff testun ei gadw fel testun: ni chaiff cell sy'n dechrau gyda =, +, - neu @ fyth "
                  "ei chyfrifo fel fformiwla."),
    "note_split": ("The table has more rows than a worksheet holds ({limit}), so it is split across the "
                   "worksheets {first} to {last}, in order; each part has the header row.",
                   "Mae gan y tabl fwy o resi nag y mae taflen waith yn eu dal ({limit}), felly caiff "
                   "ei rannu ar draws y taflenni gwaith {first} i {last}, yn eu trefn; mae'r rhes "
                   "bennawd ym mhob rhan."),
    "cut": (" […] (cut at {limit} characters, the most an Excel cell holds; the CSV file has the whole "
            "text)",
            " […] (wedi'i dorri ar ôl {limit} nod, y mwyaf y mae cell Excel yn ei ddal; mae'r testun "
            "cyfan yn y ffeil CSV)"),
}
MARKER_NOTES = {"[c]": "note_c", "[x]": "note_x", "[z]": "note_z"}


def text(key: str, lang: str, **values: Any) -> str:
    english, welsh = TEXT[key]
    return (welsh if lang == "cy" else english).format(**values)


# -- formula-like text ----------------------------------------------------------------------

NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def formula_like(value: str) -> bool:
    """Whether a spreadsheet could take ``value`` for a formula: it begins
    with a tab or a carriage return, or with ``=``, ``+``, ``-`` or ``@``
    and is not simply a number (``-5`` is a number, ``-5+A1`` is not)."""
    first = value[:1]
    if first in ("\t", "\r"):
        return True
    return first in ("=", "+", "-", "@") and not NUMBER.fullmatch(value)


# -- what a workbook holds --------------------------------------------------------------------

@dataclass
class Sheet:
    """One worksheet: its title in A1, lines of text below it, then either a
    table (a header row and rows) or, for the cover, rows of label and value."""

    name: str
    title: str
    lines: list[str]
    header: list[str] | None
    rows: Iterable[Sequence[Cell]]
    widths: list[int]


@dataclass
class Workbook:
    title: str
    language: str
    author: str
    created: dt.datetime
    sheets: list[Sheet] = field(default_factory=list)
    cut_text: str = ""
    size_hint: int = 0  # about how many bytes of XML the sheets make


def _translated(node: dict, key: str, lang: str) -> Any:
    if lang == "cy":
        welsh = (node.get("translations") or {}).get("cy") or {}
        if welsh.get(key):
            return welsh[key]
    return node.get(key)


def _period(version: DatasetVersion, lang: str) -> str:
    years = sorted({str(source["date"])[:4] for source in version.descriptor.get("sources") or []
                    if str(source.get("date") or "")[:4].isdigit()})
    if not years:
        return text("not_stated", lang)
    return years[0] if len(years) == 1 else text("period_span", lang, first=years[0], last=years[-1])


def publisher_name(version: DatasetVersion, lang: str, publisher: attribution.Agent) -> str:
    """The publisher, as the cover (and the file's properties) name it."""
    if version.demonstration:
        return text("demo_publisher", lang, publisher=publisher.name(lang))
    return publisher.name(lang)


def contact(lang: str, publisher: attribution.Agent) -> str:
    """The publisher's e-mail address and web site where set, else where the
    portal says how to reach it."""
    details = ", ".join(part for part in (publisher.email, publisher.url) if part)
    if details:
        return text("contact_details", lang, publisher=publisher.name(lang), details=details)
    return text("contact_about", lang, publisher=publisher.name(lang))


def cover(version: DatasetVersion, resource: Resource, lang: str,
          publisher: attribution.Agent = attribution.DEFAULT_PUBLISHER) -> list[tuple[str, Cell]]:
    """The cover's label and value rows; ``publisher`` the portal's publisher."""
    d = version.descriptor
    licence = (d.get("licenses") or [{}])[0]
    demo = version.demonstration
    if demo:
        source = text("demo_source", lang)
    else:
        titles = [_translated(s, "title", lang) for s in d.get("sources") or []]
        source = "; ".join(title for title in titles if title) or text("not_stated", lang)
    rows: list[tuple[str, Cell]] = [
        ("table", resource.text("title", lang)),
        ("description", resource.text("description", lang)),
        ("dataset", version.text("title", lang)),
        ("identifier", version.dataset.name),
        ("about", version.text("description", lang)),
        ("version", version.number),
        ("published", version.published_utc.date()),
        ("rows", resource.row_count),
        ("source", source),
        ("period", _period(version, lang)),
        ("publisher", publisher_name(version, lang, publisher)),
        ("contact", contact(lang, publisher)),
        ("licence", ", ".join(part for part in (_translated(licence, "title", lang),
                                                _translated(licence, "path", lang)) if part)),
        ("status", text("demo_status" if demo else "real_status", lang)),
    ]
    return [(text(key, lang), value) for key, value in rows]


def notes(version: DatasetVersion, resource: Resource, lang: str, parts: list[str]) -> list[str]:
    markers = resource.table_schema.get("missingValues", [""])
    found: list[str] = []
    for marker in markers:
        if marker == "":
            found.append(text("note_empty", lang))
        elif marker in MARKER_NOTES:
            found.append(text(MARKER_NOTES[marker], lang))
        else:
            found.append(text("note_marker", lang, marker=marker))
    anonymisation = version.descriptor.get("anonymisation")
    if isinstance(anonymisation, dict):
        if anonymisation.get("threshold"):
            found.append(text("note_threshold", lang, threshold=anonymisation["threshold"]))
        rules = [_translated(rule, "description", lang) for rule in anonymisation.get("rules") or []]
        found += [rule for rule in rules if rule]
    if version.demonstration:
        found.append(text("demo_status", lang))
    found.append(text("note_headings", lang))
    found.append(text("note_text", lang))
    if len(parts) > 1:
        found.append(text("note_split", lang, limit=f"{SHEET_ROWS:,}", first=parts[0], last=parts[-1]))
    return found


def part_names(lang: str, count: int) -> list[str]:
    name = text("data", lang)
    return [name] if count <= 1 else [f"{name}_{n}" for n in range(1, count + 1)]


def workbook(version: DatasetVersion, resource: Resource, lang: str, rows: Iterable[Sequence[Cell]],
             table_rows: int = TABLE_ROWS,
             publisher: attribution.Agent = attribution.DEFAULT_PUBLISHER) -> Workbook:
    """The sheets of ``resource``'s workbook in ``lang``; ``rows`` its cells,
    ``resource.row_count`` of them, split into parts of ``table_rows``;
    ``publisher`` the portal's publisher."""
    count = max(1, math.ceil(resource.row_count / table_rows))
    parts = part_names(lang, count)
    title = f"{version.text('title', lang)}: {resource.text('title', lang)}"
    book = Workbook(title, lang, publisher_name(version, lang, publisher),
                    version.published_utc.replace(tzinfo=None),
                    cut_text=text("cut", lang, limit=f"{XLSX_TEXT:,}"),
                    size_hint=2 * resource.byte_size + CELL_XML * resource.row_count * len(resource.fields))

    def listing(name: str, items: list, widths: list[int]) -> Sheet:
        """A sheet of the workbook's own: contents, notes or columns."""
        return Sheet(text(name, lang), text(f"{name}_title", lang), [text("one_table", lang)],
                     text(f"{name}_header", lang).split("|"), items, widths)

    data_title = resource.text("title", lang)
    titles = [data_title] if count == 1 else [text("part_title", lang, title=data_title, part=n, parts=count)
                                              for n in range(1, count + 1)]
    contents = [(text(name, lang), text(f"{name}_title", lang)) for name in ("notes", "columns")]
    book.sheets = [
        Sheet(text("cover", lang), title, [text("cover_line", lang)], None,
              cover(version, resource, lang, publisher), [24, 100]),
        listing("contents", contents + list(zip(parts, titles)), [20, 80]),
        listing("notes", list(enumerate(notes(version, resource, lang, parts), start=1)), [14, 100]),
        listing("columns", [(f.text("title", lang), f.name, f.type, f.text("description", lang))
                            for f in resource.fields], [30, 30, 12, 80]),
    ]
    source = iter(rows)
    headings = [f.text("title", lang) for f in resource.fields]
    widths = [max(12, min(40, len(heading) + 2)) for heading in headings]
    for n, (name, part_title) in enumerate(zip(parts, titles)):
        first, last = n * table_rows + 1, min(resource.row_count, (n + 1) * table_rows)
        line = (text("data_line", lang) if count == 1 else
                text("part_line", lang, first=f"{first:,}", last=f"{last:,}", total=f"{resource.row_count:,}",
                     part=n + 1, parts=count))
        book.sheets.append(Sheet(name, part_title, [line], headings, islice(source, table_rows), widths))
    return book


# -- cells from stored rows -------------------------------------------------------------------

def _integer(value: int) -> Cell:
    return value if -EXACT_INTEGER <= value <= EXACT_INTEGER else str(value)


def _date(value: Any) -> Cell:
    try:
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
    except ValueError:
        return str(value)
    return day if day.year >= 1900 else day.isoformat()  # Excel has no dates before 1900


def _converter(kind: str, name: str) -> Callable[[Any], Cell]:
    if kind == "integer":
        return _integer
    if kind == "number":
        return float
    if kind == "boolean":
        return bool
    if kind == "date":
        return _date
    return lambda value: datastore.csv_value({name: value}, name)  # text, and JSON as in the CSV


def cells(session: Session, resource: Resource) -> Iterator[list[Cell]]:
    """Every row of ``resource`` as typed cells, in file order; a missing
    value is its marker (such as ``[c]``) as text, or an empty cell."""
    table = datastore.row_table(session, resource)
    names = [f.name for f in table.fields]
    converters = [_converter(f.kind, f.name) for f in table.fields]
    for row in rowstore.read(session, table):
        markers = row.get(rowstore.MISSING) or {}
        yield [convert(value) if value is not None else (markers.get(name) or None)
               for name, convert, value in zip(names, converters, (row[name] for name in names))]


# -- writers ------------------------------------------------------------------------------------

# The largest workbook (bytes of XML, about) made in memory rather than streamed.
XLSX_IN_MEMORY = 4_000_000


def write(book: Workbook, fmt: str, path: Path, work: Path) -> None:
    (write_xlsx if fmt == "xlsx" else write_ods)(book, path, work)


def write_xlsx(book: Workbook, path: Path, work: Path) -> None:
    """With XlsxWriter in constant-memory mode: each row is written out as
    soon as the next begins. A small workbook is made in memory instead,
    several times faster than through temporary files."""
    memory = {"in_memory": True} if book.size_hint <= XLSX_IN_MEMORY else {"constant_memory": True,
                                                                            "tmpdir": str(work)}
    wb = xlsxwriter.Workbook(str(path), {
        **memory, "use_zip64": True,
        "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False})
    wb.set_properties({"title": book.title, "author": book.author, "company": book.author,
                       "created": book.created})
    title = wb.add_format({"bold": True, "font_size": 14})
    bold = wb.add_format({"bold": True})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    quoted = wb.add_format({"quote_prefix": True})
    cut_at = XLSX_TEXT - len(book.cut_text)

    def put(sheet, r: int, c: int, value: Cell, style=None) -> None:
        kind = type(value)
        if kind is str:
            if len(value) > XLSX_TEXT:
                value = value[:cut_at] + book.cut_text
            sheet.write_string(r, c, value, quoted if style is None and formula_like(value) else style)
        elif kind is int or kind is float:
            sheet.write_number(r, c, value, style)
        elif kind is bool:
            sheet.write_boolean(r, c, value, style)
        elif kind is dt.date:
            sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), day)

    for spec in book.sheets:
        sheet = wb.add_worksheet(spec.name)
        for c, width in enumerate(spec.widths):
            sheet.set_column(c, c, width)
        put(sheet, 0, 0, spec.title, title)
        for r, line in enumerate(spec.lines, start=1):
            put(sheet, r, 0, line)
        r = len(spec.lines) + 1
        if spec.header is None:  # the cover: bold labels, wrapped values
            for label, value in spec.rows:
                put(sheet, r, 0, label, bold)
                put(sheet, r, 1, value, wrap if isinstance(value, str) else None)
                r += 1
            continue
        for c, heading in enumerate(spec.header):
            put(sheet, r, c, heading, bold)
        for r, values in enumerate(spec.rows, start=r + 1):
            for c, value in enumerate(values):
                if value is not None:
                    put(sheet, r, c, value)
    wb.close()


def write_ods(book: Workbook, path: Path, work: Path) -> None:
    """With :mod:`portal.publish.ods`, streaming."""
    widths = {width for spec in book.sheets for width in spec.widths}
    writer = ods.Writer(path, title=book.title, language=book.language, created=book.created, widths=widths,
                        estimated_size=book.size_hint)
    try:
        for spec in book.sheets:
            writer.sheet(spec.name, spec.widths)
            writer.row([spec.title], "title")
            for line in spec.lines:
                writer.row([line])
            if spec.header is None:
                for label, value in spec.rows:
                    writer.cells([(label, "bold"), (value, "wrap" if isinstance(value, str) else "")])
                continue
            writer.header(spec.header)
            writer.rows(spec.rows)
    finally:
        writer.close()


# -- the CSV for Excel --------------------------------------------------------------------------

def neutralise(value: str) -> str:
    """A cell that begins like a formula, prefixed with an apostrophe (OWASP)."""
    return "'" + value if formula_like(value) else value


def excel_records(lines: Iterable[str], delimiter: str = ",", quotechar: str = '"') -> Iterator[str]:
    """The CSV text of each record of ``lines`` (read with ``newline=""``):
    unchanged, byte for byte, unless a cell begins like a formula; then the
    record written again with those cells neutralised."""
    taken: list[str] = []

    def feed() -> Iterator[str]:
        for line in lines:
            taken.append(line)
            yield line

    for record in csv.reader(feed(), delimiter=delimiter, quotechar=quotechar):
        raw = "".join(taken)
        taken.clear()
        if any(formula_like(value) for value in record):
            out = io.StringIO()
            ending = raw[len(raw.rstrip("\r\n")):]
            csv.writer(out, delimiter=delimiter, quotechar=quotechar, lineterminator=ending).writerow(
                [neutralise(value) for value in record])
            yield out.getvalue()
        else:
            yield raw


def write_excel_csv(source: Path, target: Path, dialect: dict | None = None) -> None:
    """``source`` (the published CSV, UTF-8, in the resource's ``dialect``)
    as the CSV for Excel: byte for byte after the byte-order mark, but for
    the records that hold a cell beginning like a formula."""
    delimiter, quotechar = _dialect(dialect)
    with open(source, "rb") as raw, open(target, "wb") as out:
        if raw.read(len(BOM_BYTES)) != BOM_BYTES:
            out.write(BOM_BYTES)
        raw.seek(0)
        if not _may_need_neutralising(source, delimiter, quotechar):
            shutil.copyfileobj(raw, out, CHUNK)
            return
    with open(source, encoding="utf-8", newline="") as text_in, \
            open(target, "a", encoding="utf-8", newline="") as text_out:
        buffer: list[str] = []
        size = 0
        for record in excel_records(text_in, delimiter, quotechar):
            buffer.append(record)
            size += len(record)
            if size >= CHUNK:
                text_out.write("".join(buffer))
                buffer, size = [], 0
        text_out.write("".join(buffer))


def _dialect(dialect: dict | None) -> tuple[str, str]:
    dialect = dialect or {}
    return dialect.get("delimiter") or ",", dialect.get("quoteChar") or '"'


def _starts_like_formula(delimiter: str, quotechar: str) -> re.Pattern:
    """A cell that may begin like a formula, in text preceded by a line break."""
    return re.compile(f"[{re.escape(delimiter + quotechar)}\\r\\n][=+\\-@\\t\\r]")


def _may_need_neutralising(path: Path, delimiter: str, quotechar: str) -> bool:
    """A quick scan: False when no cell can begin like a formula (True may
    be wrong, and costs only the exact check)."""
    pattern = _starts_like_formula(delimiter, quotechar)
    before = "\n"  # the file begins a record
    with open(path, encoding="utf-8", newline="") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), ""):
            if pattern.search(before + chunk):
                return True
            before = chunk[-1]
    return False


def excel_chunks(chunks: Iterable[str]) -> Iterator[str]:
    """A CSV streamed in chunks that end at record boundaries (as
    :func:`portal.datastore.csv_export` writes them), for Excel."""
    pattern = _starts_like_formula(",", '"')
    yield BOM
    try:
        for chunk in chunks:
            if pattern.search("\n" + chunk):
                yield "".join(excel_records(io.StringIO(chunk, newline="")))
            else:
                yield chunk
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()  # the query's cursor, at once, also when a client hangs up
