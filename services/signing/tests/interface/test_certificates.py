"""Registering, refusing and revoking certificates: validity, key usage, chain, CRLs (file and URL)."""
import hashlib

import pytest
from cryptography.hazmat.primitives import serialization
from nameko.testing.services import entrypoint_hook


def pem(certificate):
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def test_a_dsc_is_registered_from_the_token(office, event_tap, pki):
    tap = event_tap("signing")
    response = office.register_dsc("dm.jhs")
    assert response.status_code == 201, response.text
    certificate = response.json()
    assert (certificate["source"], certificate["key_label"], certificate["status"]) == ("dsc", "dm.jhs", "active")
    assert certificate["serial"] == format(pki.certificates["dm.jhs"].serial_number, "X")
    assert "Asha Verma" in certificate["subject"]
    event = tap.wait_for("certificate_registered")
    assert (event["data"]["user_id"], event["data"]["serial"], event["data"]["source"]) == ("dm.jhs", certificate["serial"], "dsc")
    assert [c["id"] for c in office.get("/certificates", "dm.jhs").json()["certificates"]] == [certificate["id"]]
    assert office.get(f"/certificates/{certificate['id']}", "so.jhs").status_code == 404
    again = office.register_dsc("dm.jhs")
    assert (again.status_code, again.json()["error"]) == (409, "certificate_already_registered")


@pytest.mark.parametrize("which, reason", [
    ("expired", "certificate_expired"),
    ("revoked", "certificate_revoked"),
    ("rogue", "untrusted_chain"),
    ("no_signing_usage", "key_usage_not_allowed"),
])
def test_unusable_certificates_are_refused_with_the_reason(office, pki, which, reason):
    response = office.register_dsc("clerk.jhs", certificate=pki.special[which])
    assert (response.status_code, response.json()["error"]) == (422, reason), response.text
    assert response.json()["message"]


def test_a_certificate_must_match_the_key_and_the_officer(office, pki):
    mismatch = office.register_dsc("clerk.jhs", certificate=pki.certificates["dm.jhs"])
    assert (mismatch.status_code, mismatch.json()["error"]) == (422, "certificate_mismatch")
    someone_else = office.register_dsc("dm.jhs", key_label="so.jhs")
    assert (someone_else.status_code, someone_else.json()["error"]) == (422, "certificate_name_mismatch")
    missing = office.register_dsc("dm.jhs", key_label="no-such-key")
    assert (missing.status_code, missing.json()["error"]) == (422, "key_not_on_token")
    garbage = office.post("/certificates", "adm.jhs", json={"source": "esign", "certificate": "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----"})
    assert (garbage.status_code, garbage.json()["error"]) == (422, "not_a_certificate")
    incomplete = office.post("/certificates", "adm.jhs", json={"source": "dsc"})
    assert (incomplete.status_code, incomplete.json()["error"]) == (422, "invalid_input")
    stranger = office.register_dsc("ghost.jhs", key_label="dm.jhs")
    assert (stranger.status_code, stranger.json()["error"]) == (404, "unknown_user")


def test_a_crl_served_over_http_is_used(container_factory, signing_config, pki, static_server):
    import requests

    from eoffice_common.auth import Principal, issue_token
    from eoffice_common.testing import TEST_JWT_PRIVATE_KEY
    from signing.service import SigningService

    server = static_server(pki.ca.crl(pki.special["revoked"]))
    container = container_factory(SigningService, {**signing_config, "CRL_SOURCES": server.url()})
    container.start()
    with entrypoint_hook(container, "on_user_recorded") as record_user:
        record_user({"id": "e-1", "type": "user_recorded", "schema_version": 1, "occurred_at": "2026-11-20T10:00:00+05:30",
                     "actor": "system", "office": "COLL-JHS", "data": {"user_id": "clerk.jhs", "office": "COLL-JHS",
                     "name_en": "Sunita Devi", "name_hi": "सुनीता देवी", "designation_en": "Clerk", "designation_hi": "लिपिक"}})
    token = issue_token(TEST_JWT_PRIVATE_KEY, Principal("clerk.jhs", "COLL-JHS", ("clerk",), "Sunita Devi"))
    url = f"http://{signing_config['WEB_SERVER_ADDRESS']}/certificates"
    headers = {"Authorization": f"Bearer {token}"}
    refused = requests.post(url, json={"source": "dsc", "key_label": "clerk.jhs", "certificate": pem(pki.special["revoked"])}, headers=headers)
    assert (refused.status_code, refused.json()["error"]) == (422, "certificate_revoked")
    assert server.hits == 1
    accepted = requests.post(url, json={"source": "dsc", "key_label": "clerk.jhs"}, headers=headers)
    assert accepted.status_code == 201, accepted.text


