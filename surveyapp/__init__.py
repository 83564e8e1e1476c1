"""surveyapp: survey and benchmarking platform for Norwegian municipalities."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, g

from surveyapp.config import build_config, check_secret_key


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application: defaults, then the environment, then ``config``."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(build_config(app.instance_path, os.environ, config))
    check_secret_key(app.config)
    if not app.config.get("SECRET_KEY"):
        # Debug, demo and test runs only (check_secret_key refuses this otherwise).
        app.config["SECRET_KEY"] = "insecure-development-key-" + "x" * 16
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    register_extensions(app)
    register_url_converters(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_middleware(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    from surveyapp import models  # noqa: F401  (the whole schema, for Alembic)
    from surveyapp.accounts.session import configure_login
    from surveyapp.database import configure_engine_events
    from surveyapp.extensions import babel, csrf, db, limiter, migrate
    from surveyapp.web.i18n import select_locale

    db.init_app(app)
    with app.app_context():
        configure_engine_events(db.engine)
    migrate.init_app(
        app,
        db,
        directory=str(Path(__file__).parent / "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(Path(__file__).parent / "translations"),
    )
    limiter.init_app(app)
    configure_login(app)


def register_url_converters(app: Flask) -> None:
    from surveyapp.web.routing import register_url_converters as bounded_integers

    bounded_integers(app)


def register_blueprints(app: Flask) -> None:
    from surveyapp.accounts.views import bp as accounts_bp
    from surveyapp.exports.report_views import bp as reportpdf_bp
    from surveyapp.exports.views import bp as exports_bp
    from surveyapp.results.groups import bp as peergroups_bp
    from surveyapp.results.views import bp as results_bp
    from surveyapp.servicetest.admin import bp as servicetest_bp
    from surveyapp.servicetest.caller import bp as calls_bp
    from surveyapp.surveys.admin import bp as rounds_bp
    from surveyapp.surveys.public import bp as surveys_bp
    from surveyapp.web.views import bp as web_bp

    app.register_blueprint(web_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(surveys_bp)
    app.register_blueprint(servicetest_bp)
    app.register_blueprint(calls_bp)
    app.register_blueprint(results_bp)
    app.register_blueprint(rounds_bp)
    app.register_blueprint(peergroups_bp)
    app.register_blueprint(reportpdf_bp)
    app.register_blueprint(exports_bp)


def register_request_hooks(app: Flask) -> None:
    from surveyapp.accounts.access import enforce_access
    from surveyapp.web.errors import register_error_handlers
    from surveyapp.web.i18n import remember_language_choice
    from surveyapp.web.security import add_security_headers

    app.before_request(enforce_access)
    app.before_request(remember_language_choice)
    app.after_request(add_security_headers)
    register_error_handlers(app)

    @app.teardown_request
    def _forget_request_language(_exc: BaseException | None) -> None:
        g.pop("default_language", None)


def register_middleware(app: Flask) -> None:
    from surveyapp.web.bodies import limit_chunked_bodies

    limit_chunked_bodies(app)


def register_template_helpers(app: Flask) -> None:
    from surveyapp.web.templating import register

    register(app)


def register_commands(app: Flask) -> None:
    from surveyapp.accounts.cli import users_cli
    from surveyapp.demo.cli import demo_command, setup_command
    from surveyapp.exports.cli import export_cli
    from surveyapp.municipalities.cli import municipalities_cli
    from surveyapp.questionnaires.cli import questionnaires_cli
    from surveyapp.results.peer_cli import peers_cli
    from surveyapp.results.stats_cli import stats_cli

    app.cli.add_command(municipalities_cli)
    app.cli.add_command(questionnaires_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(stats_cli)
    app.cli.add_command(export_cli)
    app.cli.add_command(peers_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(setup_command)
