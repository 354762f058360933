"""Every dak use case on the in-memory unit of work: state and committed events, no broker, no database."""
from dataclasses import replace
from datetime import date, datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dak import commands, domain, exceptions, usecases
from dak.events import ReceiptClosed, ReceiptDiarised, ReceiptPutInFile, ReceiptReceived, ReceiptSent
from dak.model import Dispatch, Letter
from eoffice_common.events import Envelope

YEAR = domain.diary_year(datetime.now(timezone.utc))
LETTER = Letter(kind="physical", sender_name="राम प्रसाद", sender_organisation="ग्राम पंचायत बबीना", delivery_mode="post",
                subject="भूमि अभिलेख में सुधार हेतु प्रार्थना पत्र", received_date=date(2026, 12, 1), language="hi",
                letter_number="GP/2026/17", letter_date=date(2026, 11, 28))


class Stored:
    """A stored document, as the document store returns it."""

    def __init__(self, key):
        self.key, self.sha256, self.size, self.content_type = key, "ab" * 32, 1024, "application/pdf"


class Files:
    """What files answers about a file (usecases.FileDestinations)."""

    def __init__(self, refusal=None):
        self.refusal, self.asked = refusal, []

    def ensure_takes_receipt(self, file_id):
        self.asked.append(file_id)
        if self.refusal:
            raise self.refusal


def diarised(uow, user="diarist.jhs", letter=LETTER, **command):
    return usecases.diarise(commands.Diarise(user, letter, **command), uow).receipt


def sent(uow, receipt, by="diarist.jhs", to=("so.jhs",), **dispatch):
    return usecases.send(commands.SendReceipt(receipt.id, by, "COLL-JHS", Dispatch(to=list(to), **dispatch)), uow)


# --- diarisation ---------------------------------------------------------------------------------

def test_a_diarised_receipt_is_numbered_held_by_its_diarist_and_announced_with_its_number(uow):
    receipt = diarised(uow)
    assert receipt.receipt_number == f"1/{YEAR}/COLL-JHS"
    stored = uow.receipts.get(receipt.id)
    assert (stored.holder_id, stored.status, stored.office_code, stored.subject) == ("diarist.jhs", "open", "COLL-JHS", LETTER.subject)
    (event,) = uow.committed_events
    assert isinstance(event, ReceiptDiarised)
    assert (event.receipt_number, event.district, event.holder, event.channel, event.sender_name) == (
        f"1/{YEAR}/COLL-JHS", "JHS", "diarist.jhs", "form", "राम प्रसाद")


def test_numbers_run_without_gaps_per_office(uow):
    numbers = [diarised(uow).receipt_number for _ in range(3)] + [diarised(uow, user="diarist.llp").receipt_number]
    assert numbers == [f"1/{YEAR}/COLL-JHS", f"2/{YEAR}/COLL-JHS", f"3/{YEAR}/COLL-JHS", f"1/{YEAR}/COLL-LLP"]


@settings(max_examples=30, deadline=None)
@given(diarists=st.lists(st.sampled_from(["diarist.jhs", "diarist.llp", "nobody"]), max_size=12))
def test_whatever_the_sequence_each_office_numbers_one_to_n(new_uow, diarists):
    uow = new_uow()
    for user in diarists:
        try:
            diarised(uow, user=user)
        except exceptions.UnknownUser:
            pass
    for office in ("COLL-JHS", "COLL-LLP"):
        serials = sorted(r.serial for r in uow.receipts.stored.values() if r.office_code == office)
        assert serials == list(range(1, len(serials) + 1))
    assert len(uow.events_of(ReceiptDiarised)) == len(uow.receipts.stored)


def test_an_electronic_receipt_without_scans_is_refused_and_nothing_is_committed(uow):
    with pytest.raises(exceptions.ScansRequired):
        diarised(uow, letter=replace(LETTER, kind="electronic"))
    assert uow.receipts.stored == {} and uow.committed_events == []


def test_scans_travel_with_the_diarised_event(uow):
    receipt = diarised(uow, letter=replace(LETTER, kind="electronic"), scans=[("पत्र.pdf", Stored("dak/scans/a")), (None, Stored("dak/scans/b"))])
    (event,) = uow.events_of(ReceiptDiarised)
    assert [(s["position"], s["key"], s["filename"]) for s in event.scans] == [(1, "dak/scans/a", "पत्र.pdf"), (2, "dak/scans/b", None)]
    assert [s.position for s in uow.receipts.get(receipt.id).scans] == [1, 2]


