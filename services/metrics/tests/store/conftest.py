"""The store on both databases: events applied the way the consumer applies a batch (the shared
pipeline's `apply_batch` around `usecases_events.apply_events`), weeks scored the way the scorer's timer scores them, and everything
the service serves read back so that it can be compared with a recompute from scratch."""
import shutil
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from eoffice_common.db import Store as EventStore
from eoffice_common.db import UnitOfWork
from eoffice_common.engine import StandaloneEngine
from eoffice_common.migrations import upgrade
from eoffice_common.testing import truncate_all
from metrics import domain, reports, usecases
from metrics.events import parse_event
from metrics.models import ScoredWeek, UnitScore
from metrics.repository import MetricsUnitOfWork
from metrics.usecases_events import ApplyEvents, apply_events
from metrics.usecases_scoring import RecomputeEverything, ScoreStaleWeeks, recompute_everything, score_stale_weeks

IST = domain.IST
CONSUMER = "metrics"


class Store:
    def __init__(self, url, settings):
        self.url = url
        self.settings = settings
        self.engine = StandaloneEngine(url)

    def unit_of_work(self):
        return UnitOfWork(self.engine, actor="test", correlation_id=None)

    def metrics_unit_of_work(self):
        return MetricsUnitOfWork(self.unit_of_work())

    def apply(self, envelopes, now):
        """One batch, as the consumer's handler applies it; the number of events applied, duplicate and
        dead-lettered."""
        pipeline = EventStore(self.engine, "test", None, CONSUMER, "metrics")
        return pipeline.apply_batch(list(envelopes), lambda uow, events: apply_events(ApplyEvents(events, now), MetricsUnitOfWork(uow)),
                                    validate=lambda envelope: parse_event(envelope, now))

    def score(self, now):
        """The scorer's passes until nothing is left to score."""
        while score_stale_weeks(ScoreStaleWeeks(self.settings, now), self.metrics_unit_of_work):
            pass

    def recompute_everything(self, now):
        recompute_everything(RecomputeEverything(self.settings, now), self.metrics_unit_of_work)

    def scores(self):
        """Every stored score, rank, explanation and the formula each week was scored with."""
        with self.unit_of_work() as uow:
            weeks = {w.week: (w.formula_version, w.settings) for w in uow.session.execute(select(ScoredWeek)).scalars()}
            units = {
                (s.week, s.level, s.unit): (s.name_en, s.name_hi, s.district, s.department, s.score, s.rank, s.active,
                                            s.pending, s.pending_old, s.components)
                for s in uow.session.execute(select(UnitScore)).scalars()
            }
        return weeks, units

    def unit(self, week, level, unit):
        with self.unit_of_work() as uow:
            return uow.session.get(UnitScore, (week, level, unit))

    def report(self, name, now, first=None, last=None, sender=None, by="office", **scope):
        with self.unit_of_work() as uow:
            store = reports.ReportStore(uow)
            today = now.astimezone(IST).date()
            period = (first or today - timedelta(days=365), last or today) if name in usecases.PERIOD_REPORTS else None
            return store.report(name, store.offices_in_scope(**scope), sender, now, period, by=by)[1]

    def every_report(self, now):
        names = ("pendency", "section-pendency", "active-file-levels", "vip-receipts", "overdue", "disposal", "monthly",
                 "dispatch", "electronic", "active-users", "darpg-monthly", "receipts-by-category", "file-register")
        every = {name: self.report(name, now) for name in names}
        for by in ("section", "department", "district"):
            every[f"dispatch by {by}"] = self.report("dispatch", now, by=by)
        for sender in ("clerk.jhs", "so.jhs", "sto.jhs"):
            every[f"pending-with-others of {sender}"] = self.report("pending-with-others", now, sender=sender)
        return every

    def close(self):
        self.engine.engine.dispose()


class Make:
    """Envelopes as dak, files, signing and notify publish them."""

    @staticmethod
    def event(event_type, data, at, office="COLL-JHS", actor="clerk.jhs", event_id=None):
        return {
            "id": event_id or str(uuid.uuid4()), "type": event_type, "schema_version": 1,
            "occurred_at": at.astimezone(timezone.utc).isoformat(), "actor": actor, "office": office, "district": "JHS",
            "correlation_id": uuid.uuid4().hex, "aggregate_type": event_type.split("_")[0], "aggregate_id": "x",
            "data": data,
        }

    @staticmethod
    def office(code, district="JHS", department="REV", at=None, state="UP"):
        data = {
            "office": code, "district": district, "name_en": f"Office {code}", "name_hi": f"कार्यालय {code}",
            "department": department, "department_name_en": f"Department {department}", "department_name_hi": "राजस्व",
            "district_name_en": f"District {district}", "district_name_hi": "झाँसी", "state": state, "sections": [],
        }
        return Make.event("office_recorded", data, at or datetime.now(timezone.utc), office=code, actor="directory-import")

    @staticmethod
    def user(user_id, office, active=True, at=None, roles=("clerk",)):
        data = {
            "user_id": user_id, "office": office, "name_en": f"User {user_id}", "name_hi": "राम प्रसाद",
            "designation_en": "Assistant", "designation_hi": "सहायक", "section": None, "roles": list(roles), "active": active,
        }
        return Make.event("user_recorded", data, at or datetime.now(timezone.utc), office=office, actor="directory-import")


def monday_of(moment):
    local = moment.astimezone(IST)
    return datetime(local.year, local.month, local.day, tzinfo=IST) - timedelta(days=local.weekday())


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory, service_dir):
    path = tmp_path_factory.mktemp("metrics-sqlite") / "template.db"
    upgrade(service_dir, f"sqlite:///{path}")
    return path


@pytest.fixture(params=["postgresql", "sqlite"])
def store_url(request, tmp_path, migrated_database, service_dir, sqlite_template):
    if request.param == "postgresql":
        url = migrated_database(service_dir, "metrics_store")
        truncate_all(url)
        return url
    path = tmp_path / "metrics.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def store(store_url, scoreboard_config):
    opened = Store(store_url, domain.ScoreSettings.from_config(scoreboard_config))
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def make():
    return Make
