"""MIS reports: pendency by age, disposal, month-wise counts, section-wise dispatch, overdue,
electronic share and active users, for a set of offices. Each report is a list of rows (dicts)
with its columns in order, served as JSON or CSV."""
import csv
import io
from collections import defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, extract, false, func, literal, or_, select, true

from eoffice_common.repository import Reading, Repository

from .domain import (
    AGE_BUCKETS,
    DAY_SECONDS,
    IST,
    NOT_ACTIVITY,
    age_bucket_bounds,
    as_utc,
    percentile,
    week_label,
    week_of,
)
from .models import Dispatch, Fact, Item, Office, User, daily_counts

ALL = "ALL"

# Roles of the directory that widen whose reports a user may read beyond their own office.
JURISDICTION_ROLES = {"district_head": "district", "department_head": "department", "state_head": "state"}


def offices_in_scope(session, office=None, district=None, department=None):
    """{code: office row} of the offices a report covers (rows, not ORM objects: a state's
    hundreds of offices are read for every report)."""
    query = select(*Office.__table__.c)
    if office:
        query = query.where(Office.code == office)
    if district:
        query = query.where(Office.district == district)
    if department:
        query = query.where(Office.department == department)
    return {o.code: o for o in session.execute(query.order_by(Office.code))}


def jurisdiction(session, user_id, token_office):
    """({code: Office} of the offices whose reports the user may read, and the scopes that makes:
    [(kind, code)], broadest first). Everyone reads their own office; the directory's roles
    `district_head` (a DM, an ADM), `department_head` and `state_head` add every office of the
    district, department or state of the user's office."""
    user = session.get(User, user_id)
    home = session.get(Office, user.office if user else token_office)
    if home is None:
        return {}, []
    widened = [JURISDICTION_ROLES[role] for role in (user.roles if user else []) if role in JURISDICTION_ROLES]
    order = ("state", "district", "department")
    scopes = [(kind, getattr(home, kind)) for kind in order if kind in widened] + [("office", home.code)]
    # District and department codes are a state's own: another state's are not in the jurisdiction.
    condition = or_(Office.code == home.code, and_(Office.state == home.state, or_(
        *[getattr(Office, kind) == code for kind, code in scopes if kind != "office"], false())))
    offices = {o.code: o for o in session.execute(select(*Office.__table__.c).where(condition).order_by(Office.code))}
    return offices, scopes


def _start(day):
    return datetime(day.year, day.month, day.day, tzinfo=IST)


def _names(office):
    return {"office": office.code, "office_name_en": office.name_en, "office_name_hi": office.name_hi}


def _names_of(offices, code):
    if code == ALL:
        return {"office": ALL, "office_name_en": "All offices", "office_name_hi": "सभी कार्यालय"}
    return _names(offices[code])


def _round(value, digits=2):
    return None if value is None else round(value, digits)


def _share(part, whole):
    return _round(100.0 * part / whole) if whole else None


def _age_buckets(now):
    i = Item.__table__.c
    buckets = []
    for label, after, not_after in age_bucket_bounds(now):
        condition = true()
        if after is not None:
            condition = and_(condition, i.created_at > after)
        if not_after is not None:
            condition = and_(condition, i.created_at <= not_after)
        buckets.append(func.sum(case((condition, 1), else_=0)).label(f"days_{label}"))
    return buckets


def _holding_office():
    """The office a pending item is charged to: that of the user holding it (the directory's, as
    now), or the creating office while the directory does not know the holder. Read with items
    joined to the holder's user."""
    return func.coalesce(User.__table__.c.office, Item.__table__.c.office)


def _items_with_holders():
    i, u = Item.__table__.c, User.__table__.c
    return Item.__table__.outerjoin(User.__table__, u.user_id == i.holder)


