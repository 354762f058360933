"""A stand-in for an eSign service provider (an outside system), for tests of this service and of
scenarios across services: it signs the document hash it receives with a real key."""
import asyncio
import base64
import json

import eventlet
from cryptography.hazmat.primitives import serialization
from eventlet import tpool, wsgi

from eoffice_common.testing import free_port


class FakeESignProvider:
    """An eSign service provider on localhost: receives the document hash and answers with a CMS
    signature made with a real key (pyHanko's SimpleSigner), as an ESP does with the signer's key."""

    def __init__(self, key, certificate, api_key="esp-test-key"):
        self.api_key = api_key
        self.requests = []
        self.use(key, certificate)
        self.port = free_port()
        self._listener = eventlet.listen(("127.0.0.1", self.port))
        self._server = eventlet.spawn(wsgi.server, self._listener, self._app, log_output=False)
        self.url = f"http://127.0.0.1:{self.port}"

    def use(self, key, certificate):
        from asn1crypto import keys as asn1_keys
        from asn1crypto import x509 as asn1_x509
        from pyhanko.sign.signers import SimpleSigner

        self.signer = SimpleSigner(
            signing_cert=asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER)),
            signing_key=asn1_keys.PrivateKeyInfo.load(
                key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
            ),
            cert_registry=None,
        )

    def _app(self, environ, start_response):
        if environ.get("HTTP_AUTHORIZATION") != f"Bearer {self.api_key}":
            start_response("401 Unauthorized", [("Content-Type", "application/json")])
            return [b'{"error": "bad api key"}']
        body = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
        self.requests.append(body)
        digest = base64.b64decode(body["document_digest"])
        # In a real thread: asyncio's notion of the running loop is per OS thread, and another loop
        # (an SMTP test server, say) may be running in a green thread of this one.
        signed = tpool.execute(asyncio.run, self.signer.async_sign(digest, "sha256", use_pades=True))
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"cms": base64.b64encode(signed.dump()).decode()}).encode()]

    def close(self):
        self._server.kill()
        self._listener.close()
