"""Helpers for the test_auth_* modules (no tests here): raw JWS forging, a local issuer, a JWKS issuer and its
JWKS served over HTTP."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from api.auth.keys import public_jwk
from api.auth.local_issuer import LocalIssuer
from api.settings import ApiSettings


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def forge(header: dict[str, Any], claims: dict[str, Any], hmac_secret: bytes | None = None) -> str:
    """A compact JWS built by hand: `alg: none` (empty signature), or HS256 with any bytes as the secret."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    signature = b""
    if hmac_secret is not None:
        signature = hmac.new(hmac_secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def local_settings(issuer: LocalIssuer, **overrides: Any) -> ApiSettings:
    return ApiSettings(**(issuer.settings_overrides() | overrides))


def make_issuer(tmp_path: Path, name: str = "auth") -> LocalIssuer:
    return LocalIssuer.create_or_load(tmp_path / name, "urn:test:issuer", "genoptraening-test")


class RsaIssuer:
    """An issuer publishing RSA keys in a JWKS, as a municipality's OIDC broker does."""

    issuer = "https://broker.example/realms/kommune"
    audience = "genoptraening-cases"

    def __init__(self) -> None:
        self.keys: dict[str, rsa.RSAPrivateKey] = {}
        self.fetches = 0

    def add_key(self, kid: str) -> None:
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwks(self) -> bytes:
        entries = [public_jwk(key.public_key()) | {"kid": kid, "use": "sig"} for kid, key in self.keys.items()]
        return json.dumps({"keys": entries}).encode()

    def fetch(self, url: str, timeout: float) -> bytes:
        self.fetches += 1
        return self.jwks()

    def token(self, kid: str, key_of: str | None = None, **claims: Any) -> str:
        """Signed with the key `key_of` (default: `kid`'s own), naming `kid` in the header."""
        now = int(time.time())
        payload = {"iss": self.issuer, "aud": self.audience, "sub": "u1", "iat": now, "exp": now + 300}
        payload |= {"roles": ["caseworker"], "municipality": "101", "loa": "substantial"} | claims
        return jwt.encode(payload, self.keys[key_of or kid], algorithm="RS256", headers={"kid": kid})

    def settings(self, url: str = "https://broker.example/jwks", **overrides: Any) -> ApiSettings:
        return ApiSettings(auth_issuer=self.issuer, auth_audience=self.audience, auth_jwks_url=url, **overrides)


class JwksServer:
    """The issuer's JWKS over HTTP on 127.0.0.1, which can go away and come back on the same port."""

    def __init__(self, issuer: RsaIssuer) -> None:
        self.issuer = issuer
        self.requests = 0
        self.port = 0
        self._server: ThreadingHTTPServer | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/realms/kommune/certs"

    def start(self) -> None:
        server_self = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server_self.requests += 1
                body = server_self.issuer.jwks()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)  # allow_reuse_address: same port
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Gone: the port refuses connections until `start`."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
