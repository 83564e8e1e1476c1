"""Lists of municipalities read in Norwegian alphabetical order (Æ, Ø, Å last), not by
number and not in code-point order (which puts Å before Æ and Ø)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from surveyapp.formatting import norwegian_sort_key


@pytest.fixture
def admin(
    questionnaires: None, make_user: Callable[..., Any], login: Callable[[Any], FlaskClient]
) -> FlaskClient:
    return login(make_user("admin"))


def test_norwegian_sort_key() -> None:
    names = ["Ål", "Ørland", "Ås", "Aremark", "Æsøy", "Kárášjohka", "Bø", "Evenes"]
    assert sorted(names, key=norwegian_sort_key) == [
        "Aremark", "Bø", "Evenes", "Kárášjohka", "Æsøy", "Ørland", "Ål", "Ås",
    ]  # fmt: skip


def test_the_user_form_lists_municipalities_by_name(admin: FlaskClient) -> None:
    page = admin.get("/admin/users/new").get_data(as_text=True)
    # Ticked in lists by county (no Ctrl-click); counties and names in alphabetical order.
    assert "<select multiple" not in page and 'name="municipalities"' in page
    counties = re.findall(r'<summary>([^<]+) <span class="muted">', page)
    assert len(counties) == 15 and counties == sorted(counties, key=norwegian_sort_key)
    total = 0
    for block in page.split('<details class="picker-county"')[1:]:
        names = re.findall(r'<label for="m-\d{4}">([^<]+) <span', block)
        assert names == sorted(names, key=norwegian_sort_key)
        total += len(names)
    assert total == 357


def test_round_detail_and_results_index_list_by_name(
    admin: FlaskClient, make_round: Callable[..., Any]
) -> None:
    survey_round = make_round(municipalities=["5501", "3328", "0301", "4601"])
    page = " ".join(admin.get(f"/rounds/{survey_round.id}").get_data(as_text=True).split())
    assert "Bergen (4601), Oslo - Oslove (0301), Tromsø (5501), Ål (3328)" in page
    index = admin.get("/results?lang=en").get_data(as_text=True)
    assert "<title>Results – " in index  # nothing but the title in the title
    listed = re.findall(r'href="/results/(\d{4})"', index)
    assert listed == ["4601", "0301", "5501", "3328"]
