"""The register's history as plain data: the shipped change list, the resolver, refusals."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from surveyapp.municipalities import years
from surveyapp.municipalities.history import (
    MERGED,
    SPLIT,
    ChangeFileError,
    History,
    build_history,
    merge_changes,
    parse_changes,
)
from surveyapp.municipalities.register import REGISTER_FILE

CHANGES_FILE = REGISTER_FILE.parent / "municipality-changes.csv"
HEADER = "from_code,from_name,to_code,to_name,kind,valid_from\n"


def register() -> dict[str, str]:
    with REGISTER_FILE.open(encoding="utf-8") as f:
        return {row["code"]: row["name"] for row in csv.DictReader(f)}


@pytest.fixture(scope="module")
def shipped() -> History:
    return build_history(parse_changes(CHANGES_FILE.read_bytes(), CHANGES_FILE.name), register())


def small(text: str, reg: dict[str, str]) -> History:
    return build_history(parse_changes((HEADER + text).encode(), "t.csv"), reg, filename="t.csv")


def refusal(text: str, reg: dict[str, str] | None = None, *, header: str = HEADER) -> list[str]:
    with pytest.raises(ChangeFileError) as caught:
        changes = parse_changes((header + text).encode(), "t.csv")
        build_history(changes, reg or {}, filename="t.csv")
    return caught.value.problems


# --------------------------------------------------------------------------- shipped facts


def test_shipped_history_ends_in_todays_register(shipped: History) -> None:
    in_use = {code for code, periods in shipped.periods.items() if periods[-1].current}
    assert in_use == set(register())


@pytest.mark.parametrize(
    ("year", "count"),
    [(2005, 433), (2006, 431), (2008, 430), (2012, 429), (2013, 428), (2017, 426),
     (2018, 422), (2019, 422), (2020, 356), (2023, 356), (2024, 357), (2026, 357)],
)  # fmt: skip
def test_numbers_in_use_each_year_match_ssb(shipped: History, year: int, count: int) -> None:
    in_use = [p for periods in shipped.periods.values() for p in periods if p.covers(year)]
    assert len(in_use) == count


def test_tromso_is_one_municipality_under_three_numbers(shipped: History) -> None:
    for code, year in (("1902", 2019), ("5401", 2022), ("5501", 2026)):
        found = shipped.resolve(code, year)
        assert found is not None and found.continuous
        assert [c.code for c in found.current] == ["5501"]
    tromso = shipped.current("5501")
    assert tromso is not None
    assert [(p.code, p.first_year, p.last_year) for p in tromso.periods] == [
        ("1902", None, 2019),
        ("5401", 2020, 2023),
        ("5501", 2024, None),
    ]
    assert shipped.formation(tromso) is None
    assert tromso.period_in(2019).label == "1902 Tromsø"


def test_indre_ostfold_was_formed_by_a_merger_of_five(shipped: History) -> None:
    indre = shipped.current("3118")
    assert indre is not None
    assert [p.code for p in indre.periods] == ["3014", "3118"]
    formation = shipped.formation(indre)
    assert formation is not None and formation.on == date(2020, 1, 1) and formation.whole
    assert [(p.lineage.code, p.lineage.name, p.kind) for p in formation.predecessors] == [
        ("0122", "Trøgstad", MERGED),
        ("0123", "Spydeberg", MERGED),
        ("0124", "Askim", MERGED),
        ("0125", "Eidsberg", MERGED),
        ("0138", "Hobøl", MERGED),
    ]
    askim = shipped.resolve("0124", 2019)
    assert askim is not None and not askim.continuous
    assert [c.code for c in askim.current] == ["3118"]


def test_alesund_was_split_in_2024(shipped: History) -> None:
    for today in ("1508", "1580"):
        lineage = shipped.current(today)
        assert lineage is not None
        formation = shipped.formation(lineage)
        assert formation is not None and not formation.whole
        assert [(p.lineage.code, p.kind) for p in formation.predecessors] == [("1507", SPLIT)]
    old = shipped.resolve("1507", 2022)
    assert old is not None and not old.continuous
    assert [c.code for c in old.current] == ["1508", "1580"]
    # 1534 Haram went into 1507 in 2020: a predecessor's predecessor of both.
    haram = shipped.current("1580")
    assert haram is not None
    assert "1534" in {a.code for a, _ in shipped.ancestors(haram)}


def test_a_merger_keeping_its_number_is_still_a_break(shipped: History) -> None:
    before, after = shipped.resolve("1103", 2019), shipped.resolve("1103", 2021)
    assert before is not None and after is not None
    assert after.continuous and not before.continuous
    assert before.lineage != after.lineage and before.current == after.current


def test_a_moved_area_changes_nothing(shipped: History) -> None:
    indre = shipped.resolve("3118", 2026)
    assert indre is not None and indre.continuous and indre.lineage.first.code == "3014"
    stokke = shipped.resolve("0720", 2016)
    assert stokke is not None and [c.code for c in stokke.current] == ["3907"]


def test_names_follow_their_changes(shipped: History) -> None:
    oslo = shipped.current("0301")
    assert oslo is not None
    assert [p.name for p in oslo.periods] == ["Oslo", "Oslo - Oslove"]
    assert oslo.period_in(2025).name == "Oslo" and oslo.period_in(2026).name == "Oslo - Oslove"


def test_data_under_a_number_outside_its_years_reads_as_that_number(shipped: History) -> None:
    found = shipped.resolve("5501", 2015)  # e.g. a figure recomputed for today's area
    assert found is not None and found.continuous and found.period.code == "5501"


def test_empty_history_keeps_every_number_to_itself() -> None:
    history = build_history([], {"5501": "Tromsø"})
    found = history.resolve("5501", 2019)
    assert found is not None and found.continuous
    assert history.resolve("1902", 2019) is None


# --------------------------------------------------------------------------- refusals


def test_a_wrong_file_is_refused_whole_with_line_numbers() -> None:
    problems = refusal(
        "1902,Tromsø,5401,Tromsø,renumbered,2020-01-01\n"
        "5401,Tromsø,5501,Tromsø,renumber,2024-01-01\n"
        "12,Oslo,0301,Oslo,name,2026-01-01\n"
        "1902,Tromsø,5401,Tromsø,renumbered,2020-01-01\n"
        "0301,Oslo,0301,Oslo - Oslove,name,2026-06-01\n",
        header="# a comment line\n" + HEADER,
    )
    assert problems == [
        "line 4: kind 'renumber' is not one of renumbered, name, merged, split, border",
        "line 5: from_code '12' is not a four-digit municipality number",
        "line 6: repeats line 3",
        "line 7: valid_from 2026-06-01 is not 1 January: municipality changes take effect "
        "on 1 January, and figures are mapped by year",
    ]


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (
            "0124,Askim,3014,Indre Østfold,renumbered,2020-01-01\n"
            "0125,Eidsberg,3014,Indre Østfold,merged,2020-01-01\n",
            "line 2: kind renumbered, but 0124, 0125 go into 3014 on 2020-01-01, so the "
            "kind is merged",
        ),
        (
            "1507,Ålesund,1508,Ålesund,split,2024-01-01\n",
            "line 2: kind split, but 1507 alone becomes 1508 on 2024-01-01, so the kind is "
            "renumbered",
        ),
        (
            "1507,Ålesund,1508,Ålesund,renumbered,2024-01-01\n"
            "1507,Ålesund,1580,Haram,renumbered,2024-01-01\n",
            "line 2: kind renumbered, but 1507 goes to 1508, 1580 on 2024-01-01, so the kind "
            "is split",
        ),
    ],
)
def test_the_kind_must_fit_the_rows_of_its_day(rows: str, expected: str) -> None:
    assert expected in refusal(rows, {"3014": "Indre Østfold", "1508": "Ålesund", "1580": "Haram"})


def test_changes_must_follow_each_other() -> None:
    problems = refusal(
        "1902,Tromsø,5401,Tromsø,renumbered,2020-01-01\n"
        "1902,Tromsø,5402,Tromsø,renumbered,2021-01-01\n"
        "5401,Tromso,5501,Tromsø,renumbered,2024-01-01\n"
        "0301,Oslo,5501,Oslo,renumbered,2025-01-01\n",
        {"5501": "Tromsø", "5402": "Tromsø"},
    )
    assert problems == [
        "line 3: 1902 is not in use on the day before 2021-01-01 (it ended on 2019-12-31)",
        "line 4: 5401 is called 'Tromsø' before 2024-01-01 (line 2), not 'Tromso'",
        "line 5: 5501 is already in use on 2025-01-01",
    ]


def test_the_last_change_must_agree_with_the_register() -> None:
    problems = refusal("1902,Tromsø,5401,Tromsø,renumbered,2020-01-01\n", {"5501": "Tromsø"})
    assert problems == [
        "line 2: 5401 Tromsø is in use after its last change, but it is not in the register "
        "(load today's register first)"
    ]
    problems = refusal("1902,Tromsø,5501,Tromsø by,renumbered,2020-01-01\n", {"5501": "Tromsø"})
    assert problems == [
        "line 2: 5501 is called 'Tromsø by' after its last change, but 'Tromsø' in the register"
    ]


def test_a_later_file_adds_to_the_stored_history() -> None:
    reg = {"5501": "Tromsø"}
    first = parse_changes(
        (HEADER + "1902,Tromsø,5401,Tromsø,renumbered,2020-01-01\n").encode(), "a"
    )
    later = parse_changes(
        (
            HEADER
            + "1902,Tromsø,5401,Tromsø,renumbered,2020-01-01\n"
            + "5401,Tromsø,5501,Tromsø,renumbered,2024-01-01\n"
        ).encode(),
        "b",
    )
    history = build_history(merge_changes(first, later), reg)
    assert len(history.changes) == 2
    tromso = history.current("5501")
    assert tromso is not None and [p.code for p in tromso.periods] == ["1902", "5401", "5501"]
    clash = parse_changes(
        (HEADER + "1902,Tromsø,5401,Tromsø by,renumbered,2020-01-01\n").encode(), "c"
    )
    with pytest.raises(ChangeFileError) as caught:
        merge_changes(first, clash)
    assert caught.value.problems == [
        "line 2: 1902 → 5401 on 2020-01-01 is already stored as Tromsø → Tromsø (renumbered)"
    ]


def test_not_utf8_and_wrong_header_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ChangeFileError, match="not valid UTF-8"):
        parse_changes("from_code\nTromsø".encode("latin-1"), "t.csv")
    with pytest.raises(ChangeFileError, match="line 1: expected the columns"):
        parse_changes(b"code,name\n1902,Troms\xc3\xb8\n", "t.csv")


def test_small_history_builds_lineages() -> None:
    history = small(
        "0124,Askim,3014,Indre Østfold,merged,2020-01-01\n"
        "0125,Eidsberg,3014,Indre Østfold,merged,2020-01-01\n"
        "3014,Indre Østfold,3118,Indre Østfold,renumbered,2024-01-01\n",
        {"3118": "Indre Østfold"},
    )
    indre = history.current("3118")
    assert indre is not None and indre.codes == {"3014", "3118"}
    assert years.family(history, "3118", "Indre Østfold").codes == {"0124", "0125", "3014", "3118"}
