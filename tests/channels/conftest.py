"""A real SMTP server on 127.0.0.1 (aiosmtpd) for the e-mail invitation tests."""

from __future__ import annotations

import email
import email.policy
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.surveys.conftest import make_invitations, make_round  # noqa: F401  (fixtures)

LINK = re.compile(r"https?://\S+/i/([A-Za-z0-9_-]+)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    """One message the server accepted."""

    to: str
    subject: str
    body: str

    @property
    def token(self) -> str:
        found = LINK.search(self.body)
        assert found is not None, self.body
        return found.group(1)


@dataclass
class Handler:
    """Accepts mail, except for addresses it is told to refuse (with a reply code)."""

    messages: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    refuse_once: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(  # noqa: N802  (aiosmtpd's hook name)
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        if address in self.refuse_once:
            return self.refuse_once.pop(address)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = parsed.get_body(("plain",))
        assert body is not None
        with self.lock:
            for to in envelope.rcpt_tos:
                self.messages.append(Received(to, str(parsed["Subject"]), body.get_content()))
        return "250 Message accepted"

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [m for m in self.messages if m.to == address]


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture(autouse=True)
def mail_settings(app_config: dict[str, Any], smtp_port: int) -> None:
    """Mail to the test server, fast (no pacing worth waiting for)."""
    app_config.update(
        {
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": smtp_port,
            "MAIL_DEFAULT_SENDER": "Tromsø kommune <undersokelse@tromso.kommune.no>",
            "MAIL_SUPPRESS_SEND": False,
            "SURVEYAPP_MAIL_RATE": 60_000,
            "SURVEYAPP_MAIL_REMINDERS": 2,
        }
    )


@pytest.fixture
def smtp(smtp_port: int) -> Iterator[Handler]:
    """The SMTP server, listening on 127.0.0.1 for this test."""
    handler = Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()
