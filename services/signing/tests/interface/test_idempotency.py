"""A registration or revocation retried with its Idempotency-Key gets the first answer, not a 409."""


def test_a_registration_and_a_revocation_retried_with_their_keys_get_the_first_answers(office, event_tap):
    tap = event_tap("signing")
    body = {"source": "dsc", "key_label": "dm.jhs"}
    first, retry = (office.post("/certificates", "dm.jhs", json=body, headers={"Idempotency-Key": "register-1"}) for _ in range(2))
    assert (first.status_code, retry.status_code, retry.headers["Idempotent-Replayed"]) == (201, 201, "true"), first.text
    assert retry.json() == first.json()
    assert [c["id"] for c in office.get("/certificates", "dm.jhs").json()["certificates"]] == [first.json()["id"]]
    revoke = f"/certificates/{first.json()['id']}/revoke"
    revoked, again = (office.post(revoke, "dm.jhs", json={"reason": "token lost"}, headers={"Idempotency-Key": "revoke-1"}) for _ in range(2))
    assert (revoked.status_code, again.status_code, again.headers["Idempotent-Replayed"]) == (200, 200, "true"), revoked.text
    assert again.json() == revoked.json()
    tap.wait_for("certificate_revoked")
    assert len(tap.events("certificate_registered")) == 1 and len(tap.events("certificate_revoked")) == 1
