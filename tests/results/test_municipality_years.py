"""Years follow the municipality: renumbered years run on, mergers and splits are breaks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from surveyapp.extensions import db
from surveyapp.municipalities import years
from surveyapp.results import sentences, stats
from surveyapp.results.report import build_predecessors, build_report
from tests.results.conftest import satisfied

INDRE = ("0122", "0123", "0124", "0125", "0138")  # Trøgstad, Spydeberg, Askim, Eidsberg, Hobøl


@pytest.fixture
def planner(
    make_user: Callable[..., Any], login: Callable[[Any], FlaskClient], municipality_history: None
) -> Any:
    user = make_user("planner", municipalities=["5501", "3118", "1580", "1508"])
    login(user)
    return user


@pytest.fixture
def tromso(municipality_history: None, add_round: Callable[..., Any]) -> None:
    """Tromsø's rounds stored under the numbers it had then: 1902, 5401 and 5501."""
    for code, year, k in (
        ("1902", 2018, 60),
        ("1902", 2019, 64),
        ("5401", 2021, 68),
        ("5401", 2023, 72),
        ("5501", 2025, 76),
    ):
        add_round(code, year, satisfied(k, 100))


@pytest.fixture
def indre_ostfold(municipality_history: None, add_round: Callable[..., Any]) -> None:
    """The five predecessors asked in 2019, Indre Østfold itself in 2021 and 2025."""
    for i, code in enumerate(INDRE):
        add_round(code, 2019, satisfied(10 + i, 20))
    add_round("3014", 2021, satisfied(70, 100))
    add_round("3118", 2025, satisfied(75, 100))


def test_tromso_runs_unbroken_through_three_numbers(tromso: None) -> None:
    report = build_report("5501", "citizen-satisfaction", 2025)
    assert [p.year for p in report.trend] == [2018, 2019, 2021, 2023, 2025]
    assert all(p.comparable and not p.break_before and not p.pooled for p in report.trend)
    assert [p.then.code if p.then else None for p in report.trend] == [
        "1902", "1902", "5401", "5401", None,
    ]  # fmt: skip
    assert report.years == [2025, 2023, 2021, 2019, 2018]
    assert report.previous is not None and report.previous.year == 2023
    assert report.change is not None
    assert report.change.estimate == pytest.approx(stats.difference(76, 100, 72, 100).estimate)
    assert report.trend_test is not None and report.trend_test.years[0] == 2018
    assert report.continuity is not None and report.continuity.formation is None

    earlier = build_report("5501", "citizen-satisfaction", 2019)
    assert (earlier.headline.k, earlier.headline.n) == (64, 100)
    assert earlier.stored_codes == ("1902",) and earlier.responses == 100


def test_the_dashboard_says_which_number_a_year_had(
    client: FlaskClient, planner: Any, tromso: None
) -> None:
    page = client.get("/results/5501?lang=en").get_data(as_text=True)
    assert "Earlier numbers and names: 1902 Tromsø (until 2019) and 5401 Tromsø (2020–2023)" in (
        page
    )
    assert page.count("Then number 1902, Tromsø") == 2
    assert page.count("Then number 5401, Tromsø") == 2
    assert "The share has risen by 2.2 percentage points per year since 2018" in page
    year_page = client.get("/results/5501?year=2019&lang=en").get_data(as_text=True)
    assert "64 of 100 answers were satisfied" in year_page


def test_a_merger_is_a_break_with_the_predecessors_apart(
    client: FlaskClient, planner: Any, indre_ostfold: None
) -> None:
    report = build_report("3118", "citizen-satisfaction", 2025)
    assert [p.year for p in report.trend] == [2021, 2025]
    continuity = report.continuity
    assert continuity is not None and continuity.formation is not None
    assert [p.lineage.code for p in continuity.formation.predecessors] == list(INDRE)
    assert continuity.predecessor_years == (2019,)
    assert continuity.pool_years == (2019,) and not continuity.pooled
    assert report.trend_test is None  # two own years only: nothing summed in

    page = client.get("/results/3118?lang=en").get_data(as_text=True)
    assert (
        "Indre Østfold was formed on 1 January 2020 by merging Trøgstad (0122), Spydeberg "
        "(0123), Askim (0124), Eidsberg (0125) and Hobøl (0138)." in page
    )
    assert "The years before 2020 belong to the predecessors and are shown apart" in page
    # In the years table the predecessors' year is a break, not a figure of its own.
    table = page.split("Share satisfied per year</caption>")[1].split("</table>")[0]
    assert 'class="break-row"><th scope="row">2019</th>' in table
    assert "Before Indre Østfold was formed: only its predecessors&#39; figures" in table
    assert "/results/3118/predecessors?q=citizen-satisfaction" in page
    assert "Compare the merged whole: add the predecessors&#39; answers together for 2019" in page

    before = client.get("/results/3118/predecessors?lang=en").get_data(as_text=True)
    for name in ("Trøgstad", "Spydeberg", "Askim", "Eidsberg", "Hobøl"):
        assert f"Share satisfied per year in {name}" in before
    assert "Went into Indre Østfold (3014) on 1 January 2020." in before
    found = build_predecessors("3118", "citizen-satisfaction")
    figures = [
        (s.lineage.code, [(p.year, p.share.k, p.share.n) for p in s.trend]) for s in found.series
    ]
    assert figures == [(code, [(2019, 10 + i, 20)]) for i, code in enumerate(INDRE)]


