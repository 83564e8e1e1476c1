"""Language choice: a visible switch, remembered for the session, bokmål by default."""

from __future__ import annotations

import functools
import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import current_app, g, request, session

LANGUAGES: dict[str, str] = {"nb": "Norsk bokmål", "nn": "Norsk nynorsk", "en": "English"}
HTML_LANG = {"nb": "nb", "nn": "nn", "en": "en"}


def remember_language_choice() -> None:
    """before_request: ``?lang=xx`` on any page switches the language for the session."""
    asked = request.args.get("lang")
    if request.path.startswith("/api/"):
        return  # the API is stateless: ?lang= is for that request only, no cookie
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


#: Longer ``next`` targets are not followed (a real page address is far shorter).
MAX_NEXT_LENGTH = 2000


def _has_unsafe_character(text: str) -> bool:
    r"""Control, format, separator or whitespace characters, or a backslash.

    Browsers drop TAB, CR and LF from a Location and read ``\`` as ``/``, so
    ``/<TAB>/evil.com`` and ``/\evil.com`` both become ``//evil.com``: another site.
    """
    return any(
        ch == "\\" or ch.isspace() or unicodedata.category(ch)[0] in ("C", "Z") for ch in text
    )


def safe_next(target: str | None, fallback: str) -> str:
    """Only follow same-site absolute paths after a switch or a log-in (no open redirects).

    Anything else (another site, a scheme, ``//host``, characters a browser would strip
    or rewrite, and the same tricks percent-encoded in the path) gives ``fallback``.
    """
    if not target or len(target) > MAX_NEXT_LENGTH or _has_unsafe_character(target):
        return fallback
    if not target.startswith("/") or target.startswith("//"):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    path = unquote(parts.path)
    if path.startswith("//") or _has_unsafe_character(path):
        return fallback
    return target


TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


@functools.cache
def wtforms_translations(language: str) -> Any:
    """WTForms' own messages ("Not a valid choice.") in one language, loaded once per
    process: the project's catalogue (``translations/<lang>/LC_MESSAGES/wtforms.po``:
    nynorsk, which WTForms lacks, and bokmål in the pages' tone), then WTForms' own."""
    from babel import support
    from wtforms.i18n import messages_path

    ours = support.Translations.load(str(TRANSLATIONS), [language], domain="wtforms")
    theirs = support.Translations.load(messages_path(), [language], domain="wtforms")
    if isinstance(ours, support.Translations):
        ours.add_fallback(theirs)
        return ours
    return theirs


class RequestWTFormsMessages:
    """WTForms' messages in the language of the request at the moment they are needed
    (a survey page may switch language within a request)."""

    def gettext(self, string: str) -> str:
        return str(wtforms_translations(_request_language()).gettext(string))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return str(wtforms_translations(_request_language()).ngettext(singular, plural, n))

    # The names Flask-WTF calls (gettext's Python 2 spellings).
    ugettext = gettext
    ungettext = ngettext


def _request_language() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "nb")


def use_project_wtforms_messages() -> None:
    """before_request: Flask-WTF's forms take WTForms' messages from the project's
    catalogues (Flask-WTF looks for ``request.wtforms_translations`` before loading
    WTForms' own, which have no nynorsk)."""
    request.wtforms_translations = RequestWTFormsMessages()  # type: ignore[attr-defined]
