"""Feed malformed input to the real entry points; every piece must get a clear error.

    python -m benchmarks.perf.bad_input [--database-url URL] [--no-http]

The corpus is in ``benchmarks/perf/corpus/`` (plus a few large files made here):

* ``questionnaires/*.yaml`` → ``flask questionnaires check FILE``: exit status 1, the
  file named in the message, no traceback (each file through the Flask CLI runner,
  then all at once through the real command line). Made here: a 3 MB file and the
  YAML amplification attacks (a 690-byte merge-key chain, a text anchor of 1 MB and
  one of 100 KB used by 3,000 questions), each also read alone in a fresh process:
  refused within 2 s and 200 MB;
* ``peers/*.csv`` → ``flask peers import FILE``: exit status 1, the file and the bad
  line (or the file's size) named, and the database unchanged (row counts of
  ``peer_value`` and ``audit_entry`` before and after). Made here: a line over 10,000
  characters, an ``n`` of 5,000 digits and a file of 1,000,001 rows, the last also
  imported by the real command line in a fresh process: refused within 2 s and 50 MB
  beyond what the command needs to start (``peers import --help``);
* ``form_posts.json`` → HTTP posts to the citizen survey, through a running gunicorn
  (or, in the tests, Flask's test client): wrong types, huge values, numbers in other
  scripts' digits, invalid UTF-8, missing fields, forged form states, SQL and script
  fragments, chunked bodies over and under the limit, an unchecked value kept by
  "back". Each must get the status and message the case expects, never a 5xx;
  invalid posts store nothing; a hostile free text is stored verbatim and only ever
  shown HTML-escaped; afterwards nothing is half-written and ``GET /healthz`` still
  answers 200;
* staff URLs, logged in as an administrator: every route with an id gets ids of
  2^31, 2^63, 2^64 and 5,000 digits (404), and the pages with ``?page=``,
  ``?year=``, ``?population=`` and ``?peers=group:`` get huge numbers (no 5xx).
* ``redirects.json`` → ``next`` after the language switch and after a log-in of a
  bench account: hostile values (other hosts, control characters, backslashes, the
  same percent-encoded) must give the default page, local ones must be followed;
  never a 5xx, never another host in ``Location``.
"""

from __future__ import annotations

import argparse
import html
import io
import json
import re
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa

from benchmarks.perf import load

CORPUS = Path(__file__).resolve().parent / "corpus"
FORM_CONTENT = "application/x-www-form-urlencoded"
VALID_SUGGESTION = "Korpus: et gyldig svar"


@dataclass
class Outcome:
    kind: str  # questionnaire | peers | form | redirect
    name: str
    answer: str  # exit status or HTTP status, and the message
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _first_line(text: str, containing: str = "") -> str:
    for line in text.splitlines():
        if line.strip() and containing in line:
            return line.strip()[:160]
    return text.strip().splitlines()[0][:160] if text.strip() else ""


# --------------------------------------------------------------------------- questionnaires


AMPLIFICATION_SECONDS = 2.0
AMPLIFICATION_MEGABYTES = 200
_HEAD = "format: 1\ncode: big\nkind: survey\ntitle: {nb: Stor, nn: Stor, en: Big}\n"


