"""What the text says: only what the report supports, one Welsh term per
concept, the fact-checked translations, one kind of apostrophe, and the
portal's own translation marked as such. Checked over the files themselves
(datasets/, the message catalogue, templates, the ingest metadata) and on the
pages and machine surfaces that show them."""
from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from portal.config import DATASETS_PATH
from portal.ingest import outputs

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "translations" / "cy" / "LC_MESSAGES" / "messages.po"
NPT = "W06000012"


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def catalogue():
    with PO.open("rb") as handle:
        return [message for message in read_po(handle) if message.id]


def welsh_texts() -> dict[str, str]:
    """Every Welsh text a reader can meet, by where it comes from."""
    texts = {}
    for message in catalogue():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        texts[f"messages.po: {message.id!r}"[:120]] = " ".join(strings)
    for path, text in english_and_welsh_files():
        texts[str(path.relative_to(ROOT))] = text
    return texts


def english_and_welsh_files():
    """The content files, whole: both languages are in each."""
    paths = [*DATASETS_PATH.glob("*/datapackage.json"), *DATASETS_PATH.glob("*/*.csv"),
             *(ROOT / "portal" / "ingest" / "templates").glob("*.json"), ROOT / "portal" / "ingest" / "outputs.py",
             ROOT / "portal" / "vocabulary.py", *(ROOT / "templates").rglob("*.html"), PO]
    for path in paths:
        if path.parent.name == "demonstration-responses":
            continue
        yield path, path.read_text(encoding="utf-8")


# -- one Welsh term per concept, and the fact-checked translations --------------------

@pytest.mark.parametrize("wrong, why", [
    ("offeryn data", "data tool is 'offer data' throughout"),
    ("chwe offeryn", "data tool is 'offer data' throughout"),
    ("gorchudd", "the Dynamic Cover Tool and 'risk and response cover' are about coverage, not a covering"),
    ("anghenion cymhleth", "the report says 'complex people', not 'people with complex needs'"),
    ("mwyafrif llethol", "the report says 'Overwhelmingly', not 'the overwhelming majority of respondents'"),
    ("cyfrifon", "'counts of people' are numbers (niferoedd), not accounts (cyfrifon)"),
    ("'porth' unigol", "Camden's 'Single Gateway' is one gateway, not an individual one"),
    ("neu ychydig iawn", "'no or little investment' is not 'or very little'"),
])
def test_no_welsh_text_keeps_a_corrected_phrase(wrong, why):
    found = [where for where, text in welsh_texts().items() if wrong in text.casefold()
             # user accounts (the publishing pages) are cyfrifon: messages about them are
             # allowed it (the catalogue as a whole is checked message by message)
             and not (wrong == "cyfrifon" and ("account" in where.casefold() or where.endswith("messages.po")))]
    assert not found, f"{why}: {found}"


