"""Every council against every key characteristic, in one sortable table.

Each cell is the share of all respondents (officers and elected members
together) who placed the council at one level: level 3, the most mature, by
default. A share is a number that sorts and compares across councils; the
level chosen most often takes only three values, so many councils would tie.
Works on rows of the published maturity-scores and response-rates datasets;
knows nothing of Flask.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from portal.main_points import LEVELS, Shares, shares

NAME, RESPONDENTS = "name", "respondents"
DEFAULT_LEVEL = 3


@dataclass(frozen=True)
class Cell:
    row: dict | None  # the published row: None when there is none
    shares: Shares | None  # None when suppressed or empty

    def percentage(self, level: int) -> int | None:
        return None if self.shares is None else self.shares.percentages[level - 1]


@dataclass(frozen=True)
class Line:
    council: object  # profiles.Council
    cells: dict[str, Cell]  # characteristic id -> cell
    respondents: int | None  # distinct respondents, from the response rates


def sort_keys(characteristics: Iterable[dict]) -> list[str]:
    return [NAME, RESPONDENTS, *(c["id"] for c in characteristics)]


def choose(value: str | None, allowed: Iterable[str], default: str) -> str:
    """``value`` if it is one of ``allowed``, else ``default``: unknown input is ignored."""
    return value if value in set(allowed) else default


def level_of(value: str | None) -> int:
    return int(choose(value, [str(level) for level in LEVELS], str(DEFAULT_LEVEL)))


def lines(councils: Iterable, characteristics: list[dict], scores: Iterable[dict],
          rates: Iterable[dict]) -> list[Line]:
    """One line per council from the scores rows of all respondents and the total rates."""
    by_key = {(row["area_code"], row["characteristic_id"]): row for row in scores
              if row.get("respondent_group") == "all"}
    responded = {row["area_code"]: row.get("responded") for row in rates
                 if row.get("recipient_group") == "total"}
    return [Line(council,
                 {c["id"]: Cell(by_key.get((council.code, c["id"])),
                                shares(by_key.get((council.code, c["id"]))))
                  for c in characteristics},
                 responded.get(council.code))
            for council in councils]


def sort(found: list[Line], key: str, descending: bool, level: int, language: str) -> list[Line]:
    """Sorted by council name, respondents or one characteristic's share at ``level``.
    Cells with no figure (suppressed) come last whichever the direction; ties
    are broken by name."""
    by_name = sorted(found, key=lambda line: line.council.name(language).casefold())
    if key == NAME:
        return list(reversed(by_name)) if descending else by_name

    def value(line: Line) -> int | None:
        return line.respondents if key == RESPONDENTS else line.cells[key].percentage(level)

    known = [line for line in by_name if value(line) is not None]
    unknown = [line for line in by_name if value(line) is None]
    known.sort(key=value, reverse=descending)  # stable: names stay in order within a tie
    return known + unknown
