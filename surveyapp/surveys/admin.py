"""Staff pages to run citizen-survey rounds, issue invitations and preview questionnaires."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
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
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import SelectChoice

from surveyapp.accounts import scope
from surveyapp.accounts.access import PLANNER, access
from surveyapp.api import publishing
from surveyapp.api.admin import ConfirmForm
from surveyapp.api.admin import messages as publishing_messages
from surveyapp.extensions import db, task_queue
from surveyapp.formatting import norwegian_sort_key
from surveyapp.jobs import operations as job_operations
from surveyapp.jobs.models import Job
from surveyapp.municipalities.models import Municipality
from surveyapp.questionnaires import types as question_types
from surveyapp.questionnaires.definition import SECTIONED_KINDS, Definition
from surveyapp.questionnaires.models import QuestionFingerprint, Questionnaire
from surveyapp.questionnaires.store import definition_of
from surveyapp.questionnaires.survey import DONT_KNOW, Question
from surveyapp.results.group_ops import peer_groups_for
from surveyapp.surveys import invitation_job, rounds
from surveyapp.surveys.admin_forms import (
    ACCESS_LABELS,
    CHANNEL_LABELS,
    KIND_LABELS,
    LOCAL_ZONE,
    PRECISION_LABELS,
    STATUS_LABELS,
    InvitationForm,
    RoundForm,
    StatusForm,
    format_share,
)
from surveyapp.surveys.models import SurveyRound, round_municipality
from surveyapp.web.i18n import LANGUAGES, pick
from surveyapp.web.picker import Municipality as PickerMunicipality
from surveyapp.web.picker import Picker
from surveyapp.web.routing import MAX_PAGE, int_arg
from surveyapp.web.templating import current_language

bp = Blueprint("rounds", __name__)

PAGE_SIZE = 50


def _error_messages() -> dict[str, str]:
    return {
        "unknown_questionnaire": _("Choose a questionnaire from the list."),
        "no_municipality": _("Choose at least one municipality."),
        "unknown_municipality": _("Choose municipalities from the list."),
        "closes_before_opens": _("The round must close after it opens."),
        "not_draft": _("Only a draft round can be edited."),
        "closed_is_final": _("The round is closed. A closed round cannot be opened again."),
        "not_allowed": _("The round cannot change to that status now."),
        "not_invitation_round": _("This round is answered through an open link, not invitations."),
        "bad_count": _(
            "Choose a number of invitations from 1 to %(max)s.", max=rounds.MAX_INVITATIONS
        ),
    }


def _codes(survey_round: SurveyRound) -> list[str]:
    return [m.code for m in survey_round.municipalities]


def _load_round(round_id: int) -> SurveyRound:
    """The round, if the user may see it (scope.may_see_any): 404 when missing, else 403."""
    survey_round = db.session.scalar(
        sa.select(SurveyRound)
        .options(selectinload(SurveyRound.municipalities), selectinload(SurveyRound.questionnaire))
        .where(SurveyRound.id == round_id)
    )
    if survey_round is None:
        abort(404)
    if not scope.may_see_any(current_user, _codes(survey_round)):
        abort(403)
    return survey_round


def _load_round_to_change(round_id: int) -> SurveyRound:
    """The round, if the user may change it: all its municipalities theirs (scope.may_change).

    A round shared with another planner's municipality is changed by an admin.
    """
    survey_round = _load_round(round_id)
    if not scope.may_change(current_user, _codes(survey_round)):
        abort(403)
    return survey_round


# --------------------------------------------------------------------------- form choices


def _usable_questionnaires(query: sa.Select[Any], keep_id: int | None = None) -> sa.Select[Any]:
    """Only the questionnaires the user may use (scope.may_see_owned): national ones and
    their municipalities' (and ``keep_id``, a round's own)."""
    own = scope.visible_codes(current_user)
    if own is None:
        return query
    return query.where(
        sa.or_(
            Questionnaire.owner_code.is_(None),
            Questionnaire.owner_code.in_(own),
            Questionnaire.id == keep_id,
        )
    )


def _questionnaire_choices(all_versions: bool, keep_id: int | None = None) -> list[SelectChoice]:
    """Versions of questionnaires a round can use: the latest of each unless all are asked for.

    Planners choose among national questionnaires and their own municipalities', never
    another municipality's; the round's own questionnaire stays choosable.
    """
    query = _usable_questionnaires(
        sa.select(
            Questionnaire.id, Questionnaire.code, Questionnaire.version, Questionnaire.title_nb
        )
        .where(Questionnaire.kind.in_(rounds.ROUND_KINDS))
        .order_by(Questionnaire.code, Questionnaire.version.desc()),
        keep_id,
    )
    rows = db.session.execute(query)
    choices = []
    seen: set[str] = set()
    for row in rows:
        if all_versions or row.code not in seen or row.id == keep_id:
            label = f"{row.title_nb} ({row.code} v{row.version})"
            # The stored title is bokmål: say so on nynorsk and English pages (WCAG 3.1.2).
            marked = {"lang": "nb"} if current_language() != "nb" else {}
            choices.append(SelectChoice(str(row.id), label, render_kw=marked))
        seen.add(row.code)
    return choices


def _picker() -> Picker:
    """Admins may choose any municipality, planners their own (a round is all theirs);
    by county, by the user's saved groups, or by name."""
    query = sa.select(
        Municipality.code, Municipality.name, Municipality.county_code, Municipality.county_name
    ).where(Municipality.current)
    own = scope.visible_codes(current_user)
    if own is not None:
        query = query.where(Municipality.code.in_(own))
    groups = [
        (str(group.id), group.name, [m.code for m in group.members])
        for group in peer_groups_for(current_user)
    ]
    return Picker.build((PickerMunicipality(*row) for row in db.session.execute(query)), groups)


