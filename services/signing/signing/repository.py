"""Reading and writing signing's tables: the SQL side of each use case."""
from sqlalchemy import delete, or_, select

from eoffice_common.directory import OFFICE_FIELDS, USER_FIELDS, CopyTable, DirectoryCopy

from . import domain
from .exceptions import CertificateNotFound, DocumentNotFound, NoCertificate, SignatureNotFound, UnknownUser
from .models import Certificate, Document, DocumentSigner, Office, Signature, User

# signing's copy of the directory, kept by the shared rules: the newer record wins.
DIRECTORY = DirectoryCopy(
    users=CopyTable.of(User.__table__, USER_FIELDS, key="user_id", renamed={"user_id": "id"}),
    offices=CopyTable.of(Office.__table__, OFFICE_FIELDS, key="office", renamed={"office": "code"}),
)


def load_document(session, kind, document_id, for_update=False):
    query = select(Document).where(Document.kind == kind, Document.id == document_id)
    if for_update:
        query = query.with_for_update()
    document = session.execute(query).scalar_one_or_none()
    if document is None:
        raise DocumentNotFound(f"{kind} {document_id} was not found")
    return document


def signers_of(session, kind, document_id):
    return session.execute(
        select(DocumentSigner.user_id)
        .where(DocumentSigner.document_kind == kind, DocumentSigner.document_id == document_id)
        .order_by(DocumentSigner.position)
    ).scalars().all()


def set_signers(session, kind, document_id, user_ids):
    session.execute(delete(DocumentSigner).where(DocumentSigner.document_kind == kind, DocumentSigner.document_id == document_id))
    for position, user_id in enumerate(user_ids, start=1):
        session.add(DocumentSigner(document_kind=kind, document_id=document_id, position=position, user_id=user_id))


def signatures_of(session, kind, document_id):
    return session.execute(
        select(Signature)
        .where(Signature.document_kind == kind, Signature.document_id == document_id)
        .order_by(Signature.requested_at, Signature.position)
    ).scalars().all()


def view_of(document, signers, signatures):
    return domain.DocumentView(
        kind=document.kind,
        id=document.id,
        owner=document.owner,
        office=document.office,
        classification=document.classification,
        content_sha256=document.content_sha256,
        text_sha256=document.text_sha256,
        signers=list(signers),
        signatures=[
            domain.SignatureView(s.id, s.position, s.signer, s.status, s.requested_at, s.content_sha256, s.certificate_id)
            for s in signatures
        ],
        changed_after_signing=document.changed_after_signing_at is not None,
    )


def document_view(session, kind, document_id, for_update=False):
    document = load_document(session, kind, document_id, for_update)
    signatures = signatures_of(session, kind, document_id)
    return document, view_of(document, signers_of(session, kind, document_id), signatures), signatures


def get_user(session, user_id):
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise UnknownUser(f"user {user_id} is not in the directory")
    return user


def users_by_id(session, user_ids):
    return {u.id: u for u in session.execute(select(User).where(User.id.in_(list(user_ids)))).scalars()}


def active_user_ids(session, user_ids):
    return {u.id for u in users_by_id(session, user_ids).values() if u.active}


def office(session, code):
    return session.get(Office, code)


def certificate_of(session, certificate_id, user_id=None):
    certificate = session.get(Certificate, certificate_id)
    if certificate is None or (user_id is not None and certificate.user_id != user_id):
        raise CertificateNotFound(f"certificate {certificate_id} was not found")
    return certificate


def certificates_of(session, user_id):
    return session.execute(
        select(Certificate).where(Certificate.user_id == user_id).order_by(Certificate.registered_at.desc())
    ).scalars().all()


def usable_certificate(session, user_id, source, certificate_id=None):
    """The user's chosen certificate, or the one registered last, of this source and not revoked."""
    query = select(Certificate).where(
        Certificate.user_id == user_id, Certificate.source == source, Certificate.status == domain.ACTIVE
    )
    if certificate_id:
        query = query.where(Certificate.id == certificate_id)
    certificate = session.execute(query.order_by(Certificate.registered_at.desc()).limit(1)).scalar_one_or_none()
    if certificate is None:
        raise NoCertificate(
            f"register a {'DSC' if source == domain.DSC else 'eSign'} certificate before signing",
            fields={"method": f"no active {source} certificate"},
        )
    return certificate


def active_registrations(session, fingerprint, key_label):
    """The active registrations of this certificate or of this key label, locked."""
    same = Certificate.fingerprint_sha256 == fingerprint
    if key_label is not None:
        same = or_(same, Certificate.key_label == key_label)
    return session.execute(select(Certificate).where(same, Certificate.status == domain.ACTIVE).with_for_update()).scalars().all()


def active_certificates_of(session, user_id):
    return session.execute(
        select(Certificate).where(Certificate.user_id == user_id, Certificate.status == domain.ACTIVE).with_for_update()
    ).scalars().all()


def certificates_by_fingerprint(session, fingerprints):
    """The registration of each certificate: the active one, else the latest."""
    found = session.execute(
        select(Certificate).where(Certificate.fingerprint_sha256.in_(list(fingerprints)))
        .order_by((Certificate.status == domain.ACTIVE), Certificate.registered_at)
    ).scalars()
    return {c.fingerprint_sha256: c for c in found}


def active_certificates(session):
    return session.execute(select(Certificate).where(Certificate.status == domain.ACTIVE)).scalars().all()


def signature_of(session, signature_id):
    signature = session.get(Signature, signature_id)
    if signature is None:
        raise SignatureNotFound(f"signature {signature_id} was not found")
    return signature
