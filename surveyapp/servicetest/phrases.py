"""Readable, translated sentences for scoring reasons and headline facts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext

from surveyapp.questionnaires.protocol import Sector
from surveyapp.servicetest.scoring import Headline, Reason, as_fraction_phrase
from surveyapp.web.i18n import pick
from surveyapp.web.templating import format_number


def _points(value: Any) -> str:
    """A number of points ("1 point", "2,5 points") in the reader's language and format."""
    number = float(value or 0)
    whole = number == int(number)
    text = format_number(number, 0 if whole else 1)
    # flask_babel fills %(num)s with the count itself, so the formatted number has its own name.
    count = int(number) if whole else 2
    return ngettext("%(points)s point", "%(points)s points", count, points=text)


def _number(value: Any) -> str:
    number = float(value or 0)
    return format_number(number, 0 if number == int(number) else 1)


def reason_text(reason: Reason, checkpoint_titles: Mapping[str, str] | None = None) -> str:
    """One scoring reason as a sentence in the reader's language."""
    p = dict(reason.params)
    code = reason.code
    if code == "attempt_no_answer":
        return _("Attempt %(n)s: nobody answered.", n=p.get("attempt"))
    if code == "attempt_wait_too_long":
        return _("Attempt %(n)s: the wait was longer than allowed.", n=p.get("attempt"))
    if code == "reached":
        return _("Reached at attempt %(n)s.", n=p.get("attempt"))
    if code == "attempts_ignored":
        return _("Attempts beyond the protocol's maximum are not counted.")
    if code == "no_contact_after_attempts":
        return _("No contact after %(n)s attempts: 0 points for the call.", n=p.get("attempts"))
    if code == "answered_first_contact":
        if p.get("value"):
            return _("Answered by the first person: %(p)s.", p=_points(p.get("points")))
        return _("Not answered by the first person: 0 points.")
    if code == "checkpoint":
        title = (checkpoint_titles or {}).get(str(p.get("code")), str(p.get("code")))
        if p.get("covered"):
            return _("Covered “%(c)s”: %(p)s.", c=title, p=_points(p.get("points")))
        return _("Did not cover “%(c)s”: 0 points.", c=title)
    if code == "referral_not_needed":
        return _("No referral was needed: %(p)s.", p=_points(p.get("points")))
    if code == "referred_correctly":
        if p.get("value"):
            return _("Referred to the right person: %(p)s.", p=_points(p.get("points")))
        return _("Not referred to the right person: 0 points.")
    if code == "courtesy":
        if p.get("rating") is None:
            return _("Courtesy not rated: 0 points.")
        return _(
            "Courtesy rated %(r)s of 3: %(p)s.",
            r=p.get("rating"),
            p=_points(p.get("points")),
        )
    if code == "no_reply":
        return _("No reply: 0 points.")
    if code == "reply_working_days":
        days = int(p.get("days") or 0)
        return ngettext(
            "Reply after %(num)s working day.", "Reply after %(num)s working days.", days
        )
    if code == "after_quality_cutoff":
        return _(
            "The reply came after %(d)s working days, later than the %(c)s allowed: 0 points.",
            d=p.get("days"),
            c=p.get("cutoff_days"),
        )
    if code == "email_speed":
        return _("Reply speed: %(p)s.", p=_points(p.get("points")))
    if code == "testers_agree":
        return _("The two testers agree.")
    if code == "awaiting_decision":
        return _("The testers disagree: waiting for a third tester to decide.")
    if code == "decided":
        return _("A third tester decided.")
    if code == "checks_incomplete":
        return _("Not all testers have recorded this item yet.")
    if code == "web_check":
        return _("A tester recorded the item.")
    if code == "web_found":
        if p.get("found"):
            return _("Found in time: %(p)s.", p=_points(p.get("points")))
        return _("Not found in time: 0 points.")
    if code == "web_quality":
        return _("Quality of the information: %(p)s.", p=_points(p.get("points")))
    if code == "missing":
        if p.get("rule") == "exclude":
            return _("Not carried out: left out of the score.")
        return _("Not carried out: 0 points.")
    return code


def fraction_phrase(numerator: int, denominator: int) -> str:
    """ "one in eight", "two of three", in the reader's language."""
    a, b = as_fraction_phrase(numerator, denominator)
    if (a, b) == (0, 1):
        return _("none")
    if (a, b) == (1, 1):
        return _("all")
    if a == 1:
        return _("one in %(n)s", n=b)
    return _("%(a)s of %(b)s", a=a, b=b)


def headline_text(headline: Headline, sectors: Mapping[str, Sector], language: str) -> str:
    """A press-style sentence computed from the data."""
    p = dict(headline.params)
    share = (
        fraction_phrase(headline.numerator, headline.denominator) if headline.denominator else ""
    )
    exact = f"{headline.numerator}/{headline.denominator}"
    sector = sectors.get(str(p.get("sector"))) if p.get("sector") else None
    sector_title = pick(sector.title, language) if sector is not None else ""
    if headline.code == "passed":
        return _(
            "%(exact)s municipalities passed (godkjent: at least %(mark)s).",
            exact=exact,
            mark=_number(p.get("pass_mark")),
        )
    if headline.code == "score_under":
        return _(
            "%(share)s of the municipalities (%(exact)s) scored under %(t)s.",
            share=share.capitalize(),
            exact=exact,
            t=_number(p.get("threshold")),
        )
    if headline.code == "grade_band":
        return _(
            "%(exact)s municipalities got the grade “%(band)s”.",
            exact=exact,
            band=pick(p.get("label"), language),
        )
    if headline.code == "checkpoints_answered":
        return _(
            "%(share)s questions were answered (%(exact)s).", share=share.capitalize(), exact=exact
        )
    if headline.code == "checkpoints_answered_sector":
        return _(
            "%(sector)s: %(share)s questions were answered (%(exact)s).",
            sector=sector_title,
            share=share,
            exact=exact,
        )
    if headline.code == "sector_pass":
        return _(
            "%(sector)s passes in %(share)s municipalities (%(exact)s).",
            sector=sector_title,
            share=share,
            exact=exact,
        )
    if headline.code == "best_sector":
        return _(
            "Best sector nationally: %(sector)s (score %(s)s).",
            sector=sector_title,
            s=_number(p.get("score")),
        )
    if headline.code == "worst_sector":
        return _(
            "Weakest sector nationally: %(sector)s (score %(s)s).",
            sector=sector_title,
            s=_number(p.get("score")),
        )
    return headline.code
