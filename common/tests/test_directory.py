"""The rules of every service's copy of the directory, on PostgreSQL and SQLite: the newer record
wins whatever the order of arrival, one default language, and a user who leaves is kept."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import JSON, Boolean, Column, MetaData, String, Table, create_engine, select

from eoffice_common.directory import (
    DEFAULT_LANGUAGE,
    OFFICE_FIELDS,
    USER_FIELDS,
    CopyTable,
    DirectoryCopy,
)
from eoffice_common.events import Envelope, MalformedEvent
from eoffice_common.testing import create_database
from eoffice_common.types import UtcDateTime

TABLES = MetaData()
# Shaped like files' copy: some columns renamed, some fields not kept.
users = Table(
    "users", TABLES,
    Column("id", String(64), primary_key=True), Column("office_code", String(32), nullable=False),
    Column("name_en", String(200), nullable=False), Column("name_hi", String(200), nullable=False),
    Column("language", String(2), nullable=False), Column("roles", JSON, nullable=False),
    Column("active", Boolean, nullable=False), Column("recorded_at", UtcDateTime()),
)
offices = Table(
    "offices", TABLES,
    Column("code", String(32), primary_key=True), Column("district", String(16), nullable=False),
    Column("name_en", String(200), nullable=False), Column("name_hi", String(200), nullable=False),
    Column("sections", JSON, nullable=False), Column("recorded_at", UtcDateTime()),
)
COPY = DirectoryCopy(
    users=CopyTable.of(users, USER_FIELDS, key="user_id", renamed={"user_id": "id", "office": "office_code"}),
    offices=CopyTable.of(offices, OFFICE_FIELDS, key="office", renamed={"office": "code"}),
)
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture(params=["postgresql", "sqlite"])
def engine(request, tmp_path):
    url = create_database("eoffice_test_directory_copy") if request.param == "postgresql" else f"sqlite:///{tmp_path / 'copy.db'}"
    engine = create_engine(url)
    TABLES.create_all(engine)
    yield engine
    engine.dispose()


def user(**changes):
    return {"user_id": "so.revenue", "office": "REV-HQ", "district": "CHD", "name_en": "Suresh Kumar",
            "name_hi": "सुरेश कुमार", "designation_en": "Section Officer", "designation_hi": "अनुभाग अधिकारी",
            "roles": ["officer"], "language": "en", "active": True, **changes}


def office(**changes):
    return {"office": "REV-HQ", "district": "CHD", "name_en": "Revenue Department", "name_hi": "राजस्व विभाग",
            "sections": [{"code": "REV-HQ-A", "name_en": "Section A", "name_hi": "अनुभाग क"}], **changes}


def stored_user(engine, user_id="so.revenue"):
    with engine.connect() as connection:
        return connection.execute(select(users).where(users.c.id == user_id)).mappings().first()


def test_an_older_update_arriving_after_a_newer_one_changes_nothing(engine):
    with engine.begin() as connection:
        newer = COPY.record_user(connection, user(name_hi="सुरेश कुमार शर्मा", office="REV-DIST"), T0 + timedelta(minutes=5))
        older = COPY.record_user(connection, user(name_hi="पुराना नाम"), T0)
    assert newer.applied and newer.created
    assert not older.applied
    row = stored_user(engine)
    assert (row["name_hi"], row["office_code"], row["recorded_at"]) == ("सुरेश कुमार शर्मा", "REV-DIST", T0 + timedelta(minutes=5))


def test_a_newer_update_replaces_the_older_and_says_what_changed(engine):
    with engine.begin() as connection:
        COPY.record_user(connection, user(), T0)
        newer = COPY.record_user(connection, user(office="REV-DIST"), T0 + timedelta(seconds=1))
    assert newer.applied and not newer.created
    assert newer.changed("office") and not newer.changed("name_en", "active")
    assert newer.previous["office"] == "REV-HQ"
    assert stored_user(engine)["office_code"] == "REV-DIST"


def test_the_same_moment_again_is_not_newer(engine):
    with engine.begin() as connection:
        COPY.record_user(connection, user(), T0)
        again = COPY.record_user(connection, user(name_en="Someone Else"), T0)
    assert not again.applied
    assert stored_user(engine)["name_en"] == "Suresh Kumar"


def test_a_user_who_leaves_is_kept_inactive_and_an_older_record_does_not_bring_them_back(engine):
    with engine.begin() as connection:
        COPY.record_user(connection, user(active=False), T0 + timedelta(hours=1))
        late = COPY.record_user(connection, user(active=True), T0)
    assert not late.applied
    row = stored_user(engine)
    assert row is not None and row["active"] is False


def test_a_user_without_a_language_gets_the_one_default(engine):
    with engine.begin() as connection:
        COPY.record_user(connection, {key: value for key, value in user().items() if key != "language"}, T0)
        COPY.record_user(connection, user(user_id="clerk.revenue", language=None), T0)
    assert DEFAULT_LANGUAGE == "hi"
    assert stored_user(engine)["language"] == stored_user(engine, "clerk.revenue")["language"] == DEFAULT_LANGUAGE


def test_offices_follow_the_same_rule_by_event_time(engine):
    def envelope(occurred_at, **changes):
        return Envelope.parse({"id": f"evt-{occurred_at.isoformat()}", "type": "office_recorded", "schema_version": 1,
                               "occurred_at": occurred_at.isoformat(), "actor": "admin", "office": "REV-HQ",
                               "data": office(**changes)})

    with engine.begin() as connection:
        assert COPY.record_event(connection, envelope(T0 + timedelta(minutes=1), name_hi="राजस्व एवं आपदा प्रबंधन विभाग")).applied
        assert not COPY.record_event(connection, envelope(T0, name_hi="राजस्व विभाग")).applied
    with engine.connect() as connection:
        row = connection.execute(select(offices)).mappings().one()
    assert row["name_hi"] == "राजस्व एवं आपदा प्रबंधन विभाग"
    assert row["sections"][0]["name_hi"] == "अनुभाग क"


def test_a_snapshot_is_as_of_when_it_was_taken(engine):
    snapshot = {"taken_at": (T0 + timedelta(minutes=10)).isoformat(), "offices": [office()], "users": [user()]}
    with engine.begin() as connection:
        COPY.record_user(connection, user(name_en="Suresh K."), T0 + timedelta(minutes=20))
        assert COPY.record_snapshot(connection, snapshot) == {"offices": 1, "users": 0}
        assert not COPY.record_user(connection, user(name_en="Before the snapshot"), T0 + timedelta(minutes=5)).applied
    assert stored_user(engine)["name_en"] == "Suresh K."


@pytest.mark.parametrize("record", [
    {"office": "REV-HQ", "name_en": "x", "name_hi": "x"},
    {**user(), "roles": "officer"},
    {**user(), "active": "yes"},
    {**user(), "language": "fr"},
])
def test_a_malformed_user_record_is_refused(engine, record):
    with engine.begin() as connection, pytest.raises(MalformedEvent):
        COPY.record_user(connection, record, T0)


def test_an_event_the_copy_does_not_keep_is_refused():
    copy = DirectoryCopy(users=COPY.users)
    assert copy.events == ("user_recorded",)
    envelope = Envelope.parse({"id": "e1", "type": "office_recorded", "schema_version": 1, "occurred_at": T0.isoformat(),
                               "actor": "admin", "office": "REV-HQ", "data": office()})
    with pytest.raises(MalformedEvent):
        copy.record_event(None, envelope)
