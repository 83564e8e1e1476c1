"""The citizen survey: open links, invitation links, pages, submission and status pages.

The answers so far travel signed in each page's form (``state``) and, when the browser
keeps cookies and they fit, in the session too, so that a page can be shown after a
redirect. Nothing is written to the database until the last page is sent, except the
claim of a personal link when its first page is sent (see ``submission``).
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale, get_locale, refresh
from flask_login import current_user
from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as WerkzeugResponse

from surveyapp.accounts.access import PUBLIC, access
from surveyapp.branding.operations import brand
from surveyapp.database import is_lock_conflict
from surveyapp.extensions import csrf, db
from surveyapp.formatting import pick, pick_with_language
from surveyapp.questionnaires.definition import Definition
from surveyapp.questionnaires.store import definition_for
from surveyapp.surveys import flow, submission
from surveyapp.surveys import state as survey_state
from surveyapp.surveys.forms import build_page_form
from surveyapp.surveys.state import SurveyState
from surveyapp.surveys.submission import PublicRound
from surveyapp.timeutil import utcnow
from surveyapp.web.i18n import LANGUAGES

bp = Blueprint("surveys", __name__)
# The pages carry no ambient authority: no account, nothing in a cookie that a forged
# request could use. What they carry is signed in the form itself (the state), which a
# third-party site cannot read; a session-bound CSRF token would only lose the answers
# of citizens whose browser drops the session cookie.
csrf.exempt(bp)

SUBMIT_ATTEMPTS = 8
SESSION_KEY = "survey"
RECEIPT_SALT = "surveyapp.survey-thanks.v1"
RECEIPT_MAX_AGE = 24 * 3600

Page = WerkzeugResponse | tuple[str, int] | str


def _key() -> str:
    return str(current_app.config["SECRET_KEY"])


def _language() -> str:
    return str(get_locale() or "nb")


def _citizen_context(survey_round: PublicRound | None, municipality: str | None) -> dict[str, Any]:
    """What every citizen page shows about whose survey it is: the municipality (name and
    coat of arms), the round's public title in the page's language (with the language it
    is in, when another), the contact line and the privacy statements."""
    if survey_round is None:
        return {"brand": None, "public_title": None}
    language = _language()
    title = pick_with_language(survey_round.public_titles, language, survey_round.language)
    if not title[0]:
        definition = definition_for(survey_round.questionnaire_id, survey_round.questionnaire_hash)
        title = (pick(definition.title, language), language)
    return {
        "brand": brand(municipality or survey_round.only_municipality),
        "public_title": title,
        "contact": survey_round.contact,
        "privacy_url": survey_round.privacy_url,
        "privacy_page": url_for("surveys.privacy", slug=survey_round.slug),
    }


def _status_page(
    kind: str,
    survey_round: PublicRound | None = None,
    code: int = 200,
    municipality: str | None = None,
) -> tuple[str, int]:
    return render_template(
        "surveys/public/status.html",
        kind=kind,
        survey_round=survey_round,
        **_citizen_context(survey_round, municipality),
    ), code


def _load_round(slug: str) -> PublicRound:
    survey_round = submission.find_round(slug[:60])
    if survey_round is None:
        abort(make_response(_status_page("unknown", code=404)))
    g.default_language = survey_round.language
    return survey_round


def _unavailable(survey_round: PublicRound) -> tuple[str, int] | None:
    state = submission.availability(survey_round, utcnow())
    if state is submission.Availability.OPEN:
        return None
    return _status_page(state.value, survey_round)


# --------------------------------------------------------------------------- state


def _session_state(survey_round: PublicRound) -> SurveyState | None:
    kept = session.get(SESSION_KEY)
    if not isinstance(kept, dict) or kept.get("slug") != survey_round.slug:
        return None
    return survey_state.decode(kept.get("state"), _key(), survey_round.id)


def _form_state(survey_round: PublicRound) -> SurveyState | None:
    return survey_state.decode(request.form.get("state"), _key(), survey_round.id)


def _posted_state(survey_round: PublicRound) -> SurveyState | None:
    """The session's state (the newest across tabs), else the one the form carried."""
    return _session_state(survey_round) or _form_state(survey_round)


def _fresh_state(survey_round: PublicRound) -> SurveyState:
    return survey_state.new_state(survey_round.id, municipality=survey_round.only_municipality)


