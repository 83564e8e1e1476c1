"""Kiosk pages: an admin registers devices; a tablet at the service desk serves visitors.

The visitor's page keeps nothing in the session: each start is a new signed state in
the form, refused by the server after ``kiosk.MAX_AGE_SECONDS``; after an answer the
thanks page carries nothing, and every page is ``Cache-Control: no-store``, so the back
button cannot show the last visitor's answers.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import refresh
from flask_login import current_user
from limits import parse
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, Length

from surveyapp.accounts.access import ADMIN, PUBLIC, access
from surveyapp.accounts.throttle import Charge, throttle
from surveyapp.channels import kiosk
from surveyapp.channels.models import KioskDevice
from surveyapp.extensions import csrf, db
from surveyapp.questionnaires.definition import Definition
from surveyapp.questionnaires.store import definition_for, definition_of
from surveyapp.surveys import flow, submission
from surveyapp.surveys import state as survey_state
from surveyapp.surveys.admin import _load_round_to_change
from surveyapp.surveys.forms import build_questions_form
from surveyapp.surveys.models import SurveyRound
from surveyapp.surveys.state import SurveyState
from surveyapp.surveys.submission import PublicRound
from surveyapp.timeutil import utcnow
from surveyapp.web.forms import StaffForm
from surveyapp.web.i18n import LANGUAGES

bp = Blueprint("kiosk", __name__)
# As the citizen pages: what a visitor's form carries is signed in the form itself.
csrf.exempt(bp)


class DeviceForm(StaffForm):
    name = StringField(_l("Name of the device"), validators=[InputRequired(), Length(max=80)])
    place = StringField(
        _l("Place"),
        validators=[InputRequired(), Length(max=80)],
        description=_l("Where it stands, for example “Service office, Storgata 40”."),
    )
    municipality = SelectField(_l("Municipality"), validators=[InputRequired()])


def _messages() -> dict[str, str]:
    return {
        "closed": _("The round is closed: no kiosk can be added."),
        "too_long": _(
            "The questionnaire is too long for a kiosk and names no kiosk questions"
            " (the “kiosk” key of the questionnaire file)."
        ),
        "unknown_municipality": _("Choose municipalities from the list."),
    }


# --------------------------------------------------------------------------- admin


def _device_form(survey_round: SurveyRound, formdata: Any = None) -> DeviceForm:
    form = DeviceForm(formdata=formdata)
    form.municipality.choices = [
        (m.code, f"{m.name} ({m.code})") for m in survey_round.municipalities
    ]
    return form


def _render_devices(
    survey_round: SurveyRound, form: DeviceForm | None = None, link: str | None = None
) -> str:
    return render_template(
        "channels/kiosks.html",
        survey_round=survey_round,
        form=form or _device_form(survey_round),
        devices=kiosk.devices(survey_round.id),
        link=link,
        short=kiosk.kiosk_questions(definition_of(survey_round.questionnaire)) is not None,
    )


# One rule for both methods: werkzeug answers 405 instead of 404 for a huge id when
# a GET rule and a POST rule share the path.
@bp.route("/rounds/<int:round_id>/kiosks", methods=["GET", "POST"])
@access(ADMIN)
def devices(round_id: int) -> str:
    survey_round = _load_round_to_change(round_id)
    if request.method == "GET":
        return _render_devices(survey_round)
    return _register(survey_round)


def _register(survey_round: SurveyRound) -> str:
    form = _device_form(survey_round, request.form)
    if not form.validate_on_submit():
        return _render_devices(survey_round, form)
    try:
        _device, secret = kiosk.register_device(
            current_user.id,
            survey_round,
            definition_of(survey_round.questionnaire),
            form.name.data or "",
            form.place.data or "",
            form.municipality.data or "",
        )
    except kiosk.KioskError as err:
        db.session.rollback()
        form.name.errors = [_messages()[err.reason]]
        return _render_devices(survey_round, form)
    db.session.commit()
    base = str(current_app.config["SURVEYAPP_BASE_URL"]).rstrip("/")
    # Shown once: only the secret's hash is stored.
    return _render_devices(survey_round, link=base + url_for("kiosk.start", secret=secret))


@bp.post("/rounds/<int:round_id>/kiosks/<int:device_id>/deactivate")
@access(ADMIN)
def deactivate(round_id: int, device_id: int) -> WerkzeugResponse:
    survey_round = _load_round_to_change(round_id)
    if not StaffForm().validate_on_submit():
        abort(400)
    device = db.session.get(KioskDevice, device_id)
    if device is None or device.round_id != survey_round.id:
        abort(404)
    kiosk.deactivate(current_user.id, device)
    db.session.commit()
    flash(_("The kiosk link no longer works."), "info")
    return redirect(url_for("kiosk.devices", round_id=round_id))


# --------------------------------------------------------------------------- the tablet


def _load(secret: str) -> tuple[kiosk.FoundDevice, PublicRound, Definition, tuple[str, ...]]:
    device = kiosk.find_device(secret)
    if device is None:
        abort(404)
    survey_round = submission.round_by_id(device.round_id)
    assert survey_round is not None
    g.default_language = survey_round.language
    definition = definition_for(survey_round.questionnaire_id, survey_round.questionnaire_hash)
    codes = kiosk.kiosk_questions(definition)
    if codes is None:
        abort(404)
    return device, survey_round, definition, codes


def _unavailable(survey_round: PublicRound) -> tuple[str, int] | None:
    available = submission.availability(survey_round, utcnow())
    if available is submission.Availability.OPEN:
        return None
    page = render_template(
        "surveys/public/status.html", kind=available.value, survey_round=survey_round
    )
    return page, 200


def _fresh(device: kiosk.FoundDevice, survey_round: PublicRound) -> SurveyState:
    return survey_state.new_state(
        survey_round.id,
        municipality=device.municipality_code,
        entitled=True,
        channel="kiosk",
        device=device.id,
        language=survey_round.language,
    )


def _use(language: str | None) -> None:
    """The kiosk's language is the visitor's own choice, never a session's."""
    if language in LANGUAGES:
        g.survey_language = language
        refresh()


