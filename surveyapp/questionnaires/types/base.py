"""What every question type provides: the one home of a type's rules (see ``__init__``).

A question type is a :class:`QuestionType` subclass in its own module of this package.
It owns the type's YAML keys and their validation, the form fields of the citizen page,
the answer rows its inputs store, how its answers are summarised and exported, its
preview, its demo answers and its XLSForm and LimeSurvey mapping. The rest of the app
looks a type up with :func:`surveyapp.questionnaires.types.get` and never names types.

Plain Python: WTForms is imported only where a page is built (``form_fields``) and
messages come through a ``gettext`` the caller passes in (Flask-Babel on a page, the
Flask-free catalogues elsewhere).
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from surveyapp.questionnaires.problems import N_, Text

if TYPE_CHECKING:  # pragma: no cover
    from wtforms import Field

    from surveyapp.questionnaires.survey import Option, Question, Scales, SurveyReader
    from surveyapp.questionnaires.yaml_source import Map

RawInputs = dict[str, list[str]]
Gettext = Callable[..., str]
Validator = Callable[[Any, Any], None]

DONT_KNOW = "dont_know"
COMMENT_SUFFIX = "__comment"


@dataclass(frozen=True)
class AnswerRow:
    """One stored answer: ``option``, ``value_num`` and ``value_text`` as the format says."""

    question_code: str
    option: str | None
    value_num: float | None
    value_text: str | None


@dataclass(frozen=True)
class TypeParts:
    """What a question's type reads besides the common keys."""

    options: tuple[Option, ...] = ()
    options_ok: bool = True
    dont_know: bool = False
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ExportColumn:
    """One answer column of the row-level exports: which stored field it shows."""

    code: str  # the column's name (comments: code + "__comment")
    kind: str  # rating | choice | multiple | number | text | comment
    free_text: bool = False  # written by the respondent: only when asked for


@dataclass(frozen=True)
class FieldContext:
    """What a type needs to build its form fields on a citizen page."""

    language: str
    gettext: Gettext
    label: str  # the question's text in the page's language
    required: Validator  # "answer this question" when required and shown; skips hidden ones
    choices: Callable[[Question], list[Any]]  # the options (and "don't know") as choices


@dataclass(frozen=True)
class DemoContext:
    """What the demo data asks a type for: its random numbers and the respondent's mood."""

    rng: random.Random
    satisfied_p: float  # how likely a satisfied answer is
    satisfied: tuple[int | str, ...] | None  # the indicator's values, for its question
    texts: tuple[str, ...]  # free texts to pick from


@dataclass(frozen=True)
class XlsQuestion:
    """A question as one row of an XLSForm ``survey`` sheet (the app's mapping)."""

    type: str  # e.g. "select_one", "integer"; a list name is added by the writer
    appearance: tuple[str, ...] = ()
    constraint: str = ""
    unit: Mapping[str, str] | None = None
    uses_choices: bool = False


@dataclass(frozen=True)
class Bound:
    """One comparison of an XLSForm ``constraint``: ``subject op number``."""

    subject: str  # ".", "count-selected(.)" or "string-length(.)"
    op: str  # ">=" or "<="
    number: float


class ImportProblem(Exception):
    """A cell of an imported file the type cannot honour; ``msgid`` with ``params``."""

    def __init__(self, column: str, msgid: str, **params: Any) -> None:
        super().__init__(msgid % params if params else msgid)
        self.column = column
        self.msgid = msgid
        self.params = params


