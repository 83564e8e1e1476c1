"""The printable council report (PDF): the dashboard's numbers, on A4, for planners only."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from pypdf import PdfReader

from surveyapp.audit.models import AuditEntry
from surveyapp.exports.report_views import print_facts, slug
from surveyapp.extensions import db
from surveyapp.results.report import build_report
from surveyapp.surveys.models import Invitation, SurveyRound
from tests.results.conftest import count_queries, satisfied

URL = "/results/5501/report.pdf"
# The fixture's layout: title, headline, years, peers (chart, table, groups), questions, method.
PAGES = 6


@pytest.fixture
def planner(make_user: Callable[..., Any], login: Callable[[Any], FlaskClient]) -> Any:
    user = make_user("planner", municipalities=["5501"])
    login(user)
    return user


@pytest.fixture
def rounds(add_round: Callable[..., Any]) -> list[Any]:
    """Three years in Tromsø, one peer with too few answers and one with enough."""
    made = [
        add_round("5501", 2024, satisfied(60, 100), channel=["phone", "email"]),
        add_round("5501", 2025, satisfied(70, 100), channel=["phone", "email"]),
        add_round("5501", 2026, satisfied(312, 400), channel=["phone", "email"]),
    ]
    add_round("1804", 2026, satisfied(3, 4))  # hidden: fewer than 5 answers
    add_round("1806", 2026, satisfied(31, 40))
    return made


def flat(text: str) -> str:
    """Whitespace (also no-break spaces and line breaks) as single spaces."""
    return " ".join(text.split())


def pages_of(data: bytes) -> list[str]:
    return [flat(page.extract_text() or "") for page in PdfReader(io.BytesIO(data)).pages]


def found(pattern: str, text: str, group: int = 0) -> str:
    match = re.search(pattern, text)
    assert match is not None, pattern
    return flat(match.group(group))


INTERVAL = r"95\s%\sinterval: [^<]*?\s%\."


def dashboard(client: FlaskClient, query: str) -> str:
    return html.unescape(client.get(f"/results/5501?{query}").get_data(as_text=True))


def test_planner_downloads_the_report(client: FlaskClient, planner: Any, rounds: list[Any]) -> None:
    response = client.get(f"{URL}?lang=en")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    today = datetime.now(ZoneInfo("Europe/Oslo")).date().isoformat()
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="rapport-5501-tromso-citizen-satisfaction-2026-{today}.pdf"'
    )
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == PAGES
    assert reader.metadata is not None
    assert reader.metadata.title == "Tromsø: What do you think of the municipality's service? 2026"
    assert reader.metadata.author == "surveyapp"
    assert reader.trailer["/Root"]["/Lang"] == "en"

    pages = pages_of(response.data)
    assert "Tromsø" in pages[0] and "5501" in pages[0] and "2026" in pages[0]
    assert "Page 1 of 6" in pages[0] and "Page 6 of 6" in pages[-1]
    assert "Demo data" not in " ".join(pages)

    # The headline page says what the dashboard says, with the same figures.
    page = dashboard(client, "lang=en")
    big = found(r'<p class="big-number">(.*?)</p>', page, 1)
    interval = found(INTERVAL, page)
    verdict = found(r'<p class="verdict[^"]*"><strong>(.*?)</strong>', page, 1)
    assert (big, interval) == ("78.0 %", "95 % interval: 73.7 % – 81.8 %.")
    headline = pages[1]
    assert big in headline and interval in headline
    assert "312 of 400 answers were satisfied" in headline
    assert verdict in headline
    assert verdict.startswith("Not distinguishable from the target")
    assert "The share itself is below the target of 80 %" in headline
    assert "8.0 percentage points since 2025" in headline

    # Years, peers with the small group hidden, and the method.
    assert "The share has risen by" in pages[2] and "since 2024" in pages[2]
    assert "Bodø" in pages[3] and "Hidden: fewer than 5 answers" in pages[3]
    assert "75.0 %" not in " ".join(pages)  # 3 of 4 is never shown
    assert "Tromsø (this municipality)" in pages[3]
    method = pages[-1]
    assert "How the figures are made" in method
    assert "Wilson" in method
    assert "Figures resting on fewer than 5 answers are hidden." in method
    assert "same wording" in method
    assert "Response rate" not in method  # open rounds, no invitations


def test_the_download_is_in_the_audit_trail(
    client: FlaskClient, planner: Any, rounds: list[Any]
) -> None:
    assert client.get(f"{URL}?lang=nb").status_code == 200
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.entity_type == "export")
    ).one()
    assert (entry.user_id, entry.action, entry.entity_id) == (
        planner.id,
        "download",
        "5501-2026-pdf",
    )
    assert entry.new_value is not None and entry.new_value["language"] == "nb"


def test_another_municipalitys_planner_is_refused(
    client: FlaskClient,
    rounds: list[Any],
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
) -> None:
    login(make_user("planner", municipalities=["1804"]))
    assert client.get(URL).status_code == 403
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.entity_type == "export")
        )
        == 0
    )


def test_callers_and_visitors_get_no_report(
    client: FlaskClient,
    rounds: list[Any],
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
) -> None:
    response = client.get(URL)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login(make_user("caller"))
    assert client.get(URL).status_code == 403


def test_norwegian_reports(client: FlaskClient, planner: Any, rounds: list[Any]) -> None:
    nynorsk = pages_of(client.get(f"{URL}?lang=nn").data)
    assert len(nynorsk) == PAGES
    assert "Side 1 av 6" in nynorsk[0]
    assert "Kva synest du om servicen i kommunen?" in nynorsk[0]
    assert "Samanlikna med andre kommunar" in nynorsk[3]
    assert "Slik er tala rekna ut" in nynorsk[-1]
    bokmal = pages_of(client.get(f"{URL}?lang=nb").data)
    assert "78,0 %" in bokmal[1] and "73,7 % – 81,8 %" in bokmal[1]
    assert "Hva synes du om servicen i kommunen?" in bokmal[0]


def test_demo_rounds_are_labelled(client: FlaskClient, planner: Any, rounds: list[Any]) -> None:
    db.session.execute(
        sa.update(SurveyRound)
        .where(SurveyRound.id.in_([r.id for r in rounds]))
        .values(is_demo=True)
    )
    db.session.commit()
    pages = pages_of(client.get(f"{URL}?lang=nb").data)
    assert "Demodata – fiktive tall" in pages[0]
    assert all("Demodata – fiktive tall" in page for page in pages)
    nynorsk = pages_of(client.get(f"{URL}?lang=nn").data)
    assert "Demodata – fiktive tal" in nynorsk[0]


@pytest.mark.parametrize(
    ("k", "n", "verdict", "point"),
    [
        (900, 1000, "Over the target: the whole interval lies above 80 %.", "at or above"),
        (600, 1000, "Under the target: the whole interval lies below 80 %.", "below"),
        (80, 100, "Not distinguishable from the target at this sample size", "at or above"),
    ],
)
def test_verdict_follows_the_interval(
    client: FlaskClient,
    planner: Any,
    add_round: Callable[..., Any],
    k: int,
    n: int,
    verdict: str,
    point: str,
) -> None:
    add_round("5501", 2026, satisfied(k, n))
    headline = pages_of(client.get(f"{URL}?lang=en").data)[1]
    assert verdict in headline
    assert f"The share itself is {point} the target of 80 %" in headline
    states = ("Over the target:", "Under the target:", "Not distinguishable from the target")
    assert [state for state in states if state in headline] == [
        state for state in states if verdict.startswith(state)
    ]
    assert "No earlier year to compare with." in headline


def test_decimals_agree_with_the_verdict(
    client: FlaskClient, planner: Any, add_round: Callable[..., Any]
) -> None:
    # 186 of 218: the interval's lower end is 80.01 %, which one decimal would print as 80.0 %.
    # The share itself (85.3 %) needs no more than one decimal to sit above the target.
    add_round("5501", 2026, satisfied(186, 218))
    page = dashboard(client, "lang=en")
    interval = found(INTERVAL, page)
    assert interval == "95 % interval: 80.01 % – 89.41 %."
    headline = pages_of(client.get(f"{URL}?lang=en").data)[1]
    assert "85.3 %" in headline and interval in headline
    assert "Over the target" in headline


def test_response_rate_of_invitation_rounds(
    app: Any, client: FlaskClient, planner: Any, add_round: Callable[..., Any]
) -> None:
    survey_round = add_round("5501", 2026, satisfied(8, 10))
    stored = db.session.get(SurveyRound, survey_round.id)
    assert stored is not None
    stored.access = "invitation"
    invitations = [
        Invitation(
            round_id=stored.id, municipality_code="5501", token_hash=f"{i:064x}", used=i < 14
        )  # 14 links used to start; the round has 10 answers
        for i in range(40)
    ]
    db.session.add_all(invitations)
    db.session.commit()

    report = build_report("5501", "citizen-satisfaction", 2026)
    statements, stop = count_queries(db.engine)
    facts = print_facts(report)
    stop()
    assert [(r.issued, r.answered, r.by_invitation) for r in facts.rounds] == [(40, 10, True)]
    assert sum("FROM invitation" in s for s in statements) == 1  # one grouped query

    method = pages_of(client.get(f"{URL}?lang=en").data)[-1]
    assert "Response rate: 25.0 % (10 of 40 invited people have answered)." in method
    assert "Only people with a personal invitation" in method


def test_dashboard_links_to_the_report(
    client: FlaskClient, planner: Any, rounds: list[Any]
) -> None:
    page = client.get("/results/5501?lang=en&year=2025&peers=county").get_data(as_text=True)
    link = re.search(
        r'<p class="downloads-pdf"><a href="([^"]+)">Printable report \(PDF\)</a>', page
    )
    assert link is not None
    url = html.unescape(link.group(1))
    assert url.startswith(URL) and "year=2025" in url and "peers=county" in url
    response = client.get(url)
    assert response.status_code == 200
    assert "-2025-" in response.headers["Content-Disposition"]


def test_file_names_are_ascii() -> None:
    assert slug("Tromsø") == "tromso"
    assert slug("Harstad - Hárstták") == "harstad-harsttak"
    assert slug("Æøå") == "aeoa"


def test_changed_wording_and_small_headline(
    client: FlaskClient, planner: Any, add_round: Callable[..., Any], reworded: None
) -> None:
    from surveyapp.models import Questionnaire

    first = db.session.scalars(
        sa.select(Questionnaire).where(
            Questionnaire.code == "citizen-satisfaction", Questionnaire.version == 1
        )
    ).one()
    old = add_round("5501", 2025, satisfied(70, 100))
    db.session.execute(
        sa.update(SurveyRound).where(SurveyRound.id == old.id).values(questionnaire_id=first.id)
    )
    db.session.commit()
    add_round("5501", 2026, satisfied(4, 4))  # the new wording, and too few answers
    pages = pages_of(client.get(f"{URL}?lang=en").data)
    headline = pages[1]
    assert "Hidden: fewer than 5 answers." in headline
    assert "100.0" not in " ".join(pages)
    assert not any(
        state in headline
        for state in ("Over the target", "Under the target", "Not distinguishable")
    )
    assert "The question was worded differently in 2025" in headline
    assert "Wording changed this year" in pages[2]
