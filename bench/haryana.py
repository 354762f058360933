"""A Haryana-like state for the metrics benchmarks, loaded through the store's own apply path.

22 districts (their real names, in Hindi and English), about 470 offices of 12 kinds, about 3,000
users with Hindi and English names, 8 weeks of work ending now and about 300,000 facts: files
opened (electronic and physical) and sent from desk to desk, receipts diarised (some VIP, in
categories) and put in files, notes confirmed and signed with a DSC, drafts approved and issued to
addressees inside the system (received and opened there), by email (delivered or bounced) and by post,
files closed after some days and a few reopened, pulled back and transferred, notifications. Each
office has its own habits (how much it uses the system, how electronic, how fast), so every score
component varies between offices, and some offices did nothing at all.

The events are made as the other services publish them (envelopes of services/EVENTS.md) and
applied through the shared event pipeline around `usecases_events.apply_events`, 5,000 to a
transaction, as the consumer applies a batch; then the service's scorer scores every week. Deterministic (one seed)."""
import random
import uuid
from datetime import datetime, timedelta, timezone

from metrics import domain

SEED = 19
WEEKS = 8
STATE = "HR"
DISTRICTS = [
    ("AMB", "Ambala", "अंबाला"), ("BHW", "Bhiwani", "भिवानी"), ("CDR", "Charkhi Dadri", "चरखी दादरी"),
    ("FBD", "Faridabad", "फ़रीदाबाद"), ("FTB", "Fatehabad", "फ़तेहाबाद"), ("GGN", "Gurugram", "गुरुग्राम"),
    ("HSR", "Hisar", "हिसार"), ("JJR", "Jhajjar", "झज्जर"), ("JND", "Jind", "जींद"), ("KTL", "Kaithal", "कैथल"),
    ("KNL", "Karnal", "करनाल"), ("KKR", "Kurukshetra", "कुरुक्षेत्र"), ("MGH", "Mahendragarh", "महेंद्रगढ़"),
    ("NUH", "Nuh", "नूंह"), ("PWL", "Palwal", "पलवल"), ("PKL", "Panchkula", "पंचकूला"), ("PNP", "Panipat", "पानीपत"),
    ("RWR", "Rewari", "रेवाड़ी"), ("RTK", "Rohtak", "रोहतक"), ("SRS", "Sirsa", "सिरसा"), ("SNP", "Sonipat", "सोनीपत"),
    ("YNR", "Yamunanagar", "यमुनानगर"),
]
# (code, how many a district has, office en, office hi, department, department en, department hi, staff)
KINDS = [
    ("DC", 1, "Deputy Commissioner", "उपायुक्त", "REV", "Revenue", "राजस्व", 22),
    ("ADC", 1, "Additional Deputy Commissioner", "अतिरिक्त उपायुक्त", "RDV", "Rural Development", "ग्रामीण विकास", 10),
    ("SDM", 2, "Sub-Divisional Magistrate", "उपमंडल अधिकारी (ना.)", "REV", "Revenue", "राजस्व", 8),
    ("TEH", 3, "Tehsildar", "तहसीलदार", "REV", "Revenue", "राजस्व", 5),
    ("BDPO", 5, "Block Development and Panchayat Officer", "खंड विकास एवं पंचायत अधिकारी", "RDV",
     "Rural Development", "ग्रामीण विकास", 4),
    ("XEN", 2, "Executive Engineer PWD", "कार्यकारी अभियंता लो.नि.वि.", "PWD", "Public Works", "लोक निर्माण", 6),
    ("DEO", 1, "District Education Officer", "ज़िला शिक्षा अधिकारी", "EDU", "School Education", "विद्यालय शिक्षा", 9),
    ("BEO", 2, "Block Education Officer", "खंड शिक्षा अधिकारी", "EDU", "School Education", "विद्यालय शिक्षा", 4),
    ("CMO", 1, "Civil Surgeon", "सिविल सर्जन", "HLT", "Health", "स्वास्थ्य", 9),
    ("DFSC", 1, "District Food and Supplies Controller", "ज़िला खाद्य एवं आपूर्ति नियंत्रक", "FNS",
     "Food and Supplies", "खाद्य एवं आपूर्ति", 5),
    ("DTP", 1, "District Town Planner", "ज़िला नगर योजनाकार", "TCP", "Town and Country Planning",
     "नगर एवं ग्राम आयोजना", 5),
    ("DSWO", 1, "District Social Welfare Officer", "ज़िला समाज कल्याण अधिकारी", "SWF", "Social Welfare",
     "समाज कल्याण", 5),
]
SECTIONS = [("EST", "Establishment", "स्थापना"), ("ACC", "Accounts", "लेखा"), ("GEN", "General", "सामान्य"),
            ("RTI", "RTI Cell", "सूचना का अधिकार प्रकोष्ठ")]
