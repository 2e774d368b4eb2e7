"""Disclosure control: hand-built cases with known answers, and a property
test over random response sets."""
from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.anonymise import PRIMARY, SECONDARY, Margin, ThresholdError, suppress
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
    result = suppress(bases, [Margin("T", ("a", "b")), Margin("W", ("a", "c"))], 10)
    assert result.reasons == {"b": PRIMARY, "c": PRIMARY, "a": SECONDARY, "T": SECONDARY}


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
@given(data=response_sets(), k=st.integers(2, 15))
def test_no_small_cell_published_and_nothing_recoverable_by_subtraction(data, k):
    councils, responses = data
    cells = maturity_cells(responses, councils, CHARACTERISTICS)
    result = suppress({key: cell.respondents for key, cell in cells.items()},
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
