"""The signing service's own Prometheus metrics."""
from prometheus_client import Counter, Histogram

SIGNATURES = Counter("eoffice_signing_signatures_total", "Signatures by method and outcome.", ["method", "outcome"])
SIGNING_SECONDS = Histogram(
    "eoffice_signing_signature_seconds", "Time to produce a signed PDF (render, sign, store).", ["method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
VERIFICATIONS = Counter("eoffice_signing_verifications_total", "Verifications by source and result.", ["source", "result"])
CERTIFICATES = Counter("eoffice_signing_certificates_total", "Certificates registered and revoked.", ["source", "event"])
