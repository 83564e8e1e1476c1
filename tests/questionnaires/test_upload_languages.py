"""A refused upload's problems are in the reader's language, with no English left in them.

Every problem a definition file can have is a translatable message (a msgid and its
values); PyYAML's own English words stay on the command line. An XLSForm is checked as
YAML made from it, but a problem never cites a line of that YAML: it names the sheet
and row of the uploaded workbook.
"""

from __future__ import annotations

import html
import io
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from surveyapp.questionnaires.files import read_definition, read_path
from surveyapp.questionnaires.problems import DefinitionError, Problem

DATA = Path(__file__).parents[1] / "data" / "questionnaires"
BROKEN = Path(__file__).parent / "broken"

HEAD = "format: 1\ncode: broken\nkind: survey\ntitle: {nb: Test, nn: Test, en: Test}\n"

#: Words of the English messages that must not reach a Norwegian page.
ENGLISH = (
    "must be",
    " not ",
    "the file",
    "is missing",
    "required key",
    "unsupported",
    "line",
    "column",
    "first at",
    "while parsing",
    "expected",
    "mapping",
    "a list",
    "too large",
    "nested",
    "alias refers",
    "quotes",
    "the number",
    "the text",
    "duplicate",
)

_ROW = re.compile(
    r"<tr>\s*<td>[^<]*</td>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>\s*"
    r'<td class="num">([^<]*)</td>\s*<td>([^<]*)</td>\s*</tr>'
)


def _post(client: Any, data: bytes, name: str) -> str:
    response = client.post(
        "/questionnaires/upload",
        data={"file": (io.BytesIO(data), name), "owner": "national"},
        content_type="multipart/form-data",
    )
    return response.get_data(as_text=True)


def _problems(page: str) -> list[tuple[str, str, str, str]]:
    """(sheet, cell or row, line, message) of every problem listed on the page."""
    rows = _ROW.findall(page)  # before unescaping: a message may hold "<<"
    assert rows, page
    return [(sheet, cell, line, html.unescape(text)) for sheet, cell, line, text in rows]


def _deep_nesting() -> bytes:
    return ("x: " + "[" * 5000 + "]" * 5000 + "\n").encode()


def _alias_bomb() -> bytes:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    return ("\n".join(lines) + "\n").encode()


# (file name, its bytes, what the bokmål page says, what the nynorsk page says)
CASES = [
    (
        "malformed-yaml.yaml",
        (BROKEN / "malformed-yaml.yaml").read_bytes(),
        "kolonne 4: fila er ikke gyldig YAML her (sjekk innrykket:",
        "kolonne 4: fila er ikkje gyldig YAML her (sjekk innrykket:",
    ),
    ("empty.yaml", b"", "fila er tom", "fila er tom"),
    (
        "tag.yaml",
        (HEAD + "sections: !custom []\n").encode(),
        "YAML-taggen «!custom» støttes ikke",
        "YAML-taggen «!custom» er ikkje støtta",
    ),
    (
        "list-key.yaml",
        (HEAD + "? [a, b]\n: 1\n").encode(),
        "en nøkkel må være tekst, ikke en liste eller nøkler med verdier",
        "ein nøkkel må vere tekst, ikkje ei liste eller nøklar med verdiar",
    ),
    (
        "bomb.yaml",
        _alias_bomb(),
        "fila er for stor: når aliasene (*navn) og flettenøklene (<<) er erstattet med det"
        " de viser til",
        "fila er for stor: når aliasa (*namn) og flettenøklane (<<) er bytte ut med det"
        " dei viser til",
    ),
    (
        "deep.yaml",
        _deep_nesting(),
        "fila har for mange nivåer inni hverandre",
        "fila har for mange nivå inni kvarandre",
    ),
    (
        "number-code.yaml",
        (BROKEN / "missing-kind.yaml").read_text().replace("code: broken", "code: 42").encode(),
        "«code» må være tekst, ikke tallet 42 (sett verdien i anførselstegn for å gjøre den"
        " til tekst)",
        "«code» må vere tekst, ikkje talet 42 (set verdien i hermeteikn for å gjere han til tekst)",
    ),
    (
        "missing-kind.yaml",
        (BROKEN / "missing-kind.yaml").read_bytes(),
        "den obligatoriske nøkkelen «kind» mangler",
        "den obligatoriske nøkkelen «kind» manglar",
    ),
    (
        "protocol-weight-string.yaml",
        (BROKEN / "protocol-weight-string.yaml").read_bytes(),
        "«weight» må være et tall, ikke teksten «a lot»",
        "«weight» må vere eit tal, ikkje teksten «a lot»",
    ),
    (
        "protocol-missing-contacts.yaml",
        (BROKEN / "protocol-missing-contacts.yaml").read_bytes(),
        "«missing_contacts» må være én av 'zero', 'exclude', ikke teksten «skip»",
        "«missing_contacts» må vere éin av 'zero', 'exclude', ikkje teksten «skip»",
    ),
    (
        "protocol-duplicate-scenario.yaml",
        (BROKEN / "protocol-duplicate-scenario.yaml").read_bytes(),
        "scenariokoden «water-fee» finnes to ganger (første gang på linje 22)",
        "scenariokoden «water-fee» finst to gonger (første gong på linje 22)",
    ),
    (
        "required-string.yaml",
        (BROKEN / "required-string.yaml").read_bytes(),
        "«required» må være true eller false, ikke teksten «yes»"
        " (skriv true eller false, uten anførselstegn)",
        "«required» må vere true eller false, ikkje teksten «yes»"
        " (skriv true eller false, utan hermeteikn)",
    ),
]


