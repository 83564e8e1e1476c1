"""The printable report for the council: one MunicipalityReport as an A4 PDF.

Plain: no request and no database. The caller passes the report (the same object the
dashboard shows, so the printed numbers are the dashboard's), the language, and the few
facts about the rounds that the report does not hold (``PrintFacts``). Numbers go
through ``formatting`` and sentences through ``results.sentences``, as on the page: the
same digits, the same hidden cells, the same words.

Layout (reportlab Platypus): title page; the headline; the years (chart and table);
the other municipalities (chart and table) and the groups; every question (charts);
the service test when there is one; how the figures are made.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from babel.dates import format_date
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    Image,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from surveyapp import formatting
from surveyapp.catalogs import translator
from surveyapp.formatting import pick
from surveyapp.results import charts, sentences, stats
from surveyapp.results.report import MunicipalityReport, QuestionSummary, Share

FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
CHART_DPI = 150  # charts.py renders PNG at 150 dpi

BLUE = colors.HexColor(charts.BLUE)
ORANGE = colors.HexColor(charts.ORANGE)
INK = colors.HexColor("#1b1b1b")
MUTED = colors.HexColor("#4a5159")
RULE = colors.HexColor("#c5ccd3")
HEADER_BG = colors.HexColor("#e8eef5")
OWN_BG = colors.HexColor("#fdf0e3")
VERDICT_BAR = {
    stats.Verdict.ABOVE: colors.HexColor("#1e6b34"),
    stats.Verdict.BELOW: colors.HexColor("#a1262c"),
    stats.Verdict.INDISTINGUISHABLE: colors.HexColor("#5a6570"),
}

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 20 * mm
MARGIN_TOP = 22 * mm
MARGIN_BOTTOM = 22 * mm
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN_X
FRAME_HEIGHT = PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM


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


# --------------------------------------------------------------------------- fonts, styles


def _register_fonts() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        import matplotlib

        folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
        pdfmetrics.registerFont(TTFont(FONT, str(folder / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont(FONT_BOLD, str(folder / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD
    )


def _style(name: str, **kw: Any) -> ParagraphStyle:
    if "parent" in kw:
        return ParagraphStyle(name, **kw)  # only what differs from the parent
    base: dict[str, Any] = {
        "fontName": FONT,
        "fontSize": 10.5,
        "leading": 14.5,
        "textColor": INK,
        "spaceAfter": 5,
    }
    base.update(kw)
    return ParagraphStyle(name, **base)


class _Styles:
    def __init__(self) -> None:
        self.body = _style("body")
        self.bold = _style("bold", fontName=FONT_BOLD)
        self.small = _style("small", fontSize=9, leading=12)
        self.caption = _style("caption", fontSize=9, leading=12.5, textColor=MUTED, spaceAfter=8)
        self.bullet = _style(
            "bullet", leftIndent=12, bulletIndent=2, spaceAfter=4, bulletFontName=FONT
        )
        self.h1 = _style(
            "h1", fontName=FONT_BOLD, fontSize=17, leading=21, textColor=BLUE, spaceAfter=9
        )
        self.h2 = _style(
            "h2", fontName=FONT_BOLD, fontSize=12.5, leading=16, spaceBefore=8, spaceAfter=5
        )
        self.big = _style("big", fontName=FONT_BOLD, fontSize=40, leading=46, textColor=BLUE)
        self.verdict = _style("verdict", fontName=FONT_BOLD, fontSize=11.5, leading=15.5)
        self.cell = _style("cell", fontSize=9, leading=11.5, spaceAfter=0)
        self.cell_bold = _style("cell_bold", parent=self.cell, fontName=FONT_BOLD)
        self.cell_num = _style("cell_num", parent=self.cell, alignment=TA_RIGHT)
        self.cell_num_bold = _style("cell_num_bold", parent=self.cell_num, fontName=FONT_BOLD)
        self.cell_muted = _style("cell_muted", parent=self.cell, textColor=MUTED)
        self.title = _style("title", fontName=FONT_BOLD, fontSize=30, leading=36, spaceAfter=4)
        self.title_sub = _style("title_sub", fontSize=13, leading=17, textColor=MUTED)
        self.title_survey = _style("title_survey", fontName=FONT_BOLD, fontSize=17, leading=22)
        self.title_year = _style(
            "title_year", fontName=FONT_BOLD, fontSize=40, leading=46, textColor=BLUE
        )
        self.demo = _style(
            "demo",
            fontName=FONT_BOLD,
            fontSize=16,
            leading=20,
            textColor=colors.white,
            spaceAfter=0,
        )


class _Heading(Paragraph):
    """A heading that also becomes an entry in the PDF's outline (bookmarks)."""

    def __init__(self, text: str, style: ParagraphStyle, level: int) -> None:
        super().__init__(escape(text), style)
        self.outline_text = text
        self.outline_level = level


