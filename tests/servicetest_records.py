"""A test builder shared by the service-test and export tests: record a whole round."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import TestAssignment, TestRound
from surveyapp.servicetest import operations


def record_everything(test_round: TestRound, quality: dict[str, float]) -> None:
    """Give every open assignment a record; better municipalities answer more."""
    protocol = operations.protocol_of(test_round)
    scenarios = {s.code: s for s in protocol.scenarios}
    for assignment in db.session.scalars(
        sa.select(TestAssignment).where(TestAssignment.test_round_id == test_round.id)
    ):
        good = quality[assignment.municipality_code]
        checkpoints = list(scenarios[assignment.scenario_code].checkpoint_codes)
        covered = checkpoints[: round(len(checkpoints) * good)]
        due = assignment.due_at or datetime(2026, 9, 8, 10, tzinfo=UTC)
        if assignment.channel == "phone":
            record: dict[str, Any] = {
                "attempts": [{"at": due.isoformat(), "reached": True, "waiting_seconds": 30}],
                "answered_first_contact": good > 0.5,
                "checkpoints_covered": covered,
                "referred_correctly": True,
                "courtesy": round(3 * good),
            }
        elif assignment.channel == "email":
            record = {
                "sent_at": due.isoformat(),
                "replied_at": (due + timedelta(days=1)).isoformat(),
                "checkpoints_covered": covered,
                "courtesy": round(3 * good),
            }
        else:
            record = {"found": good > 0.3, "seconds": 40, "quality": round(3 * good)}
        operations.save_result(None, assignment, record)
    db.session.commit()
