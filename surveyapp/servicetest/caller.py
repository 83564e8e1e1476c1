"""The test caller's pages: their own assignments, and the call sheet to record a contact.

Who may open a call sheet is decided in one place, ``_open_sheet``: a missing
assignment is 404; a caller may open only the assignments given to them (403
otherwise); admins may open every assignment. Once the round is locked, a
caller gets a page saying so (no form, nothing saved) and an admin sees the
record read-only.

Web items are checked by two independent testers: the sheet of tester 1 or 2
never shows the other tester's record. The deciding tester (slot 3) sees both
earlier records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import contains_eager, selectinload
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import SelectChoice

from surveyapp.accounts.access import ADMIN, CALLER, access
from surveyapp.extensions import db
from surveyapp.municipalities.models import Municipality
from surveyapp.questionnaires.protocol import Protocol, Scenario
from surveyapp.servicetest import caller_forms as forms
from surveyapp.servicetest import operations, records, scoring
from surveyapp.servicetest.models import TestAssignment, TestResult, TestRound
from surveyapp.servicetest.phrases import reason_text
from surveyapp.servicetest.workdays import working_days_between
from surveyapp.web.i18n import pick
from surveyapp.web.templating import current_language, format_number, local_datetime

bp = Blueprint("calls", __name__)

EDIT = "edit"
READ_ONLY = "read_only"
LOCKED = "locked"


# --------------------------------------------------------------------------- my assignments


@dataclass(frozen=True)
class MyAssignment:
    """One row of "My assignments"."""

    assignment: TestAssignment
    municipality: str
    scenario: str


@bp.get("/calls")
@access(CALLER)
def index() -> str:
    """The caller's open and done contacts in rounds that are not locked, soonest first."""
    found = (
        db.session.execute(
            sa.select(TestAssignment, Municipality.name)
            .join(TestAssignment.test_round)
            .join(Municipality, Municipality.code == TestAssignment.municipality_code)
            .outerjoin(TestAssignment.result)
            .options(
                contains_eager(TestAssignment.test_round).selectinload(TestRound.protocol),
                contains_eager(TestAssignment.result),
            )
            .where(
                TestAssignment.caller_id == current_user.id,
                TestAssignment.status.in_(("open", "done")),
                TestRound.status != "locked",
            )
            .order_by(TestAssignment.due_at.is_(None), TestAssignment.due_at, TestAssignment.id)
        )
        .tuples()
        .all()
    )
    language = current_language()
    questions: dict[tuple[int, str], str] = {}
    for test_round in {assignment.test_round for assignment, _name in found}:
        for scenario in operations.protocol_of(test_round).scenarios:
            questions[(test_round.id, scenario.code)] = pick(scenario.question, language)
    rows = [
        MyAssignment(
            assignment,
            name,
            questions.get(
                (assignment.test_round_id, assignment.scenario_code), assignment.scenario_code
            ),
        )
        for assignment, name in found
    ]
    return render_template(
        "servicetest/caller/index.html",
        todo=[row for row in rows if row.assignment.status == "open"],
        done=[row for row in rows if row.assignment.status == "done"],
    )


# --------------------------------------------------------------------------- the call sheet


def _open_sheet(assignment_id: int) -> tuple[TestAssignment, str]:
    """The assignment and what the current user may do with it (see the module docstring)."""
    assignment = db.session.get(
        TestAssignment,
        assignment_id,
        options=[selectinload(TestAssignment.test_round), selectinload(TestAssignment.result)],
    )
    if assignment is None:
        abort(404)
    is_admin = current_user.role == ADMIN
    if not is_admin and assignment.caller_id != current_user.id:
        abort(403)
    if assignment.test_round.status == "locked":
        return assignment, READ_ONLY if is_admin else LOCKED
    if assignment.status == "cancelled":
        return assignment, READ_ONLY
    return assignment, EDIT


