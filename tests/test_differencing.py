"""No disclosure by differencing: a new edition of the anonymised results is
checked, cell by cell, against every earlier published version."""
from __future__ import annotations

import csv

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from portal import queries
from portal.anonymise import suppress
from portal.ingest.aggregate import ALL, GROUPS, WALES, margins
from portal.model import AuditEvent
from portal.publish import differencing
from tests.test_ingest import INVITATIONS, RESPONSES, ingest_cli

COUNCILS = ("W06000001", "W06000002", "W06000003")
CHARACTERISTIC = "leadership"


def published_rows(counts: dict[tuple[str, str], tuple[int, int, int]], threshold: int) -> list[dict]:
    """The rows one edition publishes for ``counts`` (respondents at each level
    per council and group), suppressed by the portal's own rules."""
    cells: dict[tuple, tuple[int, int, int]] = {}
    for council in COUNCILS:
        for group in GROUPS:
            cells[(council, CHARACTERISTIC, group)] = counts[(council, group)]
        cells[(council, CHARACTERISTIC, ALL)] = tuple(map(sum, zip(*(counts[(council, g)] for g in GROUPS))))
    for group in (*GROUPS, ALL):
        cells[(WALES, CHARACTERISTIC, group)] = tuple(map(sum, zip(*(cells[(c, CHARACTERISTIC, group)]
                                                                    for c in COUNCILS))))
    result = suppress({key: sum(value) for key, value in cells.items()}, margins(COUNCILS, [CHARACTERISTIC]),
                      threshold, statistics=cells)
    rows = []
    for key, value in cells.items():
        hidden = result.reason(key) is not None
        figures = [sum(value), *value]
        rows.append({"area_code": key[0], "characteristic_id": key[1], "respondent_group": key[2],
                     **{name: None if hidden else figure
                        for name, figure in zip((differencing.BASE, *differencing.COUNTS), figures)}})
    return rows


def affected(council: str, group: str) -> list[tuple]:
    return [(council, CHARACTERISTIC, group), (council, CHARACTERISTIC, ALL),
            (WALES, CHARACTERISTIC, group), (WALES, CHARACTERISTIC, ALL)]


# -- a crafted pair of editions --------------------------------------------------------

def test_one_respondent_added_to_a_published_cell_is_caught():
    counts = {(c, g): (5, 6, 4) for c in COUNCILS for g in GROUPS}
    first = published_rows(counts, 10)
    corrected = dict(counts)
    corrected[(COUNCILS[0], "officer")] = (5, 7, 4)  # one more respondent, at level 2
    risks = differencing.check(published_rows(corrected, 10), [(1, first)], 10)
    keys = {risk.key for risk in risks}
    assert (COUNCILS[0], CHARACTERISTIC, "officer") in keys
    assert (WALES, CHARACTERISTIC, ALL) in keys
    risk = next(r for r in risks if r.key == (COUNCILS[0], CHARACTERISTIC, "officer"))
    assert (risk.group, risk.version, risk.before, risk.after) == (1, 1, (15, 5, 6, 4), (16, 5, 7, 4))
    assert "fewer than the threshold" in risk.describe()


def test_a_difference_hidden_in_one_edition_is_recovered_by_subtraction():
    old = {(WALES, "c", "officer"): (30, 10, 10, 10), (WALES, "c", "elected_member"): (20, 5, 5, 10),
           (WALES, "c", ALL): (50, 15, 15, 20)}
    new = {**old, (WALES, "c", "officer"): None, (WALES, "c", ALL): (52, 15, 17, 20),
           (WALES, "c", "elected_member"): (20, 5, 5, 10)}
    risks = differencing.compare(new, old, 3, 10)
    assert [(r.key, r.group, r.how) for r in risks] == [
        ((WALES, "c", ALL), 2, "difference"), ((WALES, "c", "officer"), 2, "subtraction")]


def test_answers_moving_between_levels_are_a_group_too():
    assert differencing.group_size((0, -1, 1, 0)) == 1
    assert differencing.group_size((12, 4, 4, 4)) == 12
    assert differencing.group_size((0, 0, 0, 0)) == 0


# -- property: whatever the editions, a small change that shows is caught ---------------

level_counts = st.tuples(*(st.integers(0, 12) for _ in range(3)))


@settings(max_examples=150, deadline=None)
@given(counts=st.fixed_dictionaries({(c, g): level_counts for c in COUNCILS for g in GROUPS}),
       council=st.sampled_from(COUNCILS), group=st.sampled_from(GROUPS), level=st.integers(0, 2),
       added=st.integers(0, 25), threshold=st.integers(2, 12))
def test_differencing_property(counts, council, group, level, added, threshold):
    """A second edition adds ``added`` respondents, all at one level, to one
    council's group. When that is fewer than the threshold and any cell it
    changes is published in both editions (its difference is then their
    answers), the check refuses it; when it is none, or at least the
    threshold, no cell is at risk."""
    corrected = dict(counts)
    value = list(counts[(council, group)])
    value[level] += added
    corrected[(council, group)] = tuple(value)
    first, second = published_rows(counts, threshold), published_rows(corrected, threshold)
    risks = differencing.check(second, [(1, first)], threshold)
    old, new = differencing.figures_of(first), differencing.figures_of(second)
    shows = any(old[key] is not None and new[key] is not None for key in affected(council, group))
    if 0 < added < threshold and shows:
        assert risks
        assert all(risk.group == added for risk in risks)
    if added == 0 or added >= threshold:
        assert not risks
    # against an identical earlier edition too (every version is compared)
    assert len(differencing.check(second, [(1, first), (2, second)], threshold)) == len(risks)


# -- the publication refuses, unless overridden with a recorded reason ------------------

def test_an_edition_that_would_disclose_is_refused_unless_overridden(runner, loaded, tmp_path):
    assert ingest_cli(runner, RESPONSES, INVITATIONS, "--demo").exit_code == 0
    # a correction: one more officer of one council answered every characteristic
    with RESPONSES.open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    characteristics = sorted({row[3] for row in rows[1:]})
    corrected = tmp_path / "responses.csv"
    with corrected.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerows(rows)
        writer.writerows([["late-respondent", "W06000012", "officer", c, "2"] for c in characteristics])
    loaded.rollback()
    before = queries.latest_version(loaded, "maturity-scores").number

    result = ingest_cli(runner, corrected, INVITATIONS, "--demo")
    assert result.exit_code != 0
    assert "disclosure by differencing" in result.output
    assert f"(area {WALES}, characteristic leadership, group all)" in result.output
    assert "compared with version 1" in result.output and "by 1 respondent(s)" in result.output
    loaded.rollback()
    assert queries.latest_version(loaded, "maturity-scores").number == before
    assert queries.latest_version(loaded, "response-rates").number == 1

    result = ingest_cli(runner, corrected, INVITATIONS, "--demo", "--override-disclosure",
                        "The late response was published with the respondent's consent.", "--by", "admin@example")
    assert result.exit_code == 0, result.output
    assert "maturity-scores: published version 2" in result.output
    loaded.rollback()
    event = loaded.scalar(select(AuditEvent).where(AuditEvent.action == "override-disclosure"))
    assert event.actor == "admin@example" and event.dataset == "maturity-scores" and event.version == 2
    assert event.reason_en == "The late response was published with the respondent's consent."
    assert any("by 1 respondent(s)" in cell for cell in event.detail["cells_at_risk"])
