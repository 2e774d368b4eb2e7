"""Synthetic data-tool responses for all 22 councils: demonstration data.

Reproducible from a fixed seed. Group sizes are invented: forty to 130
senior officers and thirty to seventy-five elected members invited per
council, drawn at random, so the numbers of members are not any council's
number of seats (some exceed it). Most answers sit at levels 1 and 2, as the
study found. Every council is made the same way, Neath Port Talbot included:
no figure here is the report's (its real response rates are in the
``data-tool-response-rates`` dataset). None of this is a result of the study.
"""
from __future__ import annotations

import csv
import random
from pathlib import Path

from portal.config import DATASETS_PATH

SEED = 2018
ANSWER_RATE = 0.96  # share of characteristics a respondent answers


def _column(path: Path, name: str) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [row[name] for row in csv.DictReader(handle)]


def generate(seed: int = SEED, datasets: Path = DATASETS_PATH) -> tuple[list[list], list[list]]:
    """(responses rows, invitations rows), header first in each."""
    councils = _column(datasets / "councils" / "councils.csv", "gss_code")
    slugs = dict(zip(councils, _column(datasets / "councils" / "councils.csv", "slug")))
    characteristics = _column(datasets / "maturity-framework" / "characteristics.csv", "id")
    common = random.Random(seed)
    trait = {c: common.gauss(0, 0.35) for c in characteristics}
    responses = [["respondent_id", "council_code", "group", "characteristic_id", "level"]]
    invitations = [["council_code", "group", "invited"]]
    for council in councils:
        # each council its own stream: one council's figures never shift another's
        rng = random.Random(f"{seed}:{council}")
        culture = rng.gauss(0, 0.3)
        for group, invited_range, rate_range, lean in (
                ("officer", (40, 130), (0.25, 0.65), 0.15), ("elected_member", (30, 75), (0.08, 0.45), -0.1)):
            invited = rng.randint(*invited_range)
            responded = round(invited * rng.uniform(*rate_range))
            invitations.append([council, group, invited])
            for number in range(1, responded + 1):
                respondent = f"{slugs[council]}-{'o' if group == 'officer' else 'm'}{number:03d}"
                answered = [c for c in characteristics if rng.random() < ANSWER_RATE] or [characteristics[0]]
                for characteristic in answered:
                    score = 1.6 + culture + trait[characteristic] + lean + rng.gauss(0, 0.6)
                    responses.append([respondent, council, group, characteristic,
                                      min(3, max(1, round(score)))])
    return responses, invitations


def write(folder: Path, seed: int = SEED) -> tuple[Path, Path]:
    responses, invitations = generate(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = (folder / "responses.csv", folder / "invitations.csv")
    for path, rows in zip(paths, (responses, invitations)):
        with path.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, lineterminator="\n").writerows(rows)
    return paths
