"""From validated responses to aggregate cells and response rates: pure
functions, no I/O. Respondent ids go no further than this module."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from portal.anonymise import Margin

WALES = "W92000004"
GROUPS = ("officer", "elected_member")
ALL = "all"
TOTAL = "total"
LEVELS = (1, 2, 3)


@dataclass(frozen=True)
class Response:
    respondent_id: str
    council_code: str
    group: str
    characteristic_id: str
    level: int


@dataclass(frozen=True)
class Cell:
    area_code: str
    characteristic_id: str
    group: str
    counts: tuple[int, int, int]

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.area_code, self.characteristic_id, self.group)

    @property
    def respondents(self) -> int:
        return sum(self.counts)

    def share(self, level: int) -> Decimal | None:
        """Percentage of respondents at ``level``, one decimal place."""
        if not self.respondents:
            return None
        return _round(Decimal(100 * self.counts[level - 1]) / self.respondents, "0.1")

    @property
    def mean(self) -> Decimal | None:
        if not self.respondents:
            return None
        total = sum(level * count for level, count in zip(LEVELS, self.counts))
        return _round(Decimal(total) / self.respondents, "0.01")

    @property
    def median(self) -> Decimal | None:
        n = self.respondents
        if not n:
            return None
        ordered = [level for level, count in zip(LEVELS, self.counts) for _ in range(count)]
        middle = n // 2
        if n % 2:
            return Decimal(ordered[middle])
        return (Decimal(ordered[middle - 1]) + Decimal(ordered[middle])) / 2


@dataclass(frozen=True)
class Rate:
    area_code: str
    group: str
    invited: int
    responded: int

    @property
    def percentage(self) -> int | None:
        """Whole-number percentage, halves rounded up."""
        if not self.invited:
            return None
        return int(_round(Decimal(100 * self.responded) / self.invited, "1"))


def _round(value: Decimal, places: str) -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def maturity_cells(responses: Iterable[Response], councils: Iterable[str],
                   characteristics: Iterable[str]) -> dict[tuple[str, str, str], Cell]:
    """Level counts per council (and Wales) x characteristic x group (and all)."""
    counts: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for response in responses:
        for area in (response.council_code, WALES):
            for group in (response.group, ALL):
                counts[(area, response.characteristic_id, group)][response.level - 1] += 1
    cells = {}
    for area in [*councils, WALES]:
        for characteristic in characteristics:
            for group in (*GROUPS, ALL):
                key = (area, characteristic, group)
                cells[key] = Cell(area, characteristic, group, tuple(counts.get(key, (0, 0, 0))))
    return cells


def margins(councils: Iterable[str], characteristics: Iterable[str]) -> list[Margin]:
    """Where published cells add up: groups within each area, councils within Wales."""
    councils = list(councils)
    found = []
    for characteristic in characteristics:
        for area in [*councils, WALES]:
            found.append(Margin((area, characteristic, ALL),
                                tuple((area, characteristic, group) for group in GROUPS)))
        for group in (*GROUPS, ALL):
            found.append(Margin((WALES, characteristic, group),
                                tuple((council, characteristic, group) for council in councils)))
    return found


def response_rates(responses: Iterable[Response], invitations: dict[tuple[str, str], int],
                   councils: Iterable[str]) -> list[Rate]:
    """Invited, responded (distinct respondents) and percentage per council and
    Wales, per group and in total."""
    respondents: dict[tuple[str, str], set[str]] = defaultdict(set)
    for response in responses:
        respondents[(response.council_code, response.group)].add(response.respondent_id)
    rates = []
    wales = {group: [0, 0] for group in GROUPS}
    for council in councils:
        invited_total = responded_total = 0
        for group in GROUPS:
            invited = invitations.get((council, group), 0)
            responded = len(respondents.get((council, group), ()))
            rates.append(Rate(council, group, invited, responded))
            invited_total += invited
            responded_total += responded
            wales[group][0] += invited
            wales[group][1] += responded
        rates.append(Rate(council, TOTAL, invited_total, responded_total))
    for group in GROUPS:
        rates.append(Rate(WALES, group, *wales[group]))
    rates.append(Rate(WALES, TOTAL, sum(v[0] for v in wales.values()), sum(v[1] for v in wales.values())))
    return rates
