"""The outside systems notify talks to: an SMTP server, and an SMS gateway over HTTP.

Every failure says whether sending again is safe (transient: the message surely did not arrive),
useless (permanent: it never will) or unsafe (unknown: the other side may already have it).
"""
import re
import smtplib
import ssl
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import formataddr, formatdate

import requests
from eventlet.queue import Empty, LightQueue
from urllib3.exceptions import ConnectTimeoutError

from .domain import PERMANENT, TRANSIENT, UNKNOWN

SMTP_LINES = compat32.clone(linesep="\r\n")


def _header(text):
    """Non-ASCII text as RFC 2047 encoded words, split between characters with the spaces inside."""
    return Header(text, "utf-8") if not text.isascii() else text


class DeliveryError(Exception):
    failure = TRANSIENT


class TransientFailure(DeliveryError):
    failure = TRANSIENT


class PermanentFailure(DeliveryError):
    failure = PERMANENT


class OutcomeUnknown(DeliveryError):
    failure = UNKNOWN


class NotConfigured(PermanentFailure):
    pass


class _BrokenBeforeMessage(Exception):
    """The connection failed before the message was handed over: sending again is safe."""


def _refusal(code, reply, stage):
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    error = PermanentFailure if 500 <= code < 600 else TransientFailure
    return error(f"SMTP {stage} refused: {code} {text}")


def _dot_stuffed(data):
    data = re.sub(rb"(?m)^\.", b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


class Mailer:
    """Sends email over SMTP (plain, STARTTLS or SSL), reusing a few open connections.

    The conversation is driven step by step so that a failure is placed exactly: before the end of
    DATA nothing was accepted (transient); a lost connection while waiting for the reply to the
    end of DATA leaves the outcome unknown.
    """

    def __init__(self, host, port, sender, sender_name="", tls="none", username=None, password=None,
                 timeout=30, pool_size=10):
        self.host, self.port = host, int(port)
        self.sender, self.sender_name = sender, sender_name
        self.tls = (tls or "none").lower()
        self.username, self.password = username, password
        self.timeout = float(timeout)
        self.pool_size = pool_size
        self._idle = LightQueue()

    def message(self, to, subject, body, message_id, headers=None):
        """The message, built with the legacy (compat32) header classes on purpose: the modern
        policy's folder drops the space between an ASCII word and the Devanagari that follows
        when it wraps a long subject ("N-9/2026 की" arrives as "N-9/2026की")."""
        msg = MIMEText(body, "plain", "utf-8")  # base64 body
        msg["From"] = formataddr((self.sender_name, self.sender)) if self.sender_name else self.sender
        msg["To"] = to
        msg["Subject"] = _header(subject)
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = message_id
        msg["Auto-Submitted"] = "auto-generated"
        for name, value in (headers or {}).items():
            msg[name] = value
        return msg

    def send(self, to, subject, body, message_id, headers=None):
        self._deliver(to, self.message(to, subject, body, message_id, headers).as_bytes(policy=SMTP_LINES))

    def send_with_pdf(self, to, subject, body, message_id, filename, pdf, headers=None):
        """An email with a PDF attached (an issued letter), its text as in `message`."""
        letter = MIMEMultipart()
        text = self.message(to, subject, body, message_id, headers)
        for name, value in text.items():
            if name.lower() not in ("content-type", "content-transfer-encoding", "mime-version"):
                letter[name] = value
        letter.attach(MIMEText(body, "plain", "utf-8"))
        attachment = MIMEApplication(pdf, "pdf")
        attachment.add_header("Content-Disposition", "attachment", filename=("utf-8", "", filename))
        letter.attach(attachment)
        self._deliver(to, letter.as_bytes(policy=SMTP_LINES))

    def _deliver(self, to, data):
        for _ in range(2):
            smtp, reused = self._take()
            try:
                self._transact(smtp, to, data)
            except _BrokenBeforeMessage as exc:
                self._discard(smtp)
                if reused:
                    continue  # the server had closed an idle connection: a fresh one is tried once
                raise TransientFailure(f"SMTP connection failed before the message was sent: {exc}") from exc
            except BaseException:
                self._discard(smtp)
                raise
            self._give_back(smtp)
            return
        raise TransientFailure("SMTP connections keep failing before the message is sent")

    def _transact(self, smtp, to, data):
        try:
            code, reply = smtp.mail(self.sender)
            if code != 250:
                raise _refusal(code, reply, "MAIL FROM")
            code, reply = smtp.rcpt(to)
            if code not in (250, 251):
                raise _refusal(code, reply, "RCPT TO")
            code, reply = smtp.docmd("DATA")
            if code != 354:
                raise _refusal(code, reply, "DATA")
            smtp.send(_dot_stuffed(data))
        except OSError as exc:  # smtplib's disconnections are OSErrors too
            raise _BrokenBeforeMessage(f"{type(exc).__name__}: {exc}") from exc
        try:
            code, reply = smtp.getreply()
        except OSError as exc:
            raise OutcomeUnknown(f"SMTP connection lost waiting for the reply to the message: {type(exc).__name__}: {exc}") from exc
        if code != 250:
            raise _refusal(code, reply, "message")

    def _take(self):
        try:
            return self._idle.get_nowait(), True
        except Empty:
            return self._open(), False

    def _open(self):
        try:
            if self.tls == "ssl":
                smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            smtp.ehlo()
            if self.tls == "starttls":
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self.password or "")
        except OSError as exc:
            raise TransientFailure(f"cannot reach the SMTP server {self.host}:{self.port}: {type(exc).__name__}: {exc}") from exc
        return smtp

    def _give_back(self, smtp):
        if self._idle.qsize() < self.pool_size:
            self._idle.put(smtp)
        else:
            self._discard(smtp)

    @staticmethod
    def _discard(smtp):
        try:
            smtp.close()
        except OSError:
            pass

    def close(self):
        while True:
            try:
                smtp = self._idle.get_nowait()
            except Empty:
                return
            try:
                smtp.quit()
            except OSError:
                self._discard(smtp)