def test_the_merged_whole_pools_only_when_chosen_and_says_so(
    client: FlaskClient, planner: Any, indre_ostfold: None
) -> None:
    report = build_report("3118", "citizen-satisfaction", 2025, pool=True)
    pooled = report.trend[0]
    assert pooled.year == 2019 and pooled.pooled == (
        "Trøgstad", "Spydeberg", "Askim", "Eidsberg", "Hobøl",
    )  # fmt: skip
    assert (pooled.share.k, pooled.share.n) == (10 + 11 + 12 + 13 + 14, 100)
    assert report.trend[1].reform_before and report.continuity and report.continuity.pooled
    assert report.years == [2025, 2021]  # a pooled year is not a year of its own to choose
    first = build_report("3118", "citizen-satisfaction", 2021, pool=True)
    assert first.previous is not None and first.previous.pooled and first.change is not None
    assert sentences.change(first, "en").endswith(
        "2019 is the predecessors' answers pooled (the merged whole)."
    )
    page = client.get("/results/3118?pool=1&lang=en").get_data(as_text=True)
    assert "Years before 2020 show the predecessors&#39; answers pooled, as the planner chose" in (
        page
    )
    assert (
        "Predecessors&#39; answers pooled: Trøgstad, Spydeberg, Askim, Eidsberg and Hobøl" in page
    )
    assert "Formed on 1 January 2020: a new series from here" in page
    assert 'name="pool" value="1"' in page
    assert "pool=1" in page.split('id="trend-title"')[1].split("</figure>")[0]  # the chart too


def test_pooling_is_refused_when_a_predecessor_is_missing_or_asked_otherwise(
    client: FlaskClient, planner: Any, municipality_history: None, add_round: Callable[..., Any]
) -> None:
    for code in INDRE[:-1]:  # Hobøl not asked in 2018
        add_round(code, 2018, satisfied(10, 20))
    rounds = [add_round(code, 2019, satisfied(10, 20)) for code in INDRE]
    rounds[0].access = "invitation"  # Trøgstad asked by personal invitations, the rest openly
    db.session.commit()
    add_round("3118", 2025, satisfied(75, 100))
    report = build_report("3118", "citizen-satisfaction", 2025, pool=True)
    assert report.continuity is not None and report.continuity.pool_years == ()
    assert [(p.year, p.refused) for p in report.continuity.pool_refused] == [
        (2018, years.MISSING),
        (2019, years.DESIGN),
    ]
    assert [p.year for p in report.trend] == [2025]
    page = client.get("/results/3118?lang=en").get_data(as_text=True)
    assert (
        "2018 cannot be compared as the merged whole: not every predecessor was asked "
        "(none from Hobøl)." in page
    )
    assert (
        "2019 cannot be compared as the merged whole: the rounds used different "
        "questionnaire versions or ways of asking." in page
    )
    assert "Compare the merged whole" not in page


def test_a_split_is_a_break_that_is_never_pooled(
    client: FlaskClient, planner: Any, municipality_history: None, add_round: Callable[..., Any]
) -> None:
    add_round("1507", 2022, satisfied(70, 100))
    add_round("1580", 2025, satisfied(60, 80))
    report = build_report("1580", "citizen-satisfaction", 2025, pool=True)
    assert [p.year for p in report.trend] == [2025]
    assert report.continuity is not None and report.continuity.formation is not None
    assert not report.continuity.formation.whole
    assert [(p.year, p.refused) for p in report.continuity.pool_refused] == [
        (2022, years.NOT_WHOLE)
    ]
    page = client.get("/results/1580?lang=en").get_data(as_text=True)
    assert "Haram was formed on 1 January 2024 from a part of Ålesund (1507)." in page
    before = client.get("/results/1508/predecessors?lang=en").get_data(as_text=True)
    assert "A part of it went into Ålesund (1508) on 1 January 2024." in before
    assert "Went into Ålesund (1507) on 1 January 2020." in before  # 1534 Haram and the others


