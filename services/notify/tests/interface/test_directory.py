"""notify's copy of the directory: kept from user_recorded, or copied from dak on demand."""
from nameko.rpc import rpc
from sqlalchemy import select

from eoffice_common.engine import StandaloneEngine
from eoffice_common.tables import processed_events
from notify.cli import sync_directory
from notify.models import Recipient


class DakWithADirectory:
    name = "dak"

    @rpc
    def directory_snapshot(self):
        return {"offices": [], "users": [{
            "user_id": "sdm.mth", "office": "TEH-MTH", "district": "JHS", "name_en": "Kavita Singh",
            "name_hi": "कविता सिंह", "designation_en": "Sub Divisional Magistrate", "designation_hi": "उपज़िलाधिकारी",
            "section": None, "email": "sdm.mth@up.example.in", "mobile": "9876500009", "reporting_officer": "dm.jhs",
            "roles": ["officer"], "language": "hi", "active": True,
        }]}


def test_sync_directory_copies_dak_users(container_factory, rabbit_config, db):
    container_factory(DakWithADirectory, rabbit_config).start()
    engine = StandaloneEngine(db.url)
    assert sync_directory(rabbit_config["AMQP_URI"], engine, timeout=10) == 1
    engine.engine.dispose()
    [user] = db.rows(select(Recipient))
    assert (user.user_id, user.name_hi, user.designation_hi, user.language) == ("sdm.mth", "कविता सिंह", "उपज़िलाधिकारी", "hi")


def test_a_user_recorded_again_replaces_the_copy_and_deactivation_silences_them(client, publish, helpers, db, mail_drop):
    publish("dak", "user_recorded", {**helpers.users["dm.jhs"], "user_id": "dm.jhs", "email": "collector.jhs@up.example.in",
                                     "language": "en"}, aggregate_type="user")
    assert helpers.wait_until(lambda: db.rows(select(Recipient.email).where(Recipient.user_id == "dm.jhs"))[0].email
                              == "collector.jhs@up.example.in")
    publish("files", "file_sent", helpers.file_sent(to_user="dm.jhs", file_number="N-1/2026"))
    [message] = mail_drop.wait_for(1, address="collector.jhs@up.example.in")
    assert message["Subject"].startswith("eOffice: File N-1/2026 sent to you")

    publish("dak", "user_recorded", {**helpers.users["clerk.jhs"], "user_id": "clerk.jhs", "active": False},
            aggregate_type="user")
    assert helpers.wait_until(lambda: not db.rows(select(Recipient.active).where(Recipient.user_id == "clerk.jhs"))[0].active)
    silenced = publish("files", "file_sent", helpers.file_sent(to_user="clerk.jhs"))
    assert helpers.wait_until(lambda: db.count(processed_events, processed_events.c.event_id == silenced["id"]))
    assert client.inbox("clerk.jhs")["total"] == 0
    assert mail_drop.to("clerk.jhs@up.example.in") == []