def test_an_unknown_diarist_diarises_nothing(uow):
    with pytest.raises(exceptions.UnknownUser):
        diarised(uow, user="retired.jhs")
    assert uow.committed_events == []


def test_generate_and_send_holds_the_first_recipient_and_copies_the_rest(uow):
    receipt = diarised(uow, send=Dispatch(to=["so.jhs", "adm.jhs"], remarks="कृपया देखें", priority="urgent"))
    stored = uow.receipts.get(receipt.id)
    assert stored.holder_id == "so.jhs"
    assert [(m.to_user, m.copy, m.priority) for m in stored.movements] == [("so.jhs", False, "urgent"), ("adm.jhs", True, "urgent")]
    diarised_event, sent_event = uow.committed_events
    assert isinstance(diarised_event, ReceiptDiarised) and isinstance(sent_event, ReceiptSent)
    assert diarised_event.holder == "diarist.jhs"
    assert (sent_event.receipt_number, sent_event.to_user, sent_event.copies_to, sent_event.remarks) == (
        f"1/{YEAR}/COLL-JHS", "so.jhs", ["adm.jhs"], "कृपया देखें")


def test_generate_and_send_to_someone_unknown_diarises_nothing(uow):
    with pytest.raises(exceptions.InvalidRecipients):
        diarised(uow, send=Dispatch(to=["so.jhs", "retired.jhs"]))
    assert uow.receipts.stored == {} and uow.committed_events == []


def test_the_same_letter_again_is_diarised_with_a_warning(uow):
    first = diarised(uow)
    again = usecases.diarise(commands.Diarise("diarist.jhs", replace(LETTER, sender_organisation="ग्राम पंचायत बबीना".upper())), uow)
    assert again.duplicates == [first.receipt_number]
    assert usecases.diarise(commands.Diarise("diarist.jhs", replace(LETTER, letter_number="GP/2026/18")), uow).duplicates == []


def test_a_batch_is_numbered_in_one_commit(uow):
    letters = [LETTER, replace(LETTER, subject="Land records"), replace(LETTER, subject="पेंशन")]
    diarisations = usecases.diarise_batch(commands.DiariseBatch("diarist.jhs", letters), uow)
    assert [d.receipt.serial for d in diarisations] == [1, 2, 3]
    assert uow.commits == 1 and len(uow.events_of(ReceiptDiarised)) == 3
    assert all(event.channel == "batch" for event in uow.events_of(ReceiptDiarised))


def test_a_copy_is_a_new_receipt_of_the_same_letter_and_scans(uow):
    original = diarised(uow, letter=replace(LETTER, kind="electronic"), scans=[("a.pdf", Stored("dak/scans/a"))])
    copied = usecases.copy_receipt(commands.OnReceipt(original.id, "diarist.jhs", "COLL-JHS"), uow).receipt
    assert (copied.receipt_number, copied.copied_from_id, copied.subject) == (f"2/{YEAR}/COLL-JHS", original.id, LETTER.subject)
    assert [s.key for s in uow.receipts.get(copied.id).scans] == ["dak/scans/a"]
    assert uow.events_of(ReceiptDiarised)[-1].channel == "copy" and uow.events_of(ReceiptDiarised)[-1].copied_from == original.id


def test_only_the_holder_copies(uow):
    original = diarised(uow)
    with pytest.raises(exceptions.NotHolder):
        usecases.copy_receipt(commands.OnReceipt(original.id, "so.jhs", "COLL-JHS"), uow)
    assert len(uow.receipts.stored) == 1


# --- actions of the holder -----------------------------------------------------------------------

def test_sending_hands_the_receipt_over_and_announces_it(uow):
    receipt = sent(uow, diarised(uow), due_date=date(2099, 1, 1))
    stored = uow.receipts.get(receipt.id)
    assert stored.holder_id == "so.jhs" and [m.action for m in stored.movements] == ["send"]
    event = uow.events_of(ReceiptSent)[-1]
    assert (event.from_user, event.to_user, event.due_date, event.subject) == ("diarist.jhs", "so.jhs", "2099-01-01", LETTER.subject)


