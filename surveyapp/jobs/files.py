"""Result files of jobs: in the job-files folder, under random names, readable by us only."""

from __future__ import annotations

import contextlib
import re
import secrets
from pathlib import Path

from flask import current_app

_NAME = re.compile(r"^[0-9a-f]{32}$")


def folder() -> Path:
    """The job-files folder (``SURVEYAPP_JOB_FILES_DIR``, default ``instance/job-files``)."""
    configured = current_app.config.get("SURVEYAPP_JOB_FILES_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "job-files"


def new_output() -> Path:
    """A fresh path for a result file (neither it nor its folder is created yet)."""
    return folder() / secrets.token_hex(16)


def path_of(name: str | None) -> Path | None:
    """The path of a stored result file name, or None for anything else."""
    if not name or not _NAME.match(name):
        return None
    return folder() / name


def stored_files() -> list[Path]:
    """The result files in the folder (none when it does not exist yet)."""
    if not folder().is_dir():
        return []
    return [path for path in folder().iterdir() if is_result_file(path)]


def is_result_file(path: Path) -> bool:
    return bool(_NAME.match(path.name)) and path.is_file()


def delete(path: Path | None) -> None:
    """Delete a result file; one that does not exist (or whose folder does not) is fine."""
    if path is not None:
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            path.unlink()
