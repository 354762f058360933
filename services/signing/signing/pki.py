"""Trust in certificates: the configured certifying authorities, their CRLs (files or URLs), and the
facts the rules need about a certificate (validity, key usage, chain, revocation)."""
import hashlib
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from nameko.extensions import DependencyProvider

from eoffice_common.logging import get_logger

from .domain import CertificateFacts, Revocation
from .exceptions import CertificateRefused

log = get_logger(__name__)

MAX_CHAIN_DEPTH = 5
KEY_USAGE_NAMES = (
    "digital_signature", "content_commitment", "key_encipherment", "data_encipherment", "key_agreement",
    "key_cert_sign", "crl_sign",
)


def parse_certificate(data):
    """An X.509 certificate from PEM text or DER bytes; 422 if it is neither."""
    raw = data.encode() if isinstance(data, str) else bytes(data)
    try:
        if b"-----BEGIN" in raw:
            return x509.load_pem_x509_certificate(raw)
        return x509.load_der_x509_certificate(raw)
    except ValueError as exc:
        raise CertificateRefused(f"not an X.509 certificate: {exc}", reason="not_a_certificate") from exc


def der_of(certificate):
    return certificate.public_bytes(serialization.Encoding.DER)


def fingerprint(certificate):
    return hashlib.sha256(der_of(certificate)).hexdigest()


def serial_hex(certificate):
    return format(certificate.serial_number, "X")


def common_name(certificate):
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return names[0].value if names else certificate.subject.rfc4514_string()


def user_ids(certificate):
    return frozenset(a.value for a in certificate.subject.get_attributes_for_oid(NameOID.USER_ID))


def emails(certificate):
    """The subject's emailAddress attributes and rfc822Name alternative names, casefolded."""
    found = [a.value for a in certificate.subject.get_attributes_for_oid(NameOID.EMAIL_ADDRESS)]
    try:
        found += certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.RFC822Name)
    except x509.ExtensionNotFound:
        pass
    return frozenset(value.casefold() for value in found)


def key_usages(certificate):
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return frozenset()
    names = {name for name in KEY_USAGE_NAMES if _usage_flag(usage, name)}
    if "content_commitment" in names:
        names.add("non_repudiation")  # RFC 5280's current name for nonRepudiation
    return frozenset(names)


def _usage_flag(usage, name):
    try:
        return bool(getattr(usage, name))
    except ValueError:  # encipher_only / decipher_only style flags undefined without key_agreement
        return False


def key_type(certificate):
    key = certificate.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return "rsa"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "ec"
    return type(key).__name__.lower()


def _utc(moment):
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _load_all_certificates(data):
    if b"-----BEGIN" in data:
        return x509.load_pem_x509_certificates(data)
    return [x509.load_der_x509_certificate(data)]


def _load_crl(data):
    if b"-----BEGIN" in data:
        return x509.load_pem_x509_crl(data)
    return x509.load_der_x509_crl(data)


def _split(value):
    if not value:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in str(value).split(",") if part.strip()]


