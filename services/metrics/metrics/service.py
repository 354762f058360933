"""The metrics service's entrypoints: consume every event in batches, score stale weeks, answer
the scoreboard, explanations and MIS reports (JSON, CSV, and an HTML page)."""
import os
from datetime import datetime, timezone

from nameko.dependency_providers import Config
from nameko.exceptions import RpcTimeout, UnknownService
from nameko.extensions import DependencyProvider
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.timer import timer
from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from eoffice_common import web
from eoffice_common.consumer import consume_batches
from eoffice_common.db import Database
from eoffice_common.engine import DatabaseEngine
from eoffice_common.errors import InvalidInput
from eoffice_common.logging import get_logger
from eoffice_common.metrics import Instrumentation
from eoffice_common.web import Caller, content_disposition, http, query_args, require_caller

from . import domain, reports, repository, usecases
from .events import CONSUMED, DIRECTORY_EVENTS, parse_event
from .exceptions import AdminOnly, UnknownLevel, UnknownUnit, UnknownWeek
from .models import Fact, Office, StaleWeek
from .page import scoreboard_page
from .repository import MetricsUnitOfWork
from .schemas import DispatchQuery, PageQuery, RegisterQuery, ReportQuery, ScoreboardQuery, WeekQuery, today_ist
from .usecases_events import ApplyEvents, RecordDirectory, apply_events, record_directory
from .usecases_scoring import ScoreStaleWeeks, ScoreWeek, recompute_week, score_stale_weeks

OPENAPI_PATH = os.path.join(os.path.dirname(__file__), "openapi.yaml")
HISTORY_WEEKS = 12

log = get_logger(__name__)


def utcnow():
    return datetime.now(timezone.utc)


class ScoreboardSettings(DependencyProvider):
    """The scoreboard's weights and limits from config.yml (SCOREBOARD), checked at start."""

    def setup(self):
        self.settings = domain.ScoreSettings.from_config(self.container.config.get("SCOREBOARD"))

    def get_dependency(self, worker_ctx):
        return self.settings


class ScoreboardCollector:
    """Gauges read at scrape time from the current week's scores: score and pendency of each
    district and department (bounded labels), stale weeks, facts waiting for the directory."""

    def __init__(self):
        self.engines = {}

    def collect(self):
        families = {
            (level, name): GaugeMetricFamily(f"eoffice_{level}_{name}", help_text, labels=[level])
            for level in ("district", "department")
            for name, help_text in (
                ("score", "This week's eOffice score (0-10)."),
                ("pending_items", "Files and receipts pending now."),
                ("pending_old_items", "Files and receipts pending longer than the scoreboard's limit."),
            )
        }
        stale = GaugeMetricFamily("eoffice_scoreboard_backlog", "Weeks waiting to be scored again.")
        waiting = GaugeMetricFamily("eoffice_facts_awaiting_directory", "Facts whose office the directory does not know yet.")
        week = domain.week_of(utcnow())
        for engine in list(self.engines.values()):
            try:
                with Session(engine) as session:
                    rows = repository.current_gauges(session, week)
                    stale.add_metric([], session.execute(select(func.count()).select_from(StaleWeek)).scalar())
                    waiting.add_metric([], session.execute(select(func.count()).where(Fact.office.is_(None))).scalar())
            except Exception as exc:  # a scrape must not fail because the database is briefly away
                log.warning("scoreboard_gauges_unavailable", error=str(exc))
                continue
            for level, unit, score, pending, pending_old in rows:
                families[(level, "score")].add_metric([unit], score)
                families[(level, "pending_items")].add_metric([unit], pending)
                families[(level, "pending_old_items")].add_metric([unit], pending_old)
        return list(families.values()) + [stale, waiting]


SCOREBOARD_COLLECTOR = ScoreboardCollector()
REGISTRY.register(SCOREBOARD_COLLECTOR)


class ScoreboardGauges(DependencyProvider):
    shared = DatabaseEngine()

    def start(self):
        SCOREBOARD_COLLECTOR.engines[self.container.service_name] = self.shared.engine

    def stop(self):
        SCOREBOARD_COLLECTOR.engines.pop(self.container.service_name, None)

    kill = stop


