from datetime import datetime, timedelta, timezone

import pytest

from signing import domain, exceptions
from signing.domain import CertificateFacts, DocumentView, Revocation, SignatureCheck, SignatureView

NOW = datetime(2026, 11, 20, 6, 0, tzinfo=timezone.utc)
TIMEOUT = timedelta(minutes=5)


def document(kind="note", signers=("dm.jhs",), signatures=(), **overrides):
    values = dict(
        kind=kind, id="n-1", owner=signers[0], office="COLL-JHS", classification="normal",
        content_sha256="a" * 64, text_sha256="a" * 64, signers=list(signers), signatures=list(signatures),
    )
    values.update(overrides)
    return DocumentView(**values)


def signed(position, signer, minutes_ago=10):
    return SignatureView(f"s{position}", position, signer, domain.SIGNED, NOW - timedelta(minutes=minutes_ago))


def facts(**overrides):
    values = dict(
        common_name="Asha Verma", not_before=NOW - timedelta(days=30), not_after=NOW + timedelta(days=300),
        key_usages=frozenset({"digital_signature", "non_repudiation"}), key_type="rsa",
    )
    values.update(overrides)
    return CertificateFacts(**values)


def check(**overrides):
    values = dict(
        position=1, field_name="Signature1", signer_name="Asha Verma", signed_at=NOW, intact=True, valid=True,
        covers_document=True, trusted=True, trust_problem=None, revocation=None, fingerprint="f1", serial="1A",
        subject="Asha Verma", registered_user="dm.jhs", registered_status="active",
    )
    values.update(overrides)
    return SignatureCheck(**values)


def test_the_content_hash_is_the_sha256_of_the_utf8_text():
    assert domain.sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_only_a_signer_in_the_order_signs():
    with pytest.raises(exceptions.NotASigner, match="author"):
        domain.plan_signature(document(), "so.jhs", NOW, TIMEOUT)
    with pytest.raises(exceptions.NotASigner, match="approver"):
        domain.plan_signature(document(kind="draft"), "so.jhs", NOW, TIMEOUT)
    assert domain.plan_signature(document(), "dm.jhs", NOW, TIMEOUT) == 1


def test_signers_sign_in_order_and_once():
    minutes = document(signers=("so.jhs", "adm.jhs", "dm.jhs"), signatures=[signed(1, "so.jhs")])
    with pytest.raises(exceptions.OutOfTurn, match="adm.jhs signs before you"):
        domain.plan_signature(minutes, "dm.jhs", NOW, TIMEOUT)
    with pytest.raises(exceptions.AlreadySigned):
        domain.plan_signature(minutes, "so.jhs", NOW, TIMEOUT)
    assert domain.plan_signature(minutes, "adm.jhs", NOW, TIMEOUT) == 2
    assert minutes.next_signer() == (2, "adm.jhs") and not minutes.fully_signed


def test_a_pending_signature_blocks_another_until_it_is_abandoned():
    pending = SignatureView("s1", 1, "dm.jhs", domain.REQUESTED, NOW - timedelta(minutes=1))
    with pytest.raises(exceptions.SignatureInProgress):
        domain.plan_signature(document(signatures=[pending]), "dm.jhs", NOW, TIMEOUT)
    old = SignatureView("s1", 1, "dm.jhs", domain.REQUESTED, NOW - timedelta(minutes=6))
    assert domain.stale_requests(document(signatures=[old]), NOW, TIMEOUT) == [old]
    assert domain.plan_signature(document(signatures=[old]), "dm.jhs", NOW, TIMEOUT) == 1


def test_changed_content_cannot_be_signed():
    with pytest.raises(exceptions.ContentChanged) as mismatch:
        domain.plan_signature(document(text_sha256="b" * 64), "dm.jhs", NOW, TIMEOUT)
    assert mismatch.value.reason == "content_hash_mismatch"
    with pytest.raises(exceptions.ContentChanged) as changed:
        domain.plan_signature(document(changed_after_signing=True), "dm.jhs", NOW, TIMEOUT)
    assert changed.value.reason == "content_changed"


def test_the_owner_sets_the_order_before_anyone_signs():
    domain.ensure_can_set_order(document(), "dm.jhs", NOW, TIMEOUT)
    with pytest.raises(exceptions.NotOwner):
        domain.ensure_can_set_order(document(), "so.jhs", NOW, TIMEOUT)
    with pytest.raises(exceptions.SigningOrderFixed):
        domain.ensure_can_set_order(document(signatures=[signed(1, "dm.jhs")]), "dm.jhs", NOW, TIMEOUT)


@pytest.mark.parametrize("signers, known", [
    ([], set()), (["dm.jhs", "dm.jhs"], {"dm.jhs"}), (["so.jhs"], {"so.jhs"}), (["dm.jhs", "ghost"], {"dm.jhs"}),
    ([f"u{i}" for i in range(21)] + ["dm.jhs"], None),
])
def test_bad_signing_orders_are_refused(signers, known):
    with pytest.raises(exceptions.InvalidSigners):
        domain.check_signing_order("dm.jhs", signers, known if known is not None else set(signers))


