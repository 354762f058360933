"""Work done on OS threads (eventlet's tpool), so the hub keeps serving requests meanwhile:
rendering a PDF, pyHanko's signing and validation, and calls to the PKCS#11 token.

One job at a time per process, on an OS lock. Python holds the GIL for nearly all of this work
anyway; the lock keeps libraries that are not thread-safe (fpdf2 and fontTools, the PKCS#11
session, pyHanko's asyncio state) to one thread at a time. A job must touch no green object
(a connection, a green lock, a queue): a thread waiting on one is never woken. Logging is safe
from threads (eoffice_common.logging gives it OS locks)."""
import time

from eventlet import patcher, tpool

JOB_LOCK = patcher.original("threading").Lock()
_job_started_at = None  # monotonic time the job holding JOB_LOCK began; written by that thread


def run_in_thread(function, *args):
    """`function(*args)` on an OS thread, after the jobs before it; returns its result or raises."""
    def locked():
        global _job_started_at
        with JOB_LOCK:
            _job_started_at = time.monotonic()
            try:
                return function(*args)
            finally:
                _job_started_at = None
    return tpool.execute(locked)


def running_job_seconds():
    """How long the job now running has run (0 if none): a job never ends only if it is wedged."""
    started = _job_started_at
    return time.monotonic() - started if started is not None else 0.0
