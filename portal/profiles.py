"""Council profiles: what the published datasets say about one council, and
about Wales, assembled for pages. Queries go through the datastore (filtered
in SQL); nothing here knows about Flask."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from portal import datastore, queries
from portal.ingest.aggregate import WALES

SCORES = ("maturity-scores", "scores")
RATES = ("response-rates", "response-rates")
REPORTED_RATES = ("data-tool-response-rates", "response-rates")
FINDINGS = ("council-findings", "findings")
GROUPS = ("officer", "elected_member", "all")


@dataclass(frozen=True)
class Council:
    code: str
    slug: str
    name_en: str
    name_cy: str

    def name(self, language: str) -> str:
        return self.name_cy if language == "cy" else self.name_en


@dataclass
class Profile:
    council: Council
    characteristics: list[dict]  # id, name_en, name_cy, position
    scores: dict[tuple[str, str], dict] = field(default_factory=dict)  # (characteristic, group) -> row
    wales: dict[tuple[str, str], dict] = field(default_factory=dict)
    rates: list[dict] = field(default_factory=list)
    reported_rates: list[dict] = field(default_factory=list)
    findings: list[tuple[dict, list[str]]] = field(default_factory=list)  # (theme row, paragraphs)
    scores_version: object = None
    rates_version: object = None


class Latest:
    """The latest version of each dataset, each looked up once (a page that
    reads several resources of one dataset asks for its version once)."""

    def __init__(self, session: Session):
        self.session = session
        self._found: dict[str, object] = {}

    def version(self, dataset: str):
        if dataset not in self._found:
            self._found[dataset] = queries.latest_version(self.session, dataset)
        return self._found[dataset]

    def resource(self, dataset: str, resource: str):
        version = self.version(dataset)
        return version, (queries.find_resource(version, resource) if version else None)

    def rows(self, dataset: str, resource: str) -> list[dict]:
        """Every row of ``resource`` in the latest version of ``dataset`` (none when unpublished)."""
        _version, res = self.resource(dataset, resource)
        return queries.resource_rows(self.session, res) if res else []


def councils(session: Session) -> list[Council]:
    return [Council(r["gss_code"], r["slug"], r["name_en"], r["name_cy"])
            for r in queries.dataset_rows(session, "councils", "councils")]


def find(known: list[Council], slug: str) -> Council | None:
    """The council with this slug or GSS code among ``known``."""
    return next((c for c in known if slug in (c.slug, c.code)), None)


def characteristics(session: Session, latest: Latest | None = None) -> list[dict]:
    """The key characteristics, in the framework's order."""
    return sorted((latest or Latest(session)).rows("maturity-framework", "characteristics"),
                  key=lambda row: row["position"])


def _rows(session: Session, dataset: str, resource: str, latest: Latest | None = None,
          **equal) -> tuple[list[dict], object]:
    version, res = (latest or Latest(session)).resource(dataset, resource)
    if res is None:
        return [], None
    table = datastore.Table(res)
    query = datastore.RowQuery(filters=[table.parse_filter(k, [v]) for k, v in equal.items()],
                               limit=datastore.MAX_LIMIT, markers=True)
    return datastore.run(session, res, query, secret="profiles").rows, version


def scores_for(session: Session, area: str, latest: Latest | None = None
               ) -> tuple[dict[tuple[str, str], dict], object]:
    rows, version = _rows(session, *SCORES, latest=latest, area_code=area)
    return {(r["characteristic_id"], r["respondent_group"]): r for r in rows}, version


def profile(session: Session, council: Council) -> Profile:
    latest = Latest(session)
    result = Profile(council, characteristics(session, latest))
    result.scores, result.scores_version = scores_for(session, council.code, latest)
    result.wales, _ = scores_for(session, WALES, latest)
    result.rates, result.rates_version = _rows(session, *RATES, latest=latest, area_code=council.code)
    result.reported_rates, _ = _rows(session, *REPORTED_RATES, latest=latest, council_code=council.code)
    paragraphs, _ = _rows(session, *FINDINGS, latest=latest, council_code=council.code)
    themes = sorted(latest.rows("maturity-framework", "themes"), key=lambda r: r["position"])
    for theme in themes:
        texts = sorted((p for p in paragraphs if p["theme_id"] == theme["id"]), key=lambda p: p["paragraph"])
        if texts:
            result.findings.append((theme, texts))
    return result


def mean(row: dict | None) -> float | None:
    return None if row is None or row.get("suppressed") else row.get("mean_level")


def every_area(session: Session) -> tuple[list[dict], list[dict], object]:
    """The scores of all respondents for every area, the total response rates, and the
    scores' version: what the overview of Wales needs (a row per area and characteristic)."""
    latest = Latest(session)
    scores, version = _rows(session, *SCORES, latest=latest, respondent_group="all")
    rates, _ = _rows(session, *RATES, latest=latest, recipient_group="total")
    return scores, rates, version
