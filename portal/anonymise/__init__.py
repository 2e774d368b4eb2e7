"""Statistical disclosure control for published tables: pure functions, no I/O.

A table is a set of cells, each with a *base* (the number of respondents
behind it), and a set of *margins*: equations ``total = part + part + ...``
along which published figures add up (officers + elected members = all;
councils = Wales).

* Primary suppression: every cell whose base is below the threshold k.
* Secondary suppression: in every margin, the cells that are suppressed and
  have respondents behind them must number zero or at least two; otherwise the
  one could be recovered by subtraction (or addition, if it is the total).
  A cell with a base of zero hides nobody (and its base is public in the
  response rates), so it does not count as protection. Complementary cells are
  chosen among the parts, smallest base first, and the total only when no part
  can serve; this repeats until every margin holds.
"""
from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

PRIMARY = "primary"
SECONDARY = "secondary"
DEFAULT_THRESHOLD = 10
MINIMUM_THRESHOLD = 2


@dataclass(frozen=True)
class Margin:
    """``total`` is the sum of ``parts``, for every additive statistic."""

    total: Hashable
    parts: tuple[Hashable, ...]


@dataclass
class Suppression:
    threshold: int
    reasons: dict[Hashable, str] = field(default_factory=dict)

    def reason(self, key: Hashable) -> str | None:
        return self.reasons.get(key)

    def count(self, reason: str) -> int:
        return sum(1 for value in self.reasons.values() if value == reason)


class ThresholdError(ValueError):
    pass


def check_threshold(threshold: int) -> int:
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < MINIMUM_THRESHOLD:
        raise ThresholdError(f"the threshold must be a whole number of at least {MINIMUM_THRESHOLD}, "
                             f"not {threshold!r}")
    return threshold


def suppress(bases: Mapping[Hashable, int], margins: Sequence[Margin],
             threshold: int = DEFAULT_THRESHOLD) -> Suppression:
    """Decide which cells to suppress, and why. ``bases`` maps every cell to
    its number of respondents; cell keys must be sortable, for a deterministic
    choice between equal candidates."""
    check_threshold(threshold)
    result = Suppression(threshold)
    for key in sorted(bases):
        if bases[key] < threshold:
            result.reasons[key] = PRIMARY
    changed = True
    while changed:
        changed = False
        for margin in margins:
            if _protect(margin, bases, result.reasons):
                changed = True
    return result


def _protect(margin: Margin, bases: Mapping[Hashable, int], reasons: dict) -> bool:
    """Suppress one more cell of ``margin`` if exactly one of its suppressed
    cells has respondents. True if something changed."""
    cells = (margin.total, *margin.parts)
    hidden = [key for key in cells if key in reasons and bases[key] > 0]
    if len(hidden) != 1:
        return False
    candidates = sorted((bases[key], key) for key in margin.parts
                        if key not in reasons and bases[key] > 0)
    if candidates:
        reasons[candidates[0][1]] = SECONDARY
        return True
    if margin.total not in reasons and bases[margin.total] > 0:
        reasons[margin.total] = SECONDARY
        return True
    return False
