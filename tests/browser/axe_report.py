"""axe-core for the browser tests: the bundled script, one run, readable results, a table.

The axe-core script comes from the PyPI package ``axe-playwright-python`` (a dev
dependency), which ships ``axe.min.js``: nothing is fetched at test time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Page

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

_RUN = """async (tags) => {
  const results = await axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
  });
  return {
    version: results.testEngine.version,
    url: results.url,
    violations: results.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({target: n.target, html: n.html, summary: n.failureSummary})),
    })),
    incomplete: results.incomplete.map((v) => v.id),
  };
}"""


@cache
def axe_source() -> str:
    return resources.files("axe_playwright_python").joinpath("axe.min.js").read_text("utf-8")


@dataclass
class AxeResult:
    version: str
    url: str
    violations: list[dict[str, Any]]
    incomplete: list[str]

    def describe(self) -> str:
        """Each violation: rule id, impact, help and the target nodes."""
        lines = [f"{len(self.violations)} axe-core {self.version} violation(s) on {self.url}:"]
        for violation in self.violations:
            lines.append(
                f"- {violation['id']} ({violation['impact']}): {violation['help']}"
                f" <{violation['helpUrl']}>"
            )
            for node in violation["nodes"]:
                target = " ".join(str(t) for t in node["target"])
                lines.append(f"    target {target}: {node['html'][:200]}")
                for detail in (node.get("summary") or "").splitlines():
                    lines.append(f"      {detail.strip()}")
        return "\n".join(lines)


def run_axe(page: Page) -> AxeResult:
    """Inject axe-core (through the debugging protocol, so the page's CSP is untouched)
    and run the WCAG 2.0/2.1 A and AA rules on the whole document."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    raw = page.evaluate(_RUN, WCAG_TAGS)
    return AxeResult(raw["version"], raw["url"], raw["violations"], raw["incomplete"])


@dataclass
class AxeLog:
    """Results per (page state, language), printed as a table at the end of the run."""

    rows: dict[tuple[str, str], AxeResult] = field(default_factory=dict)
    written_to: Path | None = None

    def add(self, state: str, language: str, result: AxeResult) -> None:
        self.rows[(state, language)] = result

    def markdown(self) -> str:
        states = list(dict.fromkeys(state for state, _ in self.rows))
        languages = [lang for lang in ("nb", "nn", "en") if any(k[1] == lang for k in self.rows)]
        version = next(iter(self.rows.values())).version
        lines = [
            f"axe-core {version}, tags {', '.join(WCAG_TAGS)}: violations (rules) per page state",
            "",
            "| page state | " + " | ".join(languages) + " |",
            "|---|" + "---|" * len(languages),
        ]
        for state in states:
            cells = []
            for language in languages:
                result = self.rows.get((state, language))
                if result is None:
                    cells.append("–")
                elif result.violations:
                    ids = ", ".join(v["id"] for v in result.violations)
                    cells.append(f"{len(result.violations)} ({ids})")
                else:
                    cells.append("0")
            lines.append(f"| {state} | " + " | ".join(cells) + " |")
        return "\n".join(lines)
