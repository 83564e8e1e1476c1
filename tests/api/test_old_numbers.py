"""The API shows a municipality's earlier years under today's number (saying the number
then), keeps merged municipalities' years their own, and answers old numbers in URLs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from jsonstat_validator import validate_jsonstat

from tests.api.test_public import NATIONAL, RESULTS, _cell
from tests.results.conftest import satisfied


@pytest.fixture
def published(
    municipality_history: None, add_round: Callable[..., Any], publish: Callable[..., Any]
) -> None:
    """Tromsø's rounds under the numbers it had (1902, 5401, 5501), and Askim's last year
    before it was merged into Indre Østfold (0124 in 2019), all published."""
    publish(add_round("1902", 2019, satisfied(64, 100)))
    publish(add_round("5401", 2022, satisfied(70, 100)))
    publish(add_round("5501", 2025, satisfied(76, 100)))
    publish(add_round("0124", 2019, satisfied(12, 20)))


def test_the_national_table_shows_earlier_years_under_todays_number(
    api: FlaskClient, published: None
) -> None:
    dataset = api.get(NATIONAL).get_json()
    validate_jsonstat(dataset)
    municipality = dataset["dimension"]["municipality"]["category"]
    # Tromsø once, under 5501; Askim's figure stays its own (a merger is a break).
    assert municipality["index"] == ["0124", "5501"]
    assert municipality["label"] == {"0124": "Askim", "5501": "Tromsø"}
    assert dataset["dimension"]["year"]["category"]["index"] == ["2019", "2022", "2025"]
    assert _cell(dataset, "5501", "2019", "k") == (64, None)
    assert _cell(dataset, "5501", "2022", "k") == (70, None)
    assert _cell(dataset, "5501", "2025", "k") == (76, None)
    assert _cell(dataset, "0124", "2019", "k") == (12, None)
    assert _cell(dataset, "0124", "2022", "k") == (None, None)


def test_a_municipalitys_years_say_the_number_they_had(api: FlaskClient, published: None) -> None:
    report = api.get(f"{RESULTS}/2025/5501?lang=en").get_json()
    assert report["years"] == [2025, 2022, 2019]
    assert [(p["year"], p["number"], p["name"]) for p in report["trend"]] == [
        (2019, "1902", "Tromsø"),
        (2022, "5401", "Tromsø"),
        (2025, "5501", "Tromsø"),
    ]
    assert [p["share"]["k"] for p in report["trend"]] == [64, 70, 76]
    years = api.get(f"{RESULTS}/2025/5501/tables/years?lang=en").get_json()
    validate_jsonstat(years)
    assert years["dimension"]["year"]["category"]["note"] == {
        "2019": ["Then number 1902, Tromsø"],
        "2022": ["Then number 5401, Tromsø"],
    }
    earlier = api.get(f"{RESULTS}/2019/5501?lang=en").get_json()
    assert (earlier["headline"]["k"], earlier["headline"]["n"]) == (64, 100)
    askim = next(p for p in earlier["peers"] if p["code"] == "0124")
    assert askim["name"] == "Askim"
    assert askim["number_then"] is None and askim["now_part_of"] == ["3118 Indre Østfold"]
    own = next(p for p in earlier["peers"] if p["own"])
    assert own["code"] == "5501" and own["number_then"] == "1902"
    peers = api.get(f"{RESULTS}/2019/5501/tables/peers?lang=en").get_json()
    assert peers["dimension"]["municipality"]["category"]["label"]["0124"] == (
        "Askim (0124 in 2019, now part of 3118 Indre Østfold)"
    )


def test_old_numbers_in_api_urls_answer_with_today(api: FlaskClient, published: None) -> None:
    moved = api.get(f"{RESULTS}/2019/1902?lang=en")
    assert moved.status_code == 301
    assert moved.headers["Location"].endswith(f"{RESULTS}/2019/5501?lang=en")
    assert moved.headers["Access-Control-Allow-Origin"] == "*"
    table = api.get(f"{RESULTS}/2022/5401/tables/years?format=csv")
    assert table.status_code == 301
    assert table.headers["Location"].endswith(f"{RESULTS}/2022/5501/tables/years?format=csv")
    merged = api.get(f"{RESULTS}/2019/0124?lang=en")
    assert merged.status_code == 404
    assert merged.get_json()["message"] == (
        "0124 Askim was merged in 2020 into what is now 3118 Indre Østfold. Its figures are "
        "kept as its own, under today's municipality as a predecessor's: they are not added "
        "to anyone else's."
    )
    assert api.get(f"{RESULTS}/2019/9999?lang=en").get_json()["message"] == (
        "There is nothing here, or it is not published."
    )


def test_loading_the_history_changes_the_tables_etag(
    api: FlaskClient, app: Any, add_round: Callable[..., Any], publish: Callable[..., Any]
) -> None:
    from surveyapp.extensions import db
    from surveyapp.municipalities.cli import load_changes
    from surveyapp.municipalities.models import Municipality

    # A database whose register knows the old number but not yet the history.
    db.session.add(
        Municipality(
            code="1902", name="Tromsø", county_code="19", county_name="Troms", current=False
        )
    )
    db.session.commit()
    publish(add_round("1902", 2019, satisfied(64, 100)))
    publish(add_round("5501", 2025, satisfied(76, 100)))
    before = api.get(NATIONAL)
    municipality = before.get_json()["dimension"]["municipality"]["category"]
    assert municipality["index"] == ["1902", "5501"]  # no history: two numbers, two rows
    with app.app_context():
        load_changes()
        db.session.commit()
    after = api.get(NATIONAL, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert after.get_json()["dimension"]["municipality"]["category"]["index"] == ["5501"]
    spec = api.get("/api/v1/openapi.json").get_json()
    moved = spec["paths"]["/api/v1/results/{questionnaire}/{year}/{municipality}"]["get"]
    assert "301" in moved["responses"]


def test_the_catalogue_counts_municipalities_by_todays_number(
    api: FlaskClient, published: None
) -> None:
    from surveyapp.api import data

    (survey,) = data.catalogue_entries().surveys
    assert (survey.first_year, survey.last_year) == (2019, 2025)
    assert survey.municipalities == 2  # Tromsø (1902, 5401, 5501) and Askim
    text = api.get("/api/v1/catalog?lang=en").get_data(as_text=True)
    assert "for 2 municipalities, 2019" in text


def test_todays_number_of_every_stored_number_is_the_histories(
    app: Any, municipality_history: None
) -> None:
    """The national table's shortcut (a number in use and never renumbered away is itself)
    agrees with the history for every number and year it knows."""
    from surveyapp.api.data import _today_numbers
    from surveyapp.municipalities.lookup import history

    with app.test_request_context("/"):
        today = _today_numbers()
        known = history()
        checked = 0
        for code in known.periods:
            for year in range(2004, 2028):
                found = known.resolve(code, year)
                expected = found.lineage.code if found is not None and found.continuous else code
                assert today(code, year) == expected, (code, year)
                checked += 1
    assert checked > 800 * 24
