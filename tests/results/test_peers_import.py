"""`peers import`: peer reference values from CSV files, all rows or none."""

from __future__ import annotations

import contextlib
import os
import re
import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from surveyapp.audit.models import AuditEntry
from surveyapp.extensions import db
from surveyapp.results.models import PeerValue
from surveyapp.results.peers import PeerFileError, PeerRow, parse_peer_csv
from tests.conftest import PROJECT_ROOT

EXAMPLE = PROJECT_ROOT / "benchmarks" / "peers" / "example-fictitious.csv"
EXAMPLE_ROWS = 16
HEADER = "municipality_code,year,indicator,value,n,source"
GOOD = "0301,2024,satisfied_share,0.77,398,Test"
LINE = re.compile(r"^.+?: line (\d+): ", re.MULTILINE)


def csv_bytes(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def import_file(runner: Any, tmp_path: Path, data: bytes) -> Any:
    path = tmp_path / "peers.csv"
    path.write_bytes(data)
    return runner.invoke(args=["peers", "import", str(path)])


def stored() -> list[tuple[str, int, str, str, float, int | None]]:
    return [
        tuple(row)  # type: ignore[misc]
        for row in db.session.execute(
            sa.select(
                PeerValue.municipality_code,
                PeerValue.year,
                PeerValue.indicator,
                PeerValue.source,
                PeerValue.value,
                PeerValue.n,
            ).order_by(PeerValue.id)
        )
    ]


@pytest.fixture
def example_imported(runner: Any, register: None) -> None:
    result = runner.invoke(args=["peers", "import", str(EXAMPLE)])
    assert result.exit_code == 0, result.output


BAD_FILES = [
    pytest.param(
        csv_bytes(HEADER, GOOD, "03a1,2024,satisfied_share,0.5,10,Test"),
        [3],
        "municipality code '03a1' is not four digits",
        id="bad-code",
    ),
    pytest.param(
        csv_bytes(HEADER, "301,2024,satisfied_share,0.5,10,Test"),
        [2],
        "did a spreadsheet drop the leading zero of 0301?",
        id="leading-zero-dropped",
    ),
    pytest.param(
        csv_bytes(HEADER, GOOD, GOOD.replace("0301", "9999")),
        [3],
        "municipality code 9999 is not in the municipality register",
        id="unknown-code",
    ),
    pytest.param(
        csv_bytes(
            HEADER,
            GOOD.replace("2024", "1989"),
            GOOD.replace("2024", "2101"),
            GOOD,
            GOOD.replace("2024", "24"),
        ),
        [2, 3, 5],
        "year 1989 is outside 1990–2100",
        id="bad-year",
    ),
    pytest.param(
        csv_bytes(HEADER, GOOD, "4601,2024,service_score,abc,,Test"),
        [3],
        "value 'abc' is not a number",
        id="value-abc",
    ),
    pytest.param(
        csv_bytes(HEADER, "4601,2024,service_score,nan,,Test", "4601,2023,service_score,1e999,,T"),
        [2, 3],
        "is not a number",
        id="value-not-finite",
    ),
    pytest.param(
        csv_bytes(HEADER, GOOD, "4601,2024,satisfied_share,1.5,100,Test"),
        [3],
        "value 1.5 of the share indicator satisfied_share must be between 0 and 1",
        id="share-above-one",
    ),
    pytest.param(
        csv_bytes(HEADER, "4601,2024,satisfied_share,0.5,-3,Test", GOOD),
        [2],
        "n '-3' is not a whole number of 0 or more",
        id="negative-n",
    ),
    pytest.param(
        csv_bytes(HEADER, "4601,2024,satisfied_share,0.5,2.5,Test"),
        [2],
        "n '2.5' is not a whole number",
        id="fractional-n",
    ),
    pytest.param(
        csv_bytes("municipality_code,year,indicator,value,source", "0301,2024,x_share,0.7,T"),
        [1],
        "expected the columns municipality_code,year,indicator,value,n,source",
        id="header-missing-column",
    ),
    pytest.param(
        csv_bytes(HEADER, GOOD, "0301,2024,satisfied_share,0.7,Test"),
        [3],
        "expected 6 values, got 5",
        id="row-missing-column",
    ),
    pytest.param(
        csv_bytes(HEADER + ",comment", GOOD + ",x"),
        [1],
        "expected the columns",
        id="header-extra-column",
    ),
    pytest.param(
        csv_bytes(HEADER, GOOD + ",extra", GOOD.replace("2024", "2023")),
        [2],
        "expected 6 values, got 7",
        id="row-extra-column",
    ),
    pytest.param(
        csv_bytes(HEADER, GOOD, GOOD.replace("0301", "4601"), GOOD.replace("398", "400")),
        [4],
        "repeats line 2 (same municipality, year, indicator and source)",
        id="duplicate-row",
    ),
    pytest.param(
        csv_bytes(HEADER, "0301,2024,Satisfied share,0.5,1,Test", "0301,2024,x,0.5,1,"),
        [2, 3],
        "must be 1–80 characters of a–z, 0–9 and _",
        id="bad-indicator-and-empty-source",
    ),
    pytest.param(
        csv_bytes(HEADER, GOOD, GOOD.replace("Test", "S" * 201)),
        [3],
        "source is 201 characters long; at most 200 are allowed",
        id="source-too-long",
    ),
    pytest.param(
        csv_bytes(HEADER, GOOD, "4601,2024,x,1,1,Bergen")
        + "5501,2024,x,1,1,Tromsø kommune\n".encode("latin-1"),
        [4],
        "not valid UTF-8",
        id="invalid-utf8",
    ),
    pytest.param(
        csv_bytes(HEADER, GOOD, "0301,2024,x,1,1," + "S" * 10_000),
        [3],
        "the line is 10016 characters long; at most 10000 are allowed",
        id="line-too-long",
    ),
    pytest.param(
        csv_bytes(HEADER, GOOD, '4601,2024,x,"1,1,Test', GOOD.replace("0301", "4601")),
        [3],
        "not readable as CSV",
        id="unterminated-quote",
    ),
    pytest.param(
        b"municipality_code;year;indicator;value;n;source\r\n"
        b"0301;2024;satisfied_share;0,78;398;Kilde; med semikolon\r\n",
        [2],
        "expected 6 values, got 7",
        id="semicolon-in-unquoted-source",
    ),
    pytest.param(
        csv_bytes(
            HEADER,
            GOOD,
            "03a1,2024,a,1,1,T",
            "0301,2024,b,1,1,T",
            "0301,1800,c,x,1,T",
            "0301,2024,d_share,2,1,T",
            "0301,2024,e,1,1,T",
        ),
        [3, 5, 6],
        "line 5: year 1800 is outside 1990–2100; value 'x' is not a number",
        id="every-bad-row-reported",
    ),
]


@pytest.mark.parametrize(("data", "bad_lines", "message"), BAD_FILES)
def test_a_bad_file_reports_every_bad_line_and_stores_nothing(
    runner: Any,
    example_imported: None,
    tmp_path: Path,
    data: bytes,
    bad_lines: list[int],
    message: str,
) -> None:
    before = stored()
    audit_before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    result = import_file(runner, tmp_path, data)
    assert result.exit_code == 1, result.output
    assert [int(n) for n in LINE.findall(result.stderr)] == bad_lines
    assert message in result.stderr
    assert f"{len(bad_lines)} problem(s) in " in result.stderr
    assert "nothing was imported" in result.stderr
    assert result.stdout == ""
    db.session.rollback()
    assert stored() == before
    assert len(before) == EXAMPLE_ROWS
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == audit_before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(b"", "the file is empty", id="empty"),
        pytest.param(b"\xef\xbb\xbf\n  \n", "the file is empty", id="only-bom-and-blanks"),
        pytest.param(csv_bytes(HEADER), "the file has a header but no data rows", id="header-only"),
    ],
)
def test_a_file_without_rows_is_refused(
    runner: Any, register: None, tmp_path: Path, data: bytes, message: str
) -> None:
    result = import_file(runner, tmp_path, data)
    assert result.exit_code == 1
    assert f"peers.csv: {message}" in result.stderr
    assert stored() == []


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(
            "municipality_code;year;indicator;value;n;source\r\n"
            "0301;2024;satisfied_share;0,78;398;Eksempel – fiktive tall\r\n"
            "4601;2024;service_score;61;;Eksempel – fiktive tall\r\n".encode(),
            [
                ("0301", 2024, "satisfied_share", "Eksempel – fiktive tall", 0.78, 398),
                ("4601", 2024, "service_score", "Eksempel – fiktive tall", 61.0, None),
            ],
            id="semicolon-file",
        ),
        pytest.param(
            b"\xef\xbb\xbf" + csv_bytes(HEADER, GOOD),
            [("0301", 2024, "satisfied_share", "Test", 0.77, 398)],
            id="bom",
        ),
        pytest.param(
            csv_bytes(HEADER, '0301,2024,satisfied_share,"0,78",,Test', "", ""),
            [("0301", 2024, "satisfied_share", "Test", 0.78, None)],
            id="comma-decimal-and-trailing-blank-lines",
        ),
        pytest.param(
            csv_bytes(HEADER, '0301,2024,cost_per_user,"-1250,5",0,"Kilde, med komma"'),
            [("0301", 2024, "cost_per_user", "Kilde, med komma", -1250.5, 0)],
            id="negative-value-quoted-source",
        ),
    ],
)
def test_accepted_variants_of_the_format(
    runner: Any, register: None, tmp_path: Path, data: bytes, expected: list[Any]
) -> None:
    result = import_file(runner, tmp_path, data)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{len(expected)} added, 0 updated, 0 unchanged\n"
    assert stored() == expected


