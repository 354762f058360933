"""Reading and writing the desk's tables."""
from datetime import datetime

from sqlalchemy import case, delete, or_, select, update

from eoffice_common import directory
from eoffice_common.directory import OFFICE_FIELDS, USER_FIELDS, CopyTable, DirectoryCopy
from eoffice_common.search import contains, search_words

from . import domain
from .models import Account, ActingCharge, Office, ReceiptDeadline, Session, SignInAttempt, User

_sessions, _users, _accounts, _offices = Session.__table__, User.__table__, Account.__table__, Office.__table__

SIGNED_IN = (
    select(
        _sessions.c.id_hash, _sessions.c.csrf_token, _sessions.c.created_at,
        _sessions.c.last_seen_at, _sessions.c.expires_at, _users.c.id, _users.c.office, _users.c.name_en,
        _users.c.name_hi, _users.c.designation_en, _users.c.designation_hi, _users.c.roles,
        _users.c.language.label("directory_language"), _users.c.active, _accounts.c.language.label("chosen_language"),
    )
    .join(_users, _users.c.id == _sessions.c.user_id)
    .outerjoin(_accounts, _accounts.c.user_id == _sessions.c.user_id)
)


def signed_in(connection, id_hash):
    return connection.execute(SIGNED_IN.where(_sessions.c.id_hash == id_hash)).first()


def touch_session(connection, id_hash, now):
    connection.execute(update(_sessions).where(_sessions.c.id_hash == id_hash).values(last_seen_at=now))


def end_session(session, id_hash):
    session.execute(delete(Session).where(Session.id_hash == id_hash))


def end_expired_sessions(session, now):
    return session.execute(delete(Session).where(Session.expires_at < now)).rowcount


def start_sign_in_attempt(session, keys, now):
    """Counts an attempt against each `{scope: key}`; the ids of its rows."""
    rows = [SignInAttempt(scope=scope, key=key, attempted_at=now) for scope, key in keys.items()]
    session.add_all(rows)
    session.flush()
    return [row.id for row in rows]


def other_attempts(session, scope, key, since, own_ids):
    return session.execute(
        select(SignInAttempt.attempted_at).where(
            SignInAttempt.scope == scope, SignInAttempt.key == key, SignInAttempt.attempted_at > since,
            SignInAttempt.id.not_in(own_ids),
        )
    ).scalars().all()


def forget_sign_in_attempts(session, ids, account_key=None):
    """Removes the rows `ids`, and with `account_key` every attempt counted against that account."""
    session.execute(delete(SignInAttempt).where(SignInAttempt.id.in_(ids)))
    if account_key is not None:
        session.execute(delete(SignInAttempt).where(SignInAttempt.scope == "account", SignInAttempt.key == account_key))


def end_old_sign_in_attempts(session, before):
    session.execute(delete(SignInAttempt).where(SignInAttempt.attempted_at < before))


def get_user(session, user_id):
    user = session.get(User, user_id)
    return user if user is not None and user.active else None


def account_of(session, user_id):
    account = session.get(Account, user_id)
    if account is None:
        account = Account(user_id=user_id, updated_at=datetime.now(domain.IST))
        session.add(account)
    return account


def count_users(session):
    return session.query(User).count()


def active_users(session):
    return session.execute(select(User).where(User.active.is_(True)).order_by(User.id)).scalars().all()


# desk's copy of the directory, kept by the shared rules: the newer record wins.
DIRECTORY = DirectoryCopy(
    users=CopyTable.of(User.__table__, USER_FIELDS, key="user_id", renamed={"user_id": "id"},
                       derived=lambda user: {"search_text": domain.user_search_text({**user, "id": user["user_id"]})}),
    offices=CopyTable.of(Office.__table__, OFFICE_FIELDS, key="office", renamed={"office": "code"},
                         derived=lambda office: {"search_text": domain.office_search_text({**office, "code": office["office"]})}),
)


def record_directory_event(session, envelope):
    """Apply dak's office_recorded or user_recorded; a user it deactivates is signed out everywhere."""
    recorded = DIRECTORY.record_event(session, envelope)
    if envelope.type == "user_recorded" and recorded.applied and not recorded.values["active"]:
        session.execute(delete(Session).where(Session.user_id == recorded.values["user_id"]))


def record_directory_snapshot(session, snapshot):
    DIRECTORY.record_snapshot(session, snapshot)
    session.execute(delete(Session).where(Session.user_id.in_(select(User.id).where(User.active.is_(False)))))


def find_people(session, query, office, district, limit):
    """Active users for whom every word of `query` is in their name, designation, office or district,
    and at least one in their own name or designation (so that "ज़िलाधिकारी" finds District Magistrates,
    not everyone in a "ज़िलाधिकारी कार्यालय"); Hindi spelling variants folded. The caller's own office
    first, then the caller's district, then by office and name."""
    words = search_words(query)
    filters = [_users.c.active.is_(True)]
    for word in words:
        filters.append(or_(contains(_users.c.search_text, word), contains(_offices.c.search_text, word)))
    if words:
        filters.append(or_(*(contains(_users.c.search_text, word) for word in words)))
    return session.execute(
        select(User, Office)
        .join(Office, Office.code == User.office)
        .where(*filters)
        .order_by(case((User.office == office, 0), else_=1), case((Office.district == district, 0), else_=1),
                  Office.name_en, User.name_en)
        .limit(limit)
    ).all()