def test_only_the_holder_sends_and_a_refusal_changes_nothing(uow):
    receipt = diarised(uow)
    with pytest.raises(exceptions.NotHolder):
        sent(uow, receipt, by="so.jhs", to=["clerk.jhs"])
    assert uow.receipts.get(receipt.id).holder_id == "diarist.jhs"
    assert uow.events_of(ReceiptSent) == []


def test_a_reply_goes_back_to_whoever_sent_it(uow):
    receipt = sent(uow, diarised(uow))
    usecases.reply(commands.ReplyToReceipt(receipt.id, "so.jhs", "COLL-JHS", remarks="टिप्पणी सहित वापस"), uow)
    stored = uow.receipts.get(receipt.id)
    assert stored.holder_id == "diarist.jhs" and stored.movements[-1].action == "reply"
    assert (uow.events_of(ReceiptSent)[-1].action, uow.events_of(ReceiptSent)[-1].to_user) == ("reply", "diarist.jhs")


def test_nothing_to_reply_to_when_nobody_sent_it(uow):
    receipt = diarised(uow)
    with pytest.raises(exceptions.NothingToReplyTo):
        usecases.reply(commands.ReplyToReceipt(receipt.id, "diarist.jhs", "COLL-JHS"), uow)


def test_a_physical_receipt_is_received_once(uow):
    receipt = sent(uow, diarised(uow))
    usecases.receive(commands.OnReceipt(receipt.id, "so.jhs", "COLL-JHS"), uow)
    assert uow.receipts.get(receipt.id).received_at is not None
    assert uow.events_of(ReceiptReceived)[-1].received_by == "so.jhs"
    with pytest.raises(exceptions.AlreadyReceived):
        usecases.receive(commands.OnReceipt(receipt.id, "so.jhs", "COLL-JHS"), uow)
    assert len(uow.events_of(ReceiptReceived)) == 1


def test_an_electronic_receipt_is_not_received(uow):
    receipt = diarised(uow, letter=replace(LETTER, kind="electronic", body_text="ईमेल का पाठ"))
    with pytest.raises(exceptions.NotPhysical):
        usecases.receive(commands.OnReceipt(receipt.id, "diarist.jhs", "COLL-JHS"), uow)


def test_opening_marks_what_was_sent_to_the_reader(uow):
    receipt = sent(uow, diarised(uow), to=["so.jhs", "adm.jhs"])
    opened = usecases.open_receipt(commands.OnReceipt(receipt.id, "adm.jhs", "COLL-JHS"), uow)
    assert [m.opened_at is not None for m in opened.movements] == [False, True]
    assert [m.opened_at is not None for m in uow.receipts.get(receipt.id).movements] == [False, True]


def test_someone_of_the_office_reads_without_opening(uow):
    receipt = diarised(uow)
    commits = uow.commits
    usecases.open_receipt(commands.OnReceipt(receipt.id, "dm.jhs", "COLL-JHS"), uow)
    assert uow.commits == commits


def test_a_secret_receipt_is_not_found_by_others_of_the_office(uow):
    receipt = diarised(uow, letter=replace(LETTER, classification="secret"))
    with pytest.raises(exceptions.ReceiptNotFound):
        usecases.open_receipt(commands.OnReceipt(receipt.id, "dm.jhs", "COLL-JHS"), uow)
    with pytest.raises(exceptions.ReceiptNotFound):
        usecases.receipt_for(commands.OnReceipt(receipt.id, "dm.jhs", "COLL-JHS"), uow)


def test_a_receipt_of_another_office_is_not_found(uow):
    receipt = diarised(uow)
    with pytest.raises(exceptions.ReceiptNotFound):
        usecases.receipt_for(commands.OnReceipt(receipt.id, "diarist.llp", "COLL-LLP"), uow)


def test_a_receipt_goes_into_a_file_files_accepts(uow):
    receipt = sent(uow, diarised(uow, letter=replace(LETTER, kind="electronic"), scans=[("a.pdf", Stored("dak/scans/a"))]))
    files = Files()
    usecases.put_in_file(commands.PutReceiptInFile(receipt.id, "so.jhs", "COLL-JHS", file_id="file-17"), uow, files)
    stored = uow.receipts.get(receipt.id)
    assert (stored.status, stored.file_id, files.asked) == ("in_file", "file-17", ["file-17"])
    event = uow.events_of(ReceiptPutInFile)[-1]
    assert (event.file_id, event.put_by, event.cleared, [s["key"] for s in event.scans]) == (
        "file-17", "so.jhs", ["diarist.jhs", "so.jhs"], ["dak/scans/a"])


