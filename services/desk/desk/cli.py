"""`desk migrate`, `desk declare-queues`, `desk set-demo-passwords`, `desk set-password`: operations outside the running service."""
import argparse
import getpass
import os
import sys
from datetime import datetime, timezone

from nameko.standalone.rpc import ClusterRpcProxy

from eoffice_common.config import load_config, service_config_path
from eoffice_common.consumer import declare_queues
from eoffice_common.db import UnitOfWork
from eoffice_common.engine import StandaloneEngine
from eoffice_common.migrations import upgrade

from . import repository, security

SERVICE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO_PASSWORD = "eoffice-demo"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="desk")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="bring the database to the latest schema and declare the queues")
    commands.add_parser("declare-queues", help="declare the queues and bindings the service consumes from")
    demo = commands.add_parser("set-demo-passwords", help=f"give every user of the directory without a password {DEMO_PASSWORD!r}")
    demo.add_argument("--reset", action="store_true", help="also users who have one (changed passwords are lost)")
    one = commands.add_parser("set-password", help="set one user's password (asked for, not echoed)")
    one.add_argument("user_id")
    args = parser.parse_args(argv)
    config = load_config(service_config_path(__file__))

    if args.command in ("migrate", "declare-queues"):
        if args.command == "migrate":
            upgrade(SERVICE_DIR, config["DB_URL"])
            print("desk database is at the latest schema")
        from .service import DeskService  # a heavy import, which only these commands need

        print("queues declared:", ", ".join(declare_queues(DeskService, config)) or "none")
        return 0

    engine = StandaloneEngine(config["DB_URL"])
    if args.command == "set-demo-passwords":
        count = set_demo_passwords(engine, config, reset=args.reset)
        print(f"{count} demo users were given the password {DEMO_PASSWORD}")
        return 0

    password = getpass.getpass(f"new password for {args.user_id}: ")
    with UnitOfWork(engine, actor="cli", correlation_id=None) as uow:
        if repository.get_user(uow.session, args.user_id) is None:
            print(f"{args.user_id} is not in the desk's copy of the directory", file=sys.stderr)
            return 1
        set_password(uow.session, args.user_id, password)
        uow.commit()
    print(f"password of {args.user_id} set")
    return 0


def set_password(session, user_id, password):
    account = repository.account_of(session, user_id)
    account.password_hash = security.hash_password(password)
    account.updated_at = datetime.now(timezone.utc)


def set_demo_passwords(engine, config, snapshot=None, reset=False):
    """Every active user without a password gets the demo password (with `reset`, every active user),
    so that starting the demo again keeps a password someone changed. The copy of the directory is
    first brought up to date from dak (RPC directory_snapshot; a newer record in the copy stays): the
    directory's events may still be on their way, and a user they had not brought yet was left
    without a password (`make run`: 6 of 59). Returns how many users were given it."""
    if snapshot is None:
        with ClusterRpcProxy({"AMQP_URI": config["AMQP_URI"]}, timeout=30) as cluster:
            snapshot = cluster.dak.directory_snapshot()
    with UnitOfWork(engine, actor="cli", correlation_id=None) as uow:
        repository.record_directory_snapshot(uow.session, snapshot)
        accounts = [repository.account_of(uow.session, user.id) for user in repository.active_users(uow.session)]
        given = [a for a in accounts if reset or not a.password_hash]
        if given:
            # One hash for all: the same password would otherwise cost a second of argon2 per user.
            shared_hash = security.hash_password(DEMO_PASSWORD)
            for account in given:
                account.password_hash, account.updated_at = shared_hash, datetime.now(timezone.utc)
        uow.commit()
    return len(given)

if __name__ == "__main__":
    sys.exit(main())
