"""A round shared by Tromsø (5501) and Bodø (1804): each planner acts only on what is theirs.

The rule (surveyapp/accounts/scope.py): a planner sees a round that includes one of
their municipalities, and its figures for those municipalities only; a planner changes
a round only when every municipality in it is theirs. A shared round is changed by an
admin (or by a planner who has all its municipalities).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient

from surveyapp.extensions import db
from surveyapp.models import Response, SurveyRound
from tests.surveys.test_rounds_admin import in_english, round_form

TROMSO, BODO = "5501", "1804"


@pytest.fixture
def tromso(
    questionnaires: None, make_user: Callable[..., Any], login: Callable[[Any], FlaskClient]
) -> FlaskClient:
    """The Tromsø planner, logged in, pages in English."""
    return in_english(login(make_user("planner", municipalities=[TROMSO])))


@pytest.fixture
def admin(
    questionnaires: None, make_user: Callable[..., Any], login: Callable[[Any], FlaskClient]
) -> FlaskClient:
    return in_english(login(make_user("admin")))


def _respond(survey_round: SurveyRound, code: str, language: str, count: int) -> None:
    for number in range(count):
        db.session.add(
            Response(
                round_id=survey_round.id,
                municipality_code=code,
                language=language,
                submitted=datetime(2026, 3, 2, tzinfo=UTC),
                submission_key=f"{code}{language}{number}".ljust(64, "0"),
            )
        )
    db.session.commit()


def _status_of(survey_round: SurveyRound) -> str:
    db.session.refresh(survey_round)
    return survey_round.status


@pytest.mark.parametrize(
    ("status", "form"),
    [
        ("open", {"status": "paused"}),
        ("open", {"status": "closed", "confirm": "y"}),
        ("paused", {"status": "open"}),
        ("draft", {"status": "open"}),
    ],
)
def test_tromso_planner_cannot_open_pause_or_close_a_shared_round(
    tromso: FlaskClient,
    make_round: Callable[..., SurveyRound],
    status: str,
    form: dict[str, str],
) -> None:
    shared = make_round(municipalities=[TROMSO, BODO], status=status)
    assert tromso.post(f"/rounds/{shared.id}/status", data=form).status_code == 403
    assert _status_of(shared) == status


def test_tromso_planner_cannot_edit_or_remove_bodo_from_a_shared_draft(
    tromso: FlaskClient, make_round: Callable[..., SurveyRound]
) -> None:
    shared = make_round(municipalities=[TROMSO, BODO], status="draft", title="Felles runde")
    assert tromso.get(f"/rounds/{shared.id}/edit").status_code == 403
    response = tromso.post(
        f"/rounds/{shared.id}/edit", data=round_form(municipalities=[TROMSO], title="Bare Tromsø")
    )
    assert response.status_code == 403
    db.session.refresh(shared)
    assert [m.code for m in shared.municipalities] == [BODO, TROMSO]
    assert shared.title == "Felles runde"


def test_tromso_planner_sees_the_shared_round_without_controls_or_bodos_counts(
    tromso: FlaskClient, make_round: Callable[..., SurveyRound]
) -> None:
    shared = make_round(municipalities=[TROMSO, BODO], status="open", title="Felles runde")
    _respond(shared, TROMSO, "nb", 2)
    _respond(shared, BODO, "nn", 3)

    page = tromso.get(f"/rounds/{shared.id}").get_data(as_text=True)
    assert "Felles runde" in page
    assert "Only an administrator can change its settings" in page
    assert "Figures for your own municipalities only." in page
    assert "Pause the round" not in page and "Close the round" not in page
    assert f'action="/rounds/{shared.id}/status"' not in page
    assert "2 responses in total" in page
    assert re.search(r'Tromsø \(5501\)</th>\s*<td class="num">2</td>', page)
    assert "Bodø (1804)</th>" not in page
    assert re.search(r'Norsk nynorsk</th><td class="num">0</td>', page)  # Bodø's 3 are in nn

    listing = tromso.get("/rounds").get_data(as_text=True)
    row = listing[listing.index("Felles runde") :]
    assert re.search(r'<td class="num">2</td>', row[: row.index("</tr>")])


def test_admin_changes_a_shared_round_and_sees_every_count(
    admin: FlaskClient, make_round: Callable[..., SurveyRound]
) -> None:
    shared = make_round(municipalities=[TROMSO, BODO], status="open")
    _respond(shared, TROMSO, "nb", 2)
    _respond(shared, BODO, "nn", 3)
    page = admin.get(f"/rounds/{shared.id}").get_data(as_text=True)
    assert "5 responses in total" in page and "Bodø (1804)</th>" in page
    assert "Figures for your own municipalities only." not in page
    assert admin.post(f"/rounds/{shared.id}/status", data={"status": "paused"}).status_code == 302
    assert _status_of(shared) == "paused"

    draft = make_round(municipalities=[TROMSO, BODO], status="draft")
    response = admin.post(f"/rounds/{draft.id}/edit", data=round_form(municipalities=[TROMSO]))
    assert response.status_code == 302
    db.session.refresh(draft)
    assert [m.code for m in draft.municipalities] == [TROMSO]


def test_a_planner_with_every_municipality_of_the_round_changes_it(
    questionnaires: None,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    make_round: Callable[..., SurveyRound],
) -> None:
    both = in_english(login(make_user("planner", municipalities=[TROMSO, BODO])))
    shared = make_round(municipalities=[TROMSO, BODO], status="open")
    page = both.get(f"/rounds/{shared.id}").get_data(as_text=True)
    assert "Pause the round" in page and "Only an administrator" not in page
    assert both.post(f"/rounds/{shared.id}/status", data={"status": "paused"}).status_code == 302
    assert _status_of(shared) == "paused"


def test_planner_chooses_only_own_municipalities_when_editing(
    tromso: FlaskClient, make_round: Callable[..., SurveyRound]
) -> None:
    own = make_round(municipalities=[TROMSO], status="draft")
    form = tromso.get(f"/rounds/{own.id}/edit").get_data(as_text=True)
    assert 'value="5501"' in form and 'value="1804"' not in form
    response = tromso.post(f"/rounds/{own.id}/edit", data=round_form(municipalities=[TROMSO, BODO]))
    assert response.status_code == 200
    assert 'class="error-summary"' in response.get_data(as_text=True)
    db.session.refresh(own)
    assert [m.code for m in own.municipalities] == [TROMSO]
