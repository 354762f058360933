"""Reading and writing signing's tables: one repository per aggregate, the only place SQL lives,
and the unit of work that carries them."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from eoffice_common.directory import OFFICE_FIELDS, USER_FIELDS, CopyTable, DirectoryCopy
from eoffice_common.repository import Repository

from . import domain
from .exceptions import (
    CertificateNotFound,
    DocumentNotFound,
    KeyBoundToAnother,
    NoCertificate,
    SignatureNotFound,
    UnknownUser,
)
from .models import Certificate, Document, DocumentSigner, Office, Signature, User

# signing's copy of the directory, kept by the shared rules: the newer record wins.
DIRECTORY = DirectoryCopy(
    users=CopyTable.of(User.__table__, USER_FIELDS, key="user_id", renamed={"user_id": "id"}),
    offices=CopyTable.of(Office.__table__, OFFICE_FIELDS, key="office", renamed={"office": "code"}),
)


# The partial unique indexes that keep a key label, and a certificate, one officer's at a time.
ONE_HOLDER_INDEXES = ("uq_certificates_active_key_label", "uq_certificates_active_fingerprint",
                      "certificates.key_label", "certificates.fingerprint_sha256")


def view_of(document: Document, signers, signatures) -> domain.DocumentView:
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


class DocumentRepository(Repository):
    """Notes and drafts, each with its signing order."""

    def find(self, kind: str, document_id: str, for_update: bool = False) -> Document | None:
        query = select(Document).where(Document.kind == kind, Document.id == document_id)
        if for_update:
            query = query.with_for_update()
        return self.session.execute(query).scalar_one_or_none()

    def get(self, kind: str, document_id: str, for_update: bool = False
            ) -> tuple[Document, domain.DocumentView, list[Signature]]:
        """The document, the view its rules read, and its signatures (any status)."""
        document = self.find(kind, document_id, for_update)
        if document is None:
            raise DocumentNotFound(f"{kind} {document_id} was not found")
        signatures = self.signatures_of(kind, document_id)
        return document, view_of(document, self.signers_of(kind, document_id), signatures), signatures

    def add(self, document: Document) -> None:
        self.session.add(document)
        self.session.flush()  # the signing order refers to it

    def signers_of(self, kind: str, document_id: str) -> list[str]:
        return self.session.execute(
            select(DocumentSigner.user_id)
            .where(DocumentSigner.document_kind == kind, DocumentSigner.document_id == document_id)
            .order_by(DocumentSigner.position)
        ).scalars().all()

    def set_signers(self, kind: str, document_id: str, user_ids: list[str]) -> None:
        self.session.execute(delete(DocumentSigner).where(DocumentSigner.document_kind == kind,
                                                          DocumentSigner.document_id == document_id))
        for position, user_id in enumerate(user_ids, start=1):
            self.session.add(DocumentSigner(document_kind=kind, document_id=document_id, position=position, user_id=user_id))

    def signatures_of(self, kind: str, document_id: str) -> list[Signature]:
        return self.session.execute(
            select(Signature)
            .where(Signature.document_kind == kind, Signature.document_id == document_id)
            .order_by(Signature.requested_at, Signature.position)
        ).scalars().all()


class SignatureRepository(Repository):
    def get(self, signature_id: str) -> Signature:
        signature = self.session.get(Signature, signature_id)
        if signature is None:
            raise SignatureNotFound(f"signature {signature_id} was not found")
        return signature

    def add(self, signature: Signature) -> None:
        self.session.add(signature)


class CertificateRepository(Repository):
    def get(self, certificate_id: str, user_id: str | None = None) -> Certificate:
        """The certificate; with `user_id`, only if it is that user's."""
        certificate = self.session.get(Certificate, certificate_id)
        if certificate is None or (user_id is not None and certificate.user_id != user_id):
            raise CertificateNotFound(f"certificate {certificate_id} was not found")
        return certificate

    def add(self, certificate: Certificate) -> None:
        """Registered at the same moment by another request, the key or certificate is taken: 409.
        The registrations it takes over end first (the one-holder indexes see them revoked)."""
        self.session.flush()
        self.session.add(certificate)
        try:
            self.session.flush()
        except IntegrityError as exc:
            if not any(name in str(exc.orig) for name in ONE_HOLDER_INDEXES):
                raise
            raise KeyBoundToAnother("this key or certificate was registered by another request just now") from None

    def of_user(self, user_id: str) -> list[Certificate]:
        return self.session.execute(
            select(Certificate).where(Certificate.user_id == user_id).order_by(Certificate.registered_at.desc())
        ).scalars().all()

    def of_office(self, office: str) -> list[Certificate]:
        """The certificates of the office's users, active first, newest first."""
        return self.session.execute(
            select(Certificate).join(User, User.id == Certificate.user_id).where(User.office == office)
            .order_by(Certificate.status, Certificate.user_id, Certificate.registered_at.desc())
        ).scalars().all()

    def usable(self, user_id: str, source: str) -> Certificate:
        """The user's certificate of this source registered last and not revoked."""
        certificate = self.session.execute(
            select(Certificate)
            .where(Certificate.user_id == user_id, Certificate.source == source, Certificate.status == domain.ACTIVE)
            .order_by(Certificate.registered_at.desc()).limit(1)
        ).scalar_one_or_none()
        if certificate is None:
            raise NoCertificate(
                f"register a {'DSC' if source == domain.DSC else 'eSign'} certificate before signing",
                fields={"method": f"no active {source} certificate"},
            )
        return certificate

    def active_registrations(self, fingerprint: str, key_label: str | None) -> list[Certificate]:
        """The active registrations of this certificate or of this key label, locked."""
        same = Certificate.fingerprint_sha256 == fingerprint
        if key_label is not None:
            same = or_(same, Certificate.key_label == key_label)
        return self.session.execute(
            select(Certificate).where(same, Certificate.status == domain.ACTIVE).with_for_update()
        ).scalars().all()

    def active_of(self, user_id: str) -> list[Certificate]:
        return self.session.execute(
            select(Certificate).where(Certificate.user_id == user_id, Certificate.status == domain.ACTIVE)
            .with_for_update()
        ).scalars().all()

    def active(self) -> list[Certificate]:
        return self.session.execute(select(Certificate).where(Certificate.status == domain.ACTIVE)).scalars().all()

    def by_fingerprint(self, fingerprints) -> dict[str, Certificate]:
        """The registration of each certificate: the active one, else the latest."""
        found = self.session.execute(
            select(Certificate).where(Certificate.fingerprint_sha256.in_(list(fingerprints)))
            .order_by((Certificate.status == domain.ACTIVE), Certificate.registered_at)
        ).scalars()
        return {c.fingerprint_sha256: c for c in found}


