"""dak's repositories, one suite on PostgreSQL and on SQLite: what is stored is what is read back,
numbers are gap-free and reach the events, and a failed transaction gives its number back."""
import json
import os
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from dak import domain
from dak.address_book import Entry, correspondent_key
from dak.directory import import_master
from dak.exceptions import CorrespondentExists, CorrespondentNotFound, ReceiptNotFound, UnknownUser
from dak.model import Dispatch, Letter, Receipt
from dak.models import Receipt as ReceiptRow
from dak.models import User
from dak.repository import DakUnitOfWork, Reading
from eoffice_common.db import UnitOfWork
from eoffice_common.engine import StandaloneEngine
from eoffice_common.migrations import upgrade
from eoffice_common.tables import outbox

SERVICE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LETTER = Letter(kind="physical", sender_name="राम प्रसाद", sender_organisation="ग्राम पंचायत बबीना", delivery_mode="post",
                subject="भूमि अभिलेख", received_date=date(2026, 12, 1), language="hi", letter_number="GP/17",
                letter_date=date(2026, 11, 28))


@pytest.fixture(params=["postgresql", "sqlite"])
def engine(request, dak_db, tmp_path, demo_master):
    if request.param == "postgresql":
        url = dak_db
    else:
        url = f"sqlite:///{tmp_path}/dak.db"
        upgrade(SERVICE_DIR, url)
        engine = StandaloneEngine(url)
        with UnitOfWork(engine, actor="test", correlation_id=None) as uow:
            import_master(uow, demo_master)
            uow.commit()
        engine.engine.dispose()
    engine = StandaloneEngine(url)
    yield engine
    engine.engine.dispose()


class Writing:
    """A DakUnitOfWork on a fresh unit of work of `engine`, used as a context manager."""

    def __init__(self, engine):
        self._uow = UnitOfWork(engine, actor="diarist.jhs", correlation_id=None)

    def __enter__(self):
        return DakUnitOfWork(self._uow.__enter__())

    def __exit__(self, *exc_info):
        self._uow.__exit__(*exc_info)


@contextmanager
def reading(engine):
    with Session(engine.engine) as session:
        yield DakUnitOfWork(Reading(session))


def stored_receipt(engine, user="diarist.jhs", letter=LETTER, scans=(), send=None):
    with Writing(engine) as uow:
        receipt = Receipt.diarise(uow.directory.diarist(user), letter, list(scans), "form", datetime.now(timezone.utc))
        if send:
            receipt.send(user, send, uow.directory.active_clearances(send.to), receipt.created_at)
        uow.receipts.add(receipt)
        uow.commit()
    return receipt


def outbox_envelopes(engine):
    with engine.engine.connect() as connection:
        return [json.loads(envelope) for envelope in connection.execute(select(outbox.c.envelope).order_by(outbox.c.seq)).scalars()]


def test_receipts_are_numbered_in_turn_and_their_events_carry_the_number(engine):
    year = domain.diary_year(datetime.now(timezone.utc))
    first, second = stored_receipt(engine), stored_receipt(engine, send=Dispatch(to=["so.jhs"]))
    other_office = stored_receipt(engine, user="diarist.jln")
    assert (first.serial, second.serial, other_office.serial) == (1, 2, 1)
    with engine.engine.connect() as connection:
        stored = dict(connection.execute(select(ReceiptRow.id, ReceiptRow.receipt_number)).all())
    assert stored[first.id] == f"1/{year}/COLL-JHS" and stored[second.id] == f"2/{year}/COLL-JHS"
    receipt_events = [e for e in outbox_envelopes(engine) if e["aggregate_type"] == "receipt"]
    assert [(e["type"], e["data"]["receipt_number"]) for e in receipt_events] == [
        ("receipt_diarised", f"1/{year}/COLL-JHS"), ("receipt_diarised", f"2/{year}/COLL-JHS"),
        ("receipt_sent", f"2/{year}/COLL-JHS"), ("receipt_diarised", f"1/{year}/COLL-JLN")]
    assert not any("@receipt-number:" in json.dumps(e) for e in receipt_events)


