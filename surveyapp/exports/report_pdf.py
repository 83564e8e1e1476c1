"""The printable report for the council: one MunicipalityReport as a tagged A4 PDF.

Why WeasyPrint: documents published on the web must meet the universal-design rules,
which ask for tagged PDF (PDF/UA). WeasyPrint prints HTML and CSS to PDF/UA-1: the
document language, headings, tables with real header cells, alternative text on every
image and the reading order come from the HTML itself, and the share cells are the
dashboard's own template macro (``results/_share.html``). reportlab, which printed the
report before, writes no structure tree. WeasyPrint needs Pango (Debian
``libpango-1.0-0 libpangoft2-1.0-0``).

Plain: no request and no database. The caller passes the report (the same object the
dashboard shows, so the printed numbers are the dashboard's), the language, and the few
facts about the rounds that the report does not hold (``PrintFacts``). Numbers go
through ``formatting`` and sentences through ``results.sentences``, as on the page: the
same digits, the same hidden cells, the same words.

Layout: title page; the headline; the years (chart and table); the other municipalities
(chart and table) and the groups; every question (charts); the service test when there
is one; how the figures are made.
"""

from __future__ import annotations

import base64
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
from babel.dates import format_date
from markupsafe import Markup

from surveyapp import formatting
from surveyapp.catalogs import translator
from surveyapp.formatting import pick
from surveyapp.questionnaires import types as question_types
from surveyapp.results import charts, sentences
from surveyapp.results.report import MunicipalityReport, QuestionSummary

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
PDF_VARIANT = "pdf/ua-1"


@dataclass(frozen=True)
class RoundFacts:
    """One survey round behind the report's year, for the method page."""

    title: str
    period: str
    opens_on: date | None
    closes_on: date | None
    by_invitation: bool
    issued: int = 0  # invitations made for this municipality
    answered: int = 0  # responses sent in this municipality


@dataclass(frozen=True)
class PrintFacts:
    """What the report object does not hold: the date, the rounds, whether it is demo data."""

    generated_on: date = field(default_factory=date.today)
    rounds: Sequence[RoundFacts] = ()
    demo: bool = False


def _long_date(value: date, language: str) -> str:
    return str(format_date(value, format="long", locale=language))


@functools.cache
def _environment() -> jinja2.Environment:
    """Jinja without Flask: the templates folder, autoescaped, the app's filters."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def _fonts() -> dict[str, str]:
    """DejaVu Sans from matplotlib's package: the same font on every machine."""
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return {
        "regular": (folder / "DejaVuSans.ttf").as_uri(),
        "bold": (folder / "DejaVuSans-Bold.ttf").as_uri(),
    }


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def page_counter(template: str) -> str:
    """CSS ``content`` for "Page %(page)s of %(pages)s" in any language:
    "Side " counter(page) " av " counter(pages)."""
    parts = re.split(r"(%\((?:page|pages)\)s)", template)
    out = []
    for part in parts:
        if part == "%(page)s":
            out.append("counter(page)")
        elif part == "%(pages)s":
            out.append("counter(pages)")
        elif part:
            out.append(_css_string(part))
    return " ".join(out)


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


