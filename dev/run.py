"""`make run`: the whole system on embedded defaults (SQLite per service and documents under var/, a
token key pair of this machine under var/ unless JWT_PUBLIC_KEY is given), migrated and seeded, in the
foreground. Ctrl-C stops everything it started."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import yaml

from eoffice_common.auth import dev_key_pair

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VAR = os.path.join(ROOT, "var")
BIN = os.path.join(ROOT, ".venv", "bin")
DOCUMENTS = os.path.join(VAR, "documents")
# A service stops within this (nameko's container stop); one still running after it is killed.
STOP_SECONDS = 8
QUIET = "ignore::DeprecationWarning,ignore:Eventlet is deprecated:Warning"
DEMO_TOKEN = {}
# Demo set-up a service needs once its database exists (idempotent).
AFTER_MIGRATE = {"files": [["seed-heads"]]}
# ... and once every service runs and the directory is imported.
# (set-demo-passwords gives the demo password only to users without one: a changed password stays.)
AFTER_IMPORT = {"desk": [["set-demo-passwords"]]}
DEMO_DIRECTORY = os.path.join(ROOT, "services", "dak", "dak", "demo", "organisation.yml")
DEMO_USERS = ("clerk.jhs", "diarist.jhs", "so.jhs", "adm.jhs", "dm.jhs", "admin.jhs")

# name, HTTP port, metrics port; a service is started only once its folder exists.
SERVICES = [
    ("dak", 8001, 9101),
    ("files", 8002, 9102),
    ("signing", 8003, 9103),
    ("notify", 8004, 9104),
    ("metrics", 8005, 9105),
    ("search", 8006, 9106),
    ("desk", 8000, 9100),
]


def port_open(port, host="127.0.0.1"):
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def wait_for_port(port, what, timeout=60):
    deadline = time.time() + timeout
    while not port_open(port):
        if time.time() > deadline:
            sys.exit(f"{what} did not start on port {port}; see var/log/")
        time.sleep(0.2)


def ensure_rabbitmq():
    if port_open(5672):
        return
    print("starting RabbitMQ ...")
    subprocess.run(["rabbitmq-server", "-detached"], check=False)
    wait_for_port(5672, "RabbitMQ", timeout=90)


def demo_users(user_ids):
    """Each user as the demo directory has them: `clerk.jhs: Pooja Yadav, Junior Assistant (Desk Clerk),
    Revenue Section, Collectorate Jhansi` (so what `make run` says is what the desk shows)."""
    with open(DEMO_DIRECTORY, encoding="utf-8") as handle:
        directory = yaml.safe_load(handle)
    offices = {o["code"]: o["name_en"] for o in directory["offices"]}
    sections = {s["code"]: s["name_en"] for s in directory.get("sections") or []}
    users = {u["id"]: u for u in directory["users"]}
    return [", ".join(filter(None, (f"{u['id']}: {u['name_en']}", u["designation_en"], sections.get(u.get("section")),
                                    offices[u["office"]])))
            for u in (users[user_id] for user_id in user_ids)]


def demo_token_settings():
    """The SoftHSM2 demo token of the signing service, made once under var/softhsm."""
    settings_file = os.path.join(VAR, "softhsm", "settings.json")
    if not os.path.isdir(os.path.join(ROOT, "services", "signing")) or not shutil.which("softhsm2-util"):
        return {}
    if os.path.exists(settings_file):
        with open(settings_file) as handle:
            if "officer_identity" not in json.load(handle):  # made before certificates named the officer's id and email
                shutil.rmtree(os.path.join(VAR, "softhsm"))
    if not os.path.exists(settings_file):
        print("creating the demo DSC token (SoftHSM2) ...")
        output = subprocess.run(
            [os.path.join(BIN, "signing"), "demo-token", os.path.join(VAR, "softhsm"),
             os.path.join(ROOT, "services", "dak", "dak", "demo", "organisation.yml")],
            cwd=ROOT, env=dict(os.environ, PYTHONWARNINGS=QUIET), check=True, capture_output=True, text=True,
        ).stdout
        with open(settings_file, "w") as handle:
            handle.write(output.strip().splitlines()[-1])
    with open(settings_file) as handle:
        settings = json.load(handle)
    settings.pop("officers", None)
    settings.pop("officer_identity", None)
    return settings


def service_env(name):
    env = dict(os.environ)
    env.update(DEMO_TOKEN)
    env.setdefault(f"{name.upper()}_DB_URL", f"sqlite:///{VAR}/{name}.db")
    env.setdefault("DOCUMENTS_DIR", DOCUMENTS)
    env["PYTHONWARNINGS"] = QUIET
    # Only here may a service fall back on the key pair under var/ (eoffice_common/auth.py).
    env["EOFFICE_EMBEDDED"] = "1"
    return env


class Children:
    """The long-running processes started here. Each runs in a session of its own, so the terminal's
    Ctrl-C reaches only this script, which then stops each of them once: a service signalled twice
    (by the terminal and again by us) ran two stops at once, with tracebacks."""

    def __init__(self, log_dir):
        self.log_dir = log_dir
        self.running = []

    def start(self, command, log_name, env=None):
        log = open(os.path.join(self.log_dir, f"{log_name}.log"), "ab")
        self.running.append(
            subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)
        )

    def stop(self):
        """SIGTERM to each (nameko stops its container), then wait for all; kill any still running."""
        for child in self.running:
            child.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for child in self.running:
            try:
                child.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"{' '.join(child.args[:5])} did not stop within {STOP_SECONDS} s: killed", file=sys.stderr)
                child.kill()
                child.wait()

    def watch(self):
        """Until one of them exits."""
        while True:
            for child in self.running:
                if child.poll() is not None:
                    sys.exit(f"a process exited ({' '.join(child.args[:4])}); see var/log/")
            time.sleep(1)


def exit_on_signals():
    """Ctrl-C or SIGTERM ends this script (its `finally` stops the children); a second Ctrl-C while
    they stop changes nothing."""
    def leave(*_):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        sys.exit(0)

    signal.signal(signal.SIGINT, leave)
    signal.signal(signal.SIGTERM, leave)


def supervise(log_dir, start_all):
    """`start_all(children)`, then wait; Ctrl-C, SIGTERM or a child's exit stops every child."""
    exit_on_signals()
    children = Children(log_dir)
    try:
        start_all(children)
        children.watch()
    finally:
        children.stop()


