"""This service's copy of the organisation directory, kept from dak's office_recorded and
user_recorded events (or, for an empty copy, from RPC `dak.directory_snapshot()`)."""
from .models import Office, User


def record_office(session, data):
    """Insert or update an office from office_recorded's data."""
    session.merge(Office(
        code=data["office"], district_code=data["district"], name_en=data["name_en"], name_hi=data["name_hi"],
        department_code=data["department"], department_name_en=data["department_name_en"],
        department_name_hi=data["department_name_hi"], district_name_en=data["district_name_en"],
        district_name_hi=data["district_name_hi"], state_code=data["state"],
        sections=[{"code": s["code"], "name_en": s["name_en"], "name_hi": s["name_hi"]} for s in data.get("sections") or []],
    ))


def record_user(session, data):
    """Insert or update a user from user_recorded's data (a user who left is kept, inactive)."""
    session.merge(User(
        id=data["user_id"], office_code=data["office"], district_code=data["district"],
        name_en=data["name_en"], name_hi=data["name_hi"], designation_en=data["designation_en"],
        designation_hi=data["designation_hi"], section_code=data.get("section"), email=data.get("email"),
        reporting_officer_id=data.get("reporting_officer"), roles=list(data.get("roles") or []),
        language=data.get("language") or "en", active=bool(data["active"]),
    ))


def record_snapshot(session, snapshot):
    for office in snapshot["offices"]:
        record_office(session, office)
    for user in snapshot["users"]:
        record_user(session, user)
    return {"offices": len(snapshot["offices"]), "users": len(snapshot["users"])}
