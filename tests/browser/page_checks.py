"""One check per page state: axe-core, the Nu HTML checker and reflow, in one place.

Every browser test that reaches a page state worth checking calls ``check_state``: the
page's ``lang`` must be the language asked for, axe-core must find no WCAG 2.0/2.1 A or
AA violation, the HTML the server sent must pass the Nu HTML checker, and the page must
not scroll sideways at 320 CSS px nor at 1280 px zoomed to 200 % (a 640 px viewport).
The results are kept per (page state, language) and printed as tables at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.browser.axe_report import AxeLog, AxeResult, run_axe
from tests.browser.nu_checker import NuChecker, NuResult

if TYPE_CHECKING:
    from playwright.sync_api import Page, Response

LANGUAGES = ("nb", "nn", "en")
#: Widths that must not scroll sideways: a 320 px phone, and 1280 x 800 at 200 % zoom.
REFLOW_VIEWPORTS = {"320px": (320, 640), "zoom200": (640, 400)}
DESKTOP = (1280, 720)

OVERFLOW = """() => {
  const inner = window.innerWidth;
  const culprits = [...document.querySelectorAll("body *")]
    .filter((e) => e.getBoundingClientRect().right > inner + 1 &&
                   !e.closest(".table-scroll, .visually-hidden, .skip-link"))
    .map((e) => `<${e.tagName.toLowerCase()}${e.id ? " id=" + e.id : ""}` +
                `${e.className ? " class=" + e.className : ""}> ` +
                `right edge ${Math.round(e.getBoundingClientRect().right)}px: ` +
                `"${(e.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 50)}"`);
  return {scroll: document.documentElement.scrollWidth, inner, culprits: culprits.slice(0, 6)};
}"""


@dataclass
class ReflowResult:
    widths: dict[str, dict[str, Any]]

    @property
    def failures(self) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.widths.items() if v["scroll"] > v["inner"]}

    def describe(self) -> str:
        lines = ["horizontal scrolling:"]
        for name, sizes in self.failures.items():
            lines.append(f"- {name}: page {sizes['scroll']} px wide in {sizes['inner']} px")
            lines.extend(f"    {c}" for c in sizes["culprits"])
        return "\n".join(lines)


def measure_reflow(page: Page) -> ReflowResult:
    """Document width at each reflow viewport; the viewport is restored afterwards."""
    before = page.viewport_size or {"width": DESKTOP[0], "height": DESKTOP[1]}
    widths = {}
    try:
        for name, (width, height) in REFLOW_VIEWPORTS.items():
            page.set_viewport_size({"width": width, "height": height})
            widths[name] = page.evaluate(OVERFLOW)
    finally:
        page.set_viewport_size(before)
    return ReflowResult(widths)


@dataclass
class StateTable:
    """Results per (page state, language), written as one Markdown table."""

    title: str
    cell: Callable[[Any], str]
    rows: dict[tuple[str, str], Any] = field(default_factory=dict)

    def add(self, state: str, language: str, result: Any) -> None:
        self.rows[(state, language)] = result

    def markdown(self) -> str:
        states = list(dict.fromkeys(state for state, _ in self.rows))
        languages = [lang for lang in LANGUAGES if any(k[1] == lang for k in self.rows)]
        lines = [
            self.title,
            "",
            "| page state | " + " | ".join(languages) + " |",
            "|---|" + "---|" * len(languages),
        ]
        for state in states:
            cells = [
                "–" if (state, lang) not in self.rows else self.cell(self.rows[(state, lang)])
                for lang in languages
            ]
            lines.append(f"| {state} | " + " | ".join(cells) + " |")
        total = len(self.rows)
        clean = sum(1 for r in self.rows.values() if self.cell(r) == "0")
        lines.append("")
        lines.append(f"{clean} of {total} page states without a finding.")
        return "\n".join(lines)


def _nu_cell(result: NuResult) -> str:
    return str(len(result.errors)) if not result.errors else f"{len(result.errors)} errors"


def _reflow_cell(result: ReflowResult) -> str:
    failures = result.failures
    if not failures:
        return "0"
    return ", ".join(f"{k}: {v['scroll']} px" for k, v in failures.items())


@dataclass
class CheckLog:
    """The three tables of a browser-test run."""

    axe: AxeLog = field(default_factory=AxeLog)
    nu: StateTable = field(
        default_factory=lambda: StateTable(
            "Nu HTML checker: errors per page state (the HTML the server sent)", _nu_cell
        )
    )
    reflow: StateTable = field(
        default_factory=lambda: StateTable(
            "Reflow (WCAG 1.4.10): 0 = no horizontal scrolling at 320 px nor at 200 % zoom",
            _reflow_cell,
        )
    )
    nu_version: str = ""
    written_to: Path | None = None

    def sections(self) -> list[tuple[str, str]]:
        found = []
        if self.axe.rows:
            found.append(("axe-core (WCAG 2.0/2.1 A+AA) violations per page state", self.axe))
        if self.nu.rows:
            found.append((f"Nu HTML checker {self.nu_version} errors per page state", self.nu))
        if self.reflow.rows:
            found.append(("Reflow at 320 px and 200 % zoom per page state", self.reflow))
        return [(title, table.markdown()) for title, table in found]


class DocumentTracker:
    """Remembers the last document the page's main frame received (the server's HTML)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.last: Response | None = None
        page.on("response", self._seen)

    def _seen(self, response: Response) -> None:
        request = response.request
        if request.is_navigation_request() and request.frame == self.page.main_frame:
            self.last = response

    def html(self) -> str:
        assert self.last is not None, "no document loaded yet"
        assert self.last.status < 300 or self.last.status >= 400, self.last.status
        return self.last.text()


def check_state(
    page: Page,
    log: CheckLog,
    nu: NuChecker,
    state: str,
    language: str,
    html: str,
    *,
    expect_lang: bool = True,
) -> None:
    """Run every check on the page as it stands; fail with all findings together."""
    problems = []
    lang = page.evaluate("() => document.documentElement.lang")
    if expect_lang and lang != language:
        problems.append(f"<html lang={lang!r}>, expected {language!r}")
    axe: AxeResult = run_axe(page)
    log.axe.add(state, language, axe)
    if axe.violations:
        problems.append(axe.describe())
    checked = nu.check(html, page.url)
    log.nu_version = checked.version
    log.nu.add(state, language, checked)
    if checked.errors:
        problems.append(checked.describe())
    reflow = measure_reflow(page)
    log.reflow.add(state, language, reflow)
    if reflow.failures:
        problems.append(reflow.describe())
    assert not problems, f"{state} ({language}):\n" + "\n".join(problems)
