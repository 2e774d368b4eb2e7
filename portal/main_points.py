"""What a council's published maturity scores say, in plain words.

Works on rows of the published datasets (maturity-scores, response-rates) and
knows nothing of Flask: sentences come from a babel ``Translations`` object
(the page's catalogue, so the Welsh lives in translations/cy with every other
string) and numbers are formatted for a babel locale.

Shares are whole percentages worked out from the published counts (rounded
half up), so they need not add up to exactly 100.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from gettext import NullTranslations

from babel.numbers import format_percent

LEVELS = (1, 2, 3)
GROUPS = ("officer", "elected_member", "all")

Scores = Mapping[tuple[str, str], dict]  # (characteristic id, respondent group) -> published row


@dataclass(frozen=True)
class Shares:
    """One published cell: its respondents and the whole percentage at each level."""
    respondents: int
    counts: tuple[int, int, int]

    @property
    def percentages(self) -> tuple[int, int, int]:
        return tuple(percentage(count, self.respondents) for count in self.counts)

    @property
    def modal_levels(self) -> tuple[int, ...]:
        """The level(s) chosen most often: more than one when they tie."""
        top = max(self.counts)
        return tuple(level for level, count in zip(LEVELS, self.counts) if count == top)

    def fraction(self, level: int) -> float:
        """The exact share at ``level`` (0 to 1), for widths of bars."""
        return self.counts[level - 1] / self.respondents


def percentage(count: int, total: int) -> int:
    return int((Decimal(100 * count) / total).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def shares(row: dict | None) -> Shares | None:
    """The shares of a published row, or None when it is missing, suppressed or empty."""
    if row is None or row.get("suppressed") or not row.get("respondents"):
        return None
    counts = tuple(int(row.get(f"level_{level}_count") or 0) for level in LEVELS)
    if sum(counts) == 0:
        return None
    return Shares(sum(counts), counts)


@dataclass(frozen=True)
class Bar:
    """One characteristic's stacked bars: the council's and Wales', all respondents."""
    characteristic: dict
    council: Shares | None
    wales: Shares | None
    council_row: dict | None


def bars(characteristics: Iterable[dict], council: Scores, wales: Scores) -> list[Bar]:
    return [Bar(c, shares(council.get((c["id"], "all"))), shares(wales.get((c["id"], "all"))),
                council.get((c["id"], "all")))
            for c in characteristics]