def _scenario(protocol: Protocol, code: str) -> Scenario:
    try:
        return protocol.scenario(code)
    except KeyError:
        abort(404)


def _web_siblings(assignment: TestAssignment) -> dict[int, dict[str, Any] | None]:
    """The other testers' records of a web item, by slot (only for the deciding tester)."""
    rows = db.session.execute(
        sa.select(TestAssignment.tester_slot, TestResult.record)
        .outerjoin(TestResult, TestResult.assignment_id == TestAssignment.id)
        .where(
            TestAssignment.test_round_id == assignment.test_round_id,
            TestAssignment.municipality_code == assignment.municipality_code,
            TestAssignment.scenario_code == assignment.scenario_code,
            TestAssignment.channel == "web",
            TestAssignment.tester_slot != records.DECIDING_SLOT,
            TestAssignment.status != "cancelled",
        )
        .order_by(TestAssignment.tester_slot)
    ).all()
    return {slot: record for slot, record in rows}


def _build_form(
    assignment: TestAssignment,
    rules: forms.SheetRules,
    checkpoint_choices: list[SelectChoice],
    record: Mapping[str, Any] | None,
) -> forms.SheetForm:
    if assignment.channel == "phone":
        return forms.phone_form(
            rules.max_attempts, checkpoint_choices, data=forms.phone_initial(record)
        )
    if assignment.channel == "email":
        email = forms.EmailForm(data=forms.email_initial(record))
        email.checkpoints.choices = checkpoint_choices
        return email
    return forms.WebForm(data=forms.web_initial(record))


def _record_from(form: forms.SheetForm, rules: forms.SheetRules) -> dict[str, Any] | None:
    if isinstance(form, forms.PhoneForm):
        return forms.phone_record(form, rules)
    if isinstance(form, forms.EmailForm):
        return forms.email_record(form, rules)
    assert isinstance(form, forms.WebForm)
    return forms.web_record(form)


def _single_tester(protocol: Protocol) -> Protocol:
    """The protocol as if the web item had one tester: the points one check gives."""
    web = protocol.channels.web
    if web is None:
        return protocol
    channels = protocol.channels.model_copy(update={"web": web.model_copy(update={"testers": 1})})
    return protocol.model_copy(update={"channels": channels})


def _points_panel(
    protocol: Protocol,
    scenario: Scenario,
    assignment: TestAssignment,
    record: Mapping[str, Any],
    siblings: Mapping[int, Mapping[str, Any] | None],
) -> dict[str, Any] | None:
    """The points the record gives, with the reasons as sentences (None if it cannot be scored)."""
    titles = {c.code: pick(c.text, current_language()) for c in scenario.checkpoints}
    email_channel = protocol.channels.email
    hidden: set[str] = set()
    panel: dict[str, Any] = {}
    rubric = protocol
    try:
        contact_record: scoring.Record
        if assignment.channel == "phone":
            contact_record = records.phone_record(record)
        elif assignment.channel == "email":
            email = records.email_record(record)
            contact_record = email
            if email.replied_at is not None and email_channel is not None:
                panel["working_days"] = working_days_between(
                    email.sent_at,
                    email.replied_at,
                    email_channel.send_cutoff,
                    protocol.non_working_days,
                )
        elif assignment.tester_slot == records.DECIDING_SLOT:
            checks = [records.web_check(r) for _slot, r in sorted(siblings.items()) if r]
            contact_record = scoring.WebRecord(checks, records.web_check(record))
        else:
            # Independence: score this check alone, never with the other tester's.
            contact_record = scoring.WebRecord([records.web_check(record)])
            rubric = _single_tester(protocol)
            hidden = {"web_check", "testers_agree"}
            panel["single_check"] = True
        contact = scoring.Contact(
            assignment.municipality_code,
            assignment.scenario_code,
            assignment.sector,
            assignment.channel,
            contact_record,
        )
        result = scoring.score_contact(rubric, scenario, contact)
    except (ValueError, KeyError, TypeError):
        return None
    for reason in result.reasons:
        if reason.code == "email_speed":
            panel["speed_points"] = reason.params.get("points")
    panel.update(
        points=_number(result.points),
        max_points=_number(result.max_points),
        status=result.status,
        reasons=[reason_text(r, titles) for r in result.reasons if r.code not in hidden],
        speed_points=_number(float(panel.get("speed_points") or 0)),
        speed_max=_number(
            float(email_channel.best_speed_points) if email_channel is not None else 0.0
        ),
    )
    return panel


