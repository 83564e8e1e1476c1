"""Organiser and planner pages of the service test: plan, follow, lock, rank, explain."""

from __future__ import annotations

import functools
import re
import secrets
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import SelectChoice

from surveyapp import formatting
from surveyapp.accounts import scope
from surveyapp.accounts.access import ADMIN, PLANNER, access
from surveyapp.accounts.models import User
from surveyapp.extensions import db
from surveyapp.municipalities.models import Municipality
from surveyapp.questionnaires.models import Questionnaire
from surveyapp.servicetest import cache, lists, operations, planning, scoring
from surveyapp.servicetest.admin_forms import ConfirmForm, DeciderForm, PlanForm, ReassignForm
from surveyapp.servicetest.agreement import AgreementReport
from surveyapp.servicetest.models import TestAssignment, TestRound, test_round_municipality
from surveyapp.servicetest.phrases import headline_text, reason_text
from surveyapp.servicetest.units import unit_names, units_of
from surveyapp.web.i18n import pick
from surveyapp.web.routing import MAX_PAGE, int_arg
from surveyapp.web.templating import current_language

bp = Blueprint("servicetest", __name__, url_prefix="/servicetest")


def _pairs(rows: Any) -> dict[Any, Any]:
    """Two-column query rows as a mapping (e.g. code → name, status → count)."""
    return {row[0]: row[1] for row in rows}


def _error_text(key: str) -> str:
    if key == "no_working_days":
        return _("The period has no working days.")
    if key == "no_callers":
        return _("Choose at least one test caller.")
    if key.startswith("unknown_municipalities:"):
        return _("Unknown municipality numbers: %(codes)s", codes=key.split(":", 1)[1])
    if key == "round_locked":
        return _("The round is locked; results can no longer be changed.")
    if key == "decider_is_rater":
        return _("A deciding tester must be neither of the two testers who checked the item.")
    if key == "no_size_bands":
        return _(
            "No size bands are loaded for the municipalities, so a stratified sample "
            "cannot be drawn. Load them with: flask --app surveyapp municipalities bands "
            "FILE"
        )
    return _("This could not be done: %(reason)s", reason=key)


def _includes(own: frozenset[str]) -> sa.ColumnElement[bool]:
    """The test round includes one of ``own`` (for a WHERE on TestRound)."""
    return sa.exists().where(
        test_round_municipality.c.test_round_id == TestRound.id,
        test_round_municipality.c.municipality_code.in_(own),
    )


def _load_round(round_id: int) -> TestRound:
    """The round, if the user may see it (one of their municipalities is in it); else 403."""
    test_round = db.session.get(TestRound, round_id)
    if test_round is None:
        abort(404)
    own = scope.visible_codes(current_user)
    if own is not None and not db.session.scalar(
        sa.select(_includes(own).where(TestRound.id == round_id))
    ):
        abort(403)
    return test_round


def _allowed_municipalities() -> frozenset[str] | None:
    """None for admins (everything); a planner's own municipalities otherwise."""
    return scope.visible_codes(current_user)


def _own_assignments(query: Any) -> Any:
    """Limit a query on TestAssignment to the user's municipalities (all for admins)."""
    own = scope.visible_codes(current_user)
    return query if own is None else query.where(TestAssignment.municipality_code.in_(own))


def _callers() -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.role.in_(("caller", "admin")), User.active.is_(True))
            .order_by(User.name)
        )
    )


def _caller_choices() -> list[SelectChoice]:
    return [SelectChoice(str(u.id), f"{u.name} ({u.email})") for u in _callers()]