# --------------------------------------------------------------------------- numbers


def _long_date(value: date, language: str) -> str:
    return str(format_date(value, format="long", locale=language))


# --------------------------------------------------------------------------- the document


class _Document(BaseDocTemplate):
    def __init__(self, buffer: io.BytesIO, *, footer: Callable[[Canvas, Any], None], **kw: Any):
        super().__init__(
            buffer,
            pagesize=A4,
            leftMargin=MARGIN_X,
            rightMargin=MARGIN_X,
            topMargin=MARGIN_TOP,
            bottomMargin=MARGIN_BOTTOM,
            author="surveyapp",
            creator="surveyapp",
            displayDocTitle=True,
            pageCompression=1,
            **kw,
        )
        frame = Frame(
            MARGIN_X,
            MARGIN_BOTTOM,
            FRAME_WIDTH,
            FRAME_HEIGHT,
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
            id="body",
        )
        self.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=footer)])
        self._outline = 0

    def afterFlowable(self, flowable: Flowable) -> None:
        if isinstance(flowable, _Heading):
            self._outline += 1
            key = f"section-{self._outline}"
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(
                flowable.outline_text, key, level=flowable.outline_level, closed=False
            )


class _Builder:
    """Builds the story (the list of flowables) in one language."""

    def __init__(
        self,
        report: MunicipalityReport,
        language: str,
        facts: PrintFacts,
        images: dict[str, bytes],
    ) -> None:
        self.r = report
        self.lang = language
        self.translate = translator(language)
        self.facts = facts
        self.images = images
        self.s = _Styles()
        self.min_n = report.min_group_size

    # -- helpers

    def _(self, msgid: str, **values: Any) -> str:
        """Translate, then fill in the values (as the templates do: ``%%`` becomes ``%``)."""
        return self.translate(msgid, **values)

    def pct(self, value: float | None, decimals: int = 1) -> str:
        return formatting.percent(value, self.lang, decimals)

    def num(self, value: float | None, decimals: int = 1) -> str:
        return formatting.number(value, self.lang, decimals)

    def p(self, text: str, style: ParagraphStyle | None = None) -> Paragraph:
        return Paragraph(escape(text), style or self.s.body)

    def bullet(self, text: str) -> Paragraph:
        return Paragraph(escape(text), self.s.bullet, bulletText="•")

    def h1(self, text: str) -> _Heading:
        return _Heading(text, self.s.h1, 0)

    def h2(self, text: str) -> _Heading:
        return _Heading(text, self.s.h2, 1)

    def chart(self, name: str, max_height: float = FRAME_HEIGHT * 0.8) -> Image:
        data = self.images[name]
        width_px, height_px = ImageReader(io.BytesIO(data)).getSize()
        width = width_px / CHART_DPI * 72
        height = height_px / CHART_DPI * 72
        scale = min(FRAME_WIDTH / width, max_height / height, 1.0)
        image = Image(io.BytesIO(data), width=width * scale, height=height * scale)
        image.hAlign = "LEFT"
        return image

    def table(
        self,
        rows: list[list[Any]],
        widths: list[float],
        extra: list[tuple[Any, ...]] | None = None,
    ) -> Table:
        table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
                    ("LINEBELOW", (0, 0), (-1, 0), 0.8, BLUE),
                    ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE),
                    ("TOPPADDING", (0, 0), (-1, -1), 3),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                    ("LEFTPADDING", (0, 0), (-1, -1), 4),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 4),
                    *(extra or []),
                ]
            )
        )
        return table

    def head(self, *labels: str, numeric_from: int = 1) -> list[Any]:
        return [
            Paragraph(
                escape(label),
                self.s.cell_num_bold if i >= numeric_from else self.s.cell_bold,
            )
            for i, label in enumerate(labels)
        ]

    def share_cells(self, share: Share, bold: bool = False) -> tuple[list[Any], bool]:
        """Share, interval and n cells (as the dashboard's share_cells); True when spanned."""
        num = self.s.cell_num_bold if bold else self.s.cell_num
        if share.proportion is not None:
            return [
                Paragraph(escape(sentences.share_text(share, self.lang)), num),
                Paragraph(escape(sentences.interval_text(share, self.lang)), num),
                Paragraph(escape(formatting.count(share.n, self.lang)), num),
            ], False
        hidden = sentences.hidden_cell(share, self.lang, self.min_n)
        if share.protected:
            n = formatting.DASH
        elif share.suppressed and share.n > 0:
            n = f"< {self.min_n}"
        else:
            n = "0"
        return [self.p(hidden, self.s.cell_muted), "", Paragraph(escape(n), num)], True

    # -- the parts

    def title(self) -> str:
        return (
            f"{self.r.municipality.name}: {pick(self.r.definition.title, self.lang)} {self.r.year}"
        )

    def subtitle(self) -> str:
        return self._("Report to the municipal council")

    def demo_label(self) -> str:
        return self._("Demo data – fictitious figures")

    def story(self) -> list[Flowable]:
        story: list[Flowable] = []
        story += self.title_page()
        story.append(PageBreak())
        story += self.headline_page()
        story.append(PageBreak())
        story += self.years_section()
        story.append(PageBreak())
        story += self.peers_section()
        story += self.groups_section()
        story.append(PageBreak())
        story += self.questions_section()
        story += self.service_test_section()
        story.append(PageBreak())
        story += self.method_page()
        return story

    def title_page(self) -> list[Flowable]:
        s, r = self.s, self.r
        parts: list[Flowable] = []
        if self.facts.demo:
            box = Table([[self.p(self.demo_label(), s.demo)]], colWidths=[FRAME_WIDTH])
            box.setStyle(
                TableStyle(
                    [
                        ("BACKGROUND", (0, 0), (-1, -1), ORANGE),
                        ("TOPPADDING", (0, 0), (-1, -1), 10),
                        ("BOTTOMPADDING", (0, 0), (-1, -1), 10),
                        ("LEFTPADDING", (0, 0), (-1, -1), 12),
                    ]
                )
            )
            parts += [box, Spacer(1, 30 * mm)]
        else:
            parts.append(Spacer(1, 30 * mm + 40))
        parts += [
            _Heading(r.municipality.name, s.title, 0),
            self.p(f"{self._('Municipality number')} {r.municipality.code}", s.title_sub),
            Spacer(1, 18 * mm),
            self.p(pick(r.definition.title, self.lang), s.title_survey),
            self.p(str(r.year), s.title_year),
            Spacer(1, 12 * mm),
            self.p(self.subtitle(), s.title_survey),
            self.p(
                f"{self._('Date')}: {_long_date(self.facts.generated_on, self.lang)}",
                s.title_sub,
            ),
        ]
        if self.facts.demo:
            parts += [
                Spacer(1, 12 * mm),
                self.p(self._("The figures in this report are fictitious demo data."), s.bold),
            ]
        return parts

    def headline_page(self) -> list[Flowable]:
        s, r = self.s, self.r
        parts: list[Flowable] = [self.h1(self._("Share satisfied"))]
        if r.headline.proportion is not None and r.comparison is not None:
            parts += [
                self.p(sentences.share_text(r.headline, self.lang), s.big),
                self.p(sentences.answers_line(r, self.lang)),
                self.p(sentences.interval_line(r, self.lang)),
                self.p(f"{self._('Target')}: {formatting.target(r.target, self.lang)}"),
                Spacer(1, 3 * mm),
            ]
            box = Table(
                [["", self.p(sentences.verdict(r.comparison, self.lang), s.verdict)]],
                colWidths=[4, FRAME_WIDTH - 4],
            )
            box.setStyle(
                TableStyle(
                    [
                        ("BACKGROUND", (0, 0), (0, 0), VERDICT_BAR[r.comparison.verdict]),
                        ("BACKGROUND", (1, 0), (1, 0), HEADER_BG),
                        ("TOPPADDING", (0, 0), (-1, -1), 8),
                        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                        ("LEFTPADDING", (1, 0), (1, 0), 10),
                    ]
                )
            )
            parts += [box, Spacer(1, 3 * mm)]
            parts.append(self.p(sentences.point_side(r.comparison, self.lang)))
            notes = " ".join(
                n
                for n in (
                    sentences.interval_method(r.headline, self.lang),
                    sentences.precision_note(r.headline, self.lang),
                )
                if n
            )
            if notes:
                parts.append(self.p(notes, s.caption))
        else:
            parts.append(self.p(sentences.headline_hidden(r, self.lang)))
        parts += [
            self.h2(self._("Change since the year before")),
            self.p(sentences.change(r, self.lang)),
        ]
        # The rest of the report in brief: the same computed sentences as on its pages.
        parts += [self.p(self._("Over the years"), s.h2), self.p(self.trend_caption())]
        ranking = self.ranking_text()
        if ranking:
            parts += [self.p(self._("Compared with other municipalities"), s.h2)]
            parts.append(self.p(ranking))
        st = self.r.service_test
        if st is not None:
            parts += [
                self.p(self._("Service test"), s.h2),
                self.p(
                    f"{self._('Score')}: {self.num(st.score, 1)} {self._('of 100')}. "
                    f"{self._('Rank')}: "
                    f"{self._('%(rank)s of %(n)s', rank=st.rank or '–', n=st.ranked)}."
                ),
            ]
        return parts

    def trend_caption(self) -> str:
        text = " ".join(
            [*sentences.continuity(self.r, self.lang), sentences.trend(self.r, self.lang)]
        )
        hidden = sentences.hidden_years(self.r, self.lang)
        return f"{text} {hidden}" if hidden else text

    def years_section(self) -> list[Flowable]:
        r, s = self.r, self.s
        parts: list[Flowable] = [self.h1(self._("Over the years"))]
        if "trend" in self.images:
            parts += [self.chart("trend"), self.p(self.trend_caption(), s.caption)]
        else:
            parts.append(self.p(self.trend_caption()))
        rows: list[list[Any]] = [
            self.head(
                self._("Year"),
                self._("Share"),
                self._("95 %% interval"),
                self._("Answers"),
                self._("Note"),
                numeric_from=1,
            )
        ]
        rows[0][-1] = Paragraph(escape(self._("Note")), s.cell_bold)
        spans: list[tuple[Any, ...]] = []
        for i, point in enumerate(r.trend, start=1):
            bold = point.year == r.year
            cells, spanned = self.share_cells(point.share, bold)
            if spanned:
                spans.append(("SPAN", (1, i), (2, i)))
            note = sentences.point_note(point, r, self.lang)
            rows.append(
                [
                    Paragraph(str(point.year), s.cell_bold if bold else s.cell),
                    *cells,
                    self.p(note, s.cell),
                ]
            )
        widths = [18 * mm, 24 * mm, 42 * mm, 20 * mm]
        widths.append(FRAME_WIDTH - sum(widths))
        parts += [
            Spacer(1, 2 * mm),
            self.p(self._("Share satisfied per year"), s.h2),
            self.table(rows, widths, spans),
        ]
        return parts

    def peers_section(self) -> list[Flowable]:
        s = self.s
        parts: list[Flowable] = [self.h1(self._("Compared with other municipalities"))]
        ranking = self.ranking_text()
        if ranking:
            parts.append(self.p(ranking))
        if "peers" in self.images:
            parts.append(self.chart("peers", FRAME_HEIGHT * 0.62))
            parts.append(self.p(self.peers_caption(), s.caption))
        parts += self.peer_table()
        return parts

    def ranking_text(self) -> str:
        return sentences.ranking(self.r, self.lang)

    def peers_caption(self) -> str:
        r = self.r
        text = self._(
            "Only municipalities asked the same question with the same wording are compared."
        )
        text += " " + self._(
            "The dashed line marks the target of %(t)s; this municipality's bar is hatched.",
            t=formatting.target(r.target, self.lang),
        )
        hidden = sentences.hidden_peers(r, self.lang)
        if hidden:
            text += " " + hidden
        return text

    def peer_table(self) -> list[Flowable]:
        r, s = self.r, self.s
        with_difference = any(p.difference for p in r.peers)
        labels = [
            self._("Municipality"),
            self._("Share"),
            self._("95 %% interval"),
            self._("Answers"),
        ]
        if with_difference:
            labels.append(self._("Difference (this municipality minus the other)"))
        rows: list[list[Any]] = [self.head(*labels)]
        extra: list[tuple[Any, ...]] = []
        for i, peer in enumerate(r.peers, start=1):
            name = sentences.peer_name(peer, r.year, self.lang)
            if peer.is_own:
                name += f" ({self._('this municipality')})"
                extra.append(("BACKGROUND", (0, i), (-1, i), OWN_BG))
            cells, spanned = self.share_cells(peer.share, peer.is_own)
            if spanned:
                extra.append(("SPAN", (1, i), (2, i)))
            row = [self.p(name, s.cell_bold if peer.is_own else s.cell), *cells]
            if with_difference:
                row.append(self.p(sentences.difference_cell(peer, self.lang), s.cell))
            rows.append(row)
        widths = [24 * mm, 42 * mm, 18 * mm]
        if with_difference:
            widths.append(48 * mm)
        widths.insert(0, FRAME_WIDTH - sum(widths))
        return [
            CondPageBreak(40 * mm),
            self.p(self._("Share satisfied in %(year)s", year=r.year), s.h2),
            self.table(rows, widths, extra),
        ]

    def groups_section(self) -> list[Flowable]:
        s = self.s
        parts: list[Flowable] = []
        for breakdown in self.r.breakdowns:
            if not any(row.share.n for row in breakdown.rows):
                continue  # nobody answered the grouping question
            rows: list[list[Any]] = [
                self.head(
                    self._("Group"),
                    self._("Share satisfied"),
                    self._("95 %% interval"),
                    self._("Answers"),
                )
            ]
            spans: list[tuple[Any, ...]] = []
            for i, row in enumerate(breakdown.rows, start=1):
                cells, spanned = self.share_cells(row.share)
                if spanned:
                    spans.append(("SPAN", (1, i), (2, i)))
                rows.append([self.p(pick(row.label, self.lang), s.cell), *cells])
            widths = [30 * mm, 42 * mm, 18 * mm]
            widths.insert(0, FRAME_WIDTH - sum(widths))
            title = self._(
                "Share satisfied by answer to “%(q)s”", q=pick(breakdown.question.text, self.lang)
            )
            table = self.table(rows, widths, spans)
            block: list[Flowable] = [self.h2(title), table]
            if breakdown.hidden_groups:
                block.append(self.p(sentences.hidden_groups(self.lang, self.min_n), s.caption))
            if len(rows) <= 15:
                parts.append(KeepTogether(block))
            else:
                parts += [CondPageBreak(45 * mm), *block]
        return parts

    def question_caption(self, summary: QuestionSummary) -> str:
        parts = [self._("Answers (n = %(n)s)", n=formatting.count(summary.n, self.lang)) + "."]
        if summary.dont_know is not None:
            parts.append(
                self._(
                    "“Don't know”: %(n)s, not part of n.",
                    n=formatting.count(summary.dont_know, self.lang),
                )
            )
        if summary.hidden_options:
            parts.append(sentences.hidden_groups(self.lang, self.min_n))
        shown = [o for o in summary.options if o.share.proportion is not None]
        most = max((o.count for o in shown), default=0)
        leaders = [o for o in shown if o.count == most]
        if most and len(leaders) == 1 and not summary.hidden_options:
            # (a tie has no "most common" answer; nor has a table with hidden groups)
            top = leaders[0]
            label = pick(top.label, self.lang)
            parts.append(
                self._(
                    "Most common answer: “%(label)s” (%(share)s).",
                    label=label,
                    share=sentences.share_text(top.share, self.lang),
                )
            )
        if summary.mean is not None:
            mean, index = summary.mean, summary.index
            parts.append(
                self._(
                    "Mean %(mean)s (95 %% interval %(low)s – %(high)s); as an index from 0 to"
                    " 100: %(index)s.",
                    mean=self.num(mean.mean, 2),
                    low=self.num(mean.interval.low, 2) if mean.interval else "–",
                    high=self.num(mean.interval.high, 2) if mean.interval else "–",
                    index=self.num(index.mean, 0) if index else "–",
                )
            )
        return " ".join(parts)

    def questions_section(self) -> list[Flowable]:
        s = self.s
        parts: list[Flowable] = [self.h1(self._("Every question"))]
        numeric: list[str] = []
        hidden: list[str] = []
        protected: list[str] = []
        unanswered: list[str] = []
        for summary in self.r.questions:
            text = pick(summary.question.text, self.lang)
            name = f"question:{summary.question.code}"
            if summary.options and not summary.suppressed and name in self.images:
                parts.append(
                    KeepTogether(
                        [
                            self.chart(name, FRAME_HEIGHT * 0.45),
                            self.p(self.question_caption(summary), s.caption),
                        ]
                    )
                )
            elif summary.numeric is not None:
                numbers = summary.numeric
                if summary.question.type == "duration":
                    mean, low, high = (
                        formatting.duration(v, self.lang)
                        for v in (numbers.mean, numbers.low, numbers.high)
                    )
                else:
                    mean = self.num(numbers.mean, 1)
                    low, high = self.num(numbers.low, 0), self.num(numbers.high, 0)
                line = self._(
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
        for heading, items in (
            (self._("Other questions"), numeric),
            (self._("Hidden: fewer than %(n)s answers.", n=self.min_n), hidden),
            (self._("Hidden to protect respondents"), protected),
            (self._("No answers"), unanswered),
        ):
            if items:
                parts.append(
                    KeepTogether([self.p(heading, s.bold), *(self.bullet(t) for t in items[:1])])
                )
                parts += [self.bullet(t) for t in items[1:]]
        return parts

    def service_test_section(self) -> list[Flowable]:
        st = self.r.service_test
        if st is None:
            return []
        s = self.s
        title = st.title + ("" if st.locked else f" ({self._('not final yet')})")
        facts = [
            (self._("Score"), f"{self.num(st.score, 1)} {self._('of 100')}"),
            (self._("Rank"), self._("%(rank)s of %(n)s", rank=st.rank or "–", n=st.ranked)),
            (self._("Grade"), pick(st.band, self.lang) if st.band else "–"),
            (self._("National average"), self.num(st.national_average, 1)),
        ]
        rows = [[self.p(k, s.cell_bold), self.p(v, s.cell)] for k, v in facts]
        table = Table(rows, colWidths=[50 * mm, FRAME_WIDTH - 50 * mm], hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
                    ("TOPPADDING", (0, 0), (-1, -1), 3),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                    ("LEFTPADDING", (0, 0), (-1, -1), 4),
                ]
            )
        )
        return [
            CondPageBreak(60 * mm),
            KeepTogether([self.h1(self._("Service test")), self.p(title), table]),
        ]

    def method_page(self) -> list[Flowable]:
        r, s, f = self.r, self.s, self.facts
        parts: list[Flowable] = [self.h1(self._("How the figures are made"))]
        parts += [
            self.h2(self._("Sample")),
            self.p(self._("%(n)s responses in %(year)s.", n=r.responses, year=r.year)),
        ]
        if f.rounds:
            invitation_rounds = [x for x in f.rounds if x.by_invitation]
            rows: list[list[Any]] = [
                self.head(
                    self._("Survey rounds"),
                    self._("Period"),
                    self._("Who can answer"),
                    numeric_from=9,
                )
            ]
            for x in f.rounds:
                if x.opens_on and x.closes_on:
                    period = (
                        f"{_long_date(x.opens_on, self.lang)} – "
                        f"{_long_date(x.closes_on, self.lang)}"
                    )
                else:
                    period = x.period or str(r.year)
                access = (
                    self._("Only people with a personal invitation")
                    if x.by_invitation
                    else self._("Anyone with the link")
                )
                rows.append(
                    [self.p(x.title, s.cell), self.p(period, s.cell), self.p(access, s.cell)]
                )
            widths = [60 * mm, 62 * mm]
            widths.append(FRAME_WIDTH - sum(widths))
            parts.append(self.table(rows, widths))
            if invitation_rounds:
                issued = sum(x.issued for x in invitation_rounds)
                answered = sum(x.answered for x in invitation_rounds)
                parts += [
                    Spacer(1, 2 * mm),
                    self.p(
                        self._(
                            "Response rate: %(rate)s (%(answered)s of %(issued)s invited "
                            "people have answered).",
                            answered=answered,
                            issued=issued,
                            rate=self.pct(answered / issued if issued else None, 1),
                        )
                    ),
                ]
        goal = formatting.target(r.target, self.lang)
        rules = [
            *sentences.method(r, self.lang),
            " ".join(
                [
                    self._("Over the target: the whole interval lies above %(t)s.", t=goal),
                    self._("Under the target: the whole interval lies below %(t)s.", t=goal),
                    self._(
                        "Not distinguishable from the target at this sample size:"
                        " the interval contains %(t)s.",
                        t=goal,
                    ),
                ]
            ),
            self._(
                "Only municipalities asked the same question with the same wording are compared."
            ),
            self._(
                "Changes over time are computed only between years in which the question was"
                " worded the same; the trend uses the Cochran–Armitage test."
            ),
            self._(
                "Municipalities compared: %(label)s.",
                label=sentences.peer_label(r.peer_scope, self.lang),
            ),
        ]
        parts += [self.h2(self._("Rules")), *(self.bullet(rule) for rule in rules)]
        if f.demo:
            parts += [
                Spacer(1, 3 * mm),
                self.p(self.demo_label(), s.bold),
                self.p(self._("The figures in this report are fictitious demo data.")),
            ]
        return parts