def pendency(session, offices, now):
    """Files and receipts pending with each user, by days since they were opened or diarised, in
    the office of the user holding them."""
    i = Item.__table__.c
    holders = User.__table__.alias("holders")
    holding = _holding_office()
    # Counted first, then the holders' names joined (rows unpacked as tuples): a state has
    # thousands of holders.
    counted = (
        select(holding.label("office"), i.holder, i.item_type, *_age_buckets(now))
        .select_from(_items_with_holders())
        .where(i.closed_at.is_(None), i.created_at.isnot(None), holding.in_(list(offices)))
        .group_by(holding, i.holder, i.item_type)
        .subquery()
    )
    c, h = counted.c, holders.c
    found = session.execute(
        select(c.office, c.holder, h.name_en, h.name_hi, c.item_type, *[c[f"days_{label}"] for _, _, label in AGE_BUCKETS])
        .select_from(counted.outerjoin(holders, h.user_id == c.holder))
        .order_by(c.office, c.holder, c.item_type)
    ).all()
    labels = [label for _, _, label in AGE_BUCKETS]
    keys = [f"days_{label}" for label in labels]
    names = {code: _names(office) for code, office in offices.items()}
    out = []
    for code, holder, name_en, name_hi, item_type, *ages in found:
        counts = [int(n or 0) for n in ages]
        out.append({
            **names[code], "holder": holder, "holder_name_en": name_en, "holder_name_hi": name_hi,
            "item_type": item_type, **dict(zip(keys, counts, strict=True)), "total": sum(counts),
        })
    columns = ["office", "office_name_en", "office_name_hi", "holder", "holder_name_en", "holder_name_hi", "item_type"]
    return columns + [f"days_{label}" for label in labels] + ["total"], out


def section_pendency(session, offices, now):
    """Files and receipts pending in each section (the section of the user holding them, in that
    user's office), by age."""
    i, u = Item.__table__.c, User.__table__.c
    holding = _holding_office()
    rows = session.execute(
        select(holding.label("office"), u.section, i.item_type, *_age_buckets(now))
        .select_from(_items_with_holders())
        .where(i.closed_at.is_(None), i.created_at.isnot(None), holding.in_(list(offices)))
        .group_by(holding, u.section, i.item_type)
    ).all()
    labels = [label for _, _, label in AGE_BUCKETS]
    keys = [f"days_{label}" for label in labels]
    sections = {code: {s["code"]: s for s in office.sections or []} for code, office in offices.items()}
    names = {code: _names(office) for code, office in offices.items()}
    out = []
    for code, section, item_type, *ages in sorted(rows, key=lambda r: (r.office, r.section or "", r.item_type)):
        section_names = sections[code].get(section, {})
        counts = [int(n or 0) for n in ages]
        out.append({
            **names[code], "section": section, "section_name_en": section_names.get("name_en"),
            "section_name_hi": section_names.get("name_hi"), "item_type": item_type,
            **dict(zip(keys, counts, strict=True)), "total": sum(counts),
        })
    columns = ["office", "office_name_en", "office_name_hi", "section", "section_name_en", "section_name_hi", "item_type"]
    return columns + [f"days_{label}" for label in labels] + ["total"], out


