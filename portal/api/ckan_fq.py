"""CKAN's (Solr's) filter queries, as far as a catalogue like this one needs them.

``fq`` is a list of clauses ``[+|-]field:value`` joined by whitespace (all must
hold), ``AND`` or ``OR``; ``NOT`` negates the next clause. A value is a bare
word, a quoted phrase, ``*`` (any value), ``(a OR b)`` (any of them), or for
``metadata_modified`` / ``metadata_created`` a range ``[2020-01-01T00:00:00Z TO *]``
(``{...}`` excludes the ends; ``NOW`` and ``NOW-7DAYS`` style are understood).
Values compare without regard to case. ``title`` and ``notes`` are text, as
in CKAN's Solr schema: a value matches when its words (English stems, as
Solr's Snowball filter makes them) appear in the text in that order, and a
final ``*`` matches any word that starts with it. Anything else is refused by
name.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import snowballstemmer

from portal.api.ckan_params import ValidationError

MAX_FQ_LENGTH = 1000
MAX_CLAUSES = 20
MAX_VALUES = 50
TEXT_FIELDS = ("id", "name", "tags", "organization", "owner_org", "groups", "res_format", "license_id",
               "state", "capacity", "dataset_type", "type", "theme", "council", "characteristic",
               "format", "kind")
WORD_FIELDS = ("title", "notes")
DATE_FIELDS = ("metadata_modified", "metadata_created")
FIELDS = TEXT_FIELDS + WORD_FIELDS + DATE_FIELDS
_WORD = re.compile(r"[^\W_]+(?:\*)?")
_STEMMER = snowballstemmer.stemmer("english")


def words(text: str) -> tuple[str, ...]:
    """A text's words as Solr's English text field indexes them: lower case, stemmed."""
    return tuple(_STEMMER.stemWords([w.casefold() for w in _WORD.findall(text.replace("*", " "))]))


def phrase_in(value: str, text: tuple[str, ...]) -> bool:
    """Whether ``value`` (casefolded; a final ``*`` is a prefix) is found in a
    text's words (:func:`words`), its words following each other."""
    wanted = _WORD.findall(value)
    if not wanted:
        return False
    prefix = wanted[-1].endswith("*")
    stems = _STEMMER.stemWords([w.rstrip("*") for w in wanted])
    if prefix:
        stems[-1] = wanted[-1].rstrip("*")
    for start in range(len(text) - len(stems) + 1):
        window = text[start:start + len(stems)]
        if list(window[:-1]) == stems[:-1] and (
                window[-1].startswith(stems[-1]) if prefix else window[-1] == stems[-1]):
            return True
    return False

_VALUE = r'"(?:[^"\\]|\\.)*"|\[[^\]]*\]|\{[^}]*\}|\([^)]*\)|[^\s()"\[\]{}]+'
_TOKEN = re.compile(
    r"\s*(?:(?P<op>AND|OR|NOT|&&|\|\|)(?=\s|$)"
    rf"|(?P<sign>[+-]?)(?P<field>[A-Za-z_][\w.]*):(?P<value>{_VALUE}))\s*")
_FIELD_TERM = re.compile(rf"(?<!\S)[+-]?(?P<field>[A-Za-z_][\w.]*):(?:{_VALUE})(?!\S)")
_DATE_MATH = re.compile(r"NOW(?:(?P<sign>[+-])(?P<amount>\d{1,5})(?P<unit>MINUTES?|HOURS?|DAYS?))?")


@dataclass(frozen=True)
class Clause:
    field: str
    values: tuple[str, ...] = ()          # any of these (casefolded); empty with ``anything``
    anything: bool = False               # field:*
    low: datetime | None = None          # date ranges
    high: datetime | None = None
    inclusive: bool = True
    negated: bool = False

    @property
    def is_range(self) -> bool:
        return self.field in DATE_FIELDS


Group = tuple[Clause, ...]  # any clause of a group; every group must hold


