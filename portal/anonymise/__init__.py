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
  rates).

Which complementary cells to hide is an optimisation, as in tau-Argus's
"optimal" and "modular" methods: among all the sets of cells that satisfy
every margin, the one that hides the fewest respondents is chosen (the cost
of hiding a cell is the number of respondents behind it, tau-Argus's
"frequency" cost; among sets that hide as many, the one with fewest cells).
The table is split into its independent parts (cells linked by margins: here
one part per characteristic), and each part is solved as a small integer
programme with the HiGHS solver, whose rules are exactly the conditions
above. The older "smallest part first" heuristic is kept as a fallback and
a bound: the cheaper of the two is published, so optimising never hides more
respondents than it would. Both are deterministic: the same table always
gives the same cells, whatever order it arrives in.
"""
from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import highspy
import numpy as np

PRIMARY = "primary"
SECONDARY = "secondary"
DEFAULT_THRESHOLD = 10
MINIMUM_THRESHOLD = 2
MAXIMUM_THRESHOLD = 1000
# branch-and-bound nodes the solver may use on one part of a table before its
# best answer so far is taken (a count, not a time, so the answer is the same
# on any machine); parts of the size published here need a handful
NODE_LIMIT = 2_000


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
    """Decide which cells to suppress, and why, hiding as few respondents as
    the rules allow.

    ``bases`` maps every cell to its number of respondents; ``statistics``
    maps every cell to its other additive figures (here the count at each
    level), which add up along the same margins and are protected the same
    way. Cell keys must be sortable, for a deterministic choice between
    equal candidates."""
    return _suppress(bases, margins, threshold, statistics, optimise=True)


def suppress_smallest_first(bases: Mapping[Hashable, int], margins: Sequence[Margin],
                            threshold: int = DEFAULT_THRESHOLD,
                            statistics: Mapping[Hashable, Sequence[int]] | None = None) -> Suppression:
    """The same rules, with complements chosen one at a time, smallest part
    first (the total only when no part can serve), until every margin holds."""
    return _suppress(bases, margins, threshold, statistics, optimise=False)


def hidden_respondents(bases: Mapping[Hashable, int], suppression: Suppression) -> int:
    """The respondents behind the suppressed cells, counted once per cell."""
    return sum(bases[key] for key in suppression.reasons)


def _suppress(bases, margins, threshold, statistics, optimise: bool) -> Suppression:
    check_threshold(threshold)
    figures = {key: (bases[key], *(statistics[key] if statistics else ())) for key in bases}
    primary = {key for key in bases if bases[key] < threshold}
    hidden = set(primary)
    for part in _parts(margins):
        cells = sorted({key for margin in part for key in (margin.total, *margin.parts)})
        start = primary.intersection(cells)
        if not any(bases[key] > 0 for key in start):
            continue  # nobody hidden here: nothing to protect
        greedy = _smallest_first(part, figures, start)
        chosen = greedy
        if optimise:
            best = _optimal(part, cells, figures, start, greedy)
            if best is not None:
                best = _smallest_first(part, figures, best)  # a no-op unless the solver erred
                if _cost(best, figures) <= _cost(greedy, figures):
                    chosen = best
        hidden |= chosen
    result = Suppression(threshold)
    for key in sorted(hidden):
        result.reasons[key] = PRIMARY if key in primary else SECONDARY
    return result


def _cost(cells: Iterable[Hashable], figures) -> tuple[int, int]:
    cells = list(cells)
    return sum(figures[key][0] for key in cells), len(cells)


def _parts(margins: Sequence[Margin]) -> list[list[Margin]]:
    """Margins grouped into independent parts: two margins are in one part
    when they share a cell (union-find over cells)."""
    parent: dict = {}

    def find(key):
        parent.setdefault(key, key)
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for margin in margins:
        root = find(margin.total)
        for key in margin.parts:
            other = find(key)
            if other != root:
                parent[other] = root
    grouped: dict = {}
    for margin in margins:
        grouped.setdefault(find(margin.total), []).append(margin)
    return list(grouped.values())


def _smallest_first(margins: Sequence[Margin], figures, start: Iterable[Hashable]) -> set:
    reasons = {key: PRIMARY for key in start}
    changed = True
    while changed:
        changed = False
        for margin in margins:
            while _protect(margin, figures, reasons):
                changed = True
    return set(reasons)


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


def _constraints(margins: Sequence[Margin], figures) -> set[tuple[Hashable, tuple, tuple]]:
    """The rules as linear inequalities over 0/1 "hidden" variables, each
    ``x[cell] <= sum(x[other] for other in others)``: if ``cell`` is hidden,
    so is one of ``others``. Returned as (cell, others) pairs, deduplicated.

    * a hidden cell with a non-zero figure needs another hidden cell of the
      margin with that figure non-zero (so never exactly one);
    * a hidden part with respondents, under a total whose figure is not
      zero, needs the total hidden or a hidden part with that figure non-zero
      (else the hidden parts would all be shown to be zero)."""
    found = set()
    for margin in margins:
        cells = (margin.total, *margin.parts)
        for index in range(len(figures[margin.total])):
            nonzero = tuple(sorted(key for key in cells if figures[key][index] > 0))
            for key in nonzero:
                found.add((key, tuple(other for other in nonzero if other != key)))
            if figures[margin.total][index] > 0:
                cover = tuple(sorted({margin.total, *(key for key in margin.parts
                                                      if figures[key][index] > 0)}))
                for key in margin.parts:
                    if figures[key][0] > 0 and figures[key][index] == 0:
                        found.add((key, cover))
    return found


def _optimal(margins: Sequence[Margin], cells: list, figures, start: set, known: set) -> set | None:
    """The cheapest set of hidden cells containing ``start`` that satisfies
    every rule of ``margins``, by integer programming, starting from the
    valid choice ``known``; None if the solver gives no answer."""
    index = {key: i for i, key in enumerate(cells)}
    rows = sorted((index[key], tuple(sorted(index[o] for o in others)))
                  for key, others in _constraints(margins, figures))
    scale = len(cells) + 1  # respondents first, then the number of cells
    cost = np.array([figures[key][0] * scale + 1 for key in cells], dtype=np.float64)
    lower = np.array([1.0 if key in start else 0.0 for key in cells])
    upper = np.ones(len(cells))

    highs = highspy.Highs()
    for option, value in (("output_flag", False), ("threads", 1), ("random_seed", 0),
                          ("mip_rel_gap", 0.0), ("mip_abs_gap", 0.5),
                          ("mip_max_nodes", NODE_LIMIT)):
        highs.setOptionValue(option, value)
    highs.addCols(len(cells), cost, lower, upper, 0, np.array([], dtype=np.int32),
                  np.array([], dtype=np.int32), np.array([], dtype=np.float64))
    highs.changeColsIntegrality(len(cells), np.arange(len(cells), dtype=np.int32),
                                np.full(len(cells), highspy.HighsVarType.kInteger.value, dtype=np.uint8))
    starts, columns, values = [], [], []
    for key, others in rows:
        starts.append(len(columns))
        columns.extend((key, *others))
        values.extend((1.0, *(-1.0 for _ in others)))
    if rows:
        highs.addRows(len(rows), np.full(len(rows), -highspy.kHighsInf), np.zeros(len(rows)),
                      len(columns), np.array(starts, dtype=np.int32), np.array(columns, dtype=np.int32),
                      np.array(values, dtype=np.float64))
    highs.setSolution(len(cells), np.arange(len(cells), dtype=np.int32),
                      np.array([1.0 if key in known else 0.0 for key in cells]))
    highs.run()
    if highs.getInfo().primal_solution_status != 2:  # no feasible solution found
        return None
    solution = highs.getSolution().col_value
    return {key for key, value in zip(cells, solution) if value > 0.5}
