"""Statistical disclosure control for published tables: pure functions, no I/O.

A table is a set of cells, each with a *base* (the number of respondents
behind it), and a set of *margins*: equations ``total = part + part + ...``
along which published figures add up (officers + elected members = all;
councils = Wales).

* Primary suppression: every cell whose base is below the threshold k.
* Secondary suppression: for every additive figure of a cell (its number of
  respondents, and the count at each level), in every margin that hides a
  cell with respondents, the hidden cells with a non-zero value must number
  zero or at least two; otherwise the one could be recovered by subtraction
  (or addition, if it is the total). And hidden parts may not all be zero
  under a published non-zero total, which would show them to be zero. A
  cell with a base of zero hides nobody (its base is public in the response
  rates). Complementary cells are chosen among the parts, smallest base
  first, and the total only when no part can serve; this repeats until every
  margin holds for every figure.
"""
from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

PRIMARY = "primary"
SECONDARY = "secondary"
DEFAULT_THRESHOLD = 10
MINIMUM_THRESHOLD = 2
MAXIMUM_THRESHOLD = 1000


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
    if (isinstance(threshold, bool) or not isinstance(threshold, int)
            or not MINIMUM_THRESHOLD <= threshold <= MAXIMUM_THRESHOLD):
        raise ThresholdError(f"the threshold must be a whole number from {MINIMUM_THRESHOLD} to "
                             f"{MAXIMUM_THRESHOLD}, not {threshold!r}")
    return threshold


def suppress(bases: Mapping[Hashable, int], margins: Sequence[Margin],
             threshold: int = DEFAULT_THRESHOLD,
             statistics: Mapping[Hashable, Sequence[int]] | None = None) -> Suppression:
    """Decide which cells to suppress, and why.

    ``bases`` maps every cell to its number of respondents; ``statistics``
    maps every cell to its other additive figures (here the count at each
    level), which add up along the same margins and are protected the same
    way. Cell keys must be sortable, for a deterministic choice between
    equal candidates."""
    check_threshold(threshold)
    figures = {key: (bases[key], *(statistics[key] if statistics else ())) for key in bases}
    result = Suppression(threshold)
    for key in sorted(bases):
        if bases[key] < threshold:
            result.reasons[key] = PRIMARY
    changed = True
    while changed:
        changed = False
        for margin in margins:
            while _protect(margin, figures, result.reasons):
                changed = True
    return result


def _protect(margin: Margin, figures: Mapping[Hashable, Sequence[int]], reasons: dict) -> bool:
    """Suppress one more cell of ``margin`` if some figure of its suppressed
    cells could be worked out from it; True if something changed.

    For each additive figure: when the margin hides a cell with respondents,
    a single hidden cell with a non-zero value would equal what the margin
    leaves over, and hidden parts that are all zero under a published,
    non-zero total would be shown to be zero. Either way, another cell with a
    non-zero value of that figure is hidden: a part, smallest first, or else
    the total."""
    cells = (margin.total, *margin.parts)
    hidden = [key for key in cells if key in reasons]
    if not any(figures[key][0] > 0 for key in hidden):
        return False
    for index in range(len(figures[margin.total])):
        nonzero = [key for key in hidden if figures[key][index] > 0]
        total_known = margin.total not in reasons
        if len(nonzero) == 1 or (not nonzero and total_known and figures[margin.total][index] > 0):
            candidates = sorted((figures[key][0], key) for key in margin.parts
                                if key not in reasons and figures[key][index] > 0)
            if candidates:
                reasons[candidates[0][1]] = SECONDARY
                return True
            if total_known and figures[margin.total][index] > 0:
                reasons[margin.total] = SECONDARY
                return True
    return False
