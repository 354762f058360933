"""An SMTP server for tests of this service and of scenarios across services (aiosmtpd on a free
port, keeping every message it accepts)."""
import asyncio
from email import message_from_bytes
from email.policy import default as default_policy

from aiosmtpd.controller import Controller

from eoffice_common.testing import free_port, wait_until


class MailDrop:
    """An SMTP server (aiosmtpd) on a free port, keeping every message it accepts."""

    def __init__(self):
        self.port = free_port()
        self.messages = []
        self.refused = {}  # recipient address -> SMTP reply
        self.lose_reply = False  # take the message but close the connection instead of answering
        self.delay = 0  # seconds to sit on a message before taking it
        self._controller = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return self.refused[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        message = message_from_bytes(envelope.content, policy=default_policy)
        message.envelope_to = list(envelope.rcpt_tos)
        self.messages.append(message)
        if self.lose_reply:
            server.transport.close()
        return "250 Message accepted"

    def start(self):
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address):
        return [m for m in self.messages if address in m.envelope_to]

    def wait_for(self, count, timeout=10, address=None):
        found = wait_until(lambda: len(self.to(address) if address else self.messages) >= count, timeout)
        assert found, f"{len(self.messages)} messages arrived, expected {count}"
        return self.to(address) if address else self.messages
