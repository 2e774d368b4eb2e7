"""The benchmark's yardstick for downloads: one file served from disk by Flask's
``send_file``, under the same gunicorn.conf.py as the portal.

    BENCH_STATIC_FILE=/path/to/file.csv gunicorn -c gunicorn.conf.py \
        --chdir benchmarks "static_app:app"

GET /file answers the file (``text/csv``); GET /health answers 200.
"""
from __future__ import annotations

import os

from flask import Flask, send_file

app = Flask(__name__)
FILE = os.environ.get("BENCH_STATIC_FILE", "")


@app.get("/file")
def file():
    return send_file(FILE, mimetype="text/csv", conditional=True)


@app.get("/health")
def health():
    return {"status": "ok"}