def test_a_holder_revokes_a_lost_token_and_it_signs_nothing_more(office, event_tap):
    tap = event_tap("signing")
    certificate = office.register_dsc("dm.jhs").json()
    response = office.post(f"/certificates/{certificate['id']}/revoke", "dm.jhs", json={"reason": "टोकन खो गया (token lost)"})
    assert response.status_code == 200 and response.json()["status"] == "revoked"
    event = tap.wait_for("certificate_revoked")
    assert (event["data"]["certificate_id"], event["data"]["reason"]) == (certificate["id"], "टोकन खो गया (token lost)")
    again = office.post(f"/certificates/{certificate['id']}/revoke", "dm.jhs", json={"reason": "x"})
    assert (again.status_code, again.json()["error"]) == (409, "certificate_already_revoked")
    assert office.post(f"/certificates/{certificate['id']}/revoke", "so.jhs", json={"reason": "x"}).status_code == 404
    note_id = office.confirm_note("dm.jhs", "टिप्पणी")
    signing = office.sign("note", note_id, "dm.jhs")
    assert (signing.status_code, signing.json()["error"]) == (422, "no_certificate")


def test_a_certificate_its_ca_revokes_later_is_revoked_here_too(office, signing_container, pki, event_tap):
    tap = event_tap("signing")
    certificate = office.register_dsc("so.jhs").json()
    note_id = office.confirm_note("so.jhs", "टिप्पणी")
    with open(pki.crl_file, "rb") as handle:
        original_crl = handle.read()
    try:
        with open(pki.crl_file, "wb") as handle:
            handle.write(pki.ca.crl(pki.special["revoked"], pki.certificates["so.jhs"]))
        with entrypoint_hook(signing_container, "refresh_revocation") as refresh:
            assert refresh() == 1
    finally:
        with open(pki.crl_file, "wb") as handle:
            handle.write(original_crl)
    event = tap.wait_for("certificate_revoked")
    assert event["data"]["certificate_id"] == certificate["id"] and "key_compromise" in event["data"]["reason"]
    assert office.get(f"/certificates/{certificate['id']}", "so.jhs").json()["status"] == "revoked"
    assert office.sign("note", note_id, "so.jhs").json()["error"] == "no_certificate"


def test_a_namesake_cannot_take_another_officers_key(office, event_tap):
    """sdm.lko is also Asha Verma: the name matches, the directory identity (UID dm.jhs) does not."""
    taken = office.register_dsc("sdm.lko", key_label="dm.jhs")
    assert (taken.status_code, taken.json()["error"]) == (422, "certificate_identity_mismatch")
    assert office.register_dsc("dm.jhs").status_code == 201
    again = office.register_dsc("sdm.lko", key_label="dm.jhs")
    assert (again.status_code, again.json()["error"]) == (409, "key_bound_to_another_user")
    note_id = office.confirm_note("sdm.lko", "टिप्पणी", office="TEH-LKO")
    signing = office.sign("note", note_id, "sdm.lko")
    assert (signing.status_code, signing.json()["error"]) == (422, "no_certificate")
    assert office.get("/certificates", "sdm.lko").json()["certificates"] == []


def test_a_certificate_must_name_the_officers_user_id_or_email(office, pki):
    unbound = office.register_dsc("clerk.jhs", certificate=pki.special["no_identity"])
    assert (unbound.status_code, unbound.json()["error"]) == (422, "certificate_identity_mismatch")
    by_email = office.register_dsc("clerk.jhs", certificate=pki.special["by_email"])
    assert by_email.status_code == 201, by_email.text
    renewed = office.register_dsc("clerk.jhs")
    assert (renewed.status_code, renewed.json()["error"]) == (409, "certificate_already_registered")


