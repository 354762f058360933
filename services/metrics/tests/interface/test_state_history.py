"""A year of a state's events (3 districts, 30 offices) through RabbitMQ: the rankings match a
computation written here from the events alone; replaying everything changes nothing; a late
event corrects its own week; a week recomputed from the stored facts comes out the same."""
import random
import statistics
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from urllib.parse import urlparse

import pytest
from nameko.containers import ServiceContainer
from sqlalchemy import text

from eoffice_common.metrics import EVENTS_CONSUMED
from eoffice_common.testing import truncate_all
from metrics import cli
from metrics.service import MetricsService

IST = timezone(timedelta(hours=5, minutes=30))
DISTRICTS = {"JHS": "झाँसी", "JLN": "जालौन", "LLP": "ललितपुर"}
DEPARTMENTS = {"REV": "राजस्व", "TRS": "कोषागार", "HLT": "स्वास्थ्य", "EDU": "शिक्षा", "RDV": "ग्राम्य विकास"}
WEEKS = 52
USERS_PER_OFFICE = 8


def ist_week(moment):
    year, week, _ = moment.astimezone(IST).isocalendar()
    return f"{year}-W{week:02d}"


def week_monday(moment):
    local = moment.astimezone(IST)
    monday = local - timedelta(days=local.weekday())
    return datetime(monday.year, monday.month, monday.day, tzinfo=IST)


class State:
    """The directory and a year of events, made up with a seeded random generator."""

    def __init__(self, events_factory, seed=2026):
        rng = random.Random(seed)
        self.make = events_factory.make
        self.end = week_monday(datetime.now(timezone.utc))  # the current week has no events
        self.start = self.end - timedelta(weeks=WEEKS)
        self.offices = {}
        self.users = {}
        self.directory = []
        for district, district_hi in DISTRICTS.items():
            for o_index in range(10):
                department = list(DEPARTMENTS)[o_index % len(DEPARTMENTS)]
                code = f"{department}-{district}-{o_index}"
                self.offices[code] = {"district": district, "department": department}
                self.directory.append(events_factory.office(
                    code, district, department, f"कार्यालय {o_index} {district_hi}", district_hi,
                    department_name_hi=DEPARTMENTS[department],
                ))
                for u in range(USERS_PER_OFFICE):
                    user_id = f"u{u}.{code.lower()}"
                    active = u != USERS_PER_OFFICE - 1  # one user per office has left
                    self.users[user_id] = {"office": code, "active": active}
                    self.directory.append(events_factory.user(user_id, code, name_hi=f"उपयोगकर्ता {u}", active=active, district=district))
        self.events = []
        for code in self.offices:
            self._office_history(rng, code)
        self.events.sort(key=lambda e: e["occurred_at"])

    def _add(self, event_type, at, office, actor, data):
        if at < self.end:
            self.events.append(self.make(event_type, data, office=office, actor=actor, at=at.astimezone(timezone.utc)))

    def _office_history(self, rng, office):
        people = [u for u, info in self.users.items() if info["office"] == office and info["active"]]
        profile = {
            "e_file": rng.uniform(0.2, 1.0), "e_receipt": rng.uniform(0.2, 1.0), "load": rng.uniform(0.5, 1.6),
            "speed": rng.uniform(0.5, 30), "sign": rng.uniform(0.0, 1.0), "close": rng.uniform(0.4, 0.95),
            "workers": rng.randint(2, len(people)),
        }
        workers = rng.sample(people, profile["workers"])
        district = self.offices[office]["district"]
        # Some files go to another office of the district (the collectorate, a treasury) and stay there a while.
        elsewhere = sorted(u for u, info in self.users.items()
                           if info["active"] and info["office"] != office and self.offices[info["office"]]["district"] == district)
        serial = 0
        for week in range(WEEKS):
            monday = self.start + timedelta(weeks=week)
            for _ in range(round(rng.randint(1, 4) * profile["load"])):
                serial += 1
                at = monday + timedelta(seconds=rng.uniform(0, 7 * 86400))
                receipt = f"R-{office}-{serial}"
                diarist = rng.choice(workers)
                kind = "electronic" if rng.random() < profile["e_receipt"] else "physical"
                self._add("receipt_diarised", at, office, diarist, {"receipt_id": receipt, "kind": kind, "holder": diarist})
                choice = rng.random()
                if choice < 0.5:
                    later = at + timedelta(days=rng.uniform(0, profile["speed"]))
                    self._add("receipt_put_in_file", later, office, diarist, {"receipt_id": receipt, "file_id": f"F-{office}-x"})
                elif choice < 0.8:
                    later = at + timedelta(days=rng.uniform(0, 3))
                    self._add("receipt_sent", later, office, diarist, {"receipt_id": receipt, "to_user": rng.choice(workers)})
            for _ in range(round(rng.randint(1, 3) * profile["load"])):
                serial += 1
                created = monday + timedelta(seconds=rng.uniform(0, 7 * 86400))
                file_id = f"F-{office}-{serial}"
                holder = rng.choice(workers)
                kind = "electronic" if rng.random() < profile["e_file"] else "physical"
                self._add("file_created", created, office, holder, {"file_id": file_id, "kind": kind, "created_by": holder})
                at = created
                sends = rng.randint(0, 4)
                for _ in range(sends):
                    at += timedelta(days=rng.uniform(0, profile["speed"] / 3))
                    to_user = rng.choice(elsewhere if rng.random() < 0.15 else [w for w in workers if w != holder])
                    self._add("file_sent", at, office, holder, {"file_id": file_id, "from_user": holder, "to_user": to_user})
                    if rng.random() < 0.5:
                        self._add("notification_delivered", at + timedelta(seconds=5), "", "system",
                                  {"notification_id": f"N-{file_id}-{at.timestamp()}", "user": to_user, "channel": "inapp"})
                    holder = to_user
                if rng.random() < 0.8:
                    at += timedelta(hours=rng.uniform(1, 30))
                    self._add("note_confirmed", at, office, holder, {"file_id": file_id, "note_id": f"N-{file_id}"})
                    if rng.random() < profile["sign"]:
                        self._add("document_signed", at + timedelta(minutes=3), "", holder, {
                            "signature_id": f"S-{file_id}", "document_kind": "note", "document_id": f"N-{file_id}",
                            "file_id": file_id, "signer": holder,
                        })
                if rng.random() < profile["close"]:
                    at += timedelta(days=rng.uniform(0, profile["speed"]))
                    self._add("file_closed", at, office, holder, {
                        "file_id": file_id, "created_at": created.isoformat(), "movement_count": sends,
                    })