def test_importing_the_example_twice_changes_nothing_the_second_time(
    runner: Any, register: None
) -> None:
    first = runner.invoke(args=["peers", "import", str(EXAMPLE)])
    assert first.exit_code == 0, first.output
    assert first.stdout == f"{EXAMPLE_ROWS} added, 0 updated, 0 unchanged\n"
    after_first = stored()
    assert len(after_first) == EXAMPLE_ROWS
    assert {row[3] for row in after_first} == {"Eksempel – fiktive tall"}

    second = runner.invoke(args=["peers", "import", str(EXAMPLE)])
    assert second.exit_code == 0, second.output
    assert second.stdout == f"0 added, 0 updated, {EXAMPLE_ROWS} unchanged\n"
    db.session.rollback()
    assert stored() == after_first
    imports = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.entity_type == "peer_value")
    ).all()
    assert [(e.action, e.entity_id, e.user_id) for e in imports] == [("import", EXAMPLE.name, None)]
    assert imports[0].new_value == {"rows": EXAMPLE_ROWS, "added": EXAMPLE_ROWS, "updated": 0}


def test_a_changed_value_is_updated_and_a_new_row_added(
    runner: Any, example_imported: None, tmp_path: Path
) -> None:
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    assert lines[2] == "0301,2024,satisfied_share,0.77,398,Eksempel – fiktive tall"
    lines[2] = "0301,2024,satisfied_share,0.78,401,Eksempel – fiktive tall"
    lines.append("0301,2025,satisfied_share,0.8,377,Eksempel – fiktive tall")
    result = import_file(runner, tmp_path, csv_bytes(*lines))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"1 added, 1 updated, {EXAMPLE_ROWS - 1} unchanged\n"
    db.session.rollback()
    values = {row[:4]: row[4:] for row in stored()}
    assert values[("0301", 2024, "satisfied_share", "Eksempel – fiktive tall")] == (0.78, 401)
    assert values[("0301", 2025, "satisfied_share", "Eksempel – fiktive tall")] == (0.8, 377)
    assert values[("0301", 2023, "satisfied_share", "Eksempel – fiktive tall")] == (0.74, 412)
    assert len(values) == EXAMPLE_ROWS + 1


