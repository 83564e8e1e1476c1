"""Invitation letters as a background job: tokens and letters first, rows last.

``prepare`` reads the round and the letter's wording. ``build`` makes the tokens,
renders the letters PDF and the CSV of links and writes the ZIP (mode 0600) with
no transaction open: thousands of letters take a while, and citizens keep
answering meanwhile. ``store`` checks the round again and inserts the invitations'
hashes in the job's one short write transaction. A failure anywhere leaves no
invitation without its letter, and no file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from surveyapp.extensions import db
from surveyapp.jobs import JobError, JobKind, JobOutput, JobRun, register_kind
from surveyapp.questionnaires.store import definition_of
from surveyapp.surveys import letters, rounds
from surveyapp.surveys.admin_forms import LOCAL_ZONE
from surveyapp.surveys.models import SurveyRound
from surveyapp.surveys.tokens import new_token
from surveyapp.web.i18n import pick

KIND = "invitations"
ZIP = "application/zip"
_TOKEN_PLACEHOLDER = "TOKEN"


@dataclass(frozen=True)
class Plan:
    """What the letters need, read before the long work starts."""

    round_id: int
    municipality_code: str
    count: int
    text: letters.LetterText
    link_prefix: str  # the invitation link without its token
    file_name: str


@dataclass(frozen=True)
class Built:
    plan: Plan
    tokens: tuple[str, ...]


def params(survey_round: SurveyRound, municipality_code: str, count: int) -> dict[str, object]:
    """The job's parameters (what the view validated)."""
    return {"round_id": survey_round.id, "municipality": municipality_code, "count": count}


def _round(round_id: int) -> SurveyRound:
    survey_round = db.session.scalar(
        sa.select(SurveyRound)
        .options(selectinload(SurveyRound.municipalities), selectinload(SurveyRound.questionnaire))
        .where(SurveyRound.id == round_id)
    )
    if survey_round is None:
        raise JobError("round_gone")
    return survey_round


def _link_prefix() -> str:
    base = str(current_app.config["SURVEYAPP_BASE_URL"]).rstrip("/")
    path = current_app.url_map.bind("localhost").build(
        "surveys.invitation", {"token": _TOKEN_PLACEHOLDER}
    )
    return base + path.removesuffix(_TOKEN_PLACEHOLDER)


def prepare(run: JobRun) -> Plan:
    code = str(run.params["municipality"])
    count = int(run.params["count"])
    survey_round = _round(int(run.params["round_id"]))
    try:
        rounds.check_invitations(survey_round, code, count)
    except rounds.RoundError as err:
        raise JobError(err.reason) from err
    municipality = next(m for m in survey_round.municipalities if m.code == code)
    definition = definition_of(survey_round.questionnaire)
    language = survey_round.language
    text = letters.letter_text(
        language, municipality.name, pick(definition.title, language), survey_round.closes_at
    )
    today = datetime.now(LOCAL_ZONE).date().isoformat()
    return Plan(
        round_id=survey_round.id,
        municipality_code=code,
        count=count,
        text=text,
        link_prefix=_link_prefix(),
        file_name=f"invitasjoner-{code}-{survey_round.slug}-{today}.zip",
    )


def build(run: JobRun, plan: Plan) -> Built:
    tokens = tuple(new_token() for _ in range(plan.count))
    links = [plan.link_prefix + token for token in tokens]
    run.progress(0, plan.count)
    pdf = letters.letters_pdf(plan.text, links, progress=lambda done: run.progress(done))
    with run.open_output() as out:
        letters.write_invitation_zip(out, letters.links_csv(links), pdf)
    return Built(plan, tokens)


def store(run: JobRun, built: Built) -> JobOutput:
    plan = built.plan
    survey_round = _round(plan.round_id)
    try:
        # Checked again: the round may have been closed while the letters were made.
        rounds.issue_invitations(run.owner_id, survey_round, plan.municipality_code, built.tokens)
    except rounds.RoundError as err:
        raise JobError(err.reason) from err
    return JobOutput(name=plan.file_name, mimetype=ZIP)


register_kind(
    JobKind(
        name=KIND,
        prepare=prepare,
        build=build,
        store=store,
        title=_l("Invitation letters"),
        progress_text=lambda done, total: _(
            "%(done)s of %(total)s letters made", done=done, total=total
        ),
        messages={
            "round_gone": _l("The round no longer exists."),
            "not_invitation_round": _l(
                "This round is answered through an open link, not invitations."
            ),
            "closed_is_final": _l("The round is closed: no more invitations can be made."),
            "unknown_municipality": _l("Choose municipalities from the list."),
            "bad_count": _l(
                "Choose a number of invitations from 1 to %(max)s.", max=rounds.MAX_INVITATIONS
            ),
        },
    )
)