def expected_rankings(state, events, settings, weeks):
    """The scoreboard computed from the events, straight from the formula in the README."""
    weights = settings["weights"]
    office_of_user = {u: info["office"] for u, info in state.users.items()}
    users = defaultdict(int)
    for info in state.users.values():
        users[info["office"]] += info["active"]
    per = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))  # week -> office -> counter
    active = defaultdict(set)
    disposals = defaultdict(list)
    created, closed = {}, {}
    held = defaultdict(list)  # item -> [(from when, holder)]
    for e in events:
        at = datetime.fromisoformat(e["occurred_at"])
        week, data, kind = ist_week(at), e["data"], e["type"]
        office = e["office"] or office_of_user[data.get("signer") or data.get("user")]
        counts = per[week][office]
        if kind == "file_created":
            counts["files"] += 1
            counts["e_files"] += data["kind"] == "electronic"
            created[("file", data["file_id"])] = (office, at)
            held[("file", data["file_id"])].append((at, data["created_by"]))
        elif kind == "receipt_diarised":
            counts["receipts"] += 1
            counts["e_receipts"] += data["kind"] == "electronic"
            created[("receipt", data["receipt_id"])] = (office, at)
            held[("receipt", data["receipt_id"])].append((at, data["holder"]))
        elif kind in ("file_sent", "receipt_sent"):
            counts["movements"] += 1
            held[(kind.split("_")[0], data.get("file_id") or data.get("receipt_id"))].append((at, data["to_user"]))
        elif kind == "note_confirmed":
            counts["notes"] += 1
        elif kind == "document_signed":
            counts["signed"] += 1
        elif kind == "file_closed":
            closed[("file", data["file_id"])] = at
            seconds = int((at - datetime.fromisoformat(data["created_at"])).total_seconds())
            disposals[(week, office)].append(seconds / 86400)
        elif kind == "receipt_put_in_file":
            closed[("receipt", data["receipt_id"])] = at
        if e["actor"] != "system" and not kind.startswith("notification"):
            active[(week, office_of_user[e["actor"]])].add(e["actor"])  # a user of their own office

    def pending_at(at):
        """{office: (pending, old)}: each item charged to the office of whoever held it at that moment."""
        found = defaultdict(lambda: [0, 0])
        for item, (_, opened) in created.items():
            if opened <= at and (item not in closed or closed[item] > at):
                holder = max((since, who) for since, who in held[item] if since <= at)[1]
                counts = found[office_of_user[holder]]
                counts[0] += 1
                # more than pendency_days whole days old, as the MIS age buckets count days
                counts[1] += opened <= at - timedelta(days=settings["pendency_days"] + 1)
        return found

    def pool(week, offices, pending):
        total = defaultdict(float)
        days, people = [], set()
        for office in offices:
            for key, value in per[week][office].items():
                total[key] += value
            people |= active[(week, office)]  # a person active in two offices is one person
            total["users"] += users[office]
            days += disposals[(week, office)]
            total["pending"] += pending[office][0]
            total["old"] += pending[office][1]
        total["active"] = len(people)
        return total, days

    def share(part, whole, cap=False):
        if not whole:
            return 0.0
        return 10 * (min(1.0, part / whole) if cap else part / whole)

    def score(total, days):
        if not total["active"]:
            return 0.0  # nothing earned in a week without activity
        median = statistics.median(days) if days else None
        disposal = 0.0 if median is None else 10 * min(1, max(0, (30 - median) / (30 - 1)))
        values = {
            "e_file_share": share(total["e_files"], total["files"]),
            "e_receipt_share": share(total["e_receipts"], total["receipts"]),
            "movements_per_active_user": 10 * min(1, total["movements"] / total["active"] / 10) if total["active"] else 0.0,
            "median_disposal_days": disposal,
            "old_pendency_share": 10 * (1 - total["old"] / total["pending"]) if total["pending"] else 10.0,
            "digital_signing_share": share(total["signed"], total["notes"], cap=True),
            "active_user_share": share(total["active"], total["users"], cap=True),
        }
        return round(sum(weights[k] * v for k, v in values.items()) / sum(weights.values()), 2)

    rankings = {}
    for monday in weeks:
        week, at = ist_week(monday), monday + timedelta(days=7)
        pending = pending_at(at)
        for level in ("office", "department", "district"):
            units = defaultdict(list)
            for office, info in state.offices.items():
                units[office if level == "office" else info[level]].append(office)
            pooled = {unit: pool(week, members, pending) for unit, members in units.items()}
            scores = {unit: score(*totals) for unit, totals in pooled.items()}
            # units with activity first, then by score
            keys = {unit: (pooled[unit][0]["active"] > 0, scores[unit]) for unit in units}
            ordered = sorted(scores, key=lambda u: (-keys[u][0], -keys[u][1], u))
            ranks = {}
            for position, unit in enumerate(ordered, start=1):
                same = position > 1 and keys[unit] == keys[ordered[position - 2]]
                ranks[unit] = ranks[ordered[position - 2]] if same else position
            rankings[(week, level)] = {unit: (ranks[unit], scores[unit]) for unit in units}
    return rankings


