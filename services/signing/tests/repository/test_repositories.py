"""signing's repositories on both databases they run on: PostgreSQL (tests and production) and SQLite
(`make run`). The one-holder indexes (a key label, a certificate: one active registration each) are
partial unique indexes on both, and a registration that loses the race to one is a conflict on both."""
import hashlib
import os
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import IntegrityError

from eoffice_common.db import UnitOfWork
from eoffice_common.testing import empty, repository_database
from signing import domain
from signing.exceptions import (
    CertificateNotFound,
    DocumentNotFound,
    KeyBoundToAnother,
    NoCertificate,
    SignatureNotFound,
    UnknownUser,
)
from signing.models import Certificate, Document, Signature
from signing.repository import DIRECTORY, SigningUnitOfWork

SERVICE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
T0 = datetime(2026, 12, 7, 4, 30, tzinfo=timezone.utc)
MINUTE, DAY = timedelta(minutes=1), timedelta(days=1)
NOTE_TEXT = "प्रस्ताव अनुमोदन हेतु प्रस्तुत है। भूमि अभिलेख में नाम संशोधन किया जाए।"


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def migrated(request, tmp_path_factory):
    with repository_database(request.param, SERVICE_DIR, "signing", tmp_path_factory) as database:
        yield database


@pytest.fixture
def new_uow(migrated):
    """A SigningUnitOfWork on the migrated database, emptied after each test."""
    engine, tables = migrated
    yield lambda: SigningUnitOfWork(lambda: UnitOfWork(engine, actor="tester", correlation_id=None))
    empty(engine, tables)


def user(user_id, office="COLL-JHS", name_hi="आशा वर्मा", active=True):
    return {"user_id": user_id, "office": office, "district": "JHS", "name_en": "Asha Verma", "name_hi": name_hi,
            "designation_en": "District Magistrate", "designation_hi": "ज़िलाधिकारी", "email": f"{user_id}@up.example.in",
            "active": active}


def note(note_id, owner="dm.jhs", text=NOTE_TEXT):
    return Document(kind=domain.NOTE, id=note_id, file_id="F-1", file_number="N-11016/6/2026-COLL-JHS", owner=owner,
                    office="COLL-JHS", district="JHS", classification="normal", subject="भूमि अभिलेख", text=text,
                    first_paragraph=3, version=None, content_sha256=hashlib.sha256(text.encode()).hexdigest(),
                    text_sha256=hashlib.sha256(text.encode()).hexdigest(), confirmed_at=T0.isoformat(), received_at=T0)


def signature(document, signer, position, requested_at, certificate_id="cert-1", status="requested"):
    return Signature(id=str(uuid.uuid4()), document_kind=document.kind, document_id=document.id, file_id=document.file_id,
                     position=position, signer=signer, method=domain.DSC, certificate_id=certificate_id, status=status,
                     reason="अनुमोदित", location="झाँसी", requested_at=requested_at, content_sha256=document.content_sha256)


def certificate(user_id, registered_at=T0, source=domain.DSC, key_label=None, fingerprint=None, status=domain.ACTIVE):
    fingerprint = fingerprint or uuid.uuid4().hex * 2
    return Certificate(id=str(uuid.uuid4()), user_id=user_id, source=source, key_label=key_label,
                       serial=fingerprint[:16], issuer="CN=परीक्षण CA,C=IN", subject=f"CN=आशा वर्मा,UID={user_id},C=IN",
                       fingerprint_sha256=fingerprint, not_before=T0 - DAY, not_after=T0 + 365 * DAY,
                       der=b"\x30\x82" + fingerprint.encode(), status=status, registered_at=registered_at)


def directory(new_uow, *users):
    with new_uow() as uow:
        for data in users:
            DIRECTORY.record_user(uow.session, data, T0)
        DIRECTORY.record_office(uow.session, {"office": "COLL-JHS", "district": "JHS", "name_en": "Collectorate Jhansi",
                                              "name_hi": "कलेक्ट्रेट झाँसी"}, T0)
        uow.commit()


