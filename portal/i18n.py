"""Languages: the /en/ and /cy/ prefixes, negotiation, alternates, and the
remembered choice.

A page's language comes from its URL prefix. Where a URL carries none (``/``,
error pages outside the prefixes), the visitor's last choice (a cookie) wins,
then the browser's ``Accept-Language``, then English.
"""
from __future__ import annotations

from flask import Flask, Response, current_app, g, request
from flask_babel import get_locale
from werkzeug.routing import BaseConverter

from portal.extensions import babel
from portal.web.urls import this_url

COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
LANGUAGE_NAMES = {"en": "English", "cy": "Cymraeg"}


class LanguageConverter(BaseConverter):
    """Matches only the portal's languages, so ``/fr/`` is simply not found."""

    def __init__(self, url_map, *languages: str):
        super().__init__(url_map)
        self.regex = "|".join(languages)


def init_app(app: Flask) -> None:
    languages = tuple(app.config["LANGUAGES"])
    if app.config["BABEL_DEFAULT_LOCALE"] not in languages or "cy" not in languages:
        raise ValueError(f"LANGUAGES must include cy and the default locale, not {languages!r}")
    app.url_map.converters["lang"] = LanguageConverter
    babel.init_app(app, locale_selector=select_locale)
    app.after_request(_remember_choice)
    app.context_processor(lambda: {"alternates": alternates, "other_language": other_language,
                                   "current_language": current_language,
                                   "language_names": LANGUAGE_NAMES})


def negotiate() -> str:
    """The language for a request whose URL does not name one."""
    languages = current_app.config["LANGUAGES"]
    chosen = request.cookies.get(COOKIE)
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


# Formatting conventions (dates, numbers) per language: British English.
LOCALES = {"en": "en_GB", "cy": "cy"}


def select_locale() -> str:
    view_args = request.view_args or {}
    lang = view_args.get("lang") or g.get("lang") or negotiate()
    return LOCALES.get(lang, lang)


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale else "en"


def other_language() -> str:
    return "en" if current_language() == "cy" else "cy"


def alternates() -> dict[str, str]:
    """Absolute URLs of this page in each language (query string kept), for
    ``hreflang`` links and the language switch. Empty outside the prefixes."""
    view_args = request.view_args or {}
    if request.endpoint is None or "lang" not in view_args:
        return {}
    query = () if g.get("request_line_too_long") else None  # a 414 repeats no query string
    return {lang: this_url(query, external=True, lang=lang) for lang in LANGUAGE_NAMES}


def _remember_choice(response: Response) -> Response:
    lang = (request.view_args or {}).get("lang")
    if lang and request.cookies.get(COOKIE) != lang and response.status_code < 400:
        response.set_cookie(COOKIE, lang, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True,
                            secure=request.is_secure or current_app.config["SESSION_COOKIE_SECURE"])
    return response