class SmsGateway:
    """An HTTP SMS gateway: POST `url` with JSON {to, message, sender, reference, unicode} and a
    bearer key; any 2xx means accepted. `reference` is the delivery id, so a gateway that drops
    repeated references never sends one twice."""

    def __init__(self, url, api_key=None, sender_id="", timeout=10, pool_size=10):
        self.url, self.api_key, self.sender_id = url, api_key, sender_id
        self.timeout = float(timeout)
        self.session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def send(self, to, text, reference):
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        body = {"to": to, "message": text, "sender": self.sender_id, "reference": reference,
                "unicode": any(ord(ch) > 127 for ch in text)}
        try:
            response = self.session.post(self.url, json=body, headers=headers, timeout=(min(self.timeout, 5), self.timeout))
        except requests.ConnectTimeout as exc:
            raise TransientFailure(f"SMS gateway did not accept the connection: {exc}") from exc
        except requests.ConnectionError as exc:
            reason = getattr(exc.args[0], "reason", None) if exc.args else None
            if isinstance(reason, ConnectTimeoutError):  # includes "connection refused"
                raise TransientFailure(f"SMS gateway unreachable: {reason}") from exc
            raise OutcomeUnknown(f"SMS gateway connection lost during the request: {exc}") from exc
        except requests.Timeout as exc:
            raise OutcomeUnknown(f"SMS gateway did not answer in {self.timeout}s: {exc}") from exc
        if 200 <= response.status_code < 300:
            return
        detail = f"SMS gateway answered {response.status_code}: {response.text[:200]}"
        if response.status_code in (408, 429) or response.status_code >= 500:
            raise TransientFailure(detail)
        raise PermanentFailure(detail)

    def close(self):
        self.session.close()
