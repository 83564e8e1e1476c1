"""Staff pages for paper forms: start keying one, settle double keyings, print the form."""

from __future__ import annotations

from datetime import date, datetime

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import DateField, SelectField, StringField
from wtforms.validators import InputRequired, Optional

from surveyapp.accounts import scope
from surveyapp.accounts.access import PLANNER, access
from surveyapp.channels import paper, paper_pdf
from surveyapp.extensions import db
from surveyapp.norwegian_time import date_text, datetime_text
from surveyapp.questionnaires.store import definition_for, definition_of
from surveyapp.surveys import public, submission
from surveyapp.surveys import state as survey_state
from surveyapp.surveys.admin import _load_round_to_change
from surveyapp.surveys.admin_forms import LOCAL_ZONE
from surveyapp.surveys.models import Response, SurveyRound
from surveyapp.timeutil import utcnow
from surveyapp.web.forms import StaffForm
from surveyapp.web.i18n import LANGUAGES, pick
from surveyapp.web.templating import current_language

bp = Blueprint("paper", __name__)


class StartKeyingForm(StaffForm):
    form_number = StringField(
        _l("Form number"),
        validators=[Optional()],
        description=_l("As written on the form (letters, digits and dashes)."),
    )
    received = DateField(_l("Date received"), validators=[InputRequired()])
    municipality = SelectField(_l("Municipality"), validators=[InputRequired()])
    language = SelectField(_l("Language of the form"), validators=[InputRequired()])


def keyed_message(key: str, form_number: str | None) -> str:
    """What happened to a keyed form (or why it was refused), for a flash message."""
    number = form_number or ""
    return {
        "stored": _("The paper form is stored."),
        "first": _(
            "Form %(number)s is keyed once. Another person keys it a second time.",
            number=number,
        ),
        "matched": _("Form %(number)s: both keyings agree. The answers are stored.", number=number),
        "different": _(
            "Form %(number)s: the two keyings differ. A third person settles the differences.",
            number=number,
        ),
        "already_keyed": _("Form %(number)s has already been keyed twice.", number=number),
        "same_person": _(
            "You keyed form %(number)s the first time: the second keying must be done by"
            " someone else.",
            number=number,
        ),
    }[key]


def settle_messages() -> dict[str, str]:
    return {
        "not_waiting": _("This form is not waiting to be settled."),
        "third_person": _("The differences must be settled by someone who keyed neither."),
        "choose_all": _("Choose the right value for every difference."),
    }


def _paper_round(round_id: int) -> SurveyRound:
    return _load_round_to_change(round_id)


def _start_form(survey_round: SurveyRound, formdata: object = None) -> StartKeyingForm:
    form = StartKeyingForm(
        formdata=formdata,
        data={
            "received": datetime.now(LOCAL_ZONE).date(),
            "language": survey_round.language,
        },
    )
    form.municipality.choices = [
        (m.code, f"{m.name} ({m.code})")
        for m in survey_round.municipalities
        if scope.may_see(current_user, m.code)
    ]
    form.language.choices = list(LANGUAGES.items())
    return form


def _window(survey_round: SurveyRound) -> tuple[paper.Window, datetime | None]:
    late_days = int(current_app.config["SURVEYAPP_PAPER_LATE_DAYS"])
    return paper.window_of(survey_round.id, utcnow(), late_days)


def _window_text(window: paper.Window, until: datetime | None) -> str | None:
    """What the page says when forms cannot be keyed as usual."""
    if window is paper.Window.LATE and until is not None:
        return _(
            "The round has closed. Forms that came late by post can be keyed until "
            "%(until)s, or until the results are published.",
            until=datetime_text(until),
        )
    if window is paper.Window.PUBLISHED:
        return _(
            "The round's results are published, so no more forms can be keyed: a "
            "publication's figures do not change. Take the publication back on the round's "
            "page first if late forms must count."
        )
    if window is paper.Window.ENDED:
        return _("The round closed too long ago for more forms to be keyed.")
    if window is paper.Window.NOT_YET:
        return _("The round is not open: forms can be keyed while it is open.")
    return None


def _render(survey_round: SurveyRound, form: StartKeyingForm | None = None) -> str:
    window, until = _window(survey_round)
    definition = definition_of(survey_round.questionnaire)
    waiting = paper.waiting_forms(definition, survey_round.id)
    stored = db.session.scalar(
        db.select(db.func.count(Response.id)).where(
            Response.round_id == survey_round.id, Response.channel == "paper"
        )
    )
    return render_template(
        "channels/paper.html",
        survey_round=survey_round,
        form=form or _start_form(survey_round),
        waiting=waiting,
        stored=stored,
        language_labels=LANGUAGES,
        field_labels=_field_labels(definition),
        can_key=window in (paper.Window.OPEN, paper.Window.LATE),
        window_text=_window_text(window, until),
    )