def merge_chain(levels: int) -> str:
    """The probe's merge-key chain: each level merges the one before twice (690 bytes and
    36 s / 1 GB to read before the fix, at 24 levels)."""
    lines = ["m0: &m0 {a: 1, b: 2}"]
    lines += [f"m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}]}}" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def text_anchor(size: int, uses: int) -> str:
    """A text of ``size`` characters anchored at its first use and used as the wording of
    ``uses`` questions (1 MB × 3,000 ran out of memory before the fix)."""
    text = _HEAD + "sections:\n  - code: s\n    title: {nb: S, nn: S, en: S}\n    questions:\n"
    long = "a" * size
    text += f"      - {{code: q0, type: text, text: {{nb: &long {long}, nn: *long, en: *long}}}}\n"
    text += "".join(
        f"      - {{code: q{i}, type: text, text: {{nb: *long, nn: *long, en: *long}}}}\n"
        for i in range(1, uses)
    )
    return text


def amplification_files(folder: Path) -> list[Path]:
    """The YAML amplification attacks, written to ``folder``."""
    made = {
        "merge-chain-690-bytes.yaml": merge_chain(24),
        "text-anchor-1mb-x3000.yaml": text_anchor(1_000_000, 3000),
        "text-anchor-100kb-x3000.yaml": text_anchor(100_000, 3000),
    }
    for name, text in made.items():
        (folder / name).write_text(text, encoding="utf-8")
    return [folder / name for name in made]


def questionnaire_files(folder: Path) -> list[Path]:
    """The corpus files, plus large ones made in ``folder``."""
    huge = folder / "huge-title-3mb.yaml"
    huge.write_text(
        "format: 1\nkind: survey\ncode: huge\ntitle:\n  nb: " + "x" * 3_000_000 + "\n",
        encoding="utf-8",
    )
    return sorted((CORPUS / "questionnaires").glob("*.yaml")) + [huge] + amplification_files(folder)


@dataclass(frozen=True)
class Usage:
    """What a child process took: its exit status, wall time, peak memory and output."""

    status: int
    seconds: float
    megabytes: float
    stdout: str
    stderr: str


# Runs a module as ``python -m`` would, under a 2 GB address-space cap (a regression
# fails instead of eating the machine), and reports the process's own peak memory
# (VmHWM; the rusage of a forked child would also count its parent's pages).
_MEASURED = """
import atexit, resource, runpy, sys
resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))
def _peak():
    with open("/proc/self/status") as status:
        kb = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    sys.stderr.write("\\n@peak-kb " + kb + "\\n")
atexit.register(_peak)
sys.argv = sys.argv[1:]
runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
"""


def run_measured(
    module: str, args: list[str], env: dict[str, str] | None = None, timeout: float = 120
) -> Usage:
    """``python -m module args`` in a fresh process, timed and with its peak memory."""
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-c", _MEASURED, module, *args],
            cwd=load.PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as expired:
        return Usage(-9, time.perf_counter() - started, 0.0, "", f"timed out: {expired}")
    seconds = time.perf_counter() - started
    found = re.search(r"\n@peak-kb (\d+)\n", done.stderr)
    megabytes = int(found.group(1)) / 1024 if found else 0.0
    stderr = done.stderr[: found.start()] if found else done.stderr
    return Usage(done.returncode, seconds, megabytes, done.stdout, stderr)


def parse_alone(path: Path) -> int:
    """``--parse FILE``: read one definition file; print the outcome and the seconds."""
    from surveyapp.questionnaires.definition import load_file
    from surveyapp.questionnaires.problems import DefinitionError

    started = time.perf_counter()
    try:
        load_file(path)
        print("accepted")
    except DefinitionError as error:
        print(error.problems[0])
    print(f"{time.perf_counter() - started:.3f}")
    return 0


def questionnaire_bounds(files: list[Path]) -> list[Outcome]:
    """Each amplification file read alone in a fresh process: refused, within the bounds."""
    outcomes = []
    for path in files:
        used = run_measured("benchmarks.perf.bad_input", ["--parse", str(path)], timeout=60)
        lines = used.stdout.splitlines()
        message = lines[0].replace(str(path.parent) + "/", "") if lines else used.stderr[-200:]
        parse = float(lines[1]) if len(lines) > 1 else used.seconds
        problems = []
        if used.status != 0 or not lines or lines[0] == "accepted":
            problems.append(f"not refused (exit {used.status})")
        if parse >= AMPLIFICATION_SECONDS:
            problems.append(f"{parse:.1f} s to decide (goal < {AMPLIFICATION_SECONDS:.0f} s)")
        if used.megabytes >= AMPLIFICATION_MEGABYTES:
            problems.append(f"peak {used.megabytes:.0f} MB (goal < {AMPLIFICATION_MEGABYTES} MB)")
        outcomes.append(
            Outcome(
                "questionnaire",
                f"{path.name} ({path.stat().st_size:,} bytes) alone: time and memory",
                f"refused in {parse:.2f} s, peak {used.megabytes:.0f} MB of the process: "
                + message[:120],
                problems,
            )
        )
    return outcomes


def check_questionnaires(app: Any, files: list[Path]) -> list[Outcome]:
    """``flask questionnaires check FILE`` for each file through the Flask CLI runner."""
    runner = app.test_cli_runner()
    outcomes = []
    for path in files:
        result = runner.invoke(args=["questionnaires", "check", str(path)])
        out = result.output
        problems = []
        if result.exit_code != 1:
            problems.append(f"exit status {result.exit_code}, expected 1")
        if not isinstance(result.exception, SystemExit):
            problems.append(f"crashed: {result.exception!r}")
        if path.name not in out:
            problems.append("the file is not named in the message")
        if "Traceback" in out:
            problems.append("a traceback was printed")
        message = _first_line(out, path.name).replace(str(path.parent) + "/", "")
        outcomes.append(
            Outcome("questionnaire", path.name, f"exit {result.exit_code}: {message}", problems)
        )
    return outcomes


def check_questionnaires_command(files: list[Path], env: dict[str, str]) -> Outcome:
    """All files at once through the real command line (a subprocess)."""
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "surveyapp", "questionnaires", "check"]
        + [str(f) for f in files],
        cwd=load.PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    problems = []
    if done.returncode != 1:
        problems.append(f"exit status {done.returncode}, expected 1")
    unnamed = [f.name for f in files if f.name not in done.stderr]
    if unnamed:
        problems.append(f"files not named: {', '.join(unnamed)}")
    if "Traceback" in done.stderr:
        problems.append("a traceback was printed")
    lines = len([line for line in done.stderr.splitlines() if line.strip()])
    return Outcome(
        "questionnaire",
        f"all {len(files)} files in one `flask questionnaires check` (subprocess)",
        f"exit {done.returncode}: {lines} error lines on stderr, every file named",
        problems,
    )


