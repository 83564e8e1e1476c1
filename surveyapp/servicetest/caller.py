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

import io
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import SelectChoice

from surveyapp import norwegian_time
from surveyapp.accounts.access import ADMIN, CALLER, PLANNER, access
from surveyapp.extensions import db
from surveyapp.municipalities.contacts import reach
from surveyapp.municipalities.models import Municipality
from surveyapp.questionnaires.protocol import Protocol, Scenario
from surveyapp.servicetest import (
    attachments,
    caller_list,
    evidence,
    followup,
    operations,
    records,
    scoring,
)
from surveyapp.servicetest import caller_forms as forms
from surveyapp.servicetest.caller_forms import AttachmentForm
from surveyapp.servicetest.evidence_models import ContactAttachment, ContactEvidence
from surveyapp.servicetest.models import TestAssignment, TestResult, TestRound, TestUnit
from surveyapp.servicetest.phrases import reason_text
from surveyapp.servicetest.workdays import NORWAY as OSLO
from surveyapp.servicetest.workdays import working_days_between
from surveyapp.storage import file_store
from surveyapp.timeutil import utcnow
from surveyapp.web.bodies import accepts_bodies_up_to
from surveyapp.web.errors import render_error
from surveyapp.web.i18n import pick
from surveyapp.web.routing import MAX_PAGE, int_arg
from surveyapp.web.templating import current_language, format_number, local_datetime

bp = Blueprint("calls", __name__)

#: Room for the form's other fields and the multipart boundaries beside the file.
UPLOAD_OVERHEAD = 64 * 1024

EDIT = "edit"
READ_ONLY = "read_only"
LOCKED = "locked"


# --------------------------------------------------------------------------- my assignments


def _list_filters() -> caller_list.Filters:
    """The list's filters from the query string; anything unknown is ignored."""
    code = request.args.get("municipality", "")
    channel = request.args.get("channel", "")
    day = norwegian_time.parse_date(request.args.get("day", "")[:20])
    return caller_list.Filters(
        municipality=code if re.fullmatch(r"[0-9]{4}", code) else None,
        channel=channel if channel in caller_list.CHANNELS else None,
        day=day,
    )


def _scenario_texts(round_ids: set[int]) -> dict[tuple[int, str], str]:
    """Each round's scenarios as the question in the reader's language."""
    language = current_language()
    texts: dict[tuple[int, str], str] = {}
    for test_round in db.session.scalars(sa.select(TestRound).where(TestRound.id.in_(round_ids))):
        for scenario in operations.protocol_of(test_round).scenarios:
            texts[(test_round.id, scenario.code)] = pick(scenario.question, language)
    return texts


@bp.get("/calls")
@access(CALLER)
def index() -> str:
    """The caller's contacts by section (today, call back, awaiting reply, overdue,
    upcoming, done), filterable and paged; see ``caller_list``."""
    section = request.args.get("section", "today")
    if section not in caller_list.SECTIONS:
        section = "today"
    filters = _list_filters()
    number = int_arg("page", high=MAX_PAGE) or 1
    now = utcnow()
    counts = caller_list.counts(current_user.id, now, filters)
    rows = caller_list.page(current_user.id, now, section, filters, number)
    return render_template(
        "servicetest/caller/index.html",
        section=section,
        sections=caller_list.SECTIONS,
        counts=counts,
        due_now=caller_list.due_now(current_user.id, now),
        rows=rows,
        questions=_scenario_texts({row.round_id for row in rows}),
        filters=filters,
        municipalities=caller_list.municipalities(current_user.id),
        page_number=number,
        has_next=counts[section] > number * caller_list.PAGE_SIZE,
        page_size=caller_list.PAGE_SIZE,
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
            TestAssignment.unit_code == assignment.unit_code,
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
    kept: ContactEvidence | None,
) -> forms.SheetForm:
    notes = forms.evidence_initial(kept)
    if assignment.channel == "phone":
        return forms.phone_form(
            rules.max_attempts, checkpoint_choices, data={**forms.phone_initial(record), **notes}
        )
    if assignment.channel == "email":
        email = forms.EmailForm(data={**forms.email_initial(record), **notes})
        email.checkpoints.choices = checkpoint_choices
        return email
    return forms.WebForm(data={**forms.web_initial(record), **notes})


def _record_from(form: forms.SheetForm, rules: forms.SheetRules) -> dict[str, Any] | None:
    if isinstance(form, forms.PhoneForm):
        return forms.phone_record(form, rules)
    if isinstance(form, forms.EmailForm):
        return forms.email_record(form, rules)
    assert isinstance(form, forms.WebForm)
    return forms.web_record(form, rules)


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


