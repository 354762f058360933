"""Every signing use case on the in-memory unit of work and engine: what it leaves in the
repositories and which events it commits."""
from datetime import timedelta
from types import SimpleNamespace

import pytest

from signing import domain, usecases
from signing.events import (
    CertificateRegistered,
    CertificateRevoked,
    DocumentSigned,
    SignatureFailed,
    SignatureRequested,
)
from signing.exceptions import (
    CertificateAlreadyRegistered,
    CertificateNotFound,
    CertificateRefused,
    CertificateRevokedAlready,
    DocumentNotFound,
    InvalidSigners,
    KeyBoundToAnother,
    NotOwner,
    OutOfTurn,
    SignatureNotFound,
    SigningOrderFixed,
    SigningUnavailable,
)
from signing.models import Signature
from signing.usecases import (
    Caller,
    OnDocument,
    RecordDocument,
    RegisterCertificate,
    RevokeCertificate,
    SetSigners,
    SignDocument,
    VerifyPdf,
)

from .conftest import NOW, certificate

DM = Caller("dm.jhs", "COLL-JHS")
ADM = Caller("adm.jhs", "COLL-JHS")
TIMEOUT = timedelta(minutes=5)
TEXT = "भूमि अभिलेख में नाम संशोधन हेतु प्रस्ताव अनुमोदित किया जाता है।"


def register(uow, engine, caller=DM, dsc=None, key_label=None):
    dsc = dsc or certificate(user_id=caller.user_id)
    return usecases.register_certificate(RegisterCertificate(
        caller, domain.DSC, key_label or caller.user_id, dsc, engine.facts(dsc), NOW), uow)


def confirmed_note(uow, note_id="n-1", author="dm.jhs", text=TEXT, signers=None, classification="normal", now=NOW):
    data = SimpleNamespace(file_id="f-1", file_number="N-11016/6/2026-COLL-JHS", office="COLL-JHS", district="JHS",
                           classification=classification, content_sha256=domain.sha256_hex(text),
                           confirmed_at="2026-11-20T11:30:00+05:30", signers=signers)
    document = usecases.record_document(RecordDocument(domain.NOTE, note_id, author, text, None, None, data, now), uow)
    uow.commit()
    return document


def sign(uow, engine, caller=DM, note_id="n-1"):
    return usecases.sign(SignDocument(caller, domain.NOTE, note_id, domain.DSC, None, "झाँसी", TIMEOUT), uow, engine)


# --- certificates ---------------------------------------------------------------------------------

def test_a_dsc_in_the_officers_name_and_identity_is_registered_and_announced(uow, engine):
    record = register(uow, engine)
    assert (record.user_id, record.status, record.key_label) == ("dm.jhs", domain.ACTIVE, "dm.jhs")
    assert uow.certificates.rows == {record.id: record} and uow.answers == [record]
    [registered] = uow.events_of(CertificateRegistered)
    assert (registered.certificate_id, registered.office, registered.source) == (record.id, "COLL-JHS", "dsc")


def test_a_certificate_in_another_name_or_naming_another_officer_is_refused(uow, engine):
    with pytest.raises(CertificateRefused) as wrong_name:
        register(uow, engine, dsc=certificate(common_name="Anita Verma"))
    assert wrong_name.value.reason == "certificate_name_mismatch"
    with pytest.raises(CertificateRefused) as namesake:
        register(uow, engine, dsc=certificate(user_id="dm.jln"))  # the other Ravi Kumar's
    assert namesake.value.reason == "certificate_identity_mismatch"
    assert uow.certificates.rows == {} and uow.committed_events == []


def test_a_key_is_one_officers_and_is_registered_once(uow, engine):
    dsc = certificate()
    register(uow, engine, dsc=dsc)
    with pytest.raises(CertificateAlreadyRegistered):
        register(uow, engine, dsc=dsc)
    with pytest.raises(KeyBoundToAnother):
        register(uow, engine, caller=ADM, dsc=certificate("Anita Verma", "adm.jhs"), key_label="dm.jhs")
    assert len(uow.certificates.rows) == 1


def test_a_namesakes_registration_that_its_certificate_does_not_name_is_taken_over(uow, engine):
    dsc = certificate()
    namesake = register(uow, engine, dsc=dsc)
    namesake.user_id = "dm.jln"  # registered by the other Ravi Kumar before keys were bound to identities
    taken = register(uow, engine, dsc=dsc)
    assert (namesake.status, taken.status) == (domain.REVOKED, domain.ACTIVE)
    [revoked] = uow.events_of(CertificateRevoked)
    assert (revoked.certificate_id, revoked.office) == (namesake.id, "COLL-JLN")
    assert "does not name" in namesake.revocation_reason


