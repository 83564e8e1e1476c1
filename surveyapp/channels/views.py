"""Staff pages for e-mail invitations: the address list, a preview, send and remind."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import HiddenField

from surveyapp.accounts import scope
from surveyapp.accounts.access import PLANNER, access
from surveyapp.channels import addresses, email, email_job, sending
from surveyapp.extensions import db, task_queue
from surveyapp.jobs import operations as job_operations
from surveyapp.questionnaires.store import definition_of
from surveyapp.surveys.admin import _load_round_to_change
from surveyapp.surveys.models import SurveyRound
from surveyapp.timeutil import utcnow
from surveyapp.web.forms import StaffForm
from surveyapp.web.i18n import LANGUAGES, pick

bp = Blueprint("channels", __name__)


class AddressFileForm(StaffForm):
    file = FileField(
        _l("Address list (CSV)"),
        validators=[FileRequired(_l("Choose a file."))],
        description=_l(
            "One e-mail address per line. When the round runs in more than one municipality,"
            " write the municipality number after the address, separated by a comma or a"
            " semicolon."
        ),
    )


class SendForm(StaffForm):
    kind = HiddenField()


def email_messages() -> dict[str, str]:
    return {
        "not_invitation_round": _("This round is answered through an open link, not invitations."),
        "closed": _("The round has closed: no more e-mails are sent."),
        "not_open": _("Reminders are sent only while the round is open."),
        "nothing": _("There is nobody to send to."),
        "no_sender": _("No sender address is set up (MAIL_DEFAULT_SENDER)."),
    }


def problem_messages() -> dict[str, str]:
    return {
        "too_large": _("The file is too large (at most 2 MB)."),
        "encoding": _("The file must be text (UTF-8)."),
        "empty": _("The file holds no addresses."),
        "columns": _("Write an address and at most a municipality number."),
        "bad_address": _("“%(value)s” is not an e-mail address."),
        "no_municipality": _("Write the municipality number after the address."),
        "unknown_municipality": _("%(value)s is not one of the round's municipalities."),
        "too_many": _("A round's list holds at most %(value)s addresses."),
    }


def describe(problem: addresses.Problem) -> str:
    text = problem_messages()[problem.code] % {"value": problem.value}
    if problem.line:
        return _("Line %(line)s: %(problem)s", line=problem.line, problem=text)
    return text


def _preview(survey_round: SurveyRound) -> list[tuple[str, str, email.MessageText]]:
    """The invitation and the reminder, in the round's language, with a sample link."""
    definition = definition_of(survey_round.questionnaire)
    language = survey_round.language
    municipality = survey_round.municipalities[0].name if survey_round.municipalities else ""
    closing = email.closes_at(survey_round)
    return [
        (
            kind,
            LANGUAGES[language],
            email.message_text(
                kind, language, municipality, pick(definition.title, language), closing
            ),
        )
        for kind in email_job.KINDS
    ]


def _render(survey_round: SurveyRound, form: AddressFileForm | None = None, **extra: Any) -> str:
    max_reminders = int(current_app.config["SURVEYAPP_MAIL_REMINDERS"])
    base = str(current_app.config["SURVEYAPP_BASE_URL"]).rstrip("/")
    sample_link = base + url_for("surveys.invitation", token="…")
    return render_template(
        "channels/email.html",
        survey_round=survey_round,
        form=form or AddressFileForm(formdata=None),
        send_form=SendForm(formdata=None),
        counts=email.list_counts(survey_round, max_reminders),
        max_reminders=max_reminders,
        recipients=email.recipients(survey_round),
        used=email.used_flags(survey_round),
        previews=_preview(survey_round),
        sample_link=sample_link,
        jobs=job_operations.round_jobs(
            survey_round.id, email_job.KIND, current_user.id, scope.is_admin(current_user)
        ),
        can_send=sending.blocked(survey_round, "invitation", utcnow()) is None,
        can_remind=sending.blocked(survey_round, "reminder", utcnow()) is None,
        **extra,
    )


def _invitation_round(round_id: int) -> SurveyRound:
    survey_round = _load_round_to_change(round_id)
    if survey_round.access != "invitation":
        abort(404)
    return survey_round


@bp.get("/rounds/<int:round_id>/email")
@access(PLANNER)
def page(round_id: int) -> str:
    return _render(_invitation_round(round_id))


@bp.post("/rounds/<int:round_id>/email/addresses")
@access(PLANNER)
def upload(round_id: int) -> str | WerkzeugResponse:
    survey_round = _invitation_round(round_id)
    form = AddressFileForm()
    if not form.validate_on_submit():
        return _render(survey_round, form)
    parsed = addresses.parse_addresses(
        form.file.data.read(addresses.MAX_FILE_BYTES + 1),
        [m.code for m in survey_round.municipalities],
        email.stored_addresses(survey_round.id),
    )
    if parsed.problems:
        # All or nothing: a list with bad lines is not half-added.
        form.file.errors = [describe(p) for p in parsed.problems]
        return _render(survey_round, form)
    try:
        added = email.add_addresses(current_user.id, survey_round, parsed)
    except email.EmailError as err:
        flash(email_messages()[err.reason], "error")
        return redirect(url_for("channels.page", round_id=round_id))
    db.session.commit()
    flash(
        _(
            "%(added)s addresses added; %(merged)s duplicates merged.",
            added=added,
            merged=parsed.duplicates,
        ),
        "info",
    )
    return redirect(url_for("channels.page", round_id=round_id))


@bp.post("/rounds/<int:round_id>/email/send")
@access(PLANNER)
def send(round_id: int) -> WerkzeugResponse:
    survey_round = _invitation_round(round_id)
    form = SendForm()
    kind = form.kind.data
    if not form.validate_on_submit() or kind not in email_job.KINDS:
        abort(400)
    reason = sending.blocked(survey_round, kind, utcnow())
    if reason is not None:
        flash(email_messages()[reason], "error")
        return redirect(url_for("channels.page", round_id=round_id))
    job = sending.queue_job(current_user.id, survey_round, kind)
    db.session.commit()
    task_queue.enqueue(job.id)
    return redirect(url_for("jobs.status", job_id=job.id))
