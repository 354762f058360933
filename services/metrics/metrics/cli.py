"""`metrics migrate`, `metrics declare-queues`, `metrics recompute`, `metrics score`: operations outside the running service."""
import argparse
import os
import sys
from datetime import datetime, timezone

from eoffice_common.config import load_config, service_config_path
from eoffice_common.consumer import declare_queues
from eoffice_common.db import UnitOfWork
from eoffice_common.engine import StandaloneEngine
from eoffice_common.migrations import upgrade

from . import domain
from .repository import MetricsUnitOfWork
from .usecases_scoring import (
    RecomputeEverything,
    ScoreStaleWeeks,
    ScoreWeek,
    recompute_everything,
    recompute_week,
    score_stale_weeks,
)

SERVICE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="metrics")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="bring the database to the latest schema and declare the queues")
    commands.add_parser("declare-queues", help="declare the queues and bindings the service consumes from")
    recompute = commands.add_parser("recompute", help="rebuild counts and scores from the stored facts")
    which = recompute.add_mutually_exclusive_group(required=True)
    which.add_argument("--week", help="one ISO week in IST, e.g. 2026-W47")
    which.add_argument("--all", action="store_true", help="files and receipts, then every week since the first fact")
    commands.add_parser("score", help="score the stale weeks now (the service does this every few seconds)")
    args = parser.parse_args(argv)
    config = load_config(service_config_path(__file__))

    if args.command in ("migrate", "declare-queues"):
        if args.command == "migrate":
            upgrade(SERVICE_DIR, config["DB_URL"])
            print("metrics database is at the latest schema")
        from .service import MetricsService  # a heavy import, which only these commands need

        print("queues declared:", ", ".join(declare_queues(MetricsService, config)) or "none")
        return 0

    engine = StandaloneEngine(config["DB_URL"])
    settings = domain.ScoreSettings.from_config(config.get("SCOREBOARD"))
    now = datetime.now(timezone.utc)

    def unit_of_work():
        return MetricsUnitOfWork(UnitOfWork(engine, actor="cli", correlation_id=None))

    if args.command == "score":
        weeks = score_stale_weeks(ScoreStaleWeeks(settings, now), unit_of_work)
        print(f"scored {len(weeks)} weeks: {', '.join(domain.week_label(w) for w in weeks) or '-'}")
        return 0
    if args.all:
        weeks = recompute_everything(RecomputeEverything(settings, now), unit_of_work)
        print(f"recomputed files, receipts and {len(weeks)} weeks from the stored facts")
        return 0
    try:
        week = domain.parse_week(args.week)
    except ValueError as exc:
        parser.error(f"--week: {exc}")
    if week > domain.week_of(now):
        parser.error(f"--week: {args.week} has not begun")
    recompute_week(ScoreWeek(week, settings, now), unit_of_work)
    print(f"recomputed {args.week} from its stored facts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
