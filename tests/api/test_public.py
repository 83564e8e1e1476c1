"""Without a token: published rounds only, exactly the dashboard's figures, hidden cells
hidden, and unpublished rounds as if they did not exist (404)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient
from jsonstat_validator import validate_jsonstat

from surveyapp.api import publishing
from surveyapp.extensions import db
from tests.results.conftest import satisfied

NATIONAL = "/api/v1/national/citizen-satisfaction"
RESULTS = "/api/v1/results/citizen-satisfaction"


def _cell(dataset: dict[str, Any], municipality: str, year: str, measure: str) -> Any:
    """A value of a JSON-stat dataset by category ids (row-major order)."""
    ids = dataset["id"]
    keys = {"municipality": municipality, "year": year, "measure": measure}
    position = 0
    for dim, size in zip(ids, dataset["size"], strict=True):
        index = dataset["dimension"][dim]["category"]["index"]
        key = keys.get(dim, index[0])
        position = position * size + index.index(key)
    return dataset["value"][position], (dataset.get("status") or {}).get(str(position))


def test_unpublished_rounds_are_invisible_without_a_token(
    api: FlaskClient, add_round: Callable[..., Any]
) -> None:
    survey_round = add_round("5501", 2026, satisfied(40, 50))
    assert api.get("/api/v1/rounds").get_json() == []
    assert api.get(f"/api/v1/rounds/{survey_round.id}").status_code == 404
    assert api.get(f"{RESULTS}/2026/5501").status_code == 404
    assert api.get(f"{RESULTS}/2026/5501/tables/years").status_code == 404
    assert api.get(NATIONAL).status_code == 404
    assert api.get("/api/v1/questionnaires").get_json() == []
    assert api.get("/api/v1/questionnaires/citizen-satisfaction").status_code == 404
    missing = api.get("/api/v1/rounds/999999")
    assert missing.status_code == 404  # the same answer as for the unpublished round
    assert missing.get_json()["message"]


def test_a_journalist_gets_the_dashboards_figures_as_json_stat(
    api: FlaskClient,
    add_round: Callable[..., Any],
    publish: Callable[..., Any],
    make_user: Callable[..., Any],
    login: Callable[..., FlaskClient],
) -> None:
    # 1599/2000 is below 80 %: every output reads 79.95 %, not 80.0 %.
    publish(add_round("5501", 2025, satisfied(37, 80)))
    publish(add_round("5501", 2026, satisfied(1599, 2000)))
    publish(add_round("1804", 2026, satisfied(63, 80)))
    national = api.get(NATIONAL)
    assert national.status_code == 200
    dataset = national.get_json()
    validate_jsonstat(dataset)
    assert dataset["id"] == ["municipality", "year", "question", "measure"]
    assert _cell(dataset, "5501", "2026", "share") == (79.95, None)
    assert _cell(dataset, "5501", "2026", "k") == (1599, None)
    assert _cell(dataset, "5501", "2026", "n") == (2000, None)
    assert _cell(dataset, "5501", "2026", "verdict")[0] == "indistinguishable"
    assert _cell(dataset, "5501", "2025", "share") == (46.3, None)
    assert _cell(dataset, "1804", "2026", "share") == (78.8, None)
    assert _cell(dataset, "1804", "2025", "share") == (None, None)  # no round at all

    # The planner's dashboard shows the same digits.
    login(make_user("planner", ["5501"]))
    page = api.get("/results/5501?year=2026&lang=en").get_data(as_text=True)
    big = re.search(r'class="big-number">([^<]+)<', page)
    assert big is not None and big.group(1).replace("\u00a0", " ") == "79.95 %"

    report = api.get(f"{RESULTS}/2026/5501").get_json()
    assert report["headline"]["share_percent"] == 79.95
    assert report["headline"]["k"] == 1599 and report["headline"]["n"] == 2000
    assert report["headline"]["verdict"] == "indistinguishable"
    assert [p["year"] for p in report["trend"]] == [2025, 2026]
    assert [p["code"] for p in report["peers"]] == ["5501", "1804"]
    years = api.get(report["tables"]["years"]["jsonstat"].replace("https://kommune.example.no", ""))
    validate_jsonstat(years.get_json())


def test_small_figures_are_hidden_with_a_status(
    api: FlaskClient, add_round: Callable[..., Any], publish: Callable[..., Any]
) -> None:
    publish(add_round("5501", 2026, satisfied(40, 50)))
    publish(add_round("1804", 2026, satisfied(3, 4)))  # four answers: hidden
    dataset = api.get(NATIONAL).get_json()
    validate_jsonstat(dataset)
    for measure in ("share", "low", "high", "k", "n", "verdict"):
        assert _cell(dataset, "1804", "2026", measure) == (None, "small")
    assert dataset["extension"]["status"]["small"].startswith("Skjult")
    rows = list(
        csv.DictReader(io.StringIO(api.get(f"{NATIONAL}?format=csv").get_data(as_text=True)))
    )
    hidden = next(r for r in rows if r["municipality"] == "1804")
    assert hidden["status"] == "small" and hidden["k"] == "" and hidden["n"] == ""
    report = api.get(f"{RESULTS}/2026/5501").get_json()
    peer = next(p for p in report["peers"] if p["code"] == "1804")
    assert peer["share"] | {"status": None} == {key: None for key in peer["share"]}
    assert peer["share"]["status"] == "small"


def test_hidden_groups_stay_hidden_in_every_table(
    api: FlaskClient, add_round: Callable[..., Any], publish: Callable[..., Any]
) -> None:
    # 60 answers by web, 36 by phone, 4 by letter: letters are few, and one more group is
    # hidden so that the letters cannot be worked out from the headline.
    channel = ["web"] * 60 + ["phone"] * 36 + ["letter"] * 4
    publish(add_round("5501", 2026, satisfied(70, 100), channel=channel))
    report = api.get(f"{RESULTS}/2026/5501").get_json()
    rows = {r["value"]: r["share"] for r in report["groups"][0]["rows"]}
    hidden = [value for value, share in rows.items() if share["status"] == "protected"]
    assert "letter" in hidden and len(hidden) >= 2
    for value in hidden:
        assert rows[value]["k"] is None and rows[value]["n"] is None
    table = api.get(f"{RESULTS}/2026/5501/tables/groups-channel").get_json()
    validate_jsonstat(table)
    statuses = set(table["status"].values())
    assert statuses == {"protected", "empty"}  # email and in person: no answers
    answers = api.get(f"{RESULTS}/2026/5501/tables/answers-channel").get_json()
    validate_jsonstat(answers)
    index = answers["dimension"]["option"]["category"]["index"]
    for value in hidden:
        at = index.index(value) * 4  # four measures per option
        assert answers["value"][at : at + 4] == [None] * 4
        assert answers["status"][str(at)] == "protected"


def test_unpublishing_takes_the_figures_away_again(
    api: FlaskClient, add_round: Callable[..., Any], publish: Callable[..., Any]
) -> None:
    survey_round = add_round("5501", 2026, satisfied(40, 50))
    publish(survey_round)
    assert api.get(f"/api/v1/rounds/{survey_round.id}").status_code == 200
    etag = api.get(NATIONAL).headers["ETag"]
    publishing.unpublish_survey_round(None, survey_round)
    db.session.commit()
    assert api.get(f"/api/v1/rounds/{survey_round.id}").status_code == 404
    assert api.get(NATIONAL, headers={"If-None-Match": etag}).status_code == 404


def test_every_report_table_is_valid_json_stat_and_csv(
    api: FlaskClient, add_round: Callable[..., Any], publish: Callable[..., Any]
) -> None:
    publish(add_round("5501", 2025, satisfied(30, 50), channel=["web", "phone"]))
    publish(add_round("5501", 2026, satisfied(40, 50), channel=["web", "phone"]))
    report = api.get(f"{RESULTS}/2026/5501").get_json()
    assert {"years", "peers", "groups-channel", "answers-overall"} <= set(report["tables"])
    for name, links in report["tables"].items():
        path = links["jsonstat"].replace("https://kommune.example.no", "")
        dataset = api.get(path).get_json()
        validate_jsonstat(dataset)
        text = api.get(path.replace("format=jsonstat", "format=csv"))
        assert text.mimetype == "text/csv", name
        lines = list(csv.reader(io.StringIO(text.get_data(as_text=True))))
        measures = dataset["dimension"]["measure"]["category"]["index"]
        assert lines[0][-len(measures) - 1 : -1] == measures, name
    assert api.get(f"{RESULTS}/2026/5501/tables/nothing").status_code == 404
    assert api.get(f"{RESULTS}/2026/5501/tables/years?format=xml").status_code == 400


def test_questionnaires_list_texts_in_three_languages_and_fingerprints(
    api: FlaskClient, add_round: Callable[..., Any], publish: Callable[..., Any]
) -> None:
    publish(add_round("5501", 2026, satisfied(40, 50)))
    listed = api.get("/api/v1/questionnaires").get_json()
    assert [q["code"] for q in listed] == ["citizen-satisfaction"]
    detail = api.get("/api/v1/questionnaires/citizen-satisfaction").get_json()
    overall = next(q for q in detail["versions"][0]["questions"] if q["code"] == "overall")
    assert set(overall["text"]) == {"nb", "nn", "en"}
    assert len(overall["fingerprint"]) == 64 and overall["indicator"] is True
    rounds = api.get("/api/v1/rounds").get_json()
    assert rounds[0]["published"] is True and rounds[0]["municipalities"] == ["5501"]
    assert api.get("/api/v1/questionnaires/no-such-survey").status_code == 404


def test_the_channels_table_is_the_dashboards_with_the_same_hidden_cells(
    api: FlaskClient, add_round: Callable[..., Any], publish: Callable[..., Any]
) -> None:
    """Answers by open link, paper and kiosk: the small kiosk and its protector hidden in
    the report's JSON and in the JSON-stat table, as on the dashboard."""
    from surveyapp.results.report import build_report
    from tests.results.test_channel_breakdown import mark_channels

    survey_round = add_round("5501", 2026, satisfied(48, 60))
    mark_channels(survey_round.id, ["web"] * 10 + ["paper"] * 4 + ["kiosk"])
    publish(survey_round)
    report = api.get(f"{RESULTS}/2026/5501").get_json()
    rows = {r["value"]: r["share"] for r in report["channels"]["rows"]}
    assert set(rows) == {"web", "paper", "kiosk"}
    assert rows["kiosk"]["status"] == rows["paper"]["status"] == "protected"
    assert rows["kiosk"]["n"] is None and rows["paper"]["k"] is None
    shown = build_report("5501", "citizen-satisfaction", 2026).channels
    assert shown is not None
    web = next(r.share for r in shown.rows if r.value == "web")
    assert (rows["web"]["k"], rows["web"]["n"]) == (web.k, web.n)
    assert web.n == 40
    assert "response-channels" in report["tables"]
    table = api.get(f"{RESULTS}/2026/5501/tables/response-channels").get_json()
    validate_jsonstat(table)
    assert table["dimension"]["option"]["label"] == "Kanal"
    index = table["dimension"]["option"]["category"]["index"]
    measures = len(table["dimension"]["measure"]["category"]["index"])
    for value in ("paper", "kiosk"):
        at = index.index(value) * measures
        assert table["value"][at : at + measures] == [None] * measures
        assert table["status"][str(at)] == "protected"
    at = index.index("web") * measures
    assert table["value"][at + 4] == 40  # n, as on the dashboard
    one_way = add_round("1804", 2026, satisfied(40, 50))
    publish(one_way)
    assert api.get(f"{RESULTS}/2026/1804").get_json()["channels"] is None
    missing = api.get(f"{RESULTS}/2026/1804/tables/response-channels")
    assert missing.status_code == 404 and missing.is_json
