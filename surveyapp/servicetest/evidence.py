"""Notes and evidence on a contact: who may see them, storing them, and retention.

Who may see a contact's evidence (one rule, used by the call sheet, the download and the
workbook): admins; the caller the contact is given to; the deciding tester of a web item,
for the two earlier checks; planners of the contact's municipality (``accounts.scope``).
Attachments are kept in the file store (``surveyapp.storage``), never in the database,
and deleted ``evidence_retention_days`` after the round was locked. Functions add and
flush (and audit); the view, the CLI or the worker commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from surveyapp.accounts import scope
from surveyapp.audit.operations import record as audit
from surveyapp.extensions import db
from surveyapp.servicetest.attachments import CheckedFile
from surveyapp.servicetest.evidence_models import ContactAttachment, ContactEvidence
from surveyapp.servicetest.models import TestAssignment, TestRound
from surveyapp.servicetest.records import DECIDING_SLOT
from surveyapp.storage import file_store
from surveyapp.timeutil import utcnow

EVIDENCE_FIELDS = ("note", "email_sent", "email_reply", "urls")
#: Longest pasted text kept (an e-mail thread with quotes fits easily).
MAX_TEXT = 20_000


class EvidenceError(ValueError):
    """A refused change (message key for the views)."""


def may_see(user: Any, assignment: TestAssignment) -> bool:
    """Whether a staff member may see this contact's notes and attachments."""
    if not getattr(user, "is_authenticated", False):
        return False
    if scope.is_admin(user) or assignment.caller_id == user.id:
        return True
    if user.role == "planner":
        return scope.may_see(user, assignment.municipality_code)
    if assignment.channel == "web" and assignment.tester_slot != DECIDING_SLOT:
        # The deciding tester sees both earlier checks (records and evidence).
        return (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(TestAssignment)
                .where(
                    TestAssignment.test_round_id == assignment.test_round_id,
                    TestAssignment.municipality_code == assignment.municipality_code,
                    TestAssignment.unit_code == assignment.unit_code,
                    TestAssignment.scenario_code == assignment.scenario_code,
                    TestAssignment.channel == "web",
                    TestAssignment.tester_slot == DECIDING_SLOT,
                    TestAssignment.caller_id == user.id,
                )
            )
            or 0
        ) > 0
    return False


def evidence_of(assignment_id: int) -> ContactEvidence | None:
    return db.session.get(ContactEvidence, assignment_id)


def attachments_of(assignment_ids: Sequence[int]) -> list[ContactAttachment]:
    if not assignment_ids:
        return []
    return list(
        db.session.scalars(
            sa.select(ContactAttachment)
            .where(ContactAttachment.assignment_id.in_(assignment_ids))
            .order_by(ContactAttachment.uploaded_at, ContactAttachment.id)
        )
    )


def _editable(assignment: TestAssignment) -> None:
    if assignment.test_round.status == "locked":
        raise EvidenceError("round_locked")
    if assignment.status == "cancelled":
        raise EvidenceError("assignment_cancelled")


def clean_urls(text: str) -> str:
    """One URL a line, blank lines and surrounding spaces dropped."""
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def save_evidence(actor_id: int | None, assignment: TestAssignment, **texts: str) -> bool:
    """Store the note and texts given (``note``, ``email_sent``, ``email_reply``, ``urls``);
    audited with the fields that changed. Returns whether anything changed."""
    _editable(assignment)
    unknown = set(texts) - set(EVIDENCE_FIELDS)
    if unknown:
        raise ValueError(f"unknown evidence fields: {sorted(unknown)}")
    if "urls" in texts:
        texts["urls"] = clean_urls(texts["urls"])
    texts = {key: value.strip()[:MAX_TEXT] for key, value in texts.items()}
    current = evidence_of(assignment.id)
    old = {key: getattr(current, key) if current else "" for key in texts}
    if old == texts:
        return False
    if current is None:
        current = ContactEvidence(assignment_id=assignment.id, **dict.fromkeys(EVIDENCE_FIELDS, ""))
        db.session.add(current)
    for key, value in texts.items():
        setattr(current, key, value)
    current.updated_by_id = actor_id
    db.session.flush()
    audit(actor_id, "evidence", "test_assignment", assignment.id, old, texts)
    return True


def add_attachment(
    actor_id: int | None, assignment: TestAssignment, checked: CheckedFile
) -> ContactAttachment:
    """Keep a checked file in the file store and list it on the contact (audited)."""
    _editable(assignment)
    store = file_store()
    key = store.put(checked.data, checked.suffix)
    try:
        attachment = ContactAttachment(
            assignment_id=assignment.id,
            storage_key=key,
            filename=checked.filename,
            content_type=checked.content_type,
            size=len(checked.data),
            uploaded_by_id=actor_id,
        )
        db.session.add(attachment)
        db.session.flush()
    except BaseException:
        store.delete(key)
        raise
    audit(
        actor_id,
        "attach",
        "test_assignment",
        assignment.id,
        None,
        {"attachment": attachment.id, "filename": attachment.filename, "size": attachment.size},
    )
    return attachment


def remove_attachment(actor_id: int | None, attachment: ContactAttachment) -> None:
    """Take an attachment off a contact and delete its file (audited)."""
    assignment = db.session.get(TestAssignment, attachment.assignment_id)
    assert assignment is not None
    _editable(assignment)
    audit(
        actor_id,
        "detach",
        "test_assignment",
        assignment.id,
        {"attachment": attachment.id, "filename": attachment.filename},
        None,
    )
    key = attachment.storage_key
    db.session.delete(attachment)
    db.session.flush()
    file_store().delete(key)


def record_download(actor_id: int | None, attachment: ContactAttachment) -> None:
    audit(
        actor_id,
        "download",
        "contact_attachment",
        attachment.id,
        None,
        {"assignment": attachment.assignment_id, "filename": attachment.filename},
    )


def delete_expired_attachments(now: datetime | None = None) -> int:
    """Delete the attachments of locked rounds whose retention has passed; the count.

    Rows go first (flushed), then the files; a file whose row is already gone is never
    shown again, and one left behind by a crash holds no link from the database.
    """
    moment = now or utcnow()
    rounds = [
        r
        for r in db.session.scalars(
            sa.select(TestRound).where(
                TestRound.status == "locked", TestRound.locked_at.is_not(None)
            )
        )
        if r.locked_at is not None
        and r.locked_at + timedelta(days=r.evidence_retention_days) <= moment
    ]
    deleted = 0
    store = file_store()
    for test_round in rounds:
        expired = list(
            db.session.scalars(
                sa.select(ContactAttachment)
                .join(TestAssignment, TestAssignment.id == ContactAttachment.assignment_id)
                .where(TestAssignment.test_round_id == test_round.id)
            )
        )
        if not expired:
            continue
        keys = [a.storage_key for a in expired]
        for attachment in expired:
            db.session.delete(attachment)
        db.session.flush()
        for key in keys:
            store.delete(key)
        audit(
            None,
            "retention_delete",
            "test_round",
            test_round.id,
            None,
            {"attachments": len(keys), "retention_days": test_round.evidence_retention_days},
        )
        deleted += len(keys)
    return deleted
