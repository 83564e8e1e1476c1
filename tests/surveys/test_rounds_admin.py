"""Staff run survey rounds: create, edit, open, pause, close, list and preview."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from markupsafe import escape

from surveyapp.extensions import db
from surveyapp.models import AuditEntry, Response, SurveyRound
from surveyapp.questionnaires.store import definition_of, latest_version
from surveyapp.surveys.admin_forms import parse_share
from surveyapp.web.i18n import pick


def _questionnaire_id(code: str = "citizen-satisfaction") -> int:
    questionnaire = latest_version(code)
    assert questionnaire is not None
    return questionnaire.id


def round_form(**overrides: Any) -> dict[str, Any]:
    """A valid new-round form; times are Norwegian local time."""
    data: dict[str, Any] = {
        "questionnaire": str(_questionnaire_id()),
        "municipalities": ["5501"],
        "title": "Innbyggerundersøkelse våren 2026",
        "public_title_nb": "Hva synes du om kommunen? Våren 2026",
        "contact": "Servicetorget, telefon 77 79 00 00",
        "year": "2026",
        "period": "vår",
        "target": "80",
        "opens_at": "01.03.2026 08:00",
        "closes_at": "01.04.2026 16:00",
        "access": "open",
        "language": "nb",
        "time_precision": "date",
    }
    data.update(overrides)
    return data


def _rounds() -> list[SurveyRound]:
    return list(db.session.scalars(sa.select(SurveyRound).order_by(SurveyRound.id)))


def _audit(action: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.action == action, AuditEntry.entity_type == "survey_round")
            .order_by(AuditEntry.id)
        )
    )


def in_english(client: FlaskClient) -> FlaskClient:
    """Staff pages in English, so tests can look for the English messages."""
    client.get("/language/en")
    return client


@pytest.fixture
def admin(
    questionnaires: None, make_user: Callable[..., Any], login: Callable[[Any], FlaskClient]
) -> FlaskClient:
    return in_english(login(make_user("admin")))


@pytest.fixture
def planner(
    questionnaires: None, make_user: Callable[..., Any], login: Callable[[Any], FlaskClient]
) -> FlaskClient:
    """A planner for Tromsø (5501) only."""
    return in_english(login(make_user("planner", municipalities=["5501"])))


# --------------------------------------------------------------------------- creating


def test_admin_creates_a_draft_round_through_the_form(admin: FlaskClient) -> None:
    form = admin.get("/rounds/new").get_data(as_text=True)
    assert "Hva synes du om servicen i kommunen? (citizen-satisfaction v1)" in form
    assert "servicetest-protocol" not in form  # protocols are not run as rounds
    assert 'value="80"' in form  # SURVEYAPP_DEFAULT_TARGET, as a percentage

    response = admin.post(
        "/rounds/new", data=round_form(municipalities=["5501", "0301"], access="invitation")
    )

    (survey_round,) = _rounds()
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/rounds/{survey_round.id}")
    assert survey_round.status == "draft"
    assert survey_round.target == pytest.approx(0.80)
    assert [m.code for m in survey_round.municipalities] == ["0301", "5501"]
    assert survey_round.access == "invitation"
    assert (
        len(survey_round.slug) >= 12
        and survey_round.slug.replace("-", "").replace("_", "").isalnum()
    )
    # Oslo is UTC+1 in March before the switch to summer time, UTC+2 after it.
    assert survey_round.opens_at == datetime(2026, 3, 1, 7, 0, tzinfo=UTC)
    assert survey_round.closes_at == datetime(2026, 4, 1, 14, 0, tzinfo=UTC)
    (entry,) = _audit("create")
    assert entry.entity_type == "survey_round" and entry.entity_id == str(survey_round.id)
    assert entry.new_value is not None
    assert entry.new_value["title"] == "Innbyggerundersøkelse våren 2026"
    assert entry.new_value["municipalities"] == ["0301", "5501"]
    assert entry.new_value["status"] == "draft"


def test_each_round_gets_its_own_random_slug(admin: FlaskClient) -> None:
    admin.post("/rounds/new", data=round_form())
    admin.post("/rounds/new", data=round_form())
    first, second = _rounds()
    assert first.slug != second.slug


@pytest.mark.parametrize(
    ("typed", "share"),
    [("80", 0.80), ("0,8", 0.80), ("0.8", 0.80), ("75,5", 0.755), ("80 %", 0.80), ("5", 0.05)],
)
def test_target_is_read_as_percentage_or_fraction(typed: str, share: float) -> None:
    assert parse_share(typed) == pytest.approx(share)


@pytest.mark.parametrize("typed", ["٨٠", "8⁰", "1e1", "8_0", "inf", "1" * 5000])
def test_target_in_anything_but_ascii_digits_is_unreadable(typed: str) -> None:
    with pytest.raises(ValueError):
        parse_share(typed)


@pytest.mark.parametrize(
    ("field", "typed"),
    [
        ("year", "٢٠٢٦"),  # int() reads Arabic-Indic digits as 2026
        ("year", "2_026"),  # and underscores between digits
        ("year", "2026²"),
        ("year", "9" * 5000),
        ("year", str(2**63)),
        ("target", "٨٠"),
    ],
)
def test_numbers_in_staff_forms_are_ascii_digits(
    admin: FlaskClient, field: str, typed: str
) -> None:
    response = admin.post("/rounds/new?lang=en", data=round_form(**{field: typed}))
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert 'class="error-summary"' in text
    assert "Write a whole number." in text or "Write the target as a percentage" in text
    assert _rounds() == []


@pytest.mark.parametrize("typed", ["100", "0", "1", "0,0", "150", "-10", "abc", "", "nan"])
def test_target_outside_0_to_100_percent_is_refused(admin: FlaskClient, typed: str) -> None:
    response = admin.post("/rounds/new", data=round_form(target=typed))
    assert response.status_code == 200
    assert 'class="error-summary"' in response.get_data(as_text=True)
    assert _rounds() == []


def test_round_must_close_after_it_opens(admin: FlaskClient) -> None:
    response = admin.post(
        "/rounds/new", data=round_form(opens_at="01.03.2026 08:00", closes_at="01.03.2026 08:00")
    )
    assert "The round must close after it opens." in response.get_data(as_text=True)
    assert _rounds() == []


def test_a_round_needs_a_municipality(admin: FlaskClient) -> None:
    response = admin.post("/rounds/new", data=round_form(municipalities=[]))
    assert "Choose at least one municipality." in response.get_data(as_text=True)
    assert _rounds() == []


def test_planner_creates_a_round_for_their_own_municipality(planner: FlaskClient) -> None:
    page = planner.get("/rounds/new").get_data(as_text=True)
    assert 'value="5501"' in page and 'value="0301"' not in page  # only their own to choose
    response = planner.post("/rounds/new", data=round_form())
    assert response.status_code == 302
    (survey_round,) = _rounds()
    assert [m.code for m in survey_round.municipalities] == ["5501"]


@pytest.mark.parametrize("codes", [["0301"], ["5501", "0301"]])
def test_planner_cannot_pick_another_municipality(planner: FlaskClient, codes: list[str]) -> None:
    response = planner.post("/rounds/new", data=round_form(municipalities=codes))
    assert response.status_code == 200
    assert 'class="error-summary"' in response.get_data(as_text=True)
    assert _rounds() == []


# --------------------------------------------------------------------------- authorisation


def test_planner_gets_403_on_another_municipalitys_round(
    planner: FlaskClient, make_round: Callable[..., SurveyRound]
) -> None:
    oslo = make_round(municipalities=["0301"], status="draft", access="invitation")
    for url in (
        f"/rounds/{oslo.id}",
        f"/rounds/{oslo.id}/edit",
        f"/rounds/{oslo.id}/preview",
    ):
        assert planner.get(url).status_code == 403, url
    assert planner.post(f"/rounds/{oslo.id}/status", data={"status": "open"}).status_code == 403
    assert planner.post(f"/rounds/{oslo.id}/edit", data=round_form()).status_code == 403
    invitations = planner.post(f"/rounds/{oslo.id}/invitations", data={"count": "2"})
    assert invitations.status_code == 403
    db.session.refresh(oslo)
    assert oslo.status == "draft"
    assert planner.get("/rounds/999999").status_code == 404


@pytest.mark.parametrize(
    "url", ["/rounds", "/rounds/new", "/questionnaires", "/questionnaires/1/preview"]
)
def test_caller_gets_403(
    questionnaires: None,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    url: str,
) -> None:
    client = login(make_user("caller", municipalities=["5501"]))
    assert client.get(url).status_code == 403


def test_caller_cannot_change_a_round(
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    make_round: Callable[..., SurveyRound],
) -> None:
    survey_round = make_round(status="draft")
    client = login(make_user("caller", municipalities=["5501"]))
    assert client.get(f"/rounds/{survey_round.id}").status_code == 403
    response = client.post(f"/rounds/{survey_round.id}/status", data={"status": "open"})
    assert response.status_code == 403


def test_menu_shows_survey_rounds_to_planners_not_callers(
    questionnaires: None,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    client: FlaskClient,
) -> None:
    login(make_user("planner", municipalities=["5501"]))
    assert 'href="/rounds"' in client.get("/home").get_data(as_text=True)
    client.post("/logout")
    login(make_user("caller"))
    assert 'href="/rounds"' not in client.get("/home").get_data(as_text=True)


# --------------------------------------------------------------------------- status


def _set_status(client: FlaskClient, survey_round: SurveyRound, status: str, **extra: str) -> Any:
    return client.post(
        f"/rounds/{survey_round.id}/status", data={"status": status, **extra}, follow_redirects=True
    )


def test_open_pause_close_are_audited_with_old_and_new_status(
    admin: FlaskClient, make_round: Callable[..., SurveyRound]
) -> None:
    survey_round = make_round(status="draft")
    _set_status(admin, survey_round, "open")
    _set_status(admin, survey_round, "paused")
    _set_status(admin, survey_round, "open")
    page = _set_status(admin, survey_round, "closed", confirm="y").get_data(as_text=True)

    db.session.refresh(survey_round)
    assert survey_round.status == "closed"
    entries = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.entity_type == "survey_round")
        .order_by(AuditEntry.id)
    ).all()
    assert [(e.action, e.old_value, e.new_value) for e in entries] == [
        ("open", {"status": "draft"}, {"status": "open"}),
        ("pause", {"status": "open"}, {"status": "paused"}),
        ("open", {"status": "paused"}, {"status": "open"}),
        ("close", {"status": "open"}, {"status": "closed"}),
    ]
    assert "A closed round cannot be opened again." in page
    assert f'action="/rounds/{survey_round.id}/status"' not in page  # no more buttons


def test_closed_round_cannot_be_reopened(
    admin: FlaskClient, make_round: Callable[..., SurveyRound]
) -> None:
    survey_round = make_round(status="closed")
    for status in ("open", "paused"):
        page = _set_status(admin, survey_round, status).get_data(as_text=True)
        assert "A closed round cannot be opened again." in page
    db.session.refresh(survey_round)
    assert survey_round.status == "closed"
    assert _audit("open") == [] and _audit("pause") == []


def test_closing_needs_confirmation(
    admin: FlaskClient, make_round: Callable[..., SurveyRound]
) -> None:
    survey_round = make_round(status="open")
    page = _set_status(admin, survey_round, "closed").get_data(as_text=True)
    assert "confirm" in page
    db.session.refresh(survey_round)
    assert survey_round.status == "open"


def test_draft_cannot_be_paused(admin: FlaskClient, make_round: Callable[..., SurveyRound]) -> None:
    survey_round = make_round(status="draft")
    _set_status(admin, survey_round, "paused")
    db.session.refresh(survey_round)
    assert survey_round.status == "draft"


def test_unknown_status_is_a_bad_request(
    admin: FlaskClient, make_round: Callable[..., SurveyRound]
) -> None:
    survey_round = make_round(status="draft")
    response = admin.post(f"/rounds/{survey_round.id}/status", data={"status": "draft"})
    assert response.status_code == 400


# --------------------------------------------------------------------------- editing


def test_draft_round_can_be_edited_and_the_change_is_audited(
    admin: FlaskClient, make_round: Callable[..., SurveyRound]
) -> None:
    survey_round = make_round(
        status="draft",
        title="Gammel tittel",
        opens_at=datetime(2026, 3, 1, 7, 0, tzinfo=UTC),
        closes_at=datetime(2026, 6, 30, 21, 59, tzinfo=UTC),
    )
    form = admin.get(f"/rounds/{survey_round.id}/edit").get_data(as_text=True)
    assert 'value="Gammel tittel"' in form
    assert 'value="01.03.2026 08:00"' in form  # Norwegian time, dd.mm.yyyy and 24-hour clock
    assert 'value="30.06.2026 23:59"' in form

    response = admin.post(
        f"/rounds/{survey_round.id}/edit",
        data=round_form(
            title="Ny tittel",
            target="0,75",
            language="en",
            time_precision="hour",
            public_title_en="What do you think of the municipality? Spring 2026",
        ),
    )

    assert response.status_code == 302
    db.session.refresh(survey_round)
    assert survey_round.title == "Ny tittel"
    assert survey_round.target == pytest.approx(0.75)
    assert (survey_round.language, survey_round.time_precision) == ("en", "hour")
    (entry,) = _audit("update")
    assert entry.old_value is not None and entry.new_value is not None
    assert entry.old_value["title"] == "Gammel tittel" and entry.new_value["title"] == "Ny tittel"
    assert "slug" not in entry.new_value  # only what changed


@pytest.mark.parametrize("status", ["open", "paused", "closed"])
def test_only_a_draft_can_be_edited(
    admin: FlaskClient, make_round: Callable[..., SurveyRound], status: str
) -> None:
    survey_round = make_round(status=status, title="Fast tittel")
    page = admin.get(f"/rounds/{survey_round.id}", follow_redirects=True).get_data(as_text=True)
    assert f'href="/rounds/{survey_round.id}/edit"' not in page
    get = admin.get(f"/rounds/{survey_round.id}/edit")
    assert get.status_code == 302
    post = admin.post(
        f"/rounds/{survey_round.id}/edit", data=round_form(title="Endret"), follow_redirects=True
    )
    assert "Only a draft round can be edited." in post.get_data(as_text=True)
    db.session.refresh(survey_round)
    assert survey_round.title == "Fast tittel"
    assert _audit("update") == []


# --------------------------------------------------------------------------- detail and list


def test_detail_shows_the_public_link_and_live_counts(
    admin: FlaskClient, app: Any, make_round: Callable[..., SurveyRound]
) -> None:
    survey_round = make_round(municipalities=["5501", "0301"])
    for code, language in [("5501", "nb"), ("5501", "en"), ("0301", "nn")]:
        db.session.add(
            Response(
                round_id=survey_round.id,
                municipality_code=code,
                language=language,
                submitted=datetime(2026, 3, 2, tzinfo=UTC),
                submission_key=f"{code}{language}".ljust(64, "0"),
            )
        )
    db.session.commit()

    page = admin.get(f"/rounds/{survey_round.id}").get_data(as_text=True)

    assert f"{app.config['SURVEYAPP_BASE_URL']}/s/{survey_round.slug}" in page
    assert "3 responses in total" in page
    assert re.search(r'Tromsø \(5501\)</th>\s*<td class="num">2</td>', page)
    assert re.search(r'Oslo - Oslove \(0301\)</th>\s*<td class="num">1</td>', page)
    assert re.search(r'English</th>\s*<td class="num">1</td>', page)


@contextmanager
def count_queries() -> Iterator[list[str]]:
    statements: list[str] = []

    def before_cursor_execute(*args: Any) -> None:
        statements.append(args[2])

    sa.event.listen(db.engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before_cursor_execute)


def _list_queries(client: FlaskClient, make_round: Callable[..., SurveyRound], n: int) -> int:
    for number in range(n):
        make_round(title=f"Runde {number}", municipalities=["5501", "0301"], year=2020 + number % 7)
    with count_queries() as statements:
        response = client.get("/rounds")
    assert response.status_code == 200
    assert response.get_data(as_text=True).count('<th scope="row"><a href="/rounds/') == min(
        len(_rounds()), 50
    )
    return len(statements)


def test_round_list_makes_the_same_number_of_queries_for_3_and_30_rounds(
    admin: FlaskClient, make_round: Callable[..., SurveyRound]
) -> None:
    few = _list_queries(admin, make_round, 3)
    many = _list_queries(admin, make_round, 27)  # 30 in all
    assert few == many, (few, many)


def test_round_list_is_newest_year_first_with_responses_so_far(
    admin: FlaskClient, make_round: Callable[..., SurveyRound]
) -> None:
    old = make_round(title="Runde 2024", year=2024)
    make_round(title="Runde 2026", year=2026)
    db.session.add(
        Response(
            round_id=old.id,
            municipality_code="5501",
            language="nb",
            submitted=datetime(2024, 3, 2, tzinfo=UTC),
            submission_key="x" * 64,
        )
    )
    db.session.commit()
    page = admin.get("/rounds").get_data(as_text=True)
    assert page.index("Runde 2026") < page.index("Runde 2024")
    assert '<td class="num">1</td>' in page


def test_planner_lists_only_rounds_of_their_municipalities(
    planner: FlaskClient, make_round: Callable[..., SurveyRound]
) -> None:
    make_round(title="Tromsø-runden", municipalities=["5501"])
    make_round(title="Felles runde", municipalities=["0301", "5501"])
    make_round(title="Oslo-runden", municipalities=["0301"])
    page = planner.get("/rounds").get_data(as_text=True)
    assert "Tromsø-runden" in page and "Felles runde" in page
    assert "Oslo-runden" not in page


def test_round_list_is_paginated(
    admin: FlaskClient, make_round: Callable[..., SurveyRound]
) -> None:
    for number in range(51):
        make_round(title=f"Runde nummer {number:02d}")
    first = admin.get("/rounds").get_data(as_text=True)
    second = admin.get("/rounds?page=2").get_data(as_text=True)
    assert first.count('<th scope="row"><a href="/rounds/') == 50
    assert second.count('<th scope="row"><a href="/rounds/') == 1
    assert 'href="/rounds?page=2"' in first


# --------------------------------------------------------------------------- previews


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
@pytest.mark.parametrize("code", ["citizen-satisfaction", "service-office-checklist"])
def test_preview_shows_every_question_in_each_language(
    admin: FlaskClient, make_round: Callable[..., SurveyRound], language: str, code: str
) -> None:
    survey_round = make_round(questionnaire=code, status="draft")
    definition = definition_of(survey_round.questionnaire)

    page = admin.get(f"/rounds/{survey_round.id}/preview?lang={language}").get_data(as_text=True)

    assert f'<div lang="{language}">' in page
    for section in definition.sections:
        assert str(escape(pick(section.title, language))) in page
    for question in definition.questions:
        assert f"<code>{question.code}</code>" in page
        assert str(escape(pick(question.text, language))) in page, question.code
        for option in question.options:
            assert str(escape(pick(option.label, language))) in page


def test_preview_describes_conditions_and_required_questions(
    admin: FlaskClient, make_round: Callable[..., SurveyRound]
) -> None:
    survey_round = make_round(status="draft")
    definition = definition_of(survey_round.questionnaire)
    conditional = next(q for q in definition.questions if q.show_if is not None)
    assert conditional.show_if is not None
    source = definition.question(conditional.show_if.question)

    page = admin.get(f"/rounds/{survey_round.id}/preview?lang=en").get_data(as_text=True)

    assert "Shown only when the answer" in page
    assert f"({source.code})" in page
    assert "Required" in page and "Optional" in page


def test_preview_page_by_page(admin: FlaskClient, make_round: Callable[..., SurveyRound]) -> None:
    survey_round = make_round(status="draft")
    definition = definition_of(survey_round.questionnaire)
    first, second = definition.sections[0], definition.sections[1]
    url = f"/rounds/{survey_round.id}/preview"

    page = admin.get(f"{url}?page=1&lang=en").get_data(as_text=True)

    assert str(escape(first.title["en"])) in page
    assert str(escape(second.title["en"])) not in page
    assert f'href="{url}?page=2"' in page
    assert admin.get(f"{url}?page={len(definition.sections) + 1}").status_code == 404


def test_questionnaire_list_and_preview_before_a_round_exists(admin: FlaskClient) -> None:
    page = admin.get("/questionnaires").get_data(as_text=True)
    questionnaire = latest_version("citizen-satisfaction")
    assert questionnaire is not None
    assert "citizen-satisfaction" in page and "servicetest-protocol" in page
    assert f'<td class="num">{len(questionnaire.questions)}</td>' in page
    assert f'href="/questionnaires/{questionnaire.id}/preview"' in page

    preview = admin.get(f"/questionnaires/{questionnaire.id}/preview?lang=nn")

    assert preview.status_code == 200
    text = preview.get_data(as_text=True)
    for question in definition_of(questionnaire).questions:
        assert str(escape(question.text["nn"])) in text
    protocol = latest_version("servicetest-protocol")
    assert protocol is not None
    assert admin.get(f"/questionnaires/{protocol.id}/preview").status_code == 404


def test_planner_sees_questionnaires(planner: FlaskClient) -> None:
    assert planner.get("/questionnaires").status_code == 200
