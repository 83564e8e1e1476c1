"""The council pack: one ZIP a planner hands to the council or the press, with the
printable report (tagged PDF), the workbook with every aggregate (no answers row by row),
every chart as PNG and SVG, and a short README in the reader's language.

Everything is made from the one report, so the files agree with each other and with
the dashboard. The workbook and the PDF need the database only through their usual
inputs (``rounds_of``, ``PrintFacts``), which the caller has loaded.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import datetime

from surveyapp.catalogs import translator
from surveyapp.exports.raw import OSLO
from surveyapp.exports.report_pdf import PrintFacts, build_pdf
from surveyapp.exports.workbook import write_municipality_workbook
from surveyapp.formatting import pick
from surveyapp.results import charts, sentences
from surveyapp.results.report import MunicipalityReport


@dataclass(frozen=True)
class PackNames:
    """File names inside the pack (ASCII, from the download's name)."""

    pdf: str
    workbook: str


def _charts(report: MunicipalityReport, language: str) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for fmt in ("png", "svg"):
        if report.shown_years:
            files[f"charts/trend.{fmt}"] = charts.trend_chart(report, language, fmt)
        if report.shown_peers:
            files[f"charts/peers.{fmt}"] = charts.peers_chart(report, language, fmt)
        for summary in report.questions:
            if summary.options and not summary.suppressed:
                files[f"charts/question-{summary.question.code}.{fmt}"] = charts.question_chart(
                    summary, language, fmt, report.min_group_size, report.demo
                )
    return files


def readme(
    report: MunicipalityReport,
    language: str,
    names: PackNames,
    chart_files: list[str],
    exported_at: datetime,
) -> str:
    """What is in the pack, where the figures come from and what is left out."""
    text = translator(language)
    title = f"{report.municipality.name}: {pick(report.definition.title, language)} {report.year}"
    lines = [title, "=" * len(title), ""]
    if report.demo:
        lines += [text("Demo data – fictitious figures"), ""]
    lines += [
        text("This pack holds:"),
        "",
        f"- {names.pdf}: "
        + text("the report to the council, a tagged PDF that screen readers can read."),
        f"- {names.workbook}: "
        + text(
            "every figure as an Excel workbook, with an explanation of the figures and a "
            "codebook; no answers row by row."
        ),
        "- charts/: "
        + text(
            "the charts as PNG (for documents and slides) and SVG (for the web): %(n)s files.",
            n=len(chart_files),
        ),
        "",
        text(
            "Made by surveyapp on %(time)s (Europe/Oslo) from %(n)s responses.",
            time=exported_at.astimezone(OSLO).strftime("%Y-%m-%d %H:%M"),
            n=report.responses,
        ),
        text(
            "Municipalities compared: %(label)s.",
            label=sentences.peer_label(report.peer_scope, language),
        ),
        text("Figures resting on fewer than %(n)s answers are hidden.", n=report.min_group_size),
        "",
    ]
    return "\r\n".join(lines)


def build_council_pack(
    report: MunicipalityReport,
    language: str,
    facts: PrintFacts,
    names: PackNames,
    now: datetime,
) -> bytes:
    """The ZIP's bytes. ``now``: the export time (aware)."""
    workbook = io.BytesIO()
    write_municipality_workbook(report, workbook, language=language, now=now)
    pdf = build_pdf(report, language, facts)
    chart_files = _charts(report, language)
    body = io.BytesIO()
    with zipfile.ZipFile(body, "w", zipfile.ZIP_DEFLATED) as pack:
        pack.writestr(
            readme_name(language),
            readme(report, language, names, sorted(chart_files), now).encode("utf-8"),
        )
        pack.writestr(names.pdf, pdf)
        pack.writestr(names.workbook, workbook.getvalue())
        for name, data in sorted(chart_files.items()):
            pack.writestr(name, data)
    return body.getvalue()


def readme_name(language: str) -> str:
    return {"nb": "LES-MEG.txt", "nn": "LES-MEG.txt"}.get(language, "README.txt")