def _prepare_round_form(form: RoundForm, survey_round: SurveyRound | None) -> None:
    keep_id = survey_round.questionnaire_id if survey_round else None
    form.questionnaire.choices = _questionnaire_choices(
        request.args.get("versions") == "all", keep_id
    )
    form.picker = picker = _picker()
    form.municipalities.choices = [
        SelectChoice(m.code, f"{m.name} ({m.code})") for m in picker.municipalities
    ]
    form.counties.choices = [SelectChoice(c.code, c.name) for c in picker.counties()]
    form.groups.choices = [
        SelectChoice(group_id, name) for group_id, (name, _codes) in picker.groups.items()
    ]


def _showing_the_choice(form: RoundForm) -> bool:
    """ "Add to the choice" was pressed: fold counties, groups and names into the ticked
    municipalities and show the form again, saving nothing (works without JavaScript)."""
    if request.method != "POST" or "show_choice" not in request.form:
        return False
    chosen = form.pick()
    form.municipalities.data = chosen
    form.counties.data = []
    form.groups.data = []
    if not form.names.errors:
        form.names.data = ""
    return True


def _form_data(survey_round: SurveyRound) -> dict[str, Any]:
    return {
        "questionnaire": survey_round.questionnaire_id,
        "municipalities": [m.code for m in survey_round.municipalities],
        "title": survey_round.title,
        "year": survey_round.year,
        "period": survey_round.period,
        "target": survey_round.target,
        "opens_at": survey_round.opens_at,
        "closes_at": survey_round.closes_at,
        "access": survey_round.access,
        "language": survey_round.language,
        "time_precision": survey_round.time_precision,
        "public_title_nb": survey_round.public_title_nb,
        "public_title_nn": survey_round.public_title_nn,
        "public_title_en": survey_round.public_title_en,
        "contact": survey_round.contact,
        "privacy_url": survey_round.privacy_url,
        "paper_double_keying": survey_round.paper_double_keying,
        "kiosk_records_place": survey_round.kiosk_records_place,
    }


def _settings(form: RoundForm) -> rounds.RoundSettings:
    opens_at = form.opens_at.data
    closes_at = form.closes_at.data
    target = form.target.data
    # The form has validated these.
    assert opens_at is not None and closes_at is not None and target is not None
    return rounds.RoundSettings(
        questionnaire_id=int(form.questionnaire.data),
        municipality_codes=tuple(form.chosen),
        title=(form.title.data or "").strip(),
        year=int(form.year.data or 0),
        period=(form.period.data or "").strip(),
        target=target,
        opens_at=opens_at.astimezone(UTC),
        closes_at=closes_at.astimezone(UTC),
        access=form.access.data or "open",
        language=form.language.data or "nb",
        time_precision=form.time_precision.data or "date",
        public_titles={
            language: text.strip()
            for language in LANGUAGES
            if (text := form[f"public_title_{language}"].data or "").strip()
        },
        contact=(form.contact.data or "").strip(),
        privacy_url=(form.privacy_url.data or "").strip(),
        paper_double_keying=bool(form.paper_double_keying.data),
        kiosk_records_place=bool(form.kiosk_records_place.data),
    )


def _invitation_municipalities(survey_round: SurveyRound) -> list[SelectChoice]:
    """The round's municipalities the user may issue invitations for: their own."""
    return [
        SelectChoice(m.code, f"{m.name} ({m.code})")
        for m in sorted(survey_round.municipalities, key=lambda m: norwegian_sort_key(m.name))
        if scope.may_see(current_user, m.code)
    ]


