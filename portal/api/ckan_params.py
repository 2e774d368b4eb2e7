"""The CKAN Action API's errors and parameter checks.

Actions raise :class:`NotFound`, :class:`ValidationError`, :class:`NotAuthorized`
or :class:`SearchQueryError`; the blueprint answers each as CKAN's
``ckan/views/api.py`` does (404, 409, 403, 400). The readers below follow
CKAN's validators (``natural_number_validator``, ``boolean_validator``,
``convert_to_json_if_string``, ...), with CKAN's messages where it has one.
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

MAX_INT_DIGITS = 15
MAX_STRING_LENGTH = 2000
MAX_LIST_LENGTH = 100
MAX_NESTING = 4
TRUE_WORDS = {"true", "t", "yes", "y", "1", "on"}
FALSE_WORDS = {"false", "f", "no", "n", "0", "off", ""}
INTEGER = re.compile(r"[+-]?\d+(\.0*)?")


class ActionError(Exception):
    """An action that cannot answer; the blueprint turns it into CKAN's envelope."""


class NotFound(ActionError):
    def __init__(self, message: str = ""):
        super().__init__(message)
        self.message = message


class Gone(ActionError):
    """What was asked for was withdrawn: 410, with the reason in both languages."""

    def __init__(self, withdrawal):
        super().__init__(withdrawal.reason_en)
        self.withdrawal = withdrawal


class NotAuthorized(ActionError):
    def __init__(self, message: str = ""):
        super().__init__(message)
        self.message = message


class SearchQueryError(ActionError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ValidationError(ActionError):
    """Messages per parameter, as CKAN's ``ValidationError.error_dict``."""

    def __init__(self, errors: Mapping[str, list[str]]):
        super().__init__(dict(errors))
        self.errors = {key: list(messages) for key, messages in errors.items()}

    @classmethod
    def one(cls, parameter: str, message: str) -> ValidationError:
        return cls({parameter: [message]})


def integer(data: Mapping[str, Any], key: str, default: int | None = None, *,
            minimum: int = 0) -> int | None:
    """``key`` as a whole number of at least ``minimum`` (CKAN's int and
    natural number validators: "Invalid integer", "Must be a natural number")."""
    if key not in data or data[key] is None or data[key] == "":
        return default
    raw = data[key]
    if isinstance(raw, bool):
        raise ValidationError.one(key, "Invalid integer")
    if isinstance(raw, float):
        if not raw.is_integer():
            raise ValidationError.one(key, "Invalid integer")
        raw = int(raw)
    if isinstance(raw, str):
        text = raw.strip()
        if not INTEGER.fullmatch(text) or len(text.split(".")[0].lstrip("+-")) > MAX_INT_DIGITS:
            raise ValidationError.one(key, "Invalid integer")
        raw = int(text.split(".")[0])
    if not isinstance(raw, int) or abs(raw) >= 10 ** MAX_INT_DIGITS:
        raise ValidationError.one(key, "Invalid integer")
    if raw < minimum:
        raise ValidationError.one(key, "Must be a natural number" if minimum == 0
                                  else f"Must be at least {minimum}")
    return raw


def natural(data: Mapping[str, Any], key: str, default: int) -> int:
    """``key`` as a whole number of 0 or more, ``default`` when not given."""
    value = integer(data, key, default)
    return default if value is None else value


def boolean(data: Mapping[str, Any], key: str, default: bool = False) -> bool:
    """``key`` as true or false (CKAN's ``boolean_validator`` words)."""
    raw = data.get(key)
    if raw is None:
        return default
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int):
        return raw != 0
    if isinstance(raw, str) and raw.strip().lower() in TRUE_WORDS | FALSE_WORDS:
        return raw.strip().lower() in TRUE_WORDS
    raise ValidationError.one(key, "Invalid boolean: use true or false")


def string(data: Mapping[str, Any], key: str, default: str = "", *,
           max_length: int = MAX_STRING_LENGTH) -> str:
    raw = data.get(key)
    if raw is None:
        return default
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        raise ValidationError.one(key, "Must be a string")
    text = str(raw)
    if len(text) > max_length:
        raise ValidationError.one(key, f"Must be at most {max_length} characters long")
    return text


def required_string(data: Mapping[str, Any], key: str, *aliases: str) -> str:
    """The first of ``key`` and ``aliases`` given; CKAN's "Missing value" otherwise."""
    for name in (key, *aliases):
        value = string(data, name)
        if value.strip():
            return value.strip()
    raise ValidationError.one(key, "Missing value")


def json_value(data: Mapping[str, Any], key: str, message: str = "Could not parse as valid JSON") -> Any:
    """``key`` decoded when it arrived as a JSON string (query strings), as given otherwise."""
    raw = data.get(key)
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            raise ValidationError.one(key, message) from None
    return raw


def string_list(data: Mapping[str, Any], key: str, *, split: str | None = None) -> list[str] | None:
    """A list of strings given as a list, a JSON array string, or (with ``split``)
    a string of items separated by ``split``."""
    raw = data.get(key)
    if raw is None:
        return None
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith("["):
            raw = json_value(data, key)
        elif split is not None:
            raw = [part for part in (p.strip() for p in text.split(split)) if part]
        else:
            raw = [text] if text else []
    if not isinstance(raw, list):
        raise ValidationError.one(key, "Not a list")
    if len(raw) > MAX_LIST_LENGTH:
        raise ValidationError.one(key, f"At most {MAX_LIST_LENGTH} items")
    if not all(isinstance(item, str) for item in raw):
        raise ValidationError.one(key, "Not a string")
    return [item.strip() for item in raw]


def refuse_unexpected(data: Mapping[str, Any], allowed: set[str]) -> None:
    """CKAN's ``__junk: [empty]``: parameters an action does not take are refused."""
    unexpected = sorted(key for key in data if key not in allowed)
    if unexpected:
        raise ValidationError({key: [f"The input field {key} was not expected."] for key in unexpected})


def check_text(value: Any, key: str = "request", depth: int = 0) -> None:
    """No string anywhere in the request may hold a NUL character (PostgreSQL
    cannot store or compare one), and nesting stays shallow."""
    if depth > MAX_NESTING:
        raise ValidationError.one(key, "The value is nested too deeply")
    if isinstance(value, str):
        if "\x00" in value:
            raise ValidationError.one(key, "Must not contain a NUL character")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationError.one(key, "Must be valid Unicode text") from None
    elif isinstance(value, Mapping):
        for name, item in value.items():
            check_text(name, key if depth else str(name), depth + 1)
            check_text(item, key if depth else str(name), depth + 1)
    elif isinstance(value, list):
        for item in value:
            check_text(item, key, depth + 1)