def main():
    os.makedirs(os.path.join(VAR, "log"), exist_ok=True)
    ensure_rabbitmq()
    if not os.environ.get("JWT_PUBLIC_KEY"):
        dev_key_pair(VAR)  # before any service starts, so that all of them read the same pair
    supervise(os.path.join(VAR, "log"), run)


def run(children):
    """Migrate, start and seed every service, and say where everything is."""
    DEMO_TOKEN.update(demo_token_settings())
    present = [(n, h, m) for n, h, m in SERVICES if os.path.isdir(os.path.join(ROOT, "services", n))]
    for name, _, _ in present:
        subprocess.run([os.path.join(BIN, name), "migrate"], cwd=ROOT, env=service_env(name), check=True)
        for command in AFTER_MIGRATE.get(name, []):
            subprocess.run([os.path.join(BIN, name), *command], cwd=ROOT, env=service_env(name), check=True)
    for name, _, _ in present:
        children.start(
            [os.path.join(BIN, "nameko"), "run", "--config", f"services/{name}/config.yml", f"{name}.service"],
            name,
            service_env(name),
        )
    for name, http_port, _ in present:
        wait_for_port(http_port, name)
    # Imported after every consumer is up, so each receives the directory's events.
    subprocess.run([os.path.join(BIN, "dak"), "import-directory"], cwd=ROOT, env=service_env("dak"), check=True)
    for name, _, _ in present:
        for command in AFTER_IMPORT.get(name, []):
            subprocess.run([os.path.join(BIN, name), *command], cwd=ROOT, env=service_env(name), check=True)
    token = subprocess.run(
        [os.path.join(BIN, "dak"), "token", "clerk.jhs"], cwd=ROOT, env=service_env("dak"),
        check=True, capture_output=True, text=True,
    ).stdout.strip()

    print("\neoffice is running (logs in var/log/). Ctrl-C stops it.\n")
    for name, http_port, metrics_port in present:
        print(f"  {name:8} http://127.0.0.1:{http_port}   metrics http://127.0.0.1:{metrics_port}/metrics")
    print(f"  documents {os.environ.get('S3_ENDPOINT_URL') or service_env('dak')['DOCUMENTS_DIR']} (kept across restarts)")
    if any(name == "desk" for name, _, _ in present):
        print("\nThe desk: http://127.0.0.1:8000   password of a demo user: eoffice-demo (until changed)")
        for line in demo_users(DEMO_USERS):
            print(f"  {line}")
        print("  any user id of services/dak/dak/demo/organisation.yml works.")
    print(f"\nA token for {demo_users(['clerk.jhs'])[0]}; others: EOFFICE_EMBEDDED=1 .venv/bin/dak token dm.jhs")
    print(f"\nTOKEN={token}")
    print(
        "\nDiarise a receipt:\n"
        "curl -s -X POST http://127.0.0.1:8001/receipts -H \"Authorization: Bearer $TOKEN\" "
        "-H 'Content-Type: application/json' -d '{\"kind\": \"physical\", \"delivery_mode\": \"post\", "
        "\"sender\": {\"name\": \"राम प्रसाद\", \"organisation\": \"ग्राम पंचायत बड़ागाँव\"}, "
        "\"subject\": \"भूमि अभिलेख में नाम संशोधन हेतु प्रार्थना पत्र\"}'\n"
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
