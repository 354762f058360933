"""The rules of files, on plain values: no broker, no database."""
import hashlib
from datetime import datetime, timedelta, timezone

import pytest

from files import domain, exceptions
from files.domain import AuditRecord, Move
from files.model import CorrespondenceItem, Draft, File, Movement, Note
from files.models import User


def a_file(office="COLL-JHS", owner="so.jhs", custodian="so.jhs", **overrides):
    values = dict(id="f1", created_by="so.jhs", status="open", kind="electronic", classification="normal", version=3)
    values.update(overrides)
    return File(office_code=office, owner_id=owner, custodian_id=custodian, **values)


def sent(from_user="so.jhs", to_user="adm.jhs", opened=False, action="send"):
    return Movement(id=7, action=action, from_user=from_user, to_user=to_user, opened_at=datetime.now(timezone.utc) if opened else None)


def item(kind, classification, receipt_office, cleared, linked_after_movement):
    return CorrespondenceItem(kind=kind, classification=classification, receipt_office=receipt_office, cleared=list(cleared),
                              linked_after_movement=linked_after_movement)


def user(user_id, office, roles, active=True, clearance="normal"):
    return User(id=user_id, office_code=office, roles=list(roles), active=active, clearance=clearance)


def people(*user_ids, clearance="normal"):
    """Directory rows by id, as the use cases read them."""
    return {user_id: user(user_id, "COLL-JHS", ("officer",), clearance=clearance) for user_id in user_ids}


def note(note_id, author, status):
    return Note(id=note_id, author=author, status=status)


def draft(draft_id, status, current_version):
    return Draft(id=draft_id, status=status, current_version=current_version)


# --- numbers -------------------------------------------------------------------------------------

def test_an_sfs_number_reads_head_serial_year_section_department():
    code = domain.head_code("N-11", "016")
    assert domain.sfs_number(code, 6, 2016, "ARC", "DARPG") == "N-11016/6/2016-ARC-DARPG"


def test_volumes_after_the_first_and_part_files_are_suffixed():
    base = "C-15012/1/2013-JTSECY"
    assert domain.volume_number(base, 1) == base
    assert domain.volume_number(base, 2) == "C-15012/1/2013-JTSECY/Vol.2"
    assert domain.part_number(base, 1) == "C-15012/1/2013-JTSECY/Part.1"


def test_free_form_numbers_are_the_same_whatever_their_case_and_spacing():
    assert domain.number_key("  पत्रावली  सं.  12/ABC ") == domain.number_key("पत्रावली सं. 12/abc")
    assert domain.clean_number("  a   b ") == "a b"


def test_the_file_year_turns_at_midnight_in_india():
    new_years_eve_utc = datetime(2025, 12, 31, 18, 45, tzinfo=timezone.utc)  # 00:15 on 1 Jan in IST
    assert domain.year_of(new_years_eve_utc) == 2026
    assert domain.year_of(new_years_eve_utc - timedelta(hours=1)) == 2025


def test_issue_numbers_carry_serial_year_and_office():
    assert domain.issue_number(7, 2026, "COLL-JHS") == "I-7/2026/COLL-JHS"


def test_search_folds_case_spacing_and_the_two_ways_of_typing_a_nukta():
    precomposed = "\u095b\u093f\u0932\u093e"  # ज़िला with U+095B
    decomposed = "\u091c\u093c\u093f\u0932\u093e"  # ज + nukta + ि + ला
    assert domain.normalise_for_search(f"{precomposed} Pension") == domain.normalise_for_search(f"{decomposed}  pension")
    assert domain.search_words("  भूमि\u200d  Records ") == ["भूमि", "records"]


# --- who may open a file ---------------------------------------------------------------------------

@pytest.mark.parametrize("classification", ["secret", "top_secret"])
def test_a_secret_file_opens_only_for_creator_custodian_owner_and_those_it_was_sent_to(classification):
    file = a_file(classification=classification, created_by="so.jhs", owner="so.jhs", custodian="adm.jhs")
    assert domain.can_open(file, "so.jhs", "COLL-JHS", was_sent_it=False)
    assert domain.can_open(file, "adm.jhs", "COLL-JHS", was_sent_it=False)
    assert domain.can_open(file, "dm.jhs", "COLL-JHS", was_sent_it=True)
    assert not domain.can_open(file, "dm.jhs", "COLL-JHS", was_sent_it=False)
    with pytest.raises(exceptions.FileNotFound):
        domain.ensure_can_open(file, "clerk.jhs", "COLL-JHS", was_sent_it=False)


