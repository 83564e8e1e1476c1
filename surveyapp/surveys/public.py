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
from surveyapp.questionnaires.store import definition_for
from surveyapp.surveys import flow, submission
from surveyapp.surveys.forms import build_page_form
from surveyapp.surveys.submission import Draft, PublicRound
from surveyapp.timeutil import utcnow
from surveyapp.web.i18n import LANGUAGES

bp = Blueprint("surveys", __name__)

SUBMIT_ATTEMPTS = 8
SAVE_ATTEMPTS = 100  # compare-and-set passes; more than the tabs any citizen has open


def _language() -> str:
    return str(get_locale() or "nb")


def _status_page(
    kind: str, survey_round: PublicRound | None = None, code: int = 200
) -> tuple[str, int]:
    return render_template("surveys/public/status.html", kind=kind, survey_round=survey_round), code


def _load_round(slug: str) -> PublicRound:
    survey_round = submission.find_round(slug[:60])
    if survey_round is None:
        abort(make_response(_status_page("unknown", code=404)))
    g.default_language = survey_round.language
    return survey_round


def _load_round_and_draft(slug: str) -> tuple[PublicRound, str | None, Draft | None]:
    """The round (404 page if unknown), the session's draft token and the draft."""
    token = _draft_token(slug[:60])
    survey_round, draft = submission.find_round_and_draft(slug[:60], token)
    if survey_round is None:
        abort(make_response(_status_page("unknown", code=404)))
    g.default_language = survey_round.language
    return survey_round, token, draft


def _drafts() -> dict[str, Any]:
    return dict(session.get("drafts", {}))


def _remember_draft(slug: str, token: str) -> None:
    drafts = _drafts()
    drafts[slug] = {"t": token, "u": utcnow().isoformat()}
    session["drafts"] = drafts


TOUCH_INTERVAL = timedelta(hours=1)


def _touch_draft(slug: str) -> None:
    """Note in the session when the draft was last used (to tell an expired draft from
    one sent meanwhile). An hour's precision is enough, and leaving the session alone
    spares most pages a new cookie."""
    drafts = _drafts()
    if slug not in drafts:
        return
    now = utcnow()
    try:
        fresh = now - datetime.fromisoformat(drafts[slug]["u"]) < TOUCH_INTERVAL
    except (KeyError, TypeError, ValueError):
        fresh = False
    if not fresh:
        drafts[slug] = {**drafts[slug], "u": now.isoformat()}
        session["drafts"] = drafts


def _forget_draft(slug: str) -> None:
    drafts = _drafts()
    drafts.pop(slug, None)
    session["drafts"] = drafts


def _draft_token(slug: str) -> str | None:
    entry = _drafts().get(slug) or {}
    token = entry.get("t")
    return token if isinstance(token, str) else None


def _session_draft(survey_round: PublicRound) -> tuple[str | None, Draft | None]:
    token = _draft_token(survey_round.slug)
    return token, submission.find_draft(token, survey_round)


def _unavailable(survey_round: PublicRound) -> tuple[str, int] | None:
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


def _page_url(survey_round: PublicRound, page: int) -> str:
    return url_for("surveys.page", slug=survey_round.slug, page=page + 1)


@bp.get("/s/<slug>")
@access(PUBLIC)
def start(slug: str) -> WerkzeugResponse | tuple[str, int]:
    survey_round, _token, draft = _load_round_and_draft(slug)
    closed = _unavailable(survey_round)
    if closed:
        return closed
    if draft is None:
        if survey_round.access == "invitation":
            return _status_page("invitation_only", survey_round)
        new = submission.start_draft(survey_round)
        db.session.commit()
        _remember_draft(survey_round.slug, new.token)
        draft = new.draft
    if draft.municipality_code is None:
        return redirect(url_for("surveys.where", slug=survey_round.slug))
    return redirect(_page_url(survey_round, 0))


@bp.get("/i/<token>")
@access(PUBLIC)
def invitation(token: str) -> WerkzeugResponse | tuple[str, int]:
    state, found = submission.find_invitation(token[:100])
    if state is submission.InvitationState.UNKNOWN or found is None:
        return _status_page("invitation_unknown", code=404)
    survey_round = submission.round_by_id(found.round_id)
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
    survey_round, _token, draft = _load_round_and_draft(slug)
    closed = _unavailable(survey_round)
    if closed:
        return closed
    if draft is None:
        return redirect(url_for("surveys.start", slug=survey_round.slug))
    municipalities = submission.round_municipalities(survey_round.id)
    codes = {m.code for m in municipalities}
    error = False
    if request.method == "POST":
        chosen = request.form.get("municipality", "")
        if chosen in codes:
            if not submission.choose_municipality(draft, chosen):
                db.session.rollback()
                return _after_draft_gone(survey_round)
            db.session.commit()
            _touch_draft(survey_round.slug)
            return redirect(_page_url(survey_round, 0))
        error = True
    return render_template(
        "surveys/public/where.html",
        survey_round=survey_round,
        municipalities=municipalities,
        draft=draft,
        error=error,
    )


def _switch_language(action: str) -> None:
    code = action.split(":", 1)[1]
    if code in LANGUAGES:
        session["lang"] = code


def _first_invalid_page(
    definition: Definition, raw: flow.RawInputs, language: str, checked: int | None = None
) -> int | None:
    """Re-check every shown page before storing (a page may have been skipped).

    ``checked`` is a page already validated in this request."""
    from werkzeug.datastructures import MultiDict

    for index in _visible_pages(definition, raw):
        if index == checked:
            continue
        names = [n for q in definition.sections[index].questions for n in flow.field_names(q)]
        data = MultiDict([(n, v) for n in names for v in raw.get(n, [])])
        form = build_page_form(definition, index, language, raw, data)
        form.meta.csrf = False
        if not form.validate():
            return index
    return None


