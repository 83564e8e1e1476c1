"""Invitation letters (PDF with QR codes) and link lists (CSV), packed as one ZIP.

The raw invitation links exist only in what these functions return: the database
keeps their fingerprints. ``letter_text`` translates the wording (it needs the app);
the rendering functions take plain data and return bytes.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

import segno
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
CSV_NAME = "lenker.csv"
PDF_NAME = "brev.pdf"
QR_QUIET_ZONE = 4  # the blank border the QR standard asks for, in modules

_MARGIN = 25 * mm
_QR_SIZE = 45 * mm
_BODY_SIZE = 11.5
_BODY_LEADING = 16.0
_LINK_SIZE = 12.0
_LINK_MIN_SIZE = 6.0


@dataclass(frozen=True)
class LetterText:
    """Everything a letter says except its link, already in the letter's language."""

    language: str
    sender: str
    title: str
    paragraphs: tuple[str, ...]
    link_intro: str
    qr_intro: str
    closing: str | None
    thanks: str
    number_label: str  # contains "{number}"
    document_title: str


def letter_text(
    language: str, municipality_name: str, survey_title: str, closes_at: datetime | None
) -> LetterText:
    """The translated wording of a letter in ``language`` (needs an app context)."""
    from flask_babel import force_locale, format_date
    from flask_babel import gettext as _

    with force_locale(language):
        closing = None
        if closes_at is not None:
            closing = _(
                "You can answer until %(date)s.", date=format_date(closes_at, format="long")
            )
        return LetterText(
            language=language,
            sender=_("%(municipality)s municipality", municipality=municipality_name),
            title=survey_title,
            paragraphs=(
                _("Hello,"),
                _(
                    "%(municipality)s municipality would like to know what you think of its"
                    " services, so that we can make them better.",
                    municipality=municipality_name,
                ),
                _(
                    "The survey is anonymous and takes only a few minutes. Your answers are"
                    " not linked to you or to this letter."
                ),
            ),
            link_intro=_(
                "To answer, type this address into the browser on your phone, tablet or"
                " computer. The link is for you, and it can be used to answer once:"
            ),
            qr_intro=_("Or scan the code with your phone's camera:"),
            closing=closing,
            thanks=_("Thank you for your help!"),
            number_label=_("Letter no. %(number)s", number="{number}"),
            document_title=_("Invitations: %(title)s", title=survey_title),
        )


def links_csv(links: Sequence[str]) -> bytes:
    """``number,link`` rows, UTF-8 with a byte-order mark so spreadsheets read it right."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["number", "link"])
    for number, link in enumerate(links, 1):
        writer.writerow([number, link])
    return out.getvalue().encode("utf-8-sig")


def _register_fonts() -> None:
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont(FONT, str(folder / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(folder / "DejaVuSans-Bold.ttf")))


def qr_matrix(link: str) -> tuple[bytearray, ...]:
    """The link's QR code, rows top to bottom, 1 for a dark module (no quiet zone)."""
    # A fixed mask instead of the best of eight: the data is a random token, so every
    # mask gives a near-random pattern, and choosing costs most of the letter's time.
    return tuple(segno.make(link, error="m", micro=False, mask=0).matrix)


def _draw_qr(canvas: Canvas, link: str, x: float, y: float, size: float) -> None:
    """The link's QR code as vector rectangles, one per run of dark modules in a row."""
    matrix = qr_matrix(link)
    quiet = QR_QUIET_ZONE
    count = len(matrix) + 2 * quiet
    rects = []
    for row_number, row in enumerate(matrix):
        bottom = count - quiet - row_number - 1
        start: int | None = None
        for column, dark in enumerate([*row, 0]):
            if dark and start is None:
                start = column
            elif not dark and start is not None:
                rects.append(f"{start + quiet} {bottom} {column - start} 1 re")
                start = None
    canvas.saveState()
    canvas.translate(x, y)
    canvas.scale(size / count, size / count)
    # Whole-module coordinates written directly: drawing thousands of rectangles through
    # the path API costs far more (it formats every number as a float).
    canvas.addLiteral("\n".join(rects) + "\nf")
    canvas.restoreState()


def _fit_size(text: str, font: str, size: float, width: float) -> float:
    """The largest font size up to ``size`` at which ``text`` fits on one line."""
    natural = pdfmetrics.stringWidth(text, font, size)
    if natural <= width:
        return size
    return max(_LINK_MIN_SIZE, size * width / natural)


def letters_pdf(
    text: LetterText, links: Sequence[str], progress: Callable[[int], None] | None = None
) -> bytes:
    """An A4 PDF with one letter per link; ``progress`` hears the number of letters done."""
    _register_fonts()
    out = io.BytesIO()
    width, height = A4
    canvas = Canvas(out, pagesize=A4, pageCompression=1, lang=text.language)
    canvas.setTitle(text.document_title)
    canvas.setAuthor(text.sender)
    text_width = width - 2 * _MARGIN

    # What every letter shares is drawn once, as a form each page reuses.
    canvas.beginForm("letter")
    y = height - _MARGIN
    canvas.setFont(FONT_BOLD, 13)
    canvas.drawString(_MARGIN, y, text.sender)
    y -= 36
    for line in simpleSplit(text.title, FONT_BOLD, 18, text_width):
        canvas.setFont(FONT_BOLD, 18)
        canvas.drawString(_MARGIN, y, line)
        y -= 24
    y -= 10
    canvas.setFont(FONT, _BODY_SIZE)
    for paragraph in (*text.paragraphs, text.link_intro):
        for line in simpleSplit(paragraph, FONT, _BODY_SIZE, text_width):
            canvas.drawString(_MARGIN, y, line)
            y -= _BODY_LEADING
        y -= _BODY_LEADING / 2
    link_y = y - 4
    y = link_y - 2 * _BODY_LEADING
    canvas.setFont(FONT, _BODY_SIZE)
    for line in simpleSplit(text.qr_intro, FONT, _BODY_SIZE, text_width):
        canvas.drawString(_MARGIN, y, line)
        y -= _BODY_LEADING
    qr_y = y - _QR_SIZE
    y = qr_y - 1.5 * _BODY_LEADING
    for paragraph in filter(None, (text.closing, text.thanks)):
        for line in simpleSplit(paragraph, FONT, _BODY_SIZE, text_width):
            canvas.drawString(_MARGIN, y, line)
            y -= _BODY_LEADING
        y -= _BODY_LEADING / 2
    canvas.endForm()

    for number, link in enumerate(links, 1):
        canvas.doForm("letter")
        size = _fit_size(link, FONT_BOLD, _LINK_SIZE, text_width)
        canvas.setFont(FONT_BOLD, size)
        canvas.drawString(_MARGIN, link_y, link)
        _draw_qr(canvas, link, _MARGIN, qr_y, _QR_SIZE)
        canvas.setFont(FONT, 8)
        canvas.drawString(_MARGIN, _MARGIN / 2, text.number_label.replace("{number}", str(number)))
        canvas.showPage()
        if progress is not None:
            progress(number)
    canvas.save()
    return out.getvalue()


def write_invitation_zip(target: IO[bytes], csv_bytes: bytes, pdf_bytes: bytes) -> None:
    """The download: the link list and the letters, as a ZIP written to ``target``."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(CSV_NAME, csv_bytes)
        archive.writestr(PDF_NAME, pdf_bytes)
