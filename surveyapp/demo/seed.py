"""Seeded, fictitious demo data: the same every run, labelled wherever it shows.

A home municipality (Tromsø) with citizen-survey rounds for five years, twenty peer
municipalities with rounds of the same questionnaire, and a service-test round over
fifty municipalities with most contacts recorded and some left for the demo caller.
"""

from __future__ import annotations

import random
import re
import unicodedata
from datetime import UTC, date, datetime, timedelta
from hashlib import sha256
from typing import Any

import numpy as np
import sqlalchemy as sa
from flask import current_app

from surveyapp.accounts.operations import create_user
from surveyapp.extensions import db
from surveyapp.municipalities.contacts import MunicipalityContact
from surveyapp.municipalities.models import Municipality
from surveyapp.questionnaires.definition import Definition
from surveyapp.questionnaires.models import Questionnaire
from surveyapp.questionnaires.protocol import Scenario
from surveyapp.questionnaires.store import definition_of, latest_version
from surveyapp.questionnaires.survey import Question
from surveyapp.servicetest.models import TestAssignment, TestResult, TestRound
from surveyapp.servicetest.operations import protocol_in
from surveyapp.servicetest.planning import plan_round
from surveyapp.surveys.models import Answer, Response, SurveyRound

SEED = 20261124
HOME = "5501"  # Tromsø
PEERS = [
    "1804",
    "1806",
    "5503",
    "5601",
    "1506",
    "1508",
    "3201",
    "3203",
    "3909",
    "4036",
    "4633",
    "5032",
    "1103",
    "4601",
    "5001",
    "0301",
    "3301",
    "1577",
    "4204",
    "3407",
]
YEARS = [2022, 2023, 2024, 2025, 2026]
DEMO_PASSWORD = "Fjordtur-i-solskinn-2026"
DEMO_LOGINS = [
    ("admin", "admin@demo.surveyapp.no", DEMO_PASSWORD),
    ("planner", "planlegger@demo.surveyapp.no", DEMO_PASSWORD),
    ("caller", "testringer@demo.surveyapp.no", DEMO_PASSWORD),
]
EXTRA_CALLERS = ["testringer2@demo.surveyapp.no", "testringer3@demo.surveyapp.no"]
DEMO_TEXTS = [
    "Demodata: Lengre åpningstid på servicetorget.",
    "Demodata: Raskere svar på e-post.",
    "Demodata: Enklere skjema på nettsiden.",
    "Demodata: Takk for god hjelp!",
]


class DemoRefused(RuntimeError):
    """Demo data is only for demo mode and an empty database."""


def _check_allowed() -> None:
    if not current_app.config["SURVEYAPP_DEMO"]:
        raise DemoRefused("demo data is only created in demo mode (set SURVEYAPP_DEMO=1)")
    if db.session.scalar(sa.select(sa.func.count()).select_from(SurveyRound)):
        raise DemoRefused("the database already has survey rounds; demo data not added")


def _questionnaire(code: str) -> Questionnaire:
    found = latest_version(code)
    if found is None:
        raise DemoRefused(f"questionnaire '{code}' is not loaded; run questionnaires load")
    return found


def _shown(question: Question, given: dict[str, list[str]]) -> bool:
    condition = question.show_if
    if condition is None:
        return True
    chosen = given.get(condition.question, [])
    return any(str(v) in chosen for v in condition.values)


def _answer_rows(
    definition: Definition, rng: random.Random, satisfied_p: float
) -> list[dict[str, Any]]:
    """Plausible answers to every shown question, as answer-row dicts (no ids yet)."""
    indicator = definition.indicator
    rows: list[dict[str, Any]] = []
    given: dict[str, list[str]] = {}
    for q in definition.questions:
        if not _shown(q, given):
            continue
        if not q.required and rng.random() < 0.08:
            continue
        row: dict[str, Any] = {
            "question_code": q.code,
            "option": None,
            "value_num": None,
            "value_text": None,
        }
        if q.type == "rating":
            if q.dont_know and rng.random() < 0.03:
                row["option"] = "dont_know"
            else:
                values = [int(o.value) for o in q.options]
                top = values[-2:]
                if indicator and indicator.question == q.code:
                    top = [int(v) for v in indicator.satisfied]
                p = satisfied_p if rng.random() < 0.9 else satisfied_p - 0.1
                rest = [v for v in values if v not in top]
                value = rng.choice(top) if rng.random() < p or not rest else rng.choice(rest)
                row["option"], row["value_num"] = str(value), float(value)
        elif q.type in ("single", "multiple"):
            picks = [rng.choice(q.options)]
            if q.type == "multiple" and len(q.options) > 1 and rng.random() < 0.4:
                picks = rng.sample(list(q.options), 2)
            for option in picks:
                rows.append({**row, "option": str(option.value)})
            given[q.code] = [str(o.value) for o in picks]
            continue
        elif q.type == "yesno":
            choice = "yes" if rng.random() < 0.75 else ("no" if rng.random() < 0.8 else "dont_know")
            if choice == "dont_know" and not q.dont_know:
                choice = "no"
            row["option"] = choice
            row["value_num"] = {"yes": 1.0, "no": 0.0}.get(choice)
        elif q.type == "number":
            low = float(q.settings.get("min", 0) or 0)
            high = float(q.settings.get("max", low + 100) or low + 100)
            row["value_num"] = float(round(rng.uniform(low, high)))
        elif q.type == "duration":
            row["value_num"] = float(int(rng.expovariate(1 / 240)))
        elif q.type == "text":
            if rng.random() > 0.12:
                continue
            row["value_text"] = rng.choice(DEMO_TEXTS)
        else:  # date and datetime questions are left unanswered in the demo
            continue
        if row["option"] is not None:
            given[q.code] = [row["option"]]
        rows.append(row)
    return rows