@pytest.mark.parametrize(("name", "data", "nb", "nn"), CASES, ids=[c[0] for c in CASES])
def test_a_broken_yaml_file_s_problems_are_in_bokmal_and_nynorsk(
    questionnaires: None, make_user: Any, login: Any, name: str, data: bytes, nb: str, nn: str
) -> None:
    client = login(make_user("admin"))
    for language, expected in (("nb", nb), ("nn", nn)):
        client.get(f"/?lang={language}")
        messages = [row[3] for row in _problems(_post(client, data, name))]
        assert any(expected in message for message in messages), messages
        for message in messages:
            assert not [word for word in ENGLISH if word in message], message


def test_the_command_line_keeps_the_yaml_parser_s_own_words() -> None:
    with pytest.raises(DefinitionError) as info:
        read_path(BROKEN / "malformed-yaml.yaml")
    text = str(info.value)
    assert "line 8, column 4: not valid YAML: expected <block end>" in text
    assert "(while parsing a block collection, which starts at line 6, column 3)" in text


def _census_with_a_repeated_group() -> bytes:
    book = openpyxl.load_workbook(DATA / "service-office-census.xlsx")
    book["survey"]["B9"] = "office"  # the second group named like the first (row 3)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsform_problem_cites_the_workbook_s_row_not_a_line_of_the_yaml_made_from_it(
    questionnaires: None, make_user: Any, login: Any
) -> None:
    client = login(make_user("admin"))
    expected = {
        "nb": "seksjonskoden «office» finnes to ganger (første gang på rad 3 i arket «survey»)",
        "nn": "seksjonskoden «office» finst to gonger (første gong på rad 3 i arket «survey»)",
        "en": "duplicate section code 'office' (first at row 3 of sheet 'survey')",
    }
    for language, text in expected.items():
        client.get(f"/?lang={language}")
        rows = _problems(_post(client, _census_with_a_repeated_group(), "census.xlsx"))
        assert [(sheet, cell, line) for sheet, cell, line, _ in rows] == [("survey", "B9", "–")]
        assert text in rows[0][3], rows
        assert "linje" not in rows[0][3] and "line" not in rows[0][3]
    with pytest.raises(DefinitionError) as info:
        read_definition(_census_with_a_repeated_group(), "census.xlsx")
    assert str(info.value) == (
        "census.xlsx: sheet 'survey', cell B9: section 'office': duplicate section code"
        " 'office' (first at row 3 of sheet 'survey')"
    )


def _every_problem(data: bytes, name: str) -> list[Problem]:
    with pytest.raises(DefinitionError) as info:
        read_definition(data, name)
    return info.value.problems


@pytest.mark.parametrize("path", sorted(BROKEN.glob("*.yaml")), ids=lambda p: p.name)
def test_every_problem_of_a_broken_definition_is_translatable(path: Path) -> None:
    """No plain English message reaches the page: each problem has a msgid (surveys,
    checklists and service-test protocols alike)."""
    problems = _every_problem(path.read_bytes(), path.name)
    assert problems
    plain = [str(problem) for problem in problems if problem.msgid is None]
    assert plain == []


@pytest.mark.parametrize(("name", "data"), [(c[0], c[1]) for c in CASES], ids=[c[0] for c in CASES])
def test_every_problem_of_a_broken_upload_is_translatable(name: str, data: bytes) -> None:
    plain = [str(p) for p in _every_problem(data, name) if p.msgid is None]
    assert plain == []


def test_numbers_in_a_problem_are_written_as_the_reader_writes_them(
    questionnaires: None, make_user: Any, login: Any
) -> None:
    """The alias bomb's limit: "100 000" on Norwegian pages, "100,000" in English and on
    the command line."""
    from surveyapp import formatting
    from surveyapp.questionnaires import yaml_source

    limit = yaml_source.MAX_EXPANDED_NODES
    assert limit >= 10_000  # grouped in every language
    client = login(make_user("admin"))
    for language in ("nb", "nn", "en"):
        client.get(f"/?lang={language}")
        messages = [row[3] for row in _problems(_post(client, _alias_bomb(), "bomb.yaml"))]
        grouped = formatting.count(limit, language)
        assert any(grouped in message for message in messages), (grouped, messages)
        if language != "en":
            assert not any(f"{limit:,}" in message for message in messages)
    with pytest.raises(DefinitionError) as info:
        read_definition(_alias_bomb(), "bomb.yaml")
    assert f"{limit:,}" in str(info.value)