def test_a_deactivated_officers_registrations_end(office, event_tap):
    tap = event_tap("signing")
    certificate = office.register_dsc("dm.jhs").json()
    note_id = office.confirm_note("dm.jhs", "टिप्पणी")
    office.deactivate("dm.jhs")
    event = tap.wait_for("certificate_revoked")
    assert (event["data"]["certificate_id"], event["data"]["reason"]) == (certificate["id"], "the user was deactivated in the directory")
    assert office.get(f"/certificates/{certificate['id']}", "dm.jhs").json()["status"] == "revoked"
    assert office.sign("note", note_id, "dm.jhs").json()["error"] == "no_certificate"


def test_a_namesakes_registration_from_before_keys_were_bound_ends_when_the_officer_registers(office, pki, event_tap):
    """Before keys were bound to identities, sdm.lko registered the DM's key: the DM then got 409."""
    import uuid
    from datetime import datetime, timezone

    from sqlalchemy import create_engine, text

    tap = event_tap("signing")
    taken = pki.certificates["dm.jhs"]
    stale_id = str(uuid.uuid4())
    engine = create_engine(office.db_url)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO certificates (id, user_id, source, key_label, serial, issuer, subject, fingerprint_sha256, not_before,"
            " not_after, der, status, registered_at) VALUES (:id, 'sdm.lko', 'dsc', 'dm.jhs', :serial, 'CN=eOffice Test CA',"
            " 'CN=Asha Verma', :fingerprint, :not_before, :not_after, :der, 'active', :now)"
        ), {
            "id": stale_id, "serial": format(taken.serial_number, "X"), "fingerprint": hashlib.sha256(der(taken)).hexdigest(),
            "not_before": taken.not_valid_before_utc, "not_after": taken.not_valid_after_utc, "der": der(taken),
            "now": datetime.now(timezone.utc),
        })
    engine.dispose()

    registered = office.register_dsc("dm.jhs")
    assert registered.status_code == 201, registered.text
    event = tap.wait_for("certificate_revoked")
    assert (event["data"]["certificate_id"], event["data"]["user_id"]) == (stale_id, "sdm.lko")
    assert [c["status"] for c in office.get("/certificates", "sdm.lko").json()["certificates"]] == ["revoked"]
    note_id = office.confirm_note("dm.jhs", "टिप्पणी")
    assert office.sign("note", note_id, "dm.jhs").status_code == 201
    verification = office.get(f"/documents/note/{note_id}/verification", "dm.jhs").json()
    assert verification["valid"] is True and verification["signatures"][0]["signer"] == "dm.jhs"


def der(certificate):
    return certificate.public_bytes(serialization.Encoding.DER)


def test_an_admin_revokes_certificates_of_their_own_office_only(office):
    """The admin area lists the office's certificates; an admin of another office neither sees nor revokes them."""
    import requests

    from eoffice_common.auth import Principal, issue_token
    from eoffice_common.testing import TEST_JWT_PRIVATE_KEY

    certificate = office.register_dsc("so.jhs").json()
    listed = office.get("/office/certificates", "admin.jhs")
    assert listed.status_code == 200 and certificate["id"] in [c["id"] for c in listed.json()["certificates"]]
    assert (office.get("/office/certificates", "so.jhs").status_code, office.get("/office/certificates", "so.jhs").json()["error"]) == (
        403, "not_admin")

    lucknow = {"Authorization": "Bearer " + issue_token(TEST_JWT_PRIVATE_KEY, Principal("admin.lko", "COLL-LKO", ("admin",), "Admin"))}
    elsewhere = requests.get(f"{office.base_url}/office/certificates", headers=lucknow, timeout=30).json()["certificates"]
    assert certificate["id"] not in [c["id"] for c in elsewhere]
    refused = requests.post(f"{office.base_url}/certificates/{certificate['id']}/revoke", json={"reason": "x"}, headers=lucknow, timeout=30)
    assert (refused.status_code, refused.json()["error"]) == (404, "certificate_not_found")

    revoked = office.post(f"/certificates/{certificate['id']}/revoke", "admin.jhs", json={"reason": "टोकन खो गया"})
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
