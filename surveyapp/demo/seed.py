"""Seeded, fictitious demo data: the same every run, labelled wherever it shows.

A home municipality (Tromsø) with citizen-survey rounds for six years, each stored under
the number Tromsø had that year (1902 until 2019, 5401 in 2020–2023, 5501 since), twenty
peer municipalities with rounds of the same questionnaire, Indre Østfold with its five
predecessors asked in 2019 (a merger: a break), and a service-test round over fifty
municipalities with most contacts recorded and some left for the demo caller.
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
from surveyapp.municipalities.lookup import history
from surveyapp.municipalities.models import Municipality
from surveyapp.questionnaires import types as question_types
from surveyapp.questionnaires.definition import Definition
from surveyapp.questionnaires.models import Questionnaire
from surveyapp.questionnaires.protocol import Scenario
from surveyapp.questionnaires.store import definition_of, latest_version
from surveyapp.questionnaires.survey import Question
from surveyapp.questionnaires.types.base import DemoContext
from surveyapp.servicetest.models import TestAssignment, TestResult, TestRound, TestUnit
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
HOME_EARLIER = [2019]  # before the peers' rounds: Tromsø's trend runs on through 1902
MERGED = "3118"  # Indre Østfold: its predecessors asked in 2019, itself since 2025
MERGED_YEARS = [2025, 2026]
DEMO_PASSWORD = "Fjordtur-i-solskinn-2026"
DEMO_LOGINS = [
    ("admin", "admin@demo.surveyapp.no", DEMO_PASSWORD),
    ("planner", "planlegger@demo.surveyapp.no", DEMO_PASSWORD),
    ("caller", "testringer@demo.surveyapp.no", DEMO_PASSWORD),
]
EXTRA_CALLERS = ["testringer2@demo.surveyapp.no", "testringer3@demo.surveyapp.no"]
# Names, not roles: a name reads the same in bokmål, nynorsk and English.
DEMO_NAMES = {"admin": "Anne Demo", "planner": "Kari Demo", "caller": "Ola Demo"}
EXTRA_CALLER_NAMES = ["Per Demo", "Liv Demo"]
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
        satisfied = indicator.satisfied if indicator and indicator.question == q.code else None
        demo = DemoContext(rng, satisfied_p, satisfied, tuple(DEMO_TEXTS))
        answered = question_types.get(q.type).demo_rows(q, demo)
        options = [r["option"] for r in answered if r["option"] is not None]
        if options:
            given[q.code] = options
        rows.extend(answered)
    return rows


def _number_then(code: str, year: int) -> str:
    """The number a municipality had in a year (its rounds are stored under it)."""
    lineage = history().current(code)
    return lineage.period_in(year).code if lineage is not None else code


def _plan() -> list[tuple[int, str, str]]:
    """(year, number then, today's number) of every demo round."""
    plan = [(year, _number_then(HOME, year), HOME) for year in HOME_EARLIER]
    for year in YEARS:
        plan += [(year, _number_then(code, year), code) for code in [HOME, *PEERS]]
    merged = history().current(MERGED)
    formation = history().formation(merged) if merged is not None else None
    if formation is not None:
        plan += [(2019, p.lineage.code, p.lineage.code) for p in formation.predecessors]
        plan += [(year, MERGED, MERGED) for year in MERGED_YEARS]
    return plan


def _seed_survey(questionnaire: Questionnaire) -> tuple[int, int]:
    definition = definition_of(questionnaire)
    rng = random.Random(SEED)
    nprng = np.random.default_rng(SEED)
    plan = _plan()
    base_level = {today: 0.62 + 0.22 * float(nprng.random()) for _, _, today in plan}
    base_level[HOME] = 0.74
    first_year = min(year for year, _, _ in plan)
    rounds = responses = 0
    for year, code, today in plan:
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
            public_title_nb=f"Innbyggerundersøkelsen {year}",
            public_title_nn=f"Innbyggjarundersøkinga {year}",
            public_title_en=f"Resident survey {year}",
            contact="Demodata: Servicetorget, telefon 00 00 00 00, post@demo.surveyapp.no",
        )
        survey_round.municipalities = [db.session.get(Municipality, code)]
        db.session.add(survey_round)
        db.session.flush()
        rounds += 1
        trend = 0.012 * (year - first_year) if today == HOME else 0.0
        satisfied_p = min(base_level[today] + trend, 0.95)
        n = int(nprng.integers(120, 420)) if today != HOME else 380 + 10 * (year - 2022)
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
                    "submission_key": sha256(f"demo-{survey_round.slug}-{i}".encode()).hexdigest(),
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
    all_codes = list(
        db.session.scalars(
            sa.select(Municipality.code).where(Municipality.current).order_by(Municipality.code)
        )
    )
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
        sa.select(Municipality.code, Municipality.name)
        .where(Municipality.current)  # not the numbers no longer in use
        .order_by(Municipality.code)
    ):
        host = f"{_slug(name)}.kommune.example"
        rows.append(
            {
                "municipality_code": code,
                "unit_code": "",
                "phone": f"+4700{code}00",
                "email": f"postmottak@{host}",
                "website": f"https://{host}/",
                "is_fictitious": True,
            }
        )
    # Oslo's districts (test units) with details of their own, fictitious the same way.
    for code, municipality, name in db.session.execute(
        sa.select(TestUnit.code, TestUnit.municipality_code, TestUnit.name).order_by(TestUnit.code)
    ):
        host = f"{_slug(name)}.bydel.kommune.example"
        rows.append(
            {
                "municipality_code": municipality,
                "unit_code": code,
                "phone": f"+4700{code}",
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
        users[role] = create_user(
            None, email, DEMO_NAMES[role], role, password, codes, is_demo=True
        )
    extra = [
        create_user(None, email, name, "caller", DEMO_PASSWORD, is_demo=True)
        for email, name in zip(EXTRA_CALLERS, EXTRA_CALLER_NAMES, strict=True)
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
