"""Template globals and filters: language, translation maps, number formats.

Numbers go through ``surveyapp.formatting`` in the reader's language, so a page shows
the same digits as the workbook, the PDF and the command line.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask import Flask, current_app, request
from flask_babel import format_datetime, get_locale

from surveyapp import formatting, norwegian_time
from surveyapp.municipalities.contact_details import display_phone
from surveyapp.questionnaires import types as question_types
from surveyapp.web.i18n import LANGUAGES, pick


def current_language() -> str:
    locale = get_locale()
    return str(locale) if locale else "nb"


def format_percent(value: float | None, decimals: int = 1) -> str:
    """A share as a percentage with the language's decimal sign (comma in Norwegian)."""
    return formatting.percent(value, current_language(), decimals)


def format_number(value: float | None, decimals: int = 1) -> str:
    return formatting.number(value, current_language(), decimals)


def format_p_value(value: float | None) -> str:
    """A p-value as "p = 0,032" or "p < 0,001" (never "p = 0,000")."""
    return formatting.p_value(value, current_language())


def local_datetime(value: datetime | None) -> str:
    """A moment in Norwegian time, written the way the reader's language does."""
    if value is None:
        return "–"
    pattern = "d MMMM y, HH:mm" if current_language() == "en" else "d. MMMM y 'kl.' HH:mm"
    return str(format_datetime(value, pattern))


def option_label(value: str, question: Any) -> str:
    """The label of one of a question's options, in the reader's language."""
    for option in question.options:
        if str(option.value) == str(value):
            return pick(option.label, current_language())
    return str(value)


def sort_names(items: Iterable[Any], attribute: str = "name") -> list[Any]:
    """Items in Norwegian alphabetical order of their names (æ, ø, å last)."""
    return sorted(
        items, key=lambda item: formatting.norwegian_sort_key(str(getattr(item, attribute)))
    )


def register(app: Flask) -> None:
    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {
            "languages": LANGUAGES,
            "current_language": current_language(),
            "demo_mode": current_app.config["SURVEYAPP_DEMO"],
            "current_path": request.full_path.rstrip("?") if request else "/",
        }

    app.jinja_env.filters["pick"] = lambda texts: pick(texts, current_language())
    app.jinja_env.filters["percent"] = format_percent
    app.jinja_env.filters["number"] = format_number
    app.jinja_env.filters["localdatetime"] = local_datetime
    app.jinja_env.filters["pvalue"] = format_p_value
    app.jinja_env.filters["count"] = lambda n: formatting.count(n, current_language())
    app.jinja_env.filters["target"] = lambda v: formatting.target(v, current_language())
    app.jinja_env.filters["duration"] = lambda s: formatting.duration(s, current_language())
    app.jinja_env.filters["option_label"] = option_label
    # Which macro shows a question, and whether its numbers are durations: the type's
    # (surveyapp.questionnaires.types), so templates never list types.
    app.jinja_env.filters["question_widget"] = lambda q: question_types.get(q.type).widget
    app.jinja_env.tests["duration_question"] = lambda q: question_types.get(q.type).duration
    app.jinja_env.filters["sort_names"] = sort_names
    # Field work: dd.mm.åååå and 24-hour time in every language (the caller's pages).
    app.jinja_env.filters["nodate"] = norwegian_time.date_text
    app.jinja_env.filters["nodatetime"] = norwegian_time.datetime_text
    app.jinja_env.filters["phone"] = display_phone
