"""Visibility is exact: a result, its snippet, the count and the facets come only from documents the
caller may open under dak's and files' rules (services/dak/README.md "Who sees what", files' README
"Who may open a file" and "Classification travels")."""
from datetime import datetime, timedelta, timezone

from search import usecases

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


def test_a_normal_receipt_is_read_in_its_office_and_by_those_it_was_sent_to(uow, o):
    o.diarise("r1", letter="जलापूर्ति योजना की स्वीकृति")
    assert o.sees("जलापूर्ति", "dm.jhs", "COLL-JHS")
    assert not o.sees("जलापूर्ति", "dm.jln", "COLL-JLN")
    o.apply("receipt_sent", receipt_id="r1", to_user="dm.jln", copies_to=["sdm.lalitpur"])
    assert o.sees("जलापूर्ति", "dm.jln", "COLL-JLN")
    assert o.sees("जलापूर्ति", "sdm.lalitpur", "TEH-LTP")


def test_a_secret_receipt_is_read_only_by_its_creator_and_those_it_was_sent_to_never_its_office(uow, o):
    o.diarise("r1", classification="secret", letter="गोपनीय जाँच आख्या treasury audit")
    for user in ("dm.jhs", "adm.jhs"):
        assert o.nothing_shown(o.found("treasury", user, "COLL-JHS"))
    assert o.sees("treasury", "clerk.jhs", "COLL-JHS")
    o.apply("receipt_sent", receipt_id="r1", to_user="dm.jhs", copies_to=[])
    assert o.sees("treasury", "dm.jhs", "COLL-JHS")
    assert o.nothing_shown(o.found("treasury", "adm.jhs", "COLL-JHS"))


def test_a_snippet_count_and_facet_never_come_from_a_document_the_caller_may_not_open(uow, o):
    o.diarise("r-open", letter="audit of the treasury, general copy")
    o.diarise("r-secret", classification="top_secret", letter="audit of the treasury: names of informers")
    answer = o.found("treasury audit", "adm.jhs", "COLL-JHS")
    assert answer["total"] == 1
    assert answer["facets"] == {"type": {"receipt": 1}, "classification": {"normal": 1}}
    assert "informers" not in str(answer)
    assert o.nothing_shown(o.found("informers", "adm.jhs", "COLL-JHS"))
    assert o.nothing_shown(o.found("treasury", "adm.jhs", "COLL-JHS", classification="top_secret"))


def test_a_normal_file_opens_to_its_office_a_secret_one_only_to_its_creator_holders_and_those_sent_it(uow, o):
    o.create_file("f-open", subject="सड़क निर्माण")
    o.create_file("f-secret", classification="secret", subject="सड़क घोटाला जाँच")
    o.apply("note_confirmed", file_id="f-secret", note_id="n1", text="ठेकेदार के विरुद्ध प्राथमिकी")
    assert o.found("सड़क", "clerk.jhs", "COLL-JHS")["total"] == 1
    assert not o.sees("ठेकेदार", "clerk.jhs", "COLL-JHS")
    assert not o.sees("सड़क", "clerk.jln", "COLL-JLN")
    assert o.sees("ठेकेदार", "so.jhs", "COLL-JHS")
    o.apply("file_sent", file_id="f-secret", to_user="dm.jhs", classification="secret")
    assert o.sees("ठेकेदार", "dm.jhs", "COLL-JHS")
    o.apply("file_sent", file_id="f-secret", to_user="so.jhs", classification="secret")
    assert o.sees("ठेकेदार", "dm.jhs", "COLL-JHS"), "once sent it, always may open it (files' was_sent_to)"


def test_a_pull_back_and_a_transfer_open_the_file_to_who_takes_it(uow, o):
    o.create_file("f1", classification="secret", subject="गोपनीय पत्रावली vigilance")
    o.apply("file_pulled_back", file_id="f1", by_user="ao.jhs")
    assert o.sees("vigilance", "ao.jhs", "COLL-JHS")
    o.apply("file_transferred", to_user="successor.jhs", file_ids=["f1"])
    assert o.sees("vigilance", "successor.jhs", "COLL-JHS")
    assert not o.sees("vigilance", "clerk.jhs", "COLL-JHS")