class _Printer:
    """Everything the template needs, in one language."""

    def __init__(self, report: MunicipalityReport, language: str, facts: PrintFacts) -> None:
        self.r = report
        self.lang = language
        self._ = translator(language)
        self.facts = facts
        self.demo = facts.demo or report.demo

    def title(self) -> str:
        return (
            f"{self.r.municipality.name}: {pick(self.r.definition.title, self.lang)} {self.r.year}"
        )

    def trend_caption(self) -> str:
        text = " ".join(
            [*sentences.continuity(self.r, self.lang), sentences.trend(self.r, self.lang)]
        )
        hidden = sentences.hidden_years(self.r, self.lang)
        return f"{text} {hidden}" if hidden else text

    def peers_caption(self) -> str:
        _ = self._
        text = _("Only municipalities asked the same question with the same wording are compared.")
        text += " " + _(
            "The dashed line marks the target of %(t)s; this municipality's bar is hatched.",
            t=formatting.target(self.r.target, self.lang),
        )
        hidden = sentences.hidden_peers(self.r, self.lang)
        return f"{text} {hidden}" if hidden else text

    def question_caption(self, summary: QuestionSummary) -> str:
        _ = self._
        parts = [_("Answers (n = %(n)s)", n=formatting.count(summary.n, self.lang)) + "."]
        if summary.dont_know is not None:
            parts.append(
                _(
                    "“Don't know”: %(n)s, not part of n.",
                    n=formatting.count(summary.dont_know, self.lang),
                )
            )
        if summary.hidden_options:
            parts.append(sentences.hidden_groups(self.lang, self.r.min_group_size))
        shown = [o for o in summary.options if o.share.proportion is not None]
        most = max((o.count for o in shown), default=0)
        leaders = [o for o in shown if o.count == most]
        if most and len(leaders) == 1 and not summary.hidden_options:
            # (a tie has no "most common" answer; nor has a table with hidden groups)
            top = leaders[0]
            parts.append(
                _(
                    "Most common answer: “%(label)s” (%(share)s).",
                    label=pick(top.label, self.lang),
                    share=sentences.share_text(top.share, self.lang),
                )
            )
        if summary.mean is not None:
            mean, index = summary.mean, summary.index
            num = functools.partial(formatting.number, language=self.lang)
            parts.append(
                _(
                    "Mean %(mean)s (95 %% interval %(low)s – %(high)s); as an index from 0 to"
                    " 100: %(index)s.",
                    mean=num(mean.mean, decimals=2),
                    low=num(mean.interval.low, decimals=2) if mean.interval else "–",
                    high=num(mean.interval.high, decimals=2) if mean.interval else "–",
                    index=num(index.mean, decimals=0) if index else "–",
                )
            )
        return " ".join(parts)

    def question_alt(self, summary: QuestionSummary) -> str:
        values = "; ".join(
            f"{pick(o.label, self.lang)}: {sentences.share_text(o.share, self.lang)}"
            for o in summary.options
            if o.share.proportion is not None
        )
        return self._(
            "Bar chart of the answers to “%(q)s”, as shares of the valid answers: %(values)s.",
            q=pick(summary.question.text, self.lang),
            values=values,
        )

    def other_questions(self) -> list[tuple[str, list[str]]]:
        _ = self._
        numeric: list[str] = []
        hidden: list[str] = []
        protected: list[str] = []
        unanswered: list[str] = []
        for summary in self.r.questions:
            text = pick(summary.question.text, self.lang)
            if summary.options and not summary.suppressed:
                continue  # drawn as a chart
            if summary.numeric is not None:
                numbers = summary.numeric
                if question_types.get(summary.question.type).duration:
                    mean, low, high = (
                        formatting.duration(v, self.lang)
                        for v in (numbers.mean, numbers.low, numbers.high)
                    )
                else:
                    mean = formatting.number(numbers.mean, self.lang, 1)
                    low = formatting.number(numbers.low, self.lang, 0)
                    high = formatting.number(numbers.high, self.lang, 0)
                line = _(
                    "%(n)s answers; mean %(mean)s (from %(low)s to %(high)s).",
                    n=formatting.count(numbers.n, self.lang),
                    mean=mean,
                    low=low,
                    high=high,
                )
                numeric.append(f"{text} {line}")
            elif summary.protected:
                protected.append(text)
            elif summary.n == 0:
                unanswered.append(text)
            else:
                hidden.append(text)
        return [
            (_("Other questions"), numeric),
            (_("Hidden: fewer than %(n)s answers.", n=self.r.min_group_size), hidden),
            (_("Hidden to protect respondents"), protected),
            (_("No answers"), unanswered),
        ]

    def rounds(self) -> tuple[list[dict[str, str]], str]:
        _ = self._
        rows = []
        for x in self.facts.rounds:
            if x.opens_on and x.closes_on:
                period = (
                    f"{_long_date(x.opens_on, self.lang)} – {_long_date(x.closes_on, self.lang)}"
                )
            else:
                period = x.period or str(self.r.year)
            access = (
                _("Only people with a personal invitation")
                if x.by_invitation
                else _("Anyone with the link")
            )
            rows.append({"title": x.title, "period": period, "access": access})
        rate = ""
        invited = [x for x in self.facts.rounds if x.by_invitation]
        if invited:
            issued = sum(x.issued for x in invited)
            answered = sum(x.answered for x in invited)
            rate = _(
                "Response rate: %(rate)s (%(answered)s of %(issued)s invited "
                "people have answered).",
                answered=answered,
                issued=issued,
                rate=formatting.percent(answered / issued if issued else None, self.lang, 1),
            )
        return rows, rate

    def rules(self) -> list[str]:
        _ = self._
        goal = formatting.target(self.r.target, self.lang)
        return [
            *sentences.method(self.r, self.lang),
            " ".join(
                [
                    _("Over the target: the whole interval lies above %(t)s.", t=goal),
                    _("Under the target: the whole interval lies below %(t)s.", t=goal),
                    _(
                        "Not distinguishable from the target at this sample size:"
                        " the interval contains %(t)s.",
                        t=goal,
                    ),
                ]
            ),
            _("Only municipalities asked the same question with the same wording are compared."),
            _(
                "Changes over time are computed only between years in which the question was"
                " worded the same; the trend uses the Cochran–Armitage test."
            ),
            _(
                "Municipalities compared: %(label)s.",
                label=sentences.peer_label(self.r.peer_scope, self.lang),
            ),
        ]

    def images(self) -> tuple[dict[str, str], dict[str, str]]:
        """Charts as PNG data and the text alternative of each."""
        _ = self._
        r, lang = self.r, self.lang
        images: dict[str, str] = {}
        alt: dict[str, str] = {}
        if r.shown_years:
            images["trend"] = _data_uri(charts.trend_chart(r, lang, "png"))
            alt["trend"] = " ".join(
                t
                for t in (
                    _(
                        "Line chart of the share satisfied per year with intervals and the "
                        "target line. The figures are in the table below."
                    ),
                    sentences.hidden_years(r, lang),
                )
                if t
            )
        if r.shown_peers:
            images["peers"] = _data_uri(charts.peers_chart(r, lang, "png"))
            alt["peers"] = " ".join(
                t
                for t in (
                    _(
                        "Bar chart of the share satisfied per municipality, highest first, "
                        "with this municipality highlighted and the target line. The figures "
                        "are in the table below."
                    ),
                    sentences.hidden_peers(r, lang),
                )
                if t
            )
        for summary in r.questions:
            if summary.options and not summary.suppressed:
                key = f"question:{summary.question.code}"
                png = charts.question_chart(summary, lang, "png", r.min_group_size, self.demo)
                images[key] = _data_uri(png)
                alt[key] = self.question_alt(summary)
        return images, alt

    def context(self) -> dict[str, Any]:
        r, lang = self.r, self.lang
        images, alt = self.images()
        rounds, rate = self.rounds()
        demo_label = self._("Demo data – fictitious figures")
        return {
            "report": r,
            "current_language": lang,
            "config": {"SURVEYAPP_MIN_GROUP_SIZE": r.min_group_size},
            "say": sentences,
            "fmt": formatting,
            "_": self._,
            "title": self.title(),
            "subtitle": self._("Report to the municipal council"),
            "generated_on": _long_date(self.facts.generated_on, lang),
            "demo": self.demo,
            "demo_label": demo_label,
            "footer_left": f"{r.municipality.name} ({r.municipality.code}) · {r.year}",
            "page_counter": Markup(
                page_counter(self._.catalogue.gettext("Page %(page)s of %(pages)s"))
            ),
            "fonts": _fonts(),
            "images": images,
            "alt": alt,
            "trend_caption": self.trend_caption(),
            "peers_caption": self.peers_caption(),
            "question_captions": {
                q.question.code: self.question_caption(q) for q in r.questions if q.options
            },
            "other_questions": self.other_questions(),
            "facts": self.facts,
            "rounds": rounds,
            "response_rate": rate,
            "rules": self.rules(),
        }


def render_html(report: MunicipalityReport, language: str, facts: PrintFacts | None = None) -> str:
    """The report as the HTML page WeasyPrint prints."""
    printer = _Printer(report, language, facts or PrintFacts())
    env = _environment().overlay()
    env.filters["pick"] = lambda texts: pick(texts, language)
    env.filters["count"] = lambda value: formatting.count(value, language)
    return env.get_template("exports/report_print.html").render(printer.context())


def build_pdf(report: MunicipalityReport, language: str, facts: PrintFacts | None = None) -> bytes:
    """The council report as tagged PDF (PDF/UA-1) bytes, in ``language``."""
    from weasyprint import HTML

    html = render_html(report, language, facts)
    document = HTML(string=html, base_url=str(TEMPLATES))
    return bytes(document.write_pdf(pdf_variant=PDF_VARIANT, uncompressed_pdf=False))
