from typing import Any
from tests.results.conftest import satisfied

def test_probe(client, planner, add_round) -> None:
    add_round("5501", 2026, satisfied(4, 6))
    with client.get("/exports/5501/answers.csv") as response:
        data = response.data
    assert data.count(b"\r\n") == 7
