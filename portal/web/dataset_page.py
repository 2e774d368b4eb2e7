"""What the dataset page shows: the preview table of one resource (columns,
filters, sort and paging as plain links and forms, values with their labels
in the page's language), the citation, the JSON-LD."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from flask import abort, current_app, request
from flask_babel import format_decimal, gettext
from werkzeug.datastructures import MultiDict

from portal import attribution, datastore, labels, queries
from portal.extensions import session
from portal.model import DatasetVersion, Resource
from portal.web import rowargs, search_engines
from portal.web.urls import query_url, this_url

ADD = ("_add_field", "_add_op", "_add_value")
PICK = "_pick_"  # _pick_<field>=<value>: the value chosen for a field ("" for any)
KEEP = "_keep"  # a picker left as it was: the several values already chosen stay
COLUMNS = "_columns"
MAX_DECIMALS = 4
OPERATORS = {"exact": "=", "not": "≠", "lt": "<", "lte": "≤", "gt": ">", "gte": "≥"}


@dataclass
class Column:
    name: str
    title: str
    type: str
    sort: str | None  # "ascending" / "descending" when sorted on
    sort_url: str
    numeric: bool = False
    lang: str | None = None  # the other language, for a column of text in it


@dataclass
class Cell:
    text: str
    value: str | None = None  # the code a label stands for
    code: str | None = None  # a code shown beside its label
    marker: str | None = None  # a missing value's marker, such as [c]


@dataclass
class Picker:
    name: str
    title: str
    options: list[tuple[str, str]] | None  # (value, label); None: too many to list, a value is typed
    chosen: list[str]

    @property
    def id(self) -> str:
        return f"pick-{self.name}"


@dataclass
class Choice:
    name: str
    title: str
    shown: bool


@dataclass
class Problem:
    message: str
    target: str  # the id of the field in error


@dataclass
class Preview:
    resource: Resource
    columns: list[Column]
    rows: list[list[Cell]]
    total: int
    page: int
    pages: int
    size: int
    filters: list[tuple[str, str, str]]  # what, value, URL without it
    q: str
    csv_url: str
    json_url: str
    error: datastore.QueryError | None = None
    estimated: bool = False  # the total is an estimate (a search matching many rows)
    pickers: list[Picker] = field(default_factory=list)
    choices: list[Choice] = field(default_factory=list)
    chosen_columns: bool = False  # the reader chose the columns
    problems: list[Problem] = field(default_factory=list)
    sizes: tuple[int, ...] = rowargs.PAGE_SIZES
    fields: list[Column] = field(default_factory=list)  # every field, for the condition form

    def page_url(self, page: int) -> str:
        return this_url(_args(_page=str(page)))

    @property
    def default_columns_url(self) -> str:
        return this_url(_args(**{COLUMNS: None, "_page": None}))


def _args(**changes) -> MultiDict:
    args = MultiDict(request.args)
    for key, value in changes.items():
        args.poplist(key)
        if value is not None:
            args.add(key, value)
    if args.get("_page") == "1":
        args.poplist("_page")
    return args


def added_filter_url() -> str | None:
    """The canonical URL when a filter form was sent ("add a condition", or
    the value pickers), else None."""
    picked = [(key[len(PICK):], request.args.getlist(key)[-1].strip())
              for key in request.args if key.startswith(PICK)]
    if not picked and not any(key in request.args for key in ADD):
        return None
    args = _args(_page=None, **{key: None for key in ADD})
    for key in [key for key in args if key.startswith(PICK)]:
        args.poplist(key)
    for name, value in picked:
        if value == KEEP or not name:
            continue
        args.poplist(name)
        if value:
            args.add(name, value)
    name, op, value = (request.args.get(key, "").strip() for key in ADD)
    if name:
        args.add(name if op in ("", "exact") else f"{name}__{op}", value)
    return this_url(args)


def preview(version: DatasetVersion, lang: str) -> Preview:
    name = request.args.get("_resource") or version.resources[0].name
    resource = queries.find_resource(version, name)
    if resource is None:
        abort(404)
    db = session()
    table = datastore.Table(resource)
    infos = labels.describe(resource)
    error = None
    try:
        query, page = rowargs.parse(table, request.args)
        query.markers = True
        result = datastore.run(db, resource, query, current_app.config["SECRET_KEY"])
    except datastore.QueryError as exc:
        error = exc
        query, page = datastore.RowQuery(limit=rowargs.DEFAULT_SIZE), 1
        result = datastore.run(db, resource, query, current_app.config["SECRET_KEY"])
    pages = max(1, math.ceil(result.total / query.limit))
    if page > pages and not result.total_estimated:
        abort(404)

    chosen = [n for n in dict.fromkeys(request.args.getlist(COLUMNS)) if n in infos]
    shown = chosen or labels.default_columns(infos, lang, _primary_key(resource))
    other = "en" if lang == "cy" else "cy"
    sorted_on = dict(query.sort)
    every = []
    for field_name in table.names:
        info = infos[field_name]
        descending = sorted_on.get(field_name)
        next_sort = field_name if descending in (None, True) else f"-{field_name}"
        every.append(Column(field_name, info.title[lang], table.types[field_name],
                            None if descending is None else ("descending" if descending else "ascending"),
                            this_url(_args(_sort=next_sort, _page=None)), info.numeric,
                            other if info.language == other else None))
    columns = [column for column in every if column.name in shown]
    rows = [] if error else result.rows
    cells = _cells(db, resource, infos, columns, rows, lang)

    filters = []
    for key, value in rowargs.filters_of(request.args):
        remaining = MultiDict(request.args)
        remaining.setlist(key, [v for v in request.args.getlist(key) if v != value])
        remaining.poplist("_page")
        filters.append((_filter_text(db, resource, infos, key, value, lang), value, this_url(remaining)))
    download = [(key, value) for key, value in request.args.items(multi=True)
                if key not in ("_page", "_size", "_resource", COLUMNS)]
    endpoint = "downloads.pinned_resource"
    common = {"name": version.dataset.name, "number": version.number, "resource": resource.name}
    return Preview(resource, columns, cells, result.total if not error else 0,
                   page, pages, query.limit, filters, query.q,
                   query_url(endpoint, download, **common, fmt="csv"),
                   query_url(endpoint, download, **common, fmt="json"), error,
                   result.total_estimated and not error,
                   pickers=_pickers(db, resource, infos, lang),
                   choices=[Choice(c.name, c.title, c.name in shown) for c in every],
                   chosen_columns=bool(chosen),
                   problems=[_problem(error, infos, lang)] if error else [],
                   fields=every)


def _primary_key(resource: Resource) -> list[str]:
    key = resource.table_schema.get("primaryKey") or []
    return [key] if isinstance(key, str) else list(key)


# -- values as a reader sees them ----------------------------------------------------

def _cells(db, resource: Resource, infos: dict[str, labels.FieldInfo], columns: list[Column],
           rows: list[dict], lang: str) -> list[list[Cell]]:
    """Each shown value as text: codes with their labels in ``lang``,
    booleans as yes or no, numbers in the page's locale with as many decimal
    places down a column (on this page) as its most precise value needs."""
    looked_up = {column.name: labels.value_labels(db, resource, infos[column.name],
                                                  [row.get(column.name) for row in rows])
                 for column in columns if infos[column.name].categories or infos[column.name].reference}
    decimals = {column.name: min(MAX_DECIMALS, max([_decimals(row.get(column.name)) for row in rows] or [0]))
                for column in columns if column.type == "number"}
    table = []
    for row in rows:
        markers = row.get(datastore.MISSING) or {}
        line = []
        for column in columns:
            value = row.get(column.name)
            if value is None:
                line.append(Cell("", marker=markers.get(column.name)))
            elif column.type == "boolean":
                line.append(Cell(gettext("Yes") if value else gettext("No"), value="true" if value else "false"))
            elif column.name in looked_up:
                found = looked_up[column.name].get(value)
                text = (found.get(lang) or found.get("en")) if found else None
                reference = infos[column.name].reference is not None
                line.append(Cell(text, value=str(value), code=str(value) if reference else None)
                            if text else Cell(datastore.csv_value(row, column.name)))
            elif column.type == "number":
                line.append(Cell(format_decimal(value, format=_pattern(decimals[column.name]))))
            elif column.type == "integer":
                line.append(Cell(format_decimal(value)))
            else:
                line.append(Cell(datastore.csv_value(row, column.name)))
        table.append(line)
    return table


def _decimals(value: Any) -> int:
    if not isinstance(value, float) or not math.isfinite(value) or value.is_integer():
        return 0
    text = repr(value)
    if "e" in text:
        return MAX_DECIMALS
    return len(text.partition(".")[2])


def _pattern(decimals: int) -> str:
    return "#,##0" + ("." + "0" * decimals if decimals else "")


def _option_label(info: labels.FieldInfo, option: labels.Option, lang: str) -> str:
    if info.type == "boolean":
        return gettext("Yes") if option.value else gettext("No")
    return option.label(lang)


def _pickers(db, resource: Resource, infos: dict[str, labels.FieldInfo], lang: str) -> list[Picker]:
    """A choice of values for each field filtered by picking one."""
    pickers = []
    for info in infos.values():
        if not info.pickable:
            continue
        found = labels.options(db, resource, info)
        if found is not None and not (info.enum or info.categories or info.type == "boolean"):
            found = labels.by_label(found, lang)
        options = None if found is None else [
            (_as_text(option.value), _option_label(info, option, lang)) for option in found]
        pickers.append(Picker(info.name, _picker_title(info, infos, lang), options, request.args.getlist(info.name)))
    return pickers


def _picker_title(info: labels.FieldInfo, infos: dict[str, labels.FieldInfo], lang: str) -> str:
    """A code labelled in its row is chosen by its label: "Area name" (the
    label columns' title, without its language) rather than "Area code"."""
    if info.labels_in_row:
        titles = [re.sub(r"\s*\([^()]*\)$", "", infos[column].title[lang]) for column in info.labels_in_row.values()]
        if titles[0] and len(set(titles)) == 1:
            return titles[0]
    return info.title[lang]


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _filter_text(db, resource: Resource, infos: dict[str, labels.FieldInfo], key: str, value: str,
                 lang: str) -> str:
    """"Area code = Neath Port Talbot": a filter as a reader reads it."""
    name, _, op = key.partition("__")
    info = infos.get(name)
    if info is None:
        return f"{key} = {value}"
    shown = value
    if value == "":
        shown = gettext("(no value)")
    elif info.type == "boolean" and value.lower() in datastore.TRUE_VALUES | datastore.FALSE_VALUES:
        shown = gettext("Yes") if value.lower() in datastore.TRUE_VALUES else gettext("No")
    elif info.pickable and not info.numeric:
        match = next((o for o in labels.options(db, resource, info) or [] if _as_text(o.value) == value), None)
        if match is not None and match.labels:
            shown = match.label(lang)
    title = _picker_title(info, infos, lang) if shown != value else info.title[lang]
    return f"{title} {OPERATORS.get(op or 'exact', '=')} {shown}"


# -- errors, in the reader's language --------------------------------------------------

def _problem(error: datastore.QueryError, infos: dict[str, labels.FieldInfo], lang: str) -> Problem:
    parameter = error.parameter
    if parameter == "_size":
        sizes = ", ".join(map(str, rowargs.PAGE_SIZES))
        return Problem(gettext("Choose how many rows to show on a page: %(sizes)s.", sizes=sizes), "preview-size")
    if parameter == "_page":
        return Problem(gettext("A page number is a whole number from 1."), "preview-table")
    if parameter == "_sort":
        return Problem(gettext("The table can be sorted only by its own columns."), "preview-table")
    if parameter in ("q", "_q"):
        return Problem(gettext("Search the rows with up to %(count)s characters.", count=datastore.MAX_Q_LENGTH),
                       "preview-table")
    if parameter == "filters":
        return Problem(gettext("Use at most %(count)s filters at once.", count=datastore.MAX_FILTERS), "add-field")
    if parameter.startswith("_"):
        return Problem(gettext("“%(parameter)s” is not a setting of this page.", parameter=parameter),
                       "preview-table")
    name, _, op = parameter.partition("__")
    info = infos.get(name)
    if info is None:
        return Problem(gettext("This table has no column “%(name)s”.", name=name), "add-field")
    if op and op not in datastore.OPERATORS:
        return Problem(gettext("“%(op)s” is not a condition this page offers.", op=op), "add-op")
    kinds = {"integer": gettext("whole numbers"), "year": gettext("whole numbers"), "number": gettext("numbers"),
             "boolean": gettext("yes or no"), "date": gettext("dates (YYYY-MM-DD)"),
             "datetime": gettext("dates and times")}
    target = f"pick-{name}" if info.pickable else "add-value"
    if info.type in kinds:
        return Problem(gettext("Give a value for “%(column)s” that it can hold: it holds %(kind)s.",
                               column=info.title[lang], kind=kinds[info.type]), target)
    return Problem(gettext("Give a value for “%(column)s” of up to %(count)s characters.",
                           column=info.title[lang], count=datastore.MAX_VALUE_LENGTH), target)


def citation(version: DatasetVersion, lang: str, url: str) -> attribution.Citation:
    return attribution.citation(version, lang, url, attribution.publisher(current_app.config))


def json_ld(version: DatasetVersion, first_published, landing: dict[str, str]) -> dict:
    """schema.org Dataset, as search engines read it, in the page's language."""
    return search_engines.dataset(version, first_published, landing)


