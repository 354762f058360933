"""Signing benchmark: PAdES signatures per second per core through a SoftHSM2 token, and
verifications per second, each with p50/p99, beside a baseline measured in the same run: a raw
RSA-2048 signature through the same token session.

    .venv/bin/python bench/bench_signing.py [--signatures N] [--verifications N] [--quick]

One process, one thread: every figure is for one core. It makes its own token in a temporary
directory (its own SOFTHSM2_CONF) and never touches a global one. Figures go to stdout.
"""
import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
TARGET_PER_SECOND = 200


def timed(function, count):
    """Run `function` `count` times; return the wall-clock latencies and the CPU seconds this
    process used meanwhile (on a shared machine the CPU time is the steadier measure of a core)."""
    latencies = []
    cpu_started = time.process_time()
    for _ in range(count):
        started = time.perf_counter()
        function()
        latencies.append(time.perf_counter() - started)
    return latencies, time.process_time() - cpu_started


def summary(name, measured):
    latencies, cpu_seconds = measured
    ordered = sorted(latencies)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]
    rate = len(ordered) / sum(ordered)
    per_cpu = len(ordered) / cpu_seconds if cpu_seconds > 0 else float("nan")
    print(f"  {name:<46} {rate:8.1f}/s wall {per_cpu:8.1f}/s per CPU-second   "
          f"p50 {p50 * 1000:6.2f} ms   p99 {p99 * 1000:6.2f} ms   (n={len(ordered)})")
    return per_cpu, rate, p50, p99


def make_token(root):
    conf = os.path.join(root, "softhsm2.conf")
    os.makedirs(os.path.join(root, "tokens"))
    with open(conf, "w") as handle:
        handle.write(f"directories.tokendir = {root}/tokens\nobjectstore.backend = file\nlog.level = ERROR\n")
    os.environ["SOFTHSM2_CONF"] = conf
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", "bench", "--pin", "1234", "--so-pin", "12345678"],
                   check=True, capture_output=True)


