"""Previews and signatures at once all finish (issue 16: two concurrent previews once wedged the
service for good), and liveness goes red when the worker pool or a thread job is wedged."""
import eventlet
import requests
from eventlet import patcher

from signing import threads

PDF = "application/pdf"


def test_twenty_concurrent_previews_and_signatures_all_finish(office):
    assert office.register_dsc("dm.jhs").status_code == 201
    unsigned = [office.confirm_note("dm.jhs", f"पूर्वावलोकन {n}: कृपया अवलोकन करें।") for n in range(4)]
    to_sign = [office.confirm_note("dm.jhs", f"टिप्पणी {n}: स्वीकृत।") for n in range(20)]

    def preview(n):
        return office.get(f"/documents/note/{unsigned[n % 4]}/pdf", "dm.jhs")

    def sign(note_id):
        return office.sign("note", note_id, "dm.jhs")

    pool = eventlet.GreenPool(40)
    with eventlet.Timeout(240):
        previews = [pool.spawn(preview, n) for n in range(20)]
        signatures = [pool.spawn(sign, note_id) for note_id in to_sign]
        previews, signatures = [p.wait() for p in previews], [s.wait() for s in signatures]
    assert [(r.status_code, r.headers["Content-Type"]) for r in previews] == [(200, PDF)] * 20
    assert [r.status_code for r in signatures] == [201] * 20, [r.text for r in signatures if r.status_code != 201]
    assert {office.get(f"/documents/note/{n}", "dm.jhs").json()["status"] for n in to_sign} == {"signed"}
    assert office.get(f"/documents/note/{unsigned[0]}/pdf", "dm.jhs").status_code == 200
    assert requests.get(f"{office.base_url}/health/live").status_code == 200


def test_liveness_goes_red_while_the_pool_or_a_thread_job_is_wedged(container_factory, signing_config, office):
    from signing.service import SigningService

    config = {
        **signing_config, "WEB_SERVER_ADDRESS": f"127.0.0.1:{signing_config['METRICS_PORT'] + 1}",
        "METRICS_PORT": signing_config["METRICS_PORT"] + 2, "max_workers": 3,
        "LIVENESS_TIMEOUT_SECONDS": 1, "LIVENESS_THREAD_JOB_SECONDS": 2,
    }
    container_factory(SigningService, config).start()
    base_url = f"http://{config['WEB_SERVER_ADDRESS']}"
    office.base_url = base_url
    note_id = office.confirm_note("dm.jhs", "अटकी हुई टिप्पणी")
    assert requests.get(f"{base_url}/health/live").json() == {"status": "ok"}

    release = patcher.original("threading").Event()
    wedged = eventlet.spawn(threads.run_in_thread, release.wait)
    eventlet.sleep(2.5)
    stuck = requests.get(f"{base_url}/health/live", timeout=10)
    assert (stuck.status_code, stuck.json()["error"]) == (503, "thread_job_stuck")

    previews = [eventlet.spawn(office.get, f"/documents/note/{note_id}/pdf", "dm.jhs") for _ in range(3)]
    eventlet.sleep(0.5)  # every worker now waits behind the wedged job
    full = requests.get(f"{base_url}/health/live", timeout=10)
    assert (full.status_code, full.json()["error"]) == (503, "workers_unavailable")

    release.set()
    assert wedged.wait() is True
    assert [p.wait().status_code for p in previews] == [200] * 3
    assert requests.get(f"{base_url}/health/live").json() == {"status": "ok"}
