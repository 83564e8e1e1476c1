"""The printable report (PDF) of the planner's dashboard, as a download.

Same query arguments and access rules as the dashboard (``loading.report_for_request``):
planners only for their own municipalities. Every download is in the audit trail.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, Response, request
from flask_login import current_user

from surveyapp.accounts.access import PLANNER, access
from surveyapp.audit.operations import record
from surveyapp.exports.report_pdf import PrintFacts, RoundFacts, build_pdf
from surveyapp.extensions import db
from surveyapp.municipalities.models import Municipality
from surveyapp.municipalities.web import follow_old_numbers
from surveyapp.questionnaires.models import Questionnaire
from surveyapp.results.loading import report_for_request
from surveyapp.results.report import MunicipalityReport
from surveyapp.surveys.models import Invitation, SurveyRound
from surveyapp.surveys.models import Response as SurveyResponse
from surveyapp.web.templating import current_language

bp = Blueprint("reportpdf", __name__, url_prefix="/results")
follow_old_numbers(bp)

LOCAL_ZONE = ZoneInfo("Europe/Oslo")
_FOLD = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "Æ": "ae", "Ø": "o", "Å": "a"})


def slug(text: str) -> str:
    """ASCII for a file name: "Tromsø" -> "tromso", "Harstad - Hárstták" -> "harstad-harsttak"."""
    folded = unicodedata.normalize("NFKD", text.translate(_FOLD))
    ascii_text = folded.encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")


def _local_date(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(LOCAL_ZONE)


def print_facts(report: MunicipalityReport) -> PrintFacts:
    """The rounds behind the report's year, their invitations, and whether it is demo data."""
    codes = report.data_codes
    of_questionnaire = sa.select(Questionnaire.id).where(
        Questionnaire.code == report.questionnaire_code
    )
    rounds = list(
        db.session.scalars(
            sa.select(SurveyRound)
            .where(
                SurveyRound.questionnaire_id.in_(of_questionnaire),
                SurveyRound.year == report.year,
                SurveyRound.municipalities.any(Municipality.code.in_(codes)),
            )
            .order_by(SurveyRound.opens_at, SurveyRound.id)
        )
    )
    ids = [r.id for r in rounds]
    invitations: dict[int, tuple[int, int]] = {}
    if any(r.access == "invitation" for r in rounds):
        invitations = {
            int(round_id): (int(issued), int(used))
            for round_id, issued, used in db.session.execute(
                sa.select(
                    Invitation.round_id,
                    sa.func.count(Invitation.id),
                    # Answers sent, not links used to start (docs/privacy.md): the
                    # responses of the round in this municipality.
                    sa.select(sa.func.count(SurveyResponse.id))
                    .where(
                        SurveyResponse.round_id == Invitation.round_id,
                        SurveyResponse.municipality_code.in_(codes),
                    )
                    .scalar_subquery(),
                )
                .where(Invitation.round_id.in_(ids), Invitation.municipality_code.in_(codes))
                .group_by(Invitation.round_id)
            )
        }
    demo = report.demo
    facts = []
    for r in rounds:
        opens, closes = _local_date(r.opens_at), _local_date(r.closes_at)
        issued, answered = invitations.get(r.id, (0, 0))
        facts.append(
            RoundFacts(
                title=r.title,
                period=r.period,
                opens_on=opens.date() if opens else None,
                closes_on=closes.date() if closes else None,
                by_invitation=r.access == "invitation",
                issued=issued,
                answered=answered,
            )
        )
    return PrintFacts(generated_on=datetime.now(LOCAL_ZONE).date(), rounds=facts, demo=demo)


@bp.get("/<code>/report.pdf")
@access(PLANNER)
def report_pdf(code: str) -> Response:
    report = report_for_request(code)
    language = current_language()
    facts = print_facts(report)
    body = build_pdf(report, language, facts)
    record(
        current_user.id,
        "download",
        "export",
        f"{code}-{report.year}-pdf",
        new={
            "format": "pdf",
            "questionnaire": report.questionnaire_code,
            "year": report.year,
            "language": language,
            "peers": request.args.get("peers", "all"),
        },
    )
    db.session.commit()
    name = slug(report.municipality.name)
    filename = (
        f"rapport-{code}-{name}-{slug(report.questionnaire_code)}-{report.year}-"
        f"{facts.generated_on.isoformat()}.pdf"
    )
    response = Response(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
