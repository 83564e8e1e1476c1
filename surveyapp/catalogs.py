"""Message catalogues without Flask: one language's translations, for renderers and the CLI.

The workbook, the PDF, the charts and the command line build text in a language given
as a parameter, so they read the compiled catalogues (``translations/``) through
Babel directly instead of Flask-Babel's request-bound ``gettext``. Messages behave as
in the templates: ``%(name)s`` is filled in and ``%%`` is a literal percent sign.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from gettext import NullTranslations
from pathlib import Path
from typing import Any

from babel.support import Translations

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
LANGUAGES = ("nb", "nn", "en")


@dataclass(frozen=True)
class Translator:
    """gettext for one language: ``t("%(n)s answers", n=3)``."""

    language: str
    catalogue: NullTranslations

    def gettext(self, msgid: str, **variables: Any) -> str:
        return _fill(self.catalogue.gettext(msgid), variables)

    def ngettext(self, singular: str, plural: str, num: int, **variables: Any) -> str:
        variables.setdefault("num", num)
        return _fill(self.catalogue.ngettext(singular, plural, num), variables)

    def __call__(self, msgid: str, **variables: Any) -> str:
        return self.gettext(msgid, **variables)


def _fill(text: str, variables: dict[str, Any]) -> str:
    if variables:
        return text % variables
    return text.replace("%%", "%")


@functools.cache
def translator(language: str) -> Translator:
    """The translator for ``language`` (read once per process)."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, got {language!r}")
    catalogue = Translations.load(str(TRANSLATIONS), [language], domain="messages")
    return Translator(language, catalogue)
