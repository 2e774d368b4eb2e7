"""Disclosure control: hand-built cases with known answers, property tests
over random response sets (the rules hold; the choice is optimal and never
worse than smallest-first), and the demonstration data's before and after."""
from __future__ import annotations

import csv
import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.anonymise import (PRIMARY, SECONDARY, Margin, ThresholdError, hidden_respondents, suppress,
                              suppress_smallest_first)
from portal.config import DATASETS_PATH
from portal.ingest.aggregate import ALL, GROUPS, WALES, Response, margins, maturity_cells

C = "leadership"


def table(bases: dict[str, tuple[int, int]]) -> dict:
    """Bases for councils (officers, members), with the 'all' and Wales cells they add up to."""
    cells = {}
    for council, (officers, members) in bases.items():
        cells[(council, C, "officer")] = officers
        cells[(council, C, "elected_member")] = members
        cells[(council, C, ALL)] = officers + members
    for group in (*GROUPS, ALL):
        cells[(WALES, C, group)] = sum(cells[(council, C, group)] for council in bases)
    return cells


def outcome(bases: dict[str, tuple[int, int]], k: int = 10) -> dict:
    result = suppress(table(bases), margins(list(bases), [C]), k)
    return {key: reason for key, reason in result.reasons.items()}


def test_a_council_where_only_one_group_is_small():
    reasons = outcome({"X": (20, 5), "Y": (30, 15), "Z": (25, 12)})
    assert reasons == {
        ("X", C, "elected_member"): PRIMARY,     # 5 < 10
        ("X", C, "officer"): SECONDARY,          # else all - officers = members
        ("Z", C, "elected_member"): SECONDARY,   # else Wales - the rest = X's members (smallest is Z's)
        ("Z", C, "officer"): SECONDARY,          # else Wales - the rest = X's officers
    }


def test_a_group_where_exactly_one_council_is_small():
    reasons = outcome({"X": (30, 8), "Y": (40, 20), "Z": (50, 25)})
    assert reasons == {
        ("X", C, "elected_member"): PRIMARY,
        ("X", C, "officer"): SECONDARY,
        ("Y", C, "elected_member"): SECONDARY,
        ("Y", C, "officer"): SECONDARY,
    }


def test_two_small_cells_in_a_margin_protect_each_other():
    bases = {"a": 5, "b": 6, "c": 30, "total": 41}
    result = suppress(bases, [Margin("total", ("a", "b", "c"))], 10)
    assert result.reasons == {"a": PRIMARY, "b": PRIMARY}


def test_the_smallest_part_is_chosen_as_complement():
    bases = {"a": 5, "b": 12, "c": 30, "total": 47}
    result = suppress(bases, [Margin("total", ("a", "b", "c"))], 10)
    assert result.reasons == {"a": PRIMARY, "b": SECONDARY}


def test_a_cell_with_no_respondents_is_suppressed_but_protects_nobody():
    reasons = outcome({"X": (20, 0), "Y": (30, 15), "Z": (25, 12)})
    # X's members: nobody to protect, and nothing to recover (their base is public anyway)
    assert reasons == {("X", C, "elected_member"): PRIMARY}
    # and a zero cell does not count as the second suppressed cell of a margin
    bases = {"a": 5, "z": 0, "c": 30, "total": 35}
    result = suppress(bases, [Margin("total", ("a", "z", "c"))], 10)
    assert result.reasons == {"a": PRIMARY, "z": PRIMARY, "c": SECONDARY}


def test_the_total_is_suppressed_when_no_part_can_be():
    bases = {"a": 12, "b": 0, "c": 3, "T": 12, "W": 15}
    margins_ = [Margin("T", ("a", "b")), Margin("W", ("a", "c"))]
    # smallest first: c's complement is a (12), whose own margin then needs its total T (12)
    result = suppress_smallest_first(bases, margins_, 10)
    assert result.reasons == {"b": PRIMARY, "c": PRIMARY, "a": SECONDARY, "T": SECONDARY}
    # optimal: hiding W (15 respondents) protects c as well as a and T (24) do
    assert suppress(bases, margins_, 10).reasons == {"b": PRIMARY, "c": PRIMARY, "W": SECONDARY}


