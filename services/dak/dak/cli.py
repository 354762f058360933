"""`dak migrate`, `dak declare-queues`, `dak import-directory`, `dak token`: operations outside the running service."""
import argparse
import os
import sys

from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from eoffice_common.auth import Principal, issue_token, private_key
from eoffice_common.config import load_service_config
from eoffice_common.consumer import declare_queues
from eoffice_common.db import UnitOfWork
from eoffice_common.engine import StandaloneEngine
from eoffice_common.migrations import upgrade

from .directory import import_master, load_master
from .exceptions import UnknownUser
from .repository import DakUnitOfWork

SERVICE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO_MASTER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "demo", "organisation.yml")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="dak")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="bring the database to the latest schema and declare the queues")
    commands.add_parser("declare-queues", help="declare the queues and bindings the service consumes from")
    importer = commands.add_parser("import-directory", help="import the organisation master (YAML file or CSV folder)")
    importer.add_argument("path", nargs="?", default=DEMO_MASTER)
    importer.add_argument("--republish", action="store_true", help="announce every office and user again")
    token = commands.add_parser("token", help="issue a bearer token for a user of the directory")
    token.add_argument("user_id")
    token.add_argument("--ttl", type=int, default=8 * 3600, help="seconds the token is valid")
    args = parser.parse_args(argv)
    config = load_service_config(__file__)

    if args.command in ("migrate", "declare-queues"):
        if args.command == "migrate":
            upgrade(SERVICE_DIR, config["DB_URL"])
            print("dak database is at the latest schema")
        from .service import DakService  # a heavy import, which only these commands need

        print("queues declared:", ", ".join(declare_queues(DakService, config)) or "none")
        return 0

    engine = StandaloneEngine(config["DB_URL"])
    if args.command == "import-directory":
        with UnitOfWork(engine, actor="directory-import", correlation_id=None) as uow:
            changed = import_master(uow, load_master(args.path), republish=args.republish)
            uow.commit()
        print(f"directory imported: {changed['offices']} offices and {changed['users']} users announced")
        return 0

    # The private key is the operator's, from the environment: dak's config holds none, the service issues no tokens.
    signing_key = private_key({"JWT_PRIVATE_KEY": os.environ.get("JWT_PRIVATE_KEY", ""), "EMBEDDED": config.get("EMBEDDED"),
                               "DEV_KEYS_DIR": os.path.join(SERVICE_DIR, "..", "..", "var")})
    try:
        with UnitOfWork(engine, actor="cli", correlation_id=None) as uow:
            user = DakUnitOfWork(uow).directory.user(args.user_id)
            principal = Principal(user.id, user.office_code, tuple(user.roles or ()), user.name_en)
    except UnknownUser as exc:
        sys.exit(f"dak token: {exc}")
    except OperationalError as exc:  # no database there, or one never migrated
        database = make_url(config["DB_URL"]).render_as_string(hide_password=True)
        sys.exit(f"dak token: cannot read the directory in {database} ({exc.orig}); "
                 "run `make run` in the repository first, or set DAK_DB_URL")
    print(issue_token(signing_key, principal, args.ttl))
    return 0


if __name__ == "__main__":
    sys.exit(main())
