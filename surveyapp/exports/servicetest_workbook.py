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

from surveyapp.exports import printing
from surveyapp.exports.raw import OSLO
from surveyapp.exports.servicetest_evidence import EVIDENCE, evidence_sheet
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
from surveyapp.servicetest import agreement, cache, operations, scoring
from surveyapp.servicetest.models import TestRound
from surveyapp.servicetest.phrases import reason_text
from surveyapp.servicetest.press import press_summary
from surveyapp.servicetest.units import unit_names
from surveyapp.timeutil import utcnow
from surveyapp.web.i18n import pick
from surveyapp.web.templating import current_language, format_number

RANKING, INDICATORS, CONTACTS = "Rangering", "KKiK", "Kontakter"
METHOD, CHECKS, AGREEMENT = "Metode", "Testere", "Samsvar"


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
    warnings = []
    if test_round.is_demo:
        warnings.append(text("Demo data – fictitious figures"))
    if test_round.status != "locked":  # in every mode, demo or not
        warnings.append(text("The round is not locked yet: the ranking can still change."))
    if warnings:
        sheet.put(2, 4, " ".join(warnings), font=WARNING, fit=False)


def _print(ws: Worksheet, test_round: TestRound, title_rows: str = "3:3") -> None:
    """A4 landscape, fitted to the width, the header row repeated on every page."""
    labels = printing.PageLabels(
        page=text("Page %(page)s of %(pages)s", page="&P", pages="&N"),
        left=f"{test_round.title} ({test_round.year})",
    )
    printing.print_setup(ws, labels, orientation=printing.LANDSCAPE, title_rows=title_rows)


def _pass_text(passed: bool | None) -> str | None:
    return None if passed is None else text("passed") if passed else text("not passed")


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
        text("Pass mark %(mark)s", mark=format_number(result.pass_mark, result.pass_mark_decimals)),
        text("Best place once decided"),
        text("Worst place once decided"),
        text("Best case"),
        text("Test unit"),
        text("Test unit name"),
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
                _pass_text(m.passed),
                m.best_place,
                m.worst_place,
                m.best_score,
                m.unit or None,
                names.get(m.unit) if m.unit else None,
            ],
            [*scores, None, None, None, None, None, None, None, SCORE],
        )
        r += 1
    not_tested = [n for n in result.not_tested if allowed is None or n.municipality in allowed]
    if not_tested:
        reasons = {
            "all_cancelled": text("every contact was cancelled"),
            "no_contacts": text("no contact was planned"),
        }
        r += 1
        sheet.put(r, 1, text("Not tested"), font=BOLD)
        for item in not_tested:
            r += 1
            sheet.row(
                r,
                [
                    None,
                    item.municipality,
                    names.get(item.municipality, item.municipality),
                    reasons.get(item.reason, item.reason),
                ],
            )
            if item.unit:
                sheet.put(r, len(header) - 1, item.unit)
                sheet.put(r, len(header), names.get(item.unit, item.unit))
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
    _print(ws, test_round)


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
    quartiles = _quartile_labels()
    sheet.row(
        r,
        [
            text("Municipality number"),
            text("Municipality"),
            *(labels.get(k, k) for k in keys),
            *(f"{text('Quartile')}: {labels.get(k, k)}" for k in keys),
        ],
        font=BOLD,
    )
    r += 1
    for m in result.municipalities:
        if allowed is not None and m.municipality not in allowed:
            continue
        values = [m.indicators[k].value if k in m.indicators else None for k in keys]
        bands = [quartiles.get(m.indicator_quartiles.get(k, "")) for k in keys]
        sheet.row(
            r,
            [m.municipality, names.get(m.municipality, m.municipality), *values, *bands],
            [None, None, *([PERCENT] * len(keys))],
        )
        r += 1
    sheet.fit(maximum=45)
    _print(ws, test_round)


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
    _print(ws, test_round)


