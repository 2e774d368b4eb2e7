"""What every page says about the site itself: who publishes it, and whether
the maturity scores it publishes are still demonstration data."""
from __future__ import annotations

from flask import Flask, current_app, g

from portal import attribution, queries
from portal.extensions import session

SCORES = "maturity-scores"


def publisher() -> attribution.Agent:
    return attribution.publisher(current_app.config)


def scores_are_demonstration() -> bool:
    """True while the published maturity scores are demonstration data
    (read from the latest published version, once per request)."""
    if "scores_demonstration" not in g:
        g.scores_demonstration = bool(queries.is_demonstration(session(), SCORES))
    return g.scores_demonstration


def init_app(app: Flask) -> None:
    app.context_processor(lambda: {"site_publisher": publisher(),
                                   "scores_are_demonstration": scores_are_demonstration})
