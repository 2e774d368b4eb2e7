"""Row queries from a URL's query string, shared by the dataset preview and
the filtered downloads, so that "download exactly this" gives exactly the
rows the preview shows.

Any parameter named after a field filters on it (``field=value``, or
``field__gt=value`` and the other operators of :mod:`portal.datastore`);
reserved parameters start with an underscore: ``_sort`` (``a,-b``),
``_page``, ``_size``, ``_resource``, ``_q``, and ``_columns`` (the columns
the preview shows, one a value; the rows do not depend on it).
"""
from __future__ import annotations

from werkzeug.datastructures import MultiDict

from portal.datastore import QueryError, RowQuery, Table

RESERVED = ("_sort", "_page", "_size", "_resource", "_q", "_columns")
PRESENTATION = ("_resource", "_columns")  # what chooses no rows
PAGE_SIZES = (10, 20, 50, 100)
DEFAULT_SIZE = 20


def is_row_query(args: MultiDict) -> bool:
    return any(key for key in args.keys() if key not in PRESENTATION)


def parse(table: Table, args: MultiDict, *, paged: bool = True) -> tuple[RowQuery, int]:
    """The query and the page number; raises QueryError naming the bad parameter."""
    query = RowQuery()
    for key in args.keys():
        if key.startswith("_"):
            if key not in RESERVED:
                raise QueryError(key, f"unknown parameter {key!r}")
            continue
        # a value typed into a form may carry stray spaces
        query.filters.append(table.parse_filter(key, [value.strip() for value in args.getlist(key)]))
    query.q = args.get("_q", "").strip()
    if args.get("_sort"):
        query.sort = table.parse_sort(args["_sort"], "_sort")
    page = 1
    if paged:
        page = _whole(args.get("_page", "1"), "_page", minimum=1)
        size = _whole(args.get("_size", str(DEFAULT_SIZE)), "_size", minimum=1)
        if size not in PAGE_SIZES:
            raise QueryError("_size", f"the page size must be one of {', '.join(map(str, PAGE_SIZES))}")
        query.limit, query.offset = size, (page - 1) * size
    return query, page


def _whole(raw: str, parameter: str, minimum: int) -> int:
    if not raw.isdigit() or len(raw) > 7 or int(raw) < minimum:
        raise QueryError(parameter, f"{parameter} must be a whole number of at least {minimum}")
    return int(raw)


def filters_of(args: MultiDict) -> list[tuple[str, str]]:
    """The filter parameters of ``args``, as (key, value) pairs."""
    return [(key, value) for key, values in args.lists() if not key.startswith("_") for value in values]
