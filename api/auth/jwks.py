"""The issuer's signing keys from its JWKS URL: cached, and refetched on an unknown `kid` at most once per
cool-down after a successful fetch.

The `kid` comes from the token, that is from whoever sends it: were every unknown kid a fetch, a burst of
forged tokens would make the service hammer the issuer. So once a fetch has succeeded, an unknown kid refetches
only when that fetch is older than AUTH_JWKS_COOLDOWN_SECONDS. A fetch that failed blocks nothing: the next
unknown kid tries again at once, so a key the issuer publishes while it was unreachable is taken as soon as it
answers. Fetches are one at a time, and callers arriving during a fetch wait for that one and share its
outcome instead of starting their own: an unreachable issuer is asked at most once per fetch (each bounded by
AUTH_JWKS_TIMEOUT_SECONDS), however many forged tokens arrive. Known keys are served without a lock.

When the issuer cannot be reached the keys already fetched stay in use (a stale cache refetches once per
cool-down); a kid that none of them has is `AuthenticationUnavailable` (503 with Retry-After: the token may be
signed with a key the issuer published meanwhile), never a 401 that would have the client throw it away.

Calls are blocking (the fetch is plain `urllib` with a timeout): FastAPI runs the dependency in its thread
pool, so a fetch never stalls the event loop.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from jwt import PyJWK, PyJWTError

from api.auth.errors import AuthenticationFailed, AuthenticationUnavailable
from api.auth.keys import PublicKey

logger = logging.getLogger("genoptraening.auth")

# Fetches the JWKS document at a URL within a timeout (seconds); replaceable in tests.
Fetch = Callable[[str, float], bytes]
MAX_JWKS_BYTES = 512 * 1024  # a JWKS is a few kB; more is not a key set


@dataclass(frozen=True)
class JwksKey:
    key: PublicKey
    algorithm: str | None  # the JWK's own `alg`, when it states one: then the token must use exactly that


def fetch_url(url: str, timeout: float) -> bytes:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # http(s) only: Settings checks the URL
        body: bytes = response.read(MAX_JWKS_BYTES + 1)
    if len(body) > MAX_JWKS_BYTES:
        raise ValueError(f"JWKS larger than {MAX_JWKS_BYTES} bytes")
    return body


def parse_jwks(document: bytes, allowed: tuple[str, ...]) -> dict[str, JwksKey]:
    """The usable signing keys by `kid`. Symmetric (`oct`) keys, encryption keys, keys without a kid or with
    an `alg` that is not allowed are left out, so the JWKS can never bring in an algorithm the settings refuse."""
    data = json.loads(document)
    entries = data.get("keys") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ValueError("JWKS has no `keys` list")
    keys: dict[str, JwksKey] = {}
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("kty") not in ("RSA", "EC", "OKP"):
            continue
        kid, algorithm, use = entry.get("kid"), entry.get("alg"), entry.get("use")
        if not isinstance(kid, str) or use not in (None, "sig") or (algorithm is not None and algorithm not in allowed):
            continue
        try:
            key = PyJWK(entry).key
        except (PyJWTError, ValueError, TypeError):
            logger.warning("JWKS key %r skipped: not a usable public key", kid[:64])
            continue
        if isinstance(key, PublicKey):
            keys[kid] = JwksKey(key, algorithm if isinstance(algorithm, str) else None)
    return keys


class JwksKeys:
    def __init__(
        self,
        url: str,
        allowed: tuple[str, ...],
        *,
        cache_seconds: float,
        cooldown_seconds: float,
        timeout_seconds: float,
        fetch: Fetch = fetch_url,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.allowed = allowed
        self.cache_seconds = cache_seconds
        self.cooldown_seconds = cooldown_seconds
        self.timeout_seconds = timeout_seconds
        self._fetch = fetch
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: Mapping[str, JwksKey] = {}  # replaced whole, never mutated: lock-free readers see one set
        self._fetched_at: float | None = None  # last successful fetch
        self._attempted_at: float | None = None  # last fetch, successful or not
        self._failed = False  # whether the last fetch failed
        self.fetches = 0  # attempts so far (for the log and for tests)
        self._finished = 0  # attempts that have ended: a caller that saw this change while it waited shares one

    def _fresh(self, now: float) -> bool:
        return self._fetched_at is not None and now - self._fetched_at < self.cache_seconds

    def key(self, kid: str) -> JwksKey:
        found = self._keys.get(kid)
        if found is not None and self._fresh(self._clock()):
            return found
        seen = self._finished
        with self._lock:
            # A fetch that ended while this caller waited for the lock answers it too: no second fetch.
            if self._finished == seen and self._refresh_due(kid, self._clock()):
                self._refresh(self._clock())
            found = self._keys.get(kid)
            if found is not None:
                return found  # possibly stale, when the issuer is unreachable: better than refusing everyone
            if self._failed:
                raise AuthenticationUnavailable("the issuer's keys could not be fetched")
            raise AuthenticationFailed("unknown_key")

    def loaded(self) -> bool:
        """Whether any signing key is at hand (for readiness); fetches once, as an unknown kid would, when none is."""
        if self._keys:
            return True
        seen = self._finished
        with self._lock:
            if self._finished == seen and not self._keys:
                self._refresh(self._clock())
            return bool(self._keys)

    def _refresh_due(self, kid: str, now: float) -> bool:
        if kid in self._keys:  # known, only stale: one refresh per cool-down, the stale key serves meanwhile
            return self._attempted_at is None or now - self._attempted_at >= self.cooldown_seconds
        if self._failed or self._fetched_at is None:  # the issuer did not answer last time: ask again now
            return True
        return now - self._fetched_at >= self.cooldown_seconds

    def _refresh(self, now: float) -> None:
        self._attempted_at = now
        self.fetches += 1
        try:
            keys = parse_jwks(self._fetch(self.url, self.timeout_seconds), self.allowed)
        except Exception as err:  # unreachable, timeout, bad JSON: keep the keys we have
            self._failed = True
            logger.warning("JWKS fetch from %s failed (%s); keeping %d known key(s)", self.url, err, len(self._keys))
            return
        finally:
            self._finished += 1
        self._keys, self._fetched_at, self._failed = keys, now, False
        logger.info("JWKS fetched from %s: %d signing key(s)", self.url, len(keys))