# --------------------------------------------------------------------------- peers


PEER_HEADER = "municipality_code,year,indicator,value,n,source\n"
HUGE_CSV_ROWS = 1_000_001
# Beyond what the same command needs to start (`peers import --help`: Python, the app and
# its libraries, about 2.5 s and 200 MB here): the import of the huge file itself.
HUGE_CSV_EXTRA_SECONDS = 2.0
HUGE_CSV_EXTRA_MEGABYTES = 50


def huge_peer_file(folder: Path, rows: int = HUGE_CSV_ROWS) -> Path:
    """A well-formed peer file of ``rows`` rows (about 45 MB for a million), made here."""
    path = folder / f"rows-{rows}.csv"
    codes = ["0301", "1103", "4601", "5001", "5501", "1804"]
    with path.open("w", encoding="utf-8") as handle:
        handle.write(PEER_HEADER)
        for start in range(0, rows, 10_000):
            handle.write(
                "".join(
                    f"{codes[i % 6]},{1990 + i // 6 % 111},ind_{i // 666},0.5,100,Benchmark\n"
                    for i in range(start, min(start + 10_000, rows))
                )
            )
    return path


def peer_files(folder: Path) -> list[Path]:
    long_line = folder / "line-over-10000-characters.csv"
    long_line.write_text(
        PEER_HEADER + "0301,2024,satisfied_share,0.77,398," + "x" * 10_001 + "\n",
        encoding="utf-8",
    )
    long_n = folder / "n-of-5000-digits.csv"
    long_n.write_text(
        PEER_HEADER + "0301,2024,satisfied_share,0.77," + "9" * 5000 + ",Test\n",
        encoding="utf-8",
    )
    made = [long_line, long_n, huge_peer_file(folder)]
    return sorted((CORPUS / "peers").glob("*.csv")) + made


def peer_bounds(path: Path, env: dict[str, str]) -> Outcome:
    """``flask peers import`` of the huge file through the real command line, against the
    same command's start-up (``--help``)."""
    command = ["--app", "surveyapp", "peers", "import"]
    base = run_measured("flask", [*command, "--help"], env=env, timeout=120)
    used = run_measured("flask", [*command, str(path)], env=env, timeout=120)
    extra_seconds = used.seconds - base.seconds
    extra_megabytes = used.megabytes - base.megabytes
    problems = []
    if used.status != 1:
        problems.append(f"exit status {used.status}, expected 1")
    if path.name not in used.stderr or "Traceback" in used.stderr:
        problems.append("no clear message naming the file")
    if extra_seconds >= HUGE_CSV_EXTRA_SECONDS:
        problems.append(f"{extra_seconds:.1f} s beyond start-up (goal < 2 s)")
    if extra_megabytes >= HUGE_CSV_EXTRA_MEGABYTES:
        problems.append(f"{extra_megabytes:.0f} MB beyond start-up (goal < 50 MB)")
    message = _first_line(used.stderr, path.name).replace(str(path.parent) + "/", "")
    return Outcome(
        "peers",
        f"{path.name} ({path.stat().st_size / 1e6:.0f} MB) through the real command line",
        f"exit {used.status} in {used.seconds:.1f} s (start-up alone {base.seconds:.1f} s), "
        f"peak {used.megabytes:.0f} MB (start-up alone {base.megabytes:.0f} MB): {message}",
        problems,
    )


def _peer_counts() -> tuple[int, int]:
    from surveyapp.extensions import db

    values = db.session.scalar(sa.text("SELECT count(*) FROM peer_value"))
    audit = db.session.scalar(sa.text("SELECT count(*) FROM audit_entry"))
    db.session.rollback()
    return int(values or 0), int(audit or 0)


def import_peers(app: Any, files: list[Path]) -> list[Outcome]:
    """``flask peers import FILE``: exit 1, file and line named, database unchanged."""
    runner = app.test_cli_runner()
    outcomes = []
    for path in files:
        with app.app_context():
            before = _peer_counts()
        result = runner.invoke(args=["peers", "import", str(path)])
        with app.app_context():
            after = _peer_counts()
        out = result.output
        problems = []
        if result.exit_code != 1:
            problems.append(f"exit status {result.exit_code}, expected 1")
        if not isinstance(result.exception, SystemExit):
            problems.append(f"crashed: {result.exception!r}")
        if path.name not in out:
            problems.append("the file is not named")
        file_level = "the file is" in out or "no data rows" in out
        if not re.search(r"line \d+", out) and not file_level:
            problems.append("no line number in the message")
        if "Traceback" in out:
            problems.append("a traceback was printed")
        if after != before:
            problems.append(f"database changed: peer values/audit {before} → {after}")
        message = _first_line(out, "line ") or _first_line(out)
        message = message.replace(str(path.parent) + "/", "")
        outcomes.append(
            Outcome(
                "peers",
                path.name,
                f"exit {result.exit_code}, rows unchanged ({after[0]}): {message}",
                problems,
            )
        )
    return outcomes