def test_an_ordinary_file_opens_within_its_office_and_for_those_it_was_sent_to():
    file = a_file(classification="confidential")
    assert domain.can_open(file, "dm.jhs", "COLL-JHS", False)
    assert not domain.can_open(file, "sto.jhs", "TRY-JHS", False)
    assert domain.can_open(file, "sto.jhs", "TRY-JHS", True)


# --- movement ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("classification, office_reads", [("normal", True), ("confidential", True), ("secret", False), ("top_secret", False)])
def test_a_receipt_in_a_file_is_read_as_dak_would_let_it_be_read(classification, office_reads):
    receipt = item("receipt", classification, "COLL-JHS", ("diarist.jhs", "clerk.jhs"), 7)
    assert domain.can_read_item(receipt, "diarist.jhs", "COLL-JHS", None)
    assert domain.can_read_item(receipt, "so.jhs", "COLL-JHS", None) is office_reads
    assert domain.can_read_item(receipt, "so.jhs", "COLL-JHS", 7) is office_reads  # received the file before it went in
    cleared, not_cleared = user("so.jhs", "COLL-JHS", (), clearance=classification), user("so.jhs", "COLL-JHS", ())
    assert domain.can_read_item(receipt, "so.jhs", "COLL-JHS", 8, cleared)  # received the file after, cleared for it
    # ... but the file does not make whoever is not cleared for the receipt a reader of it
    assert domain.can_read_item(receipt, "so.jhs", "COLL-JHS", 8, not_cleared) is (classification in ("normal", "confidential"))
    assert domain.can_read_item(receipt, "sto.jhs", "TREASURY-JHS", None) is (classification == "normal")
    attached = item("document", classification, None, (), None)
    assert domain.can_read_item(attached, "sto.jhs", "TREASURY-JHS", None)


def test_only_the_custodian_sends_and_the_recipient_becomes_custodian():
    assert domain.plan_send(a_file(), "so.jhs", "adm.jhs", people("adm.jhs")) == Move("so.jhs", "adm.jhs", "send")
    with pytest.raises(exceptions.NotCustodian):
        domain.plan_send(a_file(), "dm.jhs", "adm.jhs", people("adm.jhs"))


@pytest.mark.parametrize("to, known", [("so.jhs", people("so.jhs")), ("ghost", {}), (None, {}),
                                       ("adm.jhs", {"adm.jhs": user("adm.jhs", "COLL-JHS", (), active=False)})])
def test_a_send_needs_a_known_active_recipient_other_than_the_sender(to, known):
    with pytest.raises(exceptions.InvalidRecipient):
        domain.plan_send(a_file(), "so.jhs", to, known)


def test_a_send_against_an_older_version_is_a_conflict():
    with pytest.raises(exceptions.VersionConflict):
        domain.plan_send(a_file(version=4), "so.jhs", "adm.jhs", people("adm.jhs"), expected_version=3)
    assert domain.plan_send(a_file(version=4), "so.jhs", "adm.jhs", people("adm.jhs"), expected_version=4)


@pytest.mark.parametrize("status, error", [("parked", exceptions.FileParked), ("closed", exceptions.FileClosed)])
def test_a_parked_or_closed_file_does_not_move(status, error):
    with pytest.raises(error):
        domain.plan_send(a_file(status=status), "so.jhs", "adm.jhs", people("adm.jhs"))


@pytest.mark.parametrize("classification, cleared", [
    ("normal", {"normal", "confidential", "secret", "top_secret"}), ("confidential", {"confidential", "secret", "top_secret"}),
    ("secret", {"secret", "top_secret"}), ("top_secret", {"top_secret"}),
])
def test_a_file_is_sent_only_to_an_officer_cleared_for_its_classification(classification, cleared):
    for clearance in ("normal", "confidential", "secret", "top_secret"):
        file, recipients = a_file(classification=classification), people("adm.jhs", clearance=clearance)
        if clearance in cleared:
            assert domain.plan_send(file, "so.jhs", "adm.jhs", recipients) == Move("so.jhs", "adm.jhs", "send")
            continue
        with pytest.raises(exceptions.RecipientNotCleared) as refused:
            domain.plan_send(file, "so.jhs", "adm.jhs", recipients)
        assert refused.value.to_dict() | {"message": None} == {
            "error": "recipient_not_cleared", "message": None, "fields": {"to": f"not cleared for {classification}"},
            "recipient": "adm.jhs", "classification": classification, "clearance": clearance,
        }


