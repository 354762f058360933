"""Issuing a letter: each addressee checked against the directory, the letter issued once."""


def approved_draft(registry, user="so.jhs"):
    file = registry.create(user)
    draft = registry.post(f"/files/{file['id']}/drafts", user, json={"subject": "राजस्व वसूली की समीक्षा", "content": "आदेश"}).json()
    registry.post(f"/files/{file['id']}/drafts/{draft['id']}/approve", user, json={})
    return file, draft


def test_an_unknown_or_deactivated_addressee_is_refused_with_its_field_and_nothing_is_issued(registry):
    registry.sql("UPDATE users SET active = false WHERE id = 'to.jhs'")
    file, draft = approved_draft(registry)
    response = registry.post(f"/files/{file['id']}/drafts/{draft['id']}/issue", "so.jhs", json={
        "dispatch_mode": "intra", "recipients": [
            {"office": "TRY-JHS"}, {"user": "to.jhs"}, {"user": "nobody.jhs"}, {"office": "NOWHERE"},
            {"name": "ग्राम प्रधान", "mode": "email"},
        ]})
    assert response.status_code == 422, response.text
    assert response.json()["fields"] == {"recipients.4.email": "an email dispatch needs an email address"}
    response = registry.post(f"/files/{file['id']}/drafts/{draft['id']}/issue", "so.jhs", json={
        "dispatch_mode": "intra", "recipients": [{"office": "TRY-JHS"}, {"user": "to.jhs"}, {"user": "nobody.jhs"}, {"office": "NOWHERE"}]})
    assert (response.status_code, response.json()["error"]) == (422, "addressee_refused")
    assert response.json()["fields"] == {"recipients.1.user": "deactivated", "recipients.2.user": "unknown", "recipients.3.office": "unknown"}
    assert registry.get(f"/files/{file['id']}/drafts/{draft['id']}", "so.jhs").json()["status"] == "approved"
    assert registry.sql("SELECT count(*) FROM dispatches") == [(0,)]


def test_a_letter_inside_the_system_waits_for_its_signature_and_is_issued_once(registry):
    file, draft = approved_draft(registry)
    unsigned = registry.post(f"/files/{file['id']}/drafts/{draft['id']}/issue", "so.jhs", json={
        "dispatch_mode": "intra", "recipients": [{"office": "TRY-JHS"}]})
    assert (unsigned.status_code, unsigned.json()["error"]) == (409, "draft_not_signed")
    by_post = {"dispatch_mode": "post", "recipients": [
        {"name": "ग्राम प्रधान, बड़ागाँव", "address": "ग्राम बड़ागाँव, तहसील मऊरानीपुर, झाँसी", "postal_mode": "registered_post"},
        {"name": "Tehsildar, Garautha", "address": "Tehsil Garautha, Jhansi", "for_information": True},
    ]}
    issued = registry.post(f"/files/{file['id']}/drafts/{draft['id']}/issue", "so.jhs", json=by_post)
    assert issued.status_code == 200, issued.text
    assert [(d["mode"], d["copy"], d["status"], d["postal_mode"]) for d in issued.json()["issue"]["dispatches"]] == [
        ("post", False, "posted", "registered_post"), ("post", True, "posted", None)]
    again = registry.post(f"/files/{file['id']}/drafts/{draft['id']}/issue", "so.jhs", json=by_post)
    assert (again.status_code, again.json()["error"]) == (409, "draft_already_issued")
    assert registry.sql("SELECT count(*) FROM dispatches") == [(2,)]


def test_the_dispatch_section_records_the_article_number_of_a_letter_by_post(registry):
    file, draft = approved_draft(registry)
    issued = registry.post(f"/files/{file['id']}/drafts/{draft['id']}/issue", "so.jhs", json={"dispatch_mode": "post", "recipients": [
        {"name": "ग्राम प्रधान, बड़ागाँव", "address": "ग्राम बड़ागाँव, तहसील मऊरानीपुर, झाँसी"}]}).json()
    dispatch = issued["issue"]["dispatches"][0]
    elsewhere = registry.post(f"/dispatches/{dispatch['id']}/posted", "sto.jhs", json={"postal_mode": "speed_post", "article_number": "EU123456789IN"})
    assert (elsewhere.status_code, elsewhere.json()["error"]) == (404, "dispatch_not_found")
    posted = registry.post(f"/dispatches/{dispatch['id']}/posted", "clerk.jhs", json={"postal_mode": "speed_post", "article_number": "EU123456789IN"})
    assert posted.status_code == 200, posted.text
    register = registry.get("/dispatch-register", "clerk.jhs").json()["entries"]
    assert [(e["postal_mode"], e["article_number"], e["status"]) for e in register] == [("speed_post", "EU123456789IN", "posted")]