def _labels() -> dict[str, Any]:
    return {
        "status_labels": STATUS_LABELS,
        "access_labels": ACCESS_LABELS,
        "precision_labels": PRECISION_LABELS,
        "kind_labels": KIND_LABELS,
        "language_labels": LANGUAGES,
        "channel_labels": CHANNEL_LABELS,
    }


# --------------------------------------------------------------------------- rounds


@bp.get("/rounds")
@access(PLANNER)
def index() -> str:
    page = int_arg("page", high=MAX_PAGE) or 1
    query = (
        sa.select(SurveyRound)
        .options(selectinload(SurveyRound.municipalities), selectinload(SurveyRound.questionnaire))
        .order_by(SurveyRound.year.desc(), SurveyRound.created_at.desc(), SurveyRound.id.desc())
    )
    own = scope.visible_codes(current_user)
    if own is not None:
        query = query.where(
            sa.exists().where(
                round_municipality.c.round_id == SurveyRound.id,
                round_municipality.c.municipality_code.in_(own),
            )
        )
    listed = db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)
    counts = rounds.response_counts((r.id for r in listed.items), own)
    return render_template("surveys/admin/rounds.html", rounds=listed, counts=counts, **_labels())


@bp.route("/rounds/new", methods=["GET", "POST"])
@access(PLANNER)
def new() -> str | WerkzeugResponse:
    defaults: dict[str, Any] = {
        "target": float(current_app.config["SURVEYAPP_DEFAULT_TARGET"]),
        "year": datetime.now(LOCAL_ZONE).year,
    }
    own = scope.visible_codes(current_user)
    if own is not None and len(own) == 1:
        defaults["municipalities"] = sorted(own)
    form = RoundForm(data=defaults)
    _prepare_round_form(form, None)
    if _showing_the_choice(form):
        return _render_round_form(form, None)
    if form.validate_on_submit():
        try:
            survey_round = rounds.create_round(current_user.id, _settings(form))
        except rounds.RoundError as err:
            form.questionnaire.errors = [_error_messages()[err.reason]]
        else:
            db.session.commit()
            flash(
                _("The round “%(title)s” is created as a draft.", title=survey_round.title), "info"
            )
            return redirect(url_for("rounds.detail", round_id=survey_round.id))
    return _render_round_form(form, None)


def _render_round_form(form: RoundForm, survey_round: SurveyRound | None) -> str:
    if not hasattr(form, "chosen"):
        form.pick()
    names = form.picker.by_code()
    return render_template(
        "surveys/admin/round_form.html",
        form=form,
        survey_round=survey_round,
        chosen=[names[code] for code in form.chosen if code in names],
        counties=form.picker.counties(),
    )


@bp.get("/rounds/<int:round_id>")
@access(PLANNER)
def detail(round_id: int) -> str:
    return _render_detail(_load_round(round_id))


def _invitation_jobs(survey_round: SurveyRound) -> list[Job]:
    if survey_round.access != "invitation":
        return []
    return job_operations.round_jobs(
        survey_round.id, invitation_job.KIND, current_user.id, scope.is_admin(current_user)
    )


def _render_detail(survey_round: SurveyRound, invitation_form: InvitationForm | None = None) -> str:
    public_link = None
    if survey_round.access == "open":
        base = str(current_app.config["SURVEYAPP_BASE_URL"]).rstrip("/")
        public_link = base + url_for("surveys.start", slug=survey_round.slug, _external=False)
    if invitation_form is None:
        invitation_form = InvitationForm(formdata=None)
        invitation_form.municipality.choices = _invitation_municipalities(survey_round)
    visible = scope.visible_codes(current_user)
    return render_template(
        "surveys/admin/round.html",
        survey_round=survey_round,
        may_change=scope.may_change(current_user, _codes(survey_round)),
        counts_limited=visible is not None and not set(_codes(survey_round)) <= visible,
        counts=rounds.round_counts(survey_round, visible),
        public_link=public_link,
        transitions=rounds.TRANSITIONS[survey_round.status],
        status_form=StatusForm(formdata=None),
        invitation_form=invitation_form,
        invitation_jobs=_invitation_jobs(survey_round),
        target=format_share(survey_round.target, current_language()),
        **_labels(),
    )