def test_a_failed_diarisation_gives_its_number_back(engine):
    stored_receipt(engine)
    with Writing(engine) as uow:
        receipt = Receipt.diarise(uow.directory.diarist("diarist.jhs"), LETTER, [], "form", datetime.now(timezone.utc))
        receipt.received_date = None  # required: the database refuses the receipt
        with pytest.raises(SQLAlchemyError):
            uow.receipts.add(receipt)
    assert stored_receipt(engine).serial == 2


def test_a_receipt_reads_back_as_it_was_stored(engine):
    scan = SimpleNamespace(key="dak/scans/abc", sha256="ab" * 32, size=2048, content_type="application/pdf")
    letter = replace(LETTER, kind="electronic", classification="confidential", vip=True)
    stored = stored_receipt(engine, letter=letter, scans=[("पत्र.pdf", scan)], send=Dispatch(to=["so.jhs", "adm.jhs"], priority="urgent"))
    with Writing(engine) as uow:
        read = uow.receipts.get(stored.id)
    assert read.letter() == stored.letter()
    assert (read.receipt_number, read.district, read.holder_id, read.created_at) == (stored.receipt_number, "JHS", "so.jhs", stored.created_at)
    assert [(s.position, s.key, s.filename) for s in read.scans] == [(1, "dak/scans/abc", "पत्र.pdf")]
    assert [(m.to_user, m.copy, m.priority) for m in read.movements] == [("so.jhs", False, "urgent"), ("adm.jhs", True, "urgent")]
    assert all(m.id is not None for m in read.movements)


def test_the_receipts_in_a_file_are_found_by_it(engine):
    in_file, elsewhere = stored_receipt(engine), stored_receipt(engine)
    now = datetime.now(timezone.utc)
    with Writing(engine) as uow:
        for receipt, file_id in ((in_file, "part-1"), (elsewhere, "other")):
            held = uow.receipts.get(receipt.id, for_update=True)
            held.put_in_file("diarist.jhs", file_id, now)
            uow.receipts.save(held)
        uow.commit()
    with Writing(engine) as uow:
        assert [r.id for r in uow.receipts.in_file("part-1")] == [in_file.id]
        assert uow.receipts.in_file("no-such-file") == []


def test_an_unknown_receipt_is_not_found(engine):
    with Writing(engine) as uow, pytest.raises(ReceiptNotFound):
        uow.receipts.get("no-such-receipt")


def test_saving_keeps_an_action_its_new_movements_and_what_was_opened(engine):
    receipt = stored_receipt(engine, send=Dispatch(to=["so.jhs"]))
    now = datetime.now(timezone.utc)
    with Writing(engine) as uow:
        held = uow.receipts.get(receipt.id, for_update=True)
        held.open_by("so.jhs", now)
        held.send("so.jhs", Dispatch(to=["clerk.jhs"], remarks="टिप्पणी"), {"clerk.jhs": "normal"}, now)
        uow.receipts.save(held)
        uow.commit()
    with Writing(engine) as uow:
        closing = uow.receipts.get(receipt.id, for_update=True)
        closing.close("clerk.jhs", "निस्तारित", now)
        uow.receipts.save(closing)
        uow.commit()
        read = uow.receipts.get(receipt.id)
    assert (read.status, read.holder_id, read.closed_by, read.closing_remarks, read.closed_at) == ("closed", "clerk.jhs", "clerk.jhs", "निस्तारित", now)
    assert [(m.to_user, m.remarks, m.opened_at) for m in read.movements] == [("so.jhs", None, now), ("clerk.jhs", "टिप्पणी", None)]


def test_what_was_not_committed_is_not_kept(engine):
    receipt = stored_receipt(engine)
    with Writing(engine) as uow:
        held = uow.receipts.get(receipt.id, for_update=True)
        held.close("diarist.jhs", "x", datetime.now(timezone.utc))
        uow.receipts.save(held)
    with Writing(engine) as uow:
        assert uow.receipts.get(receipt.id).status == "open"