def _method_sheet(
    ws: Worksheet,
    test_round: TestRound,
    result: scoring.RoundResult,
    protocol: Protocol,
    names: Mapping[str, str],
    language: str,
    exported_at: datetime,
) -> None:
    """How the figures are made: protocol, weights, bands, pass mark, working days,
    missing contacts, pending decisions, ties and agreement; then the press summary."""
    sheet = SheetBuilder(ws)
    _heading(sheet, text("Method"), test_round, exported_at)
    stored = test_round.protocol
    channel_labels = _channel_labels()
    rows: list[tuple[str, Any]] = [
        (text("Protocol"), f"{stored.title_nb} ({stored.code} v{stored.version})"),
        (text("Scoring fingerprint"), protocol.scoring_fingerprint),
    ]
    for name, channel in protocol.channels.items():
        points = ", ".join(
            f"{key} {format_number(value, 1)}" for key, value in channel.points.model_dump().items()
        )
        rows.append(
            (
                text("Channel weight: %(channel)s", channel=channel_labels.get(name, name)),
                f"{format_number(channel.weight * 100, 1)} % ({points})",
            )
        )
    for sector in protocol.sectors.values():
        rows.append(
            (
                text("Sector weight: %(sector)s", sector=pick(sector.title, language)),
                f"{format_number(sector.weight * 100, 1)} %",
            )
        )
    for band in protocol.grade_bands:
        rows.append(
            (
                text("Grade band: %(label)s", label=pick(band.label, language)),
                text("from %(min)s", min=format_number(band.min, 1)),
            )
        )
    rows.append(
        (
            text("Pass mark"),
            text(
                "passed from %(mark)s (the score as printed, one decimal)",
                mark=format_number(result.pass_mark, 1),
            ),
        )
    )
    closed = ", ".join(f"{day:02d}.{month:02d}." for month, day in protocol.non_working_days)
    rows.append(
        (
            text("Working days"),
            text("Monday to Friday except Norwegian public holidays")
            + (
                " " + text("and these days, closed every year: %(days)s", days=closed)
                if closed
                else ""
            ),
        )
    )
    email = protocol.channels.email
    if email is not None:
        rows.append(
            (
                text("E-mail replies"),
                text(
                    "speed points up to %(days)s working days; nothing after %(cutoff)s "
                    "working days",
                    days=max(row.within_days for row in email.speed),
                    cutoff=email.quality_cutoff_days,
                ),
            )
        )
    rows.append(
        (
            text("Missing contacts"),
            text("count as 0")
            if protocol.missing_contacts == "zero"
            else text("are left out of the score"),
        )
    )
    rows.append(
        (
            text("Pending decisions"),
            text(
                "A web item the testers disagree on counts as not found until a third tester "
                "decides; the best and worst place it could give are listed."
            ),
        )
    )
    rows.append(
        (
            text("Ties"),
            text(
                "Places are shared when the printed scores (one decimal) are equal, and only then."
            ),
        )
    )
    rows.append(
        (
            text("Agreement"),
            text(
                "Percent agreement and Cohen's κ (95 %% interval) on “found within the time "
                "limit”; κ below 0.40 is flagged; undefined where a tester never varied."
            ),
        )
    )
    r = 4
    for label, value in rows:
        sheet.put(r, 1, label, font=BOLD)
        sheet.put(r, 2, value)
        r += 1
    facts = scoring.press_facts(result, list(protocol.sectors))
    titles = {code: sector.title for code, sector in protocol.sectors.items()}
    r += 1
    sheet.put(r, 1, text("Press summary"), font=BOLD)
    for line in press_summary(facts, names, titles, language):
        r += 1
        sheet.put(r, 1, line, fit=False)
    sheet.fit(maximum=100)
    _print(ws, test_round, title_rows="1:1")


