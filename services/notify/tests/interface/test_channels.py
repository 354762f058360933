"""The SMTP and SMS adapters against real servers: each failure is placed as transient (safe to
send again), permanent, or unknown (the other side may have the message)."""
import pytest

from eoffice_common.testing import free_port
from notify.channels import Mailer, OutcomeUnknown, PermanentFailure, SmsGateway, TransientFailure


def mailer(mail_drop):
    return Mailer("127.0.0.1", mail_drop.port, "noreply@eoffice.example.in", "ई-ऑफिस", timeout=5)


def test_a_connection_the_server_closed_is_replaced_without_losing_the_message(mail_drop):
    smtp = mailer(mail_drop)
    smtp.send("dm@up.example.in", "पहला", "एक", "<1@eoffice.example.in>")
    mail_drop.stop()  # drops the pooled connection
    mail_drop.start()
    smtp.send("dm@up.example.in", "दूसरा", "दो", "<2@eoffice.example.in>")
    assert [m["Subject"] for m in mail_drop.wait_for(2)] == ["पहला", "दूसरा"]
    smtp.close()


def test_smtp_refusals_are_temporary_or_permanent_by_their_code(mail_drop):
    smtp = mailer(mail_drop)
    mail_drop.refused["full@up.example.in"] = "452 4.2.2 mailbox full"
    mail_drop.refused["gone@up.example.in"] = "550 5.1.1 no such user"
    with pytest.raises(TransientFailure, match="452"):
        smtp.send("full@up.example.in", "s", "b", "<3@eoffice.example.in>")
    with pytest.raises(PermanentFailure, match="550"):
        smtp.send("gone@up.example.in", "s", "b", "<4@eoffice.example.in>")
    with pytest.raises(TransientFailure, match="cannot reach the SMTP server"):
        Mailer("127.0.0.1", free_port(), "noreply@eoffice.example.in").send("a@b.in", "s", "b", "<5@e>")


def test_sms_gateway_failures(sms_gateway):
    gateway = SmsGateway(sms_gateway.url, "key", "EOFFIC", timeout=0.5)
    sms_gateway.answers = [429, 500, 401]
    with pytest.raises(TransientFailure, match="429"):
        gateway.send("+919876500001", "नमस्ते", "d-1")
    with pytest.raises(TransientFailure, match="500"):
        gateway.send("+919876500001", "नमस्ते", "d-1")
    with pytest.raises(PermanentFailure, match="401"):
        gateway.send("+919876500001", "नमस्ते", "d-1")
    sms_gateway.delay = 1
    with pytest.raises(OutcomeUnknown, match="did not answer"):
        gateway.send("+919876500001", "नमस्ते", "d-2")
    with pytest.raises(TransientFailure, match="unreachable"):
        SmsGateway(f"http://127.0.0.1:{free_port()}/sms").send("+919876500001", "x", "d-3")
    gateway.close()
