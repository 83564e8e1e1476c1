"""Language choice: a visible switch, remembered for the session, bokmål by default."""

from __future__ import annotations

import functools
from typing import Any

from flask import current_app, g, request, session

LANGUAGES: dict[str, str] = {"nb": "Norsk bokmål", "nn": "Norsk nynorsk", "en": "English"}
HTML_LANG = {"nb": "nb", "nn": "nn", "en": "en"}


def remember_language_choice() -> None:
    """before_request: ``?lang=xx`` on any page switches the language for the session."""
    asked = request.args.get("lang")
    if asked in LANGUAGES and session.get("lang") != asked:
        session["lang"] = asked


def select_locale() -> str:
    """The language for this request: the session's choice, then the page's default."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked
    # A survey page's own choice travels in its form (browsers may drop the session).
    chosen = g.get("survey_language")
    if chosen in LANGUAGES:
        return str(chosen)
    remembered = session.get("lang")
    if remembered in LANGUAGES:
        return str(remembered)
    default = g.get("default_language")
    if default in LANGUAGES:
        return str(default)
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def pick(texts: dict[str, str] | None, language: str) -> str:
    """One language's text from a translation map, falling back to bokmål."""
    if not texts:
        return ""
    return texts.get(language) or texts.get("nb") or next(iter(texts.values()), "")


def safe_next(target: str | None, fallback: str) -> str:
    """Only follow local paths after a switch or a log-in (no open redirects)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return fallback


@functools.cache
def wtforms_translations(language: str) -> Any:
    """WTForms' own messages ("Not a valid choice") in one language, loaded once per
    process (Flask-WTF reads the catalogue again for every request)."""
    from babel import support
    from wtforms.i18n import messages_path

    return support.Translations.load(messages_path(), [language], domain="wtforms")
