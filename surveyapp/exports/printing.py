"""Print setup and Excel tables for any openpyxl worksheet: what a sheet needs to print
on A4 and to filter, whoever builds it (the municipality workbook, the service-test
workbook).

Plain: no Flask. Header and footer texts are passed in already translated.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from openpyxl.styles import Alignment
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

PORTRAIT, LANDSCAPE = "portrait", "landscape"
TABLE_STYLE = "TableStyleLight9"
WRAP = Alignment(wrap_text=True, vertical="top")


@dataclass(frozen=True)
class PageLabels:
    """Translated texts for the running header and footer."""

    page: str  # "Page &P of &N" in the reader's language (Excel's codes &P and &N)
    left: str = ""  # e.g. the municipality and year


def _escape(text: str) -> str:
    """Header/footer text: "&" starts a code there, so a literal one is doubled."""
    return text.replace("&", "&&")


def print_setup(
    ws: Worksheet,
    labels: PageLabels,
    *,
    orientation: str = PORTRAIT,
    title_rows: str | None = None,
    one_page: bool = False,
    print_area: str | None = None,
) -> None:
    """A4, fit to the page's width (and height with ``one_page``), repeated header rows
    (``"1:2"``), the sheet's name and page x of y in the header and footer."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = orientation
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1 if one_page else 0  # 0: as many pages as it takes
    ws.page_margins = PageMargins(left=0.5, right=0.5, top=0.75, bottom=0.75, header=0.3)
    ws.print_options.horizontalCentered = False
    if title_rows:
        ws.print_title_rows = title_rows
    if print_area:
        ws.print_area = print_area
    # &A is the sheet's name; the page codes are already in labels.page.
    ws.oddHeader.left.text = _escape(labels.left)
    ws.oddHeader.right.text = "&A"
    ws.oddFooter.right.text = labels.page
    ws.evenHeader.left.text = ws.oddHeader.left.text
    ws.evenHeader.right.text = "&A"
    ws.evenFooter.right.text = labels.page


_NOT_IN_TABLE_NAMES = re.compile(r"[^A-Za-z0-9_]")


def table_name(wanted: str, workbook: Workbook) -> str:
    """A valid table name, unique in the workbook: letters, digits and _, ≤ 255."""
    base = _NOT_IN_TABLE_NAMES.sub("_", wanted) or "Tabell"
    if not (base[0].isalpha() or base[0] == "_"):
        base = "T_" + base
    taken = {name.lower() for ws in workbook.worksheets for name in ws.tables}
    name, number = base[:250], 1
    while name.lower() in taken or re.fullmatch(r"[A-Za-z]{1,3}\d+", name):
        number += 1
        name = f"{base[:245]}_{number}"
    return name


def add_table(
    ws: Worksheet,
    name: str,
    first_row: int,
    first_column: int,
    headers: Sequence[str],
    last_row: int,
) -> Table | None:
    """An Excel table (with filter buttons) over a header row and the rows below it.

    The column names are given (the header cells' text), so openpyxl never reads the
    cells of a long table to find them. None when the range has no data row.
    """
    if last_row <= first_row or not headers:
        return None
    from surveyapp.exports.raw import column_letter

    last_column = first_column + len(headers) - 1
    ref = f"{column_letter(first_column)}{first_row}:{column_letter(last_column)}{last_row}"
    table = Table(displayName=table_name(name, ws.parent), ref=ref)
    if len({h.lower() for h in headers}) != len(headers) or not all(headers):
        raise ValueError(f"table headers must be unique and not empty: {headers!r}")
    columns = [TableColumn(id=i, name=header) for i, header in enumerate(headers, 1)]
    table.tableColumns = columns
    table.tableStyleInfo = TableStyleInfo(name=TABLE_STYLE, showRowStripes=True)
    ws.add_table(table)
    return table


def wrapped_height(text: str, width: float, line_height: float = 15.0) -> float:
    """A row height that shows ``text`` wrapped in a cell ``width`` characters wide
    (Excel does not grow rows of merged cells by itself)."""
    lines = 0
    for paragraph in text.splitlines() or [""]:
        lines += max(1, -(-int(len(paragraph) * 1.05) // max(int(width), 1)))
    return lines * line_height
