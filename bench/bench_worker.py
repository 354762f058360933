"""What nameko costs around every request's service method: a worker spawned, its dependencies
injected and set up, the method called, its result handed on, the dependencies told and torn
down. Measured in one process, no network, for nameko's own ServiceContainer (the baseline) and
eoffice's WorkerContainer, alternating, on a service with the providers every eoffice service
has around an HTTP request (Instrumentation, Caller, Config) and an entrypoint that does nothing.

    .venv/bin/python bench/bench_worker.py [--workers 20000] [--rounds 3]
"""
from common import ROOT  # noqa: I001  (first: it monkey-patches eventlet)

import argparse
import os
import sys
import time

from eventlet.event import Event
from nameko.containers import ServiceContainer
from nameko.dependency_providers import Config
from nameko.extensions import Entrypoint

sys.path[:0] = [os.path.join(ROOT, "common")]

from eoffice_common.metrics import Instrumentation  # noqa: E402
from eoffice_common.runtime import WorkerContainer  # noqa: E402
from eoffice_common.web import Caller  # noqa: E402

CONTEXT = {"correlation_id": "bench", "principal": {"user_id": "so.jhs", "office": "COLL-JHS", "roles": [], "name": ""}}


class Call(Entrypoint):
    pass


class Service:
    name = "bench_worker"
    caller = Caller()
    log = Instrumentation()
    config = Config()

    @Call.decorator
    def nothing(self):
        return None


def cpu_per_worker(container_cls, workers):
    """CPU seconds per worker, after as many again as warm-up."""
    container = container_cls(Service, {"AMQP_URI": "memory://", "LOG_LEVEL": "WARNING", "METRICS_PORT": 0})
    container.start()
    entrypoint = next(iter(container.entrypoints))

    def one():
        done = Event()

        def handle_result(worker_ctx, result, exc_info):
            done.send(result)
            return result, exc_info

        container.spawn_worker(entrypoint, (), {}, context_data=dict(CONTEXT), handle_result=handle_result)
        done.wait()

    try:
        for _ in range(workers // 10):
            one()
        started = time.process_time()
        for _ in range(workers):
            one()
        return (time.process_time() - started) / workers
    finally:
        container.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=20000, help="workers per container and round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, each measuring both containers")
    args = parser.parse_args()
    print(f"{args.workers} workers per container and round, both containers in every round, CPU time of this process")
    print(f"{'round':>5}  {'nameko ServiceContainer':>24}  {'WorkerContainer':>16}  {'ratio':>6}")
    ratios = []
    for round_number in range(1, args.rounds + 1):
        baseline = cpu_per_worker(ServiceContainer, args.workers)
        ours = cpu_per_worker(WorkerContainer, args.workers)
        ratios.append(ours / baseline)
        print(f"{round_number:>5}  {baseline * 1e6:>21.1f} µs  {ours * 1e6:>13.1f} µs  {ours / baseline:>6.2f}")
    print(f"WorkerContainer ÷ nameko's container, CPU per worker: {min(ratios):.2f}-{max(ratios):.2f}")


if __name__ == "__main__":
    main()