# --------------------------------------------------------------------------- forms


class BrowserLike(Protocol):
    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
        chunked: bool = False,
    ) -> load.Reply: ...

    def drop_cookies(self) -> None: ...


class FlaskBrowser:
    """The same interface as ``load.Browser`` over Flask's test client (one cookie jar)."""

    def __init__(self, app: Any) -> None:
        self.client = app.test_client()

    def drop_cookies(self) -> None:
        self.client._cookies.clear()

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
        chunked: bool = False,
    ) -> load.Reply:
        started = time.perf_counter()
        kwargs: dict[str, Any] = {"method": method, "headers": dict(headers or {})}
        if body is not None and chunked:
            # As gunicorn hands over a chunked body: a stream it terminates itself.
            kwargs["input_stream"] = io.BytesIO(body)
            kwargs["headers"]["Transfer-Encoding"] = "chunked"
            kwargs["environ_overrides"] = {"wsgi.input_terminated": True}
            kwargs["content_type"] = content_type or FORM_CONTENT
        elif body is not None:
            kwargs["data"] = body
            kwargs["content_type"] = content_type or FORM_CONTENT
        response = self.client.open(path, buffered=True, **kwargs)
        return load.Reply(
            response.status_code,
            response.headers.get("Location", ""),
            response.get_data(),
            time.perf_counter() - started,
        )


def form_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads(
        (CORPUS / "form_posts.json").read_text(encoding="utf-8")
    )["cases"]
    return cases


def _valid(page: int) -> dict[str, str]:
    return {1: load.PAGE1, 2: load.PAGE2, 3: {**load.PAGE3, "suggestion": VALID_SUGGESTION}}[page]


def _body(case: dict[str, Any], token: str) -> bytes:
    if "raw" in case:
        return str(case["raw"]).replace("{csrf}", token).encode("latin-1")
    fields: dict[str, Any] = {**_valid(case["page"]), **case.get("fields", {})}
    if "big" in case:
        fields[case["big"]["field"]] = str(case["big"].get("char", "x")) * int(case["big"]["size"])
    pairs = [(k, str(v)) for k, v in fields.items() if v is not None]
    if "repeat" in case:
        name = case["repeat"]["field"]
        pairs += [(name, fields.get(name) or "x")] * int(case["repeat"]["times"])
    if "many_fields" in case:
        pairs += [(f"unknown_{i}", "1") for i in range(int(case["many_fields"]))]
    state = case.get("state", "valid")  # the signed answers-so-far the form carries
    if state == "valid":
        pairs.append(("state", token))
    elif state == "wrong":
        pairs.append(("state", "forged." + token[::-1]))
    return urllib.parse.urlencode(pairs).encode()


def _title(reply: load.Reply) -> str:
    found = re.search(r"<title>(.*?)</title>", reply.text(), re.S)
    if not found:
        return reply.text()[:60].strip()
    return html.unescape(" ".join(found.group(1).split()))[:90]


def _error_messages(reply: load.Reply) -> list[str]:
    """The field error messages of a re-shown survey page, each once, in order."""
    found = re.findall(r'<p class="error-message"[^>]*>(.*?)</p>', reply.text(), re.S)
    messages: list[str] = []
    for raw in found:
        text = html.unescape(re.sub(r"<[^>]+>", "", raw)).strip()
        text = text.removeprefix("Error:").strip()
        if text not in messages:
            messages.append(text)
    return messages


class Storage:
    """Counts in the database the form cases run against."""

    def __init__(self, database_url: str, round_id: int) -> None:
        self.database_url = database_url
        self.round_id = round_id

    def _scalar(self, sql: str, **params: Any) -> int:
        engine = load.engine_for(self.database_url)
        try:
            with engine.connect() as conn:
                return int(conn.execute(sa.text(sql), params).scalar_one())
        finally:
            engine.dispose()

    def responses(self) -> int:
        return self._scalar("SELECT count(*) FROM response WHERE round_id = :r", r=self.round_id)

    def stored_text(self, text: str) -> int:
        return self._scalar(
            "SELECT count(*) FROM answer WHERE round_id = :r AND question_code = 'suggestion' "
            "AND value_text = :t",
            r=self.round_id,
            t=text,
        )