def _seed_survey(questionnaire: Questionnaire) -> tuple[int, int]:
    definition = definition_of(questionnaire)
    rng = random.Random(SEED)
    nprng = np.random.default_rng(SEED)
    municipalities = [HOME, *PEERS]
    base_level = {code: 0.62 + 0.22 * float(nprng.random()) for code in municipalities}
    base_level[HOME] = 0.74
    rounds = responses = 0
    for year in YEARS:
        for code in municipalities:
            survey_round = SurveyRound(
                slug=f"demo-{code}-{year}",
                title=f"Demodata – Innbyggerundersøkelse {year}",
                questionnaire_id=questionnaire.id,
                year=year,
                period=f"{year}",
                opens_at=datetime(year, 3, 1, tzinfo=UTC),
                closes_at=datetime(year, 4, 30, tzinfo=UTC),
                access="open",
                status="closed",
                target=definition.indicator.target if definition.indicator else 0.8,
                language="nb",
                is_demo=True,
            )
            survey_round.municipalities = [db.session.get(Municipality, code)]
            db.session.add(survey_round)
            db.session.flush()
            rounds += 1
            trend = 0.012 * (year - YEARS[0]) if code == HOME else 0.0
            satisfied_p = min(base_level[code] + trend, 0.95)
            n = int(nprng.integers(120, 420)) if code != HOME else 380 + 10 * (year - 2022)
            response_rows = []
            all_answers = []
            for i in range(n):
                day = survey_round.opens_at + timedelta(days=rng.randrange(0, 58))  # type: ignore[operator]
                response_rows.append(
                    {
                        "round_id": survey_round.id,
                        "municipality_code": code,
                        "language": rng.choices(["nb", "nn", "en"], [0.85, 0.1, 0.05])[0],
                        "submitted": day,
                        "submission_key": sha256(
                            f"demo-{survey_round.slug}-{i}".encode()
                        ).hexdigest(),
                    }
                )
                all_answers.append(_answer_rows(definition, rng, satisfied_p))
            ids = db.session.scalars(
                sa.insert(Response).returning(Response.id, sort_by_parameter_order=True),
                response_rows,
            ).all()
            answer_rows = [
                {**row, "response_id": rid, "round_id": survey_round.id, "municipality_code": code}
                for rid, rows in zip(ids, all_answers, strict=True)
                for row in rows
            ]
            db.session.execute(sa.insert(Answer.__table__), answer_rows)
            responses += n
    # The current year's home round is open, so the public survey can be tried.
    current = db.session.scalar(
        sa.select(SurveyRound).where(SurveyRound.slug == f"demo-{HOME}-2026")
    )
    if current is not None:
        current.status = "open"
        current.closes_at = datetime(2026, 12, 31, 23, 0, tzinfo=UTC)
    return rounds, responses


def _demo_record(
    channel: str, scenario: Scenario, due: datetime, rng: random.Random, quality: float
) -> dict[str, Any]:
    checkpoints = list(scenario.checkpoint_codes)
    covered = [c for c in checkpoints if rng.random() < quality]
    if channel == "phone":
        first_reached = rng.random() < 0.8 + 0.15 * quality
        attempts = [
            {
                "at": due.isoformat(),
                "reached": first_reached,
                "waiting_seconds": rng.randrange(5, 200) if first_reached else None,
            }
        ]
        if not first_reached:
            later = due + timedelta(hours=2)
            reached = rng.random() < 0.7
            attempts.append(
                {
                    "at": later.isoformat(),
                    "reached": reached,
                    "waiting_seconds": rng.randrange(5, 230) if reached else None,
                }
            )
        return {
            "attempts": attempts,
            "answered_first_contact": rng.random() < quality,
            "checkpoints_covered": covered,
            "referred_correctly": rng.random() < 0.8,
            "courtesy": min(3, max(0, round(rng.gauss(1.5 + 1.5 * quality, 0.6)))),
        }
    if channel == "email":
        sent = due
        replied = None
        if rng.random() < 0.9:
            replied = (
                sent + timedelta(hours=rng.expovariate(1 / (30 + 60 * (1 - quality))))
            ).isoformat()
        return {
            "sent_at": sent.isoformat(),
            "replied_at": replied,
            "checkpoints_covered": covered,
            "courtesy": min(3, max(0, round(rng.gauss(1.5 + 1.5 * quality, 0.6)))),
        }
    found = rng.random() < 0.5 + 0.45 * quality
    return {
        "found": found,
        "seconds": rng.randrange(10, 115) if found else 120,
        "quality": min(3, max(0, round(rng.gauss(3 * quality, 0.5)))) if found else None,
    }


