"""LibreOffice headless for the export tests: CSV imported as Norwegian Excel would (``;``,
decimal comma) or as a comma file, formulas evaluated; workbooks printed to PDF.

Skipped with a message where LibreOffice is missing, an error when
``SURVEYAPP_REQUIRE_LIBREOFFICE`` is set (CI installs ``libreoffice-calc-nogui``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

NORWEGIAN_BOKMAL = 1044  # LCID nb-NO: decimal comma
ENGLISH_US = 1033


def tool(*names: str) -> str:
    """The first of ``names`` on the PATH, or skip (fail when LibreOffice is required)."""
    for name in names:
        found = shutil.which(name)
        if found is not None:
            return found
    reason = f"{names[0]} is not installed"
    if os.environ.get("SURVEYAPP_REQUIRE_LIBREOFFICE"):
        pytest.fail(f"{reason} (and SURVEYAPP_REQUIRE_LIBREOFFICE is set)", pytrace=False)
    pytest.skip(f"{reason}; set SURVEYAPP_REQUIRE_LIBREOFFICE=1 to make this an error")


def soffice() -> str:
    return tool("soffice", "libreoffice")


def csv_filter(separator: str, language: int) -> str:
    """LibreOffice's CSV import options: separator, '"' as text delimiter, UTF-8, from
    line 1, no column types, the locale, quoted fields not forced to text, special
    numbers detected, …, and token 13: evaluate formulas."""
    return f"CSV:{ord(separator)},34,76,1,,{language},false,true,false,false,false,-1,true"


def convert(
    files: Sequence[Path], target: str, out: Path, profile: Path, infilter: str | None = None
) -> list[Path]:
    """Convert ``files`` with one soffice run; returns the converted files."""
    command = [
        soffice(),
        f"-env:UserInstallation=file://{profile}",
        "--headless",
        "--norestore",
        "--convert-to",
        target,
        "--outdir",
        str(out),
    ]
    if infilter:
        command.append(f"--infilter={infilter}")
    done = subprocess.run(
        [*command, *map(str, files)], capture_output=True, text=True, timeout=300, check=False
    )
    results = [out / f"{f.stem}.{target.split(':')[0]}" for f in files]
    missing = [r for r in results if not r.exists()]
    assert not missing, f"soffice made no {missing}: {done.stdout} {done.stderr}"
    return results
