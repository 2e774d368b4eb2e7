"""A streaming writer of OpenDocument spreadsheets (ODS).

Rows are written to the zip member as they come, in chunks, so memory stays
flat whatever the size. odfpy builds the whole document in memory, and
stream-write-ods wrote 200,000 rows about twelve times slower than this; the
format needs no more than the few parts written here (ODF 1.2: ``mimetype``
first and stored, the manifest, ``meta.xml`` and ``content.xml``).

Cells are typed: ``int`` and ``float`` as numbers, ``bool`` as booleans,
``datetime.date`` as dates, ``str`` always as text (never a formula), and
``None`` as an empty cell. Nothing here knows about Flask.
"""
from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO
from xml.sax.saxutils import escape, quoteattr

MEDIATYPE = "application/vnd.oasis.opendocument.spreadsheet"
CHUNK = 256 * 1024
# content.xml past this many bytes needs zip64, which some readers lack: used
# only when the estimate says it may be needed
ZIP64_FROM = 1 << 30

NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
    'xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" '
    'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" office:version="1.2"'
)
STYLES = (
    '<number:date-style style:name="iso-date"><number:year number:style="long"/><number:text>-</number:text>'
    '<number:month number:style="long"/><number:text>-</number:text><number:day number:style="long"/>'
    '</number:date-style>'
    '<style:style style:name="date" style:family="table-cell" style:data-style-name="iso-date"/>'
    '<style:style style:name="title" style:family="table-cell">'
    '<style:text-properties fo:font-weight="bold" fo:font-size="14pt"/></style:style>'
    '<style:style style:name="bold" style:family="table-cell">'
    '<style:text-properties fo:font-weight="bold"/></style:style>'
    '<style:style style:name="wrap" style:family="table-cell">'
    '<style:table-cell-properties fo:wrap-option="wrap"/></style:style>'
)
# characters XML 1.0 cannot carry, even escaped
ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# what ODF would collapse or drop: line breaks, tabs, runs of spaces, spaces at either end
SPECIAL = re.compile(r"[\r\n\t]|  |^ | $")
LINE_BREAK = re.compile(r"\r\n|\r|\n")
SPACE_RUN = re.compile(r"^ +| +$| {2,}")


def paragraphs(value: str) -> str:
    """``value`` as ``text:p`` elements, keeping its line breaks, tabs and spaces."""
    value = ILLEGAL.sub("\ufffd", value)
    if not SPECIAL.search(value):
        return f"<text:p>{escape(value)}</text:p>"
    return "".join(f"<text:p>{SPACE_RUN.sub(_spaces, escape(line)).replace(chr(9), '<text:tab/>')}</text:p>"
                   for line in LINE_BREAK.split(value))


def _spaces(match: re.Match) -> str:
    literal = 0 if match.start() == 0 or match.end() == len(match.string) else 1
    count = len(match.group()) - literal
    return " " * literal + ('<text:s/>' if count == 1 else f'<text:s text:c="{count}"/>')


def _text(value: str, style: str = "") -> str:
    return f'<table:table-cell office:value-type="string"{style}>{paragraphs(value)}</table:table-cell>'


def _number(value: int | float, style: str = "") -> str:
    text = repr(value)
    return (f'<table:table-cell office:value-type="float" office:value="{text}"{style}>'
            f'<text:p>{text}</text:p></table:table-cell>')


def _boolean(value: bool, style: str = "") -> str:
    text = "true" if value else "false"
    return (f'<table:table-cell office:value-type="boolean" office:boolean-value="{text}"{style}>'
            f'<text:p>{text}</text:p></table:table-cell>')


def _date(value: dt.date, style: str = "") -> str:
    text = value.isoformat()
    return (f'<table:table-cell office:value-type="date" office:date-value="{text}" table:style-name="date">'
            f'<text:p>{text}</text:p></table:table-cell>')


def _empty(_value: None, style: str = "") -> str:
    return "<table:table-cell/>"


CELLS = {str: _text, int: _number, float: _number, bool: _boolean, dt.date: _date, type(None): _empty}


def cell(value, style: str = "") -> str:
    return CELLS[type(value)](value, f' table:style-name="{style}"' if style else "")


