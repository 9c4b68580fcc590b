"""A real SMTP server on the loopback for the tests that check e-mails (aiosmtpd), keeping what it gets."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


class Inbox:
    """What the server received, each message with the envelope's recipients as `X-Envelope-To`."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd calls this hook by name
        message = message_from_bytes(envelope.content, policy=policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)  # type: ignore[arg-type]
        return "250 OK"

    def subjects(self) -> list[str]:
        return [str(m["Subject"]) for m in self.messages]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def smtp_server(port: int) -> Iterator[Inbox]:
    """The server on 127.0.0.1:`port` for the block's length."""
    found = Inbox()
    controller = Controller(found, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield found
    finally:
        controller.stop()


def smtp_env(port: int) -> dict[str, str]:
    """The service's settings naming that server."""
    return {"FIR_SMTP_HOST": "127.0.0.1", "FIR_SMTP_PORT": str(port), "FIR_SMTP_FROM": "fir@ars.test"}


@contextlib.contextmanager
def named_by_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    """A server on a free port of the loopback, named by the service's settings for the block's length."""
    port = free_port()
    with smtp_server(port) as found:
        for key, value in smtp_env(port).items():
            monkeypatch.setenv(key, value)
        yield found
