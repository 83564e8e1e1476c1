"""Which figures may be shown: small groups hidden, and enough others that they stay hidden.

Plain data in, plain data out (no Flask, no database). Every output reads its figures
from the report, and the report asks this module what to show, so the dashboard,
charts, workbook, CSV files, PDF and command line hide the same cells. The rules are
written out in docs/statistics.md ("Small groups").

* **Primary suppression.** A figure resting on fewer than ``min_size`` answers is hidden
  (``is_small``). In a breakdown, a part is small when either its answers to the
  indicator (n) or its respondents (``size``, as the grouping question's own table
  counts them) are between 1 and ``min_size - 1``.
* **Secondary suppression.** Where the parts and their total are shown (groups of a
  breakdown, options of a grouping question), one hidden part could be worked out as
  the total minus the parts shown. So when any part is hidden, more are hidden, the
  smallest first, until the hidden parts together pin none of them down: at least two
  hidden parts with an answer, more respondents among them than there are parts (so
  their sizes are not all forced to one), at least one indicator answer among them,
  and, unless the total itself is 0 % or 100 %, some but not all of their answers
  satisfied (otherwise each hidden share would be known to be 0 % or 100 %).
* When that cannot be reached even with every part with answers hidden, the whole
  table is hidden, empty parts included (``whole``).
* Parts whose total counts only the shown parts (municipalities beside the pooled
  figure of the shown ones) need no secondary suppression (``total_shown=False``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

MIN_GROUP_SIZE = 5
"""Figures resting on fewer answers than this are hidden (a setting; DOMAIN.md §5)."""


@dataclass(frozen=True)
class Part:
    """One cell of a breakdown: its key, the answers its figure rests on and more.

    n: answers the part's figure rests on (the n column).
    k: of which satisfied, when the part's share is shown (None when no share is).
    size: respondents in the part where another table counts them (the grouping
          question's option count); defaults to n.
    """

    key: str
    n: int
    k: int | None = None
    size: int | None = None

    def __post_init__(self) -> None:
        if self.n < 0 or (self.size is not None and self.size < self.n):
            raise ValueError(f"{self.key}: need 0 <= n <= size, got n={self.n}, size={self.size}")
        if self.k is not None and not 0 <= self.k <= self.n:
            raise ValueError(f"{self.key}: need 0 <= k <= n, got k={self.k}, n={self.n}")

    @property
    def respondents(self) -> int:
        return self.n if self.size is None else self.size


@dataclass(frozen=True)
class Decision:
    """What a table may show: the keys hidden, which of them are small, and whether the
    whole table (empty parts included) must go."""

    hidden: frozenset[str]
    small: frozenset[str]
    whole: bool = False

    def shows(self, key: str) -> bool:
        return not self.whole and key not in self.hidden

    @property
    def any_hidden(self) -> bool:
        return self.whole or bool(self.hidden)


def is_small(n: int, min_size: int = MIN_GROUP_SIZE) -> bool:
    """True when a figure resting on n answers must be hidden (n < min_size)."""
    if min_size < 1:
        raise ValueError(f"min_size must be at least 1, got {min_size}")
    if n < 0:
        raise ValueError(f"n must not be negative, got {n}")
    return n < min_size


def _small_part(part: Part, min_size: int) -> bool:
    return any(0 < count < min_size for count in (part.n, part.respondents))


def protects(parts: Iterable[Part], hidden: Iterable[str]) -> bool:
    """Whether hiding ``hidden`` keeps each hidden part from being worked out.

    The reader knows every shown part, the totals of every column (respondents, n, k),
    that a hidden part has at least one respondent, and 0 <= k <= n <= respondents.
    """
    everything = list(parts)
    keys = set(hidden)
    inside = [p for p in everything if p.key in keys and p.respondents > 0]
    if not inside:
        return True
    if len(inside) < 2:
        return False  # the total minus the shown parts is the hidden one
    if sum(p.respondents for p in inside) <= len(inside):
        return False  # every hidden part would have to hold exactly one respondent
    answers = sum(p.n for p in inside)
    if answers == 0:
        return False  # every hidden part would be known to have no answers
    if any(p.k is not None for p in everything):
        total_k = sum(p.k or 0 for p in everything)
        total_n = sum(p.n for p in everything)
        extreme_total = total_k in (0, total_n)
        satisfied = sum(p.k or 0 for p in inside)
        if not extreme_total and satisfied in (0, answers):
            return False  # every hidden share would be known: all 0 % or all 100 %
    return True


def _helps(part: Part, inside: Sequence[Part]) -> bool:
    """Whether adding ``part`` mends the share condition (a mix of satisfied and not)."""
    answers = sum(p.n for p in inside)
    satisfied = sum(p.k or 0 for p in inside)
    if part.k is None or answers == 0:
        return True
    if satisfied == 0:
        return part.k > 0
    if satisfied == answers:
        return part.k < part.n
    return True


def decide(
    parts: Sequence[Part], min_size: int = MIN_GROUP_SIZE, *, total_shown: bool = True
) -> Decision:
    """Which parts to hide: the small ones, then the smallest others until none can be
    worked out from the shown parts and the total (see the module docstring)."""
    if min_size < 1:
        raise ValueError(f"min_size must be at least 1, got {min_size}")
    keys = [p.key for p in parts]
    if len(set(keys)) != len(keys):
        raise ValueError("each part needs its own key")
    small = frozenset(p.key for p in parts if _small_part(p, min_size))
    if not small or not total_shown:
        return Decision(small, small)
    hidden = set(small)
    candidates = sorted(
        (p for p in parts if p.key not in hidden and p.respondents > 0),
        key=lambda p: (p.respondents, p.n, p.key),
    )
    while not protects(parts, hidden):
        if not candidates:
            return Decision(frozenset(keys), small, whole=True)
        inside = [p for p in parts if p.key in hidden and p.respondents > 0]
        chosen = next((p for p in candidates if _helps(p, inside)), candidates[0])
        candidates.remove(chosen)
        hidden.add(chosen.key)
    return Decision(frozenset(hidden), small)


def splits(hidden: Iterable[str], values: Iterable[str]) -> bool:
    """Whether a set of options (a show-if condition, say) holds some but not all of the
    hidden parts: counting its answers would then tell hidden parts apart."""
    hidden_set, value_set = set(hidden), set(values)
    return bool(hidden_set & value_set) and not hidden_set <= value_set