def test_the_same_figures_from_another_source_are_separate_rows(
    runner: Any, example_imported: None, tmp_path: Path
) -> None:
    result = import_file(runner, tmp_path, csv_bytes(HEADER, GOOD))
    assert result.exit_code == 0, result.output
    assert result.stdout == "1 added, 0 updated, 0 unchanged\n"
    assert len(stored()) == EXAMPLE_ROWS + 1


def test_import_needs_the_register(runner: Any, app: Any) -> None:
    result = runner.invoke(args=["peers", "import", str(EXAMPLE)])
    assert result.exit_code == 1
    assert "municipalities load" in result.stderr
    assert stored() == []


# The parser on its own: plain data in, plain data out, no app.


def test_parser_returns_rows_in_file_order() -> None:
    rows = parse_peer_csv(
        csv_bytes(HEADER, GOOD, "4601,2023,service_score,55,,Test"), "f.csv", {"0301", "4601"}
    )
    assert rows == [
        PeerRow("0301", 2024, "satisfied_share", 0.77, 398, "Test"),
        PeerRow("4601", 2023, "service_score", 55.0, None, "Test"),
    ]


def test_parser_refuses_more_rows_than_allowed() -> None:
    data = csv_bytes(HEADER, *(f"0301,{year},x,1,,T" for year in range(2000, 2004)))
    assert len(parse_peer_csv(data, "f.csv", {"0301"}, max_rows=4)) == 4
    with pytest.raises(PeerFileError) as caught:
        parse_peer_csv(data, "f.csv", {"0301"}, max_rows=3)
    assert caught.value.problems == ["line 5: the file has more than 3 data rows"]
    assert str(caught.value) == "f.csv: line 5: the file has more than 3 data rows"


