"""What a new version changes against the current one, in bounded memory.

Each resource's rows, old and new, are staged in two temporary tables of the
database, one row each: its key (the primary key's values, or the whole row
where the schema has none), a digest of the whole row, and the row itself.
Rows added, removed and changed are then counted by SQL joins on the key,
and a few of each are kept as samples (with the changed cells): memory holds
a batch of rows at a time, whatever the size of the resource.

The metadata (titles, descriptions, keywords in both languages, resources and
their fields) is compared too.
"""
from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, Text, and_, func, select

from portal.rowstore import MISSING

BATCH = 5_000
SAMPLE = 20
# Text cells that a spreadsheet would run as a formula: flagged in the report.
FORMULA_START = ("=", "+", "-", "@")
MAX_WARNINGS = 100

# progress(done): rows staged so far
Progress = Callable[[int], None]


def canonical(value: Any) -> Any:
    """One form for a value however it was read (from a CSV file or the row
    store): numbers that are whole as integers, dates as ISO 8601 text."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float, decimal.Decimal)):
        number = float(value)
        return int(number) if number.is_integer() and abs(number) < 2 ** 53 else number
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in value.items()}
    return str(value)


def canonical_row(row: dict[str, Any], names: list[str]) -> dict[str, Any]:
    data = {name: canonical(row.get(name)) for name in names}
    if row.get(MISSING):
        data[MISSING] = canonical(row[MISSING])
    return data


def formula_like(value: Any) -> bool:
    return (isinstance(value, str) and len(value) > 1 and value[0] in FORMULA_START
            and not _is_number(value))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class Staging:
    """Two temporary tables (old rows, new rows) on one connection."""

    def __init__(self, connection: Connection):
        self.connection = connection
        tag = uuid.uuid4().hex[:12]
        metadata = MetaData()
        self.tables = {side: Table(f"diff_{tag}_{side}", metadata,
                                   Column("n", Integer, primary_key=True),
                                   Column("k", String(64), index=True),
                                   Column("h", String(64)),
                                   Column("r", Text),
                                   prefixes=["TEMPORARY"])
                       for side in ("old", "new")}
        self.metadata = metadata

    def __enter__(self) -> Staging:
        self.metadata.create_all(self.connection)
        return self

    def __exit__(self, *_exc) -> None:
        try:
            self.metadata.drop_all(self.connection)
            self.connection.commit()
        except Exception:  # the connection is closed next, and temporary tables with it
            pass

    def stage(self, side: str, rows: Iterable[dict[str, Any]], names: list[str], key: list[str],
              progress: Progress | None = None,
              inspect: Callable[[int, dict[str, Any]], None] | None = None) -> int:
        table = self.tables[side]
        batch: list[dict[str, Any]] = []
        count = 0
        for count, row in enumerate(rows, start=1):
            data = canonical_row(row, names)
            if inspect is not None:
                inspect(count, data)
            text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
            digest = hashlib.sha256(text.encode()).hexdigest()
            k = (hashlib.sha256(json.dumps([data.get(name) for name in key], ensure_ascii=False).encode())
                 .hexdigest() if key else digest)
            batch.append({"n": count, "k": k, "h": digest, "r": text})
            if len(batch) >= BATCH:
                self.connection.execute(table.insert(), batch)
                batch.clear()
                if progress:
                    progress(count)
        if batch:
            self.connection.execute(table.insert(), batch)
        if progress:
            progress(count)
        self.connection.commit()
        return count

    def compare(self, names: list[str], sample: int = SAMPLE) -> dict[str, Any]:
        old, new = self.tables["old"], self.tables["new"]
        c = self.connection

        def only(a: Table, b: Table):
            return select(a.c.n, a.c.r).where(~select(b.c.n).where(b.c.k == a.c.k).exists())

        def count(statement) -> int:
            return c.scalar(select(func.count()).select_from(statement.subquery()))

        changed_q = (select(new.c.n, old.c.r.label("old_r"), new.c.r.label("new_r"))
                     .join(old, and_(old.c.k == new.c.k, old.c.h != new.c.h)))
        added_q, removed_q = only(new, old), only(old, new)
        changed = []
        for _n, old_r, new_r in c.execute(changed_q.order_by(new.c.n).limit(sample)):
            before, after = json.loads(old_r), json.loads(new_r)
            changed.append({"row": {name: after.get(name) for name in names},
                            "cells": [{"field": name, "old": before.get(name), "new": after.get(name)}
                                      for name in [*names, MISSING] if before.get(name) != after.get(name)]})
        return {
            "added": count(added_q), "removed": count(removed_q), "changed": count(changed_q),
            "samples": {
                "added": [json.loads(r) for _n, r in c.execute(added_q.order_by(added_q.selected_columns[0])
                                                                .limit(sample))],
                "removed": [json.loads(r) for _n, r in c.execute(removed_q.order_by(removed_q.selected_columns[0])
                                                                  .limit(sample))],
                "changed": changed,
            },
        }


def compare_rows(connection: Connection, old_rows: Iterable[dict[str, Any]], new_rows: Iterable[dict[str, Any]],
                 names: list[str], key: list[str], progress: Progress | None = None,
                 inspect: Callable[[int, dict[str, Any]], None] | None = None,
                 sample: int = SAMPLE) -> dict[str, Any]:
    """Rows added, removed and changed from ``old_rows`` to ``new_rows``
    (counts, and up to ``sample`` of each)."""
    with Staging(connection) as staging:
        old_count = staging.stage("old", old_rows, names, key)
        new_count = staging.stage("new", new_rows, names, key, progress, inspect)
        result = staging.compare(names, sample)
    result.update(old_rows=old_count, new_rows=new_count)
    return result


# -- metadata -----------------------------------------------------------------------------

def _cy(obj: dict) -> dict:
    return (obj.get("translations") or {}).get("cy") or {}


def _texts(obj: dict, key: str) -> tuple[Any, Any]:
    return obj.get(key), _cy(obj).get(key)


def metadata_changes(old: dict | None, new: dict) -> list[dict[str, Any]]:
    """Each change of the descriptor's text in both languages, and of its
    resources and fields: ``{"what", "en": [old, new], "cy": [old, new]}``."""
    old = old or {}
    changes: list[dict[str, Any]] = []

    def compare(what: str, before: dict, after: dict, key: str) -> None:
        (old_en, old_cy), (new_en, new_cy) = _texts(before, key), _texts(after, key)
        if old_en != new_en or old_cy != new_cy:
            changes.append({"what": what, "en": [old_en, new_en], "cy": [old_cy, new_cy]})

    for key in ("title", "description", "keywords"):
        compare(key, old, new, key)
    if bool(old.get("demonstration")) != bool(new.get("demonstration")) and old:
        changes.append({"what": "demonstration", "en": [bool(old.get("demonstration")),
                                                        bool(new.get("demonstration"))], "cy": None})
    old_resources = {r.get("name"): r for r in old.get("resources") or [] if isinstance(r, dict)}
    new_resources = {r.get("name"): r for r in new.get("resources") or [] if isinstance(r, dict)}
    for name in new_resources.keys() - old_resources.keys():
        if old:
            changes.append({"what": f"resource {name}: added", "en": None, "cy": None})
    for name in sorted(old_resources.keys() - new_resources.keys()):
        changes.append({"what": f"resource {name}: removed", "en": None, "cy": None})
    for name in sorted(old_resources.keys() & new_resources.keys()):
        before, after = old_resources[name], new_resources[name]
        for key in ("title", "description"):
            compare(f"resource {name}: {key}", before, after, key)
        old_fields = {f.get("name"): f for f in (before.get("schema") or {}).get("fields") or []}
        new_fields = {f.get("name"): f for f in (after.get("schema") or {}).get("fields") or []}
        for field in [f for f in new_fields if f not in old_fields]:
            changes.append({"what": f"resource {name}: field {field} added", "en": None, "cy": None})
        for field in [f for f in old_fields if f not in new_fields]:
            changes.append({"what": f"resource {name}: field {field} removed", "en": None, "cy": None})
        for field in [f for f in new_fields if f in old_fields]:
            if old_fields[field].get("type", "string") != new_fields[field].get("type", "string"):
                changes.append({"what": f"resource {name}: field {field} type",
                                "en": [old_fields[field].get("type", "string"),
                                       new_fields[field].get("type", "string")], "cy": None})
            for key in ("title", "description"):
                compare(f"resource {name}: field {field}: {key}", old_fields[field], new_fields[field], key)
    return changes


def primary_key(schema: dict) -> list[str]:
    key = schema.get("primaryKey") or []
    return [key] if isinstance(key, str) else list(key)


def rows_of(iterator: Iterator[dict[str, Any]] | None) -> Iterator[dict[str, Any]]:
    return iterator if iterator is not None else iter(())