@bp.get("")
@access(PLANNER)
def rounds() -> str:
    query = (
        sa.select(TestRound)
        .options(selectinload(TestRound.protocol))
        .order_by(TestRound.year.desc(), TestRound.id.desc())
    )
    own = scope.visible_codes(current_user)
    if own is not None:
        query = query.where(_includes(own))
    items = db.session.scalars(query).all()
    counts = _pairs(
        db.session.execute(
            _own_assignments(
                sa.select(TestAssignment.test_round_id, sa.func.count())
                .where(TestAssignment.status != "cancelled")
                .group_by(TestAssignment.test_round_id)
            )
        ).all()
    )
    done = _pairs(
        db.session.execute(
            _own_assignments(
                sa.select(TestAssignment.test_round_id, sa.func.count())
                .where(TestAssignment.status == "done")
                .group_by(TestAssignment.test_round_id)
            )
        ).all()
    )
    return render_template("servicetest/rounds.html", rounds=items, counts=counts, done=done)


def _parse_codes(text: str) -> list[str]:
    return sorted(set(re.findall(r"\b\d{4}\b", text or "")))


@bp.route("/new", methods=["GET", "POST"])
@access(ADMIN)
def new() -> str | WerkzeugResponse:
    form = PlanForm()
    protocols = db.session.scalars(
        sa.select(Questionnaire)
        .where(Questionnaire.kind == "protocol")
        .order_by(Questionnaire.code, Questionnaire.version.desc())
    ).all()
    form.protocol.choices = [
        SelectChoice(str(q.id), f"{q.title_nb} ({q.code} v{q.version})") for q in protocols
    ]
    counties = db.session.execute(
        sa.select(Municipality.county_code, Municipality.county_name)
        .where(Municipality.current)
        .distinct()
        .order_by(Municipality.county_code)
    ).all()
    form.county.choices = [SelectChoice(c, f"{name} ({c})") for c, name in counties]
    form.callers.choices = _caller_choices()
    if request.method == "GET":
        form.seed.data = secrets.randbelow(1_000_000)
    if form.validate_on_submit():
        assert form.starts_on.data and form.ends_on.data
        if form.ends_on.data < form.starts_on.data:
            form.ends_on.errors = [_("The last day must be on or after the first day.")]
        else:
            try:
                codes = operations.select_municipalities(
                    form.mode.data or "all",
                    county=form.county.data,
                    codes=_parse_codes(form.codes.data or ""),
                    per_band=form.per_band.data or 0,
                    seed=form.seed.data or 0,
                )
                if not codes:
                    raise operations.ServiceTestError(_("No municipality matches the choice."))
                protocol = db.session.get(Questionnaire, int(form.protocol.data or 0))
                if protocol is None:
                    abort(400)
                callers = [int(c) for c in form.callers.data or []]
                daily_cap = form.daily_cap.data or planning.DEFAULT_DAILY_CAP
                units = units_of(codes) if form.units.data else None
                if request.form.get("action") != "save":
                    # First the preview: the same plan the save makes (same seed), not stored.
                    targets, parent = operations.planning_targets(codes, units or {})
                    lines = operations.switchboards(parent)
                    planned = planning.plan_round(
                        operations.protocol_in(protocol),
                        targets,
                        callers,
                        form.starts_on.data,
                        form.ends_on.data,
                        form.seed.data or 0,
                        daily_cap,
                        lines,
                    )
                    return render_template(
                        "servicetest/new.html",
                        form=form,
                        preview=planning.preview(
                            planned, operations.protocol_in(protocol), daily_cap, lines
                        ),
                        contacts=len(planned),
                        users={u.id: u for u in _callers()},
                        names=_names_with_units(),
                    )
                test_round = operations.plan(
                    current_user.id,
                    title=form.title.data or "",
                    protocol=protocol,
                    year=form.year.data or 0,
                    starts_on=form.starts_on.data,
                    ends_on=form.ends_on.data,
                    municipalities=codes,
                    callers=callers,
                    seed=form.seed.data or 0,
                    selection={
                        "mode": form.mode.data,
                        "county": form.county.data,
                        "codes": codes if form.mode.data != "all" else [],
                        "per_band": form.per_band.data,
                        "units": bool(form.units.data),
                    },
                    daily_cap=daily_cap,
                    units=units,
                )
            except planning.PlanDoesNotFit as error:
                db.session.rollback()
                return render_template("servicetest/new.html", form=form, shortfall=error.shortfall)
            except (operations.ServiceTestError, planning.PlanningError) as error:
                db.session.rollback()
                form.mode.errors = [_error_text(str(error))]
            else:
                db.session.commit()
                flash(_("The round is planned."), "info")
                return redirect(url_for("servicetest.detail", round_id=test_round.id))
    return render_template("servicetest/new.html", form=form)


