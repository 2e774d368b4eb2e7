"""Controlled vocabularies the portal uses, each value with its English and
Welsh label (content, like dataset titles, not interface strings)."""
from __future__ import annotations

THEMES: dict[str, tuple[str, str]] = {
    "councils": ("Councils and areas", "Cynghorau ac ardaloedd"),
    "maturity": ("Data maturity", "Aeddfedrwydd data"),
    "participation": ("Data tool responses", "Ymatebion i'r offer data"),
    "findings": ("Findings", "Canfyddiadau"),
    "good-practice": ("Good practice", "Arfer da"),
    "public-attitudes": ("Public attitudes", "Agweddau'r cyhoedd"),
}

KINDS: dict[str, tuple[str, str]] = {
    "real": ("Real data", "Data go iawn"),
    "demonstration": ("Demonstration data", "Data enghreifftiol"),
}

FORMATS: dict[str, tuple[str, str]] = {
    "csv": ("CSV", "CSV"),
    "json": ("JSON", "JSON"),
    "zip": ("Zip (data package)", "Zip (pecyn data)"),
}

GROUPS: dict[str, tuple[str, str]] = {
    "officer": ("Officers", "Swyddogion"),
    "elected_member": ("Elected members", "Aelodau etholedig"),
    "all": ("All respondents", "Pob ymatebydd"),
    "total": ("Total", "Cyfanswm"),
}


def label(vocabulary: dict[str, tuple[str, str]], value: str, language: str) -> str:
    english, welsh = vocabulary.get(value, (value, value))
    return welsh if language == "cy" else english