def test_an_officer_holding_charge_who_is_not_cleared_does_not_receive_the_file_sent_to_the_absent_officer():
    with pytest.raises(exceptions.RecipientNotCleared) as refused:
        domain.plan_send(a_file(classification="secret"), "so.jhs", "cm.jhs", people("cm.jhs", clearance="confidential"), for_user="adm.jhs")
    assert (refused.value.to_dict()["acting_for"], refused.value.to_dict()["recipient"]) == ("adm.jhs", "cm.jhs")


def test_a_classified_file_is_not_returned_or_pulled_back_to_an_officer_no_longer_cleared_for_it():
    file = a_file(custodian="adm.jhs", classification="confidential")
    with pytest.raises(exceptions.RecipientNotCleared):
        domain.plan_return(file, sent("so.jhs", "adm.jhs"), "adm.jhs", people("so.jhs"))
    with pytest.raises(exceptions.RecipientNotCleared):
        domain.plan_pull_back(file, sent(), "so.jhs", people("so.jhs"))
    assert domain.plan_pull_back(file, sent(), "so.jhs", people("so.jhs", clearance="confidential"))


def test_whoever_is_not_in_the_directory_copy_is_cleared_for_normal_files_only():
    assert domain.is_cleared_for(None, "normal") and not domain.is_cleared_for(None, "confidential")


def test_a_return_goes_back_to_whoever_sent_the_file():
    file = a_file(custodian="adm.jhs")
    assert domain.plan_return(file, sent("so.jhs", "adm.jhs"), "adm.jhs", people("so.jhs")) == Move("adm.jhs", "so.jhs", "return")
    with pytest.raises(exceptions.NothingToReturn):
        domain.plan_return(a_file(), None, "so.jhs", {})
    with pytest.raises(exceptions.NothingToReturn):
        domain.plan_return(file, sent("so.jhs", "adm.jhs", action="transfer"), "adm.jhs", people("so.jhs"))


def test_the_sender_pulls_back_only_until_the_recipient_opens_the_file():
    file = a_file(custodian="adm.jhs")
    assert domain.plan_pull_back(file, sent(), "so.jhs", people("so.jhs")) == Move("adm.jhs", "so.jhs", "pull_back")
    with pytest.raises(exceptions.AlreadyOpened):
        domain.plan_pull_back(file, sent(opened=True), "so.jhs", people("so.jhs"))
    with pytest.raises(exceptions.NotSender):
        domain.plan_pull_back(file, sent(), "dm.jhs", people("dm.jhs"))
    with pytest.raises(exceptions.NothingToPullBack):
        domain.plan_pull_back(a_file(), None, "so.jhs", people("so.jhs"))


def test_park_and_unpark_belong_to_the_custodian():
    domain.check_park(a_file(), "so.jhs")
    with pytest.raises(exceptions.NotCustodian):
        domain.check_park(a_file(), "dm.jhs")
    with pytest.raises(exceptions.FileParked):
        domain.check_park(a_file(status="parked"), "so.jhs")
    domain.check_unpark(a_file(status="parked"), "so.jhs")
    with pytest.raises(exceptions.FileNotParked):
        domain.check_unpark(a_file(), "so.jhs")


def test_only_the_owner_closes_while_holding_the_file_and_reopens_it():
    domain.check_close(a_file(), "so.jhs")
    with pytest.raises(exceptions.NotOwner):
        domain.check_close(a_file(custodian="dm.jhs"), "dm.jhs")
    with pytest.raises(exceptions.NotCustodian):
        domain.check_close(a_file(custodian="dm.jhs"), "so.jhs")
    with pytest.raises(exceptions.FileClosed):
        domain.check_close(a_file(status="closed"), "so.jhs")
    domain.check_reopen(a_file(status="closed"), "so.jhs")
    with pytest.raises(exceptions.NotOwner):
        domain.check_reopen(a_file(status="closed"), "dm.jhs")
    with pytest.raises(exceptions.FileNotClosed):
        domain.check_reopen(a_file(), "so.jhs")


