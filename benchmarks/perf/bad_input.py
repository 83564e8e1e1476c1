"""Feed malformed input to the real entry points; every piece must get a clear error.

    python -m benchmarks.perf.bad_input [--database-url URL] [--no-http]

The corpus is in ``benchmarks/perf/corpus/`` (plus a few large files made here):

* ``questionnaires/*.yaml`` → ``flask questionnaires check FILE``: exit status 1, the
  file named in the message, no traceback (each file through the Flask CLI runner,
  then all at once through the real command line);
* ``peers/*.csv`` → ``flask peers import FILE``: exit status 1, the file and the bad
  line named, and the database unchanged (row counts of ``peer_value`` and
  ``audit_entry`` before and after);
* ``form_posts.json`` → HTTP posts to the citizen survey, through a running gunicorn
  (or, in the tests, Flask's test client): wrong types, huge values, invalid UTF-8,
  missing fields, forged CSRF tokens, SQL and script fragments. Each must get the
  status and message the case expects, never a 5xx; invalid posts store nothing; a
  hostile free text is stored verbatim and only ever shown HTML-escaped; afterwards
  nothing is half-written and ``GET /healthz`` still answers 200;
* ``redirects.json`` → ``next`` after the language switch and after a log-in of a
  bench account: hostile values (other hosts, control characters, backslashes, the
  same percent-encoded) must give the default page, local ones must be followed;
  never a 5xx, never another host in ``Location``.
"""

from __future__ import annotations

import argparse
import html
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


def questionnaire_files(folder: Path) -> list[Path]:
    """The corpus files, plus large ones made in ``folder``."""
    huge = folder / "huge-title-3mb.yaml"
    huge.write_text(
        "format: 1\nkind: survey\ncode: huge\ntitle:\n  nb: " + "x" * 3_000_000 + "\n",
        encoding="utf-8",
    )
    return sorted((CORPUS / "questionnaires").glob("*.yaml")) + [huge]


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


def peer_files(folder: Path) -> list[Path]:
    long_line = folder / "line-over-10000-characters.csv"
    long_line.write_text(
        "municipality_code,year,indicator,value,n,source\n"
        "0301,2024,satisfied_share,0.77,398," + "x" * 10_001 + "\n",
        encoding="utf-8",
    )
    return sorted((CORPUS / "peers").glob("*.csv")) + [long_line]


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
        file_level = "the file is empty" in out or "no data rows" in out
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
    ) -> load.Reply:
        started = time.perf_counter()
        kwargs: dict[str, Any] = {"method": method, "headers": headers or {}}
        if body is not None:
            kwargs["data"] = body
            kwargs["content_type"] = content_type or FORM_CONTENT
        response = self.client.open(path, **kwargs)
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
        fields[case["big"]["field"]] = "x" * int(case["big"]["size"])
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
    before = storage.responses()
    method = case.get("method", "POST")
    path = str(case.get("path", "/s/{slug}/{page}")).replace("{slug}", slug)
    path = path.replace("{page}", str(page))
    body = None if method == "GET" else _body(case, token)
    if case.get("cookies") is False:  # a phone that dropped its session cookie
        browser.drop_cookies()
    content_type = case.get("content_type", FORM_CONTENT) if body is not None else None
    try:
        reply = browser.request(method, path, body, content_type)
    except OSError as err:
        return Outcome("form", case["name"], f"no answer: {err!r}", [f"no HTTP answer: {err!r}"])
    expect = case["expect"]
    text = html.unescape(reply.text())
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
    if expect.get("error_summary") and 'id="error-summary"' not in reply.text():
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
    messages = _error_messages(reply)
    for unwanted in expect.get("absent", []):
        if unwanted in messages:
            problems.append(f"also says {unwanted!r}")
    detail = reply.location if 300 <= reply.status < 400 else _title(reply)
    if reply.status == 200 and messages:
        detail = "error summary: " + " / ".join(messages)
    stored_note = {0: "nothing stored", 1: "1 response stored"}.get(delta, f"{delta} stored")
    return Outcome("form", case["name"], f"{reply.status} {detail}; {stored_note}", problems)


def run_form_cases(
    new_browser: Callable[[], BrowserLike],
    slug: str,
    storage: Storage,
    health: Callable[[], int],
) -> list[Outcome]:
    return [run_form_case(case, new_browser(), slug, storage, health) for case in form_cases()]


def http_health(port: int) -> Callable[[], int]:
    def check() -> int:
        try:
            return load.Browser(load.HOST, port, timeout=10).request("GET", "/healthz").status
        except OSError:
            return 0

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
    return [run_redirect_case(case, new_browser(), email, password) for case in redirect_cases()]


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
                outcomes += import_peers(app, peer_files(Path(folder)))
            finally:
                from surveyapp.extensions import db

                with app.app_context():
                    db.session.remove()
                    db.engine.dispose()
        if http:
            email, password = create_redirect_account(database_url)
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
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="surveyapp-bad-input.") as folder:
        url = args.database_url or f"sqlite:///{folder}/bad.db"
        backend = load.backend_name(url)
        run = bad_input_run(url, backend, http=not args.no_http)
        text, ok = markdown(run)
        print(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