def run_form_case(
    case: dict[str, Any],
    browser: BrowserLike,
    slug: str,
    storage: Storage,
    health: Callable[[], int],
) -> Outcome:
    problems: list[str] = []
    page = int(case["page"])
    start = browser.request("GET", f"/s/{slug}?lang=en")
    first = browser.request("GET", f"/s/{slug}/1")
    token = load.form_state(first.body)
    if start.status != 302 or token is None:
        return Outcome(
            "form",
            case["name"],
            f"set-up failed ({start.status}, {first.status})",
            ["could not start the survey"],
        )
    for earlier in range(1, page):
        fields = {**_valid(earlier), **case.get("before", {}).get(str(earlier), {})}
        reply = browser.request(
            "POST",
            f"/s/{slug}/{earlier}",
            urllib.parse.urlencode({**fields, "state": token}).encode(),
            FORM_CONTENT,
        )
        if reply.status != 302:
            return Outcome(
                "form",
                case["name"],
                f"set-up failed on page {earlier}",
                [f"page {earlier} answered {reply.status}"],
            )
    for step in case.get("steps", []):
        fields = {**_valid(int(step["page"])), **step.get("fields", {})}
        fields = {k: v for k, v in fields.items() if v is not None}
        reply = browser.request(
            "POST",
            f"/s/{slug}/{step['page']}",
            urllib.parse.urlencode({**fields, "state": token}).encode(),
            FORM_CONTENT,
        )
        if reply.status >= 400:
            return Outcome(
                "form",
                case["name"],
                f"step on page {step['page']} answered {reply.status}",
                [f"step on page {step['page']} answered {reply.status}"],
            )
    before = storage.responses()
    method = case.get("method", "POST")
    path = str(case.get("path", "/s/{slug}/{page}")).replace("{slug}", slug)
    path = path.replace("{page}", str(page))
    body = None if method == "GET" else _body(case, token)
    if case.get("cookies") is False:  # a phone that dropped its session cookie
        browser.drop_cookies()
    content_type = case.get("content_type", FORM_CONTENT) if body is not None else None
    try:
        reply = browser.request(method, path, body, content_type, chunked=bool(case.get("chunked")))
    except OSError as err:
        return Outcome("form", case["name"], f"no answer: {err!r}", [f"no HTTP answer: {err!r}"])
    expect = case["expect"]
    shown = reply
    if case.get("follow") and 300 <= reply.status < 400 and reply.location:
        # Where the citizen is sent: its page must say what is wrong.
        shown = browser.request(
            "GET", urllib.parse.urlsplit(reply.location)._replace(scheme="", netloc="").geturl()
        )
    text = html.unescape(shown.text())
    if reply.status not in expect["status"]:
        problems.append(f"status {reply.status}, expected {expect['status']}")
    if reply.status >= 500:
        problems.append("server error")
    if "database is locked" in text.lower() or "Traceback" in text:
        problems.append("internal error text shown")
    if expect.get("location") and not reply.location.endswith(expect["location"]):
        problems.append(f"redirected to {reply.location!r}")
    if expect.get("text") and expect["text"] not in text:
        problems.append(f"message {expect['text']!r} not shown")
    if expect.get("error_summary") and 'id="error-summary"' not in shown.text():
        problems.append("no error summary")
    if expect.get("escaped"):
        raw = expect["escaped"]
        if raw in reply.text():
            problems.append("hostile text shown unescaped")
        if html.escape(raw, quote=False) not in reply.text():
            problems.append("hostile text not shown back (escaped)")
    delta = storage.responses() - before
    wanted = expect.get("stored")
    if wanted is True and delta != 1:
        problems.append(f"{delta} responses stored, expected 1")
    if wanted is False and delta != 0:
        problems.append(f"{delta} responses stored, expected none")
    if wanted is None and delta not in (0, 1):
        problems.append(f"{delta} responses stored")
    if expect.get("stored_text") and storage.stored_text(expect["stored_text"]) < 1:
        problems.append("free text not stored verbatim")
    status_after = health()
    if status_after != 200:
        problems.append(f"GET /healthz answered {status_after} afterwards")
    messages = _error_messages(shown)
    for unwanted in expect.get("absent", []):
        if unwanted in messages:
            problems.append(f"also says {unwanted!r}")
    detail = reply.location if 300 <= reply.status < 400 else _title(reply)
    if shown.status == 200 and messages:
        detail = (
            ("" if shown is reply else f"{reply.location} → ")
            + "error summary: "
            + (" / ".join(messages))
        )
    stored_note = {0: "nothing stored", 1: "1 response stored"}.get(delta, f"{delta} stored")
    return Outcome("form", case["name"], f"{reply.status} {detail}; {stored_note}", problems)


def run_form_cases(
    new_browser: Callable[[], BrowserLike],
    slug: str,
    storage: Storage,
    health: Callable[[], int],
) -> list[Outcome]:
    outcomes = []
    for case in form_cases():
        browser = new_browser()
        try:
            outcomes.append(run_form_case(case, browser, slug, storage, health))
        finally:
            close = getattr(browser, "close", None)
            if close is not None:
                close()  # its keep-alive connection
    return outcomes


