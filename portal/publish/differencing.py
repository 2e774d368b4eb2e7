"""No disclosure by differencing: a new edition of anonymised results checked
against every earlier published version of the same dataset.

Suppression protects each edition on its own; two editions side by side can
still give away what it hides. When a correction adds or removes a respondent
in a cell, the difference between the two published cells is that one
person's answer. So the cells of the new edition are compared with the same
cells of each earlier version, as a table of differences, under the rules
each edition is held to:

* Primary: a published cell whose figures changed is a group of at least
  as many respondents as changed (the difference in respondents, or, when
  that is zero, the answers that moved from one level to another). A group of
  one to ``threshold - 1`` is at risk.
* By subtraction: where figures add up (groups within an area, councils
  within Wales), a total whose difference is known, with every part's
  difference known but one, gives that part's difference away even when the
  part is suppressed in either edition; the same for a total from its parts.
  A difference recovered so that is held to the primary rule.

Only the published outputs are read (the rows of ``datapackage.json``'s
resources, with ``[c]`` for a suppressed figure), never the suppression
algorithm's inner workings. Pure functions; nothing here knows about Flask
or the database.
"""
from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

# The dataset's figures that add up, and how its cells are keyed (its
# primary key): the maturity scores that ``ingest-responses`` publishes.
BASE = "respondents"
COUNTS = ("level_1_count", "level_2_count", "level_3_count")
KEY = ("area_code", "characteristic_id", "respondent_group")
WALES = "W92000004"
GROUPS = ("officer", "elected_member")
ALL = "all"

Figures = tuple[int, ...]


@dataclass(frozen=True)
class CellAtRisk:
    """A cell whose difference from an earlier version reveals a group of
    fewer than ``threshold`` respondents."""

    key: tuple
    version: int
    group: int  # respondents the difference reveals
    before: Figures | None  # None: suppressed in that edition
    after: Figures | None
    how: str  # "difference" or "subtraction"

    def describe(self) -> str:
        area, characteristic, group = (list(self.key) + [None] * 3)[:3]
        shown = ", ".join(f"{name} {value}" for name, value in (("area", area), ("characteristic", characteristic),
                                                                ("group", group)) if value is not None)
        before = "suppressed" if self.before is None else _figures_text(self.before)
        after = "suppressed" if self.after is None else _figures_text(self.after)
        way = ("its published figures differ" if self.how == "difference"
               else "its difference can be worked out by subtraction from the totals")
        return (f"cell ({shown}): compared with version {self.version}, {way} by {self.group} "
                f"respondent(s), fewer than the threshold (version {self.version}: {before}; "
                f"this edition: {after})")


def _figures_text(figures: Figures) -> str:
    return f"{figures[0]} respondents, levels " + "/".join(str(value) for value in figures[1:])


def figures_of(rows: Iterable[Mapping]) -> dict[tuple, Figures | None]:
    """The cells of a published table: each key's base and counts, or None
    when the cell is suppressed (any of its figures missing)."""
    cells: dict[tuple, Figures | None] = {}
    for row in rows:
        key = tuple(row.get(name) for name in KEY)
        values = [row.get(BASE), *(row.get(name) for name in COUNTS)]
        cells[key] = None if any(value is None for value in values) else tuple(int(v) for v in values)
    return cells


def margins(keys: Iterable[tuple]) -> list[tuple[tuple, tuple[tuple, ...]]]:
    """Where the cells add up: groups within each area, councils within Wales."""
    keys = set(keys)
    councils = sorted({key[0] for key in keys if key[0] != WALES})
    characteristics = sorted({key[1] for key in keys})
    found = []
    for characteristic in characteristics:
        for area in [*councils, WALES]:
            total = (area, characteristic, ALL)
            parts = tuple((area, characteristic, group) for group in GROUPS)
            if total in keys and all(part in keys for part in parts):
                found.append((total, parts))
        for group in (*GROUPS, ALL):
            total = (WALES, characteristic, group)
            parts = tuple((council, characteristic, group) for council in councils)
            if parts and total in keys and all(part in keys for part in parts):
                found.append((total, parts))
    return found


def group_size(difference: Sequence[int]) -> int:
    """The fewest respondents a difference of figures can be: those added
    or removed, or, when their number did not change, those whose answer
    moved (each move takes one from a level and adds one to another)."""
    base, *counts = difference
    moved = max(sum(c for c in counts if c > 0), -sum(c for c in counts if c < 0))
    return max(abs(base), moved)


def compare(new: Mapping[tuple, Figures | None], old: Mapping[tuple, Figures | None], version: int,
            threshold: int) -> list[CellAtRisk]:
    """The cells of ``new`` at risk against the earlier version ``old``."""
    risks: dict[tuple, CellAtRisk] = {}
    known: dict[tuple, Figures] = {}
    for key in new.keys() & old.keys():
        after, before = new[key], old[key]
        if after is None or before is None:
            continue
        difference = tuple(a - b for a, b in zip(after, before))
        known[key] = difference
        size = group_size(difference)
        if 0 < size < threshold:
            risks[key] = CellAtRisk(key, version, size, before, after, "difference")
    for total, parts in margins(new.keys() & old.keys()):
        cells = (total, *parts)
        unknown = [key for key in cells if key not in known]
        if len(unknown) != 1:
            continue
        hidden = unknown[0]
        if hidden == total:
            recovered = tuple(sum(values) for values in zip(*(known[part] for part in parts)))
        else:
            others = [known[part] for part in parts if part != hidden]
            recovered = tuple(known[total][i] - sum(other[i] for other in others)
                              for i in range(len(known[total])))
        size = group_size(recovered)
        if 0 < size < threshold and hidden not in risks:
            risks[hidden] = CellAtRisk(hidden, version, size, old.get(hidden), new.get(hidden), "subtraction")
    return [risks[key] for key in sorted(risks, key=_sortable)]


def check(new_rows: Iterable[Mapping], earlier: Iterable[tuple[int, Iterable[Mapping]]],
          threshold: int) -> list[CellAtRisk]:
    """Every cell of the new edition at risk against any earlier version
    (``earlier``: each version's number and rows)."""
    new = figures_of(new_rows)
    found: list[CellAtRisk] = []
    for number, rows in earlier:
        found.extend(compare(new, figures_of(rows), number, threshold))
    return found


def applies_to(descriptor: Mapping) -> bool:
    """Whether a package holds anonymised results this check reads: it records
    its anonymisation, and a resource has the cells' key and figures."""
    if not isinstance(descriptor.get("anonymisation"), Mapping):
        return False
    return any(_has_figures(resource) for resource in descriptor.get("resources") or [])


def _has_figures(resource: Mapping) -> bool:
    names = {f.get("name") for f in (resource.get("schema") or {}).get("fields") or []}
    return {BASE, *COUNTS, *KEY} <= names


def threshold_of(descriptor: Mapping, default: int) -> int:
    value = (descriptor.get("anonymisation") or {}).get("threshold")
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 1 else default


def _sortable(key: Hashable) -> tuple:
    return tuple("" if part is None else str(part) for part in key)