def test_a_normal_receipt_in_a_file_of_another_office_is_read_by_that_office_and_opens_the_file(uow, o):
    o.diarise("r1", office="TRY-JLN", by="clerk.jln", letter="पेंशन भुगतान आदेश")
    o.create_file("f1", office="COLL-JHS")
    assert not o.sees("भुगतान", "dm.jhs", "COLL-JHS")
    o.apply("receipt_linked", file_id="f1", receipt_id="r1", linked_by="so.jhs")
    answer = o.found("भुगतान", "dm.jhs", "COLL-JHS")
    assert [r["opens"] for r in answer["results"]] == [{"kind": "file", "id": "f1", "within": None}]
    # the receipt's own office reads it as the receipt
    assert o.found("भुगतान", "sto.jln", "TRY-JLN")["results"][0]["opens"] == {"kind": "receipt", "id": "r1", "within": None}


def test_a_secret_receipt_in_a_normal_file_is_not_read_by_the_file_office(uow, o):
    o.diarise("r1", classification="secret", by="clerk.jhs", letter="informer statement कथन")
    o.create_file("f1")
    o.apply("file_sent", at=T0, file_id="f1", to_user="early.jhs")
    o.apply("receipt_linked", at=T0 + timedelta(hours=1), file_id="f1", receipt_id="r1", linked_by="so.jhs")
    for user in ("dm.jhs", "early.jhs"):
        assert o.nothing_shown(o.found("informer", user, "COLL-JHS")), user
    assert o.sees("informer", "so.jhs", "COLL-JHS"), "who put it in the file"
    assert o.sees("informer", "clerk.jhs", "COLL-JHS"), "dak cleared its creator"
    o.apply("file_sent", at=T0 + timedelta(hours=2), file_id="f1", to_user="late.jhs")
    answer = o.found("informer", "late.jhs", "COLL-JHS")
    assert answer["results"][0]["opens"] == {"kind": "file", "id": "f1", "within": None}, "received the file after it went in"
    assert o.nothing_shown(o.found("informer", "early.jhs", "COLL-JHS"))


def test_a_confidential_receipt_in_a_file_is_read_by_its_own_office_only_where_they_may_open_the_file(uow, o):
    o.diarise("r1", classification="confidential", office="TRY-JLN", by="clerk.jln", letter="कोषागार निरीक्षण रिपोर्ट")
    o.create_file("f1", office="COLL-JHS", classification="secret")
    o.apply("file_sent", at=T0, file_id="f1", to_user="sto.jln")
    o.apply("receipt_linked", at=T0 + timedelta(hours=1), file_id="f1", receipt_id="r1", linked_by="so.jhs")
    o.apply("receipt_sent", receipt_id="r1", to_user="so.jhs", copies_to=[])
    # sto.jln: in the receipt's office, may read it there as the receipt itself
    assert o.found("निरीक्षण", "sto.jln", "TRY-JLN")["results"][0]["opens"]["kind"] == "receipt"
    # the file's office may not (Confidential: the receipt's office), nor may anyone who cannot open the Secret file
    assert o.nothing_shown(o.found("निरीक्षण", "dm.jhs", "COLL-JHS"))


def test_a_confidential_receipt_is_read_through_a_normal_file_by_the_receipts_office_posted_user_only():
    from search import model

    receipt = model.Item("receipt", "r1", "TRY-JLN", "confidential", readers={"clerk.jln"})
    file = model.Item("file", "f1", "COLL-JHS", "normal", readers={"so.jhs", "sto.jln"})
    link = model.Link("r1", "f1", "so.jhs", T0)
    grants = model.receipt_in_file_grants(receipt, file, link, [])
    assert model.posted_grant("sto.jln", "TRY-JLN") in grants  # may open the file (sent it), in the receipt's office
    assert model.office_grant("COLL-JHS") not in grants and model.office_grant("TRY-JLN") not in grants
    assert model.user_grant("so.jhs") in grants  # put it in
    assert model.posted_grant("clerk.jln", "COLL-JHS") in grants  # cleared by dak, if posted where the file opens


