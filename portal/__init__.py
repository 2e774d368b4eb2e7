"""The Wales local government data portal: a Flask application factory."""
from __future__ import annotations

from flask import Flask

from portal.config import TEMPLATES_PATH, load_settings


def create_app(config: dict | None = None) -> Flask:
    """Build the portal. ``config`` overrides settings read from the environment."""
    settings = load_settings(config)
    app = Flask(__name__, template_folder=str(TEMPLATES_PATH),
                instance_path=settings["INSTANCE_PATH"], static_folder="static")
    app.config.update(settings)
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.jinja_env.add_extension("jinja2.ext.do")

    from portal import cli, errors, extensions, i18n
    from portal.api import v1 as api_v1
    from portal.api import ckan as ckan_api
    from portal.api import ckan_web
    from portal.web import (admin, auth, content, councils, downloads, feeds, http, pages, search_engines, service,
                            site, urls)

    extensions.init_app(app)
    i18n.init_app(app)
    errors.init_app(app)
    http.init_app(app)
    urls.init_app(app)
    search_engines.init_app(app)
    site.init_app(app)
    auth.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(councils.bp)
    app.register_blueprint(downloads.bp)
    app.register_blueprint(service.bp)
    app.register_blueprint(feeds.bp)
    app.register_blueprint(content.bp)
    app.register_blueprint(ckan_api.bp)
    app.register_blueprint(ckan_web.bp)
    app.register_blueprint(admin.bp)
    api_v1.init_app(app)
    cli.init_app(app)
    return app