def http_health(port: int) -> Callable[[], int]:
    def check() -> int:
        browser = load.Browser(load.HOST, port, timeout=10)
        try:
            return browser.request("GET", "/healthz").status
        except OSError:
            return 0
        finally:
            browser.close()

    return check


def form_integrity(storage: Storage) -> Outcome:
    checks = load.integrity(storage.database_url, storage.round_id)
    problems = [] if load.integrity_ok(checks) else [f"integrity: {checks}"]
    return Outcome(
        "form",
        "after all posts: nothing half-written",
        f"{checks['responses']} responses, orphan answers {checks['orphan_answers']}, "
        f"responses without answers {checks['responses_without_answers']}, "
        f"integrity_check {checks['integrity_check']}",
        problems,
    )


# --------------------------------------------------------------------------- redirects

REDIRECT_EMAIL = "bench-redirects@example.no"
_LOGIN_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def redirect_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads(
        (CORPUS / "redirects.json").read_text(encoding="utf-8")
    )["cases"]
    return cases


def create_redirect_account(database_url: str) -> tuple[str, str]:
    """A staff account for the log-in cases (a new random password each run)."""
    from surveyapp import create_app
    from surveyapp.accounts import operations
    from surveyapp.extensions import db

    password = "Fjell-" + secrets.token_urlsafe(18)
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": load.new_secret_key()})
    with app.app_context():
        try:
            user = operations.find_by_email(REDIRECT_EMAIL)
            if user is None:
                operations.create_user(None, REDIRECT_EMAIL, "Bench", "planner", password)
            else:
                operations.set_password(None, user, password)
            db.session.commit()
        finally:
            db.session.remove()
            db.engine.dispose()
    return REDIRECT_EMAIL, password


def _redirect_problems(reply: load.Reply, expected: str) -> list[str]:
    if reply.status >= 500:
        return [f"server error {reply.status}"]
    if reply.status != 302:
        return [f"status {reply.status}, expected 302"]
    target = urllib.parse.urlsplit(reply.location)
    if target.netloc and target.netloc.split(":")[0] not in ("127.0.0.1", "localhost"):
        return [f"redirected to another host: {reply.location!r}"]
    got = urllib.parse.urlunsplit(("", "", target.path, target.query, target.fragment))
    wanted = urllib.parse.quote(expected, safe="/?&=:%")
    if got != wanted:
        return [f"redirected to {reply.location[:80]!r}, expected {expected!r}"]
    return []


def run_redirect_case(
    case: dict[str, Any], browser: BrowserLike, email: str, password: str
) -> Outcome:
    """The language switch, then a log-in, each with ``next``; a fresh browser per case."""
    raw = str(case["next"])
    switch = browser.request("GET", f"/language/en?next={raw}")
    problems = [f"switch: {p}" for p in _redirect_problems(switch, case.get("location", "/"))]
    page = browser.request("GET", "/login?lang=en")
    token = _LOGIN_CSRF.search(page.text())
    if token is None:
        problems.append(f"no log-in form ({page.status})")
        login = page
    else:
        fields = {"email": email, "password": password, "csrf_token": html.unescape(token[1])}
        login = browser.request(
            "POST", f"/login?next={raw}", urllib.parse.urlencode(fields).encode(), FORM_CONTENT
        )
        expected = case.get("location", "/home")
        problems += [f"log-in: {p}" for p in _redirect_problems(login, expected)]
    answer = f"switch {switch.status} → {switch.location[:40]}; log-in {login.status} → "
    return Outcome("redirect", case["name"], answer + login.location[:40], problems)


def run_redirect_cases(
    new_browser: Callable[[], BrowserLike], email: str, password: str
) -> list[Outcome]:
    outcomes = []
    for case in redirect_cases():
        browser = new_browser()
        try:
            outcomes.append(run_redirect_case(case, browser, email, password))
        finally:
            close = getattr(browser, "close", None)
            if close is not None:
                close()
    return outcomes


# --------------------------------------------------------------------------- staff URLs

#: Ids beyond the id columns (2^31), beyond 64 bits (2^63, 2^64), and of 5,000 digits.
HUGE_IDS = [str(2**31), str(2**63), str(2**64), "9" * 5000]
ADMIN_EMAIL = "bench-admin@example.no"
ADMIN_PASSWORD = "Lynglia-fjellvann-og-brunost-93"
GUNICORN_REQUEST_LINE = 4094  # gunicorn's default limit_request_line
_FORM_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_SAMPLE_ARGS = {"code": load.MUNICIPALITY, "kind": "share", "fmt": "png", "slug": load.SLUG}


