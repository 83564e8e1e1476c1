"""The question-type registry: each type's answer path (page inputs → stored answer rows).

Property tests (Hypothesis) for every registered type: whatever a page posts, a type
stores only what its rules allow, and stores exactly what a valid answer says.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from surveyapp.questionnaires import types as question_types
from surveyapp.questionnaires.definition import Definition, load_file
from surveyapp.questionnaires.types.base import AnswerRow, QuestionType
from surveyapp.surveys import flow

ALL_TYPES = Path(__file__).parents[1] / "surveys" / "all-types.yaml"
DEFINITION: Definition = load_file(ALL_TYPES)
FAST = settings(max_examples=150, deadline=None)

junk = st.text(max_size=30)
posted_values = st.lists(junk, max_size=4)


def rows_for(code: str, posted: dict[str, list[str]]) -> list[AnswerRow]:
    """What a page posting ``posted`` stores for question ``code`` (all shown)."""
    question = DEFINITION.question(code)
    index = next(i for i, s in enumerate(DEFINITION.sections) if question in s.questions)
    raw = flow.page_inputs(DEFINITION, index, posted)
    if question.show_if is not None:  # make the controlling answer hold
        raw[question.show_if.question] = [str(question.show_if.values[0])]
    return [r for r in flow.answer_rows(DEFINITION, raw) if r.question_code == code]


def test_every_question_type_has_a_module_and_a_property_test() -> None:
    """A new type is registered in one place and must come with its answer-path test."""
    assert set(question_types.NAMES) == set(PROPERTY_TESTS)
    assert {q.type for q in DEFINITION.questions} == set(question_types.NAMES)
    for name, question_type in question_types.REGISTRY.items():
        assert isinstance(question_type, QuestionType)
        assert question_type.name == name
        assert question_type.label


# --------------------------------------------------------------------------- choice types


@FAST
@given(values=st.lists(st.sampled_from(["1", "2", "3", "4", "5", "dont_know", "6", "0"]) | junk))
def test_rating_stores_one_point_or_dont_know(values: list[str]) -> None:
    rows = rows_for("rating_q", {"rating_q": values})
    valid = [v for v in values if v in {"1", "2", "3", "4", "5", "dont_know"}]
    if not valid:
        assert rows == []
        return
    assert rows == [
        AnswerRow("rating_q", valid[0], None if valid[0] == "dont_know" else float(valid[0]), None)
    ]


@FAST
@given(values=st.lists(st.sampled_from(["a", "b", "c", "dont_know"]) | junk))
def test_single_stores_one_of_its_options(values: list[str]) -> None:
    rows = rows_for("single_q", {"single_q": values})
    valid = [v for v in values if v in {"a", "b"}]
    assert rows == ([AnswerRow("single_q", valid[0], None, None)] if valid else [])


@FAST
@given(values=st.lists(st.sampled_from(["x", "y", "z", "w", "dont_know"]) | junk, max_size=8))
def test_multiple_stores_a_row_per_chosen_option(values: list[str]) -> None:
    rows = rows_for("multiple_q", {"multiple_q": values})
    assert rows == [AnswerRow("multiple_q", v, None, None) for v in values if v in {"x", "y", "z"}]


@FAST
@given(
    values=st.lists(st.sampled_from(["yes", "no", "dont_know", "maybe"]) | junk, max_size=3),
    comment=st.text(max_size=40),
)
def test_yesno_stores_the_answer_its_number_and_the_comment(
    values: list[str], comment: str
) -> None:
    rows = rows_for("yesno_q", {"yesno_q": values, "yesno_q__comment": [comment]})
    valid = [v for v in values if v in {"yes", "no", "dont_know"}]
    if not valid:
        assert rows == []
        return
    number = {"yes": 1.0, "no": 0.0}.get(valid[0])
    stored_comment = flow.clean_text(comment).strip() or None
    assert rows == [AnswerRow("yesno_q", valid[0], number, stored_comment)]


# --------------------------------------------------------------------------- typed answers


@FAST
@given(number=st.integers(min_value=-50, max_value=150), text=junk)
def test_number_stores_numbers_inside_its_bounds_only(number: int, text: str) -> None:
    # number_q: min 0, max 100, decimals allowed.
    rows = rows_for("number_q", {"number_q": [str(number)]})
    expected = [AnswerRow("number_q", None, float(number), None)] if 0 <= number <= 100 else []
    assert rows == expected
    for row in rows_for("number_q", {"number_q": [text]}):
        assert row.value_num is not None and 0 <= row.value_num <= 100
        assert row.option is None and row.value_text is None


@FAST
@given(number=st.decimals(min_value=0, max_value=100, places=2, allow_nan=False))
def test_number_reads_a_decimal_comma(number: object) -> None:
    typed = str(number).replace(".", ",")
    assert rows_for("number_q", {"number_q": [typed]}) == [
        AnswerRow("number_q", None, float(str(number)), None)
    ]


@FAST
@given(minutes=st.integers(0, 80), seconds=st.integers(0, 70), junk_text=junk)
def test_duration_stores_seconds(minutes: int, seconds: int, junk_text: str) -> None:
    # duration_q: max_minutes 60.
    rows = rows_for(
        "duration_q", {"duration_q__min": [str(minutes)], "duration_q__sec": [str(seconds)]}
    )
    valid = minutes <= 60 and seconds <= 59
    assert rows == (
        [AnswerRow("duration_q", None, float(minutes * 60 + seconds), None)] if valid else []
    )
    for row in rows_for("duration_q", {"duration_q__min": [junk_text]}):
        assert row.value_num is not None and 0 <= row.value_num <= 60 * 60


@FAST
@given(day=st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)), text=junk)
def test_date_stores_iso_dates(day: date, text: str) -> None:
    for typed in (day.isoformat(), day.strftime("%d.%m.%Y")):
        assert rows_for("date_q", {"date_q": [typed]}) == [
            AnswerRow("date_q", None, None, day.isoformat())
        ]
    for row in rows_for("date_q", {"date_q": [text]}):
        assert date.fromisoformat(row.value_text or "")


@FAST
@given(moment=st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)))
def test_datetime_stores_iso_minutes(moment: datetime) -> None:
    typed = moment.strftime("%Y-%m-%dT%H:%M")
    assert rows_for("datetime_q", {"datetime_q": [typed]}) == [
        AnswerRow("datetime_q", None, None, typed)
    ]
    assert rows_for("datetime_q", {"datetime_q": [moment.strftime("%d.%m.%Y %H:%M")]}) == [
        AnswerRow("datetime_q", None, None, typed)
    ]


@FAST
@given(text=st.text(max_size=60))
def test_text_stores_what_was_written_without_control_characters(text: str) -> None:
    rows = rows_for("text_q", {"text_q": [text]})
    kept = flow.clean_text(text).strip()
    assert rows == ([AnswerRow("text_q", None, None, kept)] if kept else [])


PROPERTY_TESTS: dict[str, Callable[..., None]] = {
    "rating": test_rating_stores_one_point_or_dont_know,
    "single": test_single_stores_one_of_its_options,
    "multiple": test_multiple_stores_a_row_per_chosen_option,
    "yesno": test_yesno_stores_the_answer_its_number_and_the_comment,
    "number": test_number_stores_numbers_inside_its_bounds_only,
    "duration": test_duration_stores_seconds,
    "date": test_date_stores_iso_dates,
    "datetime": test_datetime_stores_iso_minutes,
    "text": test_text_stores_what_was_written_without_control_characters,
}