@bp.route("/rounds/<int:round_id>/edit", methods=["GET", "POST"])
@access(PLANNER)
def edit(round_id: int) -> str | WerkzeugResponse:
    survey_round = _load_round_to_change(round_id)
    if survey_round.status != "draft":
        flash(_error_messages()["not_draft"], "error")
        return redirect(url_for("rounds.detail", round_id=round_id))
    form = RoundForm(data=_form_data(survey_round))
    _prepare_round_form(form, survey_round)
    if _showing_the_choice(form):
        return _render_round_form(form, survey_round)
    if form.validate_on_submit():
        try:
            rounds.update_round(current_user.id, survey_round, _settings(form))
        except rounds.RoundError as err:
            db.session.rollback()
            form.questionnaire.errors = [_error_messages()[err.reason]]
        else:
            db.session.commit()
            flash(_("The round is saved."), "info")
            return redirect(url_for("rounds.detail", round_id=round_id))
    return _render_round_form(form, survey_round)


@bp.post("/rounds/<int:round_id>/status")
@access(PLANNER)
def change_status(round_id: int) -> WerkzeugResponse:
    survey_round = _load_round_to_change(round_id)
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    status = form.status.data or ""
    if status == "closed" and not form.confirm.data:
        flash(_("Tick the box to confirm that you want to close the round for good."), "error")
        return redirect(url_for("rounds.detail", round_id=round_id))
    try:
        rounds.change_status(current_user.id, survey_round, status)
    except rounds.RoundError as err:
        flash(_error_messages()[err.reason], "error")
    else:
        db.session.commit()
        flash(_("The round is now: %(status)s.", status=STATUS_LABELS[status]), "info")
    return redirect(url_for("rounds.detail", round_id=round_id))


