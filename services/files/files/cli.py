"""`files migrate`, `files declare-queues`, `files seed-heads`, `files sync-directory`: operations outside the running service."""
import argparse
import os
import sys
from datetime import datetime, timezone
from types import SimpleNamespace

import yaml

from eoffice_common.config import load_config, service_config_path
from eoffice_common.consumer import declare_queues
from eoffice_common.db import UnitOfWork
from eoffice_common.engine import StandaloneEngine
from eoffice_common.migrations import upgrade

from . import directory
from .models import FileHead
from .repository import DirectoryRepository
from .schemas import HeadIn

SERVICE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO_HEADS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "demo", "heads.yml")


def seed_heads(session, heads, created_by, now):
    """Add the heads not yet present (matched on office, main code and sub code); returns how many."""
    present = DirectoryRepository(SimpleNamespace(session=session))
    added = 0
    for entry in heads:
        office = entry["office"]
        head_in = HeadIn.model_validate({k: v for k, v in entry.items() if k != "office"})
        if present.head_exists(office, head_in.main_code, head_in.sub_code):
            continue
        present.add_head(FileHead(office_code=office, created_by=created_by, created_at=now, active=True, **head_in.model_dump()))
        added += 1
    return added


def main(argv=None):
    parser = argparse.ArgumentParser(prog="files")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="bring the database to the latest schema and declare the queues")
    commands.add_parser("declare-queues", help="declare the queues and bindings the service consumes from")
    seeder = commands.add_parser("seed-heads", help="add the SFS heads of a YAML file (default: the demo heads)")
    seeder.add_argument("path", nargs="?", default=DEMO_HEADS)
    commands.add_parser("sync-directory", help="fill the directory copy from RPC dak.directory_snapshot()")
    args = parser.parse_args(argv)
    config = load_config(service_config_path(__file__))

    if args.command in ("migrate", "declare-queues"):
        if args.command == "migrate":
            upgrade(SERVICE_DIR, config["DB_URL"])
            print("files database is at the latest schema")
        from .service import FilesService  # a heavy import, which only these commands need

        print("queues declared:", ", ".join(declare_queues(FilesService, config)) or "none")
        return 0

    engine = StandaloneEngine(config["DB_URL"])
    if args.command == "seed-heads":
        with open(args.path, encoding="utf-8") as handle:
            heads = yaml.safe_load(handle)["heads"]
        with UnitOfWork(engine, actor="seed-heads", correlation_id=None) as uow:
            added = seed_heads(uow.session, heads, "seed-heads", datetime.now(timezone.utc))
            uow.commit()
        print(f"{added} heads added ({len(heads) - added} already present)")
        return 0

    counts = sync_directory(config, engine)
    print(f"directory copied: {counts['offices']} offices and {counts['users']} users")
    return 0


def sync_directory(config, engine):
    """Fill (or refresh) the directory copy from dak's RPC `directory_snapshot()`; events keep it current after."""
    from nameko.standalone.rpc import ClusterRpcProxy

    with ClusterRpcProxy(config, timeout=60) as rpc:
        snapshot = rpc.dak.directory_snapshot()
    with UnitOfWork(engine, actor="sync-directory", correlation_id=None) as uow:
        counts = directory.record_snapshot(uow.session, snapshot)
        uow.commit()
    return counts


if __name__ == "__main__":
    sys.exit(main())