def test_a_councils_all_cell_is_hidden_when_that_hides_fewer_respondents():
    """Z's 3 officers are hidden. Smallest first hides Z's 15 members, whose
    margin of members then needs X's 'all' cell (11) as well: 26 more. Hiding
    Z's 'all' cell (18) instead protects the officers as well: in Z's own
    margin two cells are hidden, and along the Wales margin of 'all' Y's
    'all' cell is hidden already."""
    bases = table({"X": (8, 3), "Y": (3, 3), "Z": (3, 15)})
    margins_ = margins(["X", "Y", "Z"], [C])
    primary = {key: PRIMARY for key in bases if bases[key] < 10}
    assert suppress_smallest_first(bases, margins_, 10).reasons == {
        **primary, ("Z", C, "elected_member"): SECONDARY, ("X", C, ALL): SECONDARY}
    after = suppress(bases, margins_, 10)
    assert after.reasons == {**primary, ("Z", C, ALL): SECONDARY}
    assert hidden_respondents(bases, after) == 44 < 52


def test_nothing_small_nothing_suppressed():
    assert outcome({"X": (20, 10), "Y": (30, 15)}) == {}


def test_level_counts_are_protected_like_the_bases():
    """Bases alone would hide a and b; but then b's level-3 count would be the
    total's minus c's (4 - 0), so the total is hidden too."""
    bases = {"a": 5, "b": 20, "c": 30, "W": 55}
    counts = {"a": (2, 3, 0), "b": (6, 10, 4), "c": (10, 20, 0), "W": (18, 33, 4)}
    margin = [Margin("W", ("a", "b", "c"))]
    assert suppress(bases, margin, 10).reasons == {"a": PRIMARY, "b": SECONDARY}
    assert suppress(bases, margin, 10, counts).reasons == {"a": PRIMARY, "b": SECONDARY, "W": SECONDARY}


def test_hidden_zeros_under_a_non_zero_total_are_protected():
    """a and b hidden, both with no level-3 answers, while the total has some:
    the total minus c would show both are zero, so c is hidden as well."""
    bases = {"a": 5, "b": 6, "c": 30, "W": 41}
    counts = {"a": (2, 3, 0), "b": (1, 5, 0), "c": (10, 17, 3), "W": (13, 25, 3)}
    result = suppress(bases, [Margin("W", ("a", "b", "c"))], 10, counts)
    assert result.reasons == {"a": PRIMARY, "b": PRIMARY, "c": SECONDARY, "W": SECONDARY}


@pytest.mark.parametrize("threshold", [1, 0, -5, 2.5, True, 1001])
def test_threshold_below_two_is_refused(threshold):
    with pytest.raises(ThresholdError, match="from 2 to 1000"):
        suppress({"a": 1}, [], threshold)


# -- the rules, checked independently of how the cells were chosen -------------------

def violations(bases, margins_, k, hidden, statistics=None):
    """Every way ``hidden`` breaks a rule: a published cell under k, or a
    margin from which a hidden figure could be worked out."""
    figures = {key: (bases[key], *(statistics[key] if statistics else ())) for key in bases}
    found = [("small", key) for key in bases if bases[key] < k and key not in hidden]
    for margin in margins_:
        cells = (margin.total, *margin.parts)
        if not any(key in hidden and figures[key][0] > 0 for key in cells):
            continue
        for index in range(len(figures[margin.total])):
            nonzero = [key for key in cells if key in hidden and figures[key][index] > 0]
            if len(nonzero) == 1:
                found.append(("alone", margin, index))
            if (not nonzero and margin.total not in hidden and figures[margin.total][index] > 0):
                found.append(("zeros shown", margin, index))
    return found


