"""The file store keeps files outside the database, under random names, for the app only."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from surveyapp.storage import FileStoreError, LocalFileStore


def test_put_open_delete_round_trip(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path / "files")
    key = store.put(b"%PDF-1.7 evidence", ".pdf")
    assert key.endswith(".pdf") and len(key) > 30
    assert store.exists(key)
    with store.open(key) as handle:
        assert handle.read() == b"%PDF-1.7 evidence"
    mode = stat.S_IMODE((tmp_path / "files" / key).stat().st_mode)
    assert mode == 0o600
    store.delete(key)
    assert not store.exists(key)
    with pytest.raises(FileStoreError), store.open(key):
        pass


def test_two_files_never_share_a_key(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path)
    assert len({store.put(b"x") for _ in range(50)}) == 50


@pytest.mark.parametrize("key", ["../secret", "/etc/passwd", "a/../../b", "", ".hidden", "a b"])
def test_keys_cannot_leave_the_store(tmp_path: Path, key: str) -> None:
    store = LocalFileStore(tmp_path / "files")
    with pytest.raises(FileStoreError):
        store.exists(key)
    with pytest.raises(FileStoreError):
        store.delete(key)


def test_suffix_is_checked(tmp_path: Path) -> None:
    with pytest.raises(FileStoreError):
        LocalFileStore(tmp_path).put(b"x", "/../evil")