def create_admin(database_url: str) -> None:
    """The administrator the staff checks log in as (made once per database)."""
    from surveyapp.accounts.operations import create_user, find_by_email
    from surveyapp.extensions import db

    app = cli_app(database_url)
    with app.app_context():
        try:
            if find_by_email(ADMIN_EMAIL) is None:
                create_user(None, ADMIN_EMAIL, "Bad input check", "admin", ADMIN_PASSWORD)
                db.session.commit()
        finally:
            db.session.remove()
            db.engine.dispose()


def id_routes(app: Any) -> list[tuple[str, str, str]]:
    """(method, rule, URL template with ``{n}`` for every id) of each route with an id."""
    from surveyapp.web.routing import BoundedIntegerConverter

    routes = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        ints = [
            a for a in rule.arguments if isinstance(rule._converters[a], BoundedIntegerConverter)
        ]
        if not ints:
            continue
        url = rule.rule
        for name in rule.arguments:
            value = "{n}" if name in ints else _SAMPLE_ARGS.get(name, "x")
            url = re.sub(rf"<(?:[a-z]+(?:\([^)]*\))?:)?{name}>", value, url)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            routes.append((method, rule.rule, url))
    return routes


def query_urls(round_id: int) -> list[str]:
    """Pages that read whole numbers from the query string, with huge ones."""
    big, digits = 2**63, "9" * 5000
    code = load.MUNICIPALITY
    return [
        f"/admin/audit?page={big}",
        f"/rounds?page={big}",
        f"/rounds/{round_id}/preview?page={big}",
        f"/results/sample-size?population={digits[:400]}",
        f"/results/sample-size?population={big}&margin=1e400",
        f"/results/{code}?year={big}",
        f"/results/{code}?peers=group:{big}",
        f"/results/{code}?year=%C2%B2&peers=group:%C2%B2",  # superscript two
        f"/exports/{code}/workbook.xlsx?year={big}",
        f"/servicetest/1/assignments?page={big}",
    ]


def log_in(browser: BrowserLike) -> int:
    """Log the administrator in; the status of the log-in post (302 when it worked)."""
    page = browser.request("GET", "/login?lang=en")
    found = _FORM_TOKEN.search(page.text())
    if found is None:
        return page.status
    body = urllib.parse.urlencode(
        {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": found.group(1)}
    ).encode()
    return browser.request("POST", "/login", body, FORM_CONTENT).status


def staff_outcomes(
    browser: BrowserLike,
    routes: list[tuple[str, str, str]],
    urls: list[str],
    health: Callable[[], int],
) -> list[Outcome]:
    """Every id route with huge ids (404), and huge query numbers (no 5xx), logged in."""
    status = log_in(browser)
    if status != 302:
        return [Outcome("staff", "log in as an administrator", str(status), ["could not log in"])]
    outcomes = []
    for method, rule, template in routes:
        statuses, problems = [], []
        for number in HUGE_IDS:
            url = template.format(n=number)
            status = browser.request(method, url).status
            statuses.append(status)
            # gunicorn refuses a request line over 4,094 bytes itself: 414 is as good.
            allowed = {404, 414} if len(url) > GUNICORN_REQUEST_LINE else {404}
            if status not in allowed:
                problems.append(f"{number[:22]}: {status}")
        answer = ", ".join(map(str, statuses))
        if not problems:
            answer = (
                "404 for ids of 2^31, 2^63 and 2^64; "
                + ("404" if statuses[-1] == 404 else "414 from gunicorn")
                + " for 5,000 digits"
            )
        outcomes.append(
            Outcome(
                "staff",
                f"{method} {rule}",
                answer,
                [f"expected 404, got {'; '.join(problems)}"] if problems else [],
            )
        )
    for url in urls:
        shown = url if len(url) < 90 else url[:60] + f"… ({len(url)} characters)"
        try:
            reply = browser.request("GET", url)
        except OSError as err:
            outcomes.append(Outcome("staff", f"GET {shown}", repr(err), ["no HTTP answer"]))
            continue
        problems = [f"server error {reply.status}"] if reply.status >= 500 else []
        if reply.status == 413:
            problems.append("413 for a query string")
        outcomes.append(
            Outcome("staff", f"GET {shown}", f"{reply.status} {_title(reply)}", problems)
        )
    alive = health()
    outcomes.append(
        Outcome(
            "staff",
            f"after {len(routes) * len(HUGE_IDS) + len(urls)} staff requests",
            f"GET /healthz {alive}",
            [] if alive == 200 else ["the server is not answering"],
        )
    )
    return outcomes


# --------------------------------------------------------------------------- a whole run


@dataclass
class BadInputRun:
    backend: str
    outcomes: list[Outcome]
    server_errors: int | None = None
    seconds: float = 0.0
    error_sites: Counter[str] = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outcomes) and not self.server_errors