def _keeps_cookies() -> bool:
    return current_app.config["SESSION_COOKIE_NAME"] in request.cookies


def _remember(survey_round: PublicRound, state: SurveyState) -> str:
    """Keep the state in the session when it fits (else drop an older one there, so
    the fuller state in the form wins); the encoded state."""
    encoded = survey_state.encode(state, _key())
    if len(encoded) > survey_state.COOKIE_LIMIT:
        session.pop(SESSION_KEY, None)
        return encoded
    kept = {"slug": survey_round.slug, "state": encoded}
    if session.get(SESSION_KEY) != kept:  # an unchanged session sends no new cookie
        session[SESSION_KEY] = kept
    return encoded


def _forget() -> None:
    session.pop(SESSION_KEY, None)


def _use_language(state: SurveyState) -> None:
    if state.language in LANGUAGES:
        g.survey_language = state.language
        refresh()


# --------------------------------------------------------------------------- pages


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


def _page_url(survey_round: PublicRound, page: int, check: bool = False) -> str:
    url = url_for("surveys.page", slug=survey_round.slug, page=page + 1)
    return url + "?check=1" if check else url


def _first_invalid_page(
    definition: Definition, raw: flow.RawInputs, language: str, checked: int | None = None
) -> int | None:
    """Re-check every shown page before storing (a page may have been skipped).

    ``checked`` is a page already validated in this request."""
    for index in _visible_pages(definition, raw):
        if index == checked:
            continue
        form = _checked_form(definition, index, language, raw)
        if form.errors:
            return index
    return None


def _checked_form(definition: Definition, index: int, language: str, raw: flow.RawInputs) -> Any:
    names = [n for q in definition.sections[index].questions for n in flow.field_names(q)]
    data = MultiDict([(n, v) for n in names for v in raw.get(n, [])])
    form = build_page_form(definition, index, language, raw, data)
    form.validate()
    return form


def _render_page(
    survey_round: PublicRound,
    definition: Definition,
    index: int,
    state: SurveyState,
    form: Any = None,
    *,
    check: bool = False,
    state_lost: bool = False,
) -> str:
    language = _language()
    if state.language != language:  # the form remembers the page's language too
        state = replace(state, language=language)
    answers = state.answers
    if form is None:
        form = (
            _checked_form(definition, index, language, answers)
            if check
            else build_page_form(definition, index, language, answers, None)
        )
    visible = _visible_pages(definition, answers)
    return render_template(
        "surveys/public/page.html",
        survey_round=survey_round,
        definition=definition,
        section=definition.sections[index],
        index=index,
        form=form,
        state_token=_remember(survey_round, state),
        state_lost=state_lost,
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
        **_citizen_context(survey_round, state.municipality),
    )


def _show(
    survey_round: PublicRound,
    definition: Definition,
    index: int,
    state: SurveyState,
    *,
    check: bool = False,
) -> Page:
    """Go to a page: redirect when the browser keeps the state in its session (so the
    back button and reloading work as usual), else show it at once from the form's state."""
    if _keeps_cookies():
        _remember(survey_round, state)
        if SESSION_KEY in session:  # it fitted in the cookie
            return redirect(_page_url(survey_round, index, check))
    return _render_page(survey_round, definition, index, state, check=check)


def _render_where(
    survey_round: PublicRound, state: SurveyState, error: bool = False
) -> tuple[str, int] | str:
    return render_template(
        "surveys/public/where.html",
        survey_round=survey_round,
        municipalities=submission.round_municipalities(survey_round.id),
        chosen=state.municipality,
        state_token=_remember(survey_round, state),
        error=error,
        **_citizen_context(survey_round, None),
    )


# --------------------------------------------------------------------------- routes


@bp.get("/s/<slug>")
@access(PUBLIC)
def start(slug: str) -> Page:
    survey_round = _load_round(slug)
    closed = _unavailable(survey_round)
    if closed:
        return closed
    state = _session_state(survey_round)
    if state is None:
        if survey_round.access == "invitation":
            return _status_page("invitation_only", survey_round)
        state = _fresh_state(survey_round)
        _remember(survey_round, state)
    if state.municipality is None:
        return redirect(url_for("surveys.where", slug=survey_round.slug))
    return redirect(_page_url(survey_round, 0))