def test_volumes_are_opened_by_the_custodian_and_not_on_part_files():
    domain.check_new_volume(a_file(), "so.jhs")
    with pytest.raises(exceptions.NotCustodian):
        domain.check_new_volume(a_file(), "dm.jhs")
    with pytest.raises(exceptions.PartFile):
        domain.check_new_volume(a_file(relation="part"), "so.jhs")
    with pytest.raises(exceptions.FileClosed):
        domain.check_new_part(a_file(status="closed"))


def test_notes_drafts_and_documents_need_an_electronic_file():
    domain.ensure_electronic(a_file(), "notes")
    with pytest.raises(exceptions.PhysicalFile):
        domain.ensure_electronic(a_file(kind="physical"), "notes")


def test_only_an_admin_of_the_office_transfers_to_an_active_successor_there():
    admin = user("admin.jhs", "COLL-JHS", ("admin",))
    leaving = user("so.jhs", "COLL-JHS", ("officer",), active=False)
    successor = user("adm.jhs", "COLL-JHS", ("officer",))
    domain.check_transfer(admin, leaving, successor)
    with pytest.raises(exceptions.NotAdmin):
        domain.check_transfer(user("clerk.jhs", "COLL-JHS", ("clerk",)), leaving, successor)
    with pytest.raises(exceptions.NotAdmin):
        domain.check_transfer(user("admin.jln", "COLL-JLN", ("admin",)), leaving, successor)
    with pytest.raises(exceptions.InvalidTransfer):
        domain.check_transfer(admin, leaving, user("adm.jhs", "COLL-JHS", (), active=False))
    with pytest.raises(exceptions.InvalidTransfer):
        domain.check_transfer(admin, leaving, user("sto.jhs", "TRY-JHS", ()))
    with pytest.raises(exceptions.InvalidTransfer):
        domain.check_transfer(admin, leaving, user("so.jhs", "COLL-JHS", ()))
    with pytest.raises(exceptions.InvalidTransfer):
        domain.check_transfer(admin, None, successor)


def test_a_receipt_is_linked_if_whoever_put_it_in_held_the_file_then():
    domain.check_receipt_link(a_file(), "so.jhs", "so.jhs")
    domain.check_receipt_link(a_file(custodian="dm.jhs", status="closed"), "so.jhs", "so.jhs")
    for file, putter, holder in [(None, "so.jhs", None), (a_file(), "dm.jhs", "so.jhs")]:
        with pytest.raises(exceptions.UnlinkableEvent):
            domain.check_receipt_link(file, putter, holder)


def test_only_green_notes_and_approved_drafts_are_signed():
    domain.check_signable("note", "green")
    domain.check_signable("draft", "approved")
    domain.check_signable("draft", "issued")
    for kind, status in [("note", "yellow"), ("draft", "draft"), ("note", None), ("letter", "green")]:
        with pytest.raises(exceptions.UnlinkableEvent):
            domain.check_signable(kind, status)


# --- noting -----------------------------------------------------------------------------------------

def test_paragraph_numbers_continue_from_the_last_green_note():
    text = "पहला अनुच्छेद।\n\nदूसरा अनुच्छेद।\n   \nतीसरा।"
    assert domain.split_paragraphs(text) == ["पहला अनुच्छेद।", "दूसरा अनुच्छेद।", "तीसरा।"]
    assert domain.number_paragraphs(0, text) == (1, 3)
    assert domain.number_paragraphs(3, "एक पंक्ति\nदूसरी पंक्ति") == (4, 4)


def test_a_yellow_note_changes_only_by_its_author_and_a_green_one_never():
    domain.check_note_change(note("n1", "so.jhs", "yellow"), "so.jhs")
    with pytest.raises(exceptions.NotAuthor):
        domain.check_note_change(note("n1", "so.jhs", "yellow"), "adm.jhs")
    with pytest.raises(exceptions.NoteConfirmed):
        domain.check_note_change(note("n1", "so.jhs", "green"), "so.jhs")


def test_a_note_references_only_this_files_correspondence_once_each():
    domain.check_references(["c1", "c2"], {"c1", "c2", "c3"})
    with pytest.raises(exceptions.InvalidReferences):
        domain.check_references(["c1", "c9"], {"c1"})
    with pytest.raises(exceptions.InvalidReferences):
        domain.check_references(["c1", "c1"], {"c1"})


