"""The rules of an issued letter's addressees and dispatches, alone."""
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from files import letters
from files.exceptions import AddresseeRefused, DraftNotSigned


class Directory:
    """The directory copy as files.letters.Directory reads it."""

    users = {"sto.jhs": SimpleNamespace(id="sto.jhs", office_code="TRY-JHS", name_en="Sanjay Gupta", designation_en="Senior Treasury Officer", active=True),
             "old.jhs": SimpleNamespace(id="old.jhs", office_code="TRY-JHS", name_en="Former", designation_en="Clerk", active=False)}
    offices = {"CMO-JHS": SimpleNamespace(code="CMO-JHS", name_en="Office of the Chief Medical Officer, Jhansi")}

    def find_user(self, user_id):
        return self.users.get(user_id)

    def find_office(self, code):
        return self.offices.get(code)


def test_addressees_inside_and_outside_are_resolved_and_copies_marked():
    planned = letters.plan_addressees([
        {"user": "sto.jhs"}, {"office": "CMO-JHS", "for_information": True},
        {"name": "ग्राम प्रधान", "email": "pradhan@gp.example.in", "mode": "email"},
    ], "intra", Directory())
    assert [(a.mode, a.user, a.office, a.copy, a.name) for a in planned] == [
        ("intra", "sto.jhs", "TRY-JHS", False, "Sanjay Gupta (Senior Treasury Officer)"),
        ("intra", None, "CMO-JHS", True, "Office of the Chief Medical Officer, Jhansi"),
        ("email", None, None, False, "ग्राम प्रधान"),
    ]


def test_unknown_deactivated_and_repeated_addressees_are_named_by_field():
    with pytest.raises(AddresseeRefused) as refused:
        letters.plan_addressees([{"user": "old.jhs"}, {"user": "nobody"}, {"office": "NOWHERE"}, {"office": "CMO-JHS"}, {"office": "CMO-JHS"}],
                                "intra", Directory())
    assert refused.value.fields == {"recipients.0.user": "deactivated", "recipients.1.user": "unknown",
                                    "recipients.2.office": "unknown", "recipients.4": "listed twice"}


def test_a_letter_travelling_as_a_pdf_needs_its_signature_and_by_post_does_not():
    by_post = letters.plan_addressees([{"name": "A", "address": "ग्राम बड़ागाँव"}], "post", Directory())
    letters.check_signed_pdf(by_post, None)
    with pytest.raises(DraftNotSigned):
        letters.check_signed_pdf(letters.plan_addressees([{"office": "CMO-JHS"}], "intra", Directory()), None)


def test_a_dispatch_advances_received_then_opened_and_a_bounce_is_final():
    at = datetime(2026, 12, 7, 5, 0, tzinfo=timezone.utc)
    dispatch = SimpleNamespace(status="sent", receipt_id=None, receipt_number=None, received_at=None, opened_at=None, delivered_at=None, failure=None)
    letters.receipt_opened(dispatch, at)  # the opening overtook the receipt's own news
    letters.receipt_arrived(dispatch, "r1", "12/2026/TRY-JHS", at)
    assert (dispatch.status, dispatch.receipt_number, dispatch.opened_at) == ("opened", "12/2026/TRY-JHS", at)
    email = SimpleNamespace(status="sent", delivered_at=None, failure=None)
    letters.email_bounced(email, "550 mailbox unavailable")
    letters.email_delivered(email, at)
    assert (email.status, email.failure) == ("bounced", "550 mailbox unavailable")