def make_pki(session):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    from pkcs11 import Attribute, CertificateType, KeyType, ObjectClass

    from signing import pki

    now = datetime.now(timezone.utc)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Bench CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(1).not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(ca_key, hashes.SHA256())
    )
    public, _ = session.generate_keypair(KeyType.RSA, 2048, store=True, label="dm.jhs", id=b"\x01")
    key = rsa.RSAPublicNumbers(int.from_bytes(public[Attribute.PUBLIC_EXPONENT], "big"), int.from_bytes(public[Attribute.MODULUS], "big")).public_key()
    certificate = (
        x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Asha Verma")]))
        .issuer_name(ca_name).public_key(key).serial_number(1000)
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    session.create_object({
        Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.CERTIFICATE_TYPE: CertificateType.X_509, Attribute.TOKEN: True,
        Attribute.LABEL: "dm.jhs", Attribute.ID: b"\x01", Attribute.VALUE: pki.der_of(certificate),
        Attribute.SUBJECT: certificate.subject.public_bytes(),
    })
    return ca, certificate


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--signatures", type=int, default=1000)
    parser.add_argument("--verifications", type=int, default=200)
    parser.add_argument("--naive", type=int, default=100, help="signatures through pyHanko's one-call sign_pdf")
    parser.add_argument("--quick", action="store_true", help="a tenth of the counts")
    args = parser.parse_args(argv)
    if args.quick:
        args.signatures, args.verifications, args.naive = args.signatures // 10, args.verifications // 10, args.naive // 10

    root = tempfile.mkdtemp(prefix="bench-signing-")
    try:
        make_token(root)
        return run(args)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def run(args):

    import pkcs11
    from pkcs11 import Mechanism, ObjectClass
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign.pkcs11 import PKCS11Signer

    from signing import pades, pki
    from signing.rendering import Content, SignerLine, field_name, render
    from signing.token import TokenSession

    load_before = os.getloadavg()
    token = TokenSession(MODULE, "bench", "1234")
    with pkcs11.lib(MODULE).get_token(token_label="bench").open(rw=True, user_pin="1234") as setup:
        ca, certificate = make_pki(setup)
    snapshot = pki.TrustSnapshot([ca], [])
    content = Content(
        kind="note", document_id="bench-1", file_number="N-11016/6/2026-COLL-JHS", subject="वृद्धावस्था पेंशन",
        text="प्रस्तुत प्रकरण में तहसील मऊरानीपुर की जाँच रिपोर्ट संलग्न है। वृद्धावस्था पेंशन के 42 आवेदन पात्र पाए गए हैं।\n"
             "ज़िलाधिकारी महोदय कृपया स्वीकृति हेतु अवलोकन करें।",
        content_sha256="0" * 64, office_en="Collectorate Jhansi", office_hi="कलेक्ट्रेट झाँसी",
    )
    line = SignerLine(1, "dm.jhs", "Asha Verma", "आशा वर्मा", "District Magistrate", "ज़िलाधिकारी")

    print(f"signing benchmark: one process, one thread (= one core); machine has {os.cpu_count()} cores, "
          f"load average {load_before[0]:.2f} at start")
    print("NOTE: the machine is shared with other developers running tests; figures move with their load.\n")

    render_latencies = timed(lambda: render(content, [line]), 5 if args.quick else 20)
    template_pdf = render(content, [line])
    print(f"note rendering (once per document, before its first signature), {len(template_pdf)} bytes:")
    summary("render Hindi note + signature field (fpdf2+HarfBuzz)", render_latencies)

    print("\nbaseline, same token session:")
    raw_key = token._open().get_key(object_class=ObjectClass.PRIVATE_KEY, label="dm.jhs")
    digest_input = os.urandom(200)
    raw_rate, raw_wall, raw_p50, _ = summary("raw RSA-2048 sign (CKM_SHA256_RSA_PKCS)", timed(
        lambda: raw_key.sign(digest_input, mechanism=Mechanism.SHA256_RSA_PKCS), args.signatures))

    print("\nPAdES signatures of the rendered note (a new incremental update each time):")
    naive_signer = PKCS11Signer(token._open(), cert_label="dm.jhs", key_label="dm.jhs")
    naive_meta = signers.PdfSignatureMetadata(field_name=field_name(1), reason="Approved", subfilter=fields.SigSeedSubFilter.PADES)

    def naive():
        return signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(template_pdf)), naive_meta, signer=naive_signer).getvalue()

    naive()
    naive_rate, naive_wall, _, _ = summary("pyHanko sign_pdf + PKCS11Signer (naive)", timed(naive, args.naive))

    chain = (pki.der_of(ca),)
    template = pades.template_for(pki.der_of(certificate), chain)

    def details():
        return pades.SignatureDetails(field_name(1), "Asha Verma", "District Magistrate", "Approved", "Jhansi", datetime.now(timezone.utc))

    def engine():
        return pades.sign_with_token(template_pdf, details(), token, "dm.jhs", template)

    signed = engine()
    rate, wall_rate, p50, p99 = summary("service engine (template CMS, open session)", timed(engine, args.signatures))

    parts = {"prepare (pyHanko: field, placeholder, digest)": [], "token signature": [], "embed CMS": []}
    for _ in range(min(args.signatures, 300)):
        started = time.perf_counter()
        prepared, output = pades.prepare(template_pdf, details(), template.certificate_der, template.reserved_bytes)
        prepared_at = time.perf_counter()
        signature = token.sign("dm.jhs", template.to_be_signed(prepared.document_digest))
        signed_at = time.perf_counter()
        pades.embed(prepared, output, template.assemble(prepared.document_digest, signature))
        done = time.perf_counter()
        parts["prepare (pyHanko: field, placeholder, digest)"].append(prepared_at - started)
        parts["token signature"].append(signed_at - prepared_at)
        parts["embed CMS"].append(done - signed_at)
    print("\nwhere one engine signature's time goes (median):")
    total = sum(statistics.median(v) for v in parts.values())
    for name, values in parts.items():
        print(f"  {name:<46} {statistics.median(values) * 1000:7.2f} ms  {statistics.median(values) / total:5.1%}")

    print("\nverification of the signed note (integrity, chain, CRLs, coverage):")
    verified = pades.verify_pdf(signed, snapshot)
    assert verified.checks[0].intact and verified.checks[0].trusted, "the benchmark's own signature must verify"
    verify_rate, verify_wall, _, _ = summary("pyHanko validation, fresh ValidationContext", timed(lambda: pades.verify_pdf(signed, snapshot), args.verifications))

    load_after = os.getloadavg()
    print("\nratios (same run; per CPU-second, wall-clock in brackets):")
    print(f"  engine PAdES / raw token signature           {rate / raw_rate:6.2f}  ({wall_rate / raw_wall:.2f})"
          f"   {rate:.0f} vs {raw_rate:.0f} per CPU-second")
    print(f"  engine / naive pyHanko                       {rate / naive_rate:6.2f}x ({wall_rate / naive_wall:.2f}x)")
    print(f"  engine p50 / raw p50                         {p50 / raw_p50:6.2f}")
    print(f"  verifications / engine signatures            {verify_rate / rate:6.2f}  ({verify_wall / wall_rate:.2f})")
    verdict = "meets" if rate >= TARGET_PER_SECOND else "misses"
    print(f"\ntarget {TARGET_PER_SECOND} PAdES signatures/s per core: {verdict} it ({rate:.0f} per CPU-second, "
          f"{wall_rate:.0f}/s wall-clock, p99 {p99 * 1000:.1f} ms); load average {load_after[0]:.2f} at the end")
    token.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