def _render(
    secret: str,
    survey_round: PublicRound,
    definition: Definition,
    codes: tuple[str, ...],
    state: SurveyState,
    form: Any = None,
    expired: bool = False,
) -> str:
    _use(state.language)
    language = state.language or survey_round.language
    if form is None:
        form = build_questions_form(definition, codes, language, None)
    return render_template(
        "channels/kiosk.html",
        secret=secret,
        survey_round=survey_round,
        definition=definition,
        questions=[definition.question(code) for code in codes],
        # A question shown only for some answers to another on the kiosk's one page:
        # its note (without JavaScript) and survey.js hiding it as the visitor answers.
        same_page_conditions={
            question.code: definition.question(question.show_if.question)
            for code in codes
            if (question := definition.question(code)).show_if is not None
            and question.show_if.question in codes
        },
        form=form,
        state_token=survey_state.encode(state, str(current_app.config["SECRET_KEY"])),
        expired=expired,
        max_age=kiosk.MAX_AGE_SECONDS,
        warn_before=kiosk.WARN_BEFORE_SECONDS,
        form_field_names=flow.field_names,
    )


@bp.get("/k/<secret>")
@access(PUBLIC)
def start(secret: str) -> str | tuple[str, int]:
    device, survey_round, definition, codes = _load(secret)
    closed = _unavailable(survey_round)
    if closed:
        return closed
    return _render(secret, survey_round, definition, codes, _fresh(device, survey_round))


def _posted_state(device: kiosk.FoundDevice, survey_round: PublicRound) -> SurveyState | None:
    state = survey_state.decode(
        request.form.get("state"),
        str(current_app.config["SECRET_KEY"]),
        survey_round.id,
        max_age=kiosk.MAX_AGE_SECONDS,
    )
    if state is None or state.channel != "kiosk" or state.device != device.id:
        return None
    return state


@bp.post("/k/<secret>")
@access(PUBLIC)
def answer(secret: str) -> str | tuple[str, int] | WerkzeugResponse:
    device, survey_round, definition, codes = _load(secret)
    closed = _unavailable(survey_round)
    if closed:
        return closed
    state = _posted_state(device, survey_round)
    if state is None:
        # Left idle too long (or altered): what was on the page is discarded.
        return _render(
            secret, survey_round, definition, codes, _fresh(device, survey_round), expired=True
        )
    action = request.form.get("action", "next")
    names = [n for code in codes for n in flow.field_names(definition.question(code))]
    inputs = {n: request.form.getlist(n) for n in names if n in request.form}
    if action.startswith("lang:") and action[5:] in LANGUAGES:
        state = replace(state, language=action[5:], answers=inputs)
        # Not validated: the visitor only changed the language.
        form = build_questions_form(definition, codes, action[5:], request.form)
        return _render(secret, survey_round, definition, codes, state, form)
    _use(state.language)
    language = state.language or survey_round.language
    form = build_questions_form(definition, codes, language, request.form)
    if not form.validate():
        return _render(
            secret, survey_round, definition, codes, replace(state, answers=inputs), form
        )
    key = survey_state.submission_key(state, str(current_app.config["SECRET_KEY"]))
    if submission.already_stored(key):  # the same page sent twice stores once
        return redirect(url_for("kiosk.thanks", secret=secret))
    wait = throttle().reserve([_device_charge(device)])
    if wait is not None:
        page = render_template("channels/kiosk_busy.html", secret=secret, wait=wait)
        return WerkzeugResponse(
            page, status=429, headers={"Retry-After": str(wait)}, mimetype="text/html"
        )
    place = device.place if _records_place(survey_round.id) else None
    try:
        submission.submit(
            key,
            device.municipality_code,
            inputs,
            definition,
            survey_round,
            language,
            utcnow(),
            channel="kiosk",
            place=place,
        )
        db.session.commit()
    except sa.exc.IntegrityError:  # sent twice at the same moment: stored once
        db.session.rollback()
    return redirect(url_for("kiosk.thanks", secret=secret))


def _device_charge(device: kiosk.FoundDevice) -> Charge:
    rate = parse(str(current_app.config["SURVEYAPP_KIOSK_LIMIT"]))
    return Charge(rate, ("kiosk-device", str(device.id)))


def _records_place(round_id: int) -> bool:
    found = db.session.get(SurveyRound, round_id)
    return bool(found and found.kiosk_records_place)


@bp.get("/k/<secret>/thanks")
@access(PUBLIC)
def thanks(secret: str) -> str:
    device, survey_round, _definition, _codes = _load(secret)
    _use(survey_round.language)
    return render_template(
        "channels/kiosk_thanks.html", secret=secret, survey_round=survey_round, seconds=8
    )


@bp.post("/k/<secret>/more-time")
@access(PUBLIC)
def more_time(secret: str) -> WerkzeugResponse:
    """The same answers, signed anew: the visitor asked for more time (WCAG 2.2.1)."""
    device, survey_round, _definition, _codes = _load(secret)
    state = _posted_state(device, survey_round)
    if state is None:
        return jsonify({"state": None})
    return jsonify({"state": survey_state.encode(state, str(current_app.config["SECRET_KEY"]))})
