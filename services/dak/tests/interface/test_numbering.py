"""A receipt's number is taken last, in one statement on PostgreSQL, and reaches its events."""
import json
import os
import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from dak import domain, repository
from dak.events import ReceiptDiarised
from dak.models import Receipt
from eoffice_common.db import UnitOfWork
from eoffice_common.engine import StandaloneEngine
from eoffice_common.migrations import upgrade
from eoffice_common.tables import outbox

SERVICE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(params=["postgresql", "sqlite"])
def engine(request, dak_db, tmp_path):
    if request.param == "postgresql":
        url = dak_db
    else:
        url = f"sqlite:///{tmp_path}/dak.db"
        upgrade(SERVICE_DIR, url)
    engine = StandaloneEngine(url)
    yield engine
    engine.engine.dispose()


def diarise(engine, office="COLL-JHS", year=2026):
    """What the service does: the event made with a placeholder, then the receipt numbered and the event written."""
    now = datetime.now(timezone.utc)
    with UnitOfWork(engine, actor="diarist.jhs", correlation_id=None) as uow:
        receipt = repository.new_row(
            Receipt, id=str(uuid.uuid4()), office_code=office, year=year, status=domain.OPEN, kind="physical",
            holder_id="diarist.jhs", created_by="diarist.jhs", created_at=now, updated_at=now,
            subject="भूमि अभिलेख", sender_name="राम प्रसाद", delivery_mode="post", language="hi",
            classification="normal", vip=False, received_date=now.date(),
        )
        receipt.receipt_number = repository.number_placeholder(receipt.id)
        (event,), rows = uow.outbox_rows([ReceiptDiarised(receipt_id=receipt.id, receipt_number=receipt.receipt_number,
                                                          office=office, district="JHS", subject=receipt.subject)])
        repository.insert_numbered_receipt(uow.session, receipt, rows)
        uow.commit()
    return receipt, event.id


def test_receipts_are_numbered_in_turn_and_their_events_carry_the_number(engine):
    first, first_event = diarise(engine)
    second, second_event = diarise(engine)
    other_office, _ = diarise(engine, office="COLL-JLN")
    assert (first.serial, second.serial, other_office.serial) == (1, 2, 1)
    assert second.receipt_number == "2/2026/COLL-JHS"
    with engine.engine.connect() as conn:
        stored = dict(conn.execute(select(Receipt.id, Receipt.receipt_number)).all())
        envelopes = dict(conn.execute(select(outbox.c.event_id, outbox.c.envelope)).all())
    assert stored[first.id] == "1/2026/COLL-JHS" and stored[second.id] == "2/2026/COLL-JHS"
    assert json.loads(envelopes[first_event])["data"]["receipt_number"] == "1/2026/COLL-JHS"
    assert json.loads(envelopes[second_event])["data"]["receipt_number"] == "2/2026/COLL-JHS"
    assert not any("@receipt-number:" in envelope for envelope in envelopes.values())


def test_a_failed_diarisation_gives_its_number_back(engine):
    diarise(engine)
    with UnitOfWork(engine, actor="diarist.jhs", correlation_id=None) as uow:
        receipt = repository.new_row(
            Receipt, id=str(uuid.uuid4()), office_code="COLL-JHS", year=2026, status=domain.OPEN, kind="physical",
            holder_id="diarist.jhs", created_by="diarist.jhs", subject="x", delivery_mode="post", language="en",
            classification="normal", vip=False, received_date=None, created_at=None, updated_at=None,
        )
        with pytest.raises(SQLAlchemyError):
            repository.insert_numbered_receipt(uow.session, receipt, [])  # dates are required: refused
    again, _ = diarise(engine)
    assert again.serial == 2
