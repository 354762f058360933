"""Every form carries a key made when it is rendered, passed on to the services as Idempotency-Key:
the same form posted twice (a double click, a resubmission) diarises once."""
import re

from sqlalchemy import create_engine, func, select

from dak.models import Receipt

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def receipts_in(url):
    engine = create_engine(url)
    with engine.connect() as connection:
        counted = connection.execute(select(func.count()).select_from(Receipt)).scalar()
    engine.dispose()
    return counted


def test_the_same_diarise_form_posted_twice_diarises_one_receipt(browser, desk_databases):
    b = browser()
    b.sign_in("diarist.jhs")
    page = b.get("/diarise").text
    form = {**dict(HIDDEN.findall(page)), "kind": "physical", "delivery_mode": "post", "sender_name": "सुनीता देवी",
            "subject": "पेंशन हेतु आवेदन", "action": "generate"}
    first, second = b.post("/diarise", form), b.post("/diarise", form)
    assert first.status_code == second.status_code == 200 and "/receipts/" in first.url
    assert second.url == first.url
    assert receipts_in(desk_databases["dak"]) == 1
    rendered_again = dict(HIDDEN.findall(b.get("/diarise").text))
    assert rendered_again["idempotency_key"] != form["idempotency_key"]  # a form rendered again is a new request
