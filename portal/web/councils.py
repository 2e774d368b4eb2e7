"""Council pages: the index with every council at once, a profile per council, and a comparison."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import format_decimal, get_translations, gettext

from portal import attribution, main_points, overview, profiles
from portal.charts import Series, bar_chart
from portal.extensions import session
from portal.ingest.aggregate import WALES
from portal.web.sitemap import register_sitemap_values

bp = Blueprint("councils", __name__, url_prefix="/<lang(en,cy):lang>/councils")
COMPARE_MIN = 2
CHART_MAX = 4  # more councils than this: the table alone, a chart would be unreadable


def level(value: float | None) -> str:
    """A mean level to one decimal place: the figures deserve no more."""
    return "[c]" if value is None else format_decimal(value, format="0.0")


@bp.get("/")
def index(lang: str):
    councils = sorted(profiles.councils(session()), key=lambda c: c.name(lang).casefold())
    characteristics = profiles.characteristics(session())
    scores, rates, version = profiles.every_area(session())
    keys = overview.sort_keys(characteristics)
    key = overview.choose(request.args.get("sort"), keys, overview.NAME)
    descending = request.args.get("order") == "desc"
    shown = overview.level_of(request.args.get("level"))
    lines = overview.sort(overview.lines(councils, characteristics, scores, rates),
                          key, descending, shown, lang)
    return render_template("councils/index.html", councils=councils, error=None,
                           characteristics=characteristics, lines=lines, sort_key=key,
                           descending=descending, shown_level=shown, scores_version=version,
                           levels=main_points.LEVELS)


@bp.get("/<slug>/")
def council(lang: str, slug: str):
    known = profiles.councils(session())
    found = profiles.find(known, slug)
    if found is None:
        abort(404)
    profile = profiles.profile(session(), found)
    names = [c[f"name_{lang}"] for c in profile.characteristics]
    ids = [c["id"] for c in profile.characteristics]
    groups = [("officer", gettext("Officers")), ("elected_member", gettext("Elected members")),
              ("all", gettext("All respondents"))]
    series = [Series(label, [profiles.mean(profile.scores.get((i, group))) for i in ids])
              for group, label in groups]
    series.append(Series(gettext("Wales, all respondents"),
                         [profiles.mean(profile.wales.get((i, "all"))) for i in ids]))
    chart = bar_chart(
        "profile-chart",
        gettext("Mean maturity level by key characteristic: %(council)s", council=found.name(lang)),
        gettext("Mean level (1 to 3) chosen by officers, elected members and all respondents in "
                "%(council)s for each of the seven key characteristics, with Wales for comparison. "
                "[c] marks a figure suppressed to protect respondents. The same figures are in the "
                "table that follows.", council=found.name(lang)),
        names, series, number=level, **chart_attribution(profile.scores_version, lang))
    demonstration = any(v is not None and v.demonstration
                        for v in (profile.scores_version, profile.rates_version))
    points = main_points.main_points(
        characteristics=profile.characteristics, council=profile.scores, wales=profile.wales,
        rates=profile.rates, demonstration=demonstration, language=lang,
        translations=get_translations()) if profile.scores_version is not None else []
    bars = main_points.bars(profile.characteristics, profile.scores, profile.wales)
    others = sorted((c for c in known if c.code != found.code),
                    key=lambda c: c.name(lang).casefold())
    return render_template("councils/council.html", profile=profile, council=found, chart=chart,
                           groups=groups, level=level, others=others, points=points, bars=bars,
                           shares=main_points.shares, levels=main_points.LEVELS,
                           demonstration=demonstration)


@bp.get("/compare/")
def compare(lang: str):
    all_councils = profiles.councils(session())
    chosen_slugs = list(dict.fromkeys(request.args.getlist("council")))
    chosen = [profiles.find(all_councils, slug) for slug in chosen_slugs]
    ordered = sorted(all_councils, key=lambda c: c.name(lang).casefold())
    if any(c is None for c in chosen) or len(chosen) < COMPARE_MIN:
        error = gettext("Choose at least %(low)s councils to compare.", low=COMPARE_MIN)
        status = 400 if request.args else 200
        return render_template("councils/compare-form.html", councils=ordered,
                               error=error if request.args else None, chosen=chosen_slugs), status
    latest = profiles.Latest(session())
    characteristics = profiles.characteristics(session(), latest)
    ids = [c["id"] for c in characteristics]
    scores = {c.code: profiles.scores_for(session(), c.code, latest)[0] for c in chosen}
    scores[WALES], version = profiles.scores_for(session(), WALES, latest)
    columns = [(c.code, c.name(lang)) for c in chosen] + [(WALES, gettext("Wales"))]
    chart = None
    if len(chosen) <= CHART_MAX:
        series = [Series(name, [profiles.mean(scores[code].get((i, "all"))) for i in ids])
                  for code, name in columns]
        chart = bar_chart(
            "compare-chart",
            gettext("Mean maturity level of all respondents: %(councils)s",
                    councils=", ".join(name for _, name in columns[:-1])),
            gettext("Mean level (1 to 3) chosen by all respondents in each council, and in Wales, for each "
                    "of the seven key characteristics. [c] marks a figure suppressed to protect respondents. "
                    "The same figures are in the table that follows."),
            [c[f"name_{lang}"] for c in characteristics], series, number=level,
            **chart_attribution(version, lang))
    return render_template("councils/compare.html", chosen=chosen, columns=columns, scores=scores,
                           characteristics=characteristics, chart=chart, level=level, councils=ordered,
                           demonstration=version is not None and version.demonstration,
                           scores_version=version)


def chart_attribution(version, lang: str) -> dict:
    """The source line and demonstration mark of a chart of ``version``'s figures."""
    if version is None:
        return {}
    return {"source": attribution.source_line(version, lang, attribution.publisher(current_app.config)),
            "demonstration": bool(version.demonstration)}


register_sitemap_values("councils.council",
                        lambda: [{"slug": council.slug} for council in profiles.councils(session())])
