"""`signing migrate`, `signing declare-queues`, `signing verify FILE.pdf`: operations outside the running service."""
import argparse
import json
import os
import sys

from eoffice_common.config import load_config, service_config_path
from eoffice_common.consumer import declare_queues
from eoffice_common.migrations import upgrade

from . import domain, pades
from .demo import create_demo_token
from .pki import TrustStore
from .schemas import check_out

SERVICE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="signing")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="bring the database to the latest schema and declare the queues")
    commands.add_parser("declare-queues", help="declare the queues and bindings the service consumes from")
    verify = commands.add_parser("verify", help="check the signatures of a PDF against the configured CAs and CRLs")
    verify.add_argument("path")
    demo = commands.add_parser("demo-token", help="a SoftHSM2 token with a demo CA and a DSC for every demo officer")
    demo.add_argument("directory")
    demo.add_argument("master", help="the organisation master (YAML) whose officers get keys")
    args = parser.parse_args(argv)
    config = load_config(service_config_path(__file__))

    if args.command == "demo-token":
        settings = create_demo_token(args.directory, args.master, config["PKCS11_MODULE"], config["PKCS11_TOKEN_LABEL"])
        print(json.dumps(settings))
        return 0

    if args.command in ("migrate", "declare-queues"):
        if args.command == "migrate":
            upgrade(SERVICE_DIR, config["DB_URL"])
            print("signing database is at the latest schema")
        from .service import SigningService  # a heavy import, which only these commands need

        print("queues declared:", ", ".join(declare_queues(SigningService, config)) or "none")
        return 0

    trust = TrustStore(config.get("TRUSTED_CA_FILES"), config.get("CRL_SOURCES"))
    with open(args.path, "rb") as handle:
        verified = pades.verify_pdf(handle.read(), trust.current())
    result = domain.verdict(verified.checks)
    # Without the service's database the signers' identities are unknown; say only what the PDF shows.
    result["reasons"] = [r for r in result["reasons"] if r["code"] != "unknown_signer"]
    result["valid"] = not result["reasons"]
    print(json.dumps({**result, "signatures": [check_out(c) for c in verified.checks], "claims": verified.claims},
                     ensure_ascii=False, indent=2, default=str))
    return 0 if result["valid"] else 1


if __name__ == "__main__":
    sys.exit(main())