def assert_protected(bases, margins_, k, hidden, statistics=None):
    assert violations(bases, margins_, k, hidden, statistics) == []


def cheapest(bases, margins_, k, statistics=None):
    """By brute force: the fewest respondents (then cells) any valid choice hides."""
    primary = {key for key in bases if bases[key] < k}
    others = sorted(key for key in bases if key not in primary and bases[key] > 0)
    best = None
    for size in range(len(others) + 1):
        for extra in itertools.combinations(others, size):
            hidden = primary | set(extra)
            if not violations(bases, margins_, k, hidden, statistics):
                cost = (sum(bases[key] for key in hidden), len(hidden))
                best = cost if best is None else min(best, cost)
    return best


# -- property: over random response sets ----------------------------------------

COUNCILS = ["W06000001", "W06000002", "W06000003", "W06000004", "W06000005"]
CHARACTERISTICS = ["leadership", "open-data"]


@st.composite
def response_sets(draw):
    councils = COUNCILS[:draw(st.integers(1, len(COUNCILS)))]
    responses = []
    for council, group in itertools.product(councils, GROUPS):
        for number in range(draw(st.integers(0, 25))):
            for characteristic in CHARACTERISTICS:
                if draw(st.booleans()) or draw(st.booleans()):  # most answer, some skip
                    level = draw(st.integers(1, 3))
                    responses.append(Response(f"{council}-{group}-{number}", council, group,
                                              characteristic, level))
    return councils, responses


@settings(max_examples=150, deadline=None)
@given(data=response_sets(), k=st.integers(2, 15), method=st.sampled_from([suppress, suppress_smallest_first]))
def test_no_small_cell_published_and_nothing_recoverable_by_subtraction(data, k, method):
    councils, responses = data
    cells = maturity_cells(responses, councils, CHARACTERISTICS)
    result = method({key: cell.respondents for key, cell in cells.items()},
                    margins(councils, CHARACTERISTICS), k, {key: cell.counts for key, cell in cells.items()})
    hidden = set(result.reasons)

    for key, cell in cells.items():
        if key not in hidden:
            assert cell.respondents >= k

    def figures(key):
        cell = cells[key]
        return (cell.respondents, *cell.counts)

    for margin in margins(councils, CHARACTERISTICS):
        with_respondents = [key for key in (margin.total, *margin.parts)
                            if key in hidden and cells[key].respondents > 0]
        # a margin hides no one, or at least two cells with respondents
        assert len(with_respondents) != 1, margin
        if margin.total in hidden:
            continue
        # what the published total minus its published parts gives
        published = [key for key in margin.parts if key not in hidden]
        difference = tuple(t - sum(p) for t, *p in zip(figures(margin.total), *map(figures, published)))
        hidden_parts = [key for key in margin.parts if key in hidden]
        for key in hidden_parts:
            if cells[key].respondents > 0:
                assert difference != figures(key), (margin, key)
        if not any(cells[key].respondents for key in hidden_parts):
            continue
        for index, left_over in enumerate(difference):
            values = [figures(key)[index] for key in hidden_parts]
            # no figure of a hidden cell is pinned: not the only non-zero one,
            # nor shown to be zero by a non-zero total
            assert sum(1 for value in values if value) != 1, (margin, index)
            assert left_over != 0 or figures(margin.total)[index] == 0, (margin, index)


@settings(max_examples=150, deadline=None)
@given(data=response_sets(), k=st.integers(2, 15))
def test_optimising_never_hides_more_than_smallest_first(data, k):
    councils, responses = data
    cells = maturity_cells(responses, councils, CHARACTERISTICS)
    bases = {key: cell.respondents for key, cell in cells.items()}
    counts = {key: cell.counts for key, cell in cells.items()}
    margins_ = margins(councils, CHARACTERISTICS)
    before = suppress_smallest_first(bases, margins_, k, counts)
    after = suppress(bases, margins_, k, counts)
    assert_protected(bases, margins_, k, set(after.reasons), counts)
    assert (hidden_respondents(bases, after), len(after.reasons)) <= \
        (hidden_respondents(bases, before), len(before.reasons))
    assert {key for key, reason in after.reasons.items() if reason == PRIMARY} == \
        {key for key, cell in cells.items() if cell.respondents < k}


