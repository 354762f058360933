"""Bodies over a page's limit are refused with 413 before the desk reads them, whatever their
encoding: the sign-in form takes a few KB, other forms MAX_BODY_BYTES, uploads MAX_UPLOAD_BYTES."""
import pytest
from sqlalchemy import create_engine, text

from desk.service import SIGN_IN_MAX_BYTES
from eoffice_common.testing import stream_body

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
TOO_LARGE = "अनुरोध (या अपलोड) बहुत बड़ा है।"


@pytest.mark.parametrize("size, chunked", [(95 * 1024 * 1024, False), (95 * 1024 * 1024, True), (8 * SIGN_IN_MAX_BYTES, False)],
                         ids=["95MB-content-length", "95MB-chunked", "64KB"])
def test_an_oversized_sign_in_is_refused_before_its_csrf_token_is_read(desk_system, size, chunked):
    answer = stream_body(desk_system["url"], "/sign-in", size, chunked, FORM)
    assert answer.status == 413 and TOO_LARGE in answer.body["text"]
    assert answer.sent < 2 * 1024 * 1024
    assert answer.peak_rss_growth < 16 * 1024 * 1024
    engine = create_engine(desk_system["databases"]["desk"])
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM sessions")).scalar() == 0
    engine.dispose()


def test_an_oversized_form_or_upload_of_a_signed_in_user_is_refused_as_it_crosses_the_limit(browser, desk_system):
    b = browser()
    b.sign_in("clerk.jhs")
    signed_in = {"Cookie": "; ".join(f"{c.name}={c.value}" for c in b.http.cookies), "X-CSRF-Token": b.csrf}
    offered = 64 * 1024 * 1024
    form = stream_body(desk_system["url"], "/language", offered, True, {**FORM, **signed_in})
    upload = stream_body(desk_system["url"], "/diarise", offered, True,
                         {"Content-Type": "multipart/form-data; boundary=b", **signed_in})
    for answer in (form, upload):
        assert answer.status == 413 and TOO_LARGE in answer.body["text"]
        assert answer.sent < offered // 4
        assert answer.peak_rss_growth < offered // 4