def test_events_in_any_order_give_the_same_grants(uow, o):
    o.apply("receipt_linked", at=T0 + timedelta(hours=1), file_id="f1", receipt_id="r1", linked_by="so.jhs")
    o.apply("file_sent", at=T0 + timedelta(hours=2), file_id="f1", to_user="late.jhs")
    assert o.nothing_shown(o.found("informer", "late.jhs", "COLL-JHS"))
    o.diarise("r1", classification="secret", letter="informer statement")
    assert not o.sees("informer", "late.jhs", "COLL-JHS"), "the file is not known yet: nobody reads through it"
    o.create_file("f1")
    assert o.sees("informer", "late.jhs", "COLL-JHS")
    assert not o.sees("informer", "dm.jhs", "COLL-JHS")


def test_reindex_computes_every_grant_again_and_reads_every_scan_again(uow, o):
    o.diarise("r1", letter="जलापूर्ति")
    uow.documents.grant(uow.documents.ids_of("receipt", "r1"), {})
    assert not o.sees("जलापूर्ति", "dm.jhs", "COLL-JHS")
    done = usecases.reindex(uow)
    assert done["to_extract"] == 1 and uow.committed
    assert [d.id for d in uow.documents.pending(10)] == [o.scan_of("r1")]
    assert o.sees("जलापूर्ति", "dm.jhs", "COLL-JHS"), "found by its old text while it waits to be read again"
    usecases.record_extraction(usecases.Extracted(uow.documents.pending(10)[0].id, pages=["जलापूर्ति"]), uow)
    assert o.sees("जलापूर्ति", "dm.jhs", "COLL-JHS")


def test_a_result_found_through_a_file_opens_the_note_draft_or_correspondence_within_it(uow, o):
    o.create_file("f1", subject="सड़क मरम्मत")
    o.apply("note_confirmed", file_id="f1", note_id="n1", text="अनुमान स्वीकृत")
    o.apply("draft_approved", file_id="f1", draft_id="d1", subject="आदेश", content="निविदा आमंत्रण")
    o.diarise("r1", classification="confidential", office="COLL-JLN", by="clerk.jln", letter="ठेकेदार का भुगतान")
    o.apply("receipt_linked", file_id="f1", receipt_id="r1", linked_by="so.jhs", correspondence_id="c-7")
    opens = lambda q: o.found(q, "so.jhs", "COLL-JHS")["results"][0]["opens"]  # noqa: E731
    assert opens("स्वीकृत") == {"kind": "file", "id": "f1", "within": {"kind": "note", "id": "n1"}}
    assert opens("निविदा") == {"kind": "file", "id": "f1", "within": {"kind": "draft", "id": "d1"}}
    assert opens("ठेकेदार") == {"kind": "file", "id": "f1", "within": {"kind": "correspondence", "id": "c-7"}}
    assert opens("मरम्मत") == {"kind": "file", "id": "f1", "within": None}
    assert o.found("ठेकेदार", "clerk.jln", "COLL-JLN")["results"][0]["opens"] == {"kind": "receipt", "id": "r1", "within": None}


def test_a_draft_is_found_from_its_first_version_only_by_whoever_may_open_its_file(uow, o):
    o.create_file("f-secret", classification="secret", subject="गोपनीय पत्रावली")
    o.apply("draft_versioned", file_id="f-secret", draft_id="d1", version=1, subject="निविदा", content="ठेके की शर्तें tender")
    assert o.sees("tender", "so.jhs", "COLL-JHS")
    for user, office in (("dm.jhs", "COLL-JHS"), ("dm.jln", "COLL-JLN")):
        assert o.nothing_shown(o.found("tender", user, office)), user
    o.create_file("f-open")
    o.apply("draft_versioned", file_id="f-open", draft_id="d2", version=1, subject="सूचना", content="पहला प्रारूप hearing")
    assert o.sees("hearing", "clerk.jhs", "COLL-JHS") and o.nothing_shown(o.found("hearing", "dm.jln", "COLL-JLN"))
    o.apply("draft_versioned", file_id="f-open", draft_id="d2", version=2, subject="सूचना", content="दूसरा प्रारूप adjourned")
    o.apply("draft_versioned", file_id="f-open", draft_id="d2", version=1, subject="सूचना", content="पहला प्रारूप hearing")
    assert not o.sees("hearing", "clerk.jhs", "COLL-JHS"), "an older version arriving late does not replace the newer"
    o.apply("draft_approved", file_id="f-open", draft_id="d2", version=2, subject="सूचना", content="दूसरा प्रारूप adjourned")
    answer = o.found("adjourned", "clerk.jhs", "COLL-JHS")
    assert answer["total"] == 1 and answer["results"][0]["opens"]["within"] == {"kind": "draft", "id": "d2"}