@bp.get("/i/<token>")
@access(PUBLIC)
def invitation(token: str) -> Page:
    token = token[:100]
    found = submission.find_invitation(token)
    if found is None:
        return _status_page("invitation_unknown", code=404)
    survey_round = submission.round_by_id(found.round_id)
    assert survey_round is not None
    g.default_language = survey_round.language
    closed = _unavailable(survey_round)
    if closed:
        return closed
    mark = survey_state.invitation_mark(token)
    state = _session_state(survey_round)
    if state is None or state.invitation_mark != mark:
        if found.used:
            return _status_page(
                "invitation_used", survey_round, municipality=found.municipality_code
            )
        # Nothing is written yet: the link is claimed when the first page is sent, so
        # a mail scanner that opens links does not use up the citizen's invitation.
        state = survey_state.new_state(
            survey_round.id,
            municipality=found.municipality_code,
            invitation=token,
            invitation_mark=mark,
            channel=found.channel,
        )
    definition = definition_for(survey_round.questionnaire_id, survey_round.questionnaire_hash)
    return _render_page(survey_round, definition, 0, state)


def _claim(survey_round: PublicRound, state: SurveyState) -> SurveyState | tuple[str, int]:
    """Claim the invitation a first page carries (its own short transaction)."""
    assert state.invitation is not None
    outcome, code = submission.claim_invitation(
        state.invitation, survey_round.id, survey_state.claim_hash(state)
    )
    if outcome is not submission.Claim.CLAIMED:
        db.session.rollback()
        _forget()
        kind = "invitation_used" if outcome is submission.Claim.USED else "invitation_unknown"
        return _status_page(kind, survey_round)
    db.session.commit()
    return replace(state, invitation=None, entitled=True, municipality=code)


def _entitled_state(survey_round: PublicRound, state: SurveyState) -> SurveyState | Page:
    """The state, with its invitation claimed; or the page that says why it may not answer."""
    if state.channel == "paper" and not getattr(current_user, "is_authenticated", False):
        # A paper form is keyed by staff: its state is no use without their log-in.
        return _status_page("unknown", survey_round, code=403)
    if state.invitation is not None:
        return _claim(survey_round, state)
    if survey_round.access == "invitation" and not state.entitled:
        return _status_page("invitation_only", survey_round)
    return state


@bp.route("/s/<slug>/where", methods=["GET", "POST"])
@access(PUBLIC)
def where(slug: str) -> Page:
    survey_round = _load_round(slug)
    closed = _unavailable(survey_round)
    if closed:
        return closed
    if request.method == "GET":
        state = _session_state(survey_round)
        if state is None:
            if survey_round.access == "invitation":
                return _status_page("invitation_only", survey_round)
            state = _fresh_state(survey_round)
        return _render_where(survey_round, state)
    state = _posted_state(survey_round) or _fresh_state(survey_round)
    checked = _entitled_state(survey_round, state)
    if not isinstance(checked, SurveyState):
        return checked
    state = checked
    definition = definition_for(survey_round.questionnaire_id, survey_round.questionnaire_hash)
    if state.entitled:
        # An invitation belongs to one municipality: it cannot answer for another.
        return _show(survey_round, definition, 0, state)
    chosen = request.form.get("municipality", "")
    if chosen not in {m.code for m in submission.round_municipalities(survey_round.id)}:
        return _render_where(survey_round, state, error=True)
    return _show(survey_round, definition, 0, replace(state, municipality=chosen))


@bp.route("/s/<slug>/<int:page>", methods=["GET", "POST"])
@access(PUBLIC)
def page(slug: str, page: int) -> Page:
    survey_round = _load_round(slug)
    closed = _unavailable(survey_round)
    if closed and not _keying_late_paper(survey_round):
        return closed
    definition = definition_for(survey_round.questionnaire_id, survey_round.questionnaire_hash)
    index = page - 1
    if not 0 <= index < len(definition.sections):
        abort(404)
    if request.method == "GET":
        return _get_page(survey_round, definition, index)
    return _post_page(survey_round, definition, index)


