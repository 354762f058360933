"""Use cases of the metrics service, each `(command, uow) -> result`. The unit of work gives the
reports' reads as `uow.reports` (a `reports.ReportStore` over the database, an in-memory one in
unit tests)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from .exceptions import NotYourOffice, UnknownUnit

# Reports of what is pending now; the others cover a period of days.
REPORTS_AT_A_MOMENT = ("pendency", "section-pendency", "pending-with-others", "active-file-levels", "vip-receipts", "overdue")
PERIOD_REPORTS = ("disposal", "monthly", "dispatch", "electronic", "active-users", "darpg-monthly", "receipts-by-category",
                  "file-register")
# Read a page at a time (as JSON): a state's month of it is some 11,000 entries.
PAGED_REPORTS = ("file-register",)


class ReportReads(Protocol):
    def jurisdiction(self, user_id: str, token_office: str | None) -> tuple[dict, list[tuple[str, str]]]: ...

    def offices_in_scope(self, office: str | None = None, district: str | None = None,
                         department: str | None = None) -> dict: ...

    def report(self, name: str, offices: dict, reader: str, now: datetime, period: tuple[date, date] | None,
               page: int = 1, per_page: int | None = None, by: str = "office") -> tuple[list[str], list[dict]]: ...

    def entries(self, name: str, offices: dict, period: tuple[date, date]) -> int: ...


@dataclass(frozen=True)
class ReadReport:
    name: str
    reader: str  # the user asking
    reader_office: str | None  # the token's office, for a reader the directory does not know yet
    now: datetime
    period: tuple[date, date] | None = None  # first and last IST day of a period report
    scope: dict[str, str] = field(default_factory=dict)  # at most one of office, district, department
    page: int = 1
    per_page: int | None = None  # a paged report as one page; None: all of it
    by: str = "office"  # the dispatch report's rows: per office, section, department or district


@dataclass(frozen=True)
class Report:
    name: str
    scope: dict[str, str]
    period: tuple[date, date] | None
    columns: list[str]
    rows: list[dict]
    paging: dict | None = None  # page, per_page and total entries of a paged report read a page at a time


def read_report(command: ReadReport, uow) -> Report:
    """A MIS report of the scope asked, which must lie within the reader's jurisdiction (the
    directory's roles widen their own office to a district, a department or the state); without
    one, of the whole jurisdiction."""
    allowed, scopes = uow.reports.jurisdiction(command.reader, command.reader_office)
    asked = {kind: code for kind, code in command.scope.items() if code}
    if asked:
        offices = uow.reports.offices_in_scope(**asked)
        if not offices:
            raise UnknownUnit("no office of the directory matches the report's scope")
        if not set(offices) <= set(allowed):
            raise NotYourOffice("the report's scope reaches beyond your jurisdiction")
        scope = asked
    else:
        if not allowed:
            raise UnknownUnit("your office is not in the directory yet")
        scope, offices = dict(scopes[:1]), allowed
    paged = command.name in PAGED_REPORTS and command.per_page is not None
    columns, rows = uow.reports.report(command.name, offices, command.reader, command.now, command.period,
                                       page=command.page, per_page=command.per_page if paged else None, by=command.by)
    paging = None
    if paged:
        paging = {"page": command.page, "per_page": command.per_page,
                  "total": uow.reports.entries(command.name, offices, command.period)}
    return Report(command.name, {k: v for k, v in scope.items() if v}, command.period, columns, rows, paging)