FIRST = ["Ramesh", "Suresh", "Sunita", "Anil", "Kavita", "Rajesh", "Poonam", "Sandeep", "Neelam", "Vikram",
         "Manoj", "Rekha", "Ajay", "Savita", "Pardeep", "Anju", "Naresh", "Meenu", "Dinesh", "Sushila"]
FIRST_HI = ["रमेश", "सुरेश", "सुनीता", "अनिल", "कविता", "राजेश", "पूनम", "संदीप", "नीलम", "विक्रम",
            "मनोज", "रेखा", "अजय", "सविता", "प्रदीप", "अंजू", "नरेश", "मीनू", "दिनेश", "सुशीला"]
LAST = [("Kumar", "कुमार"), ("Sharma", "शर्मा"), ("Yadav", "यादव"), ("Malik", "मलिक"), ("Dahiya", "दहिया"),
        ("Hooda", "हुड्डा"), ("Saini", "सैनी"), ("Verma", "वर्मा"), ("Rathee", "राठी"), ("Sangwan", "सांगवान")]
DESIGNATIONS = [("Clerk", "लिपिक"), ("Assistant", "सहायक"), ("Superintendent", "अधीक्षक"), ("Officer", "अधिकारी")]
CATEGORIES = ["Establishment", "RTI", "Court case", "Grievance", "Land", "Budget", "CM window"]
SUBJECTS = ["Transfer of staff", "RTI application", "Repair of road", "Pension case", "मुख्यमंत्री विंडो शिकायत",
            "भूमि अधिग्रहण", "Budget estimates", "अवकाश स्वीकृति"]


class Office:
    def __init__(self, code, district, kind, number, rng):
        code_d, name_d, name_d_hi = district
        kcode, _, en, hi, dep, dep_en, dep_hi, staff = kind
        self.code = f"HR-{code_d}-{kcode}{number}"
        self.district, self.department = code_d, dep
        suffix = f" {number}" if number > 1 or kind[1] > 1 else ""
        self.record = {
            "office": self.code, "name_en": f"{en}{suffix}, {name_d}", "name_hi": f"{hi}{suffix}, {name_d_hi}",
            "district": code_d, "district_name_en": name_d, "district_name_hi": name_d_hi, "department": dep,
            "department_name_en": dep_en, "department_name_hi": dep_hi, "state": STATE,
            "sections": [{"code": s, "name_en": e, "name_hi": h} for s, e, h in SECTIONS],
        }
        self.staff = max(2, staff + rng.randint(-3, 2))
        # Habits: how much of its work goes through the system, how electronic, how fast.
        self.use = 0.0 if rng.random() < 0.06 else rng.uniform(0.25, 1.0)
        self.electronic = rng.uniform(0.4, 1.0)
        self.dsc = rng.uniform(0.0, 1.0)
        self.closing = rng.uniform(0.25, 0.8)
        self.slowness = rng.uniform(0.5, 20)
        self.users = []