def people_by_id(session, user_ids):
    """Active users among `user_ids`, each with their office, in the order given."""
    found = {user.id: (user, office) for user, office in session.execute(
        select(User, Office).join(Office, Office.code == User.office).where(User.id.in_(list(user_ids)), User.active.is_(True)))}
    return [found[user_id] for user_id in user_ids if user_id in found]


def record_acting_charge(session, data, ended):
    """Keep dak's charge as announced (eoffice_common.directory.record_acting_charge)."""
    directory.record_acting_charge(session, ActingCharge, data["charge_id"], data["absent_user"], data["acting_user"],
                                   domain.as_date(data["from_date"]), domain.as_date(data["to_date"]), ended)


def away_on(session, user_ids, day):
    """{absent user id: (their charge, the acting officer)} for those of `user_ids` away on `day`."""
    ids = [u for u in user_ids if u]
    if not ids:
        return {}
    rows = session.execute(
        select(ActingCharge, User).join(User, User.id == ActingCharge.acting_user)
        .where(ActingCharge.absent_user.in_(ids), ActingCharge.ended.is_(False),
               ActingCharge.from_date <= day, ActingCharge.to_date >= day)
        .order_by(ActingCharge.from_date))
    return {charge.absent_user: (charge, acting) for charge, acting in rows}


def offices_by_code(session):
    return {o.code: o for o in session.execute(select(Office)).scalars()}


def record_receipt_sent(session, data, sent_at):
    """Keep the last hand-over of a receipt (an older one arriving late changes nothing)."""
    row = session.get(ReceiptDeadline, data["receipt_id"])
    if row is not None and not domain.is_newer(row.sent_at, sent_at):
        return False
    if row is None:
        row = ReceiptDeadline(receipt_id=data["receipt_id"])
        session.add(row)
    row.holder, row.from_user = data["to_user"], data["from_user"]
    row.priority = data.get("priority") or "normal"
    row.due_date = domain.as_date(data.get("due_date"))
    row.sent_at = sent_at
    return True


def deadlines_of(session, receipt_ids):
    if not receipt_ids:
        return {}
    rows = session.execute(select(ReceiptDeadline).where(ReceiptDeadline.receipt_id.in_(list(receipt_ids)))).scalars()
    return {
        r.receipt_id: {"priority": r.priority, "due_date": r.due_date, "sent_at": r.sent_at.isoformat(), "from_user": r.from_user}
        for r in rows
    }


class DeskStore:
    """What the use cases read of the desk's own database, each a short read of its own."""

    def __init__(self, db):
        self.db = db

    def people(self, user_ids):
        """{id: name and designation} of these users in the directory copy, as dicts."""
        ids = {u for u in user_ids if u}
        if not ids:
            return {}
        with self.db.read() as session:
            rows = session.execute(select(User).where(User.id.in_(ids))).scalars()
            return {u.id: {"id": u.id, "name_en": u.name_en, "name_hi": u.name_hi, "designation_en": u.designation_en,
                           "designation_hi": u.designation_hi} for u in rows}

    def deadlines_of(self, receipt_ids):
        with self.db.read() as session:
            return deadlines_of(session, receipt_ids)

    def district_of(self, office_code):
        with self.db.read() as session:
            office = session.get(Office, office_code)
            return office.district if office else None

    def people_by_id(self, user_ids):
        with self.db.read() as session:
            return people_by_id(session, user_ids)

    def find_people(self, query, office, district, limit):
        with self.db.read() as session:
            return find_people(session, query, office, district, limit)

    def away_on(self, user_ids, day):
        with self.db.read() as session:
            return away_on(session, user_ids, day)

    def all_offices(self):
        """Every office of the directory, by code."""
        with self.db.read() as session:
            return sorted(offices_by_code(session).values(), key=lambda o: o.code)

    # --- accounts and sessions

    def fill_directory_if_empty(self, snapshot):
        """The directory copy from `snapshot()` (dak's), when the copy has no one yet."""
        with self.db.unit_of_work() as uow:
            if count_users(uow.session) == 0:
                record_directory_snapshot(uow.session, snapshot())
                uow.commit()

    def user(self, user_id):
        """The active user of this id, or None."""
        with self.db.read() as session:
            return get_user(session, user_id)

    def password_hash(self, user_id):
        with self.db.read() as session:
            account = session.get(Account, user_id)
            return account.password_hash if account else None

    def start_session(self, id_hash, user_id, csrf_token, times, now):
        with self.db.unit_of_work(actor=user_id) as uow:
            uow.session.add(Session(id_hash=id_hash, user_id=user_id, csrf_token=csrf_token, created_at=times.created_at,
                                    last_seen_at=times.last_seen_at, expires_at=times.expires_at))
            end_expired_sessions(uow.session, now)
            uow.commit()

    def end_session(self, id_hash):
        with self.db.unit_of_work() as uow:
            end_session(uow.session, id_hash)
            uow.commit()

    def choose_language(self, user_id, language, now):
        with self.db.unit_of_work() as uow:
            account = account_of(uow.session, user_id)
            account.language, account.updated_at = language, now
            uow.commit()
