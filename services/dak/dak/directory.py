"""The organisation directory master: imported from YAML (or a folder of CSVs), published as events."""
import csv
import os

import yaml

from eoffice_common.directory import DEFAULT_CLEARANCE, DEFAULT_LANGUAGE

from .domain import user_search_text
from .events import OfficeRecorded, UserRecorded
from .models import Department, District, Office, Section, State, User

ENTITIES = ("districts", "departments", "offices", "sections", "users")


def load_master(path):
    """A master as a dict: a YAML file, or a folder with state.csv, districts.csv ... users.csv."""
    if os.path.isdir(path):
        master = {}
        with open(os.path.join(path, "state.csv"), encoding="utf-8") as handle:
            master["state"] = next(csv.DictReader(handle))
        for entity in ENTITIES:
            with open(os.path.join(path, f"{entity}.csv"), encoding="utf-8") as handle:
                master[entity] = [{k: (v if v != "" else None) for k, v in row.items()} for row in csv.DictReader(handle)]
        for user in master["users"]:
            user["roles"] = [r for r in (user.get("roles") or "").split(";") if r]
        return master
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _upsert(session, model, key, values):
    """Insert or update one row; returns True if anything changed. A record an admin edited in the
    admin area (directory_usecases) is theirs from then on: the import leaves it as it is."""
    row = session.get(model, key)
    if row is None:
        session.add(model(**values))
        return True
    if getattr(row, "edited_at", None) is not None:
        return False
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def import_master(uow, master, republish=False):
    """Upsert every record and emit office_recorded / user_recorded for those that changed.
    Users missing from the master are deactivated (and announced), never deleted. Offices, sections
    and users an admin edited are left as the admin left them."""
    session = uow.session
    state = master["state"]
    _upsert(session, State, state["code"], {"code": state["code"], "name_en": state["name_en"], "name_hi": state["name_hi"]})
    for d in master["districts"]:
        _upsert(session, District, d["code"], {
            "code": d["code"], "state_code": state["code"], "name_en": d["name_en"], "name_hi": d["name_hi"],
            "division_en": d.get("division_en"), "division_hi": d.get("division_hi"),
        })
    for d in master["departments"]:
        _upsert(session, Department, d["code"], {"code": d["code"], "name_en": d["name_en"], "name_hi": d["name_hi"]})
    changed_offices = set()
    for o in master["offices"]:
        if _upsert(session, Office, o["code"], {
            "code": o["code"], "name_en": o["name_en"], "name_hi": o["name_hi"],
            "district_code": o["district"], "department_code": o["department"],
        }):
            changed_offices.add(o["code"])
    session.flush()
    for s in master.get("sections") or []:
        if _upsert(session, Section, s["code"], {"code": s["code"], "office_code": s["office"], "name_en": s["name_en"], "name_hi": s["name_hi"]}):
            changed_offices.add(s["office"])
    session.flush()
    changed_users = set()
    listed = set()
    for u in master["users"]:
        listed.add(u["id"])
        if _upsert(session, User, u["id"], {
            "id": u["id"], "name_en": u["name_en"], "name_hi": u["name_hi"],
            "designation_en": u["designation_en"], "designation_hi": u["designation_hi"], "search_text": user_search_text(u),
            "office_code": u["office"], "section_code": u.get("section"), "email": u.get("email"),
            "mobile": u.get("mobile"), "reporting_officer_id": u.get("reporting_officer"),
            "roles": list(u.get("roles") or []), "language": u.get("language") or DEFAULT_LANGUAGE,
            "clearance": u.get("clearance") or DEFAULT_CLEARANCE, "active": True,
        }):
            changed_users.add(u["id"])
    for user in session.query(User).filter(User.active.is_(True), User.edited_at.is_(None)):
        if user.id not in listed:
            user.active = False
            changed_users.add(user.id)
    session.flush()
    offices = {o.code: o for o in session.query(Office)}
    if republish:
        changed_offices = set(offices)
        changed_users = {u.id for u in session.query(User)}
    for code in sorted(changed_offices):
        uow.emit(office_recorded(session, offices[code]))
    for user_id in sorted(changed_users):
        user = session.get(User, user_id)
        uow.emit(user_recorded(user, offices[user.office_code].district_code))
    return {"offices": len(changed_offices), "users": len(changed_users)}


def office_recorded(session, office):
    district = session.get(District, office.district_code)
    department = session.get(Department, office.department_code)
    sections = session.query(Section).filter(Section.office_code == office.code).order_by(Section.code)
    return OfficeRecorded(
        office=office.code, district=office.district_code, name_en=office.name_en, name_hi=office.name_hi,
        department=department.code, department_name_en=department.name_en, department_name_hi=department.name_hi,
        district_name_en=district.name_en, district_name_hi=district.name_hi, state=district.state_code,
        sections=[{"code": s.code, "name_en": s.name_en, "name_hi": s.name_hi} for s in sections],
    )


def user_recorded(user, district):
    return UserRecorded(
        user_id=user.id, office=user.office_code, district=district, name_en=user.name_en, name_hi=user.name_hi,
        designation_en=user.designation_en, designation_hi=user.designation_hi, section=user.section_code,
        email=user.email, mobile=user.mobile, reporting_officer=user.reporting_officer_id,
        roles=list(user.roles or []), language=user.language, clearance=user.clearance, active=user.active,
    )