def test_parser_reports_each_line_with_invalid_utf8() -> None:
    data = csv_bytes(HEADER, GOOD, "0301,2023,x,1,,T").replace(b"T\n", b"T\xe5\n")
    with pytest.raises(PeerFileError) as caught:
        parse_peer_csv(data + b"0301,2022,y,1,,\xff\n", "f.csv", {"0301"})
    assert [p.split(":")[0] for p in caught.value.problems] == ["line 3", "line 4"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "0301,2024,satisfied_share,0.77," + "9" * 5000 + ",Test",
            "n 999999999999… (5000 digits) is too large (at most 2147483647)",
        ),
        ("0301,2024,satisfied_share,0.77,00000000000000000000398,Test", None),
        ("0301,٢٠٢٤,satisfied_share,0.77,398,Test", "is not a four-digit year"),
        ("0301,2024,satisfied_share,٠.٧٧,398,Test", "is not a number"),
        ("0301,2024,satisfied_share,0.77,٣٩٨,Test", "is not a whole number of 0 or more"),
        (
            "0301,2024,satisfied_share,0." + "7" * 400 + ",398,Test",
            "value is 402 characters long; a number has at most 40",
        ),
    ],
)
def test_numbers_are_ascii_digits_of_bounded_length(
    runner: Any, register: None, tmp_path: Path, line: str, message: str | None
) -> None:
    result = import_file(runner, tmp_path, csv_bytes(HEADER, line))
    assert "Traceback" not in result.output
    if message is None:
        assert result.exit_code == 0, result.output
        assert stored()[0][-1] == 398
        return
    assert result.exit_code == 1, result.output
    assert "peers.csv: line 2: " in result.stderr and message in result.stderr
    assert stored() == []


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(
    runner: Any, register: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from surveyapp.results import peer_cli

    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:  # sparse: 11 MB on paper, nothing on disk
        handle.write(csv_bytes(HEADER, GOOD))
        handle.truncate(11 * 1024 * 1024)
    read: list[int] = []
    original = Path.open

    def spy(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self == path:
            read.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", spy)
    result = runner.invoke(args=["peers", "import", str(path)])
    assert result.exit_code == 1
    assert read == []  # refused on its size alone
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines[0] == (
        f"{path}: the file is 11,534,336 bytes; at most 10,485,760 bytes (10 MB) are imported"
        " at a time (split it into smaller files)"
    )
    assert "nothing was imported" in lines[-1] and len(lines) == 2
    assert peer_cli.read_at_most(EXAMPLE, 10**6) == EXAMPLE.read_bytes()
    assert stored() == []


def test_a_stream_without_a_size_is_cut_at_the_limit(tmp_path: Path) -> None:
    from surveyapp.results.peer_cli import read_at_most

    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)

    def write() -> None:
        with contextlib.suppress(BrokenPipeError):  # the reader may stop first
            fifo.write_bytes(b"x" * 5000)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        with pytest.raises(PeerFileError) as caught:
            read_at_most(fifo, 1000)
    finally:
        writer.join(timeout=10)
    assert caught.value.problems == [
        "the file is more than 1,000 bytes; at most 1,000 bytes (0 MB) are imported at a time"
        " (split it into smaller files)"
    ]


def test_bad_lines_are_reported_up_to_a_limit() -> None:
    bad = [f"0301,{1000 + i},x,1,,T" for i in range(500)]
    with pytest.raises(PeerFileError) as caught:
        parse_peer_csv(csv_bytes(HEADER, *bad), "f.csv", {"0301"})
    problems = caught.value.problems
    assert len(problems) == 201
    assert problems[0].startswith("line 2: year 1000 is outside")
    assert problems[-1] == "(stopped after 200 bad lines; fix these and import the file again)"
