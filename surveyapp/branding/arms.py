"""Check and clean an uploaded coat of arms (plain: bytes in, bytes out, no Flask).

PNG files are recognised by their content, decoded by Pillow and encoded afresh, so
nothing but the pixels survives (no text chunks, no trailing data, no other format
posing as PNG). SVG files are parsed with defusedxml (no DTDs, no entities) and
rebuilt from an allow-list of drawing elements and attributes: scripts, event
handlers, foreign content, style sheets and every reference outside the document
(``href`` and ``url()`` other than ``#id``) are dropped.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from xml.etree import ElementTree

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from PIL import Image, UnidentifiedImageError

MAX_BYTES = 200 * 1024
MAX_PIXELS = 2000
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"

ELEMENTS = frozenset(
    {
        "svg",
        "g",
        "defs",
        "title",
        "desc",
        "path",
        "rect",
        "circle",
        "ellipse",
        "line",
        "polyline",
        "polygon",
        "linearGradient",
        "radialGradient",
        "stop",
        "clipPath",
        "mask",
        "symbol",
        "use",
        "text",
        "tspan",
    }
)
ATTRIBUTES = frozenset(
    {
        "id",
        "class",
        "viewBox",
        "width",
        "height",
        "x",
        "y",
        "x1",
        "x2",
        "y1",
        "y2",
        "cx",
        "cy",
        "r",
        "rx",
        "ry",
        "fx",
        "fy",
        "d",
        "points",
        "transform",
        "preserveAspectRatio",
        "version",
        "fill",
        "fill-opacity",
        "fill-rule",
        "stroke",
        "stroke-width",
        "stroke-opacity",
        "stroke-linecap",
        "stroke-linejoin",
        "stroke-miterlimit",
        "stroke-dasharray",
        "stroke-dashoffset",
        "opacity",
        "clip-path",
        "clip-rule",
        "mask",
        "offset",
        "stop-color",
        "stop-opacity",
        "gradientUnits",
        "gradientTransform",
        "spreadMethod",
        "clipPathUnits",
        "maskUnits",
        "maskContentUnits",
        "font-family",
        "font-size",
        "font-weight",
        "font-style",
        "text-anchor",
        "display",
        "visibility",
        "style",
        "href",
    }
)
#: Attributes whose value may refer to something: only ``#id`` in this document.
_REFERENCES = re.compile(r"url\(\s*(?:'|\")?(?![#'\"])", re.IGNORECASE)
_STYLE_DECLARATION = re.compile(r"^\s*([a-z-]+)\s*:\s*([^;]*)$", re.IGNORECASE)
_SAFE_STYLE_VALUE = re.compile(r"^[#\w\s.,%()'\"-]*$")


class ArmsError(ValueError):
    """The file cannot be used; ``reason`` is a stable key for the message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CleanArms:
    data: bytes
    content_type: str
    suffix: str


def clean(data: bytes, max_bytes: int = MAX_BYTES) -> CleanArms:
    """The file made safe to serve, or ArmsError ("empty", "too_large", "not_png_or_svg",
    "bad_png", "too_many_pixels", "bad_svg")."""
    if not data:
        raise ArmsError("empty")
    if len(data) > max_bytes:
        raise ArmsError("too_large")
    if data.startswith(PNG_SIGNATURE):
        return CleanArms(_clean_png(data), "image/png", ".png")
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<?xml") or head.startswith(b"<svg") or b"<svg" in head:
        return CleanArms(_clean_svg(data), "image/svg+xml", ".svg")
    raise ArmsError("not_png_or_svg")


def _clean_png(data: bytes) -> bytes:
    try:
        with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
            if image.width > MAX_PIXELS or image.height > MAX_PIXELS:
                raise ArmsError("too_many_pixels")
            image.load()
            mode = "RGBA" if image.mode in ("RGBA", "LA", "P", "PA") else "RGB"
            pixels = image.convert(mode)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        if isinstance(error, ArmsError):
            raise
        raise ArmsError("bad_png") from error
    out = io.BytesIO()
    pixels.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _local(name: str) -> tuple[str, str]:
    """(namespace, local name) of an ElementTree tag or attribute name."""
    if name.startswith("{"):
        namespace, local = name[1:].split("}", 1)
        return namespace, local
    return "", name


def _clean_style(value: str) -> str:
    kept = []
    for declaration in value.split(";"):
        if not declaration.strip():
            continue
        match = _STYLE_DECLARATION.match(declaration)
        if not match:
            continue
        prop, val = match.group(1).lower(), match.group(2).strip()
        if prop not in ATTRIBUTES or prop in ("style", "href"):
            continue
        if _REFERENCES.search(val) or not _SAFE_STYLE_VALUE.match(val):
            continue
        kept.append(f"{prop}:{val}")
    return ";".join(kept)


def _clean_element(source: ElementTree.Element) -> ElementTree.Element | None:
    namespace, tag = _local(source.tag) if isinstance(source.tag, str) else ("", "")
    if namespace != SVG or tag not in ELEMENTS:
        return None
    target = ElementTree.Element(f"{{{SVG}}}{tag}")
    for name, value in source.attrib.items():
        attr_namespace, attr = _local(name)
        if attr_namespace not in ("", XLINK) or attr not in ATTRIBUTES:
            continue
        if attr_namespace == XLINK and attr != "href":
            continue
        if attr == "href":
            if not value.strip().startswith("#"):
                continue
            target.set(f"{{{XLINK}}}href" if attr_namespace == XLINK else "href", value.strip())
            continue
        if attr == "style":
            value = _clean_style(value)
            if not value:
                continue
        elif _REFERENCES.search(value):
            continue
        target.set(attr, value)
    if tag in ("title", "desc", "text", "tspan"):
        target.text = source.text
    for child in source:
        cleaned = _clean_element(child)
        if cleaned is not None:
            if tag in ("text", "tspan"):
                cleaned.tail = child.tail
            target.append(cleaned)
    return target


def _clean_svg(data: bytes) -> bytes:
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ElementTree.ParseError, DefusedXmlException, ValueError) as error:
        raise ArmsError("bad_svg") from error
    if root.tag != f"{{{SVG}}}svg":
        raise ArmsError("bad_svg")
    cleaned = _clean_element(root)
    assert cleaned is not None
    if "viewBox" not in cleaned.attrib and not {"width", "height"} <= set(cleaned.attrib):
        raise ArmsError("bad_svg")
    ElementTree.register_namespace("", SVG)
    ElementTree.register_namespace("xlink", XLINK)
    body = ElementTree.tostring(cleaned, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode("utf-8")
