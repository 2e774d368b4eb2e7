"""What a dataset covers, in time and place, read from its package metadata.

A package may say so with two properties (see ``datasets/README.md``)::

    "temporal": {"start": "2018-01-01", "end": "2018-12-31"},
    "spatial": [{"code": "W06000012", "title": "Neath Port Talbot",
                 "bbox": [-3.97, 51.51, -3.55, 51.85], "centroid": [-3.75, 51.66],
                 "translations": {"cy": {"title": "Castell-nedd Port Talbot"}}}]

``code`` is a GSS code (ONS statistical geography); ``bbox`` (west, south,
east, north) and ``centroid`` (longitude, latitude), in WGS 84 degrees, are
optional and approximate. A package that says
nothing about its place covers Wales; one that says nothing about its period
has none stated.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

STATISTICAL_GEOGRAPHY = "http://statistics.data.gov.uk/id/statistical-geography/"
WALES_CODE = "W92000004"


@dataclass(frozen=True)
class Place:
    code: str
    title_en: str
    title_cy: str
    bbox: tuple[float, float, float, float] | None = None
    centroid: tuple[float, float] | None = None

    @property
    def uri(self) -> str:
        return STATISTICAL_GEOGRAPHY + self.code

    def title(self, language: str) -> str:
        return self.title_cy if language == "cy" else self.title_en


    @property
    def bbox_wkt(self) -> str | None:
        if self.bbox is None:
            return None
        west, south, east, north = self.bbox
        return (f"POLYGON(({west} {south}, {east} {south}, {east} {north}, {west} {north}, "
                f"{west} {south}))")

    @property
    def centroid_wkt(self) -> str | None:
        return None if self.centroid is None else f"POINT({self.centroid[0]} {self.centroid[1]})"


WALES = Place(WALES_CODE, "Wales", "Cymru", (-5.7, 51.3, -2.6, 53.5), (-3.767, 52.331))


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def iso(self) -> str:
        """ISO 8601 interval, as schema.org's ``temporalCoverage`` takes it."""
        return f"{self.start.isoformat()}/{self.end.isoformat()}"


def places(descriptor: dict) -> list[Place]:
    """The places the package covers (Wales when it names none)."""
    found = []
    for item in descriptor.get("spatial") or []:
        welsh = (item.get("translations") or {}).get("cy") or {}
        bbox, centroid = item.get("bbox"), item.get("centroid")
        found.append(Place(item["code"], item["title"], welsh.get("title") or item["title"],
                           tuple(bbox) if bbox else None, tuple(centroid) if centroid else None))
    return found or [WALES]


def period(descriptor: dict) -> Period | None:
    """The period the package's data cover, if it states one."""
    temporal = descriptor.get("temporal")
    if not temporal:
        return None
    return Period(date.fromisoformat(temporal["start"]), date.fromisoformat(temporal["end"]))
