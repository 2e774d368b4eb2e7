"""Welsh is complete: every interface string has a Welsh translation, and no
Welsh page shows an interface string in English."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from portal.config import PROJECT_ROOT, TRANSLATIONS_PATH
from tests.test_pages import Page

PO = TRANSLATIONS_PATH / "cy" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def extracted_ids() -> set[str]:
    """Every message the code and templates use, extracted afresh."""
    method_map = [("portal/**.py", "python"), ("templates/**.html", "jinja2")]
    ids = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            PROJECT_ROOT, method_map, options_map={"templates/**.html": {"trimmed": "true", "extensions": "jinja2.ext.do"}},
            keywords={**KEYWORDS}):
        ids.add(message[0] if isinstance(message, tuple) else message)
    return ids


def catalogue():
    with PO.open("rb") as handle:
        return read_po(handle, locale="cy")


def test_every_used_string_is_in_the_welsh_catalogue():
    missing = extracted_ids() - {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue() if m.id}
    assert not missing, f"not in {PO.name}: {sorted(missing)}"


def test_every_welsh_message_is_translated_and_not_fuzzy():
    problems = []
    for message in catalogue():
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            problems.append(message.id)
    assert not problems


def test_welsh_plurals_have_all_six_forms():
    cat = catalogue()
    assert cat.num_plurals == 6
    for message in cat:
        if message.pluralizable:
            assert len(message.string) == 6 and all(message.string), message.id


def test_compiled_catalogue_is_current_and_complete():
    assert MO.exists(), "run `make translations`"
    with MO.open("rb") as handle:
        compiled = read_mo(handle)
    used = extracted_ids()
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in compiled if m.id and m.string}
    assert used <= translated


def english_strings() -> set[str]:
    """Interface strings whose Welsh differs, as they would appear on a page."""
    found = set()
    for message in catalogue():
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for english in ids:
            if english in strings:
                continue
            # the literal text between placeholders and markup
            for part in re.split(r"%\(\w+\)s|<[^>]+>|\{\{.*?\}\}", english):
                part = part.strip(" .,:;()–-")
                if len(part) >= 12 and " " in part:  # a phrase, not a file name or code
                    found.add(part)
    return found


@pytest.mark.parametrize("url", [
    "/cy/", "/cy/datasets/", "/cy/datasets/?q=zzz", "/cy/datasets/?page=abc", "/cy/datasets/maturity-scores/",
    "/cy/datasets/maturity-scores/?respondents=x", "/cy/datasets/councils/versions/1/", "/cy/councils/",
    "/cy/councils/neath-port-talbot/", "/cy/councils/flintshire/", "/cy/councils/compare/?council=cardiff&council=powys",
    "/cy/councils/compare/?council=cardiff", "/cy/framework/", "/cy/good-practice/",
    "/cy/good-practice/?characteristic=open-data", "/cy/good-practice/data-mill-north/", "/cy/about/",
    "/cy/accessibility/", "/cy/privacy/", "/cy/changelog/", "/cy/api/", "/cy/no-such-page"])
def test_no_interface_string_left_in_english_on_welsh_pages(client, url):
    body = client.get(url).get_data(as_text=True)
    # data (both languages by design) and code are content, not interface; so is a chart's
    # "Demonstration data / Data enghreifftiol" mark, in both languages wherever the chart goes
    body = re.sub(r'<table class="preview">.*?</table>|<code>.*?</code>|<pre>.*?</pre>|<text [^>]*class="mark"[^>]*>.*?</text>',
                  "", body, flags=re.S)
    text = " ".join(Page(body).text)
    leftovers = sorted(s for s in english_strings() if s in text)
    assert not leftovers