def _chart_images(report: MunicipalityReport, language: str) -> dict[str, bytes]:
    images: dict[str, bytes] = {}
    if report.shown_years:
        images["trend"] = charts.trend_chart(report, language, "png")
    if report.shown_peers:
        images["peers"] = charts.peers_chart(report, language, "png")
    for summary in report.questions:
        if summary.options and not summary.suppressed:
            images[f"question:{summary.question.code}"] = charts.question_chart(
                summary, language, "png", report.min_group_size
            )
    return images


def build_pdf(report: MunicipalityReport, language: str, facts: PrintFacts | None = None) -> bytes:
    """The council report as PDF bytes, in ``language``."""
    _register_fonts()
    facts = facts or PrintFacts()
    images = _chart_images(report, language)

    def render(total: int | None) -> tuple[bytes, int]:
        builder = _Builder(report, language, facts, images)
        page_label = builder._("Page %(page)s of %(pages)s", page="{page}", pages="{pages}")
        footer_left = f"{report.municipality.name} ({report.municipality.code}) · {report.year}"
        demo = builder.demo_label() if facts.demo else ""

        def decorate(canvas: Canvas, doc: Any) -> None:
            if doc.page == 1:
                canvas.showOutline()  # open the bookmarks pane
            canvas.saveState()
            canvas.setStrokeColor(RULE)
            canvas.setLineWidth(0.5)
            y = MARGIN_BOTTOM - 9 * mm
            canvas.line(MARGIN_X, y + 4 * mm, PAGE_WIDTH - MARGIN_X, y + 4 * mm)
            canvas.setFont(FONT, 8)
            canvas.setFillColor(MUTED)
            canvas.drawString(MARGIN_X, y, footer_left)
            label = page_label.format(page=doc.page, pages=total or "?")
            canvas.drawRightString(PAGE_WIDTH - MARGIN_X, y, label)
            if demo:
                canvas.setFont(FONT_BOLD, 9)
                canvas.setFillColor(ORANGE)
                canvas.drawRightString(PAGE_WIDTH - MARGIN_X, PAGE_HEIGHT - 12 * mm, demo)
            canvas.restoreState()

        buffer = io.BytesIO()
        doc = _Document(
            buffer,
            footer=decorate,
            title=builder.title(),
            subject=builder.subtitle(),
            keywords=[report.municipality.name, report.municipality.code, str(report.year)],
            lang=language,
        )
        doc.build(builder.story())
        return buffer.getvalue(), int(doc.page)

    # Two passes: the first counts the pages for the "page x of y" footers.
    _, pages = render(None)
    body, _pages = render(pages)
    return body