def test_the_receipts_held_are_the_open_ones_of_the_holder_oldest_first(engine):
    first, second = stored_receipt(engine, send=Dispatch(to=["so.jhs"])), stored_receipt(engine, send=Dispatch(to=["so.jhs"]))
    stored_receipt(engine)
    with Writing(engine) as uow:
        closed = uow.receipts.get(second.id, for_update=True)
        closed.close("so.jhs", "done", datetime.now(timezone.utc))
        uow.receipts.save(closed)
        uow.commit()
    third = stored_receipt(engine, send=Dispatch(to=["so.jhs"]))
    with Writing(engine) as uow:
        assert [r.id for r in uow.receipts.held_by("so.jhs")] == [first.id, third.id]


def test_duplicates_are_the_same_letter_in_any_case(engine):
    first = stored_receipt(engine)
    with Writing(engine) as uow:
        assert uow.receipts.duplicates_of("ग्राम पंचायत बबीना", "gp/17", date(2026, 11, 28)) == [first.receipt_number]
        assert uow.receipts.duplicates_of("ग्राम पंचायत बबीना", "GP/17", date(2026, 11, 27)) == []
        assert uow.receipts.duplicates_of(None, "GP/17", date(2026, 11, 28)) == []


def test_lists_of_a_user(engine):
    sent = stored_receipt(engine, send=Dispatch(to=["so.jhs", "adm.jhs"]))
    kept = stored_receipt(engine, letter=replace(LETTER, sender_name="Sunita Devi", sender_organisation=None))

    secret = stored_receipt(engine, letter=replace(LETTER, classification="secret", subject="गोपनीय जाँच"))

    def listed(user, box, office="COLL-JHS", **filters):
        query = SimpleNamespace(**{"box": box, "q": None, "number": None, "letter_number": None, "status": None,
                                   "classification": None, "date_from": None, "date_to": None, "sender": None,
                                   "category": None, "page": 1, "per_page": 25, **filters})
        with reading(engine) as uow:
            rows, total = uow.receipts.listed_for(user, office, query)
        assert total == len(rows)
        return {row.id for row in rows}

    assert listed("so.jhs", "inbox") == {sent.id}
    assert listed("adm.jhs", "inbox") == {sent.id}  # a copy
    assert listed("diarist.jhs", "inbox") == {kept.id, secret.id}
    assert listed("diarist.jhs", "sent") == {sent.id}
    assert listed("diarist.jhs", "created") == {sent.id, kept.id, secret.id}
    assert listed("dm.jhs", "office") == {sent.id, kept.id}  # the secret one only for those cleared
    assert listed("diarist.jhs", "office", q="गोपनीय") == {secret.id}
    assert listed("diarist.jhs", "office", number=secret.receipt_number) == {secret.id}
    assert listed("dm.jln", "office", office="COLL-JLN") == set()
    assert listed("diarist.jhs", "created", sender="sunita") == {kept.id}
    assert listed("diarist.jhs", "created", sender="प्रसाद") == {sent.id, secret.id}


def test_the_directory_knows_who_may_diarise_and_receive(engine):
    with Writing(engine) as uow:
        uow._uow.session.execute(update(User).where(User.id == "clerk.jhs").values(active=False))
        diarist = uow.directory.diarist("so.jln")
        assert (diarist.office_code, diarist.district_code) == ("COLL-JLN", "JLN")
        assert uow.directory.active_user_ids(["so.jhs", "clerk.jhs", "nobody"]) == {"so.jhs"}
        assert uow.directory.active_user_ids([]) == set()
        # The clearance the demo organisation gives each (clerk.jhs is inactive now).
        assert uow.directory.active_clearances(["dm.jhs", "so.jhs", "diarist.jhs", "clerk.jhs", "nobody"]) == {
            "dm.jhs": "top_secret", "so.jhs": "secret", "diarist.jhs": "normal"}
        assert uow.directory.active_clearances([]) == {}
        with pytest.raises(UnknownUser):
            uow.directory.diarist("nobody")
        with pytest.raises(UnknownUser):
            uow.directory.user("clerk.jhs")
        found = uow.directory.search("अनुभाग", "COLL-JHS", 10)
        assert found and all(u.office_code == "COLL-JHS" for u in found)


