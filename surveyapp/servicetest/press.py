"""The press summary of a round, generated from the data in bokmål, nynorsk or English.

Plain: the language is a parameter (``catalogs.translator``), numbers go through
``formatting`` (the rule every output uses). The facts are ``scoring.press_facts``:
national average, how many are "godkjent", the winner and the last with their sector
highlights ("full marks for children and school, but only 60 on information services").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from surveyapp import formatting
from surveyapp.catalogs import translator
from surveyapp.formatting import pick
from surveyapp.servicetest.scoring import PressFacts, Standing


def _title(titles: Mapping[str, Mapping[str, str]], sector: str, language: str) -> str:
    text = pick(titles.get(sector), language) or sector
    # Mid-sentence: "full marks for children and school" (titles are capitalised).
    return text[:1].lower() + text[1:] if len(text) > 1 and not text[1:2].isupper() else text


def _join(items: Sequence[str], language: str) -> str:
    _ = translator(language)
    if len(items) <= 1:
        return "".join(items)
    return _("%(items)s and %(last)s", items=", ".join(items[:-1]), last=items[-1])


def _name(standing: Standing, names: Mapping[str, str]) -> str:
    name = names.get(standing.municipality, standing.municipality)
    if standing.unit:
        return f"{name} – {names.get(standing.unit, standing.unit)}"
    return name


def _standing(
    standing: Standing,
    names: Mapping[str, str],
    titles: Mapping[str, Mapping[str, str]],
    language: str,
) -> str:
    _ = translator(language)
    text = _(
        "%(name)s with %(score)s",
        name=_name(standing, names),
        score=formatting.number(standing.score, language, 1),
    )
    if standing.full_marks:
        text += " " + _(
            "and full marks for %(sectors)s",
            sectors=_join([_title(titles, s, language) for s in standing.full_marks], language),
        )
    elif standing.best is not None:
        text += " " + _(
            "and %(score)s on %(sector)s",
            score=formatting.number(standing.best.score, language, 1),
            sector=_title(titles, standing.best.sector, language),
        )
    if standing.lowest is not None:
        text += ", " + _(
            "but only %(score)s on %(sector)s",
            score=formatting.number(standing.lowest.score, language, 1),
            sector=_title(titles, standing.lowest.sector, language),
        )
    return text


def press_summary(
    facts: PressFacts,
    names: Mapping[str, str],
    titles: Mapping[str, Mapping[str, str]],
    language: str,
) -> list[str]:
    """The summary as sentences, in ``language``; ``titles`` are the sector titles."""
    _ = translator(language)
    lines: list[str] = []
    if facts.pending:
        lines.append(
            _(
                "Provisional: %(n)s web items still await a deciding tester, and the list "
                "can change.",
                n=formatting.count(facts.pending, language),
            )
        )
    lines.append(
        _(
            "National average %(average)s; %(passed)s of %(scored)s passed (at least %(mark)s).",
            average=formatting.number(facts.average, language, 1),
            passed=formatting.count(facts.passed, language),
            scored=formatting.count(facts.scored, language),
            mark=formatting.number(
                facts.pass_mark, language, 0 if facts.pass_mark.is_integer() else 1
            ),
        )
    )
    if facts.winners:
        standings = [_standing(s, names, titles, language) for s in facts.winners]
        if len(standings) == 1:
            lines.append(_("The winner: %(standing)s.", standing=standings[0]))
        else:
            lines.append(_("Shared first place: %(standings)s.", standings="; ".join(standings)))
    if facts.last:
        standings = [_standing(s, names, titles, language) for s in facts.last]
        lines.append(_("Last: %(standings)s.", standings="; ".join(standings)))
    if facts.not_tested:
        lines.append(
            _(
                "Not tested: %(n)s (every contact cancelled or none planned).",
                n=formatting.count(facts.not_tested, language),
            )
        )
    return lines