def registered(new_uow, *certificates):
    with new_uow() as uow:
        for c in certificates:
            uow.certificates.add(c)
        uow.commit()
    return certificates


def test_a_document_is_read_back_with_its_signing_order_and_signatures(new_uow):
    with new_uow() as uow:
        document = note("note-1")
        uow.documents.add(document)
        uow.documents.set_signers(domain.NOTE, "note-1", ["so.jhs", "dm.jhs"])
        uow.commit()
    with new_uow() as uow:
        uow.documents.set_signers(domain.NOTE, "note-1", ["adm.jhs", "so.jhs", "dm.jhs"])  # the order set again
        later = signature(document, "dm.jhs", 3, T0 + MINUTE)
        first, second = signature(document, "adm.jhs", 1, T0), signature(document, "so.jhs", 2, T0, status="signed")
        for s in (later, second, first):
            uow.signatures.add(s)
        uow.commit()
    with new_uow() as uow:
        found, view, signatures = uow.documents.get(domain.NOTE, "note-1")
        assert (found.text, found.subject, found.first_paragraph, found.received_at) == (NOTE_TEXT, "भूमि अभिलेख", 3, T0)
        assert [s.id for s in signatures] == [first.id, second.id, later.id]  # by request time, then position
        assert (view.owner, view.signers, view.text_sha256, view.changed_after_signing) == (
            "dm.jhs", ["adm.jhs", "so.jhs", "dm.jhs"], hashlib.sha256(NOTE_TEXT.encode()).hexdigest(), False)
        assert [(s.signer, s.status, s.requested_at) for s in view.signed()] == [("so.jhs", "signed", T0)]
        assert uow.documents.find(domain.DRAFT, "note-1") is None and uow.documents.find(domain.NOTE, "note-2") is None
        assert uow.documents.find(domain.NOTE, "note-1", for_update=True) is found
        with pytest.raises(DocumentNotFound):
            uow.documents.get(domain.DRAFT, "note-1")
        stored = uow.signatures.get(later.id)
        assert (stored.reason, stored.location, stored.position) == ("अनुमोदित", "झाँसी", 3)
        with pytest.raises(SignatureNotFound):
            uow.signatures.get("no-such-signature")


def test_a_certificates_key_label_and_fingerprint_are_one_officers_while_active(new_uow):
    mine = certificate("dm.jhs", key_label="dm-key")
    registered(new_uow, mine)
    for taken in (certificate("adm.jhs", key_label="dm-key"), certificate("adm.jhs", fingerprint=mine.fingerprint_sha256)):
        with new_uow() as uow, pytest.raises(KeyBoundToAnother):
            uow.certificates.add(taken)
    same_id = certificate("adm.jhs", key_label="adm-key")
    same_id.id = mine.id
    with new_uow() as uow, pytest.raises(IntegrityError):  # any other refusal is a fault, not a conflict
        uow.certificates.add(same_id)
    with new_uow() as uow:  # a registration taking the key over ends the old one first, in the same transaction
        (old,) = uow.certificates.active_registrations(mine.fingerprint_sha256, "dm-key")
        old.revoke("now the ADM's", "COLL-JHS", T0 + MINUTE)
        uow.certificates.add(certificate("adm.jhs", key_label="dm-key", registered_at=T0 + MINUTE))
        uow.certificates.add(certificate("so.jhs", source=domain.ESIGN))
        uow.certificates.add(certificate("clerk.jhs", source=domain.ESIGN))  # eSign certificates have no key label
        uow.commit()
    with new_uow() as uow:
        assert uow.certificates.get(mine.id).status == domain.REVOKED
        assert [c.user_id for c in uow.certificates.active_registrations("unknown", "dm-key")] == ["adm.jhs"]
        assert uow.certificates.active_registrations(mine.fingerprint_sha256, None) == []
        assert sorted(c.user_id for c in uow.certificates.active()) == ["adm.jhs", "clerk.jhs", "so.jhs"]