def main_points(*, characteristics: list[dict], council: Scores, wales: Scores, rates: list[dict],
                demonstration: bool, language: str,
                translations: NullTranslations | None = None) -> list[str]:
    """The main points of a council's profile, as sentences in ``language``."""
    translations = translations or NullTranslations()
    _ = translations.gettext
    ngettext = translations.ngettext

    def percent(value: int) -> str:
        return format_percent(value / 100, locale=language)

    def name(characteristic: dict) -> str:
        return characteristic[f"name_{language}"]

    points = [_("These are ratings by the council's own senior officers and elected members of how "
                "the council uses data, not an independent assessment.")]
    if demonstration:
        points.append(_("The figures are demonstration data: synthetic, made by this portal to show how "
                        "the results are published, not results of the study."))

    by_group = {rate.get("recipient_group"): rate for rate in rates}
    total = by_group.get("total")
    if total is not None and not total.get("responded"):
        points.append(_("No officers or elected members from this council responded, so there are no "
                        "scores for it."))
        return points
    if total is not None:  # the response rates are published
        officers = (by_group.get("officer") or {}).get("responded") or 0
        members = (by_group.get("elected_member") or {}).get("responded") or 0
        invited = total.get("invited")
        points.append(_("%(officers)s and %(members)s responded: %(responded)s of the %(invited)s people "
                        "invited (%(percent)s).") % {
            "officers": ngettext("%(num)d officer", "%(num)d officers", officers) % {"num": officers},
            "members": ngettext("%(num)d elected member", "%(num)d elected members",
                                members) % {"num": members},
            "responded": total["responded"], "invited": invited,
            "percent": percent(percentage(total["responded"], invited)) if invited else "–"})

    cells = [council.get((c["id"], group)) for c in characteristics for group in GROUPS]
    suppressed = sum(1 for row in cells if row is None or row.get("suppressed"))
    everything = len(cells)
    if suppressed == everything:
        points.append(_("Every figure for this council is suppressed ([c]) to protect the respondents, "
                        "so its scores cannot be summarised."))
        return points

    published = [c for c in characteristics if shares(council.get((c["id"], "all"))) is not None]
    if len(published) < len(characteristics):
        points.append(ngettext(
            "Figures for all respondents together are published for %(num)d of the %(total)d key "
            "characteristics; the points that follow are about that one.",
            "Figures for all respondents together are published for %(num)d of the %(total)d key "
            "characteristics; the points that follow are about those.", len(published))
            % {"num": len(published), "total": len(characteristics)})
    modal: dict[int, list[str]] = {level: [] for level in LEVELS}
    split: list[str] = []
    for characteristic in characteristics:
        cell = shares(council.get((characteristic["id"], "all")))
        if cell is None:
            continue
        levels = cell.modal_levels
        (modal[levels[0]] if len(levels) == 1 else split).append(name(characteristic))
    for level in sorted(LEVELS, key=lambda level: (-len(modal[level]), level)):
        names = modal[level]
        if names:
            points.append(ngettext(
                "Officers and members together most often placed the council at level %(level)d for "
                "%(num)d key characteristic: %(names)s.",
                "Officers and members together most often placed the council at level %(level)d for "
                "%(num)d key characteristics: %(names)s.", len(names))
                % {"level": level, "num": len(names), "names": ", ".join(names)})
    if split:
        points.append(ngettext(
            "No single level was chosen most often for %(num)d key characteristic: %(names)s.",
            "No single level was chosen most often for %(num)d key characteristics: %(names)s.",
            len(split)) % {"num": len(split), "names": ", ".join(split)})

    difference = biggest_difference(characteristics, council, wales)
    if difference is not None:
        characteristic, level, here, there = difference
        points.append(_("The biggest difference from Wales as a whole: for %(characteristic)s, "
                        "%(here)s of respondents here chose level %(level)d, against %(wales)s across "
                        "Wales.") % {"characteristic": name(characteristic), "here": percent(here),
                                     "level": level, "wales": percent(there)})

    if suppressed:
        points.append(ngettext(
            "%(num)d of the %(total)d figures for this council is suppressed ([c]) to protect the "
            "respondents.",
            "%(num)d of the %(total)d figures for this council are suppressed ([c]) to protect the "
            "respondents.", suppressed) % {"num": suppressed, "total": everything})
        labels = {"officer": _("officers"), "elected_member": _("elected members"),
                  "all": _("all respondents together")}
        for group in GROUPS:
            if all((row := council.get((c["id"], group))) is None or row.get("suppressed")
                   for c in characteristics):
                points.append(_("Every figure for %(group)s is suppressed.") % {"group": labels[group]})
    else:
        points.append(_("No figure for this council is suppressed."))
    return points


def biggest_difference(characteristics: Iterable[dict], council: Scores,
                       wales: Scores) -> tuple[dict, int, int, int] | None:
    """Where the council's shares (all respondents) differ most from Wales': the
    characteristic, the level, the council's and Wales' whole percentages. Ties go
    to the first characteristic in the framework's order, then the higher level."""
    best = None
    for characteristic in characteristics:
        here = shares(council.get((characteristic["id"], "all")))
        there = shares(wales.get((characteristic["id"], "all")))
        if here is None or there is None:
            continue
        for level in (3, 2, 1):
            a, b = here.percentages[level - 1], there.percentages[level - 1]
            if best is None or abs(a - b) > best[0]:
                best = (abs(a - b), characteristic, level, a, b)
    return None if best is None else best[1:]