def served_rankings(client, week, level):
    response = client.get(f"/scoreboard?week={week}&level={level}")
    assert response.status_code == 200, response.text
    return {u["unit"]: (u["rank"], u["score"]) for u in response.json()["units"]}


def consumed(outcome):
    return sum(s.value for m in EVENTS_CONSUMED.collect() for s in m.samples
               if s.name.endswith("_total") and s.labels.get("service") == "metrics" and s.labels.get("outcome") == outcome)


class History:
    def __init__(self, state, client, db, publisher, url):
        self.state, self.client, self.db, self.publisher, self.url = state, client, db, publisher, url

    def applied(self):
        return self.db.scalar("SELECT count(*) FROM processed_events")

    def settled(self):
        """Nothing waits to be scored and every week from the first event to now has scores."""
        return self.db.scalar("SELECT count(*) FROM stale_weeks") == 0 and self.db.scalar(
            "SELECT count(DISTINCT week) FROM unit_scores") == WEEKS + 1

    def snapshot(self):
        return {
            "daily_counts": self.db.rows("SELECT * FROM daily_counts ORDER BY office, day"),
            "items": self.db.rows("SELECT * FROM items ORDER BY item_type, item_id"),
            "active": self.db.rows("SELECT * FROM weekly_active_users ORDER BY week, office, user_id"),
            "scores": self.scores(),
            "facts": self.db.scalar("SELECT count(*) FROM facts"),
        }

    def scores(self, week=None):
        return self.db.rows(
            "SELECT week, level, unit, score, rank, pending, pending_old, components FROM unit_scores"
            + (" WHERE week = :week" if week else "") + " ORDER BY week, level, unit", week=week)


@pytest.fixture(scope="module")
def history(request, vhost_pipeline, migrated_database, service_dir, make_service_config, make_client,
            make_database, events_factory, wait):
    """The service fed a whole state's year once, for every test of this module (in any order)."""
    url = migrated_database(service_dir, "metrics_history")
    truncate_all(url)
    broker = urlparse(request.config.getoption("RABBIT_AMQP_URI"))
    with vhost_pipeline.get() as vhost:
        amqp_uri = f"{broker.scheme}://{broker.netloc}/{vhost}"
        config = make_service_config({"AMQP_URI": amqp_uri}, url, INGEST_BATCH_SIZE=1000, SCORE_EVERY_SECONDS=2)
        container = ServiceContainer(MetricsService, config)
        container.start()
        publisher = events_factory(amqp_uri)
        db = make_database(url)
        state = State(events_factory)
        history = History(state, make_client(f"http://{config['WEB_SERVER_ADDRESS']}"), db, publisher, url)
        try:
            publisher.publish(state.directory)
            # in no particular order: a file may be closed before it is seen to be created
            publisher.publish(random.Random(7).sample(state.events, len(state.events)))
            assert wait(lambda: history.applied() == len(state.directory) + len(state.events), timeout=180)
            assert wait(history.settled, timeout=120)
            yield history
        finally:
            publisher.close()
            container.stop()
            db.engine.dispose()


