"""Scored rounds, kept in memory until a result changes (scoring a round takes ~0.2 s)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.servicetest import followup, operations
from surveyapp.servicetest.models import TestAssignment, TestResult, TestRound
from surveyapp.servicetest.scoring import RoundResult
from surveyapp.timeutil import utcnow

_CACHE: OrderedDict[tuple[Any, ...], RoundResult] = OrderedDict()
# Per round and protocol: the contacts' scores, so that after one result changes only
# that contact is decoded and scored again (the rest of the round is summed up anew).
_MEMOS: OrderedDict[tuple[Any, ...], operations.ContactMemo] = OrderedDict()
_LOCK = threading.Lock()
MAX_ROUNDS = 16


def _version(test_round: TestRound) -> tuple[Any, ...]:
    """Changes whenever a result, an assignment's status or the round's status changes,
    and when an awaited reply's cut-off passes (it then counts, with 0 points, before the
    periodic maintenance marks it done)."""
    expired = sa.and_(
        TestAssignment.status == "open",
        TestAssignment.follow_up == followup.REPLY,
        TestAssignment.follow_up_at <= utcnow(),
    )
    row = db.session.execute(
        sa.select(
            sa.func.count(TestResult.id),
            sa.func.max(TestResult.updated_at),
            sa.func.sum(sa.case((TestAssignment.status == "cancelled", 1), else_=0)),
            # A record counts once its contact is done (call-backs and awaited replies not).
            sa.func.sum(sa.case((TestAssignment.status == "done", 1), else_=0)),
            sa.func.sum(sa.case((expired, 1), else_=0)),
            sa.func.count(TestAssignment.id),
        )
        .select_from(TestAssignment)
        .outerjoin(TestResult, TestResult.assignment_id == TestAssignment.id)
        .where(TestAssignment.test_round_id == test_round.id)
    ).one()
    engine = db.engine.url.render_as_string(hide_password=True)
    return (engine, test_round.id, test_round.status, test_round.protocol_id, *row)


def scored_round(test_round: TestRound, roll_up: bool = False) -> RoundResult:
    """The round scored from what is recorded now; units pooled into their
    municipality with ``roll_up``."""
    key = (*_version(test_round), roll_up)
    with _LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            _CACHE.move_to_end(key)
            return cached
    memo_key = (key[0], test_round.id, test_round.protocol_id)
    with _LOCK:
        memo = _MEMOS.pop(memo_key, None) or {}  # one user of a memo at a time
    result = operations.score(test_round, roll_up, memo)
    with _LOCK:
        _MEMOS[memo_key] = memo
        while len(_MEMOS) > MAX_ROUNDS:
            _MEMOS.popitem(last=False)
        _CACHE[key] = result
        while len(_CACHE) > MAX_ROUNDS:
            _CACHE.popitem(last=False)
    return result


def clear() -> None:
    """Forget every scored round (benchmarks time the first request after a change)."""
    with _LOCK:
        _CACHE.clear()
        _MEMOS.clear()
