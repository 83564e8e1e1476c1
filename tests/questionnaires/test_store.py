"""A stored questionnaire version is parsed once per process, not on every request."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from surveyapp.extensions import db
from surveyapp.questionnaires import store
from surveyapp.questionnaires.definition import Definition


def test_a_stored_version_is_parsed_once(
    questionnaires: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[str] = []
    real = store.parse_definition

    def counting(text: str | bytes, filename: str) -> Definition:
        parsed.append(filename)
        return real(text, filename)

    monkeypatch.setattr(store, "parse_definition", counting)
    monkeypatch.setattr(store, "_DEFINITION_CACHE", {})
    survey = store.latest_version("citizen-satisfaction")
    protocol = store.latest_version("servicetest-protocol")
    assert survey is not None and protocol is not None

    first = store.definition_of(survey)
    for _ in range(3):
        assert store.definition_of(survey) is first
        assert store.definition_for(survey.id, survey.content_hash) is first
    assert store.definition_of(protocol).protocol is store.definition_of(protocol).protocol
    assert parsed == [f"citizen-satisfaction v{survey.version}", "servicetest-protocol v1"]


def test_a_new_version_is_parsed_on_its_own(
    questionnaires: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "_DEFINITION_CACHE", {})
    old = store.latest_version("citizen-satisfaction")
    assert old is not None
    before = store.definition_of(old)
    raw: dict[str, Any] = {**old.definition, "source": "a new source"}
    text = yaml.safe_dump(raw, allow_unicode=True, sort_keys=False)
    outcome = store.store_definition(store.parse_definition(text, "new.yaml"), "new.yaml")
    db.session.commit()
    new = outcome.questionnaire
    assert new.version == old.version + 1
    after = store.definition_of(new)
    assert after is not before and after.source == "a new source"
    assert store.definition_of(old) is before
