"""Every message has bokmål and nynorsk text, and the compiled catalogues are current."""

from __future__ import annotations

import gettext
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.conftest import PROJECT_ROOT

TRANSLATIONS = PROJECT_ROOT / "surveyapp" / "translations"


def _catalog(language: str):  # type: ignore[no-untyped-def]
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle)


@pytest.mark.parametrize("language", ["nb", "nn"])
def test_every_message_is_translated(language: str) -> None:
    with (TRANSLATIONS / "messages.pot").open("rb") as handle:
        template = read_po(handle)
    catalog = _catalog(language)
    missing = []
    for message in template:
        if not message.id:
            continue
        translated = catalog.get(message.id)
        text = translated.string if translated else None
        if not text or (isinstance(text, tuple) and not all(text)) or translated.fuzzy:
            missing.append(message.id)
    assert missing == []


@pytest.mark.parametrize("language", ["nb", "nn"])
def test_compiled_catalogue_matches_the_po_file(language: str) -> None:
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for message in _catalog(language):
        if not message.id or isinstance(message.id, tuple) or not message.string:
            continue
        assert compiled.gettext(message.id) == message.string, message.id


def test_template_is_current_with_the_source(tmp_path: object) -> None:
    """New user-facing text must be extracted (make translations-update) and translated."""
    import subprocess
    import sys
    from pathlib import Path

    out = Path(str(tmp_path)) / "messages.pot"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "pybabel"),
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "text",
            "-o",
            str(out),
            "surveyapp",
        ],
        cwd=PROJECT_ROOT,
        check=True,
    )
    with out.open("rb") as handle:
        current = {m.id for m in read_po(handle) if m.id}
    with (TRANSLATIONS / "messages.pot").open("rb") as handle:
        stored = {m.id for m in read_po(handle) if m.id}
    assert current - stored == set()


@pytest.mark.parametrize("language", ["nb", "nn"])
def test_every_wtforms_message_has_our_translation(language: str) -> None:
    """WTForms' own messages ("This field is required.") come from our catalogue: WTForms
    has no nynorsk, so without it nynorsk pages would show English."""
    from wtforms.i18n import messages_path

    with (Path(messages_path()) / "wtforms.pot").open("rb") as handle:
        template = read_po(handle)
    with (TRANSLATIONS / language / "LC_MESSAGES" / "wtforms.po").open("rb") as handle:
        ours = read_po(handle)
    with (TRANSLATIONS / language / "LC_MESSAGES" / "wtforms.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    missing = []
    for message in template:
        if not message.id:
            continue
        found = ours.get(message.id)
        text = found.string if found else None
        if not text or (isinstance(text, tuple) and not all(text)):
            missing.append(message.id)
        elif isinstance(message.id, str):
            assert compiled.gettext(message.id) == text
    assert missing == []
