"""Outside probe: broken or hostile questionnaire uploads are refused with problems on
the page (in the reader's language), never a server error."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest

from tests.questionnaires.test_upload_pages import _post_file


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


CONTENT_TYPES = (
    b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    b'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>'
)
ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b "bbbbbbbbbb"><!ENTITY c "&b;&b;&b;&b;">]>'
    b"<Types>&c;</Types>"
)
HOSTILE = {
    "empty.xlsx": b"",
    "garbage.xlsx": b"PK\x03\x04garbage",
    "zip-without-workbook.xlsx": _zip({"hello.txt": b"hi"}),
    "content-types-only.xlsx": _zip({"[Content_Types].xml": CONTENT_TYPES}),
    "entity.xlsx": _zip({"[Content_Types].xml": ENTITY}),
    "entity.lss": b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e "x">]><document>&e;</document>',
    "nul.yaml": b"code: a\x00b\n",
    "latin1.yaml": "code: Troms\xf8\n".encode("latin-1"),
    "list.yaml": b"- 1\n- 2\n",
    "deep.yaml": b"[" * 5000 + b"]" * 5000,
    "%(about)s.yaml": b"code: [\n",
    "noext": b"code: x\n",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_upload_is_refused_on_the_page(
    questionnaires: None, make_user: Any, login: Any, name: str
) -> None:
    client = login(make_user("admin"))
    page = _post_file(client, HOSTILE[name], name)
    assert page.status_code == 200, page.status_code
    text = page.get_data(as_text=True)
    assert "Traceback" not in text
    assert 'id="problems"' in text  # refused, with the problems listed