def test_a_municipality_with_only_predecessors_figures_opens_them(
    client: FlaskClient, planner: Any, municipality_history: None, add_round: Callable[..., Any]
) -> None:
    add_round("0124", 2019, satisfied(12, 20))
    response = client.get("/results/3118")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/results/3118/predecessors")


def test_peers_of_an_earlier_year_follow_today_and_keep_predecessors_apart(
    client: FlaskClient, planner: Any, tromso: None, add_round: Callable[..., Any]
) -> None:
    add_round("0124", 2019, satisfied(15, 20))
    add_round("5402", 2021, satisfied(50, 100))  # Harstad 2020–2023, today 5503
    report = build_report("5501", "citizen-satisfaction", 2019)
    rows = {p.code: p for p in report.peers}
    assert set(rows) == {"5501", "0124"}
    assert rows["5501"].is_own and rows["5501"].then is not None
    assert rows["0124"].part_of == ("3118 Indre Østfold",) and not rows["0124"].is_own
    page = client.get("/results/5501?year=2019&lang=en").get_data(as_text=True)
    assert "Tromsø (1902 in 2019)" in page
    assert "Askim (0124 in 2019, now part of 3118 Indre Østfold)" in page
    county = build_report("5501", "citizen-satisfaction", 2021, peer_scope="county")
    assert {p.code for p in county.peers} == {"5501", "5503"}  # Troms today: 5402 is 5503


def test_old_numbers_in_urls_answer_with_today(
    client: FlaskClient, planner: Any, tromso: None
) -> None:
    response = client.get("/results/1902?year=2019&lang=en")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/results/5501?year=2019&lang=en")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1902 is now 5501 Tromsø." in page and "64 of 100 answers were satisfied" in page
    chart = client.get("/results/5401/chart/trend.svg")
    assert chart.status_code == 302 and "/results/5501/chart/trend.svg" in chart.headers["Location"]
    workbook = client.get("/exports/1902/workbook.xlsx")
    assert workbook.status_code == 302 and "/exports/5501/" in workbook.headers["Location"]
    merged = client.get("/results/0124?lang=en")
    assert merged.status_code == 200
    text = merged.get_data(as_text=True)
    assert "0124 Askim was merged in 2020 into what is now 3118 Indre Østfold." in text
    assert "/results/3118/predecessors" in text
    split = client.get("/results/1507?lang=en").get_data(as_text=True)
    assert "1507 Ålesund was split in 2024; its parts are now 1508 Ålesund + 1580 Haram." in split


def test_the_results_index_lists_todays_municipalities(
    client: FlaskClient, make_user: Callable[..., Any], login: Callable[[Any], FlaskClient],
    tromso: None, indre_ostfold: None,
) -> None:  # fmt: skip
    login(make_user("admin"))
    page = client.get("/results?lang=en").get_data(as_text=True)
    assert "Tromsø (5501)" in page and "Indre Østfold (3118)" in page
    assert "(1902)" not in page and "(0124)" not in page and "(3014)" not in page


def test_a_merger_that_kept_its_number_does_not_mix_the_old_municipality_in(
    municipality_history: None, add_round: Callable[..., Any]
) -> None:
    # 1103 Stavanger merged with Finnøy and Rennesøy in 2020 and kept its number.
    add_round("1103", 2019, satisfied(50, 100))
    add_round("1141", 2019, satisfied(15, 20))
    add_round("1103", 2021, satisfied(80, 100))
    report = build_report("1103", "citizen-satisfaction", 2021)
    assert [(p.year, p.share.k) for p in report.trend] == [(2021, 80)]
    assert report.previous is None and report.change is None
    assert report.continuity is not None and report.continuity.formation is not None
    assert [p.lineage.code for p in report.continuity.formation.predecessors] == [
        "1103", "1141", "1142",
    ]  # fmt: skip
    assert report.continuity.predecessor_years == (2019,)
    assert sentences.change(report, "en") == (
        "No earlier year of its own to compare with: Stavanger was formed on 1 January 2020, "
        "and its predecessors' years are not its own."
    )
    # Rennesøy was not asked in 2019: the merged whole cannot be pooled for that year.
    assert [(p.year, p.refused) for p in report.continuity.pool_refused] == [(2019, years.MISSING)]
