"""Store questionnaire definitions as versions; adds and flushes, never commits."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
import yaml

from surveyapp.extensions import db
from surveyapp.questionnaires.definition import Definition, parse_definition
from surveyapp.questionnaires.models import QuestionFingerprint, Questionnaire


@dataclass(frozen=True)
class StoreOutcome:
    questionnaire: Questionnaire
    created: bool
    changed_questions: tuple[str, ...]  # codes whose fingerprint differs from the last version


def latest_version(code: str) -> Questionnaire | None:
    return db.session.scalar(
        sa.select(Questionnaire)
        .where(Questionnaire.code == code)
        .order_by(Questionnaire.version.desc())
        .limit(1)
    )


def store_definition(definition: Definition, source_file: str) -> StoreOutcome:
    """Store a definition as a new version unless the same content is already stored."""
    same = db.session.scalar(
        sa.select(Questionnaire).where(
            Questionnaire.code == definition.code,
            Questionnaire.content_hash == definition.content_hash,
        )
    )
    if same is not None:
        return StoreOutcome(same, False, ())
    previous = latest_version(definition.code)
    old_prints = {q.code: q.fingerprint for q in previous.questions} if previous else {}
    questionnaire = Questionnaire(
        code=definition.code,
        version=(previous.version + 1) if previous else 1,
        kind=definition.kind,
        title_nb=definition.title["nb"][:300],
        definition=definition.raw,
        content_hash=definition.content_hash,
        source_file=Path(source_file).name,
    )
    questionnaire.questions = [
        QuestionFingerprint(
            code=question.code,
            position=position,
            type=question.type,
            fingerprint=question.fingerprint,
        )
        for position, question in enumerate(definition.questions)
    ]
    db.session.add(questionnaire)
    db.session.flush()
    changed = tuple(
        q.code
        for q in definition.questions
        if q.code in old_prints and old_prints[q.code] != q.fingerprint
    )
    return StoreOutcome(questionnaire, True, changed)


# Each stored version is parsed once per process: every request after that reads the
# same frozen Definition (and its Protocol). Keyed by id and content hash, so another
# database reusing an id with other content is parsed on its own.
_DEFINITION_CACHE: dict[tuple[int, str], Definition] = {}


def definition_for(questionnaire_id: int, content_hash: str) -> Definition:
    """The parsed definition of a stored version, read only when not yet cached."""
    cached = _DEFINITION_CACHE.get((questionnaire_id, content_hash))
    if cached is not None:
        return cached
    questionnaire = db.session.get(Questionnaire, questionnaire_id)
    if questionnaire is None:
        raise LookupError(f"no questionnaire with id {questionnaire_id}")
    return definition_of(questionnaire)


def definition_of(questionnaire: Questionnaire) -> Definition:
    """The parsed definition of a stored version (validated again, cached per content)."""
    key = (questionnaire.id, questionnaire.content_hash)
    cached = _DEFINITION_CACHE.get(key)
    if cached is None:
        cached = parse_definition(
            yaml.safe_dump(questionnaire.definition, allow_unicode=True, sort_keys=False),
            f"{questionnaire.code} v{questionnaire.version}",
        )
        _DEFINITION_CACHE[key] = cached
    return cached