def test_an_attached_document_is_found_by_its_details_and_text_only_by_whoever_may_open_the_file(uow, o):
    o.create_file("f1", classification="secret", subject="भूमि विवाद")
    o.apply("documents_attached", file_id="f1", correspondence_id="c-1", title="खसरा खतौनी की प्रति", sender_name="लेखपाल",
            added_by="so.jhs", documents=[{"position": 1, "key": "files/documents/k1.pdf", "content_type": "application/pdf"}])
    attached = next(i for i in uow.documents.ids_of("file", "f1") if uow.documents.get(i).source == "correspondence:c-1:1")
    usecases.record_extraction(usecases.Extracted(attached, pages=["पहला पृष्ठ", "गाटा संख्या 112 की खतौनी"]), uow)
    found = o.found("खतौनी", "so.jhs", "COLL-JHS")
    assert found["total"] == 1 and found["facets"]["type"] == {"document": 1}, "its details and its text: listed once"
    (result,) = o.found("गाटा", "so.jhs", "COLL-JHS")["results"]
    assert (result["type"], result["scan"], result["page"]) == ("document", 1, 2)
    assert result["opens"] == {"kind": "file", "id": "f1", "within": {"kind": "correspondence", "id": "c-1"}}
    assert o.sees("लेखपाल", "so.jhs", "COLL-JHS")
    for user, office in (("dm.jhs", "COLL-JHS"), ("dm.jln", "COLL-JLN")):
        assert o.nothing_shown(o.found("गाटा", user, office)) and o.nothing_shown(o.found("लेखपाल", user, office)), user
    o.apply("file_sent", file_id="f1", to_user="dm.jhs", classification="secret")
    assert o.sees("गाटा", "dm.jhs", "COLL-JHS")


def test_notes_and_receipts_of_a_merged_part_file_are_found_through_the_main_file_by_who_may_open_it(uow, o):
    o.create_file("main", classification="secret", by="so.jhs", subject="भूमि अधिग्रहण मुख्य")
    o.create_file("part", classification="secret", by="clerk.jhs", subject="भूमि अधिग्रहण भाग 1")
    o.apply("note_confirmed", file_id="part", note_id="n1", text="मुआवज़ा निर्धारण की टिप्पणी")
    o.diarise("r1", office="COLL-LLP", by="clerk.llp", letter="किसान संघ का प्रतिवेदन")
    o.apply("receipt_linked", file_id="part", receipt_id="r1", linked_by="clerk.jhs", correspondence_id="c1")
    assert not o.sees("मुआवज़ा", "so.jhs", "COLL-JHS")
    assert not o.sees("प्रतिवेदन", "so.jhs", "COLL-JHS")
    o.apply("part_file_merged", file_id="main", part_file_id="part", merged_by="so.jhs", note_ids=["n1"],
            correspondence_ids=["c1"], receipt_ids=["r1"])
    assert o.sees("मुआवज़ा", "so.jhs", "COLL-JHS")
    assert o.sees("प्रतिवेदन", "so.jhs", "COLL-JHS")
    o.apply("file_sent", file_id="main", to_user="dm.jhs", classification="secret")
    assert o.sees("मुआवज़ा", "dm.jhs", "COLL-JHS")
    assert o.sees("प्रतिवेदन", "dm.jhs", "COLL-JHS")
