"""Attachment files checked by their content, not by their name or the browser's word.

Plain (no Flask). PNG, JPEG and PDF only, at most 5 MB, read in pieces so that a larger
file is refused as soon as the limit is passed. The type is told by the file's signature
(magic bytes: three fixed prefixes need no library) and then confirmed: images are opened
and verified with Pillow (already installed with matplotlib; pinned), so a renamed or
truncated file is refused; a PDF must begin with ``%PDF-`` and end with ``%%EOF``.
"""

from __future__ import annotations

import io
import os
import re
import warnings
from dataclasses import dataclass
from typing import IO

from PIL import Image

from surveyapp.plaintext import strip_controls

MAX_BYTES = 5 * 1024 * 1024
_CHUNK = 64 * 1024
KINDS = {
    "image/png": (b"\x89PNG\r\n\x1a\n", ".png"),
    "image/jpeg": (b"\xff\xd8\xff", ".jpg"),
    "application/pdf": (b"%PDF-", ".pdf"),
}


class AttachmentError(ValueError):
    """Why a file is refused: ``empty``, ``too_large``, ``type`` or ``damaged``."""


@dataclass(frozen=True)
class CheckedFile:
    data: bytes
    content_type: str
    suffix: str
    filename: str  # as the caller named it, without folders or control characters


def read_limited(stream: IO[bytes], limit: int = MAX_BYTES) -> bytes:
    """The stream's bytes; AttachmentError("too_large") as soon as it passes ``limit``."""
    parts: list[bytes] = []
    size = 0
    while True:
        part = stream.read(_CHUNK)
        if not part:
            break
        size += len(part)
        if size > limit:
            raise AttachmentError("too_large")
        parts.append(part)
    return b"".join(parts)


def content_type_of(data: bytes) -> str | None:
    for content_type, (signature, _suffix) in KINDS.items():
        if data.startswith(signature):
            return content_type
    return None


def _image_is_whole(data: bytes) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
    except Exception:  # noqa: BLE001 - Pillow raises many kinds for a broken file
        return False
    return True


def clean_filename(name: str) -> str:
    """The file's own name (no folders, no control characters), at most 200 characters."""
    base = re.split(r"[\\/]", strip_controls(name or ""))[-1].strip()
    stem, extension = os.path.splitext(base)
    if len(base) > 200:
        base = stem[: 200 - len(extension[:20])] + extension[:20]
    return base or "vedlegg"


def check_file(stream: IO[bytes], filename: str, limit: int = MAX_BYTES) -> CheckedFile:
    """The file if it is a whole PNG, JPEG or PDF of at most ``limit`` bytes."""
    data = read_limited(stream, limit)
    if not data:
        raise AttachmentError("empty")
    content_type = content_type_of(data)
    if content_type is None:
        raise AttachmentError("type")
    if content_type == "application/pdf":
        if b"%%EOF" not in data[-1024:]:
            raise AttachmentError("damaged")
    elif not _image_is_whole(data):
        raise AttachmentError("damaged")
    return CheckedFile(data, content_type, KINDS[content_type][1], clean_filename(filename))
