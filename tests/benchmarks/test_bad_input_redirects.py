"""The ``next`` payloads of the bad-input corpus (redirects.json), small: Flask's test client.

``make bench`` sends the same cases to a running gunicorn.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from benchmarks.perf import bad_input
from tests.conftest import TEST_PASSWORD


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "WTF_CSRF_ENABLED": True}


def test_redirect_corpus_stays_on_the_site(app: Flask, make_user: Callable[..., Any]) -> None:
    user = make_user("planner")
    outcomes = bad_input.run_redirect_cases(
        lambda: bad_input.FlaskBrowser(app), user.email, TEST_PASSWORD
    )
    assert len(outcomes) >= 25
    failures = {f"{o.name}: {o.answer}": "; ".join(o.problems) for o in outcomes if not o.ok}
    assert failures == {}
    text, ok = bad_input.markdown(bad_input.BadInputRun("sqlite", outcomes))
    assert ok and "`next` after language switch and log-in" in text