@st.composite
def small_tables(draw):
    """One characteristic, one to three councils: few enough cells to try
    every choice."""
    councils = COUNCILS[:draw(st.integers(1, 3))]
    counts = {}
    for council in councils:
        for group in GROUPS:
            counts[(council, C, group)] = tuple(draw(st.integers(0, 14)) for _ in range(3))
    for council in councils:
        counts[(council, C, ALL)] = tuple(map(sum, zip(*(counts[(council, C, g)] for g in GROUPS))))
    for group in (*GROUPS, ALL):
        counts[(WALES, C, group)] = tuple(map(sum, zip(*(counts[(c, C, group)] for c in councils))))
    return councils, counts


@settings(max_examples=60, deadline=None)
@given(table_=small_tables(), k=st.integers(2, 15))
def test_the_choice_is_the_cheapest_there_is(table_, k):
    councils, counts = table_
    bases = {key: sum(value) for key, value in counts.items()}
    margins_ = margins(councils, [C])
    result = suppress(bases, margins_, k, counts)
    assert_protected(bases, margins_, k, set(result.reasons), counts)
    assert (hidden_respondents(bases, result), len(result.reasons)) == cheapest(bases, margins_, k, counts)


@settings(max_examples=40, deadline=None)
@given(data=response_sets(), k=st.integers(2, 15), seed=st.integers(0, 2**32))
def test_the_same_table_in_any_order_gives_the_same_cells(data, k, seed):
    councils, responses = data
    cells = maturity_cells(responses, councils, CHARACTERISTICS)
    items = list(cells.items())
    margins_ = margins(councils, CHARACTERISTICS)
    first = suppress({key: c.respondents for key, c in items}, margins_, k, {key: c.counts for key, c in items})
    shuffle = random.Random(seed)
    shuffle.shuffle(items)
    margins_ = [Margin(m.total, tuple(shuffle.sample(m.parts, len(m.parts))))
                for m in shuffle.sample(margins_, len(margins_))]
    again = suppress({key: c.respondents for key, c in items}, margins_, k, {key: c.counts for key, c in items})
    assert again.reasons == first.reasons


# -- the demonstration data: before and after ------------------------------------

def demonstration_cells():
    folder = DATASETS_PATH / "demonstration-responses"
    with (folder / "responses.csv").open(encoding="utf-8") as handle:
        responses = [Response(r["respondent_id"], r["council_code"], r["group"], r["characteristic_id"],
                              int(r["level"])) for r in csv.DictReader(handle)]
    with (DATASETS_PATH / "councils" / "councils.csv").open(encoding="utf-8") as handle:
        councils = [row["gss_code"] for row in csv.DictReader(handle)]
    with (DATASETS_PATH / "maturity-framework" / "characteristics.csv").open(encoding="utf-8") as handle:
        characteristics = [row["id"] for row in csv.DictReader(handle)]
    return maturity_cells(responses, councils, characteristics), margins(councils, characteristics)


def test_on_the_demonstration_data_fewer_respondents_are_hidden_than_smallest_first():
    cells, margins_ = demonstration_cells()
    bases = {key: cell.respondents for key, cell in cells.items()}
    counts = {key: cell.counts for key, cell in cells.items()}
    before = suppress_smallest_first(bases, margins_, 10, counts)
    after = suppress(bases, margins_, 10, counts)
    assert_protected(bases, margins_, 10, set(after.reasons), counts)
    assert before.count(PRIMARY) == after.count(PRIMARY) > 0
    assert hidden_respondents(bases, after) < hidden_respondents(bases, before)
    assert len(after.reasons) <= len(before.reasons)