class DirectoryRepository(Repository):
    """signing's copy of the directory: users and offices."""

    def user(self, user_id: str) -> User:
        user = self.session.get(User, user_id)
        if user is None or not user.active:
            raise UnknownUser(f"user {user_id} is not in the directory")
        return user

    def users_by_id(self, user_ids) -> dict[str, User]:
        return {u.id: u for u in self.session.execute(select(User).where(User.id.in_(list(user_ids)))).scalars()}

    def active_user_ids(self, user_ids) -> set[str]:
        return {u.id for u in self.users_by_id(user_ids).values() if u.active}

    def office(self, code: str) -> Office | None:
        return self.session.get(Office, code)

    def office_of(self, user_id: str) -> str:
        user = self.session.get(User, user_id)
        return user.office if user else ""


class SigningUnitOfWork:
    """signing's repositories over a unit of work. A use case may open it more than once (`with
    uow:`), each time a new transaction from `open_unit()`: signing a PDF happens between two.
    `present` turns what a use case commits with into the HTTP answer, kept under the request's
    Idempotency-Key in the same transaction; the entrypoint returns it as `answer`."""

    def __init__(self, open_unit: Callable[[], Any] | None, present: Callable[[Any], Any] | None = None):
        self._open = open_unit
        self._uow = None
        self._present = present
        self.answer: Any = None
        self.documents = DocumentRepository(self)
        self.signatures = SignatureRepository(self)
        self.certificates = CertificateRepository(self)
        self.directory = DirectoryRepository(self)

    @classmethod
    def over(cls, uow) -> SigningUnitOfWork:
        """Over a unit of work opened already (a consumed event's, by the event pipeline)."""
        opened = cls(None)
        opened._uow = uow
        return opened

    @property
    def session(self) -> Session:
        return self._uow.session

    def __enter__(self) -> SigningUnitOfWork:
        self._uow = self._open()
        self._uow.__enter__()
        return self

    def __exit__(self, *exc_info):
        try:
            return self._uow.__exit__(*exc_info)
        finally:
            self._uow = None

    def track(self, aggregate):
        return self._uow.track(aggregate)

    def commit(self, result: Any = None) -> None:
        self.answer = self._present(result) if self._present else result
        self._uow.commit(self.answer)
