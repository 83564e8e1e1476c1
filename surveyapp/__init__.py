"""surveyapp: survey and benchmarking platform for Norwegian municipalities."""

from __future__ import annotations

import gc
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, g
from werkzeug.middleware.proxy_fix import ProxyFix

from surveyapp.commands import loading_for_command_lookup, refusing_unless_offline
from surveyapp.config import (
    ConfigurationError,
    build_config,
    check_secret_key,
    check_settings,
    instance_secret_key,
)


def freeze_start_up_objects() -> None:
    """Collect once and move what the start-up made out of the collector's reach.

    The hundreds of thousands of objects made by importing Flask, SQLAlchemy, scipy and
    the app live as long as the server process. Left in the collector's young
    generations they are all traversed by its first full collection, which then falls
    inside the first large request after a restart (250 ms of the open-data national
    table's first answer on the national database). Collected once and frozen (the
    permanent generation, as the gc documentation advises for long-lived start-up
    objects), they are not traversed again; objects made by requests are collected as
    before. Called by the WSGI entry point once the app is built."""
    gc.collect()
    gc.freeze()


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application: defaults, then the environment, then ``config``.

    ``config`` may carry ``INSTANCE_PATH`` (tests: a temporary instance folder).
    """
    settings = dict(config or {})
    app = Flask(
        __name__, instance_relative_config=True, instance_path=settings.pop("INSTANCE_PATH", None)
    )
    app.config.from_mapping(build_config(app.instance_path, os.environ, settings))
    check_settings(app.config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    unconfigured = configure_secret_key(app)
    trust_proxies(app)

    register_extensions(app)
    register_url_converters(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_middleware(app)
    register_template_helpers(app)
    register_commands(app)
    register_jobs(app)
    if unconfigured is not None:
        # Every command on app.cli (ours and the extensions', such as `db`) refuses,
        # except the offline ones.
        app.cli.commands = {
            name: refusing_unless_offline(command, unconfigured)
            for name, command in app.cli.commands.items()
        }
    return app


def configure_secret_key(app: Flask) -> ConfigurationError | None:
    """Check SECRET_KEY; debug, demo and test runs without one use the instance folder's.

    Raises ConfigurationError, except while the ``flask`` command only looks up a
    command: then the error is returned, and every command but the offline ones
    refuses with it (``surveyapp.commands``).
    """
    try:
        check_secret_key(app.config)
    except ConfigurationError as error:
        if not loading_for_command_lookup():
            raise
        return error
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret_key(app.instance_path)
    return None


def trust_proxies(app: Flask) -> None:
    """Behind SURVEYAPP_PROXY_COUNT proxies, the client address is taken from X-Forwarded-For.

    Without proxies (the default) the header is ignored: anyone can send it, and the
    log-in throttle counts by client address.
    """
    count = int(app.config["SURVEYAPP_PROXY_COUNT"])
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count)  # type: ignore[method-assign]


def register_extensions(app: Flask) -> None:
    from surveyapp import models  # noqa: F401  (the whole schema, for Alembic)
    from surveyapp.accounts.session import configure_login
    from surveyapp.accounts.throttle import init_throttle
    from surveyapp.database import configure_engine_events
    from surveyapp.extensions import babel, csrf, db, mail, migrate
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
    init_throttle(app)
    configure_login(app)
    mail.init_app(app)


def register_url_converters(app: Flask) -> None:
    from surveyapp.web.routing import register_url_converters as bounded_integers

    bounded_integers(app)


def register_blueprints(app: Flask) -> None:
    from surveyapp.accounts.views import bp as accounts_bp
    from surveyapp.api import init_api
    from surveyapp.branding.views import bp as branding_bp
    from surveyapp.channels.kiosk_views import bp as kiosk_bp
    from surveyapp.channels.paper_views import bp as paper_bp
    from surveyapp.channels.views import bp as channels_bp
    from surveyapp.exports.report_views import bp as reportpdf_bp
    from surveyapp.exports.views import bp as exports_bp
    from surveyapp.jobs.views import bp as jobs_bp
    from surveyapp.municipalities.contact_views import bp as municipality_contacts_bp
    from surveyapp.questionnaires.views import bp as questionnaire_files_bp
    from surveyapp.results.groups import bp as peergroups_bp
    from surveyapp.results.views import bp as results_bp
    from surveyapp.servicetest.admin import bp as servicetest_bp
    from surveyapp.servicetest.caller import bp as calls_bp
    from surveyapp.servicetest.results_pages import bp as servicetest_results_bp
    from surveyapp.surveys.admin import bp as rounds_bp
    from surveyapp.surveys.public import bp as surveys_bp
    from surveyapp.web.views import bp as web_bp

    app.register_blueprint(web_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(surveys_bp)
    app.register_blueprint(servicetest_bp)
    app.register_blueprint(servicetest_results_bp)
    app.register_blueprint(calls_bp)
    app.register_blueprint(results_bp)
    app.register_blueprint(rounds_bp)
    app.register_blueprint(peergroups_bp)
    app.register_blueprint(reportpdf_bp)
    app.register_blueprint(exports_bp)
    app.register_blueprint(jobs_bp)
    app.register_blueprint(questionnaire_files_bp)
    app.register_blueprint(branding_bp)
    app.register_blueprint(channels_bp)
    app.register_blueprint(paper_bp)
    app.register_blueprint(kiosk_bp)
    app.register_blueprint(municipality_contacts_bp)
    init_api(app)


def register_request_hooks(app: Flask) -> None:
    from surveyapp.accounts.access import enforce_access
    from surveyapp.web.errors import register_error_handlers
    from surveyapp.web.i18n import remember_language_choice, use_project_wtforms_messages
    from surveyapp.web.security import add_security_headers

    app.before_request(enforce_access)
    app.before_request(remember_language_choice)
    app.before_request(use_project_wtforms_messages)
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
    from surveyapp.channels.cli import invitations_cli
    from surveyapp.demo.cli import demo_command, setup_command
    from surveyapp.exports.cli import export_cli
    from surveyapp.jobs.cli import jobs_cli
    from surveyapp.municipalities.cli import municipalities_cli
    from surveyapp.questionnaires.cli import questionnaires_cli
    from surveyapp.results.peer_cli import peers_cli
    from surveyapp.results.stats_cli import stats_cli
    from surveyapp.surveys.cli import privacy_cli

    app.cli.add_command(municipalities_cli)
    app.cli.add_command(questionnaires_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(stats_cli)
    app.cli.add_command(export_cli)
    app.cli.add_command(peers_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(setup_command)
    app.cli.add_command(privacy_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(invitations_cli)


def register_jobs(app: Flask) -> None:
    """Kinds of background job and periodic maintenance, then the app's task queue."""
    from surveyapp.channels import email_job  # noqa: F401  (e-mail invitations, reminders)
    from surveyapp.channels import maintenance as channel_maintenance  # noqa: F401
    from surveyapp.extensions import task_queue
    from surveyapp.jobs import maintenance  # noqa: F401  (periodic: job files, stalled jobs)
    from surveyapp.servicetest import maintenance as field_work  # noqa: F401  (replies, evidence)
    from surveyapp.surveys import invitation_job  # noqa: F401  (invitation letters)
    from surveyapp.surveys import maintenance as privacy_maintenance  # noqa: F401

    task_queue.init_app(app)
