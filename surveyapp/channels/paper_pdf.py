"""The printable paper version of a questionnaire (PDF, one language); plain, no Flask.

Each question with its boxes to tick or lines to write on, and at the top a field for
the form number that staff write on each form before keying it (the number serves the
double keying; it is never stored with the answers).
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer

from surveyapp.catalogs import translator
from surveyapp.questionnaires.definition import Definition
from surveyapp.questionnaires.survey import Question
from surveyapp.surveys.letters import FONT, FONT_BOLD, _register_fonts
from surveyapp.web.i18n import pick

BOX = "☐"


def _styles() -> dict[str, ParagraphStyle]:
    return {
        "title": ParagraphStyle("title", fontName=FONT_BOLD, fontSize=16, leading=20),
        "section": ParagraphStyle(
            "section", fontName=FONT_BOLD, fontSize=13, leading=17, spaceBefore=8
        ),
        "question": ParagraphStyle(
            "question", fontName=FONT_BOLD, fontSize=10.5, leading=14, spaceBefore=6
        ),
        "body": ParagraphStyle("body", fontName=FONT, fontSize=10.5, leading=14),
        "hint": ParagraphStyle("hint", fontName=FONT, fontSize=9, leading=12),
    }


def _answer_lines(question: Question, language: str) -> list[str]:
    text = translator(language)
    if question.type in ("rating", "single", "multiple", "yesno"):
        options = [pick(o.label, language) for o in question.options]
        if question.dont_know:
            options.append(text("Don't know"))
        return ["    ".join(f"{BOX} {escape(label)}" for label in options)]
    if question.type == "duration":
        return [text("Minutes") + ": ________   " + text("Seconds") + ": ________"]
    lines = 3 if question.type == "text" and question.settings.get("multiline") else 1
    return ["_" * 80] * lines


def paper_form_pdf(definition: Definition, language: str, numbered: bool) -> bytes:
    """The questionnaire as a form to print and fill in by hand, in ``language``."""
    _register_fonts()
    text = translator(language)
    styles = _styles()
    story: list[object] = [Paragraph(escape(pick(definition.title, language)), styles["title"])]
    if numbered:
        story.append(
            Paragraph(
                escape(text("Form number (filled in by the municipality):")) + " ____________",
                styles["body"],
            )
        )
    if definition.description:
        story.append(Paragraph(escape(pick(definition.description, language)), styles["body"]))
    story.append(
        Paragraph(
            escape(
                text(
                    "Tick one box for each question, or several where it says so. The form is"
                    " anonymous: do not write your name on it."
                )
            ),
            styles["hint"],
        )
    )
    number = 0
    for section in definition.sections:
        story.append(Paragraph(escape(pick(section.title, language)), styles["section"]))
        for question in section.questions:
            number += 1
            block: list[object] = [
                Paragraph(f"{number}. {escape(pick(question.text, language))}", styles["question"])
            ]
            if question.type == "multiple":
                block.append(Paragraph(escape(text("You may tick several.")), styles["hint"]))
            if question.show_if is not None:
                source = definition.question(question.show_if.question)
                block.append(
                    Paragraph(
                        escape(
                            text(
                                "Answer only if it applies to your answer to “%(question)s”.",
                                question=pick(source.text, language),
                            )
                        ),
                        styles["hint"],
                    )
                )
            block.extend(
                Paragraph(line, styles["body"]) for line in _answer_lines(question, language)
            )
            story.append(KeepTogether(block))
    story.append(Spacer(1, 6 * mm))
    story.append(Paragraph(escape(text("Thank you for your help!")), styles["body"]))
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=pick(definition.title, language),
        lang=language,
    )
    document.build(story)
    return out.getvalue()