def _checks_sheet(
    ws: Worksheet,
    test_round: TestRound,
    protocol: Protocol,
    names: Mapping[str, str],
    allowed: set[str] | None,
    language: str,
    exported_at: datetime,
) -> None:
    """Every web tester's check with its time and tester id, so agreement can be
    recomputed from the workbook."""
    sheet = SheetBuilder(ws)
    _heading(sheet, text("Every web check by tester"), test_round, exported_at)
    header = [
        text("Municipality number"),
        text("Municipality"),
        text("Test unit"),
        text("Scenario"),
        text("Tester slot"),
        text("Tester id"),
        text("Tester"),
        text("Recorded"),
        text("Found"),
        text("Seconds"),
        text("Found in time"),
        text("Quality (0–3)"),
    ]
    sheet.row(3, header, font=BOLD)
    ws.freeze_panes = "C4"
    web = protocol.channels.web
    limit = web.time_limit_seconds if web is not None else 0
    scenarios = {s.code: s for s in protocol.scenarios}
    testers = operations.tester_names()
    rows = sorted(
        (
            item
            for item in operations.stored_assignments(test_round.id)
            if item.channel == "web"
            and item.record
            and item.status != "cancelled"
            and (allowed is None or item.municipality in allowed)
        ),
        key=lambda item: (item.municipality, item.unit, item.scenario, item.tester_slot),
    )
    r = 4
    for item in rows:
        record = item.record or {}
        seconds = record.get("seconds")
        found = bool(record.get("found"))
        scenario = scenarios.get(item.scenario)
        recorded = (
            item.recorded_at.astimezone(OSLO).replace(tzinfo=None, microsecond=0)
            if item.recorded_at is not None and item.recorded_at.tzinfo is not None
            else item.recorded_at
        )
        sheet.row(
            r,
            [
                item.municipality,
                names.get(item.municipality, item.municipality),
                item.unit or None,
                (pick(scenario.question, language) if scenario else "") or item.scenario,
                item.tester_slot,
                item.recorded_by,
                testers.get(item.recorded_by) if item.recorded_by is not None else None,
                recorded,
                found,
                seconds,
                found and (seconds is None or seconds <= limit),
                record.get("quality"),
            ],
            [None, None, None, None, None, None, None, DATETIME],
        )
        r += 1
    sheet.fit(maximum=60)
    _print(ws, test_round)


def _agreement_sheet(
    ws: Worksheet,
    test_round: TestRound,
    protocol: Protocol,
    language: str,
    exported_at: datetime,
) -> None:
    """Percent agreement and κ with its interval, for the round, per item and per pair."""
    sheet = SheetBuilder(ws)
    _heading(sheet, text("Agreement between web testers"), test_round, exported_at)
    report = operations.agreement_of(test_round)
    testers = operations.tester_names()
    questions = {s.code: pick(s.question, language) for s in protocol.scenarios}
    header = [
        text("Item"),
        text("Items checked by both"),
        text("Agreed"),
        text("Agreement"),
        "κ",
        text("Standard error"),
        text("95 %% interval, low"),
        text("95 %% interval, high"),
        text("Note"),
    ]
    sheet.row(3, header, font=BOLD)
    formats = [None, None, None, PERCENT, "0.00", "0.000", "0.00", "0.00"]

    def line(r: int, label: str, a: agreement.Agreement) -> None:
        note = None
        if a.kappa is None:
            note = (
                text("κ undefined: a tester never varied")
                if a.undefined == agreement.UNDEFINED_CONSTANT
                else text("no items checked by both testers")
            )
        elif a.flagged:
            note = text("low agreement (κ below 0.40)")
        sheet.row(
            r,
            [label, a.n, a.agreed, a.percent, a.kappa, a.standard_error, a.low, a.high, note],
            formats,
        )

    r = 4
    line(r, text("The whole round"), report.round)
    for code, value in report.items.items():
        r += 1
        line(r, questions.get(code, code), value)
    r += 2
    sheet.put(r, 1, text("Agreement per pair of testers"), font=BOLD)
    for (first, second), value in report.pairs.items():
        r += 1
        label = " / ".join(
            f"{testers.get(tester, '')} (#{tester})" if tester is not None else "–"
            for tester in (first, second)
        )
        line(r, label, value)
    sheet.fit(maximum=70)
    _print(ws, test_round)


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
    names = {**names, **unit_names()}
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
    evidence = book.create_sheet(EVIDENCE)
    evidence_sheet(
        evidence,
        test_round,
        protocol,
        names,
        allowed,
        language,
        heading=lambda sheet, title: _heading(sheet, title, test_round, exported_at),
    )
    _print(evidence, test_round)
    _method_sheet(
        book.create_sheet(METHOD), test_round, result, protocol, names, language, exported_at
    )
    _checks_sheet(
        book.create_sheet(CHECKS), test_round, protocol, names, allowed, language, exported_at
    )
    if allowed is None:  # tester agreement is the organiser's (every municipality's) check
        _agreement_sheet(book.create_sheet(AGREEMENT), test_round, protocol, language, exported_at)
    book.save(target)
    return book.sheetnames