def parse(text: str, parameter: str = "fq") -> list[Group]:
    if len(text) > MAX_FQ_LENGTH:
        raise ValidationError.one(parameter, f"Must be at most {MAX_FQ_LENGTH} characters long")
    groups: list[list[Clause]] = []
    position, joiner, negate = 0, "AND", False
    while position < len(text.rstrip()):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            shown = text[position:position + 40]
            raise ValidationError.one(parameter, f"Cannot read the filter from {shown!r}")
        position = match.end()
        op = match.group("op")
        if op in ("AND", "&&"):
            joiner = "AND"
            continue
        if op in ("OR", "||"):
            if not groups:
                raise ValidationError.one(parameter, "OR needs a clause on each side")
            joiner = "OR"
            continue
        if op == "NOT":
            negate = True
            continue
        clause = _clause(match.group("field"), match.group("value"),
                         negate or match.group("sign") == "-", parameter)
        if joiner == "OR":
            groups[-1].append(clause)
        else:
            groups.append([clause])
        joiner, negate = "AND", False
        if sum(len(group) for group in groups) > MAX_CLAUSES:
            raise ValidationError.one(parameter, f"At most {MAX_CLAUSES} clauses")
    if joiner == "OR" or negate:
        raise ValidationError.one(parameter, "The filter ends with an operator")
    return [tuple(group) for group in groups]


def split_query(q: str) -> tuple[str, str]:
    """CKAN's ``q`` may hold ``field:value`` terms: (the words, the terms as fq)."""
    terms = [m.group(0) for m in _FIELD_TERM.finditer(q) if m.group("field") in FIELDS]
    words = _FIELD_TERM.sub(lambda m: "" if m.group("field") in FIELDS else m.group(0), q)
    words = " ".join(word for word in words.split()
                     if word not in ("AND", "OR", "NOT", "&&", "||", "*:*", "*"))
    return words, " ".join(terms)


def _clause(field: str, raw: str, negated: bool, parameter: str) -> Clause:
    if field not in FIELDS:
        raise ValidationError.one(parameter, f"Unknown field {field!r}; the fields are: {', '.join(FIELDS)}")
    if field in DATE_FIELDS:
        if not (raw.startswith(("[", "{"))):
            raise ValidationError.one(parameter, f"{field} takes a range, e.g. [2020-01-01T00:00:00Z TO *]")
        parts = raw[1:-1].split()
        if len(parts) != 3 or parts[1] != "TO":
            raise ValidationError.one(parameter, f"Cannot read the range {raw!r}")
        return Clause(field, low=_moment(parts[0], parameter), high=_moment(parts[2], parameter),
                      inclusive=raw.startswith("["), negated=negated)
    if raw == "*":
        return Clause(field, anything=True, negated=negated)
    if raw.startswith(("[", "{")):
        raise ValidationError.one(parameter, f"{field} does not take a range")
    if raw.startswith("("):
        items = [item.strip() for item in re.split(r"\s+(?:OR|\|\|)\s+", raw[1:-1].strip())]
        if any(not item or re.search(r"\s(?:AND|&&)\s", f" {item} ") for item in items):
            raise ValidationError.one(parameter, f"Cannot read {raw!r}: join the values with OR")
        values = tuple(_unquote(item) for item in items)
    else:
        values = (_unquote(raw),)
    if len(values) > MAX_VALUES:
        raise ValidationError.one(parameter, f"At most {MAX_VALUES} values in one clause")
    return Clause(field, values=tuple(value.casefold() for value in values), negated=negated)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return re.sub(r"\\(.)", r"\1", value)


def _moment(text: str, parameter: str) -> datetime | None:
    if text == "*":
        return None
    math = _DATE_MATH.fullmatch(text)
    if math:
        moment = datetime.now(timezone.utc)
        if math.group("sign"):
            unit = math.group("unit").rstrip("S").lower() + "s"
            delta = timedelta(**{unit: int(math.group("amount"))})
            moment = moment + delta if math.group("sign") == "+" else moment - delta
        return moment
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError.one(parameter, f"Cannot read the date {text!r}; use ISO 8601, * or NOW") \
            from None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