def history_weeks(state):
    return [state.start + timedelta(weeks=w) for w in range(WEEKS)]


def test_the_rankings_match_a_computation_from_the_events_alone(history, scoreboard_config):
    state = history.state
    assert len(state.events) > 20000
    expected = expected_rankings(state, state.events, scoreboard_config, history_weeks(state))
    for (week, level), ranking in expected.items():
        served = served_rankings(history.client, week, level)
        assert set(served) == set(ranking), (week, level)
        for unit, (rank, score) in ranking.items():
            assert served[unit][1] == pytest.approx(score, abs=0.011), (week, level, unit)
            assert served[unit][0] == rank, (week, level, unit, served[unit], (rank, score))
    assert len({tuple(sorted(r.items())) for (week, level), r in expected.items() if level == "district"}) > 10


def test_replaying_every_event_twice_changes_nothing(history, wait):
    state = history.state
    before = history.snapshot()
    duplicates = consumed("duplicate")
    everything = state.directory + state.events
    history.publisher.publish(everything + everything)
    assert wait(lambda: consumed("duplicate") - duplicates == 2 * len(everything), timeout=180)
    assert wait(history.settled)
    assert history.snapshot() == before


def test_a_late_event_corrects_its_own_week_and_no_other(history, events_factory, scoreboard_config, wait):
    state = history.state
    monday = state.end - timedelta(weeks=10)
    week = ist_week(monday)
    office = "REV-JLN-0"
    before = {(r.week, r.level, r.unit): r for r in history.scores()}
    number = int(week[:4]) * 100 + int(week[-2:])
    moved = next(c for c in before[(number, "office", office)].components if c["component"] == "movements_per_active_user")
    late = events_factory.make(
        "file_sent", {"file_id": f"F-{office}-late", "from_user": f"u0.{office.lower()}", "to_user": f"u1.{office.lower()}"},
        office=office, actor=f"u0.{office.lower()}", at=(monday + timedelta(days=3)).astimezone(timezone.utc),
    )
    history.publisher.publish([late])
    state.events.append(late)

    def corrected():
        row = history.db.rows("SELECT components FROM unit_scores WHERE week = :w AND level = 'office' AND unit = :u", w=number, u=office)
        component = next(c for c in row[0].components if c["component"] == "movements_per_active_user")
        return component["numerator"] == moved["numerator"] + 1

    assert wait(corrected)
    assert wait(history.settled)
    after = {(r.week, r.level, r.unit): r for r in history.scores()}
    changed = {key[0] for key in after if after[key] != before[key]}
    assert changed == {number}
    expected = expected_rankings(state, state.events, scoreboard_config, [monday])
    for level in ("office", "department", "district"):
        served = served_rankings(history.client, week, level)
        assert {u: r for u, (r, _) in served.items()} == {u: r for u, (r, _) in expected[(week, level)].items()}


def test_a_week_recomputed_from_its_facts_comes_out_the_same(history, monkeypatch, wait):
    state = history.state
    week = ist_week(state.end - timedelta(weeks=20))
    number = int(week[:4]) * 100 + int(week[-2:])
    assert wait(history.settled)

    def projections():
        return (
            history.db.rows("SELECT * FROM daily_counts WHERE day >= :a AND day < :b ORDER BY office, day",
                            a=(state.end - timedelta(weeks=20)).date(), b=(state.end - timedelta(weeks=19)).date()),
            history.db.rows("SELECT * FROM weekly_active_users WHERE week = :w ORDER BY office, user_id", w=number),
            [r[:-1] for r in history.scores(number)],
        )

    def spoil():
        with history.db.engine.begin() as conn:
            conn.execute(text("UPDATE daily_counts SET files_created = files_created + 7"))
            conn.execute(text("DELETE FROM weekly_active_users WHERE week = :w"), {"w": number})

    before = projections()
    spoil()
    response = history.client.post(f"/weeks/{week}/recompute")
    assert response.status_code == 200, response.text
    assert response.json() == {"week": week, "recomputed": True, "offices": 30}
    assert projections() == before

    spoil()
    monkeypatch.setenv("METRICS_DB_URL", history.url)
    assert cli.main(["recompute", "--week", week]) == 0
    assert projections() == before
    assert history.client.post("/weeks/2019-W01/recompute").json()["error"] == "unknown_week"