def test_the_content_hash_is_of_the_utf8_text():
    assert domain.content_sha256("टिप्पणी") == hashlib.sha256("टिप्पणी".encode("utf-8")).hexdigest()
    assert domain.content_sha256("a") == "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"


# --- drafts -----------------------------------------------------------------------------------------

def test_an_officer_approves_the_latest_version_of_a_draft():
    in_draft = draft("d1", "draft", 3)
    domain.check_approve(in_draft, ("officer",))
    domain.check_approve(in_draft, ("officer",), version=3)
    with pytest.raises(exceptions.NotOfficer):
        domain.check_approve(in_draft, ("clerk",))
    with pytest.raises(exceptions.VersionConflict):
        domain.check_approve(in_draft, ("officer",), version=2)
    with pytest.raises(exceptions.DraftNotEditable):
        domain.check_approve(draft("d1", "approved", 3), ("officer",))


def test_only_an_approved_draft_is_issued_and_only_once():
    domain.check_issue(draft("d1", "approved", 2))
    with pytest.raises(exceptions.DraftNotApproved):
        domain.check_issue(draft("d1", "draft", 2))
    with pytest.raises(exceptions.DraftAlreadyIssued):
        domain.check_issue(draft("d1", "issued", 2))
    with pytest.raises(exceptions.DraftNotEditable):
        domain.check_draft_editable(draft("d1", "approved", 2))


def test_a_signature_shows_whether_the_content_still_matches():
    assert domain.signature_state(None, "abc") == {"signed": False, "content_matches": None}
    assert domain.signature_state("abc", "abc") == {"signed": True, "content_matches": True}
    assert domain.signature_state("abc", "abd") == {"signed": True, "content_matches": False}


# --- the audit chain --------------------------------------------------------------------------------

def chain(count, file_id="f1"):
    records, previous = [], None
    start = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)
    for seq in range(1, count + 1):
        at = start + timedelta(minutes=seq)
        details = {"remarks": f"टिप्पणी {seq}"}
        digest = domain.audit_hash(previous, file_id, seq, "sent", "so.jhs", at, details)
        records.append(AuditRecord(seq, "sent", "so.jhs", at, details, previous, digest))
        previous = digest
    return records


def test_an_intact_chain_verifies():
    records = chain(4)
    assert domain.verify_chain("f1", records, 4, records[-1].hash) == {"valid": True, "entries": 4, "first_broken": None}


def test_a_changed_entry_is_the_first_broken_one():
    records = chain(4)
    records[1] = AuditRecord(2, "sent", "so.jhs", records[1].at, {"remarks": "बदला हुआ"}, records[1].prev_hash, records[1].hash)
    report = domain.verify_chain("f1", records, 4, records[-1].hash)
    assert not report["valid"] and report["first_broken"]["seq"] == 2


def test_a_rehashed_entry_breaks_the_link_to_the_next():
    records = chain(3)
    forged = records[0]
    forged_hash = domain.audit_hash(None, "f1", 1, "sent", "dm.jhs", forged.at, forged.details)
    records[0] = AuditRecord(1, "sent", "dm.jhs", forged.at, forged.details, None, forged_hash)
    assert domain.verify_chain("f1", records, 3, records[-1].hash)["first_broken"]["seq"] == 2


def test_a_missing_entry_or_a_removed_last_entry_is_reported():
    records = chain(4)
    assert domain.verify_chain("f1", records[:1] + records[2:], 4, records[-1].hash)["first_broken"]["seq"] == 2
    report = domain.verify_chain("f1", records[:3], 4, records[-1].hash)
    assert not report["valid"] and report["first_broken"]["seq"] == 4


def test_the_hash_covers_the_file_and_ignores_how_the_time_zone_was_written():
    at = datetime(2026, 11, 20, 15, 30, tzinfo=domain.IST)
    naive_utc = datetime(2026, 11, 20, 10, 0)
    assert domain.audit_hash(None, "f1", 1, "a", "u", at, {}) == domain.audit_hash(None, "f1", 1, "a", "u", naive_utc, {})
    assert domain.audit_hash(None, "f1", 1, "a", "u", at, {}) != domain.audit_hash(None, "f2", 1, "a", "u", at, {})
