"""Helpers shared by the benchmarks: processes, databases, load generation, percentiles."""
import eventlet

eventlet.monkey_patch()

import os  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

from eoffice_common.testing import free_port, wait_for_http  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, ".venv", "bin")
QUIET = {"PYTHONWARNINGS": "ignore::DeprecationWarning,ignore:Eventlet is deprecated:Warning", "LOG_LEVEL": "WARNING"}


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def summary(latencies, elapsed):
    return {
        "count": len(latencies),
        "per_second": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "mean_ms": statistics.fmean(latencies) * 1000,
    }


def run_load(operation, total, concurrency):
    """Call operation(i) `total` times from `concurrency` green threads; returns summary()."""
    latencies = []

    def timed(i):
        started = time.perf_counter()
        operation(i)
        latencies.append(time.perf_counter() - started)

    pool = eventlet.GreenPool(concurrency)
    started = time.perf_counter()
    for i in range(total):
        pool.spawn_n(timed, i)
    pool.waitall()
    return summary(latencies, time.perf_counter() - started)


def run_at_rate(operation, rate, seconds):
    """Open loop: start operation(i) `rate` times a second for `seconds`, whatever the latency, as
    independent users do; returns summary() with the rate achieved. Latency is measured from each
    request's scheduled start, so a client that falls behind is charged for it."""
    latencies = []
    pool = eventlet.GreenPool(10_000)
    total = int(rate * seconds)
    started = time.perf_counter()

    def timed(i, scheduled):
        operation(i)
        latencies.append(time.perf_counter() - scheduled)

    for i in range(total):
        scheduled = started + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            eventlet.sleep(delay)
        pool.spawn_n(timed, i, scheduled)
    pool.waitall()
    return summary(latencies, time.perf_counter() - started)


class S3Server:
    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [os.path.join(ROOT, "var", "moto", "bin", "moto_server"), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for_http(self.url)

    def stop(self):
        self.process.terminate()
        self.process.wait(10)


def start_service(name, env, http_port):
    """`nameko run` of a service in its own process, as in production."""
    process = subprocess.Popen(
        [os.path.join(BIN, "nameko"), "run", "--config", f"services/{name}/config.yml", f"{name}.service"],
        cwd=ROOT, env={**os.environ, **QUIET, **env}, stdout=subprocess.DEVNULL, stderr=sys.stderr,
    )
    wait_for_http(f"http://127.0.0.1:{http_port}/health/live", timeout=60)
    return process


def cli(name, *args, env):
    return subprocess.run(
        [os.path.join(BIN, name), *args], cwd=ROOT, env={**os.environ, **QUIET, **env},
        check=True, capture_output=True, text=True,
    ).stdout.strip()


def cpu_seconds(pid):
    """User+system CPU time a process has used so far."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def print_row(label, figures, baseline=None):
    line = f"  {label:<46} {figures['per_second']:>9.0f}/s   p50 {figures['p50_ms']:>7.2f} ms   p99 {figures['p99_ms']:>7.2f} ms"
    if baseline:
        line += f"   ({figures['per_second'] / baseline['per_second']:.2f}x of baseline rate)"
    print(line, flush=True)


