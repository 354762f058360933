"""The read-report use case on an in-memory unit of work: which offices a report covers, who may ask
for which scope, and the file register a page at a time."""
from datetime import date, datetime, timezone

import pytest

from eoffice_common.fakes import FakeUnitOfWork
from metrics import usecases
from metrics.exceptions import NotYourOffice, UnknownUnit
from metrics.usecases import ReadReport, read_report

NOW = datetime(2026, 12, 2, 6, 30, tzinfo=timezone.utc)
PERIOD = (date(2026, 11, 3), date(2026, 12, 2))
OFFICES = {  # code: (district, department)
    "COLL-JHS": ("JHS", "REV"), "TRY-JHS": ("JHS", "TRS"), "COLL-JLN": ("JLN", "REV"),
}
JURISDICTIONS = {  # user: (their office, the scopes their roles give, broadest first)
    "clerk.jhs": ("COLL-JHS", [("office", "COLL-JHS")]),
    "dm.jhs": ("COLL-JHS", [("district", "JHS"), ("office", "COLL-JHS")]),
}
REGISTER = [f"F-{n}" for n in range(7)]


class InMemoryReports:
    def __init__(self):
        self.asked = []

    def jurisdiction(self, user_id, token_office):
        home, scopes = JURISDICTIONS.get(user_id, (None, []))
        wide = [(kind, code) for kind, code in scopes if kind != "office"]
        codes = {c for c, (district, department) in OFFICES.items()
                 if c == home or any({"district": district, "department": department}.get(kind) == code for kind, code in wide)}
        return {c: OFFICES[c] for c in sorted(codes)}, scopes

    def offices_in_scope(self, office=None, district=None, department=None):
        return {c: o for c, o in OFFICES.items() if c == office or o[0] == district or o[1] == department}

    def report(self, name, offices, reader, now, period, page=1, per_page=None, by="office"):
        self.asked.append((name, sorted(offices), period, page, per_page))
        rows = [{"file_id": f} for f in REGISTER] if name == "file-register" else [{"office": c} for c in offices]
        if per_page:
            rows = rows[(page - 1) * per_page:page * per_page]
        return ["office"], rows

    def entries(self, name, offices, period):
        return len(REGISTER)


class FakeReading(FakeUnitOfWork):
    def __init__(self):
        super().__init__()
        self.reports = InMemoryReports()


def read(name, reader, period=None, **kwargs):
    uow = FakeReading()
    return read_report(ReadReport(name, reader, None, NOW, period, **kwargs), uow), uow.reports.asked


def test_without_a_scope_a_report_covers_the_readers_whole_jurisdiction():
    report, asked = read("pendency", "dm.jhs")
    assert report.scope == {"district": "JHS"} and [r["office"] for r in report.rows] == ["COLL-JHS", "TRY-JHS"]
    assert asked == [("pendency", ["COLL-JHS", "TRY-JHS"], None, 1, None)]
    assert read("pendency", "clerk.jhs")[0].scope == {"office": "COLL-JHS"}


def test_a_scope_within_the_jurisdiction_narrows_the_report_and_one_beyond_it_is_refused():
    report, _ = read("disposal", "dm.jhs", PERIOD, scope={"office": "TRY-JHS", "district": None})
    assert (report.scope, report.period, [r["office"] for r in report.rows]) == ({"office": "TRY-JHS"}, PERIOD, ["TRY-JHS"])
    with pytest.raises(NotYourOffice):
        read("disposal", "dm.jhs", PERIOD, scope={"district": "JLN"})
    with pytest.raises(NotYourOffice):
        read("pendency", "clerk.jhs", scope={"department": "REV"})  # Jalaun's collectorate too
    with pytest.raises(UnknownUnit):
        read("pendency", "dm.jhs", scope={"office": "NOWHERE"})
    with pytest.raises(UnknownUnit):
        read("pendency", "someone.unknown")


def test_the_file_register_comes_a_page_at_a_time_with_its_count_and_other_reports_whole():
    report, asked = read("file-register", "dm.jhs", PERIOD, page=2, per_page=3)
    assert [r["file_id"] for r in report.rows] == ["F-3", "F-4", "F-5"]
    assert report.paging == {"page": 2, "per_page": 3, "total": 7}
    whole, _ = read("file-register", "dm.jhs", PERIOD)  # as its CSV: every entry
    assert (len(whole.rows), whole.paging) == (7, None)
    other, asked = read("monthly", "dm.jhs", PERIOD, page=2, per_page=3)
    assert other.paging is None and asked[0][3:] == (2, None)
    assert set(usecases.PAGED_REPORTS) <= set(usecases.PERIOD_REPORTS)