class QuestionType(ABC):
    """A question type; subclasses set the class attributes and override what differs."""

    name: ClassVar[str]
    #: YAML keys besides code, type, text, help, error, required and show_if.
    keys: ClassVar[tuple[str, ...]] = ()
    #: The type's name in the staff preview (translated where shown).
    label: ClassVar[str]
    #: Answers are option values: the question may control a show_if condition.
    chooses: ClassVar[bool] = False
    #: May be the satisfaction indicator's question.
    indicator: ClassVar[bool] = False
    #: How results summarise it: "options" (shares per option), "numeric" (n, mean,
    #: range) or "none" (free text, dates: listed only in the row-level data).
    summary: ClassVar[str] = "none"
    #: Shares of respondents rather than of answers (options overlap).
    overlapping: ClassVar[bool] = False
    #: A mean and a 0–100 index are computed from the option values.
    scored: ClassVar[bool] = False
    #: Numbers shown as minutes and seconds rather than as numbers.
    duration: ClassVar[bool] = False
    #: Which macro of the citizen page shows it: choice, choices, duration or input.
    widget: ClassVar[str] = "input"
    #: XLSForm base types this type is read from.
    xlsform_types: ClassVar[tuple[str, ...]] = ()
    #: XLSForm appearances this type reads (and the one that marks it, if any).
    xlsform_appearances: ClassVar[tuple[str, ...]] = ()
    xlsform_marker: ClassVar[str | None] = None
    #: LimeSurvey question types (letters) this type is read from.
    limesurvey_types: ClassVar[tuple[str, ...]] = ()

    # ------------------------------------------------------------------ definition file

    def read(self, reader: SurveyReader, item: Map, where: Text, scales: Scales) -> TypeParts:
        """Read and check the type's own keys (problems go to the reader's report)."""
        return TypeParts()

    # ------------------------------------------------------------------ answers

    def field_names(self, question: Question) -> list[str]:
        """The form field names the question posts."""
        return [question.code]

    def answered_by(self, question: Question) -> list[str]:
        """The fields that together hold the answer (a comment beside it is not one)."""
        return [question.code]

    def allowed_values(self, question: Question) -> set[str]:
        """The option values an answer may have (choice types)."""
        allowed = {str(option.value) for option in question.options}
        if question.dont_know:
            allowed.add(DONT_KNOW)
        return allowed

    @abstractmethod
    def answer_rows(self, question: Question, raw: RawInputs) -> list[AnswerRow]:
        """The rows a shown question's raw inputs store."""
        ...

    # ------------------------------------------------------------------ citizen page

    def required_message(self, gettext: Gettext) -> str:
        """What to tell someone who left a required question of this type unanswered (a
        question's own ``error`` text comes first)."""
        return gettext("Write an answer.")

    @abstractmethod
    def form_fields(self, question: Question, ctx: FieldContext) -> dict[str, Field]:
        """The WTForms fields of the question, by field name."""
        ...

    # ------------------------------------------------------------------ staff pages, exports

    def details(self, question: Question, gettext: Gettext, pick: Callable[..., str]) -> list[str]:
        """Facts the staff preview lists under the question (settings in words)."""
        return []

    def export_columns(self, question: Question) -> list[ExportColumn]:
        """The question's columns in the row-level exports."""
        return [ExportColumn(question.code, "any")]

    def demo_rows(self, question: Question, demo: DemoContext) -> list[dict[str, Any]]:
        """Plausible demo answers (answer-row dicts); none leaves the question unanswered."""
        return []

    # ------------------------------------------------------------------ XLSForm

    @abstractmethod
    def to_xlsform(self, question: Question) -> XlsQuestion: ...

    def from_xlsform(
        self, base: str, appearance: tuple[str, ...], bounds: list[Bound], extra: dict[str, Any]
    ) -> dict[str, Any]:
        """The type's YAML keys from an XLSForm row; ImportProblem for what cannot be honoured.

        ``extra`` holds what the row gave besides the constraint: ``unit`` (a translation
        map), ``dont_know`` (the list had the reserved choice).
        """
        if bounds:
            raise ImportProblem("constraint", N_("the app has no equivalent of this constraint"))
        return {}


def row(
    code: str, option: str | None = None, num: float | None = None, text: str | None = None
) -> dict[str, Any]:
    """An answer-row dict as the demo data stores it."""
    return {"question_code": code, "option": option, "value_num": num, "value_text": text}


def chosen(question: Question, raw: RawInputs) -> list[str]:
    """The non-empty values posted under the question's own name."""
    return [v for v in raw.get(question.code, []) if v != ""]


def first(raw: RawInputs, name: str) -> str:
    values = raw.get(name) or [""]
    return values[0].strip()


def bounds_of(bounds: list[Bound], subject: str) -> tuple[float | None, float | None]:
    """The lowest and highest number a constraint allows for ``subject``.

    Any comparison on another subject is an ImportProblem: the app has no equivalent.
    """
    low = high = None
    for bound in bounds:
        if bound.subject != subject:
            raise ImportProblem(
                "constraint",
                N_("the app has no equivalent of the constraint part '%(part)s'"),
                part=f"{bound.subject} {bound.op} {bound.number:g}",
            )
        if bound.op == ">=":
            low = bound.number if low is None else max(low, bound.number)
        else:
            high = bound.number if high is None else min(high, bound.number)
    return low, high


def number_text(value: float) -> str:
    """A bound as a constraint writes it: 12, 2.5."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))
