"""The planner's dashboard: honest headline, peers, years with wording breaks, small groups."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from surveyapp.extensions import db
from surveyapp.results import stats
from surveyapp.results.report import build_report
from tests.results.conftest import count_queries, satisfied


@pytest.fixture
def planner(make_user: Callable[..., Any], login: Callable[[Any], FlaskClient]) -> Any:
    user = make_user("planner", municipalities=["5501"])
    login(user)
    return user


def test_headline_matches_the_statistics_and_states_the_verdict(
    client: FlaskClient, planner: Any, add_round: Callable[..., Any]
) -> None:
    add_round("5501", 2026, satisfied(312, 400), channel=["phone", "email"])
    page = client.get("/results/5501?lang=en").get_data(as_text=True)
    expected = stats.proportion(312, 400)
    assert "312 of 400 answers were satisfied" in page
    assert f"{expected.interval.low * 100:.1f} %".replace(".", ".") in page.replace("\u00a0", " ")
    assert "Not distinguishable from the target at this sample size" in page
    assert "The share itself is below the target of 80 %" in page.replace("\u00a0", " ")


@pytest.mark.parametrize(
    ("k", "n", "verdict"),
    [
        (900, 1000, "Over the target"),
        (600, 1000, "Under the target"),
        (80, 100, "Not distinguishable"),
    ],
)
def test_verdict_never_contradicts_the_interval(
    client: FlaskClient, planner: Any, add_round: Callable[..., Any], k: int, n: int, verdict: str
) -> None:
    add_round("5501", 2026, satisfied(k, n))
    page = client.get("/results/5501?lang=en").get_data(as_text=True)
    assert verdict in page


def test_change_since_last_year_and_trend(
    client: FlaskClient, planner: Any, add_round: Callable[..., Any]
) -> None:
    for year, k in ((2023, 60), (2024, 70), (2025, 80), (2026, 90)):
        add_round("5501", year, satisfied(k, 100))
    report = build_report("5501", "citizen-satisfaction", 2026)
    assert report.change is not None
    expected = stats.difference(90, 100, 80, 100)
    assert report.change.estimate == pytest.approx(expected.estimate)
    assert report.change.interval == expected.interval
    assert report.trend_test is not None and report.trend_test.slope_per_year > 0
    page = client.get("/results/5501?lang=en").get_data(as_text=True)
    assert "The share has risen by 10.0 percentage points per year since 2023" in page


def test_changed_wording_breaks_the_series(
    client: FlaskClient, planner: Any, add_round: Callable[..., Any], reworded: None
) -> None:
    # 2024 and 2025 used the first wording; the reworded version is loaded after them.
    from surveyapp.models import Questionnaire, SurveyRound

    rounds = [add_round("5501", y, satisfied(70, 100)) for y in (2024, 2025)]
    first = db.session.scalars(
        db.select(Questionnaire).where(
            Questionnaire.code == "citizen-satisfaction", Questionnaire.version == 1
        )
    ).one()
    for survey_round in rounds:
        db.session.get(SurveyRound, survey_round.id).questionnaire_id = first.id  # type: ignore[union-attr]
    db.session.commit()
    add_round("5501", 2026, satisfied(90, 100))  # latest version: new wording
    report = build_report("5501", "citizen-satisfaction", 2026)
    assert [p.break_before for p in report.trend] == [False, False, True]
    assert report.change is None and not report.change_comparable
    page = client.get("/results/5501?lang=en").get_data(as_text=True)
    assert "was worded differently in 2025" in page
    assert "Wording changed this year" in page


def test_small_groups_are_hidden_everywhere(
    client: FlaskClient, planner: Any, add_round: Callable[..., Any]
) -> None:
    add_round("5501", 2026, satisfied(40, 50), channel=["phone"] * 47 + ["letter"] * 3)
    add_round("1804", 2026, satisfied(3, 4))  # a peer with 4 answers
    add_round("1806", 2026, satisfied(31, 40))
    report = build_report("5501", "citizen-satisfaction", 2026)
    tiny = next(p for p in report.peers if p.code == "1804")
    assert tiny.share.suppressed and tiny.share.proportion is None
    assert report.peer_summary is not None and report.peer_summary.count_suppressed == 1
    assert report.peer_summary.n_ranked == 2
    channel = next(b for b in report.breakdowns if b.question.code == "channel")
    letter = next(r for r in channel.rows if r.value == "letter")
    assert letter.share.suppressed and letter.share.proportion is None
    page = client.get("/results/5501?lang=en").get_data(as_text=True)
    assert "Hidden: fewer than 5 answers" in page
    assert "75.0" not in page  # 3 of 4 would be 75.0 %: never shown


def test_small_headline_is_hidden(
    client: FlaskClient, planner: Any, add_round: Callable[..., Any]
) -> None:
    add_round("5501", 2026, satisfied(4, 4))
    page = client.get("/results/5501?lang=en").get_data(as_text=True)
    assert "Hidden: fewer than 5 answers" in page and "100.0" not in page


def test_peer_groups_and_differences(
    client: FlaskClient, planner: Any, add_round: Callable[..., Any]
) -> None:
    add_round("5501", 2026, satisfied(80, 100))
    add_round("5503", 2026, satisfied(60, 100))  # same county (Troms)
    add_round("1804", 2026, satisfied(90, 100))  # Nordland
    county = build_report("5501", "citizen-satisfaction", 2026, peer_scope="county")
    assert {p.code for p in county.peers} == {"5501", "5503"}
    everyone = build_report("5501", "citizen-satisfaction", 2026, compare_with=["1804"])
    bodo = next(p for p in everyone.peers if p.code == "1804")
    assert bodo.difference is not None
    assert bodo.difference.estimate == pytest.approx(-0.10)
    assert everyone.peer_summary is not None and everyone.peer_summary.own_rank == 2
    assert everyone.peer_summary.mean_share == pytest.approx((0.8 + 0.6 + 0.9) / 3)
    assert everyone.peer_summary.pooled is not None
    assert everyone.peer_summary.pooled.k == 230


def test_planner_sees_only_own_municipality(
    client: FlaskClient, planner: Any, add_round: Callable[..., Any], make_user: Callable[..., Any]
) -> None:
    add_round("5501", 2026, satisfied(80, 100))
    add_round("1804", 2026, satisfied(80, 100))
    assert client.get("/results/1804").status_code == 403
    assert client.get("/results/1804/chart/trend.svg").status_code == 403
    assert client.get("/results/5501").status_code == 200


def test_charts_are_svg_and_png(
    client: FlaskClient, planner: Any, add_round: Callable[..., Any]
) -> None:
    add_round("5501", 2025, satisfied(70, 100), channel=["phone"])
    add_round("5501", 2026, satisfied(80, 100), channel=["phone"])
    svg = client.get("/results/5501/chart/trend.svg?lang=nb")
    assert svg.mimetype == "image/svg+xml" and svg.data.lstrip().startswith(b"<?xml")
    png = client.get("/results/5501/chart/peers.png")
    assert png.mimetype == "image/png" and png.data[:8] == b"\x89PNG\r\n\x1a\n"
    question = client.get("/results/5501/chart/question.svg?question=channel")
    assert question.status_code == 200
    assert client.get("/results/5501/chart/pie.svg").status_code == 404


def test_dashboard_queries_do_not_grow_with_peers(
    client: FlaskClient, planner: Any, add_round: Callable[..., Any]
) -> None:
    add_round("5501", 2026, satisfied(80, 100), channel=["phone"])
    for code in ("1804", "1806"):
        add_round(code, 2026, satisfied(70, 100))
    statements, stop = count_queries(db.engine)
    client.get("/results/5501")
    few = len(statements)
    stop()
    for code in ("5503", "5601", "1506", "1508", "3201", "3203", "3909", "4036"):
        add_round(code, 2026, satisfied(70, 100))
    statements, stop = count_queries(db.engine)
    client.get("/results/5501")
    many = len(statements)
    stop()
    assert many == few


def test_imported_reference_values_are_shown_with_their_source(
    client: FlaskClient, planner: Any, add_round: Callable[..., Any], runner: Any
) -> None:
    from tests.conftest import PROJECT_ROOT

    add_round("5501", 2024, satisfied(80, 100))
    example = PROJECT_ROOT / "benchmarks" / "peers" / "example-fictitious.csv"
    assert runner.invoke(args=["peers", "import", str(example)]).exit_code == 0
    report = build_report("5501", "citizen-satisfaction", 2024)
    oslo = next(r for r in report.references if r.code == "0301")
    assert (oslo.value, oslo.n, oslo.source) == (0.77, 398, "Eksempel – fiktive tall")
    assert oslo.interval == stats.proportion(round(0.77 * 398), 398).interval
    page = client.get("/results/5501?year=2024&lang=en").get_data(as_text=True)
    assert "Reference values from other sources" in page and "Eksempel – fiktive tall" in page
    assert all(p.code != "0301" for p in report.peers)  # not mixed into the ranking


def test_sample_size_planner(client: FlaskClient, planner: Any) -> None:
    page = client.get("/results/sample-size?margin=5&share=50&target=80&lang=en")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"{stats.sample_size_for_margin(0.05, 0.5)} answers give a margin of error" in text
    distinguish = client.get("/results/sample-size?margin=5&share=75&target=80&lang=en")
    needed = stats.sample_size_to_distinguish(0.75, 0.8)
    assert f"{needed} answers are needed to tell" in distinguish.get_data(as_text=True)
    bad = client.get("/results/sample-size?margin=abc&lang=en").get_data(as_text=True)
    assert "Write the margin of error as a percentage" in bad
    comma = client.get("/results/sample-size?margin=2,5&share=50&lang=en").get_data(as_text=True)
    assert f"{stats.sample_size_for_margin(0.025, 0.5)} answers give a margin of error" in comma


def test_question_tables_use_the_headlines_denominator(
    client: FlaskClient, planner: Any, add_round: Callable[..., Any]
) -> None:
    """Satisfied 39.0 % + very satisfied 36.9 % once made 75.9 % beside a headline of 78.0 %:
    the tables kept "don't know" in the denominator. Now they add up, and "don't know" is
    shown as its own count."""
    add_round("5501", 2026, [5] * 148 + [4] * 156 + [3] * 50 + [2] * 36 + ["dont_know"] * 10)
    report = build_report("5501", "citizen-satisfaction", 2026)
    overall = next(q for q in report.questions if q.question.code == "overall")
    assert overall.n == report.headline.n == 390
    assert overall.dont_know == 10
    top_two = [o for o in overall.options if o.value in ("4", "5")]
    assert sum(o.count for o in top_two) == report.headline.k
    assert sum(o.share.proportion.share for o in top_two if o.share.proportion) == pytest.approx(
        report.headline.proportion.share if report.headline.proportion else 0
    )
    page = client.get("/results/5501?lang=en").get_data(as_text=True).replace("\u00a0", " ")
    table = page.split('id="question-overall"')[1].split("</table>")[0]
    assert "Answers (n = 390)" in table and "“Don't know”: 10, not part of n." in table
    assert "40.0 %" in table and "37.9 %" in table  # 156/390 and 148/390
    assert '<p class="big-number">77.9 %</p>' in page  # 304/390, the two together


def test_very_small_samples_are_judged_by_the_exact_interval(
    client: FlaskClient, planner: Any, add_round: Callable[..., Any]
) -> None:
    add_round("5501", 2026, satisfied(16, 16))  # Wilson alone said "met" (exact p = .055)
    report = build_report("5501", "citizen-satisfaction", 2026)
    assert report.comparison is not None
    assert report.comparison.verdict is stats.Verdict.INDISTINGUISHABLE
    assert report.comparison.proportion.interval.method == stats.CLOPPER_PEARSON
    page = client.get("/results/5501?lang=en").get_data(as_text=True)
    assert "Not distinguishable from the target at this sample size" in page
    assert "the interval is the exact (Clopper–Pearson) interval" in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("margin=5&share=0&target=80", "must lie strictly between 0 and 100"),
        ("margin=5&share=100&target=80", "must lie strictly between 0 and 100"),
    ],
)
def test_sample_size_planner_refuses_degenerate_shares(
    client: FlaskClient, planner: Any, query: str, message: str
) -> None:
    text = client.get(f"/results/sample-size?{query}&lang=en").get_data(as_text=True)
    assert message in text
    assert "answers give a margin of error" not in text  # no "1 answer needed"


def test_sample_size_planner_says_a_share_equal_to_the_target_cannot_be_told_apart(
    client: FlaskClient, planner: Any
) -> None:
    text = client.get("/results/sample-size?margin=5&share=80&target=80&lang=en").get_data(
        as_text=True
    )
    assert "A share equal to the target can never be told apart from it" in text
    assert "answers are needed to tell" not in text


def test_the_results_index_lists_only_municipalities_the_user_may_see(
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    add_round: Callable[..., Any],
) -> None:
    add_round("5501", 2026, satisfied(80, 100))
    add_round("1804", 2026, satisfied(80, 100))
    login(make_user("planner", municipalities=["5501", "1804", "0301"]))
    page = client.get("/results?lang=en").get_data(as_text=True)
    assert "Tromsø (5501)" in page and "Bodø (1804)" in page
    assert "(0301)" not in page  # assigned, but no survey results
    client.post("/logout")
    login(make_user("planner", municipalities=["5501"]))
    response = client.get("/results")
    assert response.status_code == 302 and response.location.endswith("/results/5501")


@pytest.mark.parametrize(
    "query", ["margin=٥", "margin=5²", "share=1e400", "target=8_0", "margin=" + "9" * 400]
)
def test_sample_size_reads_only_ascii_numbers(
    client: FlaskClient, planner: Any, query: str
) -> None:
    page = client.get(f"/results/sample-size?{query}&lang=en")
    assert page.status_code == 200
    assert "as a percentage between" in page.get_data(as_text=True)