def _save(
    survey_round: PublicRound, token: str, draft: Draft, inputs: flow.RawInputs
) -> flow.RawInputs | None:
    """Store one page's inputs in the draft; the merged answers, or None if it is gone.

    Compare-and-set: when another request changed the draft since it was read, read it
    again and merge onto that (each pass lets at least one writer through)."""
    current: Draft | None = draft
    for _attempt in range(SAVE_ATTEMPTS):
        if current is None:
            return None
        if submission.save_inputs(current, inputs):
            db.session.commit()
            return submission.merge(current, inputs)
        db.session.rollback()
        current = submission.find_draft(token, survey_round)
    raise RuntimeError(f"draft changed {SAVE_ATTEMPTS} times while being saved")


def _submit(
    survey_round: PublicRound,
    definition: Definition,
    token: str,
    draft: Draft,
    index: int,
    inputs: flow.RawInputs,
) -> WerkzeugResponse | tuple[str, int]:
    """Store the response: ``draft`` with ``inputs`` merged has passed every page's
    checks. Retried when SQLite reports a concurrent writer."""
    answers = submission.merge(draft, inputs)
    for attempt in range(SUBMIT_ATTEMPTS):
        try:
            stored = submission.submit(
                draft, answers, definition, survey_round, _language(), utcnow()
            )
            if stored:
                db.session.commit()
        except sa.exc.IntegrityError:
            db.session.rollback()
            if draft.invitation_id is not None:
                return _status_page("invitation_used", survey_round)
            return _after_draft_gone(survey_round)
        except sa.exc.OperationalError as error:
            db.session.rollback()
            if not is_lock_conflict(error) or attempt == SUBMIT_ATTEMPTS - 1:
                raise
            time.sleep(0.02 * (attempt + 1))
            continue
        if stored:
            _forget_draft(survey_round.slug)
            session["thanks"] = survey_round.slug
            return redirect(url_for("surveys.thanks", slug=survey_round.slug))
        # Gone (sent by a parallel request) or changed in another tab since it was read.
        db.session.rollback()
        fresh = submission.find_draft(token, survey_round)
        if fresh is None:
            return _after_draft_gone(survey_round)
        if submission.merge(fresh, inputs) != answers:  # keep it and check it again
            if _save(survey_round, token, fresh, inputs) is None:
                return _after_draft_gone(survey_round)
            return redirect(_page_url(survey_round, index) + "?check=1")
        draft = fresh
    raise RuntimeError(f"could not store the response in {SUBMIT_ATTEMPTS} attempts")


def _after_draft_gone(survey_round: PublicRound) -> WerkzeugResponse | tuple[str, int]:
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
    survey_round, token, draft = _load_round_and_draft(slug)
    closed = _unavailable(survey_round)
    if closed:
        return closed
    if draft is None or token is None:
        if request.method == "POST" and token:
            return _after_draft_gone(survey_round)
        if request.method == "POST" and session.get("thanks") == survey_round.slug:
            # Back button and send again after a finished submission: stored once already.
            return redirect(url_for("surveys.thanks", slug=survey_round.slug))
        return redirect(url_for("surveys.start", slug=survey_round.slug))
    if draft.municipality_code is None:
        return redirect(url_for("surveys.where", slug=survey_round.slug))
    definition = definition_for(survey_round.questionnaire_id, survey_round.questionnaire_hash)
    index = page - 1
    if not 0 <= index < len(definition.sections):
        abort(404)
    language = _language()
    answers = draft.answers
    if request.method == "POST":
        inputs = flow.page_inputs(
            definition, index, {k: request.form.getlist(k) for k in request.form}
        )
        action = request.form.get("action", "next")
        moves_on = action != "back" and not action.startswith("lang:")
        valid = False
        if moves_on:
            answers = submission.merge(draft, inputs)
            form = build_page_form(definition, index, language, answers, request.form)
            valid = form.validate()
            if valid and not [p for p in _visible_pages(definition, answers) if p > index]:
                if _first_invalid_page(definition, answers, language, checked=index) is None:
                    return _submit(survey_round, definition, token, draft, index, inputs)
        saved = _save(survey_round, token, draft, inputs)
        if saved is None:
            return _after_draft_gone(survey_round)
        answers = saved
        _touch_draft(survey_round.slug)
        if action.startswith("lang:"):
            _switch_language(action)
            return redirect(_page_url(survey_round, index))
        visible = _visible_pages(definition, answers)
        if action == "back":
            earlier = [p for p in visible if p < index]
            return redirect(_page_url(survey_round, earlier[-1] if earlier else 0))
        if valid:
            later = [p for p in visible if p > index]
            if later:
                return redirect(_page_url(survey_round, later[0]))
            invalid = _first_invalid_page(definition, answers, language, checked=index)
            if invalid is not None:
                return redirect(_page_url(survey_round, invalid) + "?check=1")
            fresh = submission.find_draft(token, survey_round)
            if fresh is None:
                return _after_draft_gone(survey_round)
            return _submit(survey_round, definition, token, fresh, index, inputs)
    else:
        form = build_page_form(definition, index, language, answers, None)
        if request.args.get("check"):
            from werkzeug.datastructures import MultiDict

            form = build_page_form(
                definition,
                index,
                language,
                answers,
                MultiDict([(k, v) for k, vs in answers.items() for v in vs]),
            )
            form.meta.csrf = False
            form.validate()
    visible = _visible_pages(definition, answers)
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
            and not flow.is_shown(definition, q, answers)
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