@bp.post("/rounds/<int:round_id>/publish")
@access(PLANNER)
def publish(round_id: int) -> WerkzeugResponse:
    """Make a closed round's results open data (the API; audited, reversible)."""
    survey_round = _load_round_to_change(round_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        publishing.publish_survey_round(current_user.id, survey_round)
    except publishing.PublishError as err:
        flash(publishing_messages()[err.reason], "error")
    else:
        db.session.commit()
        flash(_("The results are published as open data."), "info")
    return redirect(url_for("rounds.detail", round_id=round_id))


@bp.post("/rounds/<int:round_id>/unpublish")
@access(PLANNER)
def unpublish(round_id: int) -> WerkzeugResponse:
    survey_round = _load_round_to_change(round_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        publishing.unpublish_survey_round(current_user.id, survey_round)
    except publishing.PublishError as err:
        flash(publishing_messages()[err.reason], "error")
    else:
        db.session.commit()
        flash(_("The results are no longer published."), "info")
    return redirect(url_for("rounds.detail", round_id=round_id))


@bp.post("/rounds/<int:round_id>/invitations")
@access(PLANNER)
def invitations(round_id: int) -> str | WerkzeugResponse:
    survey_round = _load_round(round_id)
    choices = _invitation_municipalities(survey_round)
    form = InvitationForm(municipality=choices[0].value if len(choices) == 1 else None)
    form.municipality.choices = choices
    if not form.validate_on_submit():
        return _render_detail(survey_round, form)
    code = form.municipality.data or ""
    count = int(form.count.data or 0)
    try:
        rounds.check_invitations(survey_round, code, count)
    except rounds.RoundError as err:
        flash(_error_messages()[err.reason], "error")
        return redirect(url_for("rounds.detail", round_id=round_id))
    # The letters are made by the background worker; the invitations are stored with them.
    job = job_operations.create_job(
        invitation_job.KIND,
        current_user.id,
        invitation_job.params(survey_round, code, count),
        total=count,
        round_id=survey_round.id,
    )
    db.session.commit()
    task_queue.enqueue(job.id)
    return redirect(url_for("jobs.status", job_id=job.id))


# --------------------------------------------------------------------------- previews


@dataclass(frozen=True)
class PreviewQuestion:
    code: str
    text: str
    help: str
    type_label: str
    required: bool
    options: tuple[str, ...]
    details: tuple[str, ...]
    condition: str | None


@dataclass(frozen=True)
class PreviewSection:
    number: int
    code: str
    title: str
    intro: str
    questions: tuple[PreviewQuestion, ...]


def _dont_know(language: str) -> str:
    with force_locale(language):
        return _("Don't know")


def _value_label(question: Question, value: int | str, language: str) -> str:
    if value == DONT_KNOW:
        return _dont_know(language)
    for option in question.options:
        if option.value == value:
            return pick(option.label, language)
    return str(value)


def _condition(definition: Definition, question: Question, language: str) -> str | None:
    """The question's show-if condition, in words."""
    if question.show_if is None:
        return None
    source = definition.question(question.show_if.question)
    answers = [f"“{_value_label(source, v, language)}”" for v in question.show_if.values]
    words = {
        "question": pick(source.text, language),
        "code": source.code,
        "answers": ", ".join(answers),
    }
    if source.type == "multiple":
        return _(
            "Shown only when the answers to “%(question)s” (%(code)s) include %(answers)s.",
            **words,
        )
    if len(answers) == 1:
        return _("Shown only when the answer to “%(question)s” (%(code)s) is %(answers)s.", **words)
    return _(
        "Shown only when the answer to “%(question)s” (%(code)s) is one of %(answers)s.", **words
    )


def _details(question: Question, language: str) -> tuple[str, ...]:
    """The question's settings in words: its type's (questionnaires/types)."""
    question_type = question_types.get(question.type)
    return tuple(question_type.details(question, _, lambda texts: pick(texts, language)))


def _preview_sections(definition: Definition, language: str) -> list[PreviewSection]:
    sections = []
    for number, section in enumerate(definition.sections, 1):
        questions = []
        for question in section.questions:
            options = [pick(option.label, language) for option in question.options]
            if question.dont_know:
                options.append(_dont_know(language))
            questions.append(
                PreviewQuestion(
                    code=question.code,
                    text=pick(question.text, language),
                    help=pick(question.help, language),
                    type_label=_(question_types.get(question.type).label),
                    required=question.required,
                    options=tuple(options),
                    details=_details(question, language),
                    condition=_condition(definition, question, language),
                )
            )
        sections.append(
            PreviewSection(
                number=number,
                code=section.code,
                title=pick(section.title, language),
                intro=pick(section.intro, language),
                questions=tuple(questions),
            )
        )
    return sections


def _render_preview(
    questionnaire: Questionnaire,
    endpoint: str,
    endpoint_args: dict[str, int],
    survey_round: SurveyRound | None = None,
) -> str:
    if questionnaire.kind not in SECTIONED_KINDS:
        abort(404)  # a service-test protocol has no pages to show
    definition = definition_of(questionnaire)
    # The preview is in the page's language; ?lang= switches both (select_locale).
    language = current_language()
    sections = _preview_sections(definition, language)
    page = None
    if "page" in request.args:
        page = int_arg("page", high=len(sections))
        if page is None:
            abort(404)
    return render_template(
        "surveys/admin/preview.html",
        questionnaire=questionnaire,
        survey_round=survey_round,
        title=pick(definition.title, language),
        description=pick(definition.description, language),
        sections=[sections[page - 1]] if page else sections,
        page=page,
        page_count=len(sections),
        language=language,
        endpoint=endpoint,
        endpoint_args=endpoint_args,
        **_labels(),
    )


@bp.get("/rounds/<int:round_id>/preview")
@access(PLANNER)
def preview(round_id: int) -> str:
    survey_round = _load_round(round_id)
    return _render_preview(
        survey_round.questionnaire, "rounds.preview", {"round_id": round_id}, survey_round
    )


@bp.get("/questionnaires")
@access(PLANNER)
def questionnaires() -> str:
    question_counts = (
        sa.select(
            QuestionFingerprint.questionnaire_id.label("questionnaire_id"),
            sa.func.count().label("questions"),
        )
        .group_by(QuestionFingerprint.questionnaire_id)
        .subquery()
    )
    rows = db.session.execute(
        _usable_questionnaires(
            sa.select(
                Questionnaire.id,
                Questionnaire.code,
                Questionnaire.version,
                Questionnaire.kind,
                Questionnaire.title_nb,
                Questionnaire.owner_code,
                Questionnaire.loaded_at,
                sa.func.coalesce(question_counts.c.questions, 0).label("questions"),
            )
            .outerjoin(question_counts, question_counts.c.questionnaire_id == Questionnaire.id)
            .order_by(Questionnaire.code, Questionnaire.version.desc())
        )
    ).all()
    owners = {row.owner_code for row in rows if row.owner_code}
    names = {
        code: name
        for code, name in db.session.execute(
            sa.select(Municipality.code, Municipality.name).where(Municipality.code.in_(owners))
        )
    }
    return render_template(
        "surveys/admin/questionnaires.html",
        questionnaires=rows,
        municipality_names=names,
        previewable=SECTIONED_KINDS,
        **_labels(),
    )


@bp.get("/questionnaires/<int:questionnaire_id>/preview")
@access(PLANNER)
def questionnaire_preview(questionnaire_id: int) -> str:
    questionnaire = db.get_or_404(Questionnaire, questionnaire_id)
    if not scope.may_see_owned(current_user, questionnaire.owner_code):
        abort(403)
    return _render_preview(
        questionnaire, "rounds.questionnaire_preview", {"questionnaire_id": questionnaire_id}
    )
