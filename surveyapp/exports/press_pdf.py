"""The service-test press summary as a tagged A4 PDF (PDF/UA-1), one language.

The sentences are ``servicetest.press.press_summary``'s, the same the press page shows,
so the printed figures are the ranking's (printed score, shared places, pass mark).
Printed by WeasyPrint from ``templates/exports/press_print.html`` with the council
report's fonts, page counter and PDF variant (see ``report_pdf`` for why WeasyPrint).

Plain: no request and no database; the caller passes the sentences.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from markupsafe import Markup

from surveyapp.catalogs import translator
from surveyapp.exports.report_pdf import (
    PDF_VARIANT,
    TEMPLATES,
    _environment,
    _fonts,
    _long_date,
    page_counter,
)


@dataclass(frozen=True)
class PressSheet:
    """What the press PDF prints: the round, whether it is final, and the sentences."""

    round_title: str
    locked: bool
    lines: tuple[str, ...]
    demo: bool = False
    generated_on: date | None = None


def render_html(sheet: PressSheet, language: str) -> str:
    _ = translator(language)
    return (
        _environment()
        .get_template("exports/press_print.html")
        .render(
            sheet=sheet,
            current_language=language,
            _=_,
            title=_("Press summary") + ": " + sheet.round_title,
            generated_on=_long_date(sheet.generated_on or date.today(), language),
            demo_label=_("Demo data – fictitious figures"),
            page_counter=Markup(page_counter(_.catalogue.gettext("Page %(page)s of %(pages)s"))),
            fonts=_fonts(),
        )
    )


def build_pdf(sheet: PressSheet, language: str) -> bytes:
    """The press summary as tagged PDF bytes, in ``language``."""
    from weasyprint import HTML

    document = HTML(string=render_html(sheet, language), base_url=str(TEMPLATES))
    return bytes(document.write_pdf(pdf_variant=PDF_VARIANT, uncompressed_pdf=False))