def _get_page(survey_round: PublicRound, definition: Definition, index: int) -> Page:
    state = _session_state(survey_round)
    if state is None:
        if index != 0 or survey_round.access == "invitation":
            return redirect(url_for("surveys.start", slug=survey_round.slug))
        state = _fresh_state(survey_round)
    if state.municipality is None:
        return redirect(url_for("surveys.where", slug=survey_round.slug))
    if "lang" not in request.args:
        _use_language(state)
    return _render_page(
        survey_round, definition, index, state, check=bool(request.args.get("check"))
    )


def _post_page(survey_round: PublicRound, definition: Definition, index: int) -> Page:
    state = _posted_state(survey_round)
    posted = {k: request.form.getlist(k) for k in request.form}
    inputs = flow.page_inputs(definition, index, posted)
    if state is None:
        # Altered, or from another round: keep what this page sent, start afresh.
        if survey_round.access == "invitation":
            return _status_page("invitation_only", survey_round)
        state = _fresh_state(survey_round).with_answers(inputs)
        if state.municipality is None:
            return _render_where(survey_round, state)
        return _render_page(survey_round, definition, index, state, state_lost=True)
    checked = _entitled_state(survey_round, state)
    if not isinstance(checked, SurveyState):
        return checked
    state = checked
    if state.municipality is None:
        return _render_where(survey_round, state)
    action = request.form.get("action", "next")
    if action.startswith("lang:"):
        code = action.split(":", 1)[1]
        if code in LANGUAGES:
            session["lang"] = code
            state = replace(state, language=code)
        _use_language(state)
        return _show(survey_round, definition, index, state.with_answers(inputs))
    _use_language(state)
    if action == "back":
        state = state.with_answers(inputs)
        earlier = [p for p in _visible_pages(definition, state.answers) if p < index]
        return _show(survey_round, definition, earlier[-1] if earlier else 0, state)
    state = state.with_answers(inputs)
    language = _language()
    form = build_page_form(definition, index, language, state.answers, request.form)
    if not form.validate():
        return _render_page(survey_round, definition, index, state, form)
    later = [p for p in _visible_pages(definition, state.answers) if p > index]
    if later:
        return _show(survey_round, definition, later[0], state)
    invalid = _first_invalid_page(definition, state.answers, language, checked=index)
    if invalid is not None:
        return _show(survey_round, definition, invalid, state, check=True)
    return _submit(survey_round, definition, state)


def _receipt(survey_round: PublicRound, municipality: str) -> str:
    """A signed note that this browser sent answers to the round (for which municipality,
    so the thanks page can name it); no answers in it."""
    serializer = URLSafeTimedSerializer(_key(), salt=RECEIPT_SALT)
    return str(serializer.dumps([survey_round.id, municipality]))


def _thanked(survey_round: PublicRound, municipality: str) -> WerkzeugResponse:
    _forget()
    language = _language()
    # The thanks page in the language the citizen answered in, when no session says so.
    shown = session.get("lang") or survey_round.language
    extra: dict[str, Any] = {} if shown == language else {"lang": language}
    if _keeps_cookies():
        session["thanks"] = {"slug": survey_round.slug, "municipality": municipality}
        return redirect(url_for("surveys.thanks", slug=survey_round.slug, **extra))
    # No session to remember it in: a signed receipt in the address (no answers in it).
    receipt = _receipt(survey_round, municipality)
    return redirect(url_for("surveys.thanks", slug=survey_round.slug, r=receipt, **extra))


def start_paper_keying(survey_round: PublicRound, state: SurveyState) -> WerkzeugResponse:
    """Staff key a paper form through these pages: keep its state, go to the first page."""
    _remember(survey_round, state)
    return redirect(_page_url(survey_round, 0))


def _keying_late_paper(survey_round: PublicRound) -> bool:
    """Staff keying a paper form that came late by post (channels.paper.keying_window):
    the pages go on for them after the round has closed."""
    from surveyapp.channels import paper

    state = _form_state(survey_round) if request.method == "POST" else None
    state = state or _session_state(survey_round)
    if state is None or state.channel != "paper":
        return False
    if not getattr(current_user, "is_authenticated", False):
        return False
    late_days = int(current_app.config["SURVEYAPP_PAPER_LATE_DAYS"])
    window, _until = paper.window_of(survey_round.id, utcnow(), late_days)
    return window is paper.Window.LATE