def _number(value: float) -> str:
    """Points with one decimal only when they are not whole (8, 8.5; 8,5 in Norwegian)."""
    return format_number(value, 0 if float(value).is_integer() else 1)


def _display_moment(value: Any) -> str:
    """A stored ISO time in Norwegian time, written the reader's way."""
    if not value:
        return "–"
    return local_datetime(datetime.fromisoformat(str(value)))


def _save(assignment: TestAssignment, record: dict[str, Any]) -> WerkzeugResponse:
    """Store the record (audited by save_result), commit, and show the sheet with its points."""
    target = url_for("calls.sheet", assignment_id=assignment.id)
    try:
        operations.save_result(current_user.id, assignment, record)
    except operations.ServiceTestError as error:
        db.session.rollback()
        if str(error) == "round_locked":
            flash(_("The round is locked; results can no longer be changed."), "error")
        else:
            flash(_("This contact was cancelled and cannot be recorded."), "error")
        return redirect(target)
    db.session.commit()
    flash(_("Saved"), "info")
    return redirect(target + "#points")


@bp.route("/calls/<int:assignment_id>", methods=["GET", "POST"])
@access(CALLER)
def sheet(assignment_id: int) -> str | tuple[str, int] | WerkzeugResponse:
    assignment, mode = _open_sheet(assignment_id)
    test_round = assignment.test_round
    municipality = db.session.get(Municipality, assignment.municipality_code)
    if mode == LOCKED:
        page = render_template(
            "servicetest/caller/locked.html",
            assignment=assignment,
            municipality=municipality,
            test_round=test_round,
        )
        return (page, 409) if request.method == "POST" else page

    protocol = operations.protocol_of(test_round)
    scenario = _scenario(protocol, assignment.scenario_code)
    language = current_language()
    rules = forms.rules_for(protocol, scenario, test_round.starts_on, test_round.ends_on)
    checkpoint_choices = [
        SelectChoice(c.code, pick(c.text, language)) for c in scenario.checkpoints
    ]
    record = assignment.result.record if assignment.result is not None else None
    deciding = assignment.channel == "web" and assignment.tester_slot == records.DECIDING_SLOT
    siblings = _web_siblings(assignment) if deciding else {}

    form = _build_form(assignment, rules, checkpoint_choices, record)
    status = 200
    if request.method == "POST":
        if mode != EDIT:
            flash(_("This contact cannot be changed any more."), "error")
            status = 409
        else:
            valid = form.validate_on_submit()
            # The cross-field checks run even when a field failed, so every problem shows at once.
            new = _record_from(form, rules)
            if valid and new is not None:
                return _save(assignment, new)

    warnings = (
        forms.phone_hour_warnings(record, rules) if record and assignment.channel == "phone" else []
    )
    panel = _points_panel(protocol, scenario, assignment, record, siblings) if record else None
    page = render_template(
        "servicetest/caller/sheet.html",
        assignment=assignment,
        test_round=test_round,
        municipality=municipality,
        protocol=protocol,
        scenario=scenario,
        rules=rules,
        form=form,
        mode=mode,
        record=record,
        siblings=siblings,
        deciding=deciding,
        panel=panel,
        warnings=warnings,
        when=_display_moment,
    )
    return (page, status) if status != 200 else page
