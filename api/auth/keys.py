"""Public keys for token verification: PEM files, JWKs, and the RFC 7638 thumbprint used as `kid`."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key

PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey

# Which algorithms a key of each type can verify: the token's `alg` must be one of these *and* configured,
# so a token cannot steer an RSA key into an EC or HMAC verification (algorithm confusion).
_ALGORITHM_PREFIXES: tuple[tuple[type[Any], tuple[str, ...]], ...] = (
    (rsa.RSAPublicKey, ("RS", "PS")),
    (ec.EllipticCurvePublicKey, ("ES",)),
    (ed25519.Ed25519PublicKey, ("EdDSA",)),
)
_EC_CURVE_ALGORITHM = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}


def algorithms_for(key: PublicKey, allowed: tuple[str, ...]) -> list[str]:
    """The configured algorithms this key can verify (an EC key: only its own curve's)."""
    if isinstance(key, ec.EllipticCurvePublicKey):
        own = _EC_CURVE_ALGORITHM.get(key.curve.name)
        return [name for name in allowed if name == own]
    for key_type, prefixes in _ALGORITHM_PREFIXES:
        if isinstance(key, key_type):
            return [name for name in allowed if name.startswith(prefixes)]
    return []


def load_public_key_file(path: Path) -> PublicKey:
    """A PEM public key or X.509 certificate (as brokers publish their signing certificate)."""
    data = path.read_bytes()
    loaded = x509.load_pem_x509_certificate(data).public_key() if b"CERTIFICATE-----" in data else None
    key = loaded if loaded is not None else load_pem_public_key(data)
    if not isinstance(key, PublicKey):
        raise ValueError(f"{path}: not an RSA, EC or Ed25519 public key")
    return key


def _b64url_uint(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8 or 1, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def public_jwk(key: PublicKey) -> dict[str, str]:
    """The key's required JWK members (RFC 7638 §3.2), enough to publish it or take its thumbprint."""
    if isinstance(key, rsa.RSAPublicKey):
        numbers = key.public_numbers()
        return {"e": _b64url_uint(numbers.e), "kty": "RSA", "n": _b64url_uint(numbers.n)}
    if isinstance(key, ec.EllipticCurvePublicKey):
        point = key.public_numbers()
        size = (key.curve.key_size + 7) // 8
        crv = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}[key.curve.name]

        def coordinate(value: int) -> str:
            return base64.urlsafe_b64encode(value.to_bytes(size, "big")).rstrip(b"=").decode("ascii")

        return {"crv": crv, "kty": "EC", "x": coordinate(point.x), "y": coordinate(point.y)}
    raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return {"crv": "Ed25519", "kty": "OKP", "x": base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")}


def thumbprint(key: PublicKey) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url): a `kid` that follows from the key itself, so a
    restarted issuer with the same key file names its key the same."""
    canonical = json.dumps(public_jwk(key), sort_keys=True, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b"=").decode("ascii")