def test_the_holder_or_an_admin_revokes_a_certificate_once(uow, engine):
    record = register(uow, engine)
    with pytest.raises(CertificateNotFound):
        usecases.revoke_certificate(RevokeCertificate(ADM, record.id, "not mine", NOW), uow)
    admin = Caller("admin.jhs", "COLL-JHS", is_admin=True)
    revoked = usecases.revoke_certificate(RevokeCertificate(admin, record.id, "टोकन खो गया", NOW), uow)
    assert (revoked.status, revoked.revocation_reason, uow.answers[-1]) == (domain.REVOKED, "टोकन खो गया", revoked)
    assert uow.events_of(CertificateRevoked)[0].reason == "टोकन खो गया"
    with pytest.raises(CertificateRevokedAlready):
        usecases.revoke_certificate(RevokeCertificate(DM, record.id, "again", NOW), uow)
    assert usecases.certificates_of(DM, uow) == [revoked] and usecases.certificate_of(DM, record.id, uow) is revoked


def test_certificates_their_ca_revoked_and_those_of_a_deactivated_user_end(uow, engine):
    withdrawn, kept = register(uow, engine), register(uow, engine, caller=ADM, dsc=certificate("Anita Verma", "adm.jhs"))
    engine.revoked_by_ca.add(withdrawn.fingerprint_sha256)
    assert usecases.revoke_withdrawn_certificates(engine.revocations(), NOW, uow) == 1
    assert (withdrawn.status, kept.status) == (domain.REVOKED, domain.ACTIVE)
    assert withdrawn.revocation_reason == "revoked by its CA: key_compromise"
    usecases.end_registrations_of("adm.jhs", "COLL-JHS", uow)
    uow.commit()
    assert kept.status == domain.REVOKED
    assert [e.certificate_id for e in uow.events_of(CertificateRevoked)] == [withdrawn.id, kept.id]


# --- documents ------------------------------------------------------------------------------------

def test_a_confirmed_note_is_kept_with_its_author_as_signer_and_changes_after_signing_are_marked(uow, engine):
    document = confirmed_note(uow)
    assert (document.owner, document.text, uow.documents.signers_of("note", "n-1")) == ("dm.jhs", TEXT, ["dm.jhs"])
    assert document.changed_after_signing_at is None
    register(uow, engine)
    sign(uow, engine)
    confirmed_note(uow, text=TEXT + " (बदला गया)", now=NOW + timedelta(hours=1))
    assert document.changed_after_signing_at == NOW + timedelta(hours=1)


def test_the_owner_sets_the_signing_order_until_signing_begins(uow, engine):
    confirmed_note(uow)
    command = SetSigners(DM, "note", "n-1", ["dm.jhs", "adm.jhs"], NOW, TIMEOUT)
    with pytest.raises(NotOwner):
        usecases.set_signers(SetSigners(ADM, "note", "n-1", ["adm.jhs", "dm.jhs"], NOW, TIMEOUT), uow)
    with pytest.raises(InvalidSigners):
        usecases.set_signers(SetSigners(DM, "note", "n-1", ["dm.jhs", "nobody.jhs"], NOW, TIMEOUT), uow)
    state = usecases.set_signers(command, uow)
    assert state.view.signers == ["dm.jhs", "adm.jhs"] and uow.answers[-1] is state
    register(uow, engine)
    sign(uow, engine)
    with pytest.raises(SigningOrderFixed):
        usecases.set_signers(command, uow)


def test_a_secret_note_is_seen_only_by_its_signers(uow):
    confirmed_note(uow, classification="secret")
    assert usecases.document_of(OnDocument(DM, "note", "n-1"), uow).document.id == "n-1"
    with pytest.raises(DocumentNotFound):
        usecases.document_of(OnDocument(ADM, "note", "n-1"), uow)


# --- signing --------------------------------------------------------------------------------------