def test_an_officers_certificates_newest_first_and_the_usable_one_of_each_source(new_uow):
    directory(new_uow, user("dm.jhs"), user("adm.jhs"), user("sto.jhs", office="TRY-JHS"))
    old, revoked = certificate("dm.jhs", registered_at=T0 - DAY), certificate("dm.jhs", registered_at=T0 + DAY, status=domain.REVOKED)
    newest, esign = certificate("dm.jhs", registered_at=T0), certificate("dm.jhs", registered_at=T0 - MINUTE, source=domain.ESIGN)
    adm = certificate("adm.jhs", registered_at=T0 + DAY)
    registered(new_uow, old, revoked, newest, esign, adm, certificate("sto.jhs"))
    with new_uow() as uow:
        assert [c.id for c in uow.certificates.of_user("dm.jhs")] == [revoked.id, newest.id, esign.id, old.id]
        # active first, then by officer, newest first
        assert [c.id for c in uow.certificates.of_office("COLL-JHS")] == [adm.id, newest.id, esign.id, old.id, revoked.id]
        assert (uow.certificates.usable("dm.jhs", domain.DSC).id, uow.certificates.usable("dm.jhs", domain.ESIGN).id) == (
            newest.id, esign.id)
        with pytest.raises(NoCertificate):
            uow.certificates.usable("adm.jhs", domain.ESIGN)
        assert {c.id for c in uow.certificates.active_of("dm.jhs")} == {old.id, newest.id, esign.id}
        assert uow.certificates.get(adm.id, "adm.jhs").der == adm.der
        with pytest.raises(CertificateNotFound):
            uow.certificates.get(adm.id, "dm.jhs")  # not the caller's
        with pytest.raises(CertificateNotFound):
            uow.certificates.get("no-such-certificate")


def test_a_certificate_found_by_fingerprint_is_its_active_registration_else_its_latest(new_uow):
    first = certificate("dm.jhs", registered_at=T0 - DAY, status=domain.REVOKED)
    second = certificate("adm.jhs", registered_at=T0 + DAY, fingerprint=first.fingerprint_sha256, status=domain.REVOKED)
    active = certificate("so.jhs", registered_at=T0, fingerprint=first.fingerprint_sha256)
    gone = certificate("dm.jhs", registered_at=T0 - DAY, status=domain.REVOKED)
    latest = certificate("adm.jhs", registered_at=T0, fingerprint=gone.fingerprint_sha256, status=domain.REVOKED)
    registered(new_uow, first, second, active, gone, latest)
    with new_uow() as uow:
        found = uow.certificates.by_fingerprint([first.fingerprint_sha256, gone.fingerprint_sha256, "unknown"])
        assert {fingerprint: c.id for fingerprint, c in found.items()} == {
            first.fingerprint_sha256: active.id, gone.fingerprint_sha256: latest.id}


def test_the_directory_copy_knows_active_users_and_their_offices(new_uow):
    directory(new_uow, user("dm.jhs"), user("old.jhs", name_hi="सेवानिवृत्त अधिकारी", active=False))
    with new_uow() as uow:
        dm = uow.directory.user("dm.jhs")
        assert (dm.name_hi, dm.designation_hi, dm.email, dm.office) == ("आशा वर्मा", "ज़िलाधिकारी", "dm.jhs@up.example.in", "COLL-JHS")
        for unknown in ("old.jhs", "nobody"):
            with pytest.raises(UnknownUser):
                uow.directory.user(unknown)
        assert set(uow.directory.users_by_id(["dm.jhs", "old.jhs", "nobody"])) == {"dm.jhs", "old.jhs"}
        assert uow.directory.active_user_ids(["dm.jhs", "old.jhs", "nobody"]) == {"dm.jhs"}
        assert uow.directory.office("COLL-JHS").name_hi == "कलेक्ट्रेट झाँसी" and uow.directory.office("NONE") is None
        assert (uow.directory.office_of("old.jhs"), uow.directory.office_of("nobody")) == ("COLL-JHS", "")