def test_a_file_refused_leaves_the_receipt_open_with_its_holder(uow):
    receipt = diarised(uow)
    with pytest.raises(exceptions.FileClosed):
        usecases.put_in_file(commands.PutReceiptInFile(receipt.id, "diarist.jhs", "COLL-JHS", file_id="file-9"), uow, Files(exceptions.FileClosed("closed")))
    assert uow.receipts.get(receipt.id).status == "open"
    assert uow.events_of(ReceiptPutInFile) == []


def test_files_is_not_asked_for_someone_who_does_not_hold_the_receipt(uow):
    receipt = diarised(uow)
    files = Files()
    with pytest.raises(exceptions.NotHolder):
        usecases.put_in_file(commands.PutReceiptInFile(receipt.id, "dm.jhs", "COLL-JHS", file_id="file-17"), uow, files)
    assert files.asked == []


def test_closing_ends_the_receipt(uow):
    receipt = diarised(uow)
    usecases.close(commands.CloseReceipt(receipt.id, "diarist.jhs", "COLL-JHS", remarks="निस्तारित"), uow)
    stored = uow.receipts.get(receipt.id)
    assert (stored.status, stored.closed_by, stored.closing_remarks) == ("closed", "diarist.jhs", "निस्तारित")
    assert uow.events_of(ReceiptClosed)[-1].remarks == "निस्तारित"
    with pytest.raises(exceptions.ReceiptNotOpen):
        sent(uow, receipt)


# --- consumed events -----------------------------------------------------------------------------

def test_a_transfer_hands_every_open_receipt_to_the_successor(uow):
    first, second = sent(uow, diarised(uow)), sent(uow, diarised(uow))
    closed = sent(uow, diarised(uow))
    usecases.close(commands.CloseReceipt(closed.id, "so.jhs", "COLL-JHS", remarks="done"), uow)
    moved = usecases.transfer_receipts(commands.TransferReceipts("so.jhs", "clerk.jhs", "admin.jhs"), uow)
    uow.commit()
    assert moved == 2
    assert [uow.receipts.get(r.id).holder_id for r in (first, second, closed)] == ["clerk.jhs", "clerk.jhs", "so.jhs"]
    transfers = [e for e in uow.events_of(ReceiptSent) if e.action == "transfer"]
    assert [(e.receipt_id, e.to_user, e.remarks) for e in transfers] == [
        (first.id, "clerk.jhs", "transferred by admin.jhs"), (second.id, "clerk.jhs", "transferred by admin.jhs")]


def test_a_transfer_to_someone_inactive_is_malformed(uow):
    receipt = sent(uow, diarised(uow))
    with pytest.raises(ValueError):
        usecases.transfer_receipts(commands.TransferReceipts("so.jhs", "retired.jhs", "admin.jhs"), uow)
    assert uow.receipts.get(receipt.id).holder_id == "so.jhs"


def test_the_receipts_of_a_merged_part_file_point_at_its_main_file(uow):
    in_part, in_other = diarised(uow), diarised(uow)
    usecases.put_in_file(commands.PutReceiptInFile(in_part.id, "diarist.jhs", "COLL-JHS", file_id="part-1"), uow, Files())
    usecases.put_in_file(commands.PutReceiptInFile(in_other.id, "diarist.jhs", "COLL-JHS", file_id="other"), uow, Files())
    uow.commit()
    moved = usecases.follow_merged_file(commands.FollowMergedFile(part_file_id="part-1", main_file_id="main-1"), uow)
    uow.commit()
    assert moved == 1
    assert [uow.receipts.get(r.id).file_id for r in (in_part, in_other)] == ["main-1", "other"]
    assert uow.receipts.get(in_part.id).status == "in_file"


def test_opening_a_receipt_does_not_undo_a_merge_committed_meanwhile(uow):
    receipt = diarised(uow)
    usecases.put_in_file(commands.PutReceiptInFile(receipt.id, "diarist.jhs", "COLL-JHS", file_id="part-1"), uow, Files())
    uow.commit()
    read = uow.receipts.get

    def read_while_merged(receipt_id, for_update=False):
        seen = read(receipt_id, for_update)
        if not for_update:  # another transaction merges the part file and commits after this unlocked read
            usecases.follow_merged_file(commands.FollowMergedFile(part_file_id="part-1", main_file_id="main-1"), uow)
        return seen

    uow.receipts.get = read_while_merged
    usecases.open_receipt(commands.OnReceipt(receipt.id, "diarist.jhs", "COLL-JHS"), uow)
    assert read(receipt.id).file_id == "main-1"


