"""Any definition file, however built, is accepted or refused within 2 s and 200 MB.

Each file is read in a fresh Python process (the time of the parse and the process's
peak memory, VmHWM, are measured there, under a 1 GB address-space cap so a regression
fails instead of eating the machine). The attacks are the ones from the outside
probe: a 690-byte merge-key chain, a 1 MB text anchor used by 3,000 questions, and
their relatives.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.perf.bad_input import merge_chain, text_anchor
from surveyapp.questionnaires.definition import parse_definition
from surveyapp.questionnaires.problems import MAX_PROBLEMS, DefinitionError
from surveyapp.questionnaires.yaml_source import MAX_FILE_BYTES
from tests.conftest import PROJECT_ROOT, SHIPPED

SECONDS = 2.0
MEGABYTES = 200
CHILD = """
import resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (1024**3, 1024**3))
from surveyapp.questionnaires.definition import load_file
from surveyapp.questionnaires.problems import DefinitionError
started = time.perf_counter()
try:
    outcome = "accepted: %d questions" % len(load_file(sys.argv[1]).questions)
except DefinitionError as error:
    outcome = str(error.problems[0])
print("%.3f" % (time.perf_counter() - started))
with open("/proc/self/status") as status:  # this process's own peak, not its parent's
    print(next(int(l.split()[1]) for l in status if l.startswith("VmHWM:")) // 1024)
print(outcome)
"""
HEAD = "format: 1\ncode: big\nkind: survey\ntitle: {nb: Stor, nn: Stor, en: Big}\n"


def measure(path: Path) -> tuple[float, int, str]:
    """(seconds, peak MB, first problem or "accepted: …") of load_file in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seconds, megabytes, outcome = done.stdout.splitlines()[:3]
    return float(seconds), int(megabytes), outcome


FILES = {
    "merge-chain-690-bytes.yaml": merge_chain(24),
    "merge-chain-40.yaml": merge_chain(40),
    "text-anchor-1mb-x3000.yaml": text_anchor(1_000_000, 3000),
    "text-anchor-100kb-x3000.yaml": text_anchor(100_000, 3000),
    "text-anchor-10kb-x200.yaml": text_anchor(10_000, 200),
    "list-anchor-bomb.yaml": "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
    + "".join(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9)),
    "half-a-megabyte-of-tiny-values.yaml": "x: [" + ",".join(["1"] * 262_000) + "]\n",
    "half-a-megabyte-of-keys.yaml": "".join(f"k{i:06d}: v\n" for i in range(47_000)),
    "deep-nesting.yaml": "x: " + "[" * 200_000 + "]" * 200_000 + "\n",
    "three-megabyte-title.yaml": HEAD.replace("Big}", "Big, x: " + "x" * 3_000_000 + "}"),
}


@pytest.mark.parametrize("name", sorted(FILES))
def test_every_file_is_decided_within_two_seconds_and_200_mb(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(FILES[name], encoding="utf-8")
    seconds, megabytes, outcome = measure(path)
    assert seconds < SECONDS, (name, seconds, outcome)
    assert megabytes < MEGABYTES, (name, megabytes, outcome)
    assert outcome.startswith(f"{path}: ") and not outcome.startswith("accepted"), outcome
    assert "too large" in outcome or "nested too deeply" in outcome, outcome


def test_the_probes_merge_chain_is_the_probes_size() -> None:
    assert len(merge_chain(24).encode()) == pytest.approx(690, abs=15)


def test_shipped_and_valid_files_still_load_quickly(tmp_path: Path) -> None:
    for path in sorted(SHIPPED.glob("*.yaml")):
        seconds, megabytes, outcome = measure(path)
        assert outcome.startswith("accepted"), outcome
        assert seconds < 1 and megabytes < MEGABYTES


def test_moderate_anchors_and_merge_keys_still_work() -> None:
    definition = parse_definition(text_anchor(2_000, 100), "moderate.yaml")
    assert len(definition.questions) == 100


def test_a_stream_without_end_is_cut_at_the_limit() -> None:
    seconds, megabytes, outcome = measure(Path("/dev/zero"))  # read() would never end
    assert outcome == (
        f"/dev/zero: the file is too large: more than {MAX_FILE_BYTES:,} bytes, and a definition"
        f" file may have at most {MAX_FILE_BYTES:,} (512 KB)"
    )
    assert seconds < SECONDS and megabytes < MEGABYTES


def test_problems_are_listed_up_to_a_limit() -> None:
    text = HEAD + "".join(f"unknown_{i}: x\n" for i in range(500))
    with pytest.raises(DefinitionError) as caught:
        parse_definition(text, "many.yaml")
    problems = [str(p) for p in caught.value.problems]
    assert len(problems) == MAX_PROBLEMS + 1
    assert problems[-1] == "many.yaml: ... and 301 more problems (not listed)"