def _field_labels(definition: object) -> dict[str, str]:
    labels = {
        "received": _("Date received"),
        "municipality": _("Municipality"),
        "language": _("Language of the form"),
    }
    for question in definition.questions:  # type: ignore[attr-defined]
        labels[question.code] = f"{question.code}: {pick(question.text, current_language())}"
    return labels


# One rule for both methods: werkzeug answers 405 instead of 404 for a huge id when
# a GET rule and a POST rule share the path.
@bp.route("/rounds/<int:round_id>/paper", methods=["GET", "POST"])
@access(PLANNER)
def overview(round_id: int) -> str | WerkzeugResponse:
    survey_round = _paper_round(round_id)
    if request.method == "GET":
        return _render(survey_round)
    return _start(survey_round)


def _start(survey_round: SurveyRound) -> str | WerkzeugResponse:
    form = _start_form(survey_round, request.form)
    if not form.validate_on_submit():
        return _render(survey_round, form)
    if _window(survey_round)[0] not in (paper.Window.OPEN, paper.Window.LATE):
        return _render(survey_round, form)  # the page says why
    number = None
    if survey_round.paper_double_keying:
        number = paper.clean_form_number(form.form_number.data or "")
        if number is None:
            form.form_number.errors = [_("Write the form number (letters, digits and dashes).")]
            return _render(survey_round, form)
    received: date = form.received.data
    if received > datetime.now(LOCAL_ZONE).date():
        form.received.errors = [_("The date received cannot be in the future.")]
        return _render(survey_round, form)
    earliest = paper.earliest_received(survey_round.opens_at, survey_round.created_at, LOCAL_ZONE)
    if received < earliest:
        form.received.errors = [
            _(
                "The date received cannot be before %(date)s, a month before the round "
                "opened. Check the year and the month.",
                date=date_text(earliest),
            )
        ]
        return _render(survey_round, form)
    public_round = submission.round_by_id(survey_round.id)
    assert public_round is not None
    state = survey_state.new_state(
        survey_round.id,
        municipality=form.municipality.data,
        entitled=True,
        language=form.language.data,
        channel="paper",
        received=received.isoformat(),
        form_number=number,
    )
    return public.start_paper_keying(public_round, state)


@bp.route("/rounds/<int:round_id>/paper/settle/<form_number>", methods=["GET", "POST"])
@access(PLANNER)
def settle(round_id: int, form_number: str) -> str | WerkzeugResponse:
    survey_round = _paper_round(round_id)
    definition = definition_of(survey_round.questionnaire)
    rows = paper.keyings(survey_round.id, form_number[: paper.MAX_FORM_NUMBER])
    if len(rows) != 2:
        abort(404)
    differing = paper.differences(definition, rows[0], rows[1])
    if request.method == "POST":
        window, until = _window(survey_round)
        if window not in (paper.Window.OPEN, paper.Window.LATE):
            # Settling stores a response: not once the results are out or the late
            # days are over, just as no form can be keyed then.
            flash(_window_text(window, until) or "", "error")
            return redirect(url_for("paper.overview", round_id=round_id))
        choices = {}
        for name in differing:
            value = request.form.get(f"choice-{name}", "")
            choices[name] = int(value) if value in ("1", "2") else 0
        public_round = submission.round_by_id(survey_round.id)
        assert public_round is not None
        loaded = definition_for(public_round.questionnaire_id, public_round.questionnaire_hash)
        try:
            paper.settle(public_round, loaded, form_number, choices, current_user.id)
        except paper.PaperError as err:
            db.session.rollback()
            flash(settle_messages()[err.reason], "error")
            return redirect(url_for("paper.settle", round_id=round_id, form_number=form_number))
        db.session.commit()
        flash(_("Form %(number)s is settled and stored.", number=form_number), "info")
        return redirect(url_for("paper.overview", round_id=round_id))
    values = [paper._fields(definition, row) for row in rows]
    return render_template(
        "channels/settle.html",
        survey_round=survey_round,
        form_number=form_number,
        differing=differing,
        values=values,
        field_labels=_field_labels(definition),
    )


@bp.get("/rounds/<int:round_id>/paper/form-<language>.pdf")
@access(PLANNER)
def printable(round_id: int, language: str) -> WerkzeugResponse:
    survey_round = _paper_round(round_id)
    if language not in LANGUAGES:
        abort(404)
    pdf = paper_pdf.paper_form_pdf(
        definition_of(survey_round.questionnaire), language, survey_round.paper_double_keying
    )
    response = WerkzeugResponse(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="papirskjema-{survey_round.slug}-{language}.pdf"'
    )
    return response
