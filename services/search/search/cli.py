"""`search migrate`, `search declare-queues`, `search reindex`: operations outside the running service."""
import argparse
import os
import sys
from datetime import datetime, timezone

from eoffice_common.config import load_service_config
from eoffice_common.consumer import declare_queues
from eoffice_common.db import UnitOfWork
from eoffice_common.engine import StandaloneEngine
from eoffice_common.migrations import upgrade

from . import usecases
from .repository import SearchUnitOfWork

SERVICE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="search")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="bring the database to the latest schema and declare the queues")
    commands.add_parser("declare-queues", help="declare the queues and bindings the service consumes from")
    commands.add_parser("reindex", help="rebuild the index: words, grants, and every document's text read again")
    args = parser.parse_args(argv)
    config = load_service_config(__file__)

    if args.command in ("migrate", "declare-queues"):
        if args.command == "migrate":
            upgrade(SERVICE_DIR, config["DB_URL"])
            print("search database is at the latest schema")
        from .service import SearchService  # a heavy import, which only these commands need

        print("queues declared:", ", ".join(declare_queues(SearchService, config)) or "none")
        return 0

    engine = StandaloneEngine(config["DB_URL"])
    with UnitOfWork(engine, actor="cli", correlation_id=None) as uow:
        done = usecases.reindex(SearchUnitOfWork(uow, datetime.now(timezone.utc)))
    print(f"search reindex: words rewritten for {done['rewritten']} documents; {done['to_extract']} documents to read again "
          "(the running service's workers read them)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
