"""The service-test workbook's evidence sheet: each contact's notes, and links to its
attachments (the download page checks who may see them and audits every download).

A separate function the workbook calls, so the workbook's own sheets stay as they are.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from surveyapp.exports.workbook import BOLD, SheetBuilder
from surveyapp.extensions import db
from surveyapp.questionnaires.protocol import Protocol
from surveyapp.servicetest.evidence_models import ContactAttachment, ContactEvidence
from surveyapp.servicetest.models import TestAssignment, TestRound
from surveyapp.web.i18n import pick

EVIDENCE = "Bevis"
LINK = Font(color="0563C1", underline="single")


def attachment_url(attachment_id: int) -> str:
    base = str(current_app.config.get("SURVEYAPP_BASE_URL") or "").rstrip("/")
    return f"{base}/calls/attachments/{attachment_id}"


def evidence_sheet(
    ws: Worksheet,
    test_round: TestRound,
    protocol: Protocol,
    names: Mapping[str, str],
    allowed: set[str] | None,
    language: str,
    heading: Callable[[SheetBuilder, str], None],
) -> None:
    """Fill the sheet: one row per contact with notes or attachments, a link per file.
    ``heading`` writes the title and the workbook's notes (export time, warnings) in
    rows 1 and 2, as on the workbook's other sheets."""
    sheet = SheetBuilder(ws)
    heading(sheet, gettext("Notes and evidence"))
    sheet.put(
        1,
        4,
        gettext("Attachments open in the app for staff who may see the contact."),
        fit=False,
    )
    header = [
        gettext("Municipality number"),
        gettext("Municipality"),
        gettext("Scenario"),
        gettext("Channel"),
        gettext("Tester"),
        gettext("Note"),
        gettext("Web addresses visited"),
        gettext("The e-mail you sent"),
        gettext("The reply received"),
        gettext("Attachment"),
    ]
    sheet.row(3, header, font=BOLD)
    ws.freeze_panes = "C4"
    query = (
        sa.select(TestAssignment, ContactEvidence)
        .outerjoin(ContactEvidence, ContactEvidence.assignment_id == TestAssignment.id)
        .where(TestAssignment.test_round_id == test_round.id)
        .where(
            sa.or_(
                ContactEvidence.assignment_id.is_not(None),
                sa.exists().where(ContactAttachment.assignment_id == TestAssignment.id),
            )
        )
        .order_by(
            TestAssignment.municipality_code,
            TestAssignment.unit_code,
            TestAssignment.scenario_code,
            TestAssignment.channel,
            TestAssignment.tester_slot,
        )
    )
    if allowed is not None:
        query = query.where(TestAssignment.municipality_code.in_(allowed))
    found = db.session.execute(query).tuples().all()
    files: dict[int, list[ContactAttachment]] = defaultdict(list)
    ids = [assignment.id for assignment, _evidence in found]
    for start in range(0, len(ids), 500):
        for attachment in db.session.scalars(
            sa.select(ContactAttachment)
            .where(ContactAttachment.assignment_id.in_(ids[start : start + 500]))
            .order_by(ContactAttachment.id)
        ):
            files[attachment.assignment_id].append(attachment)
    scenarios = {s.code: s for s in protocol.scenarios}
    channels = {"phone": gettext("Phone"), "email": gettext("E-mail"), "web": gettext("Web")}
    r = 4
    for assignment, kept in found:
        scenario = scenarios.get(assignment.scenario_code)
        values: list[Any] = [
            assignment.municipality_code,
            names.get(assignment.municipality_code, assignment.municipality_code)
            + (
                f" – {names.get(assignment.unit_code, assignment.unit_code)}"
                if assignment.unit_code
                else ""
            ),
            pick(scenario.question, language) if scenario else assignment.scenario_code,
            channels.get(assignment.channel, assignment.channel),
            assignment.tester_slot if assignment.channel == "web" else None,
            kept.note if kept else "",
            kept.urls if kept else "",
            kept.email_sent if kept else "",
            kept.email_reply if kept else "",
        ]
        sheet.row(r, values)
        for column in range(6, 10):
            ws.cell(row=r, column=column).alignment = Alignment(wrap_text=True, vertical="top")
        attached = files.get(assignment.id, [])
        for n, attachment in enumerate(attached):
            cell = sheet.put(r + n, 10, attachment.filename)
            cell.hyperlink = attachment_url(attachment.id)
            cell.font = LINK
        r += max(len(attached), 1)
    sheet.fit(maximum=50)