def cli_app(database_url: str) -> Any:
    from surveyapp import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": load.new_secret_key(),
            "SURVEYAPP_DEMO": False,
        }
    )


def bad_input_run(
    database_url: str,
    backend: str,
    http: bool = True,
    cli: bool = True,
    round_id: int | None = None,
    log: Callable[[str], None] = print,
) -> BadInputRun:
    """The whole corpus: CLI entry points, then HTTP posts to gunicorn on this database."""
    started = time.perf_counter()
    key = load.new_secret_key()
    if round_id is None:
        log(f"[{backend} bad input] preparing the database …")
        round_id = load.prepare_database(database_url, key)
    outcomes: list[Outcome] = []
    errors = None
    sites: Counter[str] = Counter()
    with tempfile.TemporaryDirectory(prefix="surveyapp-corpus.") as folder:
        if cli:
            app = cli_app(database_url)
            try:
                files = questionnaire_files(Path(folder))
                outcomes += check_questionnaires(app, files)
                outcomes.append(
                    check_questionnaires_command(files, load.server_env(database_url, key))
                )
                outcomes += questionnaire_bounds([f for f in files if f.parent == Path(folder)])
                peers = peer_files(Path(folder))
                outcomes += import_peers(app, peers)
                huge = [p for p in peers if p.name.startswith("rows-")]
                outcomes += [peer_bounds(p, load.server_env(database_url, key)) for p in huge]
            finally:
                from surveyapp.extensions import db

                with app.app_context():
                    db.session.remove()
                    db.engine.dispose()
        if http:
            email, password = create_redirect_account(database_url)
            create_admin(database_url)
            routes = id_routes(cli_app(database_url))
            server = load.Gunicorn(database_url, key)
            server.start()
            try:
                storage = Storage(database_url, round_id)
                outcomes += run_form_cases(
                    lambda: load.Browser(load.HOST, server.port),
                    load.SLUG,
                    storage,
                    http_health(server.port),
                )
                outcomes.append(form_integrity(storage))
                outcomes += run_redirect_cases(
                    lambda: load.Browser(load.HOST, server.port), email, password
                )
                staff = load.Browser(load.HOST, server.port)
                try:
                    outcomes += staff_outcomes(
                        staff, routes, query_urls(round_id), http_health(server.port)
                    )
                finally:
                    staff.close()
                alive = server.alive() and http_health(server.port)() == 200
                outcomes.append(
                    Outcome(
                        "form",
                        "server still up after the corpus",
                        "GET /healthz 200" if alive else "down",
                        [] if alive else ["the server is down"],
                    )
                )
            finally:
                server.stop()
            errors = load.log_errors(server.log_text())
            sites = load.log_error_sites(server.log_text())
            server.remove_log()
    return BadInputRun(backend, outcomes, errors, time.perf_counter() - started, sites)


def markdown(run: BadInputRun) -> tuple[str, bool]:
    kinds = {
        "questionnaire": "`flask questionnaires check FILE`",
        "peers": "`flask peers import FILE`",
        "form": "HTTP form post to gunicorn",
        "redirect": "`next` after language switch and log-in (gunicorn)",
        "staff": "HTTP request to gunicorn, logged in as an administrator",
    }
    lines = [
        "| entry point | input | answer | result |",
        "|---|---|---|---|",
    ]
    for o in run.outcomes:
        answer = o.answer.replace("|", "\\|").replace("\n", " ")
        result = "ok" if o.ok else "**" + "; ".join(o.problems).replace("|", "\\|") + "**"
        lines.append(f"| {kinds[o.kind]} | {o.name} | {answer} | {result} |")
    bad = [o for o in run.outcomes if not o.ok]
    summary = (
        f"{len(run.outcomes) - len(bad)} of {len(run.outcomes)} inputs got a clear error "
        f"(or were stored safely) with nothing half-written"
    )
    if run.server_errors is not None:
        summary += f"; unhandled errors in the gunicorn log: {run.server_errors}"
    if run.error_sites:
        lines += [
            "",
            "Unhandled errors in the gunicorn log (exception at innermost app frame):",
            "",
        ]
        lines += [f"- {n} × `{site}`" for site, n in run.error_sites.most_common(5)]
    return summary + ".\n\n" + "\n".join(lines), run.ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.perf.bad_input")
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temp folder")
    parser.add_argument("--no-http", action="store_true", help="only the command-line checks")
    parser.add_argument("--parse", type=Path, help=argparse.SUPPRESS)  # one file, measured
    args = parser.parse_args(argv)
    if args.parse is not None:
        return parse_alone(args.parse)
    with tempfile.TemporaryDirectory(prefix="surveyapp-bad-input.") as folder:
        url = args.database_url or f"sqlite:///{folder}/bad.db"
        backend = load.backend_name(url)
        run = bad_input_run(url, backend, http=not args.no_http)
        text, ok = markdown(run)
        print(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
