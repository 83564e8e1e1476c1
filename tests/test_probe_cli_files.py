"""Outside probe: a wrong file named on the command line is refused in words, never
with a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner

BAD_FILES = {
    "binary": bytes(range(256)) * 4,
    "not-utf8": "kode,navn\n5501,Troms\xf8\n".encode("latin-1"),
    "empty": b"",
    "nul": b"code,phone,email,website\n5501,\x00,,\n",
    "yaml-bomb": b"a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
}
COMMANDS = [
    ["municipalities", "load"],
    ["municipalities", "changes"],
    ["municipalities", "bands"],
    ["municipalities", "contacts"],
    ["questionnaires", "check"],
    ["peers", "import"],
]


CASES = [(command, ".csv") for command in COMMANDS] + [
    (["questionnaires", "check"], suffix) for suffix in (".yaml", ".xlsx", ".lss")
]


@pytest.mark.parametrize(("command", "suffix"), CASES, ids=lambda v: str(v))
@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_a_bad_file_is_refused_in_words(
    runner: FlaskCliRunner, tmp_path: Path, command: list[str], kind: str, suffix: str
) -> None:
    path = tmp_path / f"file{suffix}"
    path.write_bytes(BAD_FILES[kind])
    result = runner.invoke(args=[*command, str(path)])
    assert result.exit_code != 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    assert "No such command" not in result.output


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_directory_or_a_missing_file_is_refused_in_words(
    runner: FlaskCliRunner, tmp_path: Path, command: list[str]
) -> None:
    for path in (tmp_path, tmp_path / "missing.csv"):
        result = runner.invoke(args=[*command, str(path)])
        assert result.exit_code != 0, result.output
        assert "No such command" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(
            result.exception
        )