# The base class is reached through its module: `nameko run metrics.service` takes every class of
# this module that has entrypoints for a service, and DescribedService has some.
class MetricsService(web.DescribedService):
    name = "metrics"
    openapi_path = OPENAPI_PATH

    db = Database()
    caller = Caller()
    log = Instrumentation()
    config = Config()
    settings = ScoreboardSettings()
    gauges = ScoreboardGauges()

    # --- consuming ------------------------------------------------------------------------------

    @consume_batches(CONSUMED, alone=DIRECTORY_EVENTS)
    def apply_events(self, payloads):
        """A batch of events from every service, applied once each in one transaction (the shared
        pipeline tracks them and dead-letters what cannot be used; usecases_events.apply_events)."""
        now = utcnow()
        self.db.apply_batch(payloads, lambda uow, events: apply_events(ApplyEvents(events, now), MetricsUnitOfWork(uow)),
                            validate=lambda envelope: parse_event(envelope, now))

    def _uow(self):
        return MetricsUnitOfWork(self.db.unit_of_work())

    @timer(interval=1)
    def score(self):
        """Score the weeks that events made stale."""
        every = float(self.config.get("SCORE_EVERY_SECONDS", 15))
        score_stale_weeks(ScoreStaleWeeks(self.settings, utcnow(), every_seconds=every), self._uow)

    @timer(interval=60, eager=True)
    def bootstrap_directory(self):
        """An empty copy of the directory is filled from dak.directory_snapshot()."""
        if not self.config.get("DIRECTORY_BOOTSTRAP", True):
            return
        with self.db.read() as session:
            if session.execute(select(Office.code).limit(1)).first():
                return
        timeout = float(self.config.get("DIRECTORY_BOOTSTRAP_TIMEOUT", 10))
        try:
            with ClusterRpcProxy(self.config, timeout=timeout) as cluster:
                snapshot = cluster.dak.directory_snapshot()
        except (UnknownService, RpcTimeout) as exc:
            log.warning("directory_bootstrap_waiting_for_dak", reason=type(exc).__name__)
            return
        record_directory(RecordDirectory(snapshot, utcnow()), self._uow())
        log.info("directory_bootstrapped", offices=len(snapshot.get("offices", [])), users=len(snapshot.get("users", [])))

    # --- scoreboard -------------------------------------------------------------------------------

    @http("GET", "/scoreboard")
    def get_scoreboard(self, request):
        """Every unit of a level in a week, ranked, with the change in rank since the week before."""
        require_caller(self.caller)
        query = query_args(request, ScoreboardQuery)
        with self.db.read() as session:
            week = self._scored_week(session, query.week_number)
            rows = self._ranked(session, week, query.level, query.district)
            scored = repository.scored_week(session, week)
        if query.format == "csv":
            columns = ["rank", "rank_change", "unit", "name_en", "name_hi", "district", "department", "score", "active",
                       "pending", "pending_old"]
            return _csv(reports.as_csv(columns, rows), f"scoreboard-{query.level}-{domain.week_label(week)}.csv")
        return {
            "week": domain.week_label(week), "level": query.level, "pendency_days": scored.settings["pendency_days"],
            "formula_version": scored.formula_version, "weights": scored.settings["weights"], "units": rows,
        }

    @http("GET", "/scoreboard/page")
    def get_scoreboard_page(self, request):
        """The scoreboard as an HTML page for phones, in Hindi and English."""
        require_caller(self.caller)
        query = query_args(request, PageQuery)
        with self.db.read() as session:
            week = self._scored_week(session, query.week_number)
            rows = self._ranked(session, week, query.level)
            previous = domain.shift_week(week, -1)
            following = domain.shift_week(week, 1)
            previous = previous if repository.week_is_scored(session, previous) else None
            following = following if repository.week_is_scored(session, following) else None
        html = scoreboard_page(week, query.level, rows, self.settings, previous, following)
        return Response(html, mimetype="text/html")

    @http("GET", "/scoreboard/<string:level>/<string:unit>")
    def get_unit(self, request, level, unit):
        """One unit's score, rank, change in rank, component values and recent weeks."""
        require_caller(self.caller)
        query = query_args(request, WeekQuery)
        with self.db.read() as session:
            row, week, previous_rank = self._unit(session, level, unit, query.week_number)
            history = repository.unit_history(session, level, unit, week, HISTORY_WEEKS)
        return {
            **_unit_summary(row, week, previous_rank),
            "components": {c["component"]: round(c["normalised"], 2) for c in row.components},
            "history": [{"week": domain.week_label(w), "score": s, "rank": r} for w, s, r in history],
        }

    @http("GET", "/scoreboard/<string:level>/<string:unit>/explain")
    def explain(self, request, level, unit):
        """Each component's raw value (and what it was computed from), normalised value, weight and
        contribution; the contributions add up to the score."""
        require_caller(self.caller)
        query = query_args(request, WeekQuery)
        with self.db.read() as session:
            row, week, previous_rank = self._unit(session, level, unit, query.week_number)
            scored = repository.scored_week(session, week)
        return {
            **_unit_summary(row, week, previous_rank),
            "formula": {
                "score": "sum over components of weight × normalised value ÷ sum of weights (0-10), "
                         "each contribution in hundredths so that they add up to the score; 0 without activity",
                "version": scored.formula_version, **scored.settings,
            },
            "components": [{**c, "normalised": round(c["normalised"], 4)} for c in row.components],
        }

    @http("POST", "/weeks/<string:week>/recompute")
    def recompute_week(self, request, week):
        """Counts and scores of a past week again from its stored facts (admins)."""
        principal = require_caller(self.caller)
        if not principal.has_role("admin"):
            raise AdminOnly("only an admin may recompute a week")
        try:
            number = domain.parse_week(week)
        except ValueError as exc:
            raise InvalidInput("the week is not valid", fields={"week": str(exc)}) from exc
        now = utcnow()
        with self.db.read() as session:
            known = number <= domain.week_of(now) and (
                repository.week_has_facts(session, number) or repository.week_is_scored(session, number)
            )
        if not known:
            raise UnknownWeek(f"no events are stored for {week}")
        recompute_week(ScoreWeek(number, self.settings, now), self._uow)
        with self.db.read() as session:
            units = len(self._ranked(session, number, "office"))
        return {"week": week, "recomputed": True, "offices": units}

    # --- MIS reports ------------------------------------------------------------------------------

    @http("GET", "/mis/scopes")
    def report_scopes(self, request):
        """The scopes whose reports the caller may read (their jurisdiction), broadest first."""
        principal = require_caller(self.caller)
        with self.db.read() as session:
            offices, scopes = reports.jurisdiction(session, principal.user_id, principal.office)
        if not scopes:
            raise UnknownUnit("your office is not in the directory yet")
        home = offices[scopes[-1][1]]  # the narrowest scope is the user's own office
        return {"scopes": [_scope_names(kind, code, home) for kind, code in scopes], "offices": len(offices)}

    @http("GET", "/mis/pendency")
    def pendency_report(self, request):
        return self._report(request, "pendency")

    @http("GET", "/mis/section-pendency")
    def section_pendency_report(self, request):
        return self._report(request, "section-pendency")

    @http("GET", "/mis/pending-with-others")
    def pending_with_others_report(self, request):
        """What the caller sent that someone else still holds."""
        return self._report(request, "pending-with-others")

    @http("GET", "/mis/active-file-levels")
    def active_file_levels_report(self, request):
        return self._report(request, "active-file-levels")

    @http("GET", "/mis/vip-receipts")
    def vip_receipts_report(self, request):
        return self._report(request, "vip-receipts")

    @http("GET", "/mis/receipts-by-category")
    def receipts_by_category_report(self, request):
        return self._report(request, "receipts-by-category")

    @http("GET", "/mis/file-register")
    def file_register_report(self, request):
        return self._report(request, "file-register")

    @http("GET", "/mis/darpg-monthly")
    def darpg_monthly_report(self, request):
        return self._report(request, "darpg-monthly")

    @http("GET", "/mis/disposal")
    def disposal_report(self, request):
        return self._report(request, "disposal")

    @http("GET", "/mis/monthly")
    def monthly_report(self, request):
        return self._report(request, "monthly")

    @http("GET", "/mis/dispatch")
    def dispatch_report(self, request):
        return self._report(request, "dispatch")

    @http("GET", "/mis/overdue")
    def overdue_report(self, request):
        return self._report(request, "overdue")

    @http("GET", "/mis/electronic")
    def electronic_report(self, request):
        return self._report(request, "electronic")

    @http("GET", "/mis/active-users")
    def active_users_report(self, request):
        return self._report(request, "active-users")

    # --- helpers ----------------------------------------------------------------------------------

    def _scored_week(self, session, week):
        """The asked week if it has scores; without one, the latest scored week up to now."""
        current = domain.week_of(utcnow())
        if week is None:
            week = repository.latest_scored_week(session, current)
            if week is None:
                raise UnknownWeek("no week has been scored yet")
            return week
        if week > current or not repository.week_is_scored(session, week):
            raise UnknownWeek(f"{domain.week_label(week)} has no scores")
        return week

    @staticmethod
    def _ranked(session, week, level, district=None):
        return [
            {
                "rank": r.rank, "rank_change": domain.rank_change(r.rank, r.previous_rank), "previous_rank": r.previous_rank,
                "unit": r.unit, "name_en": r.name_en, "name_hi": r.name_hi, "district": r.district,
                "department": r.department, "score": r.score, "active": r.active, "pending": r.pending,
                "pending_old": r.pending_old,
            }
            for r in repository.scoreboard(session, week, level, district)
        ]

    def _unit(self, session, level, unit, week):
        if level not in domain.LEVELS:
            raise UnknownLevel(f"a level is one of {', '.join(domain.LEVELS)}")
        if not repository.unit_exists(session, level, unit):
            raise UnknownUnit(f"no {level} {unit} in the directory")
        week = self._scored_week(session, week)
        row = repository.unit_score(session, week, level, unit)
        if row is None:
            raise UnknownUnit(f"{level} {unit} has no score for {domain.week_label(week)}")
        previous = repository.unit_score(session, domain.shift_week(week, -1), level, unit)
        return row, week, previous.rank if previous else None

    def _report(self, request, name):
        principal = require_caller(self.caller)
        query = query_args(request, {"file-register": RegisterQuery, "dispatch": DispatchQuery}.get(name, ReportQuery))
        now = utcnow()
        today = today_ist(now)
        period = None
        if name in usecases.PERIOD_REPORTS:
            period = query.period(today, default_days=365 if name in ("monthly", "darpg-monthly") else 30)
        paged = name in usecases.PAGED_REPORTS and query.format == "json"
        command = usecases.ReadReport(
            name, principal.user_id, principal.office, now, period,
            scope={"office": query.office, "district": query.district, "department": query.department},
            page=query.page if paged else 1, per_page=query.per_page if paged else None, by=getattr(query, "by", "office"),
        )
        with self.db.read() as session:
            report = usecases.read_report(command, reports.reading(session))
        stamp = f"{period[0]}-{period[1]}" if period else str(today)
        if query.format == "csv":
            return _csv(reports.as_csv(report.columns, report.rows), f"mis-{name}-{stamp}.csv")
        return {
            "report": name, "scope": report.scope,
            "from": period[0].isoformat() if period else None, "to": period[1].isoformat() if period else None,
            "as_of": now.isoformat(), "columns": report.columns, "rows": report.rows, **(report.paging or {}),
        }


def _unit_summary(row, week, previous_rank):
    return {
        "week": domain.week_label(week), "level": row.level, "unit": row.unit, "name_en": row.name_en,
        "name_hi": row.name_hi, "district": row.district, "department": row.department, "score": row.score,
        "active": row.active, "rank": row.rank, "previous_rank": previous_rank, "rank_change": domain.rank_change(row.rank, previous_rank),
        "pending": row.pending, "pending_old": row.pending_old,
    }


def _scope_names(kind, code, home):
    names = {
        "office": (home.name_en, home.name_hi), "district": (home.district_name_en, home.district_name_hi),
        "department": (home.department_name_en, home.department_name_hi), "state": (home.state, home.state),
    }[kind]
    return {"kind": kind, "code": code, "name_en": names[0], "name_hi": names[1]}


def _csv(body, filename):
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": content_disposition(filename, "attachment")})