def _seed_service_test(protocol_q: Questionnaire, caller_ids: list[int], demo_caller: int) -> int:
    protocol = protocol_in(protocol_q)
    all_codes = list(db.session.scalars(sa.select(Municipality.code).order_by(Municipality.code)))
    rng = random.Random(SEED + 1)
    others = [c for c in all_codes if c not in {HOME, *PEERS}]
    chosen = sorted({HOME, *PEERS, *rng.sample(others, 50 - 1 - len(PEERS))})
    test_round = TestRound(
        title="Demodata – Servicetest 2026",
        protocol_id=protocol_q.id,
        year=2026,
        starts_on=date(2026, 9, 7),
        ends_on=date(2026, 10, 30),
        status="running",
        seed=SEED,
        selection={"mode": "list", "codes": chosen},
        is_demo=True,
    )
    test_round.municipalities = list(
        db.session.scalars(sa.select(Municipality).where(Municipality.code.in_(chosen)))
    )
    db.session.add(test_round)
    db.session.flush()
    plan = plan_round(protocol, chosen, caller_ids, test_round.starts_on, test_round.ends_on, SEED)
    scenarios = {s.code: s for s in protocol.scenarios}
    quality = {code: 0.35 + 0.6 * rng.random() for code in chosen}
    rows = [
        {
            "test_round_id": test_round.id,
            "municipality_code": p.municipality,
            "scenario_code": p.scenario,
            "sector": p.sector,
            "channel": p.channel,
            "tester_slot": p.tester_slot,
            "caller_id": p.caller,
            "due_at": p.due_at,
            "status": "open",
        }
        for p in plan
    ]
    ids = db.session.scalars(
        sa.insert(TestAssignment).returning(TestAssignment.id, sort_by_parameter_order=True), rows
    ).all()
    results = []
    done_ids = []
    left_for_demo = 0
    for assignment_id, p in zip(ids, plan, strict=True):
        # Leave a few of the demo caller's contacts open so they can be recorded live.
        if p.caller == demo_caller and left_for_demo < 6 and p.channel != "web":
            left_for_demo += 1
            continue
        record = _demo_record(
            p.channel, scenarios[p.scenario], p.due_at, rng, quality[p.municipality]
        )
        results.append(
            {"assignment_id": assignment_id, "record": record, "recorded_by_id": p.caller}
        )
        done_ids.append(assignment_id)
    db.session.execute(sa.insert(TestResult.__table__), results)
    db.session.execute(
        sa.update(TestAssignment).where(TestAssignment.id.in_(done_ids)).values(status="done")
    )
    return len(plan)


def _slug(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name.translate(_FOLD))
    plain = folded.encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-") or "kommune"


_FOLD = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "Æ": "ae", "Ø": "o", "Å": "a"})


def _seed_contacts() -> int:
    """Fictitious contact details for every municipality, labelled as such: phone numbers
    starting +47 00 (no Norwegian number does), addresses under the reserved ``.example``
    top-level domain (RFC 2606), so nothing a demo caller clicks reaches anyone."""
    rows = []
    for code, name in db.session.execute(
        sa.select(Municipality.code, Municipality.name).order_by(Municipality.code)
    ):
        host = f"{_slug(name)}.kommune.example"
        rows.append(
            {
                "municipality_code": code,
                "phone": f"+4700{code}00",
                "email": f"postmottak@{host}",
                "website": f"https://{host}/",
                "is_fictitious": True,
            }
        )
    db.session.execute(sa.insert(MunicipalityContact.__table__), rows)
    return len(rows)


def seed_demo() -> str:
    """Create the demo data; refuses outside demo mode or on a database with rounds."""
    _check_allowed()
    users = {}
    for role, email, password in DEMO_LOGINS:
        codes = [HOME] if role == "planner" else []
        users[role] = create_user(None, email, f"Demo {role}", role, password, codes, is_demo=True)
    extra = [
        create_user(None, email, "Demo caller", "caller", DEMO_PASSWORD, is_demo=True)
        for email in EXTRA_CALLERS
    ]
    contacts_seeded = _seed_contacts()
    rounds, responses = _seed_survey(_questionnaire("citizen-satisfaction"))
    callers = [users["caller"].id, *[u.id for u in extra]]
    contacts = _seed_service_test(
        _questionnaire("servicetest-protocol"), callers, users["caller"].id
    )
    db.session.flush()
    return (
        f"{len(DEMO_LOGINS) + len(extra)} demo accounts, {rounds} survey rounds, "
        f"{responses} responses, 1 service-test round with {contacts} contacts, "
        f"fictitious contact details for {contacts_seeded} municipalities"
    )
