"""The citizen survey: open links, invitation links, pages, submission and status pages."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from werkzeug.wrappers import Response as WerkzeugResponse

from surveyapp.accounts.access import PUBLIC, access
from surveyapp.database import is_lock_conflict
from surveyapp.extensions import db
from surveyapp.questionnaires.schema import Definition
from surveyapp.questionnaires.store import definition_of
from surveyapp.surveys import flow, submission
from surveyapp.surveys.forms import build_page_form
from surveyapp.surveys.models import SurveyDraft, SurveyRound
from surveyapp.timeutil import utcnow
from surveyapp.web.i18n import LANGUAGES

bp = Blueprint("surveys", __name__)

SUBMIT_ATTEMPTS = 8


def _language() -> str:
    return str(get_locale() or "nb")


def _status_page(
    kind: str, survey_round: SurveyRound | None = None, code: int = 200
) -> tuple[str, int]:
    return render_template("surveys/public/status.html", kind=kind, survey_round=survey_round), code


def _load_round(slug: str) -> SurveyRound:
    survey_round = submission.find_round(slug[:60])
    if survey_round is None:
        abort(make_response(_status_page("unknown", code=404)))
    g.default_language = survey_round.language
    return survey_round


def _drafts() -> dict[str, Any]:
    return dict(session.get("drafts", {}))


def _remember_draft(slug: str, token: str) -> None:
    drafts = _drafts()
    drafts[slug] = {"t": token, "u": utcnow().isoformat()}
    session["drafts"] = drafts


def _touch_draft(slug: str) -> None:
    drafts = _drafts()
    if slug in drafts:
        drafts[slug] = {**drafts[slug], "u": utcnow().isoformat()}
        session["drafts"] = drafts


def _forget_draft(slug: str) -> None:
    drafts = _drafts()
    drafts.pop(slug, None)
    session["drafts"] = drafts


def _session_draft(survey_round: SurveyRound) -> tuple[str | None, SurveyDraft | None]:
    entry = _drafts().get(survey_round.slug) or {}
    token = entry.get("t")
    return token, submission.find_draft(token, survey_round)


def _unavailable(survey_round: SurveyRound) -> tuple[str, int] | None:
    state = submission.availability(survey_round, utcnow())
    if state is submission.Availability.OPEN:
        return None
    return _status_page(state.value, survey_round)


def _visible_pages(definition: Definition, raw: flow.RawInputs) -> list[int]:
    """Pages with at least one question to show, given the answers so far."""
    return [
        index
        for index, section in enumerate(definition.sections)
        if any(
            flow.is_shown(definition, q, raw)
            or q.show_if is not None
            and _condition_on_same_page(definition, q, index)
            for q in section.questions
        )
    ]


def _condition_on_same_page(definition: Definition, question: Any, index: int) -> bool:
    if question.show_if is None:
        return False
    codes = {q.code for q in definition.sections[index].questions}
    return question.show_if.question in codes


def _page_url(survey_round: SurveyRound, page: int) -> str:
    return url_for("surveys.page", slug=survey_round.slug, page=page + 1)


@bp.get("/s/<slug>")
@access(PUBLIC)
def start(slug: str) -> WerkzeugResponse | tuple[str, int]:
    survey_round = _load_round(slug)
    closed = _unavailable(survey_round)
    if closed:
        return closed
    token, draft = _session_draft(survey_round)
    if draft is None:
        if survey_round.access == "invitation":
            return _status_page("invitation_only", survey_round)
        new = submission.start_draft(survey_round)
        db.session.commit()
        _remember_draft(slug, new.token)
        draft = new.draft
    if draft.municipality_code is None:
        return redirect(url_for("surveys.where", slug=slug))
    return redirect(_page_url(survey_round, 0))


@bp.get("/i/<token>")
@access(PUBLIC)
def invitation(token: str) -> WerkzeugResponse | tuple[str, int]:
    state, found = submission.find_invitation(token[:100])
    if state is submission.InvitationState.UNKNOWN or found is None:
        return _status_page("invitation_unknown", code=404)
    survey_round = db.session.get(SurveyRound, found.round_id)
    assert survey_round is not None
    g.default_language = survey_round.language
    if state is submission.InvitationState.USED:
        return _status_page("invitation_used", survey_round)
    closed = _unavailable(survey_round)
    if closed:
        return closed
    _token, draft = _session_draft(survey_round)
    if draft is None or draft.invitation_id != found.id:
        new = submission.start_draft(survey_round, found)
        db.session.commit()
        _remember_draft(survey_round.slug, new.token)
    return redirect(_page_url(survey_round, 0))


@bp.route("/s/<slug>/where", methods=["GET", "POST"])
@access(PUBLIC)
def where(slug: str) -> WerkzeugResponse | tuple[str, int] | str:
    survey_round = _load_round(slug)
    closed = _unavailable(survey_round)
    if closed:
        return closed
    _token, draft = _session_draft(survey_round)
    if draft is None:
        return redirect(url_for("surveys.start", slug=slug))
    codes = {m.code for m in survey_round.municipalities}
    error = False
    if request.method == "POST":
        chosen = request.form.get("municipality", "")
        if chosen in codes:
            draft.municipality_code = chosen
            db.session.commit()
            _touch_draft(slug)
            return redirect(_page_url(survey_round, 0))
        error = True
    return render_template(
        "surveys/public/where.html", survey_round=survey_round, draft=draft, error=error
    )


def _switch_language(action: str) -> None:
    code = action.split(":", 1)[1]
    if code in LANGUAGES:
        session["lang"] = code


def _first_invalid_page(definition: Definition, raw: flow.RawInputs, language: str) -> int | None:
    """Re-check every shown page before storing (a page may have been skipped)."""
    from werkzeug.datastructures import MultiDict

    for index in _visible_pages(definition, raw):
        names = [n for q in definition.sections[index].questions for n in flow.field_names(q)]
        data = MultiDict([(n, v) for n in names for v in raw.get(n, [])])
        form = build_page_form(definition, index, language, raw, data)
        form.meta.csrf = False
        if not form.validate():
            return index
    return None


def _submit(
    survey_round: SurveyRound, definition: Definition, token: str
) -> WerkzeugResponse | tuple[str, int]:
    """Store the response; retried when SQLite reports a concurrent writer."""
    for attempt in range(SUBMIT_ATTEMPTS):
        draft = submission.find_draft(token, survey_round)
        if draft is None:
            return _after_draft_gone(survey_round)
        try:
            submission.submit(draft, definition, survey_round, _language(), utcnow())
            db.session.commit()
        except sa.exc.IntegrityError:
            db.session.rollback()
            draft = submission.find_draft(token, survey_round)
            if draft is not None and draft.invitation_id is not None:
                return _status_page("invitation_used", survey_round)
            return _after_draft_gone(survey_round)
        except sa.exc.OperationalError as error:
            db.session.rollback()
            if not is_lock_conflict(error) or attempt == SUBMIT_ATTEMPTS - 1:
                raise
            time.sleep(0.02 * (attempt + 1))
            continue
        _forget_draft(survey_round.slug)
        session["thanks"] = survey_round.slug
        return redirect(url_for("surveys.thanks", slug=survey_round.slug))
    raise RuntimeError("unreachable")


def _after_draft_gone(survey_round: SurveyRound) -> WerkzeugResponse | tuple[str, int]:
    """The draft is gone: stored by a parallel request, or expired long ago."""
    entry = _drafts().get(survey_round.slug) or {}
    try:
        updated = datetime.fromisoformat(entry["u"])
    except (KeyError, ValueError):
        return redirect(url_for("surveys.start", slug=survey_round.slug))
    if utcnow() - updated > submission.DRAFT_LIFETIME - timedelta(hours=1):
        _forget_draft(survey_round.slug)
        return _status_page("expired", survey_round)
    _forget_draft(survey_round.slug)
    session["thanks"] = survey_round.slug
    return redirect(url_for("surveys.thanks", slug=survey_round.slug))


@bp.route("/s/<slug>/<int:page>", methods=["GET", "POST"])
@access(PUBLIC)
def page(slug: str, page: int) -> WerkzeugResponse | tuple[str, int] | str:
    survey_round = _load_round(slug)
    closed = _unavailable(survey_round)
    if closed:
        return closed
    token, draft = _session_draft(survey_round)
    if draft is None or token is None:
        if request.method == "POST" and token:
            return _after_draft_gone(survey_round)
        if request.method == "POST" and session.get("thanks") == slug:
            # Back button and send again after a finished submission: stored once already.
            return redirect(url_for("surveys.thanks", slug=slug))
        return redirect(url_for("surveys.start", slug=slug))
    if draft.municipality_code is None:
        return redirect(url_for("surveys.where", slug=slug))
    definition = definition_of(survey_round.questionnaire)
    index = page - 1
    if not 0 <= index < len(definition.sections):
        abort(404)
    language = _language()
    if request.method == "POST":
        posted = {k: request.form.getlist(k) for k in request.form}
        submission.save_inputs(draft, flow.page_inputs(definition, index, posted))
        try:
            db.session.commit()
        except sa.orm.exc.StaleDataError:  # sent by a parallel request meanwhile
            db.session.rollback()
            return _after_draft_gone(survey_round)
        _touch_draft(slug)
        draft = submission.find_draft(token, survey_round)
        if draft is None:
            return _after_draft_gone(survey_round)
        action = request.form.get("action", "next")
        if action.startswith("lang:"):
            _switch_language(action)
            return redirect(_page_url(survey_round, index))
        visible = _visible_pages(definition, draft.answers or {})
        if action == "back":
            earlier = [p for p in visible if p < index]
            return redirect(_page_url(survey_round, earlier[-1] if earlier else 0))
        form = build_page_form(definition, index, language, draft.answers or {}, request.form)
        if form.validate():
            later = [p for p in visible if p > index]
            if later:
                return redirect(_page_url(survey_round, later[0]))
            invalid = _first_invalid_page(definition, draft.answers or {}, language)
            if invalid is not None and invalid != index:
                return redirect(_page_url(survey_round, invalid) + "?check=1")
            return _submit(survey_round, definition, token)
    else:
        form = build_page_form(definition, index, language, draft.answers or {}, None)
        if request.args.get("check"):
            from werkzeug.datastructures import MultiDict

            form = build_page_form(
                definition,
                index,
                language,
                draft.answers or {},
                MultiDict([(k, v) for k, vs in (draft.answers or {}).items() for v in vs]),
            )
            form.meta.csrf = False
            form.validate()
    visible = _visible_pages(definition, draft.answers or {})
    return render_template(
        "surveys/public/page.html",
        survey_round=survey_round,
        definition=definition,
        section=definition.sections[index],
        index=index,
        form=form,
        position=(visible.index(index) + 1) if index in visible else index + 1,
        total=len(visible) or len(definition.sections),
        is_last=not [p for p in visible if p > index],
        is_first=not [p for p in visible if p < index],
        hidden_codes={
            q.code
            for q in definition.sections[index].questions
            if q.show_if is not None
            and not _condition_on_same_page(definition, q, index)
            and not flow.is_shown(definition, q, draft.answers or {})
        },
        same_page_conditions={
            q.code: definition.question(q.show_if.question)
            for q in definition.sections[index].questions
            if q.show_if is not None and _condition_on_same_page(definition, q, index)
        },
        language=language,
    )


@bp.get("/s/<slug>/thanks")
@access(PUBLIC)
def thanks(slug: str) -> str | WerkzeugResponse:
    survey_round = _load_round(slug)
    if session.get("thanks") != slug:
        return redirect(url_for("surveys.start", slug=slug))
    return render_template("surveys/public/thanks.html", survey_round=survey_round)
