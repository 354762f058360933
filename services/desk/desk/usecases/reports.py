"""Looking things up: advanced search, the MIS reports with their charts, the scoreboard, and the
dispatch register; each read from the service that keeps it."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .. import domain
from ..domain import SignedIn
from ..exceptions import PageNotFound
from . import Desk, Page, attempt, form_errors, get, together

MIS_REPORTS = ("pendency", "section-pendency", "overdue", "pending-with-others", "vip-receipts", "disposal",
               "active-file-levels", "monthly", "receipts-by-category", "file-register", "dispatch", "electronic",
               "darpg-monthly", "active-users")
PAGED_REPORTS = ("file-register",)  # as JSON a page at a time; the CSV is whole
SCOREBOARD_LEVELS = ("district", "department", "office")
DISPATCH_FILTERS = ("date_from", "date_to", "dispatch_mode", "status")


@dataclass(frozen=True)
class Lookup:
    """A page of looking things up and what its query string asked."""

    caller: SignedIn
    args: Mapping


def search(command: Lookup, desk: Desk) -> Page:
    """Advanced search: files (files service), receipts (dak's lists, filtered) and the words inside
    every document (search service) in one page."""
    args = command.args
    what = args.get("what", "files")
    results, failure = None, None
    if args.get("go"):
        if what == "text":
            params = {k: args.get(k) for k in ("q", "type", "number", "date_from", "date_to", "classification", "page") if args.get(k)}
            results, failure = attempt(desk.services.get, "search", "/search", params=params)
        elif what == "receipts":
            params = {k: args.get(k) for k in ("q", "number", "letter_number", "sender", "category", "date_from", "date_to",
                                               "classification") if args.get(k)}
            params.update({"box": args.get("box") or "office", "per_page": 50})
            results, failure = attempt(desk.services.get, "dak", "/receipts", params=params)
        else:
            params = {k: args.get(k) for k in ("number", "computer_number", "q", "category", "year", "date_from",
                                               "date_to", "classification", "scope") if args.get(k)}
            params["per_page"] = 50
            results, failure = attempt(desk.services.get, "files", "/files/search", params=params)
    return Page("search.html", dict(what=what, values=args, results=results, failure=failure,
                                    errors=form_errors(failure) if failure and failure.status == 422 else {}))


def report_params(name, args, paged=False) -> dict:
    """What a report page passes on to metrics: the period, the chosen scope, what the dispatch report's
    rows are per, and (for a register read a page at a time) the page."""
    params = {k: args.get(k) for k in ("from", "to") if args.get(k)}
    if name == "dispatch" and args.get("by") in domain.DISPATCH_UNITS:
        params["by"] = args.get("by")
    if paged and args.get("page"):
        params["page"] = args.get("page")
    return {**params, **domain.report_scope(args.get("scope"))}


def known_report(name) -> str:
    if name not in MIS_REPORTS:
        raise PageNotFound(f"no report {name}")
    return name


def report(command: Lookup, desk: Desk) -> Page:
    """A MIS report of the scope chosen among the caller's (their jurisdiction), with its charts."""
    args = command.args
    name = known_report(args.get("report", "pendency"))
    (jurisdiction, _), (shown, failure) = together([
        get(desk, "metrics", "/mis/scopes"),
        get(desk, "metrics", f"/mis/{name}", params=report_params(name, args, paged=name in PAGED_REPORTS)),
    ])
    return Page("reports.html", dict(
        name=name, reports=MIS_REPORTS, report=shown, failure=failure, values=args,
        errors=form_errors(failure) if failure and failure.status == 422 else {},
        scopes=(jurisdiction or {}).get("scopes", []), scope=args.get("scope", ""),
        pendency_chart=domain.pendency_chart(shown) if shown else None,
        monthly_chart=domain.monthly_chart(shown) if shown else None,
        dispatch_chart=domain.dispatch_chart(shown) if shown else None,
    ))


def scoreboard(command: Lookup, desk: Desk) -> Page:
    """The week's ranking with bars, one unit's score over the weeks and how its score is made."""
    args = command.args
    level = args.get("level", "district")
    if level not in SCOREBOARD_LEVELS:
        raise PageNotFound(f"no level {level}")
    params = {"level": level, **({"week": args["week"]} if args.get("week") else {})}
    board, failure = attempt(desk.services.get, "metrics", "/scoreboard", params=params)
    units = (board or {}).get("units", [])
    unit = args.get("unit") or (units[0]["unit"] if units else None)
    detail = explained = None
    if unit:
        week = {"week": board["week"]} if board else {}
        (detail, _), (explained, _) = together([get(desk, "metrics", f"/scoreboard/{level}/{unit}", params=week),
                                                get(desk, "metrics", f"/scoreboard/{level}/{unit}/explain", params=week)])
    history = (detail or {}).get("history", [])
    return Page("scoreboard.html", dict(
        level=level, board=board, failure=failure, unit=unit, detail=detail, explained=explained,
        history_chart=domain.line_chart(sorted((h["week"], h["score"]) for h in history)),
        rank_chart=domain.rank_chart(sorted((h["week"], h["rank"]) for h in history)),
    ))


def dispatch_register(command: Lookup, desk: Desk) -> Page:
    """Every addressee of the office's issued letters, filtered; printable as the dispatch list."""
    params = {k: v for k in DISPATCH_FILTERS if (v := command.args.get(k))}
    register = desk.services.get("files", "/dispatch-register", params={**params, "per_page": 200})
    return Page("dispatch_register.html", dict(register=register, nav="dispatch_register"))