def directory(rng):
    offices = []
    for district in DISTRICTS:
        for kind in KINDS:
            for number in range(1, kind[1] + 1):
                offices.append(Office(None, district, kind, number, rng))
    users = []
    for office in offices:
        for k in range(office.staff):
            first = rng.randrange(len(FIRST))
            last = rng.choice(LAST)
            designation = DESIGNATIONS[min(3, k // max(1, office.staff // 4))]
            user_id = f"u{len(users)}.{office.code.lower()}"[:64]
            roles = ["clerk"]
            if office.code.endswith("-DC1") and k == 0:
                # The DC reads the district's reports; the one in Panchkula, the capital, the state's.
                roles = ["officer", "state_head" if office.district == "PKL" else "district_head"]
            users.append({
                "user_id": user_id, "office": office.code, "name_en": f"{FIRST[first]} {last[0]}",
                "name_hi": f"{FIRST_HI[first]} {last[1]}", "designation_en": designation[0],
                "designation_hi": designation[1], "section": SECTIONS[k % len(SECTIONS)][0], "roles": roles,
                "active": rng.random() > 0.02,
            })
            office.users.append(user_id)
    return offices, users


def envelope(event_type, at, actor, office, data, aggregate):
    return {
        "id": str(uuid.UUID(int=random.getrandbits(128))), "type": event_type, "schema_version": 1,
        "occurred_at": at.isoformat(), "actor": actor, "office": office.code if office else "",
        "district": office.district if office else None, "correlation_id": None,
        "aggregate_type": aggregate[0], "aggregate_id": aggregate[1], "data": data,
    }


def state(now=None, scale=1.4):
    """(offices, users, events): the directory records and every event of 8 weeks, oldest first."""
    rng = random.Random(SEED)
    # The letters' journeys draw from a generator of their own, so the rest of the state stays as it was.
    journeys = random.Random(SEED + 1)
    random.seed(SEED)
    now = now or datetime.now(timezone.utc)
    start = domain.week_start(domain.shift_week(domain.week_of(now), -(WEEKS - 1)))
    offices, users = directory(rng)
    by_code = {o.code: o for o in offices}
    events = []
    serial = 0

    def moment(base, days):
        at = base + timedelta(days=days)
        return at if at < now - timedelta(minutes=1) else None

    span = (now - start).total_seconds() / 86400
    for office in offices:
        if not office.use:
            continue
        weekly = office.use * scale
        files = int(span / 7 * weekly * rng.uniform(5, 9))
        receipts = int(span / 7 * weekly * rng.uniform(6, 11))
        for _ in range(receipts):
            serial += 1
            rid = f"R{serial}"
            at = start + timedelta(days=rng.uniform(0, span))
            clerk = rng.choice(office.users)
            electronic = rng.random() < office.electronic
            events.append(envelope("receipt_diarised", at, clerk, office, {
                "receipt_id": rid, "receipt_number": f"{serial}/2026/{office.code}", "subject": rng.choice(SUBJECTS),
                "main_category": rng.choice(CATEGORIES), "classification": "normal" if rng.random() > 0.05 else "confidential",
                "vip": rng.random() < 0.04, "kind": "electronic" if electronic else "physical", "holder": clerk,
                "diarised_by": clerk}, ("receipt", rid)))
            holder, t = clerk, at
            for _ in range(rng.randint(0, 3)):
                t = moment(t, rng.expovariate(1 / max(0.2, office.slowness / 5)))
                if t is None:
                    break
                to = rng.choice(office.users)
                events.append(envelope("receipt_sent", t, holder, office, {
                    "receipt_id": rid, "to_user": to, "due_date": (t + timedelta(days=7)).date().isoformat()}, ("receipt", rid)))
                holder = to
            if t is not None and rng.random() < office.closing:
                t = moment(t, rng.expovariate(1 / max(0.2, office.slowness / 3)))
                if t is not None:
                    events.append(envelope(rng.choice(["receipt_put_in_file", "receipt_closed"]), t, holder, office,
                                           {"receipt_id": rid}, ("receipt", rid)))
        for _ in range(files):
            serial += 1
            fid = f"F{serial}"
            at = start + timedelta(days=rng.uniform(0, span))
            owner = rng.choice(office.users)
            electronic = rng.random() < office.electronic
            events.append(envelope("file_created", at, owner, office, {
                "file_id": fid, "file_number": f"{office.record['department']}-{serial}/2026", "subject": rng.choice(SUBJECTS),
                "category": rng.choice(CATEGORIES), "section": rng.choice(SECTIONS)[0],
                "kind": "electronic" if electronic else "physical", "created_by": owner, "classification": "normal"},
                ("file", fid)))
            holder, t, moves = owner, at, 0
            for _ in range(rng.randint(1, 6)):
                t = moment(t, rng.expovariate(1 / max(0.1, office.slowness / 6)))
                if t is None:
                    break
                if rng.random() < 0.6:
                    events.append(envelope("note_confirmed", t, holder, office, {"file_id": fid, "note_id": f"N{serial}-{moves}"}, ("file", fid)))
                    if rng.random() < office.dsc:
                        events.append(envelope("document_signed", t + timedelta(seconds=30), holder, office, {
                            "signature_id": f"S{serial}-{moves}", "document_kind": "note", "file_id": fid, "signer": holder,
                            "office": office.code}, ("signature", f"S{serial}-{moves}")))
                # Now and then a file goes to another office of the district (the DC's, usually).
                target = office if rng.random() > 0.1 else by_code.get(f"HR-{office.district}-DC1", office)
                to = rng.choice(target.users)
                events.append(envelope("file_sent", t, holder, office, {
                    "file_id": fid, "to_user": to, "remarks": "", "due_date": (t + timedelta(days=rng.choice([3, 7, 15]))).date().isoformat()},
                    ("file", fid)))
                events.append(envelope("notification_delivered", t + timedelta(seconds=5), "system", None, {
                    "notification_id": f"M{serial}-{moves}", "user": to, "channel": "inapp"}, ("notification", f"M{serial}-{moves}")))
                if rng.random() < 0.04:
                    back = moment(t, 0.01)
                    if back is not None:
                        events.append(envelope("file_pulled_back", back, holder, office, {"file_id": fid, "by_user": holder}, ("file", fid)))
                        to = holder
                        t = back
                holder, moves = to, moves + 1
            if t is not None and rng.random() < 0.25:
                t2 = moment(t, 0.1)
                if t2 is not None:
                    events.append(envelope("draft_approved", t2, holder, office, {"file_id": fid, "draft_id": f"D{serial}"}, ("file", fid)))
                    rng.choice(["email", "post"])  # the draw that once chose the mode: the rest of the state stays as it was
                    events += letter(journeys, by_code, office, fid, f"D{serial}", holder, t2 + timedelta(minutes=5), now)
            if t is not None and rng.random() < office.closing:
                closed = moment(t, rng.expovariate(1 / max(0.2, office.slowness / 2)))
                if closed is not None:
                    events.append(envelope("file_closed", closed, owner, office, {
                        "file_id": fid, "kind": "electronic" if electronic else "physical", "created_at": at.isoformat(),
                        "movement_count": moves}, ("file", fid)))
                    if rng.random() < 0.03:
                        again = moment(closed, rng.uniform(1, 10))
                        if again is not None:
                            events.append(envelope("file_reopened", again, owner, office, {"file_id": fid}, ("file", fid)))
        # Once in a while, all of a leaving clerk's files go to a successor.
        if len(office.users) > 2 and rng.random() < 0.05:
            at = moment(start, rng.uniform(0, span))
            if at is not None:
                leaving, successor = office.users[0], office.users[1]
                events.append(envelope("file_transferred", at, office.users[-1], office, {
                    "file_ids": [f"F{serial}"], "from_user": leaving, "to_user": successor}, ("file", f"F{serial}")))
    events.sort(key=lambda e: e["occurred_at"])
    directory_events = [envelope("office_recorded", start - timedelta(days=1), "system", o, o.record, ("office", o.code)) for o in offices]
    directory_events += [envelope("user_recorded", start - timedelta(days=1), "system", by_code[u["office"]], u, ("user", u["user_id"]))
                         for u in users]
    return offices, users, directory_events, events


def letter(journeys, by_code, office, file_id, draft_id, issuer, at, now):
    """A letter issued to the district's DC office (or, from it, an SDM's) inside the system, now and then
    with a copy to the ADC, an address by email and one by post; then what became of each dispatch."""
    dc = by_code[f"HR-{office.district}-DC1"]
    to = dc if dc is not office else by_code[f"HR-{office.district}-SDM1"]
    addressees = [("intra", to, False)]
    if journeys.random() < 0.3:
        addressees.append(("intra", by_code[f"HR-{office.district}-ADC1"], True))
    if journeys.random() < 0.4:
        addressees.append(("email", None, False))
    if journeys.random() < 0.2:
        addressees.append(("post", None, False))
    dispatches = [{"dispatch_id": f"{draft_id}-{n}", "position": n, "mode": mode, "copy": copy,
                   "name": addressee.record["name_en"] if addressee else "Sh. Ram Kumar", "user": None,
                   "office": addressee.code if addressee else None, "email": "ram.kumar@example.in" if mode == "email" else None,
                   "address": "Sector 5, Panchkula" if mode == "post" else None, "postal_mode": None, "article_number": None}
                  for n, (mode, addressee, copy) in enumerate(addressees, start=1)]
    events = [envelope("draft_issued", at, issuer, office, {
        "file_id": file_id, "draft_id": draft_id, "dispatch_mode": "intra", "addressees": dispatches}, ("file", file_id))]
    for dispatch, (mode, addressee, _) in zip(dispatches, addressees, strict=True):
        arrived = at + timedelta(hours=journeys.expovariate(1 / 3))
        if mode == "post" or arrived >= now - timedelta(minutes=1) or journeys.random() < 0.05:
            continue  # by post, on its way, or never received
        if mode == "email":
            outcome = "bounced" if journeys.random() < 0.1 else "delivered"
            events.append(envelope("letter_emailed", arrived, "system", office, {
                "dispatch_id": dispatch["dispatch_id"], "file_id": file_id, "outcome": outcome}, ("dispatch", dispatch["dispatch_id"])))
            continue
        receipt = f"L{draft_id}-{dispatch['position']}"
        events.append(envelope("letter_received", arrived, "system", addressee, {
            "receipt_id": receipt, "dispatch_id": dispatch["dispatch_id"], "source_file_id": file_id}, ("receipt", receipt)))
        opened = arrived + timedelta(hours=journeys.expovariate(1 / 12))
        if opened < now - timedelta(minutes=1):
            events.append(envelope("letter_opened", opened, journeys.choice(addressee.users), addressee, {
                "receipt_id": receipt, "dispatch_id": dispatch["dispatch_id"]}, ("receipt", receipt)))
    return events


def load(engine, now, batch=5000, scale=1.4):
    """The state into a migrated, empty metrics store: directory, facts, then every week scored.
    Returns (offices, users, facts applied, seconds applying, seconds scoring)."""
    import time

    from eoffice_common.db import Store, UnitOfWork
    from metrics.events import parse_event
    from metrics.repository import MetricsUnitOfWork
    from metrics.usecases_events import ApplyEvents, apply_events
    from metrics.usecases_scoring import ScoreStaleWeeks, score_stale_weeks

    offices, users, directory_events, events = state(now, scale)
    pipeline = Store(engine, "bench", None, "metrics.apply_events", "metrics")
    started = time.perf_counter()
    for chunk in (directory_events, *[events[i:i + batch] for i in range(0, len(events), batch)]):
        outcomes = pipeline.apply_batch(chunk, lambda uow, applied: apply_events(ApplyEvents(applied, now), MetricsUnitOfWork(uow)),
                                        validate=lambda envelope: parse_event(envelope, now))
        refused = {outcome: n for outcome, n in outcomes.items() if outcome != "applied"}
        if refused:
            raise RuntimeError(f"the generated state was not all applied: {refused}")
    applied = time.perf_counter() - started
    started = time.perf_counter()
    settings = domain.ScoreSettings.from_config({})
    while score_stale_weeks(ScoreStaleWeeks(settings, now), lambda: MetricsUnitOfWork(UnitOfWork(engine, actor="bench", correlation_id=None))):
        pass
    return offices, users, len(events), applied, time.perf_counter() - started
