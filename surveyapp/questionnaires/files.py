"""A definition file in any of the formats the app reads, chosen by its name.

``.yaml``/``.yml`` (the project's format), ``.xlsx`` (XLSForm) and ``.lss`` (LimeSurvey
structure export). Every file is refused early when it is too large, and a
macro-enabled workbook (``.xlsm``) is refused by name.
"""

from __future__ import annotations

import os
from pathlib import PurePath

from surveyapp.questionnaires.definition import parse_definition
from surveyapp.questionnaires.imported import MAX_UPLOAD_BYTES, Imported, Problems
from surveyapp.questionnaires.limesurvey import read_limesurvey
from surveyapp.questionnaires.problems import Count, DefinitionError
from surveyapp.questionnaires.types.base import N_
from surveyapp.questionnaires.xlsform import read_xlsform
from surveyapp.questionnaires.yaml_source import unreadable

SUFFIXES = (".yaml", ".yml", ".xlsx", ".lss")


def read_definition(data: bytes, filename: str, size: int | None = None) -> Imported:
    """The validated definition in ``data``; DefinitionError lists every problem.

    ``size``: the whole file's size when only its beginning was read (a file too large).
    """
    suffix = PurePath(filename).suffix.lower()
    problems = Problems(filename)
    if suffix in (".xlsm", ".xltm", ".xlam"):
        problems.add(
            None,
            N_(
                "the workbook contains macros (a macro-enabled .xlsm file); save it as"
                " a plain .xlsx workbook without macros"
            ),
        )
        raise problems.error()
    if suffix not in SUFFIXES:
        problems.add(
            None,
            N_("the app reads .yaml, .xlsx (XLSForm) and .lss (LimeSurvey) files, not %(suffix)s"),
            suffix=suffix or "files without a suffix",
        )
        raise problems.error()
    if len(data) > MAX_UPLOAD_BYTES:
        problems.add(
            None,
            N_("the file is too large: %(size)s bytes; an uploaded file may have at most %(max)s"),
            size=Count(size or len(data)),
            max=Count(MAX_UPLOAD_BYTES),
        )
        raise problems.error()
    if suffix == ".xlsx":
        return read_xlsform(data, filename)
    if suffix == ".lss":
        return read_limesurvey(data, filename)
    return Imported(parse_definition(data, filename), "yaml")


def read_path(path: str | os.PathLike[str]) -> Imported:
    """Read a file from disk (never more than the upload limit) and parse it."""
    filename = os.fspath(path)
    try:
        with open(filename, "rb") as handle:
            data = handle.read(MAX_UPLOAD_BYTES + 1)
            size = os.fstat(handle.fileno()).st_size
    except OSError as exc:
        raise DefinitionError([unreadable(filename, exc)]) from None
    return read_definition(data, filename, size)
