"""Synthetic bilingual packages of any size, for tests of the row store."""
from __future__ import annotations

import csv
import datetime as dt
import json
import random
from pathlib import Path

PLACES = ["Ynys Môn", "Gŵyr", "Rhondda Cynon Taf", "Caerdydd", "Abertawe", "Powys", "Conwy", "Wrecsam",
          "Sir Gâr", "Pen-y-bont ar Ogwr"]
WORDS = ["data", "agored", "cyngor", "gwasanaeth", "ŵyn", "tŷ", "open", "council", "service", "môr"]

FIELDS = [
    {"name": "code", "type": "string"},
    {"name": "place", "type": "string"},
    {"name": "amount", "type": "integer"},
    {"name": "share", "type": "number"},
    {"name": "day", "type": "date"},
    {"name": "flag", "type": "boolean"},
    {"name": "note", "type": "string"},
]


def rows(count: int, seed: int = 2018):
    """Rows with nulls, "[c]" markers and Welsh text, the same for a seed."""
    rng = random.Random(seed)
    start = dt.date(2018, 1, 1)
    for n in range(count):
        amount = "" if rng.random() < 0.05 else ("[c]" if rng.random() < 0.03 else str(rng.randint(-500, 5000)))
        share = "" if rng.random() < 0.05 else f"{rng.randint(0, 1000) / 10}"
        yield [f"R{n:07d}", rng.choice(PLACES), amount, share,
               (start + dt.timedelta(days=rng.randint(0, 700))).isoformat(),
               rng.choice(["true", "false"]), " ".join(rng.sample(WORDS, 3))]


def write_package(folder: Path, name: str, count: int, seed: int = 2018, fields=FIELDS, data=None) -> Path:
    """A valid demonstration package ``name`` with one resource, ``table``."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "table.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([f["name"] for f in fields])
        writer.writerows(data if data is not None else rows(count, seed))

    def text(en: str, cy: str) -> dict:
        return {"title": en, "description": f"{en} (synthetic test data).",
                "translations": {"cy": {"title": cy, "description": f"{cy} (data prawf synthetig)."}}}

    schema_fields = [dict(f, **text(f["name"].title(), f"Maes {f['name']}")) for f in fields]
    descriptor = {
        "name": name, "languages": ["en", "cy"], "demonstration": True,
        **text(f"Synthetic table {name}", f"Tabl synthetig {name}"),
        "licenses": [{"name": "OGL-UK-3.0", "title": "Open Government Licence v3.0",
                      "path": "http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"}],
        "sources": [{"title": "Synthetic data made by the portal's tests"}],
        "resources": [{
            "name": "table", "path": "table.csv", "format": "csv", "mediatype": "text/csv",
            "encoding": "utf-8", **text("Synthetic rows", "Rhesi synthetig"),
            "schema": {"fields": schema_fields, "missingValues": ["", "[c]"]},
        }],
    }
    (folder / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False, indent=2),
                                             encoding="utf-8")
    return folder
