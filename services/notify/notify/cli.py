"""`notify migrate`, `notify declare-queues`, `notify sync-directory`: operations outside the running service."""
import argparse
import os
import sys
from datetime import datetime, timezone

from nameko.standalone.rpc import ClusterRpcProxy

from eoffice_common.config import load_config, service_config_path
from eoffice_common.consumer import declare_queues
from eoffice_common.db import UnitOfWork
from eoffice_common.engine import StandaloneEngine
from eoffice_common.migrations import upgrade

from . import repository

SERVICE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sync_directory(amqp_uri, engine, timeout=60):
    """Fill notify's copy of the directory from dak (RPC dak.directory_snapshot); returns how many
    users were recorded. For a notify that starts after the directory was announced."""
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=timeout) as cluster:
        snapshot = cluster.dak.directory_snapshot()
    now = datetime.now(timezone.utc)
    with UnitOfWork(engine, actor="directory-sync", correlation_id=None) as uow:
        repository.DIRECTORY.record_snapshot(uow.session, snapshot, updated_at=now)
        uow.commit()
    return len(snapshot["users"])


def main(argv=None):
    parser = argparse.ArgumentParser(prog="notify")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="bring the database to the latest schema and declare the queues")
    commands.add_parser("declare-queues", help="declare the queues and bindings the service consumes from")
    commands.add_parser("sync-directory", help="copy every user of dak's directory (RPC; dak must be running)")
    args = parser.parse_args(argv)
    config = load_config(service_config_path(__file__))

    if args.command in ("migrate", "declare-queues"):
        if args.command == "migrate":
            upgrade(SERVICE_DIR, config["DB_URL"])
            print("notify database is at the latest schema")
        from .service import NotifyService  # a heavy import, which only these commands need

        print("queues declared:", ", ".join(declare_queues(NotifyService, config)) or "none")
        return 0

    count = sync_directory(config["AMQP_URI"], StandaloneEngine(config["DB_URL"]))
    print(f"directory copied: {count} users")
    return 0


if __name__ == "__main__":
    sys.exit(main())
