"""Coats of arms: only PNG and SVG, size-limited, PNG re-encoded, SVG rebuilt from an
allow-list (no scripts, handlers or outside references); admin upload, safe serving."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from PIL import Image

from surveyapp.audit.models import AuditEntry
from surveyapp.branding import arms
from surveyapp.branding.models import CoatOfArms
from surveyapp.extensions import db
from surveyapp.storage import file_store


def _png(size: tuple[int, int] = (4, 6), extra: bytes = b"") -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (200, 16, 46, 255)).save(out, format="PNG")
    return out.getvalue() + extra


SHIELD = b"""<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     viewBox="0 0 100 120" onload="alert(1)">
  <title>Shield</title>
  <script>alert(2)</script>
  <defs><linearGradient id="g"><stop offset="0" stop-color="#c8102e"/></linearGradient></defs>
  <path d="M5 5 H95 V60 Z" fill="url(#g)" onclick="alert(3)"
        style="fill:#c8102e;stroke:url(https://evil.example/x);stroke-width:2"/>
  <use xlink:href="https://evil.example/sprite.svg#a"/>
  <use href="#g"/>
  <image href="https://evil.example/a.png" width="1" height="1"/>
  <foreignObject><p xmlns="http://www.w3.org/1999/xhtml">hi</p></foreignObject>
  <a href="javascript:alert(4)"><path d="M0 0"/></a>
</svg>"""


def test_png_is_decoded_and_encoded_afresh() -> None:
    cleaned = arms.clean(_png(extra=b"<script>trailing data</script>"))
    assert cleaned.content_type == "image/png" and cleaned.suffix == ".png"
    assert b"<script>" not in cleaned.data
    with Image.open(io.BytesIO(cleaned.data)) as image:
        assert image.format == "PNG" and image.size == (4, 6)


def test_svg_keeps_the_drawing_and_loses_everything_active_or_outside() -> None:
    cleaned = arms.clean(SHIELD)
    text = cleaned.data.decode("utf-8")
    assert cleaned.content_type == "image/svg+xml"
    assert 'd="M5 5 H95 V60 Z"' in text and 'fill="url(#g)"' in text
    assert 'stop-color="#c8102e"' in text and "<title>Shield</title>" in text
    assert 'href="#g"' in text
    for gone in (
        "script",
        "alert",
        "onload",
        "onclick",
        "evil.example",
        "foreignObject",
        "javascript",
        "<a ",
        "<image",
    ):
        assert gone not in text, gone
    assert "fill:#c8102e" in text and "stroke-width:2" in text  # safe style kept


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"GIF89a....", "not_png_or_svg"),
        (b"%PDF-1.7", "not_png_or_svg"),
        (arms.PNG_SIGNATURE + b"not really a png", "bad_png"),
        (b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "y">]><svg/>', "bad_svg"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><unclosed></svg>", "bad_svg"),
        (b"<html><svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 1 1'/></html>", "bad_svg"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><path d='M0 0'/></svg>", "bad_svg"),
    ],
)
def test_files_that_are_not_clean_png_or_svg_are_refused(data: bytes, reason: str) -> None:
    with pytest.raises(arms.ArmsError) as refused:
        arms.clean(data)
    assert refused.value.reason == reason


def test_size_limits() -> None:
    with pytest.raises(arms.ArmsError, match="too_large"):
        arms.clean(_png(), max_bytes=10)
    with pytest.raises(arms.ArmsError, match="too_many_pixels"):
        arms.clean(_png(size=(arms.MAX_PIXELS + 1, 1)))


@pytest.fixture
def admin(make_user: Callable[..., Any], login: Callable[[Any], FlaskClient]) -> FlaskClient:
    return login(make_user("admin"))


def test_admin_uploads_replaces_and_removes_a_coat_of_arms(admin: FlaskClient) -> None:
    page = admin.get("/admin/arms?lang=nb").get_data(as_text=True)
    # Municipalities by name: Aremark before Bergen before Ål.
    assert (
        page.index(">Aremark (3124)<") < page.index(">Bergen (4601)<") < page.index(">Ål (3328)<")
    )

    sent = admin.post(
        "/admin/arms",
        data={"municipality": "5501", "file": (io.BytesIO(SHIELD), "tromso.svg")},
        content_type="multipart/form-data",
    )
    assert sent.status_code == 302
    first = db.session.get(CoatOfArms, "5501")
    assert first is not None and first.content_type == "image/svg+xml"
    served = admin.get("/arms/5501")
    assert served.mimetype == "image/svg+xml" and b"alert" not in served.data
    assert served.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    old_key = first.file_key

    admin.post(
        "/admin/arms",
        data={"municipality": "5501", "file": (io.BytesIO(_png()), "tromso.png")},
        content_type="multipart/form-data",
    )
    db.session.expire_all()
    second = db.session.get(CoatOfArms, "5501")
    assert second is not None and second.content_type == "image/png"
    assert not file_store().exists(old_key)  # the replaced file is gone
    second_key = second.file_key

    admin.post("/admin/arms/remove", data={"code": "5501"})
    db.session.expire_all()
    assert db.session.get(CoatOfArms, "5501") is None
    assert not file_store().exists(second_key)
    assert admin.get("/arms/5501").status_code == 404
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.entity_type == "coat_of_arms")
    ).all()
    assert sorted(actions) == ["create", "delete", "replace"]


def test_a_refused_upload_says_why_in_the_page_language(admin: FlaskClient) -> None:
    sent = admin.post(
        "/admin/arms?lang=nn",
        data={"municipality": "5501", "file": (io.BytesIO(b"GIF89a"), "x.gif")},
        content_type="multipart/form-data",
    )
    text = sent.get_data(as_text=True)
    assert sent.status_code == 400
    assert "Vel ei PNG- eller SVG-fil." in text and "<title>Feil:" in text
    assert db.session.get(CoatOfArms, "5501") is None


def test_only_admins_upload(make_user: Callable[..., Any], login: Callable[..., Any]) -> None:
    planner = login(make_user("planner", municipalities=["5501"]))
    assert planner.get("/admin/arms").status_code == 403
