"""What an old number is today, in words of a given language (plain, no Flask)."""

from __future__ import annotations

from surveyapp.catalogs import translator
from surveyapp.municipalities.history import SPLIT, OldNumber


def now_list(old: OldNumber) -> str:
    return " + ".join(f"{code} {name}" for code, name in old.now)


def old_number(old: OldNumber, language: str) -> str:
    """ "1902 is now 5501 Tromsø." / "0124 Askim was merged into what is now 3118 …" """
    _ = translator(language)
    now = now_list(old)
    if old.continuous:
        return _("%(old)s is now %(now)s.", old=old.code, now=now)
    year = "" if old.on is None else str(old.on.year)
    if old.kind == SPLIT:
        return _(
            "%(old)s %(name)s was split in %(year)s; its parts are now %(now)s.",
            old=old.code,
            name=old.name,
            year=year,
            now=now,
        )
    return _(
        "%(old)s %(name)s was merged in %(year)s into what is now %(now)s.",
        old=old.code,
        name=old.name,
        year=year,
        now=now,
    )