def test_signers_sign_in_turn_each_on_the_pdf_the_last_one_left(uow, engine):
    confirmed_note(uow, signers=["dm.jhs", "adm.jhs"])
    register(uow, engine)
    register(uow, engine, caller=ADM, dsc=certificate("Anita Verma", "adm.jhs"))
    with pytest.raises(OutOfTurn):
        sign(uow, engine, caller=ADM)
    first = sign(uow, engine)
    assert (first.status, first.position, first.reason) == (domain.SIGNED, 1, "Noted and signed / टिप्पणी हस्ताक्षरित")
    document = uow.documents.rows[("note", "n-1")]
    assert document.pdf_key == first.pdf_key and engine.stored[first.pdf_key].startswith(b"%PDF preview of note n-1")
    second = sign(uow, engine, caller=ADM)
    assert engine.stored[second.pdf_key] == engine.stored[first.pdf_key] + " +Signature2 Anita Verma".encode()
    assert [e.position for e in uow.events_of(SignatureRequested)] == [1, 2]
    assert [(e.position, e.fully_signed, e.signer_name) for e in uow.events_of(DocumentSigned)] == [
        (1, False, "Ravi Kumar"), (2, True, "Anita Verma")]
    pdf, signed = usecases.document_pdf(OnDocument(DM, "note", "n-1"), uow, engine)
    assert (pdf, signed) == (engine.stored[second.pdf_key], True)
    assert usecases.signature_of(ADM, first.id, uow) is first


def test_a_signature_that_fails_outside_is_recorded_failed_and_announced(uow, engine):
    confirmed_note(uow)
    register(uow, engine)
    engine.failure = SigningUnavailable("the PKCS#11 token cannot be opened", reason="token_unavailable")
    with pytest.raises(SigningUnavailable):
        sign(uow, engine)
    [failed] = uow.signatures.rows.values()
    assert (failed.status, failed.failure_reason) == (domain.FAILED, "token_unavailable")
    [announced] = uow.events_of(SignatureFailed)
    assert (announced.signature_id, announced.reason, announced.office) == (failed.id, "token_unavailable", "COLL-JHS")
    assert uow.documents.rows[("note", "n-1")].pdf_key is None
    engine.failure = None
    assert sign(uow, engine).status == domain.SIGNED  # a failed attempt holds nobody up


def test_a_request_never_completed_is_failed_as_abandoned_by_the_next_signature(uow, engine):
    confirmed_note(uow)
    record = register(uow, engine)
    uow.signatures.add(Signature(id="s-old", document_kind="note", document_id="n-1", file_id="f-1", position=1,
                                 signer="dm.jhs", method="dsc", certificate_id=record.id, status=domain.REQUESTED,
                                 requested_at=usecases.utcnow() - timedelta(hours=1), content_sha256="a" * 64))
    sign(uow, engine)
    assert uow.signatures.rows["s-old"].failure_reason == "abandoned: never completed"
    assert [e.signature_id for e in uow.events_of(SignatureFailed)] == ["s-old"]


def test_a_certificate_its_ca_revoked_signs_nothing_and_its_registration_ends(uow, engine):
    confirmed_note(uow)
    record = register(uow, engine)
    engine.revoked_by_ca.add(record.fingerprint_sha256)
    with pytest.raises(CertificateRefused) as refused:
        sign(uow, engine)
    assert refused.value.reason == "certificate_revoked" and record.status == domain.REVOKED
    assert uow.signatures.rows == {} and [e.certificate_id for e in uow.events_of(CertificateRevoked)] == [record.id]


def test_an_unsigned_note_gives_a_preview(uow, engine):
    confirmed_note(uow)
    pdf, signed = usecases.document_pdf(OnDocument(DM, "note", "n-1"), uow, engine)
    assert (pdf, signed) == (b"%PDF preview of note n-1 by 1", False)


# --- verification ---------------------------------------------------------------------------------

def check(fingerprint, position=1):
    return domain.SignatureCheck(position, f"signature-{position}", "Ravi Kumar", NOW, True, True, True, True, None,
                                 None, fingerprint, "01", "CN=Ravi Kumar")


def test_a_documents_signatures_are_checked_against_the_signers_and_certificates_recorded(uow, engine):
    confirmed_note(uow)
    record = register(uow, engine)
    sign(uow, engine)
    engine.checks = [check(record.fingerprint_sha256)]
    verification = usecases.verify_document(OnDocument(DM, "note", "n-1"), uow, engine)
    assert verification.verdict == {"valid": True, "reasons": []}
    assert (engine.checks[0].registered_user, engine.checks[0].expected_signer) == ("dm.jhs", "dm.jhs")
    engine.checks = [check("f" * 64)]
    verification = usecases.verify_document(OnDocument(DM, "note", "n-1"), uow, engine)
    assert {r["code"] for r in verification.verdict["reasons"]} == {"unknown_signer", "signer_mismatch"}


def test_an_uploaded_pdf_without_signatures_is_not_valid(uow, engine):
    verification = usecases.verify_pdf(VerifyPdf(DM, b"%PDF-1.7"), uow, engine)
    assert (verification.verdict["valid"], verification.document) == (False, None)
    with pytest.raises(SignatureNotFound):
        usecases.signature_of(DM, "s-none", uow)