@bp.get("/<int:round_id>")
@access(PLANNER)
def detail(round_id: int) -> str:
    test_round = _load_round(round_id)
    by_status = _pairs(
        db.session.execute(
            _own_assignments(
                sa.select(TestAssignment.status, sa.func.count())
                .where(TestAssignment.test_round_id == round_id)
                .group_by(TestAssignment.status)
            )
        ).all()
    )
    # One row per account and status: two callers with the same display name stay apart.
    by_caller = db.session.execute(
        _own_assignments(
            sa.select(User.name, User.email, TestAssignment.status, sa.func.count())
            .join(User, User.id == TestAssignment.caller_id)
            .where(TestAssignment.test_round_id == round_id)
            .group_by(User.id, User.name, User.email, TestAssignment.status)
            .order_by(User.name, User.email, TestAssignment.status)
        )
    ).all()
    awaiting = operations.awaiting_decision(test_round) if current_user.role == ADMIN else []
    decider_form = DeciderForm()
    decider_form.caller.choices = _caller_choices()
    return render_template(
        "servicetest/detail.html",
        test_round=test_round,
        by_status=by_status,
        by_caller=by_caller,
        awaiting=awaiting,
        decider_form=decider_form,
        confirm=ConfirmForm(),
        **(organiser_checks(test_round) if current_user.role == ADMIN else {}),
    )


def organiser_checks(
    test_round: TestRound,
    report: AgreementReport | None = None,
    open_places: list[scoring.MunicipalityScore] | None = None,
) -> dict[str, Any]:
    """What the organiser checks before locking, for ``servicetest/_checks.html``: tester
    agreement and the places that pending decisions could change (on the round page and
    on the lock page, which passes what ``controls.lock_checks`` found)."""
    if report is None:
        report = operations.agreement_of(test_round)
    if open_places is None:
        open_places = cache.scored_round(test_round).open_places
    testers = {None: "–"} | _pairs(db.session.execute(sa.select(User.id, User.name)).all())
    protocol = operations.protocol_of(test_round)
    language = current_language()
    return {
        "agreement": report,
        "testers": testers,
        "check_questions": {s.code: pick(s.question, language) for s in protocol.scenarios},
        "open_places": open_places,
        "names": _names_with_units(),
    }


@bp.post("/<int:round_id>/decider")
@access(ADMIN)
def decider(round_id: int) -> WerkzeugResponse:
    test_round = _load_round(round_id)
    form = DeciderForm()
    form.caller.choices = _caller_choices()
    if not form.validate_on_submit():
        abort(400)
    try:
        operations.assign_decider(
            current_user.id,
            test_round,
            form.municipality.data or "",
            form.scenario.data or "",
            int(form.caller.data or 0),
            unit=form.unit.data or "",
        )
    except operations.ServiceTestError as error:
        db.session.rollback()
        flash(_error_text(str(error)), "error")
    else:
        db.session.commit()
        flash(_("A deciding tester has been given the item."), "info")
    return redirect(url_for("servicetest.detail", round_id=round_id))