@dataclass
class TrustSnapshot:
    """The CAs and CRLs in force at one moment; replaced whole when CRLs are reloaded."""

    authorities: list
    crls: list
    generation: int = 0
    loaded_at: float = field(default_factory=time.monotonic)

    def issuer_of(self, certificate):
        for authority in self.authorities:
            if authority.subject == certificate.issuer:
                try:
                    certificate.verify_directly_issued_by(authority)
                except (ValueError, TypeError, InvalidSignature):
                    continue
                return authority
        return None

    def chain_problem(self, certificate, now):
        """None if `certificate` chains to a configured CA that is valid at `now`; else why not."""
        current = certificate
        for _ in range(MAX_CHAIN_DEPTH):
            issuer = self.issuer_of(current)
            if issuer is None:
                return f"no configured CA issued {current.issuer.rfc4514_string()!r}"
            if not (_utc(issuer.not_valid_before_utc) <= now <= _utc(issuer.not_valid_after_utc)):
                return f"the CA {issuer.subject.rfc4514_string()!r} is not valid now"
            try:
                constraints = issuer.extensions.get_extension_for_class(x509.BasicConstraints).value
            except x509.ExtensionNotFound:
                constraints = None
            if constraints is None or not constraints.ca:
                return f"{issuer.subject.rfc4514_string()!r} is not a CA certificate"
            if issuer.subject == issuer.issuer:
                return None
            if issuer in self.authorities:  # every configured CA is a trust anchor
                return None
            current = issuer
        return "the chain is too long"

    def revocation(self, certificate):
        """The revocation of `certificate` in a CRL signed by its issuer, or None."""
        for crl in self.crls:
            if crl.issuer != certificate.issuer:
                continue
            issuer = self.issuer_of(certificate)
            if issuer is None or not crl.is_signature_valid(issuer.public_key()):
                continue
            entry = crl.get_revoked_certificate_by_serial_number(certificate.serial_number)
            if entry is not None:
                return Revocation(_utc(entry.revocation_date_utc), _crl_reason(entry))
        return None

    def facts(self, certificate, now):
        return CertificateFacts(
            common_name=common_name(certificate),
            not_before=_utc(certificate.not_valid_before_utc),
            not_after=_utc(certificate.not_valid_after_utc),
            key_usages=key_usages(certificate),
            key_type=key_type(certificate),
            chain_problem=self.chain_problem(certificate, now),
            revocation=self.revocation(certificate),
            user_ids=user_ids(certificate),
            emails=emails(certificate),
        )

    def stale(self, refresh_seconds):
        now = datetime.now(timezone.utc)
        if time.monotonic() - self.loaded_at > refresh_seconds:
            return True
        return any(crl.next_update_utc is not None and _utc(crl.next_update_utc) < now for crl in self.crls)


def _crl_reason(entry):
    try:
        return entry.extensions.get_extension_for_class(x509.CRLReason).value.reason.name
    except x509.ExtensionNotFound:
        return "unspecified"


class TrustStore:
    """Loads the CAs and CRLs named in config; keeps the last good copy of a CRL it cannot fetch."""

    def __init__(self, ca_files, crl_sources, refresh_seconds=3600, http_timeout=10):
        self.ca_files = _split(ca_files)
        self.crl_sources = _split(crl_sources)
        self.refresh_seconds = float(refresh_seconds)
        self.http_timeout = http_timeout
        self._last_good = {}
        self._facts_cache = {}
        self.snapshot = None

    def current(self):
        if self.snapshot is None or self.snapshot.stale(self.refresh_seconds):
            self.reload()
        return self.snapshot

    def reload(self):
        authorities = []
        for path in self.ca_files:
            with open(path, "rb") as handle:
                authorities += _load_all_certificates(handle.read())
        crls = []
        for source in self.crl_sources:
            try:
                crls.append(self._fetch_crl(source))
                self._last_good[source] = crls[-1]
            except (OSError, ValueError, requests.RequestException) as exc:
                log.warning("crl_unavailable", source=source, error=f"{type(exc).__name__}: {exc}")
                if source in self._last_good:
                    crls.append(self._last_good[source])
        generation = (self.snapshot.generation + 1) if self.snapshot else 1
        self.snapshot = TrustSnapshot(authorities, crls, generation)
        self._facts_cache = {}
        return self.snapshot

    def _fetch_crl(self, source):
        if source.startswith(("http://", "https://")):
            response = requests.get(source, timeout=self.http_timeout)
            response.raise_for_status()
            return _load_crl(response.content)
        with open(source, "rb") as handle:
            return _load_crl(handle.read())

    def facts(self, certificate, now=None):
        """Facts about `certificate`, cached until the CRLs are next reloaded."""
        snapshot = self.current()
        now = now or datetime.now(timezone.utc)
        key = fingerprint(certificate)
        cached = self._facts_cache.get(key)
        if cached is None:
            cached = self._facts_cache[key] = snapshot.facts(certificate, now)
        return cached


class Trust(DependencyProvider):
    """Injects the process's TrustStore (configured CAs and CRLs)."""

    def setup(self):
        config = self.container.config
        self.store = TrustStore(
            config.get("TRUSTED_CA_FILES"), config.get("CRL_SOURCES"), config.get("CRL_REFRESH_SECONDS", 3600)
        )

    def get_dependency(self, worker_ctx):
        return self.store