def test_a_restricted_document_is_seen_only_by_its_signers():
    secret = document(classification="secret", signers=("dm.jhs", "adm.jhs"))
    assert domain.can_view(secret, "adm.jhs", "COLL-JHS")
    assert not domain.can_view(secret, "so.jhs", "COLL-JHS")
    assert domain.can_view(document(), "so.jhs", "COLL-JHS")
    with pytest.raises(exceptions.DocumentNotFound):
        domain.ensure_visible(document(), "sto.jhs", "TRY-JHS")


@pytest.mark.parametrize("overrides, reason", [
    ({"not_after": NOW - timedelta(days=1)}, "certificate_expired"),
    ({"not_before": NOW + timedelta(days=1)}, "certificate_not_yet_valid"),
    ({"key_usages": frozenset({"key_encipherment"})}, "key_usage_not_allowed"),
    ({"key_type": "ec"}, "unsupported_key_type"),
    ({"revocation": Revocation(NOW - timedelta(days=2), "key_compromise")}, "certificate_revoked"),
    ({"chain_problem": "no configured CA issued 'CN=Rogue CA'"}, "untrusted_chain"),
])
def test_unusable_certificates_are_refused_with_the_reason(overrides, reason):
    with pytest.raises(exceptions.CertificateRefused) as refused:
        domain.ensure_usable(facts(**overrides), NOW)
    assert refused.value.reason == reason and refused.value.status == 422


def test_an_expired_certificate_says_when_it_expired_in_india():
    problem = domain.certificate_problem(facts(not_after=datetime(2026, 3, 31, 20, 0, tzinfo=timezone.utc)), NOW)
    assert problem == ("certificate_expired", "the certificate expired on 2026-04-01")


def test_a_certificate_must_be_in_the_officers_name():
    domain.ensure_certificate_names(facts(common_name="ASHA  VERMA"), "Asha Verma")
    with pytest.raises(exceptions.CertificateRefused) as refused:
        domain.ensure_certificate_names(facts(common_name="Ramesh Kumar"), "Asha Verma")
    assert refused.value.reason == "certificate_name_mismatch"


def test_only_the_holder_or_an_admin_revokes_and_only_once():
    domain.ensure_can_revoke("dm.jhs", domain.ACTIVE, "admin.jhs", is_admin=True)
    with pytest.raises(exceptions.NotOwner):
        domain.ensure_can_revoke("dm.jhs", domain.ACTIVE, "so.jhs", is_admin=False)
    with pytest.raises(exceptions.CertificateRevokedAlready):
        domain.ensure_can_revoke("dm.jhs", domain.REVOKED, "dm.jhs", is_admin=False)


def test_a_sound_signature_by_its_registered_signer_is_valid():
    assert domain.verdict([check()], "a" * 64, "a" * 64) == {"valid": True, "reasons": []}


@pytest.mark.parametrize("overrides, code", [
    ({"intact": False}, "document_modified"),
    ({"valid": False}, "signature_invalid"),
    ({"covers_document": False}, "modified_after_signing"),
    ({"trusted": False}, "untrusted_chain"),
    ({"trusted": False, "revocation": Revocation(NOW, "key_compromise")}, "certificate_revoked"),
    ({"registered_status": "revoked"}, "certificate_revoked"),
    ({"registered_user": None}, "unknown_signer"),
    ({"expected_signer": "so.jhs"}, "signer_mismatch"),
    ({"expected_fingerprint": "f2"}, "signer_mismatch"),
])
def test_each_defect_of_a_signature_has_its_reason(overrides, code):
    result = domain.verdict([check(**overrides)])
    assert result["valid"] is False
    assert [r["code"] for r in result["reasons"]] == [code]


def test_changed_content_missing_and_absent_signatures_make_a_document_invalid():
    assert domain.verdict([check()], "a" * 64, "b" * 64)["reasons"] == [{"code": "content_changed", "category": "integrity"}]
    assert [r["code"] for r in domain.verdict([check()], signatures_expected=2)["reasons"]] == ["signatures_missing"]
    assert [r["code"] for r in domain.verdict([])["reasons"]] == ["no_signatures"]


def test_a_certificate_is_bound_by_the_directory_identity_it_names_not_by_its_name():
    domain.ensure_certificate_identity(facts(user_ids=frozenset({"dm.jhs"})), "dm.jhs", None)
    domain.ensure_certificate_identity(facts(emails=frozenset({"dm.jhs@up.gov.example"})), "dm.jhs", "DM.JHS@up.gov.example")
    for namesake in (facts(user_ids=frozenset({"dm.jhs"})), facts()):
        with pytest.raises(exceptions.CertificateRefused) as refused:
            domain.ensure_certificate_identity(namesake, "sdm.lko", "sdm.lko@up.gov.example")
        assert refused.value.reason == "certificate_identity_mismatch"


def test_a_key_rightly_registered_to_one_officer_is_nobody_elses():
    assert domain.registrations_taken_over([], "dm.jhs") == []
    with pytest.raises(exceptions.KeyBoundToAnother):
        domain.registrations_taken_over([domain.Registration("c1", "dm.jhs", names_holder=True)], "sdm.lko")
    with pytest.raises(exceptions.CertificateAlreadyRegistered):
        domain.registrations_taken_over([domain.Registration("c1", "dm.jhs", names_holder=True)], "dm.jhs")


def test_a_namesakes_registration_of_a_key_ends_when_the_officer_it_names_registers_it():
    namesakes = domain.Registration("c1", "sdm.lko", names_holder=False)
    assert domain.registrations_taken_over([namesakes], "dm.jhs") == ["c1"]
