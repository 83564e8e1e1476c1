"""Staff pages of the open-data API: API tokens (create, shown once; revoke; their use)
and publishing a locked service-test round. Survey rounds are published on their own
round page (``surveys.admin``)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from surveyapp.accounts import scope
from surveyapp.accounts.access import ADMIN, PLANNER, access
from surveyapp.api import publishing, tokens
from surveyapp.api.models import ApiToken
from surveyapp.extensions import db
from surveyapp.servicetest.models import TestRound
from surveyapp.timeutil import utcnow
from surveyapp.web.forms import StaffForm, WholeNumberField

bp = Blueprint("api_admin", __name__)

DEFAULT_DAYS = 90


class TokenForm(StaffForm):
    name = StringField(
        _l("What the token is for"),
        description=_l("For example “Municipality web site” or “Research project 2026”."),
        validators=[DataRequired(), Length(max=120)],
    )
    days = WholeNumberField(
        _l("Valid for (days)"),
        default=DEFAULT_DAYS,
        validators=[InputRequired(), NumberRange(min=1)],
    )


class ConfirmForm(StaffForm):
    """A POST with a CSRF token and nothing else."""


def _messages() -> dict[str, str]:
    return {
        "not_closed": _("Only a closed round can be published: its figures are final then."),
        "not_locked": _("Only a locked service-test round can be published."),
        "already_published": _("The results are published already."),
        "not_published": _("The results are not published."),
        "already_revoked": _("The token is revoked already."),
    }


def _token(token_id: int) -> ApiToken:
    """A token the user manages: their own, or any for an administrator (else 404)."""
    token = db.session.get(ApiToken, token_id)
    if token is None or (not scope.is_admin(current_user) and token.owner_id != current_user.id):
        abort(404)
    return token


def _render(form: TokenForm, secret: str | None = None, created: ApiToken | None = None) -> str:
    max_days = int(current_app.config["SURVEYAPP_API_TOKEN_MAX_DAYS"])
    return render_template(
        "api/tokens.html",
        form=form,
        tokens=tokens.tokens_for(current_user),
        secret=secret,
        created=created,
        now=utcnow(),
        max_days=max_days,
        confirm=ConfirmForm(),
    )


@bp.route("/api-tokens", methods=["GET", "POST"])
@access(PLANNER)
def token_list() -> str:
    form = TokenForm()
    max_days = int(current_app.config["SURVEYAPP_API_TOKEN_MAX_DAYS"])
    form.days.validators = [InputRequired(), NumberRange(min=1, max=max_days)]
    if form.validate_on_submit():
        token, secret = tokens.create_token(
            current_user, form.name.data or "", int(form.days.data or 0), max_days
        )
        db.session.commit()
        # Shown once, on this page only: never stored, never put in the session.
        return _render(TokenForm(formdata=None), secret, token)
    return _render(form)


@bp.get("/api-tokens/<int:token_id>")
@access(PLANNER)
def token_detail(token_id: int) -> str:
    token = _token(token_id)
    return render_template(
        "api/token.html",
        token=token,
        uses=tokens.uses_of(token),
        now=utcnow(),
        confirm=ConfirmForm(),
    )


@bp.post("/api-tokens/<int:token_id>/revoke")
@access(PLANNER)
def revoke(token_id: int) -> WerkzeugResponse:
    token = _token(token_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        tokens.revoke_token(current_user.id, token)
    except tokens.TokenError as error:
        flash(_messages()[error.reason], "error")
    else:
        db.session.commit()
        flash(_("The token “%(name)s” is revoked. It no longer works.", name=token.name), "info")
    return redirect(url_for("api_admin.token_list"))


def _test_round(round_id: int) -> TestRound:
    test_round = db.session.get(TestRound, round_id)
    if test_round is None:
        abort(404)
    return test_round


@bp.post("/servicetest/<int:round_id>/publish")
@access(ADMIN)
def publish_test_round(round_id: int) -> WerkzeugResponse:
    test_round = _test_round(round_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        publishing.publish_test_round(current_user.id, test_round)
    except publishing.PublishError as error:
        flash(_messages()[error.reason], "error")
    else:
        db.session.commit()
        flash(_("The results are published as open data."), "info")
    return redirect(url_for("servicetest.detail", round_id=round_id))


@bp.post("/servicetest/<int:round_id>/unpublish")
@access(ADMIN)
def unpublish_test_round(round_id: int) -> WerkzeugResponse:
    test_round = _test_round(round_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        publishing.unpublish_test_round(current_user.id, test_round)
    except publishing.PublishError as error:
        flash(_messages()[error.reason], "error")
    else:
        db.session.commit()
        flash(_("The results are no longer published."), "info")
    return redirect(url_for("servicetest.detail", round_id=round_id))


def messages() -> dict[str, str]:
    """The publishing messages, for the survey round page's views."""
    return _messages()
