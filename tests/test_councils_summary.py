"""What a citizen takes away from the council pages: the main points, the share at each
level, and every council at once in a sortable table, all checked against the published
maturity-scores and response-rates datasets (downloaded as CSV, as a reader would)."""
from __future__ import annotations

import csv
import html as html_lib
import io
import re
import shutil
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from babel.support import Translations

from portal import main_points
from portal.config import DATASETS_PATH
from portal.ingest.service import ingest_responses
from portal.publish.service import load_path

LANGUAGES = ["en", "cy"]
GROUPS = ("officer", "elected_member", "all")
WALES = "W92000004"


def get(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def csv_rows(client, url: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(get(client, url))))


def text_of(fragment: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def points_of(page: str) -> list[str]:
    section = re.search(r'<section class="main-points".*?</section>', page, re.S)
    assert section, "no main points"
    return [text_of(item) for item in re.findall(r"<li>(.*?)</li>", section.group(0), re.S)]


def table(page: str, caption_id: str) -> tuple[list[str], list[list[str]]]:
    found = re.search(rf'<caption id="{caption_id}".*?</table>', page, re.S).group(0)
    head = [text_of(cell) for cell in re.findall(r"<th scope=\"col\"[^>]*>(.*?)</th>", found, re.S)]
    body = found[found.index("<tbody>"):]
    rows = [[text_of(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]
    return head, rows


def whole(count: int, total: int) -> int:
    return int((Decimal(100 * count) / total).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


class Published:
    """The published figures, read back from the CSV downloads."""

    def __init__(self, client):
        self.scores = {(r["area_code"], r["characteristic_id"], r["respondent_group"]): r
                       for r in csv_rows(client, "/datasets/maturity-scores/scores.csv")}
        self.rates = {(r["area_code"], r["recipient_group"]): r
                      for r in csv_rows(client, "/datasets/response-rates/response-rates.csv")}
        self.councils = csv_rows(client, "/datasets/councils/councils.csv")
        self.characteristics = sorted(csv_rows(client, "/datasets/maturity-framework/characteristics.csv"),
                                      key=lambda r: int(r["position"]))

    def counts(self, area: str, characteristic: str, group: str = "all") -> tuple[int, int, int] | None:
        row = self.scores.get((area, characteristic, group))
        if row is None or row["suppressed"] == "true" or row["level_1_count"] == "[c]":
            return None
        counts = tuple(int(row[f"level_{n}_count"]) for n in (1, 2, 3))
        return counts if sum(counts) else None

    def share(self, area: str, characteristic: str, level: int) -> int | None:
        counts = self.counts(area, characteristic)
        return None if counts is None else whole(counts[level - 1], sum(counts))


@pytest.fixture(scope="module")
def published(published_app):
    return Published(published_app.test_client())


def expected_points(data: Published, council: dict, lang: str) -> list[str]:
    """The main points, worked out here from the published CSV files."""
    code = council["gss_code"]
    names = {c["id"]: c[f"name_{lang}"] for c in data.characteristics}
    officers = int(data.rates[(code, "officer")]["responded"])
    members = int(data.rates[(code, "elected_member")]["responded"])
    total = data.rates[(code, "total")]
    responded, invited = int(total["responded"]), int(total["invited"])
    percent = whole(responded, invited)
    if lang == "en":
        points = [f"{officers} officer{'s' if officers != 1 else ''} and {members} elected "
                  f"member{'s' if members != 1 else ''} responded: {responded} of the {invited} people "
                  f"invited ({percent}%)."]
    else:
        points = [f"Ymatebodd {responded} o'r {invited} o bobl a wahoddwyd ({percent}%): {officers} swyddog, "
                  f"{members} aelod etholedig."]
    by_level = {1: [], 2: [], 3: []}
    for c in data.characteristics:
        counts = data.counts(code, c["id"])
        if counts is not None and counts.count(max(counts)) == 1:
            by_level[counts.index(max(counts)) + 1].append(names[c["id"]])
    for level in sorted(by_level, key=lambda n: (-len(by_level[n]), n)):
        found = by_level[level]
        if not found:
            continue
        if lang == "en":
            points.append(f"Officers and members together most often placed the council at level {level} for "
                          f"{len(found)} key characteristic{'s' if len(found) != 1 else ''}: {', '.join(found)}.")
        else:
            points.append(f"Gosododd swyddogion ac aelodau gyda'i gilydd y cyngor ar lefel {level} amlaf ar "
                          f"gyfer {len(found)} nodwedd allweddol: {', '.join(found)}.")
    differences = [(abs(data.share(code, c["id"], level) - data.share(WALES, c["id"], level)), c["id"], level)
                   for c in data.characteristics if data.counts(code, c["id"]) and data.counts(WALES, c["id"])
                   for level in (3, 2, 1)]
    if differences:
        _, characteristic, level = max(differences, key=lambda d: d[0])
        here, there = data.share(code, characteristic, level), data.share(WALES, characteristic, level)
        points.append(
            f"The biggest difference from Wales as a whole: for {names[characteristic]}, {here}% of respondents "
            f"here chose level {level}, against {there}% across Wales." if lang == "en" else
            f"Y gwahaniaeth mwyaf o Gymru gyfan: ar gyfer {names[characteristic]}, dewisodd {here}% o'r "
            f"ymatebwyr yma lefel {level}, o'i gymharu â {there}% ledled Cymru.")
    suppressed = sum(1 for c in data.characteristics for group in GROUPS
                     if data.scores[(code, c["id"], group)]["suppressed"] == "true")
    if suppressed == 0:
        points.append("No figure for this council is suppressed." if lang == "en" else
                      "Nid oes yr un ffigur ar gyfer y cyngor hwn wedi'i atal.")
    elif lang == "en":
        points.append(f"{suppressed} of the 21 figures for this council {'is' if suppressed == 1 else 'are'} "
                      "suppressed ([c]) to protect the respondents.")
    else:
        verb = "wedi'i atal" if suppressed == 1 else "wedi'u hatal"
        points.append(f"Mae {suppressed} o'r 21 ffigur ar gyfer y cyngor hwn {verb} ([c]) i ddiogelu'r ymatebwyr.")
    return points


@pytest.mark.parametrize("lang", LANGUAGES)
def test_main_points_say_what_the_published_figures_say(client, published, lang):
    for council in published.councils:
        page = get(client, f"/{lang}/councils/{council['slug']}/")
        points = points_of(page)
        assert points[0] == ("These are ratings by the council's own senior officers and elected members of "
                             "how the council uses data, not an independent assessment." if lang == "en" else
                             "Sgorau gan uwch swyddogion ac aelodau etholedig y cyngor ei hun yw'r rhain, am y "
                             "ffordd y mae'r cyngor yn defnyddio data; nid asesiad annibynnol ydynt.")
        assert ("demonstration data" if lang == "en" else "Data enghreifftiol") in points[1]
        for expected in expected_points(published, council, lang):
            assert expected in points, (council["slug"], expected, points)
        # plain figures only: whole percentages, no means to two decimals
        assert not re.search(r"\d[.,]\d", " ".join(points)), points


def test_npt_main_points_by_hand(client):
    """Neath Port Talbot in the demonstration responses (datasets/demonstration-responses):
    23 officers and 18 members of 53 and 53 invited."""
    points = points_of(get(client, "/en/councils/neath-port-talbot/"))
    assert "23 officers and 18 elected members responded: 41 of the 106 people invited (39%)." in points
    welsh = points_of(get(client, "/cy/councils/neath-port-talbot/"))
    assert "Ymatebodd 41 o'r 106 o bobl a wahoddwyd (39%): 23 swyddog, 18 aelod etholedig." in welsh


@pytest.mark.parametrize("lang", LANGUAGES)
def test_stacked_bars_carry_the_shares_the_mark_and_the_source(client, published, lang):
    # the first council whose figures for all respondents are all published
    council = next(c for c in published.councils
                   if all(published.counts(c["gss_code"], ch["id"]) for ch in published.characteristics))
    page = get(client, f"/{lang}/councils/{council['slug']}/")
    figure = re.search(r'<figure class="stacked".*?</figure>', page, re.S).group(0)
    assert ("Demonstration data" if lang == "en" else "Data enghreifftiol") in figure
    assert "/datasets/maturity-scores/" in figure
    items = re.findall(r'<div class="stack-item">(.*?)</div>\s*(?=<div class="stack-item">|<p class="meta)',
                       figure, re.S)
    assert len(items) == 7
    word = "Level" if lang == "en" else "Lefel"
    for characteristic, item in zip(published.characteristics, items):
        texts = [text_of(t).replace(" ,", ",") for t in re.findall(r'<p class="stack-text">(.*?)</p>', item, re.S)]
        for area, text in zip((council["gss_code"], WALES), texts):
            counts = published.counts(area, characteristic["id"])
            shares = ", ".join(f"{word} {n}: {whole(counts[n - 1], sum(counts))}%" for n in (1, 2, 3))
            assert text.startswith(shares), (text, shares)
        widths = [float(w) for w in re.findall(r'style="width: ([\d.]+)%"', item)]
        assert abs(sum(widths[:3]) - 100) < 0.1 or abs(sum(widths) - 200) < 0.1


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("level", [1, 3])
def test_overview_table_matches_the_scores_dataset(client, published, lang, level):
    page = get(client, f"/{lang}/councils/?level={level}")
    head, rows = table(page, "overview-caption")
    assert len(head) == 9 and len(rows) == 22
    for characteristic, heading in zip(published.characteristics, head[2:]):
        assert heading.startswith(characteristic[f"name_{lang}"])
    by_name = {c[f"name_{lang}"]: c for c in published.councils}
    for row in rows:
        council = by_name[row[0]]
        assert row[1] == published.rates[(council["gss_code"], "total")]["responded"]
        for characteristic, cell in zip(published.characteristics, row[2:]):
            share = published.share(council["gss_code"], characteristic["id"], level)
            assert cell == (f"{share}%" if share is not None else
                            ("[c] – suppressed to protect respondents" if lang == "en" else cell)), \
                (council["slug"], characteristic["id"], cell)
            if share is None:
                assert cell.startswith("[c]")
    assert 'href="/%s/about/#suppression"' % lang in page


def test_overview_sorts_by_any_column_with_links(client, published):
    page = get(client, "/en/councils/")
    _, rows = table(page, "overview-caption")
    assert [r[0] for r in rows] == sorted((r[0] for r in rows), key=str.casefold)
    links = set(re.findall(r'href="(/en/councils/\?sort=[^"#]+)#overview"', page))
    assert len({re.search(r"sort=([^&]+)", link).group(1) for link in links}) == 9
    for characteristic in published.characteristics:
        key = characteristic["id"]
        for order in ("desc", "asc"):
            page = get(client, f"/en/councils/?sort={key}&order={order}&level=3")
            _, rows = table(page, "overview-caption")
            column = 2 + [c["id"] for c in published.characteristics].index(key)
            values = [int(r[column].rstrip("%")) if r[column].endswith("%") else None for r in rows]
            known = [v for v in values if v is not None]
            assert values == known + [None] * (len(values) - len(known)), "suppressed cells go last"
            assert known == sorted(known, reverse=order == "desc")
            assert 'aria-sort="%s"' % ("descending" if order == "desc" else "ascending") in page
    _, rows = table(get(client, "/en/councils/?sort=respondents&order=desc"), "overview-caption")
    assert [int(r[1]) for r in rows] == sorted((int(r[1]) for r in rows), reverse=True)
    _, rows = table(get(client, "/cy/councils/?sort=name&order=desc"), "overview-caption")
    assert [r[0] for r in rows] == sorted((r[0] for r in rows), key=str.casefold, reverse=True)


@pytest.mark.parametrize("query", ["sort=nonsense", "sort=__class__&order=sideways", "level=7", "level=-1",
                                   "sort=%00&level=%FF", "sort=open-data&sort=leadership&level=2&level=x"])
def test_unknown_sort_keys_and_levels_are_ignored(client, query):
    for lang in LANGUAGES:
        page = get(client, f"/{lang}/councils/?{query}")
        _, rows = table(page, "overview-caption")
        assert len(rows) == 22


def test_the_overview_sits_in_a_labelled_focusable_scrolling_region(client):
    page = get(client, "/cy/councils/")
    region = re.search(r'<div class="table-scroll"[^>]*>\s*<table class="numeric overview">', page).group(0)
    assert 'role="region"' in region and 'tabindex="0"' in region and 'aria-labelledby="overview-caption"' in region
    assert "data enghreifftiol" in re.search(r'<caption id="overview-caption">(.*?)</caption>', page, re.S).group(1)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_compare_all_22_councils(client, published, lang):
    query = "&".join(f"council={c['slug']}" for c in published.councils)
    page = get(client, f"/{lang}/councils/compare/?{query}")
    head = re.findall(r'<th scope="col">(.*?)</th>', page)
    assert len(head) == 1 + 22 + 1
    rows = re.findall(r"<tr>\s*<th scope=\"row\">", page)
    assert len(rows) == 7
    assert "<svg" not in page  # 22 councils: the table, not an unreadable chart


def test_welsh_plural_forms_of_the_main_points():
    """The suppressed-figures sentence agrees with its number in Welsh (wedi'i / wedi'u)."""
    welsh = Translations.load(str(Path(main_points.__file__).parent.parent / "translations"), ["cy"])
    one = welsh.ngettext("%(num)d of the %(total)d figures for this council is suppressed ([c]) to protect the "
                         "respondents.", "%(num)d of the %(total)d figures for this council are suppressed ([c]) "
                         "to protect the respondents.", 1) % {"num": 1, "total": 21}
    two = welsh.ngettext("%(num)d of the %(total)d figures for this council is suppressed ([c]) to protect the "
                         "respondents.", "%(num)d of the %(total)d figures for this council are suppressed ([c]) "
                         "to protect the respondents.", 2) % {"num": 2, "total": 21}
    assert one == "Mae 1 o'r 21 ffigur ar gyfer y cyngor hwn wedi'i atal ([c]) i ddiogelu'r ymatebwyr."
    assert two == "Mae 2 o'r 21 ffigur ar gyfer y cyngor hwn wedi'u hatal ([c]) i ddiogelu'r ymatebwyr."


# -- a council with no responses, and one with every cell suppressed ----------------------

@pytest.fixture
def sparse(app, tmp_path):
    """The demonstration responses without any from Cardiff (W06000015), and with only three
    officers and two members from Powys (W06000023): every Powys cell under the threshold."""
    demo = DATASETS_PATH / "demonstration-responses"
    with open(demo / "responses.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    keep_powys = {r["respondent_id"] for r in rows if r["council_code"] == "W06000023" and r["group"] == "officer"}
    keep_powys = set(sorted(keep_powys)[:3]) | set(sorted(
        {r["respondent_id"] for r in rows if r["council_code"] == "W06000023" and r["group"] == "elected_member"})[:2])
    kept = [r for r in rows if r["council_code"] not in ("W06000015", "W06000023") or r["respondent_id"] in keep_powys]
    responses = tmp_path / "responses.csv"
    with open(responses, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(kept)
    shutil.copy(demo / "invitations.csv", tmp_path / "invitations.csv")
    with app.app_context():  # left before the requests: each request has its own language
        from portal.extensions import session
        assert all(result.ok for result in load_path(session(), DATASETS_PATH))
        result = ingest_responses(session(), responses, tmp_path / "invitations.csv", demonstration=True)
        assert result.ok, result.report.render()
    return app.test_client()


def test_a_council_with_no_responses_and_one_with_every_cell_suppressed(sparse):
    for lang in LANGUAGES:
        cardiff = points_of(get(sparse, f"/{lang}/councils/cardiff/"))
        assert cardiff[-1] == ("No officers or elected members from this council responded, so there are no "
                               "scores for it." if lang == "en" else
                               "Ni ymatebodd yr un swyddog nac aelod etholedig o'r cyngor hwn, felly nid oes "
                               "sgorau ar ei gyfer.")
        powys = points_of(get(sparse, f"/{lang}/councils/powys/"))
        assert powys[-1] == ("Every figure for this council is suppressed ([c]) to protect the respondents, so "
                             "its scores cannot be summarised." if lang == "en" else
                             "Mae pob ffigur ar gyfer y cyngor hwn wedi'i atal ([c]) i ddiogelu'r ymatebwyr, "
                             "felly nid oes modd crynhoi ei sgorau.")
        assert "3 officers and 2 elected members responded" in " ".join(powys) or lang == "cy"
        page = get(sparse, f"/{lang}/councils/")
        _, rows = table(page, "overview-caption")
        for name in (("Cardiff", "Powys") if lang == "en" else ("Caerdydd", "Powys")):
            row = next(r for r in rows if r[0] == name)
            assert all(cell.startswith("[c]") for cell in row[2:]), row
        get(sparse, f"/{lang}/councils/?sort=open-data&order=asc")
        get(sparse, f"/{lang}/councils/compare/?council=cardiff&council=powys")


def test_main_points_by_hand_ties_and_no_rates():
    """The domain module alone, on rows made here: a tie between levels is said as such,
    shares are whole percentages from the counts, and without published response rates
    nothing is said about who responded."""
    characteristics = [{"id": "a", "name_en": "Alpha", "name_cy": "Alffa"},
                       {"id": "b", "name_en": "Beta", "name_cy": "Beta"}]

    def row(counts, suppressed=False):
        return {"respondents": sum(counts), "suppressed": suppressed,
                **{f"level_{n}_count": count for n, count in zip((1, 2, 3), counts)}}

    council = {("a", "all"): row((5, 5, 2)), ("b", "all"): row((1, 8, 3)),
               ("a", "officer"): row((4, 4, 2)), ("b", "officer"): row((1, 7, 2)),
               ("a", "elected_member"): row((0, 0, 0), True), ("b", "elected_member"): row((0, 0, 0), True)}
    wales = {("a", "all"): row((50, 40, 10)), ("b", "all"): row((10, 80, 10))}
    points = main_points.main_points(characteristics=characteristics, council=council, wales=wales, rates=[],
                                     demonstration=False, language="en")
    assert points == [
        "These are ratings by the council's own senior officers and elected members of how the council uses "
        "data, not an independent assessment.",
        "Officers and members together most often placed the council at level 2 for 1 key characteristic: Beta.",
        "No single level was chosen most often for 1 key characteristic: Alpha.",
        # Alpha: 42%, 42%, 17% against 50%, 40%, 10% (8 points at most); Beta: 8%, 67%, 25% against
        # 10%, 80%, 10%: 15 points at level 3
        "The biggest difference from Wales as a whole: for Beta, 25% of respondents here chose level 3, "
        "against 10% across Wales.",
        "2 of the 6 figures for this council are suppressed ([c]) to protect the respondents.",
        "Every figure for elected members is suppressed.",
    ]
