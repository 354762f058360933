"""`make run`'s start and stop (dev/run.py): Ctrl-C stops every service at once, each in order (none
killed), without a traceback, even while the broker is away."""
import json
import os
import signal
import subprocess
import sys
import time
from urllib.parse import urlparse

import eventlet

from eoffice_common.testing import REPO_ROOT, TEST_JWT_PUBLIC_KEY, free_port, wait_for_http

BIN = os.path.dirname(sys.executable)
SERVICES = ("dak", "notify")
# dev/run.py's supervision with the services of this test, in a process of its own as under `make run`.
DRIVER = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("dev_run", sys.argv[1])
dev_run = importlib.util.module_from_spec(spec)
spec.loader.exec_module(dev_run)

def start_all(children):
    for name, env in json.loads(sys.argv[3]):
        children.start([sys.argv[4], "run", "--config", f"services/{name}/config.yml", f"{name}.service"], name, env)

dev_run.supervise(sys.argv[2], start_all)
"""


def test_ctrl_c_stops_every_service_within_10_seconds_without_a_traceback(tmp_path, rabbit_config, tcp_proxy):
    amqp = urlparse(rabbit_config["AMQP_URI"])
    proxy = tcp_proxy(amqp.hostname, amqp.port or 5672)
    proxied = amqp._replace(netloc=f"{amqp.username}:{amqp.password}@127.0.0.1:{proxy.port}").geturl()
    ports = {name: free_port() for name in SERVICES}
    quiet = "ignore::DeprecationWarning,ignore:Eventlet is deprecated:Warning"
    envs = []
    for name in SERVICES:
        env = {
            **os.environ, "AMQP_URI": proxied, "DOCUMENTS_DIR": str(tmp_path / "documents"), "PYTHONWARNINGS": quiet,
            "JWT_PUBLIC_KEY": TEST_JWT_PUBLIC_KEY,
            f"{name.upper()}_DB_URL": f"sqlite:///{tmp_path}/{name}.db",
            f"{name.upper()}_HTTP_ADDRESS": f"127.0.0.1:{ports[name]}", f"{name.upper()}_METRICS_PORT": str(free_port()),
        }
        subprocess.run([os.path.join(BIN, name), "migrate"], cwd=REPO_ROOT, env=env, check=True, capture_output=True)
        envs.append((name, env))
    logs = tmp_path / "log"
    logs.mkdir()
    run = subprocess.Popen(
        [sys.executable, "-c", DRIVER, os.path.join(REPO_ROOT, "dev", "run.py"), str(logs), json.dumps(envs),
         os.path.join(BIN, "nameko")],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        for name in SERVICES:
            wait_for_http(f"http://127.0.0.1:{ports[name]}/health/live", timeout=60)
        eventlet.sleep(2)  # their consumers have connected
        proxy.refuse()
        eventlet.sleep(1)  # and have lost the broker: they wait to reconnect
        logged_before_stop = {name: (logs / f"{name}.log").stat().st_size for name in SERVICES}

        os.killpg(run.pid, signal.SIGINT)  # what the terminal does on Ctrl-C: the whole foreground group
        started = time.monotonic()
        while run.poll() is None and time.monotonic() - started < 10:
            eventlet.sleep(0.1)
        took = time.monotonic() - started
    finally:
        if run.poll() is None:
            run.kill()
    output = run.stdout.read().decode()

    assert run.returncode == 0 and took < 10, f"exit {run.returncode} after {took:.1f} s: {output}"
    assert "Traceback" not in output and "killed" not in output, output
    for name in SERVICES:
        with open(logs / f"{name}.log", encoding="utf-8") as log:
            log.seek(logged_before_stop[name])
            after = log.read()
        assert "Traceback" not in after and "killing" not in after, after
