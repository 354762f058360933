"""Letters issued reach their addressees (issue 20): the MIS dispatch report counts each addressee's dispatch
(issued, reached inside the system, opened, emailed, bounced, posted, awaiting), and the scoreboard counts
the dispatches that reached their addressees as movements of the issuing office, in the week they reached,
whatever order the news arrives in."""
from datetime import date, datetime, timedelta, timezone

from metrics import domain

NOW = datetime(2026, 12, 2, 6, 30, tzinfo=timezone.utc)  # a Wednesday
MONDAY = datetime(2026, 11, 30, 5, 0, tzinfo=timezone.utc)
LAST_WEEK = MONDAY - timedelta(days=5)
WEEK = domain.week_of(NOW)


def directory(make):
    collectorate = make.office("COLL-JHS", "JHS", "REV")
    collectorate["data"]["sections"] = [{"code": "CR", "name_en": "Central Registry", "name_hi": "केंद्रीय रजिस्ट्री"}]
    return [collectorate, make.office("TEH-MRN", "JHS", "REV"), make.office("COLL-JLN", "JLN", "REV"),
            make.user("clerk.jhs", "COLL-JHS"), make.user("so.jhs", "COLL-JHS"), make.user("clerk.teh", "TEH-MRN"),
            make.user("clerk.jln", "COLL-JLN")]


def addressee(dispatch_id, mode, office=None, copy=False):
    return {"dispatch_id": dispatch_id, "position": int(dispatch_id[-1]), "mode": mode, "copy": copy, "name": "पता",
            "user": None, "office": office, "email": "ravi@example.in" if mode == "email" else None,
            "address": "Jhansi" if mode == "post" else None, "postal_mode": None, "article_number": None}


def issue(make):
    """A letter issued last week to a tehsil and (a copy) to another district's collectorate inside the
    system, to two addresses by email and one by post."""
    return [
        make.event("file_created", {"file_id": "F-1", "kind": "electronic", "section": "CR", "created_by": "clerk.jhs"},
                   LAST_WEEK - timedelta(days=1)),
        make.event("draft_issued", {"file_id": "F-1", "dispatch_mode": "intra", "addressees": [
            addressee("d-1", "intra", "TEH-MRN"), addressee("d-2", "intra", "COLL-JLN", copy=True), addressee("d-3", "email"),
            addressee("d-4", "post"), addressee("d-5", "email")]}, LAST_WEEK, actor="so.jhs"),
    ]


def news(make):
    """This week: the tehsil received and opened the letter, one email was delivered and one bounced."""
    return [
        make.event("letter_received", {"receipt_id": "R-T", "dispatch_id": "d-1", "issue_number": "I-1/2026/COLL-JHS"},
                   MONDAY, office="TEH-MRN", actor="system"),
        make.event("letter_opened", {"receipt_id": "R-T", "dispatch_id": "d-1", "opened_by": "clerk.teh"},
                   MONDAY + timedelta(hours=2), office="TEH-MRN", actor="clerk.teh"),
        make.event("letter_emailed", {"dispatch_id": "d-3", "file_id": "F-1", "outcome": "delivered"}, MONDAY, actor="system"),
        make.event("letter_emailed", {"dispatch_id": "d-5", "file_id": "F-1", "outcome": "bounced"}, MONDAY, actor="system"),
    ]


def test_the_dispatch_report_counts_each_addressees_dispatch_by_week_and_unit(store, make):
    store.apply(directory(make), NOW)
    store.apply(issue(make) + news(make), NOW)
    period = {"first": date(2026, 11, 1), "last": date(2026, 12, 2)}
    rows = store.report("dispatch", NOW, **period)
    counted = ("issued", "inside", "reached", "opened", "by_email", "emailed", "bounced", "posted", "awaiting")
    week = domain.week_label(domain.week_of(LAST_WEEK))
    assert [(r["week"], r["office"], r["office_name_hi"], *(r[c] for c in counted), r["reached_percent"]) for r in rows] == [
        (week, "COLL-JHS", "कार्यालय COLL-JHS", 5, 2, 1, 1, 2, 1, 1, 1, 1, 50.0),
        (week, "ALL", "सभी कार्यालय", 5, 2, 1, 1, 2, 1, 1, 1, 1, 50.0),
    ]
    by_section = store.report("dispatch", NOW, by="section", **period)
    assert [(r["section"], r["section_name_hi"], r["issued"]) for r in by_section] == [("CR", "केंद्रीय रजिस्ट्री", 5), (None, None, 5)]
    by_district = store.report("dispatch", NOW, by="district", **period)
    assert [(r["district"], r["district_name_hi"], r["reached"]) for r in by_district] == [("JHS", "झाँसी", 1), ("ALL", "सभी ज़िले", 1)]
    # the issuing office's report; the tehsil issued nothing
    assert store.report("dispatch", NOW, office="TEH-MRN", **period) == []


def test_dispatches_that_reached_count_as_movements_of_the_issuing_office_in_the_week_they_reached(store, make):
    later = NOW + timedelta(days=7)  # the week of arrival is over when the issue is learned
    store.apply(directory(make) + issue(make)[:1], later)
    # the news comes before the issue (another exchange, a redelivery): it waits for the issuing office
    store.apply(news(make), later)
    store.score(later)
    assert movements(store, WEEK) == (0, 0)
    store.apply(issue(make)[1:], later)
    store.score(later)
    # d-1 received in the tehsil and d-3 delivered by email: two movements of the collectorate by two active people
    # (so.jhs issued last week; clerk.jhs made the file, last week too; this week nobody of the collectorate acted)
    assert movements(store, WEEK) == (2, 0)
    assert movements(store, domain.week_of(LAST_WEEK)) == (0, 2)
    stored = store.scores()
    assert {version for version, _ in stored[0].values()} == {domain.FORMULA_VERSION}
    store.recompute_everything(later)
    assert store.scores() == stored


def test_an_office_that_acted_has_its_letters_that_reached_in_its_score(store, make):
    store.apply(directory(make), NOW)
    store.apply(issue(make), NOW)
    store.apply(news(make) + [make.event("note_added", {"file_id": "F-1"}, MONDAY, actor="clerk.jhs")], NOW)
    store.score(NOW)
    component = {c["component"]: c for c in store.unit(WEEK, "office", "COLL-JHS").components}["movements_per_active_user"]
    assert (component["numerator"], component["denominator"], component["raw"]) == (2, 1, 2.0)


def movements(store, week):
    """(numerator, denominator) of the collectorate's movements per active user in a week."""
    component = {c["component"]: c for c in store.unit(week, "office", "COLL-JHS").components}["movements_per_active_user"]
    return component["numerator"], component["denominator"]
