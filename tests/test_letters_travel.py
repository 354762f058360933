"""Letters travel: a signed draft issued in the Collectorate reaches other offices of the deployment as
receipts (files -> draft_issued -> dak -> letter_received / letter_opened -> files), once each, even
when dak loses the broker while the letter is on its way."""
import time
from urllib.parse import urlparse

import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import create_engine, text

from dak.service import DakService
from eoffice_common.outbox import ConfirmingPublisher
from files.models import User as FilesUser
from files.service import FilesService
from signing.service import SigningService
from signing.testing import FakeESignProvider

from .conftest import _count, _start_with_directory

ORDER = "तहसील दिवस के आयोजन हेतु निर्देश / Directions for the Tehsil Diwas"


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


def through(proxy, url):
    parts = urlparse(url)
    credentials = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    return parts._replace(netloc=f"{credentials}127.0.0.1:{proxy.port}").geturl()


def rows(url, sql, **params):
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql), params).all()
    finally:
        engine.dispose()


@pytest.fixture
def letters_office(container_factory, service_config, cross_databases, demo_master, certifying_authority, tcp_proxy):
    """dak (its broker connection through a proxy the test can cut), files and signing; so.jhs holds an eSign certificate."""
    officer = next(u for u in demo_master["users"] if u["id"] == "so.jhs")
    key, certificate = certifying_authority.issue(officer["name_en"], officer["id"])
    esign = FakeESignProvider(key, certificate)
    dak_config = service_config("dak")
    broker = urlparse(dak_config["AMQP_URI"])
    proxy = tcp_proxy(broker.hostname, broker.port or 5672)
    configs = {
        "dak": {**dak_config, "AMQP_URI": through(proxy, dak_config["AMQP_URI"])},
        "files": service_config("files"),
        "signing": service_config("signing", TRUSTED_CA_FILES=certifying_authority.ca_file, ESIGN_URL=esign.url, ESIGN_API_KEY=esign.api_key),
    }
    system = _start_with_directory(
        container_factory, {"dak": DakService, "files": FilesService, "signing": SigningService}, configs, cross_databases, demo_master,
    )
    system.wait_for(lambda: _count(cross_databases["files"], FilesUser) == len(demo_master["users"]), what="the directory reaching files")
    system.dak_broker = proxy
    system.rabbit = {**dak_config}
    ok(system.call("signing", "POST", "/certificates", "so.jhs",
                   json={"source": "esign", "certificate": certificate.public_bytes(serialization.Encoding.PEM).decode()}), 201)
    yield system
    esign.close()


def signed_draft(office, subject=ORDER):
    """A file of so.jhs with an approved draft signed by eSign, as files knows it."""
    file = ok(office.call("files", "POST", "/files", "so.jhs", json={
        "numbering": "non_sfs", "file_number": f"REV/तहसील-दिवस/{time.time_ns()}", "subject": "तहसील दिवस"}), 201)
    draft = ok(office.call("files", "POST", f"/files/{file['id']}/drafts", "so.jhs", json={
        "subject": subject, "content": "सभी तहसीलों में तहसील दिवस प्रत्येक माह के प्रथम मंगलवार को आयोजित किया जाए।"}), 201)
    ok(office.call("files", "POST", f"/files/{file['id']}/drafts/{draft['id']}/approve", "so.jhs", json={}))
    office.wait_for(lambda: office.call("signing", "GET", f"/documents/draft/{draft['id']}", "so.jhs").status_code == 200,
                    what="the approved draft reaching signing")
    ok(office.call("signing", "POST", f"/documents/draft/{draft['id']}/signatures", "so.jhs", json={"method": "esign"}), 201)
    office.wait_for(lambda: ok(office.call("files", "GET", f"/files/{file['id']}/drafts/{draft['id']}", "so.jhs"))["approval"]["signature"]["signed"],
                    what="files learning of the signature")
    return file, draft


def receipts_of_draft(office, draft_id):
    return rows(office.databases["dak"], "SELECT source_dispatch_id, receipt_number, holder_id, office_code, for_information "
                                         "FROM receipts WHERE source_file_id IS NOT NULL ORDER BY receipt_number")


