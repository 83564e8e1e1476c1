"""Service-test results one can stand behind, through the pages, the workbook and the
dashboard: agreement and pending decisions before locking, pass mark and "not tested"
in the published list, test units, county lists, the press summary and trends."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from surveyapp.extensions import db
from surveyapp.models import SurveyRound, TestAssignment, TestRound
from surveyapp.questionnaires.definition import parse_definition
from surveyapp.questionnaires.store import latest_version, store_definition
from surveyapp.servicetest import cache, operations
from surveyapp.servicetest.units import load_units, read_units
from tests.conftest import SHIPPED
from tests.exports.conftest import open_workbook
from tests.results.conftest import satisfied
from tests.servicetest_records import record_everything

QUALITY = {"5501": 1.0, "1804": 0.5, "0301": 0.0}


def _book(client: FlaskClient, test_round: TestRound) -> Any:
    response = client.get(
        f"/exports/servicetest/{test_round.id}/workbook.xlsx?lang=en", buffered=True
    )
    assert response.status_code == 200
    return open_workbook(response.data)


def _web(test_round: TestRound, municipality: str) -> list[TestAssignment]:
    return list(
        db.session.scalars(
            sa.select(TestAssignment)
            .where(
                TestAssignment.test_round_id == test_round.id,
                TestAssignment.channel == "web",
                TestAssignment.municipality_code == municipality,
            )
            .order_by(TestAssignment.scenario_code, TestAssignment.tester_slot)
        )
    )


def _disagree(
    test_round: TestRound, municipality: str, items: int = 1, first_found: bool = True
) -> list[str]:
    """Make the testers disagree on ``items`` web items of a municipality."""
    web = _web(test_round, municipality)
    scenarios = []
    found = {"found": True, "seconds": 30, "quality": 3}
    missed = {"found": False, "seconds": 120, "quality": None}
    for first, second in list(zip(web[::2], web[1::2], strict=True))[:items]:
        operations.save_result(None, first, found if first_found else missed)
        operations.save_result(None, second, missed if first_found else found)
        scenarios.append(first.scenario_code)
    db.session.commit()
    return scenarios


def test_round_page_shows_agreement_and_the_places_pending_decisions_could_change(
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    scored_round: TestRound,
) -> None:
    # Every web item of Tromsø undecided: 57.9 now (below Bodø's 74.2), 100 at best.
    _disagree(scored_round, "5501", items=8)
    result = operations.score(scored_round)
    tromso, bodo = result.municipality("5501"), result.municipality("1804")
    assert tromso.awaiting == 8 and tromso.places_open and bodo.places_open
    assert (tromso.rank, tromso.best_place, tromso.worst_place) == (2, 1, 2)
    assert (bodo.rank, bodo.best_place, bodo.worst_place) == (1, 1, 2)
    login(make_user("admin"))
    page = client.get(f"/servicetest/{scored_round.id}?lang=en").get_data(as_text=True)
    assert "Agreement between web testers" in page
    report = operations.agreement_of(scored_round)
    assert report.round.n > 0
    assert "Places that pending decisions could change" in page
    assert f"{tromso.best_place}–{tromso.worst_place}" in page
    ranking = client.get(f"/servicetest/{scored_round.id}/ranking?lang=en").get_data(as_text=True)
    assert "8 web items await a deciding tester" in ranking
    assert f"({tromso.best_place}–{tromso.worst_place} when decided)" in ranking
    nb = client.get(f"/servicetest/{scored_round.id}/ranking?lang=nb").get_data(as_text=True)
    assert "8 nettelementer venter på en tester som avgjør" in nb


def test_low_agreement_is_flagged_and_undefined_kappa_said_so(
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    scored_round: TestRound,
) -> None:
    login(make_user("admin"))
    # Both testers find every item everywhere: they agree on all, but κ is undefined.
    for assignment in _web(scored_round, "0301"):
        operations.save_result(None, assignment, {"found": True, "seconds": 20, "quality": 1})
    db.session.commit()
    report = operations.agreement_of(scored_round)
    assert (report.round.percent, report.round.kappa) == (1.0, None)
    page = client.get(f"/servicetest/{scored_round.id}?lang=en").get_data(as_text=True)
    assert "κ undefined: a tester never varied" in page
    assert "100.0\u00a0%" in page  # the agreement alone is still shown
    _disagree(scored_round, "5501", items=5)
    _disagree(scored_round, "1804", items=5, first_found=False)
    report = operations.agreement_of(scored_round)
    assert report.round.flagged
    page = client.get(f"/servicetest/{scored_round.id}?lang=en").get_data(as_text=True)
    assert "low agreement (κ below 0.40)" in page
    assert "The testers agree little beyond chance in this round" in page
    book = _book(client, scored_round)
    sheet = book["Samsvar"]
    whole = next(
        r for r in sheet.iter_rows(min_row=4, values_only=True) if r[0] == "The whole round"
    )
    assert whole[1:4] == (report.round.n, report.round.agreed, report.round.percent)
    assert whole[4] == pytest.approx(report.round.kappa)
    assert whole[8] == "low agreement (κ below 0.40)"
    checks = list(book["Testere"].iter_rows(min_row=4, values_only=True))
    # Every tester's check is there (slot 1 and 2 of each web item), so κ can be redone.
    web = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(TestAssignment)
        .where(TestAssignment.channel == "web", TestAssignment.status == "done")
    )
    assert len(checks) == web
    pairs: dict[tuple[str, str], dict[int, bool]] = {}
    for row in checks:
        pairs.setdefault((row[0], row[3]), {})[row[4]] = row[10]
    both = [(v[1], v[2]) for v in pairs.values() if 1 in v and 2 in v]
    assert len(both) == report.round.n
    assert sum(a == b for a, b in both) == report.round.agreed


def test_a_municipality_with_every_contact_cancelled_is_listed_as_not_tested(
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    scored_round: TestRound,
) -> None:
    for assignment in db.session.scalars(
        sa.select(TestAssignment).where(TestAssignment.municipality_code == "1804")
    ):
        assignment.status = "cancelled"
    db.session.commit()
    result = cache.scored_round(scored_round)
    assert [m.municipality for m in result.municipalities] == ["5501", "0301"]
    assert [(n.municipality, n.reason) for n in result.not_tested] == [("1804", "all_cancelled")]
    login(make_user("admin"))
    page = client.get(f"/servicetest/{scored_round.id}/ranking?lang=en").get_data(as_text=True)
    assert "Not tested" in page and "Bodø: every contact was cancelled" in page
    book = _book(client, scored_round)
    rows = list(book["Rangering"].iter_rows(min_row=4, values_only=True))
    at = next(i for i, r in enumerate(rows) if r[0] == "Not tested")
    assert rows[at + 1][1:4] == ("1804", "Bodø", "every contact was cancelled")
    press = client.get(f"/servicetest/{scored_round.id}/press?lang=en").get_data(as_text=True)
    assert "Not tested: 1 (every contact cancelled or none planned)." in press


def test_the_published_list_shows_pass_mark_beside_the_band(
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    scored_round: TestRound,
) -> None:
    result = cache.scored_round(scored_round)
    login(make_user("admin"))
    page = client.get(f"/servicetest/{scored_round.id}/ranking?lang=en").get_data(as_text=True)
    assert "Pass mark 75" in page
    assert f"{result.passed}/{result.ranked} municipalities passed (godkjent: at least 75)." in page
    assert f"Passed (at least 75): {result.passed} of {result.ranked}." in page
    nb = client.get(f"/servicetest/{scored_round.id}/ranking?lang=nb").get_data(as_text=True)
    assert "Godkjent fra 75" in nb and "ikke godkjent" in nb
    book = _book(client, scored_round)
    ranking = book["Rangering"]
    header = [c.value for c in ranking[3]]
    column = header.index("Pass mark 75")
    rows = {r[1]: r for r in ranking.iter_rows(min_row=4, values_only=True) if r[1]}
    for m in result.municipalities:
        assert rows[m.municipality][column] == ("passed" if m.passed else "not passed")
    method = {r[0]: r[1] for r in book["Metode"].iter_rows(min_row=4, values_only=True)}
    assert method["Pass mark"] == "passed from 75.0 (the score as printed, one decimal)"
    assert method["Ties"].startswith("Places are shared when the printed scores")
    assert "Monday to Friday" in method["Working days"]
    assert method["Missing contacts"] == "count as 0"


def test_every_sheet_prints_landscape_fitted_with_a_repeated_header_and_warns_in_demo_mode(
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    scored_round: TestRound,
) -> None:
    scored_round.is_demo = True  # demo data that is also not locked: both warnings
    db.session.commit()
    login(make_user("admin"))
    book = _book(client, scored_round)
    for ws in book.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
        assert ws.print_title_rows in ("$3:$3", "$1:$1"), ws.title
        warning = str(ws["D2"].value)
        assert "Demo data – fictitious figures" in warning, ws.title
        assert "The round is not locked yet" in warning, ws.title
    ranking = [c.value for c in book["Rangering"][3]]
    assert ranking[:2] == ["Rank", "Municipality number"]  # separate columns
    # Quartiles per KKiK indicator, not only for the total.
    result = cache.scored_round(scored_round)
    kkik = list(book["KKiK"].iter_rows(min_row=5 + len(result.indicators), values_only=True))
    header, rows = kkik[0], {r[0]: r for r in kkik[1:]}
    column = header.index("Quartile: Calls with a direct answer")
    labels = {"top": "Best 25 %", "middle": "Middle 50 %", "bottom": "Worst 25 %"}
    for m in result.municipalities:
        wanted = labels[m.indicator_quartiles["phone_direct_answer"]]
        assert rows[m.municipality][column] == wanted


def test_press_summary_in_three_languages_from_the_data(
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    scored_round: TestRound,
) -> None:
    result = cache.scored_round(scored_round)
    winner = result.municipalities[0]
    assert winner.municipality == "5501" and winner.score is not None
    login(make_user("admin"))
    page = client.get(f"/servicetest/{scored_round.id}/press?lang=en").get_data(as_text=True)
    for language in ("nb", "nn", "en"):
        assert f'<section lang="{language}"' in page
    average = f"{result.national_average:.1f}"
    assert f"National average {average}; {result.passed} of 3 passed (at least 75)." in page
    assert "The winner: Tromsø with 100.0 and full marks for" in page
    assert f"Landsgjennomsnittet er {average.replace('.', ',')}" in page
    assert "Vinneren er Tromsø med 100,0 og full score på" in page
    assert "Vinnaren er Tromsø med 100,0" in page
    assert "Last: Oslo" in page and "Sist: Oslo" in page
    client.post("/logout")
    login(make_user("planner", municipalities=["5501"]))
    assert client.get(f"/servicetest/{scored_round.id}/press").status_code == 403


def test_press_summary_as_a_tagged_pdf_in_each_language(
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    scored_round: TestRound,
) -> None:
    """The press PDF prints the press page's own sentences (the same digits), tagged, in
    the language asked for; planners may not fetch it."""
    import io

    from pypdf import PdfReader

    result = cache.scored_round(scored_round)
    average = f"{result.national_average:.1f}"
    login(make_user("admin"))
    page = client.get(f"/servicetest/{scored_round.id}/press?lang=en").get_data(as_text=True)
    assert f"/servicetest/{scored_round.id}/press.pdf?lang=nn" in page
    for language, sentence in [
        ("en", f"National average {average}; {result.passed} of 3 passed (at least 75)."),
        ("nb", f"Landsgjennomsnittet er {average.replace('.', ',')}"),
        ("nn", "Vinnaren er Tromsø med 100,0"),
    ]:
        response = client.get(f"/servicetest/{scored_round.id}/press.pdf?lang={language}")
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        reader = PdfReader(io.BytesIO(response.data))
        catalog = reader.trailer["/Root"]
        assert catalog["/Lang"] == language and "/StructTreeRoot" in catalog
        text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
        assert sentence in text, (language, text[:400])
        if scored_round.status != "locked":
            assert "locked" in text or "låst" in text
    client.post("/logout")
    login(make_user("planner", municipalities=["5501"]))
    assert client.get(f"/servicetest/{scored_round.id}/press.pdf").status_code == 403


def test_county_lists_with_best_and_worst(
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    scored_round: TestRound,
) -> None:
    login(make_user("admin"))
    page = client.get(f"/servicetest/{scored_round.id}/counties?lang=en").get_data(as_text=True)
    assert "The whole country" in page
    assert "Troms" in page and "Nordland" in page and "Oslo" in page
    county = client.get(f"/servicetest/{scored_round.id}/ranking?county=55&lang=en")
    text = county.get_data(as_text=True)
    assert "Place in the county" in text and "Tromsø" in text and "Bodø" not in text
    assert client.get(f"/servicetest/{scored_round.id}/ranking?county=99").status_code == 404
    client.post("/logout")
    login(make_user("planner", municipalities=["1804"]))
    page = client.get(f"/servicetest/{scored_round.id}/counties?lang=en").get_data(as_text=True)
    assert "Tromsø" not in page and "another municipality" in page


def _second_protocol_version(points: int) -> Any:
    text = (SHIPPED / "servicetest-protocol.yaml").read_text(encoding="utf-8")
    text = text.replace("      found: 2\n", f"      found: {points}\n")
    outcome = store_definition(parse_definition(text, "changed.yaml"), "changed.yaml")
    db.session.commit()
    return outcome.questionnaire


def _round(title: str, year: int, protocol: Any, codes: list[str], callers: list[int]) -> TestRound:
    test_round = operations.plan(
        None,
        title=title,
        protocol=protocol,
        year=year,
        starts_on=date(year, 9, 7),
        ends_on=date(year, 9, 25),
        municipalities=codes,
        callers=callers,
        seed=year,
        selection={"mode": "list"},
    )
    db.session.commit()
    record_everything(test_round, {code: QUALITY[code] for code in codes})
    return test_round


def test_trend_over_rounds_breaks_where_the_scoring_changed(
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    add_round: Callable[..., SurveyRound],
    scored_round: TestRound,
) -> None:
    callers = [make_user("caller").id, make_user("caller").id]  # two testers per web item
    shipped = latest_version("servicetest-protocol")
    earlier = _round("Servicetest 2024", 2024, shipped, ["5501", "1804"], callers)
    changed = _second_protocol_version(points=4)
    later = _round("Servicetest 2027", 2027, changed, ["5501", "1804"], callers)
    login(make_user("planner", municipalities=["1804"]))
    page = client.get("/servicetest/trend/1804?lang=en").get_data(as_text=True)
    assert page.index(earlier.title) < page.index(scored_round.title) < page.index(later.title)
    assert page.count("The scoring rules changed here") == 1
    assert page.index(scored_round.title) < page.index("The scoring rules changed here")
    chart = client.get("/servicetest/trend/1804/chart.svg?lang=en")
    assert chart.status_code == 200 and chart.mimetype == "image/svg+xml"
    assert b"Pass mark" in chart.data and b"Demo data" not in chart.data
    scored_round.is_demo = True
    db.session.commit()
    assert b"Demo data" in client.get("/servicetest/trend/1804/chart.svg?lang=en").data
    assert client.get("/servicetest/trend/5501").status_code == 403
    # The dashboard shows the same year's round beside the survey, its pass and a link.
    add_round("1804", 2026, satisfied(80, 100))
    dashboard = client.get("/results/1804?year=2026&lang=en").get_data(as_text=True)
    assert scored_round.title in dashboard.split('id="st-title"')[1][:600]
    assert "Earlier rounds (same scoring)" in dashboard and "2024: " in dashboard
    assert 'href="/servicetest/trend/1804"' in dashboard
    summary = cache.scored_round(scored_round, roll_up=True).municipality("1804")
    assert ("not passed" if not summary.passed else "passed") in dashboard


def test_units_below_a_municipality_are_planned_ranked_and_rolled_up(
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    questionnaires: None,
) -> None:
    assert load_units() == 15
    db.session.commit()
    districts = read_units()
    assert len(districts) == 15 and {row[1] for row in districts} == {"0301"}
    callers = [make_user("caller"), make_user("caller")]
    login(make_user("admin"))
    protocol = latest_version("servicetest-protocol")
    assert protocol is not None
    form = {
        "title": "Kommunetest med bydeler",
        "protocol": str(protocol.id),
        "year": "2026",
        "starts_on": "07.09.2026",
        "ends_on": "02.10.2026",
        "mode": "list",
        "codes": "0301 5501",
        "seed": "4",
        "callers": [str(c.id) for c in callers],
        "daily_cap": "40",
        "units": "y",
    }
    # The preview plans the same units the saved plan gets (nothing stored yet).
    preview = client.post("/servicetest/new?lang=en", data=form).get_data(as_text=True)
    assert "Preview: the plan before it is saved" in preview
    assert "Søndre Nordstrand" in preview and db.session.scalar(sa.select(TestRound)) is None
    response = client.post("/servicetest/new", data=form | {"action": "save"})
    assert response.status_code == 302, response.get_data(as_text=True)[-800:]
    test_round = db.session.scalars(sa.select(TestRound)).one()
    units = set(
        db.session.scalars(
            sa.select(TestAssignment.unit_code).where(TestAssignment.municipality_code == "0301")
        )
    )
    assert units == {code for code, _m, _n in districts}
    assert set(
        db.session.scalars(
            sa.select(TestAssignment.unit_code).where(TestAssignment.municipality_code == "5501")
        )
    ) == {""}
    record_everything(test_round, {"0301": 0.5, "5501": 1.0})
    result = cache.scored_round(test_round)
    assert len(result.municipalities) == 16
    assert all(m.unit for m in result.municipalities if m.municipality == "0301")
    page = client.get(f"/servicetest/{test_round.id}/ranking?lang=en").get_data(as_text=True)
    assert "Oslo - Oslove – Gamle Oslo" in page and "Søndre Nordstrand" in page
    rolled = client.get(f"/servicetest/{test_round.id}/ranking?units=rollup&lang=en")
    text = rolled.get_data(as_text=True)
    table = text.split('<table class="ranking">')[1].split("</table>")[0]
    assert "Gamle Oslo" not in text and len(re.findall(r">Oslo - Oslove<", table)) == 1
    assert client.get(f"/servicetest/{test_round.id}/m/0301").status_code == 200