def _save(
    assignment: TestAssignment, record: dict[str, Any], texts: dict[str, str]
) -> WerkzeugResponse:
    """Store the record and the notes (each audited), commit, show the sheet with its points."""
    target = url_for("calls.sheet", assignment_id=assignment.id)
    try:
        operations.save_result(current_user.id, assignment, record)
        evidence.save_evidence(current_user.id, assignment, **texts)
    except (operations.ServiceTestError, evidence.EvidenceError) as error:
        db.session.rollback()
        if str(error) == "round_locked":
            flash(_("The round is locked; results can no longer be changed."), "error")
        else:
            flash(_("This contact was cancelled and cannot be recorded."), "error")
        return redirect(target)
    db.session.commit()
    if assignment.follow_up == followup.CALLBACK and assignment.follow_up_at is not None:
        flash(
            _(
                "Saved. Nobody was reached: call back at %(when)s. The contact stays on your "
                "list under “Call back”.",
                when=norwegian_time.datetime_text(assignment.follow_up_at),
            ),
            "info",
        )
    elif assignment.follow_up == followup.REPLY:
        flash(_("Saved. The e-mail is on your list under “Awaiting reply”."), "info")
    else:
        flash(_("Saved"), "info")
    return redirect(target + "#points")


def _evidence_panel(assignment: TestAssignment, siblings: list[TestAssignment]) -> dict[str, Any]:
    """The contact's kept notes and attachments (and, for a decider, the earlier checks')."""
    ids = [assignment.id, *(s.id for s in siblings if evidence.may_see(current_user, s))]
    files = evidence.attachments_of(ids)
    return {
        "own": [f for f in files if f.assignment_id == assignment.id],
        "earlier": {
            s.tester_slot: {
                "evidence": evidence.evidence_of(s.id),
                "files": [f for f in files if f.assignment_id == s.id],
            }
            for s in siblings
            if s.id in ids
        },
    }


def _follow_up_text(assignment: TestAssignment) -> str | None:
    if assignment.status != "open" or assignment.follow_up_at is None:
        return None
    if assignment.follow_up == followup.CALLBACK:
        return _(
            "Call back: nobody was reached at the last attempt. The call-back is due at %(when)s.",
            when=norwegian_time.datetime_text(assignment.follow_up_at),
        )
    if assignment.follow_up == followup.REPLY:
        last = (assignment.follow_up_at - timedelta(minutes=1)).astimezone(OSLO).date()
        return _(
            "Awaiting the reply. A reply counts until %(day)s; after that the e-mail scores 0. "
            "Record the reply here when it comes.",
            day=norwegian_time.date_text(last),
        )
    return None


@bp.route("/calls/<int:assignment_id>", methods=["GET", "POST"])
@access(CALLER)
def sheet(assignment_id: int) -> str | tuple[str, int] | WerkzeugResponse:
    assignment, mode = _open_sheet(assignment_id)
    test_round = assignment.test_round
    municipality = db.session.get(Municipality, assignment.municipality_code)
    unit = db.session.get(TestUnit, assignment.unit_code) if assignment.unit_code else None
    if mode == LOCKED:
        page = render_template(
            "servicetest/caller/locked.html",
            assignment=assignment,
            municipality=municipality,
            unit=unit,
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
    kept = evidence.evidence_of(assignment.id)

    form = _build_form(assignment, rules, checkpoint_choices, record, kept)
    status = 200
    if request.method == "POST":
        if mode != EDIT:
            flash(_("This contact cannot be changed any more."), "error")
            status = 409
        else:
            valid = form.validate_on_submit()
            # The cross-field checks run even when a field failed, so every problem shows at once.
            new = _record_from(form, rules)
            texts = forms.evidence_texts(form)
            if valid and new is not None and texts is not None:
                return _save(assignment, new, texts)

    warnings = (
        forms.phone_hour_warnings(record, rules) if record and assignment.channel == "phone" else []
    )
    panel = _points_panel(protocol, scenario, assignment, record, siblings) if record else None
    sibling_rows = _web_sibling_assignments(assignment) if deciding else []
    return _render_sheet(
        status,
        assignment=assignment,
        test_round=test_round,
        municipality=municipality,
        unit=unit,
        contact=reach(assignment.municipality_code, assignment.unit_code),
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
        kept=kept,
        files=_evidence_panel(assignment, sibling_rows),
        upload=AttachmentForm(),
        follow_up=_follow_up_text(assignment),
        next_id=caller_list.next_contact(current_user.id, utcnow(), assignment.id),
    )


def _render_sheet(status: int, **context: Any) -> str | tuple[str, int]:
    page = render_template(
        "servicetest/caller/sheet.html",
        when=_display_moment,
        max_megabytes=attachments.MAX_BYTES // (1024 * 1024),
        **context,
    )
    return (page, status) if status != 200 else page


def _web_sibling_assignments(assignment: TestAssignment) -> list[TestAssignment]:
    """The two independent checks of the web item a deciding tester decides."""
    return list(
        db.session.scalars(
            sa.select(TestAssignment).where(
                TestAssignment.test_round_id == assignment.test_round_id,
                TestAssignment.municipality_code == assignment.municipality_code,
                TestAssignment.unit_code == assignment.unit_code,
                TestAssignment.scenario_code == assignment.scenario_code,
                TestAssignment.channel == "web",
                TestAssignment.tester_slot != records.DECIDING_SLOT,
            )
        )
    )


# --------------------------------------------------------------------------- attachments


def _upload_problem(key: str) -> str:
    return {
        "empty": _("Choose a file to attach (PNG, JPEG or PDF)."),
        "too_large": _(
            "The file is larger than %(n)s MB. Attach a smaller file (for a screenshot, "
            "crop it or save it as JPEG).",
            n=attachments.MAX_BYTES // (1024 * 1024),
        ),
        "type": _(
            "Only PNG, JPEG and PDF files can be attached. This file is none of them "
            "(whatever its name says)."
        ),
        "damaged": _("The file could not be read: it seems damaged or incomplete."),
    }[key]


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge) -> Any:
    """An attachment over the limit: back to the sheet with the message, not an error page."""
    if request.endpoint == "calls.upload" and request.view_args:
        flash(_upload_problem("too_large"), "error")
        target = url_for("calls.sheet", assignment_id=request.view_args["assignment_id"])
        return redirect(target + "#attachments", code=303)
    return render_error(error)