def test_a_letter_issued_to_three_offices_arrives_as_three_receipts_once_each_with_the_broker_cut_midway(letters_office, event_tap):
    office = letters_office
    tap = event_tap("files")
    file, draft = signed_draft(office)

    office.dak_broker.refuse()  # dak is off the broker when the letter leaves
    issued = ok(office.call("files", "POST", f"/files/{file['id']}/drafts/{draft['id']}/issue", "so.jhs", json={
        "dispatch_mode": "intra", "recipients": [
            {"office": "TRY-JHS"}, {"office": "CMO-JHS"}, {"user": "bsa.jhs"},
            {"office": "COLL-JLN", "for_information": True},
        ]}))
    dispatches = issued["issue"]["dispatches"]
    assert [d["status"] for d in dispatches] == ["sent"] * 4
    time.sleep(2)
    assert receipts_of_draft(office, draft["id"]) == []
    office.dak_broker.accept()
    # Cut again as soon as the first receipt is written: its acknowledgement may not reach the broker.
    office.wait_for(lambda: receipts_of_draft(office, draft["id"]), timeout=30, what="the first receipts")
    office.dak_broker.refuse()
    time.sleep(2)
    office.dak_broker.accept()
    # And the broker delivers the very same event again, as it does after a lost acknowledgement.
    event = tap.wait_for("draft_issued")
    publisher = ConfirmingPublisher(office.configs["files"]["AMQP_URI"], "files")
    try:
        assert publisher.publish([event]) == 1
    finally:
        publisher.close()

    def all_received():
        shown = ok(office.call("files", "GET", f"/files/{file['id']}/drafts/{draft['id']}", "so.jhs"))["issue"]["dispatches"]
        return shown if all(d["receipt_number"] for d in shown) else None

    shown = office.wait_for(all_received, timeout=40, what="every addressee's receipt number on the issuing file")
    time.sleep(1.5)  # room for a duplicate to show up
    made = receipts_of_draft(office, draft["id"])
    assert len(made) == 4
    assert {r.source_dispatch_id for r in made} == {d["id"] for d in dispatches}
    by_dispatch = {r.source_dispatch_id: r for r in made}
    holders = {d["office"] or d["user"]: by_dispatch[d["id"]].holder_id for d in dispatches}
    # The receiving point: the role, else the Central Registry, else the office's head; or the named officer.
    assert holders == {"TRY-JHS": "sto.jhs", "CMO-JHS": "cmo.jhs", "BSA-JHS": "bsa.jhs", "COLL-JLN": "diarist.jln"}
    assert [by_dispatch[d["id"]].for_information for d in dispatches] == [False, False, False, True]
    assert {d["receipt_number"] for d in shown} == {r.receipt_number for r in made}
    assert all(d["status"] == "received" and d["received_at"] for d in shown)

    # The receipt: the signed PDF as its scan, the Collectorate as its sender, the issue number as its letter number.
    treasury = next(d for d in shown if d["office"] == "TRY-JHS")
    receipt = ok(office.call("dak", "GET", f"/receipts/{treasury['receipt_id']}", "sto.jhs"))
    assert receipt["letter_number"] == issued["issue"]["issue_number"]
    assert receipt["sender"]["organisation"] == "ज़िलाधिकारी कार्यालय, झाँसी"
    assert receipt["subject"] == ORDER
    scan = office.call("dak", "GET", f"/receipts/{treasury['receipt_id']}/scans/1", "sto.jhs")
    pdf = office.call("signing", "GET", f"/documents/draft/{draft['id']}/pdf", "so.jhs")
    assert scan.status_code == 200 and scan.content == pdf.content and scan.content.startswith(b"%PDF")

    # Opening it is shown on the issuing file.
    def opened():
        shown = ok(office.call("files", "GET", f"/files/{file['id']}/drafts/{draft['id']}", "so.jhs"))["issue"]["dispatches"]
        return next(d for d in shown if d["id"] == treasury["id"])["opened_at"]

    assert office.wait_for(opened, what="the opening reaching the issuing file")
    register = ok(office.call("files", "GET", "/dispatch-register", "so.jhs"))["entries"]
    assert sorted((e["office"] or e["user"], e["status"]) for e in register) == [
        ("BSA-JHS", "received"), ("CMO-JHS", "received"), ("COLL-JLN", "received"), ("TRY-JHS", "opened"),
    ]
