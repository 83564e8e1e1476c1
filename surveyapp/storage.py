"""Files the application keeps outside the database (attachments, coats of arms, …).

One small interface, so that an object store can be added later without touching the
features: ``put`` returns a key, ``open`` and ``delete`` take it. The default stores
files in the instance folder under random names, readable by the app's user only.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Protocol

from flask import current_app

_KEY_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_.")


class FileStoreError(ValueError):
    """A key that names no stored file, or one that could escape the store."""


class FileStore(Protocol):
    def put(self, data: bytes, suffix: str = "") -> str: ...

    @contextmanager
    def open(self, key: str) -> Iterator[BinaryIO]: ...

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...


class LocalFileStore:
    """Files in one folder; keys are random names (with a suffix such as ``.png``)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if not key or set(key) - _KEY_CHARACTERS or key.startswith(".") or ".." in key:
            raise FileStoreError(key)
        return self.root / key

    def put(self, data: bytes, suffix: str = "") -> str:
        if suffix and (set(suffix) - _KEY_CHARACTERS or not suffix.startswith(".")):
            raise FileStoreError(suffix)
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = secrets.token_urlsafe(24).lower().replace("-", "0").replace("_", "1") + suffix
        path = self._path(key)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return key

    @contextmanager
    def open(self, key: str) -> Iterator[BinaryIO]:
        try:
            handle = self._path(key).open("rb")
        except FileNotFoundError as error:
            raise FileStoreError(key) from error
        with handle:
            yield handle

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()


def file_store() -> FileStore:
    """The app's store: ``SURVEYAPP_FILES_DIR`` (default ``instance/files``)."""
    root = current_app.config.get("SURVEYAPP_FILES_DIR") or os.path.join(
        current_app.instance_path, "files"
    )
    return LocalFileStore(root)