def _submit_paper(survey_round: PublicRound, definition: Definition, state: SurveyState) -> Page:
    """A keyed paper form: stored, or kept for the double keying (channels.paper)."""
    from datetime import date

    from surveyapp.channels import paper
    from surveyapp.channels.paper_views import keyed_message

    assert state.municipality is not None and state.received is not None
    form = paper.KeyedForm(
        municipality=state.municipality,
        language=_language(),
        received=date.fromisoformat(state.received),
        answers=state.answers,
        form_number=state.form_number,
        submission_key=survey_state.submission_key(state, _key()),
    )
    # The pages were in the form's language; the message is in the staff member's.
    staff_language = session.get("lang") or current_app.config["BABEL_DEFAULT_LOCALE"]
    try:
        outcome = paper.record_keying(survey_round, definition, form, current_user.id)
    except paper.PaperError as err:
        db.session.rollback()
        with force_locale(staff_language):
            flash(keyed_message(err.reason, state.form_number), "error")
    else:
        db.session.commit()
        with force_locale(staff_language):
            flash(keyed_message(outcome.value, state.form_number), "info")
    _forget()
    return redirect(url_for("paper.overview", round_id=survey_round.id))


def _submit(survey_round: PublicRound, definition: Definition, state: SurveyState) -> Page:
    """Store the response (every page has passed its checks). Sending the same form
    twice stores once; retried when SQLite reports a concurrent writer."""
    assert state.municipality is not None
    if state.channel == "paper":
        return _submit_paper(survey_round, definition, state)
    key = survey_state.submission_key(state, _key())
    for attempt in range(SUBMIT_ATTEMPTS):
        try:
            if submission.already_stored(key):
                db.session.rollback()
                return _thanked(survey_round, state.municipality)
            submission.submit(
                key,
                state.municipality,
                state.answers,
                definition,
                survey_round,
                _language(),
                utcnow(),
                channel=state.channel,
            )
            db.session.commit()
        except sa.exc.IntegrityError:
            db.session.rollback()
            if submission.already_stored(key):
                return _thanked(survey_round, state.municipality)
            continue  # two random ids met (about 1 in 10^12): draw new ones
        except sa.exc.OperationalError as error:
            db.session.rollback()
            if not is_lock_conflict(error) or attempt == SUBMIT_ATTEMPTS - 1:
                raise
            time.sleep(0.02 * (attempt + 1))
            continue
        return _thanked(survey_round, state.municipality)
    raise RuntimeError(f"could not store the response in {SUBMIT_ATTEMPTS} attempts")


@bp.get("/s/<slug>/thanks")
@access(PUBLIC)
def thanks(slug: str) -> str | WerkzeugResponse:
    survey_round = _load_round(slug)
    municipality = _thanked_municipality(survey_round)
    if municipality is None:
        return redirect(url_for("surveys.start", slug=slug))
    return render_template(
        "surveys/public/thanks.html",
        survey_round=survey_round,
        **_citizen_context(survey_round, municipality),
    )


def _thanked_municipality(survey_round: PublicRound) -> str | None:
    """The municipality this browser just answered for (from its session or the signed
    receipt in the address), or None when it has not answered this round."""
    kept = session.get("thanks")
    if isinstance(kept, dict) and kept.get("slug") == survey_round.slug:
        return str(kept.get("municipality") or "")
    try:
        receipt = URLSafeTimedSerializer(_key(), salt=RECEIPT_SALT).loads(
            request.args.get("r", ""), max_age=RECEIPT_MAX_AGE
        )
    except (BadData, ValueError, TypeError):
        return None
    if isinstance(receipt, list) and len(receipt) == 2 and receipt[0] == survey_round.id:
        return str(receipt[1])
    return None


@bp.get("/s/<slug>/privacy")
@access(PUBLIC)
def privacy(slug: str) -> str:
    """The survey's privacy statement: who is responsible, what is stored and what not."""
    survey_round = _load_round(slug)
    state = _session_state(survey_round)
    municipality = state.municipality if state else None
    return render_template(
        "surveys/public/privacy.html",
        survey_round=survey_round,
        municipalities=submission.round_municipalities(survey_round.id),
        min_group_size=current_app.config["SURVEYAPP_MIN_GROUP_SIZE"],
        **_citizen_context(survey_round, municipality),
    )