@bp.get("/<int:round_id>/assignments")
@access(ADMIN)
def assignments(round_id: int) -> str:
    test_round = _load_round(round_id)
    query = (
        sa.select(TestAssignment)
        .options(selectinload(TestAssignment.caller), selectinload(TestAssignment.result))
        .where(TestAssignment.test_round_id == round_id)
        .order_by(TestAssignment.due_at, TestAssignment.id)
    )
    municipality = request.args.get("municipality", "")
    if municipality:
        query = query.where(TestAssignment.municipality_code == municipality)
    page = db.paginate(
        query, page=int_arg("page", high=MAX_PAGE) or 1, per_page=100, error_out=False
    )
    form = ReassignForm()
    form.caller.choices = _caller_choices()
    names = _pairs(db.session.execute(sa.select(Municipality.code, Municipality.name)).all())
    return render_template(
        "servicetest/assignments.html",
        test_round=test_round,
        page=page,
        form=form,
        names=names,
        municipality=municipality,
        confirm=ConfirmForm(),
    )


@bp.post("/assignments/<int:assignment_id>/reassign")
@access(ADMIN)
def reassign(assignment_id: int) -> WerkzeugResponse:
    assignment = db.get_or_404(TestAssignment, assignment_id)
    form = ReassignForm()
    form.caller.choices = _caller_choices()
    if not form.validate_on_submit():
        abort(400)
    try:
        operations.reassign(current_user.id, assignment, int(form.caller.data or 0))
    except operations.ServiceTestError as error:
        flash(_error_text(str(error)), "error")
    else:
        db.session.commit()
        flash(_("The contact is given to another caller."), "info")
    return redirect(url_for("servicetest.assignments", round_id=assignment.test_round_id))


