"""One number everywhere, and no way back to a hidden group: the same report through the
dashboard, the PDF, the workbook, the CSV files and the command line."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from pypdf import PdfReader

from surveyapp.results.stats_cli import stats_cli
from tests.exports.conftest import open_workbook
from tests.results.conftest import satisfied

NBSP = "\u00a0"


@pytest.fixture
def planner(make_user: Callable[..., Any], login: Callable[[Any], FlaskClient]) -> Any:
    user = make_user("planner", municipalities=["5501"])
    login(user)
    return user


def flat(text: str) -> str:
    return " ".join(text.replace(NBSP, " ").replace("\u202f", " ").split())


def pdf_pages(data: bytes) -> list[str]:
    return [flat(page.extract_text() or "") for page in PdfReader(io.BytesIO(data)).pages]


def excel_shows(value: float, number_format: str) -> str:
    """What Excel displays for a stored number in a "0.0%"-style cell (15 significant
    digits, then half away from zero), as "46.3"."""
    assert number_format.endswith("%"), number_format
    decimals = len(number_format.split(".")[1]) - 1 if "." in number_format else 0
    shown = (Decimal(f"{value:.15g}") * 100).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    return str(shown)


def digits(text: str) -> str:
    """ "46.3 %" or "46,3 %" → "46.3"."""
    return text.replace(NBSP, "").replace(" ", "").replace("%", "").replace(",", ".")


def csv_rows(data: bytes, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=delimiter))


# --------------------------------------------------------------------------- one number


CASES = [
    # k, n, share shown, interval shown (the figures of the issue)
    (37, 80, "46.3", ("35.7", "57.1")),
    (63, 80, "78.8", ("68.6", "86.3")),
    (1599, 2000, "79.95", ("78.1", "81.6")),
    (4411, 5587, "79.0", ("77.8624890", "79.9999995")),
]


@pytest.mark.parametrize(("k", "n", "share", "interval"), CASES)
def test_the_same_figure_has_the_same_digits_in_every_output(
    client: FlaskClient,
    planner: Any,
    add_round: Callable[..., Any],
    k: int,
    n: int,
    share: str,
    interval: tuple[str, str],
) -> None:
    add_round("5501", 2026, satisfied(k, n))

    page = html.unescape(client.get("/results/5501?lang=en").get_data(as_text=True))
    big = re.search(r'<p class="big-number">(.*?)</p>', page)
    assert big is not None
    shown = re.search(r"95 % interval: (\S+) % – (\S+) %\.", flat(page))
    assert shown is not None
    dashboard = (digits(big.group(1)), shown.group(1), shown.group(2))
    assert dashboard == (share, *interval)

    headline = pdf_pages(client.get("/results/5501/report.pdf?lang=en").data)[1]
    assert f"{share} %" in headline
    assert f"95 % interval: {interval[0]} % – {interval[1]} %." in headline

    book = open_workbook(client.get("/exports/5501/workbook.xlsx?lang=en", buffered=True).data)
    ws = book["Sammendrag"]
    assert tuple(excel_shows(ws[c].value, ws[c].number_format) for c in ("B4", "C4", "D4")) == (
        share,
        *interval,
    )

    # The figures CSV in both dialects: the same digits, the Norwegian with a decimal comma.
    for dialect, delimiter in (("standard", ","), ("excel-no", ";")):
        data = client.get(
            f"/exports/5501/aggregates.csv?lang=nb&dialect={dialect}", buffered=True
        ).data
        figures = csv_rows(data, delimiter)
        codes, headline_row = figures[1], figures[2]
        assert headline_row[0] == "headline"
        shown = [headline_row[codes.index(c)] for c in ("value", "low", "high")]
        assert [digits(v) for v in shown] == [share, *interval]
        assert all(("," in v) == (dialect == "excel-no") for v in shown)

    cli = CliRunner().invoke(stats_cli, ["proportion", "--satisfied", str(k), "--n", str(n)])
    lines = cli.stdout.splitlines()
    assert lines[0].startswith(f"Share satisfied: {share} %")
    assert lines[1].endswith(f"{interval[0]} % – {interval[1]} %")

    # Norwegian pages say the same with a decimal comma.
    nb = html.unescape(client.get("/results/5501?lang=nb").get_data(as_text=True))
    assert f'<p class="big-number">{share.replace(".", ",")}{NBSP}%</p>' in nb


def test_a_share_just_below_the_target_never_reads_as_the_target(
    client: FlaskClient, planner: Any, add_round: Callable[..., Any]
) -> None:
    add_round("5501", 2026, satisfied(1599, 2000))
    page = flat(html.unescape(client.get("/results/5501?lang=en").get_data(as_text=True)))
    assert "79.95 %" in page and "The share itself is below the target of 80 %" in page
    # Nowhere the share satisfied is shown (headline, years, municipalities, their average
    # and pooled figure) does it read 80.0 %; only "very satisfied", a different figure.
    before_questions = page.split('id="questions-title"')[0]
    assert "80.0 %" not in before_questions
    assert "Average of the municipalities: 79.95 %" in page


def test_p_below_0001_reads_the_same_in_the_pdf_and_on_the_page(
    client: FlaskClient, planner: Any, add_round: Callable[..., Any]
) -> None:
    add_round("5501", 2026, satisfied(300, 400))
    add_round("1804", 2026, satisfied(150, 400))
    page = flat(
        html.unescape(client.get("/results/5501?lang=en&compare=1804").get_data(as_text=True))
    )
    assert "p < 0.001" in page
    pdf = " ".join(pdf_pages(client.get("/results/5501/report.pdf?lang=en&compare=1804").data))
    assert "p < 0.001" in pdf and "p = 0.000" not in pdf
    book = open_workbook(
        client.get("/exports/5501/workbook.xlsx?lang=en&compare=1804", buffered=True).data
    )
    row = next(r for r in book["Kommuner"].iter_rows(min_row=3) if r[1].value == "1804")
    assert row[9].number_format == '[<0.001]"< 0.001";0.000'


def test_the_change_and_its_test_never_contradict(
    client: FlaskClient, planner: Any, add_round: Callable[..., Any]
) -> None:
    """6/7 then 2/7 (Newcombe's case): the interval excludes 0, Fisher's p = .103. The
    sentence says so and which one the verdict follows, on the page, in the PDF and the
    workbook alike."""
    add_round("5501", 2025, satisfied(2, 7))
    add_round("5501", 2026, satisfied(6, 7))
    page = flat(html.unescape(client.get("/results/5501?lang=en").get_data(as_text=True)))
    sentence = re.search(r'<p class="change">(.*?)</p>', page)
    assert sentence is not None
    text = sentence.group(1)
    assert "57.1 percentage points since 2025 (95 % interval 5.8 to 80.6; " in text
    assert "Fisher's exact test p = 0.103)" in text
    assert "the two methods disagree" in text and "The verdict follows the interval" in text
    assert "The change cannot be told apart from no change" not in text
    pdf = " ".join(pdf_pages(client.get("/results/5501/report.pdf?lang=en").data))
    assert text in pdf
    book = open_workbook(client.get("/exports/5501/workbook.xlsx?lang=en", buffered=True).data)
    cells = [
        flat(c.value) for row in book["Sammendrag"].iter_rows() for c in row if c.data_type == "s"
    ]
    assert text in cells


# --------------------------------------------------------------------------- hidden groups


def _tromso_with_a_letter_of_three(add_round: Callable[..., Any]) -> None:
    """The issue's demo case: 319 of 409 satisfied; letter 2 of 3."""
    overall: list[int] = []
    channel: list[str] = []
    for name, k, n in (
        ("phone", 125, 160),
        ("email", 95, 120),
        ("web", 63, 80),
        ("in_person", 34, 46),
        ("letter", 2, 3),
    ):
        overall += satisfied(k, n)
        channel += [name] * n
    add_round("5501", 2026, overall, channel=channel)


def _sums(values: list[int]) -> set[int]:
    return set(values)


def test_a_planner_cannot_recover_a_hidden_group_from_any_output(
    client: FlaskClient, planner: Any, add_round: Callable[..., Any]
) -> None:
    _tromso_with_a_letter_of_three(add_round)
    page = html.unescape(client.get("/results/5501?lang=en").get_data(as_text=True))
    assert "319 of 409 answers were satisfied" in page

    # The breakdown: letter and the next smallest group (in person) are both hidden.
    section = page.split('id="group-channel"')[1].split("</table>")[0]
    rows = re.findall(r'<th scope="row">(.*?)</th>(.*?)</tr>', section, re.S)
    cells = {name: flat(re.sub(r"<[^>]+>", " ", rest)) for name, rest in rows}
    hidden = [name for name, rest in cells.items() if "Hidden to protect respondents" in rest]
    assert sorted(hidden) == ["In person at the service office", "Letter"]
    assert all(cells[name].endswith("–") for name in hidden)  # no n for hidden groups
    shown_n = [int(cells[name].split()[-1]) for name in cells if name not in hidden]
    assert sum(shown_n) == 360  # 409 - 360 = 49 answers between two hidden groups

    # The channel question's own table hides the same groups' counts.
    question = page.split('id="question-channel"')[1].split("</table>")[0]
    counts = dict(
        (name, flat(re.sub(r"<[^>]+>", " ", rest)))
        for name, rest in re.findall(r'<th scope="row">(.*?)</th>(.*?)</tr>', question, re.S)
    )
    assert counts["Letter"].startswith("– Hidden") and "3" not in counts["Letter"]
    assert counts["In person at the service office"].startswith("– Hidden")

    # The PDF, the workbook and the figures CSV hold nothing more.
    pdf = " ".join(pdf_pages(client.get("/results/5501/report.pdf?lang=en").data))
    assert "Letter Hidden to protect respondents –" in pdf
    assert "66.7" not in pdf and "73.9" not in pdf  # letter 2/3, in person 34/46
    book = open_workbook(client.get("/exports/5501/workbook.xlsx?lang=en", buffered=True).data)
    channel_sheet = {
        row[0]: row for row in book["channel"].iter_rows(min_row=4, values_only=True) if row[0]
    }
    assert channel_sheet["Letter"][1:6] == ("–", None, None, None, "–")
    figures = csv_rows(client.get("/exports/5501/aggregates.csv?lang=en", buffered=True).data)
    codes = figures[1]
    rows = [dict(zip(codes, row, strict=True)) for row in figures[2:]]
    numbers = ("count", "value", "low", "high", "n", "p")
    letter_rows = [r for r in rows if r["row_code"] == "letter"]
    assert len(letter_rows) == 2  # the breakdown and the question
    assert all([r[c] for c in numbers] == [""] * 6 for r in letter_rows)
    assert not [r for r in rows if r["row_code"] == "in_person" and any(r[c] for c in numbers)]


def test_hidden_municipalities_are_listed_by_name_after_the_shown_ones(
    client: FlaskClient, planner: Any, add_round: Callable[..., Any]
) -> None:
    """A 3-of-4 municipality once sat between 75.5 % and 72.4 %: its place told its share."""
    add_round("5501", 2026, satisfied(302, 400))  # 75.5 %
    add_round("1804", 2026, satisfied(3, 4))  # Bodø: hidden
    add_round("1806", 2026, satisfied(290, 400))  # Narvik 72.5 %
    add_round("0301", 2026, satisfied(2, 3))  # Oslo: hidden
    page = html.unescape(client.get("/results/5501?lang=en").get_data(as_text=True))
    table = page.split('id="peers-title"')[1].split("</table>")[0]
    names = re.findall(r'<th scope="row">([^<]+?)(?: <span|</th>)', table)
    assert names == ["Tromsø", "Narvik", "Bodø", "Oslo - Oslove"]
    choices = page.split('class="compare-choice"')[1].split("</details>")[0]
    assert re.findall(r'<label for="compare-\d+">([^<]+)</label>', choices) == [
        "Bodø",
        "Narvik",
        "Oslo - Oslove",
    ]
    pdf = pdf_pages(client.get("/results/5501/report.pdf?lang=en").data)
    peers_page = next(p for p in pdf if "Share satisfied in 2026" in p)
    assert peers_page.index("Narvik") < peers_page.index("Bodø") < peers_page.index("Oslo")
    assert "listed by name at the end" in peers_page
    book = open_workbook(client.get("/exports/5501/workbook.xlsx?lang=en", buffered=True).data)
    listed = [r[1] for r in book["Kommuner"].iter_rows(min_row=3, max_row=6, values_only=True)]
    assert listed == ["5501", "1806", "1804", "0301"]
    svg = client.get("/results/5501/chart/peers.svg?lang=en").get_data(as_text=True)
    assert "Bodø" not in svg and "Oslo" not in svg  # real SVG text: hidden ones not drawn
    assert "Narvik" in svg


def test_a_fall_reads_with_the_same_minus_sign_everywhere(
    client: FlaskClient, planner: Any, add_round: Callable[..., Any]
) -> None:
    add_round("5501", 2025, satisfied(80, 100))
    add_round("5501", 2026, satisfied(60, 100))
    for lang in ("nb", "en"):
        page = flat(html.unescape(client.get(f"/results/5501?lang={lang}").get_data(as_text=True)))
        assert "\u221220" in page and "-20" not in page
        pdf = " ".join(pdf_pages(client.get(f"/results/5501/report.pdf?lang={lang}").data))
        assert "\u221220" in pdf and "-20" not in pdf
    book = open_workbook(client.get("/exports/5501/workbook.xlsx?lang=nb", buffered=True).data)
    ws = book["Sammendrag"]
    row = next(r for r in ws.iter_rows(min_row=4) if r[0].value == "Endring fra året før")
    assert row[1].value == pytest.approx(-0.2)
    assert row[1].number_format == '0.0%;"\u2212"0.0%'  # Excel shows −20,0 %