def row(values: Sequence, style: str = "") -> str:
    if style:
        return "<table:table-row>" + "".join(cell(value, style) for value in values) + "</table:table-row>"
    return "<table:table-row>" + "".join(CELLS[type(value)](value) for value in values) + "</table:table-row>"


class Writer:
    """One ODS file: :meth:`sheet` opens a worksheet, :meth:`rows` streams
    rows into it, :meth:`close` ends the document."""

    def __init__(self, path: Path, *, title: str, language: str, created: dt.datetime,
                 widths: Iterable[int] = (), estimated_size: int = 0):
        self._archive = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6)
        self._created = created.strftime("%Y-%m-%dT%H:%M:%S")
        self._date = created.timetuple()[:6]
        self._put("mimetype", MEDIATYPE, compress=False)
        self._put("META-INF/manifest.xml",
                  '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
                  '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                  f'<manifest:file-entry manifest:full-path="/" manifest:version="1.2" '
                  f'manifest:media-type="{MEDIATYPE}"/>'
                  '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                  '<manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/>'
                  '</manifest:manifest>')
        self._put("meta.xml",
                  f'<?xml version="1.0" encoding="UTF-8"?><office:document-meta {NAMESPACES}><office:meta>'
                  f'<dc:title>{escape(title)}</dc:title><dc:language>{escape(language)}</dc:language>'
                  f'<meta:creation-date>{self._created}</meta:creation-date>'
                  f'<dc:date>{self._created}</dc:date></office:meta></office:document-meta>')
        info = self._info("content.xml")
        self._content: IO[bytes] = self._archive.open(info, "w", force_zip64=estimated_size > ZIP64_FROM)
        self._buffer: list[str] = []
        self._size = 0
        self._widths = sorted(set(widths))
        self._write('<?xml version="1.0" encoding="UTF-8"?>'
                    f'<office:document-content {NAMESPACES}><office:automatic-styles>{STYLES}'
                    + "".join(f'<style:style style:name="w{w}" style:family="table-column">'
                              f'<style:table-column-properties style:column-width="{w * 0.19:.2f}cm"/>'
                              '</style:style>' for w in self._widths)
                    + '</office:automatic-styles><office:body><office:spreadsheet>')
        self._open = False

    def _info(self, name: str, compress: bool = True) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=self._date)
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        info.external_attr = 0o644 << 16
        return info

    def _put(self, name: str, text: str, compress: bool = True) -> None:
        self._archive.writestr(self._info(name, compress), text.encode("utf-8"))

    def _write(self, text: str) -> None:
        self._buffer.append(text)
        self._size += len(text)
        if self._size >= CHUNK:
            self._flush()

    def _flush(self) -> None:
        self._content.write("".join(self._buffer).encode("utf-8"))
        self._buffer, self._size = [], 0

    def sheet(self, name: str, widths: Sequence[int]) -> None:
        """Start a worksheet whose columns are ``widths`` characters wide
        (each width must have been given to the constructor)."""
        self._end_sheet()
        self._write(f"<table:table table:name={quoteattr(name)}>"
                    + "".join(f'<table:table-column table:style-name="w{w}"/>' for w in widths))
        self._open = True

    def row(self, values: Sequence, style: str = "") -> None:
        """One row; ``style`` (``title``, ``bold``, ``wrap``) for all its cells."""
        self._write(row(values, style))

    def header(self, values: Sequence) -> None:
        """The header row of the worksheet's table."""
        self._write(f"<table:table-header-rows>{row(values, 'bold')}</table:table-header-rows>")

    def rows(self, rows: Iterable[Sequence]) -> int:
        count = 0
        for values in rows:
            self._write(row(values))
            count += 1
        return count

    def cells(self, values: Sequence[tuple[object, str]]) -> None:
        """One row of (value, style) pairs."""
        self._write("<table:table-row>" + "".join(cell(value, style) for value, style in values)
                    + "</table:table-row>")

    def _end_sheet(self) -> None:
        if self._open:
            self._write("</table:table>")
            self._open = False

    def close(self) -> None:
        self._end_sheet()
        self._write("</office:spreadsheet></office:body></office:document-content>")
        self._flush()
        self._content.close()
        self._archive.close()