def test_a_correspondent_is_kept_once_and_a_later_letter_replaces_only_what_it_gives(engine):
    first = {"name": "राम प्रसाद", "designation": "प्रधान", "organisation": "ग्राम पंचायत बबीना", "address": None,
             "state": None, "pincode": None, "email": "pradhan@example.in", "mobile": ""}
    later = {**first, "name": "राम  प्रसाद", "designation": None, "mobile": "9876543210", "email": "new@example.in"}
    for entry, at in ((first, datetime(2026, 12, 1, tzinfo=timezone.utc)), (later, datetime(2026, 12, 2, tzinfo=timezone.utc))):
        with Writing(engine) as uow:
            uow.address_book.remember("COLL-JHS", entry, at)
            uow.commit()
    with Writing(engine) as uow:
        [kept] = uow.address_book.find("COLL-JHS", "बबीना", 10)
        assert (kept.designation, kept.email, kept.mobile, kept.letters) == ("प्रधान", "new@example.in", "9876543210", 2)
        assert kept.last_letter_at == datetime(2026, 12, 2, tzinfo=timezone.utc)
        assert uow.address_book.find("COLL-JHS", "प्रधान", 10) == [kept]  # found by what only the first letter gave


def test_a_correspondent_added_by_hand_is_found_changed_and_counts_later_letters(engine):
    with Writing(engine) as uow:
        added = uow.address_book.add("COLL-JHS", Entry(name="सुनीता देवी", organisation="ग्राम पंचायत बड़ागाँव", pincode="284204"))
        correspondent_id = added.id
        uow.commit()
    with Writing(engine) as uow:
        assert uow.address_book.holder_of("COLL-JHS", correspondent_key("सुनीता  देवी", "ग्राम पंचायत बडागाँव")) == correspondent_id
        assert uow.address_book.holder_of("COLL-LLP", correspondent_key("सुनीता देवी", "ग्राम पंचायत बड़ागाँव")) is None
        with pytest.raises(CorrespondentNotFound):
            uow.address_book.get("COLL-LLP", correspondent_id)
        stored = uow.address_book.get("COLL-JHS", correspondent_id, for_update=True)
        uow.address_book.change(stored, Entry(name="सुनीता देवी", organisation="ग्राम पंचायत बड़ागाँव", address="पोस्ट रानीपुर"))
        uow.commit()
    with Writing(engine) as uow:
        uow.address_book.remember("COLL-JHS", {"name": "सुनीता देवी", "organisation": "ग्राम पंचायत बडागांव"},
                                  datetime(2026, 12, 3, tzinfo=timezone.utc))
        uow.commit()
    with Writing(engine) as uow:
        [kept] = uow.address_book.find("COLL-JHS", "रानीपुर", 10)
        assert (kept.id, kept.pincode, kept.letters, kept.address) == (correspondent_id, None, 1, "पोस्ट रानीपुर")


def test_the_same_correspondent_added_meanwhile_is_refused_as_a_duplicate_and_the_transaction_goes_on(engine):
    """As when two clerks add her at once: the second write meets the first's committed entry."""
    with Writing(engine) as uow:
        first = uow.address_book.add("COLL-JHS", Entry(name="सुनीता देवी", organisation="ग्राम पंचायत बड़ागाँव"))
        first_id = first.id
        other = uow.address_book.add("COLL-JHS", Entry(name="R. K. Traders"))
        uow.commit()
    with Writing(engine) as uow:
        with pytest.raises(CorrespondentExists) as refused:
            uow.address_book.add("COLL-JHS", Entry(name="सुनीता  देवी", organisation="ग्राम पंचायत बडागाँव"))
        assert refused.value.existing_id == first_id
        stored = uow.address_book.get("COLL-JHS", other.id)
        with pytest.raises(CorrespondentExists):
            uow.address_book.change(stored, Entry(name="सुनीता देवी", organisation="ग्राम पंचायत बड़ागाँव"))
        uow.address_book.add("COLL-JHS", Entry(name="राम प्रसाद"))
        uow.commit()
    with Writing(engine) as uow:
        assert sorted(c.name for c in uow.address_book.find("COLL-JHS", None, 10)) == ["R. K. Traders", "राम प्रसाद", "सुनीता देवी"]
