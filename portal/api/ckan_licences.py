"""CKAN's licence register (``ckan/model/license.py``, the default list CKAN
2.10 to 2.12 ship), and how a Data Package licence maps onto it.

``license_list`` answers with the register as CKAN's ``license_dictize`` does;
a dataset's ``license_id``, ``license_title`` and ``license_url`` are the
register's entry when its Data Package licence is one the register knows
(by SPDX-style name or by URL), so harvesters map it as they map CKAN's own.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    url: str = ""
    domain_content: bool = False
    domain_data: bool = False
    domain_software: bool = False
    family: str = ""
    is_generic: bool = False
    od_conformance: str = "not reviewed"
    osd_conformance: str = "not reviewed"
    maintainer: str = ""
    status: str = "active"

    def as_dict(self) -> dict[str, str]:
        """As CKAN's ``license_dictize`` gives a default licence: every value a string."""
        return {key: str(value) for key, value in asdict(self).items()}


OD = "http://www.opendefinition.org/licenses/"
REGISTER: tuple[Entry, ...] = (
    Entry("notspecified", "License not specified", is_generic=True),
    Entry("odc-pddl", "Open Data Commons Public Domain Dedication and License (PDDL)", OD + "odc-pddl",
          domain_data=True, od_conformance="approved"),
    Entry("odc-odbl", "Open Data Commons Open Database License (ODbL)", OD + "odc-odbl",
          domain_data=True, od_conformance="approved"),
    Entry("odc-by", "Open Data Commons Attribution License", OD + "odc-by",
          domain_data=True, od_conformance="approved"),
    Entry("cc-zero", "Creative Commons CCZero", OD + "cc-zero",
          domain_content=True, domain_data=True, od_conformance="approved"),
    Entry("cc-by", "Creative Commons Attribution", OD + "cc-by", od_conformance="approved"),
    Entry("cc-by-sa", "Creative Commons Attribution Share-Alike", OD + "cc-by-sa",
          domain_content=True, od_conformance="approved"),
    Entry("gfdl", "GNU Free Documentation License", OD + "gfdl",
          domain_content=True, od_conformance="approved"),
    Entry("other-open", "Other (Open)", domain_content=True, is_generic=True, od_conformance="approved"),
    Entry("other-pd", "Other (Public Domain)", domain_content=True, is_generic=True,
          od_conformance="approved"),
    Entry("other-at", "Other (Attribution)", domain_content=True, is_generic=True,
          od_conformance="approved"),
    Entry("uk-ogl", "UK Open Government Licence (OGL)",
          "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
          domain_content=True, od_conformance="approved"),
    Entry("cc-nc", "Creative Commons Non-Commercial (Any)", "http://creativecommons.org/licenses/by-nc/2.0/"),
    Entry("other-nc", "Other (Non-Commercial)", is_generic=True),
    Entry("other-closed", "Other (Not Open)", is_generic=True),
)
BY_ID = {entry.id: entry for entry in REGISTER}

# Data Package licence names (https://opendefinition.org/licenses/api/) CKAN's register knows.
NAMES = {"OGL-UK-3.0": "uk-ogl", "ODC-PDDL-1.0": "odc-pddl", "ODbL-1.0": "odc-odbl", "ODC-BY-1.0": "odc-by",
         "CC0-1.0": "cc-zero", "CC-BY-4.0": "cc-by", "CC-BY-SA-4.0": "cc-by-sa", "GFDL-1.3": "gfdl"}


def _bare(url: str) -> str:
    return url.split("://", 1)[-1].removeprefix("www.").rstrip("/").lower()


URLS = {_bare(entry.url): entry.id for entry in REGISTER if entry.url}
URLS[_bare("http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/")] = "uk-ogl"


def register_id(name: str, url: str = "") -> str | None:
    """The register's id for a Data Package licence (its ``name`` or ``path``), if any."""
    if name in BY_ID:
        return name
    return NAMES.get(name) or (URLS.get(_bare(url)) if url else None)


def is_open(licence_id: str) -> bool:
    entry = BY_ID.get(licence_id)
    return bool(entry) and (entry.od_conformance == "approved" or entry.osd_conformance == "approved")


def license_list() -> list[dict[str, str]]:
    return [entry.as_dict() for entry in REGISTER]