@bp.post("/calls/<int:assignment_id>/attachments")
@access(CALLER)
@accepts_bodies_up_to(attachments.MAX_BYTES + UPLOAD_OVERHEAD)
def upload(assignment_id: int) -> WerkzeugResponse:
    assignment, mode = _open_sheet(assignment_id)
    target = url_for("calls.sheet", assignment_id=assignment.id) + "#attachments"
    if mode != EDIT:
        flash(_("This contact cannot be changed any more."), "error")
        return redirect(target, code=303)
    form = AttachmentForm()
    if not form.validate_on_submit():
        flash(_("The form had expired. Check what you entered and save again."), "error")
        return redirect(target, code=303)
    sent = request.files.get("file")
    try:
        if sent is None or not sent.filename:
            raise attachments.AttachmentError("empty")
        checked = attachments.check_file(sent.stream, sent.filename)
        evidence.add_attachment(current_user.id, assignment, checked)
    except attachments.AttachmentError as problem:
        db.session.rollback()
        flash(_upload_problem(str(problem)), "error")
        return redirect(target, code=303)
    except evidence.EvidenceError:
        db.session.rollback()
        flash(_("This contact cannot be changed any more."), "error")
        return redirect(target, code=303)
    db.session.commit()
    flash(_("The file “%(name)s” is attached.", name=checked.filename), "info")
    return redirect(target, code=303)


def _load_attachment(attachment_id: int) -> tuple[ContactAttachment, TestAssignment]:
    attachment = db.get_or_404(ContactAttachment, attachment_id)
    assignment = db.session.get(TestAssignment, attachment.assignment_id)
    if assignment is None:
        abort(404)
    if not evidence.may_see(current_user, assignment):
        abort(403)
    return attachment, assignment


@bp.get("/calls/attachments/<int:attachment_id>")
@access(CALLER, PLANNER)
def download(attachment_id: int) -> WerkzeugResponse:
    """The file, to staff who may see the contact; every download is audited."""
    attachment, _assignment = _load_attachment(attachment_id)
    store = file_store()
    if not store.exists(attachment.storage_key):
        abort(404)
    user_id = current_user.id
    name, mimetype, key = attachment.filename, attachment.content_type, attachment.storage_key
    db.session.rollback()  # end the read; the audit entry is a write of its own
    attachment = db.get_or_404(ContactAttachment, attachment_id)
    evidence.record_download(user_id, attachment)
    db.session.commit()
    with store.open(key) as handle:
        data = handle.read()
    response = send_file(
        io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/calls/attachments/<int:attachment_id>/delete")
@access(CALLER)
def remove(attachment_id: int) -> WerkzeugResponse:
    attachment, assignment = _load_attachment(attachment_id)
    _open_sheet(assignment.id)  # only the contact's own caller (or an admin) removes
    target = url_for("calls.sheet", assignment_id=assignment.id) + "#attachments"
    if not AttachmentForm().validate_on_submit():
        abort(400)
    try:
        evidence.remove_attachment(current_user.id, attachment)
    except evidence.EvidenceError:
        db.session.rollback()
        flash(_("This contact cannot be changed any more."), "error")
        return redirect(target, code=303)
    db.session.commit()
    flash(_("The attachment is removed."), "info")
    return redirect(target, code=303)