def rows(name: str, resource: str) -> list[dict]:
    with (DATASETS_PATH / name / f"{resource}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_corrected_translations_say_what_the_report_says():
    studies = {row["id"]: row for row in rows("good-practice-case-studies", "case-studies")}
    fire = studies["london-fire-brigade-dynamic-cover-tool"]
    assert "Dynamic Cover Tool" in fire["summary_cy"] and "darpariaeth ddeinamig" in fire["summary_cy"]
    assert "darpariaeth ar gyfer risg ac ymateb" in fire["summary_cy"]
    assert "wella'r ddarpariaeth ar gyfer digwyddiadau a risgiau" in fire["outcomes_cy"]
    assert studies["camden-residents-index"]["heading_cy"].startswith("Un 'Porth'")
    findings = {(row["theme_id"], row["paragraph"]): row for row in rows("council-findings", "findings")}
    assert findings[("skills-capacity", "2")]["text_en"].startswith("Overwhelmingly, data tool respondents")
    assert findings[("skills-capacity", "2")]["text_cy"].startswith("Yn llethol, tynnodd ymatebwyr i'r offer data")
    assert "phobl gymhleth" in findings[("evidence-based-decisions", "2")]["text_cy"]
    levels = {(row["characteristic_id"], row["level"]): row for row in rows("maturity-framework", "levels")}
    assert "There is no or little investment in upskilling staff." in levels[("data-analytics", "1")]["descriptor_en"]
    assert "Nid oes dim neu ychydig o fuddsoddiad mewn uwchsgilio staff." in \
        levels[("data-analytics", "1")]["descriptor_cy"]


def test_one_kind_of_apostrophe_the_straight_one():
    """Most apostrophes in both languages were straight ('), so all are: a
    curly one (’) between letters, or after the s of a plural, is left
    nowhere. Curly quotation marks (‘real time’) are quotation marks, and stay."""
    apostrophe = re.compile(r"(?<=\w)’(?=\w)|s’(?=\s)")
    for path, text in english_and_welsh_files():
        assert not apostrophe.search(text), (path, apostrophe.search(text))


# -- claims only the report supports ----------------------------------------------------

@pytest.mark.parametrize("claim", [
    "as the report prints it",
    "fel y mae'r adroddiad yn ei argraffu",
    "findings for each council",
    "each council's findings",
    "canfyddiadau pob cyngor",
    "ei chanfyddiadau ar gyfer pob cyngor",
    "ei ganfyddiadau ar gyfer pob cyngor",
])
def test_no_text_makes_a_claim_the_report_does_not_support(claim):
    sources = [*english_and_welsh_files(), *((path, path.read_text(encoding="utf-8")) for path in (
        ROOT / "portal" / "ingest" / "aggregate.py", ROOT / "portal" / "ingest" / "demo.py"))]
    found = [str(path.relative_to(ROOT)) for path, text in sources if claim in text.casefold()]
    assert not found, found


def test_synthetic_invitations_are_not_called_realistic():
    """Some synthetic numbers of members invited exceed the seats a council
    has, so nothing calls them realistic."""
    for path in (ROOT / "portal" / "ingest" / "demo.py", DATASETS_PATH / "demonstration-responses" / "README.md",
                 *(ROOT / "portal" / "ingest" / "templates").glob("*.json"), ROOT / "portal" / "ingest" / "outputs.py"):
        text = path.read_text(encoding="utf-8").casefold()
        assert "realistic" not in text and "realistig" not in text, path
    text = (DATASETS_PATH / "demonstration-responses" / "README.md").read_text(encoding="utf-8")
    assert "not the councils'\nnumbers of senior officers or of seats" in text
    assert "none of its figures here is the report's" in text


def test_the_maturity_scores_say_the_levels_are_the_portals_model():
    descriptor = outputs._descriptor("maturity-scores", demonstration=False)
    for text in (descriptor["description"], descriptor["translations"]["cy"]["description"]):
        assert "rated their council" not in text and "a ddewisodd bob lefel" not in text
    assert "the data tools asked questions against a range of issues relating to the use of data" \
        in descriptor["description"]
    assert "The portal models each response as a level from 1 to 3" in descriptor["description"]
    assert "Mae'r porth yn modelu pob ymateb fel lefel o 1 i 3" in descriptor["translations"]["cy"]["description"]


def test_the_surveys_second_source_is_titled_for_what_it_is_cited_for():
    descriptor = json.loads((DATASETS_PATH / "public-attitudes-survey" / "datapackage.json").read_text())
    second = descriptor["sources"][1]
    assert second["locator"] == "GSS code of Wales as a country (W92000004)"
    assert "W92000004" in second["title"] and "unitary authorities" not in second["title"]
    assert "W92000004" in second["translations"]["cy"]["title"]
    assert "awdurdodau unedol" not in second["translations"]["cy"]["title"]


@pytest.mark.parametrize("name", ["council-findings", "data-tool-response-rates"])
def test_neath_port_talbot_only_datasets_cover_neath_port_talbot(client, name):
    descriptor = json.loads((DATASETS_PATH / name / "datapackage.json").read_text())
    assert [place["code"] for place in descriptor["spatial"]] == [NPT]
    text = page(client, f"/en/datasets/{name}/")
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', text, re.S).group(1))
    assert [(p["@type"], p["name"], p["identifier"]) for p in data["spatialCoverage"]] == [
        ("Place", "Neath Port Talbot", NPT)]


def test_other_datasets_cover_wales(client):
    text = page(client, "/en/datasets/public-attitudes-survey/")
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', text, re.S).group(1))
    assert [(p["@type"], p["name"], p["identifier"]) for p in data["spatialCoverage"]] == [
        ("Place", "Wales", "W92000004")]


# -- the portal's own translation, marked where it appears ------------------------------

NOTE_CY = "Cyfieithiad Cymraeg gan y porth, nid gan Swyddfa Archwilio Cymru."


@pytest.mark.parametrize("path", ["/cy/framework/", "/cy/good-practice/", "/cy/councils/neath-port-talbot/",
                                  "/cy/good-practice/london-fire-brigade-dynamic-cover-tool/", "/cy/about/"])
def test_welsh_pages_with_the_reports_text_say_the_translation_is_the_portals(client, path):
    assert NOTE_CY in page(client, path)
    assert "Welsh translation by the portal" not in page(client, path.replace("/cy/", "/en/", 1))


@pytest.mark.parametrize("name", ["maturity-framework", "council-findings", "good-practice-case-studies",
                                  "public-attitudes-survey"])
def test_dataset_metadata_says_the_welsh_is_the_portals_translation(name):
    descriptor = json.loads((DATASETS_PATH / name / "datapackage.json").read_text())
    assert "not the Wales Audit Office's" in descriptor["description"]
    assert "nid gan Swyddfa Archwilio Cymru" in descriptor["translations"]["cy"]["description"] or \
        "nid cyfieithiad gan Swyddfa Archwilio Cymru" in descriptor["translations"]["cy"]["description"]


# -- [c] in one plain sentence, with a link to the method -------------------------------

def test_the_dataset_page_explains_c_in_one_sentence_and_links_to_the_method(client):
    english = page(client, "/en/datasets/maturity-scores/")
    assert re.search(r"\[c\] means a figure is withheld so that nobody(&#39;|')s answers can be worked out: "
                     r"fewer than 10 people gave it, or it would let such a figure be calculated\.", english)
    assert 'href="/en/about/#suppression"' in english
    welsh = page(client, "/cy/datasets/maturity-scores/")
    assert "Mae [c] yn golygu bod ffigur wedi" in welsh and 'href="/cy/about/#suppression"' in welsh
    about = page(client, "/en/about/")
    method = about[about.index('id="suppression"'):]
    assert "https://github.com/sdcTools/tauargus" in method and "fewest respondents" in method
    assert "integer programming" in method  # the published rule itself