def pending_with_others(session, offices, user_id, now):
    """Files and receipts `user_id` sent last and that are pending with someone else (not returned,
    not pulled back), longest first, in the office of the user holding them (as pendency)."""
    i = Item.__table__.c
    holding = _holding_office()
    found = session.execute(
        select(holding.label("office"), i.item_type, i.item_id, i.holder, i.last_sent_at, i.due_date)
        .select_from(_items_with_holders())
        .where(i.last_sent_by == user_id, i.holder != user_id, i.closed_at.is_(None), i.created_at.isnot(None),
               holding.in_(list(offices)))
        .order_by(i.last_sent_at, i.item_type, i.item_id)
    ).all()
    users = _users(session, {row.holder for row in found})
    rows = []
    for row in found:
        holder = users.get(row.holder)
        sent = as_utc(row.last_sent_at)
        rows.append({
            **_names(offices[row.office]), "item_type": row.item_type, "item_id": row.item_id, "holder": row.holder,
            "holder_name_en": holder.name_en if holder else None, "holder_name_hi": holder.name_hi if holder else None,
            "sent_at": sent.isoformat(), "days_with_holder": int((now - sent).total_seconds() // DAY_SECONDS),
            "due_date": row.due_date.isoformat() if row.due_date else None,
        })
    columns = ["office", "office_name_en", "office_name_hi", "item_type", "item_id", "holder", "holder_name_en",
               "holder_name_hi", "sent_at", "days_with_holder", "due_date"]
    return columns, rows


def active_file_levels(session, offices):
    """Files still pending: how many, and the average and highest transaction levels (movements)
    each has passed through so far."""
    i = Item.__table__.c
    totals = {}
    for office, files, levels, most in session.execute(
        select(i.office, func.count(), func.sum(i.movements), func.max(i.movements))
        .where(i.item_type == "file", i.closed_at.is_(None), i.created_at.isnot(None), i.office.in_(list(offices)))
        .group_by(i.office)
    ):
        for code in (office, ALL):
            before = totals.get(code, (0, 0, 0))
            totals[code] = (before[0] + files, before[1] + int(levels or 0), max(before[2], int(most or 0)))
    rows = []
    for code in list(offices) + [ALL]:
        files, levels, most = totals.get(code, (0, 0, 0))
        rows.append({**_names_of(offices, code), "active_files": files,
                     "average_levels": _round(levels / files) if files else None, "most_levels": most if files else None})
    return ["office", "office_name_en", "office_name_hi", "active_files", "average_levels", "most_levels"], rows


DARPG = ("files_created", "e_files_created", "receipts_diarised", "e_receipts_diarised", "files_closed", "levels")


def darpg_monthly(session, offices, first, last):
    """DARPG's monthly measures for the offices together, a row a month: % e-files and % e-receipts
    among those created, average transaction levels of the files closed, and the e-files and
    physical files active (pending) at the month's end (or the period's, if earlier)."""
    totals = defaultdict(lambda: dict.fromkeys(DARPG, 0))
    for year, month_number, *sums in _monthly_sums(session, offices, first, last, DARPG, by_office=False):
        totals[_month_label(year, month_number)] = {c: int(v or 0) for c, v in zip(DARPG, sums, strict=True)}
    months = []
    month = date(first.year, first.month, 1)
    while month <= last:
        following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        months.append((f"{month.year}-{month.month:02d}", _start(min(following, last + timedelta(days=1)))))
        month = following
    # Files active at each month's end, in one pass over the files: a file is active at the end
    # `at` of month m if it was opened before `at` and not closed before it, that is if m is at or
    # after the first month ending after its opening and before the first month ending after its
    # closing. The files are counted by those two months (and kind), then added up per month.
    i = Item.__table__.c

    def first_month_after(moment):
        return case(*[(moment < literal(at, i.created_at.type), m) for m, (_, at) in enumerate(months)], else_=len(months))

    opened, closed = first_month_after(i.created_at), case((i.closed_at.is_(None), len(months)), else_=first_month_after(i.closed_at))
    kind = func.coalesce(i.kind, "electronic")
    active_at = defaultdict(lambda: defaultdict(int))
    for first_month, end_month, file_kind, count in session.execute(
        select(opened, closed, kind, func.count())
        .where(i.item_type == "file", i.office.in_(list(offices)), i.created_at < literal(months[-1][1], i.created_at.type))
        .group_by(opened, closed, kind)
    ) if months else ():
        for m in range(first_month, end_month):
            active_at[months[m][0]][file_kind] += count
    rows = []
    for label, _ in months:
        active = active_at[label]
        c = totals[label]
        rows.append({
            "month": label, "e_file_percent": _share(c["e_files_created"], c["files_created"]),
            "e_receipt_percent": _share(c["e_receipts_diarised"], c["receipts_diarised"]),
            "average_levels": _round(c["levels"] / c["files_closed"]) if c["files_closed"] else None,
            "active_e_files": active.get("electronic", 0), "active_physical_files": active.get("physical", 0),
            **c,
        })
    return ["month", "e_file_percent", "e_receipt_percent", "average_levels", "active_e_files", "active_physical_files",
            *DARPG], rows


def _subject(classification, subject):
    """A subject as a report may show it: a classified item's subject is not shown to anyone
    through a report (clearance is checked where the item is opened, not here)."""
    return subject if (classification or "normal") == "normal" else None


def vip_receipts(session, offices, now):
    """VIP receipts still pending, oldest first: number, subject, category, holder, days pending;
    in the office of the user holding them."""
    i, u = Item.__table__.c, User.__table__.c
    holding = _holding_office()
    found = session.execute(
        select(holding, i.item_id, i.number, i.subject, i.classification, i.category, i.holder, u.name_en, u.name_hi,
               i.created_at, i.due_date)
        .select_from(_items_with_holders())
        .where(i.item_type == "receipt", i.vip.is_(True), i.closed_at.is_(None), i.created_at.isnot(None),
               holding.in_(list(offices)))
        .order_by(i.created_at, i.item_id)
    ).all()
    rows = []
    for code, receipt_id, number, subject, classification, category, holder, name_en, name_hi, created_at, due in found:
        rows.append({
            **_names(offices[code]), "receipt_id": receipt_id, "receipt_number": number,
            "subject": _subject(classification, subject), "classification": classification,
            "category": category, "holder": holder, "holder_name_en": name_en, "holder_name_hi": name_hi,
            "days_pending": int((now - as_utc(created_at)).total_seconds() // DAY_SECONDS),
            "due_date": due.isoformat() if due else None,
        })
    columns = ["office", "office_name_en", "office_name_hi", "receipt_id", "receipt_number", "subject", "classification",
               "category", "holder", "holder_name_en", "holder_name_hi", "days_pending", "due_date"]
    return columns, rows


def receipts_by_category(session, offices, first, last):
    """Receipts diarised in the period per office and main category: electronic, physical, VIP, and
    how many of them are still pending."""
    i = Item.__table__.c
    found = session.execute(
        select(i.office, i.category, i.kind, i.vip, i.closed_at.is_(None), func.count())
        .where(i.item_type == "receipt", i.office.in_(list(offices)), i.created_at >= _start(first),
               i.created_at < _start(last + timedelta(days=1)))
        .group_by(i.office, i.category, i.kind, i.vip, i.closed_at.is_(None))
    ).all()
    table = defaultdict(lambda: dict.fromkeys(("electronic", "physical", "vip", "pending"), 0))
    for office, category, kind, vip, pending, count in found:
        for key in ((office, category or ""), (ALL, category or "")):
            counts = table[key]
            counts["physical" if kind == "physical" else "electronic"] += count
            counts["vip"] += count if vip else 0
            counts["pending"] += count if pending else 0
    rows = []
    for (code, category), counts in sorted(table.items(), key=lambda item: (item[0][0] == ALL, item[0])):
        rows.append({**_names_of(offices, code), "category": category or None,
                     "receipts": counts["electronic"] + counts["physical"], **counts})
    columns = ["office", "office_name_en", "office_name_hi", "category", "receipts", "electronic", "physical", "vip", "pending"]
    return columns, rows


def _registered(offices, first, last):
    i = Item.__table__.c
    return (i.item_type == "file", i.created_at >= _start(first), i.created_at < _start(last + timedelta(days=1)),
            i.office.in_(list(offices)))


def file_register(session, offices, first, last, page=1, per_page=None):
    """The file register: files opened in the period in the order they were opened: number, subject,
    category, section, kind, where each is now and whether it is closed. A page of `per_page`
    entries if asked (a state's month is some 11,000 entries, 2.6 MB of JSON), else all of them."""
    i, u = Item.__table__.c, User.__table__.c
    query = (
        select(i.office, i.item_id, i.number, i.subject, i.classification, i.category, i.section, i.kind,
               i.created_at, i.closed_at, i.holder, u.name_en, u.name_hi, i.movements)
        .select_from(Item.__table__.outerjoin(User.__table__, u.user_id == i.holder))
        .where(*_registered(offices, first, last))
        .order_by(i.created_at, i.item_id)
    )
    if per_page:
        query = query.limit(per_page).offset((page - 1) * per_page)
    found = session.execute(query).all()
    names = {code: _names(office) for code, office in offices.items()}
    rows = []
    for (office, file_id, number, subject, classification, category, section, kind, created_at, closed_at, holder,
         name_en, name_hi, movements) in found:
        rows.append({
            **names[office], "file_id": file_id, "file_number": number,
            "subject": _subject(classification, subject), "classification": classification,
            "category": category, "section": section, "kind": kind,
            "opened_on": _ist_day(created_at), "closed_on": _ist_day(closed_at) if closed_at else None,
            "holder": holder, "holder_name_en": name_en, "holder_name_hi": name_hi, "movements": movements,
        })
    columns = ["office", "office_name_en", "office_name_hi", "file_id", "file_number", "subject", "classification",
               "category", "section", "kind", "opened_on", "closed_on", "holder", "holder_name_en", "holder_name_hi",
               "movements"]
    return columns, rows


def file_register_entries(session, offices, first, last):
    """How many files the register of the period holds (its pages' entries together)."""
    return session.execute(select(func.count()).select_from(Item.__table__).where(*_registered(offices, first, last))).scalar()


def _ist_day(moment):
    return as_utc(moment).astimezone(IST).date().isoformat()


def _users(session, user_ids):
    user_ids = [u for u in user_ids if u]
    if not user_ids:
        return {}
    # Rows of the three columns shown, not ORM objects: a state-wide report names thousands of holders.
    return {u.user_id: u for u in session.execute(select(User.user_id, User.name_en, User.name_hi).where(User.user_id.in_(user_ids)))}


def disposal(session, offices, first, last):
    """Files closed in the period: how many, days taken (median and 90th percentile) and the
    average number of levels (movements) each passed through."""
    f = Fact.__table__.c
    taken, levels = defaultdict(list), defaultdict(list)
    for office, seconds, moved in session.execute(
        select(f.office, f.duration_seconds, f.levels).where(
            f.office.in_(list(offices)), f.occurred_at >= _start(first), f.occurred_at < _start(last + timedelta(days=1)),
            f.event_type == "file_closed",
        )
    ):
        for key in (office, ALL):
            taken[key].append(None if seconds is None else seconds / DAY_SECONDS)
            levels[key].append(moved)
    rows = []
    for code in list(offices) + [ALL]:
        days = [d for d in taken.get(code, []) if d is not None]
        moves = [m for m in levels.get(code, []) if m is not None]
        names = _names_of(offices, code)
        rows.append({
            **names, "files_closed": len(taken.get(code, [])), "median_days": _round(percentile(days, 0.5)),
            "p90_days": _round(percentile(days, 0.9)),
            "average_levels": _round(sum(moves) / len(moves)) if moves else None,
        })
    return ["office", "office_name_en", "office_name_hi", "files_closed", "median_days", "p90_days", "average_levels"], rows


MONTHLY = ("files_created", "receipts_diarised", "files_received", "receipts_received", "files_forwarded", "receipts_forwarded")


def _monthly_sums(session, offices, first, last, counters, by_office=True):
    """Daily counters summed per month (and office) in the database: a year of a state's days is
    some 170,000 rows, too many to add up in Python for each request."""
    d = daily_counts.c
    year, month = extract("year", d.day), extract("month", d.day)
    keys = [d.office, year, month] if by_office else [year, month]
    return session.execute(
        select(*keys, *[func.sum(d[c]) for c in counters])
        .where(d.office.in_(list(offices)), d.day.between(first, last))
        .group_by(*keys)
    ).all()


def _month_label(year, month):
    return f"{int(year)}-{int(month):02d}"


def monthly(session, offices, first, last):
    """Month-wise files and receipts created, received (sent to a user of the office) and forwarded."""
    totals = defaultdict(lambda: dict.fromkeys(MONTHLY, 0))
    for office, year, month_number, *sums in _monthly_sums(session, offices, first, last, MONTHLY):
        month = _month_label(year, month_number)
        for key in ((month, office), (month, ALL)):
            for counter, value in zip(MONTHLY, sums, strict=True):
                totals[key][counter] += int(value or 0)
    rows = []
    for (month, code), counts in sorted(totals.items(), key=lambda item: (item[0][0], item[0][1] == ALL, item[0][1])):
        names = _names_of(offices, code)
        rows.append({"month": month, **names, **counts})
    return ["month", "office", "office_name_en", "office_name_hi", *MONTHLY], rows


DISPATCH_COUNTS = ("issued", "inside", "reached", "opened", "by_email", "emailed", "bounced", "posted", "awaiting")
# What a row of the dispatch report is for: the issuing office, or its section, department or district.
DISPATCH_UNITS = {
    "office": ("office",), "section": ("office", "section"), "department": ("department",), "district": ("district",),
}
EVERY_UNIT = {
    "office": ("All offices", "सभी कार्यालय"), "section": ("All offices", "सभी कार्यालय"),
    "department": ("All departments", "सभी विभाग"), "district": ("All districts", "सभी ज़िले"),
}


def dispatch(session, offices, first, last, by="office"):
    """The addressees' dispatches of the letters issued in the period, per week of issue (IST) and per
    issuing office (or its file's section, its department or district), with an ALL row a week:
    issued; inside the system and how many reached (a receipt made in the addressee's office) and were
    opened there; by email and how many were emailed (the mail server took them) or bounced; by post;
    awaiting (inside, not received yet; by email, neither delivered nor bounced). A copy for
    information is a dispatch too."""
    d, i = Dispatch.__table__.c, Item.__table__.c
    found = session.execute(
        select(d.office, i.section, d.issued_at, d.mode, d.reached_at.isnot(None), d.opened_at.isnot(None),
               d.bounced_at.isnot(None))
        .select_from(Dispatch.__table__.outerjoin(Item.__table__, (i.item_type == "file") & (i.item_id == d.file_id)))
        .where(d.office.in_(list(offices)), d.issued_at >= _start(first), d.issued_at < _start(last + timedelta(days=1)))
    )
    totals = defaultdict(lambda: dict.fromkeys(DISPATCH_COUNTS, 0))
    for code, section, issued_at, mode, reached, opened, bounced in found:
        office = offices[code]
        unit = {"office": (code,), "section": (code, section or ""), "department": (office.department,),
                "district": (office.district,)}[by]
        week = week_label(week_of(as_utc(issued_at)))
        for key in ((week, unit), (week, ALL)):
            counts = totals[key]
            counts["issued"] += 1
            if mode == "intra":
                counts["inside"] += 1
                counts["reached"] += bool(reached)
                counts["opened"] += bool(opened)
            elif mode == "email":
                counts["by_email"] += 1
                counts["emailed"] += bool(reached)
                counts["bounced"] += bool(bounced) and not reached
            else:
                counts["posted"] += 1
            counts["awaiting"] += mode in ("intra", "email") and not reached and not (mode == "email" and bounced)
    names = _dispatch_unit_names(offices, by)
    rows = []
    for (week, unit), counts in sorted(totals.items(), key=lambda item: (item[0][0], item[0][1] == ALL, item[0][1])):
        electronic = counts["inside"] + counts["by_email"]
        rows.append({"week": week, **names(unit), **counts,
                     "reached_percent": _share(counts["reached"] + counts["emailed"], electronic)})
    columns = ["week"] + [c for key in DISPATCH_UNITS[by] for c in (key, f"{key}_name_en", f"{key}_name_hi")]
    return columns + list(DISPATCH_COUNTS) + ["reached_percent"], rows


def _dispatch_unit_names(offices, by):
    """The columns naming a unit of the dispatch report, in both languages."""
    first_of = {}
    for office in offices.values():
        first_of.setdefault(office.department, office)
        first_of.setdefault(office.district, office)

    def names(unit):
        if unit == ALL:
            key = DISPATCH_UNITS[by][0]
            all_en, all_hi = EVERY_UNIT[by]
            blank = {c: None for extra in DISPATCH_UNITS[by][1:] for c in (extra, f"{extra}_name_en", f"{extra}_name_hi")}
            return {key: ALL, f"{key}_name_en": all_en, f"{key}_name_hi": all_hi, **blank}
        if by in ("department", "district"):
            office = first_of[unit[0]]
            return {by: unit[0], f"{by}_name_en": getattr(office, f"{by}_name_en"), f"{by}_name_hi": getattr(office, f"{by}_name_hi")}
        office = offices[unit[0]]
        row = _names(office)
        if by == "section":
            section = {s["code"]: s for s in office.sections or []}.get(unit[1], {})
            row.update(section=unit[1] or None, section_name_en=section.get("name_en"), section_name_hi=section.get("name_hi"))
        return row

    return names


def overdue(session, offices, today):
    """Pending files and receipts whose due date (from their last movement) has passed, per holder
    in the holder's office."""
    i, u = Item.__table__.c, User.__table__.c
    holding = _holding_office()
    found = session.execute(
        select(holding, i.holder, u.name_en, u.name_hi, i.item_type, func.count(), func.min(i.due_date))
        .select_from(_items_with_holders())
        .where(i.closed_at.is_(None), i.due_date < today, holding.in_(list(offices)))
        .group_by(holding, i.holder, u.name_en, u.name_hi, i.item_type)
        .order_by(holding, i.holder, i.item_type)
    ).all()
    names = {code: _names(office) for code, office in offices.items()}
    rows = []
    for office, holder, name_en, name_hi, item_type, count, oldest in found:
        rows.append({
            **names[office], "holder": holder, "holder_name_en": name_en,
            "holder_name_hi": name_hi, "item_type": item_type, "overdue": count,
            "oldest_due_date": oldest.isoformat() if oldest else None,
            "days_overdue": (today - oldest).days if oldest else None,
        })
    columns = ["office", "office_name_en", "office_name_hi", "holder", "holder_name_en", "holder_name_hi", "item_type"]
    return columns + ["overdue", "oldest_due_date", "days_overdue"], rows


ELECTRONIC = ("files_created", "e_files_created", "receipts_diarised", "e_receipts_diarised")


def electronic(session, offices, first, last):
    """Share of new files that are e-files and of receipts diarised electronically (DARPG's
    % e-files and % e-receipts), and pending e-files against physical files."""
    totals = defaultdict(lambda: dict.fromkeys(ELECTRONIC, 0))
    d = daily_counts.c
    for office, *sums in session.execute(
        select(d.office, *[func.sum(d[c]) for c in ELECTRONIC])
        .where(d.office.in_(list(offices)), d.day.between(first, last)).group_by(d.office)
    ):
        for code in (office, ALL):
            for counter, value in zip(ELECTRONIC, sums, strict=True):
                totals[code][counter] += int(value or 0)
    i = Item.__table__.c
    pending = defaultdict(lambda: {"electronic": 0, "physical": 0})
    for office, kind, count in session.execute(
        select(i.office, i.kind, func.count())
        .where(i.item_type == "file", i.closed_at.is_(None), i.office.in_(list(offices)))
        .group_by(i.office, i.kind)
    ):
        for code in (office, ALL):
            pending[code]["physical" if kind == "physical" else "electronic"] += count
    rows = []
    for code in list(offices) + [ALL]:
        c = totals[code]
        names = _names_of(offices, code)
        rows.append({
            **names, **c, "e_file_percent": _share(c["e_files_created"], c["files_created"]),
            "e_receipt_percent": _share(c["e_receipts_diarised"], c["receipts_diarised"]),
            "pending_e_files": pending[code]["electronic"], "pending_physical_files": pending[code]["physical"],
        })
    columns = ["office", "office_name_en", "office_name_hi", *ELECTRONIC, "e_file_percent", "e_receipt_percent"]
    return columns + ["pending_e_files", "pending_physical_files"], rows


def active_users(session, offices, first, last):
    """The office's users in the directory who did anything in the period (diarised, noted, sent,
    signed ...), on their own office's files or another's, against all its users."""
    f, u = Fact.__table__.c, User.__table__.c
    start, end = _start(first), _start(last + timedelta(days=1))
    # The period's distinct actors first, then their offices: a state's month is some 140,000 facts
    # of fewer than 3,000 people, and joining each fact to its user before the distinct took a third
    # of the report's time.
    actors = (
        select(f.actor).distinct()
        .where(f.week.between(week_of(start), week_of(end)), f.occurred_at >= start, f.occurred_at < end,
               f.event_type.notin_(list(NOT_ACTIVITY)))
        .subquery()
    )
    acted = (
        select(u.office, u.user_id)
        .join(actors, actors.c.actor == u.user_id)
        .where(u.active.is_(True), u.office.in_(list(offices)))
    )
    active = defaultdict(int)
    for office, _ in session.execute(acted):
        active[office] += 1
        active[ALL] += 1  # a person is a user of one office: counted once in the total
    users = dict(session.execute(
        select(User.office, func.count()).where(User.active.is_(True), User.office.in_(list(offices))).group_by(User.office)
    ).all())
    rows = []
    for code in list(offices) + [ALL]:
        count = active.get(code, 0)
        total = users.get(code, 0) if code != ALL else sum(users.values())
        names = _names_of(offices, code)
        rows.append({**names, "active_users": count, "users": total, "active_percent": _share(min(count, total), total)})
    return ["office", "office_name_en", "office_name_hi", "active_users", "users", "active_percent"], rows


def as_csv(columns, rows):
    """CSV with a byte order mark, so spreadsheet programs read the Hindi names as UTF-8."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return "\ufeff" + buffer.getvalue()


class ReportStore(Repository):
    """The reports' reads in a unit of work's session (or a Reading's): what the read-report use case
    asks of the database."""

    def jurisdiction(self, user_id, token_office):
        return jurisdiction(self.session, user_id, token_office)

    def offices_in_scope(self, office=None, district=None, department=None):
        return offices_in_scope(self.session, office=office, district=district, department=department)

    def report(self, name, offices, reader, now, period, page=1, per_page=None, by="office"):
        """(columns, rows) of the report `name`; `period` for a report over days, else None; `by` the
        unit of the dispatch report's rows."""
        session, today = self.session, now.astimezone(IST).date()
        at_a_moment = {
            "pendency": lambda: pendency(session, offices, now),
            "section-pendency": lambda: section_pendency(session, offices, now),
            "pending-with-others": lambda: pending_with_others(session, offices, reader, now),
            "active-file-levels": lambda: active_file_levels(session, offices),
            "vip-receipts": lambda: vip_receipts(session, offices, now),
            "overdue": lambda: overdue(session, offices, today),
        }
        if name in at_a_moment:
            return at_a_moment[name]()
        if name == "file-register":
            return file_register(session, offices, *period, page=page, per_page=per_page)
        if name == "dispatch":
            return dispatch(session, offices, *period, by=by)
        over_days = {
            "disposal": disposal, "monthly": monthly, "electronic": electronic,
            "active-users": active_users, "darpg-monthly": darpg_monthly, "receipts-by-category": receipts_by_category,
        }
        return over_days[name](session, offices, *period)

    def entries(self, name, offices, period):
        """How many entries a paged report holds over all its pages."""
        return {"file-register": file_register_entries}[name](self.session, offices, *period)


class ReportsUnitOfWork:
    """The reports' reads over a unit of work (eoffice_common.db.UnitOfWork, or a Reading)."""

    def __init__(self, uow):
        self.reports = ReportStore(uow)


def reading(session):
    """The reports' reads over a read-only session."""
    return ReportsUnitOfWork(Reading(session))