def test_the_scans_of_stored_receipts_are_referenced(uow):
    diarised(uow, letter=replace(LETTER, kind="electronic"), scans=[("a.pdf", Stored("dak/scans/a"))])
    assert usecases.referenced_scan_keys(uow) == {"dak/scans/a"}


# --- letters issued inside the deployment ------------------------------------------------------

class DocumentStore:
    def __init__(self):
        self.kept = {"files/letters/issued.pdf": b"%PDF-1.4 signed"}

    def get(self, key):
        return self.kept[key]

    def put(self, data, filename):
        self.kept[f"dak/scans/{filename}"] = data
        return Stored(f"dak/scans/{filename}")


def draft_issued(*addressees, subject="भूमि आवंटन के संबंध में"):
    return Envelope.parse({
        "id": "evt-issued-1", "type": "draft_issued", "schema_version": 1, "occurred_at": "2026-12-06T10:00:00+00:00",
        "actor": "dm.jhs", "office": "COLL-JHS", "data": {
            "file_id": "file-7", "issue_number": "I-7/2026/COLL-JHS", "issued_by": "dm.jhs", "issued_at": "2026-12-06T10:00:00+00:00",
            "subject": subject, "classification": "normal", "pdf_key": "files/letters/issued.pdf", "addressees": list(addressees),
        }})


def test_an_issued_letter_becomes_a_receipt_at_the_addressee_offices_receiving_point(uow):
    event = draft_issued({"mode": "intra", "office": "COLL-LLP", "dispatch_id": "d-1"},
                         {"mode": "intra", "office": "COLL-LLP", "user": "dm.llp", "dispatch_id": "d-2", "copy": True},
                         {"mode": "post", "office": None, "dispatch_id": "d-3"})
    created = usecases.receive_issued_letter(event, uow, DocumentStore())
    first, second = (uow.receipts.get(receipt_id) for receipt_id in created)
    assert (first.holder_id, first.receipt_number, first.sender_name, first.sender_organisation, first.letter_number) == (
        "diarist.llp", f"1/{YEAR}/COLL-LLP", "रवि कुमार शर्मा", "ज़िलाधिकारी कार्यालय, झाँसी", "I-7/2026/COLL-JHS")
    assert (second.holder_id, second.for_information, second.source_dispatch_id) == ("dm.llp", True, "d-2")
    assert [s.key for s in first.scans] == ["dak/scans/I-7-2026-COLL-JHS.pdf"]
    uow.commit()
    received = [e for e in uow.committed_events if e.event_type == "letter_received"]
    assert [(e.dispatch_id, e.holder, e.receipt_number) for e in received] == [
        ("d-1", "diarist.llp", f"1/{YEAR}/COLL-LLP"), ("d-2", "dm.llp", f"2/{YEAR}/COLL-LLP")]
    assert [e.channel for e in uow.events_of(ReceiptDiarised)] == ["intra", "intra"]


def test_a_dispatch_already_received_is_not_received_again(uow):
    event = draft_issued({"mode": "intra", "office": "COLL-LLP", "dispatch_id": "d-1"})
    usecases.receive_issued_letter(event, uow, DocumentStore())
    assert usecases.receive_issued_letter(event, uow, DocumentStore()) == []
    assert len(uow.receipts.stored) == 1


def test_the_first_opening_of_a_received_letter_is_told_to_the_issuing_file(uow):
    (receipt_id,) = usecases.receive_issued_letter(draft_issued({"mode": "intra", "office": "COLL-LLP", "dispatch_id": "d-1"}),
                                                   uow, DocumentStore())
    uow.commit()
    usecases.open_receipt(commands.OnReceipt(receipt_id, "diarist.llp", "COLL-LLP"), uow)
    usecases.open_receipt(commands.OnReceipt(receipt_id, "diarist.llp", "COLL-LLP"), uow)
    opened = [e for e in uow.committed_events if e.event_type == "letter_opened"]
    assert [(e.dispatch_id, e.opened_by) for e in opened] == [("d-1", "diarist.llp")]
    assert uow.receipts.get(receipt_id).opened_at is not None
