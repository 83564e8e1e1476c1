"""The council report is a tagged PDF (PDF/UA-1), as universal-design rules require of
documents published on the web: a structure tree, the document language, headings, real
table headers, a text alternative on every chart, marked content."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

from flask.testing import FlaskClient
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from surveyapp.catalogs import translator
from surveyapp.exports.report_pdf import page_counter
from surveyapp.models import SurveyRound, TestRound
from surveyapp.results.report import build_report
from tests.results.conftest import satisfied


def _elements(node: Any) -> Iterator[DictionaryObject]:
    """Every structure element under ``node``, depth first (the reading order)."""
    node = node.get_object()
    if isinstance(node, DictionaryObject):
        if "/S" in node:
            yield node
        kids = node.get("/K")
        if kids is None:
            return
        for kid in kids if isinstance(kids, list) else [kids]:
            yield from _elements(kid)
    elif isinstance(node, list):
        for kid in node:
            yield from _elements(kid)


def _catalog(data: bytes) -> Any:
    return PdfReader(io.BytesIO(data)).trailer["/Root"]


def test_the_report_is_tagged_with_language_headings_tables_and_alt_text(
    client: FlaskClient, planner: Any, add_round: Callable[..., SurveyRound]
) -> None:
    for year, k in ((2024, 60), (2025, 70), (2026, 78)):
        add_round("5501", year, satisfied(k, 100), channel=["phone", "email"])
    add_round("1804", 2026, satisfied(90, 100))
    response = client.get("/results/5501/report.pdf?lang=nn")
    assert response.status_code == 200
    catalog = _catalog(response.data)
    assert catalog["/Lang"] == "nn"
    assert bool(catalog["/MarkInfo"]["/Marked"])
    assert bool(catalog["/ViewerPreferences"]["/DisplayDocTitle"])
    assert "/Metadata" in catalog  # XMP with the PDF/UA identification
    metadata = catalog["/Metadata"].get_object().get_data().decode("utf-8")
    assert "pdfuaid:part" in metadata

    elements = list(_elements(catalog["/StructTreeRoot"]))
    kinds = [str(e["/S"]) for e in elements]
    assert kinds.count("/H1") >= 6  # the title and every section
    assert "/H2" in kinds
    assert "/Table" in kinds and "/TH" in kinds and "/TD" in kinds
    figures = [e for e in elements if e["/S"] == "/Figure"]
    report = build_report("5501", "citizen-satisfaction", 2026)
    drawn = 2 + sum(1 for q in report.questions if q.options and not q.suppressed)
    assert len(figures) == drawn  # the years, the municipalities and each question
    alts = [str(f.get("/Alt", "")) for f in figures]
    assert all(len(alt) > 30 for alt in alts), alts
    # In the reading order: the years' chart, the municipalities', then each question's.
    text = translator("nn")
    assert alts[0] == text(
        "Line chart of the share satisfied per year with intervals and the target line. "
        "The figures are in the table below."
    )
    assert alts[1] == text(
        "Bar chart of the share satisfied per municipality, highest first, with this "
        "municipality highlighted and the target line. The figures are in the table below."
    )
    overall = next(q for q in report.questions if q.question.code == "overall")
    assert alts[-1].startswith(
        text(
            "Bar chart of the answers to “%(q)s”, as shares of the valid answers: %(values)s.",
            q=overall.question.text["nn"],
            values="",
        )[:40]
    )
    assert "78,0\u00a0%" in alts[-1]  # the shares themselves, not just "a chart"


def test_the_page_counter_follows_the_language() -> None:
    assert page_counter("Side %(page)s av %(pages)s") == (
        '"Side " counter(page) " av " counter(pages)'
    )
    assert page_counter("Page %(page)s of %(pages)s") == (
        '"Page " counter(page) " of " counter(pages)'
    )


def test_an_open_service_test_reads_not_final_in_the_headline(
    client: FlaskClient,
    planner: Any,
    add_round: Callable[..., SurveyRound],
    scored_round: TestRound,
) -> None:
    from tests.results.test_report_pdf import pages_of

    add_round("5501", 2026, satisfied(80, 100))
    assert scored_round.status != "locked"
    pages = pages_of(client.get("/results/5501/report.pdf?lang=en").data)
    headline = pages[1]
    assert "Service test" in headline
    assert f"{scored_round.title} (not final yet)" in headline
    # Pass or not beside the score, as on the dashboard and the ranking.
    summary = next(iter(_summaries(client)))
    mark = "Pass mark 75: " + ("passed" if summary.passed else "not passed")
    assert mark in " ".join(headline.split())
    assert any(mark.replace(": ", " ") in " ".join(page.split()) for page in pages[2:])


def _summaries(client: FlaskClient) -> list[Any]:
    from surveyapp.results.report import build_report

    with client.application.test_request_context("/"):
        report = build_report("5501", "citizen-satisfaction", 2026)
    return [report.service_test] if report.service_test is not None else []