@bp.post("/assignments/<int:assignment_id>/cancel")
@access(ADMIN)
def cancel(assignment_id: int) -> WerkzeugResponse:
    assignment = db.get_or_404(TestAssignment, assignment_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        operations.cancel(current_user.id, assignment)
    except operations.ServiceTestError as error:
        flash(_error_text(str(error)), "error")
    else:
        db.session.commit()
        flash(_("The contact is cancelled."), "info")
    return redirect(url_for("servicetest.assignments", round_id=assignment.test_round_id))


SORT_KEYS = ("rank", "name", "score")


def _ranking_rows(
    result: scoring.RoundResult, names: dict[str, str], sort: str
) -> list[scoring.MunicipalityScore]:
    rows = list(result.municipalities)
    if sort == "name":
        rows.sort(key=lambda m: names.get(m.municipality, m.municipality))
    elif sort.startswith("channel:") or sort.startswith("sector:"):
        kind, key = sort.split(":", 1)

        def value(m: scoring.MunicipalityScore) -> float:
            scores = m.channel_scores if kind == "channel" else m.sector_scores
            return -(scores.get(key) or -1.0)

        rows.sort(key=value)
    return rows


def _names_with_units() -> dict[str, str]:
    """Municipality and test-unit codes → names."""
    names = _pairs(db.session.execute(sa.select(Municipality.code, Municipality.name)).all())
    names.update(unit_names())
    return names


def _county_of() -> dict[str, tuple[str, str]]:
    return {
        code: (county, county_name)
        for code, county, county_name in db.session.execute(
            sa.select(Municipality.code, Municipality.county_code, Municipality.county_name)
        )
    }


@bp.get("/<int:round_id>/ranking")
@access(PLANNER)
def ranking(round_id: int) -> str:
    test_round = _load_round(round_id)
    protocol = operations.protocol_of(test_round)
    roll_up = request.args.get("units") == "rollup"
    result = cache.scored_round(test_round, roll_up)
    names = _names_with_units()
    sort = request.args.get("sort", "rank")
    rows = _ranking_rows(result, names, sort)
    county = request.args.get("county", "")
    county_list = None
    if county:
        county_of = _county_of()
        members = [
            m for m in result.municipalities if county_of.get(m.municipality, ("",))[0] == county
        ]
        if not members:
            abort(404)
        county_list = lists.ranked_list(
            county, county_of[members[0].municipality][1], members, result.pass_mark
        )
        places = {entry.score.key: entry.place for entry in county_list.entries}
        keys = {m.key for m in members}
        rows = [m for m in rows if m.key in keys]
    else:
        places = {}
    allowed = _allowed_municipalities()
    if allowed is not None:  # planners: their own rows; others only in aggregate
        rows = [m for m in rows if m.municipality in allowed]
    language = current_language()
    headlines = [headline_text(h, protocol.sectors, language) for h in scoring.headlines(result)]
    has_units = any(m.unit for m in result.municipalities) or roll_up
    return render_template(
        "servicetest/ranking.html",
        test_round=test_round,
        result=result,
        rows=rows,
        names=names,
        protocol=protocol,
        sort=sort,
        headlines=headlines,
        ranked=result.ranked,
        limited=allowed is not None,
        roll_up=roll_up,
        has_units=has_units,
        county_list=county_list,
        county_places=places,
        open_places=[m for m in result.open_places if allowed is None or m.municipality in allowed],
        not_tested=[n for n in result.not_tested if allowed is None or n.municipality in allowed],
        # A national table prints thousands of figures: the language is looked up once.
        num=functools.partial(_number_in, language=language),
        pct=functools.partial(_percent_in, language=language),
    )


def _number_in(value: float | None, decimals: int = 1, *, language: str) -> str:
    return formatting.number(value, language, decimals)


def _percent_in(value: float | None, decimals: int = 1, *, language: str) -> str:
    return formatting.percent(value, language, decimals)


@bp.get("/<int:round_id>/m/<code>")
@access(PLANNER)
def municipality(round_id: int, code: str) -> str:
    test_round = _load_round(round_id)
    allowed = _allowed_municipalities()
    if allowed is not None and code not in allowed:
        abort(403)
    place = db.get_or_404(Municipality, code)
    protocol = operations.protocol_of(test_round)
    result = cache.scored_round(test_round)
    try:
        summary = result.municipality(code)
    except KeyError:  # tested per unit: the municipality rolled up
        result = cache.scored_round(test_round, roll_up=True)
        try:
            summary = result.municipality(code)
        except KeyError:
            abort(404)
    scenarios = {s.code: s for s in protocol.scenarios}
    language = current_language()
    contacts: list[dict[str, Any]] = []
    for contact, score in result.contact_scores:
        if contact.municipality != code:
            continue
        scenario = scenarios[contact.scenario]
        titles = {c.code: pick(c.text, language) for c in scenario.checkpoints}
        contacts.append(
            {
                "contact": contact,
                "score": score,
                "scenario": scenario,
                "reasons": [reason_text(r, titles) for r in score.reasons],
            }
        )
    contacts.sort(key=lambda c: (c["contact"].sector, c["contact"].scenario, c["contact"].channel))
    return render_template(
        "servicetest/municipality.html",
        test_round=test_round,
        place=place,
        summary=summary,
        contacts=contacts,
        protocol=protocol,
        result=result,
    )


@bp.get("/<int:round_id>/by/<kind>")
@access(PLANNER)
def breakdown(round_id: int, kind: str) -> str:
    if kind not in ("sector", "channel"):
        abort(404)
    test_round = _load_round(round_id)
    protocol = operations.protocol_of(test_round)
    result = cache.scored_round(test_round)
    names = _pairs(db.session.execute(sa.select(Municipality.code, Municipality.name)).all())
    allowed = _allowed_municipalities()
    rows = [m for m in result.municipalities if allowed is None or m.municipality in allowed]
    keys: list[str] = list(protocol.sectors if kind == "sector" else protocol.channels.names)
    national = result.national_sector_scores if kind == "sector" else result.national_channel_scores
    return render_template(
        "servicetest/breakdown.html",
        test_round=test_round,
        kind=kind,
        keys=keys,
        national=national,
        rows=rows,
        names=names,
        protocol=protocol,
        result=result,
    )


# The organiser's field-work pages (lock, unlock, dates, decisions, moving contacts).
from surveyapp.servicetest import organiser  # noqa: E402,F401
