"""The service-test workbook: ranking, KKiK indicators and every contact with its reasons.

Built from the scored round (``cache.scored_round``), the same result the ranking page
shows. ``allowed`` limits the municipal rows to a planner's own municipalities; the
national figures are always complete (the same rule as the ranking page).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import IO, Any

from flask_babel import gettext
from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.worksheet.worksheet import Worksheet

from surveyapp.exports.raw import OSLO
from surveyapp.exports.servicetest_evidence import evidence_sheet
from surveyapp.exports.workbook import (
    BOLD,
    DATETIME,
    PERCENT,
    SCORE,
    TITLE,
    WARNING,
    SheetBuilder,
)
from surveyapp.questionnaires.protocol import Protocol
from surveyapp.servicetest import cache, operations, scoring
from surveyapp.servicetest.models import TestRound
from surveyapp.servicetest.phrases import reason_text
from surveyapp.timeutil import utcnow
from surveyapp.web.i18n import pick
from surveyapp.web.templating import current_language, format_number

RANKING, INDICATORS, CONTACTS = "Rangering", "KKiK", "Kontakter"


def text(msgid: str, **variables: Any) -> str:
    """gettext for msgids shared with the templates, where a literal % is written %%.

    The service-test workbook still reads the request's locale (its reasons come from
    ``servicetest.phrases``, which does); the municipality workbook is plain.
    """
    if variables:
        return gettext(msgid, **variables)
    return gettext(msgid).replace("%%", "%")


def _channel_labels() -> dict[str, str]:
    return {"phone": text("Phone"), "email": text("E-mail"), "web": text("Web")}


def _quartile_labels() -> dict[str, str]:
    return {
        "top": text("Best 25 %%"),
        "middle": text("Middle 50 %%"),
        "bottom": text("Worst 25 %%"),
    }


def _status_labels() -> dict[str, str]:
    return {
        "scored": text("Scored"),
        "missing": text("Not carried out"),
        "awaiting_decision": text("Awaiting a decision"),
        "unreached": text("Not reached"),
    }


def _indicator_labels() -> dict[str, str]:
    return {
        scoring.EMAIL_WITHIN_1: text("E-mails answered within 1 working day"),
        scoring.EMAIL_WITHIN_2: text("E-mails answered within 2 working days"),
        scoring.PHONE_DIRECT_ANSWER: text("Calls with a direct answer"),
        scoring.COURTESY: text("Courtesy, percent of maximum"),
        scoring.CHECKPOINTS_ANSWERED: text("Questions answered (checkpoints covered)"),
    }


def _heading(sheet: SheetBuilder, title: str, test_round: TestRound, exported_at: datetime) -> None:
    sheet.put(1, 1, title, font=TITLE, fit=False)
    notes = [gettext("Exported"), exported_at, "Europe/Oslo"]
    sheet.row(2, notes, [None, DATETIME])
    if test_round.is_demo:
        sheet.put(2, 4, text("Demo data – fictitious figures"), font=WARNING)
    elif test_round.status != "locked":
        sheet.put(
            2, 4, text("The round is not locked yet: the ranking can still change."), font=WARNING
        )


def _ranking_sheet(
    ws: Worksheet,
    test_round: TestRound,
    result: scoring.RoundResult,
    protocol: Protocol,
    names: Mapping[str, str],
    allowed: set[str] | None,
    language: str,
    exported_at: datetime,
) -> None:
    sheet = SheetBuilder(ws)
    _heading(sheet, f"{text('Ranking')}: {test_round.title}", test_round, exported_at)
    channels = list(protocol.channels.names)
    sectors = list(protocol.sectors)
    channel_labels = _channel_labels()
    header = [
        text("Rank"),
        text("Municipality number"),
        text("Municipality"),
        text("Score"),
        text("Grade"),
        text("Quartile"),
        *(channel_labels.get(c, c) for c in channels),
        *(pick(protocol.sectors[s].title, language) or s for s in sectors),
        text("Contacts"),
        text("Not carried out"),
        text("Awaiting a decision"),
    ]
    sheet.row(3, header, font=BOLD)
    ws.freeze_panes = "D4"
    scores = [None, None, None, SCORE, None, None] + [SCORE] * (len(channels) + len(sectors))
    quartiles = _quartile_labels()
    r = 4
    for m in result.municipalities:
        if allowed is not None and m.municipality not in allowed:
            continue
        sheet.row(
            r,
            [
                m.rank,
                m.municipality,
                names.get(m.municipality, m.municipality),
                m.score,
                pick(dict(m.band.label), language) if m.band else None,
                quartiles.get(m.quartile or ""),
                *(m.channel_scores.get(c) for c in channels),
                *(m.sector_scores.get(s) for s in sectors),
                m.contacts,
                m.missing,
                m.awaiting,
            ],
            scores,
        )
        r += 1
    ranked = sum(1 for m in result.municipalities if m.rank is not None)
    sheet.row(
        r + 1,
        [
            None,
            None,
            text("National average"),
            result.national_average,
            None,
            None,
            *(result.national_channel_scores.get(c) for c in channels),
            *(result.national_sector_scores.get(s) for s in sectors),
        ],
        scores,
        BOLD,
    )
    sheet.put(
        r + 2,
        3,
        text(
            "National average: %(score)s (unweighted mean of %(n)s municipalities).",
            score=format_number(result.national_average),
            n=ranked,
        ),
        fit=False,
    )
    if allowed is not None:
        sheet.put(
            r + 3,
            3,
            text(
                "You see your own municipalities here; the others are included in the "
                "national figures only."
            ),
            fit=False,
        )
    sheet.fit()


def _indicators_sheet(
    ws: Worksheet,
    test_round: TestRound,
    result: scoring.RoundResult,
    names: Mapping[str, str],
    allowed: set[str] | None,
    exported_at: datetime,
) -> None:
    sheet = SheetBuilder(ws)
    _heading(sheet, text("Indicators as in KKiK"), test_round, exported_at)
    labels = _indicator_labels()
    sheet.row(
        3,
        [
            text("Indicator"),
            text("Pooled"),
            gettext("Numerator"),
            gettext("Denominator"),
            text("Mean of municipalities"),
            text("Best"),
            text("Worst"),
            gettext("Municipalities"),
        ],
        font=BOLD,
    )
    ws.freeze_panes = "A4"
    r = 4
    for key, summary in result.indicators.items():
        sheet.row(
            r,
            [
                labels.get(key, key),
                summary.pooled.value,
                summary.pooled.numerator,
                summary.pooled.denominator,
                summary.mean,
                summary.best,
                summary.worst,
                summary.municipalities,
            ],
            [None, PERCENT, None, None, PERCENT, PERCENT, PERCENT],
        )
        r += 1
    r += 1
    keys = list(result.indicators)
    sheet.row(
        r,
        [text("Municipality number"), text("Municipality"), *(labels.get(k, k) for k in keys)],
        font=BOLD,
    )
    r += 1
    for m in result.municipalities:
        if allowed is not None and m.municipality not in allowed:
            continue
        values = [m.indicators[k].value if k in m.indicators else None for k in keys]
        sheet.row(
            r,
            [m.municipality, names.get(m.municipality, m.municipality), *values],
            [None, None, *([PERCENT] * len(keys))],
        )
        r += 1
    sheet.fit(maximum=45)


def _contacts_sheet(
    ws: Worksheet,
    test_round: TestRound,
    result: scoring.RoundResult,
    protocol: Protocol,
    names: Mapping[str, str],
    allowed: set[str] | None,
    language: str,
    exported_at: datetime,
) -> None:
    sheet = SheetBuilder(ws)
    _heading(sheet, text("Every contact, its points and why"), test_round, exported_at)
    sheet.row(
        3,
        [
            text("Municipality number"),
            text("Municipality"),
            text("Sector"),
            text("Scenario"),
            text("Channel"),
            text("Points"),
            gettext("Maximum points"),
            text("Score"),
            text("Status"),
            gettext("Counted"),
            text("Why"),
        ],
        font=BOLD,
    )
    ws.freeze_panes = "C4"
    scenarios = {s.code: s for s in protocol.scenarios}
    channel_labels = _channel_labels()
    status_labels = _status_labels()
    titles: dict[str, dict[str, str]] = {
        code: {c.code: pick(c.text, language) for c in scenario.checkpoints}
        for code, scenario in scenarios.items()
    }
    contacts = sorted(
        (
            (contact, score)
            for contact, score in result.contact_scores
            if allowed is None or contact.municipality in allowed
        ),
        key=lambda item: (
            item[0].municipality,
            item[0].sector,
            item[0].scenario,
            item[0].channel,
        ),
    )
    r = 4
    for contact, score in contacts:
        scenario = scenarios.get(contact.scenario)
        sector = protocol.sectors.get(contact.sector)
        reasons = "\n".join(
            reason_text(reason, titles.get(contact.scenario)) for reason in score.reasons
        )
        sheet.row(
            r,
            [
                contact.municipality,
                names.get(contact.municipality, contact.municipality),
                (pick(sector.title, language) if sector else "") or contact.sector,
                (pick(scenario.question, language) if scenario else "") or contact.scenario,
                channel_labels.get(contact.channel, contact.channel),
                score.points,
                score.max_points,
                score.score,
                status_labels.get(score.status, score.status),
                score.included,
                reasons,
            ],
            [None, None, None, None, None, SCORE, SCORE, PERCENT],
        )
        ws.cell(row=r, column=11).alignment = Alignment(wrap_text=True, vertical="top")
        r += 1
    sheet.fit(maximum=60)
    ws.column_dimensions["K"].width = 90


def write_servicetest_workbook(
    test_round: TestRound,
    target: IO[bytes],
    *,
    names: Mapping[str, str],
    allowed: set[str] | None = None,
    language: str | None = None,
    now: datetime | None = None,
) -> list[str]:
    """Write the round's workbook (.xlsx) to ``target``; returns the sheet names."""
    language = language or current_language()
    exported_at = (now or utcnow()).astimezone(OSLO).replace(tzinfo=None, microsecond=0)
    protocol = operations.protocol_of(test_round)
    result = cache.scored_round(test_round)
    book = Workbook()
    ranking = book.active
    assert ranking is not None
    ranking.title = RANKING
    _ranking_sheet(ranking, test_round, result, protocol, names, allowed, language, exported_at)
    _indicators_sheet(
        book.create_sheet(INDICATORS), test_round, result, names, allowed, exported_at
    )
    _contacts_sheet(
        book.create_sheet(CONTACTS),
        test_round,
        result,
        protocol,
        names,
        allowed,
        language,
        exported_at,
    )
    evidence_sheet(book, test_round, protocol, names, allowed, language)
    book.save(target)
    return book.sheetnames
